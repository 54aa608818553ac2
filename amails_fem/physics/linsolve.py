"""Preconditioned conjugate gradients for the room's scalar Neumann problem.

The constant null space of the pure Neumann Laplacian is removed by making the data compatible
(subtract the boundary mean of g, which is zero analytically since div(J x r) = 0) and pinning one
DOF (drop its row and column): perf-notes.md measured pyamg on the singular matrix to be fragile
(18 to >2000 iterations from round-off alone) and the pinned system steady at ~20.

Preconditioners: pyamg smoothed aggregation (SA) on the matrix for P1; for P2 a two-level method
(symmetric Gauss-Seidel on P2, SA V-cycle on the Galerkin P1 coarse problem P^T A P, with P the
P1 -> P2 interpolation: vertices copy, edge midpoints average their two ends).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, cg

from amails_fem.errors import ConvergenceError


@dataclass
class SolveStats:
    """What one multi-right-hand-side solve did (per right-hand side where a list)."""

    preconditioner: str
    setup_seconds: float
    solve_seconds: float
    iterations: list
    relative_residuals: list
    tolerance: float


def p1_to_p2_prolongation(basis) -> sp.csr_matrix:
    """P (N_P2 x N_vertices): vertex DOFs copy the vertex value, edge DOFs average the two ends."""
    nv = basis.nodal_dofs.shape[1]
    nodal = basis.nodal_dofs[0]
    edge = basis.edge_dofs[0]
    ends = basis.mesh.edges
    rows = np.concatenate([nodal, edge, edge])
    cols = np.concatenate([np.arange(nv), ends[0], ends[1]])
    vals = np.concatenate([np.ones(nv), np.full(2 * len(edge), 0.5)])
    return sp.csr_matrix((vals, (rows, cols)), shape=(basis.N, nv))


# Strength of connection for the SA aggregation. "classical" with theta 0.1 drops the weak (and the positive)
# couplings; pyamg's default ("symmetric", theta 0) keeps every coupling. Measured on the AMAILS room, 3.2e5 P2
# DOFs, CG iterations to 1e-10: perfect conductor 19 -> 16; with a wall term l S (l = 2..320 m, whose strong
# in-surface couplings make the boundary layer anisotropic) 24-25 -> 15-16; P1 at 1.7e5 DOFs 21 -> 16.
# theta 0.05-0.25 gave the same counts; "evolution" the same iterations at twice the setup.
SA_STRENGTH = ("classical", {"theta": 0.1})


def _sa_solver(A):
    """pyamg smoothed aggregation for A, every level's A, P, R as CSR.

    pyamg keeps the coarse levels as BSR with 1 x 1 blocks; the same matrices as CSR halve the V-cycle (11.2 to
    6.1 ms on the 4.5e4-DOF P1 problem of the AMAILS room at 3.2e5 P2 DOFs, identical result).
    """
    import pyamg

    ml = pyamg.smoothed_aggregation_solver(A, B=np.ones((A.shape[0], 1)), symmetry="symmetric", max_coarse=300,
                                           strength=SA_STRENGTH)
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
    from pyamg.multilevel import coarse_grid_solver

    ml.levels[0].A = A.tocsr()
    for fine, coarse in zip(ml.levels[:-1], ml.levels[1:]):
        Ac = (fine.R @ fine.A @ fine.P).tocsr()
        Ac.sort_indices()
        coarse.A = Ac
    ml.coarse_solver = coarse_grid_solver("pinv")  # its factorisation is cached on the solver: start a new one


def two_level_preconditioner(A: sp.csr_matrix, P: sp.csr_matrix, coarse=None, upper=None, Pt=None) -> LinearOperator:
    """M^-1 r: forward GS on A, coarse correction P V(P^T r'), backward GS (symmetric, so CG-safe).

    coarse: a prebuilt coarse V-cycle (default: SA on the Galerkin product P^T A P); upper: the strict upper
    triangle of A (default: taken from A); Pt: P^T as CSR, if already made. After a forward sweep from zero,
    (D + L) x = r, so the residual r - A x is -U x: half a matrix-vector product instead of one.
    """
    from pyamg.relaxation.relaxation import gauss_seidel

    Pt = P.T.tocsr() if Pt is None else Pt
    if coarse is None:
        coarse = _sa_solver((Pt @ A @ P).tocsr()).aspreconditioner(cycle="V")
    U = sp.triu(A, 1, format="csr") if upper is None else upper

    def apply(r):
        r = np.ascontiguousarray(r, dtype=float).ravel()
        x = np.zeros_like(r)
        gauss_seidel(A, x, r, iterations=1, sweep="forward")
        x -= P @ coarse(Pt @ (U @ x))
        gauss_seidel(A, x, r, iterations=1, sweep="backward")
        return x

    return LinearOperator(A.shape, matvec=apply, dtype=float)


def make_compatible(rhs: np.ndarray, boundary_mass: np.ndarray) -> tuple[np.ndarray, float]:
    """Remove the boundary mean of the Neumann data: b - (sum b / sum m) m; return (b, relative defect)."""
    total = rhs.sum(axis=-1, keepdims=True)
    scale = np.abs(rhs).sum(axis=-1, keepdims=True)
    defect = float(np.max(np.abs(total) / np.where(scale > 0, scale, 1.0)))
    return rhs - total / boundary_mass.sum() * boundary_mass, defect


def one_blas_thread(func):
    """Run ``func`` with BLAS on one thread: the solvers' dense work is tiny (dot products, the coarsest AMG
    level), and idle OpenBLAS threads spinning on a busy 2-core machine made the CG 15x slower."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper


@one_blas_thread
def solve_neumann(A: sp.csr_matrix, rhs: np.ndarray, *, P: sp.csr_matrix | None = None, pin: int = 0,
                  tol: float = 1e-10, maxiter: int = 500, progress=None) -> tuple[np.ndarray, SolveStats]:
    """Solve A x_k = rhs_k (rows of rhs compatible) with x[pin] = 0, one preconditioner for all k.

    Raises ConvergenceError if a true relative residual ends above 10 x tol.
    """
    n = A.shape[0]
    keep = np.ones(n, dtype=bool)
    keep[pin] = False
    idx = np.flatnonzero(keep)
    A_r = A[idx][:, idx].tocsr()
    t0 = time.perf_counter()
    if P is not None:
        M = two_level_preconditioner(A_r, P[idx].tocsr())
        name = "two-level (P2 Gauss-Seidel + SA on P1)"
    else:
        M = _sa_solver(A_r).aspreconditioner(cycle="V")
        name = "pyamg smoothed aggregation"
    setup = time.perf_counter() - t0
    rhs = np.atleast_2d(rhs)
    X = np.zeros((rhs.shape[0], n))
    iterations, residuals = [], []
    t0 = time.perf_counter()
    for k, b in enumerate(rhs):
        b_r = b[idx]
        norm_b = np.linalg.norm(b_r)
        if norm_b == 0.0:
            iterations.append(0)
            residuals.append(0.0)
            continue
        count = [0]

        def tick(_xk):
            count[0] += 1

        x_r, _info = cg(A_r, b_r, rtol=tol, maxiter=maxiter, M=M, callback=tick)
        res = float(np.linalg.norm(b_r - A_r @ x_r) / norm_b)
        iterations.append(count[0])
        residuals.append(res)
        if progress is not None:
            progress.say(f"  right-hand side {k + 1}/{rhs.shape[0]}: {count[0]} CG iterations, residual {res:.1e}")
        if not res <= 10 * tol:
            raise ConvergenceError(f"CG stopped at relative residual {res:.2e} after {count[0]} iterations "
                                   f"(tolerance {tol:.0e}, maxiter {maxiter})")
        X[k, idx] = x_r
    stats = SolveStats(name, setup, time.perf_counter() - t0, iterations, residuals, tol)
    return X, stats
