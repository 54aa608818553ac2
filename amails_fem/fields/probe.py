"""The room's dark-photon field at chosen points (a line or a list), as a labelled xarray Dataset.

The values are the solver's own point evaluation (amails_fem/fem/probe.py through FieldResponse.response_matrix):
B = mu0 (J x r / 2 + grad psi) (docs/physics.md sec. 2), per unit effective current (T per A/m^2) and in tesla for a
dark photon of kinetic mixing eps at each frequency, J_eff = eps sqrt(2 rho / mu0) (2 pi f / c) (units.j_eff_a_m2).
With a wall model the impedance-wall solve (docs/walls.md) is added beside the perfect conductor (complex phasors,
real and imaginary parts as separate variables: NetCDF has no complex type).
"""

from __future__ import annotations

import numpy as np

from amails_fem import units
from amails_fem.environment.solve import solve_room
from amails_fem.errors import SpecError
from amails_fem.fields.fieldmap import POLARIZATIONS
from amails_fem.io.provenance import netcdf_attributes
from amails_fem.log import Progress
from amails_fem.rooms.model import points_inside
from amails_fem.specs.walls import check_freqs_hz
from amails_fem.validate import as_points, require_positive

PER_CURRENT_UNITS = "T m2 A-1"  # tesla per A/m^2 of effective current (UDUNITS spelling)


def line_points(start_m, end_m, n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """n_points equally spaced points from start_m to end_m (both included): (points (n, 3) m, distance (n,) m)."""
    a = as_points(start_m, "line start")[0]
    b = as_points(end_m, "line end")[0]
    if isinstance(n_points, bool) or not isinstance(n_points, (int, np.integer)) or not 2 <= n_points <= 100_000:
        raise SpecError(f"--n-points must be an integer in [2, 100000]; got {n_points!r}")
    length = float(np.linalg.norm(b - a))
    if length == 0.0:
        raise SpecError(f"--line-m needs two different end points (m); got {a.tolist()} twice")
    s = np.linspace(0.0, 1.0, int(n_points))
    return a + s[:, None] * (b - a), s * length


def check_inside(spec, points_m) -> np.ndarray:
    """points_m as (N, 3), SpecError naming the first rows outside the room (checked before any meshing)."""
    return points_inside(spec, points_m)


def probe_room(spec, points_m, *, wall=None, eps: float = 1.0, freqs_hz=(10.0,), order: int = 2,
               mesh_size_m: float | None = None, wall_size_m: float | None = None, distance_m=None,
               provenance: dict | None = None, progress: Progress | None = None, use_cache: bool = True):
    """Solve the room (perfect conductor; and ``wall``, e.g. a WallStack, on freqs_hz if given) and evaluate B at
    points_m (N, 3) m. Returns the Dataset of probe_dataset. Every input is checked before meshing."""
    pts = check_inside(spec, points_m)
    eps = require_positive(eps, "eps", "dimensionless")
    freqs = check_freqs_hz(freqs_hz, "freqs_hz")
    progress = progress or Progress(quiet=True)
    perfect = solve_room(spec, order=order, mesh_size_m=mesh_size_m, wall_size_m=wall_size_m, progress=progress,
                         use_cache=use_cache)
    real = None
    if wall is not None:
        real = solve_room(spec, order=order, mesh_size_m=mesh_size_m, wall_size_m=wall_size_m, progress=progress,
                          use_cache=use_cache, wall=wall, freqs_hz=freqs)
    stats = perfect.statistics()
    record = {**(provenance or {}), **{k: stats[k] for k in ("order", "dofs", "mesh_size_m", "wall_size_m",
                                                              "mesh_key", "tolerance")}}
    with progress.step(f"evaluating the field at {len(pts)} points"):
        return probe_dataset(perfect, pts, eps=eps, freqs_hz=freqs, walls=real, distance_m=distance_m,
                             provenance=record)


def probe_dataset(perfect, points_m, *, eps: float = 1.0, freqs_hz=(10.0,), walls=None, distance_m=None,
                  provenance: dict | None = None, rho_gev_cm3: float = units.RHO_DM_GEV_CM3):
    """B of solved rooms at points_m as an xarray Dataset with dims (frequency,) point, component, polarization.

    perfect: a static FieldResponse (perfect conductor); walls: optional FieldResponse on a frequency grid (its
    response_tensor is evaluated at freqs_hz). Coordinates x_m, y_m, z_m (and distance_m along a line) in m;
    component = B component, polarization = direction of the effective current (lab frame).
    """
    import xarray as xr

    pts = as_points(points_m)
    eps = require_positive(eps, "eps", "dimensionless")
    freqs = check_freqs_hz(freqs_hz, "freqs_hz")
    j = np.array([units.j_eff_a_m2(eps, f, rho_gev_cm3) for f in freqs])  # A/m^2 at each frequency
    R = np.asarray(perfect.response_matrix(pts), float)  # (N, 3 comp, 3 pol), T per A/m^2
    dims = ("point", "component", "polarization")
    fdims = ("frequency",) + dims
    v = {
        "b_perfect_per_current": (dims, R, {"units": PER_CURRENT_UNITS, "long_name": "magnetic flux density per "
                                            "unit effective current, perfectly conducting walls"}),
        "b_perfect": (fdims, j[:, None, None, None] * R[None],
                      {"units": "T", "long_name": f"magnetic flux density amplitude for eps = {eps:g}, perfectly "
                                                  "conducting walls"}),
        "b_perfect_magnitude": (("frequency", "point", "polarization"),
                                j[:, None, None] * np.linalg.norm(R, axis=1)[None],
                                {"units": "T", "long_name": "|B| for eps and each polarization, perfect walls"}),
        "j_eff": (("frequency",), j, {"units": "A m-2", "long_name": "effective current amplitude "
                                      "eps sqrt(2 rho / mu0) (2 pi f / c)"}),
    }
    if walls is not None:
        T = np.asarray(walls.response_tensor(pts, freqs), complex)  # (n_f, N, 3, 3)
        wl = "impedance walls (the spec's [walls] stack)"
        v["b_walls_per_current_real"] = (fdims, T.real, {"units": PER_CURRENT_UNITS, "long_name": f"Re B per unit "
                                                          f"effective current, {wl}; phasor Re[B e^(-i w t)]"})
        v["b_walls_per_current_imag"] = (fdims, T.imag, {"units": PER_CURRENT_UNITS,
                                                          "long_name": f"Im B per unit effective current, {wl}"})
        v["b_walls_real"] = (fdims, j[:, None, None, None] * T.real, {"units": "T", "long_name": f"Re B for eps, {wl}"})
        v["b_walls_imag"] = (fdims, j[:, None, None, None] * T.imag, {"units": "T", "long_name": f"Im B for eps, {wl}"})
        v["b_walls_magnitude"] = (("frequency", "point", "polarization"),
                                  j[:, None, None] * np.sqrt((np.abs(T) ** 2).sum(axis=2)),
                                  {"units": "T", "long_name": f"|B| for eps and each polarization, {wl}"})
    coords = {
        "point": ("point", np.arange(len(pts))),
        "component": ("component", list(POLARIZATIONS), {"long_name": "B component (lab frame, z up)"}),
        "polarization": ("polarization", list(POLARIZATIONS),
                         {"long_name": "direction of the dark-photon effective current"}),
        "frequency": ("frequency", freqs, {"units": "Hz", "long_name": "dark-photon frequency m c^2 / h"}),
        "x_m": ("point", pts[:, 0], {"units": "m", "long_name": "x (room centred at the origin)"}),
        "y_m": ("point", pts[:, 1], {"units": "m", "long_name": "y (room centred at the origin)"}),
        "z_m": ("point", pts[:, 2], {"units": "m", "long_name": "z (room centred at the origin, up)"}),
    }
    if distance_m is not None:
        coords["distance_m"] = ("point", np.asarray(distance_m, float), {"units": "m",
                                                                         "long_name": "distance along the line"})
    record = dict(provenance or {})
    record.update(eps=eps, rho_dm_gev_cm3=rho_gev_cm3,
                  conventions="B amplitude of the phasor B e^(-i 2 pi f t); per unit current: T per A/m^2")
    return xr.Dataset(v, coords=coords, attrs=netcdf_attributes(record, title="dark-photon field of the room at "
                                                                                 "probe points"))

