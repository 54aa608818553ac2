"""Meshing: gmsh -> .msh -> meshio -> scikit-fem, named walls kept, cached by content hash.

Curved rooms meshed for P2 get second-order (tet10, curved) elements; flat-walled rooms keep
affine tets (exact geometry, cheaper mapping). The element size shrinks from size_m in the bulk
to wall_size_m at the walls, where the signal lives.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass

import numpy as np

from amails_fem.errors import SpecError, require_positive
from amails_fem.geometry.spec import RoomBase
from amails_fem.io import atomic_path, cache_dir, content_hash
from amails_fem.progress import QUIET, Progress

MESH_FORMAT_VERSION = 1  # bump when the meshing recipe changes: invalidates the cache
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


@contextlib.contextmanager
def gmsh_session(verbose: bool = False, threads: int = 1):
    """An initialised gmsh with a fresh model; always finalised (gmsh is a global singleton).

    The C-level stdout is silenced unless verbose: gmsh writes to it even with General.Terminal = 0.
    """
    import gmsh

    if gmsh.isInitialized():
        gmsh.finalize()
    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 1 if verbose else 0)
        gmsh.option.setNumber("General.NumThreads", threads)
        gmsh.model.add("amails_fem")
        with (contextlib.nullcontext() if verbose else _quiet_stdout()):
            yield gmsh
    finally:
        gmsh.finalize()


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
    if order not in (1, 2):
        raise SpecError(f"order must be 1 or 2; got {order!r}")
    size, wall = resolve_sizes(spec, size_m, wall_size_m)
    geometric_order = 2 if (order == 2 and spec.curved) else 1
    key = content_hash({"spec": spec.spec_hash(), "shape": spec.shape, "size": size, "wall": wall,
                        "gorder": geometric_order, "v": MESH_FORMAT_VERSION})
    path = cache_dir("meshes") / f"{spec.shape}_{key}.msh"
    t0 = time.perf_counter()
    with progress.step(f"meshing {spec.shape} room (size {size:g} m, walls {wall:g} m)") as info:
        from_cache = use_cache and path.is_file()
        if not from_cache:
            _generate_msh(spec, size, wall, geometric_order, path)
        skmesh, walls = read_msh(path, spec.wall_names)
        info["note"] = f"{skmesh.t.shape[1]} tetrahedra{' (cached)' if from_cache else ''}"
    return RoomMesh(mesh=skmesh, walls=walls, size_m=size, wall_size_m=wall, geometric_order=geometric_order,
                    key=key, seconds=time.perf_counter() - t0, from_cache=from_cache)


def _generate_msh(spec: RoomBase, size: float, wall: float, geometric_order: int, path) -> None:
    """Run gmsh and write a binary .msh (physical groups only) atomically to ``path``."""
    from amails_fem.geometry.rooms import build_room

    with gmsh_session() as gmsh:
        vol, walls = build_room(spec)
        gmsh.model.addPhysicalGroup(3, [vol], name="room")
        for name, tags in walls.items():
            gmsh.model.addPhysicalGroup(2, tags, name=name)
        _set_wall_refinement(gmsh, [t for tags in walls.values() for t in tags], size, wall, spec.extent_m)
        gmsh.option.setNumber("Mesh.Algorithm3D", 10)  # HXT
        gmsh.option.setNumber("Mesh.Optimize", 1)
        gmsh.model.mesh.generate(3)
        if geometric_order == 2:
            gmsh.option.setNumber("Mesh.SecondOrderLinear", 0)  # mid-edge nodes on the true surface
            gmsh.model.mesh.setOrder(2)
        old, new = gmsh.model.mesh.computeRenumbering("Hilbert")  # locality for assembly, AMG and CG
        gmsh.model.mesh.renumberNodes(old, new)
        gmsh.option.setNumber("Mesh.Binary", 1)
        gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
        with atomic_path(path) as tmp:
            gmsh.write(str(tmp))


@contextlib.contextmanager
def _quiet_stdout():
    """Send the process's file descriptor 1 to /dev/null for the duration (C-level prints)."""
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _set_wall_refinement(gmsh, surfaces, size: float, wall: float, extent: float) -> None:
    """Size field: wall_size at the walls growing linearly to size over a distance of 3 size."""
    refine_towards(gmsh, surfaces, 2, wall, size, 0.0, 3.0 * size if wall < size else 1e-9,
                   sampling=int(min(400, max(20, math.ceil(2 * extent / wall)))))


def refine_towards(gmsh, tags, tag_dim: int, size_near: float, size_far: float, dist_near: float, dist_far: float,
                   sampling: int | None = None) -> None:
    """Background size field: size_near within dist_near of the given surfaces (tag_dim 2) or curves
    (tag_dim 1), growing linearly to size_far at dist_far (m); sizes from points and curvature switched off."""
    fields = gmsh.model.mesh.field
    dist = fields.add("Distance")
    fields.setNumbers(dist, "SurfacesList" if tag_dim == 2 else "CurvesList", list(tags))
    if sampling is not None:
        fields.setNumber(dist, "Sampling", sampling)
    thr = fields.add("Threshold")
    fields.setNumber(thr, "InField", dist)
    fields.setNumber(thr, "SizeMin", size_near)
    fields.setNumber(thr, "SizeMax", size_far)
    fields.setNumber(thr, "DistMin", dist_near)
    fields.setNumber(thr, "DistMax", dist_far)
    fields.setAsBackgroundMesh(thr)
    for option in ("Mesh.MeshSizeExtendFromBoundary", "Mesh.MeshSizeFromPoints", "Mesh.MeshSizeFromCurvature"):
        gmsh.option.setNumber(option, 0)


def read_msh(path, wall_names=()) -> tuple[object, dict]:
    """Read a gmsh .msh with meshio and build the skfem mesh plus {wall name: facet indices}."""
    import meshio

    return meshio_to_skfem(meshio.read(path, file_format="gmsh"), wall_names)


def meshio_to_skfem(m, wall_names=()) -> tuple[object, dict]:
    """Convert a meshio mesh to (skfem mesh, {boundary name: facet indices}).

    3D: tetra or tetra10 with tagged triangles; 2D: triangles with tagged lines (points' z dropped).
    """
    from skfem import MeshTet1, MeshTet2, MeshTri1

    cells = m.cells_dict
    vertex_ids = None
    if "tetra10" in cells:
        skmesh = MeshTet2(np.ascontiguousarray(m.points.T), np.ascontiguousarray(cells["tetra10"].T))
        # skfem renumbers the vertices of a 10-node mesh to 0..nv-1 in sorted order of the input indices
        vertex_ids = np.unique(cells["tetra10"][:, :4])
    elif "tetra" in cells:
        skmesh = MeshTet1(np.ascontiguousarray(m.points.T), np.ascontiguousarray(cells["tetra"].T))
    elif "triangle" in cells:
        skmesh = MeshTri1(np.ascontiguousarray(m.points[:, :2].T), np.ascontiguousarray(cells["triangle"].T))
    else:
        raise ValueError(f"mesh has no tetrahedra or triangles (cells: {sorted(cells)})")
    fast_topology(skmesh)
    walls = _named_facets(skmesh, m, vertex_ids)
    missing = [n for n in wall_names if n not in walls]
    if missing:
        raise ValueError(f"mesh lacks named walls {missing}")
    return skmesh, walls


def _named_facets(skmesh, m, vertex_ids=None) -> dict:
    """Match tagged boundary cells (triangles in 3D, lines in 2D) to skfem facets by packed sorted-vertex keys."""
    dim = skmesh.p.shape[0]
    facet_types = {3: ("triangle", "triangle6"), 2: ("line", "line3")}[dim]
    names = {int(tag): name for name, (tag, d) in m.field_data.items() if d == dim - 1}
    rows, tags = [], []
    for block, data in zip(m.cells, m.cell_data["gmsh:physical"]):
        if block.type in facet_types:
            rows.append(block.data[:, :dim])
            tags.append(data)
    if not rows:
        return {}
    rows, tags = np.concatenate(rows), np.concatenate(tags)
    if vertex_ids is not None:
        rows = np.searchsorted(vertex_ids, rows)
    nv = skmesh.p.shape[1]
    facet_keys = _pack(np.sort(skmesh.facets.T, axis=1), nv)
    order = np.argsort(facet_keys)
    keys = _pack(np.sort(rows, axis=1), nv)
    pos = np.clip(np.searchsorted(facet_keys[order], keys), 0, len(order) - 1)
    found = facet_keys[order][pos] == keys
    if not np.all(found):
        raise ValueError(f"{np.count_nonzero(~found)} tagged boundary cells do not match mesh facets")
    facets = order[pos]
    return {names[t]: np.sort(facets[tags == t]) for t in np.unique(tags) if t in names}


def fast_topology(skmesh) -> None:
    """Fill scikit-fem's cached facets/edges (and element-to-entity maps) with 1D int64-key uniques.

    Same result as skfem's Mesh.build_entities (lexicographically sorted entities), without its
    np.unique(axis=1), which dominated the topology time (perf-notes.md).
    """
    t = skmesh.t[: skmesh.p.shape[0] + 1]
    nv = int(t.max()) + 1
    refdom = skmesh.elem.refdom
    for name, local in (("facets", refdom.facets), ("edges", refdom.edges)):
        if local is None:  # triangles: the facets are the edges
            continue
        rows = np.sort(np.hstack([t[list(ix)] for ix in local]), axis=0).T  # (n_local * nel, k)
        keys = _pack(rows, nv)
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        setattr(skmesh, f"_{name}", np.ascontiguousarray(rows[first].T))
        setattr(skmesh, "_t2f" if name == "facets" else "_t2e", inverse.reshape(len(local), t.shape[1]).astype(np.int64))


def _pack(rows: np.ndarray, n_vertices: int) -> np.ndarray:
    """Pack sorted (n, 2) or (n, 3) vertex tuples (indices < n_vertices) into unique int64 keys."""
    rows = np.pad(rows.astype(np.int64), ((0, 0), (3 - rows.shape[1], 0)))
    bits = max(1, int(n_vertices).bit_length())
    if 3 * bits > 63:
        raise ValueError("mesh too large for packed facet keys")
    return (rows[:, 0] << (2 * bits)) | (rows[:, 1] << bits) | rows[:, 2]
