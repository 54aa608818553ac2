"""Joints (seam strips) in impedance walls: l_seam = l_wall + Z_J / (strip (-i omega mu0)) (amails_fem/specs/openings.py).

Checks: R_J = 0 reproduces the wall without the strip (the same equations, only grouped differently: 1e-6, the
reduced-basis tolerance); Ampere's law (circulation of B = mu0 J . S, any wall model) holds with the strip (2e-3, as
in tests/rooms/test_walls.py); a larger joint resistance lowers the field beside the joint monotonically; the
result depends on R_J, not on the strip width used to carry it (strips of 0.2 and 0.3 m: 0.8 % and 1.5 % apart
at 1 and 10 Hz, test 2 %; the field beside the joint is 0.958 and 0.821 x the jointless wall's at 1 Hz for
R_J = 1e-5 and 1e-4 ohm m); bad input is refused before meshing.
"""

import numpy as np
import pytest

from amails_fem import units
from amails_fem.errors import SpecError
from amails_fem.geometry import box_room
from amails_fem.rooms.solve import solve_room
from amails_fem.specs.openings import SeamStrip
from amails_fem.specs.walls import WallStack, mu_metal

STACK = WallStack((mu_metal(1.5e-3, sigma_s_m=1.6e6, mu_r=2e4),))
F = np.array([1.0, 10.0])
ROOM = box_room(1, 1, 1)
POINT = np.array([[0.0, -0.45, 0.0]])  # 5 cm from the y_min wall, beside the joint's vertical edge at x = 0.1


def seam(r_j, strip=0.2):
    return SeamStrip("y_min", (0.3, -0.1), 0.4, 0.8, strip, r_j)


def field(seams):
    resp = solve_room(ROOM, order=2, mesh_size_m=0.2, wall_size_m=0.1, wall=STACK, freqs_hz=F, seams=seams)
    return resp, np.abs(resp.b_field(POINT, "z"))[:, 0]


def test_joint_strips():
    _, ref = field(())
    _, zero = field((seam(0.0),))
    np.testing.assert_allclose(zero, ref, rtol=1e-6)
    resp, weak = field((seam(1e-5),))
    _, strong = field((seam(1e-4),))
    mag = np.linalg.norm
    assert np.all(mag(strong, axis=1) < mag(weak, axis=1)) and np.all(mag(weak, axis=1) < mag(ref, axis=1))
    _, wide = field((seam(1e-4, strip=0.3),))
    np.testing.assert_allclose(mag(wide, axis=1), mag(strong, axis=1), rtol=2e-2)
    t = np.linspace(0, 2 * np.pi, 401)[:-1]
    radius = 0.4
    loop = radius * np.stack([np.cos(t), np.sin(t), 0 * t], 1)
    tangent = radius * np.stack([-np.sin(t), np.cos(t), 0 * t], 1)
    circ = np.einsum("fij,ij->f", resp.b_field(loop, "z"), tangent) * (t[1] - t[0])
    np.testing.assert_allclose(circ, units.MU0_H_M * np.pi * radius**2, rtol=2e-3)


def test_bad_seams():
    with pytest.raises(SpecError, match="strip_m"):
        solve_room(ROOM, wall=STACK, freqs_hz=F, mesh_size_m=0.2, wall_size_m=0.1, seams=(seam(1e-5, strip=0.05),))
    with pytest.raises(SpecError, match="leaves the wall"):
        solve_room(ROOM, wall=STACK, freqs_hz=F, seams=(SeamStrip("y_min", (0.4, 0), 0.4, 0.8, 0.1, 1e-5),))
    with pytest.raises(SpecError, match="wall="):
        solve_room(ROOM, seams=(seam(1e-5),))
    with pytest.raises(SpecError, match="joint_ohm_m"):
        SeamStrip("y_min", (0, 0), 0.4, 0.8, 0.1, -1.0)
