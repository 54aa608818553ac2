"""Exact thick-shell transfer T = B_in/B0 of concentric spheres: static, eddy-current, thick-wall limits, the global
Bessel system, the thin-layer 2-port model, stability over 1e-3 - 1e7 Hz, bad input."""

import numpy as np
import pytest
import scipy.special

from amails_fem.errors import SpecError
from amails_fem.rooms.shielding import concentric_shells_shielding
from amails_fem.rooms.sphere_transfer import (
    scaled_bessel_functions,
    sphere_shield_log_transfer,
    sphere_shield_transfer,
    sphere_shield_transfer_direct,
    sphere_shielding_factor,
)
from amails_fem.specs.walls import Layer, WallStack, air_gap, copper, mu_metal
from amails_fem.testing.analytic import thick_shell_static_transfer, thin_shell_eddy_transfer
from amails_fem.units import MU0_H_M

MU_METAL = mu_metal(1.5e-3)  # sigma 1.6e6 S/m, mu_r 2e4


def five_layer_stack():
    layers = []
    for i in range(5):
        layers.append(MU_METAL)
        if i < 4:
            layers.append(air_gap(0.1))
    return WallStack(tuple(layers))


def wavenumber(layer, f):
    return np.sqrt(-1j * 2 * np.pi * np.asarray(f) * MU0_H_M * layer.mu_r * layer.sigma_s_m)


# -- the scaled functions --------------------------------------------------------------------------------------------
def testscaled_bessel_functions_match_scipy_bessel_across_the_series_switch():
    """e^{-z}(cosh z, sinh z / z, i_1(z)/z) on the (1 - i) ray against scipy's ive (I_{1/2}, I_{3/2}); the series
    below |z| = 1 and the closed forms above must both be at rounding level (1e-13: a few ulps of the closed form's
    3x cancellation at |z| = 1)."""
    z = (1 - 1j) / np.sqrt(2) * np.concatenate([np.logspace(-6, 1.7, 80), [1 - 1e-12, 1 + 1e-12]])
    ch, sd, h = scaled_bessel_functions(z)
    c = np.sqrt(np.pi / (2 * z))
    ive_phase = np.exp(np.abs(z.real) - z)  # ive carries e^{-|Re z|}; ours carry e^{-z}
    i0 = c * scipy.special.ive(0.5, z) * ive_phase  # e^{-z} sinh(z)/z
    i1 = c * scipy.special.ive(1.5, z) * ive_phase  # e^{-z} i_1(z)
    assert np.allclose(sd, i0, rtol=1e-13, atol=0)
    assert np.allclose(h, i1 / z, rtol=1e-13, atol=0)
    assert np.allclose(ch, 0.5 * (1 + np.exp(-2 * z)), rtol=1e-15, atol=0)


# -- static limit ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mu_r, a, b", [(2e4, 1.0, 1.0015), (1e3, 1.0, 1.05), (3.0, 0.2, 1.0), (1.0, 1.0, 2.0),
                                         (1e7, 1.0, 1.0001)])
def test_static_permeable_shell_is_jacksons_formula(mu_r, a, b):
    """sigma = 0: B_in/B0 = 9 mu_r / ((2 mu_r + 1)(mu_r + 2) - 2 (mu_r - 1)^2 (a/b)^3) (Jackson 3rd ed. 5.12) at any
    frequency, to 1e-10 (measured <= 5e-13; the propagator has no cancellation for thin shells)."""
    T = sphere_shield_transfer(a, Layer(0.0, mu_r, b - a), [1e-3, 1.0, 1e7])
    exact = thick_shell_static_transfer(a, b, mu_r)
    assert np.all(np.abs(T / exact - 1) < 1e-10)


def test_weak_conductor_tends_to_the_static_shell_linearly_in_sigma():
    """A conducting layer with |k b|^2 << 1 differs from Jackson's static shell by O(k^2) ~ sigma: below |k b|^2
    (measured 4e-4 |k b|^2), and (T/J - 1)/sigma is the same for sigma over 4 decades (1e-3 relative: the series
    branch carries the tiny eddy correction without cancellation)."""
    a, b, mu_r, f = 1.0, 1.05, 1e3, 1.0
    J = thick_shell_static_transfer(a, b, mu_r)
    slopes = []
    for sigma in (1e-3, 1e-1, 10.0):
        layer = Layer(sigma, mu_r, b - a)
        dev = sphere_shield_transfer(a, layer, [f])[0] / J - 1
        assert abs(dev) < abs(wavenumber(layer, f) * b) ** 2
        slopes.append(dev / sigma)
    assert np.allclose(slopes, slopes[0], rtol=1e-3)


# -- eddy currents: thin and thick non-permeable shells ----------------------------------------------------------------
def test_thin_copper_shell_is_the_eddy_current_formula():
    """t = 0.1 mm copper at R = 1 m, 1-100 Hz (omega mu0 sigma t R / 3 = 0.015-1.5, t/delta <= 0.015):
    T -> 1 / (1 - i omega mu0 sigma t R / 3) to 1e-3 (measured 7.6e-5 with R the inner radius: O(t/R) and
    O((t/delta)^2) corrections). e^{-i omega t}: the inside field lags, arg T > 0."""
    t, f = 1e-4, np.array([1.0, 10.0, 30.0, 100.0])
    T = sphere_shield_transfer(1.0, copper(t), f)
    thin = thin_shell_eddy_transfer(1.0, t, copper(t).sigma_s_m, f)
    assert np.all(np.abs(T / thin - 1) < 1e-3)
    assert np.all(np.angle(T) > 0) and abs(T[-1]) < 0.6  # a real effect, not the trivial T = 1


def test_thick_copper_shell_decays_one_neper_per_skin_depth():
    """Fixed f = 10 kHz (delta = 0.66 mm), t/delta = 5 ... 160: d ln|T| / d(t/delta) = -1 + delta/r_outer (the
    thick-wall limit below gives |T| ~ r_outer e^{-t/delta}); bounds 1e-4 around that and 2e-3 around -1
    (measured -0.99934 .. -0.99939)."""
    f = 1e4
    delta = np.sqrt(2 / (2 * np.pi * f * MU0_H_M * copper().sigma_s_m))
    n = np.array([5.0, 10.0, 20.0, 40.0, 80.0, 160.0])
    ln_t = np.array([sphere_shield_log_transfer(1.0, copper(x * delta), [f])[0].real for x in n])
    slope = np.diff(ln_t) / np.diff(n)
    r_mid = 1.0 + 0.5 * (n[1:] + n[:-1]) * delta
    assert np.all(np.abs(slope + 1 - delta / r_mid) < 1e-4)
    assert np.all(np.abs(slope + 1) < 2e-3)


@pytest.mark.parametrize("layer", [MU_METAL, copper(5e-3), Layer(1e7, 1e3, 2e-3)])
def test_thick_wall_limit_for_hundreds_of_skin_depths(layer):
    """e^{-2kt} -> 0, |k R| >> 1: the exact solution reduces to T = 3 r2 e^{-kt} / (r1 [k r1/(2 mu_r) + 1 +
    r1/(2 r2) + mu_r/(k r2)]) (r1, r2 inner/outer radius); the neglected terms are O(t/(|k| R^2)) <= 7e-7 here.
    Checked from t/delta = 17 up to 1.7e3 (mu-metal at 1e7 Hz) to 2e-6 in T (measured <= 7.5e-7, copper at 1e5 Hz;
    <= 1.3e-7 for the permeable layers), with ln T finite where T itself underflows."""
    r1 = 1.0
    r2 = r1 + layer.thickness_m
    f = np.logspace(2, 7, 11)
    k = wavenumber(layer, f)
    keep = (k * layer.thickness_m).real > 15
    f, k = f[keep], k[keep]
    ln_asym = np.log(3 * r2 / r1) - k * layer.thickness_m - np.log(
        k * r1 / (2 * layer.mu_r) + 1 + r1 / (2 * r2) + layer.mu_r / (k * r2))
    ln_t = sphere_shield_log_transfer(r1, layer, f)
    assert np.all(np.isfinite(ln_t))
    assert np.all(np.abs(np.exp(ln_t - ln_asym) - 1) < 2e-6)


# -- the global Bessel system (independent algebra) --------------------------------------------------------------------
@pytest.mark.parametrize("stack", [
    WallStack((MU_METAL,)),
    WallStack((copper(1e-3), air_gap(0.1), MU_METAL, Layer(0.0, 50.0, 0.02))),
    WallStack((Layer(1e6, 500.0, 0.01), air_gap(0.05), Layer(3.5e7, 1.0, 8e-3))),
    five_layer_stack(),
])
def test_propagator_equals_the_global_continuity_system(stack):
    """Same boundary-value problem, two solvers: the scaled-propagator recursion vs one dense (2N + 2) continuity
    system in scipy's Bessel functions (ive, kve). Agreement to 1e-9 wherever T > 1e-250 (measured <= 8e-11; the
    difference grows with ln|T| as ~ 1e-16 |ln T| rounding)."""
    f = np.logspace(-3, 5, 17)
    T = sphere_shield_transfer(0.5, stack, f)
    Td = sphere_shield_transfer_direct(0.5, stack, f)
    keep = np.abs(T) > 1e-250
    assert keep.sum() >= 8
    assert np.all(np.abs(T[keep] / Td[keep] - 1) < 1e-9)


# -- against the thin-layer 2-port model ------------------------------------------------------------------------------
def _thin_model_transfer(inner_radius_m, stack, f):
    """1/S of concentric_shells_shielding with each metal layer on its mid-surface (the walls CLI's placement)."""
    depths = np.cumsum([0.0] + [ly.thickness_m for ly in stack.layers])[:-1]
    radii = [inner_radius_m + d + 0.5 * ly.thickness_m for d, ly in zip(depths, stack.layers) if not ly.is_gap]
    metal = [WallStack((ly,)) for ly in stack.layers if not ly.is_gap]
    return 1.0 / concentric_shells_shielding(radii, metal, f)


F_COMPARE = np.array([1.0, 10.0, 100.0, 500.0])


def test_one_shell_thin_two_port_agrees_to_order_t_over_r():
    """One 1.5 mm mu-metal shell at R = 1 m (t/R = 1.5e-3): thin 2-port vs exact |T_thin/T - 1| = 2.1-2.2e-3 at
    1-500 Hz (static: exact S - 1 = (2/3) mu_r t/(a + 2t) vs thin (2/3) mu_r t/(a + t/2), i.e. 1.5 t/R).
    Bound 2 t/R = 3e-3; the thin model gives the larger S."""
    st = WallStack((MU_METAL,))
    T = sphere_shield_transfer(1.0, st, F_COMPARE)
    Tt = _thin_model_transfer(1.0, st, F_COMPARE)
    assert np.all(np.abs(Tt / T - 1) < 2 * MU_METAL.thickness_m / 1.0)
    assert np.all(np.abs(Tt) < np.abs(T))


def test_five_shells_thin_two_port_difference_is_set_by_the_gaps():
    """Five 1.5 mm mu-metal shells, 0.1 m gaps, first radius 1 m: |T_thin/T - 1| = 4.3 %, 3.3 %, 1.6 %, 0.9 % at
    1, 10, 100, 500 Hz. The mutual screening of two thick shells goes with the clear gap g (outer surface of one to
    inner surface of the next), the mid-surface model spaces them by g + t: ~0.5-0.8 t/g per gap plus 1.5 t/R per
    shell, 4 x 1.1 % + 5 x 0.22 % = 5.5 % static -> bound 6 %; the difference shrinks as the layers become thick."""
    st = five_layer_stack()
    T = sphere_shield_transfer(1.0, st, F_COMPARE)
    Tt = _thin_model_transfer(1.0, st, F_COMPARE)
    diff = np.abs(Tt / T - 1)
    assert np.all(diff < 0.06)
    assert np.all(np.diff(diff) < 0)
    assert np.all(np.abs(Tt) < np.abs(T))


def test_two_thick_shells_couple_through_the_clear_gap():
    """Static nesting formula S = 1 + N1 + N2 + N1 N2 (1 - (r1/r2)^3) (Sumner, Pendlebury & Smith 1987, J. Phys. D
    20, 1095), N_i + 1 = 1/T of each thick shell alone (Jackson), is reproduced to 1e-3 with r1/r2 = b1/a2 (the facing
    surfaces; measured 4.7e-4 at g = 0.1 m, 1.1e-4 at 0.4 m) and missed with the mid-surfaces (0.95 %, 0.2 %)."""
    t, mu_r = 1.5e-3, 2e4
    shell = Layer(0.0, mu_r, t)
    for gap in (0.1, 0.4):
        a1, b1 = 1.0, 1.0 + t
        a2, b2 = b1 + gap, b1 + gap + t
        s_exact = 1 / abs(sphere_shield_transfer(a1, WallStack((shell, air_gap(gap), shell)), [1.0])[0])
        n1 = 1 / thick_shell_static_transfer(a1, b1, mu_r) - 1
        n2 = 1 / thick_shell_static_transfer(a2, b2, mu_r) - 1
        clear = 1 + n1 + n2 + n1 * n2 * (1 - (b1 / a2) ** 3)
        mid = 1 + n1 + n2 + n1 * n2 * (1 - ((a1 + t / 2) / (a2 + t / 2)) ** 3)
        assert abs(clear / s_exact - 1) < 1e-3
        assert abs(mid / s_exact - 1) > 1.5e-3


# -- stability -------------------------------------------------------------------------------------------------------
def test_five_layer_stack_is_finite_and_monotone_from_1e_3_to_1e7_hz():
    """201 frequencies, 1e-3 - 1e7 Hz (t/delta up to 1.7e3 per layer, ln|T| down to -8.4e3): ln T and T finite
    (T underflows to 0 above ~7.5e4 Hz, never NaN/inf); |T| strictly decreasing (ln|T| drops even in the static
    regime, by ~1e-8 per step at 1e-3 Hz) and |T| at 1e-3 Hz equal to the static sigma = 0 stack to 1e-4."""
    st = five_layer_stack()
    f = np.logspace(-3, 7, 201)
    ln_t = sphere_shield_log_transfer(1.0, st, f)
    T = sphere_shield_transfer(1.0, st, f)
    assert np.all(np.isfinite(ln_t)) and np.all(np.isfinite(T))
    assert np.all(np.diff(ln_t.real) < 0)
    assert ln_t.real[-1] < -8000 and T[-1] == 0
    static = WallStack(tuple(Layer(0.0, ly.mu_r, ly.thickness_m) for ly in st.layers))
    assert abs(abs(T[0]) / abs(sphere_shield_transfer(1.0, static, [1.0])[0]) - 1) < 1e-4
    S = sphere_shielding_factor(1.0, st, f[:100])
    assert np.allclose(S, 1 / np.abs(T[:100]), rtol=1e-14)


def test_layer_is_accepted_and_air_gaps_at_either_end_are_plain_air():
    """A Layer is a one-layer stack; a leading air gap just moves the shell outwards; a trailing one is part of the
    exterior (uniform + dipole field is an exact air solution): both to 1e-12."""
    f = [1.0, 100.0, 1e4]
    one = sphere_shield_transfer(1.0, WallStack((MU_METAL,)), f)
    assert np.array_equal(sphere_shield_transfer(1.0, MU_METAL, f), one)
    assert np.allclose(sphere_shield_transfer(1.0, WallStack((MU_METAL, air_gap(0.3))), f), one, rtol=1e-12, atol=0)
    moved = sphere_shield_transfer(1.25, MU_METAL, f)
    assert np.allclose(sphere_shield_transfer(1.0, WallStack((air_gap(0.25), MU_METAL)), f), moved, rtol=1e-12, atol=0)


# -- bad input -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("radius, stack, freqs, field", [
    (0.0, MU_METAL, [1.0], "inner_radius_m"),
    (-1.0, MU_METAL, [1.0], "inner_radius_m"),
    (float("nan"), MU_METAL, [1.0], "inner_radius_m"),
    (float("inf"), MU_METAL, [1.0], "inner_radius_m"),
    ("one", MU_METAL, [1.0], "inner_radius_m"),
    (1.0, MU_METAL, [0.0], "freqs_hz"),
    (1.0, MU_METAL, [1e8], "freqs_hz"),
    (1.0, MU_METAL, [], "freqs_hz"),
    (1.0, "mu_metal", [1.0], "stack"),
    (1.0, [MU_METAL], [1.0], "stack"),
])
def test_bad_input_names_the_argument(radius, stack, freqs, field):
    for fn in (sphere_shield_transfer, sphere_shield_log_transfer, sphere_shielding_factor,
               sphere_shield_transfer_direct):
        with pytest.raises(SpecError, match=field) as err:
            fn(radius, stack, freqs)
        assert "\n" not in str(err.value)
