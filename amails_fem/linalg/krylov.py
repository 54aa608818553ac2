"""Krylov solves with one meaning of the tolerance: the TRUE relative residual |b - A x| / |b| <= tol, checked
after the iteration (a ConvergenceError above 10 tol), for every iterative solve in the package.

The room's pure Neumann problem: its constant null space is removed by making the data compatible (subtract the
boundary mean of g, zero analytically since div(J x r) = 0) and pinning one DOF (drop its row and column); AMG on the
singular matrix was measured to be fragile (18 to >2000 iterations from round-off alone), the pinned system steady.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import cg
from threadpoolctl import threadpool_limits

from amails_fem.errors import ConvergenceError
from amails_fem.linalg.amg import sa_solver, two_level_preconditioner


@dataclass
class SolveStats:
    """What one multi-right-hand-side solve did (per right-hand side where a list)."""

    preconditioner: str
    setup_seconds: float
    solve_seconds: float
    iterations: list
    relative_residuals: list
    tolerance: float


def checked_cg(A, b, M=None, *, tol: float, maxiter: int = 1000, x0=None, what: str = "CG"):
    """CG on A x = b (SPD); returns (x, iterations, true relative residual). ConvergenceError above 10 tol."""
    count = [0]

    def tick(_xk):
        count[0] += 1

    x, _info = cg(A, b, x0=x0, rtol=tol, maxiter=maxiter, M=M, callback=tick)
    norm_b = np.linalg.norm(b)
    res = float(np.linalg.norm(b - A @ x) / norm_b) if norm_b > 0 else 0.0
    if not res <= 10 * tol:
        raise ConvergenceError(f"{what} stopped at relative residual {res:.2e} after {count[0]} iterations "
                               f"(tolerance {tol:.0e}, maxiter {maxiter})")
    return x, count[0], res


def make_compatible(rhs: np.ndarray, boundary_mass: np.ndarray) -> tuple[np.ndarray, float]:
    """Remove the boundary mean of the Neumann data: b - (sum b / sum m) m; return (b, relative defect)."""
    total = rhs.sum(axis=-1, keepdims=True)
    scale = np.abs(rhs).sum(axis=-1, keepdims=True)
    defect = float(np.max(np.abs(total) / np.where(scale > 0, scale, 1.0)))
    return rhs - total / boundary_mass.sum() * boundary_mass, defect


def one_blas_thread(func):
    """Run ``func`` with BLAS on one thread: the solvers' dense work is tiny (dot products, the coarsest AMG
    level), and idle OpenBLAS threads spinning on a busy 2-core machine made the CG 15x slower."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):

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
        M = sa_solver(A_r).aspreconditioner(cycle="V")
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
        x_r, its, res = checked_cg(A_r, b_r, M, tol=tol, maxiter=maxiter)
        iterations.append(its)
        residuals.append(res)
        if progress is not None:
            progress.say(f"  right-hand side {k + 1}/{rhs.shape[0]}: {its} CG iterations, residual {res:.1e}")
        X[k, idx] = x_r
    stats = SolveStats(name, setup, time.perf_counter() - t0, iterations, residuals, tol)
    return X, stats

