"""Reference correlator: simulate the network's data, cross-correlate all pairs, SNR per bin, Monte Carlo 95%
threshold and an upper limit on eps per frequency, injection recovery (AMAILS, Jiang et al. (2024); docs/physics.md sec. 4).

Spectra: z_i(f_k) = conj(rfft(x_i))_k sqrt(2 / (fs N)) is the coefficient of exp(-i 2 pi f t), normalised so that
E[z z^H] = Sigma (one-sided PSD, T^2/Hz) for noise and z_i = sqrt(T/2) a_i for a line Re[a_i exp(-i w t)] on a bin.
The network statistic is Y = z^H V z with pair weights V (noise.py: plain / template / optimal; V's sign is chosen
so the expected DP signal is positive: the AMAILS network's plain average has a negative one), its SNR is
Y / sigma_Y with sigma_Y = sqrt(sum_ij |V_ij|^2 D_i D_j) from the auto-spectra D (model, or smoothed data) alone:
the "uncorrelated" prediction of Jiang et al. (2024) Fig. 2e-g, which common-mode noise biases to positive SNR.

Signal treatment: short run (T_obs << 1 sidereal day): the lab frame at the run's mid time; T_obs < coherence time
~1e6/f: one polarization P for the run. 'isotropic' = the stochastic field, P complex Gaussian with E[P P^H] = I/3
(Rayleigh amplitude); 'aligned' = a fixed |P| = 1 along the network's most sensitive direction. The 95% limit
is Neyman's: the eps whose SNR falls below the observed one in 5% of Monte Carlo trials (noise with the full
common-mode covariance, cross term signal x noise included), with a power constraint at the noise-only 16%
quantile (a downward fluctuation never gives a limit below the -1 sigma sensitivity).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import uniform_filter1d

from amails_fem.errors import SpecError
from amails_fem.frames import UNIX_J2000_S
from amails_fem.log import Progress
from amails_fem.network import noise as nz
from amails_fem.network import sidereal
from amails_fem.network.response import lab_templates
from amails_fem.network.templates import injection_timeseries

CL = 0.95


# -- simulation -------------------------------------------------------------------------------------------------
@dataclass
class SimulatedRun:
    """Simulated network time series (tesla), (n_sensor, n_samples) at fs_hz, starting at t0_unix_s."""

    data_t: np.ndarray
    fs_hz: float
    t0_unix_s: float
    injection: dict | None = None

    @property
    def duration_s(self) -> float:
        return self.data_t.shape[1] / self.fs_hz


def simulate(network, duration_s: float, fs_hz: float, *, seed=0, t0_unix_s: float = UNIX_J2000_S,
             injection: dict | None = None, dtype=np.float64) -> SimulatedRun:
    """Gaussian network noise with the noise.py covariance (intrinsic + per-room common mode, nothing shared
    between rooms) synthesised in the frequency domain, plus an optional injection
    {"eps", "freq_hz", "lab_templates" (n, 3) at freq_hz, "polarization": 'isotropic' | 3-vector}."""

    n_t = int(round(duration_s * fs_hz))
    if n_t < 16:
        raise SpecError(f"duration_s * fs_hz must give at least 16 samples; got {n_t}")
    rng = np.random.default_rng(seed)
    f = np.fft.rfftfreq(n_t, 1.0 / fs_hz)
    fpos = np.where(f > 0, f, f[1])
    scale = np.sqrt(fs_hz * n_t / 2.0)
    common = {}
    for name, room in sorted(network.rooms.items()):
        common[name] = _cn(rng, f.size)
    out = np.empty((network.n_sensors, n_t), dtype)
    for i, s in enumerate(network.sensors):
        room = network.rooms[s.room]
        z = s.asd_t_rthz(fpos) * _cn(rng, f.size)
        c, rho = room.common_mode_t_rthz, room.common_mode_correlation
        if c > 0:
            z += c * (np.sqrt(rho) * common[s.room] + (np.sqrt(1 - rho) * _cn(rng, f.size) if rho < 1 else 0.0))
        z[0] = 0.0
        if n_t % 2 == 0:
            z[-1] = z[-1].real * np.sqrt(2.0)
        out[i] = np.fft.irfft(z * scale, n=n_t)
    info = None
    if injection is not None:
        t = np.arange(n_t) / fs_hz
        sig, p = injection_timeseries(network, injection["lab_templates"], injection["freq_hz"], injection["eps"], t,
                                      t0_unix_s=t0_unix_s, polarization=injection.get("polarization", "isotropic"),
                                      rng=rng)
        out += sig.astype(dtype)
        info = {k: v for k, v in injection.items() if k != "lab_templates"}
        info["polarization_drawn"] = p
    return SimulatedRun(out, float(fs_hz), float(t0_unix_s), info)


def _cn(rng, n):
    """Circular complex normal samples with E|z|^2 = 1."""
    return (rng.standard_normal(n) + 1j * rng.standard_normal(n)) / np.sqrt(2.0)


def spectra(data_t, fs_hz: float):
    """(freqs_hz, z) with z (n_sensor, n_bins) the normalised exp(-i w t) coefficients (module docstring)."""
    x = np.asarray(data_t)
    n_t = x.shape[-1]
    z = np.conj(np.fft.rfft(x, axis=-1)) * np.sqrt(2.0 / (fs_hz * n_t))
    return np.fft.rfftfreq(n_t, 1.0 / fs_hz), z


def pair_snr(z, d_psd, i: int, j: int) -> np.ndarray:
    """SNR of one pair's real cross-spectrum per bin, Re(z_i conj z_j) / sqrt(D_i D_j / 2) (Jiang et al. (2024) Fig. 2e-g);
    a Laplace law of unit variance for uncorrelated Gaussian noise."""
    return np.real(z[i] * np.conj(z[j])) / np.sqrt(d_psd[i] * d_psd[j] / 2.0)


def laplace_pdf(x):
    """Density of Re(z_i conj z_j)/sqrt(D_i D_j/2) for independent Gaussian noise: Laplace, scale 1/sqrt(2)."""
    b = 1.0 / np.sqrt(2.0)
    return np.exp(-np.abs(x) / b) / (2 * b)


# -- Monte Carlo tables ----------------------------------------------------------------------------------------
@dataclass
class McTable:
    """Monte Carlo of the standardised statistic SNR(x) = x u + sqrt(x) v + w at one anchor frequency, where
    x = eps^2 alpha_bar is the expected polarization-averaged SNR; (u, v, w) do not change when the templates or
    the noise are rescaled, so one table serves all bins near its anchor."""

    freq_hz: float
    w: np.ndarray  # noise-only SNR samples
    uv: dict  # signal model -> (u, v) samples
    x_grid: np.ndarray = field(default_factory=lambda: np.concatenate([[0.0], np.logspace(-3, 5, 400)]))

    @property
    def threshold(self) -> float:
        """The Monte Carlo 95% noise-only SNR threshold (a detection candidate lies above it)."""
        return float(np.quantile(self.w, CL))

    def quantile_curve(self, model: str, q: float = 1 - CL) -> np.ndarray:
        u, v = self.uv[model]
        x = self.x_grid[:, None]
        snr = x * u[None] + np.sqrt(x) * v[None] + self.w[None]
        return np.maximum.accumulate(np.quantile(snr, q, axis=1))

    def x95(self, snr_obs, model: str = "isotropic", power_constraint: bool = True) -> np.ndarray:
        """Upper limit on x (expected SNR) at CL for observed SNRs (array)."""
        curve = self.quantile_curve(model)
        s = np.asarray(snr_obs, float)
        if power_constraint:
            s = np.maximum(s, np.quantile(self.w, 0.16))
        x = np.interp(s, curve, self.x_grid, left=0.0, right=np.inf)
        return np.where(s > curve[-1], np.inf, x)


def mc_table(a_cel, sigma, v, t_obs_s: float, d_diag, *, n_mc: int = 4000, rng=None, freq_hz: float = 0.0) -> McTable:
    """Build the table for celestial short-run templates a_cel (n, 3), noise matrix sigma (n, n), weights v,
    auto-spectra d_diag (n) used for sigma_Y."""
    rng = np.random.default_rng(rng)
    n = sigma.shape[0]
    sig_y = np.sqrt(np.sum(np.abs(v) ** 2 * np.outer(d_diag, d_diag)))
    s_bar = nz.signal_covariance(a_cel)
    alpha_bar = 0.5 * t_obs_s * np.real(np.trace(v @ s_bar)) / sig_y
    if alpha_bar <= 0:
        raise SpecError(f"the statistic has no sensitivity to the signal at {freq_hz:g} Hz (tr(V S) <= 0)")
    chol = np.linalg.cholesky(sigma + 1e-30 * np.eye(n) * np.trace(sigma))
    noise = chol @ _cn(rng, (n, n_mc))
    w = np.real(np.einsum("im,ij,jm->m", np.conj(noise), v, noise)) / sig_y
    uv = {}
    g = np.real(a_cel.conj().T @ v @ a_cel)
    best = np.linalg.eigh(0.5 * (g + g.T))[1][:, -1]
    pols = {
        "isotropic": _cn(rng, (3, n_mc)) / np.sqrt(3.0),
        "aligned": best[:, None] * np.exp(2j * np.pi * rng.uniform(size=n_mc))[None],
    }
    for model, p in pols.items():
        a = a_cel @ p  # (n, m)
        u = 0.5 * t_obs_s * np.real(np.einsum("im,ij,jm->m", np.conj(a), v, a)) / sig_y / alpha_bar
        vv = 2 * np.sqrt(0.5 * t_obs_s) * np.real(np.einsum("im,ij,jm->m", np.conj(a), v, noise)) / sig_y / np.sqrt(alpha_bar)
        uv[model] = (u, vv)
    return McTable(float(freq_hz), w, uv)


def rayleigh_factor(table: McTable) -> float:
    """eps_95(isotropic Rayleigh) / eps_95(fixed aligned) at the median noise-only SNR."""
    s = np.median(table.w)
    return float(np.sqrt(table.x95(s, "isotropic") / table.x95(s, "aligned")))


# -- the correlator --------------------------------------------------------------------------------------------
@dataclass
class CorrelatorResult:
    """Per-bin results in the analysis band (SI)."""

    freqs_hz: np.ndarray
    y: np.ndarray  # statistic z^H V z (T^2/Hz)
    sigma_y: np.ndarray  # its uncorrelated-noise std (T^2/Hz)
    snr: np.ndarray
    alpha_bar: np.ndarray  # expected SNR per eps^2 (polarization-averaged)
    eps95: np.ndarray  # 95% upper limit on eps per bin (isotropic Rayleigh treatment)
    threshold_snr: float  # Monte Carlo 95% noise-only threshold (first anchor; all listed in tables)
    tables: list
    statistic: str
    t_obs_s: float
    anchor_index: np.ndarray
    extra: dict = field(default_factory=dict)

    def candidates(self) -> np.ndarray:
        """Frequencies whose SNR exceeds their anchor's Monte Carlo 95% threshold."""
        thr = np.array([t.threshold for t in self.tables])[self.anchor_index]
        return self.freqs_hz[self.snr > thr]


def correlate(network, responses, run: SimulatedRun, *, fmin_hz: float = 1.0, fmax_hz: float | None = None,
              statistic: str = "plain", n_anchors: int = 8, n_mc: int = 4000, seed=1, psd: str = "model",
              chunk: int = 200_000, progress: Progress | None = None) -> CorrelatorResult:
    """Cross-correlate all pairs of a run in [fmin_hz, fmax_hz]: statistic, SNR, MC threshold and eps limit per bin.

    statistic: 'plain' (AMAILS), 'template' or 'optimal' (noise.py); psd: 'model' (the noise model's auto-spectra)
    or 'data' (periodograms smoothed over 64 bins) for sigma_Y."""

    progress = progress or Progress(quiet=True)
    if statistic not in ("plain", "template", "optimal"):
        raise SpecError(f"statistic must be plain, template or optimal; got {statistic!r}")
    if psd not in ("model", "data"):
        raise SpecError(f"psd must be 'model' or 'data'; got {psd!r}")
    fs, t_obs = run.fs_hz, run.duration_s
    fmax_hz = fmax_hz if fmax_hz is not None else 0.5 * fs * 0.999
    if not (0 < fmin_hz < fmax_hz <= fs / 2):
        raise SpecError(f"need 0 < fmin_hz < fmax_hz <= fs/2 = {fs / 2} Hz; got {fmin_hz}, {fmax_hz}")
    with progress.step("spectra"):
        f_all, z_all = spectra(run.data_t, fs)
    band = (f_all >= fmin_hz) & (f_all <= fmax_hz)
    f, z = f_all[band], z_all[:, band]
    if psd == "data":
        d = uniform_filter1d(np.abs(z_all) ** 2, 64, axis=1, mode="nearest")[:, band]
    else:
        d = np.stack([s.asd_t_rthz(f) ** 2 for s in network.sensors])
        for i, s in enumerate(network.sensors):
            d[i] += network.rooms[s.room].common_mode_t_rthz ** 2
    del z_all
    t_mid = run.t0_unix_s + 0.5 * t_obs
    site_of = [network.rooms[s.room].site for s in network.sensors]
    anchors = np.geomspace(max(f[0], 1e-9), f[-1], n_anchors)
    a_anchor = sidereal.short_run_templates(lab_templates(network, responses, anchors), site_of, network.sites, t_mid)
    sig_anchor = nz.noise_covariance(network, anchors)
    rng = np.random.default_rng(seed)
    v_anchor, tables = [], []
    with progress.step(f"Monte Carlo tables ({n_anchors} anchors x {n_mc} trials)"):
        for k, fa in enumerate(anchors):
            s_bar = nz.signal_covariance(a_anchor[k])
            v = nz.weights(statistic, s_bar, sig_anchor[k])
            if np.real(np.trace(v @ s_bar)) < 0:  # e.g. opposite walls: test in the direction of the signal
                v = -v
            v_anchor.append(v)
            tables.append(mc_table(a_anchor[k], sig_anchor[k], v, t_obs, np.real(np.diag(sig_anchor[k])),
                                   n_mc=n_mc, rng=rng, freq_hz=fa))
    idx = np.abs(np.log(f)[:, None] - np.log(anchors)[None]).argmin(axis=1)
    y = np.empty(f.size)
    sig_y = np.empty(f.size)
    alpha = np.empty(f.size)
    with progress.step(f"correlating {len(network.pairs())} pairs over {f.size} bins ({statistic})"):
        starts = range(0, f.size, chunk)
        for a in progress.loop(starts, len(starts), "frequency chunks"):
            sl = slice(a, min(a + chunk, f.size))
            vb = np.stack(v_anchor)[idx[sl]]  # (b, n, n)
            zb = z[:, sl].T  # (b, n)
            y[sl] = np.real(np.einsum("bi,bij,bj->b", np.conj(zb), vb, zb))
            db = d[:, sl].T
            sig_y[sl] = np.sqrt(np.einsum("bij,bi,bj->b", np.abs(vb) ** 2, db, db))
            a_b = sidereal.short_run_templates(lab_templates(network, responses, f[sl]), site_of, network.sites, t_mid)
            trvs = np.real(np.einsum("bij,bjk,bik->b", vb, a_b, np.conj(a_b))) / 3.0  # tr(V S_bar)
            alpha[sl] = 0.5 * t_obs * trvs / sig_y[sl]
    snr = y / sig_y
    x95 = np.empty(f.size)
    for k, tab in enumerate(tables):
        m = idx == k
        if m.any():
            x95[m] = tab.x95(snr[m], "isotropic")
    eps95 = np.sqrt(x95 / alpha)
    return CorrelatorResult(f, y, sig_y, snr, alpha, eps95, tables[0].threshold, tables, statistic, t_obs, idx,
                            extra={"z": z, "d_psd": d, "v_anchor": v_anchor, "anchors_hz": anchors, "t_mid_unix_s": t_mid})


def recover_injection(network, responses, result: CorrelatorResult, freq_hz: float, polarization) -> dict:
    """Estimate eps^2 at the injected bin for a known (fixed) celestial polarization P:
    eps^2_hat = (Y - tr(V Sigma)) / ((T/2) P^H A^H V A P), with its statistical error
    sqrt(tr(V Sigma V Sigma) + 2 s^H V Sigma V s) / ((T/2) ...), s = sqrt(T/2) eps A P."""
    k = int(np.argmin(np.abs(result.freqs_hz - freq_hz)))
    f = result.freqs_hz[k]
    site_of = [network.rooms[s.room].site for s in network.sensors]
    a = sidereal.short_run_templates(lab_templates(network, responses, [f]), site_of, network.sites,
                                     result.extra["t_mid_unix_s"])[0]
    v = result.extra["v_anchor"][result.anchor_index[k]]
    sigma = nz.noise_covariance(network, [f])[0]
    ap = a @ (np.asarray(polarization, complex) / np.linalg.norm(polarization))
    g = 0.5 * result.t_obs_s * np.real(np.conj(ap) @ v @ ap)
    eps2 = (result.y[k] - np.real(np.trace(v @ sigma))) / g
    s = np.sqrt(0.5 * result.t_obs_s * max(eps2, 0.0)) * ap
    var = np.real(np.trace(v @ sigma @ v @ sigma)) + 2 * np.real(np.conj(s) @ v @ sigma @ v @ s)
    eps2_err = np.sqrt(var) / g
    return {"freq_hz": float(f), "eps2_hat": float(eps2), "eps2_err": float(eps2_err),
            "eps_hat": float(np.sqrt(max(eps2, 0.0))), "eps95": float(result.eps95[k]), "snr": float(result.snr[k])}


# -- plots -----------------------------------------------------------------------------------------------------




def tail_ratio(snr, cut: float = 3.0) -> float:
    """Asymmetry of an SNR distribution: count(SNR > cut) / count(SNR < -cut) (1 for a symmetric law)."""
    snr = np.asarray(snr)
    return float(np.sum(snr > cut) / max(np.sum(snr < -cut), 1))
