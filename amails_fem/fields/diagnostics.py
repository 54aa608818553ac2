"""Error indicators of a solved room computed from its wall maps."""

from __future__ import annotations

import numpy as np

from amails_fem.fields.fieldmap import sample_walls


def wall_normal_residual(response, n: int = 21) -> dict:
    """|n . B| on the walls relative to |B| there (n . B = 0 exactly on a perfect conductor).

    Returns the max (dominated by edges and corners, where the field is least smooth) and the area-weighted rms
    ratio, over all walls and polarizations; over a room's openings (and near their rims) n . B = 0 does not
    hold, so those points are left out.
    """
    wall_map = sample_walls(response, standoff_m=1e-7 * response.spec.extent_m, n=n)
    comps = [(wall_map.components(p.name, k), _conductor_area(response.spec, p)) for p in wall_map.patches
             for k in range(3)]
    b_max = max(c["B_mag"].max() for c, _ in comps)
    ms_n = sum((c["B_n"] ** 2 * a).sum() for c, a in comps)
    ms_b = sum((c["B_mag"] ** 2 * a).sum() for c, a in comps)
    bn_max = max(float(np.abs(c["B_n"][a > 0]).max(initial=0.0)) for c, a in comps)
    return {"max": bn_max / b_max, "rms": float(np.sqrt(ms_n / ms_b))}


def _conductor_area(spec, patch) -> np.ndarray:
    """The patch's area weights, zero over openings (grown by 5 % of the room size: their rims are singular)."""
    if not getattr(spec, "openings", ()):
        return patch.area_m2
    pts = patch.points_m.reshape(-1, 3)
    margin = 0.05 * spec.size_m
    # project onto the wall plane: the footprint test looks at the wall the patch belongs to
    mask = spec.in_opening_footprint(pts + patch.normal.reshape(-1, 3) * (spec.distance_to_wall_m(pts)[:, None]),
                                     margin).reshape(patch.area_m2.shape)
    return np.where(mask, 0.0, patch.area_m2)
