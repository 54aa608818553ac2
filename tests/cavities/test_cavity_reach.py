"""Haloscope reach: radiometer equation, coupling optimum, scan-rate scaling, reach of a TM010 mode, limit conversion.

Tolerances: closed-form identities to 1e-12 (they are algebra); the numerical beta optimum to 1e-5 (bounded
scalar minimisation at xtol 1e-10); the real cross-section mode to 1e-4 (its G_E and Q0 are within 1e-5 of the
analytic TM010 values, docs/cavity.md); the fixed-polarization quantile to 1e-6 (adaptive quadrature, exact
distribution known in closed form).
"""

import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from amails_fem.cavities import limits, reach
from amails_fem.cavities.formfactor import signal_power_w
from amails_fem.cavities.solve import cavity_modes
from amails_fem.cavities.tuning import TuningCurve
from amails_fem.errors import SpecError
from amails_fem.specs.cavities import cylinder_cavity
from amails_fem.testing.analytic import tm010_form_factor, tm010_q
from amails_fem.units import C_M_S, rho_j_m3

X01 = 2.404825557695773


def tm010_tuple(radius_m=0.1, height_m=0.3, sigma=5.8e7):
    """(f, G, V, Q0) of the ideal copper cylinder's TM010 mode."""
    f = C_M_S * X01 / (2 * math.pi * radius_m)
    return f, tm010_form_factor(), math.pi * radius_m**2 * height_m, tm010_q(radius_m, height_m, sigma)


def test_dicke_snr_hand_calculation():
    # P = 1e-22 W, T = 1 K, t = 100 s, b = 1 kHz: P / (k_B T) = 1e-22 / 1.380649e-23 = 7.242969,
    # sqrt(t / b) = sqrt(0.1) = 0.3162278, SNR = 2.290428
    assert reach.dicke_snr(1e-22, 1.0, 100.0, 1e3) == pytest.approx(2.290428, rel=1e-6)
    # SNR grows as sqrt(t), falls as 1/T and 1/sqrt(b)
    assert reach.dicke_snr(1e-22, 2.0, 400.0, 4e3) == pytest.approx(2.290428 / 2, rel=1e-6)


def test_dm_linewidth_convention():
    assert reach.dm_linewidth_hz(1e9) == pytest.approx(1e3, rel=1e-12)  # b = f / Q_DM, Q_DM = 1e6
    assert reach.dm_linewidth_hz(1e9, v_over_c=2e-3) == pytest.approx(4e3, rel=1e-12)


def test_receiver_power_matches_eq57_of_formfactor_module():
    """P_rec = eq. 57 at Q_L = Q0/(1+beta) with kappa = beta/(1+beta), via formfactor.signal_power_w on a real mode."""
    spec_modes = cavity_modes(cylinder_cavity(0.1, 0.3), 4, solver="cross-section")
    mode = max(spec_modes, key=lambda m: abs(m.integral_E()[2]))
    q0 = reach.cavity_parameters(mode)[3]
    for beta in (0.5, 1.0, 2.0):
        p = reach.signal_power_receiver_w(mode, 1e-12, beta=beta)
        ref = signal_power_w(mode, 1e-12, q=q0 / (1 + beta), kappa=beta / (1 + beta))
        assert p == pytest.approx(ref, rel=1e-12)
    # the same mode through (f, G, V, Q0) from the analytic TM010 formulas: 1e-4 (mesh error of G and Q0 ~ 1e-5)
    analytic = tm010_tuple()
    assert mode.freq_hz == pytest.approx(analytic[0], rel=1e-5)
    eps_fem = reach.cavity_reach(mode, t_sys_k=1.0, time_s=100.0, snr=5.0)
    eps_an = reach.cavity_reach(analytic, t_sys_k=1.0, time_s=100.0, snr=5.0)
    assert eps_fem == pytest.approx(eps_an, rel=1e-4)


def test_cavity_reach_round_trip_and_hand_numbers():
    cav = tm010_tuple()
    eps = reach.cavity_reach(cav, t_sys_k=0.5, time_s=300.0, snr=5.0, beta=2.0)
    p = reach.signal_power_receiver_w(cav, eps, beta=2.0)
    assert reach.dicke_snr(p, 0.5, 300.0, reach.dm_linewidth_hz(cav[0])) == pytest.approx(5.0, rel=1e-12)
    # written out: eps^2 = SNR k T sqrt(b/t) (1+beta)^2 / (rho omega V G Q0 beta <cos^2>)
    f, g, v, q0 = cav
    hand = math.sqrt(5 * 1.380649e-23 * 0.5 * math.sqrt(f * 1e-6 / 300.0) * 9
                     / (rho_j_m3(0.45) * 2 * math.pi * f * v * g * q0 * 2 / 3))
    assert eps == pytest.approx(hand, rel=1e-12)
    # 1.147 GHz, V = 9.4 L, Q0 = 38443: eps ~ 4e-15 in 5 min at 0.5 K
    assert 1e-15 < eps < 1e-14
    # polarization: random (1/3) is sqrt(3) weaker than aligned; a number in (0, 1] is taken as <cos^2>
    aligned = reach.cavity_reach(cav, t_sys_k=0.5, time_s=300.0, snr=5.0, polarization="aligned")
    assert eps / aligned == pytest.approx(math.sqrt(3), rel=1e-12)
    assert reach.cavity_reach(cav, t_sys_k=0.5, time_s=300.0, snr=5.0, polarization=0.25) == pytest.approx(
        aligned * 2, rel=1e-12)
    # eps ~ t^(-1/4)
    assert reach.cavity_reach(cav, t_sys_k=0.5, time_s=16 * 300.0, snr=5.0) == pytest.approx(eps / 2, rel=1e-12)


def test_scan_rate_scaling():
    f, g, v, q0 = tm010_tuple()
    kw = {"t_sys_k": 1.0, "snr": 5.0}
    r0 = reach.scan_rate_hz_s((f, g, v, q0), 1e-14, **kw)
    assert reach.scan_rate_hz_s((f, g / 2, v, q0), 1e-14, **kw) == pytest.approx(r0 / 4, rel=1e-12)      # G^2
    assert reach.scan_rate_hz_s((f, g, 2 * v, q0), 1e-14, **kw) == pytest.approx(4 * r0, rel=1e-12)      # V^2
    assert reach.scan_rate_hz_s((f, g, v, 3 * q0), 1e-14, **kw) == pytest.approx(3 * r0, rel=1e-12)      # Q_L
    assert reach.scan_rate_hz_s((f, g, v, q0), 1e-14, t_sys_k=2.0, snr=5.0) == pytest.approx(r0 / 4, rel=1e-12)
    assert reach.scan_rate_hz_s((f, g, v, q0), 2e-14, **kw) == pytest.approx(16 * r0, rel=1e-12)        # eps^4
    # consistency with the radiometer: one linewidth f/Q_L per the time that reaches SNR at this eps
    q_l = q0 / 3
    eps = reach.cavity_reach((f, g, v, q0), t_sys_k=1.0, time_s=50.0, snr=5.0)
    rate = reach.scan_rate_hz_s((f, g, v, q0), eps, **kw)
    assert rate == pytest.approx((f / q_l) / 50.0, rel=1e-12)


def test_beta_optimum_is_two():
    cav = tm010_tuple()
    res = minimize_scalar(lambda b: -reach.scan_rate_hz_s(cav, 1e-14, t_sys_k=1.0, snr=5.0, beta=b),
                          bounds=(0.05, 50.0), method="bounded", options={"xatol": 1e-10})
    assert res.x == pytest.approx(2.0, abs=1e-5)
    # while the received power alone is largest at critical coupling, beta = 1
    res_p = minimize_scalar(lambda b: -reach.signal_power_receiver_w(cav, 1e-14, beta=b),
                            bounds=(0.05, 50.0), method="bounded", options={"xatol": 1e-10})
    assert res_p.x == pytest.approx(1.0, abs=1e-5)


def synthetic_curve(n=11):
    f = np.linspace(1.0e9, 1.2e9, n)[:, None]
    g = np.linspace(0.6, 0.5, n)[:, None]
    q = np.linspace(6e4, 5e4, n)[:, None]
    return TuningCurve(positions_m=np.linspace(0, 0.05, n), freq_hz=f, g_e=g, q0=q, labels=[["TM010"]] * n,
                       overlap=np.ones((n - 1, 1)))


def test_tuning_reach_time_split():
    curve = synthetic_curve()
    kw = {"t_sys_k": 1.0, "total_time_s": 86400.0, "snr": 5.0, "volume_m3": 0.02}
    per = reach.tuning_reach(curve, **kw)
    assert per.dwell_s.sum() == pytest.approx(86400.0, rel=1e-12)
    assert per.band_hz.sum() == pytest.approx(0.2e9, rel=1e-12)
    # every linewidth gets the same time tau; each eps is cavity_reach at tau
    tau = per.dwell_s[3] / (per.band_hz[3] * per.q_loaded[3] / per.freq_hz[3])
    cav3 = (curve.freq_hz[3, 0], curve.g_e[3, 0], 0.02, curve.q0[3, 0])
    assert per.eps[3] == pytest.approx(reach.cavity_reach(cav3, t_sys_k=1.0, time_s=tau, snr=5.0), rel=1e-12)
    assert per.dwell_s[7] / per.dwell_s[3] == pytest.approx(
        (per.band_hz[7] * per.q_loaded[7] / per.freq_hz[7]) / (per.band_hz[3] * per.q_loaded[3] / per.freq_hz[3]))
    assert per.fom_m6[0] == pytest.approx(0.6**2 * 0.02**2 * 6e4 / 3, rel=1e-12)
    const = reach.tuning_reach(curve, allocation="constant_eps", **kw)
    assert const.dwell_s.sum() == pytest.approx(86400.0, rel=1e-12)
    assert np.ptp(const.eps) == 0.0
    assert per.eps.min() < const.eps[0] < per.eps.max()
    # the constant eps reaches the target SNR: scan rate at that eps covers each band in its dwell time
    for i in (0, 5, 10):
        r = reach.scan_rate_hz_s((curve.freq_hz[i, 0], curve.g_e[i, 0], 0.02, curve.q0[i, 0]), const.eps[i],
                                 t_sys_k=1.0, snr=5.0)
        assert const.band_hz[i] / r == pytest.approx(const.dwell_s[i], rel=1e-12)


def test_tesla_in_natural_units_and_conversion():
    assert limits.TESLA_TO_EV2 == pytest.approx(195.35, rel=1e-4)  # 1 T = 195.35 eV^2 (Heaviside-Lorentz)
    # ADMX-like: g = 1e-15 GeV^-1, m = 2.7 ueV, B0 = 7.6 T, random polarization:
    # chi = 1e-24 eV^-1 * 7.6 * 195.353 eV^2 / (2.7e-6 eV * sqrt(1/3)) = 9.524e-16
    chi = limits.axion_to_dark_photon_chi(1e-15, 2.7e-6, 7.6)
    assert chi == pytest.approx(1e-24 * 7.6 * 195.35277 / (2.7e-6 * math.sqrt(1 / 3)), rel=1e-6)
    assert chi == pytest.approx(9.524e-16, rel=1e-3)
    # eq. 60: equal power, chi^2 m <cos^2> = g^2 B^2 / m
    g, m, b = 3e-14, 1e-5, 8.0
    c = limits.axion_to_dark_photon_chi(g, m, b, polarization="aligned")
    assert c**2 * m == pytest.approx((g * 1e-9) ** 2 * (b * limits.TESLA_TO_EV2) ** 2 / m, rel=1e-12)
    # x (dark-matter fraction of case II) enters as chi sqrt(x)
    assert limits.axion_to_dark_photon_chi(g, m, b, polarization="aligned", x=0.25) == pytest.approx(2 * c, rel=1e-12)


def test_fixed_polarization_quantiles():
    # T << 1 day: cos theta uniform in [-1, 1], P(cos^2 < x) = sqrt(x) = 0.05 -> 0.0025
    assert limits.fixed_polarization_cos2(1.0, 47.66) == pytest.approx(0.0025, rel=1e-4)
    day = 86164.0905
    for lat in (47.66, 20.0):
        a, c = math.cos(math.radians(lat)) ** 2 / 2, math.sin(math.radians(lat)) ** 2
        # whole sidereal day, vertical axis: <cos^2> = a (1 - u^2) + c u^2 with u = X_z uniform
        exact = a + (c - a) * (0.0025 if c > a else 0.9025)
        assert limits.fixed_polarization_cos2(day, lat) == pytest.approx(exact, rel=1e-6)
    chi_r = limits.axion_to_dark_photon_chi(1e-15, 2.7e-6, 7.6, polarization="random")
    chi_f = limits.axion_to_dark_photon_chi(1e-15, 2.7e-6, 7.6, polarization="fixed", time_s=1.0, latitude_deg=47.66)
    assert chi_f / chi_r == pytest.approx(math.sqrt((1 / 3) / 0.0025), rel=1e-4)


@pytest.mark.parametrize("call, field", [
    (lambda: reach.dicke_snr(1e-22, -1.0, 100.0, 1e3), "t_sys_k"),
    (lambda: reach.dicke_snr(1e-22, 1.0, 0.0, 1e3), "time_s"),
    (lambda: reach.dicke_snr(1e-22, 1.0, 1.0, float("nan")), "bandwidth_hz"),
    (lambda: reach.cavity_reach(tm010_tuple(), t_sys_k=-0.5, time_s=1.0, snr=5.0), "t_sys_k"),
    (lambda: reach.cavity_reach(tm010_tuple(), t_sys_k=0.5, time_s=-1.0, snr=5.0), "time_s"),
    (lambda: reach.cavity_reach(tm010_tuple(), t_sys_k=0.5, time_s=1.0, snr=0.0), "snr"),
    (lambda: reach.cavity_reach(tm010_tuple(), t_sys_k=0.5, time_s=1.0, snr=5.0, beta=0.0), "beta"),
    (lambda: reach.cavity_reach(tm010_tuple(), t_sys_k=0.5, time_s=1.0, snr=5.0, beta=-1.0), "beta"),
    (lambda: reach.cavity_reach(tm010_tuple(), t_sys_k=float("inf"), time_s=1.0, snr=5.0), "t_sys_k"),
    (lambda: reach.cavity_reach(tm010_tuple(), t_sys_k=1, time_s=1.0, snr=5.0, polarization="fixed"), "fixed"),
    (lambda: reach.scan_rate_hz_s(tm010_tuple(), 2.0, t_sys_k=1.0, snr=5.0), "eps"),
    (lambda: reach.tuning_reach(synthetic_curve(), t_sys_k=1.0, total_time_s=1.0, snr=5.0, volume_m3=0.02,
                                track=1), "track"),
    (lambda: limits.axion_to_dark_photon_chi(1e-15, 2.7e-6, 7.6, polarization="fixed"), "time_s"),
    (lambda: limits.fixed_polarization_cos2(10.0, 95.0), "latitude_deg"),
])
def test_bad_input_names_the_argument(call, field):
    with pytest.raises(SpecError, match=field):
        call()
