"""Sidereal modulation: a polarization fixed in the celestial frame, seen from a room that turns with the Earth.

Frames (stated once, used everywhere):
  - celestial frame (X, Y, Z): equatorial, Z along the Earth's rotation axis (north celestial pole), X towards the
    direction of zero Earth rotation angle (ERA, IERS 2010; within arcminutes of the vernal equinox), Y = Z x X.
  - local frame at a site of latitude lat, longitude lon (east positive): local sidereal angle
    theta(t) = ERA(t) + lon; East = (-sin th, cos th, 0), North = (-sin lat cos th, -sin lat sin th, cos lat),
    Up = (cos lat cos th, cos lat sin th, sin lat) in celestial components.
  - room frame: x at azimuth alpha from north towards east, x = sin(alpha) East + cos(alpha) North, z = Up,
    y = z x x.
The lab-frame polarization p_lab(t) = E(theta(t)) P (rows of E are the room axes in celestial components) has
only the harmonics exp(i m theta), m = -1, 0, 1, so a sensor's line at f splits into f and f +/- f_sidereal
(physics.md sec. 4). With phasors x(t) = Re[X exp(-i 2 pi f t)], the part of p_lab at frequency f + l f_sid
(line offset l = -1, 0, +1) is Lambda_l P with Lambda_l = M_{-l} exp(-i l theta_ref), where
E(theta) = sum_m M_m exp(i m theta) and theta_ref is the site's sidereal angle at the reference time t_ref:
    s_i(t) = Re[ sum_l (T_i . Lambda_l P) exp(-i 2 pi (f + l f_sid) (t - t_ref)) ].
"""

from __future__ import annotations

import numpy as np

from amails_fem.units import F_SIDEREAL_HZ

LINE_OFFSETS = (-1, 0, 1)  # line l is at f + l * f_sidereal
LINE_NAMES = ("f-fsid", "f", "f+fsid")
POLARIZATION_NAMES = ("X", "Y", "Z")  # celestial basis
UNIX_J2000_S = 946_728_000.0  # 2000-01-01T12:00:00 UTC (JD 2451545.0) as UNIX time


def earth_rotation_angle_rad(unix_s) -> np.ndarray:
    """Earth rotation angle (rad), IERS 2010: 2 pi (0.7790572732640 + 1.00273781191135448 (JD - 2451545)); UT1 ~ UTC."""
    d = (np.asarray(unix_s, float) - UNIX_J2000_S) / 86400.0
    frac = np.mod(0.7790572732640 + 0.00273781191135448 * d + np.mod(d, 1.0), 1.0)
    return 2.0 * np.pi * frac


def local_sidereal_angle_rad(site, unix_s) -> np.ndarray:
    """theta = ERA(t) + longitude (rad): the site's angle about the Earth's axis in the celestial frame."""
    return earth_rotation_angle_rad(unix_s) + np.deg2rad(site.longitude_deg)


def lab_axes(site, theta_rad) -> np.ndarray:
    """E(theta): (..., 3, 3) rows = room x, y, z axes in celestial components, so p_lab = E P."""
    th = np.asarray(theta_rad, float)
    lat, az = np.deg2rad(site.latitude_deg), np.deg2rad(site.room_x_azimuth_deg)
    c, s = np.cos(th), np.sin(th)
    z0 = np.zeros_like(th)
    east = np.stack([-s, c, z0], -1)
    north = np.stack([-np.sin(lat) * c, -np.sin(lat) * s, np.cos(lat) + z0], -1)
    up = np.stack([np.cos(lat) * c, np.cos(lat) * s, np.sin(lat) + z0], -1)
    x = np.sin(az) * east + np.cos(az) * north
    y = np.cross(up, x)
    return np.stack([x, y, up], -2)


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


def line_templates(lab_t, site_of_sensor, sites: dict, t_ref_unix_s: float) -> np.ndarray:
    """Per-line celestial templates A[l, f, i, K] = sum_k T[f, i, k] Lambda_l(site_i)[k, K] (tesla per unit eps).

    lab_t: complex (n_freq, n_sensor, 3) lab-frame templates; site_of_sensor: site name per sensor."""
    lab_t = np.asarray(lab_t)
    out = np.empty((3,) + lab_t.shape, complex)
    for name in set(site_of_sensor):
        idx = [i for i, s in enumerate(site_of_sensor) if s == name]
        lam = line_weights(sites[name], t_ref_unix_s)
        out[:, :, idx, :] = np.einsum("fik,lkK->lfiK", lab_t[:, idx, :], lam)
    return out


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
