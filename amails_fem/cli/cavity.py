"""`amails-fem cavity SPEC` (modes, form factors, VTU, PNG) and `amails-fem tune SPEC` (tuning curves).

Only composes stages: geometry.cavities -> physics.cavity / physics.tuning -> files (atomic writes).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from amails_fem.io import atomic_path, provenance, write_json


def register(subparsers) -> None:
    p = subparsers.add_parser("cavity", help="eigenmodes, form factors G_E/G_B and Q0 of a haloscope cavity")
    p.add_argument("spec", help="TOML file with a [cavity] table (see geometries/cavity_*.toml)")
    p.add_argument("--modes", type=int, default=6, help="number of modes (default 6)")
    p.add_argument("--near-hz", type=float, default=None, help="modes nearest this frequency (Hz)")
    p.add_argument("--order", type=int, default=2, help="element order (2D Lagrange 2-4, 3D Nedelec 1-2)")
    p.add_argument("--solver", choices=["auto", "cross-section", "3d"], default="auto")
    p.add_argument("--size-m", type=float, default=None, help="mesh element size (m)")
    p.add_argument("--out", default="amails_out/cavity", help="output directory")
    p.add_argument("--no-vtu", action="store_true", help="skip the VTU field export")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run_cavity)

    t = subparsers.add_parser("tune", help="tuning curve: sweep a rod's radial position, follow the modes")
    t.add_argument("spec", help="TOML file with a [cavity] table with rods")
    t.add_argument("--rod", type=int, default=0, help="index of the rod to move (default 0)")
    t.add_argument("--from-m", type=float, required=True, help="first radial position of the rod (m)")
    t.add_argument("--to-m", type=float, required=True, help="last radial position of the rod (m)")
    t.add_argument("--steps", type=int, default=20, help="number of positions (default 20)")
    t.add_argument("--modes", type=int, default=4, help="number of modes to follow (default 4)")
    t.add_argument("--select", choices=["coupling", "lowest"], default="coupling",
                   help="follow the modes with the largest G_E (default) or the lowest ones")
    t.add_argument("--order", type=int, default=2)
    t.add_argument("--size-m", type=float, default=None, help="mesh element size (m)")
    t.add_argument("--workers", type=int, default=2, help="dask LocalCluster workers (default 2)")
    t.add_argument("--scheduler", default=None, help="dask scheduler address, or 'sync' for no dask")
    t.add_argument("--no-cache", action="store_true", help="recompute every step (default: resume from cache)")
    t.add_argument("--out", default="amails_out/tune", help="output directory")
    t.add_argument("--quiet", action="store_true")
    t.set_defaults(func=run_tune)


def _spec(path):
    from amails_fem.geometry.cavities import load_cavity_spec

    return load_cavity_spec(path)


def _write_csv(path, rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    with atomic_path(path) as tmp:
        tmp.write_text(buf.getvalue())


def run_cavity(args) -> int:
    from amails_fem.physics.cavity import cavity_modes
    from amails_fem.progress import Progress

    progress = Progress(args.quiet)
    spec = _spec(args.spec)
    out = Path(args.out)
    modes = cavity_modes(spec, args.modes, near_hz=args.near_hz, order=args.order, solver=args.solver,
                         size_m=args.size_m, progress=progress)
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
        plot_modes_png(out / "modes_E.png", spec, modes)
    for r in rows:
        progress.say(f"  {r['index']:2d} {r['label']:10s} f = {r['freq_hz'] / 1e9:.6f} GHz  G_E,z = {r['G_E_z']:.4f}"
                     f"  G_B,z = {r['G_B_z']:.2e}  Q0 = {r['Q0']:.0f}")
    progress.say(f"wrote {out}/modes.json, modes.csv{', modes.vtu' if not args.no_vtu else ''}, modes_E.png")
    return 0


def write_modes_vtu(path, spec, modes, provenance: dict | None = None) -> None:
    """Write every mode's E (real) and B (imaginary part, B = curl E / (i omega)) at the vertices of a linear
    tet mesh of the cavity, one point array per mode and field (opens in ParaView)."""
    from amails_fem.geometry.cavities import default_mesh_size_m, volume_mesh
    from amails_fem.postprocess.vtu import write_vtu

    mesh = volume_mesh(spec, default_mesh_size_m(spec, 3) / 1.5, order=1)
    pts = mesh.p
    data = {}
    for i, m in enumerate(modes):
        e = np.nan_to_num(np.real(m.E(pts)))
        b = np.nan_to_num(np.imag(m.B(pts)))
        data[f"E_{i:02d}_{m.label}"] = e.T
        data[f"B_{i:02d}_{m.label}"] = b.T
    write_vtu(path, pts.T, "tetra", mesh.t.T, data, provenance)


def _section_grid(spec, n=48):
    """Points of the mid-height cross-section and of the side section y = 0 (each (3, n*n)), and extents."""
    from amails_fem.geometry.cavities import RectangularCavity

    if isinstance(spec, RectangularCavity):
        xr, yr = (-spec.a_m / 2, spec.a_m / 2), (-spec.b_m / 2, spec.b_m / 2)
    else:
        R = spec.radius_m
        xr = (-R, R)
        yr = (0.0, R) if spec.shape == "half_cylinder" else (-R, R)
    h = spec.height_m
    xs = np.linspace(*xr, n)
    ys = np.linspace(*yr, n)
    zs = np.linspace(0, h, n)
    X, Y = np.meshgrid(xs, ys)
    top = np.vstack([X.ravel(), Y.ravel(), np.full(X.size, h / 2)])
    X2, Z2 = np.meshgrid(xs, zs)
    yside = 1e-3 * (yr[1] - yr[0]) + (yr[0] if spec.shape == "half_cylinder" else 0.0)
    side = np.vstack([X2.ravel(), np.full(X2.size, yside), Z2.ravel()])
    return top, side, (xr, yr, (0.0, h)), n


def plot_modes_png(path, spec, modes) -> None:
    """|E| of each mode on the mid-height cross-section (top row) and on the plane y = 0 (bottom row)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top, side, (xr, yr, zr), n = _section_grid(spec)
    k = len(modes)
    fig, axes = plt.subplots(2, k, figsize=(2.4 * k, 5.2), squeeze=False)
    for i, m in enumerate(modes):
        for row, (pts, ext) in enumerate(((top, (*xr, *yr)), (side, (*xr, *zr)))):
            e = np.linalg.norm(np.real(m.E(pts)), axis=0).reshape(n, n)
            ax = axes[row, i]
            ax.imshow(e, origin="lower", extent=ext, cmap="magma", aspect="equal")
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f"{m.label}\n{m.freq_hz / 1e9:.4f} GHz", fontsize=8)
    axes[0, 0].set_ylabel("z = h/2 (x-y)", fontsize=8)
    axes[1, 0].set_ylabel("y = 0 (x-z)", fontsize=8)
    fig.suptitle(f"|E| of the cavity modes ({modes[0].solver} solver)", fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def run_tune(args) -> int:
    from amails_fem.physics.tuning import tune
    from amails_fem.progress import Progress

    progress = Progress(args.quiet)
    spec = _spec(args.spec)
    out = Path(args.out)
    curve = tune(spec, args.rod, args.from_m, args.to_m, args.steps, n_modes=args.modes, order=args.order,
                 size_m=args.size_m, scheduler=args.scheduler, workers=args.workers, cache=not args.no_cache,
                 select=args.select, progress=progress)
    meta = provenance(spec=spec.to_dict(), spec_hash=spec.spec_hash(), rod=args.rod, order=args.order,
                      mesh_size_m=args.size_m)
    write_json(out / "tuning.json", {"provenance": meta, **curve.to_dict()})
    _write_csv(out / "tuning.csv", curve.rows())
    plot_tuning_png(out / "tuning.png", curve, spec)
    progress.say(f"wrote {out}/tuning.json, tuning.csv, tuning.png")
    return 0


def plot_tuning_png(path, curve, spec=None) -> None:
    """Frequency (top) and G_E along z (bottom) of every followed mode against rod position; crossings marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = curve.positions_m * 1e3
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(6.4, 6.2), sharex=True)
    for j in range(curve.freq_hz.shape[1]):
        lab = curve.labels[0][j]
        a1.plot(x, curve.freq_hz[:, j] / 1e9, "o-", ms=3, label=f"track {j} ({lab})")
        a2.plot(x, curve.g_e[:, j], "o-", ms=3)
    for c in curve.crossings:
        a1.plot(c["position_m"] * 1e3, c["freq_hz"] / 1e9, "kx", ms=9, mew=2)
    if curve.crossings:
        a1.plot([], [], "kx", label="crossing")
    a1.set_ylabel("frequency (GHz)")
    a2.set_ylabel("G_E along z (eq. 58)")
    a2.set_xlabel(f"radial position of rod {curve.rod} (mm)")
    a1.legend(fontsize=7, ncol=2)
    title = "tuning curve" + (f": {spec.name}" if spec is not None and spec.name else "")
    a1.set_title(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
