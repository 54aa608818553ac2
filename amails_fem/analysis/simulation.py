"""Simulated network runs in the recorded-data format (network/runs.py, docs/recorded_data.md): Gaussian noise with
the noise.py covariance, an optional dark-photon injection, gaps and a calibration, so simulated and measured data
take the same path through the analysis.

Injections (docs/physics.md sec. 4; sidereal.py): polarization 'isotropic' = one complex Gaussian P with
E[P P^H] = I/3 for the whole run (a single coherence patch, |P| Rayleigh-like); a 3-vector = that fixed
polarization (|P| = 1) with a random phase; 'stochastic' = the field of n_waves plane waves whose frequencies
f (1 + v^2/2) follow a Maxwellian with <v^2/2> = 1/Q (Q = coherence_quality, 1e6 for the galactic halo, Foster,
Rodd & Safdi (2018) PRD 97 123006; Lisanti, Moschella & Terrano (2021) arXiv:2107.10260), each with an independent
isotropic polarization: P(t) decorrelates over the coherence time tau = Q / f.
"""

from __future__ import annotations

import numpy as np

from amails_fem.errors import SpecError
from amails_fem.frames import UNIX_J2000_S
from amails_fem.memory import require_memory
from amails_fem.network import sidereal
from amails_fem.network.runs import Run, run_for_network
from amails_fem.network.templates import draw_polarization

DEFAULT_QUALITY = 1.0e6  # f * tau_coherence of galactic dark matter (v ~ 1e-3 c)


def _cn(rng, n):
    """Circular complex normal samples with E|z|^2 = 1."""
    return (rng.standard_normal(n) + 1j * rng.standard_normal(n)) / np.sqrt(2.0)


def calibration_response(calibration: dict, i: int, freqs_hz) -> np.ndarray:
    """G_i(f) = g exp(i phi): recorded phasor per true phasor of sensor i (gain and phase interpolated linearly,
    held constant outside the table)."""
    f = np.asarray(freqs_hz, float)
    g = np.interp(f, calibration["freq_hz"], calibration["gain"][i])
    ph = np.interp(f, calibration["freq_hz"], calibration["phase_rad"][i])
    return g * np.exp(1j * ph)


def stochastic_envelope(rng, freq_hz: float, times_s, quality: float, n_waves: int = 64) -> np.ndarray:
    """P(t) (n_t, 3) complex with the carrier exp(-i 2 pi f t) taken out: sum of n_waves waves at f (1 + v^2/2),
    v^2/2 from a Maxwellian of mean 1/quality, independent isotropic polarizations; E[P P^H] = I/3 (module docstring)."""
    t = np.asarray(times_s, float)
    sigma2 = 2.0 / (3.0 * quality)  # per-component variance of v: <v^2/2> = 3 sigma2 / 2 = 1/Q
    v = rng.standard_normal((n_waves, 3)) * np.sqrt(sigma2)
    df = freq_hz * 0.5 * np.sum(v**2, axis=1)
    pol = (rng.standard_normal((n_waves, 3)) + 1j * rng.standard_normal((n_waves, 3))) / np.sqrt(6.0 * n_waves)
    out = np.zeros((t.size, 3), complex)
    for w in range(n_waves):
        out += np.exp(-2j * np.pi * df[w] * t)[:, None] * pol[w][None]
    return out


def injection_signal(network, lab_t_at_f, freq_hz: float, eps: float, times_s, *, t0_unix_s: float,
                     polarization="isotropic", rng=None, quality: float = DEFAULT_QUALITY, n_waves: int = 64):
    """Time-domain DP signal (n_sensor, n_t) in tesla and the polarization used (3,) or, for 'stochastic',
    its envelope (n_t, 3): s_i(t) = eps Re[T_i . E(theta(t)) P(t) exp(-i 2 pi f t)] (sidereal.py)."""
    rng = np.random.default_rng(rng)
    t = np.asarray(times_s, float)
    if isinstance(polarization, str) and polarization == "stochastic":
        p_t = stochastic_envelope(rng, freq_hz, t, quality, n_waves)
    else:
        p_t = np.broadcast_to(draw_polarization(rng, polarization), (t.size, 3))
    out = np.empty((network.n_sensors, t.size))
    carrier = np.exp(-2j * np.pi * freq_hz * t)
    lab_t_at_f = np.asarray(lab_t_at_f, complex)
    for name, site in network.sites.items():
        idx = [i for i, s in enumerate(network.sensors) if network.rooms[s.room].site == name]
        if not idx:
            continue
        e = sidereal.lab_axes(site, sidereal.local_sidereal_angle_rad(site, t0_unix_s + t))  # (t, 3, 3)
        p_lab = np.einsum("tab,tb->ta", e, p_t)
        out[idx] = eps * np.real((lab_t_at_f[idx] @ p_lab.T) * carrier)
    return out, (p_t if p_t.strides[0] else np.array(p_t[0]))


def gap_mask(n_sensors: int, n_samples: int, fs_hz: float, gaps) -> np.ndarray | None:
    """Quality mask from gaps [(start_s, stop_s) or (start_s, stop_s, sensor index)] (seconds from the start)."""
    if not gaps:
        return None
    good = np.ones((n_sensors, n_samples), bool)
    for g in gaps:
        a, b = int(round(g[0] * fs_hz)), int(round(g[1] * fs_hz))
        if not (0 <= a < b <= n_samples):
            raise SpecError(f"gap {g[:2]} s must lie inside the run [0, {n_samples / fs_hz}] s")
        rows = slice(None) if len(g) < 3 else [int(g[2])]
        good[rows, a:b] = False
    return good


def simulate(network, duration_s: float, fs_hz: float, *, seed=0, t0_unix_s: float = UNIX_J2000_S,
             injection: dict | None = None, gaps=None, calibration: dict | None = None, dtype=np.float64) -> Run:
    """A Run of Gaussian network noise (intrinsic + per-room common mode, nothing shared between rooms, synthesised
    in the frequency domain) plus an optional injection {"eps", "freq_hz", "lab_templates" (n, 3) at freq_hz,
    "polarization": 'isotropic' | 'stochastic' | 3-vector, "coherence_quality", "n_waves"}; gaps masked (NaN in
    the readings, quality 0); a calibration {"freq_hz", "gain", "phase_rad"} applied as a recorder would."""
    n_t = int(round(duration_s * fs_hz))
    if n_t < 16:
        raise SpecError(f"duration_s * fs_hz must give at least 16 samples; got {n_t}")
    require_memory(3.0 * network.n_sensors * n_t * 8, f"simulating {network.n_sensors} sensors x {n_t} samples",
                   "shorten --duration-s or lower --fs-hz")
    rng = np.random.default_rng(seed)
    f = np.fft.rfftfreq(n_t, 1.0 / fs_hz)
    fpos = np.where(f > 0, f, f[1])
    scale = np.sqrt(fs_hz * n_t / 2.0)
    common = {name: _cn(rng, f.size) for name in sorted(network.rooms)}
    out = np.empty((network.n_sensors, n_t), dtype)
    for i, s in enumerate(network.sensors):
        room = network.rooms[s.room]
        z = s.asd_t_rthz(fpos) * _cn(rng, f.size)
        c, rho = room.common_mode_t_rthz, room.common_mode_correlation
        if c > 0:
            z += c * (np.sqrt(rho) * common[s.room] + (np.sqrt(1 - rho) * _cn(rng, f.size) if rho < 1 else 0.0))
        z[0] = 0.0
        if n_t % 2 == 0:
            z[-1] = z[-1].real * np.sqrt(2.0)
        out[i] = np.fft.irfft(z * scale, n=n_t)
    info = None
    if injection is not None:
        t = np.arange(n_t) / fs_hz
        sig, p = injection_signal(network, injection["lab_templates"], injection["freq_hz"], injection["eps"], t,
                                  t0_unix_s=t0_unix_s, polarization=injection.get("polarization", "isotropic"),
                                  rng=rng, quality=injection.get("coherence_quality", DEFAULT_QUALITY),
                                  n_waves=injection.get("n_waves", 64))
        out += sig.astype(dtype)
        info = {k: v for k, v in injection.items() if k != "lab_templates"}
        if p.ndim == 1:
            info["polarization_drawn"] = p
    if calibration is not None:
        for i in range(network.n_sensors):
            g = calibration_response(calibration, i, f)
            out[i] = np.fft.irfft(np.fft.rfft(out[i]) * np.conj(g), n=n_t)  # rfft ~ conj(phasor)
    mask = gap_mask(network.n_sensors, n_t, fs_hz, gaps)
    if mask is not None:
        out[~mask] = np.nan
    attrs = {"title": f"simulated run of the {network.name} network", "source": "amails_fem simulation",
             "network": network.name, "network_hash": network.spec_hash(), "simulation_seed": str(seed)}
    return run_for_network(network, out, fs_hz, t0_unix_s, mask=mask, calibration=calibration, attrs=attrs,
                           injection=info)
