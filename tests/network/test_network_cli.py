"""`amails-fem place | templates | simulate | correlate` end to end on small settings; bad input fails before
meshing."""

import json

import h5py
import xarray as xr

from amails_fem.cli import main
from amails_fem.network.sensors import default_network_path

NET = str(default_network_path())
FAST = ["--mesh-size-m", "0.35", "--quiet"]


def test_cli_chain(tmp_path):
    assert main(["templates", NET, "--fmin-hz", "1", "--fmax-hz", "500", "--n-freq", "50", "--out", str(tmp_path / "t.h5")] + FAST) == 0
    with h5py.File(tmp_path / "t.h5") as h:
        assert h["pair_csd_re"].shape == (105, 50)
    assert main(["place", NET, "--n-sensors", "15", "--n-grid", "3", "--n-random", "10", "--out", str(tmp_path / "p")] + FAST) == 0
    summary = json.loads((tmp_path / "p" / "placement.json").read_text())
    assert summary["eps_gain_over_random_mean"] > 1 and len(summary["sensors"]) == 15
    assert (tmp_path / "p" / "placement.png").stat().st_size > 1000
    placed = str(tmp_path / "p" / "placed_network.toml")
    assert main(["simulate", placed, "--duration-s", "50", "--fs-hz", "200", "--inject-eps", "1e-2",
                 "--inject-freq-hz", "20", "--inject-polarization", "0,0,1", "--out", str(tmp_path / "run.nc")] + FAST) == 0
    assert main(["correlate", str(tmp_path / "run.nc"), "--network", placed, "--fmin-hz", "1", "--fmax-hz", "99",
                 "--n-mc", "300", "--out", str(tmp_path / "c")] + FAST) == 0
    cand = json.loads((tmp_path / "c" / "candidates.json").read_text())
    assert cand["global"][0]["frequency_hz"] == 20.0 and cand["global"][0]["p_global"] < 0.05
    assert cand["injection"]["eps"] == 1e-2 and abs(cand["injection"]["eps_hat"] / 1e-2 - 1) < 0.3
    assert cand["n_trials"] == sum(
        b["n_frequencies"] for b in cand["bands"])
    with xr.open_dataset(tmp_path / "c" / "limits.nc", engine="h5netcdf") as ds:
        assert ds["eps_limit"].attrs["confidence_level"] == 0.95 and ds["eps_limit"].dims == ("frequency",)
        assert ds["frequency"].attrs["units"] == "Hz" and float(ds["eps_limit"].median()) > 0
    for name in ("limit.png", "exclusion.png", "snr_histograms.png"):
        assert (tmp_path / "c" / name).stat().st_size > 1000
    assert not (tmp_path / "c" / "limit.npz").exists()
    assert main(["correlate", "--simulate", "--duration-s", "20", "--fs-hz", "100", "--fmin-hz", "5", "--n-mc",
                 "200", "--out", str(tmp_path / "s")] + FAST) == 0
    assert (tmp_path / "s" / "limits.nc").exists() and (tmp_path / "s" / "candidates.json").exists()


def test_cli_errors(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(default_network_path().read_text().replace("position_m = [0.95, 0.0, 0.0]", "position_m = [1.5, 0.0, 0.0]", 1))
    assert main(["templates", str(bad), "--out", str(tmp_path / "x.h5"), "--quiet"]) == 2
    assert "SZ01.position_m" in capsys.readouterr().err
    assert main(["correlate", "--out", str(tmp_path / "c"), "--quiet"]) == 2
    assert main(["correlate", "--simulate", "--fs-hz", "100", "--fmax-hz", "500", "--out", str(tmp_path / "c"), "--quiet"]) == 2
    assert "Nyquist" in capsys.readouterr().err
    assert main(["simulate", NET, "--duration-s", "10", "--fs-hz", "100", "--out", str(tmp_path / "r.txt"), "--quiet"]) == 2
    assert "--out must end in .nc, .h5 or .zarr" in capsys.readouterr().err
    assert main(["simulate", NET, "--duration-s", "10", "--fs-hz", "100", "--inject-eps", "1e-3",
                 "--inject-polarization", "1,0", "--out", str(tmp_path / "r.nc"), "--quiet"]) == 2
    assert "--inject-polarization must be" in capsys.readouterr().err
    assert not (tmp_path / "r.nc").exists()
    assert not (tmp_path / "x.h5").exists()
