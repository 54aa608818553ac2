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
