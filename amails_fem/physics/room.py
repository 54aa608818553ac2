"""Quasi-static shield room with perfectly conducting walls (physics.md sec. 2).

Inside a closed conducting room the dark-photon effective current J gives
    curl B = mu0 J,  div B = 0,  n . B = 0 on the walls.
With B = mu0 [ (1/2) J x r + grad psi ], psi is harmonic with Neumann data
    d psi / dn = -(1/2) n . (J x r)                                   (per unit mu0)
One scalar Laplace solve per polarization; the three polarizations share one matrix and one
preconditioner, giving the response tensor R(r) (tesla per A/m^2). B is linear in J, hence in f.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from amails_fem import units
from amails_fem.errors import SpecError
from amails_fem.geometry.spec import RoomBase
from amails_fem.mesh import RoomMesh, mesh_room
from amails_fem.physics.assembly import stiffness_affine
from amails_fem.physics.linsolve import SolveStats, make_compatible, p1_to_p2_prolongation, solve_neumann
from amails_fem.physics.sources import unit_polarization
from amails_fem.progress import Progress

QUASI_STATIC_LIMIT = 0.01  # warn when 2 pi f L / c exceeds this


@dataclass
class RoomResponse:
    """The solved room: psi_k for p = x, y, z on a mesh; evaluates B anywhere inside (SI)."""

    spec: RoomBase
    room_mesh: RoomMesh
    basis: object  # skfem CellBasis
    psi_m: np.ndarray  # (3, N): potential per unit mu0 J, metres^2 (B = mu0 (J x r / 2 + grad psi))
    order: int
    solve: SolveStats
    timings_s: dict = field(default_factory=dict)
    compatibility_defect: float = 0.0

    # -- evaluation ---------------------------------------------------------------------
    def response_matrix(self, points_m) -> np.ndarray:
        """R (N, 3, 3) [point, B component, polarization component] in tesla per A/m^2."""
        pts = points_inside(self.spec, points_m)
        from amails_fem.postprocess.probe import gradient_matrices

        G = gradient_matrices(self.basis, pts)
        grad = np.stack([g @ self.psi_m.T for g in G], axis=1)  # (N, 3 comp, 3 pol)
        return units.MU0_H_M * (grad + _half_cross_matrix(pts))

    def b_field(self, points_m, polarization) -> np.ndarray:
        """B (N, 3) in tesla for an effective current of 1 A/m^2 along the unit polarization."""
        return self.response_matrix(points_m) @ unit_polarization(polarization)

    def signal(self, points_m, polarization, eps: float, freq_hz: float,
               rho_gev_cm3: float = units.RHO_DM_GEV_CM3) -> np.ndarray:
        """B (N, 3) in tesla for a dark photon of kinetic mixing eps at freq_hz (amplitude, SI).

        J_eff = eps sqrt(2 rho/mu0) (2 pi f / c) (units.j_eff_a_m2); warns outside the quasi-static regime.
        """
        if not np.isfinite(freq_hz) or freq_hz <= 0:
            raise ValueError(f"freq_hz must be a finite number > 0; got {freq_hz!r}")
        check_quasi_static(freq_hz, self.spec.extent_m)
        return self.b_field(points_m, polarization) * units.j_eff_a_m2(eps, freq_hz, rho_gev_cm3)

    # -- fields on the mesh -------------------------------------------------------------
    def vertex_field(self) -> np.ndarray:
        """B (3 pol, n_vertices, 3) in T per A/m^2 at mesh vertices: element gradients averaged per vertex."""
        from skfem import CellBasis

        mesh = self.basis.mesh
        X = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
        at_vertices = CellBasis(mesh, self.basis.elem, quadrature=(X, np.full(4, 1 / 24)))
        nv = mesh.nvertices
        count = np.bincount(mesh.t[:4].ravel(), minlength=nv)
        out = np.empty((3, nv, 3))
        for k in range(3):
            g = at_vertices.interpolate(self.psi_m[k]).grad  # (3, nel, 4)
            for d in range(3):
                out[k, :, d] = np.bincount(mesh.t[:4].T.ravel(), weights=g[d].ravel(), minlength=nv) / count
        half = _half_cross_matrix(mesh.p[:, :nv].T)  # (nv, 3, 3)
        return units.MU0_H_M * (out + np.moveaxis(half, 2, 0))

    def wall_normal_residual(self, n: int = 21) -> dict:
        """Error indicator: |n . B| on the walls relative to |B| there (n . B = 0 exactly on a conductor).

        Returns the max (dominated by edges and corners, where the field is least smooth) and the
        area-weighted rms ratio, over all walls and polarizations.
        """
        from amails_fem.postprocess.fieldmap import sample_walls

        wall_map = sample_walls(self, standoff_m=1e-7 * self.spec.extent_m, n=n)
        comps = [(wall_map.components(p.name, k), p.area_m2) for p in wall_map.patches for k in range(3)]
        b_max = max(c["B_mag"].max() for c, _ in comps)
        ms_n = sum((c["B_n"] ** 2 * a).sum() for c, a in comps)
        ms_b = sum((c["B_mag"] ** 2 * a).sum() for c, a in comps)
        return {"max": float(max(np.abs(c["B_n"]).max() for c, _ in comps) / b_max), "rms": float(np.sqrt(ms_n / ms_b))}

    def statistics(self) -> dict:
        """Mesh and solver numbers for summaries and benchmarks."""
        rm = self.room_mesh
        return {
            "order": self.order,
            "dofs": int(self.basis.N),
            "tetrahedra": rm.n_elements,
            "vertices": rm.n_vertices,
            "mesh_size_m": rm.size_m,
            "wall_size_m": rm.wall_size_m,
            "geometric_order": rm.geometric_order,
            "mesh_key": rm.key,
            "preconditioner": self.solve.preconditioner,
            "cg_iterations": self.solve.iterations,
            "relative_residuals": self.solve.relative_residuals,
            "tolerance": self.solve.tolerance,
            "compatibility_defect": self.compatibility_defect,
            "seconds": dict(self.timings_s),
        }


def points_inside(spec: RoomBase, points_m) -> np.ndarray:
    """points_m as an (N, 3) float array; ValueError naming the rows that are not finite or outside the room."""
    pts = np.asarray(points_m, dtype=float)
    if pts.ndim == 1:
        pts = pts[None, :]
    if pts.ndim != 2 or pts.shape[1] != 3:
        raise ValueError(f"points_m must have shape (N, 3); got {np.shape(points_m)}")
    finite = np.all(np.isfinite(pts), axis=1)
    if not finite.all():
        raise ValueError(f"points_m rows {np.flatnonzero(~finite)[:10].tolist()} are not finite")
    inside = spec.contains(pts, margin_m=-1e-9 * spec.extent_m)
    if not inside.all():
        bad = np.flatnonzero(~inside)
        raise ValueError(f"{len(bad)} point(s) outside the {spec.shape} room, rows {bad[:10].tolist()}, "
                         f"e.g. {pts[bad[0]].tolist()} m (the room is centred at the origin)")
    return pts


def _half_cross_matrix(points: np.ndarray) -> np.ndarray:
    """(N, 3, 3) matrix C with C p = (1/2) p x r, the particular solution of curl B = mu0 J."""
    x, y, z = points.T
    zero = np.zeros_like(x)
    # p x r = [[0, z, -y], [-z, 0, x], [y, -x, 0]] p
    return 0.5 * np.stack([np.stack([zero, z, -y], -1), np.stack([-z, zero, x], -1), np.stack([y, -x, zero], -1)], 1)


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


def room_basis(rm: RoomMesh, order: int):
    """Lagrange P1/P2 basis on a room mesh (affine meshes: one quadrature point, the stiffness ignores it)."""
    from skfem import Basis, ElementTetP1, ElementTetP2

    elem = ElementTetP2() if order == 2 else ElementTetP1()
    return Basis(rm.mesh, elem, intorder=None if rm.geometric_order == 2 else 1)


def check_solver_options(spec, order: int, tol: float) -> None:
    """SpecError (before any meshing) unless spec is a room, order is 1 or 2 and 0 < tol < 1e-3."""
    if not isinstance(spec, RoomBase):
        raise SpecError(f"spec must be a room spec (amails_fem.geometry.box_room, ...); got {type(spec).__name__}")
    if order not in (1, 2):
        raise SpecError(f"order must be 1 or 2; got {order!r}")
    if not (0 < tol < 1e-3):
        raise SpecError(f"tol must be in (0, 1e-3); got {tol!r}")


def check_quasi_static(freq_hz: float, size_m: float) -> float:
    """Return 2 pi f L / c and warn when it exceeds 0.01 (use a full-wave solver there)."""
    kl = units.quasi_static_parameter(freq_hz, size_m)
    if kl > QUASI_STATIC_LIMIT:
        warnings.warn(f"2 pi f L / c = {kl:.3g} > {QUASI_STATIC_LIMIT} at f = {freq_hz:g} Hz, L = {size_m:g} m: "
                      "outside the quasi-static regime of this solver", RuntimeWarning, stacklevel=3)
    return kl


def assemble_room(basis, wall_facets: np.ndarray, order: int, curved: bool):
    """Stiffness matrix, Neumann right-hand sides (3, N) for p = x, y, z, and the boundary mass vector.

    Straight-sided meshes use the one-matmul assembly of physics/assembly.py; curved (MeshTet2)
    meshes scikit-fem's isoparametric assembly.
    """
    from skfem import BilinearForm, FacetBasis, LinearForm
    from skfem.helpers import dot, grad

    @LinearForm
    def boundary_mass(v, w):
        return v

    def neumann(k):
        @LinearForm
        def form(v, w):  # g_k = -(1/2) n . (e_k x r) = -(1/2) (r x n)_k
            x, n = w.x, w.n
            rxn = (x[1] * n[2] - x[2] * n[1], x[2] * n[0] - x[0] * n[2], x[0] * n[1] - x[1] * n[0])
            return -0.5 * rxn[k] * v
        return form

    if curved:
        A = BilinearForm(lambda u, v, w: dot(grad(u), grad(v))).assemble(basis).tocsr()
    else:
        A = stiffness_affine(basis.mesh, basis.element_dofs, basis.N, order)
    fb = FacetBasis(basis.mesh, basis.elem, facets=wall_facets, intorder=None if curved else order + 2)
    rhs = np.array([neumann(k).assemble(fb) for k in range(3)])
    return A, rhs, boundary_mass.assemble(fb)


def solve_room(spec: RoomBase, *, order: int = 2, mesh_size_m: float | None = None, wall_size_m: float | None = None,
               tol: float = 1e-10, quiet: bool = True, progress: Progress | None = None,
               use_cache: bool = True, wall=None, freqs_hz=None, preconditioner: str = "auto"):
    """Solve the room for the three polarizations; returns a RoomResponse (SI).

    order: Lagrange element order (1 or 2); mesh_size_m / wall_size_m: element sizes in the bulk and at
    the walls (default: the spec's [mesh], else L/12 and half of it); tol: CG relative residual.
    wall=None: perfectly conducting walls. Otherwise a wall model (amails_fem.walls) and freqs_hz, and the
    impedance-wall solver (physics/impedance_room.py) gives a complex, frequency-dependent response.
    """

    check_solver_options(spec, order, tol)
    if wall is not None:
        from amails_fem.physics.impedance_room import solve_impedance_room

        return solve_impedance_room(spec, wall=wall, freqs_hz=freqs_hz, order=order, mesh_size_m=mesh_size_m,
                                    wall_size_m=wall_size_m, tol=tol, quiet=quiet, progress=progress,
                                    use_cache=use_cache)
    if preconditioner not in ("auto", "sa"):
        raise SpecError(f"preconditioner must be 'auto' or 'sa'; got {preconditioner!r}")
    progress = progress or Progress(quiet=quiet)
    rm, basis, A, rhs, defect, timings = mesh_and_assemble(spec, order, mesh_size_m, wall_size_m, progress, use_cache)
    with progress.step("solving 3 polarizations (one matrix, one preconditioner)"):
        P = p1_to_p2_prolongation(basis) if order == 2 and preconditioner == "auto" else None
        psi, stats = solve_neumann(A, rhs, P=P, pin=int(basis.nodal_dofs[0, 0]), tol=tol, progress=progress)
        psi -= psi.mean(axis=1, keepdims=True)
    timings["preconditioner"] = stats.setup_seconds
    timings["solve"] = stats.solve_seconds
    return RoomResponse(spec=spec, room_mesh=rm, basis=basis, psi_m=psi, order=order, solve=stats,
                        timings_s=timings, compatibility_defect=defect)
