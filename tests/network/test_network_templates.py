"""Response rows, sidereal modulation and the templates file (docs/physics.md sec. 4)."""

from dataclasses import replace

import h5py
import numpy as np
import pytest
from network_helpers import SphereStandIn, amails, amails_responses

from amails_fem.analysis.simulation import injection_signal
from amails_fem.errors import SpecError
from amails_fem.network import sidereal
from amails_fem.network.response import FunctionResponse, StaticResponse, lab_templates, rows_for
from amails_fem.network.sensors import Site
from amails_fem.network.templates import (
    build_templates,
    complex_var,
    draw_polarization,
    read_templates,
    write_templates,
)
from amails_fem.rooms.response import GridTensor
from amails_fem.units import F_SIDEREAL_HZ, MU0_H_M, j_eff_a_m2

SITE = Site("test", 31.3, 120.6, 25.0)


def test_rows_against_analytic_stand_in_and_complex_response():
    pts = np.array([[0.3, -0.2, 0.5], [-0.1, 0.4, 0.0]])
    axes = np.array([[0.0, 1.0, 0.0], [0.6, 0.0, 0.8]])
    rows = rows_for(StaticResponse(SphereStandIn()), pts, axes, [1.0, 7.0])
    for k, e in enumerate(np.eye(3)):  # B = (mu0/2) e_k x r
        b = 0.5 * MU0_H_M * np.cross(e, pts)
        assert np.allclose(rows[:, :, k], np.sum(axes * b, axis=1)[None], rtol=1e-14, atol=0)
    # a complex, frequency-dependent R(r; f): nothing assumes real or proportional to f
    f0 = 3.0
    fr = FunctionResponse(lambda p, f: SphereStandIn().response_matrix(p)[None] / (1 - 1j * f[:, None, None, None] / f0))
    rows_c = rows_for(fr, pts, axes, [1.0, 7.0])
    assert np.allclose(rows_c, rows / (1 - 1j * np.array([1.0, 7.0])[:, None, None] / f0))
    assert np.iscomplexobj(rows_c) and np.abs(rows_c.imag).max() > 0
    # a solve on a frequency grid (the impedance-wall room's interface): interpolated between grid points

    class Grid(GridTensor):
        freqs_hz = np.array([1.0, 5.0, 9.0])

        def response_matrix(self, p):
            return SphereStandIn().response_matrix(p)[None] / (1 - 1j * self.freqs_hz[:, None, None, None] / f0)

    rows_g = rows_for(Grid(), pts, axes, [5.0, 9.0])
    assert np.allclose(rows_g, rows / (1 - 1j * np.array([5.0, 9.0])[:, None, None] / f0))
    with pytest.raises(SpecError, match="grid"):
        rows_for(Grid(), pts, axes, [20.0])


def test_templates_agree_with_direct_field_evaluation():
    """Templates (through the whole chain) = n . B(r) from the room solve at the sensor point, times J_eff."""
    net, resp = amails(), amails_responses()
    freqs = np.array([1.0, 10.1, 333.0])
    lab = lab_templates(net, resp, freqs)
    room = resp["suzhou"]  # the RoomResponse of solve_room
    for i in (0, 5, 9, 12):
        s = net.sensors[i]
        for k, pol in enumerate(np.eye(3)):
            for n, f in enumerate(freqs):
                direct = np.dot(s.axis, room.signal(np.array([s.position_m]), pol, 1.0, f)[0])
                assert lab[n, i, k] == pytest.approx(direct, rel=1e-12, abs=1e-30)
    # the wall field of a 2 m room at 10 Hz is of the size of AMAILS eq. (1)
    assert 0.3 < np.abs(lab[1]).max() / (MU0_H_M * j_eff_a_m2(1, 10.1) * 2 / np.sqrt(3)) < 3


def test_no_modulation_along_earth_axis_and_line_powers_add_up():
    t_lab = np.array([0.3 + 0.1j, -1.0, 0.5j])
    lam = sidereal.line_weights(SITE, 1.7e9)
    a_z = np.einsum("k,lk->l", t_lab, lam[:, :, 2])  # P = Z: only the central line
    assert abs(a_z[0]) < 1e-14 * abs(a_z[1]) and abs(a_z[2]) < 1e-14 * abs(a_z[1])
    days = np.linspace(0, 1 / F_SIDEREAL_HZ, 4001)[:-1]
    f = 40 * F_SIDEREAL_HZ
    env = np.abs(t_lab @ sidereal.lab_axes(SITE, sidereal.local_sidereal_angle_rad(SITE, 1.7e9 + days))[:, :, 2].T)
    assert np.ptp(env) < 1e-12 * env.max()  # no modulation of the amplitude
    # any polarization: the time average of s^2 over a sidereal day equals the sum of the line powers |a_l|^2 / 2
    p = np.array([0.4, -0.7 + 0.2j, 0.3j])
    p /= np.linalg.norm(p)
    s = sidereal.signal_timeseries(t_lab, SITE, p, f, 1.7e9 + days)
    lines = np.einsum("k,lkK,K->l", t_lab, lam, p)
    # (1e-6: the Earth rotation angle turns at 1/86164.0989 s, F_SIDEREAL_HZ is 1/86164.0905 s)
    assert np.mean(s ** 2) == pytest.approx(np.sum(np.abs(lines) ** 2) / 2, rel=1e-6)
    assert np.abs(lines[0]) > 0.05 * np.abs(lines).max()  # a tilted polarization is modulated
    # the three lines rebuild the exact time series
    tt = days[::97]
    rebuilt = np.real(sum(lines[n] * np.exp(-2j * np.pi * (f + l * F_SIDEREAL_HZ) * tt)
                          for n, l in enumerate(sidereal.LINE_OFFSETS)))
    t_ref = 1.7e9
    s_ref = sidereal.signal_timeseries(t_lab, SITE, p, f, t_ref + np.concatenate([[0.0], tt[1:]]))
    assert np.allclose(rebuilt, s_ref, atol=1e-5 * np.abs(lines).sum())


def test_averages_and_short_run_regime():
    t_lab = np.array([[1.0, 2.0, -0.5], [0.2j, -1.0, 0.3]])[None]  # (f, i, k)
    a = sidereal.line_templates(t_lab, ["s", "s"], {"s": SITE}, 1.0e9)
    # polarization + time average = the lab-frame isotropic average |T|^2 / 3
    assert np.sum(np.abs(a[:, 0, 0]) ** 2) / 3 == pytest.approx(np.sum(np.abs(t_lab[0, 0]) ** 2) / 3)
    # short run: the lab frame at mid time = the three lines evaluated at t_mid
    t_mid = 1.0e9 + 1000.0
    short = sidereal.short_run_templates(t_lab, ["s", "s"], {"s": SITE}, t_mid)
    phase = np.exp(-2j * np.pi * np.array(sidereal.LINE_OFFSETS) * F_SIDEREAL_HZ * (t_mid - 1.0e9))
    assert np.allclose(short[0], np.einsum("l,liK->iK", phase, a[:, 0]))
    assert sidereal.regime(2000.0) == "short" and sidereal.regime(30 * 86400.0) == "long"
    assert sidereal.regime(6 * 3600.0) == "intermediate"


def test_templates_file_roundtrip(tmp_path):
    import xarray as xr

    net, resp = amails(), amails_responses()
    f = np.geomspace(1, 500, 17)
    ds = build_templates(net, resp, f, t_ref_unix_s=1.7e9)
    path = tmp_path / "tpl.h5"
    write_templates(ds, path)
    assert [p.name for p in tmp_path.iterdir()] == ["tpl.h5"]  # atomic: no leftover part file
    back = read_templates(path)
    for dim in ("sensor", "pair", "polarization", "line", "frequency"):
        assert dim in back.dims
    assert back.sizes["pair"] == 105 and back.sizes["sensor"] == 15
    assert "phasor" in back.attrs["conventions"] and back.attrs["network_hash"] == net.spec_hash()
    assert list(back.sensor_room.values[:2]) == ["suzhou", "suzhou"]
    assert np.allclose(complex_var(back, "line_template"), complex_var(ds, "line_template"))
    # line powers add up to the averaged amplitude; pair cross-spectra match the sensor templates
    assert np.allclose(back.line_power.sum("line"), back.sensor_rms ** 2, rtol=1e-12)
    lt = complex_var(ds, "line_template").values  # (l, K, i, f)
    i, j = int(ds.pair_first[40]), int(ds.pair_second[40])
    expect = np.sum(lt[:, :, i] * np.conj(lt[:, :, j]), axis=(0, 1)) / 3
    assert np.allclose(complex_var(back, "pair_csd").values[40], expect, rtol=1e-5)
    with h5py.File(path, "r") as h:  # plain h5py
        assert h["line_template_re"].shape == (3, 3, 15, 17)
        assert h["pair_csd_pol_im"].shape == (3, 105, 17)
        assert np.allclose(h["frequency"][:], f)
        assert h["sensor_rms"].attrs["units"] in (b"T", "T")
    with xr.open_dataset(path, engine="h5netcdf") as opened:
        assert opened.frequency.attrs["units"] == "Hz"


def test_injection_generator():
    rng = np.random.default_rng(4)
    draws = np.array([draw_polarization(rng) for _ in range(4000)])
    assert np.mean(np.sum(np.abs(draws) ** 2, axis=1)) == pytest.approx(1.0, rel=0.05)
    comp = np.abs(draws[:, 2]) ** 2 * 3  # exponential law (Rayleigh amplitude): mean 1, variance 1
    assert np.var(comp) == pytest.approx(1.0, rel=0.15)
    fixed = draw_polarization(rng, [0, 0, 2.0])
    assert np.allclose(np.abs(fixed), [0, 0, 1])
    net, resp = amails(), amails_responses()
    lt = lab_templates(net, resp, [20.0])[0]
    t = np.arange(2000) / 100.0
    sig, p = injection_signal(net, lt, 20.0, 1e-3, t, t0_unix_s=1.7e9, polarization=[0, 0, 1], rng=1)
    assert sig.shape == (15, 2000)
    amp = np.abs(1e-3 * lt @ sidereal.lab_axes(net.sites["Suzhou"], sidereal.local_sidereal_angle_rad(
        net.sites["Suzhou"], 1.7e9)) @ p)
    assert np.max(np.abs(sig[0])) == pytest.approx(amp[0], rel=1e-3)


def test_line_templates_equal_the_explicit_sum_per_site():
    """A[l, f, i, K] = sum_k T[f, i, k] Lambda_l(site_i)[k, K] for sensors at two different sites."""
    rng = np.random.default_rng(5)
    t_lab = rng.standard_normal((4, 3, 3)) + 1j * rng.standard_normal((4, 3, 3))
    other = replace(SITE, longitude_deg=SITE.longitude_deg + 40.0)
    sites = {"a": SITE, "b": other}
    a = sidereal.line_templates(t_lab, ["a", "b", "a"], sites, 1.2e9)
    for i, name in enumerate(["a", "b", "a"]):
        lam = sidereal.line_weights(sites[name], 1.2e9)
        assert np.allclose(a[:, :, i], np.einsum("fk,lkK->lfK", t_lab[:, i], lam), rtol=1e-13, atol=0)
