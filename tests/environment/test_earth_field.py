"""The Earth-surface dark-photon field: the 1/2 and its pattern, the SuperMAG convention, sidereal lines, the
Earth-ionosphere cavity (pole, Schumann lines, low-frequency limit), exact shell solutions and bad input."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.special import spherical_jn, spherical_yn

from amails_fem import frames, units
from amails_fem.environment import (
    CAVITY_MAX_HZ,
    EARTH_RADIUS_M,
    QUASI_STATIC_MAX_HZ,
    earth_field_factor,
    earth_field_factor_band,
    earth_surface_field,
    leak_source_matrix_lab,
    lossless_shell_factor,
    propagation_parameter,
    schumann_eigenfrequencies_hz,
)
from amails_fem.errors import SpecError
from amails_fem.network import sidereal

RNG = np.random.default_rng(20210601)
SITES = [(31.3, 120.6), (45.75, 126.6), (-33.9, 18.4), (0.0, -75.0), (89.0, 300.0), (-90.0, 0.0)]


def _random_pol():
    p = RNG.normal(size=3) + 1j * RNG.normal(size=3)
    return p / np.linalg.norm(p)


def _b_scale(freq_hz, eps=1.0, rho=units.RHO_DM_GEV_CM3):
    """(mu0 R_E / 2) J0, computed here from the constants, not from the module under test."""
    j0 = eps * math.sqrt(2.0 * rho * units.GEV_CM3_TO_J_M3 / units.MU0_H_M) * 2.0 * math.pi * freq_hz / units.C_M_S
    return 0.5 * units.MU0_H_M * EARTH_RADIUS_M * j0


# --- the 1/2, the sign and the horizontal pattern -------------------------------------------------------------------

@pytest.mark.parametrize("lat, lon", SITES)
def test_magnitude_is_half_mu0_r_j_times_horizontal_part(lat, lon):
    # |B| = (mu0 R_E / 2) J0 |xi_perp| exactly (|xi x u| = |xi_perp| for a unit real u): rel 1e-12 (rounding)
    era = 1.234
    up = frames.enu_axes(lat, era + math.radians(lon))[2]
    for _ in range(5):
        xi = _random_pol()
        b = earth_surface_field(lat, lon, xi, 1.0, era_rad=era)
        xi_perp = xi - np.dot(up, xi) * up
        assert np.linalg.norm(b) == pytest.approx(_b_scale(1.0) * np.linalg.norm(xi_perp), rel=1e-12)
        assert b[2] == 0.0  # B . u_up = 0 (up component)


@pytest.mark.parametrize("lat, lon", SITES)
def test_vertical_polarization_gives_no_field(lat, lon):
    era = 0.4
    up = frames.enu_axes(lat, era + math.radians(lon))[2]
    b = earth_surface_field(lat, lon, (1 - 2j) * up, 0.5, era_rad=era)
    assert np.linalg.norm(b) < 1e-15 * _b_scale(0.5)  # exact zero up to rounding of the cross product


def test_sign_current_along_axis_gives_east_field_at_equator():
    # B = (mu0 R/2) J x up; J = Z at the equator: Z x Up = East (Up = X at theta = 0), so B_east = +(mu0 R/2) J0
    b = earth_surface_field(0.0, 0.0, [0, 0, 1], 1.0)
    assert b[0].real == pytest.approx(_b_scale(1.0), rel=1e-12)
    assert abs(b[1]) < 1e-20 and abs(b[2]) == 0.0


def test_amplitude_at_1_hz():
    # (mu0/2) J0 R_E at 1 Hz, eps = 1, rho = 0.45 GeV/cm^3: 8.987e-7 T (the quoted 8.99e-7 to its 3 digits)
    b = earth_surface_field(0.0, 0.0, [0, 0, 1], 1.0, eps=1.0, rho_gev_cm3=0.45)
    assert abs(b[0]) == pytest.approx(8.99e-7, rel=1e-3)
    assert abs(b[0]) == pytest.approx(0.5 * units.MU0_H_M * units.j_eff_a_m2(1.0, 1.0, 0.45) * 6.371e6, rel=1e-12)


def test_linear_in_eps_and_in_frequency():
    xi = _random_pol()
    f = np.array([0.01, 0.1, 0.7, 2.0])
    b = earth_surface_field(31.3, 120.6, xi, f, eps=1e-6, era_rad=2.0)
    assert b.shape == (4, 3)
    assert np.allclose(b / f[:, None], b[0] / f[0], rtol=1e-12, atol=0)  # B proportional to f (quasi-static)
    b2 = earth_surface_field(31.3, 120.6, xi, f, eps=3e-6, era_rad=2.0)
    assert np.allclose(b2, 3.0 * b, rtol=1e-12, atol=0)
    assert np.all(earth_surface_field(31.3, 120.6, xi, 1.0, eps=0.0) == 0)
    b_rho = earth_surface_field(31.3, 120.6, xi, 1.0, eps=1e-6, era_rad=2.0, rho_gev_cm3=0.45 * 4)
    assert np.allclose(b_rho, 2.0 * b[2] / 0.7, rtol=1e-12, atol=0)  # B ~ sqrt(rho)


def test_real_polarization_is_normalised():
    b1 = earth_surface_field(10.0, 20.0, [3.0, 0.0, 4.0], 1.0)
    b2 = earth_surface_field(10.0, 20.0, [0.6, 0.0, 0.8], 1.0)
    assert np.allclose(b1, b2, rtol=1e-14, atol=0)


# --- cross-check with the public SuperMAG analysis convention -------------------------------------------------------

@pytest.mark.parametrize("lat, lon", SITES[:5])
def test_supermag_vector_spherical_harmonic_form(lat, lon):
    # SuperMAG analysis (arXiv:2108.08852; code skalia618/SuperMAG-1sec), natural units with R/c = 0.0212751 s and
    # rho as mu0 rho = 6.04e7 nT^2 (0.3 GeV/cm^3): B_m = sqrt(pi/3) eps m R sqrt(2 mu0 rho) Phi_1m (theta, phi
    # components; Phi_1m = r x grad Y_1m), for helicity m = -1 (conj Phi_11), 0, +1 of the A' polarization.
    # Written out: Phi_10 = -sqrt(3/4pi) sin(th) phi_hat, Phi_11 = sqrt(3/8pi) e^{i phi} (i th_hat - cos(th) phi_hat).
    # Expected: ours with the Cartesian xi = a_m (Y_1m = sqrt(3/4pi) a_m . r_hat) is minus theirs (xi of J_eff vs
    # xi of A', J_eff = -eps m^2 A'); amplitude within 1e-4 (their 6.04e7 is rounded to 3 digits).
    f, eps = 0.3, 1e-3
    r_theirs_s, rho_t2 = 0.0212751, 6.04e7 * 1e-18
    pref = math.sqrt(math.pi / 3) * eps * 2 * math.pi * f * r_theirs_s * math.sqrt(2 * rho_t2)
    th, ph = math.pi / 2 - math.radians(lat), math.radians(lon)
    c10, c11 = math.sqrt(3 / (4 * math.pi)), math.sqrt(3 / (8 * math.pi))
    phi11 = (1j * c11 * np.exp(1j * ph), -c11 * np.exp(1j * ph) * math.cos(th))  # (theta, phi) components
    theirs = {0: (0.0, -c10 * math.sin(th)), 1: phi11, -1: tuple(np.conj(phi11))}
    a_m = {0: np.array([0, 0, 1.0]), 1: -np.array([1, 1j, 0]) / math.sqrt(2), -1: -np.array([1, -1j, 0]) / math.sqrt(2)}
    scale = r_theirs_s * units.C_M_S / EARTH_RADIUS_M  # their radius (6378.1 km) over ours (6371 km)
    for m in (-1, 0, 1):
        b = earth_surface_field(lat, lon, a_m[m], f, eps=eps, rho_gev_cm3=0.3, era_rad=0.0) * scale
        b_th, b_ph = pref * np.asarray(theirs[m])
        ours_th_ph = np.array([-b[1], b[0]])  # east = phi_hat, north = -theta_hat
        assert np.allclose(ours_th_ph, -np.array([b_th, b_ph]), rtol=1e-4, atol=1e-4 * abs(pref))


# --- frames and sidereal lines --------------------------------------------------------------------------------------

def test_frames_match_the_network_frames():
    # IERS 2010: ERA(J2000.0) = 2 pi 0.7790572732640, and one sidereal day later the same angle
    j2000 = frames.UNIX_J2000_S
    assert frames.earth_rotation_angle_rad(j2000) == pytest.approx(2 * np.pi * 0.7790572732640, abs=1e-12)
    day = 86400.0 / 1.00273781191135448
    assert frames.earth_rotation_angle_rad(j2000 + day) == pytest.approx(2 * np.pi * 0.7790572732640, abs=1e-9)
    th = np.linspace(0, 2 * np.pi, 7)
    e = frames.enu_axes(31.3, th)
    assert e.shape == (7, 3, 3)
    assert np.allclose(e @ np.swapaxes(e, -1, -2), np.eye(3), atol=1e-14)
    assert np.allclose(np.cross(e[:, 0], e[:, 1]), e[:, 2], atol=1e-14)  # East x North = Up
    site = SimpleNamespace(latitude_deg=31.3, longitude_deg=120.6, room_x_azimuth_deg=0.0)
    lab = sidereal.lab_axes(site, th)  # azimuth 0: x = North, y = Up x North = West, z = Up
    assert np.allclose(lab[:, 0], e[:, 1], atol=1e-14)
    assert np.allclose(lab[:, 1], -e[:, 0], atol=1e-14)
    assert np.allclose(lab[:, 2], e[:, 2], atol=1e-14)


@pytest.mark.parametrize("model, freq", [("quasi-static", 1.0), ("cavity", 7.8)])
def test_sidereal_harmonics_match_network_decomposition(model, freq):
    # Over one sidereal day (era = 2 pi f_sid t) the lab-frame phasor has only exp(i m theta), m = -1, 0, 1, and its
    # harmonic m equals M_leak J0 M_m xi with M_m = sidereal.harmonics(site) (p_lab = E(theta) P): rel 1e-12.
    site = SimpleNamespace(latitude_deg=45.75, longitude_deg=126.6, room_x_azimuth_deg=0.0)
    xi = _random_pol()
    n = 16
    t = np.arange(n) / (n * units.F_SIDEREAL_HZ)
    era = 2 * np.pi * units.F_SIDEREAL_HZ * t
    lon = math.radians(site.longitude_deg)
    b_lab = np.empty((n, 3), complex)
    for k in range(n):
        b_enu = earth_surface_field(site.latitude_deg, site.longitude_deg, xi, freq, era_rad=era[k], model=model)
        b_cel = frames.enu_axes(site.latitude_deg, era[k] + lon).T @ b_enu
        b_lab[k] = sidereal.lab_axes(site, era[k] + lon) @ b_cel
    coef = np.fft.fft(b_lab, axis=0) / n  # coef[m] = sum_k b(era_k) exp(-i m era_k) / n
    j0 = units.j_eff_a_m2(1.0, freq)
    leak = leak_source_matrix_lab(freq, model=model)
    mm = sidereal.harmonics(site)
    scale = np.abs(coef).max()
    for m in (-1, 0, 1):
        # harmonic m in era = harmonic m in theta times e^{i m lon}
        expected = leak @ (j0 * mm[m + 1] @ xi) * np.exp(1j * m * lon)
        assert np.allclose(coef[m % n], expected, rtol=0, atol=1e-12 * scale)
    others = [m for m in range(n) if m not in (0, 1, n - 1)]
    assert np.abs(coef[others]).max() < 1e-13 * scale


def test_leak_matrix_is_j_cross_z():
    m = leak_source_matrix_lab(np.array([0.5, 1.0]))
    assert m.shape == (2, 3, 3)
    j = np.array([1 + 2j, -0.5, 3.0])
    assert np.allclose(m[1] @ j, 0.5 * units.MU0_H_M * EARTH_RADIUS_M * np.cross(j, [0, 0, 1]), rtol=1e-14, atol=0)
    mc = leak_source_matrix_lab(10.0, model="cavity")
    assert np.allclose(mc, earth_field_factor(10.0) * leak_source_matrix_lab(1.0), rtol=1e-14, atol=0)


# --- the Earth-ionosphere cavity ------------------------------------------------------------------------------------

def test_cavity_tends_to_quasi_static_at_low_frequency():
    # |F - 1| ~ (k R_E)^2 |S|^2 / 2: measured 4.6e-4 at 0.1 Hz, 2.6e-2 at 1 Hz; F = 1 for the quasi-static model
    f = np.array([1e-3, 0.01, 0.1, 1.0])
    d = np.abs(earth_field_factor(f) - 1)
    assert d[2] < 1e-3 and d[3] < 3e-2
    assert np.all(np.diff(d) > 0)  # monotone approach to 1 as f -> 0
    assert np.all(earth_field_factor(f, model="quasi-static") == 1)
    xi = _random_pol()
    bq = earth_surface_field(31.3, 120.6, xi, 0.1)
    bc = earth_surface_field(31.3, 120.6, xi, 0.1, model="cavity")
    assert np.allclose(bc, earth_field_factor(0.1) * bq, rtol=1e-14, atol=0)
    assert np.linalg.norm(bc - bq) < 1e-3 * np.linalg.norm(bq)


def test_schumann_lines_from_the_same_dispersion_relation():
    # nu(nu+1) = (k R_E S)^2, complex roots: observed lines ~7.8, 14.1, 20.3 Hz (within 0.5 Hz), Q ~ 3.5-6
    roots = schumann_eigenfrequencies_hz(3)
    assert np.all(roots.imag < 0)  # decaying with e^{-i w t}
    assert np.allclose(roots.real, [7.8, 14.1, 20.3], atol=0.5, rtol=0)
    q = roots.real / (2 * np.abs(roots.imag))
    assert np.all((q > 3.5) & (q < 6.0))
    for n, z in enumerate(roots, start=1):  # each root satisfies its equation
        kas = 2 * np.pi * z * EARTH_RADIUS_M / units.C_M_S * propagation_parameter(z)
        assert abs(kas**2 - n * (n + 1)) < 1e-9


def test_cavity_pole_is_the_l1_mode():
    # the l = 1 resonance of the forced factor is the nu = 1 root: |F| peaks within 0.3 Hz of Re f_1 (the peak of a
    # driven damped response sits slightly off the complex root), and |F| -> 0 like f^-2 far above it
    f = np.linspace(5, 12, 1401)
    peak = f[np.argmax(np.abs(earth_field_factor(f)))]
    f1 = schumann_eigenfrequencies_hz(1)[0].real
    assert abs(peak - f1) < 0.3
    assert abs(earth_field_factor(CAVITY_MAX_HZ)) < 0.05


def test_lossless_limit_and_exact_shell():
    # lossless thin cavity: F = 1 / (1 - (kR)^2 / 2), pole at f = sqrt(2) c / (2 pi R_E) = 10.6 Hz
    f_pole = math.sqrt(2) * units.C_M_S / (2 * math.pi * EARTH_RADIUS_M)
    assert f_pole == pytest.approx(10.6, abs=0.05)
    f = np.array([0.5, 1.0, 3.0, 5.0])
    thin = 1 / (1 - (2 * np.pi * f * EARTH_RADIUS_M / units.C_M_S) ** 2 / 2)
    # exact full-Maxwell shell: (F_exact - 1) / (F_thin - 1) - 1 = O(h/R) (measured ~2 h/R), halving h halves it
    dev = []
    for h in (2e4, 1e4):
        ex = lossless_shell_factor(f, h)
        dev.append(np.abs((ex - 1) / (thin - 1) - 1))
        assert np.all(dev[-1] < 3 * h / EARTH_RADIUS_M)
    assert np.allclose(dev[0] / dev[1], 2.0, rtol=0.02)
    # the 1/2 does not depend on the gap height: F_exact -> 1 at low frequency even for h = R
    assert abs(lossless_shell_factor(1e-3, EARTH_RADIUS_M) - 1) < 1e-6


def test_bare_conducting_sphere_has_the_opposite_doubled_factor():
    # No ionosphere: outgoing g = a h1(kr) outside a perfect conductor, E_t = 0 at r = R: g(R) -> -mu0 J R, i.e.
    # F = -2 relative to the closed gap (the induced-dipole near field of the module docstring): within 1e-6
    k = 2 * np.pi * 1e-3 / units.C_M_S
    x = k * EARTH_RADIUS_M

    def h1(xx, derivative=False):
        return spherical_jn(1, xx, derivative) + 1j * spherical_yn(1, xx, derivative)

    a = 1.0 / ((h1(x) + x * h1(x, True)) / EARTH_RADIUS_M)  # (1/r) d(r g)/dr = mu0 |J| = 1 at r = R
    assert abs(a * h1(x) / (EARTH_RADIUS_M / 2) + 2) < 1e-6


def test_uncertainty_band():
    f = np.array([0.1, 1.0, 3.0, 5.0, 7.8, 10.0, 14.0, 20.0, 50.0])
    lo, hi = earth_field_factor_band(f)
    nom = np.abs(earth_field_factor(f))
    assert np.all(lo <= nom + 1e-12) and np.all(nom <= hi + 1e-12)
    assert np.allclose(np.abs(earth_field_factor(f, band="low")), lo, rtol=1e-14)
    assert np.allclose(np.abs(earth_field_factor(f, band="high")), hi, rtol=1e-14)
    assert hi[0] - lo[0] < 1e-3  # robust at low f
    assert hi[4] / lo[4] > 1.5  # model-dependent near the first Schumann line
    # the quasi-static range ends where the cavity correction reaches ~10 % at the band's upper edge
    assert earth_field_factor_band(QUASI_STATIC_MAX_HZ)[1] < 1.10


# --- bad input ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, name", [
    ({"latitude_deg": 91.0}, "latitude_deg"),
    ({"latitude_deg": float("nan")}, "latitude_deg"),
    ({"longitude_deg": 360.0}, "longitude_deg"),
    ({"longitude_deg": -181.0}, "longitude_deg"),
    ({"polarization": [0, 0, 0]}, "polarization"),
    ({"polarization": [1, float("nan"), 0]}, "polarization"),
    ({"polarization": [1, 0]}, "polarization"),
    ({"freq_hz": -1.0}, "freq_hz"),
    ({"freq_hz": 0.0}, "freq_hz"),
    ({"freq_hz": float("nan")}, "freq_hz"),
    ({"freq_hz": 5.0}, "freq_hz"),  # above the quasi-static range
    ({"freq_hz": [[1.0]]}, "freq_hz"),
    ({"eps": -1e-3}, "eps"),
    ({"rho_gev_cm3": 0.0}, "rho_gev_cm3"),
    ({"era_rad": float("inf")}, "era_rad"),
    ({"model": "lossy"}, "model"),
])
def test_bad_input_raises_spec_error_naming_the_argument(kwargs, name):
    args = {"latitude_deg": 30.0, "longitude_deg": 100.0, "polarization": [1, 0, 0], "freq_hz": 1.0}
    args.update(kwargs)
    pos = [args.pop(k) for k in ("latitude_deg", "longitude_deg", "polarization", "freq_hz")]
    with pytest.raises(SpecError, match=name) as err:
        earth_surface_field(*pos, **args)
    assert "\n" not in str(err.value)


def test_bad_input_other_functions():
    with pytest.raises(SpecError, match="freq_hz"):
        earth_field_factor(CAVITY_MAX_HZ * 1.01)
    with pytest.raises(SpecError, match="band"):
        earth_field_factor(1.0, band="middle")
    with pytest.raises(SpecError, match="model"):
        leak_source_matrix_lab(1.0, model="vacuum")
    with pytest.raises(SpecError, match="height_m"):
        lossless_shell_factor(1.0, 0.0)
    with pytest.raises(SpecError, match="n_modes"):
        schumann_eigenfrequencies_hz(0)
