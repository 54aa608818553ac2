"""Which part dominates where: the leak of the ambient dark-photon field against the room's own field at sensors.

For each sensor (position r_i, axis n_i) and frequency: the polarization-averaged amplitudes of the own and leak
rows n_i . R(r_i, f) per unit eps, their ratio, the band of that ratio from the ambient model's uncertainty, the
shield's S(f) at the centre, and the S a room would need for the own field to dominate (S_needed = S ratio, since
the leak scales as 1/S). The crossing frequency is where the ratio falls through 1 (docs/environment.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from amails_fem.environment.ambient import RoomInEnvironment
from amails_fem.environment.earth_field import earth_field_factor
from amails_fem.errors import SpecError
from amails_fem.network.response import j_eff_per_eps, rows_for


@dataclass(frozen=True)
class LeakReport:
    """Arrays over (frequency,) or (frequency, sensor); fields in tesla for eps = 1 (lab-polarization rms)."""

    freqs_hz: np.ndarray
    sensor_ids: tuple
    own_t: np.ndarray  # (n_f, n_s)
    leak_t: np.ndarray  # (n_f, n_s)
    ratio_band: np.ndarray  # (2, n_f, n_s): leak/own at the low and high ends of the ambient model's band
    centre_leak_t: np.ndarray  # (n_f,)
    shielding_stack: np.ndarray  # (n_f,) S = 1 / |T| at the centre (horizontal field)
    crossing_hz: np.ndarray  # (n_s,) NaN where the ratio never crosses 1 in the band

    @property
    def ratio(self) -> np.ndarray:
        return self.leak_t / self.own_t

    @property
    def shielding_needed(self) -> np.ndarray:
        """(n_f, n_s): the S at which leak = own at each sensor; the own field dominates above it."""
        return self.shielding_stack[:, None] * self.ratio

    @property
    def crossing_all_hz(self) -> float:
        """Frequency above which the own field dominates at every sensor (NaN if never in the band)."""
        return float(crossing_frequency(self.freqs_hz, self.ratio.max(axis=1)))


def crossing_frequency(freqs_hz, ratio) -> float:
    """Lowest frequency where ratio(f) falls through 1 and stays below (log-log interpolation); NaN if none."""
    f, r = np.asarray(freqs_hz, float), np.asarray(ratio, float)
    above = r >= 1.0
    if not above.any():
        return float(f[0]) if r[0] < 1 else float("nan")
    last = int(np.flatnonzero(above)[-1])
    if last == len(f) - 1:
        return float("nan")
    x0, x1 = np.log(f[last]), np.log(f[last + 1])
    y0, y1 = np.log(r[last]), np.log(r[last + 1])
    return float(np.exp(x0 + (0.0 - y0) * (x1 - x0) / (y1 - y0)))


def _amplitude(rows: np.ndarray) -> np.ndarray:
    """Polarization-averaged amplitude |n . R p| for a random unit lab polarization p: ||row|| / sqrt(3)."""
    return np.linalg.norm(rows, axis=-1) / np.sqrt(3.0)


def leak_report(response: RoomInEnvironment, positions_m, axes, sensor_ids, *, centre_m=(0.0, 0.0, 0.0)) -> LeakReport:
    """Leak vs own at the sensors of one room solved in its environment (see module docstring)."""
    if not isinstance(response, RoomInEnvironment):
        raise SpecError("leak_report needs a room solved with an environment (solve_room(..., environment='earth'))")
    f = np.asarray(response.freqs_hz, float)
    j = j_eff_per_eps(f)[:, None]
    own = _amplitude(rows_for(response, positions_m, axes, f, part="own")) * j
    leak = _amplitude(rows_for(response, positions_m, axes, f, part="leak")) * j
    if response.environment.model == "cavity":
        nominal = np.abs(earth_field_factor(f, "cavity"))
        scale = np.stack([np.abs(earth_field_factor(f, "cavity", band=b)) / nominal for b in ("low", "high")])
    else:
        scale = np.ones((2, f.size))
    centre = np.asarray(centre_m, float)[None]
    t = response.transfer_matrix(centre)[:, 0]
    centre_leak = np.linalg.norm(response.leak_response_matrix(centre)[:, 0], axis=(-2, -1)) / np.sqrt(3.0) * j[:, 0]
    shielding = np.sqrt(2.0) / np.linalg.norm(t[:, :2, :2], axis=(-2, -1))
    ratio = leak / own
    crossing = np.array([crossing_frequency(f, ratio[:, i]) for i in range(ratio.shape[1])])
    return LeakReport(freqs_hz=f, sensor_ids=tuple(sensor_ids), own_t=own, leak_t=leak,
                      ratio_band=ratio[None] * scale[:, :, None], centre_leak_t=centre_leak,
                      shielding_stack=shielding, crossing_hz=crossing)
