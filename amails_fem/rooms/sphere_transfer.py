"""Exact magnetoquasistatic transfer T = B_inside / B_applied of concentric thick spherical shells (SI units).

A uniform field B_applied z_hat e^{-i omega t} acts on concentric spherical shells made of a wall stack's layers
(conductivity sigma, relative permeability mu_r, thickness t; air gaps are layers with sigma = 0, mu_r = 1), listed
from the inside out, the first layer's inner surface at r = a. Displacement current is neglected. The field is the
l = 1 mode: A = A(r) sin(theta) phi_hat, B = curl A, E = i omega A, so

    B_r = 2 A(r) cos(theta) / r,   B_theta = -(1/r) d(r A)/dr sin(theta),
    curl (1/mu) curl A = i omega sigma A   =>   A'' + 2 A'/r - 2 A/r^2 - k^2 A = 0,   k^2 = -i omega mu sigma,

k = (1 - i)/delta, delta = sqrt(2 / (omega mu sigma)). In a conductor A = a i_1(k r) + b k_1(k r) (modified
spherical Bessel functions, i_1(x) = (x cosh x - sinh x)/x^2, k_1(x) proportional to e^{-x}(1 + 1/x)/x); in an
insulator (gaps, sigma = 0 permeable layers) A = a r + b r^-2. Inside r < a the field is uniform, A = (B_in/2) r;
outside it is the applied field plus a dipole, A = (B0/2) r + m r^-2. B_r and H_theta are continuous at every
interface, i.e. the state s = [A, (1/mu_r) d(rA)/dr] is continuous.

Across a layer r1 -> r2 = r1 + t the state is carried by the exact propagator s(r2) = e^{Delta} M s(r1),
Delta = k t, whose entries were reduced in closed form with the Wronskian of i_1, k_1 (all e^{-(x1 + x2)} terms
cancel): with Ch = e^{-Delta} cosh Delta, Sd = e^{-Delta} sinh(Delta)/Delta, H = e^{-Delta} i_1(Delta)/Delta,
rho1 = t/r1, rho2 = t/r2, x1 = k r1,

    M11 = Ch r1/r2 + Sd rho2^2 + H rho1 rho2^2            M12 = mu_r (Sd rho2 + H rho1 rho2^2)
    M21 = [(Ch + Sd) rho2 + x1 Delta Sd + (Sd - H) rho1 rho2^2] / mu_r
    M22 = Ch + Sd rho1 rho2 - H rho1 rho2^2.

Every factor is bounded (|Ch|, |Sd Delta| <= 1, H -> 1/3 as Delta -> 0, series below |Delta| = 1), no e^{+x} is ever
formed, and sigma = 0 (Delta = 0, x1 = 0) gives the insulating propagator exactly. Starting from the uniform
interior s = [1, 2] at r = a, the state is propagated outwards, renormalised after each layer, the growth kept as a
logarithm L; outside, B0 = 2 (A + (rA)')/(3 R), so

    T = B_in / B0 = 3 R / (a (A_R + A'_R)) e^{-L},        (R: outer radius, [A_R, A'_R] the propagated state).

Range: any stack of amails_fem.walls.Layer, frequencies in [1e-3, 1e7] Hz (walls.check_freqs_hz), any thickness:
checked against an independent global Bessel solve (1e-10) and the thick-wall limit up to t/delta = 1.7e3 per
layer (1.5 mm mu-metal at 1e7 Hz, ln|T| = -1.7e3, to 1e-6 in T). T = exp(ln T) underflows gracefully to 0
when ln|T| < -745 (never NaN or inf; the five-layer AMAILS mu-metal stack at a = 1 m does so above ~7.5e4 Hz);
sphere_shield_log_transfer gives ln T beyond that. Phase convention: x(t) = Re[X e^{-i omega t}], so arg T > 0 is
a lag of arg(T)/omega seconds (a thick layer adds t/delta to the phase).

Limits (validation helpers below): static permeable shell, Jackson, Classical Electrodynamics, 3rd ed. (Wiley,
1999), sec. 5.12; thin conducting shell (t << delta, t << R) T = 1/(1 - i omega mu0 sigma t R / 3) with
e^{-i omega t}; thick wall (e^{-2kt} -> 0, |kR| >> 1) T -> 3 r2 e^{-kt} / (r1 [k r1/(2 mu_r) + 1 + r1/(2 r2) +
mu_r/(k r2)]), the spherical form of the classic thick-shield result (H. Kaden, Wirbelstroeme und Schirmung in der
Nachrichtentechnik, Springer 1959). The thin-layer 2-port model (rooms.shielding.concentric_shells_shielding) is
its t << R, t << gap limit.
"""

from __future__ import annotations

import numpy as np
import scipy.special

from amails_fem import units
from amails_fem.errors import SpecError
from amails_fem.specs.walls import Layer, WallStack, check_freqs_hz
from amails_fem.validate import require_positive

_SERIES_ABS = 1.0  # below this |Delta| the scaled functions use their power series (14 terms: < 1e-17 error)
_N_SERIES = 14


def _as_stack(stack) -> WallStack:
    if isinstance(stack, Layer):
        return WallStack((stack,))
    if isinstance(stack, WallStack):
        return stack
    raise SpecError(f"stack must be an amails_fem.walls.WallStack or Layer; got {type(stack).__name__}")


def _checked(inner_radius_m, stack, freqs_hz):
    a = require_positive(inner_radius_m, "inner_radius_m", "m")
    return a, _as_stack(stack), check_freqs_hz(freqs_hz, "freqs_hz")


def scaled_bessel_functions(z):
    """(Ch, Sd, H) = e^{-z} (cosh z, sinh(z)/z, i_1(z)/z) for complex z with Re z >= 0 (bounded, no e^{+z}).

    i_1(z)/z = (z cosh z - sinh z)/z^3 = sum_n (z^2/2)^n / (n! (2n + 3)!!); sinh(z)/z = sum_n z^{2n} / (2n + 1)!.
    """
    z = np.asarray(z, complex)
    small = np.abs(z) < _SERIES_ABS
    ch = np.empty_like(z)
    sd = np.empty_like(z)
    h = np.empty_like(z)
    zs = z[small]
    if zs.size:
        z2 = zs * zs
        s_sinh = np.zeros_like(zs)
        s_i1 = np.zeros_like(zs)
        term_sinh = np.ones_like(zs)  # z^{2n}/(2n+1)!
        term_i1 = np.full_like(zs, 1.0 / 3.0)  # (z^2/2)^n / (n! (2n+3)!!)
        for n in range(_N_SERIES):
            s_sinh += term_sinh
            s_i1 += term_i1
            term_sinh = term_sinh * z2 / ((2 * n + 2) * (2 * n + 3))
            term_i1 = term_i1 * (z2 / 2) / ((n + 1) * (2 * n + 5))
        e = np.exp(-zs)
        ch[small] = 0.5 * (1.0 + np.exp(-2 * zs))
        sd[small] = e * s_sinh
        h[small] = e * s_i1
    zl = z[~small]
    if zl.size:
        e2 = np.exp(-2 * zl)  # |e2| <= e^{-2}: no overflow, underflows to 0 for thick layers
        ch[~small] = 0.5 * (1.0 + e2)
        sd[~small] = 0.5 * (1.0 - e2) / zl
        h[~small] = (zl * (1.0 + e2) - (1.0 - e2)) / (2 * zl**3)
    return ch, sd, h


def _layer_propagator(layer: Layer, r1: float, w: np.ndarray):
    """(M (n_f, 2, 2), Delta (n_f,)): s(r2) = e^{Delta} M s(r1) for s = [A, (1/mu_r) d(rA)/dr] (module docstring)."""
    t = layer.thickness_m
    r2 = r1 + t
    if layer.sigma_s_m > 0.0:
        k = np.sqrt(-1j * w * units.MU0_H_M * layer.mu_r * layer.sigma_s_m)  # (1 - i)/delta, Re k > 0
    else:
        k = np.zeros_like(w, dtype=complex)
    delta = k * t
    x1 = k * r1
    ch, sd, h = scaled_bessel_functions(delta)
    rho1, rho2 = t / r1, t / r2
    mu = layer.mu_r
    M = np.empty((w.size, 2, 2), complex)
    M[:, 0, 0] = ch * (r1 / r2) + sd * rho2**2 + h * rho1 * rho2**2
    M[:, 0, 1] = mu * (sd * rho2 + h * rho1 * rho2**2)
    M[:, 1, 0] = ((ch + sd) * rho2 + x1 * delta * sd + (sd - h) * rho1 * rho2**2) / mu
    M[:, 1, 1] = ch + sd * rho1 * rho2 - h * rho1 * rho2**2
    return M, delta


def sphere_shield_log_transfer(inner_radius_m, stack, freqs_hz) -> np.ndarray:
    """ln T (complex, (n_f,)) of T = B_inside / B_applied for concentric thick spherical shells (exact MQS, l = 1).

    inner_radius_m (m): inner surface of the stack's first layer; stack: WallStack (layers and air gaps from the
    inside out) or one Layer; freqs_hz (Hz) in [1e-3, 1e7]. Re ln T = -ln S (never overflows); Im ln T is the phase
    lag (e^{-i omega t}), summed layer by layer (t/delta per thick layer). Method: module docstring.
    """
    a, st, f = _checked(inner_radius_m, stack, freqs_hz)
    w = 2 * np.pi * f
    s = np.empty((f.size, 2), complex)
    s[:, 0], s[:, 1] = 1.0, 2.0  # uniform interior A = c r with A(a) = 1: d(rA)/dr = 2 c a = 2
    log_growth = np.zeros(f.size, complex)
    r = a
    for layer in st.layers:
        M, delta = _layer_propagator(layer, r, w)
        s = np.einsum("fij,fj->fi", M, s)
        nrm = np.max(np.abs(s), axis=1)
        s /= nrm[:, None]
        log_growth += delta + np.log(nrm)
        r += layer.thickness_m
    # s started as A(a) = 1, i.e. B_in = 2/a; outside (air), A = (B0/2) r + m r^-2 and d(rA)/dr = B0 r - m r^-2
    # give B0 = 2 (A_R + (rA)'_R) / (3 R), the propagated state being e^{log_growth} s
    return np.log(3.0 * r / a) - np.log(s[:, 0] + s[:, 1]) - log_growth


def sphere_shield_transfer(inner_radius_m, stack, freqs_hz) -> np.ndarray:
    """T = B_inside / B_applied (complex, (n_f,)) of concentric thick spherical shells, exact magnetoquasistatics.

    inner_radius_m (m), stack (WallStack from the inside out, or a Layer), freqs_hz (Hz, [1e-3, 1e7]).
    l = 1 spherical-Bessel solution with continuity of B_r and H_theta (module docstring); the field inside is
    uniform. Underflows to 0 (no NaN/inf) when |T| < 1e-323; sphere_shield_log_transfer gives ln T beyond.
    """
    with np.errstate(under="ignore"):
        return np.exp(sphere_shield_log_transfer(inner_radius_m, stack, freqs_hz))


def sphere_shielding_factor(inner_radius_m, stack, freqs_hz) -> np.ndarray:
    """Shielding factor S = 1/|T| = |B_applied| / |B_inside| (real, (n_f,)) of concentric thick spherical shells.

    Same arguments as sphere_shield_transfer. S = exp(-Re ln T); it is inf only where S > 1.8e308 (use
    sphere_shield_log_transfer for ln S = -Re ln T there).
    """
    with np.errstate(over="ignore"):
        return np.exp(-sphere_shield_log_transfer(inner_radius_m, stack, freqs_hz).real)


# -- validation helpers ---------------------------------------------------------------------------------------------




def sphere_shield_transfer_direct(inner_radius_m, stack, freqs_hz) -> np.ndarray:
    """Reference T (complex, (n_f,)): the same boundary-value problem solved as one global continuity system
    (2N + 2 unknowns per frequency) in the basis {i_1(kr), k_1(kr)} / {r, r^-2}, the Bessel functions from
    scipy.special (ive, kve: I_{3/2}, K_{3/2}, i_n(x) = sqrt(pi/(2x)) I_{n+1/2}(x)) with d(x i_1)/dx = x i_0 - i_1
    and d(x k_1)/dx = -x k_0 - k_1. Each layer's i_1 column is scaled by e^{-Re k r_out}, its k_1 column by e^{k r_in}
    so that no entry overflows. Independent of the propagator algebra of sphere_shield_log_transfer; slower.
    """
    a, st, f = _checked(inner_radius_m, stack, freqs_hz)
    w = 2 * np.pi * f
    radii = a + np.concatenate([[0.0], np.cumsum([ly.thickness_m for ly in st.layers])])
    n = len(st.layers)
    out = np.empty(f.size, complex)
    half_pi = 0.5 * np.pi

    def basis(j, r, wi):
        """[[A_1, A_2], [(1/mu_r) d(rA_1)/dr, (1/mu_r) d(rA_2)/dr]] of layer j's two (scaled) solutions at r."""
        layer = st.layers[j]
        if layer.sigma_s_m == 0.0:
            return np.array([[r, r**-2], [2 * r / layer.mu_r, -(r**-2) / layer.mu_r]], complex)
        k = np.sqrt(-1j * wi * units.MU0_H_M * layer.mu_r * layer.sigma_s_m)
        x, x_in, x_out = k * r, k * radii[j], k * radii[j + 1]
        c = np.sqrt(half_pi / x)
        si = np.exp(x.real - x_out.real)  # ive carries e^{-Re x}
        sk = np.exp(-(x - x_in))  # kve carries e^{+x}
        i0, i1 = c * scipy.special.ive(0.5, x) * si, c * scipy.special.ive(1.5, x) * si
        k0, k1 = c * scipy.special.kve(0.5, x) * sk, c * scipy.special.kve(1.5, x) * sk
        return np.array([[i1, k1], [(x * i0 - i1) / layer.mu_r, -(x * k0 + k1) / layer.mu_r]], complex)

    for i, wi in enumerate(w):
        # unknowns: c (A = c r inside), (a_j, b_j) per layer, m (A = r/2 + m r^-2 outside, B0 = 1)
        nu = 2 * n + 2
        K = np.zeros((nu, nu), complex)
        rhs = np.zeros(nu, complex)
        for j in range(n + 1):
            r = radii[j]
            rows = slice(2 * j, 2 * j + 2)
            if j == 0:
                K[rows, 0] = [r, 2 * r]
            else:
                K[rows, 2 * j - 1:2 * j + 1] = basis(j - 1, r, wi)
            if j == n:
                K[rows, nu - 1] -= [r**-2, -(r**-2)]
                rhs[rows] += [r / 2, r]
            else:
                K[rows, 2 * j + 1:2 * j + 3] -= basis(j, r, wi)
        x = np.linalg.solve(K, rhs)
        out[i] = 2 * x[0]  # B_in = 2 c, B0 = 1
    return out
