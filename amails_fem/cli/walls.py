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
from amails_fem.io.provenance import provenance
from amails_fem.log import Progress
from amails_fem.meshing.rooms import resolve_sizes
from amails_fem.plotting.figures import save_figure
from amails_fem.plotting.walls import walls_figures
from amails_fem.rooms.shielding import (
    concentric_shells_log_shielding,
    concentric_shells_shielding,
    nested_box_shells,
    thin_layer_shielding,
)
from amails_fem.rooms.solve import solve_room
from amails_fem.specs.rooms import BoxRoom


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
    quiet(p)
    p.set_defaults(func=run)


def _parse_points(text, spec):
    if text is None:
        pts = default_sensor_points()
    else:
        rows = [row for row in text.split(";") if row.strip()]
        if not rows or any(len(row.split(",")) != 3 for row in rows):
            raise SpecError(f"--points-m must be 'x,y,z;x,y,z' triples in metres; got {text!r}")
        pts = np.array([float_list(row, "--points-m", "m") for row in rows])
    if pts.ndim != 2 or pts.shape[1] != 3:
        raise SpecError(f"--points-m must be 'x,y,z;...' triples; got {text!r}")
    inside = spec.contains(pts, 1e-6)
    if not inside.all():
        raise SpecError(f"--points-m row {int(np.flatnonzero(~inside)[0])} {pts[~inside][0].tolist()} m is outside the "
                        "room (centred at the origin)")
    return pts


def _finite_or_none(values) -> list:
    """A list for JSON: floats, None where a value exceeds the float range (then see the log10 entry)."""
    return [float(v) if np.isfinite(v) else None for v in np.asarray(values, float)]


def default_sensor_points() -> np.ndarray:
    """AMAILS Suzhou sensor positions from the shipped amails_network.toml (fallback: 4 wall-centre points)."""
    path = data_path("amails_network.toml")
    try:
        table = tomllib.loads(path.read_text())
        pts = [s["position_m"] for s in table.get("sensors", []) if s.get("room") == "suzhou"]
        if pts:
            return np.array(pts, float)
    except (OSError, tomllib.TOMLDecodeError, KeyError):
        pass
    return np.array([[0.95, 0, 0], [0, 0.95, 0], [0.95, 0.5, 0], [0.95, 0.95, 0]], float)


def run(args) -> int:

    spec = room_spec(args.spec, "walls")
    stack = W.load_walls(args.spec)
    require_less(args.fmin_hz, args.fmax_hz, "--fmin-hz", "--fmax-hz", "Hz")
    freqs = W.check_freqs_hz(np.geomspace(args.fmin_hz, args.fmax_hz, args.n_freq), "--fmin-hz/--fmax-hz")
    pts = _parse_points(args.points_m, spec)
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
    b_pec = pec.b_field(pts, args.polarization)  # (N, 3) T per A/m^2
    b_real = real.b_field(pts, args.polarization)[sel]  # (n_f, N, 3)
    ratio = np.linalg.norm(np.abs(b_real), axis=-1) / np.maximum(np.linalg.norm(b_pec, axis=-1), 1e-300)
    # shielding: thin-layer static FE of the nested boxes + the nested-sphere 2-port model for S(f)

    with progress.step("shielding factor"):
        metal = [ly for ly in stack.layers if not ly.is_gap]
        r_eq = (3 * spec.volume_m3 / (4 * np.pi)) ** (1 / 3)
        depths = np.cumsum([0.0] + [ly.thickness_m for ly in stack.layers])[:-1]  # inner face of each layer
        radii = [r_eq + d + ly.thickness_m / 2 for d, ly in zip(depths, stack.layers) if not ly.is_gap]
        log_s = concentric_shells_log_shielding(radii, [W.WallStack((ly,)) for ly in metal], freqs)
        log10_s_sphere = log_s.real / np.log(10.0)  # finite at any frequency (|S| itself overflows ~1e308)
        with np.errstate(over="ignore"):
            s_sphere = np.exp(log_s.real)
        s0_sphere = float(np.abs(concentric_shells_shielding(radii, [W.WallStack((ly,)) for ly in metal], [1e-3]))[0])
        s_box = None
        if isinstance(spec, BoxRoom) and any(ly.mu_r > 1 for ly in metal):
            res = thin_layer_shielding(nested_box_shells((spec.lx_m, spec.ly_m, spec.lz_m), stack), size_m=args.shell_mesh_size_m, directions=("z",), quiet=args.quiet)
            s_box = float(res.shielding["z"])
    figs = walls_figures(freqs, ratio, b_real, b_pec, s_sphere, s0_sphere, s_box, real, grid, map_freqs, spec,
                         args.polarization)
    files = [save_figure(fig, out / name) for name, fig in figs.items()]
    data = {
        "provenance": provenance(spec=str(args.spec), spec_hash=spec.spec_hash(), wall=stack.describe(),
                                 **{k: v for k, v in real.statistics().items() if k != "seconds"}),
        "freqs_hz": freqs, "polarization": args.polarization, "points_m": pts,
        "impedance_length_m": {"real": stack.impedance_length_m(freqs).real,
                               "imag": stack.impedance_length_m(freqs).imag},
        "b_perfect_t_per_a_m2": b_pec,
        "b_real_abs_t_per_a_m2": np.linalg.norm(np.abs(b_real), axis=-1),
        "b_real_re_t_per_a_m2": b_real.real, "b_real_im_t_per_a_m2": b_real.imag,
        "ratio_real_to_perfect": ratio,
        "shielding": {"model": "nested spheres of the room's volume, 2-port layers (eddy currents, skin effect)",
                      "S_sphere_model": _finite_or_none(s_sphere), "log10_S_sphere_model": log10_s_sphere,
                      "S_sphere_static": s0_sphere,
                      "S_box_static_thin_layer_fe": s_box,
                      "S_room_estimate": None if s_box is None else _finite_or_none(s_sphere * (s_box / s0_sphere))},
        "seconds": {"total": time.perf_counter() - t0, "perfect": pec.timings_s, "real": real.timings_s},
        "files": files,
    }
    write_json(out / "walls.json", data)
    progress.say(f"wrote {out / 'walls.json'} and {len(files)} figure(s)")
    return 0

