"""Benchmark: the AMAILS room with its open door into the 0.1 m gap (geometries/amails_room_door.toml) against the
same room closed, at the default accuracy (the specs' mesh: 0.2 m bulk, 0.1 m walls, P2).

Each case is meshed without the cache (gmsh included in the time) and solved (3 polarizations), --repeats times;
medians per stage. Also prints the door room's DOFs and the change of the wall-centre field. Writes
benchmarks/results/room_door.json.
Usage: python benchmarks/room_door.py [--repeats 3]
"""

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from amails_fem import units
from amails_fem.rooms.solve import solve_room
from amails_fem.specs.loader import load_spec

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "geometries" / "amails_room_door.toml"


def run(spec):
    t0 = time.perf_counter()
    resp = solve_room(spec, order=spec.mesh.order, use_cache=False)
    total = time.perf_counter() - t0
    return resp, {"total": total, **{k: float(v) for k, v in resp.timings_s.items()}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    door = load_spec(SPEC)
    closed = dataclasses.replace(door, openings=())
    run(closed), run(door)  # warm-up: imports, first-touch
    rows = {}
    for name, spec in (("closed", closed), ("door", door)):
        times = []
        for _ in range(args.repeats):
            resp, t = run(spec)
            times.append(t)
        med = {k: float(np.median([t[k] for t in times])) for k in times[0]}
        point = [[0.0, -0.95, 0.0]]  # the AMAILS sensor SZ12, 5 cm from the door wall's centre
        b = np.linalg.norm(resp.b_field(point, "z")) / (units.MU0_H_M * spec.size_m)
        rows[name] = {"dofs": int(resp.basis.N), "tetrahedra": int(resp.room_mesh.n_elements),
                      "cg_iterations": resp.solve.iterations, "seconds": med, "B_SZ12_pz_mu0JL": float(b)}
        print(f"{name:6s} {resp.basis.N:7d} DOFs  mesh {med['mesh']:.2f} s  assembly {med['assembly']:.2f} s  "
              f"solve {med['preconditioner'] + med['solve']:.2f} s  total {med['total']:.2f} s  "
              f"|B(SZ12)| p=z {b:.4f} mu0 J L")
    ratio = rows["door"]["seconds"]["total"] / rows["closed"]["seconds"]["total"]
    print(f"door / closed: {ratio:.2f} x the time, {rows['door']['dofs'] / rows['closed']['dofs']:.2f} x the DOFs")
    out = ROOT / "benchmarks" / "results" / "room_door.json"
    out.write_text(json.dumps({"spec": str(SPEC.relative_to(ROOT)), "repeats": args.repeats, "cases": rows,
                               "time_ratio": ratio}, indent=1))


if __name__ == "__main__":
    main()
