"""The dark-photon exclusion plot: a run's kinetic-mixing limit beside published limits and a theory line.

eps against mass (eV, log) with the Compton frequency f = m c^2 / h (Hz) on a secondary top axis. Published limits
(amails_fem.analysis.published_limits, docs/limits.md) are shaded regions up to eps = 1 with their citations in a
small legend; converted haloscope limits (amails_fem.cavities.limits) are hatched; theory expectations
(amails_fem.analysis.theory_lines) are broken (dashed, dash-dotted) lines labelled as expectations, not exclusions. Returns a Figure built
without pyplot (plotting/figures.py).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from amails_fem.analysis import published_limits as pl
from amails_fem.analysis.theory_lines import TheoryLine, theory_line
from amails_fem.errors import SpecError
from amails_fem.units import ev_to_hz, hz_to_ev

DEFAULT_MASS_RANGE_EV = (1e-18, 1e-10)
CATEGORY_COLORS = {"magnetometer": ("#b5403e", "#e3a19d", "#7a1f1c", "#d96c4f"),
                   "heating": ("#2e8b57", "#66cdaa", "#3cb371"),
                   "cosmology": ("#4a6fa5",), "planetary-field": ("#8c7b4f", "#b8a67a"),
                   "haloscope": ("#6a3d9a",)}
LAYER = {"heating": 1.0, "cosmology": 1.1, "planetary-field": 1.2, "haloscope": 1.5, "magnetometer": 2.0}
TOP_LABEL = r"Compton frequency $f = m c^2/h$ (Hz)"
X_LABEL = r"dark-photon mass $m_{A'}$ (eV)"
Y_LABEL = r"kinetic mixing $\epsilon$"


def limit_figure(freq_hz, eps_limit, *, label: str = "this run", overlays="default", theory=None,
                 haloscopes=None, mass_range_ev=None) -> Figure:
    """The exclusion plot.

    ``freq_hz``, ``eps_limit``: the run's limit (Hz, dimensionless), or both None for overlays only.
    ``overlays``: "default" (every shipped kinetic-mixing limit overlapping the mass range), a list of keys or of
    PublishedLimit, or None. ``theory``: None, a key ("higgs-kitajima"), a TheoryLine, or a list of them.
    ``haloscopes``: converted haloscope curves [(mass_ev, eps, label), ...] (cavities.limits.axion_to_dark_photon_chi).
    ``mass_range_ev``: (lo, hi) of the x axis; default from the run's masses (x 1/3 ... x 3) or 1e-18 ... 1e-10 eV.
    """
    run = _run_curve(freq_hz, eps_limit)
    lo, hi = _mass_range(run, mass_range_ev)
    limits = _overlays(overlays, (lo, hi))
    halos = _haloscopes(haloscopes)
    masses = np.geomspace(lo, hi, 400)
    lines = _theories(theory, masses)

    fig = Figure(figsize=(7.4, 7.0), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.set_yscale("log")
    shown = []
    used = {}
    for lim in limits:
        colors = CATEGORY_COLORS.get(lim.category, ("0.5",))
        color = colors[used.get(lim.category, 0) % len(colors)]
        used[lim.category] = used.get(lim.category, 0) + 1
        z = LAYER.get(lim.category, 1.0)
        ax.fill_between(lim.mass_ev, lim.value, 1.0, color=color, alpha=0.3, lw=0, zorder=z,
                        label=f"{lim.label} ({lim.citation})")
        ax.plot(lim.mass_ev, lim.value, color=color, lw=0.8, zorder=z + 0.05)
        shown.append(lim.value[(lim.mass_ev >= lo) & (lim.mass_ev <= hi)])
    for m, e, name in halos:
        ax.fill_between(m, e, 1.0, facecolor="none", edgecolor=CATEGORY_COLORS["haloscope"][0], hatch="////",
                        lw=0.0, zorder=2, label=f"{name} (converted axion limit)")
        ax.plot(m, e, color=CATEGORY_COLORS["haloscope"][0], lw=1.0, zorder=3)
        shown.append(e[(m >= lo) & (m <= hi)])
    for k, line in enumerate(lines):  # dashed, dash-dotted, dotted: every theory line a broken line, none filled
        ax.plot(line.mass_ev, line.eps, ls=("--", "-.", ":")[k % 3], color="0.15", lw=1.3, zorder=4,
                label=f"theory expectation, not an exclusion: {line.label} ({line.citation})")
        shown.append(line.eps)
    if run is not None:
        m, e = run
        ax.plot(m, e, color="k", lw=1.6, zorder=5, label=label)
        shown.append(e[(m >= lo) & (m <= hi)])
    ax.set_xlim(lo, hi)
    vals = np.concatenate([v[np.isfinite(v) & (v > 0) & (v < 1)] for v in shown] or [np.array([])])
    ymin = 10.0 ** np.floor(np.log10(vals.min()) - 0.5) if vals.size else 1e-12
    ax.set_ylim(ymin, 1.0)
    ax.set_xlabel(X_LABEL)
    ax.set_ylabel(Y_LABEL)
    top = ax.secondary_xaxis("top", functions=(ev_to_hz, hz_to_ev))
    top.set_xlabel(TOP_LABEL)
    ax.grid(True, which="major", alpha=0.25)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=1, fontsize=6, frameon=False,
                   title="shaded: excluded (95 % CL as published); broken lines: theory expectations", title_fontsize=6.5)
    return fig


def _run_curve(freq_hz, eps_limit):
    if freq_hz is None and eps_limit is None:
        return None
    if freq_hz is None or eps_limit is None:
        raise SpecError("freq_hz and eps_limit must both be given (Hz, dimensionless) or both be None")
    f = np.asarray(freq_hz, dtype=float).ravel()
    e = np.asarray(eps_limit, dtype=float).ravel()
    if f.shape != e.shape or f.size == 0:
        raise SpecError(f"freq_hz and eps_limit must have the same non-zero length; got {f.size} and {e.size}")
    ok = np.isfinite(f) & (f > 0) & np.isfinite(e) & (e > 0)
    if not ok.any():
        raise SpecError("eps_limit has no finite positive value at a finite positive freq_hz")
    order = np.argsort(f[ok])
    return hz_to_ev(f[ok][order]), e[ok][order]


def _mass_range(run, mass_range_ev):
    if mass_range_ev is not None:
        lo, hi = (float(x) for x in mass_range_ev)
        if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
            raise SpecError(f"mass_range_ev must be 0 < lo < hi (eV); got {mass_range_ev!r}")
        return lo, hi
    if run is not None:
        return float(run[0].min()) / 3.0, float(run[0].max()) * 3.0
    return DEFAULT_MASS_RANGE_EV


def _overlays(overlays, mass_range):
    if overlays is None:
        return []
    if isinstance(overlays, str):
        keys = pl.overlapping(mass_range) if overlays == "default" else pl.parse_keys(overlays)
        items = [pl.load(k) for k in keys]
    else:
        items = [pl.load(o) if isinstance(o, str) else o for o in overlays]
    for lim in items:
        if lim.quantity != "kinetic_mixing":
            raise SpecError(f"overlay {lim.key} is a {lim.quantity} limit ({lim.units}); convert it with "
                            "cavities.limits.axion_to_dark_photon_chi and pass it as a haloscope curve")
    return items


def _haloscopes(haloscopes):
    out = []
    for item in haloscopes or []:
        try:
            m, e, name = item
        except (TypeError, ValueError):
            raise SpecError("haloscopes must be a list of (mass_ev, eps, label)") from None
        m = np.asarray(m, dtype=float).ravel()
        e = np.asarray(e, dtype=float).ravel()
        if m.shape != e.shape or m.size == 0 or np.any(m <= 0) or np.any(e <= 0):
            raise SpecError(f"haloscope curve {name!r}: mass_ev and eps must be positive arrays of one length")
        out.append((m, e, str(name)))
    return out


def _theories(theory, masses):
    if theory is None:
        return []
    items = theory if isinstance(theory, (list, tuple)) else [theory]
    return [t if isinstance(t, TheoryLine) else theory_line(t, masses) for t in items]
