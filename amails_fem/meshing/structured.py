"""Structured, graded tetrahedral meshes of box rooms: a tensor grid cut into Kuhn tetrahedra, numpy only, no gmsh.

The grid lines along each axis follow the wall-refinement law of the gmsh meshes (meshing/room_mesh.py:
size_at_distance_m, wall_size_m at the walls growing linearly to size_m over WALL_GROWTH * size_m), so the two
meshers refine alike. Each hexahedral cell is cut into 6 tetrahedra by the Kuhn (Freudenthal) subdivision along its
main diagonal (Kuhn 1960, IBM J. Res. Dev. 4, 518; Freudenthal 1942, Ann. Math. 43, 580): the 6 monotone
paths from the cell's lowest corner to its highest. Every cell uses the same orientation, so each face is split
along the diagonal through its lowest corner in both cells that share it and the mesh is conforming. Nodes are
numbered lexicographically (x slowest, z fastest), cells likewise, each cell's 6 tetrahedra consecutive: neighbours
in space are near in memory. Building the mesh is faster than reading a cached gmsh file, so it is not cached
(docs/performance.md, sec. 8.1).
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
from skfem import MeshTet1

from amails_fem.io.cache import content_hash
from amails_fem.meshing.read import boundary_facets
from amails_fem.meshing.room_mesh import RoomMesh, size_at_distance_m
from amails_fem.specs.rooms import BoxRoom, check_mesh_generator
from amails_fem.validate import require_positive

WALLS_BY_AXIS = (("x_min", "x_max"), ("y_min", "y_max"), ("floor", "ceiling"))  # BoxRoom.wall_names


def graded_nodes(half_m: float, size_m: float, wall_size_m: float) -> np.ndarray:
    """Node coordinates (m, increasing) on [-half_m, half_m], symmetric about 0, end points exact.

    From each wall inwards the spacing of the interval starting at distance d from the wall is
    h(d) = size_at_distance_m(d, size_m, wall_size_m): d_0 = 0, d_{i+1} = d_i + h(d_i), so the first spacing is
    wall_size_m and no spacing exceeds size_m. The walls' sequences stop at the node d_j one before the last node
    short of the centre; the span between d_j and its mirror image (more than 2 h(d_j)) is cut into
    k = ceil(span / h(d_j)) >= 3 equal intervals, each between 2/3 and 1 times h(d_j). A box no longer than
    2 d_2 (about four wall sizes) has j = 0: uniform spacing <= wall_size_m.
    """
    half = require_positive(half_m, "half_m", "m")
    size = require_positive(size_m, "mesh.size_m", "m")
    wall = require_positive(wall_size_m, "mesh.wall_size_m", "m")
    d = [0.0]
    while d[-1] < half:
        d.append(d[-1] + float(size_at_distance_m(d[-1], size, wall)))
    j = max(len(d) - 3, 0)  # d[-2] is the last node short of the centre
    h_j = float(size_at_distance_m(d[j], size, wall))
    span = 2.0 * (half - d[j])
    k = max(1, math.ceil(span / h_j))
    inner = d[j] + span / k * np.arange(1, (k + 1) // 2)  # the equal intervals' nodes short of the centre
    left = -half + np.concatenate([d[: j + 1], inner])
    left[0] = -half
    centre = [0.0] if k % 2 == 0 else []
    return np.concatenate([left, centre, -left[::-1]])


def kuhn_offsets(strides) -> tuple[np.ndarray, np.ndarray]:
    """The 6 Kuhn tetrahedra of the cell at node 0, for node index i * strides[0] + j * strides[1] + k * strides[2]:
    (6, 4) vertex offsets in ascending order (the monotone path's corners), and (6,) True where that order has a
    negative Jacobian (an odd path permutation: vertices 1 and 2 are swapped in the mesh, skfem's positive
    orientation)."""
    eye = np.eye(3, dtype=np.int64)
    offsets, odd = [], []
    for perm in itertools.permutations(range(3)):
        corners = [np.zeros(3, np.int64)]
        for a in perm:
            corners.append(corners[-1] + eye[a])
        offsets.append([int(c @ np.asarray(strides, np.int64)) for c in corners])
        odd.append(np.linalg.det(np.array(corners[1:]) - corners[0]) < 0)
    return np.array(offsets, np.int64), np.array(odd)


def box_tet_mesh(spec: BoxRoom, size_m: float, wall_size_m: float) -> RoomMesh:
    """A box room as graded Kuhn tetrahedra (see the module docstring); the same RoomMesh as meshing.rooms.mesh_room:
    an affine skfem MeshTet1 and walls {x_min, x_max, y_min, y_max, floor, ceiling: boundary facet indices}."""
    check_mesh_generator(spec, "structured")
    t0 = time.perf_counter()
    axes = [graded_nodes(h, size_m, wall_size_m) for h in spec.half_m]
    shape = tuple(len(a) for a in axes)
    p = np.stack(np.meshgrid(*axes, indexing="ij")).reshape(3, -1)
    base = np.arange(p.shape[1], dtype=np.int64).reshape(shape)[:-1, :-1, :-1].ravel()
    offsets, odd = kuhn_offsets((shape[1] * shape[2], shape[2], 1))
    ascending = np.ascontiguousarray((base[:, None, None] + offsets[None]).reshape(-1, 4).T)  # (4, 6 per cell)
    swapped = np.tile(odd, base.size)
    t = ascending.astype(np.int32, order="C")
    t[1, swapped], t[2, swapped] = t[2, swapped], t[1, swapped].copy()
    mesh = MeshTet1(np.ascontiguousarray(p), t)
    kuhn_topology(mesh, base, offsets, swapped)
    walls = box_walls(mesh, shape)
    key = content_hash({"generator": "structured", "spec": spec.spec_hash(), "size": size_m, "wall": wall_size_m})
    return RoomMesh(mesh=mesh, walls=walls, size_m=size_m, wall_size_m=wall_size_m, geometric_order=1, key=key,
                    seconds=time.perf_counter() - t0, from_cache=False, generator="structured")


def kuhn_topology(mesh, base: np.ndarray, offsets: np.ndarray, swapped: np.ndarray) -> None:
    """Fill skfem's facets, edges and element-to-entity maps with the same arrays as meshing.read.fast_topology
    (sorted vertex tuples, entities in lexicographic order), without sorting: an entity of a Kuhn grid is its lowest
    vertex v0 plus one of a few offset patterns, so the key v0 * n_patterns + pattern rank (patterns ranked
    lexicographically) orders entities lexicographically and a presence table over all keys numbers them.
    base: the cells' lowest nodes; offsets, swapped: kuhn_offsets (tetrahedra cell by cell, 6 per cell)."""
    nv = mesh.p.shape[1]
    renamed = np.array([0, 2, 1, 3])  # mesh.t lists the ascending vertices (0, 2, 1, 3) where swapped
    for name, local in (("facets", mesh.elem.refdom.facets), ("edges", mesh.elem.refdom.edges)):
        local = [list(ix) for ix in local]
        corners = offsets[:, local]  # (6 tets, n_local, k) ascending vertex offsets
        patterns, rank = np.unique((corners[..., 1:] - corners[..., :1]).reshape(-1, corners.shape[2] - 1),
                                   axis=0, return_inverse=True)
        n_pat = len(patterns)
        keys = (base[:, None, None] + corners[None, :, :, 0]) * n_pat + rank.reshape(1, *corners.shape[:2])
        present = np.zeros(nv * n_pat, bool)
        present[keys.ravel()] = True
        number = np.cumsum(present) - 1
        inverse = number[keys].reshape(-1, len(local)).T  # (n_local, n_tets) in the ascending vertex naming
        found = np.flatnonzero(present)
        v0, pattern = found // n_pat, found % n_pat
        setattr(mesh, f"_{name}", np.vstack([v0, v0[None] + patterns[pattern].T]))
        rename = [local.index(sorted(renamed[ix].tolist())) for ix in local]
        inverse[:, swapped] = inverse[np.ix_(rename, np.flatnonzero(swapped))]
        setattr(mesh, "_t2f" if name == "facets" else "_t2e", np.ascontiguousarray(inverse))


def box_walls(mesh, shape) -> dict:
    """{wall name: sorted boundary facet indices} of a lexicographically numbered tensor-grid mesh of nodes
    ``shape``: a boundary facet lies on a wall when its three vertices have grid index 0 or n - 1 along that axis."""
    facets = boundary_facets(mesh)
    grid = np.unravel_index(mesh.facets[:, facets], shape)  # 3 arrays (3 vertices, n facets)
    walls, claimed = {}, np.zeros(facets.size, np.int64)
    for axis, names in enumerate(WALLS_BY_AXIS):
        for name, index in zip(names, (0, shape[axis] - 1)):
            on = np.all(grid[axis] == index, axis=0)
            walls[name] = facets[on].astype(np.int64)
            claimed += on
    if not np.all(claimed == 1):
        raise RuntimeError(f"{np.count_nonzero(claimed != 1)} boundary facets of the structured mesh lie on no wall")
    return walls
