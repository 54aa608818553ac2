"""The speed levers of docs/performance.md sec. 10: nested-dissection ordering and wall-refined curved meshes.

Each lever must leave the answer unchanged (ordering) or move it towards the exact value (meshing).
"""

import math

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import jn_zeros

from amails_fem.cavities.cross_section import cross_section_modes
from amails_fem.errors import SpecError
from amails_fem.linalg.eigen import nested_dissection, shift_invert_eigsh, splu_symmetric
from amails_fem.meshing.cavities import check_wall_elements
from amails_fem.specs.cavities import cylinder_cavity
from amails_fem.units import C_M_S

F_TM010 = C_M_S * jn_zeros(0, 1)[0] / (2 * math.pi * 0.1)


def _laplacian_3d(n):
    """7-point Laplacian on an n^3 grid (SPD): a graph whose fill depends strongly on the ordering."""
    t = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n))
    eye = sp.identity(n)
    return (sp.kron(sp.kron(t, eye), eye) + sp.kron(sp.kron(eye, t), eye) + sp.kron(sp.kron(eye, eye), t)).tocsc()


def test_nested_dissection_solves_the_same_system_with_less_fill():
    a = _laplacian_3d(14)
    b = np.random.default_rng(1).standard_normal(a.shape[0])
    nd, mmd = splu_symmetric(a, "metis"), splu_symmetric(a, "mmd")
    x_nd, x_mmd = nd.solve(b), mmd.solve(b)
    assert np.linalg.norm(a @ x_nd - b) < 1e-12 * np.linalg.norm(b)
    assert np.allclose(x_nd, x_mmd, rtol=0, atol=1e-10 * np.abs(x_mmd).max())
    assert nd.fill_nnz < 0.9 * (mmd.L.nnz + mmd.U.nnz)  # measured 0.6-0.7 on 3D grids and Nedelec matrices
    p = nested_dissection(a)
    assert np.array_equal(np.sort(p), np.arange(a.shape[0]))
    with pytest.raises(SpecError, match="ordering"):
        splu_symmetric(a, "amd")


def test_shift_invert_eigenvalues_do_not_depend_on_the_ordering():
    n = 10
    a = _laplacian_3d(n)
    m = sp.identity(a.shape[0], format="csc")
    lam_nd, _ = shift_invert_eigsh(a, m, 4, -0.1, ordering="metis")
    lam_mmd, _ = shift_invert_eigsh(a, m, 4, -0.1, ordering="mmd")
    exact = np.sort([2 * sum(1 - math.cos(k * math.pi / (n + 1)) for k in ks)
                     for ks in [(1, 1, 1), (1, 1, 2), (1, 2, 1), (2, 1, 1)]])
    assert np.allclose(lam_nd, exact, rtol=1e-10) and np.allclose(lam_mmd, exact, rtol=1e-10)


def test_wall_refined_p4_cross_section_reaches_3e_8_with_a_few_thousand_dofs():
    spec = cylinder_cavity(0.1, 0.3)
    uniform = min(cross_section_modes(spec, 3, order=4, size_m=0.0125), key=lambda m: abs(m.freq_hz - F_TM010))
    walls = min(cross_section_modes(spec, 3, order=4, size_m=0.04, wall_elements_per_turn=128),
                key=lambda m: abs(m.freq_hz - F_TM010))
    err_u, err_w = uniform.freq_hz / F_TM010 - 1, walls.freq_hz / F_TM010 - 1
    # the quadratic wall, not the P4 interior, limits the uniform mesh (P3 and P4 both 2.4e-7 there)
    assert 1e-7 < err_u < 5e-7
    assert 0 < err_w < 3e-8 and walls.n_dofs < uniform.n_dofs  # measured 9.4e-9 at 1985 DOFs
    for bad in (4, 1.5, True, 5000):
        with pytest.raises(SpecError, match="wall_elements_per_turn"):
            check_wall_elements(bad)


@pytest.mark.parametrize("rods", [(), ((0.02, 0.06, 0.0), (0.02, 0.06, 180.0))], ids=["cylinder", "two rods"])
def test_curved_meshes_have_no_folded_elements(rods):
    """gmsh's high-order optimisation now runs only on demand: every curved tet10 must still have a Jacobian of one
    sign over its quadrature points (skfem integrates |det DF|, a fold would go unnoticed)."""
    from skfem import ElementTetP2, MappingIsoparametric
    from skfem.quadrature import get_quadrature
    from skfem.refdom import RefTet

    from amails_fem.meshing.cavities import volume_mesh
    from amails_fem.specs.cavities import Rod

    spec = cylinder_cavity(0.1, 0.3, rods=[Rod(*r) for r in rods])
    mesh = volume_mesh(spec, 0.05, order=2, wall_elements_per_turn=24)
    x, _ = get_quadrature(RefTet, 6)
    det = MappingIsoparametric(mesh, ElementTetP2()).detDF(x)
    assert np.all(det.min(axis=1) * det.max(axis=1) > 0)
