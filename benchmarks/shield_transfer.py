"""Benchmark: T(r, f) of the AMAILS five-layer mu-metal room (geometries/amails_room_mumetal.toml) on 50 log-spaced
frequencies 1-500 Hz, at the spec's mesh and a coarser one, beside the impedance-wall room grid at the same mesh.

Prints a table (DOFs, snapshots, seconds for mesh / assembly / solves, peak memory, |T| and S at 1, 10, 100, 500 Hz at
the centre and near a wall) and writes benchmarks/results/shield_transfer.json.
Usage: python benchmarks/shield_transfer.py [--sizes 0.2,0.3]
"""

import argparse
import resource
import time
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "geometries" / "amails_room_mumetal.toml"
FREQS_HZ = np.geomspace(1, 500, 50)
POINTS_M = np.array([[0.0, 0.0, 0.0], [0.9, 0.0, 0.0]])
SHOW_HZ = (1.0, 10.0, 100.0, 500.0)


def main():
    from amails_fem.io.files import write_json
    from amails_fem.io.provenance import provenance
    from amails_fem.rooms.solve import solve_room
    from amails_fem.rooms.transfer import solve_shield_transfer
    from amails_fem.specs import walls as W
    from amails_fem.specs.rooms import load_spec

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="0.3,0.2", help="room mesh sizes (m); layers at half of it (<= the gap)")
    args = ap.parse_args()
    spec, stack = load_spec(SPEC), W.load_walls(SPEC)
    idx = [int(np.argmin(np.abs(FREQS_HZ - f))) for f in SHOW_HZ]
    out = {"provenance": provenance(spec=str(SPEC.name), freqs_hz=FREQS_HZ), "runs": []}
    for h in [float(x) for x in args.sizes.split(",")]:
        row = {"mesh_size_m": h}
        t0 = time.perf_counter()
        try:
            res = solve_shield_transfer(spec, stack, FREQS_HZ, mesh_size_m=h, shell_size_m=min(0.1, h / 2),
                                        quiet=False)
            T = res.transfer_matrix(POINTS_M)
            row.update(seconds=time.perf_counter() - t0, stats=res.statistics(),
                       abs_T_centre={f"{FREQS_HZ[i]:.3g}": np.abs(np.diagonal(T[i, 0])).tolist() for i in idx},
                       abs_T_wall={f"{FREQS_HZ[i]:.3g}": np.abs(T[i, 1]).max() for i in idx},
                       S_centre={f"{FREQS_HZ[i]:.3g}": (1 / np.abs(np.diagonal(T[i, 0]))).tolist() for i in idx})
        except Exception as err:  # recorded, not hidden: the table says what failed
            row.update(seconds=time.perf_counter() - t0, error=f"{type(err).__name__}: {str(err.args[0])[:300]}")
            traceback.print_exc()
        t0 = time.perf_counter()
        grid = solve_room(spec, wall=stack, freqs_hz=FREQS_HZ, mesh_size_m=h, wall_size_m=min(0.1, h / 2))
        row["own_field_grid"] = {"seconds": time.perf_counter() - t0, "dofs": int(grid.basis.N),
                                 "full_solves": grid.stats.full_solves}
        row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out["runs"].append(row)
        print(f"mesh {h} m: shield {row['seconds']:.1f} s ({row.get('error', 'ok')}), own-field grid "
              f"{row['own_field_grid']['seconds']:.1f} s ({row['own_field_grid']['dofs']} DOFs)", flush=True)
    print(f"{'size m':>7} {'DOFs':>8} {'snaps':>5} {'mesh s':>7} {'asm s':>6} {'solve s':>8} {'grid s':>7} "
          f"{'RSS MB':>7}  S(centre) at 1/10/100/500 Hz")
    for r in out["runs"]:
        st = r.get("stats", {})
        sec = st.get("seconds", {})
        S = " ".join(f"{v[0]:.3g}" for v in r.get("S_centre", {}).values()) or r.get("error", "")
        print(f"{r['mesh_size_m']:7.2f} {st.get('dofs', 0):8d} {st.get('snapshots', 0):5d} {sec.get('mesh', 0):7.1f} "
              f"{sec.get('assembly', 0):6.1f} {sec.get('solve', 0):8.1f} {r['own_field_grid']['seconds']:7.1f} "
              f"{r['peak_rss_mb']:7.0f}  {S}")
    write_json(ROOT / "benchmarks" / "results" / "shield_transfer.json", out)


if __name__ == "__main__":
    main()
