"""Fast stiffness assembly for Lagrange P1/P2 on straight-sided tetrahedra.

On an affine tetrahedron T the gradient of every P1/P2 basis function is a combination of the
barycentric gradients, grad phi_a = sum_k (d phi_a / d lambda_k) grad lambda_k, with d phi / d lambda
linear in lambda. Hence
    K_ab(T) = 6 |T| sum_kl (grad lambda_k . grad lambda_l) M_ab^kl,
    M_ab^kl = int_ref (d phi_a / d lambda_k)(d phi_b / d lambda_l) dX,
one (n_el x 16) @ (16 x n_loc^2) matrix product for the whole mesh (stiffness_affine, then COO -> CSR), or the same
entries accumulated row by row straight into a CSR pattern made once from the element-DOF table (stiffness_csr) (docs/performance.md: the generic
form assembly spent most of its time in einsum). Checked against scikit-fem's assembly in the tests.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from skfem import ElementTetP2
from skfem.quadrature import get_quadrature
from skfem.refdom import RefTet

from amails_fem.fem.csr_kernels import accumulate_rows, csr_pattern, gradient_products


def _dphi_dlambda(order: int, lam: np.ndarray) -> np.ndarray:
    """d phi_a / d lambda_k at barycentric points lam (4, nq): shape (n_loc, 4, nq), skfem's local order."""
    nq = lam.shape[1]
    eye = np.eye(4)[:, :, None]
    if order == 1:
        return np.broadcast_to(eye, (4, 4, nq)).copy()
    # vertices: lambda_a (2 lambda_a - 1); edges (i, j): 4 lambda_i lambda_j, in ElementTetP2's edge order
    out = [eye[a] * (4 * lam[a] - 1) for a in range(4)]
    for i, j in _p2_edges():
        out.append(4 * (eye[i] * lam[j] + eye[j] * lam[i]))
    return np.array(out)


def _p2_edges():
    """Vertex pairs of ElementTetP2's edge DOFs, read from its reference DOF locations."""

    ref = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    pairs = []
    for loc in ElementTetP2().doflocs[4:]:
        for i in range(4):
            for j in range(i + 1, 4):
                if np.allclose((ref[i] + ref[j]) / 2, loc):
                    pairs.append((i, j))
    return pairs


def reference_tensor(order: int) -> np.ndarray:
    """M (16, n_loc^2): int over the reference tetrahedron of dphi_a/dlambda_k dphi_b/dlambda_l (exact, degree 2)."""

    X, w = get_quadrature(RefTet, 2)
    lam = np.vstack([1 - X.sum(axis=0), X])
    d = _dphi_dlambda(order, lam)  # (n, 4, nq)
    M = np.einsum("akq,blq,q->klab", d, d, w)
    n = d.shape[0]
    return M.reshape(16, n * n)


def stiffness_affine(mesh, element_dofs: np.ndarray, n_dofs: int, order: int) -> sp.csr_matrix:
    """Global stiffness matrix int grad u . grad v on an affine tetrahedral mesh (P1 or P2)."""
    p, t = mesh.p, mesh.t[:4]
    v0 = p[:, t[0]]
    A = np.stack([p[:, t[i]] - v0 for i in (1, 2, 3)], axis=-1)  # (3, nel, 3): x = v0 + A X
    A = np.moveaxis(A, 1, 0)  # (nel, 3, 3)
    det = np.linalg.det(A)
    inv = np.linalg.inv(A)  # rows: grad lambda_1..3
    grads = np.concatenate([-inv.sum(axis=1, keepdims=True), inv], axis=1)  # (nel, 4, 3)
    G = np.einsum("eki,eli->ekl", grads, grads).reshape(-1, 16) * np.abs(det)[:, None]
    K = G @ reference_tensor(order)  # (nel, n_loc^2)
    n = element_dofs.shape[0]
    rows = np.repeat(element_dofs.T, n, axis=1).ravel()
    cols = np.tile(element_dofs.T, (1, n)).ravel()
    return sp.csr_matrix((K.ravel(), (rows, cols)), shape=(n_dofs, n_dofs))


class CsrPattern:
    """The sparsity pattern of a P1/P2 matrix on one element-DOF table: CSR index arrays (int32 indices) and the
    DOF -> (element, local index) map that the row-wise assembly reads. Build once, assemble any number of times."""

    def __init__(self, element_dofs: np.ndarray, n_dofs: int):
        """element_dofs: (n_loc, n_elements), scikit-fem's layout."""
        self.element_dofs = np.ascontiguousarray(np.asarray(element_dofs).T, dtype=np.int32)  # (n_el, n_loc)
        self.n = int(n_dofs)
        self.indptr, self.indices, self.dof_map = csr_pattern(self.element_dofs, self.n)

    @property
    def nnz(self) -> int:
        return int(self.indices.shape[0])

    @property
    def nbytes(self) -> int:
        return int(self.indptr.nbytes + self.indices.nbytes + sum(a.nbytes for a in self.dof_map)
                   + self.element_dofs.nbytes)


def stiffness_csr(mesh, pattern: CsrPattern, order: int) -> sp.csr_matrix:
    """int grad u . grad v on an affine tetrahedral mesh (P1 or P2) into ``pattern`` (same matrix as
    stiffness_affine, its entries summed in another order)."""
    G = gradient_products(np.ascontiguousarray(mesh.p, dtype=np.float64), np.ascontiguousarray(mesh.t[:4]))
    data = np.empty(pattern.nnz)
    ptr, elem, local = pattern.dof_map
    accumulate_rows(pattern.indptr, pattern.indices, ptr, elem, local, pattern.element_dofs, G,
                    np.ascontiguousarray(reference_tensor(order).T), data)
    A = sp.csr_matrix((data, pattern.indices, pattern.indptr), shape=(pattern.n, pattern.n))
    A.has_sorted_indices = True
    return A
