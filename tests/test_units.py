"""The unit chain of docs/physics.md sec. 1 against the numbers quoted there and in AMAILS eq. (1)."""

import math

import pytest

from amails_fem import units


def test_rho_default_in_si():
    assert units.rho_j_m3() == pytest.approx(7.21e-5, rel=1e-3)


def test_hz_ev_round_trip():
    assert units.hz_to_ev(1.0) == pytest.approx(4.136e-15, rel=1e-3)
    assert units.ev_to_hz(units.hz_to_ev(123.4)) == pytest.approx(123.4, rel=1e-12)


def test_effective_current_at_10_hz():
    # docs/physics.md: "At 10 Hz that is eps * 2.24e-6 A/m^2"
    assert units.j_eff_a_m2(1.0, 10.0) == pytest.approx(2.24e-6, rel=3e-3)
    assert units.j_eff_a_m2(1e-6, 20.0) == pytest.approx(2e-6 * 2.2451e-6, rel=1e-3)


def test_amails_eq1_coefficient():
    # AMAILS eq. (1): B ~ 1.63e-12 eps (f / 10 Hz) (V^(1/3) / 1 m) T, equal to mu0 J L / sqrt(3)
    assert units.amails_eq1_t(1.0, 10.0, 1.0) == pytest.approx(1.63e-12, rel=3e-3)
    j = units.j_eff_a_m2(1.0, 10.0)
    assert units.amails_eq1_t(1.0, 10.0, 8.0) == pytest.approx(units.MU0_H_M * j * 2.0 / math.sqrt(3), rel=1e-12)
