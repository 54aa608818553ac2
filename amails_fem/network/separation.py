"""Telling the room's own field from the leak of the ambient field (docs/environment.md, docs/physics.md sec. 5).

Inside the room the leak T . B_ambient is curl-free and, in a centrally symmetric room, even under r -> -r (nearly
uniform); the own field has curl B = mu0 J_eff and is odd. Hence
  - an opposite-wall pair with parallel axes, s(r) - s(-r), doubles the own field and cancels the leak;
  - a gradiometer (two parallel sensors a baseline apart) removes the uniform part of the leak;
  - an Ampere loop of tangential sensors integrates to mu0 J . S, the leak to ~0.
Real sensors sit a little off their nominal place and axis, so the rejection is finite: for axis errors delta the
pair leaves a leak residual ~ |B_leak| delta. pair_rejection measures that by Monte Carlo with the solved fields.
"""

from __future__ import annotations

import numpy as np

from amails_fem.network.response import rows_for
from amails_fem.validate import as_points, require_positive, unit_vector


def _rotate_small(axis: np.ndarray, angle_rad: float, rng) -> np.ndarray:
    """axis tilted by angle_rad about a random direction perpendicular to it."""
    r = rng.normal(size=3)
    perp = np.cross(axis, r)
    perp /= np.linalg.norm(perp)
    return np.cos(angle_rad) * axis + np.sin(angle_rad) * perp


def pair_rows(response, point_m, axis, freqs_hz, part: str) -> np.ndarray:
    """Rows (n_f, 3) of the opposite-wall pair s(r) - s(-r) with parallel axes, per unit lab-frame current."""
    p = as_points(point_m)[0]
    n = unit_vector(np.asarray(axis, float), "axis")
    r = rows_for(response, [p, -p], [n, n], freqs_hz, part=part)
    return r[:, 0] - r[:, 1]


def pair_rejection(response, point_m, axis, freqs_hz, *, position_sigma_m: float = 0.0,
                   axis_sigma_rad: float = 0.0, n_mc: int = 200, seed: int = 0) -> dict:
    """Own gain and leak rejection of the opposite-wall pair at +/- point_m along axis, per frequency.

    Returns arrays (n_f,): own_single, leak_single (row norms of one sensor, T per A/m^2), own_pair, leak_pair
    (nominal pair), and with errors (each coordinate of the second sensor off by N(0, position_sigma_m), its axis
    tilted by |N(0, axis_sigma_rad)|) the median and 95th percentile of the leak residual, and the leak/own ratio
    before (single sensor) and after (pair, 95th percentile) the combination.
    """
    f = np.atleast_1d(np.asarray(freqs_hz, float))
    p = as_points(point_m)[0]
    n = unit_vector(np.asarray(axis, float), "axis")
    if position_sigma_m:
        require_positive(position_sigma_m, "position_sigma_m", "m")
    if axis_sigma_rad:
        require_positive(axis_sigma_rad, "axis_sigma_rad", "rad")
    single = {part: rows_for(response, [p], [n], f, part=part)[:, 0] for part in ("own", "leak")}
    nominal = {part: pair_rows(response, p, n, f, part) for part in ("own", "leak")}
    rng = np.random.default_rng(seed)
    residual = np.empty((n_mc, f.size))
    for k in range(n_mc):
        q = -p + rng.normal(scale=position_sigma_m, size=3) if position_sigma_m else -p
        m = _rotate_small(n, abs(rng.normal(scale=axis_sigma_rad)), rng) if axis_sigma_rad else n
        leak = rows_for(response, [p, q], [n, m], f, part="leak")
        residual[k] = np.linalg.norm(leak[:, 0] - leak[:, 1], axis=-1)
    norm = {k: np.linalg.norm(v, axis=-1) for k, v in single.items()}
    own_pair = np.linalg.norm(nominal["own"], axis=-1)
    p95 = np.percentile(residual, 95, axis=0)
    return {"freqs_hz": f, "own_single": norm["own"], "leak_single": norm["leak"], "own_pair": own_pair,
            "leak_pair": np.linalg.norm(nominal["leak"], axis=-1), "leak_residual_median": np.median(residual, axis=0),
            "leak_residual_p95": p95, "leak_over_own_single": norm["leak"] / norm["own"],
            "leak_over_own_pair_p95": p95 / own_pair}
