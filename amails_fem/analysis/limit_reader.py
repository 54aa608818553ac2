"""Read and check a kinetic-mixing limit file (limits.nc) before plotting it (docs/limits.md, sec. 4).

Schema: dimension ``frequency`` with a coordinate of the same name in Hz; variable ``eps_limit(frequency)`` with
units "1" and attributes confidence_level, polarization_model, rho_dm_gev_cm3; optionally ``mass_ev(frequency)``,
which must equal h f / e (f = m c^2 / h, amails_fem.units) to 1e-6.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from amails_fem.errors import SpecError
from amails_fem.io.netcdf import read_dataset
from amails_fem.units import hz_to_ev

RUN_ATTRS = ("confidence_level", "polarization_model", "rho_dm_gev_cm3")


@dataclass
class LimitRun:
    """A run's limit: ``freq_hz`` (Hz), ``eps_limit`` (1), ``mass_ev`` (eV) and the file's attributes."""

    path: str
    freq_hz: np.ndarray
    eps_limit: np.ndarray
    mass_ev: np.ndarray
    attrs: dict = field(default_factory=dict)
    global_attrs: dict = field(default_factory=dict)

    def describe(self) -> str:
        """E.g. "95 % CL, polarization isotropic, rho = 0.45 GeV/cm^3" from the attributes present."""
        parts = []
        cl = self.attrs.get("confidence_level")
        if cl is not None:
            c = float(cl)
            parts.append(f"{c * 100 if c <= 1 else c:g} % CL")
        if self.attrs.get("polarization_model") is not None:
            parts.append(f"polarization {self.attrs['polarization_model']}")
        if self.attrs.get("rho_dm_gev_cm3") is not None:
            parts.append(f"ρ = {float(self.attrs['rho_dm_gev_cm3']):g} GeV/cm³")
        return ", ".join(parts)


def read_limit_file(path) -> LimitRun:
    """Load ``path`` and check the schema; one SpecError line naming what is wrong."""
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"limit file not found: {p}")
    try:
        ds = read_dataset(p)
    except (OSError, ValueError, KeyError, TypeError) as err:  # what h5netcdf/xarray raise for a non-NetCDF4 file
        raise SpecError(f"{p}: not a readable NetCDF4 file ({type(err).__name__}: {err})".splitlines()[0]) from None
    if "eps_limit" not in ds.variables:
        raise SpecError(f"{p}: needs a variable 'eps_limit' (kinetic-mixing limit, units '1'); has "
                        f"{', '.join(sorted(map(str, ds.variables))) or 'none'}")
    eps = ds["eps_limit"]
    if tuple(eps.dims) != ("frequency",):
        raise SpecError(f"{p}: eps_limit must have the single dimension 'frequency'; got {tuple(eps.dims)}")
    if "frequency" not in ds.coords:
        raise SpecError(f"{p}: dimension 'frequency' needs a coordinate (Hz)")
    f_units = str(ds["frequency"].attrs.get("units", ""))
    if f_units != "Hz":
        raise SpecError(f"{p}: coordinate 'frequency' must have units 'Hz'; got {f_units!r}")
    e_units = str(eps.attrs.get("units", ""))
    if e_units not in ("1", ""):
        raise SpecError(f"{p}: eps_limit must have units '1' (dimensionless kinetic mixing); got {e_units!r}")
    if "units" not in eps.attrs:
        raise SpecError(f"{p}: eps_limit needs a units attribute ('1')")
    f = np.asarray(ds["frequency"].values, dtype=float)
    e = np.asarray(eps.values, dtype=float)
    if f.size == 0 or not np.all(np.isfinite(f)) or np.any(f <= 0):
        raise SpecError(f"{p}: frequency must be finite and > 0 (Hz)")
    m = hz_to_ev(f)
    if "mass_ev" in ds.variables:
        mf = np.asarray(ds["mass_ev"].values, dtype=float)
        if mf.shape != f.shape or not np.allclose(mf, m, rtol=1e-6, atol=0.0):
            raise SpecError(f"{p}: mass_ev must equal h f / e (f = m c^2/h) to 1e-6; it does not")
    if not np.any(np.isfinite(e) & (e > 0)):
        raise SpecError(f"{p}: eps_limit has no finite positive value")
    attrs = {k: _plain(eps.attrs.get(k, ds.attrs.get(k))) for k in RUN_ATTRS}
    return LimitRun(str(p), f, e, m, attrs, {k: _plain(v) for k, v in ds.attrs.items()})


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode()
    return value
