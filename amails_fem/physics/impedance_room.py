"""Quasi-static shield room with impedance walls (physics.md sec. 2, issue 5), complex and frequency dependent.

Same scalar formulation as the perfect conductor: B = mu0 (a + grad psi), a = J x r / 2, psi harmonic. The wall
condition follows from E_t = Z_s K, K = H x n (n outward, no field beyond the wall) and Faraday's law
n . curl E = i omega B_n (e^{-i omega t}); with n . curl E = div_s(E_t x n) and E_t x n = -(Z_s/mu0) B_t:

    n . B = l div_s(B_t),     l = Z_s / (-i omega mu0)   (metres; resistive wall: l = i/(omega mu0 sigma t)).

Weak form (integrating div_s by parts over the closed wall; edges and corners need no extra terms):

    int_Omega grad v . grad psi + sum_w l_w int_{Gamma_w} grad_s v . grad_s psi
        = -int_Gamma v n . a  -  sum_w l_w int_{Gamma_w} grad_s v . a_t           (per unit mu0 J)

i.e. (A + sum_w l_w S_w) psi = b0 + sum_w l_w b1_w. Taking v = conj(psi)-weighted power shows Re Z_s > 0 (Im l > 0)
gives wall losses; the poles omega = -i Re(Z_s)/(mu0 lambda) of a resistive wall lie in the lower half-plane
(decaying), which the opposite sign would turn into growing modes. l -> 0 is the perfect conductor.

Frequency grid: A, S_w, b0, b1_w and the mesh are built once; the solution psi(l) is a Stieltjes-type function of
l, so a reduced basis of a few full solves (greedy over the grid, error = true residual norm computed exactly
through an incrementally orthonormalised set of residual components) gives every grid frequency by m x m solves.
The full solves ("snapshots") are taken at REAL positive lengths near |l| (A + sum s_w S_w is then SPD: real CG with
the room solver's two-level AMG, three right-hand sides per preconditioner): psi(l) is rational in l with its poles
on the negative real axis, so real shifts span the complex-l solutions (rational Krylov). At 3e5 P2 DOFs seven real
snapshots (21 vectors) reach the tolerance for the AMAILS stack on 1-500 Hz, where three complex GMRES snapshots cost
1.8x more (benchmarks/walls_frequency.py). A grid point whose residual real snapshots stop reducing gets an exact
complex solve.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from amails_fem import units
from amails_fem.errors import ConvergenceError, SpecError
from amails_fem.geometry.spec import RoomBase
from amails_fem.physics.sources import unit_polarization
from amails_fem.progress import Progress

DIRECT_MAX_DOFS = 30_000  # below this, full solves use a sparse LU; above, real CG (or complex GMRES) with AMG
# real snapshot shifts tried around |l| of the chosen grid point: the one where the reduced solution is worst is solved
SHIFT_CANDIDATES = tuple(2.0 ** (np.array([0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6]) / 2))
STALL_LIMIT = 2  # real snapshots at a grid point that did not halve its residual before it gets a complex solve
# solve_impedance_room's default: real snapshots above this many DOFs. Measured (AMAILS room, 50 frequencies):
# 3.3k DOFs real 0.39 s (8 full solves) vs complex 0.24 s (3); 27k DOFs real 1.27 s vs complex 1.74 s.
REAL_SNAPSHOT_MIN_DOFS = 10_000
# reuse an AMG coarse hierarchy for real snapshots whose |l| differ by less than this factor. 1 = always rebuild:
# measured at 89k P2 DOFs, a setup costs ~0.06 s (~4 CG iterations) while reuse across a factor 3 in |l| added
# 3-9 iterations per right-hand side and one hierarchy for all snapshots tripled them.
REUSE_RATIO = 1.0


# -- assembly ------------------------------------------------------------------------------------------------------
def assemble_wall_terms(basis, facets: np.ndarray, intorder: int | None, source_dirs=None, vectorized=True):
    """Surface Laplacian S = int grad_s u . grad_s v and loads b1_k = -int grad_s v . a_k on ``facets``.

    vectorized=False: scikit-fem forms (the reference the vectorized assembly was checked against, to 1e-14).
    a_k = e_k x r / 2 (3D, k = x, y, z) or, in 2D (duct cross-section, J along z), a = (-y, x)/2.
    """
    from skfem import BilinearForm, FacetBasis, LinearForm

    fb = FacetBasis(basis.mesh, basis.elem, facets=facets, intorder=intorder)
    dim = basis.mesh.p.shape[0]

    @BilinearForm
    def surface_laplace(u, v, w):
        n = w.n
        gu, gv = u.grad, v.grad
        un = sum(n[i] * gu[i] for i in range(dim))
        vn = sum(n[i] * gv[i] for i in range(dim))
        return sum(gu[i] * gv[i] for i in range(dim)) - un * vn

    def a_field(x, k):
        if dim == 2:
            return (-0.5 * x[1], 0.5 * x[0])
        e = np.zeros(3)
        e[k] = 1.0
        return (0.5 * (e[1] * x[2] - e[2] * x[1]), 0.5 * (e[2] * x[0] - e[0] * x[2]), 0.5 * (e[0] * x[1] - e[1] * x[0]))

    def load(k):
        @LinearForm
        def form(v, w):
            n, gv = w.n, v.grad
            a = a_field(w.x, k)
            vn = sum(n[i] * gv[i] for i in range(dim))
            an = sum(n[i] * a[i] for i in range(dim))
            return -(sum(gv[i] * a[i] for i in range(dim)) - vn * an)
        return form

    ks = range(3) if dim == 3 else range(1)
    if not vectorized:
        S = surface_laplace.assemble(fb).tocsr()
        b1 = np.array([load(k).assemble(fb) for k in ks])
        return S, b1
    # the same integrals with one einsum over all facets and basis-function pairs (the per-pair forms above spent
    # ~1 s of Python-level array arithmetic at 3e5 P2 DOFs): tangential gradients P grad phi, P = I - n n^T
    n = fb.normals  # (dim, nf, nq)
    G = np.array([fb.basis[j][0].grad for j in range(fb.Nbfun)])  # (nb, dim, nf, nq)
    Gt = G - np.einsum("bxfq,xfq->bfq", G, n)[:, None] * n[None]
    wdx = fb.dx  # (nf, nq)
    Ke = np.einsum("ixfq,jxfq,fq->ijf", Gt, Gt, wdx, optimize=True)
    dofs = fb.element_dofs  # (nb, nf)
    rows = np.broadcast_to(dofs[:, None, :], Ke.shape).ravel()
    cols = np.broadcast_to(dofs[None, :, :], Ke.shape).ravel()
    S = sp.coo_matrix((Ke.ravel(), (rows, cols)), shape=(basis.N, basis.N)).tocsr()
    x = np.asarray(fb.global_coordinates())  # (dim, nf, nq)
    b1 = []
    for k in ks:
        a = np.array(a_field(x, k))  # (dim, nf, nq); (P grad v) . a = grad_s v . a_t
        fe = -np.einsum("bxfq,xfq,fq->bf", Gt, a, wdx, optimize=True)
        b1.append(np.bincount(dofs.ravel(), weights=fe.ravel(), minlength=basis.N))
    return S, np.array(b1)


def assemble_neumann_2d(basis, facets, intorder):
    """2D duct: stiffness A and Neumann load b0 = -int v n . a, a = (-y, x)/2 (J along z)."""
    from skfem import BilinearForm, FacetBasis, LinearForm
    from skfem.helpers import dot, grad

    @BilinearForm
    def laplace(u, v, w):
        return dot(grad(u), grad(v))

    @LinearForm
    def neumann(v, w):
        x, n = w.x, w.n
        return -0.5 * (-x[1] * n[0] + x[0] * n[1]) * v

    fb = FacetBasis(basis.mesh, basis.elem, facets=facets, intorder=intorder)
    return laplace.assemble(basis).tocsr(), neumann.assemble(fb)[None, :]


# -- the reduced-basis frequency solver ---------------------------------------------------------------------------
@dataclass
class ReducedStats:
    """What the frequency-grid solve did."""

    full_solves: int
    snapshot_freqs_hz: list
    basis_size: int
    max_relative_residual: float
    tolerance: float
    method: str
    seconds: dict = field(default_factory=dict)
    iterations: list = field(default_factory=list)
    kinds: list = field(default_factory=list)  # per full solve: "real" (snapshot at |l|) or "complex"
    amg_setups: int = 0


MAX_GS_PASSES, GS_KEEP = 5, 0.5  # re-orthogonalise while a pass removes more than half (Kahan-Parlett)


class _Orthonormal:
    """Incrementally orthonormalised columns (two-pass classical Gram-Schmidt); coords of every added column.

    Columns live in a preallocated column-major buffer (grown by doubling), and add_many projects a whole block
    against the existing columns with matrix-matrix products: appending with column_stack and projecting one vector
    at a time re-read the whole basis for every vector (seconds at 3e5 DOFs).
    """

    def __init__(self, n):
        self._buf = np.zeros((n, 16), order="F")
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
                C -= self.Q @ h
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


def solve_frequency_grid(A, S_list, b0, b1_list, lengths, *, P=None, tol=1e-10, rb_tol=None, max_full=60,
                         progress=None, direct=None, snapshots=None, reuse_ratio=None):
    """Solve (A + sum_w l_w(f) S_w) x = b0 + sum_w l_w(f) b1_w for all f and all right-hand-side rows.

    A, S_w: real symmetric (already pinned); b0, b1_w: (n_rhs, n) real; lengths: (n_walls, n_f) complex.
    Returns (V (n, m) real orthonormal basis, Y (n_f, n_rhs, m) complex, ReducedStats).
    Greedy: a full solve for the grid point with the largest true relative residual until all are <= rb_tol.
    snapshots="real" (default for iterative solves): the full solve is taken at REAL lengths s_w = c |l_w(f_i)|
    (c among SHIFT_CANDIDATES, the one where the current reduced solution's exact residual is largest), where
    A + sum s_w S_w is symmetric positive definite: real CG with the two-level AMG preconditioner, the three
    right-hand sides sharing it, started from the reduced solution. psi(l) is rational in l with its poles on the
    negative real axis, so real positive shifts span the complex-l solutions (rational Krylov); the exact residual
    still decides, and a grid point whose residual a real snapshot did not halve gets a complex solve next time.
    snapshots="complex": exact complex solves (sparse LU if direct, else GMRES preconditioned by real AMG).
    reuse_ratio: a real snapshot reuses the last AMG coarse hierarchy if its |l| is within this factor of the
    |l| it was built for (the Gauss-Seidel smoother always uses the current matrix).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _solve_frequency_grid(A, S_list, b0, b1_list, lengths, P=P, tol=tol, rb_tol=rb_tol,
                                     max_full=max_full, progress=progress, direct=direct, snapshots=snapshots,
                                     reuse_ratio=reuse_ratio)


class _SharedPattern:
    """A + sum_w s_w S_w for real s_w on the fixed pattern of A + sum S_w: one vector operation per shift."""

    def __init__(self, A, S_list):
        K0 = (A + sum(S_list)).tocsr()
        if not K0.has_sorted_indices:
            K0.sort_indices()
        self.indices, self.indptr, self.shape = K0.indices, K0.indptr, K0.shape
        rows = np.repeat(np.arange(K0.shape[0], dtype=np.int64), np.diff(K0.indptr))
        keys = rows * K0.shape[1] + K0.indices

        def aligned(M):
            M = M.tocsr()
            if M.nnz == K0.nnz and M.has_sorted_indices and np.array_equal(M.indptr, K0.indptr) \
                    and np.array_equal(M.indices, K0.indices):  # same pattern (A): no search needed
                return M.data.copy()
            M = M.tocoo()
            pos = np.searchsorted(keys, M.row.astype(np.int64) * K0.shape[1] + M.col)
            data = np.zeros(len(keys))
            np.add.at(data, pos, M.data)
            return data

        self.A = aligned(A)
        self.S = [aligned(S) for S in S_list]
        upper = K0.indices > rows  # the strict upper triangle, for the Gauss-Seidel residual shortcut
        self.upper = upper
        self.upper_indices = K0.indices[upper]
        self.upper_indptr = np.concatenate([[0], np.cumsum(np.bincount(rows[upper], minlength=K0.shape[0]))])

    def matrix(self, shifts, with_upper=False):
        """K = A + sum s_w S_w (CSR); with_upper: (K, strict upper triangle of K)."""
        data = self.A + sum(s * d for s, d in zip(shifts, self.S))
        K = sp.csr_matrix((data, self.indices, self.indptr), shape=self.shape)
        if not with_upper:
            return K
        return K, sp.csr_matrix((data[self.upper], self.upper_indices, self.upper_indptr), shape=self.shape)


def _two_level(K, P, Pt, coarse, U=None):
    """Two-level preconditioner (symmetric GS on K, a given coarse V-cycle on P^T K' P): reusable coarse part.

    Same operator as linsolve.two_level_preconditioner; after a forward sweep from zero, (D + L) x = r, so the
    residual r - K x is -U x (strict upper triangle): half a matrix-vector product instead of one.
    """
    from pyamg.relaxation.relaxation import gauss_seidel
    from scipy.sparse.linalg import LinearOperator

    U = sp.triu(K, 1, format="csr") if U is None else U

    def apply(r):
        r = np.ascontiguousarray(r, dtype=float).ravel()
        x = np.zeros_like(r)
        gauss_seidel(K, x, r, iterations=1, sweep="forward")
        x += P @ coarse(Pt @ -(U @ x))
        gauss_seidel(K, x, r, iterations=1, sweep="backward")
        return x

    return LinearOperator(K.shape, matvec=apply, dtype=float)


def _solve_frequency_grid(A, S_list, b0, b1_list, lengths, *, P, tol, rb_tol, max_full, progress, direct,
                          snapshots, reuse_ratio):
    t_start = time.perf_counter()
    n = A.shape[0]
    nw, nf = lengths.shape
    nr = b0.shape[0]
    rb_tol = rb_tol if rb_tol is not None else max(30 * tol, 1e-9)
    direct = (n <= DIRECT_MAX_DOFS) if direct is None else direct
    # residual components: r = b0 + sum l b1 - A V y - sum l S V y; keep them orthonormalised
    resid = _Orthonormal(n)
    idx_b = np.zeros((nr, 1 + nw), int)
    for k in range(nr):
        idx_b[k, 0] = len(resid.coords)
        resid.add(b0[k])
        for w in range(nw):
            idx_b[k, 1 + w] = len(resid.coords)
            resid.add(b1_list[w][k])
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
    reuse_ratio = REUSE_RATIO if reuse_ratio is None else reuse_ratio
    amg = {"sig": None, "coarse": None, "setups": 0, "setup_s": 0.0, "cg_s": 0.0}
    Pt = P.T.tocsr() if P is not None else None
    pattern = _SharedPattern(A, S_list) if snapshots == "real" else None
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

    def residuals(Y, L=None):
        L = lengths if L is None else L
        nf = L.shape[1]
        m = Y.shape[2]
        Rb = resid.matrix(list(idx_b.ravel())).reshape(-1, nr, 1 + nw)
        RAV = resid.matrix(idx_AV) if m else np.zeros((resid.Q.shape[1], 0))
        RSV = [resid.matrix(idx_SV[w]) if m else np.zeros((resid.Q.shape[1], 0)) for w in range(nw)]
        kq = resid.Q.shape[1]
        Rb = np.vstack([Rb, np.zeros((kq - Rb.shape[0], nr, 1 + nw))]) if Rb.shape[0] < kq else Rb
        out = np.zeros((nf, nr))
        for i in range(nf):
            lw = L[:, i]
            coef_b = np.concatenate([[1.0], lw])  # (1 + nw)
            bvec = Rb @ coef_b  # (kq, nr)
            r = bvec.copy()
            if m:
                r -= RAV @ Y[i].T
                for w in range(nw):
                    r -= lw[w] * (RSV[w] @ Y[i].T)
            out[i] = np.linalg.norm(r, axis=0) / np.maximum(np.linalg.norm(bvec, axis=0), 1e-300)
        return out

    def real_solve(i, rows, fac, x0):
        """Snapshot at the real lengths fac |l_w(f_i)|: SPD system, CG + two-level AMG, x0 = reduced solution."""
        sig = fac * np.abs(lengths[:, i])
        # exact to tol: inexact snapshots (tol ~ 1e-4..1e-2 x the current residual, or 1-30 x rb_tol) saved CG
        # iterations per snapshot but needed more snapshots and complex fallbacks (measured at 89k DOFs: slower)
        rtol = tol
        K, U = pattern.matrix(sig, with_upper=True)
        rhs = b0[rows] + sum(sig[w] * b1_list[w][rows] for w in range(nw))
        if direct:
            from scipy.sparse.linalg import splu

            lu = splu(K.tocsc())
            return np.array([lu.solve(r) for r in rhs]), [1] * len(rows)
        from scipy.sparse.linalg import cg

        from amails_fem.physics.linsolve import _sa_solver

        t0 = time.perf_counter()
        old = amg["sig"]
        if old is None or np.max(np.abs(np.log(np.maximum(sig, 1e-300) / np.maximum(old, 1e-300)))) > \
                np.log(reuse_ratio) + 1e-12:
            if P is not None:  # Galerkin coarse operator P^T K P = P^T A P + sum s_w P^T S_w P, products made once
                if not coarse_pattern:
                    coarse_pattern.append(_SharedPattern((Pt @ A @ P).tocsr(), [(Pt @ S @ P).tocsr() for S in S_list]))
                amg["coarse"] = _sa_solver(coarse_pattern[0].matrix(sig)).aspreconditioner(cycle="V")
            else:
                amg["coarse"] = _sa_solver(K).aspreconditioner(cycle="V")
            amg["sig"] = sig
            amg["setups"] += 1
        M = _two_level(K, P, Pt, amg["coarse"], U) if P is not None else amg["coarse"]
        amg["setup_s"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        X, its = [], []
        for j, r in enumerate(rhs):
            count = [0]
            nb = np.linalg.norm(r)
            x, _ = cg(K, r, x0=np.real(x0[j]).copy(), rtol=rtol, maxiter=1000, M=M,
                      callback=lambda _, c=count: c.__setitem__(0, c[0] + 1))
            res = np.linalg.norm(r - K @ x) / nb
            if not res <= 10 * rtol:
                raise ConvergenceError(f"CG stopped at relative residual {res:.2e} (tolerance {rtol:.0e})")
            X.append(x)
            its.append(count[0])
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
            from scipy.sparse.linalg import splu

            lu = splu(K.tocsc())
            return np.array([lu.solve(r) for r in rhs]), [1] * len(rows)
        from scipy.sparse.linalg import LinearOperator, gmres

        from amails_fem.physics.linsolve import _sa_solver, two_level_preconditioner

        Kr = (A + sum(abs(lw[w]) * S_list[w] for w in range(nw))).tocsr()
        Mr = two_level_preconditioner(Kr, P) if P is not None else _sa_solver(Kr).aspreconditioner(cycle="V")
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
            fac = 1.0
            if V.shape[1]:  # the real shift near |l_i| where the reduced solution is worst (exact residuals)
                Lc = (np.abs(lengths[:, i])[:, None] * np.asarray(SHIFT_CANDIDATES)[None, :]).astype(complex)
                rc = residuals(reduced(V, Lc), Lc)[:, rows].max(axis=1)
                fac = SHIFT_CANDIDATES[int(np.argmax(rc))]
            X, its = real_solve(i, rows, fac, real_x0(i, rows, fac))
        else:
            x0 = (V @ Y[i].T).T[rows] if V.shape[1] else np.zeros((len(rows), n), complex)
            X, its = full_solve(i, rows, x0.astype(complex))
        t_solve += time.perf_counter() - t0
        snap_idx.append(i)
        kinds.append(kind)
        iterations.extend(its)
        est_before = est[i].max()
        parts = [x for x in X] if kind == "real" else [p for x in X for p in (x.real, x.imag)]
        m0 = V.shape[1]
        basis.add_many(np.column_stack(parts), keep_zero=False, drop_tol=1e-10)
        V = basis.Q
        if kind == "complex" and V.shape[1] == m0:
            raise ConvergenceError(f"reduced basis: an exact complex solve at grid point {i} added nothing, but its "
                                   f"estimated residual is {est[i].max():.2e} > {rb_tol:.0e} (round-off floor?)")
        if V.shape[1] > m0:
            Vn = V[:, m0:]
            AVn = np.asfortranarray(A @ Vn)
            SVn = [np.asfortranarray(S @ Vn) for S in S_list]
            # grow the reduced matrices
            for j in range(Vn.shape[1]):
                Ar = _grow(Ar, V[:, : m0 + j + 1].T @ AVn[:, j])
                Sr = [_grow(Sr[w], V[:, : m0 + j + 1].T @ SVn[w][:, j]) for w in range(nw)]
            # residual components, in the order A v_j, S_w v_j per new vector
            cols = []
            for j in range(Vn.shape[1]):
                idx_AV.append(len(resid.coords) + len(cols))
                cols.append(AVn[:, j])
                for w in range(nw):
                    idx_SV[w].append(len(resid.coords) + len(cols))
                    cols.append(SVn[w][:, j])
            resid.add_many(np.column_stack(cols))
        Y = reduced(V)
        est = residuals(Y)
        if kind == "real" and (est[i].max() > 0.5 * est_before or max(its) == 0):
            stalled[i] = stalled.get(i, 0) + 1
        if progress is not None:
            progress.say(f"  {kind} full solve {len(snap_idx)} at grid point {i}: basis {V.shape[1]}, "
                         f"iterations {its}, max residual {est.max():.1e}")
    seconds = {"full_solves": t_solve, "total": time.perf_counter() - t_start}
    if amg["setups"]:
        seconds.update(amg_setup=amg["setup_s"], cg=amg["cg_s"])
    stats = ReducedStats(full_solves=len(snap_idx), snapshot_freqs_hz=snap_idx, basis_size=V.shape[1],
                         max_relative_residual=float(est.max()), tolerance=rb_tol, method=method,
                         seconds=seconds, iterations=iterations, kinds=kinds, amg_setups=amg["setups"])
    return V, Y, stats


def _grow(M, col):
    """Append the new basis vector's row/column to a symmetric reduced matrix (col = V^T X v, length m)."""
    m = len(col)
    out = np.zeros((m, m))
    out[: m - 1, : m - 1] = M
    out[:, m - 1] = col
    out[m - 1, :] = col
    return out


# -- rooms ---------------------------------------------------------------------------------------------------------
@dataclass
class ImpedanceRoomResponse:
    """The solved room with impedance walls on a frequency grid: complex B anywhere inside (SI).

    B(f) = mu0 (J x r / 2 + grad psi(f)), psi(f) = V y(f) (reduced basis V, coefficients Y[f, polarization]).
    """

    spec: RoomBase
    room_mesh: object
    basis: object
    freqs_hz: np.ndarray
    lengths_m: dict  # wall name -> (n_f,) complex impedance length
    walls: dict  # wall name -> model
    V: np.ndarray  # (N, m) real, zero at the pinned DOF
    Y: np.ndarray  # (n_f, 3, m) complex
    order: int
    stats: ReducedStats
    timings_s: dict = field(default_factory=dict)
    _locator: object = field(default=None, repr=False)

    def psi(self, freq_index: int) -> np.ndarray:
        """(3, N) complex potentials (m^2, per unit mu0 J) at freqs_hz[freq_index]."""
        return (self.V @ self.Y[freq_index].T).T

    def response_matrix(self, points_m) -> np.ndarray:
        """R (n_f, N, 3, 3) complex [frequency, point, B component, polarization] in tesla per A/m^2."""
        from amails_fem.physics.room import RoomResponse, _half_cross_matrix
        from amails_fem.postprocess.probe import PointLocator, gradient_matrices

        pts = RoomResponse._checked_points(self, points_m)
        if self._locator is None:
            self._locator = PointLocator(self.basis.mesh, self.basis.mapping)
        G = gradient_matrices(self.basis, pts, self._locator)
        GV = np.stack([g @ self.V for g in G], axis=1)  # (N, 3, m)
        grad = np.einsum("ndm,fkm->fndk", GV, self.Y)
        return units.MU0_H_M * (grad + _half_cross_matrix(pts)[None])

    def b_field(self, points_m, polarization) -> np.ndarray:
        """B (n_f, N, 3) complex tesla for 1 A/m^2 along the polarization."""
        return self.response_matrix(points_m) @ unit_polarization(polarization)

    def signal(self, points_m, polarization, eps: float, rho_gev_cm3: float = units.RHO_DM_GEV_CM3) -> np.ndarray:
        """B (n_f, N, 3) complex tesla for kinetic mixing eps: b_field times J_eff(eps, f) at each grid frequency."""
        j = np.array([units.j_eff_a_m2(eps, f, rho_gev_cm3) for f in self.freqs_hz])
        return self.b_field(points_m, polarization) * j[:, None, None]

    def statistics(self) -> dict:
        rm = self.room_mesh
        return {"order": self.order, "dofs": int(self.basis.N), "tetrahedra": rm.n_elements,
                "mesh_size_m": rm.size_m, "wall_size_m": rm.wall_size_m, "n_freqs": int(len(self.freqs_hz)),
                "full_solves": self.stats.full_solves, "basis_size": self.stats.basis_size,
                "max_relative_residual": self.stats.max_relative_residual, "rb_tolerance": self.stats.tolerance,
                "method": self.stats.method, "seconds": dict(self.timings_s)}

    # the room spec's point check is shared with RoomResponse
    _checked_points = None


def _room_points_check(self, points_m):
    from amails_fem.physics.room import RoomResponse

    return RoomResponse._checked_points(self, points_m)


ImpedanceRoomResponse._checked_points = _room_points_check


def solve_impedance_room(spec: RoomBase, *, wall, freqs_hz, order: int = 2, mesh_size_m=None, wall_size_m=None,
                         tol: float = 1e-10, quiet: bool = True, progress: Progress | None = None,
                         use_cache: bool = True, rb_tol: float | None = None,
                         snapshots: str | None = None) -> ImpedanceRoomResponse:
    """Room with impedance walls on a frequency grid (issue 5): complex R(r; f) for the three polarizations.

    wall: a WallStack, ImpedanceLength or Layer for all walls, or {wall name: model}; freqs_hz: grid (Hz).
    Validates everything before meshing. tol: full-solve relative residual; rb_tol: reduced-basis residual.
    snapshots: "real" (full solves at real shifts near |l|, real CG), "complex" (exact complex GMRES solves), or
    None: real above REAL_SNAPSHOT_MIN_DOFS, complex below (tiny meshes: setup-dominated, complex was faster).
    """
    from skfem import Basis, ElementTetP1, ElementTetP2

    from amails_fem.mesh import mesh_room
    from amails_fem.physics.linsolve import p1_to_p2_prolongation
    from amails_fem.physics.room import assemble_room, check_quasi_static
    from amails_fem.walls import as_wall_map, check_freqs_hz

    if not isinstance(spec, RoomBase):
        raise SpecError(f"spec must be a room spec; got {type(spec).__name__}")
    if order not in (1, 2):
        raise SpecError(f"order must be 1 or 2; got {order!r}")
    if not (0 < tol < 1e-3):
        raise SpecError(f"tol must be in (0, 1e-3); got {tol!r}")
    if freqs_hz is None:
        raise SpecError("freqs_hz is required with a wall model (e.g. np.geomspace(1, 500, 50))")
    freqs = check_freqs_hz(freqs_hz)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kl = max(check_quasi_static(float(f), spec.extent_m) for f in freqs)
    if kl > 0.01:
        warnings.warn(f"2 pi f L / c = {kl:.3g} > 0.01 at f = {freqs.max():g} Hz: outside the quasi-static regime",
                      RuntimeWarning, stacklevel=2)
    walls = as_wall_map(wall, spec.wall_names)
    lengths = {name: model.impedance_length_m(freqs) for name, model in walls.items()}
    progress = progress or Progress(quiet=quiet)
    rm = mesh_room(spec, size_m=mesh_size_m, wall_size_m=wall_size_m, order=order, progress=progress,
                   use_cache=use_cache)
    timings = {"mesh": rm.seconds}
    curved = rm.geometric_order == 2
    with progress.step("assembling volume and wall terms") as info:
        t0 = time.perf_counter()
        elem = ElementTetP2() if order == 2 else ElementTetP1()
        basis = Basis(rm.mesh, elem, intorder=None if curved else 1)  # as solve_room: affine stiffness ignores it
        A, b0, _bmass = assemble_room(basis, rm.mesh.boundary_facets(), order, curved)
        # group walls with the same model: one S and b1 per distinct model
        groups = {}
        for name, model in walls.items():
            groups.setdefault(id(model), []).append(name)
        S_list, b1_list, l_rows = [], [], []
        for names in groups.values():
            facets = np.concatenate([rm.walls[nm] for nm in names])
            # straight facets: grad_s of P2 is P1, so order 2 is exact for S and b1 (4 gave the same to 1e-14)
            S, b1 = assemble_wall_terms(basis, facets, None if curved else max(1, 2 * order - 2))
            S_list.append(S)
            b1_list.append(b1)
            l_rows.append(lengths[names[0]])
        timings["assembly"] = time.perf_counter() - t0
        info["note"] = f"{basis.N} DOFs (P{order}), {len(S_list)} wall model(s)"
    pin = int(basis.nodal_dofs[0, 0])
    keep = np.ones(basis.N, bool)
    keep[pin] = False
    idx = np.flatnonzero(keep)
    A_r = A[idx][:, idx].tocsr()
    S_r = [S[idx][:, idx].tocsr() for S in S_list]
    P = p1_to_p2_prolongation(basis)[idx].tocsr() if order == 2 else None
    if snapshots is None:
        snapshots = "real" if basis.N > REAL_SNAPSHOT_MIN_DOFS else "complex"
    with progress.step(f"solving {len(freqs)} frequencies (reduced basis over full solves)") as info:
        V_r, Y, stats = solve_frequency_grid(A_r, S_r, b0[:, idx], [b[:, idx] for b in b1_list], np.array(l_rows),
                                             P=P, tol=tol, rb_tol=rb_tol, progress=progress, direct=False,
                                             snapshots=snapshots)
        info["note"] = f"{stats.full_solves} full solves, basis {stats.basis_size}, " \
                       f"max residual {stats.max_relative_residual:.1e}"
    timings["solve"] = stats.seconds["total"]
    V = np.zeros((basis.N, V_r.shape[1]))
    V[idx] = V_r
    return ImpedanceRoomResponse(spec=spec, room_mesh=rm, basis=basis, freqs_hz=freqs, lengths_m=lengths,
                                 walls=walls, V=V, Y=Y, order=order, stats=stats, timings_s=timings)


# -- the infinite square duct (2D cross-section): the wall-centre check ----------------------------------
def duct_wall_centre_ratio(l_over_side, *, n_cells: int = 24, order: int = 2) -> np.ndarray:
    """|B| / (mu0 J L) at the centre of a wall of an infinite square duct (side L, J along the axis), per l/L.

    The duct is z-independent, so the same scalar formulation reduces exactly to its 2D cross-section: psi(x, y),
    a = J z x r / 2 in plane, the wall condition n . B = l d/ds(B_t) along the perimeter. Uses L = 1.
    """
    from skfem import Basis, ElementTriP1, ElementTriP2, MeshTri

    ls = np.atleast_1d(np.asarray(l_over_side, complex))
    mesh = MeshTri.init_tensor(np.linspace(-0.5, 0.5, n_cells + 1), np.linspace(-0.5, 0.5, n_cells + 1))
    basis = Basis(mesh, ElementTriP2() if order == 2 else ElementTriP1())
    facets = mesh.boundary_facets()
    A, b0 = assemble_neumann_2d(basis, facets, order + 2)
    S, b1 = assemble_wall_terms(basis, facets, order + 2)
    pin = int(basis.nodal_dofs[0, 0])
    idx = np.setdiff1d(np.arange(basis.N), [pin])
    V, Y, _ = solve_frequency_grid(A[idx][:, idx], [S[idx][:, idx]], b0[:, idx], [b1[:, idx]],
                                   ls[None, :], tol=1e-12, rb_tol=1e-10)
    psi = np.zeros((len(ls), basis.N), complex)
    psi[:, idx] = np.einsum("nm,fm->fn", V, Y[:, 0, :])
    pt = np.array([[0.5 - 1e-9], [0.0]])
    out = []
    for i in range(len(ls)):
        gx, gy = _grad_at_2d(basis, psi[i], pt)
        bx = -0.5 * pt[1, 0] + gx
        by = 0.5 * pt[0, 0] + gy
        out.append(np.sqrt(abs(bx) ** 2 + abs(by) ** 2))
    return np.array(out)


def _grad_at_2d(basis, u, pt):
    """Gradient of a (complex) P1/P2 field at one point of a triangle mesh."""
    mesh = basis.mesh
    p = mesh.p
    t = mesh.t
    x, y = pt[:, 0]
    # find the element by barycentric coordinates
    v0, v1, v2 = p[:, t[0]], p[:, t[1]], p[:, t[2]]
    det = (v1[0] - v0[0]) * (v2[1] - v0[1]) - (v2[0] - v0[0]) * (v1[1] - v0[1])
    l1 = ((x - v0[0]) * (v2[1] - v0[1]) - (v2[0] - v0[0]) * (y - v0[1])) / det
    l2 = ((v1[0] - v0[0]) * (y - v0[1]) - (x - v0[0]) * (v1[1] - v0[1])) / det
    worst = np.minimum(np.minimum(l1, l2), 1 - l1 - l2)
    e = int(np.argmax(worst))
    X = np.array([[l1[e]], [l2[e]]])[:, :, None]
    g = np.zeros(2, complex)
    for j in range(basis.Nbfun):
        gb = basis.elem.gbasis(basis.mapping, X, j, tind=np.array([e]))[0].grad[:, 0, 0]
        g += gb * u[basis.element_dofs[j, e]]
    return g[0], g[1]
