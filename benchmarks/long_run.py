"""Long-run benchmark: a noise-only run of the 15-sensor AMAILS network at 1 kHz simulated chunk by chunk into a
Zarr store, then analysed on a Dask LocalCluster with 1 and 2 workers (analysis/longrun.py): wall time, throughput
(samples/s per worker) and the peak memory of the whole process tree; a day (1.3e9 samples) is estimated from it.
Prints a table and writes benchmarks/results/long_run.json.

    python benchmarks/long_run.py [--duration-s 86400] [--chunk-s 1000] [--fmax-hz 500] [--workers 1 2]
"""

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

import psutil

from amails_fem.analysis.longrun import correlate_long, simulate_to_store
from amails_fem.io.files import write_json
from amails_fem.io.provenance import provenance
from amails_fem.log import Progress
from amails_fem.network.sensors import default_network_path, load_network

DAY_S = 86400.0


class TreePeakRss:
    """Peak resident memory (bytes) of this process and all its children (Dask workers), sampled every 50 ms."""

    def __enter__(self):
        self.proc, self.peak, self.stop = psutil.Process(), 0, False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()
        return self

    def _run(self):
        while not self.stop:
            total = 0
            for p in [self.proc, *self.proc.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.05)

    def __exit__(self, *exc):
        self.stop = True
        self.t.join()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration-s", type=float, default=DAY_S)
    ap.add_argument("--chunk-s", type=float, default=1000.0)
    ap.add_argument("--fs-hz", type=float, default=1000.0)
    ap.add_argument("--fmax-hz", type=float, default=500.0)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--mesh-size-m", type=float, default=0.25)
    args = ap.parse_args()
    net = load_network(default_network_path())
    work = Path(tempfile.mkdtemp(prefix="long_run_"))
    progress = Progress()
    try:
        store = work / "run.zarr"
        with TreePeakRss() as mem_sim:
            t = time.perf_counter()
            simulate_to_store(net, args.duration_s, args.fs_hz, store, chunk_s=args.chunk_s, progress=progress)
            t_sim = time.perf_counter() - t
        n_chunks = int(args.duration_s // args.chunk_s)
        n_samples = net.n_sensors * n_chunks * int(round(args.chunk_s * args.fs_hz))
        size = sum(p.stat().st_size for p in store.rglob("*") if p.is_file())
        rows = [{"step": "simulate into Zarr", "workers": 1, "seconds": t_sim, "samples": n_samples,
                 "samples_per_s_per_worker": n_samples / t_sim, "peak_rss_gb": mem_sim.peak / 1e9,
                 "store_gb": size / 1e9}]
        for w in args.workers:
            with TreePeakRss() as mem:
                t = time.perf_counter()
                res = correlate_long(store, net, chunk_s=args.chunk_s, state_dir=work / f"state_{w}", fmin_hz=1.0,
                                     fmax_hz=args.fmax_hz, n_mc=2000, n_workers=w, mesh_size_m=args.mesh_size_m,
                                     progress=progress)
                dt = time.perf_counter() - t
            rows.append({"step": "correlate on Dask", "workers": w, "seconds": dt, "samples": n_samples,
                         "samples_per_s_per_worker": n_samples / dt / w, "peak_rss_gb": mem.peak / 1e9,
                         "frequencies": int(res.freqs_hz.size),
                         "global_candidates": int((res.snr > res.global_threshold_snr).sum())})
        best = max(r["samples_per_s_per_worker"] * r["workers"] for r in rows[1:])
        day = net.n_sensors * DAY_S * args.fs_hz
        estimate = {"day_samples": day, "day_seconds_best": day / best,
                    "year_seconds_best": 365.25 * day / best, "best_samples_per_s": best}
        print(f"{'step':22s} {'workers':>7s} {'seconds':>9s} {'samples/s/worker':>17s} {'peak RSS GB':>11s}")
        for r in rows:
            print(f"{r['step']:22s} {r['workers']:7d} {r['seconds']:9.1f} {r['samples_per_s_per_worker']:17.3g} "
                  f"{r['peak_rss_gb']:11.2f}")
        print(f"a day of 15 sensors at {args.fs_hz:g} Hz ({day:.3g} samples): ~{estimate['day_seconds_best'] / 3600:.2f} h "
              f"at the best measured rate; a year: ~{estimate['year_seconds_best'] / 86400:.1f} days")
        out = Path(__file__).parent / "results" / "long_run.json"
        write_json(out, {"rows": rows, "estimate": estimate, "args": vars(args),
                         "provenance": provenance(machine_cores=psutil.cpu_count())})
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
