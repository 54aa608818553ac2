"""The network correlator on recorded (or simulated) runs: coherent segments, the three sidereal regimes, gaps,
calibration, a look-elsewhere-corrected detection threshold, candidates and a 95% limit on eps per frequency
(AMAILS, Jiang et al. (2024); docs/physics.md sec. 4; docs/recorded_data.md).

Spectra: z_i(f_k) = conj(rfft(m_i x_i))_k sqrt(2 / (fs N_i)) per coherent segment of N samples (m_i the quality
mask, N_i its good samples), divided by the calibration G_i(f) = g exp(i phi): the exp(-i 2 pi f t) coefficient
normalised so that E[z z^H] = Sigma (one-sided PSD, T^2/Hz) for noise (between two sensors the common mode is
reduced by the overlap of their masks, N_ij / sqrt(N_i N_j)).

Signal (sidereal.py): s_i(t) = eps Re[sum_l A_l,i P exp(-i 2 pi (f + l f_sid)(t - t_s))], A_l referred to the
segment start t_s. A DM frequency f on bin k of a segment of length T_s puts into bin k + m
    E[z_i(k + m)] = sqrt(T_s/2) eps b_m,i P,  b_m,i = sqrt(N_i/N) sum_l A_l,i K_i(l f_sid - m/T_s),
with the mask kernel K_i(d) = (1/N_i) sum_n m_i,n exp(-i 2 pi d n / fs) (exact for any gaps). The three regimes
(sidereal.regime of T_s): short (T_s f_sid < 0.05): bin k alone (m = 0), the lab frame effectively fixed;
intermediate: bins k-M..k+M, M = ceil(T_s f_sid) + 1, the triplet unresolved but the frame turning; long
(T_s f_sid >= 1): the same window resolves f, f +/- f_sid into separate bins.

Coherent segments: the DM field keeps one polarization P for the coherence time tau(f) = Q / f (Q ~ 1e6). Band
by band, a run of duration T is cut into 2^k segments of T / 2^k <= tau(f) (k = 0 below f = Q / T); with an
isotropic stochastic field each segment draws its own P (Foster, Rodd & Safdi (2018) PRD 97 123006; Lisanti,
Moschella & Terrano (2021) arXiv:2107.10260; Fedderke et al. (2021) arXiv:2108.08852 and Friel et al. (2024)
arXiv:2408.16045 for the SuperMAG searches). The statistic adds the segments' and bins' quadratic forms
    Y(f) = sum_{s,m} z_s(k + m)^H V_s,m z_s(k + m),
V_s,m the pair weights of noise.py (plain / template / optimal) for the signal matrix S_s,m = b b^H / 3, scaled by
tr(V S) / tr(V Sigma V Sigma) (the weak-signal optimal combination of the blocks). SNR = Y / sigma_Y with
sigma_Y^2 = sum |V_ij|^2 D_i D_j from the auto-spectra D (Jiang et al. (2024) Fig. 2e-g; common-mode noise
biases it to positive SNR, which the thresholds include). alpha = (T_s/2) sum tr(V S) / sigma_Y is the expected
SNR per eps^2 averaged over polarizations.

Estimates: eps2_hat = (Y - sum tr(V Sigma)) / (alpha sigma_Y) is unbiased for eps^2 averaged over an isotropic
polarization (for a given P it estimates eps^2 P^H G P / (|P|^2 tr(G) / 3), G = sum b^H V b); recover_injection
gives eps^2 itself for a known P. Thresholds: p_local from the exact quadratic-form law of Y under the noise model
(significance.py); global threshold at false-alarm probability 0.05 over N_trials = every analysed frequency.
Limits (Neyman, 95% C.L.): the eps whose SNR falls below the observed one in 5% of Monte Carlo trials (noise
with the full common-mode covariance, signal x noise terms included), with a power constraint at the noise-only
16% quantile; polarization model 'isotropic' (P per segment complex Gaussian, E[P P^H] = I/3: Rayleigh amplitude)
or 'fixed' (|P| = 1, one uniformly random direction for the whole run).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from scipy.ndimage import uniform_filter1d

from amails_fem.analysis.significance import (
    QuadraticFormTail,
    global_p,
    local_threshold_probability,
)
from amails_fem.analysis.simulation import (  # noqa: F401
    DEFAULT_QUALITY,
    calibration_response,
    simulate,
)
from amails_fem.errors import SpecError
from amails_fem.log import Progress
from amails_fem.memory import require_memory
from amails_fem.network import noise as nz
from amails_fem.network import sidereal
from amails_fem.network.response import lab_templates, lab_templates_fn
from amails_fem.network.runs import Run, check_run
from amails_fem.units import F_SIDEREAL_HZ, RHO_DM_GEV_CM3, hz_to_ev
from amails_fem.validate import require_option

CL = 0.95
FALSE_ALARM = 0.05
POLARIZATION_MODELS = ("isotropic", "fixed")
SimulatedRun = Run  # the simulator returns a Run of the recorded-data format


def _cn(rng, n):
    """Circular complex normal samples with E|z|^2 = 1."""
    return (rng.standard_normal(n) + 1j * rng.standard_normal(n)) / np.sqrt(2.0)


def spectra(data_t, fs_hz: float):
    """(freqs_hz, z) with z (n_sensor, n_bins) the normalised exp(-i w t) coefficients of a whole unmasked run."""
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
    x = eps^2 alpha is the expected polarization-averaged SNR; (u, v, w) do not change when the templates or the
    noise are rescaled, so one table serves all bins near its anchor. ``tail`` is the exact noise-only law."""

    freq_hz: float
    w: np.ndarray  # noise-only SNR samples
    uv: dict  # polarization model -> (u, v) samples
    tail: QuadraticFormTail | None = None
    sig_y: float = 1.0  # the anchor's sigma_Y and alpha: the raw (unnormalised) samples are w sig_y,
    alpha: float = 1.0  # u sig_y alpha and v sig_y sqrt(alpha), which add over segments (longrun.py)
    x_grid: np.ndarray = field(default_factory=lambda: np.concatenate([[0.0], np.logspace(-3, 5, 400)]))

    @property
    def threshold(self) -> float:
        """The Monte Carlo 95% noise-only SNR quantile of one frequency (no look-elsewhere correction)."""
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


def rayleigh_factor(table: McTable) -> float:
    """eps_95(isotropic Rayleigh) / eps_95(fixed polarization along the most sensitive direction) at the median
    noise-only SNR."""
    s = np.median(table.w)
    return float(np.sqrt(table.x95(s, "isotropic") / table.x95(s, "aligned")))


# -- bands of coherent segments --------------------------------------------------------------------------------
@dataclass
class Band:
    """DM bins analysed with one coherent-segment length: n_seg segments of seg_len samples, window +/- m_max."""

    index: int
    seg_len: int
    n_seg: int
    t_seg_s: float
    regime: str
    m_max: int
    bins: np.ndarray  # DM bin indices k of the segment FFT
    t_start_unix_s: np.ndarray
    kernel: np.ndarray = None  # (n_seg, n, 3 lines, n_m)
    n_good: np.ndarray = None  # (n_seg, n)
    overlap: np.ndarray = None  # (n_seg, n, n)
    anchors_hz: np.ndarray = None
    v: np.ndarray = None  # (n_seg, n_m, n_anchor, n, n)
    spectra: np.ndarray = None  # (n_seg, n, n_z) for bins bins[0]-m_max .. bins[-1]+m_max
    d_psd: np.ndarray = None  # (n, n_z) auto-spectra used for sigma_Y
    var_ratio: np.ndarray = None  # (n_anchor,) noise variance of Y over sigma_Y^2 (common mode > 1)

    @property
    def offsets(self) -> np.ndarray:
        return np.arange(-self.m_max, self.m_max + 1)

    @property
    def freqs_hz(self) -> np.ndarray:
        return self.bins / self.t_seg_s


def plan_bands(n_samples: int, fs_hz: float, fmin_hz: float, fmax_hz: float, t0_unix_s: float,
               quality: float = DEFAULT_QUALITY) -> list:
    """Bands of DM frequencies by coherent-segment length (module docstring): band k uses 2^k segments of
    n_samples // 2^k, for f in (Q 2^(k-1) / T, Q 2^k / T]; the last n_samples mod 2^k samples are not used."""
    t_obs = n_samples / fs_hz
    bands, f_done, k = [], fmin_hz - 1e-300, 0
    while f_done < fmax_hz:
        seg = n_samples // 2**k
        t_seg = seg / fs_hz
        f_cap = quality / t_seg
        if seg < 16 or fs_hz / seg > fmax_hz:
            raise SpecError(f"the coherence time Q/f = {quality:g}/{fmax_hz:g} Hz = {quality / fmax_hz:.3g} s allows "
                            f"too short segments at {fmax_hz:g} Hz (T = {t_obs:g} s); raise fs_hz or lower fmax_hz")
        if f_cap > f_done:
            reg = sidereal.regime(t_seg)
            m_max = 0 if reg == "short" else int(np.ceil(t_seg * F_SIDEREAL_HZ)) + 1
            kk = np.arange(1, seg // 2)
            f = kk / t_seg
            sel = (f > f_done) & (f >= fmin_hz) & (f <= min(fmax_hz, f_cap)) & (kk - m_max >= 1) & \
                  (kk + m_max <= seg // 2 - 1)
            if sel.any():
                bands.append(Band(k, seg, 2**k, t_seg, reg, m_max, kk[sel],
                                  t0_unix_s + np.arange(2**k) * t_seg))
            f_done = min(fmax_hz, f_cap)
        k += 1
    if not bands:
        raise SpecError(f"no frequency bin in [{fmin_hz}, {fmax_hz}] Hz for T = {t_obs:g} s at {fs_hz:g} Hz")
    return bands


def _full_kernel(deltas_hz, n: int, fs_hz: float) -> np.ndarray:
    """K(d) = (1/N) sum_n exp(-i 2 pi d n / fs) for an unmasked segment (geometric sum; 1 at d = 0)."""
    q = np.exp(-2j * np.pi * np.asarray(deltas_hz, float) / fs_hz)
    safe = np.abs(1 - q) > 1e-12
    return np.where(safe, (1 - q**n) / (n * np.where(safe, 1 - q, 1.0)), 1.0 + 0j)


def _mask_terms(band: Band, good: np.ndarray, fs_hz: float, chunk: int = 1 << 16) -> None:
    """Mask kernels K_i(l f_sid - m/T_s), good-sample counts and overlaps of every segment (module docstring)."""
    n = good.shape[0]
    offs = band.offsets
    deltas = (np.array(sidereal.LINE_OFFSETS)[:, None] * F_SIDEREAL_HZ - offs[None] / band.t_seg_s).ravel()
    full = _full_kernel(deltas, band.seg_len, fs_hz)
    band.kernel = np.empty((band.n_seg, n, 3, offs.size), complex)
    band.n_good = np.empty((band.n_seg, n))
    band.overlap = np.empty((band.n_seg, n, n))
    for s in range(band.n_seg):
        g = good[:, s * band.seg_len:(s + 1) * band.seg_len]
        band.n_good[s] = g.sum(axis=1)
        if np.any(band.n_good[s] == 0):
            raise SpecError(f"a coherent segment of {band.t_seg_s:g} s has no good sample of sensor "
                            f"{int(np.flatnonzero(band.n_good[s] == 0)[0])}: shorten the gaps or the segments")
        gf = g.astype(float)
        band.overlap[s] = (gf @ gf.T) / np.sqrt(np.outer(band.n_good[s], band.n_good[s]))
        k = np.tile(full, (n, 1))
        rows = np.flatnonzero(~g.all(axis=1))
        if rows.size:
            acc = np.zeros((rows.size, deltas.size), complex)
            for a in range(0, band.seg_len, chunk):
                t = np.arange(a, min(a + chunk, band.seg_len)) / fs_hz
                acc += gf[rows, a:a + chunk] @ np.exp(-2j * np.pi * np.outer(t, deltas))
            k[rows] = acc / band.n_good[s][rows, None]
        band.kernel[s] = k.reshape(n, 3, offs.size)


def _segment_spectra(run: Run, band: Band, good: np.ndarray) -> None:
    """z of every segment on the band's bins +/- m_max, masked, normalised and calibrated (module docstring)."""
    lo, hi = band.bins[0] - band.m_max, band.bins[-1] + band.m_max + 1
    n = run.n_sensors
    band.spectra = np.empty((band.n_seg, n, hi - lo), complex)
    f = np.arange(lo, hi) / band.t_seg_s
    for s in range(band.n_seg):
        sl = slice(s * band.seg_len, (s + 1) * band.seg_len)
        x = np.where(good[:, sl], run.data_t[:, sl], 0.0)
        z = np.conj(np.fft.rfft(x, axis=-1)[:, lo:hi]) * np.sqrt(2.0 / (run.fs_hz * band.n_good[s]))[:, None]
        if run.calibration is not None:
            for i in range(n):
                z[i] /= calibration_response(run.calibration, i, f)
        band.spectra[s] = z


def _templates(lab, site_of, sites, band: Band, s: int) -> np.ndarray:
    """b_s,m (n_m, n_freq, n, 3): the block templates of segment s from lab templates (n_freq, n, 3),
    b_m[f, i] = sqrt(N_i / N) sum_l T[f, i] Lambda_l(site_i) K_i(l, m): the line weights and the mask kernel
    folded into one (3, 3) matrix per sensor and offset (sidereal.line_templates)."""
    lam = sidereal.sensor_line_weights(site_of, sites, band.t_start_unix_s[s])  # (i, l, k, K)
    k = band.kernel[s] * np.sqrt(band.n_good[s] / band.seg_len)[:, None, None]  # (i, l, m)
    fold = np.einsum("ilkK,ilm->imkK", lam, k)  # (i, m, 3, 3)
    per_sensor = np.ascontiguousarray(np.swapaxes(np.asarray(lab), 0, 1))  # (i, f, k)
    return np.matmul(per_sensor[:, None], fold).transpose(1, 2, 0, 3)


def _anchor_runs(idx: np.ndarray) -> list:
    """[(anchor k, slice)] of the contiguous runs of equal anchor index in idx (frequencies are sorted, so each
    anchor owns one run per chunk)."""
    cut = np.flatnonzero(np.diff(idx)) + 1
    edges = np.concatenate([[0], cut, [idx.size]])
    return [(int(idx[a]), slice(int(a), int(b))) for a, b in zip(edges[:-1], edges[1:])]


def _block_sums(v, z, d, b, se):
    """The per-frequency sums of one block weight V (n, n) shared by nb frequencies, as matrix products:
    Re z^H V z, sum_ij |V_ij|^2 d_i d_j, Re tr(V b b^H) / 3 and Re tr(V Sigma_e); z, d (nb, n), b (nb, n, 3),
    se (nb, n, n)."""
    y = np.real(np.sum(np.conj(z) * (z @ v.T), axis=1))
    sig2 = np.sum((d @ (np.abs(v) ** 2).T) * d, axis=1)
    cols = np.swapaxes(b, 1, 2).reshape(-1, b.shape[1])  # the templates' 3 columns as rows
    trvs = np.real(np.sum(np.conj(cols) * (cols @ v.T), axis=1)).reshape(-1, 3).sum(axis=1) / 3.0
    mu = np.real(se.reshape(se.shape[0], -1) @ v.T.reshape(-1))
    return y, sig2, trvs, mu


def _block_weights(kind: str, b, sigma_e) -> np.ndarray:
    """V for one block (n, n): noise.py weights for S = b b^H / 3, oriented along the signal and scaled by
    tr(V S) / tr(V Sigma V Sigma) (weak-signal optimal combination of blocks)."""
    s_mat = nz.signal_covariance(b)
    v = nz.weights(kind, s_mat, sigma_e)
    num = np.real(np.trace(v @ s_mat))
    den = np.real(np.trace(v @ sigma_e @ v @ sigma_e))
    if num == 0 or den <= 0:
        return np.zeros_like(v)
    return v * (num / den)  # the sign of V drops out: the block always adds signal with a positive mean


def _anchor_tables(band: Band, network, responses, statistic: str, n_anchors: int, n_mc: int, rng,
                   pol_seed=None) -> list:
    """Weights V_s,m at the band's anchor frequencies and one McTable (with its exact tail) per anchor. rng is a
    SeedSequence: every anchor draws the same random numbers (common random numbers), so tables that differ only
    in scale are identical and the limit has no Monte Carlo steps at the anchors' boundaries."""
    n = network.n_sensors
    site_of = [network.rooms[s.room].site for s in network.sensors]
    f = band.freqs_hz
    band.anchors_hz = np.geomspace(f[0], f[-1], max(1, min(n_anchors, f.size)))
    lab = lab_templates(network, responses, band.anchors_hz)
    sig = nz.noise_covariance(network, band.anchors_hz)
    n_m = band.offsets.size
    band.v = np.zeros((band.n_seg, n_m, band.anchors_hz.size, n, n), complex)
    tables, ratios = [], []
    for a, fa in enumerate(band.anchors_hz):
        d = np.real(np.diag(sig[a]))
        blocks = []
        for s in range(band.n_seg):
            b = _templates(lab[a:a + 1], site_of, network.sites, band, s)[:, 0]  # (n_m, n, 3)
            se = sig[a] * band.overlap[s]
            for m in range(n_m):
                v = _block_weights(statistic, b[m], se)
                band.v[s, m, a] = v
                blocks.append((s, b[m], v, se))
        sig_y = np.sqrt(sum(np.sum(np.abs(v) ** 2 * np.outer(d, d)) for _s, _b, v, _se in blocks))
        trvs = sum(np.real(np.trace(v @ nz.signal_covariance(b))) for _s, b, v, _se in blocks)
        alpha = 0.5 * band.t_seg_s * trvs / sig_y
        if not alpha > 0:
            raise SpecError(f"the statistic has no sensitivity to the signal at {fa:g} Hz (tr(V S) <= 0)")
        lam = []
        for _s, _b, v, se in blocks:
            ch = np.linalg.cholesky(se + 1e-12 * np.eye(n) * np.trace(se).real / n)
            lam.append(np.linalg.eigvalsh(ch.conj().T @ v @ ch))
        tail = QuadraticFormTail(np.concatenate(lam) / sig_y)
        ratios.append(sum(np.real(np.trace(v @ se @ v @ se)) for _s, _b, v, se in blocks) / sig_y**2)
        tables.append(_mc_table(blocks, band, sig_y, alpha, n_mc, np.random.default_rng(rng), fa, tail,
                                None if pol_seed is None else (pol_seed, a)))
    band.var_ratio = np.array(ratios)
    return tables


def _mc_table(blocks, band: Band, sig_y: float, alpha: float, n_mc: int, rng, freq_hz: float, tail,
              pol_seed=None) -> McTable:
    """u, v, w samples (McTable) for the blocks: noise per block from the full covariance; polarization per
    segment ('isotropic'), one random fixed direction ('fixed') or the most sensitive direction ('aligned')."""
    n = blocks[0][1].shape[0]
    g = sum(np.real(b.conj().T @ v @ b) for _s, b, v, _se in blocks)
    best = np.linalg.eigh(0.5 * (g + g.T))[1][:, -1]
    pol_rng = np.random.default_rng(pol_seed) if pol_seed is not None else rng  # the same P in every segment
    fixed = pol_rng.standard_normal((3, n_mc))
    fixed /= np.linalg.norm(fixed, axis=0)
    phase = np.exp(2j * np.pi * pol_rng.uniform(size=n_mc))
    pol_const = {"fixed": fixed * phase[None], "aligned": best[:, None] * phase[None]}
    w = np.zeros(n_mc)
    acc = {k: [np.zeros(n_mc), np.zeros(n_mc)] for k in ("isotropic", "fixed", "aligned")}
    iso = {}
    for s, b, v, se in blocks:
        ch = np.linalg.cholesky(se + 1e-12 * np.eye(n) * np.trace(se).real / n)
        noise = ch @ _cn(rng, (n, n_mc))
        w += np.real(np.einsum("im,ij,jm->m", np.conj(noise), v, noise))
        if s not in iso:
            iso[s] = _cn(rng, (3, n_mc)) / np.sqrt(3.0)
        for model, p in (("isotropic", iso[s]), *pol_const.items()):
            sa = b @ p
            acc[model][0] += 0.5 * band.t_seg_s * np.real(np.einsum("im,ij,jm->m", np.conj(sa), v, sa))
            acc[model][1] += 2 * np.sqrt(0.5 * band.t_seg_s) * np.real(np.einsum("im,ij,jm->m", np.conj(sa), v, noise))
    uv = {k: (u / sig_y / alpha, vv / sig_y / np.sqrt(alpha)) for k, (u, vv) in acc.items()}
    return McTable(float(freq_hz), w / sig_y, uv, tail, float(sig_y), float(alpha))


# -- the correlator --------------------------------------------------------------------------------------------
@dataclass
class CorrelatorResult:
    """Per-frequency results in the analysis band (SI), concatenated over the coherent-segment bands."""

    freqs_hz: np.ndarray
    y: np.ndarray  # statistic Y (T^2/Hz)
    sigma_y: np.ndarray  # its uncorrelated-noise std (T^2/Hz)
    snr: np.ndarray
    alpha_bar: np.ndarray  # expected SNR per eps^2 (polarization-averaged)
    eps95: np.ndarray  # 95% upper limit on eps (polarization_model)
    threshold_snr: float  # local Monte Carlo 95% quantile of the first anchor (tables hold all)
    tables: list
    statistic: str
    t_obs_s: float
    anchor_index: np.ndarray  # index into tables per frequency
    eps2_hat: np.ndarray = None  # (Y - noise mean) / (alpha sigma_Y)
    eps2_err: np.ndarray = None
    band_index: np.ndarray = None
    bands: list = field(default_factory=list)
    global_threshold_snr: np.ndarray = None  # per frequency (its anchor's)
    n_trials: int = 0
    false_alarm: float = FALSE_ALARM
    polarization_model: str = "isotropic"
    rho_dm_gev_cm3: float = RHO_DM_GEV_CM3
    quality: float = DEFAULT_QUALITY
    problems: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def mass_ev(self) -> np.ndarray:
        return hz_to_ev(self.freqs_hz)

    def p_local(self, idx) -> np.ndarray:
        """Local p-values (exact noise-only law of the statistic) of the frequencies at indices idx."""
        idx = np.atleast_1d(idx)
        return np.array([self.tables[self.anchor_index[k]].tail.sf(self.snr[k]) for k in idx])

    def p_global(self, idx) -> np.ndarray:
        return global_p(self.p_local(idx), self.n_trials)

    def candidates(self) -> np.ndarray:
        """Frequencies above the look-elsewhere-corrected global threshold."""
        return self.freqs_hz[self.snr > self.global_threshold_snr]

    def ranked(self, n_local: int = 20) -> dict:
        """{'global': candidates above the global threshold, 'local': the n_local most significant frequencies},
        each a list of dicts (frequency_hz, mass_ev, snr, p_local, p_global), most significant first."""
        thr_ratio = self.snr / self.global_threshold_snr
        order = np.argsort(-thr_ratio)
        above = order[self.snr[order] > self.global_threshold_snr[order]]
        top = np.union1d(order[:max(n_local * 3, n_local)], above)
        rows = []
        for k, pl in zip(top, self.p_local(top)):
            rows.append({"frequency_hz": float(self.freqs_hz[k]), "mass_ev": float(hz_to_ev(self.freqs_hz[k])),
                         "snr": float(self.snr[k]), "p_local": float(pl),
                         "p_global": float(global_p(pl, self.n_trials)),
                         "global_threshold_snr": float(self.global_threshold_snr[k]),
                         "eps2_hat": float(self.eps2_hat[k]), "eps2_err": float(self.eps2_err[k])})
        rows.sort(key=lambda r: (r["p_local"], -r["snr"] / r["global_threshold_snr"]))
        glob = [r for r in rows if r["snr"] > r["global_threshold_snr"]]
        return {"global": glob, "local": rows[:n_local]}


def correlate(network, responses, run: Run, *, fmin_hz: float = 1.0, fmax_hz: float | None = None,
              statistic: str = "plain", n_anchors: int = 8, n_mc: int = 4000, seed=1, psd: str = "model",
              chunk: int = 4_000, polarization_model: str = "isotropic", quality: float = DEFAULT_QUALITY,
              false_alarm: float = FALSE_ALARM, pol_seed=None, progress: Progress | None = None) -> CorrelatorResult:
    """Analyse a run (module docstring): statistic, SNR, p-values, global threshold, eps estimate and 95% limit
    per DM frequency in [fmin_hz, fmax_hz].

    statistic: 'plain' (AMAILS), 'template' or 'optimal' (noise.py); psd: 'model' (the noise model's auto-spectra)
    or 'data' (segment-averaged periodograms smoothed over 64 bins) for sigma_Y; quality: f tau of the DM field;
    pol_seed: seed of the 'fixed' polarization draws (the same in every chunk of a long run, longrun.py)."""
    progress = progress or Progress(quiet=True)
    require_option(statistic, "statistic", ("plain", "template", "optimal"))
    require_option(psd, "psd", ("model", "data"))
    require_option(polarization_model, "polarization_model", POLARIZATION_MODELS)
    if network.n_sensors != run.n_sensors:
        raise SpecError(f"the network has {network.n_sensors} sensors, the run {run.n_sensors}")
    run = check_run(replace(run, problems=list(run.problems)), "run")
    fs, t_obs = run.fs_hz, run.duration_s
    fmax_hz = fmax_hz if fmax_hz is not None else 0.5 * fs * 0.999
    if not (0 < fmin_hz < fmax_hz <= fs / 2):
        raise SpecError(f"need 0 < fmin_hz < fmax_hz <= fs/2 = {fs / 2} Hz; got {fmin_hz}, {fmax_hz}")
    if not quality > 0:
        raise SpecError(f"coherence quality Q = f tau must be > 0; got {quality}")
    n = network.n_sensors
    require_memory(3.0 * n * run.n_samples * 16, f"correlating {n} sensors x {run.n_samples} samples in memory",
                   "analyse the run in time chunks (docs/recorded_data.md, long runs)")
    good = run.good()
    bands = plan_bands(run.n_samples, fs, fmin_hz, fmax_hz, run.t0_unix_s, quality)
    seeds = np.random.SeedSequence(seed if seed is None or np.isscalar(seed) else list(seed)).spawn(len(bands))
    site_of = [network.rooms[s.room].site for s in network.sensors]
    out = {k: [] for k in ("f", "y", "sig", "alpha", "mu", "var", "anchor", "band")}
    tables = []
    for band in bands:
        with progress.step(f"band {band.index}: {band.n_seg} segment(s) of {band.t_seg_s:g} s, {band.regime} regime, "
                           f"window +/-{band.m_max} bins, {band.bins.size} frequencies"):
            _mask_terms(band, good, fs)
            _segment_spectra(run, band, good)
            lo = band.bins[0] - band.m_max
            if psd == "data":
                p2 = np.mean(np.abs(band.spectra) ** 2, axis=0)
                band.d_psd = uniform_filter1d(p2, 64, axis=1, mode="nearest")
            tabs = _anchor_tables(band, network, responses, statistic, n_anchors, n_mc, seeds[len(out["band"])],
                                  pol_seed)
            t_off = len(tables)
            tables += tabs
            f = band.freqs_hz
            idx = np.abs(np.log(f)[:, None] - np.log(band.anchors_hz)[None]).argmin(axis=1)
            y, sig2, trvs, mu = (np.zeros(f.size) for _ in range(4))
            templates_at = lab_templates_fn(network, responses)
            starts = range(0, f.size, chunk)
            for a in progress.loop(starts, len(starts), "frequency chunks"):
                sl = slice(a, min(a + chunk, f.size))
                lab = templates_at(f[sl])
                sig_f = nz.noise_covariance(network, f[sl])
                if psd == "data":
                    dd = band.d_psd[:, band.bins[sl] - lo].T
                else:
                    dd = np.real(np.einsum("bii->bi", sig_f))
                runs = _anchor_runs(idx[sl])
                for s in range(band.n_seg):
                    b_all = _templates(lab, site_of, network.sites, band, s)
                    se = sig_f * band.overlap[s][None]
                    for mi, m in enumerate(band.offsets):
                        zb = band.spectra[s][:, band.bins[sl] + m - lo].T
                        for k, r in runs:
                            part = _block_sums(band.v[s, mi, k], zb[r], dd[r], b_all[mi][r], se[r])
                            for acc, val in zip((y, sig2, trvs, mu), part):
                                acc[sl][r] += val
            sig_y = np.sqrt(sig2)
            var = sig2 * band.var_ratio[idx]  # tr(V Sigma V Sigma) / sigma_Y^2 of the anchor (common mode)
            out["f"].append(f)
            out["y"].append(y)
            out["sig"].append(sig_y)
            out["alpha"].append(0.5 * band.t_seg_s * trvs / sig_y)
            out["mu"].append(mu)
            out["var"].append(var)
            out["anchor"].append(idx + t_off)
            out["band"].append(np.full(f.size, len(out["band"])))
            band.spectra = None  # the spectra are not kept
    cat = {k: np.concatenate(v) for k, v in out.items()}
    f, y, sig_y, alpha = cat["f"], cat["y"], cat["sig"], cat["alpha"]
    snr = y / sig_y
    x95 = np.empty(f.size)
    for k, tab in enumerate(tables):
        m = cat["anchor"] == k
        if m.any():
            x95[m] = tab.x95(snr[m], polarization_model)
    eps95 = np.sqrt(x95 / alpha)
    n_trials = int(f.size)
    p_thr = local_threshold_probability(false_alarm, n_trials)
    thr = np.array([t.tail.isf(p_thr) for t in tables])
    res = CorrelatorResult(f, y, sig_y, snr, alpha, eps95, tables[0].threshold, tables, statistic, t_obs,
                           cat["anchor"], eps2_hat=(y - cat["mu"]) / (alpha * sig_y),
                           eps2_err=np.sqrt(cat["var"]) / (alpha * sig_y), band_index=cat["band"], bands=bands,
                           global_threshold_snr=thr[cat["anchor"]], n_trials=n_trials, false_alarm=false_alarm,
                           polarization_model=polarization_model, quality=quality, problems=list(run.problems),
                           extra={"t_mid_unix_s": run.t0_unix_s + 0.5 * t_obs, "p_local_threshold": p_thr,
                                  "good_fraction": float(good.mean())})
    res.extra["run"] = run
    return res


def recover_injection(network, responses, result: CorrelatorResult, freq_hz: float, polarization) -> dict:
    """Estimate eps^2 at the frequency nearest freq_hz for a known polarization P, taken as given (not
    normalised): the signal eps Re[T . E(theta) P exp(-i w t)] gives
    eps^2_hat = (Y - sum tr(V Sigma)) / ((T_s/2) sum (bP)^H V (bP)), with its statistical error
    sqrt(sum tr(V Sigma V Sigma) + 2 sum s^H V Sigma V s) / (...), s = sqrt(T_s/2) eps b P (module docstring)."""
    k = int(np.argmin(np.abs(result.freqs_hz - freq_hz)))
    band = result.bands[result.band_index[k]]
    f = result.freqs_hz[k]
    run = result.extra["run"]
    good = run.good()
    j = int(np.flatnonzero(band.bins == round(f * band.t_seg_s))[0])
    kk = band.bins[j]
    lab = lab_templates(network, responses, [f])
    sigma = nz.noise_covariance(network, [f])[0]
    site_of = [network.rooms[s.room].site for s in network.sensors]
    anchor = int(np.abs(np.log(f) - np.log(band.anchors_hz)).argmin())
    p = np.asarray(polarization, complex)
    y = g = mu = 0.0
    parts = []
    for s in range(band.n_seg):
        sl = slice(s * band.seg_len, (s + 1) * band.seg_len)
        x = np.where(good[:, sl], run.data_t[:, sl], 0.0)
        zs = np.conj(np.fft.rfft(x, axis=-1)) * np.sqrt(2.0 / (run.fs_hz * band.n_good[s]))[:, None]
        b_all = _templates(lab, site_of, network.sites, band, s)[:, 0]
        se = sigma * band.overlap[s]
        for mi, m in enumerate(band.offsets):
            v = band.v[s, mi, anchor]
            z = zs[:, kk + m]
            if run.calibration is not None:
                z = z / np.array([calibration_response(run.calibration, i, [(kk + m) / band.t_seg_s])[0]
                                  for i in range(network.n_sensors)])
            ap = b_all[mi] @ p
            y += np.real(np.conj(z) @ v @ z)
            g += 0.5 * band.t_seg_s * np.real(np.conj(ap) @ v @ ap)
            mu += np.real(np.trace(v @ se))
            parts.append((v, se, ap))
    eps2 = (y - mu) / g
    var = 0.0
    for v, se, ap in parts:
        s_vec = np.sqrt(0.5 * band.t_seg_s * max(eps2, 0.0)) * ap
        var += np.real(np.trace(v @ se @ v @ se)) + 2 * np.real(np.conj(s_vec) @ v @ se @ v @ s_vec)
    return {"freq_hz": float(f), "eps2_hat": float(eps2), "eps2_err": float(np.sqrt(var) / g),
            "eps_hat": float(np.sqrt(max(eps2, 0.0))), "eps95": float(result.eps95[k]), "snr": float(result.snr[k]),
            "normalisation": "eps itself for the given polarization P (|P| as given, not normalised)"}


def tail_ratio(snr, cut: float = 3.0) -> float:
    """Asymmetry of an SNR distribution: count(SNR > cut) / count(SNR < -cut) (1 for a symmetric law)."""
    snr = np.asarray(snr)
    return float(np.sum(snr > cut) / max(np.sum(snr < -cut), 1))
