"""Exact references shared by the tests, the benchmarks and the docs: closed forms the solvers are checked against.

Rooms: the infinite square duct's wall-centre field (Fourier series), the ellipsoid's exact potential psi = kappa x y
(J along z), static and thin-shell shielding factors; shells: Jackson's thick permeable sphere, the thin eddy-current
sphere; cavities: TM010 and TE101 form factors and Q (docs/physics.md secs. 2-3), and the published half-cylinder
G_B closed form of Dai, Li & Zhang (2025) that the toolkit shows not to belong to any mode of the D shape;
layered London / metal / permeable walls with the magnetic current (planar transfer matrix, spherical i1/k1 and
cylindrical I1/K1 shells; docs/physics.md sec. 2.7).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special
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

def _layer_gamma(layer, freq_hz):
    """gamma = sqrt(-mu_r q) of a rooms.london.ShieldLayer, and its nu = 1/mu_r."""
    return complex(layer.gamma_per_m(freq_hz)), 1.0 / layer.mu_r


def layered_planar_exact(layers, *, inner_m, freq_hz, b_applied_t=0.0, b_m_t=0.0, x_m):
    """Exact planar B_z(x) for rooms.london (vacuum gap |x| < g, layers outside, B_far at the outer face).

    In each layer E'' = gamma^2 E; the state s = [E, h], h = mu_r^-1 (E' + j_m) = i w mu0 H_z, is continuous and is
    carried across a layer of thickness t by s -> T (s - [0, nu j]) + [0, nu j],
    T = [[cosh(gamma t), sinh(gamma t) / (nu gamma)], [nu gamma sinh(gamma t), cosh(gamma t)]], from E(0) = 0 to
    h = i w B_far at the outer face (linear in the unknown h(0)). Vacuum (gamma = -i k0) is treated exactly.
    """
    w = 2 * math.pi * freq_hz
    j = 1j * w * complex(b_m_t)
    k0 = w / units.C_M_S
    regions = [(float(inner_m), -1j * k0 if k0 > 0 else 0.0, 1.0)] + [
        (layer.thickness_m, *_layer_gamma(layer, freq_hz)) for layer in layers]

    def carry(s, t, gam, nu):
        if abs(gam * t) < 1e-8:
            tm = np.array([[1.0, t / nu], [0.0, 1.0]], complex)
        else:
            tm = np.array([[np.cosh(gam * t), np.sinh(gam * t) / (nu * gam)],
                           [nu * gam * np.sinh(gam * t), np.cosh(gam * t)]])
        return tm @ (s - np.array([0, nu * j])) + np.array([0, nu * j])

    def states(h0):
        out = [np.array([0.0, h0], complex)]
        for t, gam, nu in regions:
            out.append(carry(out[-1], t, gam, nu))
        return out

    s1, s0 = states(1.0), states(0.0)
    h0 = (1j * w * (complex(b_applied_t) + complex(b_m_t)) - s0[-1][1]) / (s1[-1][1] - s0[-1][1])
    st = states(h0)
    faces = np.cumsum([0.0] + [t for t, _, _ in regions])
    x = np.atleast_1d(np.asarray(x_m, float))
    b = np.empty(len(x), complex)
    for i, xi in enumerate(x):
        k = min(int(np.searchsorted(faces, xi, side="right")) - 1, len(regions) - 1)
        _, gam, nu = regions[k]
        s = carry(st[k], xi - faces[k], gam, nu)
        b[i] = s[1] / nu / (1j * w)  # B = mu_r h / (i w)
    return b


def _i1_k1_scaled(x, x_in, x_out):
    """e^{-x_out} i1(x) and e^{x_in} k1(x) (k1(x) = e^{-x}(1 + x)/x^2) with their x-derivatives, complex x,
    Re x_in <= Re x <= Re x_out: bounded for any shell thickness (no e^{+x} is formed)."""
    x = complex(x)
    if abs(x) < 0.5:
        i1 = sum(x ** (2 * n + 1) / (2**n * math.factorial(n) * math.prod(range(1, 2 * n + 4, 2))) for n in range(12))
        i0 = sum(x ** (2 * n) / math.factorial(2 * n + 1) for n in range(12))
        i1, i0 = i1 * np.exp(-x_out), i0 * np.exp(-x_out)
    else:
        ch = 0.5 * (np.exp(x - x_out) + np.exp(-x - x_out))
        sh = 0.5 * (np.exp(x - x_out) - np.exp(-x - x_out))
        i1 = (x * ch - sh) / x**2
        i0 = sh / x
    k1 = np.exp(x_in - x) * (1 + x) / x**2
    k0 = np.exp(x_in - x) / x
    return i1, i0 - 2 * i1 / x, k1, -k0 - 2 * k1 / x


def layered_sphere_exact(layers, *, inner_m, freq_hz, b_applied_t=0.0, b_m_t=0.0):
    """Exact centre field B(0) for rooms.london's sphere (concentric shells, exterior B_far z + dipole).

    E = f(r) sin(theta) phi_hat; interior f = alpha r; shell f = a i1(gamma r) + b k1(gamma r) (vacuum shells:
    a r + b / r^2, quasi-static); exterior f = (i w B_far - j_m) r / 2 + beta / r^2. f and
    h = mu_r^-1 (f/r + f' + j_m) continuous at every face: a dense (2 n + 2) system. Returns (i w)^-1 (2 alpha + j_m).
    The Bessel functions are scaled per shell (_i1_k1_scaled), so any t / lambda is safe.
    """
    w = 2 * math.pi * freq_hz
    j = 1j * w * complex(b_m_t)
    b_far = complex(b_applied_t) + complex(b_m_t)
    faces = np.cumsum([float(inner_m)] + [layer.thickness_m for layer in layers])
    n = len(layers)
    size = 2 * n + 2

    def basis(k, r):
        """[(f, f/r + f') of the two basis functions of shell k] at r."""
        gam, _ = _layer_gamma(layers[k], freq_hz)
        if layers[k].sigma_s_m == 0 and layers[k].lambda_l_m is None:
            return [(r, 2.0), (r**-2, -(r**-3))]
        i1, di1, k1, dk1 = _i1_k1_scaled(gam * r, gam * faces[k], gam * faces[k + 1])
        return [(i1, i1 / r + gam * di1), (k1, k1 / r + gam * dk1)]

    m = np.zeros((size, size), complex)
    rhs = np.zeros(size, complex)
    # unknowns: alpha, (a_k, b_k) for k < n, beta
    for i, r in enumerate(faces):
        row_f, row_h = 2 * i, 2 * i + 1
        # inner side
        if i == 0:
            m[row_f, 0] += r
            m[row_h, 0] += 2.0
            rhs[row_h] -= j
        else:
            nu = 1.0 / layers[i - 1].mu_r
            for c, (fv, hv) in enumerate(basis(i - 1, r)):
                m[row_f, 1 + 2 * (i - 1) + c] += fv
                m[row_h, 1 + 2 * (i - 1) + c] += nu * hv
            rhs[row_h] -= nu * j
        # outer side (minus)
        if i == n:
            m[row_f, size - 1] -= r**-2
            m[row_h, size - 1] -= -(r**-3)
            rhs[row_f] += (1j * w * b_far - j) * r / 2
            rhs[row_h] += (1j * w * b_far - j) + j
        else:
            nu = 1.0 / layers[i].mu_r
            for c, (fv, hv) in enumerate(basis(i, r)):
                m[row_f, 1 + 2 * i + c] -= fv
                m[row_h, 1 + 2 * i + c] -= nu * hv
            rhs[row_h] += nu * j
    x = np.linalg.solve(m, rhs)
    return (2 * x[0] + j) / (1j * w)


def layered_cylinder_exact(layers, *, inner_m, freq_hz, b_applied_t=0.0, b_m_t=0.0):
    """Exact axis field B_z(0) for rooms.london's infinitely long cylinder in an axial field.

    E = E_phi(rho): interior alpha rho; shell a I1(gamma rho) + b K1(gamma rho) (scaled by e^{-Re gamma rho_out},
    e^{gamma rho_in}; vacuum shells a rho + b / rho); E and h = mu_r^-1 (E/rho + E' + j_m) continuous, with
    (rho I1)'/rho = gamma I0 and (rho K1)'/rho = -gamma K0; h = i w B_far at the outer face. Returns
    (i w)^-1 (2 alpha + j_m).
    """
    w = 2 * math.pi * freq_hz
    j = 1j * w * complex(b_m_t)
    b_far = complex(b_applied_t) + complex(b_m_t)
    faces = np.cumsum([float(inner_m)] + [layer.thickness_m for layer in layers])
    n = len(layers)
    size = 2 * n + 1  # alpha, (a_k, b_k)

    def basis(k, r):
        gam, _ = _layer_gamma(layers[k], freq_hz)
        if layers[k].sigma_s_m == 0 and layers[k].lambda_l_m is None:
            return [(r, 2.0), (1.0 / r, 0.0)]
        z = gam * r
        si = np.exp(z.real - (gam * faces[k + 1]).real)  # I_n e^{-Re gamma rho_out}; ive = iv e^{-|Re z|}
        sk = np.exp(-z + gam * faces[k])
        i1, i0 = scipy.special.ive(1, z) * si, scipy.special.ive(0, z) * si
        k1, k0 = scipy.special.kve(1, z) * sk, scipy.special.kve(0, z) * sk
        return [(i1, gam * i0), (k1, -gam * k0)]

    m = np.zeros((size, size), complex)
    rhs = np.zeros(size, complex)
    # rows: (E, h) continuity at the n - 1 inner faces and the first face (2 n rows), h = i w B_far at the last
    row = 0
    for i, r in enumerate(faces[:-1]):
        if i == 0:
            m[row, 0] += r
            m[row + 1, 0] += 2.0
            rhs[row + 1] -= j
        else:
            nu = 1.0 / layers[i - 1].mu_r
            for c, (fv, hv) in enumerate(basis(i - 1, r)):
                m[row, 1 + 2 * (i - 1) + c] += fv
                m[row + 1, 1 + 2 * (i - 1) + c] += nu * hv
            rhs[row + 1] -= nu * j
        nu = 1.0 / layers[i].mu_r
        for c, (fv, hv) in enumerate(basis(i, r)):
            m[row, 1 + 2 * i + c] -= fv
            m[row + 1, 1 + 2 * i + c] -= nu * hv
        rhs[row + 1] += nu * j
        row += 2
    nu = 1.0 / layers[-1].mu_r
    for c, (_, hv) in enumerate(basis(n - 1, faces[-1])):
        m[row, 1 + 2 * (n - 1) + c] += nu * hv
    rhs[row] = 1j * w * b_far - nu * j
    x = np.linalg.solve(m, rhs)
    return (2 * x[0] + j) / (1j * w)
