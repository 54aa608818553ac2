"""gmsh .msh -> meshio -> scikit-fem, with named boundaries (facet indices) and fast int64-key topology."""

from __future__ import annotations

import meshio
import numpy as np
from skfem import MeshTet1, MeshTet2, MeshTri1


def read_msh(path, wall_names=(), cell_tags: bool = False):
    """Read a gmsh .msh; return (skfem mesh, {boundary name: facet indices}) and, with cell_tags, also
    {volume/surface group name: element mask} for the top-dimensional cells."""
    try:
        m = meshio.read(path, file_format="gmsh")
    except SystemExit:  # meshio's gmsh reader exits on some malformed headers
        raise ValueError(f"{path}: not a readable gmsh file") from None
    skmesh, named = meshio_to_skfem(m, wall_names)
    if not cell_tags:
        return skmesh, named
    top = {3: ("tetra", "tetra10"), 2: ("triangle", "triangle6")}[skmesh.p.shape[0]]
    tags = np.concatenate([d for b, d in zip(m.cells, m.cell_data["gmsh:physical"]) if b.type in top])
    dim = skmesh.p.shape[0]
    groups = {name: tags == tag for name, (tag, d) in m.field_data.items() if d == dim}
    return skmesh, named, groups


def meshio_to_skfem(m, wall_names=()) -> tuple[object, dict]:
    """Convert a meshio mesh to (skfem mesh, {boundary name: facet indices}).

    3D: tetra or tetra10 with tagged triangles; 2D: triangles with tagged lines (points' z dropped).
    """
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


def facet_indices(skmesh, triangles: np.ndarray) -> np.ndarray:
    """Indices of the skfem facets with the given vertex triples ((n, 3), any vertex order); ValueError if one is
    not a facet of the mesh."""
    nv = skmesh.p.shape[1]
    facet_keys = _pack(np.sort(skmesh.facets.T, axis=1), nv)
    order = np.argsort(facet_keys)
    keys = _pack(np.sort(np.asarray(triangles).reshape(-1, 3), axis=1), nv)
    pos = np.clip(np.searchsorted(facet_keys[order], keys), 0, len(order) - 1)
    if not np.all(facet_keys[order][pos] == keys):
        raise ValueError(f"{np.count_nonzero(facet_keys[order][pos] != keys)} triangles are not facets of the mesh")
    return order[pos]


def fast_topology(skmesh) -> None:
    """Fill scikit-fem's cached facets/edges (and element-to-entity maps) with 1D int64-key uniques.

    Same result as skfem's Mesh.build_entities (lexicographically sorted entities), without its
    np.unique(axis=1), which dominated the topology time (docs/performance.md).
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


def boundary_facets(skmesh) -> np.ndarray:
    """Indices (sorted) of the facets that belong to one element only: the same as skfem's boundary_facets(),
    counted from the element-to-facet map instead of building the facet-to-element inverse (0.9 s at 6.6e5 tets)."""
    return np.flatnonzero(np.bincount(skmesh.t2f.ravel(), minlength=skmesh.facets.shape[1]) == 1)


def _pack(rows: np.ndarray, n_vertices: int) -> np.ndarray:
    """Pack sorted (n, 2) or (n, 3) vertex tuples (indices < n_vertices) into unique int64 keys."""
    rows = np.pad(rows.astype(np.int64), ((0, 0), (3 - rows.shape[1], 0)))
    bits = max(1, int(n_vertices).bit_length())
    if 3 * bits > 63:
        raise ValueError("mesh too large for packed facet keys")
    return (rows[:, 0] << (2 * bits)) | (rows[:, 1] << bits) | rows[:, 2]

