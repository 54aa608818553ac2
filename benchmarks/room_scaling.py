"""P2 on the AMAILS 2 m room from ~1e4 to ~1e6 DOFs: time per stage, peak memory, CG iterations,
and the wall-field change between levels. Each level runs in a fresh process (clean peak memory).

    python benchmarks/room_scaling.py [--max-dofs 1.2e6] [--compare-sa-up-to 4e5]

Prints a Markdown table and writes benchmarks/results/room_scaling.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

# bulk mesh sizes (m) with walls at half size: P2 DOFs 1.6e4, 5.3e4, 3.2e5, 1.0e6
LEVELS_M = (0.25, 0.15, 0.07, 0.044)
RESULTS = Path(__file__).parent / "results" / "room_scaling.json"


def run_level(size_m: float, preconditioner: str) -> dict:
    """One solve in this process; returns timings, iterations, memory and wall fields."""
    import numpy as np

    from amails_fem.geometry import box_room
    from amails_fem.rooms.solve import solve_room
    from amails_fem.units import MU0_H_M

    spec = box_room(2.0, 2.0, 2.0)
    t0 = time.perf_counter()
    resp = solve_room(spec, order=2, mesh_size_m=size_m, use_cache=False, preconditioner=preconditioner)
    total = time.perf_counter() - t0
    wall_centre = np.array([[0.99, 0.0, 0.0]])  # 10 mm from the x_max wall centre
    b = resp.b_field(wall_centre, "z")[0]
    st = resp.statistics()
    return {"size_m": size_m, "preconditioner": st["preconditioner"], "dofs": st["dofs"],
            "tetrahedra": st["tetrahedra"], "seconds": {**st["seconds"], "total": total},
            "cg_iterations": st["cg_iterations"], "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
            "wall_centre_field_mu0JL": float(np.linalg.norm(b) / (MU0_H_M * spec.size_m))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-dofs", type=float, default=1.2e6)
    ap.add_argument("--compare-sa-up-to", type=float, default=4e5, help="also run plain SA up to this many DOFs")
    ap.add_argument("--level", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--preconditioner", default="auto", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.level:
        print(json.dumps(run_level(args.level, args.preconditioner)))
        return 0
    rows = []
    for size in LEVELS_M:
        est = 3.2e5 * (0.07 / size) ** 2.5  # measured growth (the wall layer grows as h^-2)
        if est > args.max_dofs:
            break
        for pre in ("auto", "sa") if est <= args.compare_sa_up_to else ("auto",):
            out = subprocess.run([sys.executable, __file__, "--level", str(size), "--preconditioner", pre],
                                 capture_output=True, text=True, check=True, env={**os.environ, "OMP_NUM_THREADS": "2"})
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"  done: h = {size} m, {pre}", file=sys.stderr, flush=True)
    previous = None
    for row in rows:
        if row["preconditioner"].startswith("two-level"):
            f = row["wall_centre_field_mu0JL"]
            row["wall_field_change"] = None if previous is None else abs(f - previous) / f
            previous = f
    header = ("| h (m) | preconditioner | DOFs | tets | mesh s | assembly s | AMG setup s | 3-pol CG s | total s | "
              "CG its | peak GB | wall field / mu0JL | change |")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for r in rows:
        s = r["seconds"]
        change = r.get("wall_field_change")
        print(f"| {r['size_m']} | {r['preconditioner'].split(' (')[0]} | {r['dofs']:,} | {r['tetrahedra']:,} | {s['mesh']:.1f} | "
              f"{s['assembly']:.1f} | {s['preconditioner']:.1f} | {s['solve']:.1f} | {s['total']:.1f} | "
              f"{'/'.join(map(str, r['cg_iterations']))} | {r['peak_rss_gb']:.2f} | {r['wall_centre_field_mu0JL']:.5f} | "
              f"{'-' if change is None else f'{change:.1e}'} |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    from amails_fem.io.files import write_json
    from amails_fem.io.provenance import provenance

    write_json(RESULTS, {"provenance": provenance(machine_cores=os.cpu_count()), "levels": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
