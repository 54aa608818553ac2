"""3D thin-layer FE transfer tensor of nested shields against the concentric-sphere model and exact limits."""

import numpy as np
import pytest

from amails_fem.errors import SpecError
from amails_fem.geometry import box_room
from amails_fem.rooms.shielding import concentric_shells_shielding
from amails_fem.rooms.transfer import dipole_model, shell_coefficients, solve_shells_transfer, solve_shield_transfer
from amails_fem.specs.walls import Layer, WallStack, air_gap, mu_metal

MU = WallStack((mu_metal(1.5e-3),))
FREQS = np.array([1.0, 10.0, 100.0])


def centre_diag(res):
    T = res.transfer_matrix(np.zeros((1, 3)))[:, 0]
    return T, np.diagonal(T, axis1=1, axis2=2)


@pytest.fixture(scope="module")
def one_sphere():
    return solve_shells_transfer([("sphere", 1.0, MU)], FREQS, mesh_size_m=0.4, shell_size_m=0.27, far_size_m=1.2,
                                 subtract_air=False)


def test_dipole_model_is_the_concentric_algebra():
    # the l = 1 algebra of the FE weak form equals concentric_shells_shielding (same 2-port), to round-off
    radii = [1.0, 1.2, 1.4]
    a, _ = dipole_model(radii, [shell_coefficients(MU, FREQS, subtract_air=False)] * 3, len(FREQS))
    ref = 1 / concentric_shells_shielding(radii, [MU] * 3, FREQS)
    assert np.max(np.abs(a[:, 0] / ref - 1)) < 1e-9


def test_one_sphere_matches_concentric_and_is_isotropic(one_sphere):
    T, d = centre_diag(one_sphere)
    ref = 1 / concentric_shells_shielding([1.0], [MU], FREQS)
    err = np.abs(d / ref[:, None] - 1)
    assert err.max() < 0.02  # the task's 2 % (measured 7e-4 .. 1.3e-3 on this mesh)
    off = np.abs(T - d[:, :, None] * np.eye(3)).max(axis=(1, 2)) / np.abs(ref)
    assert off.max() < 5e-3  # a sphere: T = T0 * identity up to the mesh's broken symmetry
    # the field inside a sphere is uniform: the same T at an off-centre point
    T2 = one_sphere.transfer_matrix(np.array([[0.3, -0.2, 0.25]]))[:, 0]
    assert (np.abs(T2 - T).max(axis=(1, 2)) / np.abs(ref)).max() < 0.03  # measured 3e-3 (at 10 Hz, P2 error)
    st = one_sphere.statistics()
    assert st["max_relative_residual"] <= st["rb_tol"]


def test_refinement_series_converges():
    f = np.array([10.0])
    ref = 1 / concentric_shells_shielding([1.0], [MU], f)
    errs = []
    for h, hs in ((0.9, 0.6), (0.6, 0.4), (0.4, 0.27)):
        res = solve_shells_transfer([("sphere", 1.0, MU)], f, mesh_size_m=h, shell_size_m=hs, far_size_m=3 * h,
                                    subtract_air=False)
        errs.append(np.abs(centre_diag(res)[1] / ref[:, None] - 1).max())
    # measured 2.9e-2, 5.9e-3, 1.3e-3: order log(err ratio) / log(1.5) ~ 3.9, 3.7 (P2; the last near a 7e-4 floor)
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 0.1 * errs[0]


def test_two_spheres_match_concentric():
    res = solve_shells_transfer([("sphere", 1.0, MU), ("sphere", 1.25, MU)], FREQS, mesh_size_m=0.5,
                                shell_size_m=0.25, far_size_m=1.2, subtract_air=False)
    ref = 1 / concentric_shells_shielding([1.0, 1.25], [MU, MU], FREQS)
    err = np.abs(centre_diag(res)[1] / ref[:, None] - 1)
    assert err.max() < 0.02  # complex T within 2 %


def test_static_limit_thin_shell_formula():
    # f = 1 Hz: the concentric model puts the eddy-current change of |S| at 0.2 % there; static thin shell
    # S = 1 + (2/3) (mu_r - 1) t / R = 20.9993 (the air under the layer subtracted)
    res = solve_shells_transfer([("sphere", 1.0, MU)], [1.0], mesh_size_m=0.4, shell_size_m=0.27,
                                far_size_m=1.2)
    S = res.shielding_factor()[0]
    expected = 1 + (2 / 3) * (2e4 - 1) * 1.5e-3 / 1.0  # 20.9993
    assert np.all(np.abs(S / expected - 1) < 0.01)


def test_permeable_layer_is_frequency_independent():
    # sigma = 0: continuous phi with the static surface term (mu_r - 1) t; T the same at every frequency
    stack = WallStack((Layer(0.0, 2e4, 1.5e-3),))
    res = solve_shells_transfer([("sphere", 1.0, stack)], [1.0, 100.0], mesh_size_m=0.4, shell_size_m=0.27,
                                far_size_m=1.2)
    S = res.shielding_factor()
    assert np.abs(S[0] / S[1] - 1).max() < 1e-6
    assert np.abs(S / (1 + (2 / 3) * (2e4 - 1) * 1.5e-3) - 1).max() < 0.01


@pytest.fixture(scope="module")
def cube():
    return solve_shield_transfer(box_room(2.0, 2.0, 2.0), MU, FREQS, mesh_size_m=0.5, shell_size_m=0.3)


def test_cube_centre_tensor_is_diagonal_and_equal(cube):
    T, d = centre_diag(cube)
    scale = np.abs(d).max(axis=1)
    assert (np.abs(d - d.mean(axis=1, keepdims=True)).max(axis=1) / scale).max() < 0.02  # cubic symmetry
    assert (np.abs(T - d[:, :, None] * np.eye(3)).max(axis=(1, 2)) / scale).max() < 0.02


def test_cube_between_inscribed_and_circumscribed_spheres(cube):
    # the layer sits at depth t/2: cube side 2 + t; the spheres of radius (2 + t)/2 and sqrt(3) (2 + t)/2
    a = 1.0 + 0.75e-3
    t_in = np.abs(1 / concentric_shells_shielding([a], [MU], FREQS))
    t_out = np.abs(1 / concentric_shells_shielding([np.sqrt(3) * a], [MU], FREQS))
    t = np.abs(centre_diag(cube)[1]).mean(axis=1)
    lo, hi = np.minimum(t_in, t_out), np.maximum(t_in, t_out)
    assert np.all((t > lo) & (t < hi))
    assert np.all(np.diff(t) < 0)  # eddy currents: |T| decreases with frequency


def test_bad_input(cube):
    with pytest.raises(SpecError, match="inside the innermost"):
        cube.transfer_matrix(np.array([[1.2, 0.0, 0.0]]))
    with pytest.raises(SpecError, match=r"\(N, 3\)"):
        cube.transfer_matrix(np.zeros((2, 2)))
    with pytest.raises(SpecError, match="finite"):
        cube.transfer_matrix(np.array([[np.nan, 0, 0]]))
    with pytest.raises(SpecError, match="freqs_hz"):
        solve_shield_transfer(box_room(2, 2, 2), MU, [0.0])
    with pytest.raises(SpecError, match="freqs_hz"):
        solve_shield_transfer(box_room(2, 2, 2), MU, [1e9])
    with pytest.raises(SpecError, match="air gaps"):
        solve_shield_transfer(box_room(2, 2, 2), WallStack((air_gap(0.1),)), [1.0])
    with pytest.raises(SpecError, match="strictly inside"):
        solve_shells_transfer([("sphere", 1.0, MU), ("sphere", 0.9, MU)], [1.0])
    with pytest.raises(SpecError, match="spec"):
        solve_shield_transfer("box", MU, [1.0])
