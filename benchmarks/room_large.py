"""The largest room solve: P2 on the AMAILS 2 m room at ~1e7 DOFs, meshed by the structured box mesher (no gmsh),
three polarizations, in a fresh process; prints DOFs, seconds per stage, CG iterations and the peak memory, and
writes benchmarks/results/room_large.json (read by benchmarks/summary.py for the 1e7-DOF target).

    python benchmarks/room_large.py [--size-m 0.0194] [--memory-gb 60] [--repeats 1] [--name room_large]

With --size-m 0.044 --repeats 3 --name room_1e6_structured it measures the 1e6-DOF room on the structured mesh
(medians of fresh processes), which benchmarks/summary.py reports beside the gmsh levels.

--memory-gb sets AMAILS_FEM_MEMORY_GB for the run: the memory guard's per-DOF model covers the whole `amails-fem
room` command (VTU and map writers included) and refuses this solve-only run on a 24 GB machine otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from summary import after_meshing  # benchmarks/summary.py, beside this script

HERE = Path(__file__).parent
NEW = {"assembly": "csr", "numbering": "local", "method": "block", "coarse_dtype": "float32"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-m", type=float, default=0.0194, help="bulk mesh size (m), walls at half of it")
    ap.add_argument("--repeats", type=int, default=1, help="fresh processes; the row is the median run")
    ap.add_argument("--name", default="room_large", help="results file benchmarks/results/NAME.json")
    ap.add_argument("--memory-gb", type=float, default=None)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": str(args.threads)}
    if args.memory_gb is not None:
        env["AMAILS_FEM_MEMORY_GB"] = str(args.memory_gb)
    cmd = [sys.executable, str(HERE / "room_scaling.py"), "--level", str(args.size_m), "--opts", json.dumps(NEW),
           "--generator", "structured"]
    runs = []
    for _ in range(args.repeats):
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if out.returncode != 0:
            print(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}")
            return out.returncode
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))

    runs.sort(key=lambda r: after_meshing(r["seconds"]))
    row = runs[len(runs) // 2]
    s = row["seconds"]
    after = after_meshing(s)
    print("| DOFs | tetrahedra | mesh s | assembly s | AMG setup s | 3-pol CG s | after meshing s | CG its | peak GB |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {row['dofs']:,} | {row['tetrahedra']:,} | {s['mesh']:.1f} | {s['assembly']:.1f} "
          f"| {s['preconditioner']:.1f} "
          f"| {s['solve']:.1f} | {after:.1f} | {max(row['cg_iterations'])} | {row['peak_rss_gb']:.2f} |")
    from amails_fem.io.files import write_json
    from amails_fem.io.provenance import provenance

    print("after meshing, every run (s): " + ", ".join(f"{after_meshing(r['seconds']):.2f}" for r in runs))
    record = {"row": row, "after_meshing_s_runs": [after_meshing(r["seconds"]) for r in runs], "threads": args.threads,
              "provenance": provenance()}
    write_json(HERE / "results" / f"{args.name}.json", record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
