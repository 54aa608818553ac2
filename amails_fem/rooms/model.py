"""The discretised room shared by every room solver: mesh, basis, the Laplace matrix and the wall loads, checks.

Straight-sided meshes use the one-matmul stiffness of amails_fem/fem/assembly.py; curved (MeshTet2) meshes use
scikit-fem's isoparametric assembly. Inputs are validated here before any meshing.
"""

from __future__ import annotations

import time

import numpy as np
from skfem import Basis, ElementTetP1, ElementTetP2, FacetBasis

from amails_fem.errors import SpecError
from amails_fem.fem.assembly import stiffness_affine
from amails_fem.fem.forms import laplace, unit_load
from amails_fem.linalg.krylov import make_compatible
from amails_fem.meshing.rooms import RoomMesh, mesh_room
from amails_fem.rooms.sources import neumann_load
from amails_fem.specs.rooms import RoomBase
from amails_fem.validate import as_points, require_option


def points_inside(spec: RoomBase, points_m) -> np.ndarray:
    """points_m as an (N, 3) float array; SpecError naming the rows that are not finite or outside the room."""
    pts = as_points(points_m)
    inside = spec.contains(pts, margin_m=-1e-9 * spec.extent_m)
    if not inside.all():
        bad = np.flatnonzero(~inside)
        raise SpecError(f"points_m: {len(bad)} point(s) outside the {spec.shape} room, rows {bad[:10].tolist()}, "
                        f"e.g. {pts[bad[0]].tolist()} m (the room is centred at the origin)")
    return pts


def check_solver_options(spec, order: int, tol: float) -> None:
    """SpecError (before any meshing) unless spec is a room, order is 1 or 2 and 0 < tol < 1e-3."""
    if not isinstance(spec, RoomBase):
        raise SpecError(f"spec must be a room spec (amails_fem.geometry.box_room, ...); got {type(spec).__name__}")
    require_option(order, "order", (1, 2))
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not (0 < tol < 1e-3):
        raise SpecError(f"tol must be a number in (0, 1e-3) (relative true residual); got {tol!r}")


def room_basis(rm: RoomMesh, order: int):
    """Lagrange P1/P2 basis on a room mesh (affine meshes: one quadrature point, the stiffness ignores it)."""
    elem = ElementTetP2() if order == 2 else ElementTetP1()
    return Basis(rm.mesh, elem, intorder=None if rm.geometric_order == 2 else 1)


def assemble_room(basis, wall_facets: np.ndarray, order: int, curved: bool):
    """Stiffness matrix, Neumann right-hand sides (3, N) for p = x, y, z, and the boundary mass vector."""
    if curved:
        A = laplace.assemble(basis).tocsr()
    else:
        A = stiffness_affine(basis.mesh, basis.element_dofs, basis.N, order)
    fb = FacetBasis(basis.mesh, basis.elem, facets=wall_facets, intorder=None if curved else order + 2)
    rhs = np.array([neumann_load(k).assemble(fb) for k in range(3)])
    return A, rhs, unit_load.assemble(fb)


def mesh_and_assemble(spec, order, mesh_size_m, wall_size_m, progress, use_cache):
    """Mesh the room, build the basis, assemble A and the compatible Neumann data (3, N); time each stage."""
    rm = mesh_room(spec, size_m=mesh_size_m, wall_size_m=wall_size_m, order=order, progress=progress,
                   use_cache=use_cache)
    timings = {"mesh": rm.seconds}
    with progress.step("assembling") as info:
        t0 = time.perf_counter()
        basis = room_basis(rm, order)
        A, rhs, bmass = assemble_room(basis, rm.mesh.boundary_facets(), order, rm.geometric_order == 2)
        rhs, defect = make_compatible(rhs, bmass)
        timings["assembly"] = time.perf_counter() - t0
        info["note"] = f"{basis.N} DOFs (P{order})"
    return rm, basis, A, rhs, defect, timings
