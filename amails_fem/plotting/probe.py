"""Figures of probed fields: |B| and its components along a line (or against the point index)."""

from __future__ import annotations

from matplotlib.figure import Figure

from amails_fem.plotting.figures import subplots


def plot_probe(ds, freq_index: int = 0) -> Figure:
    """One panel per polarization: |B| (thick) and B_x, B_y, B_z (thin) in tesla at one frequency of a probe
    Dataset (amails_fem.fields.probe.probe_dataset); real walls dashed when the Dataset has them."""
    f = float(ds["frequency"][freq_index])
    eps = float(ds.attrs.get("eps", 1.0))
    if "distance_m" in ds.coords:
        x, xlabel = ds["distance_m"].values, "distance along the line (m)"
    else:
        x, xlabel = ds["point"].values, "point index"
    fig, axes = subplots(1, 3, figsize=(14, 4.2), sharey=True)
    walls = "b_walls_magnitude" in ds
    for k, (ax, pol) in enumerate(zip(axes, ds["polarization"].values)):
        b = ds["b_perfect"].values[freq_index, :, :, k]  # (N, 3)
        ax.plot(x, ds["b_perfect_magnitude"].values[freq_index, :, k], "k-", lw=2, label="|B| perfect walls")
        for c, comp in enumerate(ds["component"].values):
            ax.plot(x, b[:, c], f"C{c}-", lw=1, label=f"B_{comp} perfect walls")
        if walls:
            ax.plot(x, ds["b_walls_magnitude"].values[freq_index, :, k], "k--", lw=1.5, label="|B| real walls")
        ax.set(xlabel=xlabel, title=f"polarization p = {pol}")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel(f"B (T) for eps = {eps:g} at {f:g} Hz")
    axes[0].legend(fontsize=7)
    fig.suptitle("dark-photon field at the probe points (amplitude; components of the perfect-conductor field)",
                 fontsize=10)
    fig.set_layout_engine("tight")
    return fig

