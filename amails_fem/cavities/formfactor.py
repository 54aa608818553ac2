"""Form factors, unloaded Q and dark-photon signal power of cavity modes (Dai, Li & Zhang (2025), eqs. 57-62), SI units.

  G_E(n) = |int E . n dV|^2 / (V int eps_r |E|^2 dV)                 (eq. 58)
  G_B(n) = |int mu0 H . n dV|^2 / (V int mu0 B . H* dV)
         = |int (B / mu_r) . n dV|^2 / (V int |B|^2 / mu_r dV)      (eq. 62)
  Q0 = omega int mu |H|^2 dV / (R_s oint |H_t|^2 dS), R_s = sqrt(omega mu0 / (2 sigma))   (Pozar eq. 6.46)
With fillings the denominators are the stored energies (electric, magnetic), and the numerators are the overlaps
with a uniform effective current: an electric current couples through int j_e . E* dV, a magnetic current through
int j_m . H* dV (Pozar, Microwave Engineering, 4th ed. 2012, sec. 4.7: a mode's excitation amplitude is
int (E_n . J - H_n . M) dV over the sources), hence H, not B. For eps_r = mu_r = 1 these are eqs. 58 and 62.
  P_E = kappa eps^2 x rho omega Q V G_E <cos^2>        (eq. 57 with |dA/dt|^2 = 2 rho x, m -> omega in SI)
  P_B = kappa eps^2 (1 - x) rho omega Q V G_B <cos^2>  (eq. 61)
For a closed cavity with perfectly conducting walls, int B dV = oint n x E dS / (i omega) = 0 (Stokes), so G_B is
zero for every mode, with any dielectric filling; with a permeable region mu0 int H dV = sum over regions of
mu_r^-1 oint n x E dS / (i omega), whose interface terms do not cancel, so G_B != 0 (docs/cavity.md).
Q0 counts wall losses only (no dielectric or magnetic loss tangent).
"""

from __future__ import annotations

import math

import numpy as np

from amails_fem.errors import SpecError
from amails_fem.units import MU0_H_M, rho_j_m3
from amails_fem.validate import require_positive, require_range

AXES = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "z": (0.0, 0.0, 1.0)}
RANDOM_POLARIZATION = 1.0 / 3.0  # <cos^2 theta> over all dark-photon directions (Dai, Li & Zhang (2025) after eq. 58)


def axis_vector(axis) -> np.ndarray:
    """Unit vector for "x", "y", "z" or any non-zero 3-vector."""
    if isinstance(axis, str):
        if axis not in AXES:
            raise SpecError(f"axis must be 'x', 'y', 'z' or a 3-vector; got {axis!r}")
        return np.array(AXES[axis])
    v = np.asarray(axis, dtype=float).reshape(-1)
    if v.shape != (3,) or not np.all(np.isfinite(v)) or np.linalg.norm(v) == 0:
        raise SpecError(f"axis must be 'x', 'y', 'z' or a non-zero finite 3-vector; got {axis!r}")
    return v / np.linalg.norm(v)


def cavity_volume_m3(mode_or_spec) -> float:
    """Volume of the cavity (m^3): the conductor-free region of the spec."""
    spec = getattr(mode_or_spec, "spec", mode_or_spec)
    return float(spec.volume_m3)


def form_factor(mode, axis="z", field: str = "E", average: bool = False) -> float:
    """G_E (eq. 58) or G_B (eq. 62) of ``mode`` along ``axis``; ``average=True`` multiplies by <cos^2> = 1/3.

    G_E = |int E . n dV|^2 / (V int eps_r |E|^2 dV), G_B = |int (B / mu_r) . n dV|^2 / (V int |B|^2 / mu_r dV)
    (module doc): energy-normalised, identical to eqs. 58 and 62 for eps_r = mu_r = 1. Dimensionless.
    """
    n = axis_vector(axis)
    if field == "E":
        num = abs(np.dot(mode.integral_E(), n)) ** 2
        den = mode.energy_eps_E()
    elif field == "B":
        num = abs(np.dot(mode.integral_mu0_H(), n)) ** 2
        den = mode.energy_BH()
    else:
        raise SpecError(f"field must be 'E' (G_E, eq. 58) or 'B' (G_B, eq. 62); got {field!r}")
    g = float(num / (cavity_volume_m3(mode) * den))
    return g * RANDOM_POLARIZATION if average else g


def surface_resistance_ohm(freq_hz: float, conductivity_s_m: float) -> float:
    """Normal-skin-effect surface resistance R_s = sqrt(omega mu0 / (2 sigma)) (ohm); copper at 1 GHz: 8.2 mOhm."""
    require_positive(freq_hz, "freq_hz", "Hz")
    require_positive(conductivity_s_m, "conductivity_s_m", "S/m")
    return math.sqrt(2 * math.pi * freq_hz * MU0_H_M / (2 * conductivity_s_m))


def unloaded_q(mode, conductivity_s_m: float | None = None) -> float:
    """Unloaded Q0 from wall losses: omega mu0 int |B|^2 / mu_r dV / (R_s oint |mu0 H_t|^2 dS) (Pozar eq. 6.46,
    = omega mu0 int |B|^2 dV / (R_s oint |B|^2 dS) in vacuum); dielectric and magnetic losses are not included.

    ``conductivity_s_m`` defaults to the spec's wall conductivity (copper, 5.8e7 S/m).
    """
    sigma = conductivity_s_m if conductivity_s_m is not None else mode.spec.conductivity_s_m
    rs = surface_resistance_ohm(mode.freq_hz, sigma)
    return float(mode.omega_rad_s * MU0_H_M * mode.energy_BH() / (rs * mode.wall_B2()))


def signal_power_w(mode, eps: float, x: float = 1.0, rho_gev_cm3: float = 0.45, kappa: float = 0.5,
                   field: str = "E", axis="z", q: float | None = None, polarization: str = "random") -> float:
    """Dark-photon signal power (W) on resonance: eq. 57 (field "E", current of A_D, fraction x) or eq. 61
    (field "B", current of B_D, fraction 1 - x). ``q``: loaded Q (default: the unloaded Q0 of the walls);
    ``polarization``: "random" (<cos^2> = 1/3) or "aligned" (cos^2 = 1); ``kappa``: coupling (0.5 = critical).
    """
    require_range(eps, "eps", 0.0, 1.0)
    require_range(x, "x", 0.0, 1.0)
    require_range(kappa, "kappa", 0.0, 1.0)
    require_positive(rho_gev_cm3, "rho_gev_cm3", "GeV/cm^3")
    if polarization not in ("random", "aligned"):
        raise SpecError(f"polarization must be 'random' or 'aligned'; got {polarization!r}")
    quality = unloaded_q(mode) if q is None else require_positive(q, "q", "")
    g = form_factor(mode, axis, field)
    frac = x if field == "E" else 1.0 - x
    cos2 = RANDOM_POLARIZATION if polarization == "random" else 1.0
    return float(kappa * eps**2 * frac * rho_j_m3(rho_gev_cm3) * mode.omega_rad_s * quality
                 * cavity_volume_m3(mode) * g * cos2)
