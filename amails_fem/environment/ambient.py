"""The room in its environment: own field + the Earth's dark-photon field let in through the shield.

By linearity the field inside a real room is (docs/physics.md sec. 5)

    B(r, f) = own(J_eff; walls with nothing outside) + T(r, f) . B_ambient(f),

with T the shield's transfer tensor (interior field per unit uniform applied field, complex) and, in the lab frame
(room x, y horizontal, z up), B_ambient = (mu0 R_E / 2) F(f) (J_lab x z_hat) = M(f) J_lab
(amails_fem/environment/earth_field.py). So the leak is linear in the lab-frame current, and the total response
per unit lab-frame J is R_own(r, f) + T(r, f) M(f): the sidereal and template machinery takes it unchanged.

T comes from one of
  - "sphere": the exact concentric thick-shell solution for a spherical room (amails_fem/rooms/sphere_transfer.py);
  - "equivalent-sphere" (the default for other shapes): the same exact solution for concentric spheres whose
    innermost radius gives the room's volume, the stack's layers and gaps kept as they are; T isotropic and uniform
    inside. An approximation: docs/environment.md gives its difference from the 3D solve on cubes;
  - "fe": the 3D finite-element thin-layer solve for any room shape (amails_fem/rooms/transfer.py): T(r, f) as a
    tensor field, validated against the exact spheres; minutes for a five-layer walk-in room;
  - a measured shielding factor S(f) (and phase) from a file: T = e^{i phi} / S, isotropic and uniform inside.
A perfect conductor has T = 0: asking for an environment without a wall model is refused (there is no leak).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from amails_fem.environment.earth_field import MODELS, earth_field_factor, leak_source_matrix_lab
from amails_fem.errors import SpecError
from amails_fem.rooms.response import GridTensor
from amails_fem.rooms.shielding import nested_box_shells, thin_layer_shielding
from amails_fem.rooms.sources import unit_polarization
from amails_fem.rooms.sphere_transfer import sphere_shield_transfer
from amails_fem.rooms.transfer import solve_shield_transfer
from amails_fem.specs.rooms import BoxRoom, SphereRoom
from amails_fem.specs.walls import Layer, WallStack, check_freqs_hz
from amails_fem.validate import require_option

TRANSFERS = ("auto", "fe", "sphere", "equivalent-sphere")
BANDS = (None, "low", "high")


@dataclass(frozen=True)
class MeasuredShielding:
    """A measured shielding factor S(f) >= 1 (and phase, rad) of a real room: T(f) = exp(i phase) / S, isotropic and
    uniform inside; log-log interpolation in f, SpecError outside the measured band."""

    freqs_hz: np.ndarray
    shielding: np.ndarray
    phase_rad: np.ndarray
    source: str = ""

    def __post_init__(self):
        f = np.asarray(self.freqs_hz, float)
        s = np.asarray(self.shielding, float)
        ph = np.zeros_like(f) if self.phase_rad is None else np.asarray(self.phase_rad, float)
        where = self.source or "measured shielding"
        if f.ndim != 1 or f.size < 2 or s.shape != f.shape or ph.shape != f.shape:
            raise SpecError(f"{where}: need >= 2 rows of freq_hz, shielding_factor (and phase_deg), equal lengths")
        if not (np.all(np.isfinite(f)) and np.all(f > 0) and np.all(np.diff(f) > 0)):
            raise SpecError(f"{where}: freq_hz must be finite, > 0 and strictly increasing (Hz)")
        if not (np.all(np.isfinite(s)) and np.all(s >= 1.0)):
            bad = int(np.flatnonzero(~(np.isfinite(s) & (s >= 1.0)))[0])
            raise SpecError(f"{where}: shielding_factor must be a finite number >= 1; row {bad} has {s[bad]!r}")
        if not np.all(np.isfinite(ph)):
            raise SpecError(f"{where}: phase_deg must be finite")
        object.__setattr__(self, "freqs_hz", f)
        object.__setattr__(self, "shielding", s)
        object.__setattr__(self, "phase_rad", ph)

    def transfer(self, freqs_hz) -> np.ndarray:
        """Complex T(f) (n_f,) = exp(i phase) / S at freqs_hz inside the measured band."""
        f = np.atleast_1d(np.asarray(freqs_hz, float))
        lo, hi = self.freqs_hz[0], self.freqs_hz[-1]
        if np.any(f < lo * (1 - 1e-12)) or np.any(f > hi * (1 + 1e-12)):
            raise SpecError(f"frequencies {f.min():g}-{f.max():g} Hz leave the measured band [{lo:g}, {hi:g}] Hz "
                            f"of {self.source or 'the measured shielding'}")
        x = np.log(self.freqs_hz)
        s = np.exp(np.interp(np.log(f), x, np.log(self.shielding)))
        ph = np.interp(np.log(f), x, self.phase_rad)
        return np.exp(1j * ph) / s


def load_measured_shielding(path) -> MeasuredShielding:
    """Read a CSV with a header row: freq_hz, shielding_factor[, phase_deg] (one row per frequency)."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"measured shielding file not found: {path}")
    try:
        rows = list(csv.reader(path.read_text().splitlines()))
    except (UnicodeDecodeError, csv.Error) as err:
        raise SpecError(f"{path}: not a readable CSV file ({err})") from None
    rows = [r for r in rows if r and not r[0].lstrip().startswith("#")]
    if not rows:
        raise SpecError(f"{path}: empty; need a header freq_hz, shielding_factor[, phase_deg]")
    header = [h.strip() for h in rows[0]]
    if header[:2] != ["freq_hz", "shielding_factor"] or header[2:] not in ([], ["phase_deg"]):
        raise SpecError(f"{path}: columns must be freq_hz, shielding_factor[, phase_deg]; got {', '.join(header)}")
    try:
        data = np.array([[float(v) for v in r] for r in rows[1:]])
    except ValueError:
        raise SpecError(f"{path}: every value must be a number (freq_hz, shielding_factor[, phase_deg])") from None
    if data.ndim != 2 or data.shape[1] != len(header):
        raise SpecError(f"{path}: every row needs {len(header)} values")
    phase = np.deg2rad(data[:, 2]) if data.shape[1] == 3 else None
    return MeasuredShielding(data[:, 0], data[:, 1], phase, str(path))


@dataclass(frozen=True)
class EarthEnvironment:
    """The Earth's dark-photon field as the room's environment.

    model: "cavity" (Earth-ionosphere cavity with losses, -> quasi-static as f -> 0) or "quasi-static" (f <= 2 Hz);
    band: None, "low" or "high" (the ends of the cavity model's uncertainty band in |F|);
    transfer: "auto" (exact concentric shells for a sphere, volume-equivalent spheres otherwise), "sphere",
    "equivalent-sphere", "fe" (the 3D thin-layer finite-element solve), or a MeasuredShielding.
    """

    model: str = "cavity"
    band: str | None = None
    transfer: object = "auto"

    def __post_init__(self):
        require_option(self.model, "environment model", MODELS)
        require_option(self.band, "environment band", BANDS)
        if self.band is not None and self.model != "cavity":
            raise SpecError("environment band needs model 'cavity' (the quasi-static model has no band)")
        if not isinstance(self.transfer, MeasuredShielding):
            require_option(self.transfer, "environment transfer", TRANSFERS)

    def describe(self) -> str:
        t = self.transfer.source if isinstance(self.transfer, MeasuredShielding) else self.transfer
        return f"Earth dark-photon field ({self.model} model{', band ' + self.band if self.band else ''}), " \
               f"transfer {t}"

    def ambient_matrix(self, freqs_hz) -> np.ndarray:
        """M(f): complex (n_f, 3, 3), B_ambient,lab = M J_lab (tesla per A/m^2)."""
        f = np.atleast_1d(np.asarray(freqs_hz, float))
        m = leak_source_matrix_lab(f, model=self.model)
        if self.band is None:
            return m
        return m * (earth_field_factor(f, "cavity", band=self.band) / earth_field_factor(f, "cavity"))[:, None, None]


def as_environment(environment) -> EarthEnvironment:
    """"earth" | "earth-quasi-static" | EarthEnvironment | MeasuredShielding -> EarthEnvironment (SpecError else)."""
    if isinstance(environment, EarthEnvironment):
        return environment
    if isinstance(environment, MeasuredShielding):
        return EarthEnvironment(transfer=environment)
    if environment == "earth":
        return EarthEnvironment()
    if environment == "earth-quasi-static":
        return EarthEnvironment(model="quasi-static")
    raise SpecError("environment must be 'earth', 'earth-quasi-static', an EarthEnvironment or a MeasuredShielding "
                    f"(amails_fem.environment.load_measured_shielding(path)); got {environment!r}")


@dataclass
class RoomInEnvironment(GridTensor):
    """Own field + leak of the ambient dark-photon field, per unit lab-frame effective current (FieldResponse).

    response_matrix = own_response_matrix + leak_response_matrix, each complex (n_f, N, 3, 3) [frequency, point,
    B component, lab current component] in tesla per A/m^2 on freqs_hz.
    """

    spec: object
    freqs_hz: np.ndarray
    own: object  # the impedance-wall room response (walls with nothing outside)
    environment: EarthEnvironment
    transfer_fn: object  # points (N, 3) -> complex (n_f, N, 3, 3)
    ambient: np.ndarray  # (n_f, 3, 3) M(f)
    transfer_stats: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def own_response_matrix(self, points_m) -> np.ndarray:
        return np.asarray(self.own.response_matrix(points_m), complex)

    def transfer_matrix(self, points_m) -> np.ndarray:
        """T (n_f, N, 3, 3) [frequency, point, B component, applied component] (dimensionless, complex)."""
        return self.transfer_fn(np.asarray(points_m, float))

    def leak_response_matrix(self, points_m) -> np.ndarray:
        return np.einsum("fnab,fbc->fnac", self.transfer_matrix(points_m), self.ambient)

    def response_matrix(self, points_m) -> np.ndarray:
        return self.own_response_matrix(points_m) + self.leak_response_matrix(points_m)

    def part_tensor(self, points_m, freqs_hz, part: str = "total") -> np.ndarray:
        """Like response_tensor, for part "own", "leak" or "total" (interpolated inside the solved grid)."""
        fn = {"own": self.own_response_matrix, "leak": self.leak_response_matrix,
              "total": self.response_matrix}[require_option(part, "part", ("own", "leak", "total"))]
        return self.interpolate(fn, points_m, freqs_hz)

    def b_field(self, points_m, polarization) -> np.ndarray:
        """Total B (n_f, N, 3) complex tesla for 1 A/m^2 along a lab-frame polarization."""
        return self.response_matrix(points_m) @ unit_polarization(polarization)

    def statistics(self) -> dict:
        return {**self.own.statistics(), "environment": self.environment.describe(),
                "transfer": dict(self.transfer_stats)}


def transfer_function(spec, stack, env: EarthEnvironment, freqs, *, mesh_size_m=None, order: int = 2,
                      quiet: bool = True, progress=None):
    """(points -> T (n_f, N, 3, 3), statistics) for the room's shield, as chosen by env.transfer."""
    t = env.transfer
    if isinstance(t, MeasuredShielding):
        tf = t.transfer(freqs)
        return (lambda pts: np.broadcast_to(tf[:, None, None, None] * np.eye(3), (len(freqs), len(pts), 3, 3)),
                {"method": "measured shielding factor", "source": t.source})
    if t in ("sphere", "equivalent-sphere", "auto"):
        if isinstance(spec, SphereRoom):
            tf = sphere_shield_transfer(spec.radius_m, stack, freqs)
            stats = {"method": "exact concentric thick shells (spherical Bessel)"}
        else:
            tf, stats = equivalent_sphere_transfer(spec, stack, freqs)
        return (lambda pts: np.broadcast_to(tf[:, None, None, None] * np.eye(3), (len(freqs), len(pts), 3, 3)),
                stats)
    res = solve_shield_transfer(spec, stack, freqs, order=order, mesh_size_m=mesh_size_m, quiet=quiet,
                                progress=progress)
    return res.transfer_matrix, {"method": "3D thin-layer finite elements", **res.statistics()}


def equivalent_sphere_transfer(spec, stack: WallStack, freqs) -> tuple:
    """T(f) (n_f,) of a box room's stack from volume-equivalent concentric spheres (exact thick shells, the stack's
    layers and gaps as they are), calibrated so that its static limit equals the static thin-layer FE shielding of
    the nested boxes themselves: T = C T_sphere(f), C = S_sphere,static / S_box,static. Exact as f -> 0; at higher
    f the box corners and edges change T by a frequency-dependent factor the constant C does not follow
    (docs/environment.md measures it against the 3D solve). Other shapes: uncalibrated (C = 1)."""
    radius = (3.0 * spec.volume_m3 / (4.0 * np.pi)) ** (1.0 / 3.0)
    tf = sphere_shield_transfer(radius, stack, freqs)
    stats = {"method": f"volume-equivalent concentric spheres (inner radius {radius:.4g} m), exact thick shells"}
    if isinstance(spec, BoxRoom) and any(ly.mu_r > 1 for ly in stack.layers):
        static = WallStack(tuple(Layer(0.0, ly.mu_r, ly.thickness_m, ly.name) for ly in stack.layers), stack.name)
        s_sphere = 1.0 / abs(sphere_shield_transfer(radius, static, [1.0])[0])
        shells = nested_box_shells((spec.lx_m, spec.ly_m, spec.lz_m), stack)
        s_box = float(np.mean(list(thin_layer_shielding(shells, directions=("x", "y")).shielding.values())))
        c = s_sphere / s_box
        tf = c * tf
        stats.update(method=stats["method"] + ", calibrated to the static thin-layer FE shielding of the nested boxes",
                     static_shielding_box=s_box, static_shielding_sphere=s_sphere, calibration=c)
    return tf, stats


def check_environment_inputs(spec, wall, freqs_hz, environment) -> tuple:
    """(EarthEnvironment, WallStack, freqs) or SpecError, before any meshing."""
    env = as_environment(environment)
    if wall is None:
        raise SpecError("environment with wall=None: a perfect conductor has T = 0 and lets no ambient field in; "
                        "give the wall stack (wall=...) to compute the leak, or drop environment")
    if not isinstance(wall, WallStack):
        raise SpecError("environment needs the wall as one WallStack (the same layers on every wall: the shield "
                        f"transfer is for nested closed shells); got {type(wall).__name__}")
    if freqs_hz is None:
        raise SpecError("freqs_hz is required with an environment (e.g. np.geomspace(1, 500, 50))")
    freqs = check_freqs_hz(freqs_hz)
    if env.transfer == "sphere" and not isinstance(spec, SphereRoom):
        raise SpecError(f"environment transfer 'sphere' needs a sphere room; got a {spec.shape} room (use 'fe')")
    if isinstance(env.transfer, MeasuredShielding):
        env.transfer.transfer(freqs)  # SpecError now if the grid leaves the measured band
    if env.model == "quasi-static" and freqs.max() > 2.0:
        raise SpecError(f"environment model 'quasi-static' holds for f <= 2 Hz; got up to {freqs.max():g} Hz "
                        "(use model 'cavity', which tends to it as f -> 0)")
    return env, wall, freqs
