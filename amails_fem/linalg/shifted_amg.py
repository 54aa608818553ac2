"""The two-level block preconditioner of K(s) = A + sum_w s_w S_w for many real shifts s, set up once.

Every operator of the hierarchy is linear in the shifts: the P2 matrix K(s), its Galerkin P1 problem
P^T K(s) P = P^T A P + sum s_w P^T S_w P, and every coarser SA level R_k K_k(s) P_k (the aggregates and prolongators
P_k are fixed, taken from the first shift). So each operator is stored as its parts on one fixed CSR pattern
(SharedPattern) and a new shift costs one multiply-add per level, a new diagonal and the coarsest pseudo-inverse:
no sparse matrix product, no index sort, no new kernel structures (the Gauss-Seidel part segments depend on the
pattern only). The coarse problems stay exact Galerkin operators for every shift (docs/walls.md,
docs/performance.md sec. 9).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from amails_fem.linalg.amg import sa_solver
from amails_fem.linalg.block_amg import BlockTwoLevel


class SharedPattern:
    """A + sum_w s_w S_w for real s_w on one fixed CSR pattern: one vector operation per shift."""

    def __init__(self, A, S_list):
        K0 = A = _canonical(A)
        S_list = [_canonical(S) for S in S_list]
        pos = [_positions_in(K0, S) for S in S_list]
        if any(p is None for p in pos):  # a wall term outside A's stored pattern: use the union of the patterns
            K0 = _canonical(sum((_pattern(M) for M in S_list), _pattern(A)))  # all ones: nothing cancels
            pos = [_positions_in(K0, S) for S in S_list]
        self.indices, self.indptr, self.shape = K0.indices, K0.indptr, K0.shape
        self.nnz = K0.nnz
        self.A = A.data.copy() if K0 is A else _positions_in(K0, A, values=True)
        # the shift terms only where some S_w is stored (the wall rows: a few per cent of the entries)
        touched = np.zeros(K0.nnz, bool)  # (np.unique of 1e6 positions took 1 s: its hash path)
        for p in pos:
            touched[p] = True
        self.changed = np.flatnonzero(touched)
        self.S = [np.bincount(p, weights=S.data, minlength=K0.nnz)[self.changed] for p, S in zip(pos, S_list)]
        self._upper = None  # (positions, indices, indptr) of the strict upper triangle, made when first asked for

    def data(self, shifts, out=None) -> np.ndarray:
        """The values of A + sum s_w S_w on the pattern: a new array, or written into ``out`` (an earlier result of
        this method: only the entries the shifts touch are rewritten)."""
        if out is None:
            out = self.A.copy()
        if self.S:
            part = np.multiply(self.S[0], shifts[0])
            for s, d in zip(shifts[1:], self.S[1:]):
                part += s * d
            part += self.A[self.changed]
            out[self.changed] = part
        return out

    def parts(self) -> list:
        """A and every S_w as CSR matrices on the pattern."""
        full = [self.A]
        for d in self.S:
            f = np.zeros(self.nnz)
            f[self.changed] = d
            full.append(f)
        return [sp.csr_matrix((d, self.indices, self.indptr), shape=self.shape) for d in full]

    def matrix(self, shifts, with_upper=False):
        """K = A + sum s_w S_w (CSR); with_upper: (K, strict upper triangle of K)."""
        data = self.data(shifts)
        K = sp.csr_matrix((data, self.indices, self.indptr), shape=self.shape)
        K.has_sorted_indices = True
        if not with_upper:
            return K
        if self._upper is None:
            rows = np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))
            upper = self.indices > rows
            counts = np.bincount(rows[upper], minlength=self.shape[0])
            # take() with indices: 9x faster than a boolean mask (8e6 entries)
            self._upper = (np.flatnonzero(upper), self.indices[upper], np.concatenate([[0], np.cumsum(counts)]))
        pos, ind, ptr = self._upper
        return K, sp.csr_matrix((data.take(pos), ind, ptr), shape=self.shape)


class ShiftedTwoLevel:
    """BlockTwoLevel (linalg/block_amg.py) of K(s) = A + sum s_w S_w, refreshed per shift on fixed patterns.

    A, S_w: symmetric CSR (n x n); P: the P1 -> P2 prolongation (n x n1); Pt: P^T if already made. at(shifts)
    returns the preconditioner of K(shifts), whose .A is the fine operator K(shifts) (its .A.matmul gives K X); the
    returned object is the same one for every shift, updated in place. The SA aggregates come from the first shift.
    smoother_dtype: the fine sweeps' values and the preconditioner's blocks (BlockTwoLevel), refreshed with the values.
    """

    def __init__(self, A, S_list, P, Pt=None, coarse_dtype=np.float32, fine_parts: int | None = None,
                 fine: SharedPattern | None = None, smoother_dtype=np.float32):
        Pt = P.T.tocsr() if Pt is None else Pt
        self.fine = fine if fine is not None else SharedPattern(A, S_list)
        parts = [A] + list(S_list)
        self._levels = [SharedPattern((Pt @ parts[0] @ P).tocsr(), [(Pt @ M @ P).tocsr() for M in parts[1:]])]
        self._P, self._Pt = P, Pt
        self._dtype = coarse_dtype
        self._smoother_dtype = smoother_dtype
        self._fine_parts = fine_parts
        self.M = None

    def at(self, shifts) -> BlockTwoLevel:
        """The preconditioner for K(shifts) (real shifts, one per S_w)."""
        shifts = np.asarray(shifts, float)
        if self.M is None:
            self._build(self.fine.matrix(shifts), shifts)
            return self.M
        lv = self.M.A
        self.fine.data(shifts, out=lv.data)  # the fine values in place: only the wall rows' entries change
        lv.refresh()
        vc = self.M.coarse
        for level, pattern in zip(vc.levels, self._levels):
            level.data = pattern.data(shifts).astype(vc.dtype)
            level.refresh()
        last = self._levels[-1]
        dense = sp.csr_matrix((last.data(shifts), last.indices, last.indptr), shape=last.shape).toarray()
        vc.coarse_pinv = np.linalg.pinv(dense).astype(vc.dtype)
        return self.M

    def _build(self, fine, shifts):
        """First shift: the SA hierarchy of P^T K P, then every coarser level's parts on their own patterns."""
        first = self._levels[0]
        ml = sa_solver(first.matrix(shifts))
        # parts of level k as CSR on its pattern: R_k (part) P_k gives level k + 1's part (linear in the shifts)
        for k, (lv_fine, _lv_coarse) in enumerate(zip(ml.levels[:-1], ml.levels[1:])):
            prods = [(lv_fine.R @ M @ lv_fine.P).tocsr() for M in self._levels[k].parts()]
            self._levels.append(SharedPattern(prods[0], prods[1:]))
        for level, pattern in zip(ml.levels, self._levels):
            level.A = pattern.matrix(shifts)
        self.M = BlockTwoLevel(fine, self._P, coarse_dtype=self._dtype, ml=ml, Pt=self._Pt,
                               fine_parts=self._fine_parts, smoother_dtype=self._smoother_dtype)


def _canonical(M) -> sp.csr_matrix:
    """CSR with sorted, summed indices (a copy only when M is not already so)."""
    M = M.tocsr()
    if not M.has_canonical_format:
        M = M.copy()
        M.sum_duplicates()
    return M


def _pattern(M) -> sp.csr_matrix:
    """M's stored pattern with every value 1."""
    return sp.csr_matrix((np.ones(M.nnz), M.indices, M.indptr), shape=M.shape)


def _positions_in(K, M, values=False):
    """Where the entries of M (canonical CSR) sit in K's data array; None if M has an entry outside K's pattern.

    Marker trick: K's entry numbers as values, multiplied elementwise with M's pattern (a C-level merge of the two
    sorted rows), leave each entry of M carrying its position in K. values=True: M's data scattered onto K's pattern.
    """
    label = sp.csr_matrix((np.arange(1, K.nnz + 1, dtype=float), K.indices, K.indptr), shape=K.shape)
    hit = label.multiply(_pattern(M)).tocsr()
    if hit.nnz != M.nnz:
        return None
    hit.sort_indices()
    pos = hit.data.astype(np.int64) - 1
    if not values:
        return pos
    out = np.zeros(K.nnz)
    out[pos] = M.data
    return out
