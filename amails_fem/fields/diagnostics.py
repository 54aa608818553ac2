"""Error indicators of a solved room computed from its wall maps."""

from __future__ import annotations

import numpy as np

from amails_fem.fields.fieldmap import sample_walls


def wall_normal_residual(response, n: int = 21) -> dict:
    """|n . B| on the walls relative to |B| there (n . B = 0 exactly on a perfect conductor).

    Returns the max (dominated by edges and corners, where the field is least smooth) and the area-weighted rms
    ratio, over all walls and polarizations.
    """
    wall_map = sample_walls(response, standoff_m=1e-7 * response.spec.extent_m, n=n)
    comps = [(wall_map.components(p.name, k), p.area_m2) for p in wall_map.patches for k in range(3)]
    b_max = max(c["B_mag"].max() for c, _ in comps)
    ms_n = sum((c["B_n"] ** 2 * a).sum() for c, a in comps)
    ms_b = sum((c["B_mag"] ** 2 * a).sum() for c, a in comps)
    return {"max": float(max(np.abs(c["B_n"]).max() for c, _ in comps) / b_max), "rms": float(np.sqrt(ms_n / ms_b))}
