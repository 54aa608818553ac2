"""Network benchmark: templates (15 sensors, 105 pairs, 1e5 frequencies) and the correlator (15 sensors x 2000 s
at 1 kHz): seconds, file size and peak memory; prints a table and writes benchmarks/results/network.json.

    python benchmarks/network.py [--nfreq 100000] [--duration 2000] [--fs 1000]
"""

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

from amails_fem.analysis import correlator as co
from amails_fem.io.files import write_json
from amails_fem.io.provenance import provenance
from amails_fem.network import noise as nz
from amails_fem.network import placement as pl
from amails_fem.network.response import lab_templates, solve_network_rooms
from amails_fem.network.sensors import default_network_path, load_network
from amails_fem.network.templates import build_templates, write_templates


class PeakRss:
    """Peak resident memory (bytes) of this process during a block, sampled every 20 ms."""

    def __enter__(self):
        self.proc, self.peak, self.stop = psutil.Process(), 0, False
        self.base = self.proc.memory_info().rss
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()
        return self

    def _run(self):
        while not self.stop:
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.02)

    def __exit__(self, *exc):
        self.stop = True
        self.t.join()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--nfreq", type=int, default=100_000)
    ap.add_argument("--duration", type=float, default=2000.0)
    ap.add_argument("--fs", type=float, default=1000.0)
    ap.add_argument("--mesh-size", type=float, default=0.25)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "network.json"))
    args = ap.parse_args(argv)
    net = load_network(default_network_path())
    rows = []
    t0 = time.perf_counter()
    resp = solve_network_rooms(net, mesh_size_m=args.mesh_size)
    rows.append(("room solve (PEC, P2)", f"mesh {args.mesh_size} m", time.perf_counter() - t0, None, None))
    f = np.linspace(1.0, 500.0, args.nfreq)
    with tempfile.TemporaryDirectory() as tmp, PeakRss() as mem:
        t0 = time.perf_counter()
        ds = build_templates(net, resp, f)
        t_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_templates(ds, Path(tmp) / "t.h5")
        t_write = time.perf_counter() - t0
        size = os.path.getsize(Path(tmp) / "t.h5")
        del ds
    rows.append(("templates build", f"15 sensors, 105 pairs, {args.nfreq} freqs", t_build, None, mem.peak))
    rows.append(("templates write", "HDF5 (h5netcdf)", t_write, size, None))
    lt = lab_templates(net, resp, [10.0])[0]
    with PeakRss() as mem:
        t0 = time.perf_counter()
        run = co.simulate(net, args.duration, args.fs, seed=0,
                          injection={"eps": 1e-3, "freq_hz": 10.0, "lab_templates": lt, "polarization": "isotropic"})
        t_sim = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = co.correlate(net, resp, run, fmin_hz=1.0, fmax_hz=500.0, statistic="template", n_mc=4000)
        t_cor = time.perf_counter() - t0
    rows.append(("correlator simulate", f"15 x {args.duration:g} s at {args.fs:g} Hz", t_sim, None, None))
    rows.append(("correlator analyse", f"{res.freqs_hz.size} bins, 105 pairs, MC 8x4000", t_cor, None, mem.peak))
    physics = {
        "median_eps95_template": float(np.median(res.eps95)),
        "eps95_at_10hz": float(res.eps95[np.argmin(np.abs(res.freqs_hz - 10.0))]),
        "rayleigh_over_fixed_aligned_factor": co.rayleigh_factor(res.tables[0]),
        "fraction_above_mc_threshold": float(np.mean(res.snr > np.array([t.threshold for t in res.tables])[res.anchor_index])),
    }
    eta = nz.compare_statistics(net, lt, 10.0)
    physics["efficiency_hz_at_10hz"] = eta
    n, bp = nz.sensitivity_vs_correlators(net, 10.1, "plain")
    physics["plain_sensitivity_105_pairs_ft_rthz"] = float(bp[-1] * 1e15)
    physics["plain_exponent"] = nz.fit_power_law(n, bp)
    t0 = time.perf_counter()
    cands = pl.candidates(net, resp, 10.0, n_grid=5)
    best = pl.greedy_swap(net, cands, per_room={"suzhou": 13, "harbin": 2}, seed=0)
    given, _ = pl.layout_score(net, resp, net.sensors, 10.0)
    rand = pl.random_layouts(net, cands, {"suzhou": 13, "harbin": 2}, 200, seed=0)
    rows.append(("placement greedy+swap", f"{len(cands)} candidates, 15 sensors", time.perf_counter() - t0, None, None))
    physics["placement"] = {"objective_hz": best.objective_hz, "given_hz": given, "random_mean_hz": float(rand.mean()),
                            "random_max_hz": float(rand.max()),
                            "eps_gain_over_given": float(np.sqrt(best.objective_hz / given)),
                            "eps_gain_over_random_mean": float(np.sqrt(best.objective_hz / rand.mean()))}
    print(f"{'step':28s} {'size':42s} {'seconds':>8s} {'file MB':>8s} {'peak RSS MB':>12s}")
    for name, what, sec, fbytes, peak in rows:
        print(f"{name:28s} {what:42s} {sec:8.2f} {'' if fbytes is None else f'{fbytes / 1e6:8.1f}':>8s} "
              f"{'' if peak is None else f'{peak / 1e6:12.0f}':>12s}")
    for k, v in physics.items():
        print(f"  {k}: {v}")
    write_json(args.out, {"rows": [dict(step=r[0], size=r[1], seconds=r[2], file_bytes=r[3], peak_rss_bytes=r[4])
                                   for r in rows], "physics": physics,
                          "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
                          "provenance": provenance(network_hash=net.spec_hash(), mesh_size_m=args.mesh_size)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
