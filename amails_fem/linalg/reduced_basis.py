"""Solve (A + sum_w l_w(f) S_w) x = b0 + sum_w l_w(f) b1_w on a whole frequency grid by a reduced basis.

The solution is a rational function of the impedance lengths l_w with poles on the negative real axis, so a
few snapshots span it: a snapshot is solved for the grid point whose reduced solution has the largest exact
residual, at a real shift chosen for it (SPD: CG + the two-level AMG of linalg/amg.py), and every grid frequency costs
an m x m solve. The residual is computed exactly through an incrementally orthonormalised set of residual
components.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg.blas import dgemm
from scipy.sparse.linalg import LinearOperator, gmres, splu

from amails_fem.errors import ConvergenceError
from amails_fem.linalg import kernels
from amails_fem.linalg.amg import galerkin_refresh, sa_solver, two_level_preconditioner
from amails_fem.linalg.krylov import block_cg, checked_cg, one_blas_thread
from amails_fem.linalg.shifted_amg import SharedPattern, ShiftedTwoLevel
from amails_fem.threads import kernel_threads_for

DIRECT_MAX_DOFS = 30_000  # below this, full solves use a sparse LU; above, real CG (or complex GMRES) with AMG
# candidate real shifts, as multiples of |l| at the chosen grid point (aligned_shift scores them)
SHIFT_CANDIDATES = tuple(2.0 ** (np.arange(-12, 13) / 4))  # x |l|: 1/8 to 8 in steps of 2^(1/4)
SNAPSHOT_TOL_DIVISOR = 300  # snapshots solved to rb_tol / this (see solve_frequency_grid)
STALL_LIMIT = 2  # real snapshots at a grid point that did not halve its residual before it gets a complex solve


@dataclass
class ReducedStats:
    """What the frequency-grid solve did."""

    snapshot_points: list  # grid index of each full solve, in order
    basis_size: int
    max_relative_residual: float
    tolerance: float
    method: str
    seconds: dict = field(default_factory=dict)
    iterations: list = field(default_factory=list)
    kinds: list = field(default_factory=list)  # per full solve: "real" (snapshot at |l|) or "complex"

    @property
    def full_solves(self) -> int:
        return len(self.snapshot_points)


MAX_GS_PASSES, GS_KEEP = 5, 0.5  # re-orthogonalise while a pass removes more than half (Kahan-Parlett)


class _Orthonormal:
    """Incrementally orthonormalised columns (two-pass classical Gram-Schmidt); coords of every added column.

    Columns live in a preallocated column-major buffer (grown by doubling; np.zeros maps its pages lazily, so the
    64 columns reserved cost nothing until used), and add_many projects a whole block against the existing columns
    with matrix-matrix products: appending with column_stack and projecting one vector at a time re-read the whole
    basis for every vector (seconds at 3e5 DOFs).
    """

    def __init__(self, n):
        self._buf = np.zeros((n, 64), order="F")
        self.k = 0
        self.coords = []  # per added column: its coordinates in Q (length at the time of adding)

    @property
    def Q(self):
        return self._buf[:, : self.k]

    def _append(self, q):
        if self.k == self._buf.shape[1]:
            new = np.zeros((self._buf.shape[0], 2 * self.k), order="F")
            new[:, : self.k] = self._buf
            self._buf = new
        self._buf[:, self.k] = q
        self.k += 1

    def add(self, c, keep_zero=True, drop_tol=1e-13):
        return self.add_many(np.asarray(c, float)[:, None], keep_zero, drop_tol)[0]

    def add_many(self, C, keep_zero=True, drop_tol=1e-13):
        """Add the columns of C (n, p) in order; per column its coords (None if dropped, keep_zero=False)."""
        C = np.array(C, float, order="F", copy=True)
        norms0 = np.linalg.norm(C, axis=0)
        k0 = self.k
        H = np.zeros((k0, C.shape[1]))
        if k0:  # block projection against the existing columns (BLAS-3), repeated while it still removes much
            prev = norms0
            for _ in range(MAX_GS_PASSES):
                h = self.Q.T @ C
                C = _gemm_update(self.Q, h, C)  # C - Q h in place
                H += h
                now = np.linalg.norm(C, axis=0)
                if np.all(now > GS_KEEP * prev):
                    break
                prev = now
        out = []
        for j in range(C.shape[1]):
            c = C[:, j]
            r = H[:, j]
            if self.k > k0:  # the columns added from this block
                Qn = self._buf[:, k0: self.k]
                prev = np.linalg.norm(c)
                g = Qn.T @ c
                c = c - Qn @ g
                r = np.concatenate([r, g])
                if np.linalg.norm(c) <= GS_KEEP * prev:  # cancellation: re-orthogonalise against everything
                    for _ in range(MAX_GS_PASSES):
                        prev = np.linalg.norm(c)
                        h = self.Q.T @ c
                        c = c - self.Q @ h
                        r += h
                        if np.linalg.norm(c) > GS_KEEP * prev:
                            break
            nrm = np.linalg.norm(c)
            if nrm > drop_tol * max(norms0[j], 1e-300):
                self._append(c / nrm)
                r = np.append(r, nrm)
            elif not keep_zero:
                out.append(None)
                continue
            self.coords.append(r)
            out.append(r)
        return out

    def matrix(self, which):
        """Coordinates of the listed added columns as a dense (rank, len) matrix."""
        k = self.k
        M = np.zeros((k, len(which)))
        for j, i in enumerate(which):
            r = self.coords[i]
            M[: len(r), j] = r
        return M


def _kernel_threads(func):
    """Run ``func(A, ...)`` with the compiled kernels' thread count for A's size (amails_fem/threads.py: one thread
    below 3e5 DOFs; at 8e3 DOFs on a loaded machine two threads made the block path 15x slower than scipy's cg)."""

    @functools.wraps(func)
    def wrapper(A, *args, **kwargs):
        with kernel_threads_for(A.shape[0]):
            return func(A, *args, **kwargs)

    return wrapper


@_kernel_threads
@one_blas_thread
def solve_frequency_grid(A, S_list, b0, b1_list, lengths, *, P=None, tol=1e-10, rb_tol=None, max_full=60,
                         progress=None, direct=None, snapshots=None, cg_method: str = "block",
                         local_numbering: bool = False):
    """Solve (A + sum_w l_w(f) S_w) x = b0 + sum_w l_w(f) b1_w for all f and all right-hand-side rows.

    A, S_w: real symmetric (already pinned); b0, b1_w: (n_rhs, n) real; lengths: (n_walls, n_f) complex.
    Returns (V (n, m) real orthonormal basis, Y (n_f, n_rhs, m) complex, ReducedStats).
    Greedy: a full solve for the grid point with the largest true relative residual until all are <= rb_tol.
    snapshots="real" (default for iterative solves): the full solve is taken at REAL lengths s_w = c |l_w(f_i)|
    (c among SHIFT_CANDIDATES, chosen by aligned_shift below; solved to min(tol, rb_tol / 300)), where
    A + sum s_w S_w is symmetric positive definite: real CG with the two-level AMG preconditioner, the three
    right-hand sides sharing it, started from the reduced solution. psi(l) is rational in l with its poles on the
    negative real axis, so real positive shifts span the complex-l solutions (rational Krylov); the exact residual
    still decides, and a grid point whose residual a real snapshot did not halve gets a complex solve next time.
    cg_method "block": the real snapshots' right-hand sides in one block CG with the compiled two-level
    preconditioner (linalg/block_amg.py, float32 coarse levels; two Gauss-Seidel parts if local_numbering, i.e. the
    DOFs are in fem/numbering.py's order, else one); "scipy": scipy's cg per right-hand side.
    snapshots="complex": exact complex solves (sparse LU if direct, else GMRES preconditioned by real AMG).
    The snapshots share one smoothed-aggregation hierarchy (aggregates and prolongators from the first); each new
    shift recomputes only its Galerkin coarse operators, so the coarse problems stay exact: on the block path by
    multiply-adds on fixed patterns (linalg/shifted_amg.py), on the scipy path by sparse products (galerkin_refresh).
    """
    t_start = time.perf_counter()
    n = A.shape[0]
    nw, nf = lengths.shape
    nr = b0.shape[0]
    rb_tol = rb_tol if rb_tol is not None else max(30 * tol, 1e-9)
    # snapshots well below the basis tolerance: at rb_tol / 30 the greedy stalled near rb_tol (9 snapshots, one
    # complex, at 61k DOFs); at rb_tol / 300 it needs 6, each 1-2 CG iterations longer. Measured again at 61k DOFs
    # with the shifted hierarchy: rb_tol / 100 took 9 snapshots (one complex), rb_tol / 30 seven (final residual
    # 2.8e-9, at the edge of rb_tol), against 6 at rb_tol / 300
    snapshot_tol = min(tol, rb_tol / SNAPSHOT_TOL_DIVISOR)
    direct = (n <= DIRECT_MAX_DOFS) if direct is None else direct
    # residual components: r = b0 + sum l b1 - A V y - sum l S V y; keep them orthonormalised
    resid = _Orthonormal(n)
    idx_b = np.arange(nr * (1 + nw)).reshape(nr, 1 + nw)  # b0[k], b1_w[k] per row k, as one block
    loads = np.empty((n, nr * (1 + nw)), order="F")
    for k in range(nr):
        loads[:, idx_b[k, 0]] = b0[k]
        for w in range(nw):
            loads[:, idx_b[k, 1 + w]] = b1_list[w][k]
    resid.add_many(loads)
    idx_AV, idx_SV = [], [[] for _ in range(nw)]
    basis = _Orthonormal(n)
    V = np.zeros((n, 0))
    Ar = np.zeros((0, 0))
    Sr = [np.zeros((0, 0)) for _ in range(nw)]
    snap_idx, iterations = [], []
    stalled = {}  # per grid point: real snapshots that did not halve its residual
    t_solve = 0.0
    snapshots = snapshots or ("complex" if direct else "real")
    if snapshots not in ("real", "complex"):
        raise ValueError(f"snapshots must be 'real' or 'complex'; got {snapshots!r}")
    if snapshots == "real":
        method = ("real snapshots near |l| (sparse LU)" if direct else
                  "real snapshots near |l|: CG + two-level AMG of A + sum s_w S_w")
    else:
        method = "sparse LU (complex)" if direct else "GMRES + real AMG of A + sum |l_w| S_w"
    amg = {"ml": None, "shifted": None, "setup_s": 0.0, "cg_s": 0.0}
    Pt = P.T.tocsr() if P is not None else None
    pattern = SharedPattern(A, S_list) if snapshots == "real" else None
    coarse_pattern = []
    kinds = []

    def reduced(V_m, L=None):
        L = lengths if L is None else L
        nf = L.shape[1]
        m = V_m.shape[1]
        Y = np.zeros((nf, nr, m), complex)
        if m == 0:
            return Y
        b0r = b0 @ V_m  # (nr, m)
        b1r = [b @ V_m for b in b1_list]
        for i in range(nf):
            K = Ar + sum(L[w, i] * Sr[w] for w in range(nw))
            rhs = b0r + sum(L[w, i] * b1r[w] for w in range(nw))
            Y[i] = np.linalg.solve(K, rhs.T).T
        return Y

    def residual_coords(Y, L=None):
        """Exact residuals b(l) - K(l) V y of the reduced solutions as coordinates in the orthonormal residual
        basis: (nf, kq, nr) complex, and the right-hand sides' norms (nf, nr)."""
        L = lengths if L is None else L
        nf = L.shape[1]
        m = Y.shape[2]
        Rb = resid.matrix(list(idx_b.ravel())).reshape(-1, nr, 1 + nw)
        RAV = resid.matrix(idx_AV) if m else np.zeros((resid.Q.shape[1], 0))
        RSV = [resid.matrix(idx_SV[w]) if m else np.zeros((resid.Q.shape[1], 0)) for w in range(nw)]
        kq = resid.Q.shape[1]
        Rb = np.vstack([Rb, np.zeros((kq - Rb.shape[0], nr, 1 + nw))]) if Rb.shape[0] < kq else Rb
        R = np.zeros((nf, kq, nr), complex)
        norms = np.zeros((nf, nr))
        for i in range(nf):
            lw = L[:, i]
            bvec = Rb @ np.concatenate([[1.0], lw])  # (kq, nr)
            R[i] = bvec
            if m:
                R[i] -= RAV @ Y[i].T + sum(lw[w] * (RSV[w] @ Y[i].T) for w in range(nw))
            norms[i] = np.linalg.norm(bvec, axis=0)
        return R, norms

    def residuals(Y, L=None):
        """Relative residual norms (nf, nr) of the reduced solutions (exact, from residual_coords)."""
        R, norms = residual_coords(Y, L)
        return np.linalg.norm(R, axis=1) / np.maximum(norms, 1e-300)

    def aligned_shift(i, rows):
        """The real shift s = fac |l_w(f_i)| (fac in SHIFT_CANDIDATES) to solve next for grid point i.

        The target's error is K(l)^-1 r_l and the snapshot adds K(s)^-1 r_s (r: residuals of the reduced
        solutions), with K(l) = K(s) + (l - s) S. So the score rewards a residual r_s aligned with r_l (mean |cos|
        over the rows, exact in the residual basis) and a shift near |l| (1 / (1 + ln(s / |l|)^2)): a distance from
        the complex l itself (1 - |l - s| / |l + s|) was tried first and fails for resistive walls (l = i|l|: the
        same for every real s, so the smallest candidate won and a complex solve was needed).
        Measured (AMAILS room, 61k and 3.2e5 P2 DOFs): the residual after 4 snapshots is 8e-7 (trying every shift
        exactly and keeping the best gave 7e-7) where the previous rule (the shift with the largest residual: it
        kept picking the smallest candidate) left 6e-5; 6 snapshots instead of 7, 192 CG iterations instead of 219.
        """
        Lc = (np.abs(lengths[:, i])[:, None] * np.asarray(SHIFT_CANDIDATES)[None, :]).astype(complex)
        Rc, _ = residual_coords(reduced(V, Lc), Lc)
        Rt, _ = residual_coords(Y[i: i + 1], lengths[:, i: i + 1])
        Rc, Rt = Rc[:, :, rows], Rt[0][:, rows]
        cos = np.abs(np.einsum("ckr,kr->cr", Rc.conj(), Rt)) / np.maximum(
            np.linalg.norm(Rc, axis=1) * np.linalg.norm(Rt, axis=0), 1e-300)
        near = 1 / (1 + np.log(np.asarray(SHIFT_CANDIDATES)) ** 2)  # s = c |l|; 1 at c = 1, 0.19 at c = 8 or 1/8
        score = cos.mean(axis=1) * near
        return SHIFT_CANDIDATES[int(np.argmax(score))]

    def real_solve(i, rows, fac, x0):
        """Snapshot at the real lengths fac |l_w(f_i)|: SPD system, CG + two-level AMG, x0 = reduced solution."""
        sig = fac * np.abs(lengths[:, i])
        # inexact snapshots (tolerance 1e-4..1e-2 x the current residual, or 1-30 x rb_tol) saved CG iterations per
        # snapshot but needed more snapshots and complex fallbacks (measured at 89k DOFs: slower)
        rtol = snapshot_tol
        block = cg_method == "block" and P is not None
        rhs = b0[rows] + sum(sig[w] * b1_list[w][rows] for w in range(nw))
        K, U = pattern.matrix(sig, with_upper=True) if not (block or direct) else (None, None)
        if direct:
            lu = splu(pattern.matrix(sig).tocsc())
            return np.array([lu.solve(r) for r in rhs]), [1] * len(rows)
        t0 = time.perf_counter()
        if block:  # every level of the hierarchy refreshed by multiply-adds on fixed patterns (linalg/shifted_amg.py)
            if amg["shifted"] is None:
                amg["shifted"] = ShiftedTwoLevel(A, S_list, P, Pt=Pt, coarse_dtype=np.float32, fine=pattern,
                                                 fine_parts=None if local_numbering else 1)
            M = amg["shifted"].at(sig)
            amg["setup_s"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            X, its, _res = block_cg(M.A.matmul, np.ascontiguousarray(rhs.T), M, tol=rtol, maxiter=1000,
                                    X0=np.ascontiguousarray(np.real(x0).T))
            amg["cg_s"] += time.perf_counter() - t0
            return np.ascontiguousarray(X.T), its
        # the coarse problem: P^T K P = P^T A P + sum s_w P^T S_w P on a pattern made once (K itself without P)
        if P is not None and not coarse_pattern:
            coarse_pattern.append(SharedPattern((Pt @ A @ P).tocsr(), [(Pt @ S @ P).tocsr() for S in S_list]))
        Kc = coarse_pattern[0].matrix(sig) if P is not None else K
        if amg["ml"] is None:  # SA aggregates and prolongators from the first snapshot, reused by all
            amg["ml"] = sa_solver(Kc)
        else:  # a new shift: only the Galerkin coarse operators are recomputed (exact for this K)
            galerkin_refresh(amg["ml"], Kc)
        coarse = amg["ml"].aspreconditioner(cycle="V")
        M = two_level_preconditioner(K, P, coarse, U, Pt=Pt) if P is not None else coarse
        amg["setup_s"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        X, its = [], []
        for j, r in enumerate(rhs):
            x, n_its, _res = checked_cg(K, r, M, tol=rtol, maxiter=1000, x0=np.real(x0[j]).copy())
            X.append(x)
            its.append(n_its)
        amg["cg_s"] += time.perf_counter() - t0
        return np.array(X), its

    def real_x0(i, rows, fac):
        """Reduced solution at the real lengths fac |l_w(f_i)| (the CG starting guess)."""
        m = V.shape[1]
        if m == 0:
            return np.zeros((len(rows), n))
        sig = fac * np.abs(lengths[:, i])
        Kr = Ar + sum(sig[w] * Sr[w] for w in range(nw))
        rhs = (b0[rows] + sum(sig[w] * b1_list[w][rows] for w in range(nw))) @ V
        return (V @ np.linalg.solve(Kr, rhs.T)).T

    def full_solve(i, rows, x0):
        lw = lengths[:, i]
        K = (A + sum(lw[w] * S_list[w] for w in range(nw))).astype(complex)
        rhs = b0[rows] + sum(lw[w] * b1_list[w][rows] for w in range(nw))
        if direct:

            lu = splu(K.tocsc())
            return np.array([lu.solve(r) for r in rhs]), [1] * len(rows)


        Kr = (A + sum(abs(lw[w]) * S_list[w] for w in range(nw))).tocsr()
        Mr = two_level_preconditioner(Kr, P) if P is not None else sa_solver(Kr).aspreconditioner(cycle="V")
        M = LinearOperator(K.shape, matvec=lambda r: Mr @ np.real(r) + 1j * (Mr @ np.imag(r)), dtype=complex)
        X, its = [], []
        for j, r in enumerate(rhs):
            count = [0]
            x = x0[j].copy()
            nb = np.linalg.norm(r)
            for _attempt in range(4):
                x, _ = gmres(K, r, x0=x, rtol=tol, restart=60, maxiter=4, M=M,
                             callback=lambda _: count.__setitem__(0, count[0] + 1), callback_type="pr_norm")
                res = np.linalg.norm(r - K @ x) / nb
                if res <= 10 * tol:
                    break
            else:
                raise ConvergenceError(f"GMRES stopped at relative residual {res:.2e} (tolerance {tol:.0e})")
            X.append(x)
            its.append(count[0])
        return np.array(X), its

    Y = reduced(V)
    est = np.ones((nf, nr))
    first = True
    while True:
        if not first:
            worst = float(est.max())
            if worst <= rb_tol:
                break
            if len(snap_idx) >= max_full:
                raise ConvergenceError(f"reduced basis: relative residual {worst:.2e} > {rb_tol:.0e} after "
                                       f"{len(snap_idx)} full solves")
        i = int(np.argmax(est.max(axis=1))) if not first else int(np.argsort(np.abs(lengths).sum(0))[nf // 2])
        rows = [k for k in range(nr) if first or est[i, k] > rb_tol]
        first = False
        kind = "complex" if (snapshots == "complex" or stalled.get(i, 0) >= STALL_LIMIT) else "real"
        t0 = time.perf_counter()
        if kind == "real":
            fac = aligned_shift(i, rows) if V.shape[1] else 1.0
            X, its = real_solve(i, rows, fac, real_x0(i, rows, fac))
        else:
            x0 = (V @ Y[i].T).T[rows] if V.shape[1] else np.zeros((len(rows), n), complex)
            X, its = full_solve(i, rows, x0.astype(complex))
        t_solve += time.perf_counter() - t0
        snap_idx.append(i)
        kinds.append(kind)
        iterations.extend(its)
        est_before = est[i].max()
        # the new columns as an (n, p) block: X.T is one already (a Fortran-order view of the rows)
        parts = X.T if kind == "real" else np.column_stack([p for x in X for p in (x.real, x.imag)])
        m0 = V.shape[1]
        basis.add_many(parts, keep_zero=False, drop_tol=1e-10)
        V = basis.Q
        if kind == "complex" and V.shape[1] == m0:
            raise ConvergenceError(f"reduced basis: an exact complex solve at grid point {i} added nothing, but its "
                                   f"estimated residual is {est[i].max():.2e} > {rb_tol:.0e} (round-off floor?)")
        if V.shape[1] > m0:
            p = V.shape[1] - m0
            Vn = np.ascontiguousarray(V[:, m0:])
            prods = [_spmm(M, Vn) for M in [A, *S_list]]  # A Vn, S_w Vn: compiled, all p columns in one pass
            # grow the reduced matrices: V^T (A Vn) and V^T (S_w Vn), one product each
            Ar = _grow(Ar, V.T @ prods[0])
            Sr = [_grow(Sr[w], V.T @ prods[1 + w]) for w in range(nw)]
            # residual components, in the order A v_j, S_w v_j per new vector
            cols = np.empty((n, p * (1 + nw)), order="F")
            for j in range(p):
                for t in range(1 + nw):
                    c = j * (1 + nw) + t
                    (idx_AV if t == 0 else idx_SV[t - 1]).append(len(resid.coords) + c)
                    cols[:, c] = prods[t][:, j]
            resid.add_many(cols)
        Y = reduced(V)
        est = residuals(Y)
        if kind == "real" and (est[i].max() > 0.5 * est_before or max(its) == 0):
            stalled[i] = stalled.get(i, 0) + 1
        if progress is not None:
            progress.say(f"  {kind} full solve {len(snap_idx)} at grid point {i}: basis {V.shape[1]}, "
                         f"iterations {its}, max residual {est.max():.1e}")
    seconds = {"full_solves": t_solve, "total": time.perf_counter() - t_start}
    if amg["ml"] is not None or amg["shifted"] is not None:
        seconds.update(amg_setup=amg["setup_s"], cg=amg["cg_s"])
    stats = ReducedStats(snapshot_points=snap_idx, basis_size=V.shape[1], max_relative_residual=float(est.max()),
                         tolerance=rb_tol, method=method, seconds=seconds, iterations=iterations, kinds=kinds)
    return V, Y, stats


def _gemm_update(Q, h, C):
    """C - Q h, written into C (Fortran order) by one BLAS call: no temporary n x p product."""

    return dgemm(-1.0, Q, h, beta=1.0, c=C, overwrite_c=True)


def _spmm(M, X):
    """M X for CSR M and a C-order (n, p) block X (linalg/kernels.py: the matrix read once for all p columns)."""
    Y = np.empty((M.shape[0], X.shape[1]))
    kernels.spmm(M.indptr, M.indices.astype(np.int32, copy=False), M.data, X, Y)
    return Y


def _grow(M, G):
    """A symmetric reduced matrix grown by p basis vectors: G = V^T X V_new (m x p, m = old size + p); the new
    diagonal block is taken from its upper triangle (the order of the one-vector-at-a-time update)."""
    m, p = G.shape
    m0 = m - p
    out = np.zeros((m, m))
    out[:m0, :m0] = M
    out[:, m0:] = G
    out[m0:, :m0] = G[:m0].T
    B = G[m0:]
    out[m0:, m0:] = np.triu(B) + np.triu(B, 1).T
    return out
