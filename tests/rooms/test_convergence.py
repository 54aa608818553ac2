"""Mesh refinement: the wall-field error falls at the expected rate (ellipsoid, exact nontrivial psi).

Expected for the gradient of the potential at points: O(h) for P1, O(h^2) for P2 on curved
(10-node) geometry. Measured orders: P1 0.99, P2 2.15-2.17 (sizes halved twice). We assert
P1 > 0.8 and P2 > 1.7, and that P2 beats P1 at every level.
"""

import numpy as np

from amails_fem import units
from amails_fem.fields.fieldmap import wall_patches
from amails_fem.geometry import ellipsoid_room
from amails_fem.rooms.solve import solve_room

SPEC = ellipsoid_room(1.0, 0.7, 0.5)


def wall_error(order, size):
    pts = wall_patches(SPEC, 0.01, 13)[0].points_m.reshape(-1, 3)
    kappa = -(1.0 - 0.49) / (2 * 1.49)
    x, y = pts[:, 0], pts[:, 1]
    exact = units.MU0_H_M * np.stack([-y / 2 + kappa * y, x / 2 + kappa * x, 0 * x], 1)
    b = solve_room(SPEC, order=order, mesh_size_m=size).b_field(pts, "z")
    return np.sqrt(np.mean(np.sum((b - exact) ** 2, 1)) / np.mean(np.sum(exact**2, 1)))


def observed_orders(order, sizes):
    errors = [wall_error(order, h) for h in sizes]
    return errors, [np.log(errors[i] / errors[i + 1]) / np.log(sizes[i] / sizes[i + 1]) for i in range(len(sizes) - 1)]


def test_p1_and_p2_converge_at_their_rates():
    e1, r1 = observed_orders(1, [0.3, 0.15, 0.075])
    e2, r2 = observed_orders(2, [0.4, 0.2, 0.1])
    print(f"P1 errors {e1} orders {r1}\nP2 errors {e2} orders {r2}")
    assert all(r > 0.8 for r in r1)
    assert all(r > 1.7 for r in r2)
    assert e2[-1] < 1e-3 and e1[-1] > e2[0]
