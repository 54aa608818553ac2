"""What the openings of a room change: readings at sensors and wall maps against the same room closed.

The polarization-averaged reading of a sensor with unit axis n is r = sqrt(sum_k (n . R_k)^2 / 3) (the rms over
a random polarization, docs/physics.md sec. 1); its ratio door / closed is what a search loses or gains there.
The wall-map ratio is that of sqrt(sum_k |B_t,k|^2 / 3) at each grid point.
"""

from __future__ import annotations

import numpy as np

from amails_fem.fields.fieldmap import WallMap


def sensor_comparison(open_response, closed_response, sensors) -> list[dict]:
    """One row per sensor (objects with id, position_m, axis): readings n . R (T per A/m^2, p = x, y, z) with and
    without the openings, the rms readings and their ratio."""
    if not sensors:
        return []
    pts = np.array([s.position_m for s in sensors], float)
    axes = np.array([s.axis for s in sensors], float)
    r_open = np.einsum("nc,nck->nk", axes, open_response.response_matrix(pts))
    r_closed = np.einsum("nc,nck->nk", axes, closed_response.response_matrix(pts))
    rms_open = np.sqrt((r_open**2).mean(axis=1))
    rms_closed = np.sqrt((r_closed**2).mean(axis=1))
    return [{"id": s.id, "position_m": list(map(float, s.position_m)), "axis": list(map(float, s.axis)),
             "closed_T_per_A_m2": r_closed[i].tolist(), "open_T_per_A_m2": r_open[i].tolist(),
             "rms_closed_T_per_A_m2": float(rms_closed[i]), "rms_open_T_per_A_m2": float(rms_open[i]),
             "ratio_rms": float(rms_open[i] / rms_closed[i]) if rms_closed[i] > 0 else None}
            for i, s in enumerate(sensors)]


def wall_ratio(open_map: WallMap, closed_map: WallMap) -> dict:
    """wall -> (nu, nv) ratio of the polarization-rms |B_t| with and without the openings (same grids)."""
    out = {}
    for patch in open_map.patches:
        rms = [np.sqrt(sum(m.components(patch.name, k)["B_t"] ** 2 for k in range(3)) / 3)
               for m in (open_map, closed_map)]
        out[patch.name] = rms[0] / np.where(rms[1] > 0, rms[1], np.inf)
    return out


def ratio_stats(ratio: dict) -> dict:
    """Per wall: min, max and mean of a wall ratio map."""
    return {w: {"min": float(r.min()), "max": float(r.max()), "mean": float(r.mean())} for w, r in ratio.items()}
