"""Exact P2 boundary loads int_F phi_a g dS for boundary data g that is linear on each flat facet.

On a flat triangle a linear g is reproduced exactly by its P2 interpolant, so int_F phi_a g dS = |F| sum_b M_ab g(x_b)
with M the P2 mass matrix of the unit-area triangle and x_b the facet's three vertices and three edge midpoints.
No quadrature and no facet basis: ~0.1 s for 1e5 wall facets where scikit-fem's FacetBasis took ~4 s (docs/performance.md).
Checked against scikit-fem's FacetBasis assembly in tests/rooms/test_solver_internals.py.
"""

from __future__ import annotations

import numpy as np
from skfem import ElementTriP2
from skfem.quadrature import get_quadrature
from skfem.refdom import RefTri


def p2_triangle_mass() -> np.ndarray:
    """(6, 6) P2 mass matrix of a triangle of unit area, scikit-fem's local order (vertices, then edges 01, 12, 02)."""
    X, w = get_quadrature(RefTri, 4)
    e = ElementTriP2()
    phi = np.array([e.lbasis(X, i)[0] for i in range(6)])
    return 2.0 * np.einsum("aq,bq,q->ab", phi, phi, w)


def facet_nodes(mesh, facets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ends (2, 6, nf): vertex pairs of the 6 P2 nodes of each facet (equal ends for vertices), area (nf,),
    unit outward normal (3, nf))."""
    f = mesh.facets[:, facets]  # (3, nf) sorted vertex triples
    pairs = [(0, 0), (1, 1), (2, 2), (0, 1), (1, 2), (0, 2)]
    ends = np.array([[f[i], f[j]] for i, j in pairs]).transpose(1, 0, 2)  # (2, 6, nf)
    p = mesh.p
    cross = np.cross((p[:, f[1]] - p[:, f[0]]).T, (p[:, f[2]] - p[:, f[0]]).T).T  # (3, nf)
    twice_area = np.linalg.norm(cross, axis=0)
    normal = cross / twice_area
    owner = np.empty(mesh.facets.shape[1], dtype=np.int64)  # one element holding each facet (from t2f, cheap)
    owner[mesh.t2f.ravel()] = np.tile(np.arange(mesh.t.shape[1]), mesh.t2f.shape[0])
    tet = mesh.t[:4, owner[facets]]
    inward = p[:, tet].mean(axis=1) - p[:, f].mean(axis=1)
    normal *= np.where(np.einsum("in,in->n", normal, inward) > 0, -1.0, 1.0)
    return ends, 0.5 * twice_area, normal


def p2_facet_dofs(basis, ends: np.ndarray) -> np.ndarray:
    """P2 DOF index (6, nf) of each facet node: the vertex DOF, or the DOF of the edge joining the two ends."""
    mesh = basis.mesh
    nv = mesh.nvertices
    edges = mesh.edges  # lexicographically sorted (2, ne), a < b
    keys = edges[0].astype(np.int64) * nv + edges[1]
    lo, hi = np.minimum(ends[0], ends[1]), np.maximum(ends[0], ends[1])
    out = basis.nodal_dofs[0][lo]
    is_edge = lo != hi
    pos = np.searchsorted(keys, lo[is_edge].astype(np.int64) * nv + hi[is_edge])
    if not np.all(keys[np.minimum(pos, keys.size - 1)] == lo[is_edge].astype(np.int64) * nv + hi[is_edge]):
        raise ValueError("facet edge not found among the mesh edges")
    out[is_edge] = basis.edge_dofs[0][pos]
    return out


def p2_linear_loads(basis, facets: np.ndarray, values) -> np.ndarray:
    """Loads (m, N): int phi_a g_c dS over the facets for m linear data g_c.

    values(x (3, 6, nf), normal (3, nf)) -> (m, 6, nf): each g_c at the facets' six P2 nodes.
    """
    ends, area, normal = facet_nodes(basis.mesh, facets)
    x = 0.5 * (basis.mesh.p[:, ends[0]] + basis.mesh.p[:, ends[1]])  # (3, 6, nf)
    g = np.asarray(values(x, normal))
    local = np.einsum("ab,cbf->caf", p2_triangle_mass(), g) * area  # (m, 6, nf)
    dofs = p2_facet_dofs(basis, ends).ravel()
    return np.array([np.bincount(dofs, weights=row.ravel(), minlength=basis.N) for row in local])
