"""`amails-fem environment SPEC`: the room in its environment: leak of the Earth's dark-photon field vs own field.

Composes stages only: specs -> amails_fem.solve_room(..., environment=...) -> network.leak -> NetCDF, JSON, figures.

Example:
    amails-fem environment geometries/amails_room_mumetal.toml --fmin-hz 1 --fmax-hz 500 --out environment_out
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from amails_fem.cli.options import add_command, count, flag, in_range, positive, quiet, require_less
from amails_fem.cli.room import room_spec
from amails_fem.environment.ambient import EarthEnvironment, load_measured_shielding
from amails_fem.environment.solve import solve_room
from amails_fem.errors import SpecError
from amails_fem.io.files import write_json
from amails_fem.io.netcdf import write_dataset
from amails_fem.io.provenance import netcdf_attributes, provenance
from amails_fem.log import Progress
from amails_fem.meshing.rooms import resolve_sizes
from amails_fem.network.leak import leak_report
from amails_fem.network.sensors import default_network_path, load_network
from amails_fem.plotting.environment import plot_leak_over_own, plot_shielding_needed
from amails_fem.plotting.figures import save_figure
from amails_fem.specs.walls import F_MAX_HZ, F_MIN_HZ, check_freqs_hz, load_walls
from amails_fem.validate import require_option


def register(subparsers) -> None:
    p = add_command(subparsers, "environment", help="leak of the Earth's dark-photon field through the shield vs the "
                    "room's own field, at the sensors, over frequency",
                    description=__doc__.split("\n\nExample")[0] + "\nWrites environment.nc, environment.json, "
                    "leak_over_own.png, shielding_needed.png into --out (all or nothing).",
                    example="amails-fem environment geometries/amails_room_mumetal.toml --fmin-hz 1 --fmax-hz 500 "
                            "--out environment_out")
    p.add_argument("spec", help="room TOML with [room] and [walls] (e.g. geometries/amails_room_mumetal.toml)")
    hz = in_range(F_MIN_HZ, F_MAX_HZ, "Hz")
    flag(p, "--fmin-hz", "--fmin", type=hz, default=1.0, help="lowest frequency (Hz)")
    flag(p, "--fmax-hz", "--fmax", type=hz, default=500.0, help="highest frequency (Hz)")
    p.add_argument("--n-freq", type=count(2, 2000), default=50, help="log-spaced frequencies")
    p.add_argument("--model", default="cavity", choices=("cavity", "quasi-static"),
                   help="Earth field model (quasi-static only up to 2 Hz)")
    p.add_argument("--transfer", default="auto", choices=("auto", "equivalent-sphere", "fe"),
                   help="shield transfer: exact spheres / volume-equivalent spheres (auto), or the 3D thin-layer FE "
                        "solve (fe: minutes for five layers)")
    p.add_argument("--measured-shielding", default=None,
                   help="CSV freq_hz,shielding_factor[,phase_deg] of the real room, used instead of the computed T")
    p.add_argument("--network", default=None, help="network TOML with the sensors (default: the AMAILS network)")
    p.add_argument("--room", default="suzhou", help="which room of the network")
    flag(p, "--mesh-size-m", "--mesh-size", type=positive("m"), default=None,
         help="bulk element size of the own-field solve (m; default: the spec's)")
    flag(p, "--transfer-mesh-size-m", "--transfer-mesh-size", type=positive("m"), default=None,
         help="bulk element size of the shield-transfer solve (m; default: automatic)")
    p.add_argument("--out", default="environment_out", help="output folder")
    quiet(p)
    p.set_defaults(func=run)


def run(args) -> int:
    spec = room_spec(args.spec, "environment")
    stack = load_walls(args.spec)
    require_less(args.fmin_hz, args.fmax_hz, "--fmin-hz", "--fmax-hz", "Hz")
    freqs = check_freqs_hz(np.geomspace(args.fmin_hz, args.fmax_hz, args.n_freq), "--fmin-hz/--fmax-hz")
    require_option(args.model, "--model", ("cavity", "quasi-static"))
    transfer = load_measured_shielding(args.measured_shielding) if args.measured_shielding else args.transfer
    env = EarthEnvironment(model=args.model, transfer=transfer)
    net = load_network(args.network or default_network_path())
    if args.room not in net.rooms:
        raise SpecError(f"--room must be one of {', '.join(sorted(net.rooms))}; got {args.room!r}")
    sensors = [s for s in net.sensors if s.room == args.room]
    pos = np.array([s.position_m for s in sensors], float)
    if not sensors or not spec.contains(pos, 1e-6).all():
        raise SpecError(f"the sensors of room {args.room!r} must lie inside the room of {args.spec}")
    resolve_sizes(spec, args.mesh_size_m, None, order=spec.mesh.order)  # sizes and memory, before any solve
    out = Path(args.out)
    progress = Progress(quiet=args.quiet)
    resp = solve_room(spec, wall=stack, freqs_hz=freqs, environment=env, mesh_size_m=args.mesh_size_m,
                      transfer_mesh_size_m=args.transfer_mesh_size_m, order=spec.mesh.order, progress=progress)
    rep = leak_report(resp, pos, [s.axis for s in sensors], [s.id for s in sensors])
    stats = resp.statistics()
    meta = provenance(spec=str(args.spec), spec_hash=spec.spec_hash(), wall=stack.describe(),
                      environment=env.describe(), network=str(net.source), room=args.room,
                      element_order=stats.get("order"), mesh_size_m=stats.get("mesh_size_m"),
                      transfer=stats.get("transfer", {}))
    write_dataset(_dataset(rep, meta), out / "environment.nc")
    i_max = int(np.argmax(rep.ratio[0]))
    summary = {
        "provenance": meta,
        "crossing_hz_all_sensors": rep.crossing_all_hz,
        "crossing_hz_per_sensor": dict(zip(rep.sensor_ids, rep.crossing_hz.tolist())),
        "leak_over_own_at_fmin": dict(zip(rep.sensor_ids, rep.ratio[0].tolist())),
        "leak_over_own_at_fmin_band": [float(rep.ratio_band[0, 0, i_max]), float(rep.ratio_band[1, 0, i_max])],
        "shielding_stack_at": {f"{f:g} Hz": float(s) for f, s in zip(rep.freqs_hz[[0, -1]], rep.shielding_stack[[0, -1]])},
        "centre_leak_t_per_eps_at_fmin": float(rep.centre_leak_t[0]),
        "caveat": "S(f) of ideal closed shells (no seams or doors); the ambient field above ~5 Hz depends on the "
                  "Earth-ionosphere cavity model (band in environment.nc)",
    }
    write_json(out / "environment.json", summary)
    save_figure(plot_leak_over_own(rep), out / "leak_over_own.png")
    save_figure(plot_shielding_needed(rep), out / "shielding_needed.png")
    progress.say(f"leak/own at {rep.freqs_hz[0]:g} Hz: {rep.ratio[0].min():.3g}-{rep.ratio[0].max():.3g}; own field "
                 f"dominates at every sensor above {rep.crossing_all_hz:.3g} Hz -> {out}")
    return 0


def _dataset(rep, meta: dict):
    import xarray as xr

    dims = ("frequency", "sensor")
    v = {
        "own_field": (dims, rep.own_t, {"units": "T", "long_name": "room's own field at the sensor, eps = 1 "
                                        "(lab-polarization rms along the sensor axis)"}),
        "leak_field": (dims, rep.leak_t, {"units": "T", "long_name": "Earth dark-photon field let in through the "
                                          "shield, eps = 1 (lab-polarization rms along the sensor axis)"}),
        "leak_over_own": (dims, rep.ratio, {"units": "1"}),
        "leak_over_own_low": (dims, rep.ratio_band[0], {"units": "1", "long_name": "low end of the ambient band"}),
        "leak_over_own_high": (dims, rep.ratio_band[1], {"units": "1", "long_name": "high end of the ambient band"}),
        "shielding_needed": (dims, rep.shielding_needed, {"units": "1", "long_name": "S for which own = leak"}),
        "shielding_stack": (("frequency",), rep.shielding_stack,
                            {"units": "1", "long_name": "S = 1/|T| at the centre, ideal closed shells"}),
        "centre_leak_field": (("frequency",), rep.centre_leak_t, {"units": "T", "long_name": "leak at the centre"}),
        "crossing_frequency": (("sensor",), rep.crossing_hz, {"units": "Hz"}),
    }
    coords = {"frequency": ("frequency", rep.freqs_hz, {"units": "Hz"}),
              "sensor": ("sensor", np.array(rep.sensor_ids, dtype=object))}
    return xr.Dataset(v, coords=coords, attrs=netcdf_attributes(meta, title="room in its environment: leak vs own"))
