"""Seams in permeable layers (magnetic-circuit estimate, amails_fem/rooms/seams.py).

Exact checks: no gap keeps mu_r; the series-reluctance formula 1 / (1 + mu_r g / l) (a gapped toroid, Hopkinson's
law); an overlap of o over a sheet of thickness t is a butt gap g t / o; a single thin sphere's static S follows
1 + (2/3) mu_eff t / R with the seamed permeability (the thin-shell limit of docs/physics.md sec. 2.6, within 2 %
as in tests/rooms/test_sphere_transfer.py's thin-shell checks: t/R = 1.5e-3); a seam can only lower S.
"""

import numpy as np
import pytest

from amails_fem.errors import SpecError
from amails_fem.rooms.seams import MEASURED_ROOMS, nested_sphere_shielding, seam_permeance_factor, seamed_stack
from amails_fem.specs.walls import WallStack, air_gap, mu_metal


def test_permeance_factor():
    assert seam_permeance_factor(2e4, 0.0, 3.0) == 1.0
    assert seam_permeance_factor(2e4, 5e-4, 3.0) == pytest.approx(1 / (1 + 2e4 * 5e-4 / 3.0))
    assert seam_permeance_factor(2e4, 5e-4, 3.0, thickness_m=1.5e-3, overlap_m=0.03) == pytest.approx(
        seam_permeance_factor(2e4, 5e-4 * 1.5e-3 / 0.03, 3.0))
    with pytest.raises(SpecError, match="thickness_m"):
        seam_permeance_factor(2e4, 5e-4, 3.0, overlap_m=0.03)


def test_seamed_thin_sphere_and_stack():
    layer = mu_metal(1.5e-3, mu_r=2e4)
    volume = 4 / 3 * np.pi
    factor = seam_permeance_factor(2e4, 2e-4, 3.0)
    s = nested_sphere_shielding(volume, seamed_stack(WallStack((layer,)), 2e-4, 3.0), [1e-3])[0]
    assert s == pytest.approx(1 + 2 / 3 * 2e4 * factor * 1.5e-3 / 1.0, rel=2e-2)
    stack = WallStack((layer, air_gap(0.1), mu_metal(1.5e-3, mu_r=2e4)))
    f = np.geomspace(0.01, 100, 7)
    assert np.all(nested_sphere_shielding(volume, seamed_stack(stack, 5e-4, 3.0), f)
                  < nested_sphere_shielding(volume, stack, f))
    assert all(len(row) == 5 and row[3] > 1 for row in MEASURED_ROOMS)
