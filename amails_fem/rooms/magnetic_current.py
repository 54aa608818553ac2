"""QEMD magnetic current (Dai, Li & Zhang (2025) eqs. 35-42, 69-72; docs/physics.md secs. 2.6 (b), 2.7) in a shield room, and the combined signal.

-curl E = dB/dt + j_m: in vacuum a uniform j_m gives the uniform field B_m = j_m / (i omega), E = 0, of amplitude
    |B_m| = eps_m sqrt(2 mu0 rho)     with eps_m = eps2 (case I) or eps sqrt(1 - x) (case II, eq. 42).
Non-permeable conductors do not screen it, superconductors included: with B = B_m and E = 0 no wall current flows,
exactly (a London superconductor expels B - B_m, not B: rooms/london.py, docs/physics.md sec. 2.7). The observable
is B_m itself for a sensor of B; an inductive pickup responds to B - B_m (oint E . dl = i omega int (B - B_m) . dS).
A permeable shell screens it by flux shunting: curl H = 0, div B = 0 and B -> B_m far away is the magnetostatic
problem of a permeable body in the applied field B_m, so inside B ~ B_m / S_static. This module uses the static
thin-layer model of rooms/shielding.py for that response (eddy currents neglected: in the layer they are driven only
by the deviation of B from B_m; this low-frequency limit is an assumption, see docs/walls.md).

The electric current j_e = eps_e J_eff (eps_e = eps1 or eps sqrt(x)) gives the room response R_e(r; f) of
rooms/perfect.py or rooms/impedance.py. Case I: both currents follow A_D, so B_total = eps1 B_e + eps2 B_m,
with B_m lagging the electric-current field by 90 degrees (B_m = j_m/(i omega)). Case II: A_D and B_D are
independent dark-matter components with an unknown relative phase; the rms over that phase adds powers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from amails_fem import units
from amails_fem.errors import SpecError
from amails_fem.rooms.shielding import nested_box_shells, thin_layer_shielding
from amails_fem.rooms.sources import unit_polarization
from amails_fem.specs.rooms import BoxRoom
from amails_fem.specs.walls import WallStack
from amails_fem.validate import require_range


@dataclass(frozen=True)
class QEMDCouplings:
    """Electric and magnetic mixings (eps_e, eps_m) from case I (eps1, eps2) or case II (eps, x)."""

    eps_e: float
    eps_m: float
    case: str

    @classmethod
    def case_i(cls, eps1: float, eps2: float) -> "QEMDCouplings":
        """Case I (eq. 39): j_e = eps1 m^2 A_D, j_m = eps2 m^2 A_D, one DM component."""
        for name, v in (("eps1", eps1), ("eps2", eps2)):
            if not math.isfinite(float(v)) or float(v) < 0:
                raise SpecError(f"{name} must be a finite number >= 0; got {v!r}")
        return cls(float(eps1), float(eps2), "I")

    @classmethod
    def case_ii(cls, eps: float, x: float) -> "QEMDCouplings":
        """Case II (eqs. 39-42): |A_D|^2 / |B_D|^2 = x / (1 - x); eps_e = eps sqrt(x), eps_m = eps sqrt(1 - x)."""
        if not math.isfinite(float(eps)) or float(eps) < 0:
            raise SpecError(f"eps must be a finite number >= 0; got {eps!r}")
        x = require_range(x, "x", 0.0, 1.0)
        return cls(float(eps) * math.sqrt(x), float(eps) * math.sqrt(1.0 - x), "II")


@dataclass
class MagneticResponse:
    """B/B_m (N, 3 comp, 3 pol) at points: the room's magnetic-current response tensor (real, static model)."""

    points_m: np.ndarray
    ratio: np.ndarray  # (N, 3, 3)
    shielding_centre: float  # |B_m| / |B(centre)| for a field along z
    model: str

    @property
    def inductive_ratio(self) -> np.ndarray:
        """(B - B_m)/B_m (N, 3, 3): what an inductive pickup responds to, since oint E . dl = i w int (B - B_m) . dS
        (docs/physics.md sec. 2.7). Zero without permeable walls; about -(1 - 1/S) deep inside a permeable shield."""
        return self.ratio - np.eye(3)[None]


def room_magnetic_response(room_spec, stack, points_m, *, size_m=None, quiet=True) -> MagneticResponse:
    """Magnetic-current response of a box room with its wall stack: nested thin permeable shells, one per metal layer.

    Layer k sits at the cumulative depth of the stack (gaps included) outside the room's inner faces. A stack
    without permeability (all mu_r = 1) gives exactly B = B_m (no solve needed: nothing screens it).
    """

    if not isinstance(room_spec, BoxRoom):
        raise SpecError("room_magnetic_response supports box rooms (spec.shape == 'box')")
    if not isinstance(stack, WallStack):
        raise SpecError(f"stack must be a WallStack; got {type(stack).__name__}")
    pts = np.atleast_2d(np.asarray(points_m, float))
    inside = room_spec.contains(pts)
    if not inside.all():
        raise SpecError(f"points_m row {int(np.flatnonzero(~inside)[0])} is outside the room")
    if all(layer.mu_r == 1.0 for layer in stack.layers):
        eye = np.broadcast_to(np.eye(3), (len(pts), 3, 3)).copy()
        return MagneticResponse(pts, eye, 1.0, "non-permeable walls (superconducting ones too): B = B_m exactly")
    shells = nested_box_shells((room_spec.lx_m, room_spec.ly_m, room_spec.lz_m), stack)
    res = thin_layer_shielding(shells, dim=3, size_m=size_m, directions=("x", "y", "z"), quiet=quiet,
                               points_m=pts)
    b = res.stats["b_points_ratio"]
    ratio = np.stack([b["x"], b["y"], b["z"]], axis=2)
    return MagneticResponse(pts, ratio, res.shielding["z"], "static thin-layer shells (mu_r - 1) t")


def combined_signal(couplings: QEMDCouplings, b_electric_t, b_magnetic_ratio, polarization, *,
                    rho_gev_cm3: float = units.RHO_DM_GEV_CM3) -> dict:
    """Combined B (complex, tesla) at points from both currents.

    b_electric_t: (..., N, 3) complex field for eps_e = 1 (e.g. ImpedanceRoomResponse.signal(pts, p, 1.0));
    b_magnetic_ratio: (N, 3, 3) MagneticResponse.ratio. Returns electric, magnetic, total (case I, coherent)
    and rms_t (case II: incoherent sum over the unknown relative phase; case I: |total|).
    """

    p = unit_polarization(polarization)
    be = couplings.eps_e * np.asarray(b_electric_t)
    bm = -1j * units.b_uniform_magnetic_current_t(couplings.eps_m, rho_gev_cm3) * (np.asarray(b_magnetic_ratio) @ p)
    bm = np.broadcast_to(bm, be.shape)
    out = {"electric_t": be, "magnetic_t": bm}
    if couplings.case == "I":
        total = be + bm
        out["total_t"] = total
        out["rms_t"] = np.linalg.norm(np.abs(total), axis=-1)
    else:
        out["total_t"] = None
        out["rms_t"] = np.sqrt(np.linalg.norm(np.abs(be), axis=-1) ** 2 + np.linalg.norm(np.abs(bm), axis=-1) ** 2)
    return out
