"""``amails-fem room SPEC``: solve a shield room and write its maps, VTU files and summary.json."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

from amails_fem.cli.options import add_command, count, flag, positive, quiet
from amails_fem.errors import SpecError
from amails_fem.fields.convergence import check_refine, refine_room
from amails_fem.fields.export import write_field_vtu, write_openings_vtu, write_walls_vtu
from amails_fem.fields.fieldmap import sample_walls, wall_patches
from amails_fem.fields.openings import ratio_stats, sensor_comparison, wall_ratio
from amails_fem.fields.summary import room_summary
from amails_fem.io.files import read_toml, write_json
from amails_fem.log import Progress
from amails_fem.meshing.rooms import resolve_sizes
from amails_fem.network.sensors import default_network_path, load_network
from amails_fem.plotting.convergence import plot_convergence
from amails_fem.plotting.figures import save_figure
from amails_fem.plotting.rooms import draw_3d, draw_net, draw_ratio_net
from amails_fem.rooms.solve import solve_room
from amails_fem.specs.loader import load_spec
from amails_fem.specs.openings import WALL_FRAMES, opening_outline_m
from amails_fem.specs.rooms import BoxRoom, RoomBase
from amails_fem.validate import require_positive

MAX_GRID = 401  # wall-map points per side (6 walls x 401^2 evaluation points at most)


def register(sub) -> None:
    p = add_command(sub, "room", help="dark-photon field of a perfectly conducting shield room: wall maps + summary",
                    description="The dark-photon field of a perfectly conducting shield room (quasi-static, three "
                    "polarizations from one solve), sampled at a standoff inside every wall.\nWrites summary.json, field.vtu, walls.vtu, walls_net.png, walls_3d.png "
                    "into --out (all or nothing).",
                    example="amails-fem room geometries/amails_room.toml --mesh-size-m 0.2 --out room_out")
    p.add_argument("spec", help="room spec (TOML), e.g. geometries/amails_room.toml")
    add_room_options(p)
    p.add_argument("--out", default="room_out", help="output folder")
    p.add_argument("--refine", type=count(2, 4), default=None, metavar="N", help="mesh-refinement study: solve at N "
                   "mesh sizes h / r^k; summary.json gains a convergence block, convergence.png (outputs: finest)")
    p.add_argument("--refine-ratio", type=positive(""), default=2.0, help="refinement ratio r > 1 of --refine")
    p.add_argument("--network", default=None, help="network TOML whose sensors are drawn on walls_net.png (box rooms)")
    p.add_argument("--network-room", default=None, help="which room of --network (default: its first room)")
    p.set_defaults(func=cmd_room)


def add_room_options(p) -> None:
    """The mesh and wall-map flags shared by the room commands."""
    p.add_argument("--order", type=int, choices=(1, 2), default=None, help="Lagrange order (default: the spec's, else 2)")
    flag(p, "--mesh-size-m", "--mesh-size", type=positive("m"), default=None,
         help="bulk element size (m; default: the spec's, else L/12)")
    flag(p, "--wall-size-m", "--wall-size", type=positive("m"), default=None,
         help="element size at the walls (m; default: the spec's, else half the bulk size)")
    flag(p, "--standoff-m", "--standoff", type=positive("m"), default=0.01, help="wall-map distance from the walls (m)")
    flag(p, "--n-grid", "--grid", type=count(2, MAX_GRID), default=41, help="wall-map points per side")
    p.add_argument("--no-cache", action="store_true", help="re-mesh even if a cached mesh exists")
    quiet(p)


def room_spec(path, command: str = "room"):
    """The [room] spec of ``path``; one line if the file holds another kind of spec (a cavity)."""
    spec = load_spec(path)
    if not isinstance(spec, RoomBase):
        raise SpecError(f"{path}: `{command}` needs a [room] spec; for cavities use `amails-fem cavity`")
    return spec


def cmd_room(args) -> int:

    spec = room_spec(args.spec)
    if "walls" in read_toml(args.spec):
        Progress(args.quiet).say(f"note: {args.spec} has a [walls] table; `room` solves perfectly conducting walls "
                                 "(summary.json says so). For the real walls run `amails-fem walls SPEC`, for the "
                                 "Earth's field let in through them `amails-fem environment SPEC`")
    sensors = network_sensors(args.network, args.network_room, spec) if args.network else None
    run_room_job(spec, Path(args.out), spec_file=str(args.spec), order=args.order or spec.mesh.order,
                 mesh_size_m=args.mesh_size_m, wall_size_m=args.wall_size_m, standoff_m=args.standoff_m, grid=args.n_grid,
                 quiet=args.quiet, use_cache=not args.no_cache,
                 refine=args.refine, refine_ratio=args.refine_ratio, sensors=sensors)
    return 0


def network_sensors(path, room, spec) -> list:
    """[(id, position_m, axis)] of one room of a network TOML, checked to lie inside ``spec`` (box rooms only)."""
    net = load_network(path)
    name = room or net.sensors[0].room
    if name not in net.rooms:
        raise SpecError(f"--network-room must be one of {', '.join(sorted(net.rooms))}; got {name!r}")
    if not isinstance(spec, BoxRoom):
        raise SpecError("--network: sensors are drawn on the wall net of box rooms only")
    rows = [(s.id, s.position_m, s.axis) for s in net.sensors if s.room == name]
    if not rows or not spec.contains(np.array([r[1] for r in rows], float), 0.0).all():
        raise SpecError(f"--network: the sensors of room {name!r} must lie inside the room of the spec")
    return rows


def run_room_job(spec, out: Path, *, spec_file=None, order=2, mesh_size_m=None, wall_size_m=None, standoff_m=0.01,
                 grid=41, quiet=False, use_cache=True, refine=None, refine_ratio=2.0, sensors=None) -> dict:
    """Solve, sample the walls, write summary.json, field.vtu, walls.vtu and the PNGs into ``out``."""

    # every input checked before meshing
    if mesh_size_m is not None:
        require_positive(mesh_size_m, "--mesh-size-m")
    resolve_sizes(spec, mesh_size_m, wall_size_m, order=order)  # sizes and the memory guard
    wall_patches(spec, standoff_m, grid)
    progress = Progress(quiet=quiet)
    convergence = None
    if refine is not None:
        check_refine(refine, refine_ratio)
        convergence, response, _ = refine_room(spec, refine, refine_ratio, order=order, mesh_size_m=mesh_size_m,
                                               wall_size_m=wall_size_m, standoff_m=standoff_m, progress=progress,
                                               use_cache=use_cache)
        mesh_size_m, wall_size_m = convergence["mesh_size_m"][-1], convergence["wall_size_m"][-1]
    else:
        response = solve_room(spec, order=order, mesh_size_m=mesh_size_m, wall_size_m=wall_size_m,
                              progress=progress, use_cache=use_cache)
    with progress.step(f"wall maps ({grid} x {grid} points per wall, {standoff_m * 1e3:g} mm standoff)"):
        t0 = time.perf_counter()
        wall_map = sample_walls(response, standoff_m, grid)
        response.timings_s["wall_maps"] = time.perf_counter() - t0
    openings = getattr(spec, "openings", ())
    if openings:
        comparison = compare_with_closed(spec, response, wall_map, order=order, mesh_size_m=mesh_size_m,
                                         wall_size_m=wall_size_m, standoff_m=standoff_m, grid=grid,
                                         progress=progress, use_cache=use_cache)
    outlines = [(op.wall, pts) for op in openings for pts in opening_outline_m(op, spec.opening_frames)]
    with progress.step(f"writing {out}/"):
        out.mkdir(parents=True, exist_ok=True)
        summary = room_summary(response, wall_map, spec_file)
        if convergence is not None:
            summary["convergence"] = convergence
            save_figure(plot_convergence(convergence), out / "convergence.png")
        write_field_vtu(response, out / "field.vtu", summary["provenance"])
        write_walls_vtu(wall_map, out / "walls.vtu", summary["provenance"])
        save_figure(draw_net(wall_map, sensors=sensors, outlines=outlines), out / "walls_net.png")
        draw_3d(wall_map, out / "walls_3d.png")
        if openings:
            summary["openings"] = comparison["summary"]
            if response.room_mesh.apertures:  # a door closed with contact leaves none
                write_openings_vtu(response, out / "openings.vtu", summary["provenance"])
            save_figure(draw_ratio_net(wall_map, comparison["ratio"], outlines, comparison["marks"]),
                        out / "walls_ratio_net.png")
        write_json(out / "summary.json", summary)
    for row in summary.get("openings", {}).get("closed_room", {}).get("sensors", []):
        progress.say(f"sensor {row['id']}: rms reading with the openings / closed room = {row['ratio_rms']:.4f}")
    for name, pol in summary["polarizations"].items():
        progress.say(f"p = {name}: max tangential wall field {pol['max_tangential_mu0JL']:.4f} mu0 J L = "
                     f"{pol['max_tangential_T']:.3e} T (eps = 1, 10 Hz), {pol['ratio_max_to_eq1']:.3f} x AMAILS eq. (1)")
    if convergence is not None:
        progress.say(f"mesh refinement: order {convergence['order_used']:.2f} "
                     f"({convergence['order_source']}), estimated rms wall-field error of the finest level "
                     f"{convergence['error_estimate_rms_finest']:.2e}")
    return summary


def matching_sensors(spec) -> list:
    """The default AMAILS network's sensors in rooms of the same box size as ``spec`` (room frame, m); none for
    other shapes."""
    if not isinstance(spec, BoxRoom):
        return []
    network = load_network(default_network_path())
    same = {name for name, room in network.rooms.items() if isinstance(room.geometry, BoxRoom)
            and np.allclose([room.geometry.lx_m, room.geometry.ly_m, room.geometry.lz_m], [spec.lx_m, spec.ly_m, spec.lz_m])}
    return [s for s in network.sensors if s.room in same]


def _nearest_wall(spec, point) -> str:
    gap = spec.half_m - np.abs(np.asarray(point, float))
    k = int(np.argmin(gap))
    sign = 1 if point[k] > 0 else -1
    return next(name for name, (kk, ss, _, _) in WALL_FRAMES.items() if kk == k and ss == sign)


def compare_with_closed(spec, response, wall_map, *, order, mesh_size_m, wall_size_m, standoff_m, grid, progress,
                        use_cache) -> dict:
    """Solve the same room closed; the change at each AMAILS sensor and over the walls, the opening fluxes."""
    closed_spec = dataclasses.replace(spec, openings=())
    closed = solve_room(closed_spec, order=order, mesh_size_m=mesh_size_m, wall_size_m=wall_size_m,
                        progress=progress, use_cache=use_cache)
    with progress.step("comparing with the closed room (sensors, wall maps)"):
        closed_map = sample_walls(closed, standoff_m, grid)
        sensors = matching_sensors(spec)
        rows = sensor_comparison(response, closed, sensors)
        ratio = wall_ratio(wall_map, closed_map)
    rm = response.room_mesh
    summary = {
        "openings": [{"kind": op.kind, **dataclasses.asdict(op), "open": op.is_open, "aperture_m2": op.aperture_m2}
                     for op in spec.openings],
        "outer_region": {"kind": rm.outer, "thickness_m": rm.outer_m,
                         "note": "gap: a closed shell to the next layer (perfect conductor); lab: truncated, "
                                 "psi = 0 at its boundary (no ambient field)"},
        "opening_size_m": rm.opening_size_m,
        "fluxes_per_unit_mu0_J_m3": response.opening_fluxes(),
        "connected_parts": response.components,
        "closed_room": {
            "sensors": rows,
            "sensor_note": "readings n . R (T per A/m^2) for p = x, y, z; ratio_rms = rms over p, openings / closed",
            "wall_ratio_rms_Bt": ratio_stats(ratio),
            "max_tangential_mu0JL_closed": {p: closed_map.tangential_stats(k)["max"] / closed_map.unit_field_t()
                                           for k, p in enumerate("xyz")},
            "closed_dofs": int(closed.basis.N),
            "closed_seconds": dict(closed.timings_s),
        },
    }
    marks = [(r["id"], _nearest_wall(spec, r["position_m"]), r["position_m"], r["ratio_rms"]) for r in rows]
    return {"summary": summary, "ratio": ratio, "marks": marks}
