"""Meshes for the shielding models: nested closed shells in an outer sphere (3D) or disk (2D), and a ring
meshed through its thickness (the thick-layer check)."""

from __future__ import annotations

import numpy as np

from amails_fem.meshing.cache import cached_mesh
from amails_fem.meshing.session import refine_towards


def shells_mesh(shells, outer_radius_m, size_m, shell_size_m, dim):
    """gmsh mesh of nested closed shells inside an outer sphere/circle; returns (skfem mesh, {name: facets})."""

    names = [f"shell{i}" for i in range(len(shells))]

    def build(gmsh):
        occ = gmsh.model.occ
        tags = []
        for kind, size in shells:
            if dim == 3:
                if kind == "sphere":
                    tags.append(occ.addSphere(0, 0, 0, size))
                else:
                    hx, hy, hz = np.asarray(size, float) / 2
                    tags.append(occ.addBox(-hx, -hy, -hz, 2 * hx, 2 * hy, 2 * hz))
            else:
                if kind == "sphere":
                    tags.append(occ.addDisk(0, 0, 0, size, size))
                else:
                    hx, hy = np.asarray(size, float)[:2] / 2
                    tags.append(occ.addRectangle(-hx, -hy, 0, 2 * hx, 2 * hy))
        outer = occ.addSphere(0, 0, 0, outer_radius_m) if dim == 3 else occ.addDisk(0, 0, 0, outer_radius_m,
                                                                                       outer_radius_m)
        occ.fragment([(dim, outer)], [(dim, t) for t in tags])
        occ.synchronize()
        vols = [t for _, t in gmsh.model.getEntities(dim)]
        gmsh.model.addPhysicalGroup(dim, vols, name="air")
        surfs = [t for _, t in gmsh.model.getEntities(dim - 1)]
        groups = {nm: [] for nm in names + ["outer"]}
        for s in surfs:
            lo = np.array(gmsh.model.getBoundingBox(dim - 1, s))
            ext = np.max(np.abs(lo))
            if abs(ext - outer_radius_m) < 1e-6 * outer_radius_m:
                groups["outer"].append(s)
                continue
            for i, (kind, size) in enumerate(shells):
                e = size if kind == "sphere" else np.max(np.asarray(size, float)[:dim]) / 2
                if abs(ext - e) < 1e-6 * max(e, 1e-9) or (kind != "sphere" and np.allclose(
                        np.abs(lo[:dim]).max(), e)):
                    groups[nm := names[i]].append(s)
                    break
        for nm, ts in groups.items():
            if ts:
                gmsh.model.addPhysicalGroup(dim - 1, ts, name=nm)
        refine_towards(gmsh, [s for nm in names for s in groups[nm]], dim - 1, shell_size_m, size_m, 0.0,
                       4 * size_m)
        gmsh.model.mesh.generate(dim)

    key_data = {"shells": shells, "ro": outer_radius_m, "h": size_m, "hs": shell_size_m, "dim": dim}
    return cached_mesh(f"shells{dim}d", key_data, build, names=names + ["outer"])[2]


def ring_mesh_2d(radius_m: float, thickness_m: float, n_through: int, outer_radius_m: float):
    """Triangles of a ring (inner radius radius_m, the layer meshed with n_through elements across its thickness)
    inside a disk of outer_radius_m; returns (mesh, {"outer": facets}, element mask of the layer)."""
    R, t, ro = radius_m, thickness_m, outer_radius_m

    def build(gmsh):
        occ = gmsh.model.occ
        outer = occ.addDisk(0, 0, 0, ro, ro)
        d1 = occ.addDisk(0, 0, 0, R + t, R + t)
        d0 = occ.addDisk(0, 0, 0, R, R)
        occ.fragment([(2, outer)], [(2, d1), (2, d0)])
        occ.synchronize()
        for _, s in gmsh.model.getEntities(2):
            x, y, _ = gmsh.model.occ.getCenterOfMass(2, s)
            area = gmsh.model.occ.getMass(2, s)
            ring = abs(area - np.pi * ((R + t) ** 2 - R**2)) < 1e-6 * area
            gmsh.model.addPhysicalGroup(2, [s], name="layer" if ring else f"air{s}")
        curves = [c for _, c in gmsh.model.getEntities(1)]
        for c in curves:
            bb = gmsh.model.getBoundingBox(1, c)
            if abs(bb[3] - ro) < 1e-6 * ro:
                gmsh.model.addPhysicalGroup(1, [c], name="outer")
        layer_curves = [c for c in curves if gmsh.model.getBoundingBox(1, c)[3] < ro * 0.99]
        refine_towards(gmsh, layer_curves, 1, t / n_through, R / 3, t, R)
        gmsh.model.mesh.generate(2)

    mesh, facets, groups = cached_mesh("cyl2d", {"R": R, "t": t, "n": n_through, "ro": ro}, build, names=["outer"],
                                       cell_tags=True)[2]
    return mesh, facets, groups["layer"]


def shell_gauge(shape: str, size_m, axis: int, points_m) -> np.ndarray:
    """1 on a closed shell centred at the origin, < 1 inside, > 1 outside (sup norm of the scaled coordinates)."""
    p = np.atleast_2d(points_m)
    if shape == "sphere":
        return np.linalg.norm(p, axis=1) / size_m[0]
    if shape == "box":
        return np.max(np.abs(p) / (0.5 * np.asarray(size_m)), axis=1)
    R, h = size_m
    rho = np.linalg.norm(np.delete(p, axis, axis=1), axis=1)
    return np.maximum(rho / R, np.abs(p[:, axis]) / (0.5 * h))


def _half_diagonal(shape: str, size_m, axis: int) -> float:
    if shape == "sphere":
        return float(size_m[0])
    if shape == "box":
        return 0.5 * float(np.linalg.norm(size_m))
    return float(np.hypot(size_m[0], 0.5 * size_m[1]))


def nested_shells_mesh(geo, ro, size_m, shell_size_m, far_size_m, *, grade: float):
    """Tetrahedra of nested closed shells geo = [(shape, size_m, axis)] (inner to outer; sphere (R,), box
    (lx, ly, lz), cylinder (R, h) along axis) inside a sphere of radius ro: (skfem mesh, {"shell{k}", "outer":
    facets}, region index per tetrahedron: 0 the room, k the gap outside shell k-1, n the exterior)."""
    n = len(geo)

    def build(gmsh):
        occ = gmsh.model.occ
        tags = []
        for shape, size, axis in geo:
            if shape == "sphere":
                tags.append(occ.addSphere(0, 0, 0, size[0]))
            elif shape == "box":
                hx, hy, hz = 0.5 * np.asarray(size)
                tags.append(occ.addBox(-hx, -hy, -hz, 2 * hx, 2 * hy, 2 * hz))
            else:
                R, h = size
                ax = np.eye(3)[axis] * h
                tags.append(occ.addCylinder(*(-0.5 * ax), *ax, R))
        outer = occ.addSphere(0, 0, 0, ro)
        occ.fragment([(3, outer)], [(3, t) for t in tags])
        occ.synchronize()
        surf_index = {}
        for _, s in gmsh.model.getEntities(2):
            lo, hi = gmsh.model.getParametrizationBounds(2, s)
            uv = np.array([[lo[0] + f0 * (hi[0] - lo[0]), lo[1] + f1 * (hi[1] - lo[1])]
                           for f0, f1 in ((0.5, 0.5), (0.3, 0.6), (0.7, 0.4))])
            x = np.array(gmsh.model.getValue(2, s, uv.ravel().tolist())).reshape(-1, 3)
            if np.allclose(np.linalg.norm(x, axis=1), ro, rtol=1e-6):
                surf_index[s] = n
                continue
            hits = [k for k, (sh, sz, ax) in enumerate(geo) if np.allclose(shell_gauge(sh, sz, ax, x), 1.0, atol=1e-7)]
            if len(hits) != 1:
                raise RuntimeError(f"gmsh surface {s} matches shells {hits}")
            surf_index[s] = hits[0]
        for k in range(n + 1):
            gmsh.model.addPhysicalGroup(2, [s for s, j in surf_index.items() if j == k],
                                        name="outer" if k == n else f"shell{k}")
        for _, v in gmsh.model.getEntities(3):
            bnd = [abs(t) for _, t in gmsh.model.getBoundary([(3, v)], oriented=False)]
            region = max(surf_index[t] for t in bnd)  # room: shell0 only; gap j: shells j-1, j; exterior: outer
            gmsh.model.addPhysicalGroup(3, [v], tag=100 + region, name=f"region{region}")
        fields = gmsh.model.mesh.field
        dist = fields.add("Distance")
        fields.setNumbers(dist, "SurfacesList", [s for s, j in surf_index.items() if j < n])
        fields.setNumber(dist, "Sampling", int(min(500, max(20, 4 * _half_diagonal(*geo[-1]) / shell_size_m))))
        thr = fields.add("Threshold")
        fields.setNumber(thr, "InField", dist)
        fields.setNumber(thr, "SizeMin", shell_size_m)
        fields.setNumber(thr, "SizeMax", far_size_m)
        fields.setNumber(thr, "DistMin", 0.0)
        fields.setNumber(thr, "DistMax", (far_size_m - shell_size_m) / grade)
        inner = fields.add("Ball")  # the room: at most size_m
        fields.setNumber(inner, "Radius", _half_diagonal(*geo[0]))
        fields.setNumber(inner, "VIn", size_m)
        fields.setNumber(inner, "VOut", far_size_m)
        fmin = fields.add("Min")
        fields.setNumbers(fmin, "FieldsList", [thr, inner])
        fields.setAsBackgroundMesh(fmin)
        for option in ("Mesh.MeshSizeExtendFromBoundary", "Mesh.MeshSizeFromPoints",
                       "Mesh.MeshSizeFromCurvature"):
            gmsh.option.setNumber(option, 0)
        gmsh.option.setNumber("Mesh.Algorithm3D", 10)
        gmsh.model.mesh.generate(3)
        old, new = gmsh.model.mesh.computeRenumbering("Hilbert")
        gmsh.model.mesh.renumberNodes(old, new)

    key = {"geo": geo, "ro": ro, "h": size_m, "hs": shell_size_m, "hf": far_size_m, "g": grade}
    mesh, facets, groups = cached_mesh("nested", key, build, names=[f"shell{k}" for k in range(n)] + ["outer"],
                                       cell_tags=True)[2]
    region = np.full(mesh.t.shape[1], -1, np.int64)
    for k in range(n + 1):
        region[groups[f"region{k}"]] = k
    return mesh, facets, region
