"""`amails-fem probe SPEC`: the room's dark-photon field at points along a line or from a CSV file -> probe.nc, PNG.

The field is the solver's own point evaluation of the perfect-conductor room, and, when the spec has a [walls] table,
of the impedance-wall room beside it (docs/walls.md); per unit effective current (T per A/m^2) and in tesla for the
stated eps at each --freq-hz.

Examples:
    amails-fem probe geometries/amails_room.toml --line-m -0.99,0,0 0.99,0,0 --n-points 200 --out probe_out
    amails-fem probe geometries/amails_room_mumetal.toml --points sensors.csv --freq-hz 1,10,100 --out probe_out
"""

from __future__ import annotations

from pathlib import Path

from amails_fem.cli.options import HelpFormatter, positive
from amails_fem.errors import SpecError
from amails_fem.fields.probe import check_inside, line_points, probe_room
from amails_fem.io.files import read_toml
from amails_fem.io.netcdf import write_dataset
from amails_fem.io.points import read_points_csv
from amails_fem.io.provenance import provenance
from amails_fem.log import Progress
from amails_fem.meshing.rooms import resolve_sizes
from amails_fem.plotting.figures import save_figure
from amails_fem.plotting.probe import plot_probe
from amails_fem.specs.loader import load_spec
from amails_fem.specs.walls import check_freqs_hz, load_walls
from amails_fem.validate import as_points, require_positive


def register(subparsers) -> None:
    p = subparsers.add_parser("probe", help="the room's dark-photon field at points on a line or from a CSV file",
                              description=__doc__, epilog="Writes probe.nc (xarray/NetCDF, CF attributes) and "
                              "probe.png.", formatter_class=HelpFormatter)
    p.add_argument("spec", help="room TOML (e.g. geometries/amails_room.toml); a [walls] table adds the real walls")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--line-m", nargs=2, metavar=("X0,Y0,Z0", "X1,Y1,Z1"),
                       help="end points of a straight line (m, room centred at the origin)")
    where.add_argument("--points", metavar="FILE", help="CSV file of x,y,z rows (m); a header row is allowed")
    p.add_argument("--n-points", type=int, default=200, help="points along --line-m, end points included")
    p.add_argument("--eps", type=float, default=1.0, help="kinetic mixing for the values in tesla")
    p.add_argument("--freq-hz", default="10", help="dark-photon frequencies 'f1,f2,...' (Hz) for the values in tesla "
                                                   "(and the real-wall solve)")
    p.add_argument("--order", type=int, choices=(1, 2), default=None, help="Lagrange order (default: the spec's)")
    p.add_argument("--mesh-size-m", type=positive("m"), default=None, help="bulk element size (m) (default: the spec's)")
    p.add_argument("--wall-size-m", type=positive("m"), default=None, help="element size at the walls (m) (default: half)")
    p.add_argument("--perfect-only", action="store_true", help="skip the [walls] solve even if the spec has one")
    p.add_argument("--out", default="probe_out", help="output folder")
    p.add_argument("--no-cache", action="store_true", help="re-mesh even if a cached mesh exists")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=run)



def _triple(text: str, field: str):
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise SpecError(f"{field} points must be 'x,y,z' in metres; got {text!r}") from None
    return as_points(values, field)[0]


def _freqs(text: str):
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise SpecError(f"--freq-hz must be 'f1,f2,...' in Hz; got {text!r}") from None
    return check_freqs_hz(values, "--freq-hz")


def run(args) -> int:
    spec = load_spec(args.spec)
    if getattr(spec, "shape", None) not in ("box", "cylinder", "sphere", "ellipsoid"):
        raise SpecError(f"{args.spec}: `probe` needs a [room] spec")
    # every flag checked before meshing
    eps = require_positive(args.eps, "--eps", "dimensionless")
    freqs = _freqs(args.freq_hz)
    for name in ("mesh_size_m", "wall_size_m"):
        if getattr(args, name) is not None:
            require_positive(getattr(args, name), f"--{name.replace('_', '-')}")
    resolve_sizes(spec, args.mesh_size_m, args.wall_size_m)
    distance = None
    if args.line_m:
        pts, distance = line_points(_triple(args.line_m[0], "--line-m"), _triple(args.line_m[1], "--line-m"),
                                    args.n_points)
    else:
        pts = read_points_csv(args.points)
    check_inside(spec, pts)
    stack = load_walls(args.spec) if "walls" in read_toml(args.spec) and not args.perfect_only else None
    order = args.order or spec.mesh.order
    walls = "" if stack is None else f" and {stack.describe()}"
    meta = provenance(spec=str(args.spec), spec_hash=spec.spec_hash(), wall_model="perfect conductor" + walls)
    progress = Progress(quiet=args.quiet)
    ds = probe_room(spec, pts, wall=stack, eps=eps, freqs_hz=freqs, order=order, mesh_size_m=args.mesh_size_m,
                    wall_size_m=args.wall_size_m, distance_m=distance, provenance=meta, progress=progress,
                    use_cache=not args.no_cache)
    out = Path(args.out)
    write_dataset(ds, out / "probe.nc")
    save_figure(plot_probe(ds), out / "probe.png")
    peak = ds["b_perfect_magnitude"].values[0]
    progress.say(f"{len(pts)} points: max |B| {peak.max():.3e} T (eps = {eps:g}, {freqs[0]:g} Hz, perfect walls)"
                 " -> probe.nc, probe.png")
    return 0
