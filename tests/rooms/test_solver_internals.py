"""The solver's parts: fast assembly and topology against scikit-fem, preconditioners, convergence checks."""

import numpy as np
import pytest
from skfem import Basis, BilinearForm, ElementTetP1, ElementTetP2, MeshTet1
from skfem.helpers import dot, grad

from amails_fem.errors import ConvergenceError
from amails_fem.fem.assembly import stiffness_affine
from amails_fem.fields.diagnostics import wall_normal_residual
from amails_fem.geometry import box_room, sphere_room
from amails_fem.linalg.krylov import make_compatible, solve_neumann
from amails_fem.meshing.rooms import mesh_room
from amails_fem.rooms.model import assemble_room
from amails_fem.rooms.solve import solve_room


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
    from amails_fem.linalg.amg import p1_to_p2_prolongation

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
    coarse = wall_normal_residual(solve_room(box_room(2, 2, 2), mesh_size_m=0.4))
    fine = wall_normal_residual(solve_room(box_room(2, 2, 2), mesh_size_m=0.2))
    assert fine["rms"] < 0.6 * coarse["rms"] and fine["max"] < coarse["max"]


def _shifted_system(box_mesh):
    """The room's P2 stiffness A and the wall Laplacian S of the impedance-wall solver, pinned at DOF 0."""
    from amails_fem.linalg.amg import p1_to_p2_prolongation
    from amails_fem.rooms.impedance import assemble_wall_terms

    basis, A, rhs, _ = _system(box_mesh)
    S, _b1 = assemble_wall_terms(basis, box_mesh.mesh.boundary_facets(), 2)
    idx = np.arange(1, basis.N)
    return A[idx][:, idx].tocsr(), S[idx][:, idx].tocsr(), rhs[:, idx], p1_to_p2_prolongation(basis)[idx].tocsr()


def test_shared_pattern_equals_sparse_sums(box_mesh):
    import scipy.sparse as sp

    from amails_fem.linalg.reduced_basis import SharedPattern

    A, S, _, _ = _shifted_system(box_mesh)
    outside = sp.csr_matrix(([2.0, 0.0], ([0, 5], [A.shape[0] - 1, 7])), shape=A.shape)  # not in A's pattern
    for S_list in ([S], [S, outside + outside.T]):
        pattern = SharedPattern(A, S_list)
        for shifts in ([0.3, 40.0], [7.0, 0.0]):
            K, U = pattern.matrix(shifts[: len(S_list)], with_upper=True)
            exact = A + sum(s * M for s, M in zip(shifts, S_list))
            assert abs(K - exact).max() <= 1e-14 * abs(exact).max()
            assert abs(U - sp.triu(exact, 1)).max() <= 1e-14 * abs(exact).max()


def test_galerkin_refresh_gives_exact_coarse_operators_and_converges(box_mesh):
    from scipy.sparse.linalg import cg

    from amails_fem.linalg.amg import galerkin_refresh, sa_solver, two_level_preconditioner

    A, S, rhs, P = _shifted_system(box_mesh)
    Pt = P.T.tocsr()
    ml = sa_solver((Pt @ (A + 0.5 * S) @ P).tocsr())
    iterations = {}
    for s in (0.5, 300.0):  # the hierarchy built at s = 0.5, refreshed at s = 300 (and kept when fresh)
        K = (A + s * S).tocsr()
        Kc = (Pt @ K @ P).tocsr()
        if s != 0.5:
            galerkin_refresh(ml, Kc)
        for fine, coarse in zip(ml.levels[:-1], ml.levels[1:]):
            exact = fine.R @ fine.A @ fine.P
            assert abs(coarse.A - exact).max() <= 1e-12 * abs(exact).max()
        count = [0]
        M = two_level_preconditioner(K, P, ml.aspreconditioner(cycle="V"))
        x, _ = cg(K, rhs[0], rtol=1e-10, maxiter=200, M=M, callback=lambda _: count.__setitem__(0, count[0] + 1))
        assert np.linalg.norm(rhs[0] - K @ x) <= 1e-9 * np.linalg.norm(rhs[0])
        fresh = [0]
        M = two_level_preconditioner(K, P, sa_solver(Kc).aspreconditioner(cycle="V"))
        cg(K, rhs[0], rtol=1e-10, maxiter=200, M=M, callback=lambda _: fresh.__setitem__(0, fresh[0] + 1))
        iterations[s] = (count[0], fresh[0])
    assert all(reused <= new + 2 for reused, new in iterations.values()), iterations


@pytest.mark.parametrize("order", [1, 2])
def test_direct_wall_terms_equal_scikit_fem_forms(box_mesh, order):
    from amails_fem.rooms.impedance import assemble_wall_terms
    from amails_fem.rooms.model import room_basis

    basis = room_basis(box_mesh, order)
    facets = box_mesh.mesh.boundary_facets()[::3]  # a scattered subset: every facet orientation and wall
    S, b1 = assemble_wall_terms(basis, facets)  # straight mesh: the direct assembly
    S_ref, b1_ref = assemble_wall_terms(basis, facets, 4, affine=False)  # scikit-fem forms on a FacetBasis
    assert abs(S - S_ref).max() <= 1e-13 * abs(S_ref).max()
    assert np.abs(b1 - b1_ref).max() <= 1e-13 * np.abs(b1_ref).max()


@pytest.mark.parametrize("smoother_dtype, rtol", [(np.float64, 1e-10), (np.float32, 1e-5)])
def test_shifted_two_level_equals_a_galerkin_refresh_per_shift(box_mesh, smoother_dtype, rtol):
    """linalg/shifted_amg.py (every level refreshed by multiply-adds on fixed patterns) against the per-shift path
    it replaced: the SA hierarchy of the first shift, galerkin_refresh (sparse products R A P) and a new
    BlockTwoLevel for each shift. Both are the same operator, so they agree to round-off (1e-10 relative with
    float64 fine sweeps: the levels are summed in another order; 1e-5 with float32 ones, whose copy of the values
    must follow each shift: a stale copy is off by the shift's change, O(1)), with the fine operator A + s S."""
    from amails_fem.linalg.amg import galerkin_refresh, sa_solver
    from amails_fem.linalg.block_amg import BlockTwoLevel
    from amails_fem.linalg.shifted_amg import ShiftedTwoLevel

    A, S, rhs, P = _shifted_system(box_mesh)
    Pt = P.T.tocsr()
    shifted = ShiftedTwoLevel(A, [S], P, Pt=Pt, coarse_dtype=np.float64, smoother_dtype=smoother_dtype)
    ml = None
    X = np.ascontiguousarray(np.random.default_rng(1).standard_normal((A.shape[0], 3)))
    for s in (0.5, 300.0, 7.0):  # the hierarchy of s = 0.5, then two refreshes
        K = (A + s * S).tocsr()
        Kc = (Pt @ K @ P).tocsr()
        if ml is None:
            ml = sa_solver(Kc)
        else:
            galerkin_refresh(ml, Kc)
        old = BlockTwoLevel(K, P, coarse_dtype=np.float64, ml=ml, Pt=Pt, smoother_dtype=smoother_dtype)
        new = shifted.at([s])
        assert np.abs(new.A.matmul(X) - K @ X).max() <= 1e-13 * np.abs(K @ X).max()
        ref = old(X)
        assert np.abs(new(X) - ref).max() <= rtol * np.abs(ref).max(), s


def test_frequency_grid_block_path_matches_scipy_path(box_mesh):
    """The grid's default snapshot path (block CG on the shifted hierarchy, compiled products for A V and S V)
    against the reference path (scipy's cg per right-hand side, pyamg sweeps, galerkin_refresh): the same greedy
    to the basis tolerance, so the solutions at every grid point agree to a few times rb_tol (3e-9)."""
    from amails_fem.linalg.reduced_basis import solve_frequency_grid

    A, S, rhs, P = _shifted_system(box_mesh)
    _, b1 = assemble_b1(box_mesh)
    lengths = (np.geomspace(0.1, 1.0, 5) * np.exp(0.6j))[None, :]  # complex l with Im l > 0 (lossy walls)
    out = {}
    for method in ("block", "scipy"):
        V, Y, st = solve_frequency_grid(A, [S], rhs, [b1], lengths, P=P, tol=1e-10, direct=False,
                                        snapshots="real", cg_method=method)
        assert st.max_relative_residual <= st.tolerance and st.kinds.count("real") >= 2
        out[method] = np.einsum("nm,fkm->fkn", V, Y)
    ref = out["scipy"]
    assert np.abs(out["block"] - ref).max() <= 2e-8 * np.abs(ref).max()


def assemble_b1(box_mesh):
    """The wall load b1 of _shifted_system's wall Laplacian (pinned at DOF 0 likewise)."""
    from amails_fem.rooms.impedance import assemble_wall_terms
    from amails_fem.rooms.model import room_basis

    S, b1 = assemble_wall_terms(room_basis(box_mesh, 2), box_mesh.mesh.boundary_facets(), 2)
    return S, b1[:, 1:]


def test_orthonormal_block_with_cancellation_inside_the_block():
    """The residual basis of the frequency grid: a block whose columns nearly repeat each other (1e-10 apart, and
    nearly inside the older columns) still gives orthonormal columns to 1e-14 and coordinates that rebuild every
    added column to 1e-14 of its norm (_Orthonormal's re-orthogonalisation; without it the loss of orthogonality
    here is 3e-12)."""
    from amails_fem.linalg.reduced_basis import _Orthonormal

    rng = np.random.default_rng(3)
    n = 4000
    basis = _Orthonormal(n)
    old = rng.standard_normal((n, 5))
    basis.add_many(old)
    added = [old]
    for _ in range(3):
        c = basis.Q @ rng.standard_normal(basis.k) + 1e-5 * rng.standard_normal(n)
        block = np.column_stack([c, c + 1e-10 * rng.standard_normal(n), rng.standard_normal(n)])
        basis.add_many(block)
        added.append(block)
    C = np.column_stack(added)
    Q = basis.Q
    assert np.abs(Q.T @ Q - np.eye(basis.k)).max() < 1e-14
    M = basis.matrix(list(range(C.shape[1])))
    assert np.abs(Q @ M - C).max() < 1e-14 * np.abs(C).max()
