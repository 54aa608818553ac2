"""Outputs: atomic writes, the mesh cache, the `amails-fem room` command and its summary.json."""

import json
import math
import os
import sys

import numpy as np
import pytest

from amails_fem import units
from amails_fem.cli import main
from amails_fem.geometry import box_room, sphere_room
from amails_fem.io.files import atomic_path, write_json
from amails_fem.meshing.rooms import mesh_room


def test_atomic_write_leaves_nothing_on_crash(tmp_path):
    target = tmp_path / "summary.json"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text('{"half": ')
            raise RuntimeError("killed mid-write")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
    write_json(target, {"ok": 1})
    assert json.loads(target.read_text()) == {"ok": 1}


def test_interrupted_cli_run_leaves_no_half_file(tmp_path, monkeypatch):
    """Ctrl-C while writing walls.vtu: the run's folder is all or nothing (here nothing: there was no earlier run),
    no staging folder or temp file is left, and a second, complete run replaces it as a whole."""
    import pyvista

    from amails_fem.io.vtu import read_vtu

    real_save = pyvista.UnstructuredGrid.save
    calls = []

    def dying_save(grid, path, *args, **kw):
        calls.append(path)
        if len(calls) == 2:  # second VTU: write half of it, then die
            with open(path, "w") as f:
                f.write("<VTKFile half")
            raise KeyboardInterrupt
        return real_save(grid, path, *args, **kw)

    monkeypatch.setattr(pyvista.UnstructuredGrid, "save", dying_save)
    spec = tmp_path / "s.toml"
    spec.write_text("[room]\nshape = 'sphere'\nradius_m = 1.0\n[mesh]\nsize_m = 0.5\n")
    out = tmp_path / "out"
    assert main(["room", str(spec), "--order", "1", "--out", str(out), "--quiet"]) == 130  # Ctrl-C: one line, 130
    assert not out.exists() and sorted(os.listdir(tmp_path)) == ["s.toml"]
    monkeypatch.setattr(pyvista.UnstructuredGrid, "save", real_save)
    assert main(["room", str(spec), "--order", "1", "--out", str(out), "--quiet"]) == 0
    assert {"field.vtu", "walls.vtu", "summary.json"} <= set(os.listdir(out))
    assert read_vtu(out / "field.vtu").points.shape[1] == 3
    assert sorted(os.listdir(tmp_path)) == ["out", "s.toml"]


def test_mesh_cache_by_content_hash():
    spec = box_room(1.0, 1.0, 1.5)
    first = mesh_room(spec, size_m=0.4)
    again = mesh_room(box_room(1, 1, 1.5), size_m=0.4)  # equal spec (ints) -> same key, from cache
    other = mesh_room(spec, size_m=0.35)
    assert again.from_cache and again.key == first.key
    np.testing.assert_array_equal(again.mesh.t, first.mesh.t)
    assert other.key != first.key
    assert set(first.walls) == {"x_min", "x_max", "y_min", "y_max", "floor", "ceiling"}
    # walls partition the boundary, each face has its own facets
    facets = np.concatenate(list(first.walls.values()))
    assert len(np.unique(facets)) == len(facets) == len(first.mesh.boundary_facets())
    mid = first.mesh.p[:, first.mesh.facets[:, first.walls["ceiling"]]].mean(axis=1)
    np.testing.assert_allclose(mid[2], 0.75)


def test_curved_mesh_for_p2_volume():
    from skfem import Basis, ElementTetP2, Functional

    spec = sphere_room(1.0)
    one = Functional(lambda w: 1.0 + 0 * w.x[0])
    curved = mesh_room(spec, size_m=0.35, order=2)
    flat = mesh_room(spec, size_m=0.35, order=1)
    assert curved.geometric_order == 2 and flat.geometric_order == 1
    v_curved = one.assemble(Basis(curved.mesh, ElementTetP2()))
    v_flat = one.assemble(Basis(flat.mesh, ElementTetP2()))
    assert abs(v_curved / spec.volume_m3 - 1) < 1e-4 < abs(v_flat / spec.volume_m3 - 1)


def test_room_command_writes_everything(tmp_path, capsys):
    spec = tmp_path / "cube.toml"
    spec.write_text("[room]\nshape = 'box'\nlx_m = 2\nly_m = 2\nlz_m = 2\n[mesh]\nsize_m = 0.35\n")
    out = tmp_path / "out"
    assert main(["room", str(spec), "--out", str(out), "--n-grid", "15"]) == 0
    err = capsys.readouterr().err
    assert "meshing" in err and "CG iterations" in err
    assert sorted(os.listdir(out)) == ["field.vtu", "summary.json", "walls.vtu", "walls_3d.png", "walls_net.png"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["provenance"]["spec_hash"] == box_room(2, 2, 2).spec_hash()
    assert summary["mesh"]["dofs"] > 1000 and summary["solver"]["order"] == 2
    assert all(r < 1e-9 for r in summary["solver"]["relative_residuals"])
    j = units.j_eff_a_m2(1.0, 10.0)
    for pol in summary["polarizations"].values():
        # wall field of a 2 m cube: about a third of mu0 J L (0.3377 for the infinite duct)
        assert 0.30 < pol["max_tangential_mu0JL"] < 0.345
        assert pol["max_tangential_T"] == pytest.approx(pol["max_tangential_mu0JL"] * units.MU0_H_M * j * 2.0)
        assert pol["ratio_max_to_eq1"] == pytest.approx(pol["max_tangential_mu0JL"] * math.sqrt(3), rel=1e-9)
    from amails_fem.io.vtu import read_field_json, read_vtu

    walls = read_vtu(out / "walls.vtu")
    assert walls.points.shape == (6 * 15 * 15, 3)
    for name in ("walls.vtu", "field.vtu"):  # the VTU files carry summary.json's provenance
        assert read_field_json(out / name) == json.loads(json.dumps(summary["provenance"]))
    names = read_field_json(out / "walls.vtu", "wall_names")
    assert sorted(names) == ["ceiling", "floor", "x_max", "x_min", "y_max", "y_min"]
    top = walls.points[walls.point_data["wall_id"] == names.index("ceiling")]
    assert np.allclose(top[:, 2], top[0, 2]) and top[0, 2] > 0  # wall_id indexes wall_names
    assert walls.point_data["Bt_pz_T_per_A_m2"].max() == pytest.approx(
        summary["polarizations"]["z"]["max_tangential_mu0JL"] * units.MU0_H_M * 2.0, rel=1e-9)


def test_quiet_prints_nothing(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text("[room]\nshape = 'sphere'\nradius_m = 1.0\n[mesh]\nsize_m = 0.5\norder = 1\n")
    assert main(["room", str(spec), "--out", str(tmp_path / "o"), "--n-grid", "5", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out.strip() == ""


def test_run_folder_is_all_or_nothing(tmp_path):
    """The old complete set survives a failed run; a stale staging folder (dead process) is cleaned; a live one,
    a second run into the same folder, is refused; an --out that is a file is refused before any work."""
    import subprocess

    from amails_fem.errors import SpecError
    from amails_fem.io.files import run_folder

    out = tmp_path / "run"
    with run_folder(out) as stage:
        (stage / "a.txt").write_text("first")
    with pytest.raises(RuntimeError):
        with run_folder(out) as stage:
            (stage / "a.txt").write_text("second, half")
            raise RuntimeError("crash")
    assert (out / "a.txt").read_text() == "first" and sorted(os.listdir(tmp_path)) == ["run"]

    stale = tmp_path / ".run.staging-999999999"
    stale.mkdir()
    with run_folder(out) as stage:
        (stage / "a.txt").write_text("third")
    assert not stale.exists() and (out / "a.txt").read_text() == "third"
    live = tmp_path / ".run.staging-424242"  # a live run: a process holding the folder's lock
    live.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, os, sys, time; fd = os.open(sys.argv[1], "
                               "os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); "
                               "time.sleep(30)", str(live)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(SpecError, match="another run"):
            with run_folder(out):
                pass
    finally:
        holder.kill()
        holder.wait()
    assert live.exists()
    with run_folder(out) as stage:  # the lock went with the process: the folder is stale now
        (stage / "a.txt").write_text("fourth")
    assert not live.exists() and (out / "a.txt").read_text() == "fourth"
    (tmp_path / "file").write_text("x")
    with pytest.raises(SpecError, match="not a folder"):
        with run_folder(tmp_path / "file"):
            pass


def test_progress_bar_reports_eta_and_stays_quiet_when_asked():
    import io

    from amails_fem.log import Progress

    buf = io.StringIO()
    assert list(Progress(stream=buf).loop(range(40), 40, "pairs")) == list(range(40))
    lines = buf.getvalue().splitlines()
    assert 5 <= len(lines) <= 12 and lines[-1].endswith("ETA 0 s") and "40/40 (100 %)" in lines[-1]
    quiet = io.StringIO()
    assert sum(Progress(quiet=True, stream=quiet).loop(range(5), 5, "x")) == 10 and quiet.getvalue() == ""
