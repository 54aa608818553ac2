"""Meshes of box rooms with openings: the room, its doors and tubes, and the outer region they lead to (gmsh OCC).

The joined air domain is the room (with the tube interiors) plus the outer region: the gap to the next layer (a
closed shell of thickness gap_m around the room) or a truncated lab (the room's box grown by lab_m). The room's
wall is a zero-thickness perfect conductor: a sheet of facets between the room and the outer region, with the
openings cut out of it. After meshing, the vertices on a sheet (except those on an opening's rim, where the sheet
ends) are duplicated for the outer region's tetrahedra, so the potential may jump across the sheet and each side
carries its own Neumann data (docs/openings.md). The element size shrinks to ``opening_size_m`` at the rims,
where the field is singular (~ r^-1/2 at the edge of a thin sheet).

Named facets: the room side of each wall keeps the closed room's names (x_min ... ceiling), ``tube_i`` the inside
of tube i, ``opening_i`` the (interior) aperture facets of opening i, ``outer_side`` the outer side of every sheet,
``outer_layer`` the next layer (gap) or ``lab_boundary`` the truncation of the lab.
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
from amails_fem.specs.openings import Door, SideFrame, Tube, outer_region
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
    outer: str = "gap"
    outer_m: float = 0.0  # gap thickness or lab margin (m)
    opening_size_m: float = 0.0


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


def estimate_elements(spec, size: float, wall: float, rim: float, lead: str, margin: float) -> float:
    """Tetrahedra of a room with openings, before meshing: the room (meshing.rooms.estimate_tetrahedra), the outer region
    (the gap at its wall size, the lab at the bulk size) and the rim refinement, ~6 pi P / (g^2 r) per rim of
    length P at size r growing at slope g = (size - r) / (RIM_GROWTH size) (integrated over the refined tube round it)."""
    if isinstance(spec, BoxRoom):
        inner, outer = float(np.prod(2 * spec.half_m)), float(np.prod(2 * (spec.half_m + margin)))
    else:
        inner = math.pi * spec.radius_m**2 * spec.height_m
        outer = math.pi * (spec.radius_m + margin) ** 2 * (spec.height_m + 2 * margin)
    h_out = 0.5 * (min(wall, margin) + gap_size_m(size, wall, margin)) if lead == "gap" else size
    n = estimate_tetrahedra(spec, size, wall)
    n += 6.0 * (outer - inner) / h_out**3
    g = max((size - rim) / (RIM_GROWTH * size), 1e-3)
    for op in spec.openings:
        if isinstance(op, Door):
            rims = 0.0 if op.seam_m == 0 else 2 * (op.width_m + op.height_m) * (2 if op.seam_m else 1)
        else:
            rims = 2 * math.pi * op.radius_m * (2 if op.length_m > 0 else 1)
            n += 24.0 * 2 * math.pi * op.radius_m * op.length_m / rim**2  # the tube wall at rim size
        n += 6 * math.pi * rims / (g**2 * rim)
    return n


def gap_size_m(size: float, wall: float, margin: float) -> float:
    """Element size in a closed gap far from the openings: GAP_SIZE_PER_WIDTH gap widths, between the wall
    and the bulk size. The potential is nearly uniform across a thin gap far from the openings (its field is
    parallel to the sheets), so elements flatter than the gap cost accuracy nowhere; at the inner sheet the room's
    wall size still holds, and at the rims the rim size (docs/openings.md, "Mesh")."""
    return min(size, max(wall, GAP_SIZE_PER_WIDTH * margin))


def outer_margin_m(spec) -> tuple[str, float]:
    """(region, thickness): ("gap", gap_m) or ("lab", lab_m, default half the room's largest dimension)."""
    lead, margin = outer_region(spec.openings)
    return lead, float(margin if margin is not None else 0.5 * spec.extent_m)


def mesh_open_room(spec, *, size_m=None, wall_size_m=None, opening_size_m=None, progress: Progress = QUIET,
                   use_cache: bool = True) -> OpenRoomMesh:
    """Mesh a box room with openings and its outer region; split the potential along the conductor sheets."""
    if not isinstance(spec, (BoxRoom, CylinderRoom)) or not spec.openings:
        raise SpecError("mesh_open_room needs a box or cylinder room with openings (box_room(..., openings=[...]))")
    size, wall = resolve_sizes(spec, size_m, wall_size_m)
    rim = resolve_opening_size(spec, wall, opening_size_m)
    lead, margin = outer_margin_m(spec)
    n_est = estimate_elements(spec, size, wall, rim, lead, margin)
    what = f"mesh.opening_size_m = {rim:g} m with mesh.size_m = {size:g} m (~{n_est:.1e} tetrahedra)"
    hint = "choose a larger mesh.opening_size_m (edge refinement) or mesh.size_m"
    require_memory(room_solve_bytes(n_est, 2), what, hint)
    key_data = {"spec": spec.spec_hash(), "shape": f"{spec.shape}_openings", "size": size, "wall": wall, "rim": rim,
                "gap_size_per_width": GAP_SIZE_PER_WIDTH, "rim_growth": RIM_GROWTH}
    if any(_is_side_door(spec, op) for op in spec.openings):
        key_data["side_door_recipe"] = 1  # the sector construction (_side_door_sectors)
    names = spec.wall_names
    t0 = time.perf_counter()
    with progress.step(f"meshing room with {len(spec.openings)} opening(s) into the {lead} "
                       f"(size {size:g} m, walls {wall:g} m, rims {rim:g} m)") as info:
        key, from_cache, (raw, named, groups) = cached_mesh(
            f"{spec.shape}_openings", key_data, lambda g: _build(g, spec, size, wall, rim, lead, margin), names=names,
            cell_tags=True, use_cache=use_cache, progress=progress)
        mesh, walls, in_room, conductor, truncation, apertures = split_sheets(raw, named, groups["room"], spec, lead)
        info["note"] = f"{mesh.t.shape[1]} tetrahedra{' (cached)' if from_cache else ''}"
    return OpenRoomMesh(mesh=mesh, walls=walls, size_m=size, wall_size_m=wall, geometric_order=1, key=key,
                        seconds=time.perf_counter() - t0, from_cache=from_cache, in_room=in_room, apertures=apertures,
                        conductor_facets=conductor, truncation_facets=truncation, outer=lead, outer_m=margin,
                        opening_size_m=rim)


# -- geometry -------------------------------------------------------------------------------------------------------
def _point(spec, wall: str, u: float, v: float, w: float = 0.0) -> np.ndarray:
    """Room-frame point at in-plane (u, v) of ``wall`` and w metres outside its plane."""
    fr = spec.opening_frames[wall]
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


def _rect_loop(occ, spec, wall, cu, cv, eu, ev) -> int:
    pts = [occ.addPoint(*_point(spec, wall, cu + a * eu, cv + b * ev)) for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
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


def _opening_entities(occ, spec, op) -> tuple[list, list]:
    """(aperture surfaces, other entities (dim, tag)) of one opening, before the fragment (not side doors)."""
    fr = spec.opening_frames[op.wall]
    cu, cv = op.center_m
    if isinstance(fr, SideFrame):  # a radial cutter from just inside the curved wall to the tube's mouth
        base, normal = _tube_axis(spec, op)
        inset = min(op.radius_m, 0.25 * fr.radius_m)
        return [], [(3, occ.addCylinder(*(base - inset * normal), *(normal * (inset + op.length_m)), op.radius_m))]
    k, sign, iu = fr.k, fr.sign, fr.iu
    if isinstance(op, Door):
        eu, ev = op.half_extent_m
        outer = _rect_loop(occ, spec, op.wall, cu, cv, eu, ev)
        if op.seam_m is None:
            return [(2, occ.addPlaneSurface([outer]))], []
        if op.seam_m == 0:
            return [], [(2, occ.addPlaneSurface([outer]))]  # a leaf with contact: wall all over
        s = op.seam_m
        inner = _rect_loop(occ, spec, op.wall, cu, cv, eu - s, ev - s)
        return [(2, occ.addPlaneSurface([outer, inner]))], [(2, occ.addPlaneSurface([inner]))]
    c = _point(spec, op.wall, cu, cv)
    normal = sign * np.eye(3)[k]
    if op.length_m == 0:
        return [(2, occ.addDisk(*c, op.radius_m, op.radius_m, zAxis=list(normal), xAxis=list(np.eye(3)[iu])))], []
    return [], [(3, occ.addCylinder(*c, *(normal * op.length_m), op.radius_m))]


def _room_and_outer(occ, spec, margin: float) -> tuple[int, int]:
    """The room's volume and the outer box or cylinder grown by margin on every side (gmsh OCC tags)."""
    if isinstance(spec, BoxRoom):
        h = spec.half_m
        return occ.addBox(*(-h), *(2 * h)), occ.addBox(*(-h - margin), *(2 * (h + margin)))
    e = np.eye(3)[spec.axis_index]
    half = 0.5 * spec.height_m
    room = occ.addCylinder(*(-half * e), *(2 * half * e), spec.radius_m)
    outer = occ.addCylinder(*(-(half + margin) * e), *(2 * (half + margin) * e), spec.radius_m + margin)
    return room, outer


def opening_geometry(spec) -> dict:
    """The joined CAD model of a room with openings, before meshing (gmsh OCC): {"area_m2": {group: area},
    "rim_m": {opening_i: length of the edges refined at the rim size}, "centre_m": {opening_i: the aperture's
    centre of mass}} (m^2, m). A side door's aperture is the curved patch, area R dtheta h (docs/openings.md)."""
    if not isinstance(spec, (BoxRoom, CylinderRoom)) or not spec.openings:
        raise SpecError("opening_geometry needs a box or cylinder room with openings")
    lead, margin = outer_margin_m(spec)
    with gmsh_session() as gmsh_:
        _, _, groups, rims = _geometry(gmsh_, spec, lead, margin)
        occ = gmsh_.model.occ
        areas = {name: float(sum(occ.getMass(2, t) for t in tags)) for name, tags in groups.items()}
        lengths = {name: float(sum(occ.getMass(1, c) for c in curves)) for name, curves in rims.items()}
        centres = {name: (sum(occ.getMass(2, t) * np.array(occ.getCenterOfMass(2, t)) for t in tags)
                          / areas[name]).tolist() for name, tags in groups.items() if name.startswith("opening_")}
    return {"area_m2": areas, "rim_m": lengths, "centre_m": centres}


def _build(gmsh_, spec, size: float, wall: float, rim: float, lead: str, margin: float) -> None:
    """Inside a gmsh session: room, outer region, openings, physical groups, size fields, the mesh."""
    room_vols, outer_vols, groups, rims = _geometry(gmsh_, spec, lead, margin)
    gmsh_.model.addPhysicalGroup(3, sorted(room_vols), name="room")
    gmsh_.model.addPhysicalGroup(3, sorted(outer_vols), name="outer")
    for name, tags in groups.items():
        gmsh_.model.addPhysicalGroup(2, tags, name=name)
    sheets = [t for name, tags in groups.items() if not name.startswith("opening_") and name != "lab_boundary"
              for t in tags]
    tubes = [t for name, tags in groups.items() if name.startswith("tube_") for t in tags]
    wall_eff = min(wall, margin) if lead == "gap" else wall
    rim_curves = sorted({c for curves in rims.values() for c in curves})
    apertures = [t for name, tags in groups.items() if name.startswith("opening_") for t in tags]
    gap = (sorted(outer_vols), gap_size_m(size, wall_eff, margin), apertures) if lead == "gap" else None
    room_sheets = [t for name, tags in groups.items() if name not in ("outer_layer", "lab_boundary")
                   and not name.startswith("opening_") for t in tags]
    _size_fields(gmsh_, room_sheets if gap else sheets, rim_curves, tubes, size, wall_eff, rim, spec,
                 room=sorted(room_vols), gap=gap)
    gmsh_.option.setNumber("Mesh.Algorithm3D", 10)  # HXT
    gmsh_.option.setNumber("Mesh.Optimize", 1)
    gmsh_.model.mesh.generate(3)
    old, new = gmsh_.model.mesh.computeRenumbering("Hilbert")
    gmsh_.model.mesh.renumberNodes(old, new)


def _geometry(gmsh_, spec, lead: str, margin: float):
    """Room, outer region and openings fragmented into one model: (room volumes, outer volumes, surface groups,
    rims: opening_i -> the boundary curves of its aperture)."""
    occ = gmsh_.model.occ
    room, outer = _room_and_outer(occ, spec, margin)
    tools, owners = [(3, room)], [None]
    aperture_inputs = {}
    side_doors = {}  # opening index -> tool indices of its door sector and leaf sector (or None)
    for i, op in enumerate(spec.openings):
        if _is_side_door(spec, op):
            sectors = _side_door_sectors(occ, spec, op, margin)
            side_doors[i] = [len(tools) + k for k in range(len(sectors))] + [None] * (2 - len(sectors))
            tools.extend((3, t) for t in sectors)
            owners.extend([i] * len(sectors))
            continue
        apert, other = _opening_entities(occ, spec, op)
        for ent in apert:
            aperture_inputs[len(tools)] = i
            tools.append(ent)
            owners.append(i)
        for ent in other:
            tools.append(ent)
            owners.append(i)
    _, omap = occ.fragment([(3, outer)], tools)
    occ.synchronize()
    room_vols = {t for d, t in omap[1] if d == 3}
    sector_tools = {j for js in side_doors.values() for j in js if j is not None}
    for j, (dim, _) in enumerate(tools):
        if dim == 3 and j > 0 and j not in sector_tools:  # tube interiors belong to the room side
            room_vols |= {t for d, t in omap[1 + j] if d == 3}
    all_vols = {t for _, t in gmsh_.model.getEntities(3)}
    outer_vols = all_vols - room_vols
    aperture_of = {}
    for j, i in aperture_inputs.items():
        for d, t in omap[1 + j]:
            if d == 2:
                aperture_of[t] = i
    for i, (j_door, j_leaf) in side_doors.items():
        if spec.openings[i].is_open:  # a leaf with contact leaves the side whole
            for t in _side_door_apertures(gmsh_, omap[1 + j_door], None if j_leaf is None else omap[1 + j_leaf],
                                          room_vols):
                aperture_of[t] = i
    groups: dict[str, list[int]] = {}
    tol = 1e-6 * spec.extent_m
    for _, s in gmsh_.model.getEntities(2):
        up, _ = gmsh_.model.getAdjacencies(2, s)
        up = [int(v) for v in up]
        if len(up) == 1:
            groups.setdefault("lab_boundary" if lead == "lab" else "outer_layer", []).append(s)
            continue
        sides = {v in room_vols for v in up}
        if sides != {True, False}:
            continue  # between the room and a tube interior: not a boundary
        com = np.array(occ.getCenterOfMass(2, s))
        name = _classify_interface(spec, s, com, aperture_of, tol)
        groups.setdefault(name, []).append(s)
    rims = {name: sorted({abs(c) for _, c in gmsh_.model.getBoundary([(2, t) for t in tags], combined=True,
                                                                      oriented=False)})
            for name, tags in groups.items() if name.startswith("opening_")}  # internal curves (OCC seams) cancel
    return room_vols, outer_vols, groups, rims


def _is_side_door(spec, op) -> bool:
    return isinstance(op, Door) and isinstance(spec.opening_frames[op.wall], SideFrame)


def _classify_interface(spec, tag: int, com: np.ndarray, aperture_of: dict, tol: float) -> str:
    """Name of a surface between the room side and the outer region: opening_i (aperture, including a side door's
    curved patch, found from the fragment), a wall (a side door's leaf is the side), or tube_i."""
    if tag in aperture_of:
        return f"opening_{aperture_of[tag]}"
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


def _size_fields(gmsh_, sheets, rims, tubes, size, wall, rim, spec, room=None, gap=None) -> None:
    """Min of the thresholds: wall size at the conductor sheets, rim size at the opening edges and on the tube
    walls (linear growth to the bulk size over RIM_GROWTH bulk sizes). gap = (volumes, size, aperture surfaces):
    the wall threshold then acts in the room volumes only (their boundary included), and in the gap the size grows
    from the wall size at the apertures to gap_size_m over the same distance."""
    f = gmsh_.model.mesh.field
    d_wall = f.add("Distance")
    f.setNumbers(d_wall, "SurfacesList", sheets)
    f.setNumber(d_wall, "Sampling", int(min(400, max(20, math.ceil(2 * spec.extent_m / wall)))))
    t_wall = f.add("Threshold")
    for k, v in (("InField", d_wall), ("SizeMin", wall), ("SizeMax", size), ("DistMin", 0.0),
                 ("DistMax", 3.0 * size if wall < size else 1e-9)):
        f.setNumber(t_wall, k, v)
    fields = [t_wall]
    if gap is not None:
        fields = [_restricted(f, t_wall, room)]
        d_ap = f.add("Distance")
        f.setNumbers(d_ap, "SurfacesList", gap[2])
        f.setNumber(d_ap, "Sampling", int(min(400, max(20, math.ceil(2 * spec.extent_m / wall)))))
        t_gap = f.add("Threshold")
        for k, v in (("InField", d_ap), ("SizeMin", wall), ("SizeMax", max(wall, gap[1])), ("DistMin", 0.0),
                     ("DistMax", RIM_GROWTH * size)):
            f.setNumber(t_gap, k, v)
        fields.append(_restricted(f, t_gap, gap[0]))
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


def split_sheets(mesh, named: dict, in_room: np.ndarray, spec, lead: str):
    """Duplicate the sheet vertices (not those on an opening's rim) for the outer region's tetrahedra.

    Returns (mesh, walls, in_room, conductor facets, truncation facets, apertures): walls maps the closed room's wall
    names (room side), tube_i and outer_side (the outer side of every sheet) and outer_layer / lab_boundary to
    facet indices of the new mesh.
    """
    sheet_names = [n for n in named if n in spec.wall_names or n.startswith("tube_")]
    aperture_names = [n for n in named if n.startswith("opening_")]
    sheet_tri = {n: mesh.facets[:, named[n]].T for n in sheet_names}
    sheet_v = np.unique(np.concatenate([t.ravel() for t in sheet_tri.values()]))
    rim_v = np.unique(np.concatenate([mesh.facets[:, named[n]].ravel() for n in aperture_names])) \
        if aperture_names else np.array([], int)
    dup = np.setdiff1d(sheet_v, rim_v)
    nv = mesh.p.shape[1]
    new_id = np.arange(nv)
    new_id[dup] = nv + np.arange(len(dup))
    p = np.hstack([mesh.p, mesh.p[:, dup]])
    t = mesh.t.copy()
    t[:, ~in_room] = new_id[t[:, ~in_room]]
    out = MeshTet1(np.ascontiguousarray(p), np.ascontiguousarray(t))
    fast_topology(out)
    ext = "lab_boundary" if lead == "lab" else "outer_layer"
    queries = dict(sheet_tri)
    queries["outer_side"] = new_id[np.concatenate(list(sheet_tri.values()))]
    queries[ext] = new_id[mesh.facets[:, named[ext]].T]
    queries.update({n: mesh.facets[:, named[n]].T for n in aperture_names})
    found = np.split(facet_indices(out, np.concatenate(list(queries.values()))),
                     np.cumsum([len(q) for q in queries.values()])[:-1])  # one sorted search for all groups
    walls = {n: np.sort(f) for n, f in zip(queries, found) if n not in aperture_names}
    apertures = {n: np.sort(f) for n, f in zip(queries, found) if n in aperture_names}
    for n in spec.wall_names:
        walls.setdefault(n, np.array([], np.int64))
    boundary = out.boundary_facets()
    truncation = walls[ext] if lead == "lab" else np.array([], np.int64)
    conductor = np.setdiff1d(boundary, truncation)
    expected = sum(len(v) for k, v in walls.items() if k != "outer_side") + len(walls["outer_side"])
    if len(boundary) != expected:
        raise RuntimeError(f"sheet split left {len(boundary)} boundary facets, expected {expected}")
    return out, walls, in_room, conductor, truncation, apertures
