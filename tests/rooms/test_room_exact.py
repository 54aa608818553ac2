"""Room solver against exact solutions (docs/physics.md sec. 2).

Tolerances: 0.2 % at the wall for the P2 solution on a moderate mesh (sphere and
cylinder, where psi = const and the only error is the discrete normal of the curved wall), 1 % for
the long duct (the Fourier series is exact for the infinite duct; end effects decay as
exp(-pi z / a) and are ~1e-5 at mid-length of an 8:1 box), and 0.1 % for the ellipsoid, whose
exact psi = kappa x y is nontrivial (measured 6e-4 at size 0.2 m, 1.4e-4 at 0.1 m).
"""

import numpy as np
import pytest

from amails_fem import units
from amails_fem.fields.fieldmap import wall_patches
from amails_fem.geometry import box_room, cylinder_room, ellipsoid_room, sphere_room
from amails_fem.rooms.solve import solve_room
from amails_fem.testing.analytic import duct_wall_centre_field, ellipsoid_kappa


def wall_points(spec, standoff=0.01, n=9):
    return np.concatenate([p.points_m.reshape(-1, 3) for p in wall_patches(spec, standoff, n)])


def rel_rms(b, exact):
    return float(np.sqrt(np.mean(np.sum((b - exact) ** 2, 1)) / np.mean(np.sum(exact**2, 1))))


def half_cross(p, pts):
    return 0.5 * units.MU0_H_M * np.cross(p, pts)


@pytest.mark.parametrize("pol", ["x", "y", "z"])
def test_sphere_field_is_half_j_cross_r(pol):
    spec = sphere_room(1.0)
    resp = solve_room(spec, order=2, mesh_size_m=0.3)
    pts = wall_points(spec)
    p = np.eye(3)["xyz".index(pol)]
    exact = half_cross(p, pts)
    err = np.max(np.linalg.norm(resp.b_field(pts, pol) - exact, axis=1) / np.linalg.norm(exact, axis=1).max())
    assert err < 2e-3


def test_cylinder_axial_polarization_exact_at_wall():
    spec = cylinder_room(0.5, 1.5, axis="x")
    resp = solve_room(spec, order=2, mesh_size_m=0.12)
    pts = wall_points(spec, standoff=1e-4)
    exact = half_cross(np.array([1.0, 0, 0]), pts)
    assert rel_rms(resp.b_field(pts, "x"), exact) < 2e-3
    side = pts[np.abs(np.abs(pts[:, 0]) - 0.75) > 0.05]  # off the caps
    mag = np.linalg.norm(resp.b_field(side, [1, 0, 0]), axis=1)
    rho = np.linalg.norm(side[:, 1:], axis=1)
    np.testing.assert_allclose(mag[rho > 0.49], units.MU0_H_M * rho[rho > 0.49] / 2, rtol=2e-3)




def test_duct_series_value():
    assert duct_wall_centre_field(1.0) == pytest.approx(0.3377, abs=5e-5)  # the duct series, l = 0


def test_long_box_mid_length_wall_field_matches_square_duct():
    a = 1.0
    spec = box_room(8 * a, a, a)
    resp = solve_room(spec, order=2, mesh_size_m=0.2, wall_size_m=0.1)
    exact = units.MU0_H_M * duct_wall_centre_field(a)
    pts = np.array([[0.0, -a / 2, 0.0], [0.0, a / 2, 0.0], [0.0, 0.0, -a / 2], [0.0, 0.0, a / 2]])
    b = resp.b_field(pts, "x")
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), exact, rtol=1e-2)
    assert np.all(np.abs(b[:, 0]) < 5e-3 * exact)  # no axial field far from the end caps (discretisation: 4e-3)


def test_ellipsoid_nontrivial_exact_solution():
    spec = ellipsoid_room(1.0, 0.7, 0.5)
    resp = solve_room(spec, order=2, mesh_size_m=0.2)
    pts = wall_points(spec)
    a, b = 1.0, 0.7
    kappa = ellipsoid_kappa(a, b)
    x, y = pts[:, 0], pts[:, 1]
    exact = units.MU0_H_M * np.stack([-y / 2 + kappa * y, x / 2 + kappa * x, 0 * x], 1)
    assert rel_rms(resp.b_field(pts, "z"), exact) < 1e-3


def test_ampere_loop_integral_equals_mu0_j_times_area():
    """Any closed loop in the room: the circulation of B is mu0 J . S (Stokes on curl B = mu0 J)."""
    resp = solve_room(box_room(2, 2, 2), order=2, mesh_size_m=0.3)
    t = np.linspace(0, 2 * np.pi, 801)[:-1]
    dt = t[1] - t[0]
    for centre, radius in (((0.0, 0.0, 0.0), 0.9), ((0.3, -0.4, 0.2), 0.5)):
        loop = np.array(centre) + radius * np.stack([np.cos(t), np.sin(t), 0 * t], 1)  # normal +z
        tangent = radius * np.stack([-np.sin(t), np.cos(t), 0 * t], 1)
        for pol, expected in (("z", units.MU0_H_M * np.pi * radius**2), ("x", 0.0)):
            circulation = np.sum(np.einsum("ij,ij->i", resp.b_field(loop, pol), tangent)) * dt
            assert circulation == pytest.approx(expected, abs=2e-3 * units.MU0_H_M * np.pi * radius**2)


def test_cube_linearity_and_symmetry():
    spec = box_room(2, 2, 2)
    resp = solve_room(spec, order=2, mesh_size_m=0.125)
    rng = np.random.default_rng(1)
    pts = rng.uniform(-0.95, 0.95, size=(40, 3))
    p = np.array([1.0, 1.0, 0.0]) / np.sqrt(2)
    np.testing.assert_allclose(resp.b_field(pts, p), (resp.b_field(pts, "x") + resp.b_field(pts, "y")) / np.sqrt(2),
                               rtol=1e-12, atol=1e-20)
    np.testing.assert_allclose(resp.b_field(pts, [2, 2, 0]), resp.b_field(pts, p), rtol=1e-12)
    # 90 degree rotation about z, Q: x -> y. B_y(Q r) = Q B_x(r): the cube is invariant, the mesh only nearly,
    # so the defect is discretisation error: 1.2e-2, 3.9e-3, 1.3e-3 of max |B| at sizes 0.25, 0.125, 0.0625 m
    Q = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    bx = resp.b_field(pts, "x")
    by_rot = resp.b_field(pts @ Q.T, "y")
    scale = np.abs(bx).max()
    assert np.max(np.abs(by_rot - bx @ Q.T)) < 6e-3 * scale
    # the three polarizations give the same maximal wall field on a cube
    walls = wall_points(spec, n=15)
    maxima = [np.linalg.norm(resp.b_field(walls, q), axis=1).max() for q in "xyz"]
    assert max(maxima) / min(maxima) - 1 < 5e-3
