"""The dark-photon magnetic field at the Earth's surface: quasi-static and Earth-ionosphere-cavity models.

Source. Kinetically mixed dark-photon dark matter acts as an effective current density
J_eff(t) = Re[J0 xi e^{-i w t}], uniform over the Earth, with J0 = eps sqrt(2 rho_DM / mu0) (2 pi f / c)
(``amails_fem.units.j_eff_a_m2``) and xi a complex unit vector in the celestial frame (``amails_fem.frames``).
Phasors follow x(t) = Re[X e^{-i w t}]. xi here is the polarization of J_eff (see "sign" below).

Quasi-static field (Fedderke, Graham, Jackson Kimball & Kalia 2021, Phys. Rev. D 104, 075023, arXiv:2106.00022):
    B = (mu0 R_E / 2) J0 xi x u_up,      R_E = 6371 km (IUGG mean radius),
horizontal, at the ground (r = R_E) below the conducting ionosphere.

Derivation of the 1/2 and of the sign. Between the conducting ground (r = R_E) and the conducting ionosphere
(r = R_E + h) the air is an insulator in which J_eff is not screened. In the gap, curl B = mu0 J - i w E / c^2 and
curl E = i w B; on both conductors E_t = 0 and B_r = 0. Uniform J drives only the l = 1 pattern. Write
B = g(r) (z_J x r_hat) with z_J = J / |J|; then curl B has tangential part -(1/r) d(r g)/dr (z_J x r_hat) x r_hat, and
the free-space particular solution (B = 0, E_p = J / (i w eps0), the displacement current cancelling J) has
tangential E that the conductors must cancel. E_t = 0 at both walls gives (1/r) d(r g)/dr = mu0 |J| at r = R_E and at
r = R_E + h, with g = a j1(kr) + b y1(kr), k = w / c (``lossless_shell_factor`` solves this exactly).
For k R_E -> 0, j1 ~ x/3 and y1 ~ -1/x^2, so g = A r + C / r^2 and the two conditions read 2A - C/r^3 = mu0 |J| at
two radii: C = 0, A = mu0 |J| / 2. Hence B = (mu0 / 2) J x r, the closed-room particular solution: its curl is
mu0 J, it has no radial part on any sphere (so the harmonic gradient part a general particular solution needs to
cancel its normal component vanishes here), and it does not depend on h. At r = R_E: B = (mu0 R_E / 2) J x u_up,
positive sign, pointing along J x up (for J along the rotation axis, B points east).
For a thin gap (h << R_E) the tangential equations are carried by the wall currents and only the radial one is
left: -(1/(i w)) Lap_s E_r = mu0 J_r - i w E_r / c^2 with Lap_s = -l(l+1)/R_E^2, giving
    B = (mu0 R_E / 2) J x u_up / (1 - (k R_E)^2 / 2),
the l = 1 TM pole at w_1 = sqrt(2) c / R_E (f = 10.6 Hz, lossless).
A bare conducting sphere in vacuum (no ionosphere, no conducting medium outside) gives a different answer:
far from it the displacement current cancels J (E0 = J / (i w eps0)); the sphere short-circuits E0, acquires the
dipole p = 4 pi eps0 R^3 E0, and the surface field is the near field mu0 (-i w p) x r_hat / (4 pi R^2)
= -mu0 R J x u_up: twice as large and of opposite sign. The factor 1/2 needs the closed "room" of the two
conductors (the outer boundary condition E_t = 0 at r = R_E + h); the field then does not depend on h.

Sign and the public analysis code. The SuperMAG searches (Fedderke, Graham, Jackson Kimball & Kalia 2021,
arXiv:2108.08852; the 1-s data search arXiv:2408.16045 with its public code github.com/skalia618/SuperMAG-1sec) write the signal in natural
units as sqrt(pi/3) eps m R sqrt(2 rho) Re[sum_m xi_m Phi_1m e^{-i m t}] with Phi_lm = r x grad Y_lm and xi the
(helicity-basis) polarization of the dark-photon field A'. Since sqrt(pi/3) Phi_1m = -(1/2) a_m x r_hat with
Y_1m = sqrt(3 / 4 pi) a_m . r_hat, this is -(mu0 R / 2) J0 xi x u_up: the same amplitude (mu0 R / 2) J0, opposite
sign, which is the polarization convention: theirs multiplies A', ours J_eff, and J_eff = -eps m^2 A'.

Cavity model (finite conductivity). The empirical Schumann-resonance propagation parameter of Ishaq & Jones (1977,
Electronics Letters 13, 254), in the form nu(nu + 1) = (k a S)^2 quoted by Nickolaenko, Galuk & Hayakawa (2016,
SpringerPlus 5, 108); see also Sentman (1995, Handbook of Atmospheric Electrodynamics vol. 1) on the resonances:
    c/v = 1.64 - 0.1759 ln f + 0.01791 (ln f)^2,   alpha = 0.063 f^0.64 dB/Mm,   S = c/v + i 5.49 alpha / f,
(f in Hz; 5.49 = c / (2 pi 8.686 1e6 m): dB/Mm -> Np/m over k0; +i because phasors are e^{-i w t}, the e^{+i w t}
literature writes -i), eigenmodes nu(nu + 1) = (k R_E S)^2. The forced l = 1 response with losses is
    F(f) = 1 / (1 - (k R_E S(f))^2 / 2),    B_cavity = F(f) B_quasi-static,
which reproduces the lossless pole for S = 1 and the observed lines (complex roots for nu = 1, 2, 3: 7.73, 14.00,
20.26 Hz with Q = 3.8, 4.5, 5.1; observed ~7.8, 14.1, 20.3 Hz, Q ~ 4-6) and F -> 1 as f -> 0 (|F - 1| = 4.6e-4 at
0.1 Hz, 2.6e-2 at 1 Hz). Above ~5 Hz the result is model-dependent (day/night asymmetry, conductivity profile:
Nishizawa et al., arXiv:2509.15783, compute it with the atmospheric conductivity; Bloch & Kalia, arXiv:2308.10931:
what stays robust is curl B = mu0 J_eff at the surface), so ``earth_field_factor_band``
gives an envelope of |F| over c/v scaled by [0.95, 1.05] (f1 from 7.28 to 8.22 Hz at the box corners) and alpha
by [0.7, 1.3] (Q1 from 2.8 to 5.6), a box that covers the observed diurnal and seasonal f1 of 7.5-8.2 Hz.

Validity: quasi-static for 0 < f <= QUASI_STATIC_MAX_HZ = 2 Hz (there the cavity correction |F| - 1 is 8.7 %,
9.9 % at the upper edge of the band); cavity for 0 < f <= CAVITY_MAX_HZ = 1000 Hz. The propagation-parameter fit is
made on the Schumann band (~5-50 Hz); below ~5 Hz it is extrapolated, but then only changes the small (k R_E)^2
correction; above 50 Hz it is extrapolated too, where F ~ -2 / (k R_E S)^2 makes the ambient field fall as 1/f and
a shield's S(f) grows by orders of magnitude, so that the leak through a real stack is negligible there whatever
the exact F (docs/environment.md states where this matters).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import spherical_jn, spherical_yn

from amails_fem.errors import SpecError
from amails_fem.frames import enu_axes
from amails_fem.units import C_M_S, MU0_H_M, RHO_DM_GEV_CM3, j_eff_a_m2
from amails_fem.validate import require_option

EARTH_RADIUS_M = 6.371e6  # IUGG mean Earth radius (m); the SuperMAG-1sec code uses R/c = 0.0212751 s (6378.1 km)
MODELS = ("quasi-static", "cavity")
QUASI_STATIC_MAX_HZ = 2.0  # quasi-static model allowed for 0 < f <= this (Hz)
CAVITY_MAX_HZ = 1000.0  # cavity model allowed for 0 < f <= this (Hz); fitted on ~5-50 Hz, extrapolated beyond
DB_PER_NEPER = 20.0 / math.log(10.0)  # 8.686 dB per neper
ATTENUATION_COEFF = C_M_S / (2.0 * math.pi * DB_PER_NEPER * 1e6)  # 5.49: alpha (dB/Mm) / f (Hz) -> Im S
VELOCITY_SCALE_RANGE = (0.95, 1.05)  # band: c/v scaled by this range
ATTENUATION_SCALE_RANGE = (0.7, 1.3)  # band: alpha scaled by this range
_BAND_GRID = 11  # grid points per parameter for the band envelope


def _frequencies(freq_hz, max_hz: float, model: str):
    """freq_hz as a float array (shape () or (n,)), checked finite, > 0 and <= max_hz."""
    try:
        f = np.asarray(freq_hz, dtype=float)
    except (TypeError, ValueError):
        raise SpecError(f"freq_hz must be a number or 1-D array in (0, {max_hz}] Hz; got {freq_hz!r}") from None
    if f.ndim > 1:
        raise SpecError(f"freq_hz must be a scalar or a 1-D array; got shape {f.shape}")
    if f.size == 0:
        raise SpecError("freq_hz must not be empty")
    if not np.all(np.isfinite(f)) or np.any(f <= 0.0) or np.any(f > max_hz):
        bad = f[~(np.isfinite(f) & (f > 0.0) & (f <= max_hz))]
        raise SpecError(f"freq_hz must be in (0, {max_hz}] Hz for model {model!r}; got {bad.ravel()[0]!r}")
    return f


def _model(model) -> str:
    require_option(model, "model", MODELS)
    return model


def _max_hz(model: str) -> float:
    return QUASI_STATIC_MAX_HZ if model == "quasi-static" else CAVITY_MAX_HZ


def propagation_parameter(freq_hz, *, velocity_scale: float = 1.0, attenuation_scale: float = 1.0):
    """Complex ELF propagation parameter S(f) = c/v + i 5.49 alpha / f of the Earth-ionosphere waveguide (e^{-i w t}).

    Ishaq & Jones (1977), Electronics Letters 13, 254: c/v = 1.64 - 0.1759 ln f + 0.01791 (ln f)^2,
    alpha = 0.063 f^0.64 dB/Mm, f in Hz; c/v is multiplied by velocity_scale and alpha by attenuation_scale.
    Accepts complex f (analytic continuation, used for the eigenfrequencies). Dimensionless.
    """
    f = np.asarray(freq_hz)
    ln_f = np.log(f)
    c_over_v = velocity_scale * (1.64 - 0.1759 * ln_f + 0.01791 * ln_f**2)
    alpha_db_mm = attenuation_scale * 0.063 * f**0.64
    return c_over_v + 1j * ATTENUATION_COEFF * alpha_db_mm / f


def _cavity_factor(f, velocity_scale=1.0, attenuation_scale=1.0):
    ka = 2.0 * np.pi * f * EARTH_RADIUS_M / C_M_S
    s = propagation_parameter(f, velocity_scale=velocity_scale, attenuation_scale=attenuation_scale)
    return 1.0 / (1.0 - (ka * s) ** 2 / 2.0)


def _band_grid(f):
    """Cavity factors on the (c/v scale, alpha scale) grid: complex (n_grid^2, *f.shape)."""
    sv = np.linspace(*VELOCITY_SCALE_RANGE, _BAND_GRID)
    sa = np.linspace(*ATTENUATION_SCALE_RANGE, _BAND_GRID)
    sv, sa = (a.reshape((-1,) + (1,) * f.ndim) for a in np.meshgrid(sv, sa, indexing="ij"))
    return _cavity_factor(f[None], sv, sa)


def earth_field_factor(freq_hz, model: str = "cavity", band=None):
    """Complex F(f) with B_model = F(f) B_quasi-static (dimensionless); 1 for model "quasi-static".

    Cavity: F = 1 / (1 - (k R_E S)^2 / 2), k = 2 pi f / c, S the Ishaq & Jones (1977) propagation parameter (module
    docstring). band: None (nominal), "low" or "high": F at the point of the parameter box (c/v x [0.95, 1.05],
    alpha x [0.7, 1.3]) with the smallest / largest |F| at each frequency. Shape of freq_hz (scalar or 1-D).
    """
    model = _model(model)
    if band not in (None, "low", "high"):
        raise SpecError(f"band must be None, 'low' or 'high'; got {band!r}")
    f = _frequencies(freq_hz, _max_hz(model), model)
    if model == "quasi-static":
        return np.ones(f.shape, complex)[()]
    if band is None:
        return _cavity_factor(f)[()]
    grid = _band_grid(f)
    idx = np.argmin(np.abs(grid), axis=0) if band == "low" else np.argmax(np.abs(grid), axis=0)
    return np.take_along_axis(grid, idx[None], axis=0)[0][()]


def earth_field_factor_band(freq_hz):
    """(lo, hi): envelope of the cavity |F(f)| over c/v x [0.95, 1.05] and alpha x [0.7, 1.3] (dimensionless).

    An 11 x 11 grid over the box (module docstring); shape of freq_hz, 0 < f <= CAVITY_MAX_HZ.
    """
    f = _frequencies(freq_hz, CAVITY_MAX_HZ, "cavity")
    a = np.abs(_band_grid(f))
    return a.min(axis=0)[()], a.max(axis=0)[()]


def schumann_eigenfrequencies_hz(n_modes: int = 3, *, velocity_scale: float = 1.0,
                                 attenuation_scale: float = 1.0) -> np.ndarray:
    """Complex eigenfrequencies f_n (Hz), n = 1..n_modes, of n(n+1) = (k R_E S(f))^2 (Ishaq & Jones 1977 S).

    With e^{-i w t} phasors Im f_n < 0 (decay); the quality factor is Q_n = Re f_n / (2 |Im f_n|).
    Newton iteration in the complex f plane from the lossless value c sqrt(n(n+1)) / (2 pi R_E).
    """
    if not isinstance(n_modes, (int, np.integer)) or not 1 <= n_modes <= 10:
        raise SpecError(f"n_modes must be an integer in [1, 10]; got {n_modes!r}")
    out = np.empty(n_modes, complex)
    for n in range(1, n_modes + 1):
        target = n * (n + 1)

        def g(z, target=target):
            s = propagation_parameter(z, velocity_scale=velocity_scale, attenuation_scale=attenuation_scale)
            return (2.0 * np.pi * z * EARTH_RADIUS_M / C_M_S * s) ** 2 - target

        z = complex(C_M_S * math.sqrt(target) / (2.0 * math.pi * EARTH_RADIUS_M) / 1.3, -0.5)
        for _ in range(100):
            h = 1e-6 * abs(z)
            step = g(z) / ((g(z + h) - g(z - h)) / (2.0 * h))
            z -= step
            if abs(step) < 1e-12 * abs(z):
                break
        else:  # pragma: no cover - the iteration converges in < 10 steps for these parameters
            raise SpecError(f"no Schumann eigenfrequency found for n = {n} with these scales")
        out[n - 1] = z
    return out


def lossless_shell_factor(freq_hz, height_m: float, radius_m: float = EARTH_RADIUS_M):
    """Exact F(f) = B(r = radius_m) / ((mu0 R / 2) J x u_up) in a perfectly conducting spherical shell (dimensionless).

    Full Maxwell solution of the gap R < r < R + h driven by a uniform J (module docstring): B = g(r) z_J x r_hat,
    g = a j1(kr) + b y1(kr), (1/r) d(r g)/dr = mu0 |J| at r = R and R + h. Tends to 1 as f -> 0 for any h, and to
    1 / (1 - (kR)^2 / 2) as h / R -> 0. freq_hz scalar or 1-D, > 0; height_m > 0; radius_m > 0.
    """
    f = _frequencies(freq_hz, np.inf, "lossless shell")
    for value, name in ((height_m, "height_m"), (radius_m, "radius_m")):
        if not (np.isfinite(value) and value > 0):
            raise SpecError(f"{name} must be a finite number > 0 (m); got {value!r}")
    k = 2.0 * np.pi * np.atleast_1d(f) / C_M_S
    radii = np.array([radius_m, radius_m + height_m])

    def d_rz_over_r(fun, x, r):  # (1/r) d(r z1(k r))/dr = (z1(x) + x z1'(x)) / r
        return (fun(1, x) + x * fun(1, x, derivative=True)) / r

    out = np.empty(k.shape, complex)
    for i, ki in enumerate(k):
        x = ki * radii
        a = np.column_stack([d_rz_over_r(spherical_jn, x, radii), d_rz_over_r(spherical_yn, x, radii)])
        coef = np.linalg.solve(a, np.ones(2))  # mu0 |J| = 1
        g_r = coef[0] * spherical_jn(1, ki * radius_m) + coef[1] * spherical_yn(1, ki * radius_m)
        out[i] = g_r / (radius_m / 2.0)
    return out.reshape(f.shape)[()]


def _polarization(polarization) -> np.ndarray:
    try:
        p = np.asarray(polarization, dtype=complex)
    except (TypeError, ValueError):
        raise SpecError(f"polarization must be a complex or real 3-vector; got {polarization!r}") from None
    if p.shape != (3,):
        raise SpecError(f"polarization must be a 3-vector (celestial X, Y, Z); got shape {p.shape}")
    if not np.all(np.isfinite(p)):
        raise SpecError(f"polarization must be finite (no NaN or inf); got {polarization!r}")
    norm = float(np.linalg.norm(p))
    if not (0.0 < norm < np.inf):
        raise SpecError("polarization must be a non-zero vector; got the zero vector")
    return p / norm


def _finite(value, name: str, lo: float, hi: float, unit: str, hi_open: bool = False) -> float:
    rng = f"[{lo}, {hi}{')' if hi_open else ']'}"
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{name} must be a number in {rng} {unit}; got {value!r}") from None
    ok = math.isfinite(x) and lo <= x and (x < hi if hi_open else x <= hi)
    if not ok:
        raise SpecError(f"{name} must be a finite number in {rng} {unit}; got {value!r}")
    return x


def earth_surface_field(latitude_deg, longitude_deg, polarization, freq_hz, *, eps: float = 1.0,
                        era_rad: float = 0.0, rho_gev_cm3: float = RHO_DM_GEV_CM3, model: str = "quasi-static"):
    """Phasor B (tesla) at the Earth's surface in local (east, north, up) components, B(t) = Re[B e^{-i w t}].

    B = F(f) (mu0 R_E / 2) J0 xi x u_up (Fedderke et al. 2021, Phys. Rev. D 104, 075023, arXiv:2106.00022), R_E =
    6371 km, J0 = eps sqrt(2 rho / mu0) (2 pi f / c), F from ``earth_field_factor`` (1 for "quasi-static").
    latitude_deg in [-90, 90], longitude_deg in [-180, 360) (deg, east positive); polarization: the celestial
    polarization xi of J_eff (complex or real 3-vector, normalised here; zero/NaN refused); freq_hz (Hz) scalar ->
    (3,), 1-D -> (n_f, 3), in (0, 2] Hz (quasi-static) or (0, 1000] Hz (cavity; fitted on 5-50 Hz); eps >= 0; rho_gev_cm3 > 0 (GeV/cm^3);
    era_rad: the Earth rotation angle at t = 0: the phasor is for the local frame at that instant (the sidereal
    turning of the frame over time is not included; evaluate at other era_rad for that).
    """
    model = _model(model)
    lat = _finite(latitude_deg, "latitude_deg", -90.0, 90.0, "deg")
    lon = _finite(longitude_deg, "longitude_deg", -180.0, 360.0, "deg", hi_open=True)
    xi = _polarization(polarization)
    f = _frequencies(freq_hz, _max_hz(model), model)
    eps = _finite(eps, "eps", 0.0, np.inf, "(kinetic mixing)", hi_open=True)
    era = _finite(era_rad, "era_rad", -1e12, 1e12, "rad")
    try:
        rho = float(rho_gev_cm3)
    except (TypeError, ValueError):
        raise SpecError(f"rho_gev_cm3 must be a finite number > 0 (GeV/cm^3); got {rho_gev_cm3!r}") from None
    if not (math.isfinite(rho) and rho > 0.0):
        raise SpecError(f"rho_gev_cm3 must be a finite number > 0 (GeV/cm^3); got {rho_gev_cm3!r}")
    xi_enu = enu_axes(lat, era + math.radians(lon)) @ xi  # local (east, north, up) components of xi
    b_unit = np.array([xi_enu[1], -xi_enu[0], 0.0])  # xi x u_up with u_up = (0, 0, 1) locally: exactly horizontal
    j0 = j_eff_a_m2(eps, 1.0, rho) * f  # J0 is linear in f
    amp = 0.5 * MU0_H_M * EARTH_RADIUS_M * j0 * earth_field_factor(f, model)
    return np.multiply.outer(amp, b_unit)


def leak_source_matrix_lab(freq_hz, *, model: str = "quasi-static"):
    """Complex M (tesla per A/m^2) with B_E,lab = M J_lab: (mu0 R_E / 2) F(f) (J_lab x z_hat), z_hat = up.

    The lab (room) frame has z up and x, y horizontal (``amails_fem.frames.lab_axes``), so
    J x z_hat = (J_y, -J_x, 0). freq_hz scalar -> (3, 3), 1-D -> (n_f, 3, 3); model as ``earth_field_factor``.
    """
    model = _model(model)
    f = _frequencies(freq_hz, _max_hz(model), model)
    cross_z = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    amp = 0.5 * MU0_H_M * EARTH_RADIUS_M * earth_field_factor(f, model)
    return np.multiply.outer(amp, cross_z)
