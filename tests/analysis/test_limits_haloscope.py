"""A real published axion limit on the dark-photon plot: ADMX 2010 (Asztalos et al. 2010) converted with eq. 60 of
Dai, Li & Zhang (2025), chi = g B0 / (m sqrt(<cos^2 theta>)), against the collection's own recast (Caputo et al. 2021)."""

import numpy as np
import pytest

from amails_fem.analysis import published_limits as pl
from amails_fem.cavities.limits import TESLA_TO_EV2, axion_to_dark_photon_chi


def test_collection_recast_has_the_eq60_form_with_one_constant():
    """Both files share the 27 ADMX masses; chi_recast m / g is one constant to 1e-12 (a chi ∝ g/sqrt(m) or any
    mass-dependent factor would spread it by tens of %): B0/sqrt(<cos^2>) = 195.46 T, i.e. <cos^2 theta> = 1.51e-3
    for the 7.6 T assumed here, the fixed-polarization value the recast uses."""
    a, d = pl.load("admx-axion"), pl.load("admx-dp")
    np.testing.assert_allclose(a.mass_ev, d.mass_ev, rtol=0)
    b_over_sqrt_cos2_t = d.value * a.mass_ev / (a.value * 1e-9) / TESLA_TO_EV2
    assert np.ptp(b_over_sqrt_cos2_t) / np.mean(b_over_sqrt_cos2_t) < 1e-12
    assert np.mean(b_over_sqrt_cos2_t) == pytest.approx(195.46, rel=1e-4)
    cos2 = (7.6 / np.mean(b_over_sqrt_cos2_t)) ** 2
    ours = axion_to_dark_photon_chi(a.value, a.mass_ev, 7.6, cos2)
    np.testing.assert_allclose(ours, d.value, rtol=1e-12)


def test_random_polarization_conversion_is_sqrt_of_the_cos2_ratio_below_the_recast():
    """<cos^2> = 1/3 (random) against 1.51e-3: the limit is sqrt(0.3333/1.512e-3) = 14.85 x stronger."""
    a, d = pl.load("admx-axion"), pl.load("admx-dp")
    chi = axion_to_dark_photon_chi(a.value, a.mass_ev, 7.6, "random")
    ratio = d.value / chi
    assert np.ptp(ratio) / ratio.mean() < 1e-12
    assert ratio.mean() == pytest.approx(np.sqrt((1 / 3) / (7.6 / 195.4565) ** 2), rel=1e-6)
    assert 8e-16 < chi.min() < chi.max() < 1e-15
