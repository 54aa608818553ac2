"""field.vtu at P2: quadratic 10-node tetrahedra on the solution's own nodes, each value the solver's point evaluation
there (to round-off, 1e-12 of max |B|), per unit current and in tesla; metadata as text ParaView shows."""

import json

import numpy as np
import pytest

from amails_fem import units
from amails_fem.fields.export import write_field_vtu
from amails_fem.geometry import box_room, sphere_room
from amails_fem.io.vtu import VTK_CELL_TYPES, read_field_json, read_field_text, read_vtu
from amails_fem.rooms.solve import solve_room


@pytest.mark.parametrize("spec, size", [(box_room(2.0, 1.5, 1.0), 0.4), (sphere_room(1.0), 0.5)])
def test_p2_vtu_nodes_hold_the_solver_evaluation(spec, size, tmp_path):
    resp = solve_room(spec, order=2, mesh_size_m=size)
    meta = {"spec_hash": spec.spec_hash(), "element_order": 2, "mesh_size_m": size}
    path = write_field_vtu(resp, tmp_path / "field.vtu", meta, eps=1e-6, freq_hz=50.0)
    grid = read_vtu(path)
    assert set(np.unique(grid.celltypes)) == {VTK_CELL_TYPES["tetra10"]}
    assert grid.n_cells == resp.basis.mesh.t.shape[1] and grid.n_points == resp.basis.N
    np.testing.assert_allclose(grid.points, resp.basis.doflocs.T, rtol=0, atol=1e-12)  # curved nodes kept
    R = resp.response_matrix(grid.points)
    scale = np.abs(R).max()
    for k, p in enumerate("xyz"):
        assert np.abs(grid.point_data[f"B_p{p}_T_per_A_m2"] - R[:, :, k]).max() < 1e-12 * scale
        np.testing.assert_allclose(grid.point_data[f"B_p{p}_T"], units.j_eff_a_m2(1e-6, 50.0) * R[:, :, k],
                                   rtol=1e-12, atol=1e-12 * scale * units.j_eff_a_m2(1e-6, 50.0))
    # edge nodes sit between their vertices (VTK's quadratic-tetra order 01, 12, 02, 03, 13, 23) up to curvature
    cells = grid.cells.reshape(-1, 11)[:, 1:]
    pts = grid.points[cells]
    for e, (i, j) in enumerate(((0, 1), (1, 2), (0, 2), (0, 3), (1, 3), (2, 3))):
        gap = np.linalg.norm(pts[:, 4 + e] - (pts[:, i] + pts[:, j]) / 2, axis=1)
        assert gap.max() < (1e-12 if spec.shape == "box" else 0.05 * size)
    units_text = read_field_text(path, "units")
    assert "tesla per 1 A/m^2" in units_text[0] and "eps = 1e-06 at f = 50 Hz" in units_text[1]
    assert "mesh_size_m: " + json.dumps(size) in read_field_text(path, "provenance")
    assert read_field_json(path) == meta


def test_p1_vtu_uses_linear_tetrahedra(tmp_path):
    resp = solve_room(sphere_room(1.0), order=1, mesh_size_m=0.5)
    grid = read_vtu(write_field_vtu(resp, tmp_path / "f.vtu"))
    assert set(np.unique(grid.celltypes)) == {VTK_CELL_TYPES["tetra"]}
    R = resp.response_matrix(grid.points)
    assert np.abs(grid.point_data["B_pz_T_per_A_m2"] - R[:, :, 2]).max() < 1e-12 * np.abs(R).max()
