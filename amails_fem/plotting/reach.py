"""Figures of haloscope reach: eps(f) over a tuning range with the figure of merit, and LC-circuit scans.

Both return a ``matplotlib.figure.Figure`` built without pyplot (no backend is selected or changed); save it
with ``fig.savefig(path)``.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from amails_fem.units import ev_to_hz, hz_to_ev


def plot_tuning_reach(freq_hz, eps, fom, *, label: str = "reach", fom_label: str = r"$G^2 V^2 Q_L$ (m$^6$)",
                      title: str | None = None, limits=None) -> Figure:
    """eps(f) (log, left axis) over the tuning range in GHz, with the figure of merit G^2 V^2 Q_L (right axis).

    ``limits``: optional {label: (freq_hz, eps)} curves (e.g. converted axion limits) drawn on the eps axis.
    """
    f = np.asarray(freq_hz, dtype=float) / 1e9
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    ax.semilogy(f, np.asarray(eps, dtype=float), "C0-", lw=2, label=label)
    for name, (lf, le) in (limits or {}).items():
        ax.semilogy(np.asarray(lf, dtype=float) / 1e9, np.asarray(le, dtype=float), lw=1, label=name)
    ax.set_xlabel("frequency (GHz)")
    ax.set_ylabel(r"kinetic mixing $\epsilon$")
    ax2 = ax.twinx()
    ax2.plot(f, np.asarray(fom, dtype=float), "C3--", lw=1.2, label=fom_label)
    ax2.set_ylabel(fom_label, color="C3")
    ax2.tick_params(axis="y", colors="C3")
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], loc="best", fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def plot_lc_reach(curves, *, title: str | None = None, mass_axis: bool = True) -> Figure:
    """eps(f) of LC-circuit scans on log-log axes; ``curves``: {label: (freq_hz, eps)} (NaN points are gaps).

    ``mass_axis``: a top axis in eV (m c^2 = h f).
    """

    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for name, (f, e) in curves.items():
        ax.loglog(np.asarray(f, dtype=float), np.asarray(e, dtype=float), lw=1.8, label=name)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel(r"kinetic mixing $\epsilon$")
    ax.legend(loc="best", fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    if mass_axis:
        top = ax.secondary_xaxis("top", functions=(hz_to_ev, ev_to_hz))
        top.set_xlabel("dark-photon mass (eV)")
    if title:
        ax.set_title(title)
    return fig
