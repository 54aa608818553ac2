"""Cavity benchmark: TM010 of the ideal cylinder (R = 0.1 m, h = 0.3 m) to 0.1% in frequency with the
cross-section solver and the 3D Nedelec solver (degree 1 and 2): DOFs, seconds, peak memory; then a 20-step
tuning curve of the ADMX-like cavity on 1 and 2 dask workers (cache off). Prints a table and writes
benchmarks/results/cavity_modes.json.  Run: python benchmarks/cavity_modes.py
"""

import math
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

TARGET = 1e-3


def _case(kind, order, size, q):
    from scipy.special import jn_zeros

    from amails_fem.cavities.cross_section import cross_section_modes
    from amails_fem.cavities.nedelec3d import nedelec_modes
    from amails_fem.specs.cavities import cylinder_cavity
    from amails_fem.units import C_M_S

    f0 = C_M_S * jn_zeros(0, 1)[0] / (2 * math.pi * 0.1)
    spec = cylinder_cavity(0.1, 0.3)
    t0 = time.perf_counter()
    if kind == "cross-section":
        modes = cross_section_modes(spec, 3, order=order, size_m=size)
    else:
        modes = nedelec_modes(spec, 3, order=order, size_m=size)
    dt = time.perf_counter() - t0
    tm = min(modes, key=lambda m: abs(m.freq_hz - f0))
    q.put({"solver": kind, "order": order, "size_m": size, "dofs": int(tm.n_dofs), "seconds": dt,
           "rel_error": abs(tm.freq_hz / f0 - 1), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def run_case(kind, order, size):
    q = mp.get_context("spawn").Queue()
    p = mp.get_context("spawn").Process(target=_case, args=(kind, order, size, q))
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


def main():
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
