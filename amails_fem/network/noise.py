"""Noise model and network detection statistics (docs/physics.md sec. 4; AMAILS, Jiang et al. (2024)).

Noise (one-sided PSD matrix, T^2/Hz, per frequency): intrinsic sensor noise on the diagonal,
asd_i(f)^2 = w_i^2 (1 + f_c/f), plus a common-mode room noise c_r^2 [delta_ij + (1 - delta_ij) rho_r] between
sensors i, j of the same room r (AMAILS: ~15 fT/rtHz OPMs, ~5 fT/rtHz room noise); nothing shared between rooms.

Statistics: with z_i the e^{-i w t} Fourier coefficient normalised so E[z z^H] = Sigma (correlator.py), a quadratic
statistic Y = z^H V z (V Hermitian) has noise mean tr(V Sigma), noise variance tr(V Sigma V Sigma) and, for a signal
covariance (T/2) eps^2 S, mean shift (T/2) eps^2 tr(V S). Its efficiency eta = tr(V S) / sqrt(tr(V Sigma V Sigma))
(Hz) gives the expected SNR (T/2) eps^2 eta. Pair cross-spectra only (V_ii = 0) are robust to unknown auto-spectra:
  - plain:    V = (1 - I) / (n (n-1)): AMAILS's plain average of all pair cross-spectra (real parts);
  - template: V = offdiag(S): each pair weighted by its expected cross-spectrum (opposite walls -> negative weights);
  - optimal:  the zero-diagonal V maximising eta under Sigma (a linear solve of size n(n-1));
  - full:     V = Sigma^-1 S Sigma^-1 with autos (the Gaussian weak-signal optimum; needs the noise known).
"""

from __future__ import annotations

import numpy as np

from amails_fem.errors import SpecError

STATISTICS = ("plain", "template", "optimal", "full")


def noise_covariance(network, freqs_hz) -> np.ndarray:
    """One-sided noise PSD matrix Sigma(f), (n_freq, n, n) in T^2/Hz (module docstring)."""
    f = np.atleast_1d(np.asarray(freqs_hz, float))
    if np.any(f <= 0):
        raise SpecError("freqs_hz must be > 0 Hz")
    n = network.n_sensors
    common = np.zeros((n, n))  # the rooms' common-mode blocks do not depend on frequency
    for name, room in network.rooms.items():
        idx = [i for i, s in enumerate(network.sensors) if s.room == name]
        common[np.ix_(idx, idx)] += room.common_mode_psd(len(idx))
    cov = np.repeat(common[None], f.size, axis=0)
    diag = cov.reshape(f.size, n * n)[:, :: n + 1]  # a view on every cov[:, i, i]
    for i, s in enumerate(network.sensors):
        diag[:, i] += s.asd_t_rthz(f) ** 2
    return cov


def signal_covariance(templates) -> np.ndarray:
    """Polarization-averaged signal matrix S = (1/3) A A^H, (..., n, n) in T^2 per eps^2, from templates
    A (..., n, 3) (lab-frame, or celestial short-run; E[P P^H] = I/3)."""
    a = np.asarray(templates)
    return np.einsum("...ik,...jk->...ij", a, np.conj(a)) / 3.0


def plain_weights(n: int) -> np.ndarray:
    """AMAILS: the plain average of the real parts of all n(n-1)/2 pair cross-spectra, as V (n, n)."""
    if n < 2:
        raise SpecError("a cross-correlation statistic needs at least 2 sensors")
    return (np.ones((n, n)) - np.eye(n)) / (n * (n - 1))


def template_weights(s) -> np.ndarray:
    """Each pair weighted by its expected cross-spectrum: V = offdiag(S) (normalised to max |V| = 1)."""
    v = np.array(s, dtype=complex)
    idx = np.arange(v.shape[-1])
    v[..., idx, idx] = 0.0
    scale = np.max(np.abs(v), axis=(-2, -1), keepdims=True)
    return v / np.where(scale > 0, scale, 1.0)


def optimal_cross_weights(s, sigma) -> np.ndarray:
    """Zero-diagonal Hermitian V maximising tr(VS)/sqrt(tr(V Sigma V Sigma)): offdiag(Sigma V Sigma) = offdiag(S)."""
    s = np.asarray(s, complex)
    sigma = np.asarray(sigma, complex)
    n = s.shape[-1]
    ii, jj = np.nonzero(~np.eye(n, dtype=bool))
    k = sigma[np.ix_(ii, ii)] * sigma[np.ix_(jj, jj)].T  # K[(a,b),(i,j)] = Sigma_ai Sigma_jb
    v = np.zeros((n, n), complex)
    v[ii, jj] = np.linalg.solve(k, s[ii, jj])
    v = 0.5 * (v + v.conj().T)
    scale = np.max(np.abs(v))
    return v / scale if scale > 0 else v


def full_weights(s, sigma) -> np.ndarray:
    """V = Sigma^-1 S Sigma^-1 (autos included): the weak-signal optimum with the noise known."""
    si = np.linalg.inv(np.asarray(sigma, complex))
    return si @ np.asarray(s, complex) @ si


def weights(kind: str, s, sigma) -> np.ndarray:
    """V for one frequency: kind in STATISTICS."""
    if kind == "plain":
        return plain_weights(np.shape(s)[-1]).astype(complex)
    if kind == "template":
        return template_weights(s)
    if kind == "optimal":
        return optimal_cross_weights(s, sigma)
    if kind == "full":
        return full_weights(s, sigma)
    raise SpecError(f"statistic must be one of {', '.join(STATISTICS)}; got {kind!r}")


def efficiency(v, s, sigma) -> float:
    """eta = tr(V S) / sqrt(tr(V Sigma V Sigma)) in Hz: expected SNR per unit (T/2) eps^2."""
    v, s, sigma = (np.asarray(x, complex) for x in (v, s, sigma))
    num = np.real(np.trace(v @ s))
    den = np.sqrt(np.real(np.trace(v @ sigma @ v @ sigma)))
    return float(num / den) if den > 0 else 0.0


def compare_statistics(network, templates_at_f, freq_hz: float) -> dict:
    """Efficiency eta (Hz) of plain, template, optimal and full statistics at one frequency, for templates (n, 3)."""
    s = signal_covariance(np.asarray(templates_at_f))
    sigma = noise_covariance(network, [freq_hz])[0]
    return {k: efficiency(weights(k, s, sigma), s, sigma) for k in STATISTICS}


def network_sensitivity_t_rthz(v, sigma) -> float:
    """Equivalent sensitivity (T/rtHz) of a statistic: the common broadband field PSD b^2 in every sensor giving
    SNR 1, b = sqrt(sqrt(tr(V Sigma V Sigma)) / sum_ij V_ij) (Jiang et al. (2024) Fig. 2c-d; N^-1/4 for N independent pairs)."""
    v = np.asarray(v, complex)
    num = np.sqrt(np.real(np.trace(v @ sigma @ v @ sigma)))
    den = np.real(v.sum())
    return float(np.sqrt(num / den))


def sensitivity_vs_correlators(network, freq_hz: float, kind: str = "plain", order=None, step: int = 1) -> tuple:
    """Network sensitivity (T/rtHz) as pairs are added one by one (Jiang et al. (2024) Fig. 2d), for kind 'plain' or 'optimal'.

    Uses the common-field signal model S = 1 1^T restricted to the chosen pairs. Returns (N array, b array)."""
    sigma = noise_covariance(network, [freq_hz])[0]
    pairs = list(order) if order is not None else network.pairs()
    out_n, out_b = [], []
    for m in sorted(set(range(1, len(pairs) + 1, step)) | {len(pairs)}):
        mask = np.zeros(sigma.shape, bool)
        for i, j in pairs[:m]:
            mask[i, j] = mask[j, i] = True
        if kind == "plain":
            v = mask / mask.sum()
        elif kind == "optimal":
            v = _masked_optimal(mask, sigma)
        else:
            raise SpecError(f"kind must be 'plain' or 'optimal'; got {kind!r}")
        out_n.append(m)
        out_b.append(network_sensitivity_t_rthz(v, sigma))
    return np.array(out_n), np.array(out_b)


def _masked_optimal(mask, sigma) -> np.ndarray:
    """Optimal weights on the allowed pairs (mask) for the common-field signal S = 1 1^T."""
    ii, jj = np.nonzero(mask)
    k = sigma[np.ix_(ii, ii)] * sigma[np.ix_(jj, jj)].T
    v = np.zeros(sigma.shape)
    v[ii, jj] = np.linalg.solve(k, np.ones(len(ii)))
    return 0.5 * (v + v.T)


def fit_power_law(n, b) -> float:
    """Exponent a of b ~ N^-a (least squares in log-log)."""
    return float(-np.polyfit(np.log(np.asarray(n, float)), np.log(np.asarray(b, float)), 1)[0])
