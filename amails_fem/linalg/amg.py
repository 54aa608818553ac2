"""Algebraic multigrid: pyamg smoothed aggregation with CSR levels, Galerkin refreshes, and the two-level P2 method.

For P2 the two-level method does one symmetric Gauss-Seidel sweep on P2 and an SA V-cycle on the Galerkin P1 coarse
problem P^T A P, with P the P1 -> P2 interpolation (vertices copy, edge midpoints average their two ends): it needs two
thirds of the CG iterations of SA on the P2 matrix (16 against 24 at 3.2e5 DOFs) at a quarter of its setup (docs/performance.md).
"""

from __future__ import annotations

import numpy as np
import pyamg
import scipy.sparse as sp
from pyamg.multilevel import coarse_grid_solver
from pyamg.relaxation.relaxation import gauss_seidel
from scipy.sparse.linalg import LinearOperator

AMG_SEED = 20240513  # fixed seed for pyamg's random draws (bit-for-bit reproducible solves)



# Strength of connection for the SA aggregation. "classical" with theta 0.1 drops the weak (and the positive)
# couplings; pyamg's default ("symmetric", theta 0) keeps every coupling. Measured on the AMAILS room, 3.2e5 P2
# DOFs, CG iterations to 1e-10: perfect conductor 19 -> 16; with a wall term l S (l = 2..320 m, whose strong
# in-surface couplings make the boundary layer anisotropic) 24-25 -> 15-16; P1 at 1.7e5 DOFs 21 -> 16.
# theta 0.05-0.25 gave the same counts; "evolution" the same iterations at twice the setup.
SA_STRENGTH = ("classical", {"theta": 0.1})


def sa_solver(A, near_null=None):
    """pyamg smoothed aggregation for A, every level's A, P, R as CSR; near_null (N, m): the near-null-space
    vectors the aggregates must represent (default: the constant; e.g. one indicator per floating region).

    pyamg keeps the coarse levels as BSR with 1 x 1 blocks; the same matrices as CSR halve the V-cycle (11.2 to
    6.1 ms on the 4.5e4-DOF P1 problem of the AMAILS room at 3.2e5 P2 DOFs, identical result). The generator is
    seeded (AMG_SEED) so that identical inputs give bit-identical hierarchies, hence bit-identical results.
    """

    state = np.random.get_state()  # pyamg draws from numpy's global generator: seed it, then give it back
    np.random.seed(AMG_SEED)
    try:
        B = np.ones((A.shape[0], 1), A.dtype) if near_null is None else np.asarray(near_null, A.dtype)
        ml = pyamg.smoothed_aggregation_solver(A, B=B, symmetry="symmetric", max_coarse=300,
                                               strength=SA_STRENGTH)
    finally:
        np.random.set_state(state)
    for level in ml.levels:
        level.A = level.A.tocsr()
        if hasattr(level, "P"):
            level.P, level.R = level.P.tocsr(), level.R.tocsr()
    return ml


def galerkin_refresh(ml, A: sp.spmatrix) -> None:
    """Point an SA hierarchy at a new matrix A (same size): keep its aggregates and prolongators P_k, recompute
    the coarse operators A_{k+1} = R_k A_k P_k and the coarsest solve, so every coarse problem is exact for A.

    Measured for the wall-term shifts A + s S (s = 1.8..320 m, 3.2e5 P2 DOFs): the same CG iterations as a new
    SA setup for each shift, at a third of its time.
    """

    ml.levels[0].A = A.tocsr()
    for fine, coarse in zip(ml.levels[:-1], ml.levels[1:]):
        Ac = (fine.R @ fine.A @ fine.P).tocsr()
        Ac.sort_indices()
        coarse.A = Ac
    ml.coarse_solver = coarse_grid_solver("pinv")  # its factorisation is cached on the solver: start a new one


def two_level_preconditioner(A: sp.csr_matrix, P: sp.csr_matrix, coarse=None, upper=None, Pt=None) -> LinearOperator:
    """M^-1 r: forward GS on A, coarse correction P V(P^T r'), backward GS (symmetric, so CG-safe); real or complex A.

    coarse: a prebuilt coarse V-cycle (default: SA on the Galerkin product P^T A P); upper: the strict upper
    triangle of A (default: taken from A); Pt: P^T as CSR, if already made. After a forward sweep from zero,
    (D + L) x = r, so the residual r - A x is -U x: half a matrix-vector product instead of one.
    """

    Pt = P.T.tocsr() if Pt is None else Pt
    if coarse is None:
        coarse = sa_solver((Pt @ A @ P).tocsr()).aspreconditioner(cycle="V")
    U = sp.triu(A, 1, format="csr") if upper is None else upper

    def apply(r):
        r = np.ascontiguousarray(r, dtype=A.dtype).ravel()
        x = np.zeros_like(r)
        gauss_seidel(A, x, r, iterations=1, sweep="forward")
        x -= P @ coarse(Pt @ (U @ x))
        gauss_seidel(A, x, r, iterations=1, sweep="backward")
        return x

    return LinearOperator(A.shape, matvec=apply, dtype=A.dtype)


def p1_to_p2_prolongation(basis, dof_inverse=None, vertex_rank=None) -> sp.csr_matrix:
    """P (N_P2 x N_vertices): vertex DOFs copy the vertex value, edge DOFs average the two ends.

    dof_inverse (old P2 DOF -> new) and vertex_rank (old vertex -> new): P in those numberings.
    """
    nv = basis.nodal_dofs.shape[1]
    nodal = basis.nodal_dofs[0]
    edge = basis.edge_dofs[0]
    ends = basis.mesh.edges
    rows = np.concatenate([nodal, edge, edge])
    cols = np.concatenate([np.arange(nv), ends[0], ends[1]])
    if dof_inverse is not None:
        rows = dof_inverse[rows]
    if vertex_rank is not None:
        cols = vertex_rank[cols]
    vals = np.concatenate([np.ones(nv), np.full(2 * len(edge), 0.5)])
    return sp.csr_matrix((vals, (rows, cols)), shape=(basis.N, nv))


def neumann_preconditioner(A, P=None) -> tuple[object, str]:
    """The preconditioner of a reduced (pinned or Dirichlet-fixed) Laplacian and its name: the two-level
    P2 Gauss-Seidel + SA on the P1 coarse space when the prolongation P is given, else pyamg's SA V-cycle."""
    if P is not None:
        return two_level_preconditioner(A, P), "two-level (P2 Gauss-Seidel + SA on P1)"
    return sa_solver(A).aspreconditioner(cycle="V"), "pyamg smoothed aggregation"
