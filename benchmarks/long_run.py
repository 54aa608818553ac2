"""Long-run benchmark: a noise-only run of the 15-sensor AMAILS network at 1 kHz simulated chunk by chunk into a
Zarr store, then analysed on a Dask LocalCluster with 1 and 2 workers (analysis/longrun.py): wall time, throughput
(samples/s per worker) and the peak memory of each step's process tree (a fresh process with its Dask workers); a day
(1.3e9 samples) is the default duration.
Prints a table and writes benchmarks/results/long_run.json.

    python benchmarks/long_run.py [--duration-s 86400] [--chunk-s 1000] [--fmax-hz 500] [--workers 1 2]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
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
    """Peak resident memory (bytes) of a process and all its children (Dask workers), sampled every 50 ms."""

    def __init__(self, pid: int):
        self.proc, self.peak, self.stop = psutil.Process(pid), 0, False

    def __enter__(self):
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()
        return self

    def _run(self):
        while not self.stop:
            total = 0
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
            except psutil.Error:
                procs = []
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.05)

    def __exit__(self, *exc):
        self.stop = True
        self.t.join()


def run_step(args) -> dict:
    """One step in this (child) process: simulate the store, or correlate it on n workers; returns its numbers."""
    net = load_network(default_network_path())
    progress = Progress()
    t = time.perf_counter()
    if args.step == "simulate":
        simulate_to_store(net, args.duration_s, args.fs_hz, args.store, chunk_s=args.chunk_s, progress=progress)
        size = sum(p.stat().st_size for p in Path(args.store).rglob("*") if p.is_file())
        return {"seconds": time.perf_counter() - t, "store_gb": size / 1e9}
    res = correlate_long(args.store, net, chunk_s=args.chunk_s, state_dir=args.state_dir, fmin_hz=1.0,
                         fmax_hz=args.fmax_hz, n_mc=2000, n_workers=args.n_workers, mesh_size_m=args.mesh_size_m,
                         progress=progress)
    return {"seconds": time.perf_counter() - t, "frequencies": int(res.freqs_hz.size),
            "global_candidates": int((res.snr > res.global_threshold_snr).sum())}


def measured(args, step: str, **extra) -> dict:
    """Run a step in a fresh process (its own memory, not this one's) and return its numbers with the peak RSS
    of that process and its Dask workers."""
    cmd = [sys.executable, __file__, "--step", step, "--duration-s", str(args.duration_s), "--chunk-s",
           str(args.chunk_s), "--fs-hz", str(args.fs_hz), "--fmax-hz", str(args.fmax_hz), "--mesh-size-m",
           str(args.mesh_size_m), *[x for k, v in extra.items() for x in (f"--{k.replace('_', '-')}", str(v))]]
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    with TreePeakRss(child.pid) as mem:
        out, _ = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"step {step} failed (exit {child.returncode})")
    return {**json.loads(out.strip().splitlines()[-1]), "peak_rss_gb": mem.peak / 1e9}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration-s", type=float, default=DAY_S)
    ap.add_argument("--chunk-s", type=float, default=1000.0)
    ap.add_argument("--fs-hz", type=float, default=1000.0)
    ap.add_argument("--fmax-hz", type=float, default=500.0)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--mesh-size-m", type=float, default=0.25)
    ap.add_argument("--step", choices=("simulate", "correlate"), help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    ap.add_argument("--state-dir", help=argparse.SUPPRESS)
    ap.add_argument("--n-workers", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        print(json.dumps(run_step(args)))
        return
    n_sensors = load_network(default_network_path()).n_sensors
    work = Path(tempfile.mkdtemp(prefix="long_run_"))
    try:
        store = work / "run.zarr"
        n_chunks = int(args.duration_s // args.chunk_s)
        n_samples = n_sensors * n_chunks * int(round(args.chunk_s * args.fs_hz))
        sim = measured(args, "simulate", store=store)
        rows = [{"step": "simulate into Zarr", "workers": 1, "seconds": sim["seconds"], "samples": n_samples,
                 "samples_per_s_per_worker": n_samples / sim["seconds"], "peak_rss_gb": sim["peak_rss_gb"],
                 "store_gb": sim["store_gb"]}]
        for w in args.workers:
            r = measured(args, "correlate", store=store, state_dir=work / f"state_{w}", n_workers=w)
            rows.append({"step": "correlate on Dask", "workers": w, "seconds": r["seconds"], "samples": n_samples,
                         "samples_per_s_per_worker": n_samples / r["seconds"] / w, "peak_rss_gb": r["peak_rss_gb"],
                         "frequencies": r["frequencies"], "global_candidates": r["global_candidates"]})
        best = max(r["samples_per_s_per_worker"] * r["workers"] for r in rows[1:])
        day = n_sensors * DAY_S * args.fs_hz
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
                         "load_average_1_5_15": list(os.getloadavg()),
                         "provenance": provenance(machine_cores=psutil.cpu_count())})
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
