"""Local and global significance of the network statistic (docs/recorded_data.md, "Candidates").

For Gaussian noise the statistic Y = sum_b z_b^H V_b z_b (bins and coherent segments b) is a quadratic form:
Y = sum_j lambda_j E_j with E_j independent unit exponentials and lambda_j the eigenvalues of
Sigma_b^1/2 V_b Sigma_b^1/2. Its upper tail p_local(y) = P(Y > y) is computed with the Lugannani-Rice saddle-point
formula (Lugannani & Rice (1980) Adv. Appl. Prob. 12, 475; Butler (2007) "Saddlepoint approximations with
applications", sec. 1.2), accurate to a few per cent of p far into the tail where a Monte Carlo has no samples.

Look-elsewhere effect: with N_trials independent frequencies the global p-value is
p_global = 1 - (1 - p_local)^N_trials (Sidak); the global threshold at false-alarm probability alpha is the SNR
with p_local = 1 - (1 - alpha)^(1 / N_trials). Counting every analysed frequency as a trial is conservative when
neighbouring frequencies share bins (the long-run triplet windows), which makes them positively correlated.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtr

from amails_fem.errors import SpecError


class QuadraticFormTail:
    """Upper tail of Y = sum_j lambda_j E_j, E_j ~ Exp(1) independent (module docstring)."""

    def __init__(self, eigenvalues):
        lam = np.asarray(eigenvalues, float).ravel()
        lam = lam[np.abs(lam) > 1e-12 * np.max(np.abs(lam))] if lam.size else lam
        if lam.size == 0 or np.max(lam) <= 0:
            raise SpecError("the statistic has no positive eigenvalue: it cannot exceed a threshold")
        self.lam = lam
        self.t_hi = 1.0 / lam.max()
        self.t_lo = 1.0 / lam.min() if lam.min() < 0 else -np.inf
        self.mean = float(lam.sum())
        self.std = float(np.sqrt(np.sum(lam**2)))

    def cgf(self, t):
        return -np.sum(np.log1p(-self.lam * t))

    def _saddle(self, y: float) -> float:
        """t with K'(t) = y (K' increases from -inf to +inf on (t_lo, t_hi))."""
        def k1(t):
            return np.sum(self.lam / (1.0 - self.lam * t)) - y

        hi = self.t_hi * (1 - 1e-15)
        lo = self.t_lo * (1 - 1e-15) if np.isfinite(self.t_lo) else -1.0 / self.std
        while not np.isfinite(self.t_lo) and k1(lo) > 0:
            lo *= 2.0
        return brentq(k1, lo, hi, xtol=1e-300, rtol=1e-14, maxiter=500)

    def sf(self, y) -> np.ndarray:
        """P(Y > y) for an array of y (Lugannani-Rice; the normal law within 1e-4 std of the mean)."""
        ys = np.atleast_1d(np.asarray(y, float))
        out = np.empty(ys.size)
        for k, yk in enumerate(ys):
            if abs(yk - self.mean) < 1e-4 * self.std:
                out[k] = ndtr(-(yk - self.mean) / self.std)
                continue
            t = self._saddle(yk)
            k0 = self.cgf(t)
            k2 = np.sum(self.lam**2 / (1.0 - self.lam * t) ** 2)
            w = np.sign(t) * np.sqrt(max(2.0 * (t * yk - k0), 0.0))
            u = t * np.sqrt(k2)
            if w == 0 or u == 0:
                out[k] = ndtr(-(yk - self.mean) / self.std)
                continue
            out[k] = ndtr(-w) + np.exp(-0.5 * w * w) / np.sqrt(2 * np.pi) * (1.0 / u - 1.0 / w)
        return np.clip(out, 0.0, 1.0).reshape(np.shape(y))

    def isf(self, p: float) -> float:
        """y with P(Y > y) = p (0 < p < 1/2)."""
        if not (0 < p < 0.5):
            raise SpecError(f"tail probability must be in (0, 0.5); got {p}")
        lo = self.mean
        hi = self.mean + 10 * self.std
        while self.sf(hi) > p:
            hi = self.mean + 2 * (hi - self.mean)
        return brentq(lambda y: np.log(self.sf(y)) - np.log(p), lo, hi, rtol=1e-12, maxiter=500)


def local_threshold_probability(alpha: float, n_trials: int) -> float:
    """p_local at which the global false-alarm probability over n_trials independent trials is alpha (Sidak)."""
    if not (0 < alpha < 1) or n_trials < 1:
        raise SpecError(f"need 0 < false-alarm probability < 1 and >= 1 trial; got {alpha}, {n_trials}")
    return float(-np.expm1(np.log1p(-alpha) / n_trials))


def global_p(p_local, n_trials: int) -> np.ndarray:
    """p_global = 1 - (1 - p_local)^n_trials, accurate for tiny p_local."""
    p = np.asarray(p_local, float)
    return -np.expm1(n_trials * np.log1p(-np.clip(p, 0.0, 1.0 - 1e-16)))
