"""Tuning sweeps (dask, cache/resume, tracking, crossings) and the `cavity` / `tune` commands."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from amails_fem.cavities.tuning import find_crossings, track_modes, tune
from amails_fem.cli import main
from amails_fem.errors import SpecError
from amails_fem.specs.cavities import Rod, cylinder_cavity

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AMAILS_FEM_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_tracking_and_crossings_on_synthetic_steps():
    e = np.eye(3)
    steps = [{"freq_hz": [1.0, 2.0, 3.0], "signature": e.tolist()},
             {"freq_hz": [1.5, 2.5, 2.6], "signature": e[[0, 2, 1]].tolist()}]  # modes 1, 2 swap order
    perms, ov = track_modes(steps, 3)
    assert perms[1].tolist() == [0, 2, 1] and np.allclose(ov, 1.0)
    freq = np.array([[1.0, 2.0, 3.0], [1.5, 2.6, 2.5]])
    cr = find_crossings(np.array([0.0, 1.0]), freq)
    assert len(cr) == 1 and cr[0]["tracks"] == [1, 2] and cr[0]["position_m"] == pytest.approx(1 / 1.1)


def test_tune_on_dask_then_resume_from_cache(fresh_cache):
    spec = cylinder_cavity(0.1, 0.3, rods=[Rod(0.025, 0.07, 0.0)])
    c1 = tune(spec, 0, 0.07, 0.03, 3, n_modes=2, select="coupling", workers=2)
    assert c1.n_cached == 0 and len(list(fresh_cache.glob("tuning/*.json"))) == 3
    assert c1.freq_hz.shape == (3, 1)  # one mode couples (G_E > 1e-3): the TM010-like one
    f, g = c1.freq_hz[:, 0], c1.g_e[:, 0]
    assert f[0] < f[1] < f[2] and g[0] > g[1] > g[2]  # rod towards the axis: f up, G_E down
    assert c1.overlap.min() > 0.9
    c2 = tune(spec, 0, 0.07, 0.03, 3, n_modes=2, select="coupling", scheduler="sync")
    assert c2.n_cached == 3 and np.array_equal(c1.freq_hz, c2.freq_hz)
    entries = sorted(fresh_cache.glob("tuning/*.json"))  # an emptied, a random-bytes and an edited entry
    entries[0].write_text("{}")
    entries[1].write_bytes(bytes(range(200, 256)))
    edited = json.loads(entries[2].read_text())
    edited["freq_hz"] = edited["freq_hz"][:1]
    entries[2].write_text(json.dumps(edited))
    c3 = tune(spec, 0, 0.07, 0.03, 3, n_modes=2, select="coupling", scheduler="sync")
    assert c3.n_cached == 0 and np.allclose(c3.freq_hz, c1.freq_hz, rtol=1e-8)  # all three recomputed
    with pytest.raises(SpecError, match="rods\\[0\\].radius_m must be at most"):
        tune(spec, 0, 0.07, 0.09, 3, scheduler="sync")  # validated before any solve
    with pytest.raises(SpecError, match="rod must be an index"):
        tune(spec, 3, 0.07, 0.03, 3, scheduler="sync")


def test_cavity_command_writes_tables_vtu_png(tmp_path, capsys):
    from amails_fem.io.vtu import read_field_json, read_vtu

    out = tmp_path / "cyl"
    assert main(["cavity", str(ROOT / "geometries/cavity_cylinder.toml"), "--n-modes", "3", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "cross-section solver" in err and "TM010" in err
    data = json.loads((out / "modes.json").read_text())
    assert data["provenance"]["solver"] == "cross-section" and data["provenance"]["spec_hash"]
    tm = [m for m in data["modes"] if m["label"] == "TM010"][0]
    assert tm["G_E_z"] == pytest.approx(0.6917, abs=1e-3)
    rows = list(csv.DictReader((out / "modes.csv").open()))
    assert len(rows) == 3 and float(rows[2]["freq_hz"]) == pytest.approx(1.14743e9, rel=1e-4)
    vtu = read_vtu(out / "modes.vtu")
    assert {k[:4] for k in vtu.point_data} == {"E_00", "B_00", "E_01", "B_01", "E_02", "B_02"}
    assert np.abs(vtu.point_data["E_02_TM010"][:, 2]).max() > 0
    assert read_field_json(out / "modes.vtu") == data["provenance"]
    assert (out / "modes_E.png").stat().st_size > 10_000
    assert not list(out.glob(".*part*"))  # atomic writes leave no temporaries


def test_tune_command_and_bad_spec(tmp_path, capsys, fresh_cache):
    out = tmp_path / "tune"
    rc = main(["tune", str(ROOT / "geometries/cavity_admx_like.toml"), "--rod", "0", "--from-m", "0.07",
               "--to-m", "0.05", "--n-steps", "3", "--scheduler", "sync", "--quiet", "--out", str(out), "--reach",
               "--t-sys-k", "0.5", "--time-s", "3600"])
    assert rc == 0 and capsys.readouterr().err == ""
    d = json.loads((out / "tuning.json").read_text())
    assert len(d["positions_m"]) == 3 and np.array(d["G_E_z"]).max() > 0.5
    assert (out / "tuning.png").stat().st_size > 10_000 and (out / "tuning.csv").is_file()
    r = json.loads((out / "reach.json").read_text())
    eps = np.array(r["eps"])
    assert len(eps) == 3 and np.all(np.isfinite(eps)) and np.all((1e-17 < eps) & (eps < 1e-10))
    assert (out / "reach.png").stat().st_size > 10_000
    assert main(["tune", str(ROOT / "geometries/cavity_admx_like.toml"), "--from-m", "0.07", "--to-m", "0.05",
                 "--reach", "--t-sys-k", "-1", "--out", str(tmp_path / "y")]) == 2
    assert "--t-sys-k: must be" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[cavity]\nshape='cylinder'\nradius_m=0.1\nheight_m=0.3\n"
                   "[[cavity.rods]]\nradius_m=0.05\nposition_m=0.06\n")
    assert main(["cavity", str(bad), "--out", str(tmp_path / "x")]) == 2
    assert "cavity.rods[0].radius_m must be at most" in capsys.readouterr().err
