"""Small feedthroughs as dipoles: Bethe's small hole times the below-cutoff attenuation of a tube (docs/openings.md).

A circular hole of radius a in a thin perfectly conducting plane, with the tangential field H_t on one side (the
field there with the hole closed), leaks the field of a magnetic dipole into the other side,

    m = -(8/3) a^3 H_t          (Bethe 1944, Phys. Rev. 66, 163; Jackson, Classical Electrodynamics, 3rd ed.,
                                  sec. 9.5 / 10.9: the free-space equivalent of the dipole at the hole)

(A m^2 for H_t in A/m), and a tube of length L (a chimney) multiplies it by the lowest (TE11-like, m = 1) Neumann
mode's attenuation exp(-x11 L / a), x11 = 1.8412 (J1'(x11) = 0). Behind the wall, B = mu0 (3 r_hat (r_hat . m) - m)
/ (4 pi r^3). This is a cheap correction for holes far from everything else (a << their distance to edges, other
openings and the sensors); the finite-element check (tests/rooms/test_feedthrough.py) finds the FE moment 1.04 x the
formula for a plain hole (FE bias at rims a/10) and 1.08, 1.12, 1.16 x for L = 0.5 a, a, 2 a: a tube's mouth
sticking out into the field collects a little more than a hole in the plane.
"""

from __future__ import annotations

import numpy as np

from amails_fem import units
from amails_fem.validate import as_points, require_positive, require_range

X11 = 1.8412  # first zero of J1': the lowest transverse (m = 1) Neumann mode of a disc


def tube_attenuation(radius_m: float, length_m: float) -> float:
    """exp(-1.8412 L / a): the below-cutoff attenuation of the transverse field along a tube of length L."""
    a = require_positive(radius_m, "radius_m")
    length = require_range(length_m, "length_m", 0.0, np.inf, "m")
    return float(np.exp(-X11 * length / a))


def feedthrough_dipole_am2(radius_m: float, length_m: float, h_t_a_m) -> np.ndarray:
    """m = -(8/3) a^3 H_t exp(-1.8412 L / a) (A m^2) for the tangential field H_t (A/m, a 3-vector in the wall's
    plane, with the hole closed) at a hole of radius a through a tube of length L (0: a hole in a thin wall)."""
    a = require_positive(radius_m, "radius_m")
    h = np.asarray(h_t_a_m, float)
    return -(8.0 / 3.0) * a**3 * h * tube_attenuation(a, length_m)


def dipole_field_t(points_m, position_m, moment_am2) -> np.ndarray:
    """B (N, 3) in tesla of a magnetic dipole moment (A m^2) at position_m: mu0 (3 r (r . m) - m r^2) / (4 pi r^5)."""
    r = as_points(points_m) - np.asarray(position_m, float)
    d = np.linalg.norm(r, axis=1, keepdims=True)
    m = np.asarray(moment_am2, float)
    return units.MU0_H_M / (4 * np.pi) * (3 * r * (r @ m)[:, None] / d**5 - m / d**3)
