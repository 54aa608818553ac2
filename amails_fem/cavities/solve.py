"""cavity_modes: one entry point, two solvers that check each other (nothing below imports this module).

The exact cross-section solver (cavities/cross_section.py) when the cavity does not change along z, else the 3D
second-order Nedelec solver (cavities/nedelec3d.py).
"""

from __future__ import annotations

from amails_fem.cavities.cross_section import cross_section_modes
from amails_fem.cavities.modes import CavityMode, check_n_modes, check_near
from amails_fem.cavities.nedelec3d import nedelec_modes
from amails_fem.errors import SpecError
from amails_fem.log import QUIET
from amails_fem.validate import require_option, require_positive

SOLVERS = ("auto", "cross-section", "3d")


def cavity_modes(spec, n_modes: int = 6, near_hz: float | None = None, order: int = 2, solver: str = "auto",
                 size_m: float | None = None, progress=None, window: float = 0.5,
                 wall_elements_per_turn: int | None = None) -> list[CavityMode]:
    """The ``n_modes`` lowest modes (or those nearest ``near_hz``) of a cavity spec, sorted by frequency.

    ``solver``: "auto" (the cross-section solver for z-invariant cavities, else 3D), "cross-section" or "3d".
    ``order``: Lagrange degree (2D) or Nedelec degree (3D, 1 or 2). The solver used is in each mode's ``solver``
    and reported through ``progress``. ``near_hz`` must have a mode within ``window`` (relative) of it.
    ``wall_elements_per_turn``: finer elements along curved walls only (None: 10 per turn, extended inwards).
    """

    progress = progress or QUIET
    n_modes = check_n_modes(n_modes)
    if near_hz is not None:
        require_positive(near_hz, "near_hz", "Hz")
    require_option(solver, "solver", SOLVERS)
    if solver == "auto":
        solver = "cross-section" if spec.z_invariant and not spec.fillings else "3d"
    if solver == "cross-section":
        if not spec.z_invariant:
            raise SpecError("solver 'cross-section' needs a z-invariant cavity (rods with gap_m = 0); use '3d'")
        if spec.fillings:
            raise SpecError("solver 'cross-section' gives only the z-independent TM_mn0 modes of a cavity with "
                            "filling regions: call cross_section_modes(spec, p0_only=True), or use solver '3d'")
        progress.say(f"cavity modes: cross-section solver (2D P{order} Lagrange, TM/TE/TEM families, exact in z)")
        modes = cross_section_modes(spec, n_modes, near_hz=near_hz, order=order, size_m=size_m, progress=progress,
                                    wall_elements_per_turn=wall_elements_per_turn)
    else:
        progress.say(f"cavity modes: 3D solver (Nedelec first kind, degree {order}, curved tets)")
        modes = nedelec_modes(spec, n_modes, near_hz=near_hz, order=order, size_m=size_m, progress=progress,
                              wall_elements_per_turn=wall_elements_per_turn)
    if near_hz is not None:
        check_near(modes, near_hz, window)
    return modes
