"""Second-order (degree 2, first kind) Nedelec element on tetrahedra for scikit-fem: 20 DOFs, curved meshes.

The space is P_2^- Lambda^1 (Nedelec 1980; Arnold, Falk & Winther 2006, sec. 4): spanned by lambda_i w_jk with
the Whitney forms w_jk = lambda_j grad lambda_k - lambda_k grad lambda_j. We use the hierarchical basis of
Webb (IEEE TAP 47, 1999) "mixed order 2":
  per edge (a, b):      w_ab  and  grad(lambda_a lambda_b)          (12 functions; the first 6 are Whitney)
  per face (a, b, c):   lambda_a w_bc  and  lambda_b w_ca             (8 functions)
with the vertices of every edge and face ordered by *global* vertex number, so neighbouring elements build the
same function on a shared edge or face and tangential continuity needs no sign or permutation fix-ups.
Values map by the covariant Piola transform u = DF^{-T} u_ref, curl u = DF curl_ref u_ref / det DF; the mapping
may be isoparametric (MeshTet2: curved tet10 geometry), which is what makes cavity eigenvalues converge fast.
"""

from __future__ import annotations

import numpy as np
from skfem.element.discrete_field import DiscreteField
from skfem.element.element_hcurl import ElementHcurl
from skfem.refdom import RefTet

_EDGES = np.array(RefTet.edges)  # (6, 2) local vertex pairs, scikit-fem's t2e order
_FACES = np.array(RefTet.facets)  # (4, 3) local vertex triples, scikit-fem's t2f order
_GRAD = np.array([[-1.0, -1.0, -1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # grad_ref lambda_i


class ElementTetN2(ElementHcurl):
    """Nedelec first kind, degree 2 (20 DOFs: 2 per edge, 2 per face), covariant Piola, curved-mesh ready."""

    edge_dofs = 2
    facet_dofs = 2
    interior_dofs = 0
    maxdeg = 2
    dofnames = ["u^t", "u^t"] * 6 + ["u^f", "u^f"] * 4
    doflocs = np.vstack(
        [np.repeat(np.array([[0.5, 0, 0], [0.5, 0.5, 0], [0, 0.5, 0], [0, 0, 0.5], [0.5, 0, 0.5], [0, 0.5, 0.5]]),
                   2, axis=0),
         np.repeat(np.array([[1 / 3, 1 / 3, 0], [1 / 3, 0, 1 / 3], [0, 1 / 3, 1 / 3], [1 / 3, 1 / 3, 1 / 3]]),
                   2, axis=0)])
    refdom = RefTet

    def lbasis(self, X, i):
        """Reference basis with the local vertex order (used only for checks; assembly calls gbasis)."""
        t = np.arange(4)[:, None]
        phi, curl = _ref_basis(X if X.ndim == 3 else X[:, None, :], t, i)
        return phi[:, 0], curl[:, 0]

    def gbasis(self, mapping, X, i, tind=None):
        """Basis function ``i`` on elements ``tind`` at reference points X ((3, nqp) or (3, nel, nqp))."""
        t = mapping.mesh.t if tind is None else mapping.mesh.t[:, tind]
        Xe = X[:, None, :] if X.ndim == 2 else X
        phi, curl = _ref_basis(Xe, t, i)  # (3, nel, nqp)
        DF = mapping.DF(X, tind)
        invDF = mapping.invDF(X, tind)
        detDF = mapping.detDF(X, tind)
        value = np.einsum("ijkl,ikl->jkl", invDF, phi)
        curlv = np.einsum("ijkl,jkl->ikl", DF, curl) / detDF
        return (DiscreteField(value=value, curl=curlv),)


def _ref_basis(X, t, i):
    """Reference-element value and curl of function ``i``, vertices ordered by the global numbers in ``t``.

    X: (3, nel or 1, nqp); t: (4, nel) global vertex numbers. Returns two arrays of shape (3, nel, nqp).
    """
    nel = t.shape[1]
    x, y, z = X
    lam = np.array([1.0 - x - y - z, x, y, z])  # (4, nel|1, nqp)
    lam = np.broadcast_to(lam, (4, nel, lam.shape[2]))
    cols = np.arange(nel)

    def L(v):  # lambda_v per element -> (nel, nqp)
        return lam[v, cols]

    def G(v):  # grad lambda_v per element -> (3, nel, 1)
        return _GRAD[v].T[:, :, None]

    def whitney(a, b):
        return L(a)[None] * G(b) - L(b)[None] * G(a), 2.0 * np.cross(G(a), G(b), axis=0)

    if i < 12:
        loc = _EDGES[i // 2]
        va, vb = t[loc[0]], t[loc[1]]
        a = np.where(va < vb, loc[0], loc[1])
        b = np.where(va < vb, loc[1], loc[0])
        if i % 2 == 0:
            phi, curl = whitney(a, b)
        else:
            phi = L(a)[None] * G(b) + L(b)[None] * G(a)
            curl = np.zeros((3, nel, 1))
    elif i < 20:
        loc = _FACES[(i - 12) // 2]
        order = np.argsort(t[loc], axis=0, kind="stable")  # (3, nel): positions of the sorted vertices
        a, b, c = (loc[order[k]] for k in range(3))
        if (i - 12) % 2 == 0:
            p, q, r = a, b, c  # lambda_a w_bc
        else:
            p, q, r = b, c, a  # lambda_b w_ca
        w, cw = whitney(q, r)
        phi = L(p)[None] * w
        curl = np.cross(G(p), w, axis=0) + L(p)[None] * cw
    else:
        raise ValueError(f"basis index {i} out of range for ElementTetN2 (20 functions)")
    shape = (3, nel, lam.shape[2])
    return np.broadcast_to(phi, shape), np.broadcast_to(curl, shape)
