"""Benchmark: the AMAILS room with its real 5-layer stack on 50 log-spaced frequencies (1-500 Hz), ~3e5 P2.

Every measured run is its own fresh Python process (imports done and the mesh cached before the clock starts), so
each pays the same start-up costs (heap growth, first-touch pages) and reports its own peak memory (VmHWM):
- one perfect-conductor solve (solve_room, 3 polarizations), and the 50-frequency grid (reduced basis over real-shift
  snapshots, the default), alternating --repeats times, medians reported;
- optionally the same grid with exact complex snapshots (the earlier method, --complex-grid);
- a handful of independent exact complex solves (one solve_impedance_room per frequency with snapshots="complex"),
  scaled to 50.
Accuracy: the grid against the independent exact solves, and the perfect conductor's algebraic error (tol 1e-10
against 1e-12). Prints a table and writes benchmarks/results/walls_frequency.json.
--one-process instead times the perfect conductor and the grid back to back in this process (after a warm-up of
each), the way a script solving both would see them, and prints the medians only.
Usage: python benchmarks/walls_frequency.py [--size 0.07] [--wall-size 0.035] [--independent 3] [--complex-grid]
       [--repeats 3] [--one-process]
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "geometries" / "amails_room_mumetal.toml"
FREQS_HZ = np.geomspace(1, 500, 50)
POINTS_M = np.array([[0.95, 0.0, 0.0], [0.95, 0.5, 0.0], [0.95, 0.95, 0.0], [0.0, 0.0, 0.95]])


def peak_gb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1e6
    return float("nan")


def worker(kind, size, wall_size, freq_index):
    """One measured run in this (fresh) process; prints a JSON line."""
    from amails_fem import walls as W
    from amails_fem.rooms.impedance import solve_impedance_room
    from amails_fem.rooms.solve import solve_room
    from amails_fem.specs.loader import load_spec

    spec, stack = load_spec(SPEC), W.load_walls(SPEC)
    kw = {"mesh_size_m": size, "wall_size_m": wall_size, "order": 2}
    t0 = time.perf_counter()
    if kind in ("perfect", "perfect_tight"):
        res = solve_room(spec, tol=1e-12 if kind == "perfect_tight" else 1e-10, **kw)
        seconds = time.perf_counter() - t0
        R = res.response_matrix(POINTS_M)[None]
        info = {"timings": res.timings_s, "cg_iterations": res.solve.iterations, "dofs": int(res.basis.N)}
    else:
        freqs = FREQS_HZ if kind in ("grid", "grid_complex") else FREQS_HZ[[freq_index]]
        res = solve_impedance_room(spec, wall=stack, freqs_hz=freqs,
                                   snapshots="real" if kind == "grid" else "complex", **kw)
        seconds = time.perf_counter() - t0
        R = res.response_matrix(POINTS_M)
        st = res.stats
        info = {"timings": res.timings_s, "solver_seconds": st.seconds, "full_solves": st.full_solves,
                "kinds": st.kinds, "basis_size": st.basis_size, "iterations": st.iterations,
                "max_relative_residual": st.max_relative_residual, "dofs": int(res.basis.N)}
    print(json.dumps({"seconds": seconds, "peak_rss_gb": peak_gb(), "R_re": R.real.tolist(), "R_im": R.imag.tolist(),
                      **info}))


def one_process(args):
    """Perfect conductor and grid alternating in this process after one warm-up run of each; medians."""
    from amails_fem import walls as W
    from amails_fem.rooms.impedance import solve_impedance_room
    from amails_fem.rooms.solve import solve_room
    from amails_fem.specs.loader import load_spec

    spec, stack = load_spec(SPEC), W.load_walls(SPEC)
    kw = {"mesh_size_m": args.size, "wall_size_m": args.wall_size, "order": 2}
    solvers = {"perfect": lambda: solve_room(spec, **kw),
               "grid": lambda: solve_impedance_room(spec, wall=stack, freqs_hz=FREQS_HZ, **kw)}
    seconds = {kind: [] for kind in solvers}
    for k in range(max(1, args.repeats) + 1):
        for kind, solve in solvers.items():
            t0 = time.perf_counter()
            solve()
            if k:  # run 0 is the warm-up
                seconds[kind].append(time.perf_counter() - t0)
    med = {kind: float(np.median(s)) for kind, s in seconds.items()}
    print(f"one process, medians of {args.repeats}: perfect {med['perfect']:.1f} s, grid {med['grid']:.1f} s, "
          f"grid / perfect = {med['grid'] / med['perfect']:.2f}; runs {seconds}")


def run(kind, args, freq_index=-1):
    """Start one worker process and return its result (R as a complex array)."""
    cmd = [sys.executable, __file__, "--worker", kind, "--freq-index", str(freq_index), "--size", str(args.size),
           "--wall-size", str(args.wall_size)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    res = json.loads(out)
    res["R"] = np.array(res.pop("R_re")) + 1j * np.array(res.pop("R_im"))
    return res


def rel_diff(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=float, default=0.07)
    ap.add_argument("--wall-size", type=float, default=0.035)
    ap.add_argument("--independent", type=int, default=3, help="independent exact complex solves to time (<= 50)")
    ap.add_argument("--complex-grid", action="store_true", help="also time the grid with complex snapshots")
    ap.add_argument("--repeats", type=int, default=3, help="perfect-conductor and grid runs (median reported)")
    ap.add_argument("--one-process", action="store_true", help="time both back to back in this process instead")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--freq-index", type=int, default=-1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker, args.size, args.wall_size, args.freq_index)
    if args.one_process:
        return one_process(args)

    from amails_fem import walls as W
    from amails_fem.io.files import write_json
    from amails_fem.io.provenance import provenance
    from amails_fem.meshing.rooms import mesh_room
    from amails_fem.specs.loader import load_spec

    spec, stack = load_spec(SPEC), W.load_walls(SPEC)
    mesh_room(spec, size_m=args.size, wall_size_m=args.wall_size, order=2)  # the mesh cache, shared by all runs
    tight = run("perfect_tight", args)
    runs = {"perfect": [], "grid": []}
    for k in range(max(1, args.repeats)):  # alternate, report medians (the machine may be shared)
        for kind in runs:
            runs[kind].append(run(kind, args))
            print(f"  run {k + 1}: {kind} {runs[kind][-1]['seconds']:.1f} s", flush=True)
    med = {kind: float(np.median([r["seconds"] for r in rs])) for kind, rs in runs.items()}
    pec, grid = runs["perfect"][-1], runs["grid"][-1]
    err_pec = rel_diff(pec["R"], tight["R"])
    rows = [(f"perfect conductor, 1 solve (3 pol.), median of {args.repeats}", med["perfect"], pec, 1, "-"),
            (f"real walls, 50 f, reduced basis (real snapshots), median of {args.repeats}", med["grid"], grid,
             grid["full_solves"], grid["basis_size"])]
    out = {}
    if args.complex_grid:
        cplx = run("grid_complex", args)
        rows.append(("real walls, 50 f, reduced basis (complex snapshots, earlier method)", cplx["seconds"], cplx,
                     cplx["full_solves"], cplx["basis_size"]))
        out["grid_complex_snapshots"] = {k: v for k, v in cplx.items() if k != "R"}
        out["grid_complex_snapshots"]["max_rel_diff_to_real"] = rel_diff(cplx["R"], grid["R"])
    pick = np.unique(np.linspace(0, 49, max(1, min(50, args.independent))).round().astype(int))
    ind = [run("independent", args, int(k)) for k in pick]
    errs = [rel_diff(grid["R"][k], one["R"][0]) for k, one in zip(pick, ind)]
    t_ind50 = sum(one["seconds"] for one in ind) * 50 / len(pick)
    rows.append((f"real walls, 50 independent exact complex solves ({len(pick)} timed, x50/{len(pick)})", t_ind50,
                 max(ind, key=lambda r: r["peak_rss_gb"]), 50, "-"))
    print(f"AMAILS room, P2, {grid['dofs']} DOFs, 50 frequencies 1-500 Hz, stack: {stack.name}; one process per run")
    print(f"{'run':76s} {'seconds':>8s} {'peak GB':>8s} {'full solves':>11s} {'basis':>6s} {'/ PEC':>6s}")
    for name, sec, res, nfull, nb in rows:
        print(f"{name:76s} {sec:8.1f} {res['peak_rss_gb']:8.2f} {nfull:>11} {nb!s:>6s} {sec / med['perfect']:6.2f}")
    print(f"grid / perfect = {med['grid'] / med['perfect']:.2f} (target <= 2); max rel. diff grid vs independent exact "
          f"solves {max(errs):.1e} (f = {', '.join(f'{FREQS_HZ[k]:.3g}' for k in pick)} Hz); perfect conductor "
          f"at tol 1e-10 vs 1e-12: {err_pec:.1e}; CG iterations: grid {sum(grid['iterations'])}, "
          f"perfect {sum(pec['cg_iterations'])}")
    strip = lambda r: {k: v for k, v in r.items() if k != "R"}  # noqa: E731
    write_json(ROOT / "benchmarks" / "results" / "walls_frequency.json", {
        "provenance": provenance(spec=SPEC.name, spec_hash=spec.spec_hash(), tolerance=1e-10, mesh_size_m=args.size,
                                 wall_size_m=args.wall_size, order=2, one_process_per_run=True),
        "dofs": grid["dofs"], "n_freqs": 50,
        "seconds": {"perfect": med["perfect"], "grid": med["grid"], "independent_50_scaled": t_ind50},
        "grid_over_perfect": med["grid"] / med["perfect"],
        "runs_seconds": {kind: [r["seconds"] for r in rs] for kind, rs in runs.items()},
        "runs_peak_rss_gb": {kind: [r["peak_rss_gb"] for r in rs] for kind, rs in runs.items()},
        "independent_freqs_hz": [float(FREQS_HZ[k]) for k in pick],
        "max_rel_diff_grid_vs_independent": max(errs), "max_rel_diff_perfect_tol_1e-10_vs_1e-12": err_pec,
        "perfect": strip(pec), "grid_real_snapshots": strip(grid),
        "independent": [strip(r) for r in ind], **out})


if __name__ == "__main__":
    main()
