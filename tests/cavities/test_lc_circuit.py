"""LC-circuit scheme: the infinite-cylinder field, pickup flux from the room solver, inductances, reach, figures.

Tolerances: the room solver's field for a current along the axis of a closed cylinder is exactly (mu0/2) J x r
(psi = 0), so its flux through loops matches the small-argument form to the solver/curved-wall error (measured
1e-7 at mesh 0.25 m; asserted 1e-4). The exact J1/J0 form differs from it by k^2 (R^2/4 - (a^2+b^2)/16) + O(k^4):
asserted to 1 % of that term at k R = 0.05. Inductance closed forms against independent integrals to 1e-6
(quadrature) or to the O((a/R)^2 log) size of the thin-wire expansion (2e-5 at a/R = 1e-3).
"""

import math
import warnings

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import ellipe, ellipk

from amails_fem import units
from amails_fem.cavities import lc_circuit as lc
from amails_fem.errors import SpecError
from amails_fem.geometry import cylinder_room
from amails_fem.plotting.reach import plot_lc_reach, plot_tuning_reach
from amails_fem.rooms.solve import solve_room

R_ROOM, H_ROOM = 0.5, 2.0
EPS = 1e-10
F_LOW = 1e3  # k R = 1e-5: quasi-static


@pytest.fixture(scope="module")
def room():
    return solve_room(cylinder_room(R_ROOM, H_ROOM), order=2, mesh_size_m=0.25)


def k_of(f):
    return 2 * math.pi * f / units.C_M_S


def test_bessel_field_solves_maxwell_and_small_argument_limit():
    R, f = 0.5, 2.0e8  # k R = 2.1: far from small argument
    k = k_of(f)
    rho = np.linspace(0.05, 0.45, 9)
    h = 1e-6
    kw = {"radius_m": R, "freq_hz": f, "eps": EPS}
    b = lc.infinite_cylinder_b_phi_t(rho, **kw)
    ez = lc.infinite_cylinder_e_z_v_m(rho, **kw)
    j = units.j_eff_a_m2(EPS, f)
    # Ampere: (1/rho) d(rho B_phi)/d rho = mu0 J - i omega E_z / c^2
    lhs = ((rho + h) * lc.infinite_cylinder_b_phi_t(rho + h, **kw)
           - (rho - h) * lc.infinite_cylinder_b_phi_t(rho - h, **kw)) / (2 * h) / rho
    rhs = units.MU0_H_M * j - 1j * 2 * math.pi * f * ez / units.C_M_S**2
    np.testing.assert_allclose(lhs, rhs.real, rtol=1e-7)
    assert np.max(np.abs(rhs.imag)) == 0.0
    # Faraday: i omega B_phi = -d E_z / d rho
    dez = (lc.infinite_cylinder_e_z_v_m(rho + h, **kw) - lc.infinite_cylinder_e_z_v_m(rho - h, **kw)) / (2 * h)
    np.testing.assert_allclose(1j * 2 * math.pi * f * b, -dez, rtol=1e-7)
    assert abs(lc.infinite_cylinder_e_z_v_m(R, **kw)) < 1e-12 * abs(ez[0])  # conducting wall: E_z(R) = 0
    # SI form of eq. 66: B = eps sqrt(2 mu0 rho) J1/J0
    from scipy.special import j0, j1
    np.testing.assert_allclose(b, EPS * math.sqrt(2 * units.MU0_H_M * units.rho_j_m3()) * j1(k * rho) / j0(k * R),
                               rtol=1e-12)
    # small argument: exact -> mu0 J rho / 2, i.e. HALF the printed eps sqrt(2 rho) m rho
    kw_low = {"radius_m": R, "freq_hz": F_LOW, "eps": EPS}
    ratio = lc.infinite_cylinder_b_phi_t(rho, **kw_low) / lc.infinite_cylinder_b_phi_t(rho, exact=False, **kw_low)
    np.testing.assert_allclose(ratio, 1.0, atol=1e-9)
    printed = EPS * math.sqrt(2 * units.MU0_H_M * units.rho_j_m3()) * k_of(F_LOW) * rho
    np.testing.assert_allclose(lc.infinite_cylinder_b_phi_t(rho, **kw_low) / printed, 0.5, rtol=1e-9)


def test_room_flux_matches_infinite_cylinder(room):
    j = units.j_eff_a_m2(EPS, F_LOW)
    rect = lc.RectangleLoop(0.1, 0.4, -0.5, 0.5, phi_rad=0.7)
    small = lc.infinite_cylinder_rectangle_flux_wb(0.1, 0.4, 1.0, radius_m=R_ROOM, freq_hz=F_LOW, eps=EPS, exact=False)
    assert small == pytest.approx(units.MU0_H_M * j * 1.0 * (0.4**2 - 0.1**2) / 4, rel=1e-14)
    fem = lc.pickup_flux_wb(room, rect, "z", F_LOW, EPS)
    assert fem == pytest.approx(small, rel=1e-4)
    exact = lc.infinite_cylinder_rectangle_flux_wb(0.1, 0.4, 1.0, radius_m=R_ROOM, freq_hz=F_LOW, eps=EPS)
    assert fem == pytest.approx(exact, rel=1e-4)
    # a loop reaching close to the wall and the caps
    near = lc.RectangleLoop(0.02, 0.49, -0.95, 0.95, phi_rad=2.0)
    ref = lc.infinite_cylinder_rectangle_flux_wb(0.02, 0.49, 1.9, radius_m=R_ROOM, freq_hz=F_LOW, eps=EPS, exact=False)
    assert lc.pickup_flux_wb(room, near, "z", F_LOW, EPS) == pytest.approx(ref, rel=1e-4)
    # a circular loop with normal e_phi: B_y = mu0 J x / 2 is linear, flux = mu0 J x0 / 2 * pi a^2
    circ = lc.CircularLoop((0.25, 0.0, 0.3), (0.0, 1.0, 0.0), 0.1)
    assert lc.pickup_flux_wb(room, circ, "z", F_LOW, EPS) == pytest.approx(
        units.MU0_H_M * j * 0.25 / 2 * math.pi * 0.1**2, rel=1e-4)
    # a toroid: N times the cross-section flux
    tor = lc.ToroidCoil(0.1, 0.45, -0.8, 0.8, turns=3)
    ref = 3 * lc.infinite_cylinder_rectangle_flux_wb(0.1, 0.45, 1.6, radius_m=R_ROOM, freq_hz=F_LOW, eps=EPS,
                                                     exact=False)
    assert lc.pickup_flux_wb(room, tor, "z", F_LOW, EPS) == pytest.approx(ref, rel=1e-4)
    # the analytic field through the same quadrature agrees with the closed form
    assert lc.analytic_flux_wb(rect, radius_m=R_ROOM, freq_hz=F_LOW, eps=EPS) == pytest.approx(exact, rel=1e-12)


def test_exact_form_differs_at_order_kr_squared():
    a, b, R = 0.1, 0.4, 0.5
    for f in (4.77e6, 9.54e6):  # k R = 0.05, 0.1
        k = k_of(f)
        kw = {"radius_m": R, "freq_hz": f, "eps": EPS}
        d = (lc.infinite_cylinder_rectangle_flux_wb(a, b, 1.0, **kw)
             / lc.infinite_cylinder_rectangle_flux_wb(a, b, 1.0, exact=False, **kw) - 1.0)
        series = k**2 * (R**2 / 4 - (a**2 + b**2) / 16)  # 1/J0(kR) ~ 1 + (kR)^2/4, J1(x) ~ x/2 - x^3/16
        assert d == pytest.approx(series, rel=0.01 if k * R < 0.06 else 0.03)


def test_inductance_formulas_against_integrals():
    # circle, surface current (Y = 0) = mutual inductance (Maxwell's elliptic-integral form) of two coplanar
    # filaments a apart about the mean radius R (symmetric placement: the error is O((a/R)^2 log))
    R, a = 0.2, 2e-4
    r1, r2 = R + a / 2, R - a / 2
    m2 = 4 * r1 * r2 / (r1 + r2) ** 2
    mutual = units.MU0_H_M * math.sqrt(r1 * r2) * ((2 / math.sqrt(m2) - math.sqrt(m2)) * ellipk(m2)
                                                    - 2 / math.sqrt(m2) * ellipe(m2))
    assert lc.circular_loop_inductance_h(R, a) == pytest.approx(mutual, rel=2e-5)
    # rectangle = 4 sides' self terms (filaments at distance r) - opposite antiparallel pairs (Neumann integrals)
    A, B, rw = 0.3, 0.5, 1e-3

    def neumann_parallel(length, d):
        inner = lambda x: math.asinh((length - x) / d) + math.asinh(x / d)  # int dx' / sqrt((x-x')^2 + d^2)
        return units.MU0_H_M / (4 * math.pi) * quad(inner, 0, length, limit=200, epsabs=0, epsrel=1e-12)[0]

    numeric = (2 * neumann_parallel(A, rw) + 2 * neumann_parallel(B, rw)
               - 2 * neumann_parallel(A, B) - 2 * neumann_parallel(B, A))
    # the closed form is the thin-wire limit: each side's sqrt(l^2 + r^2) - r -> l drops 2 mu0 r / pi in all
    assert lc.rectangular_loop_inductance_h(A, B, rw) == pytest.approx(numeric - 2 * units.MU0_H_M * rw / math.pi,
                                                                      rel=1e-6)
    # toroid: N * (flux of B = mu0 N I / (2 pi rho) through the cross-section) / I
    N, ri, ro, h = 40, 0.1, 0.3, 0.2
    flux = quad(lambda rho: units.MU0_H_M * N / (2 * math.pi * rho) * h, ri, ro)[0]
    assert lc.toroid_inductance_h(N, ri, ro, h) == pytest.approx(N * flux, rel=1e-10)


def test_lc_resonance_and_tuning_range():
    L, c_min = 1.0e-6, 50e-12
    assert lc.lc_resonance_hz(L, c_min) == pytest.approx(1 / (2 * math.pi * math.sqrt(5e-17)), rel=1e-12)  # 22.5 MHz
    assert lc.lc_resonance_hz(L, lc.lc_capacitance_f(L, 3.3e6)) == pytest.approx(3.3e6, rel=1e-12)
    f_lo, f_hi = lc.lc_tuning_range_hz(L, c_min, 5e-9)
    assert f_hi / f_lo == pytest.approx(10.0, rel=1e-12)  # f ~ C^(-1/2): 100x in C is 10x in f


def test_lc_reach_round_trip_and_room_path(room):
    coil = lc.ToroidCoil(0.1, 0.45, -0.8, 0.8, turns=2)
    freqs = np.array([1e3, 1e4, 1e5, 1e9])
    kw = {"coil": coil, "q": 1e6, "t_lc_k": 0.01, "t_amp_k": 0.5, "time_s": 86400.0, "snr": 3.0}
    res = lc.lc_reach(freqs, shield_radius_m=R_ROOM, **kw)
    assert np.isnan(res.eps[-1])  # 1 GHz needs C < C_min
    assert res.f_max_hz == pytest.approx(1 / (2 * math.pi * math.sqrt(coil.inductance_h() * 50e-12)), rel=1e-12)
    for i in range(3):
        p = lc.lc_signal_power_w(res.flux_per_eps_wb[i] * res.eps[i], freqs[i], res.inductance_h, 1e6) / 3
        noise = lc.lc_noise_power_w(0.51, 86400.0, freqs[i] * 1e-6)
        assert p / noise == pytest.approx(3.0, rel=1e-12)
    # eps ~ f^(-5/4): flux ~ f, P ~ f^3, noise ~ sqrt(b) ~ f^(1/2)
    assert res.eps[0] / res.eps[1] == pytest.approx(10**1.25, rel=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        via_room = lc.lc_reach(freqs[:3], response=room, **kw)
    np.testing.assert_allclose(via_room.eps, res.eps[:3], rtol=1e-4)
    # the paper's formula (eqs. 67-68, 75-76): same f^(-5/4) slope, its own prefactor
    pap = lc.paper_lc_reach(freqs[:2], volume_m3=coil.volume_m3, inductance_h=coil.inductance_h(), t_n_k=0.51,
                            time_s=86400.0)
    assert pap[0] / pap[1] == pytest.approx(10**1.25, rel=1e-6)


def test_bad_input():
    coil = lc.ToroidCoil(0.1, 0.45, -0.8, 0.8)
    kw = {"coil": coil, "shield_radius_m": 0.5, "q": 1e6, "t_lc_k": 0.01, "t_amp_k": 0.5, "time_s": 100.0}
    with pytest.raises(SpecError, match="t_lc_k"):
        lc.lc_reach([1e5], **(kw | {"t_lc_k": -1.0}))
    with pytest.raises(SpecError, match="time_s"):
        lc.lc_reach([1e5], **(kw | {"time_s": 0.0}))
    with pytest.raises(SpecError, match="c_min_f"):
        lc.lc_reach([1e5], c_min_f=-1e-12, **kw)
    with pytest.raises(SpecError, match="shield_radius_m"):
        lc.lc_reach([1e5], **(kw | {"shield_radius_m": 0.3}))
    with pytest.raises(SpecError, match="rho_min_m"):
        lc.RectangleLoop(0.4, 0.1, 0.0, 1.0)
    with pytest.raises(SpecError, match="turns"):
        lc.ToroidCoil(0.1, 0.2, 0.0, 1.0, turns=0)


def test_loop_outside_room_is_rejected(room):
    outside = lc.RectangleLoop(0.3, 0.6, -0.5, 0.5)  # rho up to 0.6 m > R = 0.5 m
    with pytest.raises(SpecError, match="loop must lie inside"):
        lc.pickup_flux_wb(room, outside, "z", F_LOW, EPS)
    above = lc.CircularLoop((0.0, 0.0, 0.99), (0.0, 1.0, 0.0), 0.1)  # pokes through the cap at z = 1
    with pytest.raises(SpecError, match="loop must lie inside"):
        lc.pickup_flux_wb(room, above, "z", F_LOW, EPS)


def test_figures_carry_the_data():
    from matplotlib.figure import Figure

    f = np.linspace(1e9, 1.2e9, 5)
    eps = np.linspace(1e-15, 2e-15, 5)
    fom = np.linspace(1.0, 2.0, 5)
    fig = plot_tuning_reach(f, eps, fom, title="TM010")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), eps)
    np.testing.assert_allclose(fig.axes[1].get_lines()[0].get_ydata(), fom)
    fig2 = plot_lc_reach({"toroid": (f, eps), "paper": (f, 2 * eps)})
    assert isinstance(fig2, Figure)
    np.testing.assert_allclose(fig2.axes[0].get_lines()[1].get_ydata(), 2 * eps)
