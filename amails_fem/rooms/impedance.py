"""Quasi-static shield room with impedance walls (docs/physics.md sec. 2; docs/walls.md), complex and frequency dependent.

Same scalar formulation as the perfect conductor: B = mu0 (a + grad psi), a = J x r / 2, psi harmonic. The wall
condition follows from E_t = Z_s K, K = H x n (n outward, no field beyond the wall) and Faraday's law
n . curl E = i omega B_n (e^{-i omega t}); with n . curl E = div_s(E_t x n) and E_t x n = -(Z_s/mu0) B_t:

    n . B = l div_s(B_t),     l = Z_s / (-i omega mu0)   (metres; resistive wall: l = i/(omega mu0 sigma t)).

Weak form (integrating div_s by parts over the closed wall; edges and corners need no extra terms):

    int_Omega grad v . grad psi + sum_w l_w int_{Gamma_w} grad_s v . grad_s psi
        = -int_Gamma v n . a  -  sum_w l_w int_{Gamma_w} grad_s v . a_t           (per unit mu0 J)

i.e. (A + sum_w l_w S_w) psi = b0 + sum_w l_w b1_w. Taking v = conj(psi)-weighted power shows Re Z_s > 0 (Im l > 0)
gives wall losses; the poles omega = -i Re(Z_s)/(mu0 lambda) of a resistive wall lie in the lower half-plane
(decaying), which the opposite sign would turn into growing modes. l -> 0 is the perfect conductor.

Frequency grid: A, S_w, b0, b1_w and the mesh are built once; the solution psi(l) is a Stieltjes-type function of
l, so a reduced basis of a few full solves (greedy over the grid, error = true residual norm computed exactly
through an incrementally orthonormalised set of residual components) gives every grid frequency by m x m solves.
The full solves ("snapshots") are taken at REAL positive lengths near |l| (A + sum s_w S_w is then SPD: real CG with
the room solver's two-level AMG, three right-hand sides per preconditioner): psi(l) is rational in l with its poles
on the negative real axis, so real shifts span the complex-l solutions (rational Krylov). At 3e5 P2 DOFs six real
snapshots (18 vectors) reach the tolerance for the AMAILS stack on 1-500 Hz in 2.7x the time of one
perfect-conductor solve (benchmarks/walls_frequency.py; docs/performance.md sec. 9). A grid point whose residual real
snapshots stop reducing gets an exact complex solve. The reduced-basis machinery is amails_fem/linalg/reduced_basis.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from skfem import Basis, ElementTriP1, ElementTriP2, FacetBasis, LinearForm, MeshTri

from amails_fem import units
from amails_fem.errors import SpecError
from amails_fem.fem.forms import laplace, surface_laplace
from amails_fem.fem.numbering import inverse_permutation, local_order
from amails_fem.fem.probe import field_gradient, gradient_matrices
from amails_fem.linalg.amg import p1_to_p2_prolongation
from amails_fem.linalg.krylov import pin_identity, pin_prolongation
from amails_fem.linalg.reduced_basis import ReducedStats, solve_frequency_grid
from amails_fem.log import Progress
from amails_fem.meshing.rooms import resolve_sizes
from amails_fem.rooms.model import check_solver_options, mesh_and_assemble, points_inside
from amails_fem.rooms.response import GridTensor
from amails_fem.rooms.sources import half_cross, half_cross_matrix, unit_polarization
from amails_fem.specs.openings import SeamStrip
from amails_fem.specs.rooms import BoxRoom, RoomBase
from amails_fem.specs.walls import as_wall_map, check_freqs_hz
from amails_fem.validate import check_quasi_static

# solve_impedance_room's default: real snapshots above this many DOFs. Measured (AMAILS room, 50 frequencies):
# 3.3k DOFs real 0.39 s (8 full solves) vs complex 0.24 s (3); 27k DOFs real 1.27 s vs complex 1.74 s.
REAL_SNAPSHOT_MIN_DOFS = 10_000


# -- assembly ------------------------------------------------------------------------------------------------------
def assemble_wall_terms(basis, facets: np.ndarray, intorder: int | None = None, affine: bool | None = None):
    """Surface Laplacian S = int grad_s u . grad_s v and loads b1_k = -int grad_s v . a_k on ``facets``.

    a_k = e_k x r / 2 (3D, k = x, y, z) or, in 2D (duct cross-section, J along z), a = (-y, x)/2.
    affine (default: straight 3D meshes): the direct assembly of _wall_terms_affine; otherwise (curved or 2D meshes,
    and the tests' reference) scikit-fem forms on a FacetBasis with quadrature order intorder.
    """

    dim = basis.mesh.p.shape[0]
    if affine if affine is not None else (dim == 3 and basis.mesh.affine):
        return _wall_terms_affine(basis, facets)
    fb = FacetBasis(basis.mesh, basis.elem, facets=facets, intorder=intorder)

    def load(k):
        @LinearForm
        def form(v, w):  # -grad_s v . a_t = -(grad v . a - (n . grad v)(n . a))
            n, gv = w.n, v.grad
            a = (-0.5 * w.x[1], 0.5 * w.x[0]) if dim == 2 else half_cross(w.x, k)
            vn = sum(n[i] * gv[i] for i in range(dim))
            an = sum(n[i] * a[i] for i in range(dim))
            return -(sum(gv[i] * a[i] for i in range(dim)) - vn * an)
        return form

    ks = range(3) if dim == 3 else range(1)
    return surface_laplace.assemble(fb).tocsr(), np.array([load(k).assemble(fb) for k in ks])


def _wall_terms_affine(basis, facets: np.ndarray):
    """assemble_wall_terms for P1/P2 on straight facets of a 3D mesh, without a scikit-fem FacetBasis.

    On a flat triangle the trace of a P_k tetrahedron function is the P_k triangle function of the facet's DOFs, so
    S is the surface P_k stiffness and b1_k its load. Surface gradients of the barycentrics from the facet's metric,
    grad_s lambda = [E1 E2] G^-1; the edge-midpoint rule is exact (integrands of degree <= 2). Measured at 3.2e5 P2
    DOFs (39k wall facets): 0.08 s, where a FacetBasis with a vectorised einsum assembly took 0.5 s.
    """
    mesh = basis.mesh
    tri = mesh.facets[:, facets]  # (3, nf) vertex numbers
    X = mesh.p[:, tri]  # (xyz, vertex, nf)
    E1, E2 = X[:, 1] - X[:, 0], X[:, 2] - X[:, 0]
    g11, g12, g22 = (E1 * E1).sum(0), (E1 * E2).sum(0), (E2 * E2).sum(0)
    det = g11 * g22 - g12**2
    grad_l1, grad_l2 = (g22 * E1 - g12 * E2) / det, (g11 * E2 - g12 * E1) / det
    grad_l = np.stack([-(grad_l1 + grad_l2), grad_l1, grad_l2])  # (lambda, xyz, nf)
    lam_q = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.5, 0.0, 0.5]])  # (q, lambda): edge midpoints
    wq = np.sqrt(det) / 6  # area / 3 per point
    nv = mesh.nvertices
    dofs = [basis.nodal_dofs[0][tri]]
    if basis.elem.maxdeg == 1:
        G = np.broadcast_to(grad_l[..., None], grad_l.shape + (3,))  # (basis fn, xyz, nf, q)
    else:
        pairs = ((0, 1), (1, 2), (0, 2))
        vert = [(4 * lam_q[:, i] - 1)[None, None, :] * grad_l[i][..., None] for i in range(3)]
        edge = [4 * (lam_q[:, i][None, None, :] * grad_l[j][..., None] + lam_q[:, j][None, None, :] * grad_l[i][..., None])
                for i, j in pairs]
        G = np.stack(vert + edge)
        keys = mesh.edges[0].astype(np.int64) * nv + mesh.edges[1]  # sorted: scikit-fem's entities are lexicographic
        for i, j in pairs:
            a, b = np.minimum(tri[i], tri[j]).astype(np.int64), np.maximum(tri[i], tri[j])
            dofs.append(basis.edge_dofs[0][np.searchsorted(keys, a * nv + b)][None])
    dofs = np.concatenate(dofs)  # (basis fn, nf)
    Ke = np.einsum("axfq,bxfq,f->abf", G, G, wq, optimize=True)
    rows = np.broadcast_to(dofs[:, None, :], Ke.shape).ravel()
    cols = np.broadcast_to(dofs[None, :, :], Ke.shape).ravel()
    S = sp.coo_matrix((Ke.ravel(), (rows, cols)), shape=(basis.N, basis.N)).tocsr()
    xq = np.einsum("qi,xif->xfq", lam_q, X)
    b1 = []
    for k in range(3):  # a_k = e_k x r / 2; grad_s v . a = grad_s v . a_t since grad_s v is tangential
        a = 0.5 * np.cross(np.eye(3)[k], xq, axisb=0, axisc=0)
        b1.append(np.bincount(dofs.ravel(), weights=-np.einsum("axfq,xfq,f->af", G, a, wq).ravel(), minlength=basis.N))
    return S, np.array(b1)


def assemble_neumann_2d(basis, facets, intorder):
    """2D duct: stiffness A and Neumann load b0 = -int v n . a, a = (-y, x)/2 (J along z)."""

    @LinearForm
    def neumann(v, w):
        x, n = w.x, w.n
        return -0.5 * (-x[1] * n[0] + x[0] * n[1]) * v

    fb = FacetBasis(basis.mesh, basis.elem, facets=facets, intorder=intorder)
    return laplace.assemble(basis).tocsr(), neumann.assemble(fb)[None, :]


# -- rooms ---------------------------------------------------------------------------------------------------------
@dataclass
class ImpedanceRoomResponse(GridTensor):
    """The solved room with impedance walls on a frequency grid: complex B anywhere inside (SI).

    B(f) = mu0 (J x r / 2 + grad psi(f)), psi(f) = V y(f) (reduced basis V, coefficients Y[f, polarization]).
    """

    spec: RoomBase
    room_mesh: object
    basis: object
    freqs_hz: np.ndarray
    lengths_m: dict  # wall name -> (n_f,) complex impedance length
    walls: dict  # wall name -> model
    V: np.ndarray  # (N, m) real, zero at the pinned DOF
    Y: np.ndarray  # (n_f, 3, m) complex
    order: int
    stats: ReducedStats
    timings_s: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def psi(self, freq_index: int) -> np.ndarray:
        """(3, N) complex potentials (m^2, per unit mu0 J) at freqs_hz[freq_index]."""
        return (self.V @ self.Y[freq_index].T).T

    def response_matrix(self, points_m) -> np.ndarray:
        """R (n_f, N, 3, 3) complex [frequency, point, B component, polarization] in tesla per A/m^2."""

        pts = points_inside(self.spec, points_m)
        G = gradient_matrices(self.basis, pts)
        GV = np.stack([g @ self.V for g in G], axis=1)  # (N, 3, m)
        grad = np.einsum("ndm,fkm->fndk", GV, self.Y)
        return units.MU0_H_M * (grad + half_cross_matrix(pts)[None])

    def b_field(self, points_m, polarization) -> np.ndarray:
        """B (n_f, N, 3) complex tesla for 1 A/m^2 along the polarization."""
        return self.response_matrix(points_m) @ unit_polarization(polarization)

    def signal(self, points_m, polarization, eps: float, rho_gev_cm3: float = units.RHO_DM_GEV_CM3) -> np.ndarray:
        """B (n_f, N, 3) complex tesla for kinetic mixing eps: b_field times J_eff(eps, f) at each grid frequency."""
        j = np.array([units.j_eff_a_m2(eps, f, rho_gev_cm3) for f in self.freqs_hz])
        return self.b_field(points_m, polarization) * j[:, None, None]

    def statistics(self) -> dict:
        rm = self.room_mesh
        return {"order": self.order, "dofs": int(self.basis.N), "tetrahedra": rm.n_elements,
                "mesh_size_m": rm.size_m, "wall_size_m": rm.wall_size_m, "n_freqs": int(len(self.freqs_hz)),
                "full_solves": self.stats.full_solves, "basis_size": self.stats.basis_size,
                "max_relative_residual": self.stats.max_relative_residual, "rb_tolerance": self.stats.tolerance,
                "method": self.stats.method, "seconds": dict(self.timings_s)}


def solve_impedance_room(spec: RoomBase, *, wall, freqs_hz, order: int = 2, mesh_size_m=None, wall_size_m=None,
                         tol: float = 1e-10, quiet: bool = True, progress: Progress | None = None,
                         use_cache: bool = True, rb_tol: float | None = None,
                         snapshots: str | None = None, seams=(), cg_method: str = "block") -> ImpedanceRoomResponse:
    """Room with impedance walls on a frequency grid : complex R(r; f) for the three polarizations.

    wall: a WallStack, ImpedanceLength or Layer for all walls, or {wall name: model}; freqs_hz: grid (Hz).
    Validates everything before meshing. tol: full-solve relative residual; rb_tol: reduced-basis residual.
    snapshots: "real" (full solves at real shifts near |l|, real CG), "complex" (exact complex GMRES solves), or
    None: real above REAL_SNAPSHOT_MIN_DOFS, complex below (tiny meshes: setup-dominated, complex was faster).
    seams: SeamStrip objects (box rooms): strips of wall facets along an outline with the wall's impedance length
    plus the joint's (amails_fem/specs/openings.py; docs/openings.md).
    """


    check_solver_options(spec, order, tol)
    if freqs_hz is None:
        raise SpecError("freqs_hz is required with a wall model (e.g. np.geomspace(1, 500, 50))")
    freqs = check_freqs_hz(freqs_hz)
    check_quasi_static(float(freqs.max()), spec.extent_m)  # warns above 0.01 (2 pi f L / c grows with f)
    walls = as_wall_map(wall, spec.wall_names)
    lengths = {name: model.impedance_length_m(freqs) for name, model in walls.items()}
    seams = _check_seams(spec, seams, mesh_size_m, wall_size_m)
    progress = progress or Progress(quiet=quiet)
    # the wall loads b1 below sum to zero exactly (grad_s 1 = 0): only b0 needs the compatibility projection
    rm, basis, A, b0, _defect, timings, renumber = mesh_and_assemble(spec, order, mesh_size_m, wall_size_m, progress,
                                                                      use_cache, numbering="local")
    if renumber is None:  # curved meshes are assembled in scikit-fem's order: renumber here
        t0 = time.perf_counter()
        perm, rank = local_order(basis)
        inverse = inverse_permutation(perm)
        A, b0 = _permuted(A, inverse), b0[:, perm]
        timings["renumber"] = time.perf_counter() - t0
    else:
        perm, rank = renumber
        inverse = inverse_permutation(perm)
    with progress.step("assembling wall terms") as info:
        t0 = time.perf_counter()
        # group walls with the same model: one S and b1 per distinct model
        groups = {}
        for name, model in walls.items():
            groups.setdefault(id(model), []).append(name)
        S_list, b1_list, l_rows = [], [], []
        wall_facets, seam_facets = _split_seam_facets(rm, seams)
        for seam, facets in zip(seams, seam_facets):
            S, b1 = assemble_wall_terms(basis, facets)
            S_list.append(S)
            b1_list.append(b1)
            l_rows.append(seam.impedance_length_m(lengths[seam.wall], freqs))
        for names in groups.values():
            facets = np.concatenate([wall_facets[nm] for nm in names])
            # straight facets: grad_s of P2 is P1, so order 2 is exact for S and b1 (4 gave the same to 1e-14)
            S, b1 = assemble_wall_terms(basis, facets)
            S_list.append(S)
            b1_list.append(b1)
            l_rows.append(lengths[names[0]])
        timings["wall_terms"] = time.perf_counter() - t0
        info["note"] = f"{len(S_list)} wall model(s)"
    # the system in the local DOF order (fem/numbering.py; A and b0 were assembled in it) with the pinned DOF's row
    # and column replaced by the identity's (the solution is 0 there, as when they are dropped; no index copies)
    pin = int(inverse[basis.nodal_dofs[0, 0]])
    A_p = pin_identity(A, pin, overwrite=True)
    S_p = [_pinned_zero(_permuted(S, inverse), pin) for S in S_list]
    b0 = np.array(b0)
    b0[:, pin] = 0.0
    b1_p = [b[:, perm] for b in b1_list]
    for b in b1_p:
        b[:, pin] = 0.0
    P = None
    if order == 2:
        P = pin_prolongation(p1_to_p2_prolongation(basis, inverse, rank), pin, overwrite=True)
    if snapshots is None:
        snapshots = "real" if basis.N > REAL_SNAPSHOT_MIN_DOFS else "complex"
    with progress.step(f"solving {len(freqs)} frequencies (reduced basis over full solves)") as info:
        V_l, Y, stats = solve_frequency_grid(A_p, S_p, b0, b1_p, np.array(l_rows), P=P, tol=tol, rb_tol=rb_tol,
                                             progress=progress, direct=False, snapshots=snapshots,
                                             cg_method=cg_method, local_numbering=True)
        info["note"] = f"{stats.full_solves} full solves, basis {stats.basis_size}, " \
                       f"max residual {stats.max_relative_residual:.1e}"
    timings["solve"] = stats.seconds["total"]
    V = V_l[inverse]  # back to scikit-fem's DOF order
    return ImpedanceRoomResponse(spec=spec, room_mesh=rm, basis=basis, freqs_hz=freqs, lengths_m=lengths,
                                 walls=walls, V=V, Y=Y, order=order, stats=stats, timings_s=timings)


def _permuted(M, inverse) -> sp.csr_matrix:
    """M (scikit-fem's DOF order) in the local order: entry (i, j) moves to (inverse[i], inverse[j])."""
    M = M.tocoo()
    return sp.csr_matrix((M.data, (inverse[M.row], inverse[M.col])), shape=M.shape)


def _pinned_zero(M, pin: int) -> sp.csr_matrix:
    """M with row and column ``pin`` zeroed (kept in the pattern)."""
    M = M.tocsr()
    M.data[M.indptr[pin]: M.indptr[pin + 1]] = 0.0
    M.data[M.indices == pin] = 0.0
    return M


def _check_seams(spec, seams, mesh_size_m, wall_size_m) -> tuple:
    """Seam strips validated before meshing: SeamStrip objects on a box room's walls, each strip at least the wall
    element size wide (it is a set of facets)."""
    seams = tuple(seams or ())
    if not seams:
        return seams
    if not isinstance(spec, BoxRoom):
        raise SpecError("seams are supported in box rooms only")
    _, wall = resolve_sizes(spec, mesh_size_m, wall_size_m)
    for i, seam in enumerate(seams):
        if not isinstance(seam, SeamStrip):
            raise SpecError(f"seams[{i}] must be an amails_fem.specs.openings.SeamStrip; got {type(seam).__name__}")
        seam.check_on(spec.half_m)
        if seam.strip_m < wall:
            raise SpecError(f"seams[{i}].strip_m ({seam.strip_m} m) must be at least the wall element size "
                            f"({wall} m): refine mesh.wall_size_m or widen the strip")
    return seams


def _split_seam_facets(rm, seams):
    """({wall: facets left to the wall model}, [facets of each seam strip]) by facet centroid."""
    walls = {name: np.asarray(f) for name, f in rm.walls.items()}
    out = []
    for seam in seams:
        facets = walls[seam.wall]
        centroid = rm.mesh.p[:, rm.mesh.facets[:, facets]].mean(axis=1).T
        mask = seam.selects(centroid)
        if not mask.any():
            raise SpecError(f"seam on {seam.wall}: no wall facet lies within its strip; widen strip_m")
        out.append(facets[mask])
        walls[seam.wall] = facets[~mask]
    return walls, out


# -- the infinite square duct (2D cross-section): the wall-centre check ----------------------------------
def duct_wall_centre_ratio(l_over_side, *, n_cells: int = 24, order: int = 2) -> np.ndarray:
    """|B| / (mu0 J L) at the centre of a wall of an infinite square duct (side L, J along the axis), per l/L.

    The duct is z-independent, so the same scalar formulation reduces exactly to its 2D cross-section: psi(x, y),
    a = J z x r / 2 in plane, the wall condition n . B = l d/ds(B_t) along the perimeter. Uses L = 1.
    """

    ls = np.atleast_1d(np.asarray(l_over_side, complex))
    mesh = MeshTri.init_tensor(np.linspace(-0.5, 0.5, n_cells + 1), np.linspace(-0.5, 0.5, n_cells + 1))
    basis = Basis(mesh, ElementTriP2() if order == 2 else ElementTriP1())
    facets = mesh.boundary_facets()
    A, b0 = assemble_neumann_2d(basis, facets, order + 2)
    S, b1 = assemble_wall_terms(basis, facets, order + 2)
    pin = int(basis.nodal_dofs[0, 0])
    idx = np.setdiff1d(np.arange(basis.N), [pin])
    V, Y, _ = solve_frequency_grid(A[idx][:, idx], [S[idx][:, idx]], b0[:, idx], [b1[:, idx]],
                                   ls[None, :], tol=1e-12, rb_tol=1e-10)
    psi = np.zeros((len(ls), basis.N), complex)
    psi[:, idx] = np.einsum("nm,fm->fn", V, Y[:, 0, :])

    pt = np.array([[0.5 - 1e-9, 0.0]])  # centre of the x = L/2 wall
    a = np.array([-0.5 * pt[0, 1], 0.5 * pt[0, 0]])  # J z x r / 2
    return np.array([np.linalg.norm(np.abs(a + field_gradient(basis, psi[i], pt)[0])) for i in range(len(ls))])
