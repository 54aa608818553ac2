"""Shield walls: layers, air gaps, stacks, surface impedance Z_s(f) and impedance length l(f) (SI).

A wall is a stack of planar layers listed from the room side outwards. Each layer (conductivity sigma, relative
permeability mu_r, thickness t) is a transmission-line section for the tangential fields (normal incidence,
quasi-static, e^{-i omega t}): with gamma = sqrt(-i omega mu sigma) = (1 - i)/delta and e = E_t x n,

    [H_t; e](out) = T [H_t; e](in),   T = [[cosh gamma t, (sigma/gamma) sinh gamma t],
                                           [(gamma/sigma) sinh gamma t, cosh gamma t]]

(an air gap of thickness d is T = [[1, 0], [-i omega mu0 d, 1]]). The stack's chain matrix is the product
T_N ... T_1 = [[a, b], [c, d]] (det 1). With no field beyond the outermost layer (the room model's assumption:
the return current flows in the wall, H_t = 0 outside), the surface impedance seen from the room is

    Z_s = E_t / K = a / b        (one layer: Z_s = eta coth(gamma t), eta = gamma / sigma)

with the limits Z_s -> 1/(sigma t) - i omega mu t / 3 (thin sheet, t << delta) and Z_s -> eta = (1 - i)/(sigma delta)
(thick slab, t >> delta). The impedance length l = Z_s / (-i omega mu0) (metres, complex) sets the room's response
(docs/physics.md sec. 2): l -> 0 is a perfect conductor, |l| >> room size spreads the return current evenly.
A passive wall has Re Z_s >= 0 (absorbs power) and Im Z_s <= 0 (inductive), i.e. Im l >= 0 and Re l >= 0.

The same chain matrix gives the thin-layer shielding model (rooms/shielding.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from amails_fem import units
from amails_fem.errors import SpecError
from amails_fem.io.files import data_path, read_toml
from amails_fem.validate import require_option, require_positive

F_MIN_HZ = 1e-3  # below this the quasi-static wall model is pointless (l -> infinity)
F_MAX_HZ = 1e7   # above this a shield room is no longer quasi-static (2 pi f L / c ~ 0.4 for L = 2 m)

# Presets: (sigma S/m, mu_r). Sources: mu-metal (Ni80Fe15Mo5, annealed) resistivity 0.55-0.6 uOhm m, initial
# permeability 2e4-1e5 at low field; in assembled rooms mu_r ~ 1e4-3e4 is typical (seams, stress, low-field
# regime), so 2e4 is used. Aluminium alloys 3.0-3.7e7 S/m; copper (IACS) 5.8e7 S/m.
MATERIALS = {
    "mu_metal": (1.6e6, 2.0e4),
    "aluminium": (3.5e7, 1.0),
    "copper": (5.8e7, 1.0),
    "air": (0.0, 1.0),
}
_ALIASES = {"mu-metal": "mu_metal", "mumetal": "mu_metal", "aluminum": "aluminium", "al": "aluminium",
            "cu": "copper", "gap": "air"}


def _material(name: str) -> str:
    key = _ALIASES.get(str(name).lower(), str(name).lower())
    if key not in MATERIALS:
        require_option(name, "walls.layers.material", tuple(MATERIALS))
    return key


def check_freqs_hz(freqs_hz, field: str = "freqs_hz") -> np.ndarray:
    """Frequencies as a 1-D float array, each finite and in [1e-3, 1e7] Hz (SpecError otherwise)."""
    f = np.atleast_1d(np.asarray(freqs_hz, dtype=float))
    if f.ndim != 1 or f.size == 0:
        raise SpecError(f"{field} must be a non-empty 1-D list of frequencies (Hz); got shape {np.shape(freqs_hz)}")
    bad = ~np.isfinite(f) | (f < F_MIN_HZ) | (f > F_MAX_HZ)
    if bad.any():
        raise SpecError(f"{field} must lie in [{F_MIN_HZ:g}, {F_MAX_HZ:g}] Hz (quasi-static wall model); "
                        f"got {f[bad][0]!r} Hz")
    return f


@dataclass(frozen=True)
class Layer:
    """One planar wall layer: conductivity sigma_s_m (S/m), relative permeability mu_r, thickness_m (m)."""

    sigma_s_m: float
    mu_r: float
    thickness_m: float
    name: str = ""

    def __post_init__(self):
        where = f"layer {self.name!r}" if self.name else "layer"
        object.__setattr__(self, "thickness_m", require_positive(self.thickness_m, f"{where} thickness_m", "m"))
        try:
            sigma = float(self.sigma_s_m)
        except (TypeError, ValueError):
            raise SpecError(f"{where} sigma_s_m must be a number >= 0 (S/m); got {self.sigma_s_m!r}") from None
        if not math.isfinite(sigma) or sigma < 0:
            raise SpecError(f"{where} sigma_s_m must be a finite number >= 0 (S/m); got {self.sigma_s_m!r}")
        object.__setattr__(self, "sigma_s_m", sigma)
        mu = float(self.mu_r) if isinstance(self.mu_r, (int, float)) and not isinstance(self.mu_r, bool) else self.mu_r
        if not isinstance(mu, float) or not math.isfinite(mu) or not (1.0 <= mu <= 1e7):
            raise SpecError(f"{where} mu_r must be a finite number in [1, 1e7]; got {self.mu_r!r}")
        object.__setattr__(self, "mu_r", mu)

    @property
    def is_gap(self) -> bool:
        return self.sigma_s_m == 0.0 and self.mu_r == 1.0

    def chain_matrix(self, freqs_hz) -> np.ndarray:
        """(n_f, 2, 2) complex T with [H_t; E_t x n](out) = T [H_t; E_t x n](in) (see module docstring).
        Overflows (inf) beyond ~700 skin depths: use scaled_chain_matrix there."""
        log_scale, m = self.scaled_chain_matrix(freqs_hz)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.exp(log_scale)[:, None, None] * m

    def scaled_chain_matrix(self, freqs_hz) -> tuple[np.ndarray, np.ndarray]:
        """T = exp(s) M with s = gamma t (Re s = t / delta >= 0) and M finite at any thickness/skin-depth ratio:

            M = [[(1 + q)/2, sigma t (1 - q)/(2 gamma t)], [-i omega mu t (1 - q)/(2 gamma t), (1 + q)/2]],
            q = exp(-2 gamma t),

        i.e. cosh and sinh with exp(gamma t) factored out (an insulating layer: s = 0, M = T). Returns (s (n_f,)
        complex, M (n_f, 2, 2) complex)."""
        w = 2 * np.pi * check_freqs_hz(freqs_hz)
        mu = units.MU0_H_M * self.mu_r
        t = self.thickness_m
        M = np.empty((w.size, 2, 2), complex)
        if self.sigma_s_m == 0.0:  # insulating: no current, the layer only stores flux mu t H_t
            M[:, 0, 0] = M[:, 1, 1] = 1.0
            M[:, 0, 1] = 0.0
            M[:, 1, 0] = -1j * w * mu * t
            return np.zeros(w.size, complex), M
        g = np.sqrt(-1j * w * mu * self.sigma_s_m)  # (1 - i)/delta, Re > 0
        gt = g * t
        q = np.exp(-2.0 * gt)  # |q| = exp(-2 t / delta) <= 1: underflows to 0 for thick layers, never overflows
        half_sinhc = _scaled_sinhc(gt)  # (1 - q) / (2 gamma t), accurate as gamma t -> 0
        M[:, 0, 0] = M[:, 1, 1] = 0.5 * (1.0 + q)
        M[:, 0, 1] = self.sigma_s_m * t * half_sinhc  # (sigma/gamma) sinh(gamma t) exp(-gamma t)
        M[:, 1, 0] = -1j * w * mu * t * half_sinhc  # (gamma/sigma) sinh(gamma t) exp(-gamma t)
        return gt, M


def _sinhc(z):
    """sinh(z)/z, accurate near 0."""
    z = np.asarray(z, complex)
    out = np.ones_like(z)
    big = np.abs(z) > 1e-4
    out[big] = np.sinh(z[big]) / z[big]
    out[~big] = 1 + z[~big] ** 2 / 6
    return out


def _scaled_sinhc(z):
    """exp(-z) sinh(z)/z = (1 - exp(-2z))/(2z) for Re z >= 0: never overflows (sinh(z)/z where Re z < 20, where
    both forms are accurate; the exponential form beyond, where sinh would overflow from Re z ~ 710)."""
    z = np.asarray(z, complex)
    out = np.empty_like(z)
    thick = z.real >= 20.0
    out[~thick] = np.exp(-z[~thick]) * _sinhc(z[~thick])
    out[thick] = 0.5 * (1.0 - np.exp(-2.0 * z[thick])) / z[thick]
    return out


def mu_metal(thickness_m: float = 1.5e-3, *, sigma_s_m: float | None = None, mu_r: float | None = None,
             name: str = "mu-metal") -> Layer:
    """A mu-metal layer (defaults sigma = 1.6e6 S/m, mu_r = 2e4; see MATERIALS)."""
    s, m = MATERIALS["mu_metal"]
    return Layer(s if sigma_s_m is None else sigma_s_m, m if mu_r is None else mu_r, thickness_m, name)


def aluminium(thickness_m: float = 10e-3, *, sigma_s_m: float | None = None, name: str = "aluminium") -> Layer:
    """An aluminium layer (default sigma = 3.5e7 S/m, mu_r = 1)."""
    return Layer(MATERIALS["aluminium"][0] if sigma_s_m is None else sigma_s_m, 1.0, thickness_m, name)


def copper(thickness_m: float = 1e-3, *, sigma_s_m: float | None = None, name: str = "copper") -> Layer:
    """A copper layer (default sigma = 5.8e7 S/m, mu_r = 1)."""
    return Layer(MATERIALS["copper"][0] if sigma_s_m is None else sigma_s_m, 1.0, thickness_m, name)


def air_gap(thickness_m: float) -> Layer:
    """An air gap between layers (sigma = 0, mu_r = 1): in series it adds d to the impedance length."""
    return Layer(0.0, 1.0, thickness_m, "air gap")


@dataclass(frozen=True)
class WallStack:
    """A wall: layers from the room side outwards (air gaps allowed between them)."""

    layers: tuple
    name: str = ""

    def __post_init__(self):
        layers = tuple(self.layers)
        if not layers:
            raise SpecError("walls.layers must list at least one layer")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise SpecError(f"walls.layers[{i}] must be a Layer (amails_fem.specs.walls.mu_metal(...), ...); "
                                f"got {type(layer).__name__}")
        object.__setattr__(self, "layers", layers)

    @property
    def conducting(self) -> bool:
        return any(layer.sigma_s_m > 0 for layer in self.layers)

    @property
    def metal_layers(self) -> tuple:
        return tuple(layer for layer in self.layers if not layer.is_gap)

    @property
    def thickness_m(self) -> float:
        return float(sum(layer.thickness_m for layer in self.layers))

    def chain_matrix(self, freqs_hz) -> np.ndarray:
        """(n_f, 2, 2) product T_N ... T_1 (room side first). Overflows (inf) beyond ~700 skin depths in all:
        scaled_chain_matrix is finite at any frequency."""
        log_scale, m = self.scaled_chain_matrix(freqs_hz)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.exp(log_scale)[:, None, None] * m

    def scaled_chain_matrix(self, freqs_hz) -> tuple[np.ndarray, np.ndarray]:
        """The stack's chain matrix as exp(s) M, s = sum of the layers' gamma t (Re s = sum t / delta), M = M_N ...
        M_1 finite (Layer.scaled_chain_matrix). Returns (s (n_f,) complex, M (n_f, 2, 2))."""
        f = check_freqs_hz(freqs_hz)
        M = np.broadcast_to(np.eye(2, dtype=complex), (f.size, 2, 2)).copy()
        s = np.zeros(f.size, complex)
        for layer in self.layers:
            s_k, m_k = layer.scaled_chain_matrix(f)
            s = s + s_k
            M = m_k @ M
        return s, M

    def require_conducting(self, what: str = "a conducting-wall model") -> None:
        if not self.conducting:
            raise SpecError(f"walls: every layer has sigma_s_m = 0, but {what} needs a conducting layer "
                            "(an insulating permeable wall carries no return current and gives no signal)")

    def surface_impedance_ohm(self, freqs_hz) -> np.ndarray:
        """Z_s(f) = a/b (ohm, complex) of the stack with no field beyond it (transmission-line recursion)."""
        self.require_conducting("its surface impedance")
        _, M = self.scaled_chain_matrix(freqs_hz)  # the scale exp(s) cancels: finite at any thickness
        return M[:, 0, 0] / M[:, 0, 1]

    def impedance_length_m(self, freqs_hz) -> np.ndarray:
        """l(f) = Z_s / (-i omega mu0) in metres (complex; Re l, Im l >= 0 for passive walls)."""
        w = 2 * np.pi * check_freqs_hz(freqs_hz)
        return self.surface_impedance_ohm(freqs_hz) / (-1j * w * units.MU0_H_M)

    def describe(self) -> str:
        parts = [f"{layer.name or 'layer'} {layer.thickness_m * 1e3:g} mm" for layer in self.layers]
        return f"{self.name or 'wall'}: " + " | ".join(parts)


def thin_sheet_impedance_ohm(layer: Layer, freqs_hz) -> np.ndarray:
    """Thin-sheet limit 1/(sigma t) - i omega mu t / 3 (ohm), valid for t << skin depth."""
    w = 2 * np.pi * check_freqs_hz(freqs_hz)
    return 1.0 / (layer.sigma_s_m * layer.thickness_m) - 1j * w * units.MU0_H_M * layer.mu_r * layer.thickness_m / 3


def thick_slab_impedance_ohm(layer: Layer, freqs_hz) -> np.ndarray:
    """Thick-slab limit eta = sqrt(-i omega mu / sigma) = (1 - i)/(sigma delta) (ohm), for t >> skin depth."""
    w = 2 * np.pi * check_freqs_hz(freqs_hz)
    return np.sqrt(-1j * w * units.MU0_H_M * layer.mu_r / layer.sigma_s_m)


@dataclass(frozen=True)
class ImpedanceLength:
    """A wall given directly by its impedance length l_m (metres, complex, frequency independent).

    l = 0 is a perfect conductor, l = i x (x > 0) a resistive wall, l -> infinity (use 1e9 L) a uniform return
    current. Passive walls have Re l >= 0 and Im l >= 0 (SpecError otherwise: such a wall would give power).
    """

    l_m: complex
    name: str = ""

    def __post_init__(self):
        try:
            lm = complex(self.l_m)
        except (TypeError, ValueError):
            raise SpecError(f"ImpedanceLength l_m must be a complex number (m); got {self.l_m!r}") from None
        if not (math.isfinite(lm.real) and math.isfinite(lm.imag)):
            raise SpecError(f"ImpedanceLength l_m must be finite; got {self.l_m!r}")
        if lm.real < 0 or lm.imag < 0:
            raise SpecError(f"ImpedanceLength l_m must have Re >= 0 and Im >= 0 (a passive wall); got {lm!r}")
        object.__setattr__(self, "l_m", lm)

    conducting = True

    def impedance_length_m(self, freqs_hz) -> np.ndarray:
        return np.full(check_freqs_hz(freqs_hz).size, self.l_m, complex)

    def surface_impedance_ohm(self, freqs_hz) -> np.ndarray:
        w = 2 * np.pi * check_freqs_hz(freqs_hz)
        return -1j * w * units.MU0_H_M * self.l_m

    def require_conducting(self, what: str = "") -> None:
        return None

    def describe(self) -> str:
        return f"{self.name or 'wall'}: impedance length {self.l_m:g} m"



def as_wall_map(wall, wall_names) -> dict:
    """{wall name: model} from one model (all walls) or a dict naming every wall (SpecError otherwise)."""
    if isinstance(wall, (WallStack, ImpedanceLength)):
        wall.require_conducting("the impedance-wall room solver")
        return {name: wall for name in wall_names}
    if isinstance(wall, Layer):
        return as_wall_map(WallStack((wall,)), wall_names)
    if isinstance(wall, dict):
        unknown = sorted(set(wall) - set(wall_names))
        missing = [n for n in wall_names if n not in wall]
        if unknown or missing:
            raise SpecError(f"wall dict must name exactly the walls {', '.join(wall_names)}; "
                            f"unknown {unknown}, missing {missing}")
        out = {}
        for name in wall_names:
            out[name] = as_wall_map(wall[name], [name])[name]
        return out
    raise SpecError(f"wall must be a WallStack, ImpedanceLength, Layer or {{wall name: model}}; "
                    f"got {type(wall).__name__}")


# -- TOML --------------------------------------------------------------------------------------------------------
_LAYER_KEYS = {"material", "thickness_m", "sigma_s_m", "mu_r", "name", "gap_m"}


def parse_walls(table: dict, source: str = "<dict>") -> WallStack:
    """Build a WallStack from a [walls] table: name, and [[walls.layers]] from the room side outwards.

    Each layer: material (mu_metal, aluminium, copper, air) + thickness_m, optional sigma_s_m / mu_r overrides,
    and an optional gap_m (an air gap after this layer, outwards).
    """
    walls = table.get("walls")
    if walls is None:
        raise SpecError(f"{source}: no [walls] table")
    unknown = sorted(set(walls) - {"name", "layers"})
    if unknown:
        raise SpecError(f"{source}: walls.{unknown[0]} is not a walls key (allowed: name, layers)")
    rows = walls.get("layers")
    if not isinstance(rows, list) or not rows:
        raise SpecError(f"{source}: walls.layers must be a non-empty array of tables [[walls.layers]]")
    layers = []
    try:
        for i, row in enumerate(rows):
            bad = sorted(set(row) - _LAYER_KEYS)
            if bad:
                raise SpecError(f"walls.layers[{i}].{bad[0]} is not a layer key (allowed: {', '.join(sorted(_LAYER_KEYS))})")
            if "thickness_m" not in row:
                raise SpecError(f"walls.layers[{i}].thickness_m is missing")
            mat = _material(row.get("material", "mu_metal"))
            sigma, mu = MATERIALS[mat]
            layers.append(Layer(row.get("sigma_s_m", sigma), row.get("mu_r", mu), row["thickness_m"],
                                row.get("name", mat)))
            if "gap_m" in row:
                layers.append(Layer(0.0, 1.0, require_positive(row["gap_m"], f"walls.layers[{i}].gap_m"), "air gap"))
        stack = WallStack(tuple(layers), walls.get("name", ""))
    except SpecError as err:
        raise SpecError(f"{source}: {err}") from None
    if not stack.conducting:
        raise SpecError(f"{source}: walls.layers: every layer has sigma_s_m = 0; a shield wall needs a conducting "
                        "layer (sigma_s_m > 0)")
    return stack


def load_walls(path) -> WallStack:
    """Read the [walls] table of a TOML spec (next to its [room] table)."""

    return parse_walls(read_toml(path), str(path))


def amails_stack() -> WallStack:
    """The AMAILS five-layer mu-metal wall of amails_fem/data/amails_room_mumetal.toml (assumed layer data)."""
    return load_walls(data_path("amails_room_mumetal.toml"))
