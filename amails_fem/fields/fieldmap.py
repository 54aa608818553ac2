"""Wall maps: the field sampled on every wall at a standoff distance, on regular grids.

Each wall is a WallPatch: grid points (nu, nv, 3) at ``standoff_m`` inside the wall, the outward
normal n, tangent directions u, v, area weights, and coordinates in an unfolded net of the room
(the net's x grows along u, its y along v, so tangential arrows can be drawn as they are).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from amails_fem import units
from amails_fem.errors import SpecError
from amails_fem.specs.rooms import BoxRoom, CylinderRoom, EllipsoidRoom, RoomBase, SphereRoom

POLARIZATIONS = ("x", "y", "z")


@dataclass(frozen=True)
class WallPatch:
    """One wall's sampling grid (metres)."""

    name: str
    points_m: np.ndarray  # (nu, nv, 3)
    normal: np.ndarray  # (nu, nv, 3) outward unit normal of the wall
    u: np.ndarray  # (nu, nv, 3) unit tangent along the net's x
    v: np.ndarray  # (nu, nv, 3) unit tangent along the net's y
    net_xy_m: np.ndarray  # (nu, nv, 2) position in the unfolded net
    area_m2: np.ndarray  # (nu, nv) area weight of each sample


@dataclass
class WallMap:
    """B on the wall patches for p = x, y, z (tesla per A/m^2 of effective current)."""

    spec: RoomBase
    standoff_m: float
    patches: list
    b_t_per_a_m2: dict  # wall name -> (3 pol, nu, nv, 3)

    def components(self, wall: str, pol: int) -> dict:
        """B_u, B_v, B_n (normal, outward), |B_t| (tangential) and |B| on one wall, T per A/m^2."""
        patch = next(p for p in self.patches if p.name == wall)
        B = self.b_t_per_a_m2[wall][pol]
        bn = np.einsum("ijk,ijk->ij", B, patch.normal)
        bt = B - bn[..., None] * patch.normal
        return {"B_u": np.einsum("ijk,ijk->ij", B, patch.u), "B_v": np.einsum("ijk,ijk->ij", B, patch.v),
                "B_n": bn, "B_t": np.linalg.norm(bt, axis=-1), "B_mag": np.linalg.norm(B, axis=-1)}

    def tangential_stats(self, pol: int) -> dict:
        """Max and area-weighted mean |B_t| over all walls (T per A/m^2), and where the max is."""
        best, where, total, area = -1.0, None, 0.0, 0.0
        for patch in self.patches:
            bt = self.components(patch.name, pol)["B_t"]
            i = np.unravel_index(np.argmax(bt), bt.shape)
            if bt[i] > best:
                best, where = float(bt[i]), (patch.name, patch.points_m[i].tolist())
            total += float((bt * patch.area_m2).sum())
            area += float(patch.area_m2.sum())
        return {"max": best, "mean": total / area, "max_at": {"wall": where[0], "point_m": where[1]}}

    def unit_field_t(self) -> float:
        """mu0 J L for J = 1 A/m^2 and L = V^(1/3): the natural unit of the wall field (tesla)."""
        return units.MU0_H_M * self.spec.size_m


def sample_walls(response, standoff_m: float = 0.01, n: int = 41) -> WallMap:
    """Evaluate a solved room on wall grids of n x n points at standoff_m from the walls."""
    patches = wall_patches(response.spec, standoff_m, n)
    fields = {}
    for patch in patches:
        R = response.response_matrix(patch.points_m.reshape(-1, 3))  # (N, 3 comp, 3 pol)
        fields[patch.name] = np.moveaxis(R, 2, 0).reshape(3, *patch.points_m.shape)
    return WallMap(spec=response.spec, standoff_m=standoff_m, patches=patches, b_t_per_a_m2=fields)


def wall_patches(spec: RoomBase, standoff_m: float = 0.01, n: int = 41) -> list[WallPatch]:
    """Sampling grids for each wall of ``spec`` (box: 6 faces; cylinder: side + caps; sphere/ellipsoid: one)."""
    if not (np.isfinite(standoff_m) and 0 < standoff_m < 0.25 * _min_width(spec)):
        raise SpecError(f"standoff_m must be in (0, {0.25 * _min_width(spec):.3g}) m for this room; got {standoff_m!r}")
    if not (isinstance(n, (int, np.integer)) and 3 <= n <= 1001):
        raise SpecError(f"grid points per side n must be an integer in [3, 1001]; got {n!r}")
    if isinstance(spec, BoxRoom):
        return _box_patches(spec, standoff_m, n)
    if isinstance(spec, CylinderRoom):
        return _cylinder_patches(spec, standoff_m, n)
    if isinstance(spec, (SphereRoom, EllipsoidRoom)):
        return [_ellipsoid_patch(spec, standoff_m, n)]
    raise TypeError(f"no wall map for {type(spec).__name__}")


def _min_width(spec: RoomBase) -> float:
    if isinstance(spec, BoxRoom):
        return float(min(spec.lx_m, spec.ly_m, spec.lz_m))
    if isinstance(spec, CylinderRoom):
        return min(2 * spec.radius_m, spec.height_m)
    if isinstance(spec, SphereRoom):
        return 2 * spec.radius_m
    return 2 * float(spec.semi_axes_m.min())


def _grid(a: np.ndarray, b: np.ndarray):
    return np.meshgrid(a, b, indexing="ij")


def _box_patches(spec: BoxRoom, s: float, n: int) -> list[WallPatch]:
    """Six faces in a cross-shaped net around the y_min (front) face: see module docstring."""
    hx, hy, hz = spec.half_m
    e = np.eye(3)
    # name: (normal axis, sign, u vector, v vector, net origin (x, y) of the face centre)
    layout = {
        "y_min": (1, -1, e[0], e[2], (0.0, 0.0)),
        "x_max": (0, +1, e[1], e[2], (hx + hy, 0.0)),
        "y_max": (1, +1, -e[0], e[2], (2 * hx + 2 * hy, 0.0)),
        "x_min": (0, -1, -e[1], e[2], (-hx - hy, 0.0)),
        "ceiling": (2, +1, e[0], e[1], (0.0, hz + hy)),
        "floor": (2, -1, e[0], -e[1], (0.0, -hz - hy)),
    }
    half = spec.half_m
    patches = []
    for name, (k, sign, u, v, origin) in layout.items():
        iu, iv = int(np.argmax(np.abs(u))), int(np.argmax(np.abs(v)))
        a = np.linspace(-half[iu] + s, half[iu] - s, n)
        b = np.linspace(-half[iv] + s, half[iv] - s, n)
        A, B = _grid(a, b)  # coordinates along u, v (as signed by u, v)
        pts = np.zeros((n, n, 3))
        pts[..., iu] = A * u[iu]
        pts[..., iv] = B * v[iv]
        pts[..., k] = sign * (half[k] - s)
        normal = np.broadcast_to(sign * e[k], pts.shape).copy()
        net = np.stack([origin[0] + A, origin[1] + B], axis=-1)
        da, db = a[1] - a[0], b[1] - b[0]
        patches.append(WallPatch(name, pts, normal, np.broadcast_to(u, pts.shape).copy(),
                                 np.broadcast_to(v, pts.shape).copy(), net, np.full((n, n), da * db)))
    return patches


def _cylinder_frame(spec: CylinderRoom):
    a = spec.axis_index
    e = np.eye(3)
    return e[a], e[(a + 1) % 3], e[(a + 2) % 3]


def _cylinder_patches(spec: CylinderRoom, s: float, n: int) -> list[WallPatch]:
    """Side unrolled (R theta, axial) with the caps as discs above and below it."""
    axis, e1, e2 = _cylinder_frame(spec)
    R, h = spec.radius_m, spec.height_m
    theta = np.linspace(-np.pi, np.pi, 2 * n)
    ax = np.linspace(-h / 2 + s, h / 2 - s, n)
    T, Z = _grid(theta, ax)
    radial = np.cos(T)[..., None] * e1 + np.sin(T)[..., None] * e2
    tang = -np.sin(T)[..., None] * e1 + np.cos(T)[..., None] * e2
    side = WallPatch("side", (R - s) * radial + Z[..., None] * axis, radial, tang,
                     np.broadcast_to(axis, radial.shape).copy(), np.stack([R * T, Z], -1),
                     np.full(T.shape, (R - s) * (theta[1] - theta[0]) * (ax[1] - ax[0])))
    patches = [side]
    r = np.linspace(0.0, R - s, n)
    Rr, Tc = _grid(r, np.linspace(-np.pi, np.pi, 2 * n))
    for name, sign in (("cap_max", +1), ("cap_min", -1)):
        pts = Rr[..., None] * (np.cos(Tc)[..., None] * e1 + np.sin(Tc)[..., None] * e2) + sign * (h / 2 - s) * axis
        x1, x2 = Rr * np.cos(Tc), Rr * np.sin(Tc)
        net = np.stack([x1, sign * (h / 2 + R) + sign * x2], -1)
        area = np.maximum(Rr, 0.5 * (r[1] - r[0])) * (r[1] - r[0]) * (Tc[0, 1] - Tc[0, 0])
        patches.append(WallPatch(name, pts, np.broadcast_to(sign * axis, pts.shape).copy(),
                                 np.broadcast_to(e1, pts.shape).copy(), np.broadcast_to(sign * e2, pts.shape).copy(),
                                 net, area))
    return patches


def _ellipsoid_patch(spec, s: float, n: int) -> WallPatch:
    """Latitude-longitude grid (equirectangular net), standoff along the surface normal."""
    a = np.full(3, spec.radius_m) if isinstance(spec, SphereRoom) else spec.semi_axes_m
    theta = np.linspace(np.pi / (2 * n), np.pi - np.pi / (2 * n), n)
    phi = np.linspace(-np.pi, np.pi, 2 * n)
    P, T = _grid(phi, theta)
    unit = np.stack([np.sin(T) * np.cos(P), np.sin(T) * np.sin(P), np.cos(T)], -1)
    surf = unit * a
    normal = surf / a**2
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    d_phi = np.stack([-np.sin(T) * np.sin(P), np.sin(T) * np.cos(P), 0 * T], -1) * a
    d_theta = np.stack([np.cos(T) * np.cos(P), np.cos(T) * np.sin(P), -np.sin(T)], -1) * a
    area = np.linalg.norm(np.cross(d_phi, d_theta), axis=-1) * (phi[1] - phi[0]) * (theta[1] - theta[0])
    u = d_phi / np.maximum(np.linalg.norm(d_phi, axis=-1, keepdims=True), 1e-300)
    v = -d_theta / np.linalg.norm(d_theta, axis=-1, keepdims=True)
    r_mean = float(np.mean(a))
    return WallPatch("wall", surf - s * normal, normal, u, v, np.stack([r_mean * P, r_mean * (np.pi / 2 - T)], -1), area)


def net_positions(spec: RoomBase, points_m, vectors=None) -> list[dict]:
    """Where points inside a room appear on the unfolded wall net of wall_patches: for each point its nearest wall,
    its net position (m) and, for an optional vector per point (a sensor axis), the vector's components along the
    net's x and y (the wall's u, v) and along the wall's outward normal. Box rooms only (SpecError otherwise)."""
    if not isinstance(spec, BoxRoom):
        raise SpecError(f"net_positions: wall nets with sensors are drawn for box rooms; got a {spec.shape} room")
    pts = np.atleast_2d(np.asarray(points_m, float))
    vec = None if vectors is None else np.atleast_2d(np.asarray(vectors, float))
    half = spec.half_m
    patches = {p.name: p for p in _box_patches(spec, 0.0, 3)}
    names = {(1, -1): "y_min", (0, 1): "x_max", (1, 1): "y_max", (0, -1): "x_min", (2, 1): "ceiling", (2, -1): "floor"}
    out = []
    for i, p in enumerate(pts):
        gaps = np.concatenate([half - p, half + p])  # distance to the +x, +y, +z, -x, -y, -z walls
        j = int(np.argmin(gaps))
        k, sign = j % 3, (1 if j < 3 else -1)
        patch = patches[names[(k, sign)]]
        u, v, n = patch.u[0, 0], patch.v[0, 0], patch.normal[0, 0]
        centre = patch.net_xy_m[1, 1]  # the face centre of the 3 x 3 grid
        xy = centre + np.array([p @ u, p @ v])
        row = {"wall": patch.name, "net_xy_m": xy, "distance_to_wall_m": float(gaps[j])}
        if vec is not None:
            row["axis_uvn"] = np.array([vec[i] @ u, vec[i] @ v, vec[i] @ n])
        out.append(row)
    return out
