"""Compiled kernels for assembly straight into CSR: the sparsity pattern from the element-DOF table and the
row-by-row accumulation of affine P1/P2 stiffness entries (numba; docs/performance.md sec. 5).

Row-wise (each row gathers from the elements that hold its DOF) rather than element-wise scatter: rows are
independent, so the parts run in parallel without write conflicts and the result does not depend on the thread
count. Nothing of size (elements x n_loc^2) is ever formed (the COO route held three such arrays).
"""

from __future__ import annotations

import numba as nb
import numpy as np

_JIT = dict(nogil=True, cache=True, boundscheck=False)
_u = np.uint64  # positions and DOFs cast to unsigned before indexing: no wraparound test per access (linalg/kernels.py)
_CHUNKS = 64  # row blocks: each holds one scratch array of n entries while it works


@nb.njit(**_JIT)
def dof_elements(edofs, n):
    """For every DOF the (element, local index) pairs that hold it, CSR-like: (ptr, elem, local).
    edofs: (n_elements, n_loc), one element per row (the layout every kernel here reads)."""
    nel, nloc = edofs.shape
    count = np.zeros(n + 1, np.int64)
    for e in range(nel):
        for a in range(nloc):
            count[edofs[e, a] + 1] += 1
    for i in range(n):
        count[i + 1] += count[i]
    ptr = count.copy()
    elem = np.empty(nloc * nel, np.int32)
    local = np.empty(nloc * nel, np.int8)
    fill = count[:-1].copy()
    for e in range(nel):
        for a in range(nloc):
            d = edofs[e, a]
            elem[fill[d]] = e
            local[fill[d]] = a
            fill[d] += 1
    return ptr, elem, local


@nb.njit(parallel=True, **_JIT)
def _row_counts(ptr, elem, edofs, n):
    nloc = edofs.shape[1]
    counts = np.zeros(n, np.int64)
    step = (n + _CHUNKS - 1) // _CHUNKS
    for c in nb.prange(_CHUNKS):
        mark = np.full(n, -1, np.int64)
        for i in range(c * step, min(n, (c + 1) * step)):
            m = 0
            for q in range(_u(ptr[i]), _u(ptr[i + 1])):
                e = _u(elem[q])
                for b in range(nloc):
                    j = _u(edofs[e, b])
                    if mark[j] != i:
                        mark[j] = i
                        m += 1
            counts[i] = m
    return counts


@nb.njit(parallel=True, **_JIT)
def _row_fill(ptr, elem, edofs, indptr, indices):
    nloc = edofs.shape[1]
    n = indptr.shape[0] - 1
    step = (n + _CHUNKS - 1) // _CHUNKS
    for c in nb.prange(_CHUNKS):
        mark = np.full(n, -1, np.int64)
        for i in range(c * step, min(n, (c + 1) * step)):
            p = _u(indptr[i])
            for q in range(_u(ptr[i]), _u(ptr[i + 1])):
                e = _u(elem[q])
                for b in range(nloc):
                    j = _u(edofs[e, b])
                    if mark[j] != i:
                        mark[j] = i
                        indices[p] = j
                        p += _u(1)
            # insertion sort of the row (a few dozen entries)
            lo = indptr[i]
            for s in range(lo + 1, p):
                v = indices[s]
                t = s - 1
                while t >= lo and indices[t] > v:
                    indices[t + 1] = indices[t]
                    t -= 1
                indices[t + 1] = v


def csr_pattern(edofs: np.ndarray, n: int):
    """(indptr, indices, (ptr, elem, local)) of the matrix coupling every pair of DOFs of one element.

    indices int32 sorted per row; indptr int32 while the nonzeros fit, else int64.
    """
    edofs = np.ascontiguousarray(edofs, dtype=np.int32)  # (n_elements, n_loc)
    ptr, elem, local = dof_elements(edofs, n)
    counts = _row_counts(ptr, elem, edofs, n)
    nnz = int(counts.sum())
    itype = np.int32 if nnz < 2**31 else np.int64
    indptr = np.zeros(n + 1, itype)
    np.cumsum(counts, out=indptr[1:])
    indices = np.empty(nnz, np.int32)
    _row_fill(ptr, elem, edofs, indptr, indices)
    return indptr, indices, (ptr, elem, local)


@nb.njit(parallel=True, fastmath=True, **_JIT)
def gradient_products(p, t):
    """G (nel, 16): |det J| (grad lambda_k . grad lambda_l) for the 4 barycentric gradients of each affine tet."""
    nel = t.shape[1]
    G = np.empty((nel, 16))
    for e in nb.prange(nel):
        x0 = p[0, t[0, e]]
        y0 = p[1, t[0, e]]
        z0 = p[2, t[0, e]]
        a00 = p[0, t[1, e]] - x0
        a10 = p[1, t[1, e]] - y0
        a20 = p[2, t[1, e]] - z0
        a01 = p[0, t[2, e]] - x0
        a11 = p[1, t[2, e]] - y0
        a21 = p[2, t[2, e]] - z0
        a02 = p[0, t[3, e]] - x0
        a12 = p[1, t[3, e]] - y0
        a22 = p[2, t[3, e]] - z0
        c00 = a11 * a22 - a12 * a21
        c01 = a02 * a21 - a01 * a22
        c02 = a01 * a12 - a02 * a11
        c10 = a12 * a20 - a10 * a22
        c11 = a00 * a22 - a02 * a20
        c12 = a02 * a10 - a00 * a12
        c20 = a10 * a21 - a11 * a20
        c21 = a01 * a20 - a00 * a21
        c22 = a00 * a11 - a01 * a10
        det = a00 * c00 + a01 * c10 + a02 * c20
        inv = 1.0 / det
        # rows of J^-1 are grad lambda_1..3; grad lambda_0 = -(sum)
        g = np.empty((4, 3))
        g[1, 0] = c00 * inv
        g[1, 1] = c01 * inv
        g[1, 2] = c02 * inv
        g[2, 0] = c10 * inv
        g[2, 1] = c11 * inv
        g[2, 2] = c12 * inv
        g[3, 0] = c20 * inv
        g[3, 1] = c21 * inv
        g[3, 2] = c22 * inv
        for d in range(3):
            g[0, d] = -(g[1, d] + g[2, d] + g[3, d])
        ad = abs(det)
        for k in range(4):
            for m in range(4):
                G[e, 4 * k + m] = ad * (g[k, 0] * g[m, 0] + g[k, 1] * g[m, 1] + g[k, 2] * g[m, 2])
    return G


@nb.njit(parallel=True, fastmath=True, **_JIT)
def accumulate_rows(indptr, indices, ptr, elem, local, edofs, G, MrefT, data):
    """data[row i] = sum over the elements e holding i (local index a) of K_e[a, :], K_e = G[e] @ MrefT.T
    (MrefT: (nloc^2, 16), the reference tensor transposed so the 16 products are contiguous)."""
    nloc = edofs.shape[1]
    n = indptr.shape[0] - 1
    step = (n + _CHUNKS - 1) // _CHUNKS
    for c in nb.prange(_CHUNKS):
        pos = np.zeros(n, np.int64)
        for i in range(c * step, min(n, (c + 1) * step)):
            for s in range(_u(indptr[i]), _u(indptr[i + 1])):
                pos[_u(indices[s])] = s
                data[s] = 0.0
            for q in range(_u(ptr[i]), _u(ptr[i + 1])):
                e = _u(elem[q])
                a = _u(local[q])
                for b in range(_u(nloc)):
                    v = 0.0
                    col = a * _u(nloc) + b
                    for kl in range(16):
                        v += G[e, kl] * MrefT[col, kl]
                    data[_u(pos[_u(edofs[e, b])])] += v
