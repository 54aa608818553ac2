"""Evaluate finite-element fields and their gradients at arbitrary points.

Points are located in the straight (vertex) tetrahedra with a KD-tree over element centroids and
barycentric tests; on curved (MeshTet2) meshes the reference coordinates are then refined by Newton
iteration on the isoparametric map, so points in the curved wall layer are found too. A point just
outside the discrete mesh (inside the true, curved room) is evaluated by extrapolation from the
nearest element.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.spatial import cKDTree


class PointLocator:
    """Find (element, reference coordinates) for points in a triangle or tetrahedron skfem mesh (straight or curved)."""

    def __init__(self, mesh, mapping):
        self.mesh = mesh
        self.mapping = mapping
        dim = mesh.p.shape[0]
        p, t = mesh.p, mesh.t[: dim + 1]
        v0 = p[:, t[0]]
        edges = np.stack([p[:, t[i]] - v0 for i in range(1, dim + 1)], axis=-1)  # (dim, nel, dim): columns = edges
        self._v0 = v0.T
        self._inv = np.linalg.inv(np.moveaxis(edges, 0, 1))  # (nel, dim, dim)
        self._tree = cKDTree(p[:, t].mean(axis=1).T)
        self._affine = bool(getattr(mesh, "affine", False)) and mesh.doflocs.shape[1] == p.shape[1]

    @classmethod
    def for_basis(cls, basis) -> "PointLocator":
        """The locator of a basis's mesh, built once and kept on the mesh."""
        if getattr(basis.mesh, "_amails_locator", None) is None:
            object.__setattr__(basis.mesh, "_amails_locator", cls(basis.mesh, basis.mapping))
        return basis.mesh._amails_locator

    def locate(self, points: np.ndarray, k: int = 16) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Points (n, dim) -> (cells (n,), reference coords (dim, n), outside distance in barycentric units (n,))."""
        pts = np.atleast_2d(points)
        k = min(k, self._inv.shape[0])
        _, cand = self._tree.query(pts, k=k)
        cand = cand.reshape(len(pts), k)
        lam = np.einsum("nkij,nkj->nki", self._inv[cand], pts[:, None, :] - self._v0[cand])  # (n, k, dim)
        worst = np.minimum(lam.min(axis=2), 1.0 - lam.sum(axis=2))  # >= 0 inside
        best = np.argmax(worst, axis=1)
        cells = cand[np.arange(len(pts)), best]
        X = lam[np.arange(len(pts)), best].T.copy()
        lost = np.flatnonzero(worst[np.arange(len(pts)), best] < -1e-9)
        if lost.size and k < self._inv.shape[0]:  # graded meshes: the host may not be among the nearest centroids
            kk = min(256, self._inv.shape[0])
            _, cand2 = self._tree.query(pts[lost], k=kk)
            lam2 = np.einsum("nkij,nkj->nki", self._inv[cand2], pts[lost][:, None, :] - self._v0[cand2])
            worst2 = np.minimum(lam2.min(axis=2), 1.0 - lam2.sum(axis=2))
            best2 = np.argmax(worst2, axis=1)
            better = worst2[np.arange(len(lost)), best2] > worst[lost, best[lost]]
            cells[lost[better]] = cand2[np.arange(len(lost)), best2][better]
            X[:, lost[better]] = lam2[np.arange(len(lost)), best2][better].T
        if not self._affine:
            X = self._newton(pts.T, X, cells)
        outside = -np.minimum(np.minimum(X.min(axis=0), 1.0 - X.sum(axis=0)), 0.0)
        return cells, X, outside

    def _newton(self, x: np.ndarray, X: np.ndarray, cells: np.ndarray, iters: int = 8) -> np.ndarray:
        """Refine reference coordinates on the curved map F(X) = x (no clipping: allows extrapolation)."""
        X = X[:, :, None]
        for _ in range(iters):
            F = self.mapping.F(X, cells)
            dX = np.einsum("ijkl,jkl->ikl", self.mapping.invDF(X, cells), x[:, :, None] - F)
            X = X + dX
            if np.abs(dX).max() < 1e-13:
                break
        return X[:, :, 0]


def gradient_matrices(basis, points: np.ndarray, locator: PointLocator | None = None) -> list[csr_matrix]:
    """Sparse (n_points x n_dofs) matrices G_d with (G_d u)_i = d u / d x_d at point i (points (n, dim))."""
    locator = locator or PointLocator.for_basis(basis)
    cells, X, _ = locator.locate(points)
    Xq = X[:, :, None]
    n = len(cells)
    grads = np.array([basis.elem.gbasis(basis.mapping, Xq, j, tind=cells)[0].grad[:, :, 0]
                      for j in range(basis.Nbfun)])  # (nbfun, dim, n)
    rows = np.tile(np.arange(n), basis.Nbfun)
    cols = basis.element_dofs[:, cells].reshape(-1)
    return [coo_matrix((grads[:, d, :].reshape(-1), (rows, cols)), shape=(n, basis.N)).tocsr()
            for d in range(grads.shape[1])]


def value_matrix(basis, points: np.ndarray, locator: PointLocator | None = None) -> csr_matrix:
    """Sparse (n_points x n_dofs) matrix V with (V u)_i = u at point i (points (n, dim))."""
    locator = locator or PointLocator.for_basis(basis)
    cells, X, _ = locator.locate(points)
    Xq = X[:, :, None]
    n = len(cells)
    vals = np.array([basis.elem.gbasis(basis.mapping, Xq, j, tind=cells)[0][:, 0] for j in range(basis.Nbfun)])
    rows = np.tile(np.arange(n), basis.Nbfun)
    cols = basis.element_dofs[:, cells].reshape(-1)
    return coo_matrix((vals.reshape(-1), (rows, cols)), shape=(n, basis.N)).tocsr()


def field_gradient(basis, u: np.ndarray, points: np.ndarray) -> np.ndarray:
    """grad u (n, dim) at points (n, dim) of a (possibly complex) finite-element field u."""
    return np.stack([g @ u for g in gradient_matrices(basis, np.atleast_2d(points))], axis=1)
