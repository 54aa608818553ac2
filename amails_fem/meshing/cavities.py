"""Gmsh builders for cavities: the cross-section (rods as holes) and the volume, curved second-order simplices."""

from __future__ import annotations

import gmsh
import numpy as np
from skfem import MeshTet1, MeshTet2, MeshTri1, MeshTri2

from amails_fem.errors import SpecError
from amails_fem.memory import require_memory
from amails_fem.meshing.session import gmsh_session
from amails_fem.specs.cavities import (
    CavitySpec,
    CylinderCavity,
    DielectricRod,
    HalfCylinderCavity,
    RectangularCavity,
    default_mesh_size_m,
)
from amails_fem.validate import require_positive


def add_cross_section(spec: CavitySpec) -> int:
    """Add the cavity cross-section (rods as holes) to the current gmsh OCC model at z = 0; return its surface tag."""
    occ = gmsh.model.occ
    if isinstance(spec, RectangularCavity):
        s = occ.addRectangle(-spec.a_m / 2, -spec.b_m / 2, 0, spec.a_m, spec.b_m)
    elif isinstance(spec, HalfCylinderCavity):
        disk = occ.addDisk(0, 0, 0, spec.radius_m, spec.radius_m)
        box = occ.addRectangle(-2 * spec.radius_m, -2 * spec.radius_m, 0, 4 * spec.radius_m, 2 * spec.radius_m)
        out, _ = occ.cut([(2, disk)], [(2, box)])
        s = out[0][1]
    elif isinstance(spec, CylinderCavity):
        s = occ.addDisk(0, 0, 0, spec.radius_m, spec.radius_m)
        holes = [(2, occ.addDisk(*r.center_m, 0, r.radius_m, r.radius_m)) for r in spec.rods if r.gap_m == 0.0]
        if holes:
            out, _ = occ.cut([(2, s)], holes)
            s = out[0][1]
    else:
        raise TypeError(f"no cavity builder for {type(spec).__name__}")
    if getattr(spec, "fillings", ()):
        s = _fragment_fillings(occ, spec, 2, s)
    occ.synchronize()
    return s


def add_volume(spec: CavitySpec) -> int:
    """Add the 3D cavity (conductor-free region) to the current gmsh OCC model; return its volume tag."""
    occ = gmsh.model.occ
    h = spec.height_m
    if isinstance(spec, RectangularCavity):
        v = occ.addBox(-spec.a_m / 2, -spec.b_m / 2, 0, spec.a_m, spec.b_m, h)
    elif isinstance(spec, HalfCylinderCavity):
        cyl = occ.addCylinder(0, 0, 0, 0, 0, h, spec.radius_m)
        box = occ.addBox(-2 * spec.radius_m, -2 * spec.radius_m, -h, 4 * spec.radius_m, 2 * spec.radius_m, 3 * h)
        out, _ = occ.cut([(3, cyl)], [(3, box)])
        v = out[0][1]
    elif isinstance(spec, CylinderCavity):
        v = occ.addCylinder(0, 0, 0, 0, 0, h, spec.radius_m)
        tools = []
        for r in spec.rods:  # full-height rods poke through both caps so that the cut is clean
            x, y = r.center_m
            if r.gap_m == 0.0:
                tools.append((3, occ.addCylinder(x, y, -h, 0, 0, 3 * h, r.radius_m)))
            else:
                tools.append((3, occ.addCylinder(x, y, -h, 0, 0, 2 * h - r.gap_m, r.radius_m)))
        if tools:
            out, _ = occ.cut([(3, v)], tools)
            v = out[0][1]
    else:
        raise TypeError(f"no cavity builder for {type(spec).__name__}")
    if getattr(spec, "fillings", ()):
        v = _fragment_fillings(occ, spec, 3, v)
    occ.synchronize()
    return v


def _fragment_fillings(occ, spec, dim: int, tag: int) -> int:
    """Split the cavity entity along the filling boundaries (a conforming mesh with interfaces); each filling
    shape is first clipped to the cavity. Returns the tag of the first resulting entity."""
    (x0, y0, z0), (x1, y1, z1) = spec.bounds_m
    pad = spec.extent_m
    tools = []
    for f in spec.fillings:
        if isinstance(f, DielectricRod):
            cx, cy = f.center_m
            raw = (occ.addDisk(cx, cy, 0, f.radius_m, f.radius_m) if dim == 2
                   else occ.addCylinder(cx, cy, -pad, 0, 0, z1 + 2 * pad, f.radius_m))
        else:
            lo = [x0 - pad, y0 - pad, z0 - pad]
            hi = [x1 + pad, y1 + pad, z1 + pad]
            k = "xyz".index(f.axis)
            lo[k], hi[k] = max(f.lo_m, lo[k]), min(f.hi_m, hi[k])
            raw = (occ.addRectangle(lo[0], lo[1], 0, hi[0] - lo[0], hi[1] - lo[1]) if dim == 2
                   else occ.addBox(lo[0], lo[1], lo[2], hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]))
        clipped, _ = occ.intersect([(dim, raw)], occ.copy([(dim, tag)]))
        tools.extend(clipped)
    out, _ = occ.fragment([(dim, tag)], tools)
    return out[0][1]


def cell_materials(spec, mapping, dim: int):
    """(eps_r, mu_r) per element (arrays of length n_elements) from the spec at each element's mapped centroid.

    The mesh conforms to the filling boundaries, and the image of the reference centroid lies inside the (curved)
    element, so each element is classified by a point strictly inside it."""
    X = np.full((dim, 1), 1.0 / (dim + 1))
    c = mapping.F(X)[:, :, 0]  # (dim, nel)
    z = c[2] if dim == 3 else 0.5 * spec.height_m
    return spec.materials_at(c[0], c[1], z)


def check_wall_elements(wall_elements_per_turn):
    """None (the default sizing) or an integer in [8, 1000]: elements per full turn along curved walls."""
    n = wall_elements_per_turn
    if n is None:
        return None
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 8 <= n <= 1000:
        raise SpecError(f"wall_elements_per_turn must be None or an integer in [8, 1000]; got {n!r}")
    return int(n)


def _mesh_options(gmsh, size_m: float, order: int, wall_elements_per_turn: int | None = None) -> None:
    """gmsh sizing: size_m everywhere, 10 elements per turn on curved walls extended into the volume; with
    wall_elements_per_turn, that many on curved walls and size_m inside (the wall sizes are not extended:
    the quadratic-geometry error lives at the wall, docs/performance.md sec. 10)."""
    gmsh.model.mesh.setSize(gmsh.model.getEntities(0), size_m)  # else gmsh caps sizes at ~1/10 of the box
    gmsh.option.setNumber("Mesh.MeshSizeMax", size_m)
    gmsh.option.setNumber("Mesh.MeshSizeMin", size_m / 20)
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", wall_elements_per_turn or 10)
    gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0 if wall_elements_per_turn else 1)
    gmsh.option.setNumber("Mesh.ElementOrder", order)
    gmsh.option.setNumber("Mesh.SecondOrderLinear", 0)  # edge nodes on the true (curved) geometry
    gmsh.option.setNumber("Mesh.HighOrderOptimize", 0)  # untangled afterwards only where needed (_untangle)
    gmsh.option.setNumber("Mesh.Algorithm", 6)
    gmsh.option.setNumber("Mesh.Algorithm3D", 1)


def _untangle(gmsh, dim: int) -> bool:
    """Run gmsh's high-order optimisation only if a curved element's Jacobian changes sign (gmsh's adaptive
    min/max bounds). Most cavity meshes are valid as generated, and the optimisation cost ~75 % of the meshing
    (docs/performance.md sec. 10.1). Returns whether it ran."""
    tags, _ = gmsh.model.mesh.getElementsByType(_GMSH_QUADRATIC_TYPE[dim])
    lo = np.asarray(gmsh.model.mesh.getElementQualities(tags, "minDetJac"))
    hi = np.asarray(gmsh.model.mesh.getElementQualities(tags, "maxDetJac"))
    if np.all(lo * hi > 0):
        return False
    gmsh.option.setNumber("Mesh.HighOrderOptimize", 2)
    gmsh.model.mesh.optimize("HighOrder")
    return True


def _elements(gmsh, dim: int, order: int):
    """Node coordinates (3, n) and connectivity (nloc, nel) of the order-``order`` simplices of dimension ``dim``."""
    etype = {(2, 1): 2, (2, 2): 9, (3, 1): 4, (3, 2): 11}[(dim, order)]
    tags, coords, _ = gmsh.model.mesh.getNodes()
    coords = coords.reshape(-1, 3).T
    _, enodes = gmsh.model.mesh.getElementsByType(etype)
    nloc = {2: 3, 9: 6, 4: 4, 11: 10}[etype]
    conn = enodes.reshape(-1, nloc).T
    used, inv = np.unique(conn, return_inverse=True)
    lookup = np.empty(int(tags.max()) + 1, dtype=np.int64)
    lookup[tags.astype(np.int64)] = np.arange(tags.size)
    p = coords[:, lookup[used.astype(np.int64)]]
    return p, inv.reshape(conn.shape).astype(np.int64)


def _order_edge_nodes(gmsh, t: np.ndarray, etype: int, edges) -> np.ndarray:
    """Reorder the edge nodes of gmsh quadratic simplices to ``edges`` (skfem order), using gmsh's own reference
    node coordinates (robust to high-order optimisation moving the nodes)."""
    props = gmsh.model.mesh.getElementProperties(etype)
    dim, nloc = props[1], props[3]
    ref = np.asarray(props[4]).reshape(nloc, dim)
    nv = dim + 1
    out = t.copy()
    for k, (a, b) in enumerate(edges):
        mid = (ref[a] + ref[b]) / 2
        j = nv + int(np.argmin(np.linalg.norm(ref[nv:] - mid, axis=1)))
        if np.linalg.norm(ref[j] - mid) > 1e-9:
            raise RuntimeError("unexpected gmsh node layout for quadratic simplices")
        out[nv + k] = t[j]
    return out


TRIS_PER_H2 = 2.31  # triangles per h^2 of area for edge length h (equilateral: area sqrt(3)/4 h^2)
TETS_PER_H3 = 6.0  # tetrahedra per h^3 of volume
# Peak bytes per element of a cavity eigen-solve (mesh, assembly, shift-invert sparse LU, Lanczos vectors):
# measured peak RSS of `amails-fem cavity` on geometries/cavity_cylinder.toml, one process per mesh
# (docs/reliability.md): 3D Nedelec-2 0.19 / 0.28 / 0.95 GB at 2.4e3 / 1.0e4 / 4.5e4 DOFs, degree 1 0.28 GB at
# 5.6e3 DOFs, cross-section P2 0.17 / 0.28 GB at 1.6e3 / 3.7e4 DOFs. In 3D the LU fill grows like n^(4/3), so
# the per-element cost is scaled by (n / LU_REFERENCE_ELEMENTS)^(1/3) (not below 0.5).
BYTES_PER_ELEMENT = {2: 7.0e3, 3: {1: 1.5e4, 2: 8.0e4}}
LU_REFERENCE_ELEMENTS = 1.0e4
FIXED_BYTES = 0.2e9


def estimate_elements(spec: CavitySpec, dim: int, size_m: float) -> float:
    """Expected triangles (dim 2, cross-section) or tetrahedra (dim 3) of a uniform mesh of element size size_m."""
    if dim == 2:
        return TRIS_PER_H2 * spec.area_m2 / size_m**2
    return TETS_PER_H3 * spec.volume_m3 / size_m**3


def cavity_solve_bytes(spec: CavitySpec, dim: int, size_m: float, order: int) -> float:
    """Peak bytes of a cavity eigen-solve on that mesh (BYTES_PER_ELEMENT, measured; order scales 2D as its DOFs)."""
    n = estimate_elements(spec, dim, size_m)
    if dim == 2:
        per = BYTES_PER_ELEMENT[2] * ((order + 1) * (order + 2) / 12.0)  # DOFs per triangle ~ order^2 / 2
        return FIXED_BYTES + n * per
    per = BYTES_PER_ELEMENT[3][min(order, 2)]
    return FIXED_BYTES + n * per * max(0.5, (n / LU_REFERENCE_ELEMENTS) ** (1.0 / 3.0))


def check_cavity_job(spec: CavitySpec, *, order: int, solver: str = "auto", size_m=None) -> None:
    """Refuse (SpecError, one line) before meshing a cavity whose eigen-solve would not fit in memory."""
    dim = 2 if solver == "cross-section" or (solver == "auto" and spec.z_invariant and not spec.fillings) else 3
    size = require_positive(size_m if size_m is not None else default_mesh_size_m(spec, dim), "mesh size_m")
    if size > spec.extent_m:
        raise SpecError(f"mesh size_m must be at most the cavity extent {spec.extent_m:g} m; got {size:g}")
    n = estimate_elements(spec, dim, size)
    require_memory(cavity_solve_bytes(spec, dim, size, order),
                   f"a {'cross-section' if dim == 2 else '3D'} cavity solve with mesh size_m = {size:g} m "
                   f"(~{n:.2g} {'triangles' if dim == 2 else 'tetrahedra'}, order {order})",
                   "choose a larger --mesh-size-m")


def cross_section_mesh(spec: CavitySpec, size_m: float | None = None, order: int = 2,
                       wall_elements_per_turn: int | None = None):
    """Triangular mesh of the cross-section: skfem MeshTri2 (curved, order 2) or MeshTri1 (order 1); metres."""
    return _simplex_mesh(spec, 2, size_m, order, wall_elements_per_turn)


def volume_mesh(spec: CavitySpec, size_m: float | None = None, order: int = 2,
                wall_elements_per_turn: int | None = None):
    """Tetrahedral mesh of the cavity: skfem MeshTet2 (curved tet10, order 2) or MeshTet1 (order 1); metres."""
    return _simplex_mesh(spec, 3, size_m, order, wall_elements_per_turn)


_EDGES = {2: [(0, 1), (1, 2), (0, 2)], 3: [(0, 1), (1, 2), (0, 2), (0, 3), (1, 3), (2, 3)]}
_GMSH_QUADRATIC_TYPE = {2: 9, 3: 11}  # 6-node triangle, 10-node tetrahedron


def _simplex_mesh(spec: CavitySpec, dim: int, size_m, order: int, wall_elements_per_turn=None):
    """Mesh the cross-section (dim 2) or the volume (dim 3) with gmsh; curved second-order nodes when order 2."""
    size_m = require_positive(size_m if size_m is not None else default_mesh_size_m(spec, dim), "mesh size_m")
    if size_m > spec.extent_m:
        raise SpecError(f"mesh size_m must be at most the cavity extent {spec.extent_m:g} m; got {size_m:g}")
    require_memory(cavity_solve_bytes(spec, dim, size_m, order),
                   f"a cavity mesh with size_m = {size_m:g} m (~{estimate_elements(spec, dim, size_m):.2g} "
                   f"{'triangles' if dim == 2 else 'tetrahedra'})", "choose a larger mesh size_m")
    wall_n = check_wall_elements(wall_elements_per_turn)
    with gmsh_session() as gmsh:
        (add_cross_section if dim == 2 else add_volume)(spec)
        _mesh_options(gmsh, size_m, order, wall_n)
        gmsh.model.mesh.generate(dim)
        if order == 2:
            _untangle(gmsh, dim)
        p, t = _elements(gmsh, dim, order)
        if order == 2:
            t = _order_edge_nodes(gmsh, t, _GMSH_QUADRATIC_TYPE[dim], _EDGES[dim])
    if dim == 2:
        p = p[:2]
        t = _orient_tri(p, t)
        return MeshTri1(p, t) if order == 1 else MeshTri2(p, t)
    return MeshTet1(p, t) if order == 1 else MeshTet2(p, t)


def _orient_tri(p, t):
    """Sort each triangle's vertices by global number (edge nodes follow), so that elements with several DOFs
    per edge (P3, P4) see a consistent edge direction; scikit-fem integrates with |det DF|."""
    order = np.argsort(t[:3], axis=0, kind="stable")
    cols = np.arange(t.shape[1])
    out = t.copy()
    out[:3] = t[order, cols]
    if t.shape[0] == 6:  # edge k joins local vertices (0,1), (1,2), (0,2)
        for k, (a, b) in enumerate(((0, 1), (1, 2), (0, 2))):
            oa, ob = order[a], order[b]
            src = np.select([((oa == i) & (ob == j)) | ((oa == j) & (ob == i)) for (i, j) in ((0, 1), (1, 2), (0, 2))],
                            [3, 4, 5])
            out[3 + k] = t[src, cols]
    return out


