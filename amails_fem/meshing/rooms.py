"""Room meshes: gmsh (OCC) builders with named walls, refined toward the walls, cached by content hash.

Curved rooms meshed for P2 get second-order (tet10, curved) elements; flat-walled rooms keep affine tets (exact
geometry, cheaper mapping). The element size shrinks from size_m in the bulk to wall_size_m at the walls, where the
signal lives. Coordinates in metres, rooms centred at the origin (amails_fem/specs/rooms.py).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import gmsh
import numpy as np

from amails_fem.errors import SpecError
from amails_fem.log import QUIET, Progress
from amails_fem.meshing.cache import cached_mesh
from amails_fem.meshing.session import refine_towards
from amails_fem.specs.rooms import AXES, BoxRoom, CylinderRoom, EllipsoidRoom, RoomBase, SphereRoom
from amails_fem.validate import require_option, require_positive

MESH_THREADS = 2  # gmsh threads for the room meshes (HXT 3D runs in parallel; measured in docs/performance.md)
MAX_ELEMENTS_ESTIMATE = 2.0e7  # refuse before meshing above this (memory on a 24 GiB machine)


@dataclass
class RoomMesh:
    """A scikit-fem mesh with named wall facets and how it was made."""

    mesh: object  # skfem MeshTet1 or MeshTet2
    walls: dict  # wall name -> boundary facet indices (np.int64)
    size_m: float
    wall_size_m: float
    geometric_order: int
    key: str
    seconds: float = 0.0
    from_cache: bool = False

    @property
    def n_elements(self) -> int:
        return int(self.mesh.t.shape[1])

    @property
    def n_vertices(self) -> int:
        return int(self.mesh.nvertices)


def resolve_sizes(spec: RoomBase, size_m=None, wall_size_m=None) -> tuple[float, float]:
    """Bulk and wall element sizes (m): arguments, else the spec's [mesh], else L/12 and half of that."""
    size = require_positive(size_m if size_m is not None else spec.default_mesh_size_m(), "mesh.size_m")
    wall = wall_size_m if wall_size_m is not None else spec.mesh.wall_size_m
    wall = require_positive(wall if wall is not None else 0.5 * size, "mesh.wall_size_m")
    if wall > size:
        raise SpecError(f"mesh.wall_size_m ({wall} m) must not exceed mesh.size_m ({size} m)")
    if size > spec.extent_m:
        raise SpecError(f"mesh.size_m must be at most the room's largest dimension {spec.extent_m:g} m; got {size}")
    n_est = 6.0 * spec.volume_m3 / size**3 * (1.0 + 3.0 * (size / wall) ** 2 * wall / spec.size_m)
    if n_est > MAX_ELEMENTS_ESTIMATE:
        raise SpecError(f"mesh.size_m = {size} m would give ~{n_est:.1e} tetrahedra (limit {MAX_ELEMENTS_ESTIMATE:.0e}); "
                        "choose a larger mesh.size_m")
    return size, wall


def mesh_room(spec: RoomBase, *, size_m=None, wall_size_m=None, order: int = 2, progress: Progress = QUIET,
              use_cache: bool = True) -> RoomMesh:
    """Mesh a room: tagged walls, refined toward them, curved (tet10) when order == 2 and the room is curved."""
    require_option(order, "order", (1, 2))
    size, wall = resolve_sizes(spec, size_m, wall_size_m)
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
    """Size field: wall_size at the walls growing linearly to size over a distance of 3 size."""
    refine_towards(gmsh, surfaces, 2, wall, size, 0.0, 3.0 * size if wall < size else 1e-9,
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
