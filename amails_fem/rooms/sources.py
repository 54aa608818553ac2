"""The dark-photon source in a room: polarization vectors and the particular field a = J x r / 2 with its traces.

B = mu0 (a + grad psi) solves curl B = mu0 J for a uniform J (docs/physics.md sec. 2); a_k = e_k x r / 2 is the
particular field per unit current along axis k, written once here for points, quadrature points and wall loads.
"""

from __future__ import annotations

import numpy as np
from skfem import LinearForm

from amails_fem.errors import SpecError
from amails_fem.validate import unit_vector

_NAMED = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "z": (0.0, 0.0, 1.0)}


def unit_polarization(polarization) -> np.ndarray:
    """Unit polarization vector p from 'x'/'y'/'z' or any nonzero real 3-vector (normalised)."""
    if isinstance(polarization, str):
        if polarization not in _NAMED:
            raise SpecError(f"polarization must be 'x', 'y', 'z' or a 3-vector; got {polarization!r}")
        return np.array(_NAMED[polarization])
    return unit_vector(np.asarray(polarization, dtype=float), "polarization")


def half_cross(x, k: int) -> tuple:
    """Components of a_k = e_k x r / 2 at coordinates x = (x, y, z) (arrays of any shape): per unit mu0 J."""
    e = np.eye(3)[k]
    return (0.5 * (e[1] * x[2] - e[2] * x[1]), 0.5 * (e[2] * x[0] - e[0] * x[2]), 0.5 * (e[0] * x[1] - e[1] * x[0]))


def half_cross_matrix(points_m: np.ndarray) -> np.ndarray:
    """(N, 3, 3) matrix C with C p = (1/2) p x r, the particular solution of curl B = mu0 J (per unit mu0 J)."""
    x, y, z = np.asarray(points_m, float).T
    zero = np.zeros_like(x)
    # p x r = [[0, z, -y], [-z, 0, x], [y, -x, 0]] p
    return 0.5 * np.stack([np.stack([zero, z, -y], -1), np.stack([-z, zero, x], -1), np.stack([y, -x, zero], -1)], 1)


def neumann_values(x, n) -> list:
    """The three wall data g_k = -n . a_k at points x (3, ...) with normals n (3, ...) broadcast against them."""
    out = []
    for k in range(3):
        a = half_cross(x, k)
        out.append(-(n[0] * a[0] + n[1] * a[1] + n[2] * a[2]))
    return out


def neumann_load(k: int) -> LinearForm:
    """Wall load of the perfect conductor: g_k = -n . a_k, i.e. int v g_k dS (d psi/dn = -n . a on the walls)."""

    @LinearForm
    def form(v, w):
        a = half_cross(w.x, k)
        return -(w.n[0] * a[0] + w.n[1] * a[1] + w.n[2] * a[2]) * v

    return form
