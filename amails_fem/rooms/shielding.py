"""Shielding factor S = |B0| / |B(centre)| of closed permeable/conducting shells in a uniform external field.

Two models (docs/physics.md sec. 2):

1. Thin-layer finite elements (static): magnetic scalar potential, H = -grad phi, div grad phi = 0 in air; a layer
   of thickness t << size carries tangential flux, so across its mid-surface Gamma the normal flux jumps by
   -div_s(mu0 (mu_r - 1) t H_t) (the air the mesh keeps under the surface is subtracted: mu_r = 1 changes nothing):
       int grad v . grad phi + sum_layers (mu_r - 1) t int_Gamma grad_s v . grad_s phi
           + (k / R_o) int_{outer} v phi = -(k + 1) int_{outer} v H0 . n
   The outer boundary is a sphere (circle in 2D) of radius R_o with the Robin condition that is exact for a dipole
   perturbation (k = 2 in 3D, k = 1 in 2D), so a few shell sizes of air suffice. No millimetres are meshed.
2. Concentric spheres / long cylinders, any frequency: each layer stack is a 2-port (walls.WallStack.chain_matrix,
   skin effect, eddy currents, gaps) on its shell, the dipole (l = 1, m = 1) mode reduces the problem to a 2N x 2N
   complex system. Thin static shell: S = 1 + (2/3) mu_r t / R (sphere), 1 + mu_r t / (2 R) (cylinder, transverse).

The FE model is checked against 2 for spheres, and 2 against a volume mesh of a thick layer (shielding_volume_2d).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse.linalg import spsolve
from skfem import Basis, ElementTetP1, ElementTetP2, ElementTriP1, ElementTriP2, FacetBasis, LinearForm

from amails_fem import units
from amails_fem.errors import SpecError
from amails_fem.fem.forms import laplace, mass, surface_laplace, weighted_laplace, weighted_mass
from amails_fem.fem.probe import field_gradient
from amails_fem.linalg.amg import sa_solver
from amails_fem.linalg.krylov import checked_cg
from amails_fem.log import Progress
from amails_fem.meshing.shells import ring_mesh_2d, shells_mesh
from amails_fem.specs.walls import Layer, WallStack, check_freqs_hz
from amails_fem.validate import require_positive


# -- concentric shells: semi-analytic, any frequency ---------------------------------------------------------------
def concentric_shells_shielding(radii_m, stacks, freqs_hz, *, dim: int = 3) -> np.ndarray:
    """S(f) = H0 / H_inside (complex, (n_f,)) for concentric thin shells (spheres dim=3, cylinders dim=2).

    radii_m: shell radii (inner to outer); stacks: one WallStack (or Layer) per shell, its 2-port from
    WallStack.scaled_chain_matrix. Exact for the thin-layer 2-port (t << R); |S| is the shielding factor.
    exp(concentric_shells_log_shielding(...)): inf only where |S| exceeds the float range (~1e308, hundreds of
    skin depths in all); use the logarithm there.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(concentric_shells_log_shielding(radii_m, stacks, freqs_hz, dim=dim))


def concentric_shells_log_shielding(radii_m, stacks, freqs_hz, *, dim: int = 3) -> np.ndarray:
    """ln S(f) (complex: ln|S| + i arg S, (n_f,)) of concentric thin shells, finite at any thickness/skin depth.

    The dipole-mode system is solved for amplitudes scaled by exp(-S_j), S_j = sum over the shells outside
    region j of s_k = gamma_k t_k (WallStack.scaled_chain_matrix: T_k = exp(s_k) M_k), which makes every
    coefficient O(1); ln S = S_0 - ln(scaled inner amplitude). Where the plain chain matrices are finite this is
    the same algebra (same result to rounding). Asymptotics: ln|S| = sum_k t_k / delta_k + O(ln f) once the
    layers are many skin depths thick (exponential attenuation, 8.69 dB per skin depth).
    """

    radii = np.atleast_1d(np.asarray(radii_m, float))
    if np.any(~np.isfinite(radii)) or np.any(radii <= 0) or np.any(np.diff(radii) <= 0):
        raise SpecError(f"radii_m must be positive and increasing (m); got {radii_m!r}")
    stacks = [WallStack((s,)) if isinstance(s, Layer) else s for s in stacks]
    if len(stacks) != len(radii):
        raise SpecError(f"need one stack per radius: {len(radii)} radii, {len(stacks)} stacks")
    for s in stacks:
        s.require_conducting("the frequency-dependent shell model (use thin_layer_shielding for static)")
    if dim not in (2, 3):
        raise SpecError(f"dim must be 2 or 3; got {dim!r}")
    f = check_freqs_hz(freqs_hz)
    w = 2 * np.pi * f
    n = len(radii)
    q = 2 if dim == 3 else 1  # phi = (-alpha r + beta r^-q) cos(theta): the l = 1 (m = 1) dipole mode
    lap = 2.0 if dim == 3 else 1.0  # -Laplace-Beltrami eigenvalue of that mode times R^2
    chains = [s.scaled_chain_matrix(f) for s in stacks]  # (s_j, M_j): T_j = exp(s_j) M_j
    log_scale = np.sum([c[0] for c in chains], axis=0)  # S_0 = sum_j s_j
    out = np.empty(len(f), complex)
    for i in range(len(f)):
        # unknowns (scaled): alpha_0 (beta_0 = 0), (alpha_k, beta_k) k = 1..n-1, beta_n (alpha_n = H0 = 1)
        nu = 2 * n
        M = np.zeros((nu, nu), complex)
        rhs = np.zeros(nu, complex)

        def col(k, which):  # index of alpha_k / beta_k, or None for known
            if k == 0:
                return 0 if which == "a" else None
            if k == n:
                return nu - 1 if which == "b" else None
            return 1 + 2 * (k - 1) + (0 if which == "a" else 1)

        def add(row, k, ca, cb):  # ca * alpha_k + cb * beta_k into row
            for which, val in (("a", ca), ("b", cb)):
                c = col(k, which)
                if c is not None:
                    M[row, c] += val
                elif k == n and which == "a":
                    rhs[row] -= val  # alpha_n = H0 = 1

        for j, R in enumerate(radii):
            s_j, Mj = chains[j][0][i], chains[j][1][i]
            a, b, d = Mj[0, 0], Mj[0, 1], Mj[1, 1]  # the scaled entries: a = exp(-s_j) a_true, ...
            kap = lap / (1j * w[i] * units.MU0_H_M * b * R**2)  # exp(s_j) kap_true
            fa, fb = 1.0, q * R ** (-(q + 1))  # flux/mu0 = alpha + q beta R^-(q+1)
            pa, pb = -R, R ** (-q)  # phi = -alpha R + beta R^-q
            # inner side: flux_j = kap (p_{j+1} - a p_j), divided by exp(-S_j)
            add(2 * j, j, fa + kap * a * pa, fb + kap * a * pb)
            add(2 * j, j + 1, -kap * pa, -kap * pb)
            # outer side: flux_{j+1} = kap (d p_{j+1} - p_j), divided by exp(-S_{j+1})
            add(2 * j + 1, j + 1, fa - kap * d * pa, fb - kap * d * pb)
            damp = np.exp(-2.0 * s_j)  # |.| <= 1: underflows to 0 for an opaque shell
            add(2 * j + 1, j, damp * kap * pa, damp * kap * pb)
        x = np.linalg.solve(M, rhs)
        out[i] = log_scale[i] - np.log(x[0])
    return out




# -- thin-layer finite elements (static) ---------------------------------------------------------------------------
@dataclass
class ShieldingResult:
    """Static thin-layer FE shielding: S along each field direction, the solver's numbers."""

    shielding: dict  # direction -> S = |B0| / |B(centre)|
    b_centre_ratio: dict  # direction -> B(centre)/B0 (3-vector)
    dofs: int
    seconds: float
    outer_radius_m: float
    stats: dict = field(default_factory=dict)




def nested_sphere_shells(volume_m3: float, stack: WallStack) -> tuple[list, list]:
    """The stack as concentric spherical shells round a sphere of the room's volume: (mid-layer radii in m, one
    single-layer WallStack each); gaps only space the shells (the closed-shell model of `amails-fem walls`)."""
    r_eq = (3 * require_positive(volume_m3, "volume_m3") / (4 * np.pi)) ** (1 / 3)
    depths = np.cumsum([0.0] + [ly.thickness_m for ly in stack.layers])[:-1]  # inner face of each layer
    metal = [(r_eq + d + ly.thickness_m / 2, ly) for d, ly in zip(depths, stack.layers) if not ly.is_gap]
    return [r for r, _ in metal], [WallStack((ly,)) for _, ly in metal]


def nested_box_shells(inner_size_m, stack) -> list:
    """The permeable layers of ``stack`` as nested box shells around a box room of inner size (lx, ly, lz) m: layer k
    at the cumulative depth of the stack (gaps included) plus half its thickness. Layers with mu_r = 1 are left out:
    they add nothing to the static thin-layer model ((mu_r - 1) t = 0)."""
    shells, depth = [], 0.0
    inner = np.asarray(inner_size_m, float)
    for layer in stack.layers:
        if not layer.is_gap and layer.mu_r > 1.0:
            shells.append(("box", tuple(inner + 2 * (depth + 0.5 * layer.thickness_m)), layer))
        depth += layer.thickness_m
    return shells


def thin_layer_shielding(shells, *, dim: int = 3, size_m=None, shell_size_m=None, outer_factor: float = 3.0,
                         order: int = 2, directions=("x", "z"), quiet: bool = True,
                         points_m=None) -> ShieldingResult:
    """Static shielding of nested closed shells by the thin-layer FE model (module docstring, model 1).

    shells: list of (shape, size, layer_data) inner to outer; shape "sphere" (size = radius, m) or "box"
    (size = (lx, ly, lz) m); layer_data a WallStack or Layer: its metal layers are summed as (mu_r - 1) t.
    points_m (3D only): also return B/B0 (N, 3) there, per direction, in result.stats["b_points_ratio"].
    """

    if not shells:
        raise SpecError("shells must list at least one (shape, size, layers) shell")
    geo, taus, extent = [], [], 0.0
    for i, (shape, size, layers) in enumerate(shells):
        if shape not in ("sphere", "box"):
            raise SpecError(f"shells[{i}] shape must be 'sphere' or 'box'; got {shape!r}")
        if shape == "sphere":
            size = require_positive(size, f"shells[{i}] radius_m")
            e = size
        else:
            size = tuple(require_positive(s, f"shells[{i}] size_m") for s in size)
            e = 0.5 * float(np.linalg.norm(size[:dim]))
        stack = WallStack((layers,)) if isinstance(layers, Layer) else layers
        if not isinstance(stack, WallStack):
            raise SpecError(f"shells[{i}] layers must be a WallStack or Layer")
        geo.append((shape, size))
        taus.append(sum((ly.mu_r - 1.0) * ly.thickness_m for ly in stack.layers))
        extent = max(extent, e)
    ro = outer_factor * extent
    size_m = size_m or extent / 4
    shell_size_m = shell_size_m or size_m / 2
    progress = Progress(quiet=quiet)
    t0 = time.perf_counter()
    with progress.step("meshing shells"):
        mesh, facets = shells_mesh(geo, ro, size_m, shell_size_m, dim)
    if dim == 3:
        elem = ElementTetP2() if order == 2 else ElementTetP1()
    else:
        elem = ElementTriP2() if order == 2 else ElementTriP1()
    basis = Basis(mesh, elem)
    k = 2.0 if dim == 3 else 1.0

    A = laplace.assemble(basis)
    for i, tau in enumerate(taus):
        fb = FacetBasis(mesh, elem, facets=facets[f"shell{i}"])
        A = A + tau * surface_laplace.assemble(fb)
    fo = FacetBasis(mesh, elem, facets=facets["outer"])
    A = (A + (k / ro) * mass.assemble(fo)).tocsc()
    centre = np.zeros((1, dim))
    S, ratios, pts_ratio = {}, {}, {}
    if dim == 2:
        directions = tuple(d for d in directions if d in "xy") or ("x",)
    for d in directions:
        e = np.zeros(dim)
        e["xyz".index(d)] = 1.0

        @LinearForm
        def load(v, w):
            return -(k + 1) * sum(e[i] * w.n[i] for i in range(dim)) * v

        phi = _spd_solve(A, load.assemble(fo), dim)
        h = -field_gradient(basis, phi, centre)[0]
        ratios[d] = h
        if points_m is not None and dim == 3:
            pts_ratio[d] = -field_gradient(basis, phi, np.asarray(points_m, float))
        S[d] = 1.0 / float(np.linalg.norm(h))
    return ShieldingResult(shielding=S, b_centre_ratio=ratios, dofs=int(basis.N), seconds=time.perf_counter() - t0,
                           outer_radius_m=ro, stats={"taus_m": taus, "b_points_ratio": pts_ratio})


def _spd_solve(A, b, dim, tol=1e-10):
    """Solve the SPD system: sparse LU in 2D, CG + smoothed-aggregation AMG in 3D."""

    if dim == 2:
        return spsolve(A.tocsc(), b)

    A = A.tocsr()
    return checked_cg(A, b, sa_solver(A).aspreconditioner(cycle="V"), tol=tol, what="shielding CG")[0]


# -- volume mesh of a thick layer (2D cylinder, A_z formulation, any frequency): the check of the thin models ------
def shielding_volume_2d(radius_m: float, layer, freqs_hz=None, *, n_through: int = 4, outer_factor: float = 4.0):
    """|S| of a long cylindrical shell (inner radius radius_m) in a transverse field, layer meshed through its
    thickness: -div(1/mu grad A) - i omega sigma A = 0, B = curl(A z); far field A -> B0 x (Robin, exact for a
    dipole). freqs_hz None: static. Returns (n_f,) S = B0 / |B(centre)|.
    """




    R, t = require_positive(radius_m, "radius_m"), layer.thickness_m
    ro = outer_factor * (R + t)
    mesh, facets, in_layer = ring_mesh_2d(R, t, n_through, ro)
    basis = Basis(mesh, ElementTriP2(), intorder=4)
    nu = np.where(in_layer, 1.0 / layer.mu_r, 1.0)  # 1/mu_r per element
    sig = np.where(in_layer, layer.sigma_s_m, 0.0)
    fo = FacetBasis(mesh, ElementTriP2(), facets=facets["outer"])


    @LinearForm
    def load(v, w):  # B0 = x: A_z -> y far away; Robin dA/dn + A/r = 2 n_y (exact for a dipole)
        return 2.0 * w.n[1] * v

    ones = np.ones((1, basis.X.shape[1]))
    K = weighted_laplace.assemble(basis, nu=nu[:, None] * ones)
    Mm = weighted_mass.assemble(basis, sig=sig[:, None] * ones)
    Rb = mass.assemble(fo) / ro
    b = load.assemble(fo)
    freqs = [0.0] if freqs_hz is None else list(np.atleast_1d(freqs_hz))
    out = []
    for f in freqs:
        w = 2 * np.pi * f
        Kf = (K + Rb).astype(complex) - 1j * w * units.MU0_H_M * Mm
        a = spsolve(Kf.tocsc(), b.astype(complex))
        gx, gy = field_gradient(basis, a, np.zeros((1, 2)))[0]
        bvec = np.array([gy, -gx])  # B = curl(A z) = (dA/dy, -dA/dx)
        out.append(1.0 / np.linalg.norm(np.abs(bvec)))
    return np.array(out)
