"""The correlator on recorded-format runs: the signal model exact in the three sidereal regimes, with gaps and
coherent segments; injections recovered; the look-elsewhere-corrected threshold's false-alarm rate; the limit's
coverage (docs/recorded_data.md)."""

import numpy as np
import pytest
from network_helpers import amails, amails_responses

from amails_fem.analysis import correlator as co
from amails_fem.analysis.significance import (
    QuadraticFormTail,
    global_p,
    local_threshold_probability,
)
from amails_fem.analysis.simulation import gap_mask, injection_signal
from amails_fem.network import read_run, write_run
from amails_fem.network.response import lab_templates
from amails_fem.network.runs import run_for_network
from amails_fem.units import F_SIDEREAL_HZ

P_FIXED = np.array([0.2, -0.5, 1.0]) / np.linalg.norm([0.2, -0.5, 1.0])
# (duration s, fs Hz, injection Hz, band Hz, gaps): T f_sid = 1e-3, 0.3 and 2.0
REGIMES = {
    "short": (100.0, 100.0, 30.0, (28.0, 32.0), None),
    "short_gaps": (100.0, 100.0, 30.0, (28.0, 32.0), [(10.0, 30.0), (50.0, 60.0, 3), (71.0, 71.5, 9)]),
    "intermediate": (0.3 / F_SIDEREAL_HZ, 2.0, 0.4, (0.39, 0.41), [(2000.0, 3000.0)]),
    "long": (2.0 / F_SIDEREAL_HZ, 1.0, 0.3, (0.295, 0.305), [(40000.0, 50000.0, 2)]),
}


def _f_bin(t, f):
    return round(f * t) / t


@pytest.mark.parametrize("regime", list(REGIMES))
def test_signal_model_exact_without_noise(regime):
    """A noise-free injection (exact time domain: the lab frame turning, sidereal.lab_axes) is recovered as
    eps^2 = 1 through the mask kernels and the sidereal window: the model E[z] = sqrt(T/2) eps b P is exact
    but for the negative-frequency image, O(1 / (f T))."""
    net, resp = amails(), amails_responses()
    t_obs, fs, f0, (f1, f2), gaps = REGIMES[regime]
    n = int(round(t_obs * fs))
    f0 = _f_bin(n / fs, f0)
    lt = lab_templates(net, resp, [f0])[0]
    sig, p = injection_signal(net, lt, f0, 1.0, np.arange(n) / fs, t0_unix_s=1.7e9, polarization=P_FIXED, rng=4)
    run = run_for_network(net, sig, fs, 1.7e9, mask=gap_mask(net.n_sensors, n, fs, gaps))
    res = co.correlate(net, resp, run, fmin_hz=f1, fmax_hz=f2, statistic="template", n_mc=200, n_anchors=1)
    rec = co.recover_injection(net, resp, res, f0, p)
    # exact up to the negative-frequency image leaking in through the mask: amplitude <~ 1 / (2 pi 2 f T)
    assert rec["eps2_hat"] == pytest.approx(1.0, rel=2.0 / (np.pi * f0 * n / fs))
    assert res.bands[0].regime == regime.split("_")[0]


@pytest.mark.parametrize("regime", list(REGIMES))
def test_injection_recovery_on_recorded_runs(regime, tmp_path):
    """Noise + injection written and read back: a global candidate at the injected frequency, eps^2 within its
    statistical error (4 sigma; two noise realisations)."""
    net, resp = amails(), amails_responses()
    t_obs, fs, f0, (f1, f2), gaps = REGIMES[regime]
    f0 = _f_bin(round(t_obs * fs) / fs, f0)
    lt = lab_templates(net, resp, [f0])[0]
    noise = co.correlate(net, resp, co.simulate(net, t_obs, fs, seed=1), fmin_hz=f1, fmax_hz=f2,
                         statistic="template", n_mc=200, n_anchors=1)
    eps = np.sqrt(150.0 / noise.alpha_bar[np.argmin(np.abs(noise.freqs_hz - f0))])  # polarization-averaged SNR 150
    for seed in (2, 3):
        run = co.simulate(net, t_obs, fs, seed=seed, gaps=gaps, injection={
            "eps": eps, "freq_hz": f0, "lab_templates": lt, "polarization": P_FIXED})
        back = read_run(write_run(run, tmp_path / f"{regime}_{seed}.nc"))
        res = co.correlate(net, resp, back, fmin_hz=f1, fmax_hz=f2, statistic="template", n_mc=200, n_anchors=1)
        ranked = res.ranked()
        assert ranked["global"] and ranked["global"][0]["frequency_hz"] == pytest.approx(f0, abs=1e-9)
        assert ranked["global"][0]["p_global"] < 1e-4
        rec = co.recover_injection(net, resp, res, f0, back.injection["polarization_drawn"]["re"] +
                                   1j * np.asarray(back.injection["polarization_drawn"]["im"]))
        assert abs(rec["eps2_hat"] - eps**2) < 4 * rec["eps2_err"]


def test_run_longer_than_the_coherence_time(tmp_path):
    """A stochastic DM field (Q = 1e3 so that tau = Q/f = 28.6 s at 35 Hz in a 400 s run): 16 coherent segments
    of 25 s; the line (width ~ f/Q) is a global candidate and the isotropic estimate over the line's bins
    recovers eps^2 within the spread of 16 independent polarizations and the line shape."""
    net, resp = amails(), amails_responses()
    q, t_obs, fs, f0 = 1e3, 400.0, 100.0, 35.0
    lt = lab_templates(net, resp, [f0])[0]
    eps = 5e-3
    sums = []
    for seed in range(3):
        run = co.simulate(net, t_obs, fs, seed=seed, gaps=[(100.0, 110.0)], injection={
            "eps": eps, "freq_hz": f0, "lab_templates": lt, "polarization": "stochastic", "coherence_quality": q})
        res = co.correlate(net, resp, read_run(write_run(run, tmp_path / f"s{seed}.nc")), fmin_hz=30, fmax_hz=39,
                           statistic="template", n_mc=200, n_anchors=2, quality=q)
        assert [(b.n_seg, b.t_seg_s) for b in res.bands] == [(16, 25.0)]
        line = (res.freqs_hz >= f0 - 1e-9) & (res.freqs_hz <= f0 + 0.2)
        assert res.freqs_hz[np.argmax(res.snr)] in res.freqs_hz[line] and res.candidates().size >= 1
        sums.append(res.eps2_hat[line].sum() / eps**2)
    assert 0.5 < np.mean(sums) < 1.3


def test_quadratic_form_tail_against_monte_carlo():
    """Lugannani-Rice tail of sum lambda_j E_j (mixed signs, as common-mode noise gives) against 4e6 draws."""
    rng = np.random.default_rng(0)
    lam = np.concatenate([rng.uniform(0.05, 1.0, 12), -rng.uniform(0.05, 0.6, 10)])
    y = rng.exponential(size=(4_000_000, lam.size)) @ lam
    tail = QuadraticFormTail(lam)
    for p in (1e-2, 1e-3, 1e-4):
        q = np.quantile(y, 1 - p)
        mc = np.mean(y > q)
        assert tail.sf(q) == pytest.approx(mc, rel=0.05 + 3 / np.sqrt(mc * y.shape[0]))
    assert tail.sf(tail.isf(1e-9)) == pytest.approx(1e-9, rel=1e-6)
    assert local_threshold_probability(0.05, 1000) == pytest.approx(0.05 / 1000, rel=0.03)
    assert global_p(1e-12, 10**6) == pytest.approx(1e-6, rel=1e-5)


def test_global_false_alarm_rate_on_noise():
    """200 noise-only runs (178 frequencies each, common-mode noise on): the fraction with any frequency above the
    global threshold (false-alarm 0.05) is 5% within 2.6 binomial sigma, and 1% of all frequencies exceed the local
    p = 0.01 threshold (p_local is uniform)."""
    net, resp = amails(), amails_responses()
    n_runs, hits, local, bins = 200, 0, 0, 0
    for seed in range(n_runs):
        res = co.correlate(net, resp, co.simulate(net, 20.0, 20.0, seed=10_000 + seed), fmin_hz=1.0, fmax_hz=9.9,
                           statistic="template", n_mc=100, n_anchors=2)
        hits += bool(np.any(res.snr > res.global_threshold_snr))
        thr01 = np.array([t.tail.isf(0.01) for t in res.tables])[res.anchor_index]
        local += int(np.sum(res.snr > thr01))
        bins += res.snr.size
    assert res.n_trials == 178
    sigma = np.sqrt(0.05 * 0.95 / n_runs)
    assert abs(hits / n_runs - 0.05) < 2.6 * sigma
    assert local / bins == pytest.approx(0.01, abs=3 * np.sqrt(0.01 / bins))


@pytest.mark.parametrize("model", ["isotropic", "fixed"])
def test_limit_coverage(model):
    """Injections drawn from the limit's own polarization model, with gaps: the 95% limit lies below the injected
    eps in at most ~5% of them (40 trials: <= 5, the binomial 90% bound)."""
    net, resp = amails(), amails_responses()
    t_obs, fs, f0 = 100.0, 100.0, 30.0
    lt = lab_templates(net, resp, [f0])[0]
    gaps = [(20.0, 25.0), (60.0, 61.0, 5)]
    kw = dict(fmin_hz=29.5, fmax_hz=30.5, statistic="template", n_mc=2000, n_anchors=1, polarization_model=model)
    eps0 = np.median(co.correlate(net, resp, co.simulate(net, t_obs, fs, seed=0, gaps=gaps), **kw).eps95)
    rng = np.random.default_rng(7)
    below = 0
    for trial in range(40):
        pol = "isotropic" if model == "isotropic" else rng.standard_normal(3)
        run = co.simulate(net, t_obs, fs, seed=500 + trial, gaps=gaps, injection={
            "eps": 1.2 * eps0, "freq_hz": f0, "lab_templates": lt, "polarization": pol})
        res = co.correlate(net, resp, run, seed=trial, **kw)
        below += res.eps95[np.argmin(np.abs(res.freqs_hz - f0))] < 1.2 * eps0
    assert below <= 5


def test_data_psd_normalisation():
    """psd='data' (segment periodograms smoothed over 64 bins): noise-only SNR has unit spread without common mode
    (within 10%, 4600 frequencies), and an injection is still the one global candidate."""
    from network_helpers import amails_table, with_noise

    quiet = with_noise(amails_table(), common_mode_t_rthz=0.0)
    resp = amails_responses()
    res = co.correlate(quiet, resp, co.simulate(quiet, 100.0, 100.0, seed=8), fmin_hz=2, fmax_hz=48,
                       statistic="template", n_mc=200, n_anchors=2, psd="data")
    assert np.std(res.snr) == pytest.approx(1.0, abs=0.1) and abs(np.mean(res.snr)) < 0.1
    lt = lab_templates(quiet, resp, [30.0])[0]
    run = co.simulate(quiet, 100.0, 100.0, seed=9, injection={"eps": 3e-3, "freq_hz": 30.0, "lab_templates": lt,
                                                              "polarization": P_FIXED})
    res = co.correlate(quiet, resp, run, fmin_hz=2, fmax_hz=48, statistic="template", n_mc=200, n_anchors=2,
                       psd="data")
    assert res.candidates().tolist() == [30.0]
