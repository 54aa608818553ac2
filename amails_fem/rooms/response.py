"""The FieldResponse protocol: what every solved room (perfect conductor, impedance walls, room in its environment)
offers, with the same method names and shapes, so that fields/, network/ and analysis/ never ask which it is.

Phasors x(t) = Re[X e^{-i w t}]; responses are in tesla per A/m^2 of effective current (lab-frame components).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from amails_fem.errors import SpecError


@runtime_checkable
class FieldResponse(Protocol):
    """A solved room. ``freqs_hz``: the solved grid (Hz), or None where the response is not tied to a grid (a
    frequency-independent perfect conductor, or a function of f)."""

    spec: object
    freqs_hz: np.ndarray | None

    def response_matrix(self, points_m) -> np.ndarray:
        """R [point, B component, current component]: (N, 3, 3) when static, else (n_f, N, 3, 3) on freqs_hz."""

    def response_tensor(self, points_m, freqs_hz) -> np.ndarray:
        """Complex (n_f, N, 3, 3) R at any frequencies (static: broadcast; grid: interpolated inside the grid)."""

    def b_field(self, points_m, polarization) -> np.ndarray:
        """B for 1 A/m^2 along the polarization: (N, 3) when static, else (n_f, N, 3)."""

    def statistics(self) -> dict:
        """Mesh and solver numbers for summaries and provenance."""


class StaticTensor:
    """response_tensor for a frequency-independent response_matrix (N, 3, 3)."""

    freqs_hz = None

    def response_tensor(self, points_m, freqs_hz) -> np.ndarray:
        m = np.asarray(self.response_matrix(points_m), dtype=complex)
        return np.broadcast_to(m, (np.size(freqs_hz),) + m.shape)


class GridTensor:
    """response_tensor for a response solved on a frequency grid (``freqs_hz``, response_matrix (n_grid, N, 3, 3)):
    linear interpolation of the real and imaginary parts between grid frequencies, SpecError outside the grid."""

    def response_tensor(self, points_m, freqs_hz) -> np.ndarray:
        return self.interpolate(self.response_matrix, points_m, freqs_hz)

    def interpolate(self, matrix_fn, points_m, freqs_hz) -> np.ndarray:
        """matrix_fn(points) (n_grid, N, 3, 3) on self.freqs_hz, interpolated to freqs_hz (complex (n_f, N, 3, 3))."""
        f = np.atleast_1d(np.asarray(freqs_hz, float))
        grid = np.asarray(self.freqs_hz, float)
        lo, hi = grid.min(), grid.max()
        if np.any(f < lo * (1 - 1e-12)) or np.any(f > hi * (1 + 1e-12)):
            raise SpecError(f"frequencies {f.min():g}-{f.max():g} Hz leave the solved grid [{lo:g}, {hi:g}] Hz")
        r = np.asarray(matrix_fn(points_m), complex)
        if r.shape[0] == 1:
            return np.broadcast_to(r[0], (f.size,) + r.shape[1:])
        order = np.argsort(grid)
        g, r = grid[order], r[order]
        k = np.clip(np.searchsorted(g, f) - 1, 0, len(g) - 2)
        w = ((f - g[k]) / (g[k + 1] - g[k]))[:, None, None, None]
        return (1 - w) * r[k] + w * r[k + 1]
