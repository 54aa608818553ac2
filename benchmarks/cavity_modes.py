"""Cavity benchmark: TM010 of the ideal cylinder (R = 0.1 m, h = 0.3 m) to 0.1% in frequency with the
cross-section solver and the 3D Nedelec solver (degree 1 and 2): DOFs, seconds, peak memory; then a 20-step
tuning curve of the ADMX-like cavity on 1 and 2 dask workers (cache off). Prints a table and writes
benchmarks/results/cavity_modes.json.  Run: python benchmarks/cavity_modes.py

``--levers``: the speed levers of docs/performance.md sec. 10 instead (TM010 of the same cylinder, each case in a
fresh process, median of 3 runs, wall and CPU seconds; the machine may be shared): the LU ordering (SuperLU's
minimum degree vs METIS nested dissection), wall-refined curved meshes (3D degree 2 and P4 cross-section).
Writes benchmarks/results/cavity_levers.json.
"""

import math
import multiprocessing as mp
import resource
import statistics
import sys
import time
from pathlib import Path

TARGET = 1e-3


def _case(kind, order, size, q, wall=None, ordering="metis", reps=1):
    from scipy.special import jn_zeros

    from amails_fem.cavities.cross_section import cross_section_modes
    from amails_fem.cavities.nedelec3d import nedelec_modes
    from amails_fem.linalg import eigen
    from amails_fem.specs.cavities import cylinder_cavity
    from amails_fem.units import C_M_S

    eigen.DEFAULT_ORDERING = ordering
    f0 = C_M_S * jn_zeros(0, 1)[0] / (2 * math.pi * 0.1)
    spec = cylinder_cavity(0.1, 0.3)
    walls, cpus = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        if kind == "cross-section":
            modes = cross_section_modes(spec, 3, order=order, size_m=size, wall_elements_per_turn=wall)
        else:
            modes = nedelec_modes(spec, 3, order=order, size_m=size, wall_elements_per_turn=wall)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    tm = min(modes, key=lambda m: abs(m.freq_hz - f0))
    q.put({"solver": kind, "order": order, "size_m": size, "wall_elements_per_turn": wall, "ordering": ordering,
           "dofs": int(tm.n_dofs), "seconds": statistics.median(walls), "cpu_seconds": statistics.median(cpus),
           "rel_error": abs(tm.freq_hz / f0 - 1), "signed_error": tm.freq_hz / f0 - 1,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def run_case(kind, order, size, wall=None, ordering="metis", reps=1):
    q = mp.get_context("spawn").Queue()
    p = mp.get_context("spawn").Process(target=_case, args=(kind, order, size, q, wall, ordering, reps))
    p.start()
    out = q.get()
    p.join()
    return out


def tuning(workers):
    from amails_fem.cavities.tuning import tune
    from amails_fem.specs.cavities import load_cavity_spec

    spec = load_cavity_spec(Path(__file__).resolve().parents[1] / "geometries/cavity_admx_like.toml")
    t0 = time.perf_counter()
    tune(spec, 0, 0.072, 0.01, 20, n_modes=4, select="coupling", workers=workers, cache=False)
    return time.perf_counter() - t0


LEVERS = [  # (solver, order, h (m), wall elements per turn, ordering)
    ("3d", 2, 0.03, None, "mmd"), ("3d", 2, 0.03, None, "metis"),
    ("3d", 2, 0.02, None, "mmd"), ("3d", 2, 0.02, None, "metis"),
    ("3d", 2, 0.04, 32, "metis"), ("3d", 2, 0.04, 32, "auto"), ("3d", 2, 0.035, 32, "metis"),
    ("cross-section", 2, 0.0125, None, "metis"), ("cross-section", 2, 0.00625, None, "metis"),
    ("cross-section", 4, 0.0125, None, "metis"), ("cross-section", 4, 0.04, 128, "metis"),
    ("cross-section", 4, 0.03, 128, "metis"), ("cross-section", 4, 0.03, 160, "metis"),
]


def levers():
    rows = []
    print("| solver | order | h (m) | wall elements per turn | LU ordering | DOFs | wall s | CPU s | TM010 error |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for kind, order, size, wall, ordering in LEVERS:
        r = run_case(kind, order, size, wall, ordering, reps=3)
        rows.append(r)
        print(f"| {kind} | {order} | {size} | {wall or 'default (10)'} | {ordering} | {r['dofs']} | "
              f"{r['seconds']:.2f} | {r['cpu_seconds']:.2f} | {r['signed_error']:+.1e} |", flush=True)
    out = Path(__file__).resolve().parent / "results" / "cavity_levers.json"
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from amails_fem.io.files import write_json
    from amails_fem.io.provenance import provenance

    write_json(out, {"provenance": provenance(benchmark="cavity_levers", reps=3, statistic="median"), "rows": rows})
    print(f"wrote {out}")


def main():
    if "--levers" in sys.argv[1:]:
        return levers()
    rows = []
    plans = [("cross-section", 2, [0.05, 0.025, 0.0125]), ("3d", 2, [0.07, 0.05, 0.035]),
             ("3d", 1, [0.035, 0.025, 0.018, 0.013])]
    for kind, order, sizes in plans:
        for s in sizes:
            r = run_case(kind, order, s)
            rows.append(r)
            print(f"{kind:13s} p={order} h={s:<7g} DOFs={r['dofs']:>7d}  {r['seconds']:7.2f} s  "
                  f"{r['peak_rss_mb']:7.0f} MB  error {r['rel_error']:.2e}", flush=True)
            if r["rel_error"] < TARGET:
                break
    tune_rows = []
    for w in (1, 2):
        t = tuning(w)
        tune_rows.append({"workers": w, "steps": 20, "seconds": t})
        print(f"tuning curve, 20 steps, {w} dask worker(s): {t:.1f} s", flush=True)
    print("\n| solver | order | h (m) | DOFs | seconds | peak RSS (MB) | TM010 freq. error |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['solver']} | {r['order']} | {r['size_m']} | {r['dofs']} | {r['seconds']:.2f} | "
              f"{r['peak_rss_mb']:.0f} | {r['rel_error']:.1e} |")
    out = Path(__file__).resolve().parent / "results" / "cavity_modes.json"
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from amails_fem.io.files import write_json
    from amails_fem.io.provenance import provenance

    write_json(out, {"provenance": provenance(benchmark="cavity_modes", target_rel_error=TARGET),
                     "tm010": rows, "tuning": tune_rows})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
