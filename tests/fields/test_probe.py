"""`amails-fem probe` and fields.probe: the field at points on a line or from a CSV, against the exact sphere field.

In a perfectly conducting sphere psi = const and B = mu0 J x r / 2 exactly (docs/physics.md sec. 2), so the only
error is the discrete curved wall: the README's validation table measures 5.9e-5 at P2, h = 0.3 m; the tolerance
here, 1e-3 of max |B| at h = 0.5 m, allows the coarser mesh.
"""

import numpy as np
import pytest
import xarray as xr

from amails_fem import units
from amails_fem.cli import main
from amails_fem.fields.probe import line_points, probe_dataset
from amails_fem.geometry import sphere_room
from amails_fem.io.files import data_path
from amails_fem.plotting.probe import plot_probe
from amails_fem.rooms.solve import solve_room
from amails_fem.rooms.sources import half_cross_matrix

SPHERE = "[room]\nshape = 'sphere'\nradius_m = 1.0\n[mesh]\nsize_m = 0.5\norder = 2\n"


@pytest.fixture(scope="module")
def sphere():
    return solve_room(sphere_room(1.0), order=2, mesh_size_m=0.5)


def test_probe_dataset_is_the_solver_evaluation_and_the_exact_field(sphere):
    pts, s = line_points([-0.98, 0.1, 0.0], [0.5, 0.5, 0.6], 25)
    ds = probe_dataset(sphere, pts, eps=1e-6, freqs_hz=[1.0, 100.0], distance_m=s)
    per = ds["b_perfect_per_current"].values  # (point, component, polarization)
    np.testing.assert_array_equal(per, sphere.response_matrix(pts))  # the solver's own point evaluation
    exact = units.MU0_H_M * half_cross_matrix(pts)
    assert np.abs(per - exact).max() < 1e-3 * np.abs(exact).max()
    j = [units.j_eff_a_m2(1e-6, f) for f in (1.0, 100.0)]
    np.testing.assert_allclose(ds["b_perfect"].values, np.array(j)[:, None, None, None] * per[None], rtol=1e-14)
    assert ds["b_perfect"].dims == ("frequency", "point", "component", "polarization")
    assert ds["b_perfect"].attrs["units"] == "T" and ds["b_perfect_per_current"].attrs["units"] == "T m2 A-1"
    assert ds["x_m"].attrs["units"] == "m" and ds["frequency"].attrs["units"] == "Hz"
    np.testing.assert_allclose(ds["distance_m"].values[-1], np.linalg.norm([1.48, 0.4, 0.6]))
    fig = plot_probe(ds, freq_index=1)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["|B| perfect walls", "B_x perfect walls", "B_y perfect walls", "B_z perfect walls"]
    assert fig.axes[0].get_ylabel() == "B (T) for eps = 1e-06 at 100 Hz"
    assert fig.axes[0].get_xlabel() == "distance along the line (m)"


def test_probe_command_line_and_csv(tmp_path, capsys):
    spec = tmp_path / "sphere.toml"
    spec.write_text(SPHERE)
    out = tmp_path / "p"
    rc = main(["probe", str(spec), "--line-m", "-0.9,0,0", "0.9,0,0", "--n-points", "19", "--eps", "1e-3",
               "--freq-hz", "10", "--out", str(out), "--quiet"])
    assert rc == 0 and capsys.readouterr().err == ""
    with xr.open_dataset(out / "probe.nc", engine="h5netcdf") as ds:
        assert dict(ds.sizes) == {"point": 19, "component": 3, "polarization": 3, "frequency": 1}
        assert ds.attrs["Conventions"] == "CF-1.8" and ds.attrs["eps"] == 1e-3 and ds.attrs["order"] == 2
        assert "b_walls_real" not in ds  # no [walls] table: perfect conductor only
        x = ds["x_m"].values
        b = ds["b_perfect"].values[0, :, :, 2]  # J along z: B = mu0 J (-y, x, 0) / 2
        expect = units.MU0_H_M * units.j_eff_a_m2(1e-3, 10.0) * x / 2
        assert np.abs(b[:, 1] - expect).max() < 1e-3 * np.abs(expect).max()
    assert (out / "probe.png").stat().st_size > 10_000
    csv = tmp_path / "pts.csv"
    csv.write_text("x_m,y_m,z_m\n0.5,0,0\n# a comment\n0,0.5,0.2\n")
    rc = main(["probe", str(spec), "--points", str(csv), "--out", str(tmp_path / "q"), "--quiet"])
    assert rc == 0
    with xr.open_dataset(tmp_path / "q" / "probe.nc", engine="h5netcdf") as ds:
        np.testing.assert_array_equal(ds["y_m"].values, [0.0, 0.5])
        assert "distance_m" not in ds.coords


def test_probe_with_walls_adds_the_real_wall_field(tmp_path):
    """The AMAILS stack at 1 Hz: the wall-centre signal is ~0.77 of the perfect conductor's (README table)."""
    out = tmp_path / "w"
    rc = main(["probe", str(data_path("amails_room_mumetal.toml")), "--line-m", "0.95,0,0", "0.95,0.5,0",
               "--n-points", "2", "--freq-hz", "1", "--mesh-size-m", "0.5", "--out", str(out), "--quiet"])
    assert rc == 0
    with xr.open_dataset(out / "probe.nc", engine="h5netcdf") as ds:
        ratio = ds["b_walls_magnitude"].values[0, :, 2] / ds["b_perfect_magnitude"].values[0, :, 2]
        assert 0.7 < ratio[0] < 0.85 and 0.95 < ratio[1] < 1.1
        assert np.abs(ds["b_walls_imag"].values).max() > 0
        assert ds["b_walls_per_current_real"].attrs["units"] == "T m2 A-1"


@pytest.mark.parametrize("argv, message", [
    (["--line-m", "0,0,0", "2,0,0"], "outside the sphere room"),
    (["--line-m", "0,0,0", "0.5,0,0", "--n-points", "1"], "--n-points must be an integer in [2, 100000]"),
    (["--line-m", "0,0", "0.5,0,0"], "--line-m must have shape (N, 3)"),
    (["--points", "missing.csv"], "--points: file not found"),
    (["--line-m", "0,0,0", "0.5,0,0", "--freq-hz", "0"], "--freq-hz must lie in"),
    (["--line-m", "0,0,0", "0.5,0,0", "--eps", "-1"], "--eps must be a finite number > 0"),
])
def test_probe_bad_input_before_any_work(argv, message, tmp_path, capsys):
    spec = tmp_path / "sphere.toml"
    spec.write_text(SPHERE)
    assert main(["probe", str(spec), *argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err and "meshing" not in err
