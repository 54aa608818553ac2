"""Exact references shared by the tests, the benchmarks and the docs: closed forms the solvers are checked against.

Rooms: the infinite square duct's wall-centre field (Fourier series), the ellipsoid's exact potential psi = kappa x y
(J along z), static and thin-shell shielding factors; shells: Jackson's thick permeable sphere, the thin eddy-current
sphere; cavities: TM010 and TE101 form factors and Q (docs/physics.md secs. 2-3), and the published half-cylinder
G_B closed form of Dai, Li & Zhang (2025) that the toolkit shows not to belong to any mode of the D shape.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import quad
from scipy.special import j1, jn_zeros, jnp_zeros

from amails_fem import units
from amails_fem.cavities.formfactor import surface_resistance_ohm
from amails_fem.errors import SpecError
from amails_fem.specs.walls import check_freqs_hz
from amails_fem.units import C_M_S, MU0_H_M
from amails_fem.validate import require_positive


def ellipsoid_kappa(ax_m: float, ay_m: float) -> float:
    """kappa of the exact ellipsoid potential psi = kappa x y for J along z: -(a^2 - b^2) / (2 (a^2 + b^2))."""
    return -(ax_m**2 - ay_m**2) / (2.0 * (ax_m**2 + ay_m**2))


def duct_wall_centre_field(a):
    """|B| / (mu0 J) at the centre of a wall of the infinite square duct of side a, J along the axis.

    A = mu0 J [x (a - x) / 2 - sum_n odd 4 a^2 / (n pi)^3 cosh(n pi (y - a/2) / a) / cosh(n pi / 2) sin(n pi x / a)],
    B = curl(A z): at x = 0, y = a / 2, |B| = |dA/dx| = a/2 - sum 4 a / (n pi)^2 / cosh(n pi / 2).
    """
    n = np.arange(1, 200, 2)
    return a / 2 - np.sum(4 * a / (n * np.pi) ** 2 / np.cosh(n * np.pi / 2))


def tm010_form_factor() -> float:
    """G_E of the TM010 mode of an ideal cylinder: 4 / x01^2 = 0.6917."""
    return 4.0 / jn_zeros(0, 1)[0] ** 2


def tm010_q(radius_m: float, height_m: float, conductivity_s_m: float) -> float:
    """Q0 of TM010: eta x01 / (2 R_s (1 + R/h)) (Pozar eq. 6.69 form for TM010)."""
    x01 = jn_zeros(0, 1)[0]
    f = C_M_S * x01 / (2 * math.pi * radius_m)
    eta = MU0_H_M * C_M_S
    return eta * x01 / (2 * surface_resistance_ohm(f, conductivity_s_m) * (1 + radius_m / height_m))


def te101_form_factor_y() -> float:
    """G_E along y of TE101 of a rectangular cavity: 64 / pi^4 = 0.6570 (E_y = sin(pi x/a) sin(pi z/d))."""
    return 64.0 / math.pi**4


def qemd_half_cylinder_gb() -> float:
    """Dai, Li & Zhang's (2025) closed form (128 / (pi^4 x'11^2)) c1^2 / c2 = 0.61 for 'TE111 of a half cylinder' (see docs)."""
    x = jnp_zeros(1, 1)[0]
    c1 = quad(lambda t: t * j1(t), 0, x)[0]
    c2 = quad(lambda t: t * j1(t) ** 2, 0, x)[0]
    return 128.0 / (math.pi**4 * x**2) * c1**2 / c2


def thick_shell_static_transfer(inner_radius_m: float, outer_radius_m: float, mu_r: float) -> float:
    """Static B_in/B0 of a permeable spherical shell (radii a < b in m, relative permeability mu_r):

    9 mu_r / ((2 mu_r + 1)(mu_r + 2) - 2 (mu_r - 1)^2 (a/b)^3)   (Jackson, Classical Electrodynamics, 3rd ed., 5.12).
    """
    a = require_positive(inner_radius_m, "inner_radius_m", "m")
    b = require_positive(outer_radius_m, "outer_radius_m", "m")
    if not b > a:
        raise SpecError(f"outer_radius_m must exceed inner_radius_m = {a!r} m; got {outer_radius_m!r}")
    mu = require_positive(mu_r, "mu_r", "dimensionless")
    return 9 * mu / ((2 * mu + 1) * (mu + 2) - 2 * (mu - 1) ** 2 * (a / b) ** 3)


def thin_shell_eddy_transfer(radius_m: float, thickness_m: float, sigma_s_m: float, freqs_hz) -> np.ndarray:
    """Thin non-permeable conducting sphere (t << delta, t << R): T = 1 / (1 - i omega mu0 sigma t R / 3), complex.

    radius_m R (m), thickness_m t (m), sigma_s_m (S/m), freqs_hz (Hz); e^{-i omega t} phasors (arg T > 0: lag).
    """
    R = require_positive(radius_m, "radius_m", "m")
    t = require_positive(thickness_m, "thickness_m", "m")
    sig = require_positive(sigma_s_m, "sigma_s_m", "S/m")
    w = 2 * np.pi * check_freqs_hz(freqs_hz, "freqs_hz")
    return 1.0 / (1.0 - 1j * w * units.MU0_H_M * sig * t * R / 3.0)


def thin_shell_formula(mu_r: float, thickness_m: float, radius_m: float, dim: int = 3) -> float:
    """Static thin-shell approximations: 1 + (2/3) mu_r t / R (sphere), 1 + mu_r t / (2R) (cylinder)."""
    return 1 + (2.0 / 3.0 if dim == 3 else 0.5) * mu_r * thickness_m / radius_m


def ellipsoid_response(points_m, semi_axes_m) -> np.ndarray:
    """Exact R (N, 3, 3) [point, B component, current direction] in T per A/m^2 inside a perfectly conducting
    ellipsoid with semi-axes (a, b, c) along x, y, z: B = mu0 (J x r / 2 + grad psi) with psi = kappa x y for J along
    z (kappa = ellipsoid_kappa(a, b)) and the cyclic forms kappa(b, c) y z for J along x, kappa(c, a) z x along y."""
    p = np.atleast_2d(np.asarray(points_m, float))
    a = np.asarray(semi_axes_m, float)
    out = np.zeros((len(p), 3, 3))
    for k in range(3):
        i, j = (k + 1) % 3, (k + 2) % 3  # J along e_k: e_k x r = r_i e_j - r_j e_i
        kappa = ellipsoid_kappa(a[i], a[j])
        out[:, i, k] = -p[:, j] / 2 + kappa * p[:, j]
        out[:, j, k] = p[:, i] / 2 + kappa * p[:, i]
    return MU0_H_M * out
