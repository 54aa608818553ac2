"""Sidereal modulation: a polarization fixed in the celestial frame, seen from a room that turns with the Earth.

Frames: amails_fem/frames.py (celestial X, Y, Z; local East, North, Up; the room's x, y, z = Up).
The lab-frame polarization p_lab(t) = E(theta(t)) P (rows of E are the room axes in celestial components) has
only the harmonics exp(i m theta), m = -1, 0, 1, so a sensor's line at f splits into f and f +/- f_sidereal
(docs/physics.md sec. 4). With phasors x(t) = Re[X exp(-i 2 pi f t)], the part of p_lab at frequency f + l f_sid
(line offset l = -1, 0, +1) is Lambda_l P with Lambda_l = M_{-l} exp(-i l theta_ref), where
E(theta) = sum_m M_m exp(i m theta) and theta_ref is the site's sidereal angle at the reference time t_ref:
    s_i(t) = Re[ sum_l (T_i . Lambda_l P) exp(-i 2 pi (f + l f_sid) (t - t_ref)) ].
"""

from __future__ import annotations

import numpy as np

from amails_fem import frames
from amails_fem.units import F_SIDEREAL_HZ

LINE_OFFSETS = (-1, 0, 1)  # line l is at f + l * f_sidereal
LINE_NAMES = ("f-fsid", "f", "f+fsid")
POLARIZATION_NAMES = ("X", "Y", "Z")  # celestial basis


def local_sidereal_angle_rad(site, unix_s) -> np.ndarray:
    """theta = ERA(t) + longitude (rad) of a site (amails_fem/frames.py)."""
    return frames.local_sidereal_angle_rad(site.longitude_deg, unix_s)


def lab_axes(site, theta_rad) -> np.ndarray:
    """E(theta) of a site's room: (..., 3, 3) rows = room x, y, z in celestial components (amails_fem/frames.py)."""
    return frames.lab_axes(site.latitude_deg, site.room_x_azimuth_deg, theta_rad)


def harmonics(site) -> np.ndarray:
    """M_m, m = -1, 0, 1: complex (3, 3, 3) with E(theta) = sum_m M_m exp(i m theta) (exact: E has no other harmonic)."""
    k = 8
    th = 2 * np.pi * np.arange(k) / k
    e = lab_axes(site, th)
    return np.stack([np.einsum("j,jab->ab", np.exp(-1j * m * th), e) / k for m in (-1, 0, 1)])


def line_weights(site, t_ref_unix_s: float) -> np.ndarray:
    """Lambda_l, l = -1, 0, 1: complex (3 lines, 3 lab, 3 celestial): the part of p_lab at f + l f_sid, phases
    referred to t_ref (module docstring)."""
    m = harmonics(site)  # index 0,1,2 <-> m = -1,0,1
    th = float(local_sidereal_angle_rad(site, t_ref_unix_s))
    return np.stack([m[1 - l] * np.exp(-1j * l * th) for l in LINE_OFFSETS])


def sensor_line_weights(site_of_sensor, sites: dict, t_ref_unix_s: float) -> np.ndarray:
    """Lambda_l of every sensor's site, complex (n_sensor, 3 lines, 3 lab, 3 celestial) (line_weights)."""
    lam = {name: line_weights(sites[name], t_ref_unix_s) for name in set(site_of_sensor)}
    return np.stack([lam[name] for name in site_of_sensor])


def line_templates(lab_t, site_of_sensor, sites: dict, t_ref_unix_s: float) -> np.ndarray:
    """Per-line celestial templates A[l, f, i, K] = sum_k T[f, i, k] Lambda_l(site_i)[k, K] (tesla per unit eps).

    lab_t: complex (n_freq, n_sensor, 3) lab-frame templates; site_of_sensor: site name per sensor."""
    lam = sensor_line_weights(site_of_sensor, sites, t_ref_unix_s)  # (i, l, k, K)
    per_sensor = np.ascontiguousarray(np.swapaxes(np.asarray(lab_t), 0, 1))  # (i, f, k)
    return np.matmul(per_sensor[:, None], lam).transpose(1, 2, 0, 3)  # one (f, 3) x (3, 3) product per (i, l)


def short_run_templates(lab_t, site_of_sensor, sites: dict, t_mid_unix_s: float) -> np.ndarray:
    """Short-run regime (T_obs << 1 sidereal day, as AMAILS's 2000 s): one lab frame at the run's mid time, the
    triplet unresolved. Returns complex (n_freq, n_sensor, 3 celestial) = T . E(theta_mid)."""
    lab_t = np.asarray(lab_t)
    out = np.empty(lab_t.shape, complex)
    for name in set(site_of_sensor):
        idx = [i for i, s in enumerate(site_of_sensor) if s == name]
        e = lab_axes(sites[name], local_sidereal_angle_rad(sites[name], t_mid_unix_s))
        out[:, idx, :] = lab_t[:, idx, :] @ e
    return out


def regime(t_obs_s: float, resolve_fraction: float = 1.0, short_fraction: float = 0.05) -> str:
    """'short' if T_obs f_sid < short_fraction (one lab frame is enough), 'long' if T_obs f_sid >= resolve_fraction
    (the three lines fall in different bins), else 'intermediate'."""
    x = t_obs_s * F_SIDEREAL_HZ
    return "short" if x < short_fraction else ("long" if x >= resolve_fraction else "intermediate")


def lab_polarization(site, polarization, unix_s) -> np.ndarray:
    """p_lab(t) = E(theta(t)) P, complex (n_t, 3) for a celestial polarization P (3,)."""
    e = lab_axes(site, local_sidereal_angle_rad(site, np.atleast_1d(unix_s)))
    return np.einsum("tab,b->ta", e, np.asarray(polarization, complex))


def signal_timeseries(lab_t_sensor, site, polarization, freq_hz: float, unix_s, eps: float = 1.0) -> np.ndarray:
    """Real signal s(t) = eps Re[(T . p_lab(t)) exp(-i 2 pi f (t - t_0))] (tesla) of one sensor with lab template
    T (3,) at freq_hz; t_0 = unix_s[0]; the exact time domain behind the line decomposition."""
    t = np.atleast_1d(np.asarray(unix_s, float))
    p = lab_polarization(site, polarization, t)
    return eps * np.real((p @ np.asarray(lab_t_sensor, complex)) * np.exp(-2j * np.pi * freq_hz * (t - t[0])))
