"""Sensors, sites, rooms and networks: frozen dataclasses, TOML loading and validation.

A network (docs/physics.md sec. 4; AMAILS, Jiang et al. (2024)) is sites (latitude, longitude, azimuth of the room x axis from
north) + rooms (a room geometry centred at the origin, z up, a sensor standoff and a common-mode noise) + sensors
(a position in their room's frame, a unit sensitive axis and an amplitude spectral density). Every user mistake
is a SpecError naming the field, raised before any meshing or solving.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from amails_fem.errors import SpecError
from amails_fem.io.cache import content_hash
from amails_fem.io.files import data_path, read_toml
from amails_fem.specs.rooms import parse_room
from amails_fem.validate import require_positive, require_range

AXIS_TOL = 1e-6  # |axis| must be 1 within this (a sensitive axis is a unit vector)


@dataclass(frozen=True)
class Site:
    """A station: latitude/longitude (deg, east positive) and azimuth (deg, from north towards east) of its rooms' x axis."""

    name: str
    latitude_deg: float
    longitude_deg: float
    room_x_azimuth_deg: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "latitude_deg", require_range(self.latitude_deg, f"sites.{self.name}.latitude_deg", -90, 90, "deg"))
        object.__setattr__(self, "longitude_deg", require_range(self.longitude_deg, f"sites.{self.name}.longitude_deg", -180, 360, "deg"))
        object.__setattr__(self, "room_x_azimuth_deg", require_range(self.room_x_azimuth_deg, f"sites.{self.name}.room_x_azimuth_deg", -360, 360, "deg"))


@dataclass(frozen=True)
class Room:
    """A shield room at a site: its geometry (a geometry spec, centred at the origin), the minimum sensor-to-wall
    distance ``standoff_m`` and its common-mode noise (white ASD in T/rtHz seen by every sensor of the room, with
    correlation coefficient ``common_mode_correlation`` between two sensors; AMAILS: ~5 fT/rtHz)."""

    name: str
    site: str
    geometry: object  # amails_fem.specs.rooms.RoomBase
    standoff_m: float = 0.03
    common_mode_t_rthz: float = 5e-15
    common_mode_correlation: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "standoff_m", require_range(self.standoff_m, f"rooms.{self.name}.standoff_m", 0.0, 10.0, "m"))
        object.__setattr__(self, "common_mode_t_rthz", require_range(self.common_mode_t_rthz, f"rooms.{self.name}.common_mode_t_rthz", 0.0, 1e-6, "T/rtHz"))
        object.__setattr__(self, "common_mode_correlation", require_range(self.common_mode_correlation, f"rooms.{self.name}.common_mode_correlation", 0.0, 1.0))

    def common_mode_psd(self, k: int) -> np.ndarray:
        """(k, k) one-sided PSD (T^2/Hz) of the room's common-mode noise on k of its sensors:
        c^2 [(1 - rho) I + rho 1 1^T], c = common_mode_t_rthz, rho = common_mode_correlation."""
        c2, rho = self.common_mode_t_rthz ** 2, self.common_mode_correlation
        return c2 * ((1.0 - rho) * np.eye(k) + rho * np.ones((k, k)))

    @property
    def geometry_key(self) -> str:
        """Hash of the geometry alone: rooms with equal keys share one field solve."""
        return self.geometry.spec_hash()


@dataclass(frozen=True)
class Sensor:
    """A single-axis magnetometer: id, room, position in the room frame (m), unit sensitive axis, and noise ASD
    ``asd(f) = white_noise_t_rthz * sqrt(1 + corner_hz / f)`` (white level plus an optional 1/f corner; AMAILS OPMs:
    ~15 fT/rtHz)."""

    id: str
    room: str
    position_m: tuple
    axis: tuple
    white_noise_t_rthz: float = 15e-15
    corner_hz: float = 0.0

    def __post_init__(self):
        pos = _vector(self.position_m, f"sensors.{self.id}.position_m")
        ax = _vector(self.axis, f"sensors.{self.id}.axis")
        norm = float(np.linalg.norm(ax))
        if norm == 0.0:
            raise SpecError(f"sensors.{self.id}.axis must be a unit vector; got the zero vector")
        if abs(norm - 1.0) > AXIS_TOL:
            raise SpecError(f"sensors.{self.id}.axis must be a unit vector (|axis| = 1 within {AXIS_TOL}); "
                            f"got |axis| = {norm:.6g}")
        object.__setattr__(self, "position_m", tuple(pos))
        object.__setattr__(self, "axis", tuple(ax))
        object.__setattr__(self, "white_noise_t_rthz", require_positive(self.white_noise_t_rthz, f"sensors.{self.id}.white_noise_t_rthz", "T/rtHz"))
        object.__setattr__(self, "corner_hz", require_range(self.corner_hz, f"sensors.{self.id}.corner_hz", 0.0, 1e9, "Hz"))

    def asd_t_rthz(self, freq_hz) -> np.ndarray:
        """Intrinsic noise amplitude spectral density (T/rtHz) at freq_hz (> 0)."""
        f = np.asarray(freq_hz, dtype=float)
        return self.white_noise_t_rthz * np.sqrt(1.0 + self.corner_hz / f)


def _vector(value, field_name: str) -> np.ndarray:
    if isinstance(value, (str, bytes)) or any(isinstance(x, (bool, np.bool_, str, bytes)) for x in np.ravel(
            np.asarray(value, dtype=object))):
        raise SpecError(f"{field_name} must be 3 numbers (no booleans or strings); got {value!r}")
    try:
        v = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise SpecError(f"{field_name} must be 3 numbers; got {value!r}") from None
    if v.shape != (3,) or not np.all(np.isfinite(v)):
        raise SpecError(f"{field_name} must be 3 finite numbers; got {value!r}")
    return v


@dataclass(frozen=True)
class Network:
    """Sites + rooms + sensors, validated together (a sensor's room must exist and hold it)."""

    name: str
    sites: dict
    rooms: dict
    sensors: tuple
    source: str = "<python>"

    def __post_init__(self):
        object.__setattr__(self, "sensors", tuple(self.sensors))
        if not self.sensors:
            raise SpecError(f"{self.source}: sensors: a network needs at least one sensor")
        ids = [s.id for s in self.sensors]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise SpecError(f"{self.source}: sensors.id must be unique; {dup[0]!r} appears more than once")
        for room in self.rooms.values():
            if room.site not in self.sites:
                raise SpecError(f"{self.source}: rooms.{room.name}.site = {room.site!r} is not a site "
                                f"(known: {', '.join(sorted(self.sites)) or 'none'})")
        for s in self.sensors:
            validate_sensor(s, self.rooms, self.source)

    # -- views -----------------------------------------------------------------------------------
    @property
    def ids(self) -> list:
        return [s.id for s in self.sensors]

    @property
    def n_sensors(self) -> int:
        return len(self.sensors)

    def positions_m(self) -> np.ndarray:
        return np.array([s.position_m for s in self.sensors], dtype=float)

    def axes(self) -> np.ndarray:
        return np.array([s.axis for s in self.sensors], dtype=float)

    def site_of(self, sensor: Sensor) -> Site:
        return self.sites[self.rooms[sensor.room].site]

    def pairs(self) -> list:
        """All sensor pairs (i, j), i < j, in the order of the templates' ``pair`` dimension (n(n-1)/2)."""
        n = self.n_sensors
        return [(i, j) for i in range(n) for j in range(i + 1, n)]

    def with_sensors(self, sensors) -> "Network":
        """The same sites and rooms with another list of sensors (validated)."""
        return Network(self.name, self.sites, self.rooms, tuple(sensors), self.source)

    def spec_hash(self) -> str:
        """Content hash of the whole network (sites, room geometries and noise, sensors)."""
        return content_hash({
            "sites": {k: asdict(v) for k, v in sorted(self.sites.items())},
            "rooms": {k: {"site": r.site, "geometry": r.geometry.spec_hash(), "standoff_m": r.standoff_m,
                          "cm": r.common_mode_t_rthz, "rho": r.common_mode_correlation}
                      for k, r in sorted(self.rooms.items())},
            "sensors": [asdict(s) for s in self.sensors],
        })


def validate_sensor(s: Sensor, rooms: dict, source: str = "<python>") -> None:
    """Raise SpecError if the sensor's room is unknown, or it lies outside it or closer to a wall than the standoff."""
    if s.room not in rooms:
        raise SpecError(f"{source}: sensors.{s.id}.room = {s.room!r} is not a room of the network "
                        f"(known: {', '.join(sorted(rooms)) or 'none'})")
    room = rooms[s.room]
    d = float(room.geometry.distance_to_wall_m(np.array([s.position_m]))[0])
    if d < 0:
        raise SpecError(f"{source}: sensors.{s.id}.position_m = {list(s.position_m)} is outside room {room.name!r} "
                        f"({d:+.3f} m from its nearest wall; the room frame is centred at the origin)")
    if d < room.standoff_m - 1e-9:
        raise SpecError(f"{source}: sensors.{s.id}.position_m = {list(s.position_m)} is {d:.3f} m from a wall of "
                        f"room {room.name!r}, closer than its standoff_m = {room.standoff_m} m")


# -- TOML ---------------------------------------------------------------------------------------------
_SITE_KEYS = {"latitude_deg", "longitude_deg", "room_x_azimuth_deg"}
_ROOM_KEYS = {"site", "standoff_m", "common_mode_t_rthz", "common_mode_correlation", "shape"}
_SENSOR_KEYS = {"id", "room", "position_m", "axis", "white_noise_t_rthz", "corner_hz"}


def network_from_dict(table: dict, source: str = "<dict>") -> Network:
    """Build a Network from the parsed TOML tables [sites.*], [rooms.*], [sensor_defaults], [[sensors]]."""

    sites = {}
    for name, t in dict(table.get("sites", {})).items():
        _no_unknown(t, _SITE_KEYS, f"{source}: sites.{name}")
        missing = [k for k in ("latitude_deg", "longitude_deg") if k not in t]
        if missing:
            raise SpecError(f"{source}: sites.{name}.{missing[0]} is missing")
        try:
            sites[name] = Site(name=name, **t)
        except SpecError as err:
            raise SpecError(f"{source}: {err}") from None
    if not sites:
        raise SpecError(f"{source}: no [sites.NAME] table; a network needs at least one site")
    rooms = {}
    for name, t in dict(table.get("rooms", {})).items():
        t = dict(t)
        if "site" not in t:
            raise SpecError(f"{source}: rooms.{name}.site is missing")
        geo_keys = {k: t.pop(k) for k in list(t) if k not in _ROOM_KEYS}
        geo_keys["shape"] = t.pop("shape", "box")
        try:
            geometry = parse_room({"room": {**geo_keys, "name": name}}, f"{source}: rooms.{name}")
            rooms[name] = Room(name=name, geometry=geometry, **t)
        except SpecError as err:
            raise SpecError(str(err) if str(err).startswith(source) else f"{source}: {err}") from None
    if not rooms:
        raise SpecError(f"{source}: no [rooms.NAME] table; a network needs at least one room")
    defaults = dict(table.get("sensor_defaults", {}))
    _no_unknown(defaults, _SENSOR_KEYS - {"id", "position_m", "axis"}, f"{source}: sensor_defaults")
    sensors = []
    for k, t in enumerate(table.get("sensors", [])):
        t = {**defaults, **t}
        sid = t.get("id", f"#{k}")
        _no_unknown(t, _SENSOR_KEYS, f"{source}: sensors.{sid}")
        for key in ("id", "room", "position_m", "axis"):
            if key not in t:
                raise SpecError(f"{source}: sensors[{k}].{key} is missing")
        try:
            sensors.append(Sensor(**t))
        except SpecError as err:
            raise SpecError(f"{source}: {err}") from None
    return Network(name=str(table.get("name", Path(source).stem)), sites=sites, rooms=rooms,
                   sensors=tuple(sensors), source=source)


def load_network(path) -> Network:
    """Load and validate a network TOML (see geometries/amails_network.toml); SpecError names the field."""

    return network_from_dict(read_toml(path, "network"), str(path))


def _no_unknown(table: dict, allowed: set, where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise SpecError(f"{where}.{unknown[0]} is not a known key (allowed: {', '.join(sorted(allowed))})")


def default_network_path() -> Path:
    """amails_fem/data/amails_network.toml (the AMAILS Suzhou + Harbin network), shipped with the package."""
    return data_path("amails_network.toml")
