"""Haloscope sensitivity: radiometer equation, receiver coupling, scan rate and kinetic-mixing reach (SI units).

Conventions (phasors x(t) = Re[X e^{-i w t}], amplitudes, time-averaged powers):

  signal in the cavity   P_c = eps^2 rho_DM omega V G Q_L <cos^2 theta>          (W)
      Dai, Li & Zhang, Chin. Phys. C 49, 053105 (2025), arXiv:2407.01070, eq. 57 with |dA/dt|^2 = 2 rho x,
      x = 1 and kappa Q -> the loaded Q; the same as Arias et al., JCAP 06 (2012) 013, arXiv:1201.5902.
  receiver coupling      Q_L = Q0 / (1 + beta),  P_rec = P_c beta / (1 + beta)
                             = eps^2 rho omega V G <cos^2> Q0 beta / (1 + beta)^2
  radiometer (Dicke)     SNR = P / (k_B T_sys) sqrt(t / b)
      R. H. Dicke, Rev. Sci. Instrum. 17, 268 (1946).
  dark-matter linewidth  b = f (v/c)^2 = f / Q_DM, Q_DM = 1e6 for v/c = 1e-3
  scan rate              df/dt = (f / Q_L) / t_step,  t_step = SNR^2 (k_B T_sys)^2 b / P_rec^2
                             = Q_DM P_rec^2 / (Q_L SNR^2 k_B^2 T_sys^2)
                             = Q_DM eps^4 rho^2 omega^2 G^2 V^2 <cos^2>^2 Q0 beta^2 / ((1 + beta)^3 SNR^2 k_B^2 T^2)
      one cavity linewidth f / Q_L per tuning step, valid for Q_L << Q_DM (the usual haloscope regime);
      beta^2 / (1 + beta)^3 is largest at beta = 2 (d/dbeta: 2 (1 + beta) = 3 beta).

Polarization: ``"random"`` <cos^2 theta> = 1/3 (direction re-drawn each coherence time), ``"aligned"`` (DP field
along the mode's axis, cos^2 = 1), or a number in (0, 1] (e.g. the fixed-polarization value of
amails_fem.cavities.limits.fixed_polarization_cos2 for the site and duration).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from amails_fem.cavities.formfactor import cavity_volume_m3, form_factor, unloaded_q
from amails_fem.errors import SpecError
from amails_fem.units import K_B_J_K, rho_j_m3
from amails_fem.validate import require_positive

V_OVER_C_DM = 1e-3       # galactic virial velocity over c: Q_DM = (c/v)^2 = 1e6
OPTIMAL_BETA = 2.0       # argmax of beta^2 / (1 + beta)^3: the scan-rate optimum for Q_L << Q_DM


# --------------------------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------------------------
def _positive_array(value, field: str, unit: str) -> np.ndarray:
    """float array with every entry finite and > 0, else SpecError naming ``field``."""
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise SpecError(f"{field} must be finite number(s) > 0 ({unit}); got {value!r}") from None
    if a.size == 0 or not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise SpecError(f"{field} must be finite number(s) > 0 ({unit}); got {value!r}")
    return a


def _out(a):
    """0-d arrays back to float."""
    return float(a) if np.ndim(a) == 0 else a


def cos2_polarization(polarization) -> float:
    """<cos^2 theta> for "random" (1/3), "aligned" (1) or a number in (0, 1]."""
    if isinstance(polarization, str):
        if polarization == "random":
            return 1.0 / 3.0
        if polarization == "aligned":
            return 1.0
        if polarization == "fixed":
            raise SpecError("polarization 'fixed' depends on site and duration: pass the number "
                            "amails_fem.cavities.limits.fixed_polarization_cos2(time_s, latitude_deg) in (0, 1]")
        raise SpecError(f"polarization must be 'random', 'aligned' or <cos^2 theta> in (0, 1]; got {polarization!r}")
    try:
        c = float(polarization)
    except (TypeError, ValueError):
        raise SpecError(f"polarization must be 'random', 'aligned' or <cos^2 theta> in (0, 1]; "
                        f"got {polarization!r}") from None
    if not (0.0 < c <= 1.0):
        raise SpecError(f"polarization <cos^2 theta> must be in (0, 1]; got {polarization!r}")
    return c


def _check_eps(eps) -> np.ndarray:
    a = np.asarray(eps, dtype=float)
    if not np.all(np.isfinite(a)) or np.any(a <= 0) or np.any(a > 1):
        raise SpecError(f"eps must be in (0, 1] (kinetic mixing); got {eps!r}")
    return a


def cavity_parameters(mode, q0=None) -> tuple[float, float, float, float]:
    """(freq_hz, G_E along z, volume_m3, Q0) of a CavityMode, or of a tuple (freq_hz, g, volume_m3, q0).

    ``q0`` overrides the unloaded Q (default: unloaded_q(mode), the wall losses of the mode).
    """
    if isinstance(mode, (tuple, list)):
        if len(mode) != 4:
            raise SpecError(f"cavity must be a CavityMode or (freq_hz, g, volume_m3, q0); got {mode!r}")
        f, g, v, q = mode
        q = q if q0 is None else q0
    else:
        f, g, v = mode.freq_hz, form_factor(mode, "z", "E"), cavity_volume_m3(mode)
        q = unloaded_q(mode) if q0 is None else q0
    f = require_positive(f, "freq_hz", "Hz")
    v = require_positive(v, "volume_m3", "m^3")
    q = require_positive(q, "q0", "dimensionless")
    try:
        g = float(g)
    except (TypeError, ValueError):
        raise SpecError(f"g (form factor) must be a number in (0, 1]; got {g!r}") from None
    if not (0.0 < g <= 1.0):
        raise SpecError(f"g (form factor) must be in (0, 1]; got {g!r}")
    return f, g, v, q


# --------------------------------------------------------------------------------------------------------------
# radiometer
# --------------------------------------------------------------------------------------------------------------
def dicke_snr(p_sig_w, t_sys_k, time_s, bandwidth_hz):
    """Radiometer SNR = P_sig / (k_B T_sys) sqrt(t / b) (Dicke, Rev. Sci. Instrum. 17, 268 (1946)); W, K, s, Hz.

    Valid for t b >> 1 (many independent noise samples in the signal bandwidth b).
    """
    p = np.asarray(p_sig_w, dtype=float)
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise SpecError(f"p_sig_w must be finite and >= 0 (W); got {p_sig_w!r}")
    t_sys = _positive_array(t_sys_k, "t_sys_k", "K")
    t = _positive_array(time_s, "time_s", "s")
    b = _positive_array(bandwidth_hz, "bandwidth_hz", "Hz")
    return _out(p / (K_B_J_K * t_sys) * np.sqrt(t / b))


def dm_linewidth_hz(freq_hz, v_over_c: float = V_OVER_C_DM):
    """Dark-matter signal bandwidth b = f (v/c)^2 (Hz): b = f / Q_DM with Q_DM = 1e6 for v/c = 1e-3.

    Convention: the full width of the line set by the virial velocity v, b = m v^2 / h (not m v^2 / (2 h)).
    """
    f = _positive_array(freq_hz, "freq_hz", "Hz")
    v = require_positive(v_over_c, "v_over_c", "dimensionless")
    if v >= 1.0:
        raise SpecError(f"v_over_c must be in (0, 1); got {v_over_c!r}")
    return _out(f * v**2)


def loaded_q(q0, beta):
    """Loaded quality factor Q_L = Q0 / (1 + beta) for coupling beta = Q0 / Q_ext."""
    return _out(_positive_array(q0, "q0", "dimensionless") / (1.0 + _positive_array(beta, "beta", "dimensionless")))


# --------------------------------------------------------------------------------------------------------------
# power and scan rate
# --------------------------------------------------------------------------------------------------------------
def signal_power_receiver_w(cavity, eps, *, beta: float = OPTIMAL_BETA, rho_gev_cm3: float = 0.45,
                            polarization="random", q0=None):
    """Signal power delivered to the receiver (W): eps^2 rho omega V G <cos^2> Q_L beta / (1 + beta).

    ``cavity``: a CavityMode or (freq_hz, g, volume_m3, q0). Eq. 57 of Dai, Li & Zhang, Chin. Phys. C 49, 053105
    (2025), arXiv:2407.01070, at the loaded Q_L = Q0 / (1 + beta), times the fraction beta / (1 + beta) that
    leaves through the coupling port (the rest heats the walls).
    """
    f, g, v, q = cavity_parameters(cavity, q0)
    b = require_positive(beta, "beta", "dimensionless")
    e = _check_eps(eps)
    rho = rho_j_m3(require_positive(rho_gev_cm3, "rho_gev_cm3", "GeV/cm^3"))
    cos2 = cos2_polarization(polarization)
    q_l = q / (1.0 + b)
    return _out(e**2 * rho * 2 * math.pi * f * v * g * cos2 * q_l * b / (1.0 + b))


def scan_rate_hz_s(cavity, eps, *, t_sys_k, snr, beta: float = OPTIMAL_BETA, rho_gev_cm3: float = 0.45,
                   polarization="random", v_over_c: float = V_OVER_C_DM, q0=None):
    """Scan rate df/dt (Hz/s) reaching kinetic mixing ``eps`` at signal-to-noise ``snr``.

    One cavity linewidth f / Q_L per step, each integrated for t = SNR^2 (k_B T)^2 b / P_rec^2 (Dicke):
    df/dt = (f / Q_L) P_rec^2 / (SNR^2 k_B^2 T^2 b), proportional to eps^4 G^2 V^2 Q_L / T^2 at fixed beta;
    valid for Q_L << Q_DM (module docstring).
    """
    f, _, _, q = cavity_parameters(cavity, q0)
    t_sys = _positive_array(t_sys_k, "t_sys_k", "K")
    s = require_positive(snr, "snr", "dimensionless")
    b = require_positive(beta, "beta", "dimensionless")
    p = signal_power_receiver_w(cavity, eps, beta=b, rho_gev_cm3=rho_gev_cm3, polarization=polarization, q0=q0)
    bw = dm_linewidth_hz(f, v_over_c)
    q_l = q / (1.0 + b)
    return _out((f / q_l) * np.asarray(p) ** 2 / (s**2 * (K_B_J_K * t_sys) ** 2 * bw))


def cavity_reach(mode, *, t_sys_k, time_s, snr, beta=2.0, rho_gev_cm3=0.45, q0=None, polarization="random") -> float:
    """Kinetic mixing eps reached at the mode's frequency after integrating ``time_s`` (s) at ``snr``.

    Solves SNR = P_rec(eps) / (k_B T_sys) sqrt(t / b) with b = f / Q_DM:
        eps^2 = SNR k_B T_sys sqrt(b / t) (1 + beta)^2 / (rho omega V G <cos^2> Q0 beta).
    ``mode``: a CavityMode (G_E along z, its volume, q0 defaulting to unloaded_q(mode)) or (freq_hz, g, volume_m3,
    q0). ``polarization``: "random" (<cos^2> = 1/3), "aligned" (1) or a number in (0, 1].
    """
    f, _, _, _ = cavity_parameters(mode, q0)
    t_sys = require_positive(t_sys_k, "t_sys_k", "K")
    t = require_positive(time_s, "time_s", "s")
    s = require_positive(snr, "snr", "dimensionless")
    p1 = signal_power_receiver_w(mode, 1.0, beta=beta, rho_gev_cm3=rho_gev_cm3, polarization=polarization, q0=q0)
    p_needed = s * K_B_J_K * t_sys * math.sqrt(dm_linewidth_hz(f) / t)
    return float(math.sqrt(p_needed / p1))


# --------------------------------------------------------------------------------------------------------------
# along a tuning curve
# --------------------------------------------------------------------------------------------------------------
@dataclass
class TuningReach:
    """eps(f) along one tracked mode of a tuning curve, with the time spent at each sample (SI)."""

    freq_hz: np.ndarray
    eps: np.ndarray
    fom_m6: np.ndarray       # G^2 V^2 Q_L (m^6), the scan-rate figure of merit at fixed T_sys
    dwell_s: np.ndarray      # integration time given to the band around each sample (sums to total_time_s)
    q_loaded: np.ndarray
    g: np.ndarray
    band_hz: np.ndarray      # |df| of tuning range each sample stands for
    allocation: str


def tuning_reach(curve, *, t_sys_k, total_time_s, snr, volume_m3, beta: float = OPTIMAL_BETA,
                 rho_gev_cm3: float = 0.45, polarization="random", track: int = 0,
                 allocation: str = "per_linewidth") -> TuningReach:
    """eps(f) along track ``track`` of a TuningCurve (freq_hz, g_e, q0 per step) scanned in ``total_time_s``.

    Each sample stands for the band |df| halfway to its neighbours. The time is split by the scan-rate rule:
      ``"per_linewidth"``: every cavity linewidth f / Q_L of the range gets the same time
          tau = T / sum(|df| Q_L / f); eps_i = cavity_reach(time_s = tau), so eps ~ (sqrt(f) G V Q0)^(-1/2);
      ``"constant_eps"``: dwell ~ 1 / scan rate so that one eps is reached everywhere:
          eps^4 = sum(|df_i| / r_i(eps = 1)) / T, with r ~ eps^4 from scan_rate_hz_s.
    A range the curve covers twice (a non-monotonic track) is paid for twice. ``volume_m3``: cavity volume.
    """
    t_total = require_positive(total_time_s, "total_time_s", "s")
    v = require_positive(volume_m3, "volume_m3", "m^3")
    b = require_positive(beta, "beta", "dimensionless")
    require_positive(t_sys_k, "t_sys_k", "K")
    require_positive(snr, "snr", "dimensionless")
    if allocation not in ("per_linewidth", "constant_eps"):
        raise SpecError(f"allocation must be 'per_linewidth' or 'constant_eps'; got {allocation!r}")
    freq = np.asarray(curve.freq_hz, dtype=float)
    if freq.ndim == 1:
        freq = freq[:, None]
    n_tracks = freq.shape[1]
    if isinstance(track, bool) or not isinstance(track, (int, np.integer)) or not 0 <= track < n_tracks:
        raise SpecError(f"track must be an index in [0, {n_tracks - 1}]; got {track!r}")
    f = freq[:, track]
    g = np.asarray(curve.g_e, dtype=float).reshape(freq.shape)[:, track]
    q0 = np.asarray(curve.q0, dtype=float).reshape(freq.shape)[:, track]
    if f.size < 2:
        raise SpecError("curve must have at least 2 steps")
    edges = np.concatenate([[f[0]], 0.5 * (f[1:] + f[:-1]), [f[-1]]])
    band = np.abs(np.diff(edges))
    q_l = q0 / (1.0 + b)
    kw = {"t_sys_k": t_sys_k, "snr": snr, "beta": b, "rho_gev_cm3": rho_gev_cm3, "polarization": polarization}
    if allocation == "per_linewidth":
        n_lw = band * q_l / f
        tau = t_total / n_lw.sum()
        eps = np.array([cavity_reach((fi, gi, v, qi), time_s=tau, **kw) for fi, gi, qi in zip(f, g, q0)])
        dwell = n_lw * tau
    else:
        rate1 = np.array([scan_rate_hz_s((fi, gi, v, qi), 1.0, **kw) for fi, gi, qi in zip(f, g, q0)])
        eps_c = (np.sum(band / rate1) / t_total) ** 0.25
        eps = np.full(f.shape, eps_c)
        dwell = band / (rate1 * eps_c**4)
    return TuningReach(freq_hz=f, eps=eps, fom_m6=g**2 * v**2 * q_l, dwell_s=dwell, q_loaded=q_l, g=g,
                       band_hz=band, allocation=allocation)
