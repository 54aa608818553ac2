"""Pictures of wall maps: an unfolded net (matplotlib) and a 3D view (pyvista, off-screen).

Colour: tangential wall field |B_t| in units of mu0 J L (L = V^(1/3)); arrows: its direction.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from amails_fem.fields.fieldmap import POLARIZATIONS, WallMap, net_positions, wall_patches
from amails_fem.io.files import atomic_path
from amails_fem.plotting.figures import subplots


def draw_net(wall_map: WallMap, title: str | None = None, arrows: int = 7, sensors=None) -> Figure:
    """One unfolded net per polarization (p = x, y, z); ``sensors``: optional [(id, position_m, axis)] drawn on
    their nearest wall with their IDs (box rooms)."""
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
