"""The two-level P2 preconditioner and the SA V-cycle applied to a block of right-hand sides with compiled kernels.

The same method as linalg/amg.py (forward Gauss-Seidel on P2, SA V-cycle on the Galerkin P1 problem P^T A P,
backward Gauss-Seidel; symmetric Gauss-Seidel before and after each coarse correction of the V-cycle), but every
step works on an (n, k) block and reads each matrix once for all k columns (linalg/kernels.py). Gauss-Seidel is the
hybrid form (parts of consecutive rows, Jacobi across parts), which runs the parts on separate cores. The coarse
levels can be stored in float32 (half the bytes of the V-cycle; CG iterations unchanged, docs/performance.md).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from amails_fem.linalg import kernels
from amails_fem.linalg.amg import sa_solver

# Gauss-Seidel parts (consecutive rows, relaxed in parallel), fixed, not the core count, so results do not depend
# on the machine. Measured CG iterations at 3.2e5 P2 DOFs in the local numbering: 16 with 1 or 2 parts, 17 with 4,
# 19-20 with 16 (Jacobi across more interfaces); matrices under MIN_PART_ROWS rows use one part.
GS_PARTS = 2
MIN_PART_ROWS = 50_000


def part_bounds(n: int, parts: int | None = None) -> np.ndarray:
    """Boundaries of the Gauss-Seidel parts of an n-row matrix (int64, length parts + 1)."""
    parts = parts if parts is not None else (GS_PARTS if n >= MIN_PART_ROWS else 1)
    return np.linspace(0, n, parts + 1).astype(np.int64)


class BlockLevel:
    """One matrix in CSR arrays with its inverse diagonal and its Gauss-Seidel parts.

    smoother_dtype: the values and inverse diagonal the Gauss-Seidel sweeps and their residuals read (default:
    dtype). float32 on the fine P2 level moves a third fewer bytes per sweep than float64 with int32 indices; the
    products of the Krylov method (``matmul``) keep ``dtype``, so the solution is the same to the solver tolerance.
    """

    def __init__(self, A: sp.csr_matrix, dtype=np.float64, square: bool = True, parts: int | None = None,
                 smoother_dtype=None):
        A = A.tocsr()
        A.sort_indices()
        self.n = A.shape[0]
        self.indptr = A.indptr.astype(np.int64) if A.nnz >= 2**31 else A.indptr.astype(np.int32)
        self.indices = A.indices.astype(np.int32, copy=False)
        self.data = A.data.astype(dtype, copy=False)
        own = square and np.dtype(smoother_dtype or dtype) != self.data.dtype
        self._smoother_data = self.data.astype(smoother_dtype) if own else None
        self.bounds = part_bounds(self.n, parts)
        self.seg = (kernels.part_segments(self.indptr, self.indices, self.bounds) if square
                    else np.zeros((0, 3), self.indptr.dtype))
        self.diagonal_at = self._diagonal_positions() if square else None
        self.dinv = np.zeros(self.n if square else 0, smoother_dtype or dtype)
        if square:
            self.refresh()
        windows = kernels.other_part_windows(self.indptr, self.indices, self.bounds, self.seg) if square else []
        self.old_rows = [(int(lo), int(hi)) for lo, hi in windows if hi > lo]  # rows a sweep reads from before it
        self.nbytes = (self.indptr.nbytes + self.indices.nbytes + self.data.nbytes + self.dinv.nbytes
                       + self.seg.nbytes + (self._smoother_data.nbytes if own else 0))

    @property
    def smoother_data(self) -> np.ndarray:
        """The values the sweeps read: their own copy in smoother_dtype, else ``data`` itself (so that values
        refreshed in place or replaced, as linalg/shifted_amg.py does per shift, reach the sweeps too)."""
        return self.data if self._smoother_data is None else self._smoother_data

    def refresh(self) -> None:
        """After ``data`` changed or was replaced (same pattern): the sweeps' own copy and the inverse diagonal
        follow it."""
        if self._smoother_data is not None:
            self._smoother_data[:] = self.data
        if self.diagonal_at is not None:
            diagonal = self.data[self.diagonal_at]
        else:
            diagonal = sp.csr_matrix((self.data, self.indices, self.indptr), shape=(self.n, self.n)).diagonal()
        with np.errstate(divide="ignore"):
            self.dinv[:] = 1.0 / diagonal

    def _diagonal_positions(self):
        """Where each row stores its diagonal (seg[:, 1]), or None if some row stores none (scipy's diagonal()
        then gives a zero there; it searches each row: 0.15 s at 1e6 DOFs)."""
        at = np.minimum(self.seg[:, 1], max(self.indices.size - 1, 0))
        if self.indices.size and np.array_equal(self.indices[at], np.arange(self.n, dtype=self.indices.dtype)):
            return at
        return None

    def matmul(self, X, out=None):
        out = np.empty_like(X) if out is None else out
        kernels.spmm(self.indptr, self.indices, self.data, X, out)
        return out

    def forward_from_zero(self, B, out=None):
        out = np.empty_like(B) if out is None else out
        kernels.gs_forward_zero(self.indptr, self.indices, self.smoother_data, self.dinv, self.bounds, self.seg, B,
                                out)
        return out

    def sweep(self, B, X, backward: bool, scratch=None, keep_old: bool = True):
        """One sweep on X in place; returns X from before it (in ``scratch`` if given). keep_old False: only the
        rows the other parts read are kept (none with one part), and nothing is returned."""
        if keep_old:
            X_old = np.copyto(scratch, X) or scratch if scratch is not None else X.copy()
        else:
            X_old = np.empty_like(X) if scratch is None else scratch
            for lo, hi in self.old_rows:
                X_old[lo:hi] = X[lo:hi]
        kernels.gs_sweep(self.indptr, self.indices, self.smoother_data, self.dinv, self.bounds, self.seg, B, X, X_old,
                         backward)
        return X_old if keep_old else None

    def matmul_add(self, X, Y):
        """Y += A X."""
        kernels.spmm_add(self.indptr, self.indices, self.data, X, Y)

    def residual_after_sweep(self, X, X_old=None, backward: bool = False, out=None):
        """B - A X right after a sweep from X_old (None: from zero) to X, reading half the matrix
        (kernels.sweep_residual); equal to B - A X to round-off, with the smoother's values."""
        out = np.empty_like(X) if out is None else out
        kernels.sweep_residual(self.indptr, self.indices, self.smoother_data, self.bounds, self.seg, X,
                               X if X_old is None else X_old, backward, X_old is None, out)
        return out


class BlockVCycle:
    """The V-cycle of a pyamg SA hierarchy on (n, k) blocks: symmetric Gauss-Seidel before and after each coarse
    correction, pseudo-inverse on the coarsest level (as pyamg's aspreconditioner(cycle="V"))."""

    def __init__(self, ml, dtype=np.float64):
        self.dtype = dtype
        self.levels = [BlockLevel(lv.A, dtype) for lv in ml.levels]
        self.P = [BlockLevel(lv.P, dtype, square=False) for lv in ml.levels[:-1]]
        self.R = [BlockLevel(lv.R, dtype, square=False) for lv in ml.levels[:-1]]
        self.coarse_pinv = np.linalg.pinv(ml.levels[-1].A.toarray()).astype(dtype)
        self.nbytes = sum(x.nbytes for x in self.levels + self.P + self.R) + self.coarse_pinv.nbytes

    def __call__(self, B):
        return self._cycle(0, np.ascontiguousarray(B, dtype=self.dtype))

    def _cycle(self, k, B):
        if k == len(self.levels) - 1:
            return self.coarse_pinv @ B
        A = self.levels[k]
        X = A.forward_from_zero(B)
        X_old = A.sweep(B, X, backward=True)
        Bc = self.R[k].matmul(A.residual_after_sweep(X, X_old, backward=True),
                              out=np.empty((self.R[k].n, B.shape[1]), self.dtype))
        self.P[k].matmul_add(self._cycle(k + 1, Bc), X)
        A.sweep(B, X, backward=False, scratch=X_old, keep_old=False)
        A.sweep(B, X, backward=True, scratch=X_old, keep_old=False)
        return X


class BlockTwoLevel:
    """M^-1 R for an (n, k) block: forward GS on A, X += P V(P^T (R - A X)), backward GS (symmetric: CG-safe).

    coarse_dtype: storage of the P1 hierarchy (float32 halves its bytes); smoother_dtype: the precision of the
    fine level inside the preconditioner, its sweep values and its blocks (float32: a third fewer matrix bytes and
    half the vector bytes, CG iterations unchanged; the Krylov products stay float64, docs/performance.md sec. 8);
    ml: an SA hierarchy of P^T A P already made (default: made here); Pt: P^T as CSR, if already made; fine_parts:
    Gauss-Seidel parts on A (default GS_PARTS; 1 for scikit-fem's numbering, whose halves are the vertex and the
    edge DOFs, so that two parts would relax every vertex-edge coupling by Jacobi: 30 CG iterations instead of 17).
    Each column is scaled by a power of two into [0.5, 1) before and back after (power_of_two_scale); the result is
    float64.
    """

    def __init__(self, A: sp.csr_matrix, P: sp.csr_matrix, coarse_dtype=np.float64, near_null=None, ml=None, Pt=None,
                 fine_parts: int | None = None, smoother_dtype=np.float64):
        self.dtype = np.dtype(smoother_dtype)
        self.A = BlockLevel(A, parts=fine_parts, smoother_dtype=smoother_dtype)
        self.P = BlockLevel(P, smoother_dtype, square=False)
        Pt = P.T.tocsr() if Pt is None else Pt
        self.Pt = BlockLevel(Pt, smoother_dtype, square=False)
        if ml is None:
            ml = sa_solver((Pt @ A @ P).tocsr(), near_null)
        self.coarse = BlockVCycle(ml, coarse_dtype)
        self.nbytes = self.A.nbytes + self.P.nbytes + self.Pt.nbytes + self.coarse.nbytes
        self.shape = A.shape

    def __call__(self, R):
        R = np.ascontiguousarray(R, dtype=np.float64)
        scale = power_of_two_scale(R)
        Rs = np.empty(R.shape, self.dtype)
        kernels.scale_columns(R, 1.0 / scale, Rs)
        A = self.A
        X = A.forward_from_zero(Rs)
        scratch = A.residual_after_sweep(X)
        Rc = self.Pt.matmul(scratch, out=np.empty((self.Pt.n, R.shape[1]), self.dtype))
        self.P.matmul_add(np.ascontiguousarray(self.coarse(Rc), dtype=self.dtype), X)
        A.sweep(Rs, X, backward=True, scratch=scratch, keep_old=False)
        Z = np.empty(R.shape)
        kernels.scale_columns(X, scale, Z)
        return Z


def power_of_two_scale(R: np.ndarray) -> np.ndarray:
    """Per column the power of two 2^e with max |R[:, c]| / 2^e in [0.5, 1) (1 for a zero column). The
    preconditioner is linear and the scaling exact, so M R = 2^e M (R / 2^e); the float32 levels then see data of
    order one whatever the units of the right-hand side (float32 underflows below 1e-38: a residual of 1e-10 |b|
    with |b| ~ 1e-30 would not be representable). On the AMAILS room in SI it changes nothing measurable."""
    _mantissa, exponent = np.frexp(kernels.column_absmax(R))
    return np.ldexp(1.0, exponent)
