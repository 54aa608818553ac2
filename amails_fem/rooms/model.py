"""The discretised room shared by every room solver: mesh, basis, the Laplace matrix and the wall loads, checks.

Straight-sided meshes use the one-matmul stiffness of amails_fem/fem/assembly.py; curved (MeshTet2) meshes use
scikit-fem's isoparametric assembly. Inputs are validated here before any meshing.
"""

from __future__ import annotations

import time

import numpy as np
from skfem import Basis, ElementTetP1, ElementTetP2, FacetBasis
from skfem.mapping import MappingAffine

from amails_fem.errors import SpecError
from amails_fem.fem.assembly import CsrPattern, stiffness_affine, stiffness_csr
from amails_fem.fem.facet_loads import p2_linear_loads
from amails_fem.fem.forms import laplace, unit_load
from amails_fem.fem.numbering import inverse_permutation, local_order
from amails_fem.linalg.krylov import make_compatible
from amails_fem.meshing.read import boundary_facets
from amails_fem.meshing.rooms import RoomMesh, mesh_room
from amails_fem.rooms.sources import neumann_load, neumann_values
from amails_fem.specs.rooms import RoomBase
from amails_fem.threads import kernel_threads_for
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


class _NoPointsMapping(MappingAffine):
    """The affine mapping of a basis without quadrature points: the Jacobians at zero points are empty arrays, so
    building the basis never forms the per-element matrices (0.36 s and 0.12 GB at 1e6 P2 DOFs)."""

    def invDF(self, X, tind=None):
        if X.shape[-1]:
            return super().invDF(X, tind)
        return np.zeros((self.dim, self.dim, self.mesh.nelements if tind is None else len(tind), 0))

    def detDF(self, X, tind=None):
        if X.shape[-1]:
            return super().detDF(X, tind)
        return np.zeros((self.mesh.nelements if tind is None else len(tind), 0))


def room_basis(rm: RoomMesh, order: int):
    """Lagrange P1/P2 basis on a room mesh. Affine meshes: no quadrature points, since the stiffness, the wall loads
    and the point evaluation never read precomputed basis values (a one-point quadrature held 0.2 GB of them at
    1e6 P2 DOFs); the basis then takes the mesh's own mapping, whose per-element matrices are made when a field is
    first evaluated, after the solve."""
    elem = ElementTetP2() if order == 2 else ElementTetP1()
    if rm.geometric_order == 2:
        return Basis(rm.mesh, elem)
    basis = Basis(rm.mesh, elem, mapping=_NoPointsMapping(rm.mesh), quadrature=(np.zeros((3, 0)), np.zeros(0)),
                  disable_doflocs=True)
    basis.mapping = rm.mesh.mapping()
    basis.doflocs = affine_doflocs(basis)
    return basis


def affine_doflocs(basis) -> np.ndarray:
    """Lagrange P1/P2 DOF locations on straight tetrahedra (3, N): the vertices and the edge midpoints, without
    scikit-fem's per-element mapping of the reference nodes (0.8 s at 1e6 P2 DOFs; equal to round-off)."""
    mesh = basis.mesh
    out = np.empty((3, basis.N))
    out[:, basis.nodal_dofs[0]] = mesh.p[:, : basis.nodal_dofs.shape[1]]
    if basis.edge_dofs.size:
        ends = mesh.edges
        out[:, basis.edge_dofs[0]] = 0.5 * (mesh.p[:, ends[0]] + mesh.p[:, ends[1]])
    return out


ASSEMBLY_METHODS = ("csr", "coo")  # csr: row-wise into a CSR pattern (compiled); coo: one matmul, COO -> CSR
NUMBERINGS = ("local", "skfem")  # local: RCM vertices with the edge DOFs beside them (fem/numbering.py)


def stiffness(basis, order: int, curved: bool, assembly: str = "csr", dof_inverse=None):
    """The Laplace matrix; with dof_inverse (old DOF -> new DOF) in that numbering (affine meshes only)."""
    if curved:
        return laplace.assemble(basis).tocsr()
    edofs = basis.element_dofs if dof_inverse is None else dof_inverse[basis.element_dofs]
    if assembly == "coo":
        return stiffness_affine(basis.mesh, edofs, basis.N, order)
    # elements in order of their lowest DOF: the row-wise accumulation then reads neighbouring elements
    by_row = np.argsort(edofs.min(axis=0), kind="stable")
    mesh = type(basis.mesh)(basis.mesh.p, np.ascontiguousarray(basis.mesh.t[:, by_row])) if dof_inverse is not None else basis.mesh
    edofs = edofs[:, by_row] if dof_inverse is not None else edofs
    return stiffness_csr(mesh, CsrPattern(edofs, basis.N), order)


def assemble_room(basis, wall_facets: np.ndarray, order: int, curved: bool, assembly: str = "csr", dof_inverse=None):
    """Stiffness matrix, Neumann right-hand sides (3, N) for p = x, y, z, and the boundary mass vector (in the
    numbering dof_inverse maps to, default scikit-fem's)."""
    A = stiffness(basis, order, curved, assembly, dof_inverse)
    if assembly == "csr" and order == 2 and not curved:  # exact for the linear wall data on flat facets
        loads = p2_linear_loads(basis, wall_facets, lambda x, n: neumann_values(x, n) + [np.ones(x.shape[1:])])
        rhs, bmass = loads[:3], loads[3]
    else:
        fb = FacetBasis(basis.mesh, basis.elem, facets=wall_facets, intorder=None if curved else order + 2)
        rhs = np.array([neumann_load(k).assemble(fb) for k in range(3)])
        bmass = unit_load.assemble(fb)
    if dof_inverse is not None:
        new = np.empty_like(rhs)
        new[:, dof_inverse] = rhs
        rhs = new
        bmass_new = np.empty_like(bmass)
        bmass_new[dof_inverse] = bmass
        bmass = bmass_new
    return A, rhs, bmass


def mesh_and_assemble(spec, order, mesh_size_m, wall_size_m, progress, use_cache, assembly: str = "csr",
                      numbering: str = "skfem"):
    """Mesh the room, build the basis, assemble A and the compatible Neumann data (3, N); time each stage.

    numbering "local" (affine meshes): A and the data in the local DOF order; returns its (perm, vertex_rank)
    (new DOF i is scikit-fem DOF perm[i]) as the last item, else None.
    """
    require_option(assembly, "assembly", ASSEMBLY_METHODS)
    require_option(numbering, "numbering", NUMBERINGS)
    rm = mesh_room(spec, size_m=mesh_size_m, wall_size_m=wall_size_m, order=order, progress=progress,
                   use_cache=use_cache)
    timings = {"mesh": rm.seconds}
    with progress.step("assembling") as info:
        t0, c0 = time.perf_counter(), time.process_time()
        basis = room_basis(rm, order)
        curved = rm.geometric_order == 2
        renumber = None
        inverse = None
        if numbering == "local" and not curved:
            perm, rank = local_order(basis)
            inverse = inverse_permutation(perm)
            renumber = (perm, rank)
        facets = boundary_facets(rm.mesh) if assembly == "csr" else rm.mesh.boundary_facets()
        with kernel_threads_for(basis.N):
            A, rhs, bmass = assemble_room(basis, facets, order, curved, assembly, inverse)
        rhs, defect = make_compatible(rhs, bmass)
        timings["assembly"] = time.perf_counter() - t0
        timings["assembly_cpu"] = time.process_time() - c0
        info["note"] = f"{basis.N} DOFs (P{order})"
    return rm, basis, A, rhs, defect, timings, renumber
