"""Openings in box-room walls: doors (open, closed by a leaf with a seam, or with contact), circular holes and tubes.

An opening joins the room's air to an outer region (docs/openings.md, docs/physics.md sec. 6):

- ``leads_to = "gap"``: the gap between this wall layer and the next, a closed shell of thickness ``gap_m`` around
  the whole room, bounded by the next layer (a perfect conductor);
- ``leads_to = "lab"``: the lab, a truncated region reaching ``lab_m`` beyond the room on every side, whose outer
  boundary carries the ambient field (zero, or a uniform test field).

Several layers (box rooms, ``gaps_m`` on the room: the gaps between layer i and i + 1, so n = len(gaps_m) + 1
layers, layer 1 the room's own wall): an opening with ``layers = k`` passes through layers 1..k, the same outline
(in-plane centre and size) projected outward onto each of those walls, and leads into gap k (leads_to "gap",
k <= n - 1) or, through every layer (k = n), into the lab. Without ``gaps_m`` the stack is today's: one gap of
``gap_m`` (two layers) for "gap" openings, one layer for "lab" openings, and ``layers`` must be 1.

In-plane coordinates (``center_m`` = (u, v) in metres, room frame, origin at the room centre):

    wall        normal   u   v
    x_min/x_max   x      y   z
    y_min/y_max   y      x   z
    floor/ceiling z      x   y

A door's width runs along u and its height along v (on a side wall: horizontal and vertical). Tubes stick out of
the wall into the outer region (length 0: a plain circular hole in the thin wall). A cylinder's curved side
(``SideFrame``) takes radial tubes and holes and doors: a door there is the curved patch between two angles and two
heights, its width along the arc s and its height along the axis (limits: SIDE_DOOR_MAX_ANGLE, SIDE_DOOR_CLEARANCE).
All checks raise one SpecError line before any meshing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from amails_fem import units
from amails_fem.errors import SpecError
from amails_fem.validate import require_option, require_positive, require_range

# wall -> (normal axis, outward sign, u axis, v axis)
WALL_FRAMES = {
    "x_min": (0, -1, 1, 2), "x_max": (0, +1, 1, 2),
    "y_min": (1, -1, 0, 2), "y_max": (1, +1, 0, 2),
    "floor": (2, -1, 0, 1), "ceiling": (2, +1, 0, 1),
}
LEADS_TO = ("gap", "lab")
OPENING_WALLS = tuple(WALL_FRAMES) + ("cap_min", "cap_max", "side")  # box walls, a cylinder's caps and side
SIDE_DOOR_MAX_ANGLE = 0.5 * math.pi  # a side door spans at most a quarter turn: width_m / R <= pi / 2
SIDE_DOOR_CLEARANCE = 0.01  # a side door stays 1 % of the cylinder's height clear of each cap


@dataclass(frozen=True)
class WallFrame:
    """A flat wall that can hold openings: normal axis k with outward sign, in-plane axes (iu, iv), the plane at
    x_k = sign * offset_m, and its outline: ("rect", half_u, half_v) or ("disk", radius) about (u, v) = (0, 0)."""

    k: int
    sign: int
    iu: int
    iv: int
    offset_m: float
    bound: tuple


@dataclass(frozen=True)
class SideFrame:
    """A cylinder's side (axis a, radius R, half height): in-plane coordinates (s, z) = (arc length from the
    (a + 1) axis towards the (a + 2) axis, position along the axis), metres; radial tubes and holes, and doors
    (the curved patch between two angles and two heights)."""

    axis: int
    radius_m: float
    half_height_m: float

    def direction(self, s_m: float) -> np.ndarray:
        """The outward normal (radial unit vector) at arc length s_m."""
        phi = s_m / self.radius_m
        e = np.eye(3)
        return np.cos(phi) * e[(self.axis + 1) % 3] + np.sin(phi) * e[(self.axis + 2) % 3]

    def point(self, s_m: float, z_m: float, w_m: float = 0.0) -> np.ndarray:
        """The point at (s, z) on the side, w_m outside it (m)."""
        return (self.radius_m + w_m) * self.direction(s_m) + z_m * np.eye(3)[self.axis]

    def coordinates(self, points_m) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(s, z, rho) of points (m)."""
        p = np.atleast_2d(np.asarray(points_m, float))
        x1, x2 = p[:, (self.axis + 1) % 3], p[:, (self.axis + 2) % 3]
        return self.radius_m * np.arctan2(x2, x1), p[:, self.axis], np.hypot(x1, x2)

    def arc_offset(self, s_m, centre_s_m):
        """Signed arc length from centre_s_m to s_m, wrapped into [-pi R, pi R) (m)."""
        circ = 2 * math.pi * self.radius_m
        return (np.asarray(s_m, float) - centre_s_m + 0.5 * circ) % circ - 0.5 * circ


def box_frames(half_m) -> dict:
    """The six walls of a box with these half sizes (m)."""
    h = np.asarray(half_m, float)
    return {name: WallFrame(k, s, iu, iv, float(h[k]), ("rect", float(h[iu]), float(h[iv])))
            for name, (k, s, iu, iv) in WALL_FRAMES.items()}


def cap_frames(axis_index: int, height_m: float, radius_m: float) -> dict:
    """The two caps of a cylinder along axis a: in-plane axes (a + 1, a + 2) mod 3 (z axis: (x, y))."""
    a = int(axis_index)
    frames = {name: WallFrame(a, s, (a + 1) % 3, (a + 2) % 3, 0.5 * float(height_m), ("disk", float(radius_m)))
              for name, s in (("cap_min", -1), ("cap_max", +1))}
    frames["side"] = SideFrame(a, float(radius_m), 0.5 * float(height_m))
    return frames


def _center(value, field: str) -> tuple[float, float]:
    try:
        c = tuple(float(x) for x in value)
    except (TypeError, ValueError):
        raise SpecError(f"{field} must be two in-plane coordinates (u, v) in m; got {value!r}") from None
    if len(c) != 2 or not all(math.isfinite(x) for x in c) or any(isinstance(x, (bool, str)) for x in value):
        raise SpecError(f"{field} must be two finite in-plane coordinates (u, v) in m; got {value!r}")
    return c


DEFAULT_GAP_M = 0.1  # an opening's gap_m when neither it nor the room (gaps_m) gives one


def _outer_region(opening, field: str) -> None:
    require_option(opening.leads_to, f"{field}.leads_to", LEADS_TO)
    if opening.gap_m is not None:
        object.__setattr__(opening, "gap_m", require_positive(opening.gap_m, f"{field}.gap_m"))
    if opening.lab_m is not None:
        object.__setattr__(opening, "lab_m", require_positive(opening.lab_m, f"{field}.lab_m"))
    if isinstance(opening.layers, bool) or not isinstance(opening.layers, (int, np.integer)) or opening.layers < 1:
        raise SpecError(f"{field}.layers must be a whole number >= 1 (the layers 1..k the opening passes through); "
                        f"got {opening.layers!r}")
    object.__setattr__(opening, "layers", int(opening.layers))


@dataclass(frozen=True)
class Door:
    """A rectangular doorway width_m x height_m centred at center_m = (u, v) on ``wall`` (in-plane axes above).

    seam_m: None, an open doorway; 0, closed by a leaf with contact (no opening left); > 0, closed by a leaf
    that leaves a seam of this width all round (no contact). leads_to: "gap" (a closed gap of thickness gap_m
    to the next layer; None: 0.1 m, or the room's gaps_m) or "lab" (a truncated lab region reaching lab_m beyond
    the outermost layer; default half the room's largest dimension). layers = k: the door is in layers 1..k
    (the same outline in each; k > 1 needs the room's gaps_m), leading into gap k or, for k = n, the lab.
    """

    wall: str
    center_m: tuple
    width_m: float
    height_m: float
    seam_m: float | None = None
    leads_to: str = "gap"
    gap_m: float | None = None
    lab_m: float | None = None
    layers: int = 1

    kind = "door"

    def __post_init__(self):
        require_option(self.wall, "door.wall", OPENING_WALLS)
        object.__setattr__(self, "center_m", _center(self.center_m, "door.center_m"))
        object.__setattr__(self, "width_m", require_positive(self.width_m, "door.width_m"))
        object.__setattr__(self, "height_m", require_positive(self.height_m, "door.height_m"))
        if self.seam_m is not None:
            seam = require_range(self.seam_m, "door.seam_m", 0.0, math.inf, "m")
            if 2 * seam >= min(self.width_m, self.height_m):
                raise SpecError(f"door.seam_m must be below half the door's smaller side "
                                f"({0.5 * min(self.width_m, self.height_m):g} m); got {self.seam_m!r}")
            object.__setattr__(self, "seam_m", seam)
        _outer_region(self, "door")

    @property
    def half_extent_m(self) -> tuple[float, float]:
        """Half sizes along u and v (m)."""
        return 0.5 * self.width_m, 0.5 * self.height_m

    @property
    def is_open(self) -> bool:
        """True when air passes (open doorway or a seam); False for a leaf with contact."""
        return self.seam_m is None or self.seam_m > 0

    @property
    def aperture_m2(self) -> float:
        """Open area (m^2): the doorway, the seam ring, or 0 with contact."""
        if self.seam_m is None:
            return self.width_m * self.height_m
        s = self.seam_m
        return self.width_m * self.height_m - (self.width_m - 2 * s) * (self.height_m - 2 * s)

    @property
    def smallest_feature_m(self) -> float:
        """The smallest length of the opening (its seam or its smaller side), for the edge refinement."""
        return self.seam_m if self.seam_m else min(self.width_m, self.height_m)


@dataclass(frozen=True)
class Tube:
    """A circular tube (waveguide-below-cutoff chimney) of radius_m through ``wall`` at center_m = (u, v), sticking
    length_m out of the wall into the outer region (length 0: a plain hole in the thin wall). Its far end opens
    into the gap (leads_to "gap", length_m < gap_m) or the lab (leads_to "lab", length_m < lab_m). layers = k > 1:
    a plain hole (length_m = 0) in each of layers 1..k (a tube through several layers is not modelled)."""

    wall: str
    center_m: tuple
    radius_m: float
    length_m: float
    leads_to: str = "gap"
    gap_m: float | None = None
    lab_m: float | None = None
    layers: int = 1

    kind = "tube"
    is_open = True

    def __post_init__(self):
        require_option(self.wall, "tube.wall", OPENING_WALLS)
        object.__setattr__(self, "center_m", _center(self.center_m, "tube.center_m"))
        object.__setattr__(self, "radius_m", require_positive(self.radius_m, "tube.radius_m"))
        object.__setattr__(self, "length_m", require_range(self.length_m, "tube.length_m", 0.0, math.inf, "m"))
        _outer_region(self, "tube")

    @property
    def half_extent_m(self) -> tuple[float, float]:
        return self.radius_m, self.radius_m

    @property
    def aperture_m2(self) -> float:
        return math.pi * self.radius_m**2

    @property
    def smallest_feature_m(self) -> float:
        return self.radius_m


OPENING_TYPES = {"door": Door, "tube": Tube}


def check_gaps(gaps_m, field: str = "room.gaps_m") -> tuple:
    """The gaps between layer i and i + 1 (m, each > 0) as a tuple of floats; () for none."""
    if gaps_m is None:
        return ()
    if isinstance(gaps_m, (str, bytes)) or not hasattr(gaps_m, "__len__"):
        raise SpecError(f"{field} must be a list of the gaps between layer i and i + 1 (m, each > 0); got {gaps_m!r}")
    return tuple(require_positive(g, f"{field}[{i}]") for i, g in enumerate(gaps_m))


@dataclass(frozen=True)
class OpeningStack:
    """The regions a room's openings reach: the meshed gaps (gap j between layer j and j + 1, m), whether the lab
    lies beyond the last of them (lab_m beyond the outermost layer; None: half the room's largest dimension) and
    the layer count n of the room. Region 0 is the room, region j the gap j, region len(gaps_m) + 1 the lab."""

    gaps_m: tuple
    lab: bool
    lab_m: float | None
    n_layers: int


def opening_stack(openings, gaps_m=()) -> OpeningStack | None:
    """The regions reached by (checked) openings: with the room's gaps_m, the gaps up to the outermost one an
    opening reaches (every gap when one leads to the lab; gaps beyond are sealed off by a whole layer and do not
    change the field inside it); without, today's single gap (gap_m) or the lab beyond the room's wall."""
    if not openings:
        return None
    labs = [op for op in openings if op.leads_to == "lab"]
    lab_m = labs[0].lab_m if labs else None
    gaps = tuple(gaps_m)
    if not gaps:
        if labs:
            return OpeningStack((), True, lab_m, 1)
        return OpeningStack((openings[0].gap_m,), False, None, 2)
    n = len(gaps) + 1
    reach = n - 1 if labs else max(op.layers for op in openings)
    return OpeningStack(gaps[:reach], bool(labs), lab_m, n)


def layer_frames(frames: dict, offset_m: float) -> dict:
    """The flat walls of an outer layer offset_m outside the room's (box: half sizes grown by offset_m; a disc's
    radius likewise); an opening in it has the same in-plane centre and size (the outline projected outward)."""
    out = {}
    for name, fr in frames.items():
        if isinstance(fr, SideFrame):
            out[name] = SideFrame(fr.axis, fr.radius_m + offset_m, fr.half_height_m + offset_m)
        else:
            bound = (fr.bound[0],) + tuple(b + offset_m for b in fr.bound[1:])
            out[name] = WallFrame(fr.k, fr.sign, fr.iu, fr.iv, fr.offset_m + offset_m, bound)
    return out


def _check_layers(openings, gaps: tuple) -> tuple:
    """Layer counts against the room's stack (gaps: room.gaps_m; () for today's single gap or lab) and each
    opening's gap_m resolved (the gap it leads into; None for the lab through several layers)."""
    out = []
    if not gaps:
        for i, op in enumerate(openings):
            if op.layers != 1:
                raise SpecError(f"openings[{i}].layers = {op.layers} needs the room's layer stack room.gaps_m (box "
                                "rooms: the gaps between layer i and i + 1); without it layers must be 1")
            out.append(op if op.gap_m is not None else _replace(op, gap_m=DEFAULT_GAP_M))
        kinds = {op.leads_to for op in out}
        if len(kinds) > 1:
            raise SpecError("openings[*].leads_to must be the same for every opening of a room without room.gaps_m "
                            f"(one outer region: the gap to the next layer or the lab); got {sorted(kinds)}")
        return tuple(out)
    n = len(gaps) + 1
    for i, op in enumerate(openings):
        k = op.layers
        if k > n:
            raise SpecError(f"openings[{i}].layers must be in 1..{n} (room.gaps_m gives {n} layers); got {k}")
        if op.leads_to == "lab" and k != n:
            raise SpecError(f"openings[{i}].layers must be {n} for leads_to = 'lab' (through every layer of the "
                            f"room's {n}); got {k} (an opening into gap k has leads_to = 'gap')")
        if op.leads_to == "gap" and k == n:
            raise SpecError(f"openings[{i}].layers must be in 1..{n - 1} for leads_to = 'gap' (layers = {n} passes "
                            "every layer: use leads_to = 'lab')")
        if isinstance(op, Tube) and op.length_m > 0 and k > 1:
            raise SpecError(f"openings[{i}].layers = {k}: a tube (length_m > 0) through more than one layer is not "
                            "modelled; use length_m = 0 (a hole in each layer) or layers = 1")
        gap = gaps[k - 1] if op.leads_to == "gap" else None
        if op.gap_m is not None and op.leads_to == "gap" and abs(op.gap_m - gap) > 1e-12 * gap:
            raise SpecError(f"openings[{i}].gap_m = {op.gap_m:g} m differs from room.gaps_m[{k - 1}] = {gap:g} m (the "
                            "gap it leads into); leave gap_m out when the room gives gaps_m")
        out.append(_replace(op, gap_m=gap))
    return tuple(out)


def _replace(op, **changes):
    fields = {name: getattr(op, name) for name in op.__dataclass_fields__}
    fields.update(changes)
    return type(op)(**fields)


def check_openings(openings, frames: dict, extent_m: float, gaps_m=()) -> tuple:
    """Validate a room's openings against its walls (frames: wall -> WallFrame; extent_m the room's largest size;
    gaps_m the room's layer stack, () for none): type, on a wall that can hold it, inside the wall of every layer
    it passes, no overlap, the outer regions, tubes that end inside them. Returns the openings as a tuple, gap_m
    resolved."""
    openings = tuple(openings or ())
    gaps = check_gaps(gaps_m)
    for i, op in enumerate(openings):
        if not isinstance(op, (Door, Tube)):
            raise SpecError(f"openings[{i}] must be an amails_fem.geometry.Door or Tube; got {type(op).__name__}")
        if op.wall not in frames:
            raise SpecError(f"openings[{i}].wall must be one of {', '.join(frames)} for this room; got {op.wall!r}")
    if not openings:
        return openings
    openings = _check_layers(openings, gaps)
    lead = openings[0].leads_to
    if not gaps and lead == "gap":
        found = {op.gap_m for op in openings}
        if len(found) > 1:
            raise SpecError(f"openings[*].gap_m must be the same for every opening (one gap to the next layer); "
                            f"got {sorted(found)} m")
    labs = {op.lab_m for op in openings if op.leads_to == "lab"}
    if len(labs) > 1:
        raise SpecError(f"openings[*].lab_m must be the same for every opening (one lab region); got {labs}")
    lab_margin = (next(iter(labs)) or 0.5 * float(extent_m)) if labs else None
    offsets = np.concatenate([[0.0], np.cumsum(gaps)])
    for i, op in enumerate(openings):
        field = f"openings[{i}] ({op.kind} on {op.wall})"
        inside = _check_fit(op, frames[op.wall], float(extent_m), field)
        if isinstance(op, Tube):
            margin = op.gap_m if op.leads_to == "gap" else lab_margin
            if op.length_m >= margin:
                where = f"the gap (gap_m = {margin:g} m)" if op.leads_to == "gap" else \
                    f"the lab region (lab_m = {margin:g} m)"
                raise SpecError(f"{field}: length_m = {op.length_m:g} m would take the tube through {where} into "
                                "nothing modelled; it must be shorter than the gap or lab margin")
            if not inside:
                raise SpecError(f"{field}: a tube must lie strictly inside its wall (clear of the wall's edges)")
    for i, op in enumerate(openings):
        for j in range(2, op.layers + 1):
            _check_fit(op, layer_frames(frames, float(offsets[j - 1]))[op.wall], float(extent_m),
                       f"openings[{i}] ({op.kind} on {op.wall}, layer {j})")
    _check_apart(openings, frames)
    return openings


def _check_fit(op, frame, extent_m: float, field: str) -> bool:
    """SpecError unless the opening lies on its wall (frame); True when clear of the wall's edges."""
    tol = 1e-9 * extent_m
    eu, ev = op.half_extent_m
    cu, cv = op.center_m
    if isinstance(frame, SideFrame):
        if abs(cu) > math.pi * frame.radius_m:
            raise SpecError(f"{field}: center_m {op.center_m} m puts the opening off the side: the arc length s "
                            f"must lie in [-pi R, pi R] = [-{math.pi * frame.radius_m:g}, "
                            f"{math.pi * frame.radius_m:g}] m")
        if isinstance(op, Door):
            _check_side_door(op, frame, field)
        else:
            if op.radius_m > 0.5 * frame.radius_m:
                raise SpecError(f"{field}: radius_m must be at most half the cylinder's radius "
                                f"({0.5 * frame.radius_m:g} m); got {op.radius_m:g}")
            if abs(cv) + eu >= frame.half_height_m - tol:
                raise SpecError(f"{field}: center_m {op.center_m} m puts the tube off the side: |z| + radius "
                                f"must stay below {frame.half_height_m:g} m")
        inside = True
    elif frame.bound[0] == "rect":
        wall_half = np.array(frame.bound[1:])
        if 2 * eu > 2 * wall_half[0] or 2 * ev > 2 * wall_half[1]:
            raise SpecError(f"{field}: the opening ({2 * eu:g} x {2 * ev:g} m) is larger than its wall "
                            f"({2 * wall_half[0]:g} x {2 * wall_half[1]:g} m)")
        if abs(cu) + eu > wall_half[0] + tol or abs(cv) + ev > wall_half[1] + tol:
            raise SpecError(f"{field}: center_m {op.center_m} m puts the opening off the wall; it must stay "
                            f"within |u| <= {wall_half[0] - eu:g} m, |v| <= {wall_half[1] - ev:g} m")
        inside = abs(cu) + eu < wall_half[0] - tol and abs(cv) + ev < wall_half[1] - tol
    else:
        radius = frame.bound[1]
        reach = math.hypot(eu, ev) if isinstance(op, Door) else eu
        if reach > radius:
            raise SpecError(f"{field}: the opening is larger than its wall (a disc of radius {radius:g} m)")
        far = math.hypot(abs(cu) + eu, abs(cv) + ev) if isinstance(op, Door) else math.hypot(cu, cv) + eu
        if far >= radius - tol:
            raise SpecError(f"{field}: center_m {op.center_m} m puts the opening off the cap (or on its rim): it "
                            f"must lie inside the disc of radius {radius:g} m")
        inside = True
    return inside


def _check_apart(openings, frames: dict) -> None:
    """SpecError when two openings on one wall overlap or touch (the same in every layer: the outlines project)."""
    for i in range(len(openings)):
        for j in range(i + 1, len(openings)):
            a, b = openings[i], openings[j]
            if a.wall == b.wall and a.wall == "side" and isinstance(frames["side"], SideFrame):
                why = _side_conflict(a, b, frames["side"])
                if why:
                    raise SpecError(f"openings[{i}] and openings[{j}] {why}")
            elif a.wall == b.wall and _overlap(a, b):
                raise SpecError(f"openings[{i}] and openings[{j}] overlap on wall {a.wall}; openings must be apart")


def _check_side_door(door, frame: SideFrame, field: str) -> None:
    """A door on a cylinder's side: at most a quarter turn wide, clear of both caps by SIDE_DOOR_CLEARANCE x height."""
    max_width = SIDE_DOOR_MAX_ANGLE * frame.radius_m
    if door.width_m > max_width:
        raise SpecError(f"{field}: width_m = {door.width_m:g} m must be at most pi R / 2 = {max_width:g} m (a quarter "
                        "turn of the side)")
    clear = SIDE_DOOR_CLEARANCE * 2 * frame.half_height_m
    room = frame.half_height_m - clear
    if door.height_m >= 2 * room:
        raise SpecError(f"{field}: height_m = {door.height_m:g} m must be below {2 * room:g} m (the side's height less "
                        f"{clear:g} m clearance to each cap)")
    if abs(door.center_m[1]) + 0.5 * door.height_m >= room:
        raise SpecError(f"{field}: center_m {door.center_m} m puts the door off the side: |z| must stay below "
                        f"{room - 0.5 * door.height_m:g} m (|z| + height_m / 2 below the half height less "
                        f"{clear:g} m clearance to the caps)")


def _side_conflict(a, b, frame: SideFrame) -> str:
    """Why two openings on a cylinder's side are too close ('' when apart); arc lengths wrap at s = +-pi R.
    Tubes: discs that must not touch. A door and a tube: the tube's disc must stay its own radius clear of the door's
    outline (its radial cutter is wider just inside the wall). Two doors: rectangles that must not touch."""
    ds = abs(float(frame.arc_offset(b.center_m[0], a.center_m[0])))
    dz = abs(a.center_m[1] - b.center_m[1])
    if isinstance(a, Tube) and isinstance(b, Tube):
        return "overlap on wall side; openings must be apart" if math.hypot(ds, dz) <= a.radius_m + b.radius_m \
            else ""
    if isinstance(a, Door) and isinstance(b, Door):
        if ds <= 0.5 * (a.width_m + b.width_m) and dz <= 0.5 * (a.height_m + b.height_m):
            return "overlap on wall side (arc length s and height z; s wraps at +-pi R); openings must be apart"
        return ""
    door, tube = (a, b) if isinstance(a, Door) else (b, a)
    eu, ev = door.half_extent_m
    gap = math.hypot(max(ds - eu, 0.0), max(dz - ev, 0.0))
    if gap <= 2 * tube.radius_m:
        return (f"overlap on wall side: a side tube's centre must stay more than twice its radius "
                f"({2 * tube.radius_m:g} m) from a side door's outline; got {gap:g} m")
    return ""


def _overlap(a, b) -> bool:
    """True when two openings on one wall overlap or touch (rectangle/disc geometry in (u, v))."""
    ca, cb = np.array(a.center_m), np.array(b.center_m)
    if isinstance(a, Tube) and isinstance(b, Tube):
        return float(np.linalg.norm(ca - cb)) <= a.radius_m + b.radius_m
    if isinstance(a, Door) and isinstance(b, Door):
        return bool(np.all(np.abs(ca - cb) <= np.array(a.half_extent_m) + np.array(b.half_extent_m)))
    door, tube = (a, b) if isinstance(a, Door) else (b, a)
    d = np.array(door.center_m)
    nearest = np.clip(np.array(tube.center_m), d - door.half_extent_m, d + door.half_extent_m)
    return float(np.linalg.norm(nearest - np.array(tube.center_m))) <= tube.radius_m


def parse_openings(rows, source: str = "<dict>") -> tuple:
    """[[openings]] rows of a spec (each with kind = "door" or "tube" and the keys of Door or Tube)."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise SpecError(f"{source}: openings must be an array of tables ([[openings]])")
    out = []
    for i, row in enumerate(rows):
        row = dict(row)
        kind = row.pop("kind", None)
        if kind not in OPENING_TYPES:
            raise SpecError(f"{source}: openings[{i}].kind must be 'door' or 'tube'; got {kind!r}")
        cls = OPENING_TYPES[kind]
        allowed = set(cls.__dataclass_fields__)
        unknown = sorted(set(row) - allowed)
        if unknown:
            raise SpecError(f"{source}: openings[{i}].{unknown[0]} is not a {kind} key (allowed: kind, "
                            f"{', '.join(sorted(allowed))})")
        missing = [k for k in ("wall", "center_m") + (("width_m", "height_m") if kind == "door"
                                                      else ("radius_m", "length_m")) if k not in row]
        if missing:
            raise SpecError(f"{source}: openings[{i}].{missing[0]} is missing")
        try:
            out.append(cls(**row))
        except SpecError as err:
            raise SpecError(f"{source}: openings[{i}]: {err}") from None
    return tuple(out)


def opening_footprint(openings, frames: dict, points_m, margin_m: float = 0.0) -> np.ndarray:
    """True for points within margin_m of a wall plane whose (u, v) lie over an opening's outline (the door's
    rectangle, the tube's disc) grown by margin_m: where n . B = 0 does not hold (apertures, singular rims)."""
    p = np.atleast_2d(np.asarray(points_m, float))
    out = np.zeros(len(p), bool)
    for op in openings:
        fr = frames[op.wall]
        if isinstance(fr, SideFrame):
            s_p, z_p, rho = fr.coordinates(p)
            ds = np.abs(fr.arc_offset(s_p, op.center_m[0]))
            near = np.abs(rho - fr.radius_m) <= margin_m + 1e-12
            if isinstance(op, Door):
                if op.is_open:
                    eu, ev = op.half_extent_m
                    out |= near & (ds <= eu + margin_m) & (np.abs(z_p - op.center_m[1]) <= ev + margin_m)
            else:
                out |= near & (np.hypot(ds, z_p - op.center_m[1]) <= op.radius_m + margin_m)
            continue
        k, sign, iu, iv = fr.k, fr.sign, fr.iu, fr.iv
        near = np.abs(p[:, k] - sign * fr.offset_m) <= margin_m + 1e-12
        du, dv = p[:, iu] - op.center_m[0], p[:, iv] - op.center_m[1]
        if isinstance(op, Door):
            if not op.is_open:
                continue
            eu, ev = op.half_extent_m
            over = (np.abs(du) <= eu + margin_m) & (np.abs(dv) <= ev + margin_m)
        else:
            over = np.hypot(du, dv) <= op.radius_m + margin_m
        out |= near & over
    return out


def opening_outline_m(op, frames: dict, n: int = 64) -> list[np.ndarray]:
    """Outline(s) of an opening on its wall plane as (m, 3) room-frame points: the doorway (and the leaf's edge for
    a seam), or the tube's circle."""
    fr = frames[op.wall]
    cu, cv = op.center_m
    if isinstance(fr, SideFrame):
        if isinstance(op, Tube):
            t = np.linspace(0, 2 * np.pi, n + 1)
            return [np.array([fr.point(cu + op.radius_m * np.cos(x), cv + op.radius_m * np.sin(x)) for x in t])]
        eu, ev = op.half_extent_m
        sides = [(eu, ev)] + ([(eu - op.seam_m, ev - op.seam_m)] if op.seam_m else [])
        out = []
        for a, b in sides:  # the curved rectangle: arcs along s sampled with n points each
            t = np.linspace(-1.0, 1.0, n + 1)
            su = np.concatenate([a * t, [a], a * t[::-1], [-a]])
            sv = np.concatenate([np.full(n + 1, -b), [b], np.full(n + 1, b), [-b]])
            out.append(np.array([fr.point(cu + x, cv + y) for x, y in zip(su, sv)]))
        return out
    k, sign, iu, iv = fr.k, fr.sign, fr.iu, fr.iv

    def lift(u, v):
        x = np.zeros((len(u), 3))
        x[:, k] = sign * fr.offset_m
        x[:, iu], x[:, iv] = cu + u, cv + v
        return x

    if isinstance(op, Tube):
        t = np.linspace(0, 2 * np.pi, n + 1)
        return [lift(op.radius_m * np.cos(t), op.radius_m * np.sin(t))]
    eu, ev = op.half_extent_m
    rect = [lift(np.array([-a, a, a, -a, -a]), np.array([-b, -b, b, b, -b])) for a, b in [(eu, ev)]]
    if op.seam_m:
        s = op.seam_m
        rect.append(lift(np.array([-(eu - s), eu - s, eu - s, -(eu - s), -(eu - s)]),
                         np.array([-(ev - s), -(ev - s), ev - s, ev - s, -(ev - s)])))
    return rect


@dataclass(frozen=True)
class SeamStrip:
    """A joint along a rectangle's outline (e.g. a door leaf's edge, clamped to its frame) on a box wall, for the
    impedance-wall model: the wall facets within strip_m / 2 of the outline get the wall's impedance length plus
    the joint's,

        l_seam = l_wall + Z_J / (strip_m (-i omega mu0)),      Z_J = R_J - i omega L_J   (ohm m),

    R_J = joint_ohm_m the joint's contact resistance per length and L_J = joint_henry_m its inductance per length
    (the voltage across the joint per unit wall current crossing it, spread over the strip; the transfer impedance
    of a seam, Schulz, Plantz & Brush 1988). Both must be given from measurement: no default is physical. A seam
    WITHOUT contact is not an open circuit in a layered room: the current detours through the slot onto the far
    face and the gap (Door(seam_m=...) in the perfect-conductor model solves that geometry; docs/openings.md).
    strip_m must be at least the wall element size (the strip is a set of facets)."""

    wall: str
    center_m: tuple
    width_m: float
    height_m: float
    strip_m: float
    joint_ohm_m: float
    joint_henry_m: float = 0.0

    def __post_init__(self):
        require_option(self.wall, "seam.wall", tuple(WALL_FRAMES))
        object.__setattr__(self, "center_m", _center(self.center_m, "seam.center_m"))
        for name in ("width_m", "height_m", "strip_m"):
            object.__setattr__(self, name, require_positive(getattr(self, name), f"seam.{name}"))
        object.__setattr__(self, "joint_ohm_m", require_range(self.joint_ohm_m, "seam.joint_ohm_m", 0.0, 1e3,
                                                              "ohm m"))
        object.__setattr__(self, "joint_henry_m", require_range(self.joint_henry_m, "seam.joint_henry_m", 0.0, 1.0,
                                                                "H m"))
        if self.strip_m >= min(self.width_m, self.height_m):
            raise SpecError(f"seam.strip_m must be below the outline's smaller side ({min(self.width_m, self.height_m)}"
                            f" m); got {self.strip_m!r}")

    def check_on(self, half_m) -> None:
        """SpecError unless the outline lies on the wall of a box with these half sizes (m); its strip may reach past
        the wall's edge (a door's threshold), where it is cut off."""
        _, _, iu, iv = WALL_FRAMES[self.wall]
        half = np.asarray(half_m, float)
        eu, ev = 0.5 * self.width_m, 0.5 * self.height_m
        if abs(self.center_m[0]) + eu > half[iu] + 1e-9 or abs(self.center_m[1]) + ev > half[iv] + 1e-9:
            raise SpecError(f"seam on {self.wall}: the outline leaves the wall (|u| <= {half[iu]:g} m, "
                            f"|v| <= {half[iv]:g} m)")

    def selects(self, points_m) -> np.ndarray:
        """True for wall points (on self.wall) within strip_m / 2 of the outline."""
        _, _, iu, iv = WALL_FRAMES[self.wall]
        p = np.atleast_2d(np.asarray(points_m, float))
        du, dv = np.abs(p[:, iu] - self.center_m[0]), np.abs(p[:, iv] - self.center_m[1])
        eu, ev, s = 0.5 * self.width_m, 0.5 * self.height_m, 0.5 * self.strip_m
        outer = (du <= eu + s) & (dv <= ev + s)
        inner = (du < eu - s) & (dv < ev - s)
        return outer & ~inner

    def impedance_length_m(self, wall_l_m: np.ndarray, freqs_hz) -> np.ndarray:
        """l_seam(f) (m, complex) from the wall's l_wall(f)."""
        w = 2 * np.pi * np.asarray(freqs_hz, float)
        z_j = self.joint_ohm_m - 1j * w * self.joint_henry_m
        return np.asarray(wall_l_m, complex) + z_j / (-1j * w * units.MU0_H_M * self.strip_m)
