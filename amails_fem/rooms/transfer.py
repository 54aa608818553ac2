"""Transfer tensor T(r, f) of a shield of nested thin conducting, permeable layers in a uniform applied field (SI).

T[f, point, i, j] = B_i(r) / B0 for a uniform applied field B0 e_j e^{-i omega t} (phasors x(t) = Re[X e^{-i w t}]),
for r inside the innermost layer, eddy currents and skin effect included at any t / delta. 1 / |T_jj(0)| is the
shielding factor along j.

Model (the thin-layer 2-port of specs/walls.py on every layer, solved by 3D finite elements):

* Air (room, gaps, exterior): H = -grad phi, lap phi = 0, P1/P2 Lagrange elements.
* Each layer group k (consecutive non-gap layers of the stack) is its mid-surface Gamma_k, normal n outwards, with
  the chain matrix T_k = [[a, b], [c, d]] (det 1) of walls.WallStack.chain_matrix: [H_t; E_t x n](o) =
  T_k [H_t; E_t x n](i). In air next to the layer H_t = -grad_s phi; write E_t = n x grad_s chi, so
  E_t x n = grad_s chi and the 2-port acts on the scalars: [-phi_o; chi_o] = T_k [-phi_i; chi_i], i.e.
      chi_i = (a phi_i - phi_o) / b,      chi_o = (phi_i - d phi_o) / b      (det T = 1).
  Faraday's law n . curl E = i omega B_n with n . curl E = div_s(E_t x n) = lap_s chi gives
  B_n = lap_s chi / (i omega) on each face.
* Weak form: region inside Gamma_k (outward normal n): int grad v . grad phi = int_Gamma v d phi/dn =
  -int_Gamma v B_n,i / mu0, so the boundary term int v B_n,i / mu0 = -kappa int grad_s v . grad_s (a phi_i - phi_o),
  kappa = 1 / (i omega mu0 b). Region outside (its outward normal -n): the term is -int v B_n,o / mu0 =
  +kappa int grad_s v . grad_s (phi_i - d phi_o). Together the surface block added to the stiffness is
      -kappa [[a, -1], [-1, d]] (x) S_Gamma,          S_Gamma = int grad_s u . grad_s v,
  complex symmetric. phi has separate DOFs on the two sides of Gamma_k: its mesh nodes are duplicated for the
  elements outside it, and the regions are joined only through this block.
  Static check: a thin metal layer (|gamma t| << 1) has a = d = 1 - i omega mu sigma t^2 / 2, b = sigma t, so for a
  continuous phi the two diagonal entries give -kappa (a - 1) = mu_r t / 2 each: + mu_r t S_Gamma, the static
  thin-layer term; the off-diagonal part, -kappa [[1, -1], [-1, 1]], penalises the jump by
  i / (omega mu0 sigma t) -> infinity as omega -> 0 (the sheet current keeps phi continuous).
  The mesh keeps air under the surface (the two air regions meet at the mid-surface), so by default the layer is
  chained with air of thickness -t/2 on each side: T_eff = A(-t/2) T A(-t/2), A(d) = [[1, 0], [-i omega mu0 d, 1]],
  which leaves b unchanged and adds -t/2 to each diagonal coefficient: (mu_r - 1) t in the static limit, as in
  rooms/shielding.thin_layer_shielding (subtract_air=False keeps T itself, the model of
  concentric_shells_shielding).
* sigma = 0 (purely permeable) groups have b = 0: phi is continuous across Gamma_k and the flux jump
  B_n,i - B_n,o = (c / (i omega)) lap_s phi adds tau S_Gamma, tau = -c_eff / (i omega mu0) = sum mu_r t (- t).
* Outer boundary: a sphere of radius R_o = outer_factor x the shield's half-diagonal with the Robin condition
  d phi/dr + (2 / R_o) phi = -3 H0 . n, exact for the applied field plus a dipole (l = 1) perturbation. An l-pole
  perturbation (phi ~ r^-(l+1)) sees d/dr + 2/r = (1 - l)/r instead of 0: a relative boundary error (l - 1)/(l + 1)
  of that multipole, whose size at R_o is (a / R_o)^(l - 1) of the dipole's (a: shield size); for a sphere only
  l = 1 is excited (exact), for a cube the first is l = 3: <= (1/3)^2 x 1/2 ~ 6 % of an already small octupole at
  outer_factor 3 (not measured here: the interior field is set by the dipole).
* Sphere check: for nested spheres the l = 1 mode of this weak form is exactly the algebra of
  rooms/shielding.concentric_shells_shielding (kap = 2 / (i omega mu0 b R^2)), so the FE converges to it as the
  mesh is refined (tests/rooms/test_shield_transfer.py).

Frequencies: K(omega) = K0 + sum_j g_j(omega) B_j, with K0 the air stiffness + Robin + permeable-layer terms and
three surface matrices per conducting layer (g = -kappa a, kappa, -kappa d). Full solves (right-preconditioned
GMRES on the complex symmetric system, three right-hand sides, in variables scaled per region by the field magnitude
of the dipole model on volume-equivalent spheres; preconditioner: complex AMG of K, else AMG of a real SPD
surrogate) are taken at a few snapshot frequencies; every grid frequency is the
Galerkin projection on their span. The basis is split by region (room, each gap, exterior): the fields of the
regions differ by orders of magnitude at high frequency (the attenuation of each layer), and one global coefficient
per snapshot would bury the room's field under the exterior's error. Snapshots are added greedily at the grid
frequency with the largest true relative residual, computed region by region, ||r_g|| / max(||b_g||, ||K0_gg x_g||),
until all are below rb_tol.
References: thin-layer shielding 2-port: Hoburg, IEEE Trans. EMC 38, 538 (1996); Sumner, Pendlebury & Smith,
J. Phys. D 20, 1095 (1987) (nested spherical/cylindrical shields, static and dynamic).
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, gmres
from skfem import Basis, BilinearForm, ElementTetP1, ElementTetP2, FacetBasis, LinearForm, MeshTet1

from amails_fem import units
from amails_fem.errors import ConvergenceError, SpecError
from amails_fem.fem.assembly import stiffness_affine
from amails_fem.fem.probe import PointLocator, gradient_matrices
from amails_fem.linalg.amg import p1_to_p2_prolongation, sa_solver, two_level_preconditioner
from amails_fem.linalg.krylov import one_blas_thread
from amails_fem.log import Progress
from amails_fem.meshing.read import fast_topology
from amails_fem.meshing.shells import nested_shells_mesh, shell_gauge
from amails_fem.rooms.impedance import assemble_wall_terms
from amails_fem.specs.rooms import BoxRoom, CylinderRoom, RoomBase, SphereRoom
from amails_fem.specs.walls import Layer, WallStack, check_freqs_hz
from amails_fem.validate import as_points, require_option, require_positive

SHAPES = ("sphere", "box", "cylinder")
MESH_VERSION = 1
GRADE = 0.35  # element size growth per metre of distance from the layers (dimensionless: size += GRADE d)
MAX_RESTARTS = 6  # GMRES(100) cycles per right-hand side
ROBIN_K = 2.0  # d phi/dr + (k / R) phi: exact for a dipole perturbation in 3D


# -- shells ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shell:
    """One closed layer surface: shape "sphere" (size (R,)), "box" (size (lx, ly, lz)) or "cylinder" (size (R, h),
    axis along ``axis``), metres, centred at the origin; ``stack`` the layers merged into its 2-port."""

    shape: str
    size_m: tuple
    stack: WallStack
    axis: int = 2

    def gauge(self, points_m: np.ndarray) -> np.ndarray:
        """1 on the surface, < 1 inside, > 1 outside (dimensionless; sup norm of the scaled coordinates)."""
        return shell_gauge(self.shape, self.size_m, self.axis, points_m)

    @property
    def half_diagonal_m(self) -> float:
        if self.shape == "sphere":
            return float(self.size_m[0])
        if self.shape == "box":
            return 0.5 * float(np.linalg.norm(self.size_m))
        R, h = self.size_m
        return float(np.hypot(R, 0.5 * h))

    @property
    def inscribed_radius_m(self) -> float:
        if self.shape == "sphere":
            return float(self.size_m[0])
        if self.shape == "box":
            return 0.5 * float(min(self.size_m))
        return float(min(self.size_m[0], 0.5 * self.size_m[1]))


def _as_stack(layers, where: str) -> WallStack:
    stack = WallStack((layers,)) if isinstance(layers, Layer) else layers
    if not isinstance(stack, WallStack):
        raise SpecError(f"{where} layers must be a WallStack or Layer; got {type(layers).__name__}")
    if not stack.metal_layers:
        raise SpecError(f"{where} layers are all air gaps: a shield layer needs sigma_s_m > 0 or mu_r > 1")
    return stack


def make_shells(shells) -> list:
    """Validate a list of (shape, size_m, layers[, axis]) inner to outer into Shell objects (SpecError otherwise).

    shape "sphere": size = radius (m); "box": (lx, ly, lz) (m); "cylinder": (radius, height) (m), axis 'x'|'y'|'z'.
    Shells must be strictly nested (each inside the next, the same shape family not required).
    """
    if not shells:
        raise SpecError("shells must list at least one (shape, size_m, layers) shell, inner to outer")
    out = []
    for i, item in enumerate(shells):
        if isinstance(item, Shell):
            out.append(item)
            continue
        if not isinstance(item, (tuple, list)) or len(item) not in (3, 4):
            raise SpecError(f"shells[{i}] must be (shape, size_m, layers) or (shape, size_m, layers, axis)")
        shape, size, layers = item[:3]
        require_option(shape, f"shells[{i}] shape", SHAPES)
        n = {"sphere": 1, "box": 3, "cylinder": 2}[shape]
        size = tuple(np.atleast_1d(np.asarray(size, dtype=object)).tolist())
        if len(size) != n:
            raise SpecError(f"shells[{i}] {shape} size_m needs {n} number(s) (m); got {item[1]!r}")
        size = tuple(require_positive(s, f"shells[{i}] size_m") for s in size)
        axis = item[3] if len(item) == 4 else "z"
        if axis not in ("x", "y", "z"):
            raise SpecError(f"shells[{i}] axis must be 'x', 'y' or 'z'; got {axis!r}")
        out.append(Shell(shape, size, _as_stack(layers, f"shells[{i}]"), "xyz".index(axis)))
    for i in range(len(out) - 1):  # nested: every sample of the inner surface strictly inside the outer one
        pts = _surface_samples(out[i])
        if np.any(out[i + 1].gauge(pts) >= 1.0 - 1e-9):
            raise SpecError(f"shells[{i}] must lie strictly inside shells[{i + 1}] (nested, inner to outer)")
    return out


def _surface_samples(shell: Shell, n: int = 12) -> np.ndarray:
    """Points on the shell's surface (corners and faces included), for the nesting check."""
    u = np.linspace(-1, 1, n)
    g = np.array(np.meshgrid(u, u, u)).reshape(3, -1).T
    g = g[np.max(np.abs(g), axis=1) > 0]
    if shell.shape == "box":
        return g / np.max(np.abs(g), axis=1, keepdims=True) * 0.5 * np.asarray(shell.size_m)
    d = g / np.linalg.norm(g, axis=1, keepdims=True)
    if shell.shape == "sphere":
        return d * shell.size_m[0]
    R, h = shell.size_m
    d = d.copy()
    d[:, shell.axis] *= 0.5 * h
    for k in range(3):
        if k != shell.axis:
            d[:, k] *= R
    return d / shell.gauge(d)[:, None]


def room_shells(spec: RoomBase, stack) -> list:
    """Nested shells of ``stack`` around a room: consecutive non-gap layers form one 2-port at their mid-depth
    (a single layer: cumulative depth of the stack, gaps included, plus half its thickness); gaps are geometry.

    box lx x ly x lz -> boxes (lx + 2 D, ...); sphere R -> spheres R + D; cylinder (R, h) -> (R + D, h + 2 D).
    """
    stack = _as_stack(stack, "stack")
    if not isinstance(spec, (BoxRoom, SphereRoom, CylinderRoom)):
        raise SpecError(f"spec must be a box, sphere or cylinder room (amails_fem.geometry); got {type(spec).__name__}")
    groups, current, depth, start = [], [], 0.0, 0.0
    for layer in stack.layers + (None,):
        if layer is None or layer.is_gap:
            if current:
                groups.append((start, WallStack(tuple(current))))
                current = []
            if layer is not None:
                depth += layer.thickness_m
            continue
        if not current:
            start = depth
        current.append(layer)
        depth += layer.thickness_m
    shells = []
    for start, group in groups:
        D = start + 0.5 * group.thickness_m
        if isinstance(spec, BoxRoom):
            shells.append(Shell("box", tuple(float(x + 2 * D) for x in (spec.lx_m, spec.ly_m, spec.lz_m)), group))
        elif isinstance(spec, SphereRoom):
            shells.append(Shell("sphere", (spec.radius_m + D,), group))
        else:
            shells.append(Shell("cylinder", (spec.radius_m + D, spec.height_m + 2 * D), group, spec.axis_index))
    return shells


def shell_coefficients(stack: WallStack, freqs_hz, subtract_air: bool = True) -> dict:
    """The surface-term coefficients of one layer group (module docstring), per frequency.

    Conducting (b != 0): {"g": (n_f, 3) complex [-kappa a, kappa, -kappa d], kappa = 1/(i omega mu0 b), in metres}.
    Not conducting: {"tau": (mu_r - 1) t summed, metres} (or sum mu_r t without the air subtraction).
    """
    f = check_freqs_hz(freqs_hz)
    w = 2 * np.pi * f
    log_scale, T = stack.scaled_chain_matrix(f)  # chain matrix exp(s) T: finite at any thickness/skin depth
    if subtract_air:
        A = np.broadcast_to(np.eye(2, dtype=complex), T.shape).copy()
        A[:, 1, 0] = 1j * w * units.MU0_H_M * 0.5 * stack.thickness_m  # air of thickness -t/2
        T = A @ T @ A
    if not stack.conducting:
        tau = -T[:, 1, 0] / (1j * w * units.MU0_H_M)  # -c / (i omega mu0), real and frequency independent
        return {"tau": float(np.real(tau[0]))}
    a, b, d = T[:, 0, 0], T[:, 0, 1], T[:, 1, 1]
    kappa = 1.0 / (1j * w * units.MU0_H_M * b)  # exp(s) x the true kappa; kappa a and kappa d need no scale
    return {"g": np.stack([-kappa * a, kappa * np.exp(-log_scale), -kappa * d], axis=1)}


# -- mesh --------------------------------------------------------------------------------------------------------


def _facet_ids(mesh, tri: np.ndarray) -> np.ndarray:
    """Facet indices of the triangles tri (3, nf) (vertex numbers) in a skfem tetrahedral mesh."""
    nv = mesh.p.shape[1]
    key = lambda r: (r[:, 0].astype(np.int64) * nv + r[:, 1]) * nv + r[:, 2]  # noqa: E731
    fk = key(np.sort(mesh.facets.T, axis=1))
    order = np.argsort(fk)
    k = key(np.sort(tri.T, axis=1))
    pos = np.searchsorted(fk[order], k)
    if np.any(fk[order][np.clip(pos, 0, len(order) - 1)] != k):
        raise RuntimeError("shell triangles missing from the duplicated mesh")
    return order[pos]


def _edge_ids(mesh, a, b) -> np.ndarray:
    nv = mesh.p.shape[1]
    keys = mesh.edges[0].astype(np.int64) * nv + mesh.edges[1]
    lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b)
    return np.searchsorted(keys, lo * nv + hi)


# -- result --------------------------------------------------------------------------------------------------------
@dataclass
class ShieldTransfer:
    """Solved transfer tensor on a frequency grid: phi(f) = V y(f) per applied direction (region-blocked basis)."""

    freqs_hz: np.ndarray
    shells: list
    mesh: object  # skfem MeshTet1 with duplicated nodes on the conducting layers
    basis: object
    region_of_element: np.ndarray
    V: sp.csc_matrix  # (N, M) complex, region-blocked orthonormal columns
    Y: np.ndarray  # (n_f, M, 3) complex coefficients per applied direction
    order: int
    outer_radius_m: float
    mesh_size_m: float
    shell_size_m: float
    subtract_air: bool
    max_relative_residual: float
    rb_tol: float
    snapshot_freqs_hz: list
    timings_s: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def _points(self, points_m) -> np.ndarray:
        p = as_points(points_m)
        g = self.shells[0].gauge(p)
        if np.any(g >= 1.0):
            i = int(np.argmax(g))
            raise SpecError(f"points_m[{i}] = {p[i].tolist()} m is not inside the innermost layer "
                            f"({self.shells[0].shape} {self.shells[0].size_m} m)")
        cells, _, outside = PointLocator.for_basis(self.basis).locate(p)
        bad = (self.region_of_element[cells] != 0) | (outside > 1e-9)
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise SpecError(f"points_m[{i}] = {p[i].tolist()} m lies between the innermost layer and its mesh "
                            "facets; move it inwards by a fraction of shell_size_m")
        return p

    def transfer_matrix(self, points_m) -> np.ndarray:
        """T (n_f, N, 3, 3) complex [frequency, point, B component, applied-field component]: B / B0."""
        p = self._points(points_m)
        G = gradient_matrices(self.basis, p)
        GV = np.stack([(g @ self.V).toarray() if sp.issparse(g @ self.V) else g @ self.V for g in G], axis=1)
        return -np.einsum("ndm,fmj->fndj", GV, self.Y)  # B / B0 = H / H0 = -grad phi (H0 = 1)

    def shielding_factor(self, points_m=None) -> np.ndarray:
        """1 / |T_jj| (n_f, 3) along each applied axis j at points_m (default: the centre; first point used)."""
        p = np.zeros((1, 3)) if points_m is None else np.atleast_2d(points_m)[:1]
        T = self.transfer_matrix(p)[:, 0]
        return 1.0 / np.abs(np.diagonal(T, axis1=1, axis2=2))

    def statistics(self) -> dict:
        return {"order": self.order, "dofs": int(self.basis.N), "tetrahedra": int(self.mesh.t.shape[1]),
                "vertices": int(self.mesh.p.shape[1]), "mesh_size_m": self.mesh_size_m,
                "shell_size_m": self.shell_size_m, "outer_radius_m": self.outer_radius_m,
                "n_shells": len(self.shells), "n_freqs": int(len(self.freqs_hz)),
                "snapshots": len(self.snapshot_freqs_hz), "snapshot_freqs_hz": list(self.snapshot_freqs_hz),
                "basis_size": int(self.V.shape[1]), "max_relative_residual": self.max_relative_residual,
                "rb_tol": self.rb_tol, "subtract_air": self.subtract_air, "seconds": dict(self.timings_s),
                **self.info}


# -- solver --------------------------------------------------------------------------------------------------------
def solve_shield_transfer(spec: RoomBase, stack, freqs_hz, *, order: int = 2, mesh_size_m=None, shell_size_m=None,
                          outer_factor: float = 3.0, quiet: bool = True, **kwargs) -> ShieldTransfer:
    """T(r, f) of ``stack`` (a WallStack, room side first) wrapped around the room ``spec`` (box, sphere, cylinder).

    Layers sit at the cumulative depth of the stack (room_shells); mesh_size_m (room interior, default the spec's
    mesh size) and shell_size_m (at the layers, default the spec's wall size, at most the smallest gap) in metres.
    Other keywords as solve_shells_transfer.
    """
    if not isinstance(spec, RoomBase):
        raise SpecError(f"spec must be a room spec (amails_fem.geometry.box_room, ...); got {type(spec).__name__}")
    shells = room_shells(spec, stack)
    f = check_freqs_hz(freqs_hz)
    h = require_positive(mesh_size_m if mesh_size_m is not None else spec.default_mesh_size_m(), "mesh_size_m")
    if shell_size_m is None:
        shell_size_m = spec.mesh.wall_size_m if spec.mesh.wall_size_m is not None else 0.5 * h
        gaps = [ly.thickness_m for ly in stack.layers if ly.is_gap] if isinstance(stack, WallStack) else []
        shell_size_m = min([shell_size_m] + gaps)
    return solve_shells_transfer(shells, f, order=order, mesh_size_m=h, shell_size_m=shell_size_m,
                                 outer_factor=outer_factor, quiet=quiet, **kwargs)


def solve_shells_transfer(shells, freqs_hz, *, order: int = 2, mesh_size_m=None, shell_size_m=None,
                          outer_factor: float = 3.0, far_size_m=None, subtract_air: bool = True,
                          rb_tol: float = 1e-7, max_snapshots: int = 40, quiet: bool = True) -> ShieldTransfer:
    """T(r, f) of explicit nested shells [(shape, size_m, layers[, axis]), ...] inner to outer (make_shells).

    order: 1 or 2; mesh_size_m: room interior element size (default inscribed radius / 3); shell_size_m: at the
    layers (default mesh_size_m / 2); far_size_m: at the outer sphere (default R_o / 5); outer_factor: R_o / the
    outermost half-diagonal, >= 1.5; rb_tol: reduced-basis relative residual (1e-12 .. 1e-3).
    """
    t_start = time.perf_counter()
    shells = make_shells(shells)
    f = check_freqs_hz(freqs_hz)
    if order not in (1, 2):
        raise SpecError(f"order must be 1 or 2; got {order!r}")
    if not (isinstance(outer_factor, (int, float)) and 1.5 <= outer_factor <= 20):
        raise SpecError(f"outer_factor must be a number in [1.5, 20]; got {outer_factor!r}")
    if not (isinstance(rb_tol, float) and 1e-12 <= rb_tol <= 1e-3):
        raise SpecError(f"rb_tol must be a float in [1e-12, 1e-3]; got {rb_tol!r}")
    extent = shells[-1].half_diagonal_m
    ro = float(outer_factor) * extent
    h = require_positive(mesh_size_m if mesh_size_m is not None else shells[0].inscribed_radius_m / 3, "mesh_size_m")
    hs = require_positive(shell_size_m if shell_size_m is not None else 0.5 * h, "shell_size_m")
    hf = require_positive(far_size_m if far_size_m is not None else ro / 5, "far_size_m")
    if not hs <= h <= hf:
        raise SpecError(f"need shell_size_m <= mesh_size_m <= far_size_m; got {hs}, {h}, {hf} m")
    if h > shells[0].inscribed_radius_m:
        raise SpecError(f"mesh_size_m must be at most the innermost inscribed radius "
                        f"{shells[0].inscribed_radius_m:g} m; got {h}")
    coeffs = [shell_coefficients(s.stack, f, subtract_air) for s in shells]
    progress = Progress(quiet=quiet)
    timings = {}

    t0 = time.perf_counter()
    with progress.step("meshing nested shells") as info:
        mesh0, facets0, region = nested_shells_mesh([(sh.shape, sh.size_m, sh.axis) for sh in shells], ro, h, hs, hf,
                                                     grade=GRADE)
        info["note"] = f"{mesh0.t.shape[1]} tetrahedra"
    timings["mesh"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # duplicate the nodes of each conducting layer for the elements outside it
    nv = mesh0.p.shape[1]
    t = mesh0.t.copy()
    pts = [mesh0.p]
    count = nv
    tri_in, copies = {}, {}
    for k, c in enumerate(coeffs):
        tri = mesh0.facets[:, facets0[f"shell{k}"]]
        tri_in[k] = tri
        if "g" not in c:
            continue
        verts = np.unique(tri)
        cp = np.full(nv, -1, np.int64)
        cp[verts] = count + np.arange(len(verts))
        count += len(verts)
        pts.append(mesh0.p[:, verts])
        out_el = np.flatnonzero(region == k + 1)
        tk = t[:, out_el]
        hit = cp[tk] >= 0
        tk[hit] = cp[tk][hit]
        t[:, out_el] = tk
        copies[k] = cp
    mesh = MeshTet1(np.ascontiguousarray(np.hstack(pts)), np.ascontiguousarray(t))
    fast_topology(mesh)
    basis = Basis(mesh, ElementTetP2() if order == 2 else ElementTetP1(), intorder=1)
    N = basis.N
    K0 = stiffness_affine(mesh, basis.element_dofs, N, order)
    fo_ids = _facet_ids(mesh, mesh0.facets[:, facets0["outer"]])
    fo = FacetBasis(mesh, basis.elem, facets=fo_ids, intorder=order + 2)

    # Robin data g = d phi0/dn + (k / r) phi0 of the applied potential phi0 = -e_j . x, evaluated on the discrete
    # (faceted) sphere, so that the uniform field is imposed exactly there (on the true sphere g = -(k + 1) n_j):
    # with the sphere's value the facets' r != R n left a 1e-3 error in T that mesh refinement in the room did
    # not remove
    def rinv(x):
        return 1.0 / np.sqrt(x[0] ** 2 + x[1] ** 2 + x[2] ** 2)

    @BilinearForm
    def robin(u, v, w):
        return ROBIN_K * rinv(w.x) * u * v

    def load(j):
        @LinearForm
        def form(v, w):
            return (-w.n[j] - ROBIN_K * rinv(w.x) * w.x[j]) * v
        return form

    K0 = (K0 + robin.assemble(fo)).tocsr()
    rhs = np.stack([load(j).assemble(fo) for j in range(3)], axis=1).astype(complex)  # (N, 3)
    terms, gcoef = [], []
    for k, c in enumerate(coeffs):
        S_in = assemble_wall_terms(basis, _facet_ids(mesh, tri_in[k]))[0]
        if "tau" in c:
            K0 = K0 + c["tau"] * S_in
            continue
        cp = copies[k]
        tri = tri_in[k]
        inner_dofs = [basis.nodal_dofs[0][np.unique(tri)]]
        outer_dofs = [basis.nodal_dofs[0][cp[np.unique(tri)]]]
        if order == 2:
            pairs = np.hstack([tri[[0, 1]], tri[[1, 2]], tri[[0, 2]]])
            pairs = np.unique(np.sort(pairs, axis=0), axis=1)
            inner_dofs.append(basis.edge_dofs[0][_edge_ids(mesh, pairs[0], pairs[1])])
            outer_dofs.append(basis.edge_dofs[0][_edge_ids(mesh, cp[pairs[0]], cp[pairs[1]])])
        ri, ro_ = np.concatenate(inner_dofs), np.concatenate(outer_dofs)
        Pi = sp.csr_matrix((np.ones(len(ri)), (ri, ro_)), shape=(N, N))  # (Pi u)[inner dof] = u[outer dof]
        S_io = (S_in @ Pi).tocsr()
        S_oo = (Pi.T @ S_in @ Pi).tocsr()
        terms += [S_in.tocsr(), (S_io + S_io.T).tocsr(), S_oo]
        gcoef += [c["g"][:, 0], c["g"][:, 1], c["g"][:, 2]]
    K0 = K0.tocsr()
    gcoef = np.array(gcoef).reshape(len(terms), len(f))
    # regions joined by DOFs (across permeable, non-duplicated layers) form one block of the reduced basis
    group_of_region = np.arange(len(shells) + 1)
    for k, c in enumerate(coeffs):
        if "tau" in c:
            group_of_region[group_of_region == group_of_region[k + 1]] = group_of_region[k]
    dof_group = np.full(N, -1)
    for r in range(len(shells) + 1):
        dof_group[np.unique(basis.element_dofs[:, region == r])] = group_of_region[r]
    groups = [np.flatnonzero(dof_group == g) for g in np.unique(group_of_region)]
    # phi is defined up to a constant in every enclosed region (1 is in the kernel of the volume and surface
    # terms): fix it at one DOF per enclosed group, K0[d, d] += K0[d, d]. Exact: the right-hand side vanishes
    # there, so the solution is the one with phi(d) = 0, and H = -grad phi is unchanged.
    pins = [int(g[0]) for g, r in zip(groups, np.unique(group_of_region)) if r != group_of_region[-1]]
    K0 = (K0 + sp.csr_matrix((K0.diagonal()[pins], (pins, pins)), shape=K0.shape)).tocsr()
    timings["assembly"] = time.perf_counter() - t0
    progress.say(f"{N} DOFs (P{order}), {len(terms)} frequency-dependent surface terms, {len(groups)} regions")
    t0 = time.perf_counter()
    region_scale = _region_scales(shells, coeffs, len(f))  # (n_f, n + 1)
    ugroups = np.unique(group_of_region)
    scales = np.stack([region_scale[:, group_of_region == g].max(axis=1) for g in ugroups], axis=1)

    Prol = p1_to_p2_prolongation(basis) if order == 2 else None
    V, Y, res, snaps, solve_info = _reduced_basis(K0, terms, gcoef, rhs, groups, scales, Prol, rb_tol,
                                                  max_snapshots, progress)
    timings["solve"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start
    info = {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "tetrahedra_before_duplication": int(mesh0.t.shape[1]), "regions": len(groups), **solve_info}
    return ShieldTransfer(freqs_hz=f, shells=shells, mesh=mesh, basis=basis, region_of_element=region, V=V, Y=Y,
                          order=order, outer_radius_m=ro, mesh_size_m=h, shell_size_m=hs, subtract_air=subtract_air,
                          max_relative_residual=res, rb_tol=rb_tol, snapshot_freqs_hz=[float(f[i]) for i in snaps],
                          timings_s=timings, info=info)


def equivalent_radius_m(shell: Shell) -> float:
    """Radius of the sphere of the same volume (m): the dipole model's stand-in for a box or cylinder."""
    if shell.shape == "sphere":
        return float(shell.size_m[0])
    if shell.shape == "box":
        vol = float(np.prod(shell.size_m))
    else:
        vol = np.pi * shell.size_m[0] ** 2 * shell.size_m[1]
    return float((3 * vol / (4 * np.pi)) ** (1 / 3))


def dipole_model(radii_m, coeffs, n_freqs: int):
    """The l = 1 mode of the FE model on concentric spheres: (alpha, beta), each (n_f, n + 1) complex.

    Region j (0: inside shell 0, n: outside): phi = (-alpha_j r + beta_j / r^2) cos(theta) per unit H0, beta_0 = 0,
    alpha_n = 1. On shell k (radius R, lap_s cos = -2 cos / R^2) the surface terms of the module docstring give
    H_n,i = (2/R^2)(g1 p_i + g2 p_o), H_n,o = -(2/R^2)(g2 p_i + g3 p_o) (conducting) or p_i = p_o,
    H_n,i - H_n,o = (2/R^2) tau p (permeable). The interior field is B/B0 = alpha_0; with subtract_air=False this
    is the algebra of rooms.shielding.concentric_shells_shielding.
    """
    radii = np.asarray(radii_m, float)
    n = len(radii)
    alpha = np.zeros((n_freqs, n + 1), complex)
    beta = np.zeros((n_freqs, n + 1), complex)
    ia, ib = np.arange(n + 1), n + 1 + np.arange(n + 1)
    for fi in range(n_freqs):
        M = np.zeros((2 * n + 2, 2 * n + 2), complex)
        rhs = np.zeros(2 * n + 2, complex)
        M[0, ib[0]] = 1.0  # beta_0 = 0
        M[1, ia[n]] = 1.0  # alpha_n = 1
        rhs[1] = 1.0
        for k, (R, c) in enumerate(zip(radii, coeffs)):
            p_i = {ia[k]: -R, ib[k]: R**-2}
            p_o = {ia[k + 1]: -R, ib[k + 1]: R**-2}
            h_i = {ia[k]: 1.0, ib[k]: 2 * R**-3}
            h_o = {ia[k + 1]: 1.0, ib[k + 1]: 2 * R**-3}
            r1, r2 = 2 + 2 * k, 3 + 2 * k
            q = 2 / R**2
            if "g" in c:
                g1, g2, g3 = c["g"][fi]
                for row, terms in ((r1, ((h_i, 1), (p_i, -q * g1), (p_o, -q * g2))),
                                   (r2, ((h_o, 1), (p_i, q * g2), (p_o, q * g3)))):
                    for dct, fac in terms:
                        for col, v in dct.items():
                            M[row, col] += fac * v
            else:
                for row, terms in ((r1, ((p_i, 1), (p_o, -1))),
                                   (r2, ((h_i, 1), (h_o, -1), (p_i, -q * c["tau"])))):
                    for dct, fac in terms:
                        for col, v in dct.items():
                            M[row, col] += fac * v
        x = np.linalg.solve(M, rhs)
        alpha[fi], beta[fi] = x[ia], x[ib]
    return alpha, beta


def _region_scales(shells, coeffs, nf) -> np.ndarray:
    """(n_f, n + 1) field magnitude per region from the dipole model on volume-equivalent spheres (the row and
    column scaling of the solves: it keeps each region's accuracy relative to its own field)."""
    radii = np.array([equivalent_radius_m(s) for s in shells])
    radii = np.maximum.accumulate(radii * (1 + 1e-9 * np.arange(len(radii))))
    alpha, beta = dipole_model(radii, coeffs, nf)
    n = len(shells)
    ref = radii[np.minimum(np.arange(n + 1), n - 1)]
    return np.maximum(np.abs(alpha) * ref + np.abs(beta) / ref**2, 1e-280)


def _surrogate(K0, terms, gcoef, i) -> sp.csr_matrix:
    """Real SPD stand-in for K(omega_i), the preconditioner's matrix: per conducting layer the moduli of the
    sum and jump eigenvalues of its 2 x 2 coefficient block, lambda_+- = |(g1 + g3)/2 +- g2|."""
    P = K0.copy()
    for j in range(0, len(terms), 3):
        g1, g2, g3 = gcoef[j: j + 3, i]
        gm = 0.5 * (g1 + g3)
        lp, lm = abs(gm + g2), abs(gm - g2)
        P = P + 0.5 * (lp + lm) * (terms[j] + terms[j + 2]) + 0.5 * (lp - lm) * terms[j + 1]
    return P.tocsr()


def _complex_amg(K, Prol, near_null, near_null_coarse):
    """M^-1 r for the complex symmetric K: smoothed aggregation on K (P1) or, for P2, forward Gauss-Seidel on K,
    a coarse correction by SA on the Galerkin P1 problem Prol^T K Prol, backward Gauss-Seidel (linalg/amg.py's
    two-level method, in complex arithmetic so that the layers' coupling phases are in the coarse problems)."""


    if Prol is None:
        return sa_solver(K.tocsr(), near_null).aspreconditioner(cycle="V")
    Pt = Prol.T.tocsr()
    coarse = sa_solver((Pt @ K @ Prol).tocsr(), near_null_coarse).aspreconditioner(cycle="V")
    return two_level_preconditioner(K.tocsr(), Prol, coarse, Pt=Pt).matvec


def _snapshot_solve(K, Psur, Prol, rhs, s, x0, tol, near_null, near_null_coarse):
    """Solve K X = rhs (3 columns) by GMRES in the region-scaled variables z = x / s (rows / s, columns * s),
    preconditioned by the complex AMG of K (_complex_amg)."""


    if Psur is None:
        Mc = _complex_amg(K, Prol, near_null, near_null_coarse)
    else:

        if Prol is not None:
            Pt = Prol.T.tocsr()
            coarse = sa_solver((Pt @ Psur @ Prol).tocsr(), near_null_coarse).aspreconditioner(cycle="V")
            Mr = two_level_preconditioner(Psur, Prol, coarse, Pt=Pt)
        else:
            Mr = sa_solver(Psur, near_null).aspreconditioner(cycle="V")

        def Mc(r):
            return Mr @ np.ascontiguousarray(r.real) + 1j * (Mr @ np.ascontiguousarray(r.imag))

    def prec(r):
        return Mc(s * np.ravel(r)) / s

    n = K.shape[0]
    op = LinearOperator((n, n), matvec=lambda z: (K @ (s * np.ravel(z))) / s, dtype=complex)

    # right preconditioning: GMRES minimises the true (scaled) residual, not a preconditioned one
    opr = LinearOperator((n, n), matvec=lambda u: op @ prec(u), dtype=complex)
    X, its = np.empty((n, rhs.shape[1]), complex), []
    for j in range(rhs.shape[1]):
        b = rhs[:, j] / s
        nb = np.linalg.norm(b)
        z = x0[:, j] / s
        count = [0]
        res = np.linalg.norm(b - op @ z) / nb
        for _attempt in range(MAX_RESTARTS):
            if res <= tol:
                break
            r = b - op @ z
            u, _ = gmres(opr, r, rtol=tol * nb / np.linalg.norm(r), atol=0.0, restart=100, maxiter=1,
                         callback=lambda _r: count.__setitem__(0, count[0] + 1), callback_type="pr_norm")
            z = z + prec(u)
            res = np.linalg.norm(b - op @ z) / nb
        if res > 10 * tol:
            X[:, j] = s * z
            X[:, j + 1:] = x0[:, j + 1:]
            raise ConvergenceError(f"shield GMRES stopped at scaled relative residual {res:.2e} "
                                   f"(tolerance {tol:.0e})", X)
        X[:, j] = s * z
        its.append(count[0])
    return X, its


@one_blas_thread
def _reduced_basis(K0, terms, gcoef, rhs, groups, scales, Prol, rb_tol, max_snapshots, progress):
    """Greedy region-blocked reduced basis over GMRES snapshots (module docstring).

    scales: (n_f, n_groups) field magnitude per group. Returns V (N, M) sparse, Y (n_f, M, 3), max relative
    residual, snapshot indices, solver info.
    """
    N, nf = K0.shape[0], gcoef.shape[1]
    blocks = [np.zeros((len(g), 0), complex) for g in groups]
    info = {"setup_and_gmres_s": 0.0, "projection_s": 0.0, "residual_s": 0.0, "gmres_iterations": []}
    snaps = []
    dof_group = np.empty(N, np.int64)
    for gi, g in enumerate(groups):
        dof_group[g] = gi
    snap_tol = min(1e-9, rb_tol / 20)
    # near-null space: phi is defined up to a constant in every enclosed region, so each region's indicator is
    # (nearly, after its pin) a null vector: the AMG aggregates must carry all of them, not only the constant
    region_ind = np.zeros((N, len(groups)))
    for gi, g in enumerate(groups):
        region_ind[g, gi] = 1.0
    region_ind_c = (Prol.T @ region_ind > 0).astype(float) if Prol is not None else None
    Vs, Y, i = None, np.zeros((nf, 0, 3), complex), nf // 2
    while True:
        t0 = time.perf_counter()
        K = (K0.astype(complex) + sum(gcoef[j, i] * terms[j] for j in range(len(terms)))).tocsr()
        s = scales[i][dof_group]
        x0 = (Vs @ Y[i]) if Vs is not None else np.zeros((N, 3), complex)

        try:  # the real SPD surrogate with every region's constant in the AMG near-null space
            X, its = _snapshot_solve(K, _surrogate(K0, terms, gcoef, i), Prol, rhs, s, x0, snap_tol, region_ind,
                                     region_ind_c)
        except ConvergenceError as err:  # the complex AMG of K, which carries the layers' phases
            progress.say(f"  real surrogate: {err}; complex AMG next")
            X, its = _snapshot_solve(K, None, Prol, rhs, s, err.args[1], snap_tol, region_ind, region_ind_c)
        info["setup_and_gmres_s"] += time.perf_counter() - t0
        info["gmres_iterations"].append(its)
        snaps.append(i)
        t0 = time.perf_counter()
        added = 0
        for gi, g in enumerate(groups):
            Q, C = blocks[gi], X[g]
            nrm0 = np.linalg.norm(C, axis=0).max()
            for _ in range(2):  # classical Gram-Schmidt, twice
                C = C - Q @ (Q.conj().T @ C)
            Qn, Rn = np.linalg.qr(C)
            Qn = Qn[:, np.abs(np.diag(Rn)) > 1e-11 * max(nrm0, 1e-300)]
            if Qn.shape[1]:
                Qn, _ = np.linalg.qr(Qn - Q @ (Q.conj().T @ Qn))
                blocks[gi] = np.hstack([Q, Qn])
                added += Qn.shape[1]
        rows, cols, vals, col_group, c0 = [], [], [], [], 0
        for gi, g in enumerate(groups):
            B = blocks[gi]
            rows.append(np.repeat(g, B.shape[1]))
            cols.append(np.tile(np.arange(c0, c0 + B.shape[1]), len(g)))
            vals.append(B.ravel())
            col_group += [gi] * B.shape[1]
            c0 += B.shape[1]
        col_group = np.array(col_group)
        Vs = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(N, c0))
        W0 = (K0 @ Vs).tocsc()
        Wt = [(S @ Vs).tocsc() for S in terms]
        VH = Vs.conj().T.tocsr()
        K0r = (VH @ W0).toarray()
        Tr = [(VH @ W).toarray() for W in Wt]
        br = VH @ rhs
        Y = np.empty((nf, c0, 3), complex)
        for fi in range(nf):  # scaled like the full solves: rows / s, columns * s
            d = scales[fi][col_group]
            Kr = K0r + sum(gcoef[j, fi] * Tr[j] for j in range(len(terms)))
            Y[fi] = d[:, None] * np.linalg.solve(Kr * d[None, :] / d[:, None], br / d[:, None])
        info["projection_s"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        est = np.zeros(nf)
        for f0 in range(0, nf, 8):  # true residuals, a few frequencies at a time (memory)
            sl = slice(f0, min(nf, f0 + 8))
            ncf = Y[sl].shape[0]
            Ym = np.moveaxis(Y[sl], 1, 0).reshape(c0, -1)  # (M, ncf * 3)
            KV = W0 @ Ym
            R = np.tile(rhs, (1, ncf)) - KV
            size2 = np.abs(np.tile(rhs, (1, ncf))) + np.abs(KV)  # |terms| per row, for the relative measure
            for j, W in enumerate(Wt):
                t = W @ (Ym * np.repeat(gcoef[j, sl], 3)[None, :])
                R -= t
                size2 += np.abs(t)
            for g in groups:
                e = np.linalg.norm(R[g], axis=0) / np.maximum(np.linalg.norm(size2[g], axis=0), 1e-300)
                est[sl] = np.maximum(est[sl], e.reshape(ncf, 3).max(axis=1))
        info["residual_s"] += time.perf_counter() - t0
        progress.say(f"  snapshot {len(snaps)} at grid point {i}: GMRES {its}, basis {c0} (+{added}), "
                     f"max residual {est.max():.1e}")
        if est.max() <= rb_tol or len(snaps) >= min(max_snapshots, nf):
            break
        i = int(np.argmax(est))
        if i in snaps:  # exact there already: the round-off floor
            break
    return Vs, Y, float(est.max()), snaps, info
