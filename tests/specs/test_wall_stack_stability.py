"""The wall model at any thickness / skin-depth ratio (specs/walls.py, rooms/shielding.py): the scaled chain
matrix T = exp(s) M equals the plain cosh/sinh product where that is finite (to 1e-12 relative), and stays finite
with the exponential attenuation ln|S| = sum t/delta + O(ln f) up to F_MAX_HZ."""

import json

import numpy as np
import pytest
import xarray as xr
from wall_specs import two_layer_room_toml

from amails_fem import units
from amails_fem.cli import main
from amails_fem.rooms.shielding import concentric_shells_log_shielding, concentric_shells_shielding
from amails_fem.rooms.transfer import shell_coefficients
from amails_fem.specs import walls as W

STACK = W.amails_stack()
METAL = [ly for ly in STACK.layers if not ly.is_gap]
RADII = 1.24 + 0.1 * np.arange(len(METAL))


def plain_layer_chain(layer, f):
    """The textbook 2-port, cosh and sinh as written (overflows beyond ~710 skin depths)."""
    w = 2 * np.pi * f
    mu = units.MU0_H_M * layer.mu_r
    T = np.empty((f.size, 2, 2), complex)
    if layer.sigma_s_m == 0:
        T[:, 0, 0] = T[:, 1, 1] = 1
        T[:, 0, 1] = 0
        T[:, 1, 0] = -1j * w * mu * layer.thickness_m
        return T
    g = np.sqrt(-1j * w * mu * layer.sigma_s_m)
    gt = g * layer.thickness_m
    T[:, 0, 0] = T[:, 1, 1] = np.cosh(gt)
    T[:, 0, 1] = layer.sigma_s_m / g * np.sinh(gt)
    T[:, 1, 0] = g / layer.sigma_s_m * np.sinh(gt)
    return T


def plain_stack_chain(stack, f):
    T = np.broadcast_to(np.eye(2, dtype=complex), (f.size, 2, 2)).copy()
    for layer in stack.layers:
        T = plain_layer_chain(layer, f) @ T
    return T


def plain_shells(radii, stacks, f, q=2, lap=2.0):
    """The unscaled dipole-mode system (the algebra before the rewrite)."""
    w = 2 * np.pi * f
    n = len(radii)
    out = []
    for i in range(f.size):
        M = np.zeros((2 * n, 2 * n), complex)
        rhs = np.zeros(2 * n, complex)
        col = lambda k, x: (0 if x == "a" else None) if k == 0 else ((2 * n - 1 if x == "b" else None) if k == n
                                                                     else 1 + 2 * (k - 1) + (x == "b"))
        def add(row, k, ca, cb):
            for x, v in (("a", ca), ("b", cb)):
                c = col(k, x)
                if c is not None:
                    M[row, c] += v
                elif k == n and x == "a":
                    rhs[row] -= v
        for j, R in enumerate(radii):
            T = plain_stack_chain(W.WallStack((stacks[j],)), f[i:i + 1])[0]
            a, b, d = T[0, 0], T[0, 1], T[1, 1]
            kap = lap / (1j * w[i] * units.MU0_H_M * b * R**2)
            fa, fb, pa, pb = 1.0, q * R ** (-(q + 1)), -R, R ** (-q)
            add(2 * j, j, fa + kap * a * pa, fb + kap * a * pb)
            add(2 * j, j + 1, -kap * pa, -kap * pb)
            add(2 * j + 1, j + 1, fa - kap * d * pa, fb - kap * d * pb)
            add(2 * j + 1, j, kap * pa, kap * pb)
        out.append(1.0 / np.linalg.solve(M, rhs)[0])
    return np.array(out)


FINITE_F = np.geomspace(W.F_MIN_HZ, 3e4, 25)  # where the plain five-layer product is finite (~460 skin depths)


def test_scaled_chain_equals_the_plain_one_where_finite():
    plain = plain_stack_chain(STACK, FINITE_F)
    assert np.all(np.isfinite(plain))
    new = STACK.chain_matrix(FINITE_F)
    assert np.max(np.abs(new - plain) / np.abs(plain).max(axis=(1, 2))[:, None, None]) < 1e-12
    for layer in STACK.layers:
        p = plain_layer_chain(layer, FINITE_F)
        assert np.max(np.abs(layer.chain_matrix(FINITE_F) - p) / np.abs(p).max(axis=(1, 2))[:, None, None]) < 1e-12
    z_plain = plain[:, 0, 0] / plain[:, 0, 1]
    assert np.max(np.abs(STACK.surface_impedance_ohm(FINITE_F) / z_plain - 1)) < 1e-12
    # the shell system: 1e-12 from 1 Hz up; below, the static limit makes the dipole system ill-conditioned
    # (condition number ~1e5 at 1 mHz), so any two formulations agree only to ~cond x 1e-16 (measured 1.7e-11)
    f = FINITE_F[::4]
    rel = np.abs(concentric_shells_shielding(RADII, METAL, f) / plain_shells(RADII, METAL, f) - 1)
    assert np.all(rel[f >= 1.0] < 1e-12) and np.all(rel < 1e-10)
    g = shell_coefficients(W.WallStack((METAL[0],)), FINITE_F, subtract_air=False)["g"]
    t = plain_layer_chain(METAL[0], FINITE_F)
    kappa = 1 / (1j * 2 * np.pi * FINITE_F * units.MU0_H_M * t[:, 0, 1])
    assert np.allclose(g, np.stack([-kappa * t[:, 0, 0], kappa, -kappa * t[:, 1, 1]], axis=1), rtol=1e-12, atol=0)


def test_plain_product_overflows_but_the_scaled_one_does_not():
    f = np.geomspace(1e5, W.F_MAX_HZ, 9)
    with np.errstate(all="ignore"):
        assert not np.all(np.isfinite(plain_stack_chain(STACK, f)))  # what used to crash `walls --fmax-hz 1e6`
    s, M = STACK.scaled_chain_matrix(f)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(M))
    z = STACK.surface_impedance_ohm(f)
    eta = W.thick_slab_impedance_ohm(METAL[0], f)  # the innermost layer alone is opaque: Z_s -> its eta
    assert np.all(np.isfinite(z)) and np.max(np.abs(z / eta - 1)) < 1e-12
    l_m = STACK.impedance_length_m(f)
    assert np.all(np.isfinite(l_m)) and np.all(l_m.real >= 0) and np.all(l_m.imag >= 0)


def test_shielding_attenuates_exponentially_up_to_f_max():
    f = np.geomspace(1e2, W.F_MAX_HZ, 11)
    log_s = concentric_shells_log_shielding(RADII, METAL, f)
    assert np.all(np.isfinite(log_s))
    skin_depths = np.array([sum(ly.thickness_m / np.sqrt(2 / (2 * np.pi * x * units.MU0_H_M * ly.mu_r * ly.sigma_s_m))
                                for ly in METAL) for x in f])
    excess = log_s.real - skin_depths  # ln|S| = sum t/delta + O(ln f): the algebraic part grows only slowly
    high = f >= 1e5
    assert np.all(np.abs(excess[high]) < 0.01 * skin_depths[high])
    assert np.all(np.diff(log_s.real) > 0)  # |S| grows monotonically with f
    with np.errstate(over="ignore"):
        s = concentric_shells_shielding(RADII, METAL, f)
    finite = np.isfinite(s)
    assert np.allclose(np.log(np.abs(s[finite])), log_s.real[finite], rtol=1e-12)


def test_walls_command_at_a_megahertz(tmp_path):
    spec = tmp_path / "room.toml"
    spec.write_text(two_layer_room_toml(1.0, 0.5, order=1))
    out = tmp_path / "out"
    with pytest.warns(RuntimeWarning, match="quasi-static"):
        rc = main(["walls", str(spec), "--fmin-hz", "1e4", "--fmax-hz", "1e6", "--n-freq", "3", "--quiet",
                   "--shell-mesh-size-m", "1.5", "--points-m", "0.9,0,0", "--out", str(out)])
    assert rc == 0
    data = json.loads((out / "walls.json").read_text())
    log10_s = data["shielding"]["log10_S_sphere_model"]
    assert np.isfinite(log10_s["at_fmin"]) and log10_s["at_fmax"] > 100
    with xr.open_dataset(out / "walls.nc", engine="h5netcdf") as ds:
        assert np.all(np.isfinite(ds["log10_shielding_sphere_model"].values))
        assert np.all(np.isfinite(ds["ratio_real_to_perfect"].values))
