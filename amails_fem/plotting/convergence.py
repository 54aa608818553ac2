"""Figure of a mesh-refinement study: successive wall-field differences against mesh size, with the h^p slope."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from amails_fem.plotting.figures import subplots


def plot_convergence(block: dict, title: str | None = None) -> Figure:
    """Log-log: |B_k - B_k+1| (rms and max, relative) at the finer size of each pair, the Richardson error estimate
    of the finest level, and a reference line of the expected order. ``block``: fields.convergence.refine_room."""
    h = np.asarray(block["mesh_size_m"], float)
    fig, ax = subplots(figsize=(6, 4.4))
    ax.loglog(h[1:], block["difference_rms"], "o-", color="C0", label="rms |B_k - B_k+1| / rms |B|")
    ax.loglog(h[1:], block["difference_max"], "s-", color="C1", label="max |B_k - B_k+1| / max |B|")
    est = block["error_estimate_rms_finest"]
    if np.isfinite(est):
        ax.loglog([h[-1]], [est], "*", color="C3", ms=12, label=f"Richardson error estimate, finest: {est:.2g}")
    p = block["expected_order"]
    ref = block["difference_rms"][0] * (h[1:] / h[1]) ** p
    ax.loglog(h[1:], ref, "k:", lw=1, label=f"slope h^{p:g} (expected for P{block['element_order']})")
    observed = ", ".join(f"{o:.2f}" for o in block["observed_orders"]) or "none (two levels)"
    ax.set(xlabel="mesh size h (m) of the finer level", ylabel="relative wall-field difference",
           title=title or f"mesh refinement, r = {block['ratio']:g}: observed order {observed}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.set_layout_engine("tight")
    return fig
