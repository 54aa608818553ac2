"""Benchmark (issue 5): the AMAILS room with its real 5-layer stack on 50 log-spaced frequencies (1-500 Hz), ~3e5 P2.

Measures in one run, on the same mesh, after a discarded full-size warm-up: one perfect-conductor solve (solve_room,
3 polarizations; --repeats runs alternating with the grid, median reported; its algebraic error from a tol = 1e-12
solve); the 50-frequency
grid (reduced basis over real-shift snapshots, the default); optionally the same grid with exact complex snapshots
(the previous method, --complex-grid); and a handful of independent exact complex solves (one solve_impedance_room
per frequency with snapshots="complex": mesh from cache, assembly, complex GMRES), scaled to 50. Peak memory is the
process's peak RSS during each stage (VmHWM, reset between stages; first run of each, so it includes what earlier
stages left resident: an upper bound). Prints a table and writes
benchmarks/results/walls_frequency.json.
Usage: python benchmarks/walls_frequency.py [--size 0.07] [--wall-size 0.035] [--independent 3] [--complex-grid]
       [--repeats 3]
"""

import argparse
import time
from pathlib import Path

import numpy as np

from amails_fem import walls as W
from amails_fem.geometry.spec import load_spec
from amails_fem.io import provenance, write_json
from amails_fem.mesh import mesh_room
from amails_fem.physics.impedance_room import solve_impedance_room
from amails_fem.physics.room import solve_room

ROOT = Path(__file__).resolve().parents[1]


def reset_peak():
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux)
    except OSError:
        pass


def peak_gb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1e6
    return float("nan")


def timed(fn):
    reset_peak()
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0, peak_gb()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=float, default=0.07)
    ap.add_argument("--wall-size", type=float, default=0.035)
    ap.add_argument("--independent", type=int, default=3, help="independent exact complex solves to time (<= 50)")
    ap.add_argument("--complex-grid", action="store_true", help="also time the grid with complex snapshots")
    ap.add_argument("--repeats", type=int, default=3, help="perfect-conductor and grid runs (median reported)")
    args = ap.parse_args()
    spec_path = ROOT / "geometries" / "amails_room_mumetal.toml"
    spec, stack = load_spec(spec_path), W.load_walls(spec_path)
    freqs = np.geomspace(1, 500, 50)
    kw = {"mesh_size_m": args.size, "wall_size_m": args.wall_size, "order": 2}
    mesh_room(spec, size_m=args.size, wall_size_m=args.wall_size, order=2)  # warm the mesh cache
    # warm-up at full size (discarded): the first large solve of a process also pays for growing its heap
    pec_tight = solve_room(spec, tol=1e-12, **kw)
    runs_pec, runs_grid = [], []
    for _ in range(max(1, args.repeats)):  # alternate, report the median (the machine is shared)
        pec, t, m = timed(lambda: solve_room(spec, **kw))
        runs_pec.append((t, m))
        real, t, m = timed(lambda: solve_impedance_room(spec, wall=stack, freqs_hz=freqs, **kw))
        runs_grid.append((t, m))
    # peak memory: the first run of each (later runs start from the heap the previous stages left resident)
    t_pec, m_pec = float(np.median([r[0] for r in runs_pec])), runs_pec[0][1]
    t_grid, m_grid = float(np.median([r[0] for r in runs_grid])), runs_grid[0][1]
    pts = np.array([[0.95, 0.0, 0.0], [0.95, 0.5, 0.0], [0.95, 0.95, 0.0], [0.0, 0.0, 0.95]])
    R = real.response_matrix(pts)
    Rp, Rp_tight = pec.response_matrix(pts), pec_tight.response_matrix(pts)
    err_pec = float(np.abs(Rp - Rp_tight).max() / np.abs(Rp_tight).max())  # algebraic error at tol 1e-10
    rows = [(f"perfect conductor, 1 solve (3 pol.), median of {len(runs_pec)}", t_pec, m_pec, 1, "",
             pec.solve.iterations)]
    st = real.statistics()
    rows.append((f"real walls, 50 f, reduced basis (real snapshots), median of {len(runs_grid)}", t_grid, m_grid,
                 st["full_solves"],
                 st["basis_size"], real.stats.iterations))
    out = {"grid_real_snapshots": {"seconds": t_grid, "peak_rss_gb": m_grid, "full_solves": st["full_solves"],
                                   "kinds": real.stats.kinds, "basis_size": st["basis_size"],
                                   "cg_iterations": real.stats.iterations, "amg_setups": real.stats.amg_setups,
                                   "max_relative_residual": st["max_relative_residual"],
                                   "timings": real.timings_s, "solver_seconds": real.stats.seconds}}
    if args.complex_grid:
        cplx, t_c, m_c = timed(lambda: solve_impedance_room(spec, wall=stack, freqs_hz=freqs, snapshots="complex",
                                                            **kw))
        d = float(np.abs(cplx.response_matrix(pts) - R).max() / np.abs(R).max())
        rows.append(("real walls, 50 f, reduced basis (complex snapshots, before)", t_c, m_c,
                     cplx.stats.full_solves, cplx.stats.basis_size, cplx.stats.iterations))
        out["grid_complex_snapshots"] = {"seconds": t_c, "peak_rss_gb": m_c, "full_solves": cplx.stats.full_solves,
                                         "basis_size": cplx.stats.basis_size, "max_rel_diff_to_real": d,
                                         "gmres_iterations": cplx.stats.iterations, "timings": cplx.timings_s}
    pick = np.unique(np.linspace(0, 49, max(1, min(50, args.independent))).round().astype(int))
    errs, t_ind, m_ind = [], 0.0, 0.0
    for k in pick:
        one, t, m = timed(lambda k=k: solve_impedance_room(spec, wall=stack, freqs_hz=[freqs[k]],
                                                           snapshots="complex", **kw))
        t_ind, m_ind = t_ind + t, max(m_ind, m)
        Rk = one.response_matrix(pts)[0]
        errs.append(float(np.abs(R[k] - Rk).max() / np.abs(Rk).max()))
    t_ind50 = t_ind * 50 / len(pick)
    rows.append((f"real walls, 50 independent exact complex solves ({len(pick)} timed, x50/{len(pick)})", t_ind50,
                 m_ind, 50, "", None))
    print(f"AMAILS room, P2, {st['dofs']} DOFs, 50 frequencies 1-500 Hz, stack: {stack.name}")
    print(f"{'run':76s} {'seconds':>8s} {'peak GB':>8s} {'full solves':>11s} {'basis':>6s} {'/ PEC':>6s}")
    for name, sec, mem, nfull, nb, _its in rows:
        print(f"{name:76s} {sec:8.1f} {mem:8.2f} {nfull:>11} {nb!s:>6s} {sec / t_pec:6.2f}")
    print(f"grid / perfect = {t_grid / t_pec:.2f} (target < 3); max rel. diff grid vs independent exact solves "
          f"{max(errs):.1e} (f = {', '.join(f'{freqs[k]:.3g}' for k in pick)} Hz), perfect conductor at tol 1e-10 "
          f"vs 1e-12 {err_pec:.1e}; snapshot kinds {real.stats.kinds}")
    write_json(ROOT / "benchmarks" / "results" / "walls_frequency.json", {
        "provenance": provenance(spec=str(spec_path.name), spec_hash=spec.spec_hash(), tolerance=1e-10,
                                 mesh_size_m=args.size, wall_size_m=args.wall_size, order=2),
        "dofs": st["dofs"], "n_freqs": 50,
        "seconds": {"perfect": t_pec, "grid": t_grid, "independent_50_scaled": t_ind50},
        "runs_seconds": {"perfect": [r[0] for r in runs_pec], "grid": [r[0] for r in runs_grid]},
        "runs_peak_rss_gb": {"perfect": [r[1] for r in runs_pec], "grid": [r[1] for r in runs_grid]},
        "peak_rss_gb": {"perfect": m_pec, "grid": m_grid, "independent": m_ind},
        "grid_over_perfect": t_grid / t_pec, "independent_timed": len(pick),
        "max_rel_diff_perfect_tol_1e-10_vs_1e-12": err_pec,
        "independent_freqs_hz": [float(freqs[k]) for k in pick], "max_rel_diff_grid_vs_independent": max(errs),
        "perfect_timings": pec.timings_s, "perfect_cg_iterations": pec.solve.iterations, **out})


if __name__ == "__main__":
    main()
