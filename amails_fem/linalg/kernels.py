"""Compiled sparse kernels for blocks of right-hand sides (numba): X is (n, k) in C order, so the k values of one
row are adjacent and every kernel reads the matrix once for all k columns (docs/performance.md sec. 8).

Gauss-Seidel here is the hybrid (processor-block) form of Baker, Falgout, Kolev & Yang (2011), SIAM J. Sci. Comput.
33, 2864: the rows are cut into ``bounds`` parts of consecutive rows, Gauss-Seidel within a part, Jacobi across
parts (couplings to other parts read the values from before the sweep). The parts are fixed by the matrix, not
by the thread count, so the result is the same on any number of cores.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_JIT = dict(nogil=True, cache=True, fastmath=False, boundscheck=False)
# Row positions and column indices are cast to unsigned before they index an array: numba wraps negative signed
# indices around (a compare and select per access), and in a CSR row loop, whose bounds and column indices come
# from memory, LLVM cannot prove them non-negative. Unsigned, the scalar loop is 1.4-2x faster at 1e6 DOFs and the
# results are bit for bit the same (docs/performance.md sec. 8.3). Mixed unsigned and signed integer arithmetic
# gives float64 in numba, so every constant added to an unsigned position is _u(1).
_u = np.uint64


@nb.njit(inline="always", **_JIT)
def _row_dot3(indptr, indices, data, X, i):
    """Row i of A times the three columns of X."""
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    for p in range(_u(indptr[i]), _u(indptr[i + _u(1)])):
        j = _u(indices[p])
        a = data[p]
        s0 += a * X[j, 0]
        s1 += a * X[j, 1]
        s2 += a * X[j, 2]
    return s0, s1, s2


@nb.njit(inline="always", **_JIT)
def _row_add(indptr, indices, data, X, Y, i):
    """Y[i] += (row i of A) X, for any number of columns."""
    for p in range(_u(indptr[i]), _u(indptr[i + _u(1)])):
        j = _u(indices[p])
        a = data[p]
        for c in range(Y.shape[1]):
            Y[i, c] += a * X[j, c]


@nb.njit(parallel=True, **_JIT)
def spmm(indptr, indices, data, X, Y):
    """Y = A X (A in CSR, X and Y (n, k))."""
    n = indptr.shape[0] - 1
    k = X.shape[1]
    for r in nb.prange(n):
        i = _u(r)
        if k == 3:
            Y[i, 0], Y[i, 1], Y[i, 2] = _row_dot3(indptr, indices, data, X, i)
        else:
            for c in range(k):
                Y[i, c] = 0.0
            _row_add(indptr, indices, data, X, Y, i)


@nb.njit(parallel=True, **_JIT)
def spmm_add(indptr, indices, data, X, Y):
    """Y += A X (A in CSR, X and Y (n, k)): a prolongation added in the same pass."""
    n = indptr.shape[0] - 1
    k = X.shape[1]
    for r in nb.prange(n):
        i = _u(r)
        if k == 3:
            s0, s1, s2 = _row_dot3(indptr, indices, data, X, i)
            Y[i, 0] += s0
            Y[i, 1] += s1
            Y[i, 2] += s2
        else:
            _row_add(indptr, indices, data, X, Y, i)


@nb.njit(parallel=True, **_JIT)
def other_part_windows(indptr, indices, bounds, seg):
    """Per part, the column windows [lo, hi) its rows read from parts before it (row 2q) and after it (row 2q + 1);
    (0, 0) if none: the rows a hybrid sweep must see from before it."""
    parts = bounds.shape[0] - 1
    out = np.zeros((2 * parts, 2), np.int64)
    for q in nb.prange(parts):
        llo, lhi, rlo, rhi = bounds[q], bounds[q], bounds[q + 1], bounds[q + 1]
        for i in range(bounds[q], bounds[q + 1]):
            if seg[i, 0] > indptr[i]:
                llo = min(llo, np.int64(indices[indptr[i]]))
            if seg[i, 2] < indptr[i + 1]:
                rhi = max(rhi, np.int64(indices[indptr[i + 1] - 1]) + 1)
        out[2 * q, 0] = llo
        out[2 * q, 1] = lhi
        out[2 * q + 1, 0] = rlo
        out[2 * q + 1, 1] = rhi
    return out


@nb.njit(parallel=True, **_JIT)
def part_segments(indptr, indices, bounds):
    """Per row: (first position with column >= its part's start, diagonal position, first position with column >=
    its part's end); the rows' column indices are sorted, so each row reads as four contiguous segments. int32
    positions unless the matrix has 2**31 entries or more."""
    n = indptr.shape[0] - 1
    seg = np.empty((n, 3), indptr.dtype)
    for q in nb.prange(bounds.shape[0] - 1):
        lo = bounds[q]
        hi = bounds[q + 1]
        for i in range(lo, hi):
            a = indptr[i]
            b = indptr[i + 1]
            p = a
            while p < b and indices[p] < lo:
                p += 1
            seg[i, 0] = p
            while p < b and indices[p] < i:
                p += 1
            seg[i, 1] = p
            while p < b and indices[p] < hi:
                p += 1
            seg[i, 2] = p
    return seg


@nb.njit(parallel=True, **_JIT)
def gs_forward_zero(indptr, indices, data, dinv, bounds, seg, B, X):
    """X = (D + L_part)^-1 B: one forward hybrid Gauss-Seidel sweep from X = 0 (reads only the in-part lower
    segment of each row)."""
    k = B.shape[1]
    for q in nb.prange(bounds.shape[0] - 1):
        for i in range(_u(bounds[q]), _u(bounds[q + 1])):
            d = dinv[i]
            if k == 3:
                s0 = B[i, 0]
                s1 = B[i, 1]
                s2 = B[i, 2]
                for p in range(_u(seg[i, 0]), _u(seg[i, 1])):
                    j = _u(indices[p])
                    a = data[p]
                    s0 -= a * X[j, 0]
                    s1 -= a * X[j, 1]
                    s2 -= a * X[j, 2]
                X[i, 0] = s0 * d
                X[i, 1] = s1 * d
                X[i, 2] = s2 * d
            else:
                for c in range(k):
                    X[i, c] = B[i, c]
                for p in range(_u(seg[i, 0]), _u(seg[i, 1])):
                    j = _u(indices[p])
                    a = data[p]
                    for c in range(k):
                        X[i, c] -= a * X[j, c]
                for c in range(k):
                    X[i, c] *= d


@nb.njit(inline="always", **_JIT)
def _diff_dot3(indices, data, X, X_old, from_zero, lo, hi, s0, s1, s2):
    """(s0, s1, s2) + sum over positions lo..hi-1 of a_ij (X_old[j] - X[j]) (X_old = 0 if from_zero)."""
    for p in range(_u(lo), _u(hi)):
        j = _u(indices[p])
        a = data[p]
        if from_zero:
            s0 -= a * X[j, 0]
            s1 -= a * X[j, 1]
            s2 -= a * X[j, 2]
        else:
            s0 += a * (X_old[j, 0] - X[j, 0])
            s1 += a * (X_old[j, 1] - X[j, 1])
            s2 += a * (X_old[j, 2] - X[j, 2])
    return s0, s1, s2


@nb.njit(inline="always", **_JIT)
def _diff_dot(indices, data, X, X_old, from_zero, lo, hi, Y, i):
    """Y[i] += sum over positions lo..hi-1 of a_ij (X_old[j] - X[j]) for any number of columns."""
    for p in range(_u(lo), _u(hi)):
        j = _u(indices[p])
        a = data[p]
        for c in range(Y.shape[1]):
            Y[i, c] += a * ((0.0 if from_zero else X_old[j, c]) - X[j, c])


@nb.njit(parallel=True, **_JIT)
def sweep_residual(indptr, indices, data, bounds, seg, X, X_old, backward, from_zero, Y):
    """Y = B - A X right after one hybrid Gauss-Seidel sweep on A X = B took X_old to X, from the couplings the
    sweep read before their update: Y = (U + O)(X_old - X) after a forward sweep, (L + O)(X_old - X) after a
    backward one (U, L: the in-part upper and lower triangles, O: the couplings to other parts; X_old = 0 if
    from_zero). Reads about half of each row instead of all of it (docs/performance.md sec. 8)."""
    k = X.shape[1]
    for q in nb.prange(bounds.shape[0] - 1):
        for i in range(_u(bounds[q]), _u(bounds[q + 1])):
            own_lo = seg[i, 0] if backward else seg[i, 1] + 1
            own_hi = seg[i, 1] if backward else seg[i, 2]
            if k == 3:
                s0, s1, s2 = _diff_dot3(indices, data, X, X_old, from_zero, indptr[i], seg[i, 0], 0.0, 0.0, 0.0)
                s0, s1, s2 = _diff_dot3(indices, data, X, X_old, from_zero, own_lo, own_hi, s0, s1, s2)
                s0, s1, s2 = _diff_dot3(indices, data, X, X_old, from_zero, seg[i, 2], indptr[i + _u(1)], s0, s1, s2)
                Y[i, 0] = s0
                Y[i, 1] = s1
                Y[i, 2] = s2
            else:
                for c in range(k):
                    Y[i, c] = 0.0
                _diff_dot(indices, data, X, X_old, from_zero, indptr[i], seg[i, 0], Y, i)
                _diff_dot(indices, data, X, X_old, from_zero, own_lo, own_hi, Y, i)
                _diff_dot(indices, data, X, X_old, from_zero, seg[i, 2], indptr[i + _u(1)], Y, i)


@nb.njit(inline="always", **_JIT)
def _subtract_row(indices, data, V, lo, hi, X, i):
    """X[i] -= sum over positions lo..hi-1 of a_ij V[j]."""
    for p in range(_u(lo), _u(hi)):
        j = _u(indices[p])
        a = data[p]
        for c in range(X.shape[1]):
            X[i, c] -= a * V[j, c]


@nb.njit(inline="always", **_JIT)
def _row_update(indptr, indices, data, dinv, seg, B, X, X_old, i):
    k = B.shape[1]
    d = dinv[i]
    if k == 3:
        s0 = B[i, 0]
        s1 = B[i, 1]
        s2 = B[i, 2]
        for p in range(_u(indptr[i]), _u(seg[i, 0])):
            j = _u(indices[p])
            a = data[p]
            s0 -= a * X_old[j, 0]
            s1 -= a * X_old[j, 1]
            s2 -= a * X_old[j, 2]
        for p in range(_u(seg[i, 0]), _u(seg[i, 1])):  # in-part lower (seg[i, 1] is the diagonal)
            j = _u(indices[p])
            a = data[p]
            s0 -= a * X[j, 0]
            s1 -= a * X[j, 1]
            s2 -= a * X[j, 2]
        for p in range(_u(seg[i, 1]) + _u(1), _u(seg[i, 2])):  # in-part upper
            j = _u(indices[p])
            a = data[p]
            s0 -= a * X[j, 0]
            s1 -= a * X[j, 1]
            s2 -= a * X[j, 2]
        for p in range(_u(seg[i, 2]), _u(indptr[i + _u(1)])):
            j = _u(indices[p])
            a = data[p]
            s0 -= a * X_old[j, 0]
            s1 -= a * X_old[j, 1]
            s2 -= a * X_old[j, 2]
        X[i, 0] = s0 * d
        X[i, 1] = s1 * d
        X[i, 2] = s2 * d
    else:  # X[i] itself is the accumulator: the sum skips the diagonal, so it never reads X[i]
        for c in range(k):
            X[i, c] = B[i, c]
        _subtract_row(indices, data, X_old, indptr[i], seg[i, 0], X, i)
        _subtract_row(indices, data, X, seg[i, 0], seg[i, 1], X, i)
        _subtract_row(indices, data, X, seg[i, 1] + 1, seg[i, 2], X, i)
        _subtract_row(indices, data, X_old, seg[i, 2], indptr[i + _u(1)], X, i)
        for c in range(k):
            X[i, c] *= d


@nb.njit(parallel=True, **_JIT)
def gs_sweep(indptr, indices, data, dinv, bounds, seg, B, X, X_old, backward):
    """One hybrid Gauss-Seidel sweep on A X = B in place (forward, or backward when ``backward``); X_old: a copy
    of X taken before the sweep, read for the couplings to other parts."""
    for q in nb.prange(bounds.shape[0] - 1):
        lo = bounds[q]
        hi = bounds[q + 1]
        for m in range(hi - lo):
            i = _u(hi - 1 - m if backward else lo + m)
            _row_update(indptr, indices, data, dinv, seg, B, X, X_old, i)


@nb.njit(parallel=True, **_JIT)
def column_dots(U, V):
    """Per column sum_i U[i, c] V[i, c] (k = 3 in parallel, else serial)."""
    n, k = U.shape
    out = np.zeros(k)
    if k == 3:
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        for i in nb.prange(n):
            s0 += U[i, 0] * V[i, 0]
            s1 += U[i, 1] * V[i, 1]
            s2 += U[i, 2] * V[i, 2]
        out[0] = s0
        out[1] = s1
        out[2] = s2
    else:
        for i in range(n):
            for c in range(k):
                out[c] += U[i, c] * V[i, c]
    return out


@nb.njit(parallel=True, **_JIT)
def column_absmax(X):
    """Per column max_i |X[i, c]| (k = 3 in parallel, else serial)."""
    n, k = X.shape
    out = np.zeros(k)
    if k == 3:
        m0 = 0.0
        m1 = 0.0
        m2 = 0.0
        for i in nb.prange(n):
            m0 = max(m0, abs(X[i, 0]))
            m1 = max(m1, abs(X[i, 1]))
            m2 = max(m2, abs(X[i, 2]))
        out[0] = m0
        out[1] = m1
        out[2] = m2
    else:
        for i in range(n):
            for c in range(k):
                out[c] = max(out[c], abs(X[i, c]))
    return out


@nb.njit(parallel=True, **_JIT)
def scale_columns(X, scale, out):
    """out[:, c] = scale[c] X[:, c], converted to out's dtype."""
    n, k = X.shape
    for i in nb.prange(n):
        for c in range(k):
            out[i, c] = X[i, c] * scale[c]


@nb.njit(parallel=True, **_JIT)
def cg_step(X, R, Pd, Q, alpha):
    """X += alpha Pd, R -= alpha Q (per column alpha); returns |R|^2 per column."""
    n, k = X.shape
    out = np.zeros(k)
    if k == 3:
        a0 = alpha[0]
        a1 = alpha[1]
        a2 = alpha[2]
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        for i in nb.prange(n):
            X[i, 0] += a0 * Pd[i, 0]
            X[i, 1] += a1 * Pd[i, 1]
            X[i, 2] += a2 * Pd[i, 2]
            r0 = R[i, 0] - a0 * Q[i, 0]
            r1 = R[i, 1] - a1 * Q[i, 1]
            r2 = R[i, 2] - a2 * Q[i, 2]
            R[i, 0] = r0
            R[i, 1] = r1
            R[i, 2] = r2
            s0 += r0 * r0
            s1 += r1 * r1
            s2 += r2 * r2
        out[0] = s0
        out[1] = s1
        out[2] = s2
    else:
        for i in range(n):
            for c in range(k):
                X[i, c] += alpha[c] * Pd[i, c]
                R[i, c] -= alpha[c] * Q[i, c]
                out[c] += R[i, c] * R[i, c]
    return out


@nb.njit(parallel=True, **_JIT)
def cg_direction(Pd, Z, beta):
    """Pd = Z + beta Pd (per column beta)."""
    n, k = Pd.shape
    for i in nb.prange(n):
        for c in range(k):
            Pd[i, c] = Z[i, c] + beta[c] * Pd[i, c]
