"""Figures of the network stage: sensor layouts, limits, pair-SNR histograms."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from amails_fem.analysis.correlator import laplace_pdf, tail_ratio
from amails_fem.plotting.figures import subplots
from amails_fem.plotting.rooms import draw_net_outline, draw_sensors_on_net


def plot_placement(network, layouts: dict, title: str = "") -> Figure:
    """Each room's walls unfolded (the net of the wall maps) with the sensor layouts {label: [Sensor]}: a dot per
    sensor on its nearest wall with its ID, and its axis projected on the wall (arrow; open ring: axis mostly
    normal to the wall)."""
    rooms = sorted({s.room for lay in layouts.values() for s in lay})
    fig, axes = subplots(1, len(rooms), figsize=(7.5 * len(rooms), 5.2), squeeze=False)
    for ax, r in zip(axes[0], rooms):
        spec = network.rooms[r].geometry
        draw_net_outline(ax, spec)
        for c, (label, lay) in enumerate(layouts.items()):
            sensors = [(s.id, s.position_m, s.axis) for s in lay if s.room == r]
            if sensors:
                draw_sensors_on_net(ax, spec, sensors, color=f"C{c}", label=f"{label} ({len(sensors)})")
        ax.set_aspect("equal")
        ax.set(title=f"room {r}: walls unfolded around y_min", xlabel="unfolded wall coordinate (m)",
               ylabel="unfolded wall coordinate (m)")
        ax.legend(fontsize=7, loc="upper right")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.set_layout_engine("tight")
    return fig


def plot_limit(freq_hz, eps_limit, *, polarization_model: str = "isotropic", statistic: str = "",
               rho_dm_gev_cm3: float = 0.45, t_obs_s: float | None = None, inject: dict | None = None,
               title: str = "") -> Figure:
    """The 95% C.L. upper limit on eps per frequency (log-log). Up to 2000 frequencies every one is drawn; above,
    each of 400 log-spaced bins shows the range of its per-frequency limits and their median, labelled so."""
    fig, ax = subplots(figsize=(7, 4.2))
    f, e = np.asarray(freq_hz, float), np.asarray(eps_limit, float)
    good = np.isfinite(e) & (e > 0)
    f, e = f[good], e[good]
    model = f"{polarization_model} polarization, rho_DM = {rho_dm_gev_cm3:g} GeV/cm3" + (
        f", {statistic} statistic" if statistic else "")
    if f.size <= 2000:
        ax.loglog(f, e, color="C0", lw=0.8, label="95% C.L. upper limit at each frequency")
    else:
        nb = 400
        edges = np.geomspace(f[0], f[-1] * 1.0001, nb + 1)
        which = np.digitize(f, edges) - 1
        stats = np.full((nb, 3), np.nan)
        for k in np.unique(which):
            v = e[which == k]
            stats[k] = v.min(), np.median(v), v.max()
        fc = np.sqrt(edges[1:] * edges[:-1])
        ax.fill_between(fc, stats[:, 0], stats[:, 2], color="C0", alpha=0.25, lw=0,
                        label=f"min to max of the per-frequency limits in each of {nb} log bins")
        ax.loglog(fc, stats[:, 1], color="C0", label="median of the per-frequency 95% C.L. limits in each bin")
    if inject:
        ax.plot([inject["freq_hz"]], [inject["eps"]], "r*", ms=12, label="injected eps")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("kinetic mixing eps, 95% C.L. upper limit")
    ax.set_title(title or ("network limit" + (f", T_obs = {t_obs_s:.0f} s" if t_obs_s else "") + f"\n{model}"),
                 fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_snr_histograms(panels: list) -> Figure:
    """Histograms of pair SNRs like Jiang et al. (2024) Fig. 2e-g: panels = [(title, snr array)], Laplace prediction overlaid."""
    fig, axes = subplots(1, len(panels), figsize=(4 * len(panels), 3.4), sharey=True)
    axes = np.atleast_1d(axes)
    x = np.linspace(-8, 8, 400)
    for ax, (title, snr) in zip(axes, panels):
        ax.hist(snr, bins=np.linspace(-8, 8, 81), density=True, color="C1", alpha=0.7, label="simulated")
        ax.plot(x, laplace_pdf(x), "C0", label="uncorrelated noise")
        ax.set_yscale("log")
        ax.set_ylim(1e-5, 1)
        ax.set_title(f"{title}\nmean {np.mean(snr):+.3f}, tails >3/<-3: {tail_ratio(snr):.2f}", fontsize=9)
        ax.set_xlabel("SNR of Re(cross-spectrum)")
    axes[0].set_ylabel("density")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig
