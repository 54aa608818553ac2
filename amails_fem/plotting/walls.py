"""Figures of real walls: the signal at the sensors against the perfect conductor, S(f), wall maps."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps

from amails_fem.plotting.figures import subplots
from amails_fem.units import MU0_H_M

S_PLOT_MAX = 1e9  # the shielding axis ends here: ideal-shell values beyond it are not reached by real rooms
S_MEASURED_RANGE = (1e5, 1e6)
SHIELDING_CAVEAT_LINES = ("ideal closed shells: no seams, doors or holes.\n"
                          "Measured walk-in rooms saturate near S ~ 1e5-1e6\nbecause of seams and doors.")


def walls_figures(freqs, ratio, b_real, b_pec, s_sphere, s0, s_box, real, grid, map_freqs, spec, pol,
                  sensor_ids=None) -> dict:
    """{file name: Figure}: signal at the sensors real vs perfect, S(f) (ideal closed shells), |B| wall maps."""
    figs = {}
    fig, ax = subplots(1, 2, figsize=(11, 4))
    mu0 = MU0_H_M
    L = spec.size_m
    for i in range(b_real.shape[1]):
        name = sensor_ids[i] if sensor_ids is not None else f"point {i}"
        colour = colormaps["tab20"](i % 20)  # distinct colours for up to 20 sensors
        ax[0].semilogx(freqs, np.linalg.norm(np.abs(b_real[:, i]), axis=-1) / (mu0 * L), lw=1, label=name,
                       color=colour)
        ax[0].axhline(np.linalg.norm(b_pec[i]) / (mu0 * L), color=colour, ls=":", lw=1)
        ax[1].semilogx(freqs, ratio[:, i], lw=1, color=colour)
    ax[0].set(xlabel="frequency (Hz)", ylabel="|B| / (mu0 J L)",
              title=f"sensor points, J along {pol}: real wall (solid) vs perfect (dotted)")
    ax[0].legend(fontsize=6, ncol=2)
    ax[1].set(xlabel="frequency (Hz)", ylabel="|B_real| / |B_perfect|", title="real / perfect at each point")
    fig.set_layout_engine("tight")
    figs["signal_vs_frequency.png"] = fig
    fig, ax = subplots(figsize=(6.4, 4.6))
    curves = [np.asarray(s_sphere, float)] + ([] if s_box is None else [np.asarray(s_sphere) * s_box / s0])
    top = S_PLOT_MAX
    ax.loglog(freqs, s_sphere, label="nested spheres (same volume), 2-port layers")
    if s_box is not None:
        ax.loglog(freqs, curves[1], "--", label="scaled to the box's static S (thin-layer FE)")
        ax.axhline(s_box, color="gray", ls=":", label=f"box static S = {s_box:.3g}")
    ax.axhspan(*S_MEASURED_RANGE, color="C3", alpha=0.15, lw=0, label="where measured walk-in rooms saturate")
    lo = min(float(np.nanmin(c)) for c in curves)
    ax.set_ylim(max(0.3 * lo, 1.0), top)
    off = [f for f, s in zip(freqs, np.max(curves, axis=0)) if s > top]
    if off:
        ax.text(0.03, 0.93, f"S > {top:.0e} above {off[0]:.3g} Hz (off scale)".replace("e+0", "e"),
                transform=ax.transAxes, fontsize=7, va="top")
    ax.text(0.03, 0.80, SHIELDING_CAVEAT_LINES, transform=ax.transAxes, fontsize=7, va="top",
            bbox={"boxstyle": "round", "fc": "white", "ec": "C3", "alpha": 0.9})
    ax.set(xlabel="frequency (Hz)", ylabel="shielding factor S", title="S(f), uniform external field")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.set_layout_engine("tight")
    figs["shielding_factor.png"] = fig
    if hasattr(spec, "lx_m"):  # wall maps on x_max: |B| at each map frequency
        hy, hz = spec.ly_m / 2, spec.lz_m / 2
        y, z = np.meshgrid(np.linspace(-hy * 0.98, hy * 0.98, 41), np.linspace(-hz * 0.98, hz * 0.98, 41))
        pts = np.column_stack([np.full(y.size, spec.lx_m / 2 * 0.999), y.ravel(), z.ravel()])
        B = real.b_field(pts, pol)
        fig, axs = subplots(1, len(map_freqs), figsize=(4.2 * len(map_freqs), 3.6), squeeze=False)
        for a, f in zip(axs[0], map_freqs):
            k = int(np.argmin(np.abs(grid - f)))
            im = a.pcolormesh(y, z, (np.linalg.norm(np.abs(B[k]), axis=-1) / (mu0 * spec.size_m)).reshape(y.shape),
                              shading="auto")
            a.set(title=f"x_max wall, {grid[k]:.3g} Hz", xlabel="y (m)", ylabel="z (m)", aspect="equal")
            fig.colorbar(im, ax=a, label="|B| / (mu0 J L)")
        fig.set_layout_engine("tight")
        figs["wall_maps.png"] = fig
    return figs


def draw_shielding_seams(freqs_hz, curves: dict, measured=(), title: str | None = None):
    """S(f) curves {label: (n_f,)} of a modelled stack beside measured rooms [(room, layers, f, S, source)]."""
    fig, ax = subplots(1, 1, figsize=(8.5, 5.6), constrained_layout=True)
    for label, s in curves.items():
        ax.loglog(freqs_hz, s, lw=1.8, label=label)
    markers = iter("osD^vP*X")
    rooms = {}
    for room, layers, f, s, _src in measured:
        rooms.setdefault((room, layers), []).append((f, s))
    for (room, layers), pts in rooms.items():
        f, s = np.array(pts).T
        ax.loglog(f, s, next(markers), ms=7, ls="--" if len(f) > 1 else "", label=f"measured: {room} ({layers})")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("shielding factor S (closed-shell curves cut at 1e10)")
    ax.set_ylim(1.0, 1e10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title(title or "closed-shell model vs measured walk-in rooms")
    return fig
