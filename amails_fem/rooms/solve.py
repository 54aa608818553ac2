"""solve_room: the one entry point for a room's dark-photon field; picks the solver from the wall model.

Nothing in amails_fem below this module imports it (fields/, network/ and the CLI call it).
"""

from __future__ import annotations

from amails_fem.errors import SpecError
from amails_fem.log import Progress
from amails_fem.rooms.impedance import solve_impedance_room
from amails_fem.rooms.model import check_solver_options
from amails_fem.rooms.openings import solve_opening_room
from amails_fem.rooms.perfect import solve_perfect_room
from amails_fem.specs.rooms import RoomBase


def solve_room(spec: RoomBase, *, order: int = 2, mesh_size_m: float | None = None, wall_size_m: float | None = None,
               tol: float = 1e-10, quiet: bool = True, progress: Progress | None = None, use_cache: bool = True,
               wall=None, freqs_hz=None, preconditioner: str = "auto", seams=()):
    """Solve the room for the three polarizations; returns a FieldResponse (amails_fem/rooms/response.py), SI.

    order: Lagrange element order (1 or 2); mesh_size_m / wall_size_m: element sizes in the bulk and at the walls
    (default: the spec's [mesh], else L/12 and half of it); tol: relative true residual of every linear solve.
    A box room with openings (doors, tubes: amails_fem/rooms/openings.py) is solved on the joined domain.
    wall=None: perfectly conducting walls (a RoomResponse, the same at every frequency). Otherwise a wall model
    (amails_fem.specs.walls: a WallStack, Layer, ImpedanceLength or {wall name: model}) and freqs_hz (Hz): the
    impedance-wall solver gives a complex, frequency-dependent ImpedanceRoomResponse (docs/walls.md); seams: SeamStrip
    strips of such walls (docs/openings.md).
    """
    check_solver_options(spec, order, tol)
    openings = getattr(spec, "openings", ())
    if openings and wall is not None:
        raise SpecError("rooms with openings are solved with perfectly conducting walls (wall=None); impedance "
                        "walls with openings are not supported")
    if seams and wall is None:
        raise SpecError("seams are strips of an impedance wall: give wall=... (a WallStack, ...) and freqs_hz")
    if openings:
        if preconditioner != "auto":
            raise SpecError("preconditioner must be 'auto' for rooms with openings")
        return solve_opening_room(spec, order=order, mesh_size_m=mesh_size_m, wall_size_m=wall_size_m, tol=tol,
                                  quiet=quiet, progress=progress, use_cache=use_cache)
    if wall is not None:
        return solve_impedance_room(spec, wall=wall, freqs_hz=freqs_hz, order=order, mesh_size_m=mesh_size_m,
                                    wall_size_m=wall_size_m, tol=tol, quiet=quiet, progress=progress,
                                    use_cache=use_cache, seams=seams)
    return solve_perfect_room(spec, order=order, mesh_size_m=mesh_size_m, wall_size_m=wall_size_m, tol=tol,
                              quiet=quiet, progress=progress, use_cache=use_cache, preconditioner=preconditioner)
