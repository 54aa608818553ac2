"""Noise model, network statistics and the reference correlator against Jiang et al. (2024) (AMAILS)."""

import numpy as np
import pytest
from network_helpers import amails, amails_responses, amails_table, with_noise

from amails_fem.analysis import correlator as co
from amails_fem.network import noise as nz
from amails_fem.network.response import lab_templates


def test_common_mode_makes_same_room_snr_asymmetric():
    """Jiang et al. (2024) Fig. 2e-g: same-room pairs skew positive (common mode), cross-site pairs are symmetric."""
    net = amails()
    run = co.simulate(net, 100.0, 1000.0, seed=11)
    f, z = co.spectra(run.data_t, run.fs_hz)
    band = (f > 1) & (f < 499)
    z = z[:, band]
    d = np.stack([s.asd_t_rthz(f[band]) ** 2 + 25e-30 for s in net.sensors])
    same = co.pair_snr(z, d, 0, 1)  # SZ01 x SZ02
    harbin = co.pair_snr(z, d, 13, 14)
    cross = co.pair_snr(z, d, 0, 13)  # SZ01 x HB01
    n = same.size
    expected_mean = 25e-30 / np.sqrt((250e-30) ** 2 / 2)  # rho c^2 / sqrt(D_i D_j / 2) = 0.141
    for snr in (same, harbin):
        assert snr.mean() == pytest.approx(expected_mean, abs=5 / np.sqrt(n))
        assert co.tail_ratio(snr) > 1.5
    assert abs(cross.mean()) < 4 / np.sqrt(n)
    assert 0.7 < co.tail_ratio(cross) < 1.4
    assert np.std(cross) == pytest.approx(1.0, rel=0.03)  # the Laplace prediction has unit variance


def test_n_scaling_and_statistics():
    """Plain average ~ N^-1/4 without common mode (Jiang et al. (2024) Fig. 2d: a ~ 0.25); optimal never worse."""
    table = amails_table()
    quiet = with_noise(table, common_mode_t_rthz=0.0)
    n, b = nz.sensitivity_vs_correlators(quiet, 10.1, "plain")
    assert nz.fit_power_law(n, b) == pytest.approx(0.25, abs=0.005)
    assert b[-1] == pytest.approx(15e-15 * 210 ** -0.25, rel=1e-9)  # 3.94 fT/rtHz (AMAILS: 4.2)
    net = amails()
    n, bp = nz.sensitivity_vs_correlators(net, 10.1, "plain", step=8)
    n, bo = nz.sensitivity_vs_correlators(net, 10.1, "optimal", step=8)
    assert np.all(bo <= bp * (1 + 1e-9))
    assert 0.1 < nz.fit_power_law(n, bp) < 0.25  # common mode flattens the trend
    # Monte Carlo: the measured spread of the plain average over 105 pairs matches the analytic sensitivity
    run = co.simulate(quiet, 50.0, 400.0, seed=2)
    f, z = co.spectra(run.data_t, run.fs_hz)
    z = z[:, (f > 1) & (f < 199)]
    y = (np.abs(z.sum(0)) ** 2 - np.sum(np.abs(z) ** 2, 0)) / (15 * 14)
    assert np.sqrt(np.std(y)) == pytest.approx(b[-1], rel=0.03)
    # opposite walls: the plain average partly cancels; template weights and the optimum recover it
    lt = lab_templates(net, amails_responses(), [10.1])[0]
    eta = nz.compare_statistics(net, lt, 10.1)
    assert eta["template"] > 5 * abs(eta["plain"])
    assert eta["optimal"] >= eta["template"] * (1 - 1e-9)
    assert eta["full"] >= eta["optimal"] * (1 - 1e-9)


def test_threshold_injection_recovery_and_coverage():
    net, resp = amails(), amails_responses()
    f_inj, t_obs, fs = 30.0, 100.0, 100.0
    lt = lab_templates(net, resp, [f_inj])[0]
    # noise only: about 5% of bins exceed the Monte Carlo 95% threshold
    res = co.correlate(net, resp, co.simulate(net, t_obs, fs, seed=5), fmin_hz=2, fmax_hz=48, statistic="template",
                       n_anchors=3, n_mc=3000, seed=1)
    thr = np.array([t.threshold for t in res.tables])[res.anchor_index]
    assert 0.035 < np.mean(res.snr > thr) < 0.065
    factor = co.rayleigh_factor(res.tables[1])
    assert factor > 1.5  # an isotropic Rayleigh field weakens the 95% limit (vs fixed aligned)
    eps_typ = np.median(res.eps95)
    # fixed polarization: eps^2 recovered within its statistical error (fixed seeds)
    pulls = []
    for seed in range(6):
        run = co.simulate(net, t_obs, fs, seed=100 + seed, injection={
            "eps": 2 * eps_typ, "freq_hz": f_inj, "lab_templates": lt, "polarization": [0.2, -0.5, 1.0]})
        r = co.correlate(net, resp, run, fmin_hz=28, fmax_hz=32, statistic="template", n_anchors=1, n_mc=500, seed=1)
        rec = co.recover_injection(net, resp, r, f_inj, run.injection["polarization_drawn"])
        pulls.append((rec["eps2_hat"] - (2 * eps_typ) ** 2) / rec["eps2_err"])
    assert np.all(np.abs(pulls) < 3.5) and abs(np.mean(pulls)) < 1.5
    # isotropic Rayleigh injections: the 95% limit falls below the injected eps in <= ~5% of them
    below = 0
    n_inj = 40
    for seed in range(n_inj):
        run = co.simulate(net, t_obs, fs, seed=1000 + seed, injection={
            "eps": 1.5 * eps_typ, "freq_hz": f_inj, "lab_templates": lt, "polarization": "isotropic"})
        r = co.correlate(net, resp, run, fmin_hz=28, fmax_hz=32, statistic="template", n_anchors=1, n_mc=2000, seed=3)
        k = np.argmin(np.abs(r.freqs_hz - f_inj))
        below += r.eps95[k] < 1.5 * eps_typ
    assert below / n_inj <= 0.1  # binomial margin around 5% for 40 trials


def test_block_sums_equal_the_per_frequency_quadratic_forms():
    """The correlator's matrix-product sums (one V for many frequencies) equal the literal per-frequency forms
    Re z^H V z, sum |V_ij|^2 d_i d_j, Re tr(V b b^H) / 3 and Re tr(V Sigma) on random complex data."""
    rng = np.random.default_rng(3)
    nb, n = 7, 5
    v = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    z = rng.standard_normal((nb, n)) + 1j * rng.standard_normal((nb, n))
    d = rng.uniform(1, 2, (nb, n))
    b = rng.standard_normal((nb, n, 3)) + 1j * rng.standard_normal((nb, n, 3))
    se = rng.standard_normal((nb, n, n))
    y, sig2, trvs, mu = co._block_sums(v, z, d, b, se)
    for k in range(nb):
        assert y[k] == pytest.approx(np.real(np.conj(z[k]) @ v @ z[k]), rel=1e-12)
        assert sig2[k] == pytest.approx(d[k] @ np.abs(v) ** 2 @ d[k], rel=1e-12)
        assert trvs[k] == pytest.approx(np.real(np.trace(v @ b[k] @ b[k].conj().T)) / 3, rel=1e-12)
        assert mu[k] == pytest.approx(np.real(np.trace(v @ se[k])), rel=1e-12)
    assert [(k, (r.start, r.stop)) for k, r in co._anchor_runs(np.array([0, 0, 1, 1, 1, 3]))] == [
        (0, (0, 2)), (1, (2, 5)), (3, (5, 6))]


def test_noise_covariance_is_diagonal_asd_plus_room_blocks():
    net = amails()
    f = np.array([3.0, 40.0])
    cov = nz.noise_covariance(net, f)
    for i, si in enumerate(net.sensors):
        for j, sj in enumerate(net.sensors):
            room = net.rooms[si.room]
            cm = room.common_mode_t_rthz**2 * (1.0 if i == j else room.common_mode_correlation)
            expect = (si.asd_t_rthz(f) ** 2 if i == j else 0.0) + (cm if si.room == sj.room else 0.0)
            assert np.allclose(cov[:, i, j], expect, rtol=1e-14, atol=0)
