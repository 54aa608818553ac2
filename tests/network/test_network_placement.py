"""Placement: beats random and the AMAILS-like layout, reproducible, non-submodular gains, noise references, loops."""

import numpy as np
import pytest
from network_helpers import SphereStandIn, amails, amails_responses, amails_table, with_noise

from amails_fem.network import placement as pl
from amails_fem.network.response import FunctionResponse, StaticResponse
from amails_fem.units import MU0_H_M


@pytest.fixture(scope="module")
def cands():
    return pl.candidates(amails(), amails_responses(), 10.0, n_grid=4)


def test_placement_beats_random_and_given_layout_and_is_reproducible(cands):
    net, resp = amails(), amails_responses()
    per_room = {"suzhou": 13, "harbin": 2}
    best = pl.greedy_swap(net, cands, per_room=per_room, seed=3)
    again = pl.greedy_swap(net, cands, per_room=per_room, seed=3)
    assert best.chosen == again.chosen and best.objective_hz == again.objective_hz
    rand = pl.random_layouts(net, cands, per_room, 30, seed=1)
    given, given_worst = pl.layout_score(net, resp, net.sensors, 10.0)
    assert best.objective_hz > rand.max()
    assert best.objective_hz > given
    assert 0 < best.worst_hz <= best.objective_hz * (1 + 1e-12)
    # the objective equals what the sensors it returns score
    score, _ = pl.layout_score(net, resp, best.sensors(cands), 10.0)
    assert score == pytest.approx(best.objective_hz, rel=1e-9)
    assert sorted(c for c in np.array(cands.rooms)[best.chosen]).count("harbin") == 2


def test_common_mode_makes_gains_non_submodular_and_greedy_finds_the_reference(cands):
    """A noise reference is worth nothing alone and a lot beside a signal sensor (common mode >> intrinsic)."""
    net = with_noise(amails_table(), common_mode_t_rthz=50e-15, common_mode_correlation=1.0)
    ref = int(pl.null_references(cands)[0])
    room = cands.rooms[ref]
    pool = np.flatnonzero(cands.rooms == room)
    sig = int(pool[np.argmax(np.linalg.norm(cands.rows[pool], axis=1))])
    noise_sq = np.full(len(cands), (1e-15) ** 2)
    f = lambda idx: pl.objective(net, cands.rooms[idx], cands.rows[idx], noise_sq[idx])
    alone = f([ref])
    beside = f([sig, ref]) - f([sig])
    assert alone < 1e-3 * f([sig]) and beside > 10 * f([sig])
    # the lazy greedy, refreshing the room's gains, sees the super-additive second pick: it does at least as well
    # as signal + reference (it finds an opposite-sign partner: the difference cancels the room noise too)
    best = pl.greedy_swap(net, cands, per_room={room: 2}, white_noise_t_rthz=1e-15, seed=0)
    assert best.objective_hz >= f([sig, ref]) * (1 - 1e-9)
    assert best.history[1] - best.history[0] > 10 * best.history[0]


def test_null_references_and_ampere_loop(cands):
    nulls = pl.null_references(cands, rel_tol=0.05)
    assert len(nulls) > 0 and set(cands.kinds[nulls]) == {"normal"}  # n . B = 0 on a perfect conductor
    resp = amails_responses()["suzhou"]
    for axis in range(3):
        sensors, w = pl.ampere_loop("suzhou", axis, (0.0, 0.0, 0.0), 0.8, 6)
        got = pl.loop_integral(resp, sensors, w)[0].real
        want = pl.ampere_expected(axis, 0.8)
        assert got[axis] == pytest.approx(want[axis], rel=0.02)
        assert np.abs(np.delete(got, axis)).max() < 0.01 * want[axis]
    # whatever the walls: another field with the same curl (the sphere stand-in) gives mu0 J . S too
    sensors, w = pl.ampere_loop("suzhou", 2, (0.1, -0.2, 0.3), 0.5, 1)
    other = FunctionResponse(lambda p, f: np.broadcast_to(SphereStandIn().response_matrix(p), (len(f),) + p.shape + (3,)))
    assert pl.loop_integral(other, sensors, w)[0, 2].real == pytest.approx(MU0_H_M, rel=1e-12)
    assert pl.loop_integral(StaticResponse(SphereStandIn()), sensors, w)[0, 2].real == pytest.approx(MU0_H_M, rel=1e-12)
