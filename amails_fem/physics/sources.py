"""Dark-photon sources: polarization vectors and the effective current (physics.md sec. 1)."""

from __future__ import annotations

import numpy as np

_NAMED = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "z": (0.0, 0.0, 1.0)}


def unit_polarization(polarization) -> np.ndarray:
    """Unit polarization vector p from 'x'/'y'/'z' or any nonzero 3-vector (normalised)."""
    if isinstance(polarization, str):
        if polarization not in _NAMED:
            raise ValueError(f"polarization must be 'x', 'y', 'z' or a 3-vector; got {polarization!r}")
        return np.array(_NAMED[polarization])
    p = np.asarray(polarization, dtype=float)
    if p.shape != (3,) or not np.all(np.isfinite(p)):
        raise ValueError(f"polarization must be a finite 3-vector; got {polarization!r}")
    norm = np.linalg.norm(p)
    if norm == 0.0:
        raise ValueError("polarization must be nonzero")
    return p / norm
