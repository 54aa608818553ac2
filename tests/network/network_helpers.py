"""Shared helpers for the network tests: the AMAILS network, a coarse real room solve, an analytic stand-in."""

import functools
import tomllib

import numpy as np

from amails_fem.network.sensors import default_network_path, load_network, network_from_dict
from amails_fem.units import MU0_H_M

MESH_SIZE_M = 0.35  # coarse, order 2: fast and enough for these checks


def amails_table() -> dict:
    return tomllib.loads(default_network_path().read_text())


def amails():
    return load_network(default_network_path())


@functools.lru_cache(maxsize=None)
def amails_responses():
    from amails_fem.network.response import solve_network_rooms

    return solve_network_rooms(amails(), order=2, mesh_size_m=MESH_SIZE_M)


class SphereStandIn:
    """Exact field of a closed body of revolution with J along its axis, extended to any J: B = (mu0/2) J x r."""

    def response_matrix(self, points_m):
        x, y, z = np.atleast_2d(points_m).T
        o = np.zeros_like(x)
        cross = np.stack([np.stack([o, z, -y], -1), np.stack([-z, o, x], -1), np.stack([y, -x, o], -1)], 1)
        return 0.5 * MU0_H_M * cross


def with_noise(table, **room_changes):
    t = {k: (dict(v) if isinstance(v, dict) else v) for k, v in table.items()}
    t["rooms"] = {k: {**v, **room_changes} for k, v in table["rooms"].items()}
    return network_from_dict(t, "<test>")
