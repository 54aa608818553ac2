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
from amails_fem.linalg import kernels
from amails_fem.linalg.amg import neumann_preconditioner, sa_solver
from amails_fem.linalg.block_amg import BlockTwoLevel, BlockVCycle

SOLVE_METHODS = ("block", "scipy")  # block: all right-hand sides in one CG on compiled kernels; scipy: one by one


@dataclass
class SolveStats:
    """What one multi-right-hand-side solve did (per right-hand side where a list)."""

    preconditioner: str
    setup_seconds: float
    solve_seconds: float
    iterations: list
    relative_residuals: list
    tolerance: float
    setup_cpu_seconds: float = 0.0  # process CPU time (all threads) of the setup and of the iteration
    solve_cpu_seconds: float = 0.0


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


def block_cg(A, B: np.ndarray, M, *, tol: float, maxiter: int = 1000, what: str = "block CG", X0=None):
    """CG on A X = B for an (n, k) block B: k independent CG recurrences run in lockstep, so every matrix and
    preconditioner pass serves all k columns (Hestenes & Stiefel 1952; the iterates are those of k separate CGs).
    A and M map (n, k) -> (n, k); X0: starting guess (default 0). A column stops when |r| <= tol |b| (the
    recursive residual, as scipy's cg).
    Returns (X, iterations per column, true relative residual per column); ConvergenceError above 10 tol.
    """
    n, k = B.shape
    B = np.ascontiguousarray(B, dtype=np.float64)
    norm_b = np.linalg.norm(B, axis=0)
    X = np.zeros_like(B) if X0 is None else np.array(X0, dtype=np.float64, order="C")
    R = B.copy() if X0 is None else B - A(X)
    active = norm_b > 0  # a column that has converged keeps alpha = beta = 0 from then on
    its = np.zeros(k, dtype=int)
    Z = M(R)
    Pd = np.array(Z, dtype=np.float64)
    rz = kernels.column_dots(R, Z)
    for _ in range(maxiter):
        if not active.any():
            break
        Q = A(Pd)
        pq = kernels.column_dots(Pd, Q)
        alpha = np.where(active, rz / np.where(active, pq, 1.0), 0.0)
        rr = kernels.cg_step(X, R, Pd, Q, alpha)
        its[active] += 1
        active &= ~(np.sqrt(rr) <= tol * norm_b)
        if not active.any():
            break
        Z = M(R)
        rz_new = kernels.column_dots(R, Z)
        beta = np.where(active, rz_new / np.where(active, rz, 1.0), 0.0)
        kernels.cg_direction(Pd, Z, beta)
        rz = rz_new
    res = np.linalg.norm(B - A(X), axis=0) / np.where(norm_b > 0, norm_b, 1.0)
    bad = np.flatnonzero(~(res <= 10 * tol))
    if bad.size:
        j = int(bad[0])
        raise ConvergenceError(f"{what} stopped at relative residual {res[j]:.2e} after {its[j]} iterations "
                               f"(tolerance {tol:.0e}, maxiter {maxiter})")
    return X, its.tolist(), res.tolist()


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
                  tol: float = 1e-10, maxiter: int = 500, progress=None, method: str = "block",
                  coarse_dtype=np.float32, overwrite: bool = False,
                  fine_parts: int | None = None, smoother_dtype=np.float32) -> tuple[np.ndarray, SolveStats]:
    """Solve A x_k = rhs_k (rows of rhs compatible) with x[pin] = 0, one preconditioner for all k.

    method "block": the pinned row and column are replaced by the identity (same solution as dropping them, no
    copy of the index arrays), every right-hand side in one block CG with the compiled two-level preconditioner
    (coarse levels stored as coarse_dtype, the fine sweeps and the preconditioner's blocks in smoother_dtype, the
    Krylov vectors and products in float64; overwrite: pin in A's and
    P's own arrays, saving copies; fine_parts: Gauss-Seidel parts on A, 1 for scikit-fem's P2 numbering, see
    linalg/block_amg.py). method "scipy": the reduced matrix, scipy's cg per right-hand side with
    pyamg's sweeps (the reference path). Raises ConvergenceError if a true relative residual ends above 10 x tol.
    """
    if method == "block":
        return _solve_neumann_block(A, rhs, P=P, pin=pin, tol=tol, maxiter=maxiter, progress=progress,
                                    coarse_dtype=coarse_dtype, overwrite=overwrite, fine_parts=fine_parts,
                                    smoother_dtype=smoother_dtype)
    n = A.shape[0]
    keep = np.ones(n, dtype=bool)
    keep[pin] = False
    idx = np.flatnonzero(keep)
    t0, c0 = time.perf_counter(), time.process_time()
    A_r = A[idx][:, idx].tocsr()
    M, name = neumann_preconditioner(A_r, None if P is None else P[idx].tocsr())
    setup, setup_cpu = time.perf_counter() - t0, time.process_time() - c0
    rhs = np.atleast_2d(rhs)
    X = np.zeros((rhs.shape[0], n))
    iterations, residuals = [], []
    t0, c0 = time.perf_counter(), time.process_time()
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
    stats = SolveStats(name, setup, time.perf_counter() - t0, iterations, residuals, tol, setup_cpu,
                       time.process_time() - c0)
    return X, stats



def pin_identity(A: sp.csr_matrix, pin: int, overwrite: bool = False) -> sp.csr_matrix:
    """A with row and column ``pin`` replaced by the identity's (the same index arrays; a new value array unless
    overwrite)."""
    A = A.tocsr()
    A.sort_indices()
    data = A.data if overwrite else A.data.copy()
    data[A.indptr[pin]: A.indptr[pin + 1]] = 0.0
    data[A.indices == pin] = 0.0
    out = sp.csr_matrix((data, A.indices, A.indptr), shape=A.shape)
    out.has_sorted_indices = True
    start = A.indptr[pin]
    out.data[start + np.searchsorted(A.indices[start: A.indptr[pin + 1]], pin)] = 1.0
    return out


def pin_prolongation(P: sp.csr_matrix, pin: int, overwrite: bool = False) -> sp.csr_matrix:
    """P with the pinned DOF's row emptied (removed from the pattern; a copy unless overwrite): the coarse
    correction never touches the pinned DOF."""
    P = P.tocsr(copy=not overwrite)
    P.data[P.indptr[pin]: P.indptr[pin + 1]] = 0.0
    P.eliminate_zeros()
    return P


def _solve_neumann_block(A, rhs, *, P, pin, tol, maxiter, progress, coarse_dtype, overwrite, fine_parts,
                         smoother_dtype):
    t0, c0 = time.perf_counter(), time.process_time()
    A_p = pin_identity(A, pin, overwrite)
    rhs = np.atleast_2d(rhs)
    B = np.ascontiguousarray(rhs.T, dtype=np.float64)
    B[pin] = 0.0
    if P is not None:
        M = BlockTwoLevel(A_p, pin_prolongation(P, pin, overwrite), coarse_dtype=coarse_dtype, fine_parts=fine_parts,
                          smoother_dtype=smoother_dtype)
        name = "two-level (P2 Gauss-Seidel + SA on P1), block"
    else:
        M = BlockVCycle(sa_solver(A_p))
        name = "pyamg smoothed aggregation, block"
    level = M.A if P is not None else M.levels[0]
    setup, setup_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    X, its, res = block_cg(level.matmul, B, M, tol=tol, maxiter=maxiter)
    if progress is not None:
        for k, (i, r) in enumerate(zip(its, res)):
            progress.say(f"  right-hand side {k + 1}/{B.shape[1]}: {i} CG iterations, residual {r:.1e}")
    stats = SolveStats(name, setup, time.perf_counter() - t0, its, res, tol, setup_cpu, time.process_time() - c0)
    return np.ascontiguousarray(X.T), stats
