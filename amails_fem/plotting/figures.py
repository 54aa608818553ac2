"""Figures without pyplot: every plot helper returns a matplotlib Figure and never switches the user's backend.

In Jupyter a returned Figure displays itself; the CLI saves it with save_figure (atomic PNG).
"""

from __future__ import annotations

from matplotlib.figure import Figure

from amails_fem.io.files import atomic_path


def subplots(nrows: int = 1, ncols: int = 1, *, figsize=None, constrained_layout=None, **kwargs):
    """Like pyplot.subplots, but a detached Figure (no global state, no backend)."""
    fig = Figure(figsize=figsize, constrained_layout=constrained_layout)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def save_figure(fig: Figure, path, dpi: int = 110) -> str:
    """Write ``fig`` as a PNG atomically; returns the path as a string."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    return str(path)
