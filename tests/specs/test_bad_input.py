"""A user's mistakes give clear errors naming the field, before any meshing; no half files."""

import math
import textwrap

import numpy as np
import pytest

import amails_fem.meshing.rooms as mesh_module
from amails_fem import load_spec
from amails_fem.cli import main
from amails_fem.errors import SpecError
from amails_fem.geometry import box_room, cylinder_room, sphere_room
from amails_fem.rooms.solve import solve_room


@pytest.fixture
def no_meshing(monkeypatch):
    """Fail the test if gmsh is ever reached."""
    def forbidden(*args, **kwargs):
        raise AssertionError("meshing started before the input was validated")
    monkeypatch.setattr(mesh_module, "cached_mesh", forbidden)


@pytest.mark.parametrize("make, field", [
    (lambda: box_room(-1, 2, 2), "room.lx_m"),
    (lambda: box_room(2, 0, 2), "room.ly_m"),
    (lambda: box_room(2, 2, math.nan), "room.lz_m"),
    (lambda: box_room(2, 2, "two"), "room.lz_m"),
    (lambda: cylinder_room(0.5, 1.0, axis="w"), "room.axis"),
    (lambda: sphere_room(math.inf), "room.radius_m"),
])
def test_bad_sizes_name_the_field(make, field, no_meshing):
    with pytest.raises(SpecError, match=field.replace(".", r"\.")):
        make()


def write(tmp_path, text):
    path = tmp_path / "spec.toml"
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize("text, message", [
    ("[room]\nshape = 'cube'\nlx_m = 1\n", "room.shape must be one of box, cylinder, sphere, ellipsoid; got 'cube'"),
    ("[room]\nshape = 'box'\nlx_m = 1\nly_m = 1\n", "room.lz_m is missing"),
    ("[room]\nlx_m = 1\n", "room.shape is missing"),
    ("[room]\nshape = 'sphere'\nradius_m = 1\nradius = 2\n", "room.radius is not a sphere room key"),
    ("[room]\nshape = 'sphere'\nradius_m = -1\n", "room.radius_m must be a finite number > 0"),
    ("[room]\nshape = 'sphere'\nradius_m = 1\n[mesh]\norder = 3\n", "mesh.order must be 1 or 2"),
    ("[room]\nshape = 'sphere'\nradius_m = 1\n[mesh]\nsize_m = 0\n", "mesh.size_m"),
    ("[room]\nshape = 'sphere'\nradius_m = 1\n[mesh]\nsize = 0.1\n", "mesh.size is not a mesh key"),
    ("[rooom]\nshape = 'sphere'\n", "no \\[room\\] or \\[cavity\\] table"),
    ("[room\nshape = 'sphere'\n", "not valid TOML"),
])
def test_bad_toml(tmp_path, text, message, no_meshing):
    with pytest.raises(SpecError, match=message):
        load_spec(write(tmp_path, text))


def test_missing_file(tmp_path):
    with pytest.raises(SpecError, match="spec file not found"):
        load_spec(tmp_path / "nope.toml")


@pytest.mark.parametrize("kwargs, message", [
    ({"mesh_size_m": -0.1}, "mesh.size_m"),
    ({"mesh_size_m": 0.001}, "would need"),
    ({"mesh_size_m": 50.0}, "at most the room's largest dimension"),
    ({"mesh_size_m": 0.2, "wall_size_m": 0.5}, "must not exceed"),
    ({"order": 3}, "order must be one of 1, 2"),
    ({"tol": 0.5}, "tol must be"),
])
def test_bad_solver_options_before_meshing(kwargs, message, no_meshing):
    with pytest.raises(SpecError, match=message):
        solve_room(box_room(2, 2, 2), **kwargs)


@pytest.fixture(scope="module")
def small_room():
    return solve_room(sphere_room(1.0), order=1, mesh_size_m=0.4)


def test_points_outside_the_room(small_room):
    with pytest.raises(ValueError, match=r"1 point\(s\) outside the sphere room, rows \[1\]"):
        small_room.b_field([[0, 0, 0], [0, 0, 1.2]], "x")


def test_nan_points_and_bad_polarization(small_room):
    with pytest.raises(ValueError, match="not finite"):
        small_room.b_field([[0, np.nan, 0]], "x")
    with pytest.raises(ValueError, match="polarization must be a finite, non-zero"):
        small_room.b_field([[0, 0, 0]], [0, 0, 0])
    with pytest.raises(ValueError, match="polarization must be 'x', 'y', 'z'"):
        small_room.b_field([[0, 0, 0]], "w")
    with pytest.raises(ValueError, match="freq_hz"):
        small_room.signal([[0, 0, 0]], "x", eps=1e-6, freq_hz=-1.0)


def test_quasi_static_warning(small_room):
    with pytest.warns(RuntimeWarning, match="quasi-static"):
        small_room.signal([[0, 0, 0.5]], "x", eps=1.0, freq_hz=1e6)


def test_cli_bad_spec_is_one_line_error(tmp_path, capsys, no_meshing):
    code = main(["room", str(write(tmp_path, "[room]\nshape = 'box'\nlx_m = 1\n")), "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert "room.ly_m is missing" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_cli_bad_standoff_before_meshing(tmp_path, capsys, no_meshing):
    spec = write(tmp_path, "[room]\nshape = 'box'\nlx_m = 1\nly_m = 1\nlz_m = 1\n")
    assert main(["room", str(spec), "--standoff-m", "0.6", "--out", str(tmp_path / "o")]) == 2
    assert "standoff_m must be in" in capsys.readouterr().err
