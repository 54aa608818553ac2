"""Cross-section solver: exact mode families of z-invariant cavities from 2D problems on the cross-section.

With beta = p pi / h and k^2 = k_c^2 + beta^2 (Pozar, Microwave Engineering, sec. 6.3; Jackson sec. 8.7):
  TM_mnp (p >= 0): -lap u = k_c^2 u, u = 0 on the walls;     E = (-beta/k_c^2 grad u sin(beta z), u cos(beta z))
  TE_mnp (p >= 1): -lap w = k_c^2 w, dw/dn = 0 on the walls;  E = (z x grad w) sin(beta z), B_z ~ w sin(beta z)
  TEM_p  (p >= 1, one per rod): lap phi = 0, phi = 1 on one rod, 0 on the other walls; E = grad phi sin(beta z)
The 2D problems use Lagrange elements of degree >= 2 on curved (isoparametric, MeshTri2) triangles.
z integrals are done in closed form, so every volume and wall integral is an exact quadrature of the 2D field.

Materials. A uniform filling (cavity eps_r, mu_r) keeps every family exact with k0^2 eps_r mu_r = k_c^2 + beta^2
(Pozar sec. 6.3 with k = omega sqrt(mu eps)). Filling regions that do not change along z (DielectricRod, slabs along
x or y) couple TE and TM for p >= 1 (hybrid modes, e.g. LSE/LSM of a slab-loaded box; Harrington, Time-Harmonic
Electromagnetic Fields, 1961, sec. 4-7), which a scalar 2D problem cannot give. What stays exact is the
z-independent family (p = 0): E = u(x, y) z, -div(mu_r^-1 grad u) = k0^2 eps_r u, u = 0 on the walls (every p = 0
mode has E_t = 0, since n x E = 0 on the end caps); ``p0_only=True`` returns that family.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.sparse.linalg import spsolve
from skfem import (
    Basis,
    BilinearForm,
    ElementTriP2,
    ElementTriP3,
    ElementTriP4,
    FacetBasis,
    LinearForm,
    asm,
    condense,
    solve,
)
from skfem.helpers import dot, grad

from amails_fem.cavities.modes import CavityMode, check_n_modes, check_near_hz, guess_label, locate
from amails_fem.errors import SpecError
from amails_fem.linalg.eigen import shift_invert_eigsh
from amails_fem.log import QUIET
from amails_fem.meshing.cavities import cell_materials, cross_section_mesh
from amails_fem.specs.cavities import default_mesh_size_m
from amails_fem.units import C_M_S


def _element(order: int):

    elems = {2: ElementTriP2, 3: ElementTriP3, 4: ElementTriP4}
    if order not in elems:
        raise SpecError(f"order must be 2, 3 or 4 for the cross-section solver (Lagrange degree); got {order!r}")
    return elems[order]()


class CrossSection:
    """The cross-section mesh, its P``order`` basis and the matrices shared by all mode families."""

    def __init__(self, spec, order: int = 2, size_m: float | None = None, wall_elements_per_turn: int | None = None):


        self.spec = spec
        self.order = order
        self.size_m = float(size_m if size_m is not None else default_mesh_size_m(spec, 2))
        elem = _element(order)
        self.mesh = cross_section_mesh(spec, self.size_m, order=2, wall_elements_per_turn=wall_elements_per_turn)
        self.basis = Basis(self.mesh, elem, intorder=2 * order + 1)
        self.fbasis = FacetBasis(self.mesh, elem, facets=self.mesh.boundary_facets(), intorder=2 * order + 1)

        stiff = BilinearForm(lambda u, v, w: dot(grad(u), grad(v)))
        mass = BilinearForm(lambda u, v, w: u * v)
        self.K = asm(stiff, self.basis).tocsr()
        self.M = asm(mass, self.basis).tocsr()
        self.Kb = asm(stiff, self.fbasis).tocsr()  # boundary integral of grad u . grad v (wall losses)
        self.Mb = asm(mass, self.fbasis).tocsr()
        self.b1 = asm(LinearForm(lambda v, w: v), self.basis)
        self.bx = asm(LinearForm(lambda v, w: grad(v)[0]), self.basis)
        self.by = asm(LinearForm(lambda v, w: grad(v)[1]), self.basis)
        self.boundary_dofs = self.basis.get_dofs().flatten()
        self.interior = np.setdiff1d(np.arange(self.basis.N), self.boundary_dofs)
        self.area_m2 = float(self.b1.sum())
        self.eps_r = float(getattr(spec, "eps_r", 1.0))  # uniform (background) filling
        self.mu_r = float(getattr(spec, "mu_r", 1.0))

    def weighted(self):
        """Matrices with the per-element eps_r, mu_r of the spec (built once): K_mu = int mu_r^-1 grad u . grad v,
        M_eps = int eps_r u v, K_mu2 = int mu_r^-2 grad u . grad v (end-cap |H|^2), b_mu = int mu_r^-1 grad v."""
        if not hasattr(self, "K_mu"):


            eps, mu = cell_materials(self.spec, self.basis.mapping, 2)
            nq = self.basis.X.shape[-1]
            e_q, m_q = np.repeat(eps[:, None], nq, axis=1), np.repeat(1.0 / mu[:, None], nq, axis=1)
            b = self.basis
            self.K_mu = asm(BilinearForm(lambda u, v, w: w.m * dot(grad(u), grad(v))), b, m=m_q).tocsr()
            self.K_mu2 = asm(BilinearForm(lambda u, v, w: w.m**2 * dot(grad(u), grad(v))), b, m=m_q).tocsr()
            self.M_eps = asm(BilinearForm(lambda u, v, w: w.e * u * v), b, e=e_q).tocsr()
            self.bx_mu = asm(LinearForm(lambda v, w: w.m * grad(v)[0]), b, m=m_q)
            self.by_mu = asm(LinearForm(lambda v, w: w.m * grad(v)[1]), b, m=m_q)
        return self

    def wall_flux2(self, u: np.ndarray, lam: float, K=None, M=None) -> float:
        """oint (du/dn)^2 ds for u constant on each wall, from the consistent flux g: int g v ds = (K u - lam M u)_v
        for boundary test functions v (superconvergent, unlike the trace of grad u). With the material K_mu, M_eps
        the flux is mu_r^-1 du/dn."""

        K = self.K if K is None else K
        M = self.M if M is None else M
        B = self.boundary_dofs
        if not hasattr(self, "_Mbb"):
            self._Mbb = self.Mb[B][:, B].tocsc()
        r = (K @ u - lam * (M @ u))[B]
        g = spsolve(self._Mbb, r)
        return float(g @ r)

    @property
    def n_dofs(self) -> int:
        return self.basis.N

    def dirichlet_modes(self, n: int, weighted: bool = False):
        """Lowest ``n`` (k_c^2, u) of -lap u = k_c^2 u, u = 0 on the walls (TM families); ``weighted``: of
        -div(mu_r^-1 grad u) = k0^2 eps_r u with the spec's materials (the p = 0 family of a filled cavity)."""

        I = self.interior
        n = min(n, I.size - 2)
        K, M = (self.weighted().K_mu, self.M_eps) if weighted else (self.K, self.M)
        lam, vec = shift_invert_eigsh(K[I][:, I], M[I][:, I], n, sigma=0.0)
        U = np.zeros((self.basis.N, lam.size))
        U[I] = vec
        return lam, U

    def neumann_modes(self, n: int):
        """Lowest ``n`` non-constant (k_c^2, w) of -lap w = k_c^2 w, dw/dn = 0 (TE families); k_c = 0 dropped."""

        n = min(n + 1, self.basis.N - 2)
        sigma = -1.0 / self.area_m2  # below the k = 0 constant mode: K - sigma M is positive definite
        lam, vec = shift_invert_eigsh(self.K, self.M, n, sigma=sigma)
        keep = lam > 1e-8 * lam.max()
        return lam[keep], vec[:, keep]

    def tem_potentials(self):
        """Harmonic potentials (one per rod) that are 1 on that rod and 0 on the other walls, M-orthonormalised
        in the energy norm int |grad phi|^2 dA = 1; returns a list of dof vectors (TEM families)."""

        rods = [r for r in getattr(self.spec, "rods", ()) if r.gap_m == 0.0]
        if not rods:
            return []
        xb = self.basis.doflocs[:, self.boundary_dofs]
        phis = []
        for rod in rods:
            cx, cy = rod.center_m
            on_rod = np.hypot(xb[0] - cx, xb[1] - cy) < rod.radius_m + 1e-6 * self.spec.radius_m
            x = np.zeros(self.basis.N)
            x[self.boundary_dofs[on_rod]] = 1.0
            phis.append(solve(*condense(self.K, np.zeros(self.basis.N), x=x, D=self.boundary_dofs)))
        P = np.array(phis).T
        G = P.T @ (self.K @ P)
        w, V = np.linalg.eigh(G)
        P = P @ V / np.sqrt(w)
        return [P[:, i] for i in range(P.shape[1])]


class Family2DField:
    """A 3D mode built from a 2D field ``u`` (TM, TE or TEM family) and its axial index p (see module doc)."""

    def __init__(self, cs: CrossSection, kind: str, u: np.ndarray, kc2: float, p: int, weighted: bool = False):
        """``weighted``: u solves the material problem -div(mu_r^-1 grad u) = kc2 eps_r u (kind TM, p = 0 only),
        kc2 = k0^2; otherwise a uniform filling enters through the scalars cs.eps_r, cs.mu_r."""
        self.cs, self.kind, self.u, self.kc2, self.p = cs, kind, u, float(kc2), int(p)
        self.weighted = bool(weighted)
        if self.weighted and (kind != "TM" or p != 0):
            raise SpecError("material-weighted cross-section fields exist only for the TM_mn0 (p = 0) family")
        h = cs.spec.height_m
        self.h = h
        self.beta = p * math.pi / h
        self.k2 = self.kc2 + self.beta**2
        b = self.beta
        self.iS = (1 - math.cos(p * math.pi)) / b if p else 0.0  # int sin(beta z) dz
        self.iC = h if p == 0 else 0.0  # int cos(beta z) dz
        self.iS2 = h / 2 if p else 0.0
        self.iC2 = h / 2 if p else h
        M, K = cs.M, cs.K
        self.I_u = float(cs.b1 @ u)
        self.I_ux = float(cs.bx @ u)
        self.I_uy = float(cs.by @ u)
        self.I_u2 = float(u @ (M @ u))
        self.I_g2 = float(u @ (K @ u))
        if kind == "TE":  # dw/dn = 0: |grad w|^2 on the wall is the tangential derivative of the trace
            self.W_g2 = float(u @ (cs.Kb @ u))
        elif self.weighted:  # (mu_r^-1 du/dn)^2 from the material residual
            self.W_g2 = cs.wall_flux2(u, self.kc2, cs.K_mu, cs.M_eps)
        else:  # u constant on each wall: |grad u|^2 = (du/dn)^2 from the consistent (residual) flux
            self.W_g2 = cs.wall_flux2(u, self.kc2)
        self.W_u2 = float(u @ (cs.Mb @ u))

    # volume integrals -------------------------------------------------------------------------------------
    def int_E(self):
        b, kc2 = self.beta, self.kc2
        if self.kind == "TM":
            return np.array([-b / kc2 * self.I_ux * self.iS, -b / kc2 * self.I_uy * self.iS, self.I_u * self.iC])
        if self.kind == "TE":
            return np.array([-self.I_uy * self.iS, self.I_ux * self.iS, 0.0])
        return np.array([self.I_ux * self.iS, self.I_uy * self.iS, 0.0])

    def int_E2(self):
        if self.kind == "TM":
            return self.beta**2 / self.kc2**2 * self.I_g2 * self.iS2 + self.I_u2 * self.iC2
        return self.I_g2 * self.iS2

    def int_curlE(self):
        b, kc2 = self.beta, self.kc2
        if self.kind == "TM":
            f = self.k2 / kc2 * self.iC
            return np.array([f * self.I_uy, -f * self.I_ux, 0.0])
        if self.kind == "TE":
            return np.array([-b * self.I_ux * self.iC, -b * self.I_uy * self.iC, -kc2 * self.I_u * self.iS])
        return np.array([-b * self.I_uy * self.iC, b * self.I_ux * self.iC, 0.0])

    def int_curlE2(self):
        b, kc2 = self.beta, self.kc2
        if self.kind == "TM":
            return (self.k2 / kc2) ** 2 * self.I_g2 * self.iC2
        if self.kind == "TE":
            return b**2 * self.I_g2 * self.iC2 + kc2**2 * self.I_u2 * self.iS2
        return b**2 * self.I_g2 * self.iC2

    def int_epsE2(self):
        """int eps_r |E|^2 dV."""
        if self.weighted:
            return float(self.u @ (self.cs.M_eps @ self.u)) * self.iC2
        return self.cs.eps_r * self.int_E2()

    def int_muinv_curlE(self):
        """int mu_r^-1 curl E dV, shape (3,)."""
        if self.weighted:  # p = 0: curl E = (du/dy, -du/dx, 0)
            cs = self.cs
            return np.array([float(cs.by_mu @ self.u) * self.iC, -float(cs.bx_mu @ self.u) * self.iC, 0.0])
        return self.int_curlE() / self.cs.mu_r

    def int_muinv_curlE2(self):
        """int mu_r^-1 |curl E|^2 dV."""
        if self.weighted:
            return float(self.u @ (self.cs.K_mu @ self.u)) * self.iC2
        return self.int_curlE2() / self.cs.mu_r

    def wall_curlE2(self):
        """int |mu_r^-1 curl E|^2 dS over side walls (rods included) and both end caps (cos^2 = 1 there, sin = 0);
        = int |curl E|^2 dS in vacuum."""
        if self.weighted:
            return self.W_g2 * self.iC2 + 2 * float(self.u @ (self.cs.K_mu2 @ self.u))
        return self._wall_curlE2_vacuum() / self.cs.mu_r**2

    def _wall_curlE2_vacuum(self):
        b, kc2 = self.beta, self.kc2
        if self.kind == "TM":
            f = (self.k2 / kc2) ** 2
            return f * (self.W_g2 * self.iC2 + 2 * self.I_g2)
        if self.kind == "TE":
            return b**2 * self.W_g2 * self.iC2 + kc2**2 * self.W_u2 * self.iS2 + 2 * b**2 * self.I_g2
        return b**2 * (self.W_g2 * self.iC2 + 2 * self.I_g2)

    def z_fractions(self):
        if self.kind == "TM":
            return self.I_u2 * self.iC2 / self.int_E2(), 0.0
        if self.kind == "TE":
            return 0.0, self.kc2**2 * self.I_u2 * self.iS2 / self.int_curlE2()
        return 0.0, 0.0

    # point evaluation -------------------------------------------------------------------------------------
    def _uv(self, pts):
        """u and grad u at the (x, y) of ``pts`` (NaN outside the cross-section)."""

        cs = self.cs
        cells, X = locate(cs.basis, pts[:2])
        ok = cells >= 0
        val = np.full(pts.shape[1], np.nan)
        gr = np.full((2, pts.shape[1]), np.nan)
        if ok.any():
            c = cells[ok]
            Xk = X[:, ok][:, :, None]
            dofs = cs.basis.element_dofs[:, c]
            v = np.zeros(c.size)
            g = np.zeros((2, c.size))
            for i in range(dofs.shape[0]):
                phi = cs.basis.elem.gbasis(cs.basis.mapping, Xk, i, tind=c)[0]
                coef = self.u[dofs[i]]
                v += coef * np.asarray(phi)[:, 0]
                g += coef * phi.grad[:, :, 0]
            val[ok], gr[:, ok] = v, g
        return val, gr

    def E(self, pts):
        u, g = self._uv(pts)
        s, c = np.sin(self.beta * pts[2]), np.cos(self.beta * pts[2])
        if self.kind == "TM":
            f = -self.beta / self.kc2
            return np.array([f * g[0] * s, f * g[1] * s, u * c])
        if self.kind == "TE":
            return np.array([-g[1] * s, g[0] * s, 0 * u])
        return np.array([g[0] * s, g[1] * s, 0 * u])

    def curlE(self, pts):
        u, g = self._uv(pts)
        s, c = np.sin(self.beta * pts[2]), np.cos(self.beta * pts[2])
        b = self.beta
        if self.kind == "TM":
            f = self.k2 / self.kc2 * c
            return np.array([f * g[1], -f * g[0], 0 * u])
        if self.kind == "TE":
            return np.array([-b * g[0] * c, -b * g[1] * c, -self.kc2 * u * s])
        return np.array([-b * g[1] * c, b * g[0] * c, 0 * u])


def _combine(tm, te, tem, h, n_modes, near_k):
    """All (k, kind, index, p) combinations; the n lowest (or nearest near_k) and the k below which the list is
    complete (every missing combination has k >= its own k_c >= the largest computed k_c of its family)."""
    kmax_tm = math.sqrt(tm[-1]) if len(tm) else math.inf
    kmax_te = math.sqrt(te[-1]) if len(te) else math.inf
    complete = min(kmax_tm, kmax_te)
    kcap = complete if near_k is None else complete
    pmax = int(math.ceil(kcap * h / math.pi)) + 1
    out = []
    for i, kc2 in enumerate(tm):
        for p in range(0, pmax + 1):
            out.append((math.sqrt(kc2 + (p * math.pi / h) ** 2), "TM", i, p))
    for i, kc2 in enumerate(te):
        for p in range(1, pmax + 1):
            out.append((math.sqrt(kc2 + (p * math.pi / h) ** 2), "TE", i, p))
    for i in range(tem):
        for p in range(1, pmax + 1):
            out.append((p * math.pi / h, "TEM", i, p))
    out = [o for o in out if o[0] < complete]
    if near_k is None:
        out.sort(key=lambda o: o[0])
    else:
        out.sort(key=lambda o: abs(o[0] - near_k))
    return out[:n_modes], complete


def cross_section_modes(spec, n_modes: int = 6, near_hz: float | None = None, order: int = 2,
                        size_m: float | None = None, progress=None, p0_only: bool = False,
                        wall_elements_per_turn: int | None = None):
    """Modes of a z-invariant cavity from the 2D TM/TE/TEM families (see module doc), sorted by frequency.

    ``wall_elements_per_turn``: finer elements along curved walls only (size_m inside); with P4 the TM010
    frequency of the R = 0.1 m cylinder reaches 1e-8 at ~2k DOFs (docs/performance.md sec. 10).

    ``p0_only``: only the z-independent family E = u(x, y) z of -div(mu_r^-1 grad u) = k0^2 eps_r u (TM_mn0),
    exact with filling regions (required then: their p >= 1 modes are hybrid, use the 3D solver for those).
    """

    progress = progress or QUIET
    n_modes = check_n_modes(n_modes)
    if not spec.z_invariant:
        raise SpecError("the cross-section solver needs a z-invariant cavity (rods with gap_m = 0)")
    if getattr(spec, "fillings", ()) and not p0_only:
        raise SpecError("p0_only must be True for a cavity with filling regions: the cross-section solver gives only "
                        "their z-independent TM_mn0 modes (use the 3D solver for the complete spectrum)")
    with progress.step("cross-section mesh and matrices") as info:
        cs = CrossSection(spec, order=order, size_m=size_m, wall_elements_per_turn=wall_elements_per_turn)
        info["note"] = f"{cs.n_dofs} DOFs, P{order}, h = {cs.size_m:.3g} m"
    check_near_hz(near_hz, cs.size_m, order)
    near_k = None if near_hz is None else 2 * math.pi * near_hz / C_M_S
    if p0_only:
        return _p0_modes(cs, n_modes, near_k, progress)
    k_scale = 1.0 / math.sqrt(cs.eps_r * cs.mu_r)  # uniform filling: k0 = k / sqrt(eps_r mu_r)
    if near_k is not None:
        near_k = near_k / k_scale
    tems = cs.tem_potentials()
    n2 = n_modes + 4
    with progress.step("2D eigenproblems (Dirichlet TM, Neumann TE)") as info:
        while True:
            tm_l, tm_v = cs.dirichlet_modes(n2)
            te_l, te_v = cs.neumann_modes(n2)
            chosen, complete = _combine(tm_l, te_l, len(tems), spec.height_m, n_modes, near_k)
            far = max(abs(c[0] - (near_k or 0)) for c in chosen) if chosen else math.inf
            ok = len(chosen) == n_modes and (near_k is None or near_k + far < complete)
            if ok or n2 >= min(cs.interior.size - 3, 400):
                break
            n2 *= 2
        info["note"] = f"{len(tm_l)} TM + {len(te_l)} TE cross-section modes, {len(tems)} TEM potentials"
    if len(chosen) < n_modes:
        raise SpecError(f"n_modes = {n_modes} is more than this mesh resolves ({len(chosen)}); refine the mesh")
    res = _residuals(cs, tm_l, tm_v, te_l, te_v)
    modes = []
    for k, kind, i, p in sorted(chosen, key=lambda c: c[0]):
        if kind == "TM":
            fld = Family2DField(cs, "TM", tm_v[:, i], tm_l[i], p)
        elif kind == "TE":
            fld = Family2DField(cs, "TE", te_v[:, i], te_l[i], p)
        else:
            fld = Family2DField(cs, "TEM", tems[i], 0.0, p)
        ez, bz = fld.z_fractions()
        label = guess_label(fld, spec, ez, bz, p_index=p)
        modes.append(CavityMode(freq_hz=k * k_scale * C_M_S / (2 * math.pi), label=label, solver="cross-section",
                                spec=spec, field=fld, n_dofs=cs.n_dofs, order=order, mesh_size_m=cs.size_m,
                                residual=res.get((kind, i), 0.0)))
    return modes


def _p0_modes(cs, n_modes: int, near_k, progress):
    """The z-independent modes E = u z of a (filled) z-invariant cavity: lowest ``n_modes`` or nearest near_k."""

    I = cs.interior
    n2 = n_modes + 4
    with progress.step("2D eigenproblem -div(mu_r^-1 grad u) = k0^2 eps_r u (TM_mn0 family)") as info:
        while True:
            lam, U = cs.dirichlet_modes(n2, weighted=True)
            k = np.sqrt(lam)
            pick = np.arange(min(n_modes, lam.size)) if near_k is None else np.argsort(np.abs(k - near_k))[:n_modes]
            enough = pick.size == n_modes and (near_k is None or k.max() > near_k + np.abs(k[pick] - near_k).max())
            if enough or n2 >= min(I.size - 3, 400):
                break
            n2 *= 2
        info["note"] = f"{lam.size} material-weighted Dirichlet modes"
    if pick.size < n_modes:
        raise SpecError(f"n_modes = {n_modes} is more than this mesh resolves ({pick.size}); refine the mesh")
    modes = []
    for i in sorted(pick, key=lambda j: lam[j]):
        u = U[:, i]
        fld = Family2DField(cs, "TM", u, lam[i], 0, weighted=True)
        r = (cs.K_mu @ u - lam[i] * (cs.M_eps @ u))[I]
        res = float(np.linalg.norm(r) / max(np.linalg.norm((cs.K_mu @ u)[I]), 1e-300))
        label = guess_label(fld, cs.spec, 1.0, 0.0, p_index=0)
        modes.append(CavityMode(freq_hz=float(k[i]) * C_M_S / (2 * math.pi), label=label, solver="cross-section",
                                spec=cs.spec, field=fld, n_dofs=cs.n_dofs, order=cs.order, mesh_size_m=cs.size_m,
                                residual=res))
    return modes


def _residuals(cs, tm_l, tm_v, te_l, te_v):
    """Relative residuals |K u - k_c^2 M u| / |K u| of the 2D eigenpairs (interior rows for TM)."""
    out = {}
    I = cs.interior
    for i in range(len(tm_l)):
        u = tm_v[:, i]
        r = (cs.K @ u - tm_l[i] * (cs.M @ u))[I]
        out[("TM", i)] = float(np.linalg.norm(r) / max(np.linalg.norm((cs.K @ u)[I]), 1e-300))
    for i in range(len(te_l)):
        u = te_v[:, i]
        r = cs.K @ u - te_l[i] * (cs.M @ u)
        out[("TE", i)] = float(np.linalg.norm(r) / max(np.linalg.norm(cs.K @ u), 1e-300))
    return out
