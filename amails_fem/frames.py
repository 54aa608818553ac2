"""Celestial, local and lab frames, and the Earth's rotation (used by the environment and the network).

  - celestial frame (X, Y, Z): equatorial, Z along the Earth's rotation axis (north celestial pole), X towards the
    direction of zero Earth rotation angle (ERA, IERS Conventions 2010; within arcminutes of the vernal equinox),
    Y = Z x X.
  - local frame at a site of latitude lat, longitude lon (east positive): local sidereal angle
    theta(t) = ERA(t) + lon; East = (-sin th, cos th, 0), North = (-sin lat cos th, -sin lat sin th, cos lat),
    Up = (cos lat cos th, cos lat sin th, sin lat) in celestial components.
  - lab (room) frame: x at azimuth alpha from north towards east, x = sin(alpha) East + cos(alpha) North, z = Up,
    y = z x x.
"""

from __future__ import annotations

import numpy as np

UNIX_J2000_S = 946_728_000.0  # 2000-01-01T12:00:00 UTC (JD 2451545.0) as UNIX time


def earth_rotation_angle_rad(unix_s) -> np.ndarray:
    """Earth rotation angle (rad), IERS 2010: 2 pi (0.7790572732640 + 1.00273781191135448 (JD - 2451545)); UT1 ~ UTC."""
    d = (np.asarray(unix_s, float) - UNIX_J2000_S) / 86400.0
    frac = np.mod(0.7790572732640 + 0.00273781191135448 * d + np.mod(d, 1.0), 1.0)
    return 2.0 * np.pi * frac


def local_sidereal_angle_rad(longitude_deg: float, unix_s) -> np.ndarray:
    """theta = ERA(t) + longitude (rad): the site's angle about the Earth's axis in the celestial frame."""
    return earth_rotation_angle_rad(unix_s) + np.deg2rad(longitude_deg)


def enu_axes(latitude_deg, theta_rad) -> np.ndarray:
    """(..., 3, 3): rows East, North, Up in celestial components at local sidereal angle theta_rad."""
    th = np.asarray(theta_rad, float)
    lat = np.deg2rad(np.asarray(latitude_deg, float))
    c, s = np.cos(th), np.sin(th)
    z0 = np.zeros_like(th + lat)
    east = np.stack([-s + z0, c + z0, z0], -1)
    north = np.stack([-np.sin(lat) * c + z0, -np.sin(lat) * s + z0, np.cos(lat) + z0], -1)
    up = np.stack([np.cos(lat) * c + z0, np.cos(lat) * s + z0, np.sin(lat) + z0], -1)
    return np.stack([east, north, up], -2)


def lab_axes(latitude_deg: float, room_x_azimuth_deg: float, theta_rad) -> np.ndarray:
    """E(theta): (..., 3, 3) rows = room x, y, z axes in celestial components, so p_lab = E P."""
    east, north, up = np.moveaxis(enu_axes(latitude_deg, theta_rad), -2, 0)
    az = np.deg2rad(room_x_azimuth_deg)
    x = np.sin(az) * east + np.cos(az) * north
    return np.stack([x, np.cross(up, x), up], -2)
