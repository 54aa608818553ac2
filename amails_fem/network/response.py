"""Sensor response rows n_i . R(r_i; f): the field a sensor reads per unit effective current (docs/physics.md sec. 4).

R(r; f) is the room's response tensor, B_a(r) = sum_k R_ak(r; f) J_k, in tesla per A/m^2, complex and
frequency dependent in general (phasor convention x(t) = Re[X exp(-i 2 pi f t)]). A perfect-conductor room gives a
real R, the same at every f (the f-dependence of the signal is then all in J_eff(f)); a real-wall solver gives a
complex R(r; f). This layer never assumes either: every model is asked for R at the frequencies it needs.
"""

from __future__ import annotations

import numpy as np

from amails_fem.environment.ambient import RoomInEnvironment
from amails_fem.errors import SpecError
from amails_fem.log import Progress
from amails_fem.rooms.response import StaticTensor
from amails_fem.rooms.solve import solve_room
from amails_fem.units import RHO_DM_GEV_CM3, j_eff_a_m2
from amails_fem.validate import require_option


class StaticResponse(StaticTensor):
    """A frequency-independent response from any object with ``response_matrix(points_m) -> (N, 3, 3)`` (e.g. a
    tabulated or analytic room); R(r; f) = R(r) at every f. Implements the FieldResponse protocol."""

    def __init__(self, source, info: dict | None = None):
        if not callable(getattr(source, "response_matrix", None)):
            raise TypeError("StaticResponse needs an object with response_matrix(points_m)")
        self.source = source
        self.spec = getattr(source, "spec", None)
        self.info = dict(info or {})

    def response_matrix(self, points_m) -> np.ndarray:
        """Complex (N, 3, 3) response [point, B component, J component] in T per A/m^2."""
        return np.asarray(self.source.response_matrix(np.asarray(points_m, float)), dtype=complex)


class FunctionResponse:
    """A frequency-dependent response from ``fn(points_m, freqs_hz) -> complex (n_freq, N, 3, 3)`` (T per A/m^2),
    e.g. a tabulated R(r; f) or a measured transfer. Implements the FieldResponse protocol's response_tensor."""

    freqs_hz = None  # defined at every frequency the function accepts

    def __init__(self, fn, info: dict | None = None):
        self.fn = fn
        self.spec = None
        self.info = dict(info or {})

    def response_tensor(self, points_m, freqs_hz) -> np.ndarray:
        f = np.atleast_1d(np.asarray(freqs_hz, float))
        r = np.asarray(self.fn(np.asarray(points_m, float), f), dtype=complex)
        n = len(np.atleast_2d(points_m))
        if r.shape != (f.size, n, 3, 3):
            raise ValueError(f"response function returned shape {r.shape}, expected {(f.size, n, 3, 3)}")
        return r


PARTS = ("total", "own", "leak")


def response_part(response, points_m, freqs_hz, part: str = "total") -> np.ndarray:
    """Complex (n_f, N, 3, 3) response for part "total", "own" (the room's own field) or "leak" (the ambient field
    let in through the shield). A room solved alone is all "own" and has no leak."""
    require_option(part, "part", PARTS)
    if isinstance(response, RoomInEnvironment):
        return response.part_tensor(points_m, freqs_hz, part)
    r = response.response_tensor(points_m, freqs_hz)
    return np.zeros_like(r) if part == "leak" else r


def rows_for(response, points_m, axes, freqs_hz, chunk: int = 4096, part: str = "total") -> np.ndarray:
    """Rows n_i . R(r_i; f): complex (n_freq, N, 3), T per A/m^2 per (lab-frame) polarization component, for any
    FieldResponse (amails_fem/rooms/response.py)."""
    pts = np.atleast_2d(np.asarray(points_m, float))
    ax = np.atleast_2d(np.asarray(axes, float))
    f = np.atleast_1d(np.asarray(freqs_hz, float))
    if isinstance(response, StaticTensor) and part != "leak":  # one evaluation serves every frequency
        row = np.einsum("na,nak->nk", ax, np.asarray(response.response_matrix(pts), complex))
        return np.broadcast_to(row, (f.size,) + row.shape).copy()
    out = np.empty((f.size, len(pts), 3), complex)
    for a in range(0, f.size, chunk):
        out[a:a + chunk] = np.einsum("na,fnak->fnk", ax, response_part(response, pts, f[a:a + chunk], part))
    return out


def solve_network_rooms(network, *, order: int = 2, mesh_size_m: float | None = None, quiet: bool = True,
                        progress: Progress | None = None) -> dict:
    """Perfect-conductor room solves for every room of the network (one solve per distinct geometry), wrapped as
    {room name: RoomResponse}. Uses ``amails_fem.solve_room`` (docs/physics.md sec. 2)."""

    progress = progress or Progress(quiet=quiet)
    by_key, out = {}, {}
    for name in sorted(network.rooms):
        room = network.rooms[name]
        key = (room.geometry_key, order, mesh_size_m)
        if key not in by_key:
            shared = [r for r in sorted(network.rooms) if network.rooms[r].geometry_key == room.geometry_key]
            with progress.step(f"room solve for {', '.join(shared)} (order {order}, mesh {mesh_size_m or 'default'} m)"):
                res = solve_room(room.geometry, order=order, mesh_size_m=mesh_size_m, quiet=True)
            res.info = {"geometry_hash": room.geometry_key, "element_order": order,
                                               "mesh_size_m": mesh_size_m if mesh_size_m is not None else float("nan"),
                        "wall_model": "perfect conductor"}
            by_key[key] = res
        out[name] = by_key[key]
    return out


def sensor_rows(network, responses: dict, freqs_hz, part: str = "total") -> np.ndarray:
    """Rows of every sensor of the network, complex (n_freq, n_sensor, 3), T per A/m^2 (lab-frame components)."""
    missing = sorted(set(network.rooms) - set(responses))
    if missing:
        raise SpecError(f"no room response for room {missing[0]!r} (responses given for {sorted(responses)})")
    f = np.atleast_1d(np.asarray(freqs_hz, float))
    out = np.empty((f.size, network.n_sensors, 3), complex)
    for name in network.rooms:
        idx = [i for i, s in enumerate(network.sensors) if s.room == name]
        if idx:
            sub = [network.sensors[i] for i in idx]
            out[:, idx] = rows_for(responses[name], [s.position_m for s in sub], [s.axis for s in sub], f, part=part)
    return out


def j_eff_per_eps(freqs_hz, rho_gev_cm3: float = RHO_DM_GEV_CM3) -> np.ndarray:
    """J_eff for eps = 1 (A/m^2) at each frequency: sqrt(2 rho/mu0) 2 pi f / c (docs/physics.md sec. 1)."""
    return j_eff_a_m2(1.0, 1.0, rho_gev_cm3) * np.asarray(freqs_hz, float)


def lab_templates(network, responses: dict, freqs_hz, rho_gev_cm3: float = RHO_DM_GEV_CM3,
                  part: str = "total") -> np.ndarray:
    """Lab-frame signal templates T_ik(f) = J_eff(eps=1, f) n_i . R(r_i; f) e_k, tesla per unit eps, complex
    (n_freq, n_sensor, 3): the phasor amplitude sensor i reads for a unit polarization along lab axis k; part
    "own" or "leak" keeps one of the two parts of a room in its environment."""
    f = _template_freqs(freqs_hz)
    return sensor_rows(network, responses, f, part) * j_eff_per_eps(f, rho_gev_cm3)[:, None, None]


def _template_freqs(freqs_hz) -> np.ndarray:
    """The template frequencies as a 1-D float array; one clear error unless all are finite and > 0 Hz."""
    f = np.atleast_1d(np.asarray(freqs_hz, float))
    if np.any(f <= 0) or not np.all(np.isfinite(f)):
        raise SpecError("freqs_hz must be finite and > 0 Hz")
    return f


def lab_templates_fn(network, responses: dict, rho_gev_cm3: float = RHO_DM_GEV_CM3, part: str = "total"):
    """lab_templates as a function of frequency for repeated calls: where every room's response is static (a
    perfect conductor), the sensors' rows are evaluated once and only J_eff(f) changes between calls."""
    if part == "leak" or not all(isinstance(responses.get(r), StaticTensor) for r in network.rooms):
        return lambda freqs_hz: lab_templates(network, responses, freqs_hz, rho_gev_cm3, part)
    rows = sensor_rows(network, responses, [1.0], part)[0]

    def templates(freqs_hz):
        return rows[None] * j_eff_per_eps(_template_freqs(freqs_hz), rho_gev_cm3)[:, None, None]

    return templates
