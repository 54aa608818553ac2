"""Quasi-static shield room with perfectly conducting walls (docs/physics.md sec. 2).

Inside a closed conducting room the dark-photon effective current J gives
    curl B = mu0 J,  div B = 0,  n . B = 0 on the walls.
With B = mu0 [ (1/2) J x r + grad psi ], psi is harmonic with Neumann data
    d psi / dn = -(1/2) n . (J x r)                                   (per unit mu0)
One scalar Laplace solve per polarization; the three polarizations share one matrix and one
preconditioner, giving the response tensor R(r) (tesla per A/m^2). B is linear in J, hence in f.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from amails_fem import units
from amails_fem.fem.numbering import inverse_permutation
from amails_fem.fem.probe import gradient_matrices
from amails_fem.linalg.amg import p1_to_p2_prolongation
from amails_fem.linalg.krylov import SOLVE_METHODS, SolveStats, solve_neumann
from amails_fem.log import Progress
from amails_fem.meshing.rooms import RoomMesh
from amails_fem.rooms.model import check_solver_options, mesh_and_assemble, points_inside
from amails_fem.rooms.response import StaticTensor
from amails_fem.rooms.sources import half_cross_matrix, unit_polarization
from amails_fem.specs.rooms import RoomBase
from amails_fem.threads import kernel_threads_for
from amails_fem.validate import check_quasi_static, require_option


@dataclass
class RoomResponse(StaticTensor):
    """The solved room: psi_k for p = x, y, z on a mesh; evaluates B anywhere inside (SI)."""

    spec: RoomBase
    room_mesh: RoomMesh
    basis: object  # skfem CellBasis
    psi_m: np.ndarray  # (3, N): potential per unit mu0 J, metres^2 (B = mu0 (J x r / 2 + grad psi))
    order: int
    solve: SolveStats
    timings_s: dict = field(default_factory=dict)
    compatibility_defect: float = 0.0
    info: dict = field(default_factory=dict)  # provenance of the solve, for templates and summaries

    # -- evaluation ---------------------------------------------------------------------
    def response_matrix(self, points_m) -> np.ndarray:
        """R (N, 3, 3) [point, B component, polarization component] in tesla per A/m^2."""
        pts = points_inside(self.spec, points_m)

        G = gradient_matrices(self.basis, pts)
        grad = np.stack([g @ self.psi_m.T for g in G], axis=1)  # (N, 3 comp, 3 pol)
        return units.MU0_H_M * (grad + half_cross_matrix(pts))

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


def solve_perfect_room(spec: RoomBase, *, order: int = 2, mesh_size_m: float | None = None, wall_size_m: float | None = None,
               tol: float = 1e-10, quiet: bool = True, progress: Progress | None = None,
               use_cache: bool = True, preconditioner: str = "auto", assembly: str = "csr",
               numbering: str = "local", method: str = "block", coarse_dtype: str = "float32",
               smoother_dtype: str = "float32") -> RoomResponse:
    """Perfectly conducting walls: solve the room for the three polarizations; returns a RoomResponse (SI).

    order: Lagrange element order (1 or 2); mesh_size_m / wall_size_m: element sizes in the bulk and at
    the walls (default: the spec's [mesh], else L/12 and half of it); tol: CG relative residual.
    assembly ("csr" | "coo"), numbering ("local" | "skfem"), method ("block" | "scipy"), coarse_dtype and
    smoother_dtype ("float32" | "float64": the P1 levels and the values the fine sweeps read, block method) choose
    the implementation (docs/performance.md compares them); every choice gives the same solution to the solver
    tolerance.
    """

    check_solver_options(spec, order, tol)
    require_option(preconditioner, "preconditioner", ("auto", "sa"))
    require_option(method, "method", SOLVE_METHODS)
    require_option(coarse_dtype, "coarse_dtype", ("float32", "float64"))
    require_option(smoother_dtype, "smoother_dtype", ("float32", "float64"))
    progress = progress or Progress(quiet=quiet)
    rm, basis, A, rhs, defect, timings, renumber = mesh_and_assemble(
        spec, order, mesh_size_m, wall_size_m, progress, use_cache, assembly=assembly, numbering=numbering)
    with progress.step("solving 3 polarizations (one matrix, one preconditioner)"):
        inverse, rank = None, None
        pin = int(basis.nodal_dofs[0, 0])
        if renumber is not None:
            perm, rank = renumber
            inverse = inverse_permutation(perm)
            pin = int(inverse[pin])
        P = p1_to_p2_prolongation(basis, inverse, rank) if order == 2 and preconditioner == "auto" else None
        with kernel_threads_for(basis.N):
            psi, stats = solve_neumann(A, rhs, P=P, pin=pin, tol=tol, progress=progress, method=method,
                                       coarse_dtype=np.dtype(coarse_dtype).type, overwrite=True,
                                       smoother_dtype=np.dtype(smoother_dtype).type,
                                       fine_parts=None if renumber is not None or order == 1 else 1)
        del A, P
        if renumber is not None:
            psi = psi[:, inverse]
        psi -= psi.mean(axis=1, keepdims=True)
    timings["preconditioner"] = stats.setup_seconds
    timings["solve"] = stats.solve_seconds
    timings["preconditioner_cpu"] = stats.setup_cpu_seconds
    timings["solve_cpu"] = stats.solve_cpu_seconds
    return RoomResponse(spec=spec, room_mesh=rm, basis=basis, psi_m=psi, order=order, solve=stats,
                        timings_s=timings, compatibility_defect=defect)
