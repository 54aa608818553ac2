"""Long runs chunk by chunk (analysis/longrun.py): the chunked analysis of a Zarr run equals the in-memory
correlator with segments of the chunk length, continues after an interruption from its finished chunks, and
gives the same numbers on a Dask LocalCluster."""

import numpy as np
import xarray as xr
from network_helpers import MESH_SIZE_M, amails, amails_responses

from amails_fem.analysis import correlator as co
from amails_fem.analysis import longrun as lr
from amails_fem.network import read_run, write_run
from amails_fem.network.response import lab_templates

KW = dict(fmin_hz=21.0, fmax_hz=39.0, statistic="template", n_mc=300, n_anchors=2)


def test_chunked_long_run_equals_in_memory_and_resumes(tmp_path):
    net, resp = amails(), amails_responses()
    run = co.simulate(net, 400.0, 100.0, seed=3, gaps=[(150.0, 160.0)], injection={
        "eps": 2e-3, "freq_hz": 30.0, "lab_templates": lab_templates(net, resp, [30.0])[0], "polarization": "isotropic"})
    store = write_run(run, tmp_path / "run.zarr")
    # in memory: Q = 4000 puts 21-39 Hz in the band of 4 coherent segments of 100 s
    mem = co.correlate(net, resp, read_run(store), quality=4000.0, **KW)
    assert [(b.n_seg, b.t_seg_s) for b in mem.bands] == [(4, 100.0)]
    state = tmp_path / "state"
    assert lr.correlate_long(store, net, chunk_s=100.0, state_dir=state, scheduler="serial", responses=resp,
                             max_chunks=2, **KW) is None  # interrupted after two chunks
    assert sorted(p.name for p in state.glob("chunk_*.npz")) == ["chunk_000000.npz", "chunk_000001.npz"]
    before = {p.name: p.stat().st_mtime_ns for p in state.glob("chunk_*.npz")}
    long = lr.correlate_long(store, net, chunk_s=100.0, state_dir=state, scheduler="serial", responses=resp, **KW)
    assert all(p.stat().st_mtime_ns == before[p.name] for p in state.glob("chunk_*.npz") if p.name in before)
    assert np.array_equal(long.freqs_hz, mem.freqs_hz)
    for name in ("y", "sigma_y", "snr"):
        assert np.allclose(getattr(long, name), getattr(mem, name), rtol=1e-12, atol=0), name
    assert np.allclose(long.eps2_hat, mem.eps2_hat, rtol=1e-9)
    assert np.allclose(long.global_threshold_snr, mem.global_threshold_snr, rtol=1e-9)
    assert long.candidates().tolist() == mem.candidates().tolist() == [30.0]
    # the limits come from independent Monte Carlo draws per chunk: equal within the Monte Carlo error
    assert np.median(np.abs(long.eps95 / mem.eps95 - 1)) < 0.1
    dask = lr.correlate_long(store, net, chunk_s=100.0, state_dir=tmp_path / "dask", n_workers=1,
                             mesh_size_m=MESH_SIZE_M, **KW)
    assert np.array_equal(dask.snr, long.snr)


def test_chunked_simulation_writes_the_format(tmp_path):
    net = amails()
    store = lr.simulate_to_store(net, 40.0, 50.0, tmp_path / "sim.zarr", chunk_s=10.0, seed=5)
    run = read_run(store)
    assert run.n_samples == 2000 and run.fs_hz == 50.0 and run.mask is None
    assert np.array_equal(run.data_t[:, :500], co.simulate(net, 10.0, 50.0, seed=(5, 0)).data_t)
    assert np.array_equal(run.data_t[:, 1500:], co.simulate(net, 10.0, 50.0, seed=(5, 3)).data_t)
    with xr.open_zarr(store, decode_times=False) as ds:
        assert ds["b_t"].encoding["chunks"] == (15, 500)


def test_cli_long_run_resumes_from_its_chunks(tmp_path):
    from amails_fem.cli import main

    net = amails()
    store = write_run(co.simulate(net, 60.0, 50.0, seed=1), tmp_path / "run.zarr")
    argv = ["correlate", str(store), "--chunk-s", "20", "--scheduler", "serial", "--fmin-hz", "5", "--fmax-hz", "20",
            "--n-mc", "200", "--mesh-size-m", str(MESH_SIZE_M), "--quiet", "--out", str(tmp_path / "c")]
    assert main(argv) == 0
    chunks = sorted((tmp_path / "c.chunks").glob("chunk_*.npz"))
    assert len(chunks) == 3
    with xr.open_dataset(tmp_path / "c" / "limits.nc", engine="h5netcdf") as ds:
        assert int(ds["n_segments"][0]) == 3 and float(ds["segment_duration_s"][0]) == 20.0
        snr = ds["snr"].values
    mtimes = [p.stat().st_mtime_ns for p in chunks]
    (chunks[1]).unlink()  # as if the run had been killed before its second chunk was saved
    assert main(argv) == 0  # the rerun redoes only that chunk
    assert [p.stat().st_mtime_ns for p in chunks if p != chunks[1]] == [mtimes[0], mtimes[2]]
    with xr.open_dataset(tmp_path / "c" / "limits.nc", engine="h5netcdf") as ds:
        assert np.array_equal(ds["snr"].values, snr)
