"""`amails-fem walls SPEC`: real walls vs perfect conductor at sensor points over frequency, S(f), wall maps, JSON.

Composes stages only: specs (room + walls) -> rooms.solve / rooms.shielding -> plotting, io.
"""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import numpy as np

from amails_fem import walls as W
from amails_fem.cli.options import add_command, count, flag, float_list, in_range, positive, quiet, require_less
from amails_fem.cli.room import room_spec
from amails_fem.errors import SpecError
from amails_fem.io.files import data_path, write_json
from amails_fem.io.netcdf import write_dataset
from amails_fem.io.provenance import netcdf_attributes, provenance
from amails_fem.log import Progress
from amails_fem.meshing.rooms import resolve_sizes
from amails_fem.plotting.figures import save_figure
from amails_fem.plotting.walls import draw_shielding_seams, walls_figures
from amails_fem.rooms.seams import MEASURED_ROOMS, nested_sphere_shielding, seamed_stack
from amails_fem.rooms.shielding import (
    concentric_shells_log_shielding,
    concentric_shells_shielding,
    nested_box_shells,
    nested_sphere_shells,
    thin_layer_shielding,
)
from amails_fem.rooms.solve import solve_room
from amails_fem.rooms.sources import unit_polarization
from amails_fem.specs.rooms import BoxRoom
from amails_fem.units import MU0_H_M

SHIELDING_CAVEAT = ("ideal closed shells (no seams, doors or holes); measured walk-in rooms saturate near S ~ 1e5-1e6 "
                    "because of seams and doors")


def register(subparsers) -> None:
    p = add_command(subparsers, "walls", help="real shield walls: signal vs frequency (real vs perfect), S(f), maps",
                    description="Real shield walls (a layer stack with skin effect) against perfect conductors: the "
                    "signal at sensor points over frequency, the shielding factor S(f), wall maps.\nWrites walls.json and the figures into --out (all or nothing).",
                    example="amails-fem walls geometries/amails_room_mumetal.toml --fmin-hz 1 --fmax-hz 500 "
                            "--out walls_out")
    p.add_argument("spec", help="room TOML with [room] and [walls] tables (e.g. geometries/amails_room_mumetal.toml)")
    hz = in_range(W.F_MIN_HZ, W.F_MAX_HZ, "Hz")
    flag(p, "--fmin-hz", "--fmin", type=hz, default=1.0, help="lowest frequency (Hz)")
    flag(p, "--fmax-hz", "--fmax", type=hz, default=500.0, help="highest frequency (Hz)")
    p.add_argument("--n-freq", type=count(2, 2000), default=50, help="log-spaced frequencies")
    p.add_argument("--out", default="walls_out", help="output folder")
    flag(p, "--points-m", "--points", default=None,
         help="sensor points 'x,y,z;x,y,z' (m; default: the AMAILS Suzhou sensor positions)")
    p.add_argument("--polarization", default="z", choices=("x", "y", "z"), help="dark-photon polarization")
    flag(p, "--map-freqs-hz", "--map-freqs", default=None,
         help="wall-map frequencies 'f1,f2' (Hz; default: --fmin-hz,--fmax-hz)")
    flag(p, "--mesh-size-m", "--mesh-size", type=positive("m"), default=None,
         help="bulk element size (m; default: the spec's)")
    flag(p, "--wall-size-m", "--wall-size", type=positive("m"), default=None,
         help="wall element size (m; default: the spec's)")
    flag(p, "--shell-mesh-size-m", "--shell-mesh-size", type=positive("m"), default=None,
         help="element size of the static shielding model (m; default: automatic)")
    p.add_argument("--seam-gap-m", type=positive("m"), default=None,
                   help="also S(f) with a seam of this gap in every permeable layer (magnetic-circuit estimate, "
                        "docs/openings.md), drawn beside measured rooms in shielding_seams.png")
    p.add_argument("--seam-overlap-m", type=positive("m"), default=None,
                   help="overlap of the sheets at the seam (m; unset: a butt joint)")
    p.add_argument("--seam-path-m", type=positive("m"), default=None,
                   help="flux path in a layer (m; default: half the room's perimeter, 2 x the largest side)")
    quiet(p)
    p.set_defaults(func=run)


def _parse_points(text, spec):
    if text is None:
        pts, ids = default_sensors()
    else:
        rows = [row for row in text.split(";") if row.strip()]
        if not rows or any(len(row.split(",")) != 3 for row in rows):
            raise SpecError(f"--points-m must be 'x,y,z;x,y,z' triples in metres; got {text!r}")
        pts = np.array([float_list(row, "--points-m", "m") for row in rows])
    if pts.ndim != 2 or pts.shape[1] != 3:
        raise SpecError(f"--points-m must be 'x,y,z;...' triples; got {text!r}")
    if text is not None:
        ids = [f"P{i}" for i in range(len(pts))]
    inside = spec.contains(pts, 1e-6)
    if not inside.all():
        raise SpecError(f"--points-m row {int(np.flatnonzero(~inside)[0])} {pts[~inside][0].tolist()} m is outside the "
                        "room (centred at the origin)")
    return pts, ids


def _finite_or_none(value):
    """A float for JSON, None where it exceeds the float range (then see the log10 entry)."""
    value = float(value)
    return value if np.isfinite(value) else None


def default_sensors() -> tuple[np.ndarray, list[str]]:
    """AMAILS Suzhou sensor positions and IDs from the shipped amails_network.toml (fallback: 4 wall-centre points
    P0-P3)."""
    path = data_path("amails_network.toml")
    try:
        table = tomllib.loads(path.read_text())
        rows = [s for s in table.get("sensors", []) if s.get("room") == "suzhou"]
        if rows:
            return np.array([s["position_m"] for s in rows], float), [str(s.get("id", f"P{i}"))
                                                                       for i, s in enumerate(rows)]
    except (OSError, tomllib.TOMLDecodeError, KeyError):
        pass
    return np.array([[0.95, 0, 0], [0, 0.95, 0], [0.95, 0.5, 0], [0.95, 0.95, 0]], float), ["P0", "P1", "P2", "P3"]


def _seamed_shielding(spec, stack, freqs, s_sphere, args) -> dict:
    """S(f) of the closed shells with the same seam in every permeable layer (rooms/seams.py), beside the ideal."""
    path = args.seam_path_m if args.seam_path_m is not None else 2.0 * spec.extent_m
    seamed = seamed_stack(stack, args.seam_gap_m, path, overlap_m=args.seam_overlap_m)
    with np.errstate(over="ignore", invalid="ignore"):
        s_seam = np.asarray(nested_sphere_shielding(spec.volume_m3, seamed, freqs), float)
    kind = (f"{args.seam_gap_m * 1e3:g} mm gap over a {args.seam_overlap_m * 1e3:g} mm overlap"
            if args.seam_overlap_m is not None else f"{args.seam_gap_m * 1e3:g} mm butt seam")
    return {"s": s_seam, "kind": kind, "path_m": path,
            "curves": {"ideal closed shells (this stack)": s_sphere, f"same, a {kind} in every layer": s_seam}}


def run(args) -> int:

    spec = room_spec(args.spec, "walls")
    stack = W.load_walls(args.spec)
    require_less(args.fmin_hz, args.fmax_hz, "--fmin-hz", "--fmax-hz", "Hz")
    freqs = W.check_freqs_hz(np.geomspace(args.fmin_hz, args.fmax_hz, args.n_freq), "--fmin-hz/--fmax-hz")
    pts, sensor_ids = _parse_points(args.points_m, spec)
    pol = unit_polarization(args.polarization)
    map_freqs = ([args.fmin_hz, args.fmax_hz] if args.map_freqs_hz is None
                 else float_list(args.map_freqs_hz, "--map-freqs-hz", "Hz"))
    W.check_freqs_hz(map_freqs, "--map-freqs-hz")
    resolve_sizes(spec, args.mesh_size_m, args.wall_size_m, order=spec.mesh.order)  # sizes and memory, now
    out = Path(args.out)
    progress = Progress(quiet=args.quiet)
    t0 = time.perf_counter()
    kw = dict(mesh_size_m=args.mesh_size_m, wall_size_m=args.wall_size_m, order=spec.mesh.order, quiet=args.quiet,
              progress=progress)
    pec = solve_room(spec, **kw)
    grid = np.unique(np.concatenate([freqs, map_freqs]))
    real = solve_room(spec, wall=stack, freqs_hz=grid, **kw)
    sel = np.searchsorted(grid, freqs)
    r_pec = pec.response_matrix(pts)  # (N, 3 comp, 3 pol) T per A/m^2
    r_real = real.response_matrix(pts)[sel]  # (n_f, N, 3, 3) complex
    b_pec = r_pec @ pol  # (N, 3)
    b_real = r_real @ pol  # (n_f, N, 3)
    ratio = np.linalg.norm(np.abs(b_real), axis=-1) / np.maximum(np.linalg.norm(b_pec, axis=-1), 1e-300)
    # shielding: thin-layer static FE of the nested boxes + the nested-sphere 2-port model for S(f)

    with progress.step("shielding factor"):
        metal = [ly for ly in stack.layers if not ly.is_gap]
        radii, shells = nested_sphere_shells(spec.volume_m3, stack)
        log_s = concentric_shells_log_shielding(radii, shells, freqs)
        log10_s_sphere = log_s.real / np.log(10.0)  # finite at any frequency (|S| itself overflows ~1e308)
        with np.errstate(over="ignore"):
            s_sphere = np.exp(log_s.real)
        s0_sphere = float(np.abs(concentric_shells_shielding(radii, shells, [1e-3]))[0])
        s_box = None
        if isinstance(spec, BoxRoom) and any(ly.mu_r > 1 for ly in metal):
            res = thin_layer_shielding(nested_box_shells((spec.lx_m, spec.ly_m, spec.lz_m), stack), size_m=args.shell_mesh_size_m, directions=("z",), quiet=args.quiet)
            s_box = float(res.shielding["z"])
        seam = None if args.seam_gap_m is None else _seamed_shielding(spec, stack, freqs, s_sphere, args)
    figs = walls_figures(freqs, ratio, b_real, b_pec, s_sphere, s0_sphere, s_box, real, grid, map_freqs, spec,
                         args.polarization, sensor_ids=sensor_ids)
    if seam is not None:
        figs["shielding_seams.png"] = draw_shielding_seams(freqs, seam["curves"], MEASURED_ROOMS)
    files = [save_figure(fig, out / name) for name, fig in figs.items()]
    meta = provenance(spec=str(args.spec), spec_hash=spec.spec_hash(), wall=stack.describe(),
                      **{k: v for k, v in real.statistics().items() if k != "seconds"})
    s_room = None if s_box is None else s_sphere * (s_box / s0_sphere)
    lengths = stack.impedance_length_m(freqs)
    ds = walls_dataset(freqs, sensor_ids, pts, r_pec, r_real, lengths, s_sphere, log10_s_sphere, s_room, meta,
                       {"S_sphere_static": s0_sphere, "S_box_static_thin_layer_fe": s_box})
    if seam is not None:
        ds["shielding_sphere_model_seamed"] = (("frequency",), seam["s"], {
            "units": "1", "long_name": f"S(f) of the same shells with a {seam['kind']} in every permeable layer "
            f"(flux path {seam['path_m']:g} m; magnetic-circuit estimate, an upper bound on what one such seam costs)"})
    write_dataset(ds, out / "walls.nc")
    files.append(str(out / "walls.nc"))
    unit = MU0_H_M * spec.size_m
    data = {
        "provenance": meta,
        "arrays": "walls.nc (dims frequency, sensor, component, polarization; xarray.open_dataset(path, "
                  "engine='h5netcdf'))",
        "frequencies_hz": {"min": float(freqs[0]), "max": float(freqs[-1]), "n": int(len(freqs)),
                           "spacing": "logarithmic"},
        "polarization": args.polarization,
        "sensors": {sid: {"position_m": pts[i].tolist(),
                          "perfect_abs_b_mu0JL": float(np.linalg.norm(b_pec[i]) / unit),
                          "ratio_real_to_perfect": {"at_fmin": float(ratio[0, i]), "at_fmax": float(ratio[-1, i]),
                                                    "min": float(ratio[:, i].min()), "max": float(ratio[:, i].max())}}
                    for i, sid in enumerate(sensor_ids)},
        "impedance_length_abs_m": {"at_fmin": float(abs(lengths[0])), "at_fmax": float(abs(lengths[-1]))},
        "shielding": {"model": "nested spheres of the room's volume, 2-port layers (eddy currents, skin effect)",
                      "caveat": SHIELDING_CAVEAT,
                      "S_sphere_static": s0_sphere, "S_box_static_thin_layer_fe": s_box,
                      "S_sphere_model": {"at_fmin": _finite_or_none(s_sphere[0]),
                                         "at_fmax": _finite_or_none(s_sphere[-1])},
                      "log10_S_sphere_model": {"at_fmin": float(log10_s_sphere[0]),
                                               "at_fmax": float(log10_s_sphere[-1])},
                      "S_room_estimate": None if s_room is None else {"at_fmin": _finite_or_none(s_room[0]),
                                                                      "at_fmax": _finite_or_none(s_room[-1])},
                      "S_sphere_model_seamed": None if seam is None else {
                          "seam": seam["kind"], "path_m": seam["path_m"], "at_fmin": _finite_or_none(seam["s"][0]),
                          "at_fmax": _finite_or_none(seam["s"][-1])}},
        "seconds": {"total": time.perf_counter() - t0, "perfect": pec.timings_s, "real": real.timings_s},
        "files": files,
    }
    write_json(out / "walls.json", data)
    progress.say(f"wrote walls.json, walls.nc and {len(figs)} figure(s)")
    return 0


def walls_dataset(freqs, sensor_ids, pts, r_pec, r_real, lengths, s_sphere, log10_s_sphere, s_room, meta,
                  scalars):
    """The labelled arrays of a walls run as an xarray Dataset (CF attributes, provenance)."""
    import xarray as xr

    dims = ("frequency", "sensor", "component", "polarization")
    per = "T m2 A-1"
    v = {
        "b_perfect_per_current": (dims[1:], r_pec, {"units": per, "long_name": "B per unit effective current, "
                                                    "perfectly conducting walls"}),
        "b_walls_per_current_real": (dims, r_real.real, {"units": per, "long_name": "Re B per unit effective "
                                                         "current, real walls; phasor Re[B e^(-i w t)]"}),
        "b_walls_per_current_imag": (dims, r_real.imag, {"units": per, "long_name": "Im B per unit effective "
                                                         "current, real walls"}),
        "ratio_real_to_perfect": (("frequency", "sensor", "polarization"),
                                  np.sqrt((np.abs(r_real) ** 2).sum(axis=2)) /
                                  np.maximum(np.linalg.norm(r_pec, axis=1), 1e-300)[None],
                                  {"units": "1", "long_name": "|B real walls| / |B perfect walls|"}),
        "impedance_length_real": (("frequency",), lengths.real, {"units": "m", "long_name": "Re l = Re Z_s / "
                                                                  "(-i omega mu0) of the wall stack"}),
        "impedance_length_imag": (("frequency",), lengths.imag, {"units": "m", "long_name": "Im l"}),
        "shielding_sphere_model": (("frequency",), s_sphere, {"units": "1", "long_name": "S(f) of nested spheres "
                                                              "of the room's volume (inf beyond the float "
                                                              "range: see log10_shielding_sphere_model); "
                                                              + SHIELDING_CAVEAT}),
        "log10_shielding_sphere_model": (("frequency",), log10_s_sphere, {"units": "1", "long_name": "log10 S(f), finite at "
                                                                "any frequency"}),
    }
    if s_room is not None:
        v["shielding_room_estimate"] = (("frequency",), s_room, {"units": "1", "long_name": "S(f) scaled to the "
                                                                 "box's static thin-layer FE S; " + SHIELDING_CAVEAT})
    coords = {"frequency": ("frequency", np.asarray(freqs, float), {"units": "Hz"}),
              "sensor": ("sensor", np.array(sensor_ids, dtype=object), {"long_name": "sensor ID"}),
              "component": ("component", ["x", "y", "z"], {"long_name": "B component (lab frame, z up)"}),
              "polarization": ("polarization", ["x", "y", "z"],
                               {"long_name": "direction of the dark-photon effective current"}),
              "x_m": ("sensor", pts[:, 0], {"units": "m"}), "y_m": ("sensor", pts[:, 1], {"units": "m"}),
              "z_m": ("sensor", pts[:, 2], {"units": "m"})}
    record = {**meta, **{k: ("None" if val is None else float(val)) for k, val in scalars.items()}}
    return xr.Dataset(v, coords=coords, attrs=netcdf_attributes(record, title="real shield walls vs perfect "
                                                                              "conductor at the sensors"))

