"""Perfectly conducting box rooms with openings: doors, seams, holes, tubes (docs/physics.md sec. 6, docs/openings.md).

The same scalar formulation as amails_fem/rooms/perfect.py, on the joined air domain (room + tube interiors + the gap
to the next layer or a truncated lab): B = mu0 (a + grad psi), a = J x r / 2, lap psi = 0, the Neumann data
d psi / dn = -n . a on every conductor face (both sides of the zero-thickness wall sheets, the tube walls and the
next layer). The openings are interior surfaces. A lab region's truncation carries the ambient field: psi = 0 for
the dark-photon current (the lab field is then (mu0/2) J x r about the room centre, the closed room's own
particular field), and, for the transfer of a uniform ambient field B0 (J = 0), psi_d = x_d, so that
T(r) = grad psi_d gives B(r) = T(r) B0.

Every connected part of the domain without a truncation is a pure Neumann problem: its data are made compatible
and one DOF pinned (a door closed with contact leaves the gap as a part of its own). The net flux of B through the
openings of the room is zero (div B = 0 in the room, n . B = 0 on its walls); `opening_fluxes` reports it two ways:
the consistent (Galerkin) flux, zero to the solver tolerance, and the surface integral of B . n over each
aperture, zero up to discretisation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from amails_fem import units
from amails_fem.errors import SpecError
from amails_fem.fem.numbering import inverse_permutation, local_order
from amails_fem.fem.probe import PointLocator, gradient_matrices, value_matrix
from amails_fem.linalg.amg import neumann_preconditioner, p1_to_p2_prolongation
from amails_fem.linalg.krylov import SolveStats, checked_cg, make_compatible, one_blas_thread, solve_neumann
from amails_fem.log import Progress
from amails_fem.meshing.openings import OpenRoomMesh, mesh_open_room
from amails_fem.rooms.model import assemble_room, check_solver_options, room_basis
from amails_fem.rooms.perfect import RoomResponse
from amails_fem.rooms.sources import half_cross_matrix
from amails_fem.specs.rooms import BoxRoom, CylinderRoom
from amails_fem.threads import kernel_threads_for
from amails_fem.validate import as_points

OUTSIDE_TOL = 1e-6  # barycentric units: a point further outside every element is not in the domain


@dataclass
class OpeningRoomResponse(RoomResponse):
    """A solved room with openings; evaluates B in the room, the tubes and the outer region (SI).

    psi_m (3, N): potentials per unit mu0 J for p = x, y, z; transfer_psi (3, N) or None: the potentials of a unit
    uniform ambient field along x, y, z (lab rooms only), dimensionless per metre.
    """

    transfer_psi: np.ndarray | None = None
    residuals: np.ndarray | None = None  # (3 or 6, N): A psi - b, for the consistent fluxes
    components: dict = field(default_factory=dict)

    def _located(self, points_m):
        pts = as_points(points_m)
        _, _, outside = PointLocator.for_basis(self.basis).locate(pts)
        if np.any(outside > OUTSIDE_TOL):
            bad = np.flatnonzero(outside > OUTSIDE_TOL)
            raise SpecError(f"points_m: {len(bad)} point(s) outside the room and its outer region, rows "
                            f"{bad[:10].tolist()}, e.g. {pts[bad[0]].tolist()} m")
        return pts

    def response_matrix(self, points_m) -> np.ndarray:
        """R (N, 3, 3) [point, B component, polarization] in T per A/m^2, anywhere in the joined domain."""
        pts = self._located(points_m)
        G = gradient_matrices(self.basis, pts)
        grad = np.stack([g @ self.psi_m.T for g in G], axis=1)
        return units.MU0_H_M * (grad + half_cross_matrix(pts))

    def transfer_matrix(self, points_m) -> np.ndarray:
        """T (N, 3, 3): B(r) = T(r) B0 for a uniform ambient field B0 at the lab truncation (J = 0); lab rooms only."""
        if self.transfer_psi is None:
            raise SpecError("transfer_matrix needs openings that lead to the lab (leads_to = 'lab')")
        pts = self._located(points_m)
        G = gradient_matrices(self.basis, pts)
        return np.stack([g @ self.transfer_psi.T for g in G], axis=1)

    def transfer_potential(self, points_m) -> np.ndarray:
        """(N, 3) potentials psi_d of a unit ambient field along x, y, z (m): T = grad psi_d; lab rooms only."""
        if self.transfer_psi is None:
            raise SpecError("transfer_potential needs openings that lead to the lab (leads_to = 'lab')")
        return (value_matrix(self.basis, self._located(points_m)) @ self.transfer_psi.T)

    def opening_fluxes(self) -> dict:
        """Net flux of B out of the room through the openings, per polarization (and per ambient direction):
        'consistent' (Galerkin, all openings together; zero to the solver tolerance), 'consistent_regions' the same
        out of each region (room, gap_1, ...; the closed ones, all but a lab), 'surface' per aperture (quadrature
        of B . n on its facets from its inner side: the room for opening_i, gap j - 1 for opening_i_layerj),
        'gross' per aperture (int |B . n|); B per unit mu0 J (m^3) or per unit ambient field (m^2)."""
        rm: OpenRoomMesh = self.room_mesh
        region = rm.region  # 0 the room, j gap j (meshing/openings.py)
        regions = {}
        for j in range(int(region.max()) + 1):
            if rm.outer == "lab" and j == int(region.max()):
                continue  # the lab: the flux leaves through its truncation
            chi = np.zeros(self.basis.N)
            chi[np.unique(self.basis.element_dofs[:, region == j])] = 1.0
            regions["room" if j == 0 else f"gap_{j}"] = (-(self.residuals @ chi)).tolist()
        out = {"consistent": regions["room"], "consistent_regions": regions, "surface": {}, "gross": {}}
        for name, facets in rm.apertures.items():
            pts, normals, weights = _aperture_quadrature(rm, facets)
            G = gradient_matrices(self.basis, pts)
            fields = [np.stack([g @ self.psi_m.T for g in G], 1) + half_cross_matrix(pts)]  # (n, 3, 3)
            if self.transfer_psi is not None:
                fields.append(np.stack([g @ self.transfer_psi.T for g in G], 1))
            bn = np.einsum("nc,ncp->np", normals, np.concatenate(fields, axis=2))
            out["surface"][name] = (weights @ bn).tolist()
            out["gross"][name] = (weights @ np.abs(bn)).tolist()
        return out


def _aperture_quadrature(rm: OpenRoomMesh, facets: np.ndarray):
    """Points just inside the inner-side element of each aperture facet (the room, or the gap inside the layer;
    3-point rule, exact for quadratics), the normals out of that side and the weights (m^2)."""
    mesh = rm.mesh
    f2t = mesh.f2t[:, facets]
    region = rm.region
    room_el = np.where(region[f2t[0]] < region[f2t[1]], f2t[0], f2t[1])
    X = mesh.p[:, mesh.facets[:, facets]]  # (3, 3 vertices, nf)
    n = np.cross(X[:, 1] - X[:, 0], X[:, 2] - X[:, 0], axis=0)
    area = 0.5 * np.linalg.norm(n, axis=0)
    n /= 2 * area
    centroid_el = mesh.p[:, mesh.t[:, room_el]].mean(axis=1)
    sign = np.sign(np.einsum("cf,cf->f", n, X.mean(axis=1) - centroid_el))
    n *= sign
    lam = np.array([[2 / 3, 1 / 6, 1 / 6], [1 / 6, 2 / 3, 1 / 6], [1 / 6, 1 / 6, 2 / 3]])
    pts, normals, weights = [], [], []
    h = np.sqrt(area)
    for q in lam:
        x = np.einsum("v,cvf->cf", q, X)
        pts.append((x + 1e-7 * h * (centroid_el - x) / np.linalg.norm(centroid_el - x, axis=0)).T)
        normals.append(n.T)
        weights.append(area / 3)
    return np.concatenate(pts), np.concatenate(normals), np.concatenate(weights)


def _dof_components(basis) -> np.ndarray:
    """Connected part of the domain of each DOF (vertex graph of the tetrahedra; a door with contact leaves two)."""
    t = basis.mesh.t[:4]
    nv = basis.mesh.p.shape[1]
    rows = np.concatenate([t[0], t[0], t[0], t[1], t[1], t[2]])
    cols = np.concatenate([t[1], t[2], t[3], t[2], t[3], t[3]])
    graph = sp.coo_matrix((np.ones(len(rows), bool), (rows, cols)), shape=(nv, nv)).tocsr()
    _, vertex_label = connected_components(graph, directed=False)
    label = np.empty(basis.N, np.int64)
    label[basis.element_dofs] = vertex_label[t[0]][None, :]
    _, label = np.unique(label, return_inverse=True)  # unused vertices (none in gmsh meshes) leave no gaps
    return label


def _solve_one_part(A, rhs, basis, order: int, rank, inverse, tol: float, progress):
    """A room and gap forming one floating part, no Dirichlet data: the closed rooms' block CG with the two-level
    preconditioner (linalg/krylov.py) in the local DOF numbering (fem/numbering.py: vertex rank, inverse = old ->
    new DOF); returns psi (3, N) with zero mean and the residuals, both in scikit-fem's numbering, and the solver's
    statistics."""
    P = p1_to_p2_prolongation(basis, inverse, rank) if order == 2 else None
    psi, stats = solve_neumann(A, rhs, P=P, pin=0, tol=tol, progress=progress)
    residuals = (psi @ A.T - rhs)[:, inverse]  # A symmetric
    psi = psi[:, inverse]
    return psi - psi.mean(axis=1, keepdims=True), residuals, stats


@one_blas_thread
def _solve(A, rhs, fixed, fixed_values, P, tol):
    """Solve A x = rhs_k with x = fixed_values_k at the fixed DOFs; one preconditioner for all right-hand sides."""
    n = A.shape[0]
    free = np.setdiff1d(np.arange(n), fixed)
    A_ff = A[free][:, free].tocsr()
    A_fd = A[free][:, fixed].tocsr()
    t0 = time.perf_counter()
    M, name = neumann_preconditioner(A_ff, None if P is None else P[free].tocsr())
    setup = time.perf_counter() - t0
    X = np.zeros((rhs.shape[0], n))
    its, res = [], []
    t0 = time.perf_counter()
    for k in range(rhs.shape[0]):
        X[k, fixed] = fixed_values[k]
        b = rhs[k, free] - A_fd @ fixed_values[k]
        if np.linalg.norm(b) == 0:
            its.append(0)
            res.append(0.0)
            continue
        x, it, r = checked_cg(A_ff, b, M, tol=tol, maxiter=1000, what="CG (room with openings)")
        X[k, free] = x
        its.append(it)
        res.append(r)
    return X, SolveStats(name, setup, time.perf_counter() - t0, its, res, tol)


def solve_opening_room(spec, *, order: int = 2, mesh_size_m=None, wall_size_m=None, opening_size_m=None,
                       tol: float = 1e-10, quiet: bool = True, progress: Progress | None = None,
                       use_cache: bool = True) -> OpeningRoomResponse:
    """Perfectly conducting box room with openings: the three polarizations (and, for lab rooms, the transfer of a
    uniform ambient field) on the joined domain; returns an OpeningRoomResponse (SI)."""
    check_solver_options(spec, order, tol)
    if not isinstance(spec, (BoxRoom, CylinderRoom)) or not spec.openings:
        raise SpecError("solve_opening_room needs a box or cylinder room with openings (box_room(..., openings=[...]))")
    progress = progress or Progress(quiet=quiet)
    rm = mesh_open_room(spec, size_m=mesh_size_m, wall_size_m=wall_size_m, opening_size_m=opening_size_m,
                        progress=progress, use_cache=use_cache)
    timings = {"mesh": rm.seconds}
    with progress.step("assembling") as info:
        t0 = time.perf_counter()
        basis = room_basis(rm, order)
        dirichlet = basis.get_dofs(facets=rm.truncation_facets).all() if len(rm.truncation_facets) else \
            np.array([], np.int64)
        label = _dof_components(basis)
        n_comp = int(label.max()) + 1
        one_part = n_comp == 1 and dirichlet.size == 0  # a room with a gap: the closed rooms' numbering and solver
        renumber = local_order(basis) if one_part else None
        inverse = inverse_permutation(renumber[0]) if one_part else None
        with kernel_threads_for(basis.N):  # exact loads on the flat facets
            A, rhs, bmass = assemble_room(basis, rm.conductor_facets, order, False, "csr", inverse)
        fixed, defect, floating = [dirichlet], 0.0, 0
        if one_part:
            rhs, defect = make_compatible(rhs, bmass)
            floating = 1
        for c in range(0 if one_part else n_comp):
            dofs = np.flatnonzero(label == c)
            if np.intersect1d(dofs, dirichlet).size:
                continue
            floating += 1
            mask = np.zeros(basis.N)
            mask[dofs] = 1.0
            m = bmass * mask
            total = rhs @ mask
            scale = np.abs(rhs * mask).sum(axis=1)
            defect = max(defect, float(np.max(np.abs(total) / np.where(scale > 0, scale, 1.0))))
            rhs = rhs - np.outer(total / m.sum(), m)
            fixed.append(dofs[:1])
        fixed = np.concatenate(fixed).astype(np.int64)
        timings["assembly"] = time.perf_counter() - t0
        info["note"] = f"{basis.N} DOFs (P{order}), {n_comp} connected part(s), {floating} floating"
    n_sol = 3
    values = np.zeros((3, len(fixed)))
    if rm.outer == "lab":  # the ambient transfer: psi_d = x_d at the truncation, no wall data
        xd = basis.doflocs[:, fixed]
        xd[:, ~np.isin(fixed, dirichlet)] = 0.0
        rhs = np.vstack([rhs, np.zeros((3, basis.N))])
        values = np.vstack([values, xd])
        n_sol = 6
    with progress.step(f"solving {n_sol} right-hand sides (one matrix, one preconditioner)"):
        if one_part:
            with kernel_threads_for(basis.N):
                psi, residuals, stats = _solve_one_part(A, rhs, basis, order, renumber[1], inverse, tol, progress)
        else:
            P = p1_to_p2_prolongation(basis) if order == 2 else None
            psi, stats = _solve(A, rhs, fixed, values, P, tol)
            residuals = psi @ A.T - rhs  # A symmetric
            residuals[:, fixed] = np.where(np.isin(fixed, dirichlet), 0.0, residuals[:, fixed])
    timings["preconditioner"] = stats.setup_seconds
    timings["solve"] = stats.solve_seconds
    return OpeningRoomResponse(spec=spec, room_mesh=rm, basis=basis, psi_m=psi[:3], order=order, solve=stats,
                               timings_s=timings, compatibility_defect=defect,
                               transfer_psi=psi[3:] if n_sol == 6 else None, residuals=residuals,
                               components={"parts": int(n_comp), "floating": floating})
