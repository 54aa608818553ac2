"""solve_room with its environment: the public entry point (``amails_fem.solve_room``).

Without ``environment`` it is amails_fem.rooms.solve.solve_room (the room alone: perfect conductor or impedance
walls with nothing outside). With ``environment="earth"`` (or an EarthEnvironment / MeasuredShielding) it adds the
Earth's dark-photon field let in through the shield: a RoomInEnvironment whose response_matrix is the total per unit
lab-frame current, with own_response_matrix and leak_response_matrix separately (docs/environment.md).
"""

from __future__ import annotations

from amails_fem.environment.ambient import RoomInEnvironment, check_environment_inputs, transfer_function
from amails_fem.log import Progress
from amails_fem.rooms.model import check_solver_options
from amails_fem.rooms.solve import solve_room as solve_room_alone


def solve_room(spec, *, order: int = 2, mesh_size_m: float | None = None, wall_size_m: float | None = None,
               tol: float = 1e-10, quiet: bool = True, progress: Progress | None = None, use_cache: bool = True,
               wall=None, freqs_hz=None, preconditioner: str = "auto", environment=None,
               transfer_mesh_size_m: float | None = None):
    """Solve a room for the three polarizations; returns a FieldResponse (amails_fem/rooms/response.py), SI.

    The room alone: see amails_fem.rooms.solve.solve_room (order, mesh sizes, tol, wall, freqs_hz).
    environment: None, "earth" (Earth-ionosphere cavity model), "earth-quasi-static" (f <= 2 Hz), an
    amails_fem.environment.EarthEnvironment, or a MeasuredShielding (amails_fem.environment.load_measured_shielding);
    it needs wall (a WallStack) and freqs_hz. transfer_mesh_size_m: bulk element size of the shield-transfer solve.
    Every input is checked before any meshing.
    """
    if environment is None:
        return solve_room_alone(spec, order=order, mesh_size_m=mesh_size_m, wall_size_m=wall_size_m, tol=tol,
                                quiet=quiet, progress=progress, use_cache=use_cache, wall=wall, freqs_hz=freqs_hz,
                                preconditioner=preconditioner)
    check_solver_options(spec, order, tol)
    env, stack, freqs = check_environment_inputs(spec, wall, freqs_hz, environment)
    ambient = env.ambient_matrix(freqs)
    progress = progress or Progress(quiet=quiet)
    own = solve_room_alone(spec, order=order, mesh_size_m=mesh_size_m, wall_size_m=wall_size_m, tol=tol,
                           progress=progress, use_cache=use_cache, wall=stack, freqs_hz=freqs)
    with progress.step("shield transfer T(r, f) of the wall stack"):
        fn, stats = transfer_function(spec, stack, env, freqs, mesh_size_m=transfer_mesh_size_m, order=order,
                                      progress=progress)
    return RoomInEnvironment(spec=spec, freqs_hz=freqs, own=own, environment=env, transfer_fn=fn, ambient=ambient,
                             transfer_stats=stats)
