"""The exclusion figure: legend, labels, shaded published limits, dashed theory, hatched haloscopes, top axis in Hz."""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from amails_fem.analysis import published_limits as pl
from amails_fem.analysis.theory_lines import theory_line
from amails_fem.cavities.limits import axion_to_dark_photon_chi
from amails_fem.errors import SpecError
from amails_fem.plotting.limits import TOP_LABEL, X_LABEL, Y_LABEL, limit_figure
from amails_fem.units import ev_to_hz


def _legend(fig):
    return [t.get_text() for t in fig.legends[0].get_texts()]


def test_run_limit_with_default_overlays_and_theory():
    f = np.geomspace(1.0, 500.0, 50)
    eps = 1e-5 * (10.0 / f)
    fig = limit_figure(f, eps, label="simulated run", theory="higgs-kitajima")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == X_LABEL and ax.get_ylabel() == Y_LABEL
    texts = _legend(fig)
    assert "simulated run" in texts
    assert any(t.startswith("AMAILS (Jiang et al. 2024, arXiv:2305.00890)") for t in texts)
    assert any("SNIPE Hunt" in t and "2306.11575" in t for t in texts)
    assert not any("ADMX" in t for t in texts)          # far outside 1-500 Hz: not a default overlay here
    theory = [t for t in texts if t.startswith("theory expectation, not an exclusion")]
    assert len(theory) == 1 and "2410.17964" in theory[0]
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == 1
    run = next(ln for ln in ax.get_lines() if ln.get_label() == "simulated run")
    np.testing.assert_allclose(ev_to_hz(run.get_xdata()), f, rtol=1e-12)   # plotted at m = h f / c^2
    # x range: the run's masses x 1/3 ... x 3
    lo, hi = ax.get_xlim()
    assert lo == pytest.approx(ax.get_lines()[-1].get_xdata().min() / 3) and hi < 1e-11
    assert len(ax.collections) >= 4                         # shaded regions


def test_top_axis_is_the_compton_frequency():
    """The secondary axis shows f = m c^2/h: after drawing, its limits are the main limits converted (rel 1e-12)."""
    fig = limit_figure(None, None, overlays=["amails", "snipe"], mass_range_ev=(1e-15, 1e-12))
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    top = ax.child_axes[0]
    assert top.get_xlabel() == TOP_LABEL
    np.testing.assert_allclose(top.get_xlim(), ev_to_hz(np.array(ax.get_xlim())), rtol=1e-12)
    assert ax.get_xlim() == pytest.approx((1e-15, 1e-12))
    assert ev_to_hz(4.135667696e-15) == pytest.approx(1.0, rel=1e-9)


def test_overlays_only_and_haloscope_curve():
    admx = pl.load("admx-axion")
    chi = axion_to_dark_photon_chi(admx.value, admx.mass_ev, 7.6, "random")
    fig = limit_figure(None, None, overlays=["admx-dp"], haloscopes=[(admx.mass_ev, chi, "ADMX 2010, B0 = 7.6 T")],
                       mass_range_ev=(1e-6, 1e-5))
    texts = _legend(fig)
    assert texts[0].startswith("ADMX 2010 (recast)") and "2105.04565" in texts[0]
    assert texts[1] == "ADMX 2010, B0 = 7.6 T (converted axion limit)"
    hatched = [c for c in fig.axes[0].collections if c.get_hatch()]
    assert len(hatched) == 1


def test_theory_line_object_and_no_overlays():
    line = theory_line("higgs-kitajima", np.geomspace(1e-16, 1e-10, 20), quartic=0.1)
    fig = limit_figure(None, None, overlays=None, theory=[line])
    assert _legend(fig) == [f"theory expectation, not an exclusion: {line.label} ({line.citation})"]
    assert fig.axes[0].get_ylim()[1] == 1.0


def test_bad_input_is_one_line():
    with pytest.raises(SpecError, match="same non-zero length"):
        limit_figure([1.0, 2.0], [1e-5])
    with pytest.raises(SpecError, match="both be given"):
        limit_figure([1.0], None)
    with pytest.raises(SpecError, match="g_agamma limit"):
        limit_figure(None, None, overlays=["admx-axion"])
    with pytest.raises(SpecError, match="mass_range_ev"):
        limit_figure(None, None, mass_range_ev=(1e-12, 1e-15))
    with pytest.raises(SpecError, match="published limit must be one of"):
        limit_figure(None, None, overlays="amails,nope")
