"""Physical constants and the dark-photon unit chain, SI throughout.

Natural (hbar = c = 1) quantities of the papers enter only through the helpers here:
  f = m c^2 / h                                   (mass <-> frequency)
  J_eff = eps * sqrt(2 rho_DM / mu0) * (2 pi f / c)   (docs/physics.md sec. 1; A/m^2 per unit polarization)
"""

import math

C_M_S = 299_792_458.0                 # speed of light (m/s)
MU0_H_M = 1.25663706212e-6            # vacuum permeability (H/m), CODATA 2018
H_J_S = 6.62607015e-34                # Planck constant (J s)
K_B_J_K = 1.380649e-23               # Boltzmann constant (J/K)
E_CHARGE_C = 1.602176634e-19          # elementary charge (C) = J per eV
GEV_CM3_TO_J_M3 = 1e9 * E_CHARGE_C * 1e6  # 1 GeV/cm^3 in J/m^3
RHO_DM_GEV_CM3 = 0.45                 # default local dark-matter density (GeV/cm^3)
F_SIDEREAL_HZ = 1.0 / 86164.0905      # one sidereal day (Hz)


def rho_j_m3(rho_gev_cm3: float = RHO_DM_GEV_CM3) -> float:
    """Dark-matter energy density in J/m^3 (0.45 GeV/cm^3 -> 7.21e-5 J/m^3)."""
    return rho_gev_cm3 * GEV_CM3_TO_J_M3


def hz_to_ev(freq_hz: float) -> float:
    """Dark-photon mass (eV) whose Compton frequency is freq_hz: m c^2 = h f (1 Hz = 4.136e-15 eV)."""
    return H_J_S * freq_hz / E_CHARGE_C


def ev_to_hz(mass_ev: float) -> float:
    """Compton frequency (Hz) of a dark photon of mass mass_ev (eV)."""
    return mass_ev * E_CHARGE_C / H_J_S


def j_eff_a_m2(eps: float, freq_hz: float, rho_gev_cm3: float = RHO_DM_GEV_CM3) -> float:
    """Amplitude of the effective current J_eff = eps sqrt(2 rho/mu0) (2 pi f/c), in A/m^2.

    SI form of J_eff = eps m^2 A' with |A'| = sqrt(2 rho)/m (docs/physics.md sec. 1); eps * 2.24e-6 A/m^2 at 10 Hz.
    """
    return eps * math.sqrt(2.0 * rho_j_m3(rho_gev_cm3) / MU0_H_M) * (2.0 * math.pi * freq_hz / C_M_S)


def b_uniform_magnetic_current_t(eps_m: float, rho_gev_cm3: float = RHO_DM_GEV_CM3) -> float:
    """QEMD magnetic-current field in free space, B = eps_m sqrt(2 mu0 rho) (tesla; docs/physics.md sec. 2)."""
    return eps_m * math.sqrt(2.0 * MU0_H_M * rho_j_m3(rho_gev_cm3))


def amails_eq1_t(eps: float, freq_hz: float, volume_m3: float, rho_gev_cm3: float = RHO_DM_GEV_CM3) -> float:
    """AMAILS eq. (1) estimate B ~ eps sqrt(2 mu0 rho/3) (2 pi f/c) V^(1/3), in tesla.

    Equals mu0 J_eff L / sqrt(3) with L = V^(1/3): 1.63e-12 eps T at 10 Hz for V = 1 m^3.
    """
    return MU0_H_M * j_eff_a_m2(eps, freq_hz, rho_gev_cm3) * volume_m3 ** (1.0 / 3.0) / math.sqrt(3.0)


def quasi_static_parameter(freq_hz: float, size_m: float) -> float:
    """2 pi f L / c: the room is quasi-static while this is << 1 (warn above 0.01)."""
    return 2.0 * math.pi * freq_hz * size_m / C_M_S
