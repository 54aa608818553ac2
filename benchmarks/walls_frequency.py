"""Benchmark (issue 5): the AMAILS room with its real 5-layer stack on 50 log-spaced frequencies (1-500 Hz).

Compares: one perfect-conductor solve; the reduced-basis frequency grid; independent full solves (one per frequency,
each a complete solve_room call reusing the cached mesh). Prints a table, writes benchmarks/results/walls_frequency.json.
Usage: python benchmarks/walls_frequency.py [--size 0.085] [--wall-size 0.0425] [--independent 50]
"""

import argparse
import resource
import time
from pathlib import Path

import numpy as np

from amails_fem import walls as W
from amails_fem.geometry.spec import load_spec
from amails_fem.io import provenance, write_json
from amails_fem.physics.room import solve_room

ROOT = Path(__file__).resolve().parents[1]


def rss_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=float, default=0.14)
    ap.add_argument("--wall-size", type=float, default=0.07)
    ap.add_argument("--independent", type=int, default=50, help="independent solves to time (<= 50)")
    args = ap.parse_args()
    spec_path = ROOT / "geometries" / "amails_room_mumetal.toml"
    spec, stack = load_spec(spec_path), W.load_walls(spec_path)
    freqs = np.geomspace(1, 500, 50)
    kw = dict(mesh_size_m=args.size, wall_size_m=args.wall_size, order=2)
    solve_room(spec, **kw)  # warm the mesh cache, imports
    t0 = time.perf_counter()
    pec = solve_room(spec, **kw)
    t_pec = time.perf_counter() - t0
    t0 = time.perf_counter()
    real = solve_room(spec, wall=stack, freqs_hz=freqs, **kw)
    t_grid = time.perf_counter() - t0
    mem_grid = rss_gb()
    pts = np.array([[0.95, 0.0, 0.0], [0.95, 0.5, 0.0], [0.95, 0.95, 0.0], [0.0, 0.0, 0.95]])
    R = real.response_matrix(pts)
    pick = np.unique(np.linspace(0, 49, max(1, min(50, args.independent))).round().astype(int))
    t0 = time.perf_counter()
    errs = []
    for k in pick:
        one = solve_room(spec, wall=stack, freqs_hz=[freqs[k]], **kw)
        Rk = one.response_matrix(pts)[0]
        errs.append(float(np.abs(R[k] - Rk).max() / np.abs(Rk).max()))
    t_ind = (time.perf_counter() - t0) * 50 / len(pick)
    st = real.statistics()
    rows = [("perfect conductor, 1 solve (3 pol.)", t_pec, ""),
            ("real walls, 50 f, reduced basis", t_grid, f"{st['full_solves']} full solves, basis {st['basis_size']}"),
            (f"real walls, 50 independent solves{'' if len(pick) == 50 else f' ({len(pick)} timed, x50/{len(pick)})'}",
             t_ind, f"max rel. diff to grid {max(errs):.1e}")]
    print(f"AMAILS room, P2, {st['dofs']} DOFs, 50 frequencies 1-500 Hz, stack: {stack.name}")
    print(f"{'run':58s} {'seconds':>9s}  notes")
    for name, sec, note in rows:
        print(f"{name:58s} {sec:9.1f}  {note}")
    print(f"grid / perfect = {t_grid / t_pec:.2f} (target < 3);  independent / grid = {t_ind / t_grid:.1f};"
          f"  peak RSS {mem_grid:.2f} GB")
    write_json(ROOT / "benchmarks" / "results" / "walls_frequency.json", {
        "provenance": provenance(spec=str(spec_path.name), spec_hash=spec.spec_hash(), tolerance=1e-10,
                                 mesh_size_m=args.size, wall_size_m=args.wall_size, order=2),
        "dofs": st["dofs"], "seconds": {"perfect": t_pec, "grid": t_grid, "independent_50": t_ind},
        "grid_over_perfect": t_grid / t_pec, "independent_timed": len(pick), "max_rel_diff": max(errs),
        "full_solves": st["full_solves"], "basis_size": st["basis_size"], "peak_rss_gb": mem_grid,
        "grid_timings": real.timings_s, "perfect_timings": pec.timings_s})


if __name__ == "__main__":
    main()
