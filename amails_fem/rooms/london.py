"""Superconducting (London), normal and permeable layers with the QEMD magnetic current: 1D full-wave solver.

Field equations with the magnetic effective current j_m (Dai, Li & Zhang, Chin. Phys. C 49, 053105 (2025),
arXiv:2407.01070, eqs. 35-42, in SI; phasors x(t) = Re[X e^{-i w t}]):

    curl E = i w B - j_m,        curl H = J - i w eps0 eps_r E,        B = mu0 mu_r H,

with the conduction current J = sigma_c E. A London superconductor (first London equation dJ/dt = E / (mu0 lambda^2),
the Lorentz force on the superfluid) has sigma_c = i / (w mu0 lambda^2) (+ sigma_n, two-fluid model). Eliminating B,

    curl( mu_r^-1 (curl E + j_m) ) = q E,        q = i w mu0 sigma_c + k0^2 eps_r      (= k0^2 - 1/lambda^2 for London),

which this module solves by P2 finite elements on graded 1D meshes for two geometries (docs/physics.md sec. 2.7):

* planar: E = E_y(x) y_hat, B = B_z(x) z_hat, j_m = j_m z_hat; a vacuum gap |x| < g (symmetry: E_y(0) = 0), layers
  outside it, the tangential field B_far prescribed at the outer face (mu0 H_z continuous);
* sphere: E = f(r) sin(theta) phi_hat (the l = 1 mode of a uniform field along z), j_m = j_m z_hat; a vacuum interior
  r < a, concentric shells, and an exact condition for the exterior quasi-static field B_far z_hat + dipole;
* cylinder: an infinitely long shield with the field along its axis (the LC-circuit geometry of Dai, Li & Zhang
  (2025) with the dark photon along the axis): E = E_phi(rho) phi_hat, B = B_z(rho) z_hat, B_far at the outer face.

j_m enters the weak form as given (-int mu_r^-1 j_m . curl v), never eliminated by hand. The drive is the uniform
applied field b_applied_t (from sources far away) and/or the magnetic current, written as its free-space field
b_m_t = j_m / (i w); far away the field is B_far = b_applied_t + b_m_t. Results: B (planar B_z; sphere the
amplitudes b_r, b_theta with B = b_r cos(theta) r_hat - b_theta sin(theta) theta_hat), E and J.

Exact references: amails_fem/testing/analytic.py (layered_planar_exact, layered_sphere_exact).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from amails_fem.errors import SpecError
from amails_fem.units import C_M_S, MU0_H_M
from amails_fem.validate import require_option, require_positive

GEOMETRIES = ("planar", "sphere", "cylinder")
_GAUSS_X, _GAUSS_W = np.polynomial.legendre.leggauss(5)
_GAUSS_X = 0.5 * (_GAUSS_X + 1.0)
_GAUSS_W = 0.5 * _GAUSS_W


@dataclass(frozen=True)
class ShieldLayer:
    """One homogeneous layer: thickness (m), London depth lambda_l_m (None: not superconducting), normal conductivity
    sigma_s_m (S/m; with lambda_l_m the normal fluid of the two-fluid model), mu_r, eps_r."""

    thickness_m: float
    lambda_l_m: float | None = None
    sigma_s_m: float = 0.0
    mu_r: float = 1.0
    eps_r: float = 1.0
    name: str = ""

    def __post_init__(self):
        require_positive(self.thickness_m, "thickness_m", "m")
        if self.lambda_l_m is not None:
            require_positive(self.lambda_l_m, "lambda_l_m", "m")
        if not (math.isfinite(float(self.sigma_s_m)) and float(self.sigma_s_m) >= 0):
            raise SpecError(f"sigma_s_m must be a finite number >= 0 S/m; got {self.sigma_s_m!r}")
        for name in ("mu_r", "eps_r"):
            v = getattr(self, name)
            if isinstance(v, bool) or not (math.isfinite(float(v)) and float(v) >= 1.0):
                raise SpecError(f"{name} must be a finite number >= 1; got {v!r}")

    def conductivity_s_m(self, freq_hz: float) -> complex:
        """sigma_c = sigma_n + i / (w mu0 lambda^2) (first London equation, e^{-i w t})."""
        w = 2 * math.pi * freq_hz
        s = complex(self.sigma_s_m)
        if self.lambda_l_m is not None:
            s += 1j / (w * MU0_H_M * self.lambda_l_m**2)
        return s

    def q_per_m2(self, freq_hz: float) -> complex:
        """q = i w mu0 sigma_c + k0^2 eps_r (1/m^2) of curl(mu_r^-1 curl E) = q E."""
        w = 2 * math.pi * freq_hz
        return 1j * w * MU0_H_M * self.conductivity_s_m(freq_hz) + (w / C_M_S) ** 2 * self.eps_r

    def gamma_per_m(self, freq_hz: float) -> complex:
        """Decay constant gamma = sqrt(-mu_r q), Re gamma >= 0 (London: sqrt(1/lambda^2 - k0^2); metal: (1 - i)/delta)."""
        g = np.sqrt(complex(-self.mu_r * self.q_per_m2(freq_hz)))
        return -g if g.real < 0 else g

    def impedance_length_m(self, freq_hz: float) -> complex:
        """Impedance length l = E_t / (i w mu0 H_t) = mu_r / gamma of a thick layer (docs/physics.md sec. 2.5, 2.7):
        lambda_l for a London superconductor (a perfect conductor moved in by lambda), (1 + i) delta / 2 for a metal."""
        return self.mu_r / self.gamma_per_m(freq_hz)

    def decay_length_m(self, freq_hz: float) -> float:
        """1 / |gamma|: the length the mesh must resolve at the layer's faces."""
        return 1.0 / abs(self.gamma_per_m(freq_hz))


def london_layer(thickness_m: float, lambda_l_m: float, *, sigma_n_s_m: float = 0.0, mu_r: float = 1.0) -> ShieldLayer:
    """A London superconductor of penetration depth lambda_l_m (e.g. Nb ~ 39 nm, Pb ~ 37 nm)."""
    return ShieldLayer(thickness_m, lambda_l_m=lambda_l_m, sigma_s_m=sigma_n_s_m, mu_r=mu_r, name="London")


def vacuum_gap(thickness_m: float) -> ShieldLayer:
    return ShieldLayer(thickness_m, name="vacuum")


@dataclass
class LayeredSolution:
    """P2 solution: nodes (m), nodal E_y (planar, V/m) or f (sphere, E = f sin(theta) phi_hat, V/m)."""

    geometry: str
    nodes_m: np.ndarray
    e_nodes: np.ndarray
    freq_hz: float
    b_far_t: complex
    b_m_t: complex
    faces_m: np.ndarray
    layers: tuple = field(default_factory=tuple)

    @property
    def omega(self) -> float:
        return 2 * math.pi * self.freq_hz

    def _locate(self, x):
        x = np.atleast_1d(np.asarray(x, float))
        n_el = (len(self.nodes_m) - 1) // 2
        xs = self.nodes_m[0::2]
        if np.any(x < xs[0] - 1e-15 * xs[-1]) or np.any(x > xs[-1] * (1 + 1e-15)):
            raise SpecError(f"positions must lie in [{xs[0]}, {xs[-1]}] m")
        e = np.clip(np.searchsorted(xs, x, side="right") - 1, 0, n_el - 1)
        h = xs[e + 1] - xs[e]
        xi = (x - xs[e]) / h
        return x, e, h, xi

    def _values(self, x):
        x, e, h, xi = self._locate(x)
        c = np.stack([self.e_nodes[2 * e], self.e_nodes[2 * e + 1], self.e_nodes[2 * e + 2]])
        n, dn = _shape(xi)
        return x, e, np.sum(n * c, axis=0), np.sum(dn * c, axis=0) / h

    def _region(self, e):
        """Layer index of element e (-1 interior, len(layers) beyond)."""
        mid = 0.5 * (self.nodes_m[2 * e] + self.nodes_m[2 * e + 2])
        return np.searchsorted(self.faces_m, mid) - 1

    def e_field_v_m(self, x) -> np.ndarray:
        """E_y(x) (planar) or f(r) (sphere), V/m."""
        return self._values(x)[2]

    def b_field_t(self, x):
        """Planar: B_z(x) = (E' + j_m)/(i w). Sphere: (b_r, b_theta) = ((2f/r + j_m), (f/r + f' + j_m)) / (i w).
        Cylinder: B_z(rho) = (E/rho + E' + j_m)/(i w)."""
        x, _, f, df = self._values(x)
        j = 1j * self.omega * self.b_m_t
        if self.geometry == "planar":
            return (df + j) / (1j * self.omega)
        r = np.where(x > 0, x, 1.0)
        f_over_r = np.where(x > 0, f / r, df)  # f ~ alpha r at the centre
        if self.geometry == "cylinder":
            return (f_over_r + df + j) / (1j * self.omega)
        return (2 * f_over_r + j) / (1j * self.omega), (f_over_r + df + j) / (1j * self.omega)

    def current_a_m2(self, x) -> np.ndarray:
        """Conduction current J = sigma_c E (planar J_y; sphere its sin(theta) phi_hat amplitude), A/m^2."""
        x, e, f, _ = self._values(x)
        reg = self._region(e)
        sig = np.array([0.0] + [layer.conductivity_s_m(self.freq_hz) for layer in self.layers] + [0.0], complex)
        return sig[reg + 1] * f

    @property
    def b_centre_t(self) -> complex:
        """The field at x = 0 (planar) or r = 0 (sphere), along the drive."""
        b = self.b_field_t(0.0)
        return complex((b[1] if self.geometry == "sphere" else b)[0])


def _shape(xi):
    xi = np.asarray(xi, float)
    n = np.stack([2 * (xi - 0.5) * (xi - 1), 4 * xi * (1 - xi), 2 * xi * (xi - 0.5)])
    dn = np.stack([4 * xi - 3, 4 - 8 * xi, 4 * xi - 1])
    return n, dn


def _graded_nodes(x0: float, x1: float, h_face: float | None, h_max: float, decay_m: float) -> np.ndarray:
    """Element edges on [x0, x1], graded from h_face at both faces: h grows as e^{s / (4 decay)} with the depth s,
    so the P2 error of B (~ (h/decay)^2 e^{-s/decay}) falls as e^{-s/(2 decay)}; h_max caps h."""
    t = x1 - x0
    if h_face is None or h_face >= h_max:
        n = max(2, math.ceil(t / h_max))
        return np.linspace(x0, x1, n + 1)
    steps = [h_face]
    while steps[-1] < h_max and 2 * sum(steps) < t:
        steps.append(min(h_max, steps[-1] * math.exp(steps[-1] / (4.0 * decay_m))))
    edge = np.cumsum([0.0] + steps)
    if 2 * edge[-1] >= t:  # the two graded ends meet: uniform fine mesh
        n = max(2, math.ceil(t / h_face))
        return np.linspace(x0, x1, n + 1)
    mid_len = t - 2 * edge[-1]
    n_mid = max(1, math.ceil(mid_len / h_max))
    mid = edge[-1] + np.linspace(0, mid_len, n_mid + 1)
    pts = np.concatenate([edge, mid[1:], (t - edge[::-1])[1:]])
    return x0 + np.unique(pts)


def solve_layered(layers, *, inner_m: float, freq_hz: float, b_applied_t: complex = 0.0, b_m_t: complex = 0.0,
                  geometry: str = "planar", elements_per_decay: float = 16.0, n_vacuum: int = 8,
                  refine: float = 1.0) -> LayeredSolution:
    """Solve the full-wave 1D problem (module docstring) with P2 elements; returns a LayeredSolution.

    layers: ShieldLayer sequence from the inside out; inner_m: the vacuum half-gap (planar) or interior radius
    (sphere, cylinder); b_applied_t: uniform applied field (T) far away; b_m_t: the magnetic current as B_m = j_m/(i w) (T).
    Each conducting layer is meshed from elements of decay_length / elements_per_decay at its faces, graded with
    the depth (_graded_nodes) up to a tenth of its thickness; `refine` divides every element size.
    """
    geometry = require_option(geometry, "geometry", GEOMETRIES)
    layers = tuple(layers)
    if not layers or not all(isinstance(layer, ShieldLayer) for layer in layers):
        raise SpecError("layers must be a non-empty sequence of ShieldLayer")
    g = require_positive(inner_m, "inner_m", "m")
    f_hz = require_positive(freq_hz, "freq_hz", "Hz")
    require_positive(elements_per_decay, "elements_per_decay", "dimensionless")
    require_positive(refine, "refine", "dimensionless")
    faces = np.cumsum([g] + [layer.thickness_m for layer in layers])
    edges = [np.linspace(0.0, g, max(2, math.ceil(n_vacuum * refine)) + 1)]
    for k, layer in enumerate(layers):
        d = layer.decay_length_m(f_hz)
        t = layer.thickness_m
        h_face = d / elements_per_decay / refine if d < t / 4 else None
        edges.append(_graded_nodes(faces[k], faces[k + 1], h_face, t / max(4.0, 10.0 * refine), d))
    xs = np.unique(np.concatenate(edges))
    n_el = len(xs) - 1
    nodes = np.empty(2 * n_el + 1)
    nodes[0::2] = xs
    nodes[1::2] = 0.5 * (xs[:-1] + xs[1:])
    mids = 0.5 * (xs[:-1] + xs[1:])
    reg = np.searchsorted(faces, mids) - 1  # -1: interior vacuum
    nu = np.array([1.0] + [1.0 / layer.mu_r for layer in layers])[reg + 1]
    k0sq = (2 * math.pi * f_hz / C_M_S) ** 2
    q = np.array([k0sq] + [layer.q_per_m2(f_hz) for layer in layers], complex)[reg + 1]
    w = 2 * math.pi * f_hz
    j = 1j * w * complex(b_m_t)
    b_far = complex(b_applied_t) + complex(b_m_t)

    h = np.diff(xs)
    n, dn = _shape(_GAUSS_X)  # (3, nq)
    r = xs[:-1, None] + h[:, None] * _GAUSS_X[None, :]  # (n_el, nq)
    wq = h[:, None] * _GAUSS_W[None, :]
    dnx = dn[None, :, :] / h[:, None, None]  # (n_el, 3, nq)
    nn = np.broadcast_to(n[None], dnx.shape)
    if geometry == "planar":
        ke = np.einsum("eq,eiq,ejq->eij", wq, dnx, dnx) * nu[:, None, None]
        me = np.einsum("eq,iq,jq->eij", wq, n, n)
        ae = ke - q[:, None, None] * me
        fe = -(nu * j)[:, None] * np.einsum("eq,eiq->ei", wq, dnx)
    elif geometry == "cylinder":  # int nu ((rho E)'/rho + j) (rho v)' - q E v rho
        drn = nn + r[:, None, :] * dnx  # (rho N)'
        ke = np.einsum("eq,eq,eiq,ejq->eij", wq, 1.0 / r, drn, drn) * nu[:, None, None]
        me = np.einsum("eq,eq,iq,jq->eij", wq, r, n, n)
        ae = ke - q[:, None, None] * me
        fe = -(nu * j)[:, None] * np.einsum("eq,eiq->ei", wq, drn)
    else:
        drn = nn + r[:, None, :] * dnx  # (r N)'
        ke = (np.einsum("eq,iq,jq->eij", wq, n, n) * 2.0 + np.einsum("eq,eiq,ejq->eij", wq, drn, drn)) * nu[:, None, None]
        me = np.einsum("eq,eq,iq,jq->eij", wq, r**2, n, n)
        ae = ke - q[:, None, None] * me
        fe = -(nu * j)[:, None] * np.einsum("eq,eq,eiq->ei", wq, r, nn + drn)
    dofs = np.stack([2 * np.arange(n_el), 2 * np.arange(n_el) + 1, 2 * np.arange(n_el) + 2], axis=1)
    rows = np.repeat(dofs, 3, axis=1).ravel()
    cols = np.tile(dofs, (1, 3)).ravel()
    a = sp.coo_matrix((ae.ravel(), (rows, cols)), shape=(len(nodes),) * 2).tocsr()
    rhs = np.zeros(len(nodes), complex)
    np.add.at(rhs, dofs.ravel(), fe.ravel())
    big_r = xs[-1]
    if geometry == "planar":
        rhs[-1] += 1j * w * b_far  # i w mu0 H_z at the outer face, vacuum outside
    elif geometry == "cylinder":
        rhs[-1] += big_r * 1j * w * b_far  # rho i w mu0 H_z at the outer face (uniform axial field outside)
    else:  # exterior B_far z + dipole: h = (3 i w B_far - (2 f/R + j))/2 (quasi-static exterior)
        a = a + sp.csr_matrix(([big_r], ([len(nodes) - 1], [len(nodes) - 1])), shape=a.shape)
        rhs[-1] += big_r**2 * (3j * w * b_far - j) / 2.0
    free = np.arange(1, len(nodes))  # E_y(0) = 0 (symmetry) / f(0) = 0 (regular centre)
    sol = np.zeros(len(nodes), complex)
    sol[free] = spla.spsolve(a[free][:, free].tocsc(), rhs[free])
    return LayeredSolution(geometry, nodes, sol, f_hz, b_far, complex(b_m_t), faces, layers)


def interior_field_ratio(layers, *, inner_m: float, freq_hz: float, drive: str = "magnetic",
                         geometry: str = "sphere", **kwargs) -> complex:
    """B(centre) / B_far for a uniform applied field (drive="applied") or the magnetic current alone ("magnetic")."""
    drive = require_option(drive, "drive", ("applied", "magnetic"))
    kw = {"b_applied_t": 1.0} if drive == "applied" else {"b_m_t": 1.0}
    return solve_layered(layers, inner_m=inner_m, freq_hz=freq_hz, geometry=geometry, **kw, **kwargs).b_centre_t
