"""Long runs on Dask: a recorded run (Zarr or NetCDF4/HDF5, chunked along time) analysed chunk by chunk, each chunk
one coherent segment, on a LocalCluster or a scheduler address (docs/recorded_data.md, "Long runs").

Every quantity of the correlator that combines segments is a sum over them (correlator.py): per frequency the
statistic Y, sigma_Y^2, (T_s/2) tr(V S), the noise mean and variance; per anchor the Monte Carlo samples
(w sigma_Y, u sigma_Y alpha, v sigma_Y sqrt(alpha)) and the quadratic form's eigenvalues. A worker reads its chunk,
runs the correlator on it and returns these partial sums; they are saved to ``state_dir`` as they arrive, so a
killed run continues from its finished chunks, and added at the end. Memory per worker is bounded by the chunk
(require_memory in correlator.correlate). Chunks are whole and of equal length (the last n_samples mod chunk
samples are not used); the isotropic model draws an independent polarization per chunk, the fixed model the same
one in all (pol_seed). Frequencies with a coherence time Q/f longer than a chunk are analysed with chunk-long
segments: valid, with sqrt(T_chunk / min(tau, T)) of the sensitivity of the longest segments.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from amails_fem.analysis import correlator as co
from amails_fem.analysis.significance import (
    QuadraticFormTail,
    local_threshold_probability,
)
from amails_fem.analysis.simulation import simulate
from amails_fem.errors import SpecError
from amails_fem.frames import UNIX_J2000_S
from amails_fem.io.files import atomic_path, json_text
from amails_fem.log import Progress
from amails_fem.network.response import solve_network_rooms
from amails_fem.network.runs import (
    from_dataset,
    open_run_dataset,
    run_for_network,
    to_dataset,
)

MODELS = co.POLARIZATION_MODELS


_RESPONSES: dict = {}


def _worker_responses(network, order: int, mesh_size_m: float):
    """Room responses solved once per worker process (a PEC solve is seconds)."""
    key = (network.spec_hash(), order, mesh_size_m)
    if key not in _RESPONSES:
        _RESPONSES[key] = solve_network_rooms(network, order=order, mesh_size_m=mesh_size_m)
    return _RESPONSES[key]


def first_chunk(path, chunk_s: float):
    """The run's first chunk (validated) without loading the rest: its sensors for the network check before any
    work, and its data for the pair histograms."""
    with open_run_dataset(path) as ds:
        fs = float(ds.attrs.get("sampling_rate_hz", 0.0)) or 1.0
        sub = ds.isel(time=slice(0, max(16, int(round(chunk_s * fs))))).load()
    return from_dataset(sub, f"{path} (first chunk)")


def chunk_partials(path, k: int, chunk_len: int, network, *, responses=None, order: int = 2,
                   mesh_size_m: float = 0.25, **kw) -> dict:
    """Read chunk k of a run file and return the correlator's additive partial sums (module docstring)."""
    with open_run_dataset(path) as ds:
        sub = ds.isel(time=slice(k * chunk_len, (k + 1) * chunk_len)).load()
    run = from_dataset(sub, f"{path} chunk {k}")
    resp = responses if responses is not None else _worker_responses(network, order, mesh_size_m)
    res = co.correlate(network, resp, run, quality=1e300, seed=(kw.pop("seed", 1), k), **kw)
    scale = res.alpha_bar * res.sigma_y
    out = {"y": res.y, "sig2": res.sigma_y**2, "a": scale, "mu": res.y - res.eps2_hat * scale,
           "var": (res.eps2_err * scale) ** 2, "freqs_hz": res.freqs_hz, "anchor": res.anchor_index,
           "anchors_hz": res.bands[0].anchors_hz, "n_good": run.good().sum(), "n": run.good().size,
           "problems": np.array(res.problems, dtype=str), "regime": np.array(res.bands[0].regime),
           "m_max": np.array(res.bands[0].m_max)}
    for a, t in enumerate(res.tables):
        out[f"t{a}_w"] = t.w * t.sig_y
        out[f"t{a}_s"] = np.array([t.sig_y, t.alpha])
        out[f"t{a}_lam"] = t.tail.lam * t.sig_y
        for m in MODELS:
            u, v = t.uv[m]
            out[f"t{a}_{m}_u"] = u * t.sig_y * t.alpha
            out[f"t{a}_{m}_v"] = v * t.sig_y * np.sqrt(t.alpha)
    return out


@functools.cache
def _keep_freed_memory() -> None:
    """Let glibc keep freed memory in the worker process: Dask's nanny starts workers with
    MALLOC_TRIM_THRESHOLD_=65536, with which every large temporary array of the correlator is a fresh mmap whose
    page faults cost as much system time as the arithmetic (a 1000 s AMAILS chunk: 7.7 s instead of 3.4 s).
    M_TRIM_THRESHOLD and M_MMAP_THRESHOLD (mallopt -1 and -3) of 256 MiB keep them; memory stays bounded by the
    chunk's working set. Nothing happens off glibc. Once per process (functools.cache)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-1, 2**28)
        libc.mallopt(-3, 2**28)
    except (OSError, AttributeError):
        pass


def chunk_partials_on_worker(*args, **kw) -> dict:
    """chunk_partials as a Dask task (_keep_freed_memory first)."""
    _keep_freed_memory()
    return chunk_partials(*args, **kw)


def _save(state_dir: Path, k: int, part: dict) -> None:
    with atomic_path(state_dir / f"chunk_{k:06d}.npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **part)


def _combine(parts, t_chunk_s: float, fs_hz: float, polarization_model: str, false_alarm: float,
             statistic: str, t0_unix_s: float) -> co.CorrelatorResult:
    """Add the chunks' partial sums (an iterable read once: one chunk in memory at a time besides the totals) and
    finish as correlator.correlate does (one band of n_chunks segments)."""
    tot, n_parts, lam, problems = {}, 0, [], []
    for p in parts:
        if n_parts == 0:
            p0, n_anchor = p, len(p["anchors_hz"])
            lam = [[] for _ in range(n_anchor)]
        n_parts += 1
        add = {k: p[k] for k in ("y", "sig2", "a", "mu", "var", "n_good", "n")}
        for a in range(n_anchor):
            sig_y, alpha = p[f"t{a}_s"]
            add[f"t{a}_s2"], add[f"t{a}_sa"], add[f"t{a}_w"] = sig_y**2, sig_y * alpha, p[f"t{a}_w"]
            for m in MODELS:
                add[f"t{a}_{m}_u"], add[f"t{a}_{m}_v"] = p[f"t{a}_{m}_u"], p[f"t{a}_{m}_v"]
            lam[a].append(p[f"t{a}_lam"])
        for k, v in add.items():
            tot[k] = tot[k] + v if k in tot else np.array(v, float)
        problems += [str(x) for x in p["problems"]]
    f = p0["freqs_hz"]
    sig_y = np.sqrt(tot["sig2"])
    alpha = tot["a"] / sig_y
    snr = tot["y"] / sig_y
    tables = []
    for a, fa in enumerate(p0["anchors_hz"]):
        sy = np.sqrt(tot[f"t{a}_s2"])
        al = tot[f"t{a}_sa"] / sy
        uv = {m: (tot[f"t{a}_{m}_u"] / sy / al, tot[f"t{a}_{m}_v"] / sy / np.sqrt(al)) for m in MODELS}
        tail = QuadraticFormTail(np.concatenate(lam[a]) / sy)
        tables.append(co.McTable(float(fa), tot[f"t{a}_w"] / sy, uv, tail, float(sy), float(al)))
    idx = p0["anchor"]
    x95 = np.empty(f.size)
    for k, tab in enumerate(tables):
        m = idx == k
        if m.any():
            x95[m] = tab.x95(snr[m], polarization_model)
    p_thr = local_threshold_probability(false_alarm, f.size)
    thr = np.array([t.tail.isf(p_thr) for t in tables])
    seg = int(round(t_chunk_s * fs_hz))
    band = co.Band(0, seg, n_parts, t_chunk_s, str(p0["regime"]), int(p0["m_max"]), np.round(f * t_chunk_s).astype(int),
                   t0_unix_s + np.arange(n_parts) * t_chunk_s, anchors_hz=p0["anchors_hz"])
    good = float(tot["n_good"]) / float(tot["n"])
    return co.CorrelatorResult(f, tot["y"], sig_y, snr, alpha, np.sqrt(x95 / alpha), tables[0].threshold, tables,
                               statistic, n_parts * t_chunk_s, idx, eps2_hat=(tot["y"] - tot["mu"]) / tot["a"],
                               eps2_err=np.sqrt(tot["var"]) / tot["a"], band_index=np.zeros(f.size, int),
                               bands=[band], global_threshold_snr=thr[idx], n_trials=int(f.size),
                               false_alarm=false_alarm, polarization_model=polarization_model, quality=np.inf,
                               problems=problems, extra={"p_local_threshold": p_thr, "good_fraction": good})


def _read_parts(paths):
    """The saved chunks one at a time (for _combine)."""
    for p in paths:
        with np.load(p) as z:
            yield {k: z[k] for k in z.files}


def correlate_long(path, network, *, chunk_s: float, state_dir, fmin_hz: float = 1.0, fmax_hz: float | None = None,
                   statistic: str = "template", n_mc: int = 2000, n_anchors: int = 8, seed: int = 1,
                   polarization_model: str = "isotropic", false_alarm: float = co.FALSE_ALARM, psd: str = "model",
                   scheduler: str | None = None, n_workers: int = 1, order: int = 2, mesh_size_m: float = 0.25,
                   responses=None, max_chunks: int | None = None, progress: Progress | None = None):
    """Analyse a run file chunk by chunk (module docstring). scheduler: None = a LocalCluster of n_workers
    single-threaded processes, "serial" = in this process, or a scheduler address ("tcp://host:8786").
    max_chunks stops after that many new chunks (what an interrupted run leaves). Returns the CorrelatorResult
    once every chunk is done, else None."""
    progress = progress or Progress(quiet=True)
    with open_run_dataset(path) as ds:
        fs = float(ds.attrs["sampling_rate_hz"])
        n_t = ds.sizes["time"]
        t0 = float(ds["time"].values[0])
        ids = tuple(str(s) for s in ds["sensor"].values)
    if ids != tuple(network.ids):
        raise SpecError(f"{path}: its sensors {ids[:3]}... differ from the network's {tuple(network.ids)[:3]}...")
    chunk_len = int(round(chunk_s * fs))
    n_chunks = n_t // max(chunk_len, 1)
    if chunk_len < 16 or n_chunks < 1:
        raise SpecError(f"chunk_s = {chunk_s} s must hold >= 16 samples and fit in the run ({n_t / fs:g} s)")
    state = Path(state_dir)
    state.mkdir(parents=True, exist_ok=True)
    manifest = {"run": str(Path(path).resolve()), "n_samples": int(n_t), "chunk_len": chunk_len, "fmin_hz": fmin_hz,
                "fmax_hz": fmax_hz, "statistic": statistic, "n_mc": n_mc, "n_anchors": n_anchors, "seed": seed,
                "psd": psd, "network_hash": network.spec_hash()}
    mpath = state / "manifest.json"
    if mpath.exists() and json.loads(mpath.read_text()) != json.loads(json_text(manifest)):
        raise SpecError(f"{state} holds chunks of another analysis; give an empty state_dir")
    with atomic_path(mpath) as tmp:
        tmp.write_text(json_text(manifest))
    todo = [k for k in range(n_chunks) if not (state / f"chunk_{k:06d}.npz").exists()]
    n_before = n_chunks - len(todo)
    if max_chunks is not None:
        todo = todo[:max_chunks]
    kw = dict(fmin_hz=fmin_hz, fmax_hz=fmax_hz, statistic=statistic, n_mc=n_mc, n_anchors=n_anchors, seed=seed,
              psd=psd, pol_seed=seed)
    progress.say(f"long run: {n_chunks} chunks of {chunk_len / fs:g} s, {n_before} done before, {len(todo)} to do")
    if todo and scheduler == "serial":
        resp = responses if responses is not None else _worker_responses(network, order, mesh_size_m)
        for k in progress.loop(todo, len(todo), "chunks"):
            _save(state, k, chunk_partials(path, k, chunk_len, network, responses=resp, **kw))
    elif todo:
        from dask.distributed import Client, LocalCluster, as_completed

        cluster = None
        if scheduler is None:
            cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=40)
        client = Client(cluster if cluster is not None else scheduler)
        try:
            futures = {client.submit(chunk_partials_on_worker, str(path), k, chunk_len, network, order=order,
                                     mesh_size_m=mesh_size_m, pure=False, **kw): k for k in todo}
            for fut in progress.loop(as_completed(futures), len(futures), "chunks"):
                _save(state, futures.pop(fut), fut.result())
                fut.release()  # the worker and this process drop the chunk's sums once they are on disk
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    done = sorted(state.glob("chunk_*.npz"))
    if len(done) < n_chunks:
        return None
    return _combine(_read_parts(done), chunk_len / fs, fs, polarization_model, false_alarm, statistic, t0)


def simulate_to_store(network, duration_s: float, fs_hz: float, path, *, chunk_s: float, seed: int = 0,
                      t0_unix_s: float = UNIX_J2000_S,
                      progress: Progress | None = None):
    """Simulate a noise-only run into a Zarr store chunk by chunk (memory bounded by one chunk), in the recorded-data
    format; chunk k is simulate(..., seed=(seed, k)) (independent Gaussian noise per chunk)."""
    import dask.array as da

    progress = progress or Progress(quiet=True)
    chunk_len = int(round(chunk_s * fs_hz))
    n_chunks = int(round(duration_s * fs_hz)) // chunk_len
    n_t = n_chunks * chunk_len
    path = Path(path)
    first = simulate(network, chunk_len / fs_hz, fs_hz, seed=(seed, 0), t0_unix_s=t0_unix_s)
    skeleton = run_for_network(network, np.zeros((network.n_sensors, 16)), fs_hz, t0_unix_s, attrs=first.attrs)
    ds = to_dataset(skeleton)
    t = t0_unix_s + np.arange(n_t) / fs_hz
    big = ds.drop_dims("time").assign_coords(time=("time", t, ds["time"].attrs))
    big["b_t"] = (("sensor", "time"), da.zeros((network.n_sensors, n_t), chunks=(network.n_sensors, chunk_len)),
                  ds["b_t"].attrs)
    big["quality"] = (("sensor", "time"), da.ones((network.n_sensors, n_t), np.int8,
                                                  chunks=(network.n_sensors, chunk_len)), ds["quality"].attrs)
    for name in list(big.variables):
        if big[name].dtype == object:
            big[name] = big[name].astype(str)
    big.to_zarr(path, mode="w", compute=False, consolidated=True, zarr_format=2)
    for k in progress.loop(range(n_chunks), n_chunks, "simulated chunks"):
        run = first if k == 0 else simulate(network, chunk_len / fs_hz, fs_hz, seed=(seed, k),
                                            t0_unix_s=t0_unix_s + k * chunk_len / fs_hz)
        full = to_dataset(run)
        part = full[["b_t", "quality"]].drop_vars([c for c in full.coords if c in full[["b_t", "quality"]].coords])
        part.to_zarr(path, region={"time": slice(k * chunk_len, (k + 1) * chunk_len), "sensor": slice(None)},
                     mode="r+")
    return path
