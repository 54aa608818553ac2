"""Meshes of box rooms with openings: the room, its doors and tubes, and the outer region they lead to (gmsh OCC).

The joined air domain is the room (with the tube interiors) plus the outer region: the gap to the next layer (a
closed shell of thickness gap_m around the room) or a truncated lab (the room's box grown by lab_m). The room's
wall is a zero-thickness perfect conductor: a sheet of facets between the room and the outer region, with the
openings cut out of it. After meshing, the vertices on a sheet (except those on an opening's rim, where the sheet
ends) are duplicated for the outer region's tetrahedra, so the potential may jump across the sheet and each side
carries its own Neumann data (docs/openings.md). The element size shrinks to ``opening_size_m`` at the rims,
where the field is singular (~ r^-1/2 at the edge of a thin sheet).

Several layers (box rooms with ``gaps_m``): nested boxes, the room grown by the cumulative gaps, one region per gap
up to the outermost one an opening reaches (and the lab beyond the outermost layer when an opening leads there);
each layer's wall is a sheet split as above, and an opening through layers 1..k has an aperture in each of them.

Named facets: the room side of each wall keeps the closed room's names (x_min ... ceiling), ``tube_i`` the inside
of tube i, ``opening_i`` the (interior) aperture facets of opening i in the room's wall and ``opening_i_layerj``
those in layer j, ``layerj`` the inner side of layer j's sheet (j >= 2), ``outer_side`` the outer side of every
sheet, ``outer_layer`` the closed outermost layer or ``lab_boundary`` the truncation of the lab.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from skfem import MeshTet1

from amails_fem.errors import SpecError
from amails_fem.log import QUIET, Progress
from amails_fem.memory import require_memory
from amails_fem.meshing.cache import cached_mesh
from amails_fem.meshing.read import facet_indices, fast_topology
from amails_fem.meshing.rooms import RoomMesh, estimate_tetrahedra, resolve_sizes, room_solve_bytes
from amails_fem.meshing.session import gmsh_session
from amails_fem.specs.openings import Door, SideFrame, Tube, layer_frames, opening_stack
from amails_fem.specs.rooms import BoxRoom, CylinderRoom
from amails_fem.validate import require_positive

RIM_GROWTH = 3.0  # the size grows from the rim size at the opening edges to the bulk size over RIM_GROWTH * size
GAP_SIZE_PER_WIDTH = 1.5  # element size in a closed gap away from the openings, in gap widths (gap_size_m)


@dataclass
class OpenRoomMesh(RoomMesh):
    """A room mesh with openings: regions, apertures and the boundary split into conductor and truncation."""

    in_room: np.ndarray = None  # (n_elements,) bool: room and tube interiors (False: the outer region)
    apertures: dict = field(default_factory=dict)  # opening_i -> interior facet indices (room side is 'in_room')
    conductor_facets: np.ndarray = None  # boundary facets carrying the conductor's Neumann data (both sheet sides)
    truncation_facets: np.ndarray = None  # lab truncation (Dirichlet: the ambient field); empty for a gap
    outer: str = "gap"  # the outermost region: "gap" (closed by the next layer) or "lab"
    outer_m: float = 0.0  # its thickness: the outermost gap or the lab margin (m)
    opening_size_m: float = 0.0
    region: np.ndarray = None  # (n_elements,) int: 0 the room (and tubes), j the gap j, len(gaps_m) + 1 the lab
    gaps_m: tuple = ()  # the meshed gaps (gap j between layer j and j + 1, m)


def resolve_opening_size(spec, wall_size_m: float, opening_size_m=None) -> float:
    """Element size at the opening rims (m): the argument, else the spec's mesh.opening_size_m, else
    min(wall size / 2, smallest opening feature / 4)."""
    value = opening_size_m if opening_size_m is not None else spec.mesh.opening_size_m
    if value is None:
        value = min(0.5 * wall_size_m, min(op.smallest_feature_m for op in spec.openings) / 4.0)
    value = require_positive(value, "mesh.opening_size_m")
    if value > wall_size_m:
        raise SpecError(f"mesh.opening_size_m ({value} m) must not exceed mesh.wall_size_m ({wall_size_m} m)")
    return value


def estimate_elements(spec, size: float, wall: float, rim: float, gaps_m: tuple, lab_m: float | None) -> float:
    """Tetrahedra of a room with openings, before meshing: the room (meshing.rooms.estimate_tetrahedra), the gaps
    (each at its wall size), the lab (bulk size) and the rim refinement, ~6 pi P / (g^2 r) per rim of length P at
    size r growing at slope g = (size - r) / (RIM_GROWTH size) (integrated over the refined tube round it), one rim
    per layer an opening passes."""
    def volume(grow: float) -> float:
        if isinstance(spec, BoxRoom):
            return float(np.prod(2 * (spec.half_m + grow)))
        return math.pi * (spec.radius_m + grow) ** 2 * (spec.height_m + 2 * grow)

    n = estimate_tetrahedra(spec, size, wall)
    offset = 0.0
    for gap in gaps_m:
        h_gap = 0.5 * (min(wall, gap) + gap_size_m(size, wall, gap))
        n += 6.0 * (volume(offset + gap) - volume(offset)) / h_gap**3
        offset += gap
    if lab_m is not None:
        n += 6.0 * (volume(offset + lab_m) - volume(offset)) / size**3
    g = max((size - rim) / (RIM_GROWTH * size), 1e-3)
    for op in spec.openings:
        if isinstance(op, Door):
            rims = 0.0 if op.seam_m == 0 else 2 * (op.width_m + op.height_m) * (2 if op.seam_m else 1)
        else:
            rims = 2 * math.pi * op.radius_m * (2 if op.length_m > 0 else 1)
            n += 24.0 * 2 * math.pi * op.radius_m * op.length_m / rim**2  # the tube wall at rim size
        n += 6 * math.pi * rims * op.layers / (g**2 * rim)
    return n


def gap_size_m(size: float, wall: float, margin: float) -> float:
    """Element size in a closed gap far from the openings: GAP_SIZE_PER_WIDTH gap widths, between the wall
    and the bulk size. The potential is nearly uniform across a thin gap far from the openings (its field is
    parallel to the sheets), so elements flatter than the gap cost accuracy nowhere; at the inner sheet the room's
    wall size still holds, and at the rims the rim size (docs/openings.md, "Mesh")."""
    return min(size, max(wall, GAP_SIZE_PER_WIDTH * margin))


def outer_margin_m(spec) -> tuple[str, float]:
    """(region, thickness) of the outermost region: ("gap", the outermost meshed gap) or ("lab", lab_m, default
    half the room's largest dimension)."""
    gaps, lab_m = region_stack(spec)
    return ("lab", lab_m) if lab_m is not None else ("gap", gaps[-1])


def region_stack(spec) -> tuple[tuple, float | None]:
    """(the meshed gaps in m, the lab margin in m or None without a lab) of a room with openings
    (specs.openings.opening_stack: the gaps up to the outermost one an opening reaches)."""
    stack = opening_stack(spec.openings, getattr(spec, "gaps_m", ()))
    lab_m = (stack.lab_m if stack.lab_m is not None else 0.5 * spec.extent_m) if stack.lab else None
    return tuple(float(g) for g in stack.gaps_m), (None if lab_m is None else float(lab_m))


def mesh_open_room(spec, *, size_m=None, wall_size_m=None, opening_size_m=None, progress: Progress = QUIET,
                   use_cache: bool = True) -> OpenRoomMesh:
    """Mesh a box room with openings and its outer region; split the potential along the conductor sheets."""
    if not isinstance(spec, (BoxRoom, CylinderRoom)) or not spec.openings:
        raise SpecError("mesh_open_room needs a box or cylinder room with openings (box_room(..., openings=[...]))")
    size, wall = resolve_sizes(spec, size_m, wall_size_m)
    rim = resolve_opening_size(spec, wall, opening_size_m)
    lead, margin = outer_margin_m(spec)
    gaps, lab_m = region_stack(spec)
    n_est = estimate_elements(spec, size, wall, rim, gaps, lab_m)
    what = f"mesh.opening_size_m = {rim:g} m with mesh.size_m = {size:g} m (~{n_est:.1e} tetrahedra)"
    hint = "choose a larger mesh.opening_size_m (edge refinement) or mesh.size_m"
    require_memory(room_solve_bytes(n_est, 2), what, hint)
    key_data = {"spec": spec.spec_hash(), "shape": f"{spec.shape}_openings", "size": size, "wall": wall, "rim": rim,
                "gap_size_per_width": GAP_SIZE_PER_WIDTH, "rim_growth": RIM_GROWTH, "regions_recipe": 1}
    if any(_is_side_door(spec, op) for op in spec.openings):
        key_data["side_door_recipe"] = 1  # the sector construction (_side_door_sectors)
    names = spec.wall_names
    t0 = time.perf_counter()
    where = f"{len(gaps)} gap(s)" + (" and the lab" if lab_m is not None else "") if len(gaps) > 1 else lead
    with progress.step(f"meshing room with {len(spec.openings)} opening(s) into the {where} "
                       f"(size {size:g} m, walls {wall:g} m, rims {rim:g} m)") as info:
        key, from_cache, (raw, named, groups) = cached_mesh(
            f"{spec.shape}_openings", key_data, lambda g: _build(g, spec, size, wall, rim, gaps, lab_m), names=names,
            cell_tags=True, use_cache=use_cache, progress=progress)
        region = np.zeros(raw.t.shape[1], np.int64)
        for j, name in enumerate(region_names(gaps, lab_m)):
            region[groups[name]] = j
        mesh, walls, region, conductor, truncation, apertures = split_sheets(raw, named, region, spec,
                                                                             lab_m is not None)
        info["note"] = f"{mesh.t.shape[1]} tetrahedra{' (cached)' if from_cache else ''}"
    return OpenRoomMesh(mesh=mesh, walls=walls, size_m=size, wall_size_m=wall, geometric_order=1, key=key,
                        seconds=time.perf_counter() - t0, from_cache=from_cache, in_room=region == 0,
                        apertures=apertures, conductor_facets=conductor, truncation_facets=truncation, outer=lead,
                        outer_m=margin, opening_size_m=rim, region=region, gaps_m=gaps)


def region_names(gaps_m: tuple, lab_m: float | None) -> list[str]:
    """The volume groups, region by region: room, gap_1 .. gap_K, lab (when there is one)."""
    return ["room"] + [f"gap_{j}" for j in range(1, len(gaps_m) + 1)] + (["lab"] if lab_m is not None else [])


# -- geometry -------------------------------------------------------------------------------------------------------
def _point(spec, wall: str, u: float, v: float, w: float = 0.0, frames=None) -> np.ndarray:
    """Room-frame point at in-plane (u, v) of ``wall`` (of the room, or of an outer layer's frames) and w metres
    outside its plane."""
    fr = (frames or spec.opening_frames)[wall]
    if isinstance(fr, SideFrame):
        return fr.point(u, v, w)
    x = np.zeros(3)
    x[fr.k] = fr.sign * (fr.offset_m + w)
    x[fr.iu], x[fr.iv] = u, v
    return x


def _tube_axis(spec, op) -> tuple[np.ndarray, np.ndarray]:
    """(base point on the wall, outward unit direction) of a tube."""
    fr = spec.opening_frames[op.wall]
    if isinstance(fr, SideFrame):
        return fr.point(*op.center_m), fr.direction(op.center_m[0])
    return _point(spec, op.wall, *op.center_m), fr.sign * np.eye(3)[fr.k]


def _rect_loop(occ, spec, wall, cu, cv, eu, ev, frames=None) -> int:
    pts = [occ.addPoint(*_point(spec, wall, cu + a * eu, cv + b * ev, frames=frames))
           for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    lines = [occ.addLine(pts[i], pts[(i + 1) % 4]) for i in range(4)]
    return occ.addCurveLoop(lines)


def _side_sector(occ, fr: SideFrame, centre_s: float, centre_z: float, half_s: float, half_z: float,
                 depth_in: float, depth_out: float) -> int:
    """An annular sector round a curved-side rectangle: radii R - depth_in .. R + depth_out, the angles of
    centre_s -+ half_s (arc lengths), heights centre_z -+ half_z; its faces cut the side transversally along the
    rectangle's outline (a rectangle in the half-plane at the first angle, revolved about the axis; gmsh OCC tag)."""
    e_r, e_a = fr.direction(centre_s - half_s), np.eye(3)[fr.axis]
    corners = [(fr.radius_m + w) * e_r + z * e_a for w, z in ((-depth_in, centre_z - half_z),
                                                              (depth_out, centre_z - half_z),
                                                              (depth_out, centre_z + half_z),
                                                              (-depth_in, centre_z + half_z))]
    pts = [occ.addPoint(*c) for c in corners]
    loop = occ.addCurveLoop([occ.addLine(pts[i], pts[(i + 1) % 4]) for i in range(4)])
    rect = occ.addPlaneSurface([loop])
    made = occ.revolve([(2, rect)], 0.0, 0.0, 0.0, *e_a, 2 * half_s / fr.radius_m)
    return next(t for d, t in made if d == 3)


def _side_door_sectors(occ, spec, op, margin: float) -> list:
    """The door's sector (over the doorway) and, for a leaf with a seam, the leaf's sector inside it (tags)."""
    fr = spec.opening_frames[op.wall]
    depth_in, depth_out = min(0.5 * margin, 0.5 * fr.radius_m), 0.5 * margin
    eu, ev = op.half_extent_m
    out = [_side_sector(occ, fr, *op.center_m, eu, ev, depth_in, depth_out)]
    if op.seam_m:
        out.append(_side_sector(occ, fr, *op.center_m, eu - op.seam_m, ev - op.seam_m, depth_in, depth_out))
    return out


def _side_door_apertures(gmsh_, omap_door: list, omap_leaf, room_vols: set) -> list:
    """Aperture faces of a side door after the fragment: the faces between the door sector's room-side and outer
    pieces (the curved doorway patch), less those between the leaf sector's pieces (the leaf, a conductor)."""
    def crossing(pieces):
        inside = {t for d, t in pieces if d == 3 and t in room_vols}
        outside = {t for d, t in pieces if d == 3 and t not in room_vols}
        faces = set()
        for v in inside:
            for _, f in gmsh_.model.getBoundary([(3, v)], combined=False, oriented=False):
                up, _ = gmsh_.model.getAdjacencies(2, abs(f))
                if len(up) == 2 and {int(x) in outside for x in up} == {True, False}:
                    faces.add(abs(f))
        return faces

    faces = crossing(omap_door)
    if omap_leaf is not None:
        faces -= crossing(omap_leaf)
    return sorted(faces)


def _opening_entities(occ, spec, op, frames=None) -> tuple[list, list]:
    """(aperture surfaces, other entities (dim, tag)) of one opening in the room's wall or, with an outer layer's
    frames, in that layer's wall (the same outline projected outward), before the fragment (not side doors)."""
    frames = frames or spec.opening_frames
    fr = frames[op.wall]
    cu, cv = op.center_m
    if isinstance(fr, SideFrame):  # a radial cutter from just inside the curved wall to the tube's mouth
        base, normal = _tube_axis(spec, op)
        inset = min(op.radius_m, 0.25 * fr.radius_m)
        return [], [(3, occ.addCylinder(*(base - inset * normal), *(normal * (inset + op.length_m)), op.radius_m))]
    k, sign, iu = fr.k, fr.sign, fr.iu
    if isinstance(op, Door):
        eu, ev = op.half_extent_m
        outer = _rect_loop(occ, spec, op.wall, cu, cv, eu, ev, frames)
        if op.seam_m is None:
            return [(2, occ.addPlaneSurface([outer]))], []
        if op.seam_m == 0:
            return [], [(2, occ.addPlaneSurface([outer]))]  # a leaf with contact: wall all over
        s = op.seam_m
        inner = _rect_loop(occ, spec, op.wall, cu, cv, eu - s, ev - s, frames)
        return [(2, occ.addPlaneSurface([outer, inner]))], [(2, occ.addPlaneSurface([inner]))]
    c = _point(spec, op.wall, cu, cv, frames=frames)
    normal = sign * np.eye(3)[k]
    if op.length_m == 0:
        return [(2, occ.addDisk(*c, op.radius_m, op.radius_m, zAxis=list(normal), xAxis=list(np.eye(3)[iu])))], []
    return [], [(3, occ.addCylinder(*c, *(normal * op.length_m), op.radius_m))]


def _nested_volumes(occ, spec, gaps_m: tuple, lab_m: float | None) -> list[int]:
    """The room's volume, the walls of layers 2 .. K + 1 (the room grown by the cumulative gaps) and the lab's outer
    box (grown by lab_m beyond the last), innermost first (gmsh OCC tags). A cylinder takes one gap or the lab."""
    grow = list(np.cumsum(gaps_m)) if gaps_m else []
    if lab_m is not None:
        grow.append((grow[-1] if grow else 0.0) + lab_m)
    if isinstance(spec, BoxRoom):
        h = spec.half_m
        return [occ.addBox(*(-h - g), *(2 * (h + g))) for g in [0.0] + grow]
    e = np.eye(3)[spec.axis_index]
    half = 0.5 * spec.height_m
    return [occ.addCylinder(*(-(half + g) * e), *(2 * (half + g) * e), spec.radius_m + g) for g in [0.0] + grow]


def opening_geometry(spec) -> dict:
    """The joined CAD model of a room with openings, before meshing (gmsh OCC): {"area_m2": {group: area},
    "rim_m": {opening_i: length of the edges refined at the rim size}, "centre_m": {opening_i: the aperture's
    centre of mass}} (m^2, m). A side door's aperture is the curved patch, area R dtheta h (docs/openings.md)."""
    if not isinstance(spec, (BoxRoom, CylinderRoom)) or not spec.openings:
        raise SpecError("opening_geometry needs a box or cylinder room with openings")
    gaps, lab_m = region_stack(spec)
    with gmsh_session() as gmsh_:
        _, groups, rims = _geometry(gmsh_, spec, gaps, lab_m)
        occ = gmsh_.model.occ
        areas = {name: float(sum(occ.getMass(2, t) for t in tags)) for name, tags in groups.items()}
        lengths = {name: float(sum(occ.getMass(1, c) for c in curves)) for name, curves in rims.items()}
        centres = {name: (sum(occ.getMass(2, t) * np.array(occ.getCenterOfMass(2, t)) for t in tags)
                          / areas[name]).tolist() for name, tags in groups.items() if name.startswith("opening_")}
    return {"area_m2": areas, "rim_m": lengths, "centre_m": centres}


def _build(gmsh_, spec, size: float, wall: float, rim: float, gaps_m: tuple, lab_m: float | None) -> None:
    """Inside a gmsh session: room, gaps, lab, openings, physical groups, size fields, the mesh."""
    region, groups, rims = _geometry(gmsh_, spec, gaps_m, lab_m)
    names = region_names(gaps_m, lab_m)
    vols = {j: sorted(v for v, r in region.items() if r == j) for j in range(len(names))}
    for j, name in enumerate(names):
        gmsh_.model.addPhysicalGroup(3, vols[j], name=name)
    for name, tags in groups.items():
        gmsh_.model.addPhysicalGroup(2, tags, name=name)
    layer1 = [t for name, tags in groups.items() if name in spec.wall_names or name.startswith("tube_") for t in tags]
    tubes = [t for name, tags in groups.items() if name.startswith("tube_") for t in tags]
    rim_curves = sorted({c for curves in rims.values() for c in curves})
    zones = []  # (volumes or None, surfaces, size at them, size far from them, distance of the growth)
    wall_room = min(wall, gaps_m[0]) if gaps_m else wall
    grow_wall = 3.0 * size if wall_room < size else 1e-9
    if not gaps_m:  # the lab right outside the room: the wall size on both sides of its wall
        zones.append((None, layer1, wall_room, size, grow_wall))
    else:
        zones.append((vols[0], layer1, wall_room, size, grow_wall))
        for j, gap in enumerate(gaps_m, start=1):  # each gap: the wall size at its apertures, gap_size_m beyond
            w_j = min(wall, gap)
            apertures = [t for name, tags in groups.items() if name.startswith("opening_")
                         and _aperture_layer(name) in (j, j + 1) for t in tags]
            zones.append((vols[j], apertures, w_j, max(w_j, gap_size_m(size, w_j, gap)), RIM_GROWTH * size))
        if lab_m is not None:  # the lab side of the outermost layer at the wall size
            outermost = groups.get(f"layer{len(gaps_m) + 1}", [])
            zones.append((vols[len(gaps_m) + 1], outermost, wall, size, 3.0 * size if wall < size else 1e-9))
    _size_fields(gmsh_, zones, rim_curves, tubes, size, rim, spec)
    gmsh_.option.setNumber("Mesh.Algorithm3D", 10)  # HXT
    gmsh_.option.setNumber("Mesh.Optimize", 1)
    gmsh_.model.mesh.generate(3)
    old, new = gmsh_.model.mesh.computeRenumbering("Hilbert")
    gmsh_.model.mesh.renumberNodes(old, new)


def _aperture_layer(name: str) -> int:
    """The layer of an aperture group: opening_i (the room's wall, layer 1) or opening_i_layerj."""
    return int(name.rsplit("_layer", 1)[1]) if "_layer" in name else 1


def _geometry(gmsh_, spec, gaps_m: tuple, lab_m: float | None):
    """Room, gaps, lab and openings fragmented into one model: (region of each volume: 0 the room and the tube
    interiors, j the gap j, len(gaps_m) + 1 the lab; surface groups; rims: aperture group -> its boundary curves)."""
    occ = gmsh_.model.occ
    nested = _nested_volumes(occ, spec, gaps_m, lab_m)
    tools = [(3, v) for v in nested[:-1]]
    n_nested = len(tools)
    aperture_inputs = {}  # tool index -> (opening index, layer)
    side_doors = {}  # opening index -> tool indices of its door sector and leaf sector (or None)
    offsets = np.concatenate([[0.0], np.cumsum(gaps_m)]) if gaps_m else np.zeros(1)
    for i, op in enumerate(spec.openings):
        if _is_side_door(spec, op):
            sectors = _side_door_sectors(occ, spec, op, gaps_m[0] if gaps_m else lab_m)
            side_doors[i] = [len(tools) + k for k in range(len(sectors))] + [None] * (2 - len(sectors))
            tools.extend((3, t) for t in sectors)
            continue
        for layer in range(1, op.layers + 1):
            frames = None if layer == 1 else layer_frames(spec.opening_frames, float(offsets[layer - 1]))
            apert, other = _opening_entities(occ, spec, op, frames)
            for ent in apert:
                aperture_inputs[len(tools)] = (i, layer)
                tools.append(ent)
            tools.extend(other)
    _, omap = occ.fragment([(3, nested[-1])], tools)
    occ.synchronize()
    region = {}
    for j in range(len(nested) - 1, -1, -1):  # the innermost nested volume holding a piece names its region
        for d, t in (omap[0] if j == len(nested) - 1 else omap[1 + j]):
            if d == 3:
                region[t] = j
    sector_tools = {j for js in side_doors.values() for j in js if j is not None}
    for j, (dim, _) in enumerate(tools):
        if dim == 3 and j >= n_nested and j not in sector_tools:  # tube interiors belong to the room side
            region.update({t: 0 for d, t in omap[1 + j] if d == 3})
    room_vols = {v for v, r in region.items() if r == 0}
    aperture_of = {}
    for j, owner in aperture_inputs.items():
        for d, t in omap[1 + j]:
            if d == 2:
                aperture_of[t] = owner
    for i, (j_door, j_leaf) in side_doors.items():
        if spec.openings[i].is_open:  # a leaf with contact leaves the side whole
            for t in _side_door_apertures(gmsh_, omap[1 + j_door], None if j_leaf is None else omap[1 + j_leaf],
                                          room_vols):
                aperture_of[t] = (i, 1)
    groups: dict[str, list[int]] = {}
    tol = 1e-6 * spec.extent_m
    for _, s in gmsh_.model.getEntities(2):
        up, _ = gmsh_.model.getAdjacencies(2, s)
        up = [int(v) for v in up]
        if len(up) == 1:
            groups.setdefault("lab_boundary" if lab_m is not None else "outer_layer", []).append(s)
            continue
        inner, outer = sorted(region[v] for v in up)
        if inner == outer:
            continue  # inside one region (between the room and a tube interior, a side door's sector faces)
        if outer != inner + 1:
            raise RuntimeError(f"surface {s} joins regions {inner} and {outer}, which are not neighbours")
        if s in aperture_of:
            i, layer = aperture_of[s]
            name = f"opening_{i}" if layer == 1 else f"opening_{i}_layer{layer}"
        elif outer == 1:
            name = _classify_interface(spec, s, np.array(occ.getCenterOfMass(2, s)), tol)
        else:
            name = f"layer{outer}"
        groups.setdefault(name, []).append(s)
    rims = {name: sorted({abs(c) for _, c in gmsh_.model.getBoundary([(2, t) for t in tags], combined=True,
                                                                      oriented=False)})
            for name, tags in groups.items() if name.startswith("opening_")}  # internal curves (OCC seams) cancel
    return region, groups, rims


def _is_side_door(spec, op) -> bool:
    return isinstance(op, Door) and isinstance(spec.opening_frames[op.wall], SideFrame)


def _classify_interface(spec, tag: int, com: np.ndarray, tol: float) -> str:
    """Name of a surface between the room side and the first outer region that is not an aperture found from the
    fragment: a tube's far mouth (opening_i), a wall (a side door's leaf is the side), or tube_i."""
    frames = spec.opening_frames
    for i, op in enumerate(spec.openings):
        if isinstance(op, Tube) and (op.length_m > 0 or isinstance(frames[op.wall], SideFrame)):
            base, normal = _tube_axis(spec, op)
            d = com - base
            along = float(d @ normal)
            radial = float(np.linalg.norm(d - along * normal))
            if radial < op.radius_m and abs(along - op.length_m) < max(tol, 0.5 * op.radius_m**2 / spec.extent_m):
                return f"opening_{i}"  # the tube's far mouth (a side hole: the curved patch itself)
            if op.length_m > 0 and tol < along < op.length_m + tol and radial < op.radius_m * 1.01:
                return f"tube_{i}"
    for name, fr in frames.items():
        if not isinstance(fr, SideFrame) and abs(com[fr.k] - fr.sign * fr.offset_m) < tol:
            return name
    if isinstance(spec, CylinderRoom):
        return "side"
    raise RuntimeError(f"surface {tag} at {com.tolist()} is neither a wall, a tube nor an opening")


def _size_fields(gmsh_, zones, rims, tubes, size, rim, spec) -> None:
    """Min of the thresholds: per zone (volumes or None for everywhere, surfaces, size at them, size far from them,
    growth distance) the size grows linearly away from its surfaces, restricted to its volumes (their boundary
    included); the room: the wall size at its walls; a gap: the wall size at its apertures, gap_size_m beyond; the
    rim size at the opening edges and on the tube walls (linear growth to the bulk size over RIM_GROWTH bulk
    sizes) everywhere."""
    f = gmsh_.model.mesh.field
    fields = []
    for volumes, surfaces, s_min, s_max, grow in zones:
        d = f.add("Distance")
        f.setNumbers(d, "SurfacesList", surfaces)
        f.setNumber(d, "Sampling", int(min(400, max(20, math.ceil(2 * spec.extent_m / s_min)))))
        t = f.add("Threshold")
        for k, v in (("InField", d), ("SizeMin", s_min), ("SizeMax", s_max), ("DistMin", 0.0), ("DistMax", grow)):
            f.setNumber(t, k, v)
        fields.append(t if volumes is None else _restricted(f, t, volumes))
    sources = []
    if rims:
        d_rim = f.add("Distance")
        f.setNumbers(d_rim, "CurvesList", rims)
        f.setNumber(d_rim, "Sampling", int(min(2000, max(20, math.ceil(2 * spec.extent_m / rim)))))
        sources.append(d_rim)
    if tubes:  # sampled per surface direction: a few points per rim size along the tube
        longest = max(max(2 * math.pi * op.radius_m, op.length_m) for op in spec.openings if isinstance(op, Tube))
        d_tube = f.add("Distance")
        f.setNumbers(d_tube, "SurfacesList", tubes)
        f.setNumber(d_tube, "Sampling", int(min(200, max(10, math.ceil(2 * longest / rim)))))
        sources.append(d_tube)
    for src in sources:
        t_rim = f.add("Threshold")
        for k, v in (("InField", src), ("SizeMin", rim), ("SizeMax", size), ("DistMin", 0.5 * rim),
                     ("DistMax", RIM_GROWTH * size)):
            f.setNumber(t_rim, k, v)
        fields.append(t_rim)
    both = f.add("Min")
    f.setNumbers(both, "FieldsList", fields)
    f.setAsBackgroundMesh(both)
    for option in ("Mesh.MeshSizeExtendFromBoundary", "Mesh.MeshSizeFromPoints", "Mesh.MeshSizeFromCurvature"):
        gmsh_.option.setNumber(option, 0)


# -- the sheets ---------------------------------------------------------------------------------------------------------
def _restricted(f, field: int, volumes) -> int:
    """The field inside the volumes and on their boundary, MAX_LC elsewhere (gmsh's Restrict)."""
    r = f.add("Restrict")
    f.setNumber(r, "InField", field)
    f.setNumbers(r, "VolumesList", list(volumes))
    f.setNumber(r, "IncludeBoundary", 1)
    return r


def split_sheets(mesh, named: dict, region: np.ndarray, spec, lab: bool):
    """Duplicate each layer's sheet vertices (not those on an aperture's rim) for the tetrahedra outside that layer.

    region: (n_elements,) int, 0 the room, j the gap j, the last the lab (when lab). Layer 1's sheets are the room's
    walls and the tube walls; layer j >= 2 the group layerj. Returns (mesh, walls, region, conductor facets,
    truncation facets, apertures): walls maps the closed room's wall names (room side), tube_i, layerj (inner side),
    outer_side (the outer side of every sheet) and outer_layer / lab_boundary to facet indices of the new mesh.
    """
    def layer_of(name: str) -> int:
        return int(name[len("layer"):]) if name.startswith("layer") else 1

    sheet_names = [n for n in named if n in spec.wall_names or n.startswith("tube_")
                   or (n.startswith("layer") and n[len("layer"):].isdigit())]
    aperture_names = [n for n in named if n.startswith("opening_")]
    sheet_tri = {n: mesh.facets[:, named[n]].T for n in sheet_names}
    rim_v = np.unique(np.concatenate([mesh.facets[:, named[n]].ravel() for n in aperture_names])) \
        if aperture_names else np.array([], int)
    p, t = mesh.p, mesh.t.copy()
    ext = "lab_boundary" if lab else "outer_layer"
    ext_tri = mesh.facets[:, named[ext]].T
    outer_sides = []
    for layer in sorted({layer_of(n) for n in sheet_names}):
        tri = np.concatenate([sheet_tri[n] for n in sheet_names if layer_of(n) == layer])
        dup = np.setdiff1d(np.unique(tri), rim_v)
        nv = p.shape[1]
        new_id = np.arange(nv)
        new_id[dup] = nv + np.arange(len(dup))
        p = np.hstack([p, p[:, dup]])
        outside = region >= layer
        t[:, outside] = new_id[t[:, outside]]
        outer_sides.append(new_id[tri])
        ext_tri = new_id[ext_tri]
    out = MeshTet1(np.ascontiguousarray(p), np.ascontiguousarray(t))
    fast_topology(out)
    queries = dict(sheet_tri)
    queries["outer_side"] = np.concatenate(outer_sides)
    queries[ext] = ext_tri
    queries.update({n: mesh.facets[:, named[n]].T for n in aperture_names})
    found = np.split(facet_indices(out, np.concatenate(list(queries.values()))),
                     np.cumsum([len(q) for q in queries.values()])[:-1])  # one sorted search for all groups
    walls = {n: np.sort(f) for n, f in zip(queries, found) if n not in aperture_names}
    apertures = {n: np.sort(f) for n, f in zip(queries, found) if n in aperture_names}
    for n in spec.wall_names:
        walls.setdefault(n, np.array([], np.int64))
    boundary = out.boundary_facets()
    truncation = walls[ext] if lab else np.array([], np.int64)
    conductor = np.setdiff1d(boundary, truncation)
    expected = sum(len(v) for k, v in walls.items() if k != "outer_side") + len(walls["outer_side"])
    if len(boundary) != expected:
        raise RuntimeError(f"sheet split left {len(boundary)} boundary facets, expected {expected}")
    return out, walls, region, conductor, truncation, apertures
