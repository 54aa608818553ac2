"""Exceptions a user can act on: they name the field and the allowed range."""


class SpecError(ValueError):
    """A geometry, mesh or solver input is out of its allowed range (raised before any meshing)."""


class ConvergenceError(RuntimeError):
    """An iterative solver stopped above its tolerance; the message gives the residual reached."""


def require_positive(value, field: str, unit: str = "m") -> float:
    """Return ``value`` as float if finite and > 0, else raise SpecError naming ``field``."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{field} must be a number > 0 ({unit}); got {value!r}") from None
    if not (x == x) or x in (float("inf"), float("-inf")) or x <= 0.0:
        raise SpecError(f"{field} must be a finite number > 0 ({unit}); got {value!r}")
    return x


def require_range(value, field: str, lo: float, hi: float, unit: str = "") -> float:
    """Return ``value`` as float if finite and lo <= value <= hi, else raise SpecError."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{field} must be a number in [{lo}, {hi}] {unit}; got {value!r}") from None
    if not (x == x) or not (lo <= x <= hi):
        raise SpecError(f"{field} must be a finite number in [{lo}, {hi}] {unit}; got {value!r}")
    return x
