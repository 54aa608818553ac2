"""London superconductors, normal metals and permeable layers with the QEMD magnetic current (docs/physics.md sec. 2.7).

(a) the model screens an ordinary applied field as a superconductor must (exp(-x/lambda) into the wall, the closed
form of the slab pair, the impedance length lambda); (b) the magnetic current's B_m is not screened by any
non-permeable conductor, for every lambda; permeable layers screen it, except inside a superconducting layer.
"""

import math

import numpy as np
import pytest

from amails_fem.errors import SpecError
from amails_fem.rooms.london import ShieldLayer, interior_field_ratio, london_layer, solve_layered, vacuum_gap
from amails_fem.specs.walls import copper, thick_slab_impedance_ohm
from amails_fem.testing.analytic import (
    layered_cylinder_exact,
    layered_planar_exact,
    layered_sphere_exact,
    thick_shell_static_transfer,
    thin_shell_eddy_transfer,
)
from amails_fem.units import MU0_H_M

F_HZ = 1e3


def test_london_wall_screens_an_applied_field_as_exp_minus_x_over_lambda():
    lam, d, g = 50e-9, 1e-6, 0.5e-6  # 20 lambda thick, half-gap 10 lambda
    s = solve_layered([london_layer(d, lam)], inner_m=g, freq_hz=F_HZ, b_applied_t=1.0)
    face = g + d
    depth = np.linspace(0.0, 6.0, 25) * lam
    b = np.abs(s.b_field_t(face - depth))
    # 20 lambda thick: B(face - s) = B(face) e^{-s/lambda} up to e^{-2 (d - s)/lambda} = e^{-28}
    decay_m = -1.0 / np.polyfit(depth, np.log(b), 1)[0]
    assert abs(decay_m / lam - 1) < 1e-3
    assert np.allclose(b / b[0], np.exp(-depth / lam), rtol=3e-3)  # P2 (B = E') error ~3e-4 at the face
    x = np.linspace(0, face, 300)
    exact = layered_planar_exact([london_layer(d, lam)], inner_m=g, freq_hz=F_HZ, b_applied_t=1.0, x_m=x)
    assert np.max(np.abs(s.b_field_t(x) - exact)) < 5e-4  # largest at the face: B = E_h' with h = lambda/16
    # the field left in the gap: quasi-static closed form 1 / (cosh(d/lambda) + (g/lambda) sinh(d/lambda))
    closed = 1.0 / (math.cosh(d / lam) + g / lam * math.sinh(d / lam))
    assert abs(s.b_centre_t / closed - 1) < 1e-4
    # the supercurrent J = i E / (w mu0 lambda^2) carries the screening: curl H = J, so |J| = |B'|/mu0 = B/(mu0 lambda)
    j_face = s.current_a_m2(face - 1e-3 * lam)[0]
    assert abs(abs(j_face) * MU0_H_M * lam / abs(b[0]) - 1) < 2e-3


def test_thick_london_wall_is_an_impedance_wall_with_l_equal_to_lambda():
    lam = 1e-7
    layer = london_layer(40 * lam, lam)
    s = solve_layered([layer], inner_m=1e-6, freq_hz=F_HZ, b_applied_t=1.0)
    face = 1e-6 + 40 * lam
    # E at the face (a P2 nodal value) over i w B_far (the tangential field there, continuous)
    l_fe = s.e_field_v_m(face)[0] / (1j * 2 * np.pi * F_HZ * 1.0)
    assert abs(l_fe / lam - 1) < 1e-4  # E_t = i w lambda B_t (Z_s = -i w mu0 lambda, lossless)
    assert abs(layer.impedance_length_m(F_HZ) / lam - 1) < 1e-12
    # a thick normal metal gives (1 + i) delta / 2, the project's thick-slab impedance length Z_s / (-i w mu0)
    cu = ShieldLayer(20e-3, sigma_s_m=5.8e7)
    l_walls = thick_slab_impedance_ohm(copper(20e-3), F_HZ) / (-1j * 2 * np.pi * F_HZ * MU0_H_M)
    assert abs(cu.impedance_length_m(F_HZ) / l_walls - 1) < 1e-12
    s = solve_layered([cu], inner_m=1e-2, freq_hz=F_HZ, b_applied_t=1.0)
    l_fe = s.e_field_v_m(3e-2)[0] / (1j * 2 * np.pi * F_HZ * 1.0)
    assert abs(l_fe / l_walls - 1) < 1e-3


@pytest.mark.parametrize("geometry", ["planar", "sphere"])
def test_p2_solution_converges_at_order_four_in_the_interior_field(geometry):
    lam = 1e-4
    layers = [london_layer(5e-4 if geometry == "sphere" else 1e-3, lam)]
    if geometry == "planar":
        exact = layered_planar_exact(layers, inner_m=0.01, freq_hz=F_HZ, b_applied_t=1.0, x_m=[0.0])[0]
    else:
        exact = layered_sphere_exact(layers, inner_m=0.01, freq_hz=F_HZ, b_applied_t=1.0)
    errs = [abs(interior_field_ratio(layers, inner_m=0.01, freq_hz=F_HZ, drive="applied", geometry=geometry,
                                     elements_per_decay=4, refine=r) / exact - 1) for r in (1, 2, 4)]
    order = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all(order > 3.0), (errs, order)  # P2: h^4 in this functional (measured 3.5-4.1)


LAYER_SETS = {
    "London 50 nm": [london_layer(1e-3, 50e-9)],
    "London 10 nm, thin": [london_layer(1e-8, 1e-8)],
    "London 10 um": [london_layer(1e-3, 1e-5)],
    "London 1 cm": [london_layer(1e-3, 1e-2)],
    "two-fluid": [london_layer(1e-4, 1e-7, sigma_n_s_m=1e9)],
    "copper": [ShieldLayer(2e-3, sigma_s_m=5.8e7)],
    "nested SC + copper": [london_layer(1e-4, 1e-7), vacuum_gap(1e-3), ShieldLayer(1e-3, sigma_s_m=5.8e7)],
}


@pytest.mark.parametrize("geometry", ["planar", "sphere", "cylinder"])
@pytest.mark.parametrize("name", list(LAYER_SETS))
def test_magnetic_current_field_is_not_screened_by_any_non_permeable_conductor(name, geometry):
    layers = LAYER_SETS[name]
    s = solve_layered(layers, inner_m=0.02, freq_hz=F_HZ, b_m_t=1.0, geometry=geometry)
    b = s.b_field_t(s.nodes_m)
    b = list(b) if geometry == "sphere" else [b]
    for comp in b:
        assert np.max(np.abs(comp - 1.0)) < 1e-12  # B = B_m everywhere: inside the room, the wall, outside
    # E (and with it every current, J = sigma_c E) vanishes to round-off of its natural scale w |B_m| L (Faraday)
    e_scale = 2 * np.pi * F_HZ * 1.0 * s.nodes_m[-1]
    assert np.max(np.abs(s.e_nodes)) < 1e-13 * e_scale
    ref = solve_layered(layers, inner_m=0.02, freq_hz=F_HZ, b_applied_t=1.0, geometry=geometry)
    j_ref = np.max(np.abs(ref.current_a_m2(ref.nodes_m)))  # the screening current of an applied 1 T field
    assert np.max(np.abs(s.current_a_m2(s.nodes_m))) < 1e-10 * j_ref
    assert abs(ref.b_centre_t) < 0.999 or name == "London 1 cm"  # the same walls do screen an applied field


def test_sphere_against_exact_shells_and_jackson():
    a = 0.01
    # London shell, applied field
    sc = [london_layer(5e-4, 1e-4)]
    fe = interior_field_ratio(sc, inner_m=a, freq_hz=F_HZ, drive="applied")
    assert abs(fe / layered_sphere_exact(sc, inner_m=a, freq_hz=F_HZ, b_applied_t=1.0) - 1) < 1e-6
    # permeable shell: the magnetic current is screened exactly like an applied field (Jackson 5.12)
    mu = [ShieldLayer(1e-3, mu_r=100.0)]
    jackson = thick_shell_static_transfer(a, a + 1e-3, 100.0)
    for drive in ("applied", "magnetic"):
        assert abs(interior_field_ratio(mu, inner_m=a, freq_hz=1.0, drive=drive) / jackson - 1) < 1e-6
    # thin copper shell (t << delta): T = 1 / (1 - i w mu0 sigma t R / 3); finite t/R and t/delta: 2 %
    cu = [ShieldLayer(1e-5, sigma_s_m=5.8e7)]
    t_thin = thin_shell_eddy_transfer(0.1, 1e-5, 5.8e7, [F_HZ])[0]
    fe = interior_field_ratio(cu, inner_m=0.1, freq_hz=F_HZ, drive="applied")
    assert abs(fe / t_thin - 1) < 2e-2
    assert abs(fe / layered_sphere_exact(cu, inner_m=0.1, freq_hz=F_HZ, b_applied_t=1.0) - 1) < 1e-6


def test_superconductor_freezes_b_m_inside_it_whatever_screens_outside():
    a, lam = 0.01, 1e-5
    sc = london_layer(40 * lam, lam)
    mu = ShieldLayer(1e-3, mu_r=100.0)
    inside = [sc, vacuum_gap(1e-3), mu]  # superconductor inside the permeable shell
    fe = interior_field_ratio(inside, inner_m=a, freq_hz=1.0, drive="magnetic")
    assert abs(fe - 1.0) < 1e-9  # B_m, not B_m / S: the London layer expels B - B_m (e^{-40} leaks)
    assert abs(fe / layered_sphere_exact(inside, inner_m=a, freq_hz=1.0, b_m_t=1.0) - 1) < 1e-9
    outside = [mu, vacuum_gap(1e-3), sc]  # permeable shell inside the superconductor: it screens B_m
    fe = interior_field_ratio(outside, inner_m=a, freq_hz=1.0, drive="magnetic")
    assert fe.real < 0.1
    assert abs(fe / layered_sphere_exact(outside, inner_m=a, freq_hz=1.0, b_m_t=1.0) - 1) < 1e-6
    # an applied field is screened by both orders (e^{-40} through the superconductor)
    for layers in (inside, outside):
        assert abs(interior_field_ratio(layers, inner_m=a, freq_hz=1.0, drive="applied")) < 1e-15


def test_bad_layers_are_refused():
    with pytest.raises(SpecError, match="lambda_l_m"):
        london_layer(1e-3, -1e-7)
    with pytest.raises(SpecError, match="mu_r"):
        ShieldLayer(1e-3, mu_r=0.5)
    with pytest.raises(SpecError, match="geometry"):
        solve_layered([london_layer(1e-3, 1e-7)], inner_m=0.1, freq_hz=1.0, geometry="cube")
    with pytest.raises(SpecError, match="layers"):
        solve_layered([], inner_m=0.1, freq_hz=1.0)


def test_long_cylinder_in_an_axial_field_the_lc_circuit_geometry():
    a = 0.01
    cases = {"London": [london_layer(5e-4, 1e-4)], "copper": [ShieldLayer(2e-3, sigma_s_m=5.8e7)],
             "mu-metal": [ShieldLayer(1e-3, mu_r=100.0)]}
    for name, layers in cases.items():
        for kw in ({"b_applied_t": 1.0}, {"b_m_t": 1.0}):
            fe = solve_layered(layers, inner_m=a, freq_hz=F_HZ, geometry="cylinder", **kw).b_centre_t
            assert abs(fe / layered_cylinder_exact(layers, inner_m=a, freq_hz=F_HZ, **kw) - 1) < 1e-6, name
    # an infinitely long permeable tube does not screen an axial field (H_z is continuous): neither drive
    for drive in ("applied", "magnetic"):
        ratio = interior_field_ratio(cases["mu-metal"], inner_m=a, freq_hz=1.0, drive=drive, geometry="cylinder")
        assert abs(ratio - 1) < 1e-9
    # thin copper tube (t << delta, t << R): T = 1 / (1 - i w mu0 sigma t R / 2) (axial field); t/R, t/delta: 1 %
    w = 2 * np.pi * F_HZ
    t_thin = 1.0 / (1.0 - 1j * w * MU0_H_M * 5.8e7 * 1e-5 * 0.1 / 2)
    fe = interior_field_ratio([ShieldLayer(1e-5, sigma_s_m=5.8e7)], inner_m=0.1, freq_hz=F_HZ, drive="applied",
                              geometry="cylinder")
    assert abs(fe / t_thin - 1) < 1e-2


def test_superconducting_tube_conserves_the_flux_of_b_m_around_a_permeable_core():
    """Deep in a thick superconductor E = 0, so on a circle there oint E . dl = i w int (B - B_m) . dS = 0: the flux
    it encloses equals B_m times its area, however a permeable layer inside redistributes it. (On the inner face
    itself E = i w lambda (B - B_m), the impedance wall: a 2 lambda / rho deficit.)"""
    a, lam = 0.01, 1e-5
    layers = [ShieldLayer(1e-3, mu_r=100.0), vacuum_gap(1e-3), london_layer(40 * lam, lam)]
    s = solve_layered(layers, inner_m=a, freq_hz=1.0, b_m_t=1.0, geometry="cylinder")
    r_sc = a + 2e-3 + 20 * lam  # 20 lambda into the superconductor: E ~ e^{-20}
    xg, wg = np.polynomial.legendre.leggauss(5)
    flux = 0.0
    for lo, hi in zip([0.0, a, a + 1e-3, a + 2e-3], [a, a + 1e-3, a + 2e-3, r_sc]):  # B_z jumps at mu faces
        edges = np.linspace(lo, hi, 401)
        mid, half = 0.5 * (edges[1:] + edges[:-1]), 0.5 * np.diff(edges)
        rho = (mid[:, None] + half[:, None] * xg[None, :]).ravel()
        flux += np.sum(np.real(s.b_field_t(rho)) * 2 * np.pi * rho * (half[:, None] * wg[None, :]).ravel())
    assert abs(flux / (np.pi * r_sc**2) - 1) < 1e-6
    assert abs(s.b_centre_t) < 0.1  # the core's flux is taken from the bore
    exact = layered_cylinder_exact(layers, inner_m=a, freq_hz=1.0, b_m_t=1.0)
    assert abs(s.b_centre_t / exact - 1) < 1e-6
