"""`amails-fem cavity`: G_E along x, y and z on the console, modes.vtu with units, normalisation and every mode's
numbers as field data, and the ADMX-like spec's own example command showing its TM010-like mode."""

import json
import shlex
from pathlib import Path

import numpy as np
import pytest

from amails_fem.cli import main
from amails_fem.io.vtu import read_field_text, read_vtu
from amails_fem.testing.analytic import te101_form_factor_y

ROOT = Path(__file__).resolve().parents[2]


def test_box_te101_prints_g_e_along_y_and_vtu_carries_the_modes(tmp_path, capsys):
    out = tmp_path / "box"
    assert main(["cavity", str(ROOT / "geometries/cavity_rectangular.toml"), "--n-modes", "2", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    line = next(ln for ln in err.splitlines() if "TE101" in ln and "G_E x,y,z" in ln)
    g = [float(v) for v in line.split("G_E x,y,z = ")[1].split()[:3]]
    assert g[1] == pytest.approx(te101_form_factor_y(), abs=1e-3) and g[0] < 1e-6 and g[2] < 1e-6
    rows = json.loads((out / "modes.json").read_text())["modes"]
    grid = read_vtu(out / "modes.vtu")
    np.testing.assert_allclose(np.asarray(grid.field_data["G_E"]).reshape(-1, 3),
                               [[r["G_E_x"], r["G_E_y"], r["G_E_z"]] for r in rows], rtol=1e-12)
    np.testing.assert_allclose(grid.field_data["freq_hz"], [r["freq_hz"] for r in rows], rtol=1e-12)
    np.testing.assert_allclose(grid.field_data["Q0"], [r["Q0"] for r in rows], rtol=1e-12)
    lines = read_field_text(out / "modes.vtu", "modes")
    assert len(lines) == 2 and lines[0].startswith("mode 00 TE101: f = ") and "Q0 = " in lines[0]
    assert "V/m" in read_field_text(out / "modes.vtu", "units")[0]
    assert "int |E|^2 dV = V" in read_field_text(out / "modes.vtu", "normalisation")[0]
    # the normalisation holds on the file's own (linear) interpolation to the mesh's discretisation error
    name = next(k for k in grid.point_data if k.startswith("E_00"))
    grid.point_data["E2"] = np.sum(grid.point_data[name] ** 2, axis=1)
    volume = 0.2 * 0.1 * 0.3
    assert float(grid.integrate_data().point_data["E2"][0]) == pytest.approx(volume, rel=0.05)


def test_admx_like_example_command_shows_the_tm010_like_mode(tmp_path, capsys):
    spec = ROOT / "geometries/cavity_admx_like.toml"
    run = next(ln for ln in spec.read_text().splitlines() if ln.startswith("# Run: amails-fem cavity"))
    argv = shlex.split(run.split("amails-fem", 1)[1])
    argv[argv.index("--out") + 1] = str(tmp_path / "admx")
    argv[argv.index("geometries/cavity_admx_like.toml")] = str(spec)
    assert main(argv + ["--no-vtu"]) == 0
    rows = json.loads((tmp_path / "admx" / "modes.json").read_text())["modes"]
    tm = [r for r in rows if r["label"].startswith("TM010")]
    assert len(tm) == 1 and tm[0]["G_E_z"] > 0.5  # the mode a haloscope uses, G_E,z ~ 0.59
    assert "TM010" in capsys.readouterr().err
