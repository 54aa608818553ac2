"""Figures of cavities: mode pictures and tuning curves."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from amails_fem.plotting.figures import subplots
from amails_fem.specs.cavities import RectangularCavity


def _section_grid(spec, n=48):
    """Points of the mid-height cross-section and of the side section y = 0 (each (n*n, 3)), and extents."""

    if isinstance(spec, RectangularCavity):
        xr, yr = (-spec.a_m / 2, spec.a_m / 2), (-spec.b_m / 2, spec.b_m / 2)
    else:
        R = spec.radius_m
        xr = (-R, R)
        yr = (0.0, R) if spec.shape == "half_cylinder" else (-R, R)
    h = spec.height_m
    xs = np.linspace(*xr, n)
    ys = np.linspace(*yr, n)
    zs = np.linspace(0, h, n)
    X, Y = np.meshgrid(xs, ys)
    top = np.column_stack([X.ravel(), Y.ravel(), np.full(X.size, h / 2)])
    X2, Z2 = np.meshgrid(xs, zs)
    yside = 1e-3 * (yr[1] - yr[0]) + (yr[0] if spec.shape == "half_cylinder" else 0.0)
    side = np.column_stack([X2.ravel(), np.full(X2.size, yside), Z2.ravel()])
    return top, side, (xr, yr, (0.0, h)), n


def plot_modes(spec, modes) -> Figure:
    """|E| of each mode on the mid-height cross-section (top row) and on the plane y = 0 (bottom row)."""
    top, side, (xr, yr, zr), n = _section_grid(spec)
    k = len(modes)
    fig, axes = subplots(2, k, figsize=(2.4 * k, 5.2), squeeze=False)
    for i, m in enumerate(modes):
        for row, (pts, ext) in enumerate(((top, (*xr, *yr)), (side, (*xr, *zr)))):
            e = np.linalg.norm(np.real(m.E(pts)), axis=1).reshape(n, n)
            ax = axes[row, i]
            im = ax.imshow(e / np.nanmax(e), origin="lower", extent=ext, cmap="magma", aspect="equal", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f"{m.label}\n{m.freq_hz / 1e9:.4f} GHz", fontsize=8)
    axes[0, 0].set_ylabel("z = h/2 (x-y)", fontsize=8)
    axes[1, 0].set_ylabel("y = 0 (x-z)", fontsize=8)
    fig.colorbar(im, ax=axes, shrink=0.8, label="|E| / max |E| (each mode)")
    fig.suptitle(f"|E| of the cavity modes ({modes[0].solver} solver)", fontsize=9)
    return fig


def plot_tuning(curve, spec=None) -> Figure:
    """Frequency (top) and G_E along z (bottom) of every followed mode against rod position; crossings marked."""
    x = curve.positions_m * 1e3
    fig, (a1, a2) = subplots(2, 1, figsize=(6.4, 6.2), sharex=True)
    for j in range(curve.freq_hz.shape[1]):
        lab = curve.labels[0][j]
        a1.plot(x, curve.freq_hz[:, j] / 1e9, "o-", ms=3, label=f"track {j} ({lab})")
        a2.plot(x, curve.g_e[:, j], "o-", ms=3)
    for c in curve.crossings:
        a1.plot(c["position_m"] * 1e3, c["freq_hz"] / 1e9, "kx", ms=9, mew=2)
    if curve.crossings:
        a1.plot([], [], "kx", label="crossing")
    a1.set_ylabel("frequency (GHz)")
    a2.set_ylabel("G_E along z")
    a2.set_xlabel(f"radial position of rod {curve.rod} (mm)")
    a1.legend(fontsize=7, ncol=2)
    title = "tuning curve" + (f": {spec.name}" if spec is not None and spec.name else "")
    a1.set_title(title)
    fig.tight_layout()
    return fig
