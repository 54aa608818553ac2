"""Signal templates for the network: per sensor, per pair, per sidereal line and polarization, as one xarray
Dataset written to HDF5/NetCDF4 (h5netcdf), plus the time-domain injection generator.

Conventions (also written into the file's attributes):
  - phasors: x(t) = Re[X exp(-i 2 pi f t)]; a sensor reading is s_i(t) = eps Re[sum_l A_l,i . P exp(-i 2 pi
    (f + l f_sid)(t - t_ref))] (sidereal.py), A in tesla per unit eps, P the celestial polarization (|P| = 1).
  - J_eff = eps sqrt(2 rho/mu0) 2 pi f / c along P (docs/physics.md sec. 1); templates are for eps = 1.
  - cross-spectra: C_ij = a_i conj(a_j) (tesla^2 per eps^2). A periodogram of duration T normalised to a one-sided
    PSD with the e^{-i w t} coefficient z_i (correlator.py) has E[z_i conj(z_j)] = (T/2) eps^2 C_ij + noise.
  - polarization averages are over an isotropic P, E[P P^dagger] = I/3; time averages over whole sidereal days
    (the three lines add incoherently).
  - complex numbers are stored as NAME_re and NAME_im (NetCDF has no complex type).
"""

from __future__ import annotations

import numpy as np

from amails_fem.environment.ambient import RoomInEnvironment
from amails_fem.errors import SpecError
from amails_fem.frames import UNIX_J2000_S
from amails_fem.io.netcdf import read_dataset, write_dataset
from amails_fem.io.provenance import netcdf_attributes, provenance
from amails_fem.network import sidereal
from amails_fem.network.response import lab_templates
from amails_fem.units import F_SIDEREAL_HZ, RHO_DM_GEV_CM3

CONVENTIONS = (
    "phasor x(t)=Re[X exp(-i 2 pi f t)]; "
    "celestial frame: Z = Earth rotation axis (north), X = zero of the Earth rotation angle (IERS 2010), Y = Z x X; "
    "room frame: centred at the room centre, z up, x at room_x_azimuth_deg from north towards east, y = z x x; "
    "line l at f + l*f_sidereal carries A_l = T_lab . Lambda_l with phases referred to t_ref_unix_s; "
    "cross-spectrum C_ij = a_i conj(a_j); E[z_i conj(z_j)] = (T_obs/2) eps^2 C_ij for the one-sided periodogram; "
    "polarization average: isotropic, E[P P^H] = I/3; time average: whole sidereal days; "
    "complex values stored as NAME_re, NAME_im."
)


def _split(ds_vars: dict, name: str, dims, value, dtype=np.float64, attrs=None):
    ds_vars[name + "_re"] = (dims, np.ascontiguousarray(value.real, dtype=dtype), dict(attrs or {}, part="real"))
    ds_vars[name + "_im"] = (dims, np.ascontiguousarray(value.imag, dtype=dtype), dict(attrs or {}, part="imaginary"))


def complex_var(ds, name: str):
    """Recombine NAME_re + 1j NAME_im of a templates Dataset into a complex DataArray."""
    return ds[name + "_re"] + 1j * ds[name + "_im"]


TEMPLATE_BYTES_PER_SENSOR_FREQ = 750.0  # complex and split real arrays per sensor and frequency
TEMPLATE_BYTES_PER_PAIR_FREQ = 125.0  # pair cross-spectra (complex, then float32 halves) per pair and frequency
TEMPLATE_FIXED_BYTES = 0.6e9  # xarray/HDF5 writer and the room responses


def templates_bytes(n_sensors: int, n_pairs: int, n_freq: int) -> float:
    """Peak bytes of build_templates + write_templates. Measured (peak RSS, 15 sensors, 105 pairs): 24.2 kB per
    frequency between 2e4 and 6e4 frequencies (1.17 -> 2.09 GB), against 24.4 kB from these coefficients."""
    per_freq = TEMPLATE_BYTES_PER_SENSOR_FREQ * n_sensors + TEMPLATE_BYTES_PER_PAIR_FREQ * n_pairs
    return TEMPLATE_FIXED_BYTES + float(n_freq) * per_freq


def build_templates(network, responses: dict, freqs_hz, *, t_ref_unix_s: float = UNIX_J2000_S,
                    t_mid_unix_s: float | None = None, rho_gev_cm3: float = RHO_DM_GEV_CM3,
                    pair_dtype=np.float32, chunk: int = 20000, extra_attrs: dict | None = None):
    """Templates Dataset for eps = 1 on the frequency grid freqs_hz (Hz, > 0): lab-frame rows, per-line celestial
    templates, short-run (mid-time) templates, polarization/time-averaged amplitudes and pair cross-spectra.

    responses: {room name: room response} (response.solve_network_rooms or any R(r; f) model)."""
    import xarray as xr

    f = np.atleast_1d(np.asarray(freqs_hz, float))
    if f.ndim != 1 or f.size == 0 or np.any(~np.isfinite(f)) or np.any(f <= 0):
        raise SpecError("freqs_hz must be a non-empty 1-D grid of finite frequencies > 0 Hz")
    t_mid = t_ref_unix_s if t_mid_unix_s is None else float(t_mid_unix_s)
    n, pairs = network.n_sensors, network.pairs()
    pi, pj = np.array([p[0] for p in pairs], int), np.array([p[1] for p in pairs], int)
    site_of = [network.rooms[s.room].site for s in network.sensors]
    nf, npair = f.size, len(pairs)
    lab = np.empty((3, n, nf), complex)
    lines = np.empty((3, 3, n, nf), complex)
    short = np.empty((3, n, nf), complex)
    csd = np.empty((npair, nf), complex)
    csd_pol = np.empty((3, npair, nf), complex)
    csd_short = np.empty((npair, nf), complex)
    for a in range(0, nf, chunk):
        sl = slice(a, min(a + chunk, nf))
        t_lab = lab_templates(network, responses, f[sl], rho_gev_cm3)  # (f, i, k)
        a_l = sidereal.line_templates(t_lab, site_of, network.sites, t_ref_unix_s)  # (l, f, i, K)
        s_k = sidereal.short_run_templates(t_lab, site_of, network.sites, t_mid)  # (f, i, K)
        lab[:, :, sl] = np.transpose(t_lab, (2, 1, 0))
        lines[:, :, :, sl] = np.transpose(a_l, (0, 3, 2, 1))
        short[:, :, sl] = np.transpose(s_k, (2, 1, 0))
        prod = a_l[:, :, pi, :] * np.conj(a_l[:, :, pj, :])  # (l, f, pair, K)
        csd_pol[:, :, sl] = np.transpose(prod.sum(axis=0), (2, 1, 0))
        csd[:, sl] = prod.sum(axis=(0, 3)).T / 3.0
        csd_short[:, sl] = (s_k[:, pi, :] * np.conj(s_k[:, pj, :])).sum(-1).T / 3.0
    parts = {}
    if any(isinstance(r, RoomInEnvironment) for r in responses.values()):  # the two parts, labelled
        for part in ("own", "leak"):
            parts[part] = np.transpose(lab_templates(network, responses, f, rho_gev_cm3, part=part), (2, 1, 0))
    line_power = np.sum(np.abs(lines) ** 2, axis=1) / 3.0  # (l, i, f) polarization-averaged |a|^2 per line
    amp_pol = np.sqrt(np.sum(np.abs(lines) ** 2, axis=0))  # (K, i, f)
    rms = np.sqrt(line_power.sum(axis=0))

    v = {}
    _split(v, "lab_template", ("lab_axis", "sensor", "frequency"), lab,
           attrs={"units": "T", "long_name": "T_ik: phasor read by sensor i for eps=1, unit polarization along room axis k"})
    _split(v, "line_template", ("line", "polarization", "sensor", "frequency"), lines,
           attrs={"units": "T", "long_name": "A_l,iK: phasor of line l for eps=1 and celestial polarization e_K"})
    _split(v, "short_run_template", ("polarization", "sensor", "frequency"), short,
           attrs={"units": "T", "long_name": "T_i . E(theta_mid) e_K: short-run (T_obs << 1 sidereal day) phasor"})
    for part, arr in parts.items():
        what = "the room's own field" if part == "own" else "the Earth's dark-photon field let in through the shield"
        _split(v, f"lab_template_{part}", ("lab_axis", "sensor", "frequency"), arr,
               attrs={"units": "T", "long_name": f"part of lab_template from {what} (lab_template = own + leak)"})
        v[f"sensor_rms_lab_{part}"] = (("sensor", "frequency"), np.sqrt(np.sum(np.abs(arr) ** 2, axis=0) / 3.0),
                                       {"units": "T", "long_name": f"lab-polarization-averaged amplitude of {what}"})
    v["line_power"] = (("line", "sensor", "frequency"), line_power,
                       {"units": "T2", "long_name": "polarization-averaged |A_l|^2 per line (sums to sensor_rms^2)"})
    v["sensor_rms"] = (("sensor", "frequency"), rms,
                       {"units": "T", "long_name": "polarization- and time-averaged phasor amplitude for eps=1"})
    v["sensor_amplitude_pol"] = (("polarization", "sensor", "frequency"), amp_pol,
                                 {"units": "T", "long_name": "time-averaged phasor amplitude for P = e_K, eps=1"})
    _split(v, "pair_csd", ("pair", "frequency"), csd, pair_dtype,
           {"units": "T2", "long_name": "expected cross-spectrum a_i conj(a_j), polarization- and time-averaged, eps=1"})
    _split(v, "pair_csd_pol", ("polarization", "pair", "frequency"), csd_pol, pair_dtype,
           {"units": "T2", "long_name": "time-averaged cross-spectrum for P = e_K (sum over the three lines), eps=1"})
    _split(v, "pair_csd_short", ("pair", "frequency"), csd_short, pair_dtype,
           {"units": "T2", "long_name": "short-run (mid-time lab frame) polarization-averaged cross-spectrum, eps=1"})
    same_room = np.array([network.sensors[i].room == network.sensors[j].room for i, j in pairs], np.int8)
    coords = {
        "frequency": ("frequency", f, {"units": "Hz"}),
        "sensor": ("sensor", np.array(network.ids, dtype=object)),
        "pair": ("pair", np.array([f"{network.ids[i]}-{network.ids[j]}" for i, j in pairs], dtype=object)),
        "polarization": ("polarization", np.array(sidereal.POLARIZATION_NAMES, dtype=object),
                         {"frame": "celestial (equatorial): Z = Earth rotation axis"}),
        "line": ("line", np.array(sidereal.LINE_NAMES, dtype=object)),
        "line_offset_hz": ("line", np.array(sidereal.LINE_OFFSETS, float) * F_SIDEREAL_HZ, {"units": "Hz"}),
        "lab_axis": ("lab_axis", np.array(["x", "y", "z"], dtype=object), {"frame": "room frame"}),
        "xyz": ("xyz", np.array(["x", "y", "z"], dtype=object)),
        "sensor_site": ("sensor", np.array(site_of, dtype=object)),
        "sensor_room": ("sensor", np.array([s.room for s in network.sensors], dtype=object)),
        "sensor_position_m": (("sensor", "xyz"), network.positions_m(), {"units": "m", "frame": "room frame"}),
        "sensor_axis": (("sensor", "xyz"), network.axes(), {"frame": "room frame"}),
        "sensor_white_noise_t_rthz": ("sensor", np.array([s.white_noise_t_rthz for s in network.sensors]),
                                      {"units": "T/sqrt(Hz)"}),
        "pair_first": ("pair", pi), "pair_second": ("pair", pj),
        "pair_same_room": ("pair", same_room),
    }
    info = {}
    for name in sorted(network.rooms):
        i = getattr(responses[name], "info", {}) or {}
        for key, val in i.items():
            info[f"room_{name}_{key}"] = val
    attrs = provenance(network=network.name, network_hash=network.spec_hash(), source=str(network.source),
                       eps=1.0, rho_gev_cm3=float(rho_gev_cm3), f_sidereal_hz=F_SIDEREAL_HZ,
                       t_ref_unix_s=float(t_ref_unix_s), t_mid_unix_s=float(t_mid), conventions=CONVENTIONS,
                       sites=";".join(f"{s.name}:lat={s.latitude_deg},lon={s.longitude_deg},"
                                      f"az={s.room_x_azimuth_deg}" for s in network.sites.values()),
                       **info, **(extra_attrs or {}))
    return xr.Dataset(v, coords=coords, attrs=netcdf_attributes(attrs, title=f"dark-photon signal templates of "
                                                                               f"the {network.name} network"))


def write_templates(ds, path) -> None:
    """Write atomically as NetCDF4/HDF5 (h5netcdf): readable by xarray and by plain h5py."""
    write_dataset(ds, path)


def read_templates(path):
    """Load a templates file into memory as an xarray Dataset."""
    return read_dataset(path)


# -- injections ------------------------------------------------------------------------------------------------
def draw_polarization(rng, kind="isotropic") -> np.ndarray:
    """Celestial polarization P (3, complex) for one coherence patch.

    'isotropic': each component complex Gaussian, E[P P^H] = I/3: the stochastic field of many DM waves, |P| with a
    Rayleigh-like (chi, 6 dof) law and a random phase (valid while T_obs < coherence time ~ 1e6/f);
    an array: that fixed polarization (normalised to |P| = 1) with a uniform random phase."""
    if isinstance(kind, str):
        if kind != "isotropic":
            raise SpecError(f"polarization must be 'isotropic' or a 3-vector; got {kind!r}")
        return (rng.standard_normal(3) + 1j * rng.standard_normal(3)) / np.sqrt(6.0)
    p = np.asarray(kind, complex)
    if p.shape != (3,) or np.linalg.norm(p) == 0:
        raise SpecError(f"polarization must be a non-zero 3-vector; got {kind!r}")
    return p / np.linalg.norm(p) * np.exp(2j * np.pi * rng.uniform())
