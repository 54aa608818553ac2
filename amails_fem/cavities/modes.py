"""Cavity eigenmodes as results: CavityMode (frequency, label, field, integrals), the checks and labels the two
solvers share (cavities/cross_section.py, cavities/nedelec3d.py; the dispatcher is cavities/solve.py). Modes solve

    curl curl E = k^2 E in the cavity,  n x E = 0 on every conducting wall,  f = c k / (2 pi),

and carry their fields: E (V/m, arbitrary normalisation) and B = curl E / (i omega) (tesla per the same scale).
Filled cavities (relative eps_r, mu_r per region, see specs/cavities.py) solve curl (mu_r^-1 curl E) = k0^2 eps_r E,
f = c k0 / (2 pi); then H = B / (mu0 mu_r), and the "auto" solver is the 3D one as soon as a cavity has filling
regions (the cross-section solver gives only their z-independent TM_mn0 family, see cavities/cross_section.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from amails_fem.cavities.formfactor import form_factor, unloaded_q
from amails_fem.errors import SpecError
from amails_fem.fem.probe import PointLocator
from amails_fem.specs.cavities import CylinderCavity, HalfCylinderCavity, RectangularCavity
from amails_fem.units import C_M_S
from amails_fem.validate import as_points


@dataclass(frozen=True, eq=False)
class CavityMode:
    """One resonant mode: frequency (Hz), label guess, the solver that found it, and its field.

    ``E(points_m)`` and ``B(points_m)`` evaluate the fields at points of shape (N, 3) in metres, returning (N, 3)
    (NaN outside the cavity). Volume integrals used by the form factors (Dai, Li & Zhang 2025, eqs. 58, 62) and the
    wall losses are exact quadratures of the discrete field.
    """

    freq_hz: float
    label: str
    solver: str
    spec: object
    field: object = field(repr=False)
    n_dofs: int = 0
    order: int = 2
    mesh_size_m: float = 0.0
    residual: float = 0.0

    @property
    def k_rad_m(self) -> float:
        """Wavenumber k = 2 pi f / c (rad/m)."""
        return 2 * math.pi * self.freq_hz / C_M_S

    @property
    def omega_rad_s(self) -> float:
        return 2 * math.pi * self.freq_hz

    def E(self, points_m) -> np.ndarray:
        """Electric field (N, 3) at points (N, 3) in metres; NaN outside the cavity."""
        return self.field.E(as_points(points_m).T).T

    def B(self, points_m) -> np.ndarray:
        """Magnetic field B = curl E / (i omega) (N, 3), complex; NaN outside the cavity."""
        return (self.field.curlE(as_points(points_m).T) / (1j * self.omega_rad_s)).T

    # integrals (exact quadratures of the discrete field)
    def integral_E(self) -> np.ndarray:
        """int E dV (V m^2), shape (3,)."""
        return self.field.int_E()

    def energy_E(self) -> float:
        """int |E|^2 dV."""
        return self.field.int_E2()

    def integral_B(self) -> np.ndarray:
        """int B dV = int curl E dV / (i omega), shape (3,), complex."""
        return self.field.int_curlE() / (1j * self.omega_rad_s)

    def energy_B(self) -> float:
        """int |B|^2 dV."""
        return self.field.int_curlE2() / self.omega_rad_s**2

    def wall_B2(self) -> float:
        """Surface integral of |mu0 H|^2 = |B / mu_r|^2 over all conducting walls (H is tangential there); this is
        |B|^2 wherever the wall medium has mu_r = 1 (T^2 m^2 per the field scale)."""
        return self.field.wall_curlE2() / self.omega_rad_s**2

    def energy_eps_E(self) -> float:
        """int eps_r |E|^2 dV (V^2 m): the electric stored energy over eps0 / 4 (= energy_E() in vacuum)."""
        return self.field.int_epsE2()

    def integral_mu0_H(self) -> np.ndarray:
        """mu0 int H dV = int B / mu_r dV (T m^3), shape (3,), complex; the volume integral a uniform magnetic
        current couples to (int j_m . H* dV). Equals integral_B() wherever mu_r = 1."""
        return self.field.int_muinv_curlE() / (1j * self.omega_rad_s)

    def energy_BH(self) -> float:
        """mu0 int B . H* dV = int |B|^2 / mu_r dV (T^2 m^3): the magnetic stored energy times 4 mu0."""
        return self.field.int_muinv_curlE2() / self.omega_rad_s**2

    def z_fractions(self) -> tuple[float, float]:
        """(int |E_z|^2 / int |E|^2, int |B_z|^2 / int |B|^2): 1 for E_z-only TM_mn0, 0 for TE's E_z."""
        return self.field.z_fractions()

    def summary(self) -> dict:

        return {
            "label": self.label,
            "freq_hz": self.freq_hz,
            "solver": self.solver,
            "G_E_x": form_factor(self, "x", "E"), "G_E_y": form_factor(self, "y", "E"),
            "G_E_z": form_factor(self, "z", "E"),
            "G_B_x": form_factor(self, "x", "B"), "G_B_y": form_factor(self, "y", "B"),
            "G_B_z": form_factor(self, "z", "B"),
            "Q0": unloaded_q(self),
            "n_dofs": self.n_dofs, "order": self.order, "mesh_size_m": self.mesh_size_m, "residual": self.residual,
        }


def check_n_modes(n_modes) -> int:
    if isinstance(n_modes, bool) or not isinstance(n_modes, (int, np.integer)) or not 1 <= n_modes <= 200:
        raise SpecError(f"n_modes must be an integer in [1, 200]; got {n_modes!r}")
    return int(n_modes)


def check_near_hz(near_hz, size_m: float, order: int) -> None:
    """SpecError when near_hz is above what a mesh of size_m at this order resolves (max_freq_hz)."""
    if near_hz is not None and near_hz > max_freq_hz(size_m, order):
        raise SpecError(f"near_hz must be at most {max_freq_hz(size_m, order):.4g} Hz for mesh size "
                        f"{size_m:.3g} m at order {order} (finer mesh for higher modes); got {near_hz:.4g}")


def check_near(modes, near_hz: float, window: float) -> None:
    """Raise SpecError when no mode lies within ``window`` (relative) of ``near_hz``."""
    best = min(modes, key=lambda m: abs(m.freq_hz - near_hz))
    if abs(best.freq_hz - near_hz) > window * near_hz:
        raise SpecError(
            f"no cavity mode within {window:.0%} of near_hz = {near_hz:.6g} Hz; the nearest is {best.label} at "
            f"{best.freq_hz:.6g} Hz (modes found between {min(m.freq_hz for m in modes):.6g} and "
            f"{max(m.freq_hz for m in modes):.6g} Hz)")


def max_freq_hz(size_m: float, order: int) -> float:
    """Highest frequency a mesh resolves usefully: about ``order`` elements per half wavelength (Hz)."""
    return C_M_S * order / (4.0 * size_m)


# ----------------------------------------------------------------------------------------------------------------
# point location on (curved) simplex meshes, and labels
# ----------------------------------------------------------------------------------------------------------------
def locate(basis, points: np.ndarray, tol: float = 1e-9):
    """Cells and reference coordinates of ``points`` (dim, n) on a (curved) simplex mesh; cells = -1 outside."""

    cells, X, outside = PointLocator.for_basis(basis).locate(points.T)
    cells = np.where(outside <= tol, cells, -1)
    return cells, np.clip(X, 0.0, 1.0)


def guess_label(mode_field, spec, ez_frac: float, bz_frac: float, p_index: int | None = None) -> str:
    """TM/TE-like from the field's z content, with mnp indices where the shape allows a guess.

    TM-like: B has no z part (bz_frac ~ 0); TE-like: E has no z part; TEM: neither (both ~ 0).
    Indices: m from the azimuthal Fourier content of E_z (TM) or B_z (TE) on a ring at 0.55 R (cylinders) or
    sign changes along x (rectangles), n from radial sign changes, p from sign changes along z.
    """
    tol = 1e-3  # discrete 3D fields carry a small z part of the other kind
    if ez_frac < 1e-2 and bz_frac < 1e-2:
        kind = "TEM"
    elif bz_frac < tol:
        kind = "TM"
    elif ez_frac < tol:
        kind = "TE"
    else:
        kind = "TM-like" if ez_frac > bz_frac else "TE-like"
    try:
        idx = _indices(mode_field, spec, "TE" if kind.startswith("TE") and kind != "TEM" else "TM", p_index)
    except Exception:  # labels are a guess: never fail a solve over one
        idx = ""
    if kind == "TEM":
        return f"TEM00{p_index if p_index is not None else ''}"
    return f"{kind}{idx}"


def _indices(mode_field, spec, kind, p_index):

    h = spec.height_m
    comp = (lambda pts: mode_field.E(pts)[2]) if kind == "TM" else (lambda pts: mode_field.curlE(pts)[2])
    if isinstance(spec, RectangularCavity):
        a, b = spec.a_m, spec.b_m
        z0 = _best_z(comp, np.array([0.123 * a, 0.137 * b]), h, kind)
        xs = np.linspace(-a / 2, a / 2, 201)[1:-1]
        ys = np.linspace(-b / 2, b / 2, 201)[1:-1]
        fx = comp(np.vstack([xs, 0 * xs + 0.0731 * b + 1e-9, 0 * xs + z0]))
        fy = comp(np.vstack([0 * ys + 0.0613 * a, ys, 0 * ys + z0]))
        m, n = _sign_changes(fx), _sign_changes(fy)
        if kind == "TM":
            m, n = m + 1, n + 1
    else:
        R = spec.radius_m
        z0 = _best_z(comp, np.array([0.4 * R, 0.3 * R]), h, kind)
        half = isinstance(spec, HalfCylinderCavity)
        phis = np.linspace(0, np.pi if half else 2 * np.pi, 128, endpoint=False) + (0.5 * np.pi / 128 if half else 0)
        ring = comp(np.vstack([0.55 * R * np.cos(phis), 0.55 * R * np.sin(phis), 0 * phis + z0]))
        ring = np.nan_to_num(np.real(ring))
        if half:  # cos(m phi) on [0, pi]
            coeffs = [abs(np.sum(ring * np.cos(mm * phis))) for mm in range(8)]
        else:
            coeffs = np.abs(np.fft.rfft(ring))[:8]
        m = int(np.argmax(coeffs))
        phi0 = phis[np.argmax(np.abs(ring))]
        rs = np.linspace(0.01 * R, 0.99 * R, 30)
        line = comp(np.vstack([rs * np.cos(phi0), rs * np.sin(phi0), 0 * rs + z0]))
        if kind == "TM":
            n = _sign_changes(line, rel=0.05) + 1
        else:
            n = _sign_changes(np.diff(np.nan_to_num(np.real(line))), rel=0.1) + 1
    if p_index is None:
        zs = (np.arange(64) + 0.5) * h / 64
        xy = np.array([0.123, 0.137]) * (spec.a_m if isinstance(spec, RectangularCavity) else spec.radius_m)
        if isinstance(spec, CylinderCavity) or isinstance(spec, HalfCylinderCavity):
            xy = np.array([0.3, 0.25]) * spec.radius_m
        fz = np.nan_to_num(np.real(comp(np.vstack([0 * zs + xy[0], 0 * zs + xy[1], zs]))))
        trig = np.cos if kind == "TM" else np.sin  # E_z ~ cos(p pi z / h) (TM), B_z ~ sin (TE): project
        ps = np.arange(0 if kind == "TM" else 1, 9)
        p_index = int(ps[np.argmax([abs(np.sum(fz * trig(p * np.pi * zs / h))) for p in ps])])
    return f"{m}{n}{p_index}"


def _best_z(comp, xy, h, kind):
    """A height where the z component is large (away from its nodes)."""
    zs = np.linspace(0, h, 41)[1:-1]
    v = np.abs(np.nan_to_num(comp(np.vstack([0 * zs + xy[0], 0 * zs + xy[1], zs]))))
    return float(zs[np.argmax(v)])


def _sign_changes(values, rel: float = 1e-2) -> int:
    v = np.real(np.asarray(values))
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0
    scale = np.max(np.abs(v))
    v = v[np.abs(v) > rel * scale]
    return int(np.sum(np.sign(v[1:]) != np.sign(v[:-1])))
