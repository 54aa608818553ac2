"""A locality-preserving DOF numbering for Lagrange P1/P2: reverse Cuthill-McKee on the vertex graph, each edge DOF
placed right after the lower-ranked of its two vertices.

scikit-fem numbers every vertex DOF before every edge DOF, so a vertex row of the P2 matrix reaches ~1e5 positions
away (median |i - j| 1.7e5 at 1e6 DOFs) and the matrix-vector products and sweeps wait on memory. With this order the
median is ~180 and a product over the (n, 3) block runs ~3x faster (docs/performance.md). RCM:
Cuthill & McKee (1969), Proc. 24th ACM National Conference, 157; George (1971), Stanford thesis.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import reverse_cuthill_mckee


def vertex_rcm(edges: np.ndarray, n_vertices: int) -> np.ndarray:
    """RCM rank of every vertex (int64, rank[v] = new position of v) from the mesh edges (2, n_edges)."""
    ones = np.ones(2 * edges.shape[1], dtype=np.int8)
    G = sp.csr_matrix((ones, (np.r_[edges[0], edges[1]], np.r_[edges[1], edges[0]])), shape=(n_vertices, n_vertices))
    order = reverse_cuthill_mckee(G, symmetric_mode=True)
    rank = np.empty(n_vertices, dtype=np.int64)
    rank[order] = np.arange(n_vertices)
    return rank


def inverse_permutation(perm: np.ndarray) -> np.ndarray:
    """inverse with inverse[perm[i]] = i: where each old DOF sits in the new order."""
    inverse = np.empty_like(perm)
    inverse[perm] = np.arange(perm.size)
    return inverse


def local_order(basis) -> tuple[np.ndarray, np.ndarray]:
    """(perm, vertex_rank): new DOF i is old DOF perm[i]; vertex v goes to rank vertex_rank[v] (P1 coarse level).

    P1: the vertex RCM order. P2: vertices in RCM order, each edge DOF after the lower-ranked of its two ends.
    """
    mesh = basis.mesh
    nv = basis.nodal_dofs.shape[1]
    rank = vertex_rcm(mesh.edges, nv)
    key = np.empty(basis.N, dtype=np.int64)
    key[basis.nodal_dofs[0]] = 2 * rank
    if basis.edge_dofs.size:
        ends = mesh.edges
        key[basis.edge_dofs[0]] = 2 * np.minimum(rank[ends[0]], rank[ends[1]]) + 1
    return np.argsort(key, kind="stable"), rank
