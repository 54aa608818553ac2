"""Room meshes: gmsh (OCC) builders with named walls, refined toward the walls, cached by content hash.

Curved rooms meshed for P2 get second-order (tet10, curved) elements; flat-walled rooms keep affine tets (exact
geometry, cheaper mapping). The element size shrinks from size_m in the bulk to wall_size_m at the walls, where the
signal lives. Coordinates in metres, rooms centred at the origin (amails_fem/specs/rooms.py).
"""

from __future__ import annotations

import math
import time

import gmsh
import numpy as np

from amails_fem.errors import SpecError
from amails_fem.log import QUIET, Progress
from amails_fem.memory import require_memory
from amails_fem.meshing.cache import cached_mesh
from amails_fem.meshing.room_mesh import WALL_GROWTH, RoomMesh, size_at_distance_m  # noqa: F401 (public here too)
from amails_fem.meshing.session import refine_towards
from amails_fem.meshing.structured import box_tet_mesh
from amails_fem.specs.rooms import (
    AXES,
    BoxRoom,
    CylinderRoom,
    EllipsoidRoom,
    RoomBase,
    SphereRoom,
    check_mesh_generator,
)
from amails_fem.validate import require_option, require_positive

TETS_PER_H3 = 6.0  # tetrahedra per h^3 of volume for a target edge length h (a cube cut into 6 tets)
# Peak memory of a room solve (meshing, assembly, AMG, three CG solves, wall maps, VTU and PNG writers): measured
# peak RSS of `amails-fem room` on the AMAILS room, one process per mesh (docs/reliability.md): P2 0.51 / 1.11 /
# 2.33 GB at 5.3e4 / 3.2e5 / 7.2e5 DOFs (2.3-3.0 kB per added P2 DOF); P1 0.99 / 3.10 GB at 9.9e4 / 3.5e5 DOFs
# (8.4 kB per added P1 DOF: the mesh, not the solve, dominates at P1). DOFs per tetrahedron: P2 1.52, P1 0.20.
BYTES_PER_DOF = {2: 3.0e3, 1: 8.5e3}
DOFS_PER_TET = {2: 1.52, 1: 0.20}
FIXED_BYTES = 0.35e9  # the process with numpy, scipy, scikit-fem, gmsh, pyamg, matplotlib and VTK loaded
MESH_THREADS = 1  # gmsh threads for room meshes: 2 threads make HXT non-deterministic (a re-mesh differs), so 1 keeps runs bit-reproducible (docs/performance.md)


def inner_volume_m3(spec: RoomBase, d_m) -> np.ndarray:
    """Volume (m^3) of the points deeper than d_m from the walls (box, cylinder, sphere exact; ellipsoid: the
    ellipsoid with every semi-axis shortened by d, close to the true inner parallel body for d << the axes)."""
    d = np.asarray(d_m, float)
    if isinstance(spec, BoxRoom):
        lx, ly, lz = 2 * spec.half_m
        return np.clip(lx - 2 * d, 0, None) * np.clip(ly - 2 * d, 0, None) * np.clip(lz - 2 * d, 0, None)
    if isinstance(spec, CylinderRoom):
        return math.pi * np.clip(spec.radius_m - d, 0, None) ** 2 * np.clip(spec.height_m - 2 * d, 0, None)
    if isinstance(spec, SphereRoom):
        return 4.0 / 3.0 * math.pi * np.clip(spec.radius_m - d, 0, None) ** 3
    if isinstance(spec, EllipsoidRoom):
        return 4.0 / 3.0 * math.pi * np.prod([np.clip(a - d, 0, None) for a in (spec.ax_m, spec.ay_m, spec.az_m)],
                                             axis=0)
    raise TypeError(f"no volume model for {type(spec).__name__}")


def estimate_tetrahedra(spec: RoomBase, size_m: float, wall_size_m: float, n_shells: int = 400) -> float:
    """Expected tetrahedra: the element density TETS_PER_H3 / h(x)^3 of the requested size field integrated over
    the room, in shells of equal distance to the walls (midpoint rule, walls included; the bulk beyond the
    growth layer in one piece). Checked against gmsh counts in tests/meshing/test_memory_guard.py."""
    d_far = WALL_GROWTH * size_m if wall_size_m < size_m else 0.0
    edges = np.linspace(0.0, d_far, n_shells + 1)
    vol = inner_volume_m3(spec, edges)
    vol[0] = spec.volume_m3  # the exact volume (the ellipsoid's shortened axes at d = 0 are exact too)
    shells = vol[:-1] - vol[1:]
    h = size_at_distance_m(0.5 * (edges[:-1] + edges[1:]), size_m, wall_size_m)
    return float(TETS_PER_H3 * (np.sum(shells / h**3) + vol[-1] / size_m**3))


def room_solve_bytes(n_tets: float, order: int) -> float:
    """Peak bytes of a room solve with n_tets tetrahedra at element order 1 or 2 (BYTES_PER_DOF, measured)."""
    return FIXED_BYTES + n_tets * DOFS_PER_TET[order] * BYTES_PER_DOF[order]


def resolve_sizes(spec: RoomBase, size_m=None, wall_size_m=None, order: int = 2) -> tuple[float, float]:
    """Bulk and wall element sizes (m): arguments, else the spec's [mesh], else L/12 and half of that. Refuses a
    mesh whose solve would not fit in memory (amails_fem.memory), before any meshing."""
    size = require_positive(size_m if size_m is not None else spec.default_mesh_size_m(), "mesh.size_m")
    wall = wall_size_m if wall_size_m is not None else spec.mesh.wall_size_m
    wall = require_positive(wall if wall is not None else 0.5 * size, "mesh.wall_size_m")
    if wall > size:
        raise SpecError(f"mesh.wall_size_m ({wall} m) must not exceed mesh.size_m ({size} m)")
    if size > spec.extent_m:
        raise SpecError(f"mesh.size_m must be at most the room's largest dimension {spec.extent_m:g} m; got {size}")
    n_est = estimate_tetrahedra(spec, size, wall)
    require_memory(room_solve_bytes(n_est, order),
                   f"a P{order} room solve with mesh.size_m = {size:g} m, mesh.wall_size_m = {wall:g} m "
                   f"(~{n_est:.2g} tetrahedra)", "choose a larger mesh.size_m / mesh.wall_size_m")
    return size, wall


def mesh_room(spec: RoomBase, *, size_m=None, wall_size_m=None, order: int = 2, progress: Progress = QUIET,
              use_cache: bool = True, generator: str | None = None) -> RoomMesh:
    """Mesh a room: tagged walls, refined toward them, curved (tet10) when order == 2 and the room is curved.

    generator (default: the spec's mesh.generator): "gmsh", cached by content hash; or "structured" for a box room
    without openings (meshing/structured.py: a graded grid cut into tetrahedra, no gmsh, not cached since building
    it is faster than reading a cached file)."""
    require_option(order, "order", (1, 2))
    generator = check_mesh_generator(spec, spec.mesh.generator if generator is None else generator)
    size, wall = resolve_sizes(spec, size_m, wall_size_m, order)
    if generator == "structured":
        with progress.step(f"meshing box room on a graded grid (size {size:g} m, walls {wall:g} m)") as info:
            rm = box_tet_mesh(spec, size, wall)
            info["note"] = f"{rm.n_elements} tetrahedra"
        return rm
    geometric_order = 2 if (order == 2 and spec.curved) else 1
    key_data = {"spec": spec.spec_hash(), "shape": spec.shape, "size": size, "wall": wall, "gorder": geometric_order}
    t0 = time.perf_counter()
    with progress.step(f"meshing {spec.shape} room (size {size:g} m, walls {wall:g} m)") as info:
        key, from_cache, (skmesh, walls) = cached_mesh(
            spec.shape, key_data, lambda g: _build_room_mesh(g, spec, size, wall, geometric_order),
            names=spec.wall_names, use_cache=use_cache, progress=progress, threads=MESH_THREADS)
        info["note"] = f"{skmesh.t.shape[1]} tetrahedra{' (cached)' if from_cache else ''}"
    return RoomMesh(mesh=skmesh, walls=walls, size_m=size, wall_size_m=wall, geometric_order=geometric_order,
                    key=key, seconds=time.perf_counter() - t0, from_cache=from_cache)


def _build_room_mesh(gmsh_, spec: RoomBase, size: float, wall: float, geometric_order: int) -> None:
    """Inside a gmsh session: the room volume, its named walls, the wall refinement, a Hilbert renumbering."""
    vol, walls = build_room(spec)
    gmsh_.model.addPhysicalGroup(3, [vol], name="room")
    for name, tags in walls.items():
        gmsh_.model.addPhysicalGroup(2, tags, name=name)
    _set_wall_refinement(gmsh_, [t for tags in walls.values() for t in tags], size, wall, spec.extent_m)
    gmsh_.option.setNumber("Mesh.Algorithm3D", 10)  # HXT
    gmsh_.option.setNumber("Mesh.Optimize", 1)
    gmsh_.model.mesh.generate(3)
    if geometric_order == 2:
        gmsh_.option.setNumber("Mesh.SecondOrderLinear", 0)  # mid-edge nodes on the true surface
        gmsh_.model.mesh.setOrder(2)
    old, new = gmsh_.model.mesh.computeRenumbering("Hilbert")  # locality for assembly, AMG and CG
    gmsh_.model.mesh.renumberNodes(old, new)


def _set_wall_refinement(gmsh, surfaces, size: float, wall: float, extent: float) -> None:
    """Size field: wall_size at the walls growing linearly to size over a distance of WALL_GROWTH * size."""
    refine_towards(gmsh, surfaces, 2, wall, size, 0.0, WALL_GROWTH * size if wall < size else 1e-9,
                   sampling=int(min(400, max(20, math.ceil(2 * extent / wall)))))


def build_room(spec: RoomBase) -> tuple[int, dict[str, list[int]]]:
    """Add ``spec`` to the current gmsh model; return (volume tag, {wall name: [surface tags]})."""
    occ = gmsh.model.occ
    if isinstance(spec, BoxRoom):
        hx, hy, hz = spec.half_m
        vol = occ.addBox(-hx, -hy, -hz, 2 * hx, 2 * hy, 2 * hz)
    elif isinstance(spec, CylinderRoom):
        axis = np.eye(3)[spec.axis_index] * spec.height_m
        base = -0.5 * axis
        vol = occ.addCylinder(*base, *axis, spec.radius_m)
    elif isinstance(spec, SphereRoom):
        vol = occ.addSphere(0, 0, 0, spec.radius_m)
    elif isinstance(spec, EllipsoidRoom):
        vol = occ.addSphere(0, 0, 0, 1.0)
        occ.dilate([(3, vol)], 0, 0, 0, spec.ax_m, spec.ay_m, spec.az_m)
    else:
        raise TypeError(f"no gmsh builder for {type(spec).__name__}")
    occ.synchronize()
    surfaces = [tag for _, tag in gmsh.model.getBoundary([(3, vol)], oriented=False)]
    return vol, _name_walls(spec, surfaces)


def _name_walls(spec: RoomBase, surfaces: list[int]) -> dict[str, list[int]]:
    """Name wall surfaces from their centres of mass (box faces, cylinder side and caps)."""
    names: dict[str, list[int]] = {name: [] for name in spec.wall_names}
    for tag in surfaces:
        com = np.array(gmsh.model.occ.getCenterOfMass(2, tag))
        if isinstance(spec, BoxRoom):
            k = int(np.argmax(np.abs(com) / spec.half_m))
            side = "max" if com[k] > 0 else "min"
            name = {"z": {"min": "floor", "max": "ceiling"}}.get(AXES[k], {}).get(side, f"{AXES[k]}_{side}")
        elif isinstance(spec, CylinderRoom):
            a = com[spec.axis_index]
            name = "side" if abs(a) < 0.25 * spec.height_m else ("cap_max" if a > 0 else "cap_min")
        else:
            name = "wall"
        names[name].append(tag)
    empty = [n for n, tags in names.items() if not tags]
    if empty:
        raise RuntimeError(f"gmsh builder produced no surface for wall(s) {empty}")
    return names
