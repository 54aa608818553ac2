"""The LC-circuit scheme: a pickup coil inside a conducting shield, tuned by a capacitor (SI units).

Field (Dai, Li & Zhang, Chin. Phys. C 49, 053105 (2025), arXiv:2407.01070, eqs. 63-66; Chaudhuri et al.,
Phys. Rev. D 92, 075012 (2015), arXiv:1411.7382). Inside an infinite conducting cylinder of radius R (axis z) the
dark photon's effective current J = eps sqrt(2 rho/mu0) k cos(theta) z (k = omega/c, amplitudes,
x(t) = Re[X e^{-i omega t}]) drives, with E_z(R) = 0,

    E_z   = -(i omega mu0 J / k^2) (1 - J0(k rho) / J0(k R))
    B_phi = (mu0 J / k) J1(k rho) / J0(k R) = eps sqrt(2 mu0 rho_DM) cos(theta) J1(k rho) / J0(k R)

(from curl curl E - k^2 E = i omega mu0 J and i omega B = curl E). For k rho << 1, J1(k rho) ~ k rho / 2:
B_phi ~ mu0 J rho / 2 = eps sqrt(2 mu0 rho_DM) cos(theta) k rho / 2, the quasi-static (1/2) mu0 J x r of the room
solver. The paper's printed small-argument form of eq. 66, eps sqrt(2 rho) cos(theta) m rho, drops this 1/2
(its eq. 65 likewise drops the 1/4 of 1 - J0(x)/J0(y) ~ (y^2 - x^2)/4).

Circuit: flux linkage Phi (amplitude) through the pickup of inductance L in series with C and loss
R_s = omega L / Q: on resonance the current is I = i omega Phi / R_s and the dissipated (signal) power is
    P = |I|^2 R_s / 2 = omega Q |Phi|^2 / (2 L)         (paper eq. 68 with its eq. 67 flux; <cos^2> applied),
noise k_B T_sys sqrt(b / t) with T_sys = T_LC + T_amp (paper eq. 75; Dicke radiometer), SNR = P / P_noise (eq. 76).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import j0, j1

from amails_fem import units
from amails_fem.cavities.reach import cos2_polarization, dm_linewidth_hz
from amails_fem.errors import SpecError
from amails_fem.units import K_B_J_K
from amails_fem.validate import as_points, check_quasi_static, require_positive

_FRAMES = {"x": (1, 2, 0), "y": (2, 0, 1), "z": (0, 1, 2)}  # (e1, e2, axis) indices, right-handed


# --------------------------------------------------------------------------------------------------------------
# the infinite conducting cylinder (exact Bessel form and its small-argument limit)
# --------------------------------------------------------------------------------------------------------------
def _check_field_args(radius_m, freq_hz, eps, rho_gev_cm3):
    r = require_positive(radius_m, "radius_m", "m")
    f = require_positive(freq_hz, "freq_hz", "Hz")
    e = require_positive(eps, "eps", "dimensionless")
    require_positive(rho_gev_cm3, "rho_gev_cm3", "GeV/cm^3")
    k = 2 * math.pi * f / units.C_M_S
    if k * r >= 2.404825557695773:
        raise SpecError(f"freq_hz must keep k R below the first zero of J0 (2.405); got k R = {k * r:.4g}")
    return r, f, e, k


def infinite_cylinder_b_phi_t(rho_m, *, radius_m, freq_hz, eps, rho_gev_cm3=0.45, cos_theta=1.0, exact=True):
    """B_phi (T, amplitude) at radius rho_m in an infinite conducting cylinder of radius_m.

    exact=True: (mu0 J / k) J1(k rho) / J0(k R) (paper eq. 66 in SI); exact=False: mu0 J rho / 2, its
    small-argument limit, with J = eps sqrt(2 rho_DM / mu0) k cos(theta) (units.j_eff_a_m2).
    """

    r, f, e, k = _check_field_args(radius_m, freq_hz, eps, rho_gev_cm3)
    rho = np.asarray(rho_m, dtype=float)
    if np.any(rho < 0) or np.any(rho > r * (1 + 1e-12)):
        raise SpecError(f"rho_m must lie in [0, radius_m = {r:g}] m")
    j = units.j_eff_a_m2(e, f, rho_gev_cm3) * float(cos_theta)
    if exact:
        return units.MU0_H_M * j / k * j1(k * rho) / j0(k * r)
    return 0.5 * units.MU0_H_M * j * rho


def infinite_cylinder_e_z_v_m(rho_m, *, radius_m, freq_hz, eps, rho_gev_cm3=0.45, cos_theta=1.0):
    """E_z phasor (V/m) in the infinite conducting cylinder: -(i omega mu0 J / k^2) (1 - J0(k rho)/J0(k R)) (eq. 65)."""

    r, f, e, k = _check_field_args(radius_m, freq_hz, eps, rho_gev_cm3)
    rho = np.asarray(rho_m, dtype=float)
    j = units.j_eff_a_m2(e, f, rho_gev_cm3) * float(cos_theta)
    return -1j * 2 * math.pi * f * units.MU0_H_M * j / k**2 * (1.0 - j0(k * rho) / j0(k * r))


def infinite_cylinder_b_field_t(points_m, *, radius_m, freq_hz, eps, axis="z", rho_gev_cm3=0.45, exact=True):
    """B (N, 3) in tesla at points (N, 3) inside the infinite cylinder about ``axis`` (x, y or z) through the origin,
    for the dark-photon field along the axis (cos theta = 1)."""
    p = as_points(points_m)
    i1, i2, _ia = _FRAMES[_axis(axis)]
    rho = np.hypot(p[:, i1], p[:, i2])
    b = infinite_cylinder_b_phi_t(rho, radius_m=radius_m, freq_hz=freq_hz, eps=eps, rho_gev_cm3=rho_gev_cm3,
                                  exact=exact)
    out = np.zeros_like(p)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[:, i1] = np.where(rho > 0, -b * p[:, i2] / rho, 0.0)
        out[:, i2] = np.where(rho > 0, b * p[:, i1] / rho, 0.0)
    return out


def infinite_cylinder_rectangle_flux_wb(rho_min_m, rho_max_m, length_m, *, radius_m, freq_hz, eps,
                                        rho_gev_cm3=0.45, exact=True):
    """Flux (Wb) of B_phi through the rectangle [rho_min, rho_max] x length in the (rho, z) half-plane.

    exact: (mu0 J / k^2) L (J0(k a) - J0(k b)) / J0(k R); small argument: mu0 J L (b^2 - a^2) / 4.
    The difference J0(k a) - J0(k b) = k int_a^b J1(k rho) d rho is summed by 24-point Gauss-Legendre (machine
    precision for k R < 2.405), which avoids the cancellation of the difference at k R << 1.
    """

    r, f, e, k = _check_field_args(radius_m, freq_hz, eps, rho_gev_cm3)
    a = float(rho_min_m)
    b = float(rho_max_m)
    if not (0 <= a < b <= r):
        raise SpecError(f"rho_min_m, rho_max_m must satisfy 0 <= rho_min < rho_max <= radius_m = {r:g}; "
                        f"got {rho_min_m!r}, {rho_max_m!r}")
    h = require_positive(length_m, "length_m", "m")
    j = units.j_eff_a_m2(e, f, rho_gev_cm3)
    if exact:
        x, w = np.polynomial.legendre.leggauss(24)
        rho = 0.5 * (b - a) * (x + 1) + a
        int_j1 = 0.5 * (b - a) * float(np.dot(w, j1(k * rho)))  # = (J0(k a) - J0(k b)) / k
        return float(units.MU0_H_M * j / k * h * int_j1 / j0(k * r))
    return float(units.MU0_H_M * j * h * (b * b - a * a) / 4.0)


# --------------------------------------------------------------------------------------------------------------
# pickup geometries: quadrature of the flux surface
# --------------------------------------------------------------------------------------------------------------
def _axis(axis) -> str:
    if axis not in _FRAMES:
        raise SpecError(f"axis must be 'x', 'y' or 'z'; got {axis!r}")
    return axis



def _frame(axis: str, phi: float):
    """(e_rho, e_phi, e_axis) unit vectors at azimuth phi about ``axis``."""
    i1, i2, ia = _FRAMES[axis]
    e_rho, e_phi, e_ax = np.zeros(3), np.zeros(3), np.zeros(3)
    e_rho[i1], e_rho[i2] = math.cos(phi), math.sin(phi)
    e_phi[i1], e_phi[i2] = -math.sin(phi), math.cos(phi)
    e_ax[ia] = 1.0
    return e_rho, e_phi, e_ax


@dataclass(frozen=True)
class RectangleLoop:
    """A rectangular loop in the (rho, axial) half-plane at azimuth phi_rad about ``axis``, normal +e_phi (m).

    The toroid-like pickup of the LC scheme: it links the azimuthal B_phi of a current along the axis.
    """

    rho_min_m: float
    rho_max_m: float
    z_min_m: float
    z_max_m: float
    axis: str = "z"
    phi_rad: float = 0.0
    turns: int = 1
    wire_radius_m: float = 1e-3

    def __post_init__(self):
        if not (0 <= self.rho_min_m < self.rho_max_m) or not (self.z_min_m < self.z_max_m):
            raise SpecError("RectangleLoop needs 0 <= rho_min_m < rho_max_m and z_min_m < z_max_m (m)")
        _axis(self.axis)
        _check_turns(self.turns)
        require_positive(self.wire_radius_m, "wire_radius_m", "m")

    @property
    def area_m2(self) -> float:
        return (self.rho_max_m - self.rho_min_m) * (self.z_max_m - self.z_min_m)

    def quadrature(self, n: int = 12):
        """Gauss-Legendre points (N, 3) and vector area elements dA n (N, 3) in m^2 (exact for degree 2n-1)."""
        x, w = np.polynomial.legendre.leggauss(n)
        a, b, z0, z1 = self.rho_min_m, self.rho_max_m, self.z_min_m, self.z_max_m
        r = 0.5 * (b - a) * (x + 1) + a
        z = 0.5 * (z1 - z0) * (x + 1) + z0
        R, Z = np.meshgrid(r, z, indexing="ij")
        W = np.outer(w, w) * 0.25 * (b - a) * (z1 - z0)
        e_rho, e_phi, e_ax = _frame(self.axis, self.phi_rad)
        pts = R.reshape(-1, 1) * e_rho + Z.reshape(-1, 1) * e_ax
        return pts, W.reshape(-1, 1) * e_phi

    def inductance_h(self, y: float = 0.0) -> float:
        """Self inductance of the loop (H): rectangular_loop_inductance_h times turns^2 (tightly wound)."""
        return self.turns**2 * rectangular_loop_inductance_h(self.rho_max_m - self.rho_min_m,
                                                              self.z_max_m - self.z_min_m, self.wire_radius_m, y)


@dataclass(frozen=True)
class CircularLoop:
    """A flat circular loop: centre (m), unit normal, radius (m)."""

    center_m: tuple
    normal: tuple
    radius_m: float
    turns: int = 1
    wire_radius_m: float = 1e-3

    def __post_init__(self):
        c = np.asarray(self.center_m, dtype=float)
        n = np.asarray(self.normal, dtype=float)
        if c.shape != (3,) or n.shape != (3,) or not np.all(np.isfinite(c)) or np.linalg.norm(n) == 0:
            raise SpecError("CircularLoop needs center_m and a non-zero normal as finite 3-vectors")
        require_positive(self.radius_m, "radius_m", "m")
        _check_turns(self.turns)
        require_positive(self.wire_radius_m, "wire_radius_m", "m")

    @property
    def area_m2(self) -> float:
        return math.pi * self.radius_m**2

    def quadrature(self, n: int = 12):
        """Gauss-Legendre in r (with the r dr weight) times 4n equal angles (exact for trig of degree < 4n)."""
        n_hat = np.asarray(self.normal, dtype=float)
        n_hat = n_hat / np.linalg.norm(n_hat)
        helper = np.eye(3)[int(np.argmin(np.abs(n_hat)))]
        u = np.cross(n_hat, helper)
        u /= np.linalg.norm(u)
        v = np.cross(n_hat, u)
        x, w = np.polynomial.legendre.leggauss(n)
        r = 0.5 * self.radius_m * (x + 1)
        wr = 0.5 * self.radius_m * w * r
        m = 4 * n
        th = 2 * math.pi * (np.arange(m) + 0.5) / m
        R, T = np.meshgrid(r, th, indexing="ij")
        W = np.outer(wr, np.full(m, 2 * math.pi / m))
        pts = (np.asarray(self.center_m, dtype=float) + (R * np.cos(T)).reshape(-1, 1) * u
               + (R * np.sin(T)).reshape(-1, 1) * v)
        return pts, W.reshape(-1, 1) * n_hat

    def inductance_h(self, y: float = 0.0) -> float:
        """Self inductance (H): circular_loop_inductance_h times turns^2."""
        return self.turns**2 * circular_loop_inductance_h(self.radius_m, self.wire_radius_m, y)


@dataclass(frozen=True)
class ToroidCoil:
    """Toroid of rectangular cross-section about ``axis``: radii [inner, outer] (m), axial extent, N turns.

    Its flux linkage is N times the mean over azimuth of the cross-section flux (turns spread evenly).
    """

    inner_radius_m: float
    outer_radius_m: float
    z_min_m: float
    z_max_m: float
    turns: int = 1
    axis: str = "z"

    def __post_init__(self):
        if not (0 < self.inner_radius_m < self.outer_radius_m) or not (self.z_min_m < self.z_max_m):
            raise SpecError("ToroidCoil needs 0 < inner_radius_m < outer_radius_m and z_min_m < z_max_m (m)")
        _axis(self.axis)
        _check_turns(self.turns)

    @property
    def volume_m3(self) -> float:
        return math.pi * (self.outer_radius_m**2 - self.inner_radius_m**2) * (self.z_max_m - self.z_min_m)

    def quadrature(self, n: int = 12, n_phi: int = 8):
        """Cross-sections at n_phi equal azimuths, each weighted 1/n_phi (flux per turn = mean cross-section flux)."""
        pts, dA = [], []
        for k in range(n_phi):
            rect = RectangleLoop(self.inner_radius_m, self.outer_radius_m, self.z_min_m, self.z_max_m, self.axis,
                                 2 * math.pi * (k + 0.5) / n_phi)
            p, a = rect.quadrature(n)
            pts.append(p)
            dA.append(a / n_phi)
        return np.concatenate(pts), np.concatenate(dA)

    def inductance_h(self) -> float:
        """mu0 N^2 h ln(b/a) / (2 pi) (H)."""
        return toroid_inductance_h(self.turns, self.inner_radius_m, self.outer_radius_m, self.z_max_m - self.z_min_m)


def _check_turns(turns):
    if isinstance(turns, bool) or not isinstance(turns, (int, np.integer)) or not 1 <= turns <= 10**6:
        raise SpecError(f"turns must be an integer in [1, 1e6]; got {turns!r}")


# --------------------------------------------------------------------------------------------------------------
# flux from a room solve
# --------------------------------------------------------------------------------------------------------------
def pickup_flux_wb(response, loop, polarization, freq_hz, eps, *, rho_gev_cm3=0.45, n: int = 12):
    """Flux linkage (Wb, amplitude) of a pickup through the room's dark-photon field: turns x int B . dA.

    ``response``: a RoomResponse (solve_room): B per unit current density ``response.b_field(points,
    polarization)`` (T per A/m^2) times J_eff = eps sqrt(2 rho/mu0) (2 pi f / c) (units.j_eff_a_m2).
    ``loop``: RectangleLoop, CircularLoop, ToroidCoil, or a tuple (points_m (N, 3), vector areas (N, 3) in m^2).
    Quasi-static: the field is linear in f through J_eff (warns when 2 pi f L / c > 0.01).
    """
    f = require_positive(freq_hz, "freq_hz", "Hz")
    e = require_positive(eps, "eps", "dimensionless")
    if isinstance(loop, tuple):
        pts, dA = as_points(loop[0]), np.asarray(loop[1], dtype=float)
        if dA.shape != pts.shape:
            raise SpecError(f"loop vector areas must have the shape of its points {pts.shape}; got {dA.shape}")
        turns = 1
    else:
        pts, dA = loop.quadrature(n)
        turns = loop.turns
    spec = response.spec
    inside = spec.contains(pts, margin_m=0.0)
    if not inside.all():
        bad = pts[np.flatnonzero(~inside)[0]]
        raise SpecError(f"loop must lie inside the {spec.shape} room (centred at the origin); "
                        f"{int((~inside).sum())} quadrature point(s) outside, e.g. {bad.tolist()} m")
    check_quasi_static(f, spec.extent_m)
    b = response.b_field(pts, polarization)
    return turns * float(np.sum(b * dA)) * units.j_eff_a_m2(e, f, rho_gev_cm3)


def analytic_flux_wb(loop, *, radius_m, freq_hz, eps, axis=None, rho_gev_cm3=0.45, exact=True, n: int = 12):
    """Flux linkage (Wb) through ``loop`` of the infinite-cylinder field (DP along the axis), by the same quadrature."""
    ax = axis or getattr(loop, "axis", "z")
    pts, dA = loop.quadrature(n)
    b = infinite_cylinder_b_field_t(pts, radius_m=radius_m, freq_hz=freq_hz, eps=eps, axis=ax,
                                    rho_gev_cm3=rho_gev_cm3, exact=exact)
    return loop.turns * float(np.sum(b * dA))


# --------------------------------------------------------------------------------------------------------------
# inductances
# --------------------------------------------------------------------------------------------------------------
def circular_loop_inductance_h(loop_radius_m, wire_radius_m, y: float = 0.0) -> float:
    """L = mu0 R (ln(8 R / a) - 2 + Y) (H) for a round-wire loop, a << R; Y = 0 surface current (skin effect or
    superconductor), 1/4 uniform current (F. W. Grover, Inductance Calculations (1946); E. B. Rosa, Bull. Bur.
    Stand. 4, 301 (1908))."""
    r = require_positive(loop_radius_m, "loop_radius_m", "m")
    a = require_positive(wire_radius_m, "wire_radius_m", "m")
    if a >= 0.5 * r:
        raise SpecError(f"wire_radius_m must be below half the loop radius ({0.5 * r:g} m); got {a:g}")
    return units.MU0_H_M * r * (math.log(8 * r / a) - 2.0 + y)


def rectangular_loop_inductance_h(side_a_m, side_b_m, wire_radius_m, y: float = 0.0) -> float:
    """Rectangle of round wire, sides a, b, wire radius r << a, b (H) (Grover 1946; Rosa 1908):

    L = (mu0/pi) [a ln(2a/r) + b ln(2b/r) + 2 d - a asinh(a/b) - b asinh(b/a) - (a + b)(2 - Y)], d = sqrt(a^2+b^2);
    the sum of the four sides' self terms minus the mutual terms of the opposite (antiparallel) pairs.
    """
    a = require_positive(side_a_m, "side_a_m", "m")
    b = require_positive(side_b_m, "side_b_m", "m")
    r = require_positive(wire_radius_m, "wire_radius_m", "m")
    if r >= 0.5 * min(a, b):
        raise SpecError(f"wire_radius_m must be below half the shorter side ({0.5 * min(a, b):g} m); got {r:g}")
    d = math.hypot(a, b)
    return units.MU0_H_M / math.pi * (a * math.log(2 * a / r) + b * math.log(2 * b / r) + 2 * d
                                      - a * math.asinh(a / b) - b * math.asinh(b / a) - (a + b) * (2.0 - y))


def toroid_inductance_h(turns, inner_radius_m, outer_radius_m, height_m) -> float:
    """Toroid of rectangular cross-section: L = mu0 N^2 h ln(b/a) / (2 pi) (H) (B = mu0 N I / (2 pi rho) inside)."""
    _check_turns(turns)
    a = require_positive(inner_radius_m, "inner_radius_m", "m")
    b = require_positive(outer_radius_m, "outer_radius_m", "m")
    h = require_positive(height_m, "height_m", "m")
    if b <= a:
        raise SpecError(f"outer_radius_m must exceed inner_radius_m = {a:g} m; got {b:g}")
    return units.MU0_H_M * turns**2 * h * math.log(b / a) / (2 * math.pi)


# --------------------------------------------------------------------------------------------------------------
# the resonant circuit
# --------------------------------------------------------------------------------------------------------------
def lc_resonance_hz(inductance_h, capacitance_f):
    """f = 1 / (2 pi sqrt(L C)) (Hz)."""
    L = np.asarray(inductance_h, dtype=float)
    C = np.asarray(capacitance_f, dtype=float)
    if np.any(~np.isfinite(L)) or np.any(L <= 0) or np.any(~np.isfinite(C)) or np.any(C <= 0):
        raise SpecError("inductance_h (H) and capacitance_f (F) must be finite and > 0")
    out = 1.0 / (2 * math.pi * np.sqrt(L * C))
    return float(out) if out.ndim == 0 else out


def lc_capacitance_f(inductance_h, freq_hz):
    """C = 1 / ((2 pi f)^2 L) (F) that tunes the pickup of inductance L to f."""
    L = require_positive(inductance_h, "inductance_h", "H")
    f = np.asarray(freq_hz, dtype=float)
    out = 1.0 / ((2 * math.pi * f) ** 2 * L)
    return float(out) if out.ndim == 0 else out


def lc_tuning_range_hz(inductance_h, c_min_f, c_max_f=None):
    """(f_min, f_max) in Hz: f_max = 1/(2 pi sqrt(L C_min)); f_min from c_max_f (0 when unbounded)."""
    f_max = lc_resonance_hz(inductance_h, require_positive(c_min_f, "c_min_f", "F"))
    if c_max_f is None:
        return 0.0, f_max
    c_max = require_positive(c_max_f, "c_max_f", "F")
    if c_max <= c_min_f:
        raise SpecError(f"c_max_f must exceed c_min_f = {c_min_f:g} F; got {c_max_f!r}")
    return lc_resonance_hz(inductance_h, c_max), f_max


def lc_signal_power_w(flux_wb, freq_hz, inductance_h, q):
    """Power (W) dissipated on resonance, omega Q |Phi|^2 / (2 L): I = i omega Phi / R_s, R_s = omega L / Q."""
    L = require_positive(inductance_h, "inductance_h", "H")
    qq = require_positive(q, "q", "dimensionless")
    f = np.asarray(freq_hz, dtype=float)
    return 2 * math.pi * f * qq * np.abs(flux_wb) ** 2 / (2 * L)


def lc_noise_power_w(t_sys_k, time_s, bandwidth_hz):
    """Radiometer noise fluctuation k_B T_sys sqrt(b / t) (W) (paper eq. 75 with Delta f -> b)."""
    t_sys = require_positive(t_sys_k, "t_sys_k", "K")
    t = require_positive(time_s, "time_s", "s")
    b = np.asarray(bandwidth_hz, dtype=float)
    return K_B_J_K * t_sys * np.sqrt(b / t)


@dataclass
class LCReach:
    """eps(f) of an LC pickup scan, with the circuit values used at each frequency (SI)."""

    freq_hz: np.ndarray
    eps: np.ndarray            # NaN above f_max (capacitance below c_min_f)
    capacitance_f: np.ndarray
    flux_per_eps_wb: np.ndarray  # flux linkage at eps = 1, DP along the axis
    inductance_h: float
    f_max_hz: float
    t_sys_k: float


def lc_reach(freq_hz, *, coil, shield_radius_m=None, q=1e6, t_lc_k, t_amp_k, time_s, snr=3.0, c_min_f=50e-12,
             rho_gev_cm3=0.45, polarization="random", response=None, bandwidth="dm", exact=True) -> LCReach:
    """Kinetic mixing reached by an LC pickup in a shield at each frequency (time_s at every frequency).

    eps^2 = SNR k_B T_sys sqrt(b / t) 2 L / (omega Q <cos^2> |Phi_1|^2), Phi_1 the flux linkage at eps = 1 with the
    DP along the shield axis: from the infinite conducting cylinder of ``shield_radius_m`` (exact J1/J0 field, or its
    small-argument form with exact=False), or from a room solve ``response`` (any closed room, pickup_flux_wb).
    T_sys = t_lc_k + t_amp_k (thermal noise of the circuit plus the amplifier); ``bandwidth``: "dm" (b = f / Q_DM,
    the signal width) or "lc" (b = f / Q, the paper's Delta f); the two agree at Q = 1e6.
    Frequencies above f_max = 1 / (2 pi sqrt(L C_min)) give NaN.
    """
    f = np.atleast_1d(np.asarray(freq_hz, dtype=float))
    if not np.all(np.isfinite(f)) or np.any(f <= 0):
        raise SpecError(f"freq_hz must be finite and > 0 (Hz); got {freq_hz!r}")
    qq = require_positive(q, "q", "dimensionless")
    t_lc = require_positive(t_lc_k, "t_lc_k", "K")
    t_amp = require_positive(t_amp_k, "t_amp_k", "K")
    t = require_positive(time_s, "time_s", "s")
    s = require_positive(snr, "snr", "dimensionless")
    c_min = require_positive(c_min_f, "c_min_f", "F")
    cos2 = cos2_polarization(polarization)
    if bandwidth not in ("dm", "lc"):
        raise SpecError(f"bandwidth must be 'dm' (f / Q_DM) or 'lc' (f / Q); got {bandwidth!r}")
    if response is None and shield_radius_m is None:
        raise SpecError("lc_reach needs shield_radius_m (m, infinite cylinder) or a room response")
    L = coil.inductance_h()
    f_max = lc_resonance_hz(L, c_min)
    if response is None:
        R = require_positive(shield_radius_m, "shield_radius_m", "m")
        outer = getattr(coil, "outer_radius_m", None) or getattr(coil, "rho_max_m", None)
        if outer is not None and outer > R:
            raise SpecError(f"the pickup (outer radius {outer:g} m) must fit inside shield_radius_m = {R:g} m")
        flux = np.array([analytic_flux_wb(coil, radius_m=R, freq_hz=fi, eps=1.0, rho_gev_cm3=rho_gev_cm3,
                                          exact=exact) if fi <= f_max * (1 + 1e-12) else np.nan for fi in f])
    else:
        axis = getattr(coil, "axis", "z")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            flux1 = pickup_flux_wb(response, coil, axis, 1.0, 1.0, rho_gev_cm3=rho_gev_cm3)
        check_quasi_static(float(np.minimum(f, f_max).max()), response.spec.extent_m)
        flux = flux1 * f  # quasi-static: linear in f through J_eff
    b = dm_linewidth_hz(f) if bandwidth == "dm" else f / qq
    t_sys = t_lc + t_amp
    p1 = lc_signal_power_w(flux, f, L, qq) * cos2
    eps = np.sqrt(s * lc_noise_power_w(t_sys, t, b) / p1)
    eps = np.where(f <= f_max * (1 + 1e-12), eps, np.nan)
    return LCReach(freq_hz=f, eps=eps, capacitance_f=np.atleast_1d(lc_capacitance_f(L, f)), flux_per_eps_wb=flux,
                   inductance_h=L, f_max_hz=f_max, t_sys_k=t_sys)


def paper_lc_reach(freq_hz, *, volume_m3, inductance_h, t_n_k, time_s=7 * 86400.0, q=1e6, snr=3.0,
                   c_min_f=50e-12, rho_gev_cm3=0.45, cos2=1.0 / 3.0):
    """The paper's benchmark estimate (eqs. 67, 68, 75, 76) in SI: eps(f), NaN above 1/(2 pi sqrt(L C_min)).

    P = mu0 rho Q eps^2 <cos^2> omega^3 V^2 / (c^2 L) (eq. 68 with the flux Phi = eps sqrt(2 mu0 rho) (omega/c) V
    of eq. 67, Q moved into the circuit), noise k_B T_N sqrt((f/Q)/t), SNR = 3. Dai, Li & Zhang,
    Chin. Phys. C 49, 053105 (2025), arXiv:2407.01070.
    """
    f = np.atleast_1d(np.asarray(freq_hz, dtype=float))
    v = require_positive(volume_m3, "volume_m3", "m^3")
    L = require_positive(inductance_h, "inductance_h", "H")
    qq = require_positive(q, "q", "dimensionless")
    w = 2 * math.pi * f
    p1 = units.MU0_H_M * units.rho_j_m3(rho_gev_cm3) * qq * cos2 * w**3 * v**2 / (units.C_M_S**2 * L)
    eps = np.sqrt(snr * lc_noise_power_w(t_n_k, time_s, f / qq) / p1)
    return np.where(f <= lc_resonance_hz(L, c_min_f) * (1 + 1e-12), eps, np.nan)
