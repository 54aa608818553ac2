"""The structured box mesher (amails_fem/meshing/structured.py): spacing law, conformity, exact geometry, named
walls, and the room solve on it against the gmsh mesh and an exact solution.

Tolerances: geometry to 1e-12 (the grid's end points are exact, the volume and areas are sums of ~1e4 terms).
Solve at the 15 AMAILS sensors (geometries/amails_network.toml), size 0.25 m / walls 0.125 m, against the gmsh mesh
at half the sizes: measured relative RMS errors of the response matrices 2.7e-3 (gmsh) and 4.2e-3 (structured;
the two references differ by 1.3e-3): asserted < 6e-3 each and within a factor 3 of each other. Convergence on
the long box, whose mid-length wall field is the square duct's (amails_fem/testing/analytic.py; end effects
~exp(-pi) of a small term at the sampled points: the 3:1, 4:1 and 6:1 boxes give the same errors to 4 digits): RMS error of |B| on
patches around the four wall centres, uniform grids h = 0.25, 0.125, 0.0625 m: 2.2e-2, 5.0e-3, 1.1e-3, observed
orders 2.10 and 2.18 (P2: 2 expected), asserted > 1.8.
"""

import numpy as np
import pytest
from skfem import MeshTet1

from amails_fem import units
from amails_fem.errors import SpecError
from amails_fem.geometry import MeshOptions, box_room, cylinder_room, load_spec, parse_room, sphere_room
from amails_fem.meshing import cache
from amails_fem.meshing.room_mesh import size_at_distance_m
from amails_fem.meshing.rooms import mesh_room
from amails_fem.meshing.structured import box_tet_mesh, graded_nodes
from amails_fem.network import load_network
from amails_fem.rooms.solve import solve_room
from amails_fem.specs.openings import Door
from amails_fem.testing.analytic import duct_wall_centre_field

SPEC = box_room(2.0, 1.5, 1.2)


@pytest.mark.parametrize("half, size, wall", [(1.0, 0.2, 0.1), (1.0, 0.044, 0.022), (0.6, 0.3, 0.05),
                                              (1.0, 0.25, 0.25), (0.04, 0.2, 0.1), (0.205, 0.2, 0.1),
                                              (0.22, 0.2, 0.1), (0.09, 0.2, 0.1)])
def test_graded_nodes_follow_the_wall_law(half, size, wall):
    x = graded_nodes(half, size, wall)
    dx = np.diff(x)
    assert x[0] == -half and x[-1] == half
    np.testing.assert_array_equal(x, -x[::-1])  # symmetric, bit for bit
    assert np.all(dx > 0) and dx.max() <= size * (1 + 1e-12)
    if half > wall + size_at_distance_m(wall, size, wall):  # past the third node d_2: the law applies
        assert dx[0] == pytest.approx(wall, rel=1e-12)
        half_dx = dx[: len(dx) // 2]  # the left half (the right one mirrors it)
        law = np.isclose(half_dx, size_at_distance_m(x[:-1] + half, size, wall)[: len(half_dx)], rtol=1e-12, atol=0)
        j = len(half_dx) if law.all() else int(np.argmin(law))  # the centre span starts at the first node off the law
        centre = dx[j: len(dx) - j]
        h_j = size_at_distance_m(x[j] + half, size, wall)
        assert law[:j].all() and (centre.size == 0 or centre.size >= 3)
        assert centre.size == 0 or np.ptp(centre) <= 1e-12 * size  # equal intervals
        assert np.all(centre <= h_j * (1 + 1e-12)) and np.all(centre >= 2 / 3 * h_j * (1 - 1e-12))
    else:
        assert dx.max() <= wall * (1 + 1e-12)


def test_graded_nodes_refuse_bad_sizes():
    with pytest.raises(SpecError, match="mesh.wall_size_m"):
        graded_nodes(1.0, 0.2, -0.1)


@pytest.fixture(scope="module")
def room_mesh():
    return box_tet_mesh(SPEC, 0.3, 0.1)


def test_kuhn_mesh_is_conforming_positive_and_exact(room_mesh):
    m = room_mesh.mesh
    shared = np.bincount(m.t2f.ravel(), minlength=m.facets.shape[1])
    assert set(np.unique(shared)) == {1, 2}  # every facet in one tet (the walls) or two (interior)
    on_surface = np.any(np.isclose(np.abs(m.p[:, m.facets[:, shared == 1]]).max(axis=1),
                                   SPEC.half_m[:, None], rtol=0, atol=0), axis=0)
    assert on_surface.all()  # no hanging face inside
    p = m.p[:, m.t]
    det = np.einsum("ij,ij->j", np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0], axis=0), p[:, 3] - p[:, 0])
    assert np.all(det > 0) and np.all(m.orientation() == 1)
    assert det.sum() / 6 == pytest.approx(SPEC.volume_m3, rel=1e-12)


def test_topology_matches_scikit_fem(room_mesh):
    m = room_mesh.mesh
    own = MeshTet1(m.p, m.t)  # scikit-fem builds facets and edges itself
    for name in ("facets", "edges", "t2f", "t2e"):
        np.testing.assert_array_equal(getattr(m, name), getattr(own, name))


def test_walls_are_the_boundary_with_the_right_names_and_areas(room_mesh):
    m, walls = room_mesh.mesh, room_mesh.walls
    assert tuple(walls) == SPEC.wall_names
    np.testing.assert_array_equal(np.sort(np.concatenate(list(walls.values()))), m.boundary_facets())
    lx, ly, lz = 2 * SPEC.half_m
    area = {"x_min": ly * lz, "x_max": ly * lz, "y_min": lx * lz, "y_max": lx * lz, "floor": lx * ly, "ceiling": lx * ly}
    for axis, names in enumerate((("x_min", "x_max"), ("y_min", "y_max"), ("floor", "ceiling"))):
        for name, sign in zip(names, (-1, 1)):
            v = m.p[:, m.facets[:, walls[name]]]  # (3, 3 vertices, n)
            np.testing.assert_array_equal(v[axis], sign * SPEC.half_m[axis])
            tri = 0.5 * np.linalg.norm(np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0], axis=0), axis=0)
            assert tri.sum() == pytest.approx(area[name], rel=1e-12)


def test_mesh_room_structured_needs_no_gmsh(monkeypatch):
    def no_gmsh(*args, **kwargs):
        raise AssertionError("gmsh was called")

    monkeypatch.setattr(cache, "gmsh_session", no_gmsh)
    spec = box_room(2, 2, 2, mesh=MeshOptions(size_m=0.5, generator="structured"))
    rm = mesh_room(spec)
    assert rm.generator == "structured" and rm.geometric_order == 1 and not rm.from_cache
    assert rm.size_m == 0.5 and rm.wall_size_m == 0.25
    rm2 = mesh_room(box_room(2, 2, 2), size_m=0.5, generator="structured")
    np.testing.assert_array_equal(rm.mesh.t, rm2.mesh.t)


@pytest.mark.parametrize("make, what", [
    (lambda: cylinder_room(0.5, 1.0, mesh=MeshOptions(generator="structured")), "a cylinder room"),
    (lambda: sphere_room(1.0, mesh=MeshOptions(generator="structured")), "a sphere room"),
    (lambda: box_room(2, 2, 2, mesh=MeshOptions(generator="structured"),
                      openings=[Door("y_min", (0.0, -0.05), 0.8, 1.9)]), "a box room with openings"),
    (lambda: MeshOptions(generator="hex"), "mesh.generator must be one of"),
    (lambda: mesh_room(sphere_room(1.0), generator="structured"), "a sphere room"),
])
def test_structured_generator_refuses_other_rooms(make, what):
    with pytest.raises(SpecError, match=what) as err:
        make()
    assert "\n" not in str(err.value)


def test_mesh_generator_from_toml(tmp_path):
    path = tmp_path / "room.toml"
    path.write_text('[room]\nshape = "box"\nlx_m = 2.0\nly_m = 2.0\nlz_m = 2.0\n[mesh]\ngenerator = "structured"\n')
    assert load_spec(path).mesh.generator == "structured"
    with pytest.raises(SpecError, match="room.toml: mesh.generator = 'structured' meshes box rooms"):
        path.write_text('[room]\nshape = "cylinder"\nradius_m = 0.5\nheight_m = 1.0\n[mesh]\ngenerator = "structured"\n')
        load_spec(path)
    assert parse_room({"room": {"shape": "sphere", "radius_m": 1.0}}).mesh.generator == "gmsh"


def test_room_solve_at_the_amails_sensors_matches_gmsh():
    points = np.array([s.position_m for s in load_network("geometries/amails_network.toml").sensors])
    ref = solve_room(box_room(2, 2, 2), mesh_size_m=0.125, wall_size_m=0.0625).response_matrix(points)
    errors = {}
    for generator in ("gmsh", "structured"):
        spec = box_room(2, 2, 2, mesh=MeshOptions(generator=generator))
        r = solve_room(spec, mesh_size_m=0.25, wall_size_m=0.125).response_matrix(points)
        errors[generator] = np.sqrt(np.mean((r - ref) ** 2) / np.mean(ref**2))
    print(errors)
    assert max(errors.values()) < 6e-3
    assert max(errors.values()) < 3 * min(errors.values())


def duct_field(points_m, a=1.0):
    """|B| / (mu0 J) in the cross-section of the infinite square duct of side a centred on the x axis, J along x
    (the series of amails_fem.testing.analytic.duct_wall_centre_field, differentiated in both directions)."""
    u, v = points_m[:, 1] + a / 2, points_m[:, 2] + a / 2
    n = np.arange(1, 400, 2)[:, None]
    k = n * np.pi / a
    c = 4 * a**2 / (n * np.pi) ** 3 / np.cosh(n * np.pi / 2)
    du = (a - 2 * u) / 2 - np.sum(c * k * np.cosh(k * (v - a / 2)) * np.cos(k * u), axis=0)
    dv = -np.sum(c * k * np.sinh(k * (v - a / 2)) * np.sin(k * u), axis=0)
    return np.hypot(du, dv)


def test_duct_field_series_at_the_wall_centre():
    assert duct_field(np.array([[0.0, -0.5, 0.0]]))[0] == pytest.approx(duct_wall_centre_field(1.0), rel=1e-12)


def test_wall_field_converges_at_second_order_on_the_long_box():
    rng = np.random.default_rng(0)
    n = 200
    along, standoff, wall = rng.uniform(-0.25, 0.25, n), rng.uniform(0.005, 0.05, n), rng.integers(0, 4, n)
    pts = np.zeros((n, 3))
    pts[:, 0] = rng.uniform(-0.5, 0.5, n)  # mid-length of the 3 m box
    for w, (axis, sign) in enumerate(((1, -1), (1, 1), (2, -1), (2, 1))):
        pts[wall == w, axis] = sign * (0.5 - standoff[wall == w])
        pts[wall == w, 3 - axis] = along[wall == w]
    exact = duct_field(pts)
    spec = box_room(3.0, 1.0, 1.0, mesh=MeshOptions(generator="structured"))
    sizes = [0.25, 0.125, 0.0625]
    errors = []
    for h in sizes:
        b = np.linalg.norm(solve_room(spec, mesh_size_m=h, wall_size_m=h).b_field(pts, "x"), axis=1) / units.MU0_H_M
        errors.append(np.sqrt(np.mean((b - exact) ** 2) / np.mean(exact**2)))
    orders = np.log(np.array(errors[:-1]) / errors[1:]) / np.log(2.0)
    print(f"errors {errors} orders {orders}")
    assert np.all(orders > 1.8) and errors[-1] < 2e-3
