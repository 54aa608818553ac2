"""Room specifications: frozen dataclasses, TOML loading and validation (errors name the field).

Rooms are centred at the origin, z up. A box spans [-lx/2, lx/2] x [-ly/2, ly/2] x [-lz/2, lz/2];
its walls are x_min, x_max, y_min, y_max, floor (z_min) and ceiling (z_max).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from amails_fem.errors import SpecError
from amails_fem.io.cache import content_hash
from amails_fem.specs.openings import (
    box_frames,
    cap_frames,
    check_gaps,
    check_openings,
    opening_footprint,
    parse_openings,
)
from amails_fem.validate import as_points, require_option, require_positive

AXES = ("x", "y", "z")
MESH_GENERATORS = ("gmsh", "structured")  # gmsh: any room (meshing/rooms.py); structured: closed boxes (meshing/structured.py)


@dataclass(frozen=True)
class MeshOptions:
    """Mesh controls: bulk element size, size at the walls (refinement where the signal lives), element order, and
    the mesher: "gmsh" (any room) or "structured" (a graded tensor grid cut into tetrahedra: box rooms without
    openings, docs/performance.md sec. 8.1)."""

    size_m: float | None = None  # None: room size / 12
    wall_size_m: float | None = None  # None: size_m / 2
    order: int = 2
    opening_size_m: float | None = None  # rooms with openings: size at the opening rims (None: see meshing/openings.py)
    generator: str = "gmsh"

    def __post_init__(self):
        if self.size_m is not None:
            require_positive(self.size_m, "mesh.size_m")
        if self.wall_size_m is not None:
            require_positive(self.wall_size_m, "mesh.wall_size_m")
        if self.opening_size_m is not None:
            require_positive(self.opening_size_m, "mesh.opening_size_m")
        if isinstance(self.order, bool) or self.order not in (1, 2):
            raise SpecError(f"mesh.order must be 1 or 2; got {self.order!r}")
        require_option(self.generator, "mesh.generator", MESH_GENERATORS)


@dataclass(frozen=True)
class RoomBase:
    """Common behaviour of all room shapes (subclasses add their sizes in metres)."""

    name: str = ""
    mesh: MeshOptions = field(default_factory=MeshOptions)

    shape = "room"
    curved = False
    wall_names = ()

    # -- derived quantities -------------------------------------------------------------
    @property
    def volume_m3(self) -> float:
        raise NotImplementedError

    @property
    def size_m(self) -> float:
        """L = V^(1/3), the length scale of AMAILS eq. (1)."""
        return self.volume_m3 ** (1.0 / 3.0)

    @property
    def extent_m(self) -> float:
        """Largest dimension (for the quasi-static check 2 pi f L / c)."""
        raise NotImplementedError

    def distance_to_wall_m(self, points_m) -> np.ndarray:
        """Signed distance to the nearest wall, positive inside (m); exact for box, cylinder, sphere."""
        raise NotImplementedError

    def contains(self, points_m, margin_m: float = 0.0) -> np.ndarray:
        """True where a point lies inside the room at least ``margin_m`` from every wall."""
        return self.distance_to_wall_m(points_m) >= margin_m

    def spec_hash(self) -> str:
        """Content hash of the geometry (not of the mesh options)."""
        data = asdict(self)
        data.pop("mesh")
        data.pop("name")
        if not data.get("openings", True):
            data.pop("openings")  # a closed room hashes as before openings existed
        if not data.get("openings") or not data.get("gaps_m", True):
            data.pop("gaps_m", None)  # the layer stack matters through openings only
        for op in data.get("openings", ()):
            if op.get("layers") == 1:
                op.pop("layers")  # single-layer openings hash as before layers existed
        return content_hash({"shape": self.shape, **data})

    def default_mesh_size_m(self) -> float:
        return self.mesh.size_m if self.mesh.size_m is not None else self.size_m / 12.0


def check_mesh_generator(spec: RoomBase, generator: str) -> str:
    """Return generator if it can mesh spec: "gmsh" any room, "structured" only a box room without openings
    (SpecError otherwise, before any meshing)."""
    require_option(generator, "mesh.generator", MESH_GENERATORS)
    if generator == "structured" and (spec.shape != "box" or getattr(spec, "openings", ())):
        what = "a box room with openings" if spec.shape == "box" else f"a {spec.shape} room"
        raise SpecError(f"mesh.generator = 'structured' meshes box rooms without openings only; got {what} "
                        "(use mesh.generator = 'gmsh')")
    return generator


def _store_positive(spec, name: str) -> None:
    """Validate a size field (finite, > 0) and store it as float, so equal rooms hash equally."""
    object.__setattr__(spec, name, require_positive(getattr(spec, name), f"room.{name}"))


@dataclass(frozen=True, kw_only=True)
class BoxRoom(RoomBase):
    """Rectangular room lx_m x ly_m x lz_m, centred at the origin; ``openings``: doors and tubes in its walls
    (amails_fem/specs/openings.py), empty for a closed room; ``gaps_m``: the layer stack for the openings (the gaps
    between layer i and i + 1, m; layer 1 the room's wall), () for today's single gap (docs/openings.md)."""

    lx_m: float
    ly_m: float
    lz_m: float
    openings: tuple = ()
    gaps_m: tuple = ()

    shape = "box"
    wall_names = ("x_min", "x_max", "y_min", "y_max", "floor", "ceiling")

    def __post_init__(self):
        for name in ("lx_m", "ly_m", "lz_m"):
            _store_positive(self, name)
        object.__setattr__(self, "gaps_m", check_gaps(self.gaps_m))
        object.__setattr__(self, "openings", check_openings(self.openings, self.opening_frames, self.extent_m,
                                                            self.gaps_m))
        check_mesh_generator(self, self.mesh.generator)

    @property
    def half_m(self) -> np.ndarray:
        return 0.5 * np.array([self.lx_m, self.ly_m, self.lz_m])

    @property
    def volume_m3(self):
        return self.lx_m * self.ly_m * self.lz_m

    @property
    def extent_m(self):
        return max(self.lx_m, self.ly_m, self.lz_m)

    def distance_to_wall_m(self, points_m):
        p = as_points(points_m)
        return np.min(self.half_m - np.abs(p), axis=1)

    @property
    def opening_frames(self) -> dict:
        """The walls that can hold openings (all six): wall -> amails_fem.specs.openings.WallFrame."""
        return box_frames(self.half_m)

    def in_opening_footprint(self, points_m, margin_m: float = 0.0) -> np.ndarray:
        """True for points over an opening (within margin_m of its wall and its outline): n . B = 0 fails there."""
        return opening_footprint(self.openings, self.opening_frames, as_points(points_m), margin_m)


@dataclass(frozen=True, kw_only=True)
class CylinderRoom(RoomBase):
    """Closed cylinder of radius_m and height_m, axis along x, y or z through the origin; ``openings``: doors and
    tubes in its caps (amails_fem/specs/openings.py)."""

    radius_m: float
    height_m: float
    axis: str = "z"
    openings: tuple = ()

    shape = "cylinder"
    curved = True
    wall_names = ("side", "cap_min", "cap_max")

    def __post_init__(self):
        _store_positive(self, "radius_m")
        _store_positive(self, "height_m")
        require_option(self.axis, "room.axis", AXES)
        object.__setattr__(self, "openings", check_openings(self.openings, self.opening_frames, self.extent_m))
        check_mesh_generator(self, self.mesh.generator)

    @property
    def axis_index(self) -> int:
        return AXES.index(self.axis)

    @property
    def volume_m3(self):
        return math.pi * self.radius_m**2 * self.height_m

    @property
    def extent_m(self):
        return max(2 * self.radius_m, self.height_m)

    @property
    def opening_frames(self) -> dict:
        """The caps (flat walls that can hold openings): wall -> WallFrame, in-plane axes (a + 1, a + 2) mod 3."""
        return cap_frames(self.axis_index, self.height_m, self.radius_m)

    def in_opening_footprint(self, points_m, margin_m: float = 0.0) -> np.ndarray:
        """True for points over an opening (within margin_m of its cap and its outline)."""
        return opening_footprint(self.openings, self.opening_frames, as_points(points_m), margin_m)

    def distance_to_wall_m(self, points_m):
        p = as_points(points_m)
        a = self.axis_index
        rho = np.linalg.norm(np.delete(p, a, axis=1), axis=1)
        return np.minimum(self.radius_m - rho, 0.5 * self.height_m - np.abs(p[:, a]))


@dataclass(frozen=True, kw_only=True)
class SphereRoom(RoomBase):
    """Sphere of radius_m centred at the origin (the exact check: B = (mu0/2) J x r)."""

    radius_m: float

    shape = "sphere"
    curved = True
    wall_names = ("wall",)

    def __post_init__(self):
        _store_positive(self, "radius_m")
        check_mesh_generator(self, self.mesh.generator)

    @property
    def volume_m3(self):
        return 4.0 / 3.0 * math.pi * self.radius_m**3

    @property
    def extent_m(self):
        return 2 * self.radius_m

    def distance_to_wall_m(self, points_m):
        return self.radius_m - np.linalg.norm(as_points(points_m), axis=1)


@dataclass(frozen=True, kw_only=True)
class EllipsoidRoom(RoomBase):
    """Triaxial ellipsoid with semi-axes ax_m, ay_m, az_m: with J along z the exact field is
    B = mu0 [J x r / 2 + kappa J grad(x y)], kappa = -(ax^2 - ay^2) / (2 (ax^2 + ay^2)) (a nontrivial exact check)."""

    ax_m: float
    ay_m: float
    az_m: float

    shape = "ellipsoid"
    curved = True
    wall_names = ("wall",)

    def __post_init__(self):
        for name in ("ax_m", "ay_m", "az_m"):
            _store_positive(self, name)
        check_mesh_generator(self, self.mesh.generator)

    @property
    def semi_axes_m(self) -> np.ndarray:
        return np.array([self.ax_m, self.ay_m, self.az_m])

    @property
    def volume_m3(self):
        return 4.0 / 3.0 * math.pi * self.ax_m * self.ay_m * self.az_m

    @property
    def extent_m(self):
        return 2 * max(self.ax_m, self.ay_m, self.az_m)

    def distance_to_wall_m(self, points_m):
        """Approximate signed distance (exact on the wall and for a sphere): (1 - |r/a|) * min(a)."""
        p = as_points(points_m)
        q = np.linalg.norm(p / self.semi_axes_m, axis=1)
        return (1.0 - q) * self.semi_axes_m.min()


SHAPES = {cls.shape: cls for cls in (BoxRoom, CylinderRoom, SphereRoom, EllipsoidRoom)}
_REQUIRED = {
    "box": ("lx_m", "ly_m", "lz_m"),
    "cylinder": ("radius_m", "height_m"),
    "sphere": ("radius_m",),
    "ellipsoid": ("ax_m", "ay_m", "az_m"),
}


def box_room(lx_m: float, ly_m: float, lz_m: float, *, name: str = "", mesh: MeshOptions | None = None,
             openings=None, gaps_m=()) -> BoxRoom:
    """A rectangular room, centred at the origin (m); openings: Door / Tube objects in its walls; gaps_m: the gaps
    between layer i and i + 1 (m) for openings through several layers (Door(..., layers=k))."""
    return BoxRoom(name=name, mesh=mesh or MeshOptions(), lx_m=lx_m, ly_m=ly_m, lz_m=lz_m,
                   openings=tuple(openings or ()), gaps_m=() if gaps_m is None else gaps_m)


def cylinder_room(radius_m: float, height_m: float, axis: str = "z", *, name: str = "",
                  mesh: MeshOptions | None = None, openings=None) -> CylinderRoom:
    """A cylindrical room (m), axis 'x', 'y' or 'z' through the origin; openings: Door / Tube objects in its caps."""
    return CylinderRoom(name=name, mesh=mesh or MeshOptions(), radius_m=radius_m, height_m=height_m, axis=axis,
                        openings=tuple(openings or ()))


def sphere_room(radius_m: float, *, name: str = "", mesh: MeshOptions | None = None) -> SphereRoom:
    """A spherical room of radius_m (m) centred at the origin."""
    return SphereRoom(name=name, mesh=mesh or MeshOptions(), radius_m=radius_m)


def ellipsoid_room(ax_m: float, ay_m: float, az_m: float, *, name: str = "",
                   mesh: MeshOptions | None = None) -> EllipsoidRoom:
    """A triaxial ellipsoidal room with semi-axes (m) along x, y, z."""
    return EllipsoidRoom(name=name, mesh=mesh or MeshOptions(), ax_m=ax_m, ay_m=ay_m, az_m=az_m)


def parse_room(table: dict, source: str = "<dict>") -> RoomBase:
    """Build a room from the [room] (and optional [mesh]) tables of a spec; errors name the key."""
    room = dict(table.get("room", {}))
    if "shape" not in room:
        raise SpecError(f"{source}: room.shape is missing (one of {', '.join(SHAPES)})")
    shape = room.pop("shape")
    if shape not in SHAPES:
        raise SpecError(f"{source}: room.shape must be one of {', '.join(SHAPES)}; got {shape!r}")
    missing = [k for k in _REQUIRED[shape] if k not in room]
    if missing:
        raise SpecError(f"{source}: room.{missing[0]} is missing ({shape} rooms need {', '.join(_REQUIRED[shape])})")
    allowed = set(_REQUIRED[shape]) | {"name"} | ({"axis"} if shape == "cylinder" else set()) | \
        ({"gaps_m"} if shape == "box" else set())
    unknown = sorted(set(room) - allowed)
    if unknown:
        raise SpecError(f"{source}: room.{unknown[0]} is not a {shape} room key (allowed: {', '.join(sorted(allowed))})")
    mesh_table = dict(table.get("mesh", {}))
    unknown = sorted(set(mesh_table) - {"size_m", "wall_size_m", "order", "opening_size_m", "generator"})
    if unknown:
        raise SpecError(f"{source}: mesh.{unknown[0]} is not a mesh key (allowed: size_m, wall_size_m, order, "
                        "opening_size_m, generator)")
    extra = {}
    if "openings" in table:
        if shape not in ("box", "cylinder"):
            raise SpecError(f"{source}: [[openings]] are supported in box and cylinder rooms only; got a {shape} room")
        extra["openings"] = parse_openings(table["openings"], source)
    try:
        mesh = MeshOptions(**mesh_table)
        return SHAPES[shape](mesh=mesh, **room, **extra)
    except SpecError as err:
        raise SpecError(f"{source}: {err}") from None
