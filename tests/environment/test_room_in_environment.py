"""The room in its environment: own field + the Earth's field let in through the shield, and how to tell them apart.

Exact check (docs/physics.md sec. 5): in a spherical room with any shell of conducting, permeable layers the own field
is (mu0/2) J x r exactly (n . (J x r) = 0 and J x r is surface-divergence free, so no wall current pattern changes
it), and the shell's transfer is uniform inside, so the total is (mu0/2) J x r + T(f) M(f) J with T the exact
thick-shell solution and M the lab-frame ambient matrix.
"""

import numpy as np
import pytest

import amails_fem
import amails_fem.meshing.rooms as meshing_rooms
from amails_fem.environment import EarthEnvironment, MeasuredShielding, leak_source_matrix_lab, load_measured_shielding
from amails_fem.errors import SpecError
from amails_fem.geometry import box_room, sphere_room
from amails_fem.network.leak import crossing_frequency, leak_report
from amails_fem.network.separation import pair_rejection
from amails_fem.rooms.sources import half_cross_matrix
from amails_fem.rooms.sphere_transfer import sphere_shield_transfer
from amails_fem.specs.walls import ImpedanceLength, WallStack, air_gap, mu_metal
from amails_fem.units import MU0_H_M

FREQS = np.array([1.0, 10.0, 100.0])
STACK = WallStack((mu_metal(1.5e-3), air_gap(0.1), mu_metal(1.5e-3)), "two mu-metal shells")


@pytest.fixture(scope="module")
def sphere_env():
    spec = sphere_room(1.0)
    return amails_fem.solve_room(spec, wall=STACK, freqs_hz=FREQS, environment="earth", mesh_size_m=0.3)


def test_sphere_total_is_own_plus_exact_leak(sphere_env):
    pts = np.array([[0.3, -0.2, 0.1], [-0.5, 0.4, 0.6], [0.9, 0.0, 0.0], [0.0, 0.0, 0.0]])
    own_exact = MU0_H_M * half_cross_matrix(pts)  # (N, 3, 3), the same at every frequency
    T = sphere_shield_transfer(1.0, STACK, FREQS)
    leak_exact = T[:, None, None, None] * leak_source_matrix_lab(FREQS, model="cavity")[:, None]
    scale = MU0_H_M * 1.0  # mu0 J R: the own field at the wall
    own = sphere_env.own_response_matrix(pts)
    assert np.abs(own - own_exact[None]).max() < 2e-3 * scale  # curved P2 wall on a 0.3 m mesh
    leak = sphere_env.leak_response_matrix(pts)
    assert np.allclose(leak, leak_exact, rtol=1e-12, atol=0)
    total = sphere_env.response_matrix(pts)
    assert np.allclose(total, own + leak, rtol=1e-14, atol=0)
    # the leak dwarfs the own field at 1 Hz (S of two shells ~1e3 << R_E / (2 L)) and is horizontal (M has no z)
    assert np.linalg.norm(leak[0, 2]) / np.linalg.norm(own[0, 2]) > 10
    assert np.abs(leak[..., 2, :]).max() < 1e-12 * np.abs(leak).max()


def test_leak_is_even_and_uniform_own_is_odd(sphere_env):
    p = np.array([[0.4, 0.3, -0.2], [-0.4, -0.3, 0.2]])
    leak = sphere_env.leak_response_matrix(p)
    own = sphere_env.own_response_matrix(p)
    assert np.allclose(leak[:, 0], leak[:, 1], rtol=1e-12)
    assert np.abs(own[:, 0] + own[:, 1]).max() < 2e-3 * np.abs(own).max()


def test_opposite_wall_pair_cancels_the_leak_and_doubles_the_own_field(sphere_env):
    r = pair_rejection(sphere_env, [0.8, 0.0, 0.0], [0.0, 1.0, 0.0], FREQS, n_mc=1)
    assert np.allclose(r["own_pair"], 2 * r["own_single"], rtol=3e-3)
    assert np.all(r["leak_pair"] < 1e-12 * r["leak_single"])
    sigma = 1e-3  # 1 mrad axis errors leave ~ leak x 1 mrad
    e = pair_rejection(sphere_env, [0.8, 0.0, 0.0], [0.0, 1.0, 0.0], FREQS, axis_sigma_rad=sigma, n_mc=200)
    rel = e["leak_residual_p95"] / e["leak_single"]
    assert np.all(rel > 0.2 * sigma) and np.all(rel < 3 * sigma)
    assert np.all(e["leak_over_own_pair_p95"] < e["leak_over_own_single"])


def test_templates_carry_both_parts(sphere_env):
    from amails_fem.network import build_templates, complex_var, network_from_dict

    table = {"name": "one sphere", "sites": {"a": {"latitude_deg": 31.3, "longitude_deg": 120.6}},
             "rooms": {"s": {"site": "a", "shape": "sphere", "radius_m": 1.0}},
             "sensors": [{"id": "S1", "room": "s", "position_m": [0.8, 0.0, 0.0], "axis": [0.0, 1.0, 0.0]},
                         {"id": "S2", "room": "s", "position_m": [0.0, 0.0, 0.0], "axis": [1.0, 0.0, 0.0]}]}
    net = network_from_dict(table)
    ds = build_templates(net, {"s": sphere_env}, FREQS)
    total = complex_var(ds, "lab_template").values
    own, leak = complex_var(ds, "lab_template_own").values, complex_var(ds, "lab_template_leak").values
    assert np.allclose(total, own + leak, rtol=1e-6, atol=0)  # float32 storage aside, the parts add up
    assert np.abs(own[:, 1]).max() < 1e-3 * np.abs(leak[:, 1]).max()  # the centre sees only the leak


def test_leak_report_and_crossing(sphere_env):
    rep = leak_report(sphere_env, [[0.8, 0.0, 0.0]], [[0.0, 1.0, 0.0]], ["S1"])
    assert rep.ratio.shape == (3, 1)
    assert np.allclose(rep.shielding_stack, 1 / np.abs(sphere_shield_transfer(1.0, STACK, FREQS)), rtol=1e-10)
    assert np.allclose(rep.shielding_needed, rep.shielding_stack[:, None] * rep.ratio)
    assert np.all(rep.ratio_band[0] <= rep.ratio * (1 + 1e-12)) and np.all(rep.ratio_band[1] >= rep.ratio * (1 - 1e-12))
    assert rep.ratio[0, 0] > 1 > rep.ratio[-1, 0]
    assert FREQS[0] < rep.crossing_hz[0] < FREQS[-1]


def test_crossing_frequency_interpolates_in_log_log():
    f = np.array([1.0, 10.0, 100.0])
    assert crossing_frequency(f, np.array([100.0, 10.0, 0.1])) == pytest.approx(10 ** 1.5)
    assert np.isnan(crossing_frequency(f, np.array([5.0, 3.0, 2.0])))
    assert crossing_frequency(f, np.array([0.5, 0.1, 0.01])) == 1.0


def test_measured_shielding_file(tmp_path):
    good = tmp_path / "s.csv"
    good.write_text("freq_hz,shielding_factor,phase_deg\n1,1e3,0\n100,1e5,90\n")
    m = load_measured_shielding(good)
    assert m.transfer([1.0, 10.0, 100.0]) == pytest.approx([1e-3, 1e-4 * np.exp(0.25j * np.pi), 1e-5j], rel=1e-12)
    with pytest.raises(SpecError, match="leave the measured band"):
        m.transfer([200.0])
    for text, match in [("f,S\n1,2\n2,3\n", "columns must be"), ("freq_hz,shielding_factor\n1,0.5\n2,3\n", ">= 1"),
                        ("freq_hz,shielding_factor\n2,5\n1,3\n", "increasing"),
                        ("freq_hz,shielding_factor\n1,abc\n", "must be a number")]:
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        with pytest.raises(SpecError, match=match):
            load_measured_shielding(bad)


@pytest.mark.parametrize("kwargs, match", [
    ({"wall": None, "environment": "earth"}, "perfect conductor has T = 0"),
    ({"wall": ImpedanceLength(1j), "environment": "earth"}, "one WallStack"),
    ({"wall": STACK, "environment": "mars"}, "environment must be"),
    ({"wall": STACK, "environment": "earth-quasi-static"}, "f <= 2 Hz"),
    ({"wall": STACK, "environment": EarthEnvironment(transfer="sphere")}, "needs a sphere room"),
])
def test_bad_environment_input_before_meshing(kwargs, match, monkeypatch):
    monkeypatch.setattr(meshing_rooms, "cached_mesh", lambda *a, **k: pytest.fail("meshed before validating"))
    with pytest.raises(SpecError, match=match):
        amails_fem.solve_room(box_room(2, 2, 2), freqs_hz=FREQS, **kwargs)


def test_environment_parameters_are_checked():
    with pytest.raises(SpecError, match="environment model"):
        EarthEnvironment(model="cavern")
    with pytest.raises(SpecError, match="band needs model 'cavity'"):
        EarthEnvironment(model="quasi-static", band="low")
    with pytest.raises(SpecError, match="shielding_factor"):
        MeasuredShielding(np.array([1.0, 2.0]), np.array([10.0, np.nan]), None)
