"""Axion-haloscope limits g_agg(m) converted to dark-photon kinetic mixing chi, with the polarization factor.

Equal signal power in the same cavity (Dai, Li & Zhang, Chin. Phys. C 49, 053105 (2025), arXiv:2407.01070,
eqs. 57, 59, 60; natural Heaviside-Lorentz units hbar = c = 1):

    chi^2 m x <cos^2 theta> = g_agg^2 B0^2 / m      =>     chi = g_agg B0 / (m sqrt(x <cos^2 theta>))

with g_agg in eV^-1, B0 in eV^2 (1 T = 195.35 eV^2), m in eV; x is the dark-matter fraction of the paper's
case II (x = 1: ordinary dark photon). The polarization factor follows Caputo, O'Hare, Millar & Vitagliano,
"Dark photon limits: a handbook", Phys. Rev. D 104, 095029 (2021), arXiv:2105.04565:

  "random": the polarization is re-drawn every coherence time; for a measurement much longer than it,
            <cos^2 theta> = 1/3.
  "fixed":  one polarization direction X in the galactic (non-rotating) frame for the whole experiment; the
            cavity axis n(t) turns with the Earth, so the signal carries <cos^2 theta>_T = X . M_T X with
            M_T = (1/T) int_0^T n n^T dt. X is unknown and isotropic: the limit uses the value exceeded by 95 % of
            directions (fixed_polarization_cos2). For T << 1 sidereal day this is 0.05^2 = 0.0025 at any site
            (cos theta uniform in [-1, 1]); over whole days it depends on the latitude and the axis orientation.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq

from amails_fem.cavities.reach import cos2_polarization
from amails_fem.errors import SpecError
from amails_fem.units import C_M_S, E_CHARGE_C, F_SIDEREAL_HZ, H_J_S, MU0_H_M
from amails_fem.validate import require_positive, require_range

HBAR_C_EV_M = H_J_S / (2 * math.pi) * C_M_S / E_CHARGE_C  # hbar c = 1.97327e-7 eV m
# B^2 / (2 mu0) [J/m^3] = B_nat^2 / 2 [eV^4]: 1 T = sqrt((hbar c)^3 / (mu0 e)) eV^2 = 195.35 eV^2
TESLA_TO_EV2 = math.sqrt(HBAR_C_EV_M**3 / (MU0_H_M * E_CHARGE_C))

AXES_LOCAL = {"vertical": (0.0, 0.0, 1.0), "north": (0.0, 1.0, 0.0), "east": (1.0, 0.0, 0.0)}


def tesla_to_ev2(b_t):
    """Magnetic field in natural Heaviside-Lorentz units (eV^2) from tesla: 1 T = 195.35 eV^2."""
    return np.asarray(b_t, dtype=float) * TESLA_TO_EV2


def axis_in_celestial_frame(t_s, latitude_deg: float, axis="vertical") -> np.ndarray:
    """Unit vectors (len(t), 3) of a lab axis in a non-rotating frame with z along the Earth's axis.

    ``axis``: "vertical", "north", "east" or a 3-vector in local (east, north, up) coordinates; the local
    sidereal angle is 2 pi t / (1 sidereal day) from 0 at t = 0 (a different start only rotates X about z).
    """
    lat = math.radians(require_range(latitude_deg, "latitude_deg", -90.0, 90.0, "deg"))
    if isinstance(axis, str):
        if axis not in AXES_LOCAL:
            raise SpecError(f"axis must be 'vertical', 'north', 'east' or a 3-vector (east, north, up); got {axis!r}")
        a = np.array(AXES_LOCAL[axis])
    else:
        a = np.asarray(axis, dtype=float).reshape(-1)
        if a.shape != (3,) or not np.all(np.isfinite(a)) or np.linalg.norm(a) == 0:
            raise SpecError(f"axis must be a non-zero finite 3-vector (east, north, up); got {axis!r}")
        a = a / np.linalg.norm(a)
    alpha = 2 * math.pi * F_SIDEREAL_HZ * np.atleast_1d(np.asarray(t_s, dtype=float))
    ca, sa = np.cos(alpha), np.sin(alpha)
    up = np.stack([math.cos(lat) * ca, math.cos(lat) * sa, np.full_like(ca, math.sin(lat))], -1)
    east = np.stack([-sa, ca, np.zeros_like(ca)], -1)
    north = np.stack([-math.sin(lat) * ca, -math.sin(lat) * sa, np.full_like(ca, math.cos(lat))], -1)
    return a[0] * east + a[1] * north + a[2] * up


def time_averaged_projector(time_s: float, latitude_deg: float, axis="vertical") -> np.ndarray:
    """M_T = (1/T) int_0^T n(t) n(t)^T dt (3x3) for the lab axis n(t); Gauss-Legendre in t (exact for trig)."""
    t = require_positive(time_s, "time_s", "s")
    n_q = int(64 + 32 * math.ceil(t * F_SIDEREAL_HZ))
    x, w = np.polynomial.legendre.leggauss(n_q)
    ts = 0.5 * t * (x + 1.0)
    n = axis_in_celestial_frame(ts, latitude_deg, axis)
    return np.einsum("q,qi,qj->ij", 0.5 * w, n, n)


def cos2_quantile(matrix: np.ndarray, probability: float) -> float:
    """x with P(X . M X <= x) = probability for X uniform on the unit sphere (M symmetric, eigenvalues in [0, 1]).

    With M = diag(l1, l2, l3) (l3 the largest), u = X_3: X.MX = l3 u^2 + (1 - u^2)(l1 + (l2 - l1) sin^2 phi),
    so for each u the fraction of phi is (2/pi) arcsin(sqrt(s)), s = (y - l1)/(l2 - l1); integrated over u.
    """

    lam = np.sort(np.linalg.eigvalsh(0.5 * (matrix + matrix.T)))
    l1, l2, l3 = (float(v) for v in lam)

    def frac(u, x):
        y = (x - l3 * u * u) / (1.0 - u * u) if u < 1.0 else (math.inf if x >= l3 else -math.inf)
        if l2 - l1 < 1e-14:
            return 1.0 if y >= l1 else 0.0
        s = min(max((y - l1) / (l2 - l1), 0.0), 1.0)
        return 2.0 / math.pi * math.asin(math.sqrt(s))

    def cdf(x):
        pts = [math.sqrt((x - li) / (l3 - li)) for li in (l1, l2) if l3 - li > 1e-14 and 0 < (x - li) / (l3 - li) < 1]
        return quad(frac, 0.0, 1.0, args=(x,), points=pts or None, limit=400, epsabs=1e-12, epsrel=1e-10)[0]

    return float(brentq(lambda x: cdf(x) - probability, l1, l3, xtol=1e-14, rtol=1e-12))


def fixed_polarization_cos2(time_s: float, latitude_deg: float, axis="vertical", confidence: float = 0.95) -> float:
    """<cos^2 theta>_T exceeded by ``confidence`` of fixed polarization directions (Caputo et al., PRD 104,
    095029 (2021), arXiv:2105.04565): the 1 - confidence quantile of X . M_T X over isotropic X.

    ``time_s``: duration of the measurement at one frequency (s); ``latitude_deg``: site latitude; ``axis``:
    the cavity's field axis ("vertical", "north", "east" or (east, north, up)). T -> 0: 0.0025 at 95 %.
    """
    c = require_range(confidence, "confidence", 0.5, 0.9999)
    return cos2_quantile(time_averaged_projector(time_s, latitude_deg, axis), 1.0 - c)


def polarization_cos2(polarization, *, time_s=None, latitude_deg=None, axis="vertical",
                      confidence: float = 0.95) -> float:
    """<cos^2 theta> for "random" (1/3), "fixed" (fixed_polarization_cos2; needs time_s, latitude_deg),
    "aligned" (1) or a number in (0, 1] (reach.cos2_polarization)."""
    if polarization == "fixed":
        if time_s is None or latitude_deg is None:
            raise SpecError("polarization 'fixed' needs time_s (s, > 0) and latitude_deg (in [-90, 90])")
        return fixed_polarization_cos2(time_s, latitude_deg, axis, confidence)
    return cos2_polarization(polarization)


def axion_to_dark_photon_chi(g_agamma_gev, mass_ev, b0_t, polarization="random", *, x: float = 1.0,
                             time_s=None, latitude_deg=None, axis="vertical", confidence: float = 0.95):
    """Kinetic mixing chi excluded by an axion-haloscope limit g_agg (GeV^-1) at mass m (eV) in field B0 (T).

    chi = g_agg B0 / (m sqrt(x <cos^2 theta>)) (eq. 60 of Dai, Li & Zhang, Chin. Phys. C 49, 053105 (2025),
    arXiv:2407.01070; polarization factor of Caputo et al., Phys. Rev. D 104, 095029 (2021), arXiv:2105.04565).
    ``polarization``: "random" (1/3), "fixed" (95 % value for time_s at latitude_deg, axis), "aligned" or a
    number. Arrays of g and m (same shape) give the converted curve.
    """
    g = np.asarray(g_agamma_gev, dtype=float)
    m = np.asarray(mass_ev, dtype=float)
    if not np.all(np.isfinite(g)) or np.any(g <= 0):
        raise SpecError(f"g_agamma_gev must be finite and > 0 (GeV^-1); got {g_agamma_gev!r}")
    if not np.all(np.isfinite(m)) or np.any(m <= 0):
        raise SpecError(f"mass_ev must be finite and > 0 (eV); got {mass_ev!r}")
    b0 = require_positive(b0_t, "b0_t", "T")
    xx = require_range(x, "x", 1e-12, 1.0)
    cos2 = polarization_cos2(polarization, time_s=time_s, latitude_deg=latitude_deg, axis=axis,
                             confidence=confidence)
    chi = (g * 1e-9) * (b0 * TESLA_TO_EV2) / (m * math.sqrt(xx * cos2))
    return float(chi) if chi.ndim == 0 else chi
