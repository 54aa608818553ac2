"""Figures of the room in its environment: leak/own at the sensors over frequency, and the shielding it needs."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from amails_fem.plotting.figures import subplots


def plot_leak_over_own(report, title: str = "") -> Figure:
    """leak/own amplitude ratio per sensor (labelled) with the ambient model's band, and the crossing frequency."""
    fig, ax = subplots(figsize=(7.5, 4.4))
    f = report.freqs_hz
    for i, sid in enumerate(report.sensor_ids):
        line, = ax.loglog(f, report.ratio[:, i], lw=1.2, label=sid)
        ax.fill_between(f, report.ratio_band[0, :, i], report.ratio_band[1, :, i], color=line.get_color(),
                        alpha=0.12, lw=0)
    ax.axhline(1.0, color="k", lw=0.8, ls="--")
    top = float(np.nanmax(report.ratio_band[1])) if np.any(report.ratio > 0) else 10.0
    ax.set_ylim(1e-4, 3 * max(top, 10.0))  # the crossing region; far above it the leak is negligible anyway
    fc = report.crossing_all_hz
    if np.isfinite(fc):
        ax.axvline(fc, color="C3", lw=1, ls=":")
        ax.text(fc, 3e-4, f" own field dominates\n at every sensor above {fc:.3g} Hz", color="C3", fontsize=8)
    ax.set(xlabel="frequency (Hz)", ylabel="leak / own (polarization-averaged amplitude)",
           title=title or "Earth's dark-photon field let in through the shield vs the room's own field")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=6, ncol=3, title="sensor (band: ambient model)", title_fontsize=7)
    fig.set_layout_engine("tight")
    return fig


def plot_shielding_needed(report, title: str = "") -> Figure:
    """S(f) of the stack at the centre (ideal closed shells) against the S each sensor would need for own > leak."""
    fig, ax = subplots(figsize=(7, 4.2))
    f = report.freqs_hz
    need = report.shielding_needed
    ax.fill_between(f, need.min(axis=1), need.max(axis=1), color="C1", alpha=0.3, lw=0,
                    label="S needed for own > leak (range over sensors)")
    ax.loglog(f, need.max(axis=1), color="C1", lw=1)
    ax.loglog(f, report.shielding_stack, color="C0", lw=1.5,
              label="S of the wall stack (ideal closed shells: no seams or doors)")
    ax.set(xlabel="frequency (Hz)", ylabel="shielding factor S", title=title or "shielding needed vs shielding had")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.set_layout_engine("tight")
    return fig
