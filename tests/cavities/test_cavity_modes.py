"""Cavity eigenmodes against closed forms, by refinement (observed orders), and solver against solver."""

import math

import numpy as np
import pytest
from scipy.special import j0, j1, jn_zeros, jnp_zeros

from amails_fem.cavities.cross_section import cross_section_modes
from amails_fem.cavities.formfactor import form_factor, signal_power_w, surface_resistance_ohm, unloaded_q
from amails_fem.cavities.nedelec3d import nedelec_modes
from amails_fem.cavities.solve import cavity_modes
from amails_fem.errors import SpecError
from amails_fem.specs.cavities import Rod, cylinder_cavity, half_cylinder_cavity, rectangular_cavity
from amails_fem.testing.analytic import qemd_half_cylinder_gb, te101_form_factor_y, tm010_form_factor, tm010_q
from amails_fem.units import C_M_S, MU0_H_M, rho_j_m3

R, H = 0.1, 0.3
X01 = jn_zeros(0, 1)[0]
F_TM010 = C_M_S * X01 / (2 * math.pi * R)


def f_cyl(kind, m, n, p, r=R, h=H):
    x = jn_zeros(m, n)[-1] if kind == "TM" else jnp_zeros(m, n)[-1]
    return C_M_S / (2 * math.pi) * math.sqrt((x / r) ** 2 + (p * math.pi / h) ** 2)


def rect_spectrum(a, b, d, n):
    """Analytic frequencies of a rectangular cavity: TE_mnp (p >= 1, m + n >= 1), TM_mnp (m, n >= 1)."""
    out = []
    for m in range(6):
        for nn in range(6):
            for p in range(6):
                k = math.pi * math.sqrt((m / a) ** 2 + (nn / b) ** 2 + (p / d) ** 2)
                if p >= 1 and m + nn >= 1:
                    out.append(k)  # TE
                if m >= 1 and nn >= 1:
                    out.append(k)  # TM
    return np.sort(out)[:n] * C_M_S / (2 * math.pi)


def q_te_cyl(n, m, l, r, d, sigma):
    """Pozar eq. (6.52)-type Q0 of the TE_nml mode of a cylinder (wall losses)."""
    p = jnp_zeros(n, m)[-1]
    beta = l * math.pi / d
    k = math.sqrt((p / r) ** 2 + beta**2)
    rs = surface_resistance_ohm(k * C_M_S / (2 * math.pi), sigma)
    eta = MU0_H_M * C_M_S
    num = (k * r) ** 3 * eta * r * d * (1 - (n / p) ** 2)
    den = 4 * p**2 * rs * ((r * d / 2) * (1 + (beta * r * n / p**2) ** 2) + (beta * r**2 / p) ** 2 * (1 - (n / p) ** 2))
    return num / den


# ---------------------------------------------------------------------------------------------------------------
# cross-section solver
# ---------------------------------------------------------------------------------------------------------------
def test_ideal_cylinder_cross_section_against_closed_forms():
    modes = cavity_modes(cylinder_cavity(R, H), 6)
    assert {m.solver for m in modes} == {"cross-section"}
    expected = [("TE111", f_cyl("TE", 1, 1, 1)), ("TE111", f_cyl("TE", 1, 1, 1)), ("TM010", F_TM010),
                ("TM011", f_cyl("TM", 0, 1, 1)), ("TE112", f_cyl("TE", 1, 1, 2)), ("TE112", f_cyl("TE", 1, 1, 2))]
    assert [m.label for m in modes] == [e[0] for e in expected]
    for m, (_, f) in zip(modes, expected):
        assert m.freq_hz == pytest.approx(f, rel=2e-5)
        assert m.residual < 1e-9
    tm = modes[2]
    assert form_factor(tm, "z") == pytest.approx(tm010_form_factor(), rel=1e-4)  # 0.6917
    assert form_factor(tm, "z", average=True) == pytest.approx(tm010_form_factor() / 3, rel=1e-4)
    assert form_factor(tm, "x") < 1e-20 and form_factor(tm, [1, 1, 0]) < 1e-20
    assert unloaded_q(tm) == pytest.approx(tm010_q(R, H, 5.8e7), rel=1e-4)
    assert unloaded_q(modes[0]) == pytest.approx(q_te_cyl(1, 1, 1, R, H, 5.8e7), rel=1e-4)
    assert unloaded_q(tm, conductivity_s_m=5.8e7 / 4) == pytest.approx(unloaded_q(tm) / 2, rel=1e-12)
    # the TE111 pair: G_E along z vanishes, the transverse form factors of the pair sum to the same total
    gx = [form_factor(m, "x") for m in modes[:2]]
    gy = [form_factor(m, "y") for m in modes[:2]]
    assert max(form_factor(m, "z") for m in modes[:2]) < 1e-20
    assert sum(gx) == pytest.approx(sum(gy), rel=1e-3) and sum(gx) > 0.5


def test_fields_and_b_definition_tm010():
    """E_z = E0 J0(x01 r/R), B = curl E/(i omega): |B_phi| = E0 J1(x01 r/R) / c, in quadrature with E."""
    tm = [m for m in cavity_modes(cylinder_cavity(R, H), 3) if m.label == "TM010"][0]
    r = np.array([0.0, 0.03, 0.06, 0.09])
    pts = np.column_stack([r * np.cos(0.7), r * np.sin(0.7), np.full(r.size, 0.11)])
    E, B = tm.E(pts).T, tm.B(pts).T
    e0 = E[2, 0]
    assert E[2] == pytest.approx(e0 * j0(X01 * r / R), rel=2e-4, abs=1e-4 * abs(e0))
    bphi = -np.sin(0.7) * B[0] + np.cos(0.7) * B[1]
    assert np.abs(np.real(B)).max() < 1e-12 * np.abs(B).max()  # 90 degrees out of phase with E
    assert np.abs(bphi) == pytest.approx(abs(e0) * j1(X01 * r / R) / C_M_S, rel=5e-3, abs=1e-3 * abs(e0) / C_M_S)
    assert np.isnan(tm.E(np.array([[0.2, 0.0, 0.1]]))).all()  # outside the cavity


def test_rectangular_te101_and_complete_spectrum():
    a, b, d = 0.2, 0.1, 0.3
    modes = cavity_modes(rectangular_cavity(a, b, d), 8)
    f = np.array([m.freq_hz for m in modes])
    assert f == pytest.approx(rect_spectrum(a, b, d, 8), rel=3e-5)  # count and values: no spurious modes
    te101 = modes[0]
    assert te101.label == "TE101"
    assert te101.freq_hz == pytest.approx(C_M_S / 2 * math.sqrt(1 / a**2 + 1 / d**2), rel=1e-6)
    assert form_factor(te101, "y") == pytest.approx(te101_form_factor_y(), rel=1e-4)  # 64/pi^4
    assert form_factor(te101, "z") < 1e-20


def test_cross_section_convergence_order():
    """P2 on curved triangles: TM010 frequency error O(h^4) (eigenvalue doubling of the P2 rate)."""
    errs, hs = [], [R / 2, R / 4, R / 8]
    for h in hs:
        m = [x for x in cross_section_modes(cylinder_cavity(R, H), 3, size_m=h) if x.label == "TM010"][0]
        errs.append(abs(m.freq_hz / F_TM010 - 1))
    orders = [math.log(errs[i] / errs[i + 1]) / math.log(hs[i] / hs[i + 1]) for i in range(2)]
    assert errs[-1] < 1e-5
    assert min(orders) > 3.3, (errs, orders)
    p3 = [x for x in cross_section_modes(cylinder_cavity(R, H), 3, size_m=R / 4, order=3) if x.label == "TM010"][0]
    assert abs(p3.freq_hz / F_TM010 - 1) < errs[1] / 5  # P3 beats P2 on the same mesh


# ---------------------------------------------------------------------------------------------------------------
# 3D Nedelec solver
# ---------------------------------------------------------------------------------------------------------------
def test_nedelec2_reference_basis():
    """20 independent functions whose curls match finite differences of their values."""
    from amails_fem.fem.nedelec2 import ElementTetN2

    e = ElementTetN2()
    rng = np.random.default_rng(1)
    X = rng.random((3, 40)) / 3
    vals = np.array([e.lbasis(X, i)[0] for i in range(20)]).reshape(20, -1)
    assert np.linalg.matrix_rank(vals, tol=1e-10) == 20
    h = 1e-6
    for i in range(20):
        phi, curl = e.lbasis(X, i)
        d = np.array([(e.lbasis(X + h * np.eye(3)[:, [k]], i)[0] - e.lbasis(X - h * np.eye(3)[:, [k]], i)[0]) / (2 * h)
                      for k in range(3)])  # d[k, j] = d phi_j / d x_k
        fd = np.array([d[1, 2] - d[2, 1], d[2, 0] - d[0, 2], d[0, 1] - d[1, 0]])
        assert np.allclose(fd, curl, atol=1e-6)


def test_nedelec_ideal_cylinder_tm010_and_orders():
    """TM010 to 0.1% and G_E to 1% (3D); observed rates vs DOFs: k^2 error ~ N^(-2p/3) for degree p = 1, 2."""
    spec = cylinder_cavity(R, H)
    k2 = (X01 / R) ** 2
    rates = {}
    for order, sizes in ((2, (0.07, 0.05, 0.035)), (1, (0.05, 0.035, 0.025))):
        ns, errs = [], []
        for s in sizes:
            modes = nedelec_modes(spec, 3, order=order, size_m=s)
            tm = [m for m in modes if m.label.startswith("TM")][0]
            errs.append(abs(tm.k_rad_m**2 / k2 - 1))
            ns.append(tm.n_dofs)
            if order == 2 and s == 0.05:
                assert tm.label == "TM010" and [m.label[:2] for m in modes] == ["TE", "TE", "TM"]
                assert tm.freq_hz == pytest.approx(F_TM010, rel=1e-3)
                assert form_factor(tm, "z") == pytest.approx(tm010_form_factor(), rel=1e-2)
                assert unloaded_q(tm) == pytest.approx(tm010_q(R, H, 5.8e7), rel=2e-2)
                assert max(m.residual for m in modes) < 1e-8
        rates[order] = [math.log(errs[i] / errs[i + 1]) / math.log(ns[i + 1] / ns[i]) for i in range(2)]
    assert min(rates[2]) > 1.0, rates  # theory 4/3
    assert 0.5 < min(rates[1]) and max(rates[1]) < 0.9, rates  # theory 2/3


def test_nedelec_rectangular_no_spurious_modes():
    """The 3D solver returns exactly the analytic modes (count and frequencies), no k = 0 gradient fields."""
    from amails_fem.cavities.nedelec3d import gradient_matrix

    a, b, d = 0.2, 0.1, 0.3
    modes = nedelec_modes(rectangular_cavity(a, b, d), 8, size_m=0.04)
    f = np.array([m.freq_hz for m in modes])
    assert f == pytest.approx(rect_spectrum(a, b, d, 8), rel=1.5e-3)
    assert form_factor(modes[0], "y") == pytest.approx(te101_form_factor_y(), rel=1e-2)
    s = modes[0].field.s
    G, bnd = gradient_matrix(s.basis, 2)
    Gi = G[:, np.setdiff1d(np.arange(G.shape[1]), bnd)]  # gradients of scalars vanishing on the walls
    for m in modes:  # discretely divergence-free: M-orthogonal to every discrete gradient
        x = m.field.x
        assert np.abs(Gi.T @ (s.M @ x)).max() < 1e-10 * np.abs(s.M @ x).max()
    assert np.abs(s.K @ G).max() < 1e-8 * abs(s.K).max()  # curl grad = 0 exactly in the discrete space


def test_3d_agrees_with_cross_section_two_rods():
    """Two full-height rods (z-invariant): the 3D Nedelec solver reproduces the cross-section TM010-like mode."""
    spec = cylinder_cavity(R, H, rods=[Rod(0.02, 0.05, 0.0), Rod(0.02, 0.05, 180.0)])
    m2 = cross_section_modes(spec, 18)
    tm2 = max(m2, key=lambda m: form_factor(m, "z"))
    assert tm2.label == "TM010"
    assert 0.55 < form_factor(tm2, "z") < 0.62
    m3 = cavity_modes(spec, 2, near_hz=tm2.freq_hz, solver="3d", size_m=0.05)
    tm3 = max(m3, key=lambda m: form_factor(m, "z"))
    assert tm3.solver == "3d"
    assert tm3.freq_hz == pytest.approx(tm2.freq_hz, rel=1.5e-3)
    assert form_factor(tm3, "z") == pytest.approx(form_factor(tm2, "z"), rel=1e-2)
    assert unloaded_q(tm3) == pytest.approx(unloaded_q(tm2), rel=3e-2)


def test_rod_with_end_gap_uses_3d_solver():
    spec = cylinder_cavity(R, H, rods=[Rod(0.02, 0.0, 0.0, gap_m=0.1)])
    modes = cavity_modes(spec, 1, size_m=0.06, order=1)
    assert modes[0].solver == "3d"
    with pytest.raises(SpecError, match="z-invariant"):
        cavity_modes(spec, 1, solver="cross-section")


# ---------------------------------------------------------------------------------------------------------------
# half cylinder: G_B (Dai, Li & Zhang (2025)) and the rod tuning trend
# ---------------------------------------------------------------------------------------------------------------
def test_half_cylinder_gb_vanishes_and_published_number_reproduced():
    """G_B = 0 for every mode of a closed PEC cavity (int B dV = oint n x E dS / i omega = 0); Dai, Li & Zhang's (2025) 0.61
    is the B_z-only ratio of a full-cylinder TE111 field cut in half, which is not a mode of the D shape."""
    from skfem import Functional

    modes = cavity_modes(half_cylinder_cavity(R, H), 4)
    te = modes[0]
    assert te.label == "TE111" and te.freq_hz == pytest.approx(f_cyl("TE", 1, 1, 1), rel=1e-5)
    for m in modes:
        for axis in "xyz":
            assert form_factor(m, axis, "B") < 1e-20
    assert te.energy_B() > 0 and np.abs(te.integral_B()).max() < 1e-12 * math.sqrt(te.energy_B() * te.spec.volume_m3)
    m3 = nedelec_modes(half_cylinder_cavity(R, H), 1, size_m=0.06)[0]
    assert m3.label.startswith("TE") and form_factor(m3, "z", "B") < 1e-20

    # Dai, Li & Zhang's (2025) recipe: full-cylinder TE111 (the polarization odd in y), B_z integrated over y > 0 only,
    # normalised by B_z energy only
    full = [m for m in cross_section_modes(cylinder_cavity(R, H), 2)]
    cs = full[0].field.cs
    half = Functional(lambda w: (w.x[1] > 0) * w["u"])
    half2 = Functional(lambda w: (w.x[1] > 0) * w["u"] ** 2)
    ws = [m.field.u for m in full]
    ints = np.array([half.assemble(cs.basis, u=cs.basis.interpolate(u)) for u in ws])
    u = ws[0] * ints[0] + ws[1] * ints[1]  # the rotation of the pair that maximises int_{y>0} w
    i1 = half.assemble(cs.basis, u=cs.basis.interpolate(u))
    i2 = half2.assemble(cs.basis, u=cs.basis.interpolate(u))
    g_seed = (i1 * 2 * H / math.pi) ** 2 / (math.pi * R**2 * H / 2 * i2 * H / 2)
    assert g_seed == pytest.approx(qemd_half_cylinder_gb(), rel=2e-3)
    assert qemd_half_cylinder_gb() == pytest.approx(0.61, abs=0.01)


def test_rod_towards_axis_raises_tm010_and_lowers_ge():
    fs, gs = [], []
    for pos in (0.074, 0.055, 0.035):
        modes = cross_section_modes(cylinder_cavity(R, H, rods=[Rod(0.025, pos, 0.0)]), 14)
        tm = max(modes, key=lambda m: form_factor(m, "z"))
        fs.append(tm.freq_hz)
        gs.append(form_factor(tm, "z"))
    assert fs[0] < fs[1] < fs[2] and fs[0] > F_TM010
    assert gs[0] > gs[1] > gs[2] and gs[2] < 0.6


# ---------------------------------------------------------------------------------------------------------------
# signal power and bad input
# ---------------------------------------------------------------------------------------------------------------
def test_signal_power_eq57_and_eq61():
    tm = [m for m in cavity_modes(cylinder_cavity(R, H), 3) if m.label == "TM010"][0]
    q, v, g = unloaded_q(tm), tm.spec.volume_m3, form_factor(tm, "z")
    p = signal_power_w(tm, eps=1e-12, x=1.0, kappa=0.5)
    assert p == pytest.approx(0.5 * 1e-24 * rho_j_m3(0.45) * tm.omega_rad_s * q * v * g / 3, rel=1e-12)
    assert 1e-17 < p < 3e-17  # eps = 1e-12, Q0 = 3.8e4, V = 9.4e-3 m^3, f = 1.15 GHz: 2.2e-17 W
    assert signal_power_w(tm, eps=2e-12, x=1.0, kappa=0.5) == pytest.approx(4 * p)
    assert signal_power_w(tm, 1e-12, 1.0, kappa=0.5, polarization="aligned") == pytest.approx(3 * p)
    assert signal_power_w(tm, 1e-12, 1.0, kappa=0.5, q=1e3) == pytest.approx(p * 1e3 / q)
    assert signal_power_w(tm, 1e-12, x=1.0, field="B") == 0.0  # eq. 61 with (1 - x) = 0
    with pytest.raises(SpecError, match="x must be"):
        signal_power_w(tm, 1e-12, x=1.5)


def test_bad_solver_input_errors():
    spec = cylinder_cavity(R, H)
    with pytest.raises(SpecError, match="n_modes must be an integer in"):
        cavity_modes(spec, 0)
    with pytest.raises(SpecError, match="near_hz must be a finite number > 0"):
        cavity_modes(spec, 2, near_hz=-1.0)
    with pytest.raises(SpecError, match="no cavity mode within 50% of near_hz"):
        cavity_modes(spec, 2, near_hz=1e8)
    with pytest.raises(SpecError, match="near_hz must be at most"):
        cavity_modes(spec, 2, near_hz=5e10)
    with pytest.raises(SpecError, match="order must be 2, 3 or 4"):
        cavity_modes(spec, 2, order=7)
    with pytest.raises(SpecError, match="order must be 1 or 2"):
        cavity_modes(spec, 2, order=3, solver="3d")
    with pytest.raises(SpecError, match="solver must be one of"):
        cavity_modes(spec, 2, solver="fast")
    tm = cavity_modes(spec, 1)[0]
    with pytest.raises(SpecError, match="axis must be"):
        form_factor(tm, "w")
    with pytest.raises(SpecError, match="axis must be"):
        form_factor(tm, [0, 0, 0])
    with pytest.raises(SpecError, match="field must be 'E'"):
        form_factor(tm, "z", field="H")
