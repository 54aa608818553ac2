"""Named weak forms, written once (scikit-fem decorated functions; any dimension)."""

from __future__ import annotations

from skfem import BilinearForm, LinearForm


@BilinearForm
def laplace(u, v, w):
    """int grad u . grad v."""
    return sum(u.grad[i] * v.grad[i] for i in range(u.grad.shape[0]))


@BilinearForm
def mass(u, v, w):
    """int u v."""
    return u * v


@LinearForm
def unit_load(v, w):
    """int v (on a FacetBasis: the boundary mass vector)."""
    return v


@BilinearForm
def surface_laplace(u, v, w):
    """int grad_s u . grad_s v on a FacetBasis: gradients with their normal part removed."""
    n, gu, gv = w.n, u.grad, v.grad
    dim = gu.shape[0]
    un = sum(n[i] * gu[i] for i in range(dim))
    vn = sum(n[i] * gv[i] for i in range(dim))
    return sum(gu[i] * gv[i] for i in range(dim)) - un * vn


@BilinearForm
def weighted_laplace(u, v, w):
    """int w.nu grad u . grad v (nu a per-point coefficient passed at assembly)."""
    return w.nu * sum(u.grad[i] * v.grad[i] for i in range(u.grad.shape[0]))


@BilinearForm
def weighted_mass(u, v, w):
    """int w.sig u v (sig a per-point coefficient passed at assembly)."""
    return w.sig * u * v
