"""`amails-fem place | templates`: the sensor-network stages (composition only; physics in network/); the
`correlate` command lives in cli/analysis.py."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from amails_fem import units
from amails_fem.cli import build_parser
from amails_fem.cli.options import add_command, count, finite, flag, positive, quiet, require_less
from amails_fem.errors import SpecError
from amails_fem.frames import UNIX_J2000_S
from amails_fem.io.files import atomic_path, write_json
from amails_fem.io.provenance import provenance
from amails_fem.log import Progress
from amails_fem.memory import require_memory
from amails_fem.network import placement as pl
from amails_fem.network.response import solve_network_rooms
from amails_fem.network.sensors import default_network_path, load_network
from amails_fem.network.templates import build_templates, templates_bytes, write_templates
from amails_fem.plotting.figures import save_figure
from amails_fem.plotting.network import plot_placement
from amails_fem.validate import check_quasi_static


def _common(p: argparse.ArgumentParser) -> None:

    p.add_argument("network", nargs="?", default=str(default_network_path()),
                   help="network TOML (default: geometries/amails_network.toml)")
    p.add_argument("--mesh-size", type=float, default=0.25, help="room mesh size (m), default 0.25")
    p.add_argument("--order", type=int, default=2, choices=(1, 2), help="element order (default 2)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")


MAX_N_FREQ = 10_000_000  # templates frequencies (the memory guard refuses far fewer on a small machine)


def _network_options(p) -> None:
    """The network and room-mesh flags of place and templates."""
    p.add_argument("network", nargs="?", default=str(default_network_path()),
                   help="network TOML (the shipped AMAILS network, as geometries/amails_network.toml)")
    flag(p, "--mesh-size-m", "--mesh-size", type=positive("m"), default=0.25, help="room mesh size (m)")
    p.add_argument("--order", type=int, default=2, choices=(1, 2), help="element order")
    quiet(p)


def register(sub) -> None:
    p = add_command(sub, "place", help="optimise sensor positions/axes (greedy + swap) and compare with the given "
                    "layout", description="Greedy + swap placement of the network's sensors on wall grids, scored "
                    "against the given layout and random layouts.\nWrites placement.json, placed_network.toml, "
                    "placement.png into --out (all or nothing).",
                    example="amails-fem place geometries/amails_network.toml --n-sensors 15 --out place_out")
    _network_options(p)
    flag(p, "--n-sensors", "--n", type=count(2, 1000), default=None,
         help="number of sensors (default: as many as the network has)")
    p.add_argument("--per-room", default=None, help="fixed counts, e.g. suzhou=13,harbin=2 (default: the network's)")
    p.add_argument("--free", action="store_true", help="let the optimiser share the sensors between rooms")
    flag(p, "--freq-hz", "--freq", type=positive("Hz"), default=10.0, help="frequency of the templates (Hz)")
    flag(p, "--n-grid", "--grid", type=count(2, 30), default=5, help="wall grid points per edge")
    p.add_argument("--objective", default="coherent", choices=("coherent", "stochastic"), help="placement objective")
    flag(p, "--n-random", "--random", type=count(1, 100_000), default=100, help="random layouts to compare with")
    p.add_argument("--seed", type=count(0, 2**32 - 1), default=0, help="random seed")
    p.add_argument("--out", default="place_out", help="output folder")
    p.set_defaults(func=cmd_place)

    p = add_command(sub, "templates", help="signal templates (HDF5/NetCDF4) on a frequency grid",
                    description="Signal templates for every sensor and pair of the network on a frequency grid, one "
                    "HDF5/NetCDF4 file (xarray; conventions and provenance in its attributes).",
                    example="amails-fem templates geometries/amails_network.toml --fmin-hz 1 --fmax-hz 500 "
                            "--n-freq 500 --out templates.h5")
    _network_options(p)
    flag(p, "--fmin-hz", "--fmin", type=positive("Hz"), default=1.0, help="lowest frequency (Hz)")
    flag(p, "--fmax-hz", "--fmax", type=positive("Hz"), default=500.0, help="highest frequency (Hz)")
    flag(p, "--n-freq", "--nfreq", type=count(1, MAX_N_FREQ), default=500, help="number of frequencies")
    p.add_argument("--log", action="store_true", help="log-spaced grid (default linear)")
    flag(p, "--t-ref-unix-s", "--t-ref", type=finite("s"), default=None,
         help="reference UNIX time of the line phases (s; default: J2000)")
    p.add_argument("--out", required=True, help="output file (.h5 / .nc)")
    p.set_defaults(func=cmd_templates)


def _check_frequency(net, freq_hz: float, field: str) -> None:
    """Quasi-static check for every room of the network: one warning line above 2 pi f L / c = 0.01, refused
    above 1 (the rooms are then larger than a wavelength / 2 pi: this solver does not apply)."""
    for room in net.rooms.values():
        size_m = room.geometry.size_m
        kl = units.quasi_static_parameter(freq_hz, size_m)
        if kl > 1.0:
            raise SpecError(f"{field} must be below {units.C_M_S / (2 * np.pi * size_m):.3g} Hz for room "
                            f"{room.name!r} (2 pi f L / c <= 1, quasi-static); got {freq_hz:g} Hz")
        check_quasi_static(freq_hz, size_m)


def _setup(args):

    progress = Progress(quiet=args.quiet)
    net = load_network(args.network)  # SpecError before any meshing
    resp = getattr(args, "responses", None)  # run_chain solves the rooms once for all three commands
    if resp is None:
        resp = solve_network_rooms(net, order=args.order, mesh_size_m=args.mesh_size_m, progress=progress)
    return net, resp, progress


def cmd_place(args) -> int:

    if args.per_room:
        try:
            per_room = {k.strip(): int(v) for k, v in (x.split("=") for x in args.per_room.split(","))}
        except ValueError:
            raise SpecError(f"--per-room must look like suzhou=13,harbin=2; got {args.per_room!r}") from None
        if any(v < 0 for v in per_room.values()) or sum(per_room.values()) < 2:
            raise SpecError(f"--per-room counts must be >= 0 and add up to >= 2 sensors; got {args.per_room!r}")
    else:
        per_room = None
    net = load_network(args.network)  # every check before the room solves
    if net.n_sensors < 2:
        raise SpecError(f"{args.network}: sensors: placement needs a network of at least 2 sensors (pairs); "
                        f"got {net.n_sensors}")
    if per_room is not None and set(per_room) - set(net.rooms):
        raise SpecError(f"--per-room rooms must be among {', '.join(sorted(net.rooms))}; got {args.per_room!r}")
    _check_frequency(net, args.freq_hz, "--freq-hz")
    counts = {r: sum(s.room == r for s in net.sensors) for r in net.rooms}
    if per_room is None and not args.free:
        per_room = {r: c for r, c in counts.items() if c}
        if args.n_sensors is not None and args.n_sensors != sum(per_room.values()):
            raise SpecError(f"--n-sensors {args.n_sensors} differs from the network's {sum(per_room.values())} "
                            "sensors: give --per-room or --free")
    n = args.n_sensors if args.n_sensors is not None else sum(counts.values())
    require_memory(pl.placement_bytes(net, n, args.n_grid, args.n_random),
                   f"placement of {n} sensors on {args.n_grid} x {args.n_grid} wall grids with {args.n_random} "
                   "random layouts", "use a smaller --n-grid or --n-random")
    net, resp, progress = _setup(args)
    out = Path(args.out)
    with progress.step(f"candidates ({args.n_grid}x{args.n_grid} per wall, 3 axes)"):
        cands = pl.candidates(net, resp, args.freq_hz, n_grid=args.n_grid)
    with progress.step(f"greedy + swap ({args.objective})") as info:
        best = pl.greedy_swap(net, cands, None if per_room else n, per_room=per_room, kind=args.objective,
                              white_noise_t_rthz=net.sensors[0].white_noise_t_rthz, seed=args.seed)
        info["note"] = f"{best.evaluations} evaluations, {best.swaps} swaps"
    ref, ref_worst = pl.layout_score(net, resp, net.sensors, args.freq_hz, args.objective)
    rand = pl.random_layouts(net, cands, per_room or counts, args.n_random, kind=args.objective,
                             white_noise_t_rthz=net.sensors[0].white_noise_t_rthz, seed=args.seed)
    nulls = pl.null_references(cands, max_n=10)
    chosen = best.sensors(cands, net.sensors[0])
    power = 0.5 if args.objective == "coherent" else 0.5  # eps ~ objective^-1/2
    summary = {
        "objective": args.objective, "freq_hz": args.freq_hz, "n": len(chosen), "per_room": per_room,
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
        "provenance": provenance(network_hash=net.spec_hash(), mesh_size_m=args.mesh_size_m, element_order=args.order,
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

    if args.n_freq > 1:
        require_less(args.fmin_hz, args.fmax_hz, "--fmin-hz", "--fmax-hz", "Hz")
    elif args.fmin_hz > args.fmax_hz:
        require_less(args.fmin_hz, args.fmax_hz, "--fmin-hz", "--fmax-hz", "Hz")
    net = load_network(args.network)  # every check before the room solves
    _check_frequency(net, args.fmax_hz, "--fmax-hz")
    require_memory(templates_bytes(net.n_sensors, len(net.pairs()), args.n_freq),
                   f"templates for {net.n_sensors} sensors, {len(net.pairs())} pairs, --n-freq {args.n_freq}",
                   "use a smaller --n-freq (or split the band into several files)")
    net, resp, progress = _setup(args)
    f = (np.geomspace if args.log else np.linspace)(args.fmin_hz, args.fmax_hz, args.n_freq)
    t_ref = args.t_ref_unix_s if args.t_ref_unix_s is not None else UNIX_J2000_S
    with progress.step(f"templates: {net.n_sensors} sensors, {len(net.pairs())} pairs, {f.size} frequencies"):
        ds = build_templates(net, resp, f, t_ref_unix_s=t_ref)
    with progress.step(f"writing {args.out}"):
        write_templates(ds, args.out)
    return 0


def run_chain(out_dir, *, quiet: bool = False, mesh_size_m: float = 0.25, duration_s: float = 2000.0,
              fs_hz: float = 1000.0) -> int:
    """The network part of `amails-fem run`: placement, templates and a simulated 2000 s correlator run with its
    limit plot for the default AMAILS network, under out_dir/network/."""

    out = Path(out_dir) / "network"
    q = ["--quiet"] if quiet else []
    parser = build_parser()
    responses = None
    for argv in (["place", "--out", str(out / "placement"), "--mesh-size-m", str(mesh_size_m)],
                 ["templates", "--out", str(out / "templates.h5"), "--mesh-size-m", str(mesh_size_m)],
                 ["correlate", "--simulate", "--duration-s", str(duration_s), "--fs-hz", str(fs_hz),
                  "--out", str(out / "correlate"), "--mesh-size-m", str(mesh_size_m)]):
        args = parser.parse_args(argv + q)
        if responses is None:

            responses = solve_network_rooms(load_network(args.network), order=args.order, mesh_size_m=args.mesh_size_m,
                                            progress=Progress(quiet=quiet))
        args.responses = responses
        rc = args.func(args)
        if rc:
            return rc
    return 0
