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

DIRECT_MAX_DOFS = 30_000  # below this, full solves use a sparse LU; above, GMRES with a real AMG preconditioner


# -- assembly ------------------------------------------------------------------------------------------------------
def assemble_wall_terms(basis, facets: np.ndarray, intorder: int | None, source_dirs=None):
    """Surface Laplacian S = int grad_s u . grad_s v and loads b1_k = -int grad_s v . a_k on ``facets``.

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

    S = surface_laplace.assemble(fb).tocsr()
    ks = range(3) if dim == 3 else range(1)
    b1 = np.array([load(k).assemble(fb) for k in ks])
    return S, b1


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


class _Orthonormal:
    """Incrementally orthonormalised columns (two-pass classical Gram-Schmidt); coords of every added column."""

    def __init__(self, n):
        self.Q = np.zeros((n, 0))
        self.coords = []  # per added column: its coordinates in Q (length at the time of adding)

    def add(self, c, keep_zero=True, drop_tol=1e-13):
        c = np.asarray(c, float).copy()
        norm0 = np.linalg.norm(c)
        r = np.zeros(self.Q.shape[1])
        for _ in range(2):
            h = self.Q.T @ c
            c -= self.Q @ h
            r += h
        nrm = np.linalg.norm(c)
        if nrm > drop_tol * max(norm0, 1e-300):
            self.Q = np.column_stack([self.Q, c / nrm])
            r = np.append(r, nrm)
        elif not keep_zero:
            return None
        self.coords.append(r)
        return r

    def matrix(self, which):
        """Coordinates of the listed added columns as a dense (rank, len) matrix."""
        k = self.Q.shape[1]
        M = np.zeros((k, len(which)))
        for j, i in enumerate(which):
            r = self.coords[i]
            M[: len(r), j] = r
        return M


def solve_frequency_grid(A, S_list, b0, b1_list, lengths, *, P=None, tol=1e-10, rb_tol=None, max_full=60,
                         progress=None, direct=None):
    """Solve (A + sum_w l_w(f) S_w) x = b0 + sum_w l_w(f) b1_w for all f and all right-hand-side rows.

    A, S_w: real symmetric (already pinned); b0, b1_w: (n_rhs, n) real; lengths: (n_walls, n_f) complex.
    Returns (V (n, m) real orthonormal basis, Y (n_f, n_rhs, m) complex, ReducedStats).
    Snapshots: exact solves at the frequency with the largest true relative residual until all are <= rb_tol.
    """
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
    snapshots, iterations = [], []
    t_solve = 0.0
    method = "sparse LU (complex)" if direct else "GMRES + real AMG of A + sum |l_w| S_w"

    def reduced(V_m):
        m = V_m.shape[1]
        Y = np.zeros((nf, nr, m), complex)
        if m == 0:
            return Y
        b0r = b0 @ V_m  # (nr, m)
        b1r = [b @ V_m for b in b1_list]
        for i in range(nf):
            K = Ar + sum(lengths[w, i] * Sr[w] for w in range(nw))
            rhs = b0r + sum(lengths[w, i] * b1r[w] for w in range(nw))
            Y[i] = np.linalg.solve(K, rhs.T).T
        return Y

    def residuals(Y):
        m = Y.shape[2]
        Rb = resid.matrix(list(idx_b.ravel())).reshape(-1, nr, 1 + nw)
        RAV = resid.matrix(idx_AV) if m else np.zeros((resid.Q.shape[1], 0))
        RSV = [resid.matrix(idx_SV[w]) if m else np.zeros((resid.Q.shape[1], 0)) for w in range(nw)]
        kq = resid.Q.shape[1]
        Rb = np.vstack([Rb, np.zeros((kq - Rb.shape[0], nr, 1 + nw))]) if Rb.shape[0] < kq else Rb
        out = np.zeros((nf, nr))
        for i in range(nf):
            lw = lengths[:, i]
            coef_b = np.concatenate([[1.0], lw])  # (1 + nw)
            bvec = Rb @ coef_b  # (kq, nr)
            r = bvec.copy()
            if m:
                r -= RAV @ Y[i].T
                for w in range(nw):
                    r -= lw[w] * (RSV[w] @ Y[i].T)
            out[i] = np.linalg.norm(r, axis=0) / np.maximum(np.linalg.norm(bvec, axis=0), 1e-300)
        return out

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
            if len(snapshots) >= max_full:
                raise ConvergenceError(f"reduced basis: relative residual {worst:.2e} > {rb_tol:.0e} after "
                                       f"{len(snapshots)} full solves")
        i = int(np.argmax(est.max(axis=1))) if not first else int(np.argsort(np.abs(lengths).sum(0))[nf // 2])
        rows = [k for k in range(nr) if first or est[i, k] > rb_tol]
        first = False
        t0 = time.perf_counter()
        x0 = (V @ Y[i].T).T[rows] if V.shape[1] else np.zeros((len(rows), n), complex)
        X, its = full_solve(i, rows, x0.astype(complex))
        t_solve += time.perf_counter() - t0
        snapshots.append(i)
        iterations.extend(its)
        for x in X:
            for part in (x.real, x.imag):
                r = basis.add(part, keep_zero=False, drop_tol=1e-10)
                if r is None or basis.Q.shape[1] == V.shape[1]:
                    continue
                v = basis.Q[:, -1]
                V = basis.Q
                Av = A @ v
                Svs = [S @ v for S in S_list]
                # grow the reduced matrices
                Ar = _grow(Ar, V.T @ Av)
                Sr = [_grow(Sr[w], V.T @ Svs[w]) for w in range(nw)]
                idx_AV.append(len(resid.coords))
                resid.add(Av)
                for w in range(nw):
                    idx_SV[w].append(len(resid.coords))
                    resid.add(Svs[w])
        if progress is not None:
            progress.say(f"  full solve {len(snapshots)} at grid point {i}: basis {V.shape[1]}")
        Y = reduced(V)
        est = residuals(Y)
    stats = ReducedStats(full_solves=len(snapshots), snapshot_freqs_hz=snapshots, basis_size=V.shape[1],
                         max_relative_residual=float(est.max()), tolerance=rb_tol, method=method,
                         seconds={"full_solves": t_solve, "total": time.perf_counter() - t_start},
                         iterations=iterations)
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
                         use_cache: bool = True, rb_tol: float | None = None) -> ImpedanceRoomResponse:
    """Room with impedance walls on a frequency grid (issue 5): complex R(r; f) for the three polarizations.

    wall: a WallStack, ImpedanceLength or Layer for all walls, or {wall name: model}; freqs_hz: grid (Hz).
    Validates everything before meshing. tol: full-solve relative residual; rb_tol: reduced-basis residual.
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
        basis = Basis(rm.mesh, elem, intorder=None if curved else max(1, 2 * (order - 1)))
        A, b0, _bmass = assemble_room(basis, rm.mesh.boundary_facets(), order, curved)
        # group walls with the same model: one S and b1 per distinct model
        groups = {}
        for name, model in walls.items():
            groups.setdefault(id(model), []).append(name)
        S_list, b1_list, l_rows = [], [], []
        for names in groups.values():
            facets = np.concatenate([rm.walls[nm] for nm in names])
            S, b1 = assemble_wall_terms(basis, facets, None if curved else order + 2)
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
    with progress.step(f"solving {len(freqs)} frequencies (reduced basis over full solves)") as info:
        V_r, Y, stats = solve_frequency_grid(A_r, S_r, b0[:, idx], [b[:, idx] for b in b1_list], np.array(l_rows),
                                             P=P, tol=tol, rb_tol=rb_tol, progress=progress, direct=False)
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
