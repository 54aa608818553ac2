"""The fast room path against the reference path: CSR-pattern assembly, exact wall loads, the local DOF numbering,
the compiled block kernels and the block CG (docs/performance.md sec. 8)."""

import numpy as np
import pytest
import scipy.sparse as sp
from pyamg.relaxation.relaxation import gauss_seidel
from scipy.sparse.linalg import cg
from skfem import Basis, ElementTetP1, ElementTetP2, FacetBasis

from amails_fem.fem.assembly import CsrPattern, stiffness_affine, stiffness_csr
from amails_fem.fem.facet_loads import p2_linear_loads
from amails_fem.fem.forms import unit_load
from amails_fem.fem.numbering import inverse_permutation, local_order
from amails_fem.geometry import MeshOptions, box_room, cylinder_room
from amails_fem.linalg import block_amg
from amails_fem.linalg.amg import p1_to_p2_prolongation, two_level_preconditioner
from amails_fem.linalg.block_amg import BlockLevel, BlockTwoLevel
from amails_fem.linalg.krylov import block_cg, make_compatible, pin_identity, pin_prolongation, solve_neumann
from amails_fem.meshing.read import boundary_facets
from amails_fem.meshing.rooms import mesh_room
from amails_fem.rooms.model import assemble_room, room_basis
from amails_fem.rooms.perfect import solve_perfect_room
from amails_fem.rooms.sources import neumann_load, neumann_values


@pytest.fixture(scope="module")
def room():
    rm = mesh_room(box_room(2, 1.5, 1), size_m=0.25)
    return rm, Basis(rm.mesh, ElementTetP2(), intorder=1)


@pytest.mark.parametrize("order, elem", [(1, ElementTetP1()), (2, ElementTetP2())])
def test_csr_pattern_assembly_equals_coo(room, order, elem):
    basis = Basis(room[0].mesh, elem, intorder=1)
    coo = stiffness_affine(basis.mesh, basis.element_dofs, basis.N, order)
    pattern = CsrPattern(basis.element_dofs, basis.N)
    fast = stiffness_csr(basis.mesh, pattern, order)
    assert pattern.indices.dtype == np.int32 and fast.has_sorted_indices
    assert fast.nnz == coo.nnz  # the pattern is exactly the element couplings
    assert abs(coo - fast).max() < 1e-13 * abs(coo).max()
    again = stiffness_csr(basis.mesh, pattern, order)  # re-assembly into the cached pattern
    np.testing.assert_array_equal(again.data, fast.data)


def test_exact_wall_loads_equal_facet_basis_quadrature(room):
    rm, basis = room
    facets = rm.mesh.boundary_facets()
    fb = FacetBasis(rm.mesh, basis.elem, facets=facets, intorder=4)  # degree 3 integrand: exact
    reference = np.array([neumann_load(k).assemble(fb) for k in range(3)] + [unit_load.assemble(fb)])
    exact = p2_linear_loads(basis, facets, lambda x, n: neumann_values(x, n) + [np.ones(x.shape[1:])])
    assert np.abs(exact - reference).max() < 1e-13 * np.abs(reference).max()


def test_local_numbering_is_a_permutation_and_local(room):
    rm, basis = room
    perm, rank = local_order(basis)
    np.testing.assert_array_equal(np.sort(perm), np.arange(basis.N))
    np.testing.assert_array_equal(np.sort(rank), np.arange(rm.mesh.nvertices))
    A = stiffness_affine(basis.mesh, basis.element_dofs, basis.N, 2)
    inverse = inverse_permutation(perm)

    def median_distance(M):
        M = M.tocoo()
        return np.median(np.abs(M.row - M.col))

    B, rhs, _ = assemble_room(basis, rm.mesh.boundary_facets(), 2, False, "csr", inverse)
    assert abs(B - A[perm][:, perm]).max() < 1e-13 * abs(A).max()  # the same matrix, renumbered
    assert median_distance(B) < median_distance(A) / 5  # measured ~30x closer to the diagonal at 1e6 DOFs


def test_block_kernels_equal_pyamg_gauss_seidel_and_matvec(room, monkeypatch):
    monkeypatch.setattr(block_amg, "GS_PARTS", 1)
    A = pin_identity(stiffness_affine(room[1].mesh, room[1].element_dofs, room[1].N, 2), 0)
    rng = np.random.default_rng(1)
    B = rng.standard_normal((A.shape[0], 3))
    level = BlockLevel(A)
    np.testing.assert_allclose(level.matmul(B), A @ B, rtol=0, atol=1e-12 * np.abs(A @ B).max())
    X = level.forward_from_zero(B)
    level.sweep(B, X, backward=True)
    for k in range(3):
        x = np.zeros(A.shape[0])
        gauss_seidel(A, x, B[:, k].copy(), iterations=1, sweep="symmetric")
        np.testing.assert_allclose(X[:, k], x, rtol=0, atol=1e-12 * np.abs(x).max())


@pytest.mark.parametrize("parts, k", [(1, 3), (2, 3), (3, 3), (3, 2)])
def test_residual_after_a_sweep_equals_the_full_residual(room, parts, k):
    """B - A X from the half of each row a sweep read before its update (forward from zero, backward from X_old)
    equals the full residual to round-off, for one or several parts and any number of columns."""
    A = pin_identity(stiffness_affine(room[1].mesh, room[1].element_dofs, room[1].N, 2), 0)
    level = BlockLevel(A, parts=parts)
    rng = np.random.default_rng(5)
    B = rng.standard_normal((A.shape[0], k))
    X = level.forward_from_zero(B)
    scale = np.abs(B).max()
    assert np.abs(level.residual_after_sweep(X) - (B - level.matmul(X))).max() < 1e-12 * scale
    X_old = level.sweep(B, X, backward=True)
    assert np.abs(X_old - level.forward_from_zero(B)).max() == 0.0  # the state from before the sweep
    assert np.abs(level.residual_after_sweep(X, X_old, backward=True) - (B - level.matmul(X))).max() < 1e-12 * scale
    X_old = level.sweep(B, X, backward=False)
    assert np.abs(level.residual_after_sweep(X, X_old, backward=False) - (B - level.matmul(X))).max() < 1e-12 * scale


@pytest.mark.parametrize("parts", [1, 2, 3])
def test_sweep_keeping_only_the_rows_other_parts_read_is_exact(room, parts):
    """A sweep that keeps only the rows other parts read (none with one part) gives the same iterate, bit for
    bit, as one that copies the whole block; and Y += A X in one pass equals Y + A @ X."""
    A = pin_identity(stiffness_affine(room[1].mesh, room[1].element_dofs, room[1].N, 2), 0)
    level = BlockLevel(A, parts=parts)
    assert (len(level.old_rows) == 0) == (parts == 1)
    rng = np.random.default_rng(6)
    B, X0 = rng.standard_normal((2, A.shape[0], 3))
    for backward in (False, True):
        full, part = X0.copy(), X0.copy()
        level.sweep(B, full, backward=backward)
        level.sweep(B, part, backward=backward, scratch=np.full_like(X0, np.nan), keep_old=False)
        np.testing.assert_array_equal(part, full)
    Y = X0.copy()
    level.matmul_add(B, Y)
    np.testing.assert_allclose(Y, X0 + A @ B, rtol=0, atol=1e-13 * np.abs(A @ B).max())


def test_float32_fine_sweeps_keep_the_solution_and_the_iterations(room):
    """The fine Gauss-Seidel sweeps reading float32 values (the Krylov products in float64): the same solution to
    the solver tolerance and the same CG iterations (+-1) as float64 sweeps."""
    rm, basis = room
    A, rhs, mass = assemble_room(basis, rm.mesh.boundary_facets(), 2, False)
    rhs, _ = make_compatible(rhs, mass)
    P = p1_to_p2_prolongation(basis)
    pin = int(basis.nodal_dofs[0, 0])
    x64, s64 = solve_neumann(A, rhs, P=P, pin=pin, tol=1e-10, smoother_dtype=np.float64, fine_parts=1)
    x32, s32 = solve_neumann(A, rhs, P=P, pin=pin, tol=1e-10, smoother_dtype=np.float32, fine_parts=1)
    assert np.abs(x32 - x64).max() < 1e-8 * np.abs(x64).max()
    assert all(abs(a - b) <= 1 for a, b in zip(s64.iterations, s32.iterations))
    assert max(s32.relative_residuals) <= 1e-9


def test_block_two_level_equals_reference_preconditioner(room, monkeypatch):
    monkeypatch.setattr(block_amg, "GS_PARTS", 1)
    basis = room[1]
    A = stiffness_affine(basis.mesh, basis.element_dofs, basis.N, 2)
    P = p1_to_p2_prolongation(basis)
    pin = int(basis.nodal_dofs[0, 0])
    keep = np.flatnonzero(np.arange(basis.N) != pin)
    reference = two_level_preconditioner(A[keep][:, keep].tocsr(), P[keep].tocsr())
    block = BlockTwoLevel(pin_identity(A, pin), pin_prolongation(P, pin), coarse_dtype=np.float64)
    R = np.random.default_rng(2).standard_normal((basis.N, 3))
    R[pin] = 0.0
    Z = block(R)
    for k in range(3):
        z = reference @ R[keep, k]
        np.testing.assert_allclose(Z[keep, k], z, rtol=0, atol=1e-11 * np.abs(z).max())


def test_block_cg_equals_one_cg_per_column():
    n = 400
    rng = np.random.default_rng(3)
    Q = sp.random(n, n, density=0.02, random_state=4)
    A = (Q @ Q.T + sp.diags(np.linspace(0.5, 50, n))).tocsr()
    B = rng.standard_normal((n, 3))
    B[:, 1] *= 1e-6  # columns converge at different iterations
    B[:, 2] = 0.0  # and a zero column needs none
    X, its, res = block_cg(lambda V: A @ V, B, lambda V: V / A.diagonal()[:, None], tol=1e-10)
    for k in range(2):
        count = []
        x, _ = cg(A, B[:, k], rtol=1e-10, M=sp.diags(1 / A.diagonal()), callback=lambda _: count.append(1))
        assert abs(its[k] - len(count)) <= 1
        np.testing.assert_allclose(X[:, k], x, rtol=0, atol=1e-8 * np.abs(x).max())
        assert res[k] <= 1e-9
    assert its[2] == 0 and not X[:, 2].any()


def test_block_solve_pins_the_same_solution_as_the_single_vector_solve(room):
    rm, basis = room
    A, rhs, mass = assemble_room(basis, rm.mesh.boundary_facets(), 2, False)
    rhs, _ = make_compatible(rhs, mass)
    P = p1_to_p2_prolongation(basis)
    pin = int(basis.nodal_dofs[0, 0])
    single, s1 = solve_neumann(A, rhs, P=P, pin=pin, tol=1e-10, method="scipy")
    block, s2 = solve_neumann(A, rhs, P=P, pin=pin, tol=1e-10, method="block")
    assert np.abs(block - single).max() < 1e-8 * np.abs(single).max()
    assert all(abs(a - b) <= 1 for a, b in zip(s1.iterations, s2.iterations))
    assert max(s2.relative_residuals) <= 1e-9


def test_fast_room_path_equals_reference_path(monkeypatch):
    monkeypatch.setattr(block_amg, "MIN_PART_ROWS", 0)  # two Gauss-Seidel parts, as at 1e6 DOFs
    spec = box_room(2.0, 2.0, 2.0)
    old = solve_perfect_room(spec, mesh_size_m=0.3, assembly="coo", numbering="skfem", method="scipy",
                             coarse_dtype="float64")
    new = solve_perfect_room(spec, mesh_size_m=0.3)
    assert np.abs(new.psi_m - old.psi_m).max() < 1e-8 * np.abs(old.psi_m).max()
    pts = np.array([[0.9, 0.1, -0.3], [0.0, 0.0, 0.0]])
    r_old = old.response_matrix(pts)
    np.testing.assert_allclose(new.response_matrix(pts), r_old, rtol=0, atol=1e-8 * np.abs(r_old).max())
    assert max(new.solve.iterations) <= max(old.solve.iterations) + 1


def test_curved_room_block_solve_equals_reference_path(monkeypatch):
    monkeypatch.setattr(block_amg, "MIN_PART_ROWS", 0)  # two parts wherever allowed, as at 1e6 DOFs
    spec = cylinder_room(0.6, 1.0)
    old = solve_perfect_room(spec, mesh_size_m=0.3, assembly="coo", numbering="skfem", method="scipy",
                             coarse_dtype="float64")
    new = solve_perfect_room(spec, mesh_size_m=0.3)  # curved tet10: scikit-fem numbering, one fine GS part
    assert new.room_mesh.geometric_order == 2
    assert np.abs(new.psi_m - old.psi_m).max() < 1e-8 * np.abs(old.psi_m).max()
    assert max(new.solve.iterations) <= max(old.solve.iterations) + 1


def test_boundary_facets_from_the_element_facet_map_equal_scikit_fem(room):
    rm = room[0]
    np.testing.assert_array_equal(boundary_facets(rm.mesh), rm.mesh.boundary_facets())


@pytest.mark.parametrize("generator", ["gmsh", "structured"])
def test_room_basis_dof_locations_equal_scikit_fem(generator):
    """The basis' DOF locations (vertices and edge midpoints, set without scikit-fem's per-element mapping) equal
    scikit-fem's own to round-off, P1 and P2."""
    rm = mesh_room(box_room(1, 1, 1, mesh=MeshOptions(generator=generator)), size_m=0.3)
    for order, elem in ((2, ElementTetP2()), (1, ElementTetP1())):
        ref = Basis(rm.mesh, elem).doflocs
        assert np.abs(room_basis(rm, order).doflocs - ref).max() < 1e-15


def test_inverse_diagonal_from_the_stored_positions_and_without_them():
    """dinv from the diagonal's stored positions equals 1 / diagonal(); a row without a stored diagonal falls back
    to scipy's diagonal() (a zero there)."""
    A = sp.csr_matrix(np.array([[4.0, 1.0, 0.0], [1.0, 5.0, 2.0], [0.0, 2.0, 6.0]]))
    np.testing.assert_array_equal(BlockLevel(A).dinv, 1.0 / A.diagonal())
    B = sp.csr_matrix(np.array([[4.0, 1.0, 0.0], [1.0, 0.0, 2.0], [0.0, 2.0, 6.0]]))  # row 1 stores no diagonal
    with np.errstate(divide="ignore"):
        dinv = BlockLevel(B).dinv
    np.testing.assert_array_equal(dinv[[0, 2]], [0.25, 1 / 6.0])
    assert np.isinf(dinv[1])


def test_two_level_preconditioner_does_not_depend_on_the_data_units(room):
    """M (c R) = c M R exactly for c = 2^-116 (~1e-35) and 2^100 (~1e30): each column is scaled by a power of two
    before the float32 levels (without it, 2^-116 R underflows there: float32's smallest normal is 2^-126)."""
    rm, basis = room
    A, _rhs, _mass = assemble_room(basis, rm.mesh.boundary_facets(), 2, False)
    pin = int(basis.nodal_dofs[0, 0])
    M = BlockTwoLevel(pin_identity(A, pin), pin_prolongation(p1_to_p2_prolongation(basis), pin),
                      coarse_dtype=np.float32, smoother_dtype=np.float32)
    R = np.random.default_rng(7).standard_normal((basis.N, 3))
    R[pin] = 0.0
    Z = M(R)
    assert Z.dtype == np.float64
    for c in (2.0**-116, 2.0**100):
        np.testing.assert_array_equal(M(c * R) / c, Z)
