"""3D cavity solver: curl curl E = k^2 E, n x E = 0 on all walls, Nedelec elements (first kind, degree 1 or 2).

With materials (cavity eps_r, mu_r and fillings, piecewise constant per element): curl (mu_r^-1 curl E) =
k0^2 eps_r E, f = c k0 / (2 pi) (Jin, The Finite Element Method in Electromagnetics, 3rd ed. 2014, ch. 8): K is
then int mu_r^-1 curl u . curl v dV and M is int eps_r u . v dV; the vacuum matrices stay for |E|^2, |curl E|^2.

Shift-invert Lanczos (scipy eigsh) near a target k^2 with a sparse LU of K - sigma M (docs/performance.md sec. 10:
METIS nested-dissection order, no pivoting, symmetric mode). The discrete gradients (k = 0) are kept out by the shift and then filtered.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve
from skfem import Basis, BilinearForm, LinearForm, asm
from skfem.element import ElementTetN1
from skfem.helpers import curl, dot
from skfem.quadrature import get_quadrature
from skfem.refdom import RefTet, RefTri

from amails_fem.cavities.modes import CavityMode, check_n_modes, check_near_hz, guess_label, locate
from amails_fem.errors import SpecError
from amails_fem.fem.nedelec2 import ElementTetN2
from amails_fem.linalg.eigen import shift_invert_eigsh, splu_symmetric
from amails_fem.log import QUIET
from amails_fem.meshing.cavities import cell_materials, volume_mesh
from amails_fem.specs.cavities import default_mesh_size_m
from amails_fem.units import C_M_S


def wall_tangential_mass(basis, intorder: int = 4):
    """Matrix of oint (n x u) . (n x v) dS over the boundary facets of a (curved) tet mesh.

    Quadrature points are placed on each element's reference facet directly (no inverse mapping), the area
    element and normal come from n dS = (DF t1) x (DF t2) ds_ref.
    """

    mesh, mapping = basis.mesh, basis.mapping
    bf = mesh.boundary_facets()
    tind = mesh.f2t[0, bf]
    loc = np.argmax(mesh.t2f[:, tind] == bf[None, :], axis=0)
    Xq, Wq = get_quadrature(RefTri, intorder)
    V = RefTet.p[:, np.array(RefTet.facets)[loc]]  # (3 coords, nf, 3 vertices)
    e1, e2 = V[:, :, 1] - V[:, :, 0], V[:, :, 2] - V[:, :, 0]
    Y = V[:, :, 0][:, :, None] + e1[:, :, None] * Xq[0] + e2[:, :, None] * Xq[1]  # (3, nf, nq)
    DF = mapping.DF(Y, tind)
    t1 = np.einsum("ijkl,jk->ikl", DF, e1)
    t2 = np.einsum("ijkl,jk->ikl", DF, e2)
    nv = np.cross(t1, t2, axis=0)
    dS = np.linalg.norm(nv, axis=0)
    n = nv / dS
    dS = dS * Wq
    vals = [np.cross(n, np.asarray(basis.elem.gbasis(mapping, Y, j, tind=tind)[0]), axis=0) for j in range(basis.Nbfun)]
    vals = np.array(vals)  # (nb, 3, nf, nq)
    loc_m = np.einsum("aikq,bikq,kq->abk", vals, vals, dS)
    dofs = basis.element_dofs[:, tind]
    rows = np.repeat(dofs[:, None, :], dofs.shape[0], axis=1)
    cols = np.repeat(dofs[None, :, :], dofs.shape[0], axis=0)
    return sp.coo_matrix((loc_m.ravel(), (rows.ravel(), cols.ravel())), shape=(basis.N, basis.N)).tocsr()


class NedelecField:
    """A discrete 3D mode E = sum x_i phi_i on a Nedelec basis; integrals are quadratures on the same basis."""

    def __init__(self, solver: "NedelecSolver", x: np.ndarray):
        self.s = solver
        self.x = x

    def _eval(self, pts, what):
        """E or curl E at points (3, n); NaN outside. The local basis values at a point set are computed once
        and shared by every mode of the solver (labels probe the same points for each mode)."""
        ok, dofs, vals = self.s.probe(pts)
        out = np.full((3, pts.shape[1]), np.nan)
        if dofs is not None:
            f = vals[0 if what == "E" else 1]  # (n_local, 3, n_ok)
            out[:, ok] = np.einsum("ic,ijc->jc", self.x[dofs], f)
        return out

    def E(self, pts):
        return self._eval(pts, "E")

    def curlE(self, pts):
        return self._eval(pts, "curl")

    def int_E(self):
        return np.array([v @ self.x for v in self.s.vE])

    def int_curlE(self):
        return np.array([v @ self.x for v in self.s.vC])

    def int_E2(self):
        return float(self.x @ (self.s.M @ self.x))

    def int_curlE2(self):
        return float(self.x @ (self.s.K @ self.x))

    def int_epsE2(self):
        """int eps_r |E|^2 dV (twice the electric energy over eps0/2)."""
        return float(self.x @ (self.s.M_eps @ self.x))

    def int_muinv_curlE(self):
        """int mu_r^-1 curl E dV, shape (3,) (= i omega mu0 int H dV)."""
        return np.array([v @ self.x for v in self.s.vC_mu])

    def int_muinv_curlE2(self):
        """int mu_r^-1 |curl E|^2 dV (= omega^2 mu0 int B . H* dV)."""
        return float(self.x @ (self.s.K_mu @ self.x))

    def wall_curlE2(self):
        """oint |mu_r^-1 curl E|^2 dS from the consistent wall flux g = n x mu_r^-1 curl E: oint g . v dS =
        (K x - k^2 M x)_v for the wall DOFs v (material K, M; curl E is tangential on a PEC wall), more accurate
        than the trace of curl E_h. Equals oint |curl E|^2 dS where the wall touches mu_r = 1."""

        s, x = self.s, self.x
        k2 = self.int_muinv_curlE2() / self.int_epsE2()
        r = (s.K_mu @ x - k2 * (s.M_eps @ x))[s.boundary]
        return float(r @ spsolve(s.Mwall, r))

    def z_fractions(self):
        return (float(self.x @ (self.s.Mz @ self.x)) / self.int_E2(),
                float(self.x @ (self.s.Kz @ self.x)) / self.int_curlE2())


def gradient_matrix(basis, order: int):
    """Discrete gradient G (N_nedelec x N_scalar): E = G phi is grad phi exactly, for phi in the hierarchical
    scalar space {lambda_a} (order 1) or {lambda_a, lambda_a lambda_b} (order 2, = P2). Returns (G, boundary
    scalar DOFs). Uses grad lambda_a = sum_b w_ba (Whitney forms, edges oriented low -> high global vertex)."""
    mesh = basis.mesh
    nv = int(mesh.t.max()) + 1
    edges = mesh.edges  # (2, ne), sorted low -> high
    ne = edges.shape[1]
    ed = basis.dofs.edge_dofs  # (edge_dofs, ne)
    rows = np.concatenate([ed[0], ed[0]])
    cols = np.concatenate([edges[1], edges[0]])
    vals = np.concatenate([np.ones(ne), -np.ones(ne)])  # grad lambda_hi has +w_(lo,hi), grad lambda_lo has -w
    ncol = nv
    if order == 2:
        rows = np.concatenate([rows, ed[1]])
        cols = np.concatenate([cols, nv + np.arange(ne)])
        vals = np.concatenate([vals, np.ones(ne)])
        ncol = nv + ne
    G = sp.coo_matrix((vals, (rows, cols)), shape=(basis.N, ncol)).tocsr()
    bnd = mesh.boundary_nodes()
    if order == 2:
        bnd = np.concatenate([bnd, nv + mesh.boundary_edges()])
    return G, bnd


class GradientProjector:
    """M-orthogonal projector P y = y - G S^{-1} G^T M y, S = G^T M G (the Galerkin product, as docs/performance.md
    require on curved meshes), that removes the discrete gradients (the k = 0 null space of curl curl)."""

    def __init__(self, G, M):
        self.G, self.M = G.tocsr(), M.tocsr()
        self.lu = splu_symmetric((G.T @ M @ G).tocsc())

    def __call__(self, y):
        return y - self.G @ self.lu.solve(self.G.T @ (self.M @ y))


class NedelecSolver:
    """Assembled curl-curl (K) and mass (M) matrices of a cavity on a curved tet mesh, n x E = 0 on all walls."""

    def __init__(self, spec, order: int = 2, size_m: float | None = None, mesh=None,
                 wall_elements_per_turn: int | None = None):


        if order not in (1, 2):
            raise SpecError(f"order must be 1 or 2 for the 3D Nedelec solver (first-kind degree); got {order!r}")
        self.spec, self.order = spec, order
        self.size_m = float(size_m if size_m is not None else default_mesh_size_m(spec, 3))
        self.mesh = mesh if mesh is not None else volume_mesh(spec, self.size_m, order=2,
                                                              wall_elements_per_turn=wall_elements_per_turn)
        elem = ElementTetN2() if order == 2 else ElementTetN1()
        q = 2 * order
        self.basis = Basis(self.mesh, elem, intorder=q)
        self.K = asm(BilinearForm(lambda u, v, w: dot(curl(u), curl(v))), self.basis).tocsr()
        self.M = asm(BilinearForm(lambda u, v, w: dot(u, v)), self.basis).tocsr()
        self.Mz = asm(BilinearForm(lambda u, v, w: u[2] * v[2]), self.basis).tocsr()
        self.Kz = asm(BilinearForm(lambda u, v, w: curl(u)[2] * curl(v)[2]), self.basis).tocsr()
        self.vE = [asm(LinearForm(lambda v, w, j=j: v[j]), self.basis) for j in range(3)]
        self.vC = [asm(LinearForm(lambda v, w, j=j: curl(v)[j]), self.basis) for j in range(3)]
        self.K_mu, self.M_eps, self.vC_mu = self.K, self.M, self.vC  # vacuum: the same matrices
        self.eps_mu_max = 1.0
        if getattr(spec, "filled", False):

            eps, mu = cell_materials(spec, self.basis.mapping, 3)
            nq = self.basis.X.shape[-1]
            e_q, m_q = np.repeat(eps[:, None], nq, axis=1), np.repeat(1.0 / mu[:, None], nq, axis=1)
            self.K_mu = asm(BilinearForm(lambda u, v, w: w.inv_mu * dot(curl(u), curl(v))), self.basis,
                            inv_mu=m_q).tocsr()
            self.M_eps = asm(BilinearForm(lambda u, v, w: w.eps * dot(u, v)), self.basis, eps=e_q).tocsr()
            self.vC_mu = [asm(LinearForm(lambda v, w, j=j: w.inv_mu * curl(v)[j]), self.basis, inv_mu=m_q)
                          for j in range(3)]
            self.eps_mu_max = float(np.max(eps * mu))
        self.boundary = self.basis.get_dofs().flatten()
        self.interior = np.setdiff1d(np.arange(self.basis.N), self.boundary)
        self.Mwall = wall_tangential_mass(self.basis, intorder=q)[self.boundary][:, self.boundary].tocsc()

    def probe(self, pts):
        """(inside mask, element DOFs (n_local, n_in), (E values, curl values) each (n_local, 3, n_in)) of the
        local basis functions at points (3, n), cached for the last 64 point sets."""
        pts = np.ascontiguousarray(pts, dtype=float)
        key = hash(pts.tobytes())
        cache = self.__dict__.setdefault("_probe_cache", {})
        if key in cache:
            return cache[key]
        b = self.basis
        cells, X = locate(b, pts)
        ok = cells >= 0
        out = (ok, None, None)
        if ok.any():
            c = cells[ok]
            Xk = X[:, ok][:, :, None]
            ev, cv = [], []
            for i in range(b.element_dofs.shape[0]):
                f = b.elem.gbasis(b.mapping, Xk, i, tind=c)[0]
                ev.append(np.asarray(f)[:, :, 0])
                cv.append(np.asarray(f.curl)[:, :, 0])
            out = (ok, b.element_dofs[:, c], (np.array(ev), np.array(cv)))
        if len(cache) >= 64:
            cache.pop(next(iter(cache)))
        cache[key] = out
        return out

    @property
    def n_dofs(self) -> int:
        """Unknowns after removing the wall DOFs (n x E = 0)."""
        return int(self.interior.size)

    def solve(self, n: int, sigma: float | None = None, lowest: bool = True):
        """(k^2, E vectors, residuals, gradients found): the n lowest modes (or the n nearest k^2 = sigma).

        Shift-invert Lanczos with the gradient projector applied after each solve, so the Krylov space holds no
        k = 0 gradient field; for the lowest modes the shift is negative (-(1/10) of Weyl's k_n^2, where
        k_n^3 = 3 pi^2 n / V), making K - sigma M positive definite. Any k^2 ~ 0 left is discarded and counted.
        """
        I = self.interior
        A, B = self.K_mu[I][:, I], self.M_eps[I][:, I]  # the vacuum K, M unless the cavity is filled
        G, bnd = gradient_matrix(self.basis, self.order)
        keep = np.setdiff1d(np.arange(G.shape[1]), bnd)
        proj = GradientProjector(G[I][:, keep], B)  # M_eps-orthogonal: div (eps_r E) = 0 in the discrete sense
        weyl = (3 * np.pi**2 * n / self.spec.volume_m3) ** (2.0 / 3.0) / self.eps_mu_max
        sig = -0.1 * weyl if (sigma is None or lowest) else float(sigma)
        lam, vec = shift_invert_eigsh(A, B, n + 2, sig, project=proj)
        grad = lam < 1e-6 * weyl
        n_grad = int(grad.sum())
        lam, vec = lam[~grad], vec[:, ~grad]
        pick = np.argsort(lam)[:n] if sigma is None else np.argsort(np.abs(lam - sig))[:n]
        lam, vec = lam[pick], vec[:, pick]
        o = np.argsort(lam)
        lam, vec = lam[o], vec[:, o]
        X = np.zeros((self.basis.N, lam.size))
        X[I] = vec
        res = [float(np.linalg.norm(A @ vec[:, i] - lam[i] * (B @ vec[:, i]))
                     / np.linalg.norm(A @ vec[:, i])) for i in range(lam.size)]
        return lam, X, res, n_grad


def nedelec_modes(spec, n_modes: int = 6, near_hz: float | None = None, order: int = 2,
                  size_m: float | None = None, progress=None, wall_elements_per_turn: int | None = None):
    """Cavity modes from the 3D Nedelec solver (degree ``order``), lowest ``n_modes`` or nearest ``near_hz``.

    ``wall_elements_per_turn``: finer elements along curved walls only (docs/performance.md sec. 10)."""


    progress = progress or QUIET
    n_modes = check_n_modes(n_modes)
    if size_m is None and near_hz is not None:

        size_m = min(default_mesh_size_m(spec, 3), C_M_S / near_hz / 4 / math.sqrt(_max_eps_mu(spec)))
    with progress.step("3D curved mesh and Nedelec assembly") as info:
        solver = NedelecSolver(spec, order=order, size_m=size_m, wall_elements_per_turn=wall_elements_per_turn)
        info["note"] = f"{solver.n_dofs} DOFs, degree {order}, {solver.mesh.t.shape[1]} tets, h = {solver.size_m:.3g} m"
    check_near_hz(near_hz, solver.size_m, order)
    sigma = None if near_hz is None else (2 * math.pi * near_hz / C_M_S) ** 2
    with progress.step("shift-invert Lanczos (SuperLU on a METIS nested-dissection order)") as info:
        lam, X, res, n_grad = solver.solve(n_modes, sigma=sigma, lowest=near_hz is None)
        info["note"] = f"{lam.size} modes, gradients projected out ({n_grad} k = 0 vectors left)"
    modes = []
    for i in range(lam.size):
        fld = NedelecField(solver, X[:, i])
        ez, bz = fld.z_fractions()
        modes.append(CavityMode(freq_hz=math.sqrt(lam[i]) * C_M_S / (2 * math.pi),
                                label=guess_label(fld, spec, ez, bz), solver="3d", spec=spec, field=fld,
                                n_dofs=solver.n_dofs, order=order, mesh_size_m=solver.size_m, residual=res[i]))
    return modes


def _max_eps_mu(spec) -> float:
    """Largest eps_r mu_r of the cavity's materials: the wavelength there is shortest by its square root."""
    vals = [spec.eps_r * spec.mu_r] + [f.eps_r * f.mu_r for f in getattr(spec, "fillings", ())]
    return float(max(vals)) if hasattr(spec, "eps_r") else 1.0
