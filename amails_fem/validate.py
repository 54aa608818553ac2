"""Shared validators: each returns the clean value or raises one SpecError line naming the field and its range."""

from __future__ import annotations

import math
import warnings

import numpy as np

from amails_fem import units
from amails_fem.errors import SpecError

QUASI_STATIC_LIMIT = 0.01  # warn when 2 pi f L / c exceeds this


def _number(value, field: str, allowed: str) -> float:
    """``value`` as float; booleans and strings are refused (TOML ``true`` is not a number)."""
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise SpecError(f"{field} must be {allowed}; got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{field} must be {allowed}; got {value!r}") from None


def require_positive(value, field: str, unit: str = "m") -> float:
    """Return ``value`` as float if finite and > 0, else raise SpecError naming ``field``."""
    x = _number(value, field, f"a number > 0 ({unit})")
    if not math.isfinite(x) or x <= 0.0:
        raise SpecError(f"{field} must be a finite number > 0 ({unit}); got {value!r}")
    return x


def require_range(value, field: str, lo: float, hi: float, unit: str = "") -> float:
    """Return ``value`` as float if finite and lo <= value <= hi, else raise SpecError."""
    x = _number(value, field, f"a number in [{lo}, {hi}] {unit}".rstrip())
    if not math.isfinite(x) or not (lo <= x <= hi):
        raise SpecError(f"{field} must be a finite number in [{lo}, {hi}] {unit}".rstrip() + f"; got {value!r}")
    return x


def require_option(value, field: str, allowed) -> object:
    """Return ``value`` if it is one of ``allowed``, else raise SpecError listing them."""
    allowed = tuple(allowed)
    if isinstance(value, bool) or value not in allowed:
        shown = ", ".join(repr(a) if isinstance(a, str) else str(a) for a in allowed)
        raise SpecError(f"{field} must be one of {shown}; got {value!r}")
    return value


def as_points(points_m, field: str = "points_m") -> np.ndarray:
    """Points as a float (N, 3) array (a single (3,) point becomes (1, 3)); finite coordinates (m)."""
    try:
        p = np.asarray(points_m, dtype=float)
    except (TypeError, ValueError):
        raise SpecError(f"{field} must be an (N, 3) array of coordinates (m); got {points_m!r}") from None
    if p.ndim == 1:
        p = p[None, :]
    if p.ndim != 2 or p.shape[1] != 3:
        raise SpecError(f"{field} must have shape (N, 3) (m); got shape {np.shape(points_m)}")
    if not np.all(np.isfinite(p)):
        bad = np.flatnonzero(~np.all(np.isfinite(p), axis=1))
        raise SpecError(f"{field} rows {bad[:10].tolist()} are not finite (coordinates in m)")
    return p


def unit_vector(vector, field: str = "polarization") -> np.ndarray:
    """A real or complex 3-vector normalised to |v| = 1; zero, non-finite or wrong-shaped vectors are refused."""
    v = np.asarray(vector)
    if v.shape != (3,) or not np.issubdtype(v.dtype, np.number):
        raise SpecError(f"{field} must be a 3-vector; got {vector!r}")
    v = v.astype(complex if np.iscomplexobj(v) else float)
    norm = float(np.linalg.norm(v))
    if not np.all(np.isfinite(v)) or norm == 0.0:
        raise SpecError(f"{field} must be a finite, non-zero 3-vector; got {vector!r}")
    return v / norm


def check_quasi_static(freq_hz: float, size_m: float) -> float:
    """Return 2 pi f L / c and warn when it exceeds 0.01 (use a full-wave solver there)."""
    kl = units.quasi_static_parameter(freq_hz, size_m)
    if kl > QUASI_STATIC_LIMIT:
        warnings.warn(f"2 pi f L / c = {kl:.3g} > {QUASI_STATIC_LIMIT} at f = {freq_hz:g} Hz, L = {size_m:g} m: "
                      "outside the quasi-static regime of this solver", RuntimeWarning, stacklevel=3)
    return kl
