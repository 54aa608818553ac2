"""Haloscope cavity specs (frozen dataclasses, TOML) and their Gmsh builders (2D cross-section, 3D curved tets).

Coordinates in metres, z along the cavity axis, the cavity spans 0 <= z <= height. A cylinder is centred on the
z axis; a rectangular cavity spans [-a/2, a/2] x [-b/2, b/2] x [0, d]; a half cylinder (D shape) is the y >= 0 half
of a cylinder, its flat wall in the plane y = 0. Every wall (rods included) is a conductor.

A rod is a metal cylinder parallel to the axis at radial distance ``position_m`` and azimuth ``angle_deg``; it
touches the bottom end cap and leaves a gap ``gap_m`` to the top one (0: full height, the shape stays z-invariant).

Fillings: every cavity has a background relative permittivity ``eps_r`` and permeability ``mu_r`` (default 1,
vacuum) and optional ``fillings``, regions with their own eps_r / mu_r: a full-height ``DielectricRod`` (cylinder
and half cylinder) or a ``DielectricSlab`` lo_m <= x, y or z <= hi_m across the whole cavity. Where fillings
overlap, the later one in the tuple wins. All materials are lossless, isotropic, with eps_r >= 1 and mu_r >= 1.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from amails_fem.errors import SpecError
from amails_fem.io.cache import content_hash
from amails_fem.io.files import read_toml
from amails_fem.validate import require_positive, require_range

COPPER_S_M = 5.8e7  # conductivity of room-temperature OFHC copper (S/m)
MIN_GAP_FRACTION = 1e-3  # clearance between rods and walls, as a fraction of the cavity radius


# ----------------------------------------------------------------------------------------------------------------
# specs
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rod:
    """A metal tuning rod: radius (m), radial position of its axis (m), azimuth (deg), top gap (m, 0 = full height)."""

    radius_m: float
    position_m: float
    angle_deg: float = 0.0
    gap_m: float = 0.0

    @property
    def center_m(self) -> tuple[float, float]:
        """(x, y) of the rod axis in metres."""
        a = math.radians(self.angle_deg)
        return (self.position_m * math.cos(a), self.position_m * math.sin(a))


@dataclass(frozen=True)
class DielectricRod:
    """A full-height (z-invariant) rod of material inside a cylinder or half cylinder: radius (m), radial position
    of its axis (m), azimuth (deg), relative permittivity eps_r and permeability mu_r (sapphire: eps_r 9.4-11.6)."""

    radius_m: float
    position_m: float
    angle_deg: float = 0.0
    eps_r: float = 1.0
    mu_r: float = 1.0

    @property
    def center_m(self) -> tuple[float, float]:
        """(x, y) of the rod axis in metres."""
        a = math.radians(self.angle_deg)
        return (self.position_m * math.cos(a), self.position_m * math.sin(a))

    def contains(self, x, y, z) -> np.ndarray:
        cx, cy = self.center_m
        return (np.asarray(x) - cx) ** 2 + (np.asarray(y) - cy) ** 2 <= self.radius_m**2


@dataclass(frozen=True)
class DielectricSlab:
    """A slab of material lo_m <= coordinate ``axis`` ("x", "y" or "z") <= hi_m (m) across the whole cavity, with
    relative permittivity eps_r and permeability mu_r. Slabs along x or y keep the cavity z-invariant."""

    axis: str
    lo_m: float
    hi_m: float
    eps_r: float = 1.0
    mu_r: float = 1.0

    def contains(self, x, y, z) -> np.ndarray:
        c = np.asarray({"x": x, "y": y, "z": z}[self.axis])
        return (c >= self.lo_m) & (c <= self.hi_m)


def check_material(value, field_name: str) -> float:
    """Relative permittivity / permeability: a finite number >= 1 (lossless, no metamaterials), else SpecError."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise SpecError(f"{field_name} must be a finite number >= 1 (relative, dimensionless); got {value!r}")
    x = float(value)
    if not math.isfinite(x) or x < 1.0:
        raise SpecError(f"{field_name} must be a finite number >= 1 (relative, dimensionless); got {value!r}")
    return x


def _as_filling(f):
    """A DielectricRod / DielectricSlab, or one written as a dict (``to_dict`` output, TOML table)."""
    if isinstance(f, (DielectricRod, DielectricSlab)):
        return f
    if isinstance(f, dict):
        return DielectricSlab(**f) if "axis" in f else DielectricRod(**f)
    raise SpecError(f"cavity.fillings entries must be DielectricRod or DielectricSlab; got {type(f).__name__}")


def _check_fillings(spec) -> None:
    """Validate background and filling materials, and that every filling lies in (or crosses) the cavity."""
    object.__setattr__(spec, "eps_r", check_material(spec.eps_r, "cavity.eps_r"))
    object.__setattr__(spec, "mu_r", check_material(spec.mu_r, "cavity.mu_r"))
    fills = tuple(_as_filling(f) for f in spec.fillings)
    object.__setattr__(spec, "fillings", fills)
    lo, hi = spec.bounds_m
    metal = list(getattr(spec, "rods", ()))
    placed = []
    for i, f in enumerate(fills):
        name = f"cavity.fillings[{i}]"
        check_material(f.eps_r, f"{name}.eps_r")
        check_material(f.mu_r, f"{name}.mu_r")
        if isinstance(f, DielectricSlab):
            if f.axis not in ("x", "y", "z"):
                raise SpecError(f"{name}.axis must be 'x', 'y' or 'z'; got {f.axis!r}")
            k = "xyz".index(f.axis)
            require_range(f.lo_m, f"{name}.lo_m", -1e300, 1e300, "m")
            require_range(f.hi_m, f"{name}.hi_m", f.lo_m, 1e300, "m")
            if not (f.hi_m > f.lo_m and f.lo_m < hi[k] and f.hi_m > lo[k]):
                raise SpecError(f"{name} must satisfy lo_m < hi_m and overlap the cavity, {lo[k]:g} to {hi[k]:g} m "
                                f"along {f.axis}; got lo_m = {f.lo_m:g}, hi_m = {f.hi_m:g}")
            continue
        if isinstance(spec, RectangularCavity):
            raise SpecError(f"{name}: a DielectricRod needs a cylinder or half cylinder; use a DielectricSlab")
        _check_rods([Rod(f.radius_m, f.position_m, f.angle_deg)], spec.radius_m, spec.height_m, name)
        if isinstance(spec, HalfCylinderCavity):
            y = f.center_m[1]
            if y - f.radius_m < MIN_GAP_FRACTION * spec.radius_m:
                raise SpecError(f"{name} must lie in the half y >= 0 with clearance: its axis y = {y:.6g} m must be at "
                                f"least radius_m + {MIN_GAP_FRACTION * spec.radius_m:.3g} m; got {f.radius_m:g}")
        for j, other in enumerate(metal + placed):
            d = math.dist(f.center_m, other.center_m)
            if d < f.radius_m + other.radius_m + MIN_GAP_FRACTION * spec.radius_m:
                what = f"cavity.rods[{j}]" if j < len(metal) else f"cavity.fillings rod {j - len(metal)}"
                raise SpecError(f"{name} overlaps {what}: axes {d:.6g} m apart, they need at least "
                                f"{f.radius_m + other.radius_m + MIN_GAP_FRACTION * spec.radius_m:.6g} m")
        placed.append(f)


@dataclass(frozen=True)
class _Cavity:
    """Common behaviour: volume, z-invariance, hashing. Subclasses add their sizes in metres."""

    shape = "cavity"

    @property
    def z_invariant(self) -> bool:
        """True when the cross-section does not change along z (the 2D cross-section solver is exact)."""
        return (all(r.gap_m == 0.0 for r in getattr(self, "rods", ()))
                and not any(isinstance(f, DielectricSlab) and f.axis == "z" for f in getattr(self, "fillings", ())))

    @property
    def filled(self) -> bool:
        """True when any material differs from vacuum (background eps_r, mu_r != 1 or any filling region)."""
        return bool(getattr(self, "fillings", ())) or self.eps_r != 1.0 or self.mu_r != 1.0

    def materials_at(self, x, y, z):
        """(eps_r, mu_r) arrays at points (m): the background, overridden by each filling that contains the point."""
        shape = np.broadcast(np.asarray(x), np.asarray(y), np.asarray(z)).shape
        eps = np.full(shape, float(self.eps_r))
        mu = np.full(shape, float(self.mu_r))
        for f in getattr(self, "fillings", ()):
            inside = np.broadcast_to(f.contains(x, y, z), shape)
            eps[inside] = f.eps_r
            mu[inside] = f.mu_r
        return eps, mu

    @property
    def area_m2(self) -> float:
        """Cross-section area (m^2), rods removed."""
        raise NotImplementedError

    @property
    def volume_m3(self) -> float:
        """Cavity volume (m^3): the conductor-free region (rods with an end gap removed over their length)."""
        v = self.area_m2 * self.height_m
        for r in getattr(self, "rods", ()):
            v += math.pi * r.radius_m**2 * r.gap_m
        return v

    @property
    def extent_m(self) -> float:
        """Largest dimension (m)."""
        raise NotImplementedError

    def spec_hash(self) -> str:
        """Content hash of the geometry (and wall conductivity)."""
        return content_hash(self.to_dict())

    def to_dict(self) -> dict:
        """Plain dict of the spec; vacuum materials and no fillings are left out (the hashes of unfilled specs stay)."""
        d = {"shape": self.shape, **asdict(self)}
        for key, default in (("eps_r", 1.0), ("mu_r", 1.0), ("fillings", ())):
            if key in d and d[key] == default or (key == "fillings" and d.get(key) == []):
                d.pop(key, None)
        return d


@dataclass(frozen=True)
class CylinderCavity(_Cavity):
    """Closed cylinder of radius R and height h (m), with optional tuning rods."""

    radius_m: float
    height_m: float
    rods: tuple = ()
    conductivity_s_m: float = COPPER_S_M
    name: str = ""
    eps_r: float = 1.0
    mu_r: float = 1.0
    fillings: tuple = ()

    shape = "cylinder"

    def __post_init__(self):
        require_positive(self.radius_m, "cavity.radius_m")
        require_positive(self.height_m, "cavity.height_m")
        require_positive(self.conductivity_s_m, "cavity.conductivity_s_m", "S/m")
        object.__setattr__(self, "rods", tuple(self.rods))
        _check_rods(self.rods, self.radius_m, self.height_m)
        _check_fillings(self)

    @property
    def bounds_m(self):
        return (-self.radius_m, -self.radius_m, 0.0), (self.radius_m, self.radius_m, self.height_m)

    @property
    def area_m2(self) -> float:
        return math.pi * self.radius_m**2 - sum(math.pi * r.radius_m**2 for r in self.rods)

    @property
    def extent_m(self) -> float:
        return max(2 * self.radius_m, self.height_m)

    def with_rod(self, index: int, **changes) -> "CylinderCavity":
        """A copy with rod ``index`` changed (e.g. position_m=0.05): used by tuning sweeps."""
        if not 0 <= index < len(self.rods):
            raise SpecError(f"rod index must be in [0, {len(self.rods) - 1}]; got {index}")
        rods = list(self.rods)
        rods[index] = Rod(**{**asdict(rods[index]), **changes})
        return CylinderCavity(self.radius_m, self.height_m, tuple(rods), self.conductivity_s_m, self.name,
                              self.eps_r, self.mu_r, self.fillings)


@dataclass(frozen=True)
class RectangularCavity(_Cavity):
    """Closed box a x b x d (m): a along x, b along y, d along z (the axis)."""

    a_m: float
    b_m: float
    d_m: float
    conductivity_s_m: float = COPPER_S_M
    name: str = ""
    eps_r: float = 1.0
    mu_r: float = 1.0
    fillings: tuple = ()

    shape = "rectangular"

    def __post_init__(self):
        require_positive(self.a_m, "cavity.a_m")
        require_positive(self.b_m, "cavity.b_m")
        require_positive(self.d_m, "cavity.d_m")
        require_positive(self.conductivity_s_m, "cavity.conductivity_s_m", "S/m")
        _check_fillings(self)

    @property
    def bounds_m(self):
        return (-self.a_m / 2, -self.b_m / 2, 0.0), (self.a_m / 2, self.b_m / 2, self.d_m)

    @property
    def height_m(self) -> float:
        return self.d_m

    @property
    def area_m2(self) -> float:
        return self.a_m * self.b_m

    @property
    def extent_m(self) -> float:
        return max(self.a_m, self.b_m, self.d_m)


@dataclass(frozen=True)
class HalfCylinderCavity(_Cavity):
    """D-shaped cavity: the y >= 0 half of a cylinder of radius R and height h (m), flat wall at y = 0."""

    radius_m: float
    height_m: float
    conductivity_s_m: float = COPPER_S_M
    name: str = ""
    eps_r: float = 1.0
    mu_r: float = 1.0
    fillings: tuple = ()

    shape = "half_cylinder"

    def __post_init__(self):
        require_positive(self.radius_m, "cavity.radius_m")
        require_positive(self.height_m, "cavity.height_m")
        require_positive(self.conductivity_s_m, "cavity.conductivity_s_m", "S/m")
        _check_fillings(self)

    @property
    def bounds_m(self):
        return (-self.radius_m, 0.0, 0.0), (self.radius_m, self.radius_m, self.height_m)

    @property
    def area_m2(self) -> float:
        return 0.5 * math.pi * self.radius_m**2

    @property
    def extent_m(self) -> float:
        return max(2 * self.radius_m, self.height_m)


CavitySpec = CylinderCavity | RectangularCavity | HalfCylinderCavity


def _check_rods(rods, radius_m: float, height_m: float, prefix: str = "cavity.rods") -> None:
    """Every rod must be a Rod, fit inside the cylinder with clearance, and not overlap another rod."""
    clearance = MIN_GAP_FRACTION * radius_m
    for i, rod in enumerate(rods):
        name = f"cavity.rods[{i}]" if prefix == "cavity.rods" else prefix
        if not isinstance(rod, Rod):
            raise SpecError(f"{name} must be a Rod(radius_m, position_m, angle_deg); got {type(rod).__name__}")
        require_positive(rod.radius_m, f"{name}.radius_m")
        require_range(rod.position_m, f"{name}.position_m", 0.0, radius_m, "m")
        require_range(rod.angle_deg, f"{name}.angle_deg", -360.0, 360.0, "deg")
        require_range(rod.gap_m, f"{name}.gap_m", 0.0, 0.9 * height_m, "m")
        max_r = radius_m - rod.position_m - clearance
        if rod.radius_m > max_r:
            raise SpecError(
                f"{name}.radius_m must be at most {max(max_r, 0.0):.6g} m so that the rod fits inside the cavity "
                f"(radius {radius_m:g} m, rod at position_m {rod.position_m:g} m); got {rod.radius_m:g}")
    for i, ri in enumerate(rods):
        for j in range(i):
            rj = rods[j]
            d = math.dist(ri.center_m, rj.center_m)
            if d < ri.radius_m + rj.radius_m + clearance:
                raise SpecError(
                    f"cavity.rods[{i}] overlaps cavity.rods[{j}]: their axes are {d:.6g} m apart, they need at least "
                    f"{ri.radius_m + rj.radius_m + clearance:.6g} m (sum of radii plus clearance)")


# ----------------------------------------------------------------------------------------------------------------
# constructors and TOML
# ----------------------------------------------------------------------------------------------------------------
def cylinder_cavity(radius_m, height_m, rods=(), conductivity_s_m=COPPER_S_M, name="", eps_r=1.0, mu_r=1.0,
                    fillings=()) -> CylinderCavity:
    """Closed cylindrical cavity (m); ``rods`` is a sequence of Rod; background eps_r, mu_r (relative, >= 1) and
    ``fillings`` (DielectricRod / DielectricSlab regions with their own eps_r, mu_r)."""
    return CylinderCavity(radius_m, height_m, tuple(rods), conductivity_s_m, name, eps_r, mu_r, tuple(fillings))


def rectangular_cavity(a_m, b_m, d_m, conductivity_s_m=COPPER_S_M, name="", eps_r=1.0, mu_r=1.0,
                       fillings=()) -> RectangularCavity:
    """Closed rectangular cavity a x b x d (m), d along the axis z; materials as for cylinder_cavity (slabs only)."""
    return RectangularCavity(a_m, b_m, d_m, conductivity_s_m, name, eps_r, mu_r, tuple(fillings))


def half_cylinder_cavity(radius_m, height_m, conductivity_s_m=COPPER_S_M, name="", eps_r=1.0, mu_r=1.0,
                         fillings=()) -> HalfCylinderCavity:
    """D-shaped cavity: half of a cylinder of radius R, height h (m), cut along the plane y = 0; materials as for
    cylinder_cavity."""
    return HalfCylinderCavity(radius_m, height_m, conductivity_s_m, name, eps_r, mu_r, tuple(fillings))


_SHAPE_KEYS = {
    "cylinder": ("radius_m", "height_m"),
    "rectangular": ("a_m", "b_m", "d_m"),
    "half_cylinder": ("radius_m", "height_m"),
}
_COMMON_KEYS = ("shape", "name", "conductivity_s_m", "rods", "description", "eps_r", "mu_r", "fillings")
_FILLING_KEYS = {"rod": ("radius_m", "position_m", "angle_deg", "eps_r", "mu_r"),
                 "slab": ("axis", "lo_m", "hi_m", "eps_r", "mu_r")}
_ROD_KEYS = ("radius_m", "position_m", "angle_deg", "gap_m")


def parse_cavity(table: dict, source: str = "<spec>") -> CavitySpec:
    """Validate a [cavity] TOML table (or a whole TOML document holding one) and build the cavity spec.

    Raises SpecError naming the key (e.g. ``cavity.rods[1].radius_m``) before any meshing.
    """
    if "cavity" in table and isinstance(table["cavity"], dict):
        table = table["cavity"]
    if not isinstance(table, dict):
        raise SpecError(f"{source}: [cavity] must be a table")
    shape = table.get("shape")
    if shape not in _SHAPE_KEYS:
        raise SpecError(f"{source}: cavity.shape must be one of {sorted(_SHAPE_KEYS)}; got {shape!r}")
    allowed = set(_SHAPE_KEYS[shape]) | set(_COMMON_KEYS)
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SpecError(f"{source}: unknown key cavity.{unknown[0]} for shape {shape!r}; allowed: {sorted(allowed)}")
    missing = [k for k in _SHAPE_KEYS[shape] if k not in table]
    if missing:
        raise SpecError(f"{source}: cavity.{missing[0]} is required for shape {shape!r} (a length in metres > 0)")
    if "rods" in table and shape != "cylinder":
        raise SpecError(f"{source}: cavity.rods is only allowed for shape 'cylinder'")
    name = str(table.get("name", Path(source).stem))
    sigma = table.get("conductivity_s_m", COPPER_S_M)
    try:
        mat = {"eps_r": _num(table.get("eps_r", 1.0), "cavity.eps_r"),
               "mu_r": _num(table.get("mu_r", 1.0), "cavity.mu_r"),
               "fillings": _parse_fillings(table.get("fillings", []))}
        if shape == "cylinder":
            rods_in = table.get("rods", [])
            if not isinstance(rods_in, list):
                raise SpecError("cavity.rods must be an array of tables [[cavity.rods]]")
            rods = []
            for i, r in enumerate(rods_in):
                if not isinstance(r, dict):
                    raise SpecError(f"cavity.rods[{i}] must be a table with {list(_ROD_KEYS)}")
                bad = sorted(set(r) - set(_ROD_KEYS))
                if bad:
                    raise SpecError(f"unknown key cavity.rods[{i}].{bad[0]}; allowed: {list(_ROD_KEYS)}")
                for k in ("radius_m", "position_m"):
                    if k not in r:
                        raise SpecError(f"cavity.rods[{i}].{k} is required (metres)")
                rods.append(Rod(_num(r["radius_m"], f"cavity.rods[{i}].radius_m"),
                                _num(r["position_m"], f"cavity.rods[{i}].position_m"),
                                _num(r.get("angle_deg", 0.0), f"cavity.rods[{i}].angle_deg"),
                                _num(r.get("gap_m", 0.0), f"cavity.rods[{i}].gap_m")))
            return CylinderCavity(_num(table["radius_m"], "cavity.radius_m"),
                                  _num(table["height_m"], "cavity.height_m"), tuple(rods),
                                  _num(sigma, "cavity.conductivity_s_m"), name, **mat)
        if shape == "rectangular":
            return RectangularCavity(_num(table["a_m"], "cavity.a_m"), _num(table["b_m"], "cavity.b_m"),
                                     _num(table["d_m"], "cavity.d_m"), _num(sigma, "cavity.conductivity_s_m"), name,
                                     **mat)
        return HalfCylinderCavity(_num(table["radius_m"], "cavity.radius_m"), _num(table["height_m"], "cavity.height_m"),
                                  _num(sigma, "cavity.conductivity_s_m"), name, **mat)
    except SpecError as err:
        raise SpecError(f"{source}: {err}") from None


def _parse_fillings(items) -> tuple:
    """[[cavity.fillings]] tables: kind = "rod" (radius_m, position_m, angle_deg) or "slab" (axis, lo_m, hi_m),
    each with eps_r and mu_r (default 1)."""
    if not isinstance(items, list):
        raise SpecError("cavity.fillings must be an array of tables [[cavity.fillings]]")
    out = []
    for i, f in enumerate(items):
        name = f"cavity.fillings[{i}]"
        kind = f.get("kind") if isinstance(f, dict) else None
        if kind not in _FILLING_KEYS:
            raise SpecError(f"{name}.kind must be 'rod' or 'slab'; got {kind!r}")
        bad = sorted(set(f) - set(_FILLING_KEYS[kind]) - {"kind"})
        if bad:
            raise SpecError(f"unknown key {name}.{bad[0]}; allowed: {['kind', *_FILLING_KEYS[kind]]}")
        args = {k: (f[k] if k == "axis" else _num(f[k], f"{name}.{k}")) for k in _FILLING_KEYS[kind] if k in f}
        try:
            out.append(DielectricRod(**args) if kind == "rod" else DielectricSlab(**args))
        except TypeError:
            raise SpecError(f"{name} needs {list(_FILLING_KEYS[kind][:3 if kind == 'slab' else 2])}") from None
    return tuple(out)


def _num(value, field_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"{field_name} must be a number; got {value!r}")
    return float(value)


def load_cavity_spec(path) -> CavitySpec:
    """Load a cavity spec from a TOML file with a [cavity] table (see geometries/cavity_*.toml)."""
    path = Path(path)
    table = read_toml(path)
    if "cavity" not in table:
        raise SpecError(f"{path}: no [cavity] table")
    return parse_cavity(table, str(path))

def default_mesh_size_m(spec: CavitySpec, dim: int) -> float:
    """Default element size (m): 1/8 (2D) or 1/5 (3D) of the smallest cavity dimension, curved order-2 elements."""
    if isinstance(spec, RectangularCavity):
        small = min(spec.a_m, spec.b_m, spec.d_m if dim == 3 else np.inf)
    else:
        small = min(spec.radius_m, spec.height_m if dim == 3 else np.inf)
    return small / (8.0 if dim == 2 else 2.5)
