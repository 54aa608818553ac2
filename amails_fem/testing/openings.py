"""Measurements on solved rooms with openings shared by the tests and docs/openings.md: the dipole moment behind a
small hole and the tangential field the hole sees (Bethe 1944; Jackson 3rd ed. sec. 9.5), and the exact axial-current
field of a cylinder room with openings."""

from __future__ import annotations

import numpy as np

from amails_fem import units


def hemisphere_dipole(resp, centre_x, radius, n_theta=12, n_phi=24):
    """m_y (per unit ambient field, m^3) from the l = 1 (y) part of the room-side potential on a hemisphere of
    ``radius`` around a hole at (centre_x, 0, 0) in an x_max wall: u = -m . r / (4 pi r^3) (the free-space
    equivalent dipole; the higher multipoles are orthogonal to it on the hemisphere)."""
    mu, w = np.polynomial.legendre.leggauss(n_theta)
    c, wc = 0.5 * (mu + 1), 0.5 * w
    phi = np.linspace(0, 2 * np.pi, n_phi, endpoint=False)
    C, PH = np.meshgrid(c, phi, indexing="ij")
    W = np.outer(wc, np.full(n_phi, 2 * np.pi / n_phi))
    S = np.sqrt(1 - C**2)
    pts = np.stack([centre_x - radius * C, radius * S * np.cos(PH), radius * S * np.sin(PH)], -1).reshape(-1, 3)
    u = resp.transfer_potential(pts)[:, 1].reshape(C.shape)
    Y = S * np.cos(PH)
    return -4 * np.pi * radius**2 * (W * u * Y).sum() / (W * Y * Y).sum()  # u = -m . r / (4 pi r^3)


def local_tangential_field(resp, x, a):
    """T_yy at the hole without the hole: ring means at 4a and 8a on the lab side, extrapolated to rho = 0."""
    ph = np.linspace(0, 2 * np.pi, 64, endpoint=False)

    def ring(rho):
        pts = np.stack([x + 1e-3 + 0 * ph, rho * np.cos(ph), rho * np.sin(ph)], 1)
        return resp.transfer_matrix(pts)[:, 1, 1].mean()

    r1, r2 = 4 * a, 8 * a
    return (r2**2 * ring(r1) - r1**2 * ring(r2)) / (r2**2 - r1**2)


def axial_current_error(resp, radius_m: float, half_height_m: float, n: int = 200, seed: int = 0) -> float:
    """max |B - (mu0/2) e_z x r| / max |(mu0/2) e_z x r| at n random points on the cylinder of radius_m about the z
    axis, |z| < half_height_m, for J along z: the exact field of a z-axis cylinder room with any cap and side
    openings (every conductor face is parallel to J x r, so psi = const; docs/openings.md)."""
    rng = np.random.default_rng(seed)
    ph, z = rng.uniform(0, 2 * np.pi, n), rng.uniform(-half_height_m, half_height_m, n)
    pts = np.stack([radius_m * np.cos(ph), radius_m * np.sin(ph), z], 1)
    exact = 0.5 * units.MU0_H_M * np.cross([0.0, 0.0, 1.0], pts)
    return float(np.abs(resp.b_field(pts, "z") - exact).max() / np.abs(exact).max())
