"""`amails-fem cavity SPEC` (modes, form factors, VTU, PNG) and `amails-fem tune SPEC` (tuning curves).

Only composes stages: specs.cavities -> cavities.solve / cavities.tuning / cavities.reach -> plotting, io (atomic writes).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from amails_fem.cavities.reach import tuning_reach
from amails_fem.cavities.solve import cavity_modes
from amails_fem.cavities.tuning import tune
from amails_fem.cli.options import add_command, count, flag, nonnegative, positive, quiet
from amails_fem.errors import SpecError
from amails_fem.io.files import atomic_path, write_json
from amails_fem.io.provenance import provenance
from amails_fem.io.vtu import write_vtu
from amails_fem.log import Progress
from amails_fem.meshing.cavities import check_cavity_job, volume_mesh
from amails_fem.plotting.cavities import plot_modes, plot_tuning
from amails_fem.plotting.figures import save_figure
from amails_fem.plotting.reach import plot_tuning_reach
from amails_fem.specs.cavities import default_mesh_size_m, load_cavity_spec
from amails_fem.validate import require_positive


def register(subparsers) -> None:
    p = add_command(subparsers, "cavity", help="eigenmodes, form factors G_E/G_B and Q0 of a haloscope cavity",
                    description="Eigenmodes of a closed conducting cavity (cross-section or 3D Nedelec solver), their "
                    "form factors G_E, G_B and unloaded Q0.\nWrites modes.json, modes.csv, modes.vtu, modes_E.png "
                    "into --out (all or nothing).",
                    example="amails-fem cavity geometries/cavity_cylinder.toml --n-modes 6 --out cavity_out")
    p.add_argument("spec", help="TOML file with a [cavity] table (see geometries/cavity_*.toml)")
    flag(p, "--n-modes", "--modes", type=count(1, 200), default=6, help="number of modes")
    p.add_argument("--near-hz", type=positive("Hz"), default=None, help="modes nearest this frequency (Hz)")
    p.add_argument("--order", type=count(1, 4), default=2, help="element order (2D Lagrange 2-4, 3D Nedelec 1-2)")
    p.add_argument("--solver", choices=["auto", "cross-section", "3d"], default="auto", help="eigen-solver")
    flag(p, "--mesh-size-m", "--size-m", type=positive("m"), default=None,
         help="mesh element size (m; default: automatic from the cavity size)")
    p.add_argument("--out", default="cavity_out", help="output folder")
    p.add_argument("--no-vtu", action="store_true", help="skip the VTU field export")
    quiet(p)
    p.set_defaults(func=run_cavity)

    t = add_command(subparsers, "tune", help="tuning curve: sweep a rod's radial position, follow the modes",
                    description="Tuning curve of a rod-tuned cavity: the rod moved radially over --n-steps positions, "
                    "the modes followed by overlap; optionally the kinetic mixing reached over the range.\nWrites "
                    "tuning.json, tuning.csv, tuning.png (and reach.json, reach.png) into --out (all or nothing).",
                    example="amails-fem tune geometries/cavity_admx_like.toml --rod 0 --from-m 0.072 --to-m 0.01 "
                            "--n-steps 20 --out tune_out")
    t.add_argument("spec", help="TOML file with a [cavity] table with rods")
    t.add_argument("--rod", type=count(0, 1000), default=0, help="index of the rod to move")
    t.add_argument("--from-m", type=nonnegative("m"), required=True, help="first radial position of the rod (m)")
    t.add_argument("--to-m", type=nonnegative("m"), required=True, help="last radial position of the rod (m)")
    flag(t, "--n-steps", "--steps", type=count(2, 1000), default=20, help="number of positions")
    flag(t, "--n-modes", "--modes", type=count(1, 50), default=4, help="number of modes to follow")
    t.add_argument("--select", choices=["coupling", "lowest"], default="coupling",
                   help="follow the modes with the largest G_E or the lowest ones")
    t.add_argument("--order", type=count(1, 4), default=2, help="element order")
    flag(t, "--mesh-size-m", "--size-m", type=positive("m"), default=None,
         help="mesh element size (m; default: automatic)")
    t.add_argument("--workers", type=count(1, 256), default=2, help="dask LocalCluster workers")
    t.add_argument("--scheduler", default=None, help="dask scheduler address, or 'sync' for no dask")
    t.add_argument("--no-cache", action="store_true", help="recompute every step (default: resume from cache)")
    t.add_argument("--out", default="tune_out", help="output folder")
    t.add_argument("--reach", action="store_true",
                   help="also the kinetic mixing reached over the tuning range (reach.png, reach.json)")
    t.add_argument("--t-sys-k", type=positive("K"), default=1.0, help="system noise temperature (K) for --reach")
    t.add_argument("--time-s", type=positive("s"), default=86400.0, help="total scan time (s) for --reach")
    t.add_argument("--snr", type=positive("1"), default=5.0, help="target SNR for --reach")
    t.add_argument("--beta", type=positive("1"), default=2.0, help="coupling beta for --reach (2: the scan optimum)")
    quiet(t)
    t.set_defaults(func=run_tune)


def _spec(path):

    return load_cavity_spec(path)


def _write_csv(path, rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    with atomic_path(path) as tmp:
        tmp.write_text(buf.getvalue())


def run_cavity(args) -> int:

    progress = Progress(args.quiet)
    spec = _spec(args.spec)
    out = Path(args.out)
    check_cavity_job(spec, order=args.order, solver=args.solver, size_m=args.mesh_size_m)
    modes = cavity_modes(spec, args.n_modes, near_hz=args.near_hz, order=args.order, solver=args.solver,
                         size_m=args.mesh_size_m, progress=progress)
    with progress.step("form factors and Q0") as info:
        rows = [{"index": i, **m.summary()} for i, m in enumerate(modes)]
        info["note"] = f"{len(rows)} modes"
    meta = provenance(spec=spec.to_dict(), spec_hash=spec.spec_hash(), solver=modes[0].solver,
                      order=modes[0].order, mesh_size_m=modes[0].mesh_size_m, n_dofs=modes[0].n_dofs,
                      volume_m3=spec.volume_m3, eigen_tolerance=1e-10)
    write_json(out / "modes.json", {"provenance": meta, "modes": rows})
    _write_csv(out / "modes.csv", rows)
    if not args.no_vtu:
        with progress.step("VTU of the mode fields"):
            write_modes_vtu(out / "modes.vtu", spec, modes, meta)
    with progress.step("PNG of |E| on cross sections"):
        save_figure(plot_modes(spec, modes), out / "modes_E.png")
    for r in rows:
        progress.say(f"  {r['index']:2d} {r['label']:10s} f = {r['freq_hz'] / 1e9:.6f} GHz  G_E x,y,z = "
                     f"{r['G_E_x']:.4f} {r['G_E_y']:.4f} {r['G_E_z']:.4f}  G_B,z = {r['G_B_z']:.2e}"
                     f"  Q0 = {r['Q0']:.0f}")
    progress.say(f"wrote {out}/modes.json, modes.csv{', modes.vtu' if not args.no_vtu else ''}, modes_E.png")
    return 0


def write_modes_vtu(path, spec, modes, provenance: dict | None = None) -> None:
    """Write every mode's E (real) and B (imaginary part, B = curl E / (i omega)) at the vertices of a linear
    tet mesh of the cavity, one point array per mode and field (opens in ParaView). Each mode is scaled to
    int |E|^2 dV = V (rms |E| = 1 V/m over the cavity); field data: units and normalisation as text, one line per
    mode (f, G_E along x, y, z, G_B, Q0) and the same numbers as arrays freq_hz, G_E (n, 3), G_B (n, 3), Q0."""

    mesh = volume_mesh(spec, default_mesh_size_m(spec, 3) / 1.5, order=1)
    pts = mesh.p.T
    data, lines = {}, []
    rows = [m.summary() for m in modes]
    for i, (m, r) in enumerate(zip(modes, rows)):
        scale = np.sqrt(spec.volume_m3 / m.energy_E())
        data[f"E_{i:02d}_{m.label}"] = np.nan_to_num(np.real(m.E(pts))) * scale
        data[f"B_{i:02d}_{m.label}"] = np.nan_to_num(np.imag(m.B(pts))) * scale
        lines.append(f"mode {i:02d} {m.label}: f = {m.freq_hz:.9g} Hz, G_E (x, y, z) = ({r['G_E_x']:.5g}, "
                     f"{r['G_E_y']:.5g}, {r['G_E_z']:.5g}), G_B (x, y, z) = ({r['G_B_x']:.3g}, {r['G_B_y']:.3g}, "
                     f"{r['G_B_z']:.3g}), Q0 = {r['Q0']:.6g}")
    text = {"units": ["E_NN_label: electric field in V/m; B_NN_label: Im B in tesla (B = curl E / (i omega), "
                      "a quarter period after E); coordinates in m"],
            "normalisation": [f"each mode scaled to int |E|^2 dV = V = {spec.volume_m3:.6g} m^3 (rms |E| = 1 V/m "
                              "over the cavity); B with the same factor"],
            "modes": lines}
    arrays = {"freq_hz": [r["freq_hz"] for r in rows], "Q0": [r["Q0"] for r in rows],
              "G_E": [[r["G_E_x"], r["G_E_y"], r["G_E_z"]] for r in rows],
              "G_B": [[r["G_B_x"], r["G_B_y"], r["G_B_z"]] for r in rows]}
    write_vtu(path, pts, "tetra", mesh.t.T, data, provenance, field_text=text, field_arrays=arrays)






def run_tune(args) -> int:

    progress = Progress(args.quiet)
    spec = _spec(args.spec)
    if args.reach:  # checked before the sweep
        for name in ("t_sys_k", "time_s", "snr", "beta"):
            require_positive(getattr(args, name), f"--{name.replace('_', '-')}", "")
    rods = getattr(spec, "rods", ())
    if not rods:
        raise SpecError(f"{args.spec}: tuning needs a cylinder cavity with at least one rod ([[cavity.rods]])")
    if args.rod >= len(rods):
        raise SpecError(f"--rod must be an index in [0, {len(rods) - 1}]; got {args.rod}")
    for name, value in (("--from-m", args.from_m), ("--to-m", args.to_m)):
        try:
            spec.with_rod(args.rod, position_m=value)
        except SpecError as err:
            raise SpecError(f"{name} {value:g} m: {err}") from None
    out = Path(args.out)
    check_cavity_job(spec, order=args.order, solver="auto", size_m=args.mesh_size_m)
    curve = tune(spec, args.rod, args.from_m, args.to_m, args.n_steps, n_modes=args.n_modes, order=args.order,
                 size_m=args.mesh_size_m, scheduler=args.scheduler, workers=args.workers, cache=not args.no_cache,
                 select=args.select, progress=progress)
    meta = provenance(spec=spec.to_dict(), spec_hash=spec.spec_hash(), rod=args.rod, order=args.order,
                      mesh_size_m=args.mesh_size_m)
    write_json(out / "tuning.json", {"provenance": meta, **curve.to_dict()})
    _write_csv(out / "tuning.csv", curve.rows())
    save_figure(plot_tuning(curve, spec), out / "tuning.png")
    progress.say(f"wrote {out}/tuning.json, tuning.csv, tuning.png")
    if args.reach:
        r = tuning_reach(curve, t_sys_k=args.t_sys_k, total_time_s=args.time_s, snr=args.snr,
                         volume_m3=spec.volume_m3, beta=args.beta)
        write_json(out / "reach.json", {"provenance": {**meta, "t_sys_k": args.t_sys_k, "total_time_s": args.time_s,
                                                       "snr": args.snr, "beta": args.beta, "polarization": "random"},
                                        "freq_hz": r.freq_hz, "eps": r.eps, "fom_m6": r.fom_m6, "dwell_s": r.dwell_s,
                                        "q_loaded": r.q_loaded, "g_e": r.g, "allocation": r.allocation})
        save_figure(plot_tuning_reach(r.freq_hz, r.eps, r.fom_m6, title=f"reach over the tuning range: T_sys = "
                                      f"{args.t_sys_k:g} K, {args.time_s / 3600:g} h, SNR {args.snr:g}"),
                    out / "reach.png")
        progress.say(f"reach: eps {np.nanmin(r.eps):.3g}-{np.nanmax(r.eps):.3g} over "
                     f"{r.freq_hz.min() / 1e9:.4g}-{r.freq_hz.max() / 1e9:.4g} GHz -> {out}/reach.png")
    return 0

