"""Pictures of wall maps: an unfolded net (matplotlib) and a 3D view (pyvista, off-screen).

Colour: tangential wall field |B_t| in units of mu0 J L (L = V^(1/3)); arrows: its direction.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from amails_fem.fields.fieldmap import POLARIZATIONS, WallMap, net_positions, wall_patches
from amails_fem.io.files import atomic_path
from amails_fem.plotting.figures import subplots


def net_position(patch, points_m: np.ndarray) -> np.ndarray:
    """Net coordinates (m, 2) of room-frame points on a wall patch's plane (the patch's affine net map)."""
    P = patch.points_m.reshape(-1, 3)
    normals = patch.normal.reshape(-1, 3)
    if np.ptp(normals, axis=0).max() > 1e-9:  # a cylinder's side: net (R theta, z)
        axis = patch.v.reshape(-1, 3)[0]
        net = patch.net_xy_m.reshape(-1, 2)
        i0 = int(np.argmin(np.abs(net[:, 0])))
        e1 = normals[i0]
        e2 = np.cross(axis, e1)
        theta = np.arctan2(P @ e2, P @ e1)
        near = np.abs(theta) < 2.0  # away from the seam at theta = +-pi: net x = c0 theta + c1 exactly
        (c0, c1), *_ = np.linalg.lstsq(np.stack([theta[near], np.ones(near.sum())], 1), net[near, 0], rcond=None)
        q = np.asarray(points_m, float)
        return np.stack([c0 * np.arctan2(q @ e2, q @ e1) + c1, q @ axis + (net[i0, 1] - P[i0] @ axis)], -1)
    n = normals[0]
    q = np.asarray(points_m, float)
    q = q - np.outer((q - P[0]) @ n, n)  # onto the patch's plane: the fit below is blind along n
    X = np.hstack([P, np.ones((len(P), 1))])
    coef, *_ = np.linalg.lstsq(X, patch.net_xy_m.reshape(-1, 2), rcond=None)
    return np.hstack([q, np.ones((len(q), 1))]) @ coef


def _draw_outlines(ax, wall_map: WallMap, outlines) -> None:
    for wall, pts in outlines or ():
        patch = next(p for p in wall_map.patches if p.name == wall)
        xy = net_position(patch, pts)
        ax.plot(xy[:, 0], xy[:, 1], color="cyan", lw=1.2)


def draw_net(wall_map: WallMap, title: str | None = None, arrows: int = 7, sensors=None, outlines=None) -> Figure:
    """One unfolded net per polarization (p = x, y, z); ``sensors``: optional [(id, position_m, axis)] drawn on
    their nearest wall with their IDs (box rooms); ``outlines``: optional [(wall, (m, 3) points)] drawn on the net
    (openings)."""
    unit = wall_map.unit_field_t()
    values = {(p.name, k): wall_map.components(p.name, k) for p in wall_map.patches for k in range(3)}
    vmax = max(float(v["B_t"].max()) for v in values.values()) / unit
    fig, axes = subplots(1, 3, figsize=(16, 5.6), constrained_layout=True)
    for k, ax in enumerate(axes):
        for patch in wall_map.patches:
            comp = values[(patch.name, k)]
            x, y = patch.net_xy_m[..., 0], patch.net_xy_m[..., 1]
            mesh = ax.pcolormesh(x, y, comp["B_t"] / unit, shading="gouraud", cmap="magma", vmin=0, vmax=vmax)
            step = max(1, x.shape[0] // arrows), max(1, x.shape[1] // arrows)
            sl = (slice(step[0] // 2, None, step[0]), slice(step[1] // 2, None, step[1]))
            ax.quiver(x[sl], y[sl], comp["B_u"][sl], comp["B_v"][sl], color="white", alpha=0.8,
                      pivot="middle", scale=25 * vmax * unit, width=0.004)
            cx, cy = x.mean(), y.mean()
            ax.text(cx, cy, patch.name, ha="center", va="center", color="cyan", fontsize=8, alpha=0.9)
        if sensors:
            draw_sensors_on_net(ax, wall_map.spec, sensors, color="lime")
        _draw_outlines(ax, wall_map, outlines)
        ax.set_aspect("equal")
        ax.set_title(f"polarization p = {POLARIZATIONS[k]}")
        ax.set_xlabel("unfolded wall coordinate (m)")
        ax.set_axis_off()
    cbar = fig.colorbar(mesh, ax=axes, shrink=0.8)
    cbar.set_label(r"tangential wall field $|B_t|$ / ($\mu_0 J L$)")
    fig.suptitle(title or f"{wall_map.spec.shape} room: wall field at {wall_map.standoff_m * 1e3:g} mm standoff")
    return fig


def draw_net_outline(ax, spec, color="0.5") -> None:
    """The unfolded walls of a room as outlined rectangles with their names (the net of wall_patches)."""
    for patch in wall_patches(spec, 1e-6 * spec.extent_m, 3):
        xy = patch.net_xy_m
        x0, x1 = xy[..., 0].min(), xy[..., 0].max()
        y0, y1 = xy[..., 1].min(), xy[..., 1].max()
        ax.plot([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0], color=color, lw=0.8)
        ax.text(x0 + 0.03 * (x1 - x0), y1 - 0.03 * (y1 - y0), patch.name, ha="left", va="top", fontsize=7,
                color=color)


def draw_sensors_on_net(ax, spec, sensors, color="C0", label=None) -> None:
    """Sensors [(id, position_m, axis)] on the unfolded net: a dot, the ID, and the axis's projection on the wall
    (an arrow; a ring where the axis is mostly normal to the wall)."""
    ids = [s[0] for s in sensors]
    rows = net_positions(spec, [s[1] for s in sensors], [s[2] for s in sensors])
    scale = 0.15 * spec.size_m
    for sid, row in zip(ids, rows):
        x, y = row["net_xy_m"]
        au, av, an = row["axis_uvn"]
        ax.plot([x], [y], "o", color=color, ms=4, mfc=color if abs(an) < 0.7 else "none")
        if abs(an) < 0.98:
            ax.annotate("", xy=(x + scale * au, y + scale * av), xytext=(x, y),
                        arrowprops={"arrowstyle": "->", "color": color, "lw": 1})
        ax.text(x + 0.03 * spec.size_m, y - 0.03 * spec.size_m, sid, fontsize=6, color=color, ha="left", va="top")
    if label:
        ax.plot([], [], "o", color=color, ms=4, label=label)
def draw_ratio_net(wall_map: WallMap, ratio: dict, outlines=None, sensors=None, title: str | None = None) -> Figure:
    """The net of a wall ratio map (e.g. polarization-rms |B_t| with / without openings), openings outlined,
    sensors [(id, wall, (m, 3) point)] marked with their reading ratio."""
    fig, ax = subplots(1, 1, figsize=(9, 6.4), constrained_layout=True)
    values = np.concatenate([r.ravel() for r in ratio.values()])
    lo, hi = np.percentile(values, [1, 99])  # the rims' singular spikes would wash the scale out
    span = max(abs(1 - lo), abs(hi - 1), 1e-3)
    for patch in wall_map.patches:
        x, y = patch.net_xy_m[..., 0], patch.net_xy_m[..., 1]
        mesh = ax.pcolormesh(x, y, ratio[patch.name], shading="gouraud", cmap="RdBu_r", vmin=1 - span,
                             vmax=1 + span)
        ax.text(x.mean(), y.mean() + 0.35 * (y.max() - y.min()), patch.name, ha="center", color="k", fontsize=8)
    _draw_outlines(ax, wall_map, outlines)
    for sid, wall, pt, value in sensors or ():
        patch = next(p for p in wall_map.patches if p.name == wall)
        xy = net_position(patch, np.atleast_2d(pt))[0]
        ax.plot(*xy, "k^", ms=5)
        ax.annotate(f"{sid} {value:.3f}", xy, xytext=(3, 3), textcoords="offset points", fontsize=6)
    ax.set_aspect("equal")
    ax.set_axis_off()
    cbar = fig.colorbar(mesh, ax=ax, shrink=0.8, extend="both")
    cbar.set_label(r"rms $|B_t|$ with openings / closed room (1-99 % range)")
    ax.set_title(title or f"change of the wall field by the openings ({wall_map.standoff_m * 1e3:g} mm standoff)")
    return fig


def draw_3d(wall_map: WallMap, path, window_size=(1500, 520)):
    """Write a PNG with a 3D view of |B_t| / (mu0 J L) on the walls for p = x, y, z (pyvista off-screen).

    The room is cut open: only the walls seen from inside (outward normal pointing away from the
    camera) are drawn.
    """
    import pyvista as pv
    from vtkmodules.vtkCommonCore import vtkLogger

    vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_OFF)  # off-screen: VTK's "bad X server connection" is noise
    unit = wall_map.unit_field_t()
    view = np.array([-1.0, -1.3, 0.9])
    view /= np.linalg.norm(view)
    distance = 4.2 * wall_map.spec.extent_m
    plotter = pv.Plotter(off_screen=True, shape=(1, 3), window_size=list(window_size))
    vmax = max(float(wall_map.components(p.name, k)["B_t"].max()) for p in wall_map.patches for k in range(3)) / unit
    for k in range(3):
        plotter.subplot(0, k)
        for patch in wall_map.patches:
            pts = patch.points_m
            grid = pv.StructuredGrid(pts[..., 0], pts[..., 1], pts[..., 2])
            grid.point_data["Bt"] = (wall_map.components(patch.name, k)["B_t"] / unit).ravel(order="F")
            grid.point_data["far"] = (patch.normal @ view < 0.05).astype(float).ravel(order="F")
            visible = grid.threshold(0.5, scalars="far", all_scalars=True)
            if visible.n_cells == 0:
                continue
            plotter.add_mesh(visible, scalars="Bt", cmap="magma", clim=(0, vmax), lighting=False,
                             show_scalar_bar=(k == 2), scalar_bar_args={"title": "|B_t| / (mu0 J L)"})
        plotter.add_text(f"p = {POLARIZATIONS[k]}", font_size=12)
        plotter.add_axes()
        plotter.camera_position = [tuple(distance * view), (0.0, 0.0, 0.0), (0.0, 0.0, 1.0)]
    with atomic_path(path) as tmp:
        plotter.screenshot(str(tmp))
    plotter.close()
    return path
