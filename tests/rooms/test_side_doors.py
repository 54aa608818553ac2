"""Doors in a cylinder room's curved side (docs/openings.md, "Doors in a cylinder's side").

Tolerances and why:
- Geometry: the aperture is the curved patch of the side between two angles and two heights, so its CAD area is
  R dtheta h = width x height exactly (a seam: the ring, width x height - (width - 2 seam)(height - 2 seam)), its
  rim the outline (2 (width + height), plus the leaf's edge), its centre of mass R sin(a)/a on the door's radius
  (a = width / 2R) at the door's height: 1e-6 relative (measured 1e-15), also where the door straddles the
  parametrisation seam of the side (s = 0) or wraps round s = +-pi R.
- J along the axis: n . (J x r) = 0 on every conductor face, so B = (mu0/2) J x r exactly with the door open; the
  joined mesh has straight tetrahedra, so the faceted side is the error (1.5 %, as for the cap openings).
- Flux through the doorway: consistent (Galerkin) flux zero to 1e-9 of the gross flux (round-off of the solve);
  the surface quadrature within 2 % of it (discretisation: measured 0.1-0.3 %).
- A leaf with contact is the closed room in the continuum: at interior points its field at h = 0.2 m must lie as
  close to the closed room at h = 0.1 m (curved P2) as the closed room at h = 0.2 m does, within 25 % (the
  discretisation error of the closed room itself; measured ratio 0.91 for p = x and y).
- A narrow door tends to the closed room: the closed cylinder is symmetric under r -> -r, so B(0) = 0 there for
  every polarization; the door breaks the symmetry. B_z(0) for J along y falls monotonically as the width
  shrinks (measured 3.6e-3, 1.5e-3, 1.0e-3 mu0 J m at widths 0.4, 0.1, 0.025 m on the 0.2 m mesh; the value at
  0.025 m moves by ~1e-3 between meshes of the same size, so only the fall below 0.4 and 0.8 of the widest door's
  value is asserted).
"""

import math
from pathlib import Path

import numpy as np
import pytest

from amails_fem import units
from amails_fem.errors import SpecError
from amails_fem.geometry import Door, MeshOptions, Tube, cylinder_room, load_spec
from amails_fem.meshing.openings import opening_geometry
from amails_fem.rooms.solve import solve_room
from amails_fem.testing.openings import axial_current_error

MU0 = units.MU0_H_M
ROOT = Path(__file__).parents[2]
R, H = 0.5, 1.2
AXES = {"x": (1, 2, 0), "y": (2, 0, 1), "z": (0, 1, 2)}  # (s = 0 direction, s > 0 direction, axis)


def side_door_room(axis="z", **door):
    centre = door.pop("center_m", (0.0, 0.0))
    width = door.pop("width_m", 0.4)
    return cylinder_room(R, H, axis, openings=[Door("side", centre, width, 0.6, **door)])


@pytest.mark.parametrize("axis", ["x", "y", "z"])
@pytest.mark.parametrize("centre_s, seam", [(0.0, None), (1.5, None), (-1.5, 0.05), (0.8, 0.02)])
def test_side_door_aperture_is_the_curved_patch(axis, centre_s, seam):
    spec = side_door_room(axis, center_m=(centre_s, 0.1), seam_m=seam)
    geo = opening_geometry(spec)
    w, h = 0.4, 0.6
    area = w * h if seam is None else w * h - (w - 2 * seam) * (h - 2 * seam)
    rim = 2 * (w + h) + (0 if seam is None else 2 * (w + h - 4 * seam))
    assert geo["area_m2"]["opening_0"] == pytest.approx(area, rel=1e-6)
    assert geo["rim_m"]["opening_0"] == pytest.approx(rim, rel=1e-6)
    assert geo["area_m2"]["side"] == pytest.approx(2 * math.pi * R * H - area, rel=1e-6)
    i1, i2, ia = AXES[axis]
    if seam is None:  # the patch's centre of mass: R sin(a)/a along the door's radius, at its height
        a, phi = 0.5 * w / R, centre_s / R
        expected = np.zeros(3)
        expected[i1], expected[i2] = R * math.sin(a) / a * math.cos(phi), R * math.sin(a) / a * math.sin(phi)
        expected[ia] = 0.1
        assert np.allclose(geo["centre_m"]["opening_0"], expected, atol=1e-6 * R)


def test_open_side_door_axial_field_exact_and_zero_flux():
    resp = solve_room(side_door_room(), order=2, mesh_size_m=0.2)
    for rho in (0.49, 0.55):  # 1 cm inside the side wall, and in the gap
        assert axial_current_error(resp, rho, 0.55) < 1.5e-2
    flux = resp.opening_fluxes()
    gross = np.array(flux["gross"]["opening_0"])
    assert set(flux["surface"]) == {"opening_0"} and gross[:2].min() > 0
    assert np.all(np.abs(flux["consistent"]) < 1e-9 * gross.max())
    assert np.all(np.abs(flux["surface"]["opening_0"]) < 2e-2 * gross.max())
    seamed = solve_room(side_door_room(seam_m=0.05), order=2, mesh_size_m=0.2).opening_fluxes()
    gross = np.array(seamed["gross"]["opening_0"])
    assert np.all(np.abs(seamed["consistent"]) < 1e-9 * gross.max())
    assert np.all(np.abs(seamed["surface"]["opening_0"]) < 2e-2 * gross.max())


def test_side_door_with_contact_is_the_closed_room():
    rng = np.random.default_rng(1)
    rho, ph, z = rng.uniform(0, 0.4, 200), rng.uniform(0, 2 * np.pi, 200), rng.uniform(-0.4, 0.4, 200)
    pts = np.stack([rho * np.cos(ph), rho * np.sin(ph), z], 1)
    fine = solve_room(cylinder_room(R, H, "z"), order=2, mesh_size_m=0.1)
    coarse = solve_room(cylinder_room(R, H, "z"), order=2, mesh_size_m=0.2)
    contact = solve_room(side_door_room(seam_m=0.0), order=2, mesh_size_m=0.2)
    assert contact.components == {"parts": 2, "floating": 2}  # the gap is a part of its own
    for p in "xy":
        ref = fine.b_field(pts, p)
        err_closed = np.linalg.norm(coarse.b_field(pts, p) - ref, axis=1).max()
        err_contact = np.linalg.norm(contact.b_field(pts, p) - ref, axis=1).max()
        assert err_contact < 1.25 * err_closed, (p, err_contact / err_closed)
    exact = 0.5 * MU0 * np.cross([0.0, 0.0, 1.0], pts)
    assert np.abs(contact.b_field(pts, "z") - exact).max() < 1e-2 * np.abs(exact).max()


def test_narrow_side_door_tends_to_the_closed_room():
    centre = []
    for width in (0.4, 0.1, 0.025):
        resp = solve_room(side_door_room(width_m=width), order=2, mesh_size_m=0.2)
        centre.append(abs(float(resp.b_field([[0.0, 0.0, 0.0]], "y")[0, 2])) / MU0)
    print(f"B_z(0) / (mu0 J m) for J along y at door widths 0.4, 0.1, 0.025 m: {centre}")
    assert centre[1] < 0.8 * centre[0] and centre[2] < 0.4 * centre[0]


@pytest.mark.parametrize("openings, message", [
    ([Door("side", (0, 0.3), 0.4, 0.6)], "center_m (0.0, 0.3) m puts the door off the side: |z| must stay below"),
    ([Door("side", (0, 0), 0.4, 1.19)], "height_m = 1.19 m must be below 1.176 m"),
    ([Door("side", (0, 0), 0.8, 0.6)], "width_m = 0.8 m must be at most pi R / 2 = 0.785398 m"),
    ([Door("side", (1.7, 0), 0.4, 0.6)], "center_m (1.7, 0.0) m puts the opening off the side"),
    ([Door("side", (0, 0), 0.4, 0.6), Tube("side", (0.25, 0.0), 0.03, 0.0)], "twice its radius"),
    ([Door("side", (0, 0), 0.4, 0.6), Tube("side", (0.0, 0.38), 0.05, 0.0)], "twice its radius"),
    ([Door("side", (1.5, 0), 0.4, 0.6), Door("side", (-1.4, 0.1), 0.2, 0.6)], "s wraps at +-pi R"),
    ([Door("side", (0, 0), 0.4, 0.6), Door("side", (0.3, 0.0), 0.3, 0.2)], "overlap on wall side"),
])
def test_bad_side_doors_refused_before_meshing(openings, message):
    with pytest.raises(SpecError, match=None) as err:
        cylinder_room(R, H, "z", openings=openings)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_side_door_fields():
    with pytest.raises(SpecError, match="seam_m must be below half the door's smaller side"):
        Door("side", (0, 0), 0.4, 0.6, seam_m=0.2)
    apart = cylinder_room(R, H, "z", openings=[Door("side", (1.5, 0), 0.4, 0.6), Door("side", (-1.2, 0), 0.2, 0.6),
                                               Tube("side", (0.0, 0.0), 0.05, 0.05)])
    assert len(apart.openings) == 3
    pts = np.array([[R, 0.0, 0.0], [-R, 0.0, 0.0], [-R * math.cos(0.05), -R * math.sin(0.05), 0.0]])
    assert apart.in_opening_footprint(pts).tolist() == [True, True, True]  # the tube and the wrapped door
    closed = cylinder_room(R, H, "z", openings=[Door("side", (-R * math.pi, 0), 0.4, 0.6, seam_m=0.0)])
    assert not closed.in_opening_footprint(pts).any()


def test_side_door_spec_file_and_default_rim(tmp_path):
    spec = load_spec(ROOT / "geometries/cylinder_room_door.toml")
    door = spec.openings[0]
    assert spec.shape == "cylinder" and door.wall == "side" and door.kind == "door"
    path = tmp_path / "cyl.toml"
    path.write_text('[room]\nshape = "cylinder"\nradius_m = 0.5\nheight_m = 1.2\n\n[[openings]]\nkind = "door"\n'
                    'wall = "side"\ncenter_m = [0.0, 0.0]\nwidth_m = 0.9\nheight_m = 0.6\n')
    with pytest.raises(SpecError, match=r"openings\[0\].*width_m = 0.9 m must be at most pi R / 2"):
        load_spec(path)
    spec = cylinder_room(R, H, "z", openings=[Door("side", (0, 0), 0.4, 0.6)], mesh=MeshOptions(opening_size_m=1e-5))
    with pytest.raises(SpecError, match="opening_size_m"):
        solve_room(spec, order=2, mesh_size_m=0.2)


def test_side_door_into_the_lab_on_an_x_axis_cylinder():
    """The door's aperture facets sit where center_m puts them ((s, z) = (0.3, 0.1) m: 0.6 rad from +y towards +z,
    0.1 m along x; measured 0.59999 rad, 0.10000 m), the axial current stays exact and the flux through the door
    into the lab is zero."""
    spec = cylinder_room(R, H, "x", openings=[Door("side", (0.3, 0.1), 0.4, 0.6, leads_to="lab", lab_m=0.3)])
    resp = solve_room(spec, order=2, mesh_size_m=0.2)
    mesh, facets = resp.room_mesh.mesh, resp.room_mesh.apertures["opening_0"]
    X = mesh.p[:, mesh.facets[:, facets]]  # (3, 3 vertices, n)
    area = 0.5 * np.linalg.norm(np.cross(X[:, 1] - X[:, 0], X[:, 2] - X[:, 0], axis=0), axis=0)
    c = (X.mean(axis=1) * area).sum(axis=1) / area.sum()
    assert area.sum() == pytest.approx(0.4 * 0.6, rel=1e-2)  # the faceted patch (chords): measured 0.05 % low
    assert math.atan2(c[2], c[1]) == pytest.approx(0.6, abs=1e-2) and c[0] == pytest.approx(0.1, abs=1e-2)
    assert np.allclose(np.hypot(X[1], X[2]), R, atol=1e-9 * R)  # every aperture vertex on the side
    rng = np.random.default_rng(2)
    pts = rng.uniform(-0.3, 0.3, (100, 3))
    exact = 0.5 * MU0 * np.cross([1.0, 0.0, 0.0], pts)
    assert np.abs(resp.b_field(pts, "x") - exact).max() < 1.5e-2 * np.abs(exact).max()
    flux = resp.opening_fluxes()
    gross = np.array(flux["gross"]["opening_0"])
    assert len(gross) == 6 and np.all(np.abs(flux["consistent"]) < 1e-9 * gross.max())  # 3 p + 3 ambient
