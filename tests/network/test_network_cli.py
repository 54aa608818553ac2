"""`amails-fem place | templates | correlate` end to end on small settings; bad input fails before meshing."""

import json

import h5py

from amails_fem.cli import main
from amails_fem.network.sensors import default_network_path

NET = str(default_network_path())
FAST = ["--mesh-size-m", "0.35", "--quiet"]
FAST_CORRELATE = ["--mesh-size", "0.35", "--quiet"]  # correlate keeps its own flags


def test_cli_chain(tmp_path):
    assert main(["templates", NET, "--fmin-hz", "1", "--fmax-hz", "500", "--n-freq", "50", "--out", str(tmp_path / "t.h5")] + FAST) == 0
    with h5py.File(tmp_path / "t.h5") as h:
        assert h["pair_csd_re"].shape == (105, 50)
    assert main(["place", NET, "--n-sensors", "15", "--n-grid", "3", "--n-random", "10", "--out", str(tmp_path / "p")] + FAST) == 0
    summary = json.loads((tmp_path / "p" / "placement.json").read_text())
    assert summary["eps_gain_over_random_mean"] > 1 and len(summary["sensors"]) == 15
    assert (tmp_path / "p" / "placement.png").stat().st_size > 1000
    assert main(["correlate", str(tmp_path / "p" / "placed_network.toml"), "--simulate", "--duration", "50",
                 "--fs", "200", "--fmin", "1", "--fmax", "99", "--inject-eps", "1e-2", "--freq", "20", "--mc", "300",
                 "--out", str(tmp_path / "c")] + FAST_CORRELATE) == 0
    out = json.loads((tmp_path / "c" / "correlate.json").read_text())
    assert out["injection"]["freq_hz"] == 20.0 and out["median_eps95"] > 0
    for name in ("limit.png", "snr_histograms.png", "limit.npz"):
        assert (tmp_path / "c" / name).stat().st_size > 1000


def test_cli_errors(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(default_network_path().read_text().replace("position_m = [0.95, 0.0, 0.0]", "position_m = [1.5, 0.0, 0.0]", 1))
    assert main(["templates", str(bad), "--out", str(tmp_path / "x.h5"), "--quiet"]) == 2
    assert "SZ01.position_m" in capsys.readouterr().err
    assert main(["correlate", NET, "--out", str(tmp_path / "c"), "--quiet"]) == 2
    assert main(["correlate", NET, "--simulate", "--fs", "100", "--fmax", "500", "--out", str(tmp_path / "c"), "--quiet"]) == 2
    assert "Nyquist" in capsys.readouterr().err
    assert not (tmp_path / "x.h5").exists()
