"""`amails-fem place | templates`: the sensor-network stages (composition only; physics in network/); the
`correlate` command lives in cli/analysis.py."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from amails_fem.cli import build_parser
from amails_fem.errors import SpecError
from amails_fem.frames import UNIX_J2000_S
from amails_fem.io.files import atomic_path, write_json
from amails_fem.io.provenance import provenance
from amails_fem.log import Progress
from amails_fem.network import placement as pl
from amails_fem.network.response import solve_network_rooms
from amails_fem.network.sensors import default_network_path, load_network
from amails_fem.network.templates import build_templates, write_templates
from amails_fem.plotting.figures import save_figure
from amails_fem.plotting.network import plot_placement


def _common(p: argparse.ArgumentParser) -> None:

    p.add_argument("network", nargs="?", default=str(default_network_path()),
                   help="network TOML (default: geometries/amails_network.toml)")
    p.add_argument("--mesh-size", type=float, default=0.25, help="room mesh size (m), default 0.25")
    p.add_argument("--order", type=int, default=2, choices=(1, 2), help="element order (default 2)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")


def register(sub) -> None:
    p = sub.add_parser("place", help="optimise sensor positions/axes (greedy + swap) and compare with the given layout")
    _common(p)
    p.add_argument("--n", type=int, default=None, help="number of sensors (default: as many as the network has)")
    p.add_argument("--per-room", default=None, help="fixed counts, e.g. suzhou=13,harbin=2 (default: the network's)")
    p.add_argument("--free", action="store_true", help="let the optimiser share the N sensors between rooms")
    p.add_argument("--freq", type=float, default=10.0, help="frequency (Hz) of the templates, default 10")
    p.add_argument("--grid", type=int, default=5, help="wall grid points per edge (default 5)")
    p.add_argument("--objective", default="coherent", choices=("coherent", "stochastic"))
    p.add_argument("--random", type=int, default=100, help="random layouts to compare with (default 100)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=cmd_place)

    p = sub.add_parser("templates", help="signal templates (HDF5/NetCDF4) on a frequency grid")
    _common(p)
    p.add_argument("--fmin", type=float, default=1.0, help="Hz")
    p.add_argument("--fmax", type=float, default=500.0, help="Hz")
    p.add_argument("--nfreq", type=int, default=500, help="number of frequencies (default 500)")
    p.add_argument("--log", action="store_true", help="log-spaced grid (default linear)")
    p.add_argument("--t-ref", type=float, default=None, help="reference UNIX time of the line phases (default J2000)")
    p.add_argument("--out", required=True, help="output file (.h5 / .nc)")
    p.set_defaults(func=cmd_templates)


def _setup(args):

    progress = Progress(quiet=args.quiet)
    net = load_network(args.network)  # SpecError before any meshing
    resp = getattr(args, "responses", None)  # run_chain solves the rooms once for all three commands
    if resp is None:
        resp = solve_network_rooms(net, order=args.order, mesh_size_m=args.mesh_size, progress=progress)
    return net, resp, progress


def cmd_place(args) -> int:

    if args.per_room:
        try:
            per_room = {k: int(v) for k, v in (x.split("=") for x in args.per_room.split(","))}
        except ValueError:
            raise SpecError(f"--per-room must look like suzhou=13,harbin=2; got {args.per_room!r}") from None
    else:
        per_room = None
    net, resp, progress = _setup(args)
    counts = {r: sum(s.room == r for s in net.sensors) for r in net.rooms}
    if per_room is None and not args.free:
        per_room = {r: c for r, c in counts.items() if c}
        if args.n is not None and args.n != sum(per_room.values()):
            raise SpecError(f"--n {args.n} differs from the network's {sum(per_room.values())} sensors: "
                            f"give --per-room or --free")
    n = args.n if args.n is not None else sum(counts.values())
    out = Path(args.out)
    with progress.step(f"candidates ({args.grid}x{args.grid} per wall, 3 axes)"):
        cands = pl.candidates(net, resp, args.freq, n_grid=args.grid)
    with progress.step(f"greedy + swap ({args.objective})") as info:
        best = pl.greedy_swap(net, cands, None if per_room else n, per_room=per_room, kind=args.objective,
                              white_noise_t_rthz=net.sensors[0].white_noise_t_rthz, seed=args.seed)
        info["note"] = f"{best.evaluations} evaluations, {best.swaps} swaps"
    ref, ref_worst = pl.layout_score(net, resp, net.sensors, args.freq, args.objective)
    rand = pl.random_layouts(net, cands, per_room or counts, args.random, kind=args.objective,
                             white_noise_t_rthz=net.sensors[0].white_noise_t_rthz, seed=args.seed)
    nulls = pl.null_references(cands, max_n=10)
    chosen = best.sensors(cands, net.sensors[0])
    power = 0.5 if args.objective == "coherent" else 0.5  # eps ~ objective^-1/2
    summary = {
        "objective": args.objective, "freq_hz": args.freq, "n": len(chosen), "per_room": per_room,
        "objective_hz": best.objective_hz, "worst_polarization_hz": best.worst_hz,
        "given_layout_objective_hz": ref, "given_layout_worst_polarization_hz": ref_worst,
        "random_layouts_objective_hz": {"mean": float(rand.mean()), "max": float(rand.max()), "n": len(rand)},
        "eps_gain_over_given_layout": float((best.objective_hz / ref) ** power),
        "eps_gain_over_random_mean": float((best.objective_hz / rand.mean()) ** power),
        "swaps": best.swaps, "evaluations": best.evaluations,
        "sensors": [{"id": s.id, "room": s.room, "position_m": list(s.position_m), "axis": list(s.axis)} for s in chosen],
        "noise_references": [{"room": str(cands.rooms[k]), "position_m": cands.positions_m[k].tolist(),
                              "axis": cands.axes[k].tolist(),
                              "relative_response": float(np.linalg.norm(cands.rows[k]) / np.abs(cands.rows).max())}
                             for k in nulls],
        "provenance": provenance(network_hash=net.spec_hash(), mesh_size_m=args.mesh_size, element_order=args.order,
                                 seed=args.seed),
    }
    write_json(out / "placement.json", summary)
    _write_network_toml(net, chosen, out / "placed_network.toml")
    save_figure(plot_placement(net, {"given": list(net.sensors), "optimised": chosen},
                               title=f"eps gain x{summary['eps_gain_over_given_layout']:.2f} over the given layout, "
                            f"x{summary['eps_gain_over_random_mean']:.2f} over random"), out / "placement.png")
    progress.say(f"placement: objective {best.objective_hz:.4g} Hz vs given {ref:.4g} Hz, random mean "
                 f"{rand.mean():.4g} Hz -> {out / 'placement.json'}")
    return 0


def _write_network_toml(net, sensors, path) -> None:

    lines = [f'# placed by amails-fem place from {net.source}', f'name = "{net.name}_placed"', ""]
    for s in net.sites.values():
        lines += [f"[sites.{s.name}]", f"latitude_deg = {s.latitude_deg}", f"longitude_deg = {s.longitude_deg}",
                  f"room_x_azimuth_deg = {s.room_x_azimuth_deg}", ""]
    for r in net.rooms.values():
        g = r.geometry
        lines += [f"[rooms.{r.name}]", f'site = "{r.site}"', 'shape = "box"', f"lx_m = {g.lx_m}", f"ly_m = {g.ly_m}",
                  f"lz_m = {g.lz_m}", f"standoff_m = {r.standoff_m}", f"common_mode_t_rthz = {r.common_mode_t_rthz}",
                  f"common_mode_correlation = {r.common_mode_correlation}", ""]
    for s in sensors:
        lines += ["[[sensors]]", f'id = "{s.id}"', f'room = "{s.room}"',
                  f"position_m = [{', '.join(f'{x:.6g}' for x in s.position_m)}]",
                  f"axis = [{', '.join(f'{x:.6g}' for x in s.axis)}]", f"white_noise_t_rthz = {s.white_noise_t_rthz}",
                  f"corner_hz = {s.corner_hz}", ""]
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines))


def cmd_templates(args) -> int:

    if not (0 < args.fmin < args.fmax) or args.nfreq < 1:
        raise SpecError(f"need 0 < --fmin < --fmax and --nfreq >= 1; got {args.fmin}, {args.fmax}, {args.nfreq}")
    net, resp, progress = _setup(args)
    f = (np.geomspace if args.log else np.linspace)(args.fmin, args.fmax, args.nfreq)
    with progress.step(f"templates: {net.n_sensors} sensors, {len(net.pairs())} pairs, {f.size} frequencies"):
        ds = build_templates(net, resp, f, t_ref_unix_s=args.t_ref if args.t_ref is not None else UNIX_J2000_S)
    with progress.step(f"writing {args.out}"):
        write_templates(ds, args.out)
    return 0


def run_chain(out_dir, *, quiet: bool = False, mesh_size_m: float = 0.25, duration_s: float = 2000.0,
              fs_hz: float = 1000.0) -> int:
    """The network part of `amails-fem run`: placement, templates and a simulated 2000 s correlator run with its
    limit plot for the default AMAILS network, under out_dir/network/."""

    out = Path(out_dir) / "network"
    q = ["--quiet"] if quiet else []
    m = ["--mesh-size", str(mesh_size_m)]
    parser = build_parser()
    responses = None
    for argv in (["place", "--out", str(out / "placement")],
                 ["templates", "--out", str(out / "templates.h5")],
                 ["correlate", "--simulate", "--duration-s", str(duration_s), "--fs-hz", str(fs_hz),
                  "--out", str(out / "correlate")]):
        args = parser.parse_args(argv + m + q)
        if responses is None:

            responses = solve_network_rooms(load_network(args.network), order=args.order, mesh_size_m=args.mesh_size,
                                            progress=Progress(quiet=quiet))
        args.responses = responses
        rc = args.func(args)
        if rc:
            return rc
    return 0
