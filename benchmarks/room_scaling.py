"""P2 on the AMAILS 2 m room: the solve per stage from ~1e4 to ~1e6 DOFs, each speed lever before/after side by side,
the memory-bandwidth bound of one CG iteration, and one summary table with the targets.

    python benchmarks/room_scaling.py [--max-dofs 1.2e6] [--lever-size-m 0.044] [--repeats 3] [--quick]

Every run is a fresh process (clean peak memory); each configuration is repeated and the median taken (wall seconds
and process CPU seconds, time.process_time: on a shared machine CPU time is the steadier number). The levers are
switched by the options of amails_fem.rooms.perfect.solve_perfect_room, so the old paths run in the same benchmark:
    assembly "coo" (one matmul + COO -> CSR) | "csr" (row-wise into a cached pattern)
    numbering "skfem" (vertices, then edges) | "local" (vertex RCM, edge DOFs beside their vertices)
    method "scipy" (scipy cg per polarization, pyamg sweeps) | "block" (one block CG, compiled kernels)
    coarse_dtype "float64" | "float32" (coarse AMG levels, block method)
    smoother_dtype "float64" | "float32" (the fine sweeps' values and the preconditioner's blocks, block method;
        the half-matrix residuals of linalg/kernels.sweep_residual are on in every block row)
    NUMBA_NUM_THREADS 1 | 2 (the compiled kernels' threads)
    generator "gmsh" (HXT, read from the cache) | "structured" (graded Kuhn grid, amails_fem/meshing/structured.py)
Prints Markdown tables and writes benchmarks/results/room_scaling.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from cg_bandwidth import iteration_bytes as cg_iteration_bytes  # benchmarks/, beside this script
from cg_bandwidth import triad_gbs
from summary import after_meshing

# bulk mesh sizes (m) with walls at half size: P2 DOFs 1.6e4, 5.3e4, 3.2e5, 1.0e6
LEVELS_M = (0.25, 0.15, 0.07, 0.044)
RESULTS = Path(__file__).parent / "results" / "room_scaling.json"
OLD = {"assembly": "coo", "numbering": "skfem", "method": "scipy", "coarse_dtype": "float64"}
NEW = {"assembly": "csr", "numbering": "local", "method": "block", "coarse_dtype": "float32", "smoother_dtype": "float32"}
# cumulative: each lever switched on over the previous row (name, solver options, kernel threads, mesh generator)
LEVERS = [
    ("before (COO assembly, scikit-fem numbering, scipy CG per polarization)", OLD, 2, "gmsh"),
    ("+ local DOF numbering (RCM)", {**OLD, "numbering": "local"}, 2, "gmsh"),
    ("+ assembly into a CSR pattern, exact wall loads", {**OLD, "numbering": "local", "assembly": "csr"}, 2, "gmsh"),
    ("+ block CG, compiled two-level (float64 coarse)", {**NEW, "coarse_dtype": "float64", "smoother_dtype": "float64"},
     2, "gmsh"),
    ("+ float32 coarse levels", {**NEW, "smoother_dtype": "float64"}, 2, "gmsh"),
    ("+ float32 fine sweeps and preconditioner blocks (all levers), 2 threads", NEW, 2, "gmsh"),
    ("all levers, 1 thread", NEW, 1, "gmsh"),
]
# printed under the lever rows, kept apart in the JSON ("structured_mesh") so that benchmarks/summary.py still reads
# the last two lever rows as "all levers" on 2 and 1 threads
STRUCTURED_ROW = ("all levers, 2 threads, --generator structured (graded Kuhn grid, no gmsh, no cache)", NEW, 2,
                  "structured")
TARGETS = {"after_meshing_s": 10.0, "mesh_s": 4.0, "peak_gb_ngsolve": 1.25, "peak_gb_1e7": 24.0}


def run_level(size_m: float, preconditioner: str, opts: dict, use_cache: bool, generator: str = "gmsh") -> dict:
    """One solve in this process; returns timings, iterations, memory and wall fields."""
    import numpy as np

    from amails_fem.geometry import MeshOptions, box_room
    from amails_fem.rooms.perfect import solve_perfect_room
    from amails_fem.units import MU0_H_M

    spec = box_room(2.0, 2.0, 2.0, mesh=MeshOptions(generator=generator))
    solve_perfect_room(spec, order=2, mesh_size_m=0.5, use_cache=True, preconditioner=preconditioner,
                       **opts)  # kernels compiled (or loaded) before the clock starts
    t0, c0 = time.perf_counter(), time.process_time()
    resp = solve_perfect_room(spec, order=2, mesh_size_m=size_m, use_cache=use_cache, preconditioner=preconditioner,
                              **opts)
    total, total_cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    wall_centre = np.array([[0.99, 0.0, 0.0]])  # 10 mm from the x_max wall centre
    b = resp.b_field(wall_centre, "z")[0]
    st = resp.statistics()
    return {"size_m": size_m, "generator": generator, "options": opts, "preconditioner": st["preconditioner"], "dofs": st["dofs"],
            "tetrahedra": st["tetrahedra"], "seconds": {**st["seconds"], "total": total, "total_cpu": total_cpu},
            "cg_iterations": st["cg_iterations"], "peak_rss_gb": peak, "from_cache": resp.room_mesh.from_cache,
            "wall_centre_field_mu0JL": float(np.linalg.norm(b) / (MU0_H_M * spec.size_m)),
            "psi_norm": float(np.linalg.norm(resp.psi_m))}


def spawn(size_m, pre="auto", opts=None, threads=2, use_cache=False, generator="gmsh") -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": str(threads)}
    cmd = [sys.executable, __file__, "--level", str(size_m), "--preconditioner", pre, "--opts", json.dumps(opts or NEW),
           "--generator", generator]
    if use_cache:
        cmd.append("--use-cache")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_runs(runs: list) -> dict:
    """The median of each timing over repeated runs (iterations and memory from the runs too)."""
    keys = runs[0]["seconds"].keys()
    med = {k: statistics.median(r["seconds"][k] for r in runs) for k in keys}
    return {**runs[0], "seconds": med, "peak_rss_gb": statistics.median(r["peak_rss_gb"] for r in runs),
            "repeats": len(runs), "all_totals": [r["seconds"]["total"] for r in runs]}


def bandwidth_gbs(threads: int = 2, repeats: int = 3) -> dict:
    """The machine's bandwidth as benchmarks/cg_bandwidth.py measures it: a compiled STREAM triad (24 bytes per
    element) on the CG's threads, the best of ``repeats`` measurements (a numpy triad runs on one thread and in two
    passes, so it reports about half of what two threads reach)."""
    runs = [triad_gbs(threads) for _ in range(repeats)]
    return {"triad_gbs": max(runs), "triad_gbs_runs": runs, "threads": threads, "method": "compiled triad (numba)"}


def iteration_bytes(size_m: float) -> dict:
    """Bytes one block-CG iteration (3 columns) must move at least: matrix passes and vectors, from the real matrices."""
    import numpy as np

    from amails_fem.fem.numbering import inverse_permutation
    from amails_fem.geometry import box_room
    from amails_fem.linalg.amg import p1_to_p2_prolongation
    from amails_fem.linalg.block_amg import BlockTwoLevel
    from amails_fem.linalg.krylov import pin_identity
    from amails_fem.log import Progress
    from amails_fem.rooms.model import mesh_and_assemble

    rm, basis, A, rhs, _d, _t, (perm, rank) = mesh_and_assemble(box_room(2.0, 2.0, 2.0), 2, size_m, None,
                                                                Progress(quiet=True), True, numbering="local")
    inverse = inverse_permutation(perm)
    M = BlockTwoLevel(pin_identity(A, 0), p1_to_p2_prolongation(basis, inverse, rank), coarse_dtype=np.float32,
                      smoother_dtype=np.float32)
    n, k = A.shape[0], 3
    fine = A.data.nbytes + A.indices.nbytes + A.indptr.nbytes
    vec = n * k * 8
    moved = cg_iteration_bytes(M, n, k, "current")  # the count of benchmarks/cg_bandwidth.py
    coarse = M.coarse
    return {"dofs": n, "nnz": int(A.nnz), "fine_matrix_bytes": fine,
            "matrix_bytes": moved["product"] + moved["fine_sweeps"] + moved["transfer"],
            "vector_bytes": moved["vectors"], "coarse_bytes": moved["coarse"], "total_bytes": moved["total"],
            "memory_table_bytes": {"A (CSR, float64 values, int32 indices)": fine,
                                   "float32 values of the fine sweeps": M.A.smoother_data.nbytes,
                                   "Gauss-Seidel segments (n x 3 int32)": M.A.seg.nbytes,
                                   "P and P^T": M.P.nbytes + M.Pt.nbytes,
                                   "coarse hierarchy (float32)": coarse.nbytes,
                                   "block vectors (8 of n x 3 float64)": 8 * vec,
                                   "mesh (p, t, facets, edges, maps)": int(sum(getattr(rm.mesh, a).nbytes for a in
                                                                            ("p", "t", "facets", "edges", "t2f", "t2e"))),
                                   "scikit-fem P2 basis (kept for evaluation)": _basis_bytes(basis)}}


def _basis_bytes(basis) -> int:
    import numpy as np

    total = basis.element_dofs.nbytes
    for b in basis.basis:
        for f in b:
            for v in (getattr(f, "value", None), getattr(f, "grad", None)):
                if isinstance(v, np.ndarray):
                    total += v.nbytes
    return int(total)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-dofs", type=float, default=1.2e6)
    ap.add_argument("--compare-sa-up-to", type=float, default=4e5, help="also run plain SA up to this many DOFs")
    ap.add_argument("--lever-size-m", type=float, default=0.044, help="mesh size of the lever comparison (0.044: 1e6)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="levers at 0.07 m (3.2e5 DOFs), no scaling levels above it")
    ap.add_argument("--level", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--preconditioner", default="auto", help=argparse.SUPPRESS)
    ap.add_argument("--opts", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--use-cache", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--generator", default="gmsh", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.level:
        print(json.dumps(run_level(args.level, args.preconditioner, json.loads(args.opts), args.use_cache,
                                   args.generator)))
        return 0
    if args.quick:
        args.lever_size_m, args.max_dofs = 0.07, 4e5
    say = lambda msg: print(msg, file=sys.stderr, flush=True)

    # 1. levers, side by side (mesh from the cache, so the lever rows compare the solve only)
    spawn(args.lever_size_m, opts=NEW, use_cache=True)  # puts the mesh into the cache
    levers = []
    for name, opts, threads, generator in LEVERS + [STRUCTURED_ROW]:
        runs = [spawn(args.lever_size_m, opts=opts, threads=threads, use_cache=True, generator=generator)
                for _ in range(args.repeats)]
        levers.append({"lever": name, "threads": threads, **median_runs(runs)})
        say(f"  lever done: {name}")
    structured = levers.pop()

    # 2. scaling levels, meshing included (no cache), new path
    rows = []
    for size in LEVELS_M:
        est = 3.2e5 * (0.07 / size) ** 2.5  # measured growth (the wall layer grows as h^-2)
        if est > args.max_dofs:
            break
        for pre in ("auto", "sa") if est <= args.compare_sa_up_to else ("auto",):
            runs = [spawn(size, pre) for _ in range(args.repeats if est > 2e5 else 1)]
            rows.append(median_runs(runs))
            say(f"  level done: h = {size} m, {pre}")
    previous = None
    for row in rows:
        if row["preconditioner"].startswith("two-level"):
            f = row["wall_centre_field_mu0JL"]
            row["wall_field_change"] = None if previous is None else abs(f - previous) / f
            previous = f

    bw = bandwidth_gbs()
    it = iteration_bytes(args.lever_size_m)
    best = min(levers[-2:], key=lambda r: r["seconds"]["solve"])  # all levers: the faster of 2 and 1 threads
    its = max(best["cg_iterations"])
    t_it = best["seconds"]["solve"] / its
    t_it_cpu = levers[-1]["seconds"]["solve_cpu"] / max(levers[-1]["cg_iterations"])  # one thread: CPU = busy time
    bound = it["total_bytes"] / (bw["triad_gbs"] * 1e9)

    print(f"\n### Levers at h = {args.lever_size_m} m ({levers[0]['dofs']:,} P2 DOFs), medians of {args.repeats} "
          "fresh processes, gmsh mesh from the cache (the structured mesh is built: it has no cache)\n")
    print("| configuration | threads | DOFs | mesh s | assembly s (CPU) | AMG setup s (CPU) | 3-pol CG s (CPU) "
          "| after meshing s (CPU) | CG its | peak GB | psi change |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    ref = levers[0]["psi_norm"]
    for r in levers + [structured]:
        s = r["seconds"]
        change = f"{abs(r['psi_norm'] - ref) / ref:.1e}" if r["dofs"] == levers[0]["dofs"] else "- (other mesh)"
        print(f"| {r['lever']} | {r['threads']} | {r['dofs']:,} | {s['mesh']:.2f} | {s['assembly']:.2f} "
              f"({s['assembly_cpu']:.2f}) | {s['preconditioner']:.2f} ({s['preconditioner_cpu']:.2f}) | {s['solve']:.2f} "
              f"({s['solve_cpu']:.2f}) | {after_meshing(s):.2f} ({after_meshing(s, True):.2f}) | "
              f"{'/'.join(map(str, r['cg_iterations']))} | {r['peak_rss_gb']:.2f} | {change} |")

    print("\n### Scaling, new path, meshing included (medians of the repeats at >2e5 DOFs)\n")
    print("| h (m) | preconditioner | DOFs | tets | mesh s | assembly s | AMG setup s | 3-pol CG s | after meshing s "
          "(CPU) | total s | CG its | peak GB | wall field / mu0JL | change |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        s = r["seconds"]
        change = r.get("wall_field_change")
        print(f"| {r['size_m']} | {r['preconditioner'].split(' (')[0]} | {r['dofs']:,} | {r['tetrahedra']:,} | "
              f"{s['mesh']:.1f} | {s['assembly']:.2f} | {s['preconditioner']:.2f} | {s['solve']:.2f} | "
              f"{after_meshing(s):.2f} ({after_meshing(s, True):.2f}) | {s['total']:.1f} | "
              f"{'/'.join(map(str, r['cg_iterations']))} | {r['peak_rss_gb']:.2f} | {r['wall_centre_field_mu0JL']:.5f} | "
              f"{'-' if change is None else f'{change:.1e}'} |")

    print(f"\n### Bandwidth bound of one block-CG iteration ({it['dofs']:,} DOFs, {it['nnz']:,} nonzeros)\n")
    print(f"Compiled triad {bw['triad_gbs']:.1f} GB/s ({bw['threads']} threads, best of "
          f"{', '.join(f'{g:.1f}' for g in bw['triad_gbs_runs'])}). One iteration for three "
          f"polarizations moves at least {it['total_bytes'] / 1e9:.2f} GB (fine matrix {it['matrix_bytes'] / 1e9:.2f}, "
          f"vectors {it['vector_bytes'] / 1e9:.2f}, coarse levels {it['coarse_bytes'] / 1e9:.2f}): bound "
          f"{1e3 * bound:.0f} ms; measured {1e3 * t_it:.0f} ms per iteration wall ({best['threads']} threads) = "
          f"{t_it / bound:.1f} x the bound, {1e3 * t_it_cpu:.0f} ms CPU on one thread = {t_it_cpu / bound:.1f} x.")
    print("\n| where the bytes go | MB |\n|---|---|")
    for k, v in it["memory_table_bytes"].items():
        print(f"| {k} | {v / 1e6:.0f} |")

    two_level = [r for r in rows if r["preconditioner"].startswith("two-level")]
    big = two_level[-1] if two_level else best
    s = big["seconds"]
    print("\n### Summary against the targets\n")
    print("| quantity | target | measured |\n|---|---|---|")
    print(f"| after meshing, {big['dofs']:,} DOFs, 3 polarizations | <= {TARGETS['after_meshing_s']:.0f} s | "
          f"{after_meshing(s):.1f} s wall, {after_meshing(s, True):.1f} s CPU |")
    print(f"| meshing of that room | < {TARGETS['mesh_s']:.0f} s | {s['mesh']:.1f} s |")
    print(f"| peak memory | <= {TARGETS['peak_gb_ngsolve']} GB (NGSolve BDDC) | {big['peak_rss_gb']:.2f} GB |")
    print(f"| CG time per iteration (levers table) | <= 2 x bandwidth bound ({2e3 * bound:.0f} ms) | {1e3 * t_it:.0f} ms "
          f"wall, {1e3 * t_it_cpu:.0f} ms CPU (1 thread) |")
    print(f"| CG iterations, 1.6e4 -> 1e6 DOFs | flat | "
          f"{', '.join(str(max(r['cg_iterations'])) for r in rows if r['preconditioner'].startswith('two-level'))} |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    from amails_fem.io.files import write_json
    from amails_fem.io.provenance import provenance

    write_json(RESULTS, {"provenance": provenance(machine_cores=os.cpu_count()), "levers": levers,
                         "structured_mesh": structured, "levels": rows,
                         "bandwidth": bw, "iteration_bytes": it, "targets": TARGETS})
    return 0


if __name__ == "__main__":
    sys.exit(main())
