"""Mesh refinement of a room solve: the wall field at mesh sizes h, h/r, h/r^2, ..., the observed order and the
Richardson estimate of the finest level's error.

With e_k = || B_k - B_{k+1} || (relative rms over the wall-map points, all walls and polarizations), a solution that
converges as C h^p gives e_k / e_{k+1} = r^p, so the observed order is p = ln(e_{k-1} / e_k) / ln r (three or more
levels), and the error of the finest level is estimated as e_last / (r^p - 1) (L. F. Richardson, Phil. Trans. R. Soc.
A 210 (1911) 307; P. J. Roache, J. Fluids Eng. 116 (1994) 405). With two levels the expected order of the element
(p = 1 for P1 and p = 2 for P2 in the field, the gradient of the potential) is assumed and reported as such.
"""

from __future__ import annotations

import numpy as np

from amails_fem.environment.solve import solve_room
from amails_fem.errors import SpecError
from amails_fem.fields.fieldmap import POLARIZATIONS, sample_walls, wall_patches
from amails_fem.log import Progress
from amails_fem.meshing.rooms import resolve_sizes
from amails_fem.validate import require_range

EXPECTED_ORDER = {1: 1.0, 2: 2.0}  # field (gradient) convergence order of P1 / P2 Lagrange elements


def check_refine(levels, ratio) -> tuple[int, float]:
    """SpecError unless levels is an integer in [2, 4] and ratio a number in [1.2, 4]."""
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or not 2 <= levels <= 4:
        raise SpecError(f"--refine must be an integer in [2, 4] (mesh levels); got {levels!r}")
    return int(levels), require_range(ratio, "--refine-ratio", 1.2, 4.0)


def refine_room(spec, levels: int = 3, ratio: float = 2.0, *, order: int = 2, mesh_size_m: float | None = None,
                wall_size_m: float | None = None, standoff_m: float = 0.01, grid: int = 21,
                progress: Progress | None = None, use_cache: bool = True) -> tuple[dict, object, object]:
    """Solve the perfectly conducting room at mesh sizes h / r^k (k = 0 .. levels-1, the wall size scaled alike) and
    compare the wall maps (grid x grid points per wall at standoff_m).

    Returns (convergence block, finest response, finest wall map). The block holds the sizes, DOFs, the relative
    rms and max differences between successive levels, the observed order, the Richardson error estimate of the
    finest level, and per polarization the max tangential wall field at each level (units of mu0 J L) with its
    Richardson extrapolation. Inputs are checked before any meshing.
    """
    levels, ratio = check_refine(levels, ratio)
    h, hw = resolve_sizes(spec, mesh_size_m, wall_size_m)
    sizes = [(h / ratio**k, hw / ratio**k) for k in range(levels)]
    for size, wall in sizes:
        resolve_sizes(spec, size, wall)  # the finest mesh must pass the element-count guard before any work
    patches = wall_patches(spec, standoff_m, grid)
    weights = np.concatenate([p.area_m2.ravel() for p in patches])
    progress = progress or Progress(quiet=True)
    fields, dofs, peaks, response, wall_map = [], [], [], None, None
    for k, (size, wall) in enumerate(sizes):
        progress.say(f"refinement level {k + 1}/{levels}: mesh size {size:.4g} m, walls {wall:.4g} m")
        response = solve_room(spec, order=order, mesh_size_m=size, wall_size_m=wall, progress=progress,
                              use_cache=use_cache)
        wall_map = sample_walls(response, standoff_m, grid)
        unit = wall_map.unit_field_t()
        # (3 pol, n points, 3 comp) over all walls
        fields.append(np.concatenate([wall_map.b_t_per_a_m2[p.name].reshape(3, -1, 3) for p in patches], axis=1))
        dofs.append(int(response.basis.N))
        peaks.append([wall_map.tangential_stats(j)["max"] / unit for j in range(3)])
    scale_rms = _rms(fields[-1], weights)
    scale_max = float(np.linalg.norm(fields[-1], axis=-1).max())
    d_rms = [_rms(fields[k] - fields[k + 1], weights) / scale_rms for k in range(levels - 1)]
    d_max = [float(np.linalg.norm(fields[k] - fields[k + 1], axis=-1).max()) / scale_max for k in range(levels - 1)]
    orders = [float(np.log(d_rms[k - 1] / d_rms[k]) / np.log(ratio)) for k in range(1, levels - 1)]
    expected = EXPECTED_ORDER[order]
    p = orders[-1] if orders else expected
    usable = np.isfinite(p) and p > 0.2  # a negative or tiny order: not in the asymptotic range
    factor = 1.0 / (ratio**p - 1.0) if usable else float("nan")
    peaks = np.array(peaks)  # (levels, 3 pol)
    block = {
        "method": "Richardson extrapolation over mesh sizes h / r^k of the wall-map field (all walls and "
                  "polarizations); differences relative to the finest level's rms (or max) |B|",
        "levels": levels, "ratio": ratio, "element_order": order,
        "mesh_size_m": [s for s, _ in sizes], "wall_size_m": [w for _, w in sizes], "dofs": dofs,
        "wall_map": {"standoff_m": standoff_m, "grid_points_per_side": grid},
        "difference_rms": d_rms, "difference_max": d_max,
        "observed_orders": orders,
        "order_used": float(p), "order_source": "observed from the last two differences" if orders else
                                                 f"assumed: the expected order {expected:g} of P{order}",
        "expected_order": expected,
        "error_estimate_rms_finest": float(d_rms[-1] * factor),
        "error_estimate_max_finest": float(d_max[-1] * factor),
        "max_tangential_mu0JL": {pol: {"levels": peaks[:, j].tolist(),
                                       "extrapolated": float(peaks[-1, j] + (peaks[-1, j] - peaks[-2, j]) * factor)}
                                 for j, pol in enumerate(POLARIZATIONS)},
        "outputs_from": "the finest level",
    }
    return block, response, wall_map


def _rms(b: np.ndarray, weights: np.ndarray) -> float:
    """Area-weighted rms of |b| over the wall points, averaged over the polarizations: b (3, n, 3)."""
    return float(np.sqrt((np.sum(b**2, axis=-1) * weights).sum() / (3 * weights.sum())))
