"""The solver's parts: fast assembly and topology against scikit-fem, preconditioners, convergence checks."""

import numpy as np
import pytest
from skfem import Basis, BilinearForm, ElementTetP1, ElementTetP2, MeshTet1
from skfem.helpers import dot, grad

from amails_fem.errors import ConvergenceError
from amails_fem.geometry import box_room, sphere_room
from amails_fem.mesh import mesh_room
from amails_fem.physics.assembly import stiffness_affine
from amails_fem.physics.linsolve import make_compatible, solve_neumann
from amails_fem.physics.room import assemble_room, solve_room


@pytest.fixture(scope="module")
def box_mesh():
    return mesh_room(box_room(2, 1.5, 1), size_m=0.25)


@pytest.mark.parametrize("order, elem", [(1, ElementTetP1()), (2, ElementTetP2())])
def test_one_matmul_stiffness_equals_skfem(box_mesh, order, elem):
    basis = Basis(box_mesh.mesh, elem, intorder=2)
    reference = BilinearForm(lambda u, v, w: dot(grad(u), grad(v))).assemble(basis)
    fast = stiffness_affine(box_mesh.mesh, basis.element_dofs, basis.N, order)
    assert abs(reference - fast).max() < 1e-12 * abs(reference).max()


def test_fast_topology_equals_skfem():
    for rm in (mesh_room(box_room(2, 2, 2), size_m=0.3), mesh_room(sphere_room(1.0), size_m=0.3, order=2)):
        plain = MeshTet1(np.ascontiguousarray(rm.mesh.p[:, :rm.mesh.nvertices]), rm.mesh.t[:4].copy())
        for name in ("facets", "t2f", "edges", "t2e"):
            np.testing.assert_array_equal(getattr(rm.mesh, name), getattr(plain, name))


def _system(box_mesh):
    basis = Basis(box_mesh.mesh, ElementTetP2(), intorder=1)
    A, rhs, mass = assemble_room(basis, box_mesh.mesh.boundary_facets(), 2, False)
    rhs, defect = make_compatible(rhs, mass)
    return basis, A, rhs, defect


def test_compatible_data_and_two_level_matches_sa(box_mesh):
    from amails_fem.physics.linsolve import p1_to_p2_prolongation

    basis, A, rhs, defect = _system(box_mesh)
    assert defect < 1e-12  # int n . (J x r) dS = int div(J x r) dV = 0 holds to round-off on flat walls
    np.testing.assert_allclose(rhs.sum(axis=1), 0.0, atol=1e-14 * np.abs(rhs).sum())
    x_sa, st_sa = solve_neumann(A, rhs, pin=0, tol=1e-11)
    x_2l, st_2l = solve_neumann(A, rhs, P=p1_to_p2_prolongation(basis), pin=0, tol=1e-11)
    assert np.abs(x_sa - x_2l).max() < 1e-8 * np.abs(x_sa).max()
    assert max(st_2l.iterations) <= max(st_sa.iterations)
    assert all(r <= 1e-10 for r in st_2l.relative_residuals)


def test_non_convergence_raises(box_mesh):
    basis, A, rhs, _ = _system(box_mesh)
    with pytest.raises(ConvergenceError, match="CG stopped at relative residual"):
        solve_neumann(A, rhs, pin=0, tol=1e-11, maxiter=2)


def test_wall_normal_residual_falls_with_refinement():
    coarse = solve_room(box_room(2, 2, 2), mesh_size_m=0.4).wall_normal_residual()
    fine = solve_room(box_room(2, 2, 2), mesh_size_m=0.2).wall_normal_residual()
    assert fine["rms"] < 0.6 * coarse["rms"] and fine["max"] < coarse["max"]
