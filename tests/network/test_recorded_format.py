"""The recorded-data format (docs/recorded_data.md): NetCDF4/Zarr round trips bit for bit through the analysis,
CSV folders and MNE/FIF, and every bad input refused with one clear line before any FFT."""

import numpy as np
import pytest
import xarray as xr
from network_helpers import amails, amails_responses

from amails_fem.analysis import correlator as co
from amails_fem.cli import main
from amails_fem.errors import SpecError
from amails_fem.network import read_run, write_run
from amails_fem.network import readers as rd
from amails_fem.network.response import lab_templates
from amails_fem.network.runs import match_network, run_for_network
from amails_fem.network.sensors import default_network_path

CAL = {"freq_hz": np.array([1.0, 50.0]), "gain": np.tile([0.9, 1.1], (15, 1)),
       "phase_rad": np.tile([0.1, -0.2], (15, 1))}


def _run(seed=3, **kw):
    net = amails()
    lt = lab_templates(net, amails_responses(), [30.0])[0]
    return co.simulate(net, 40.0, 100.0, seed=seed, injection={"eps": 3e-3, "freq_hz": 30.0, "lab_templates": lt,
                                                               "polarization": [0.0, 0.3, 1.0]}, **kw)


def _analyse(run):
    return co.correlate(amails(), amails_responses(), run, fmin_hz=20, fmax_hz=40, statistic="template", n_mc=300,
                        n_anchors=2)


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_round_trip_equals_in_memory_bit_for_bit(tmp_path, suffix):
    """simulate -> write -> read -> correlate gives exactly the in-memory numbers (gaps and calibration on)."""
    run = _run(gaps=[(5.0, 7.5), (20.0, 21.0, 4)], calibration=CAL)
    path = write_run(run, tmp_path / f"run{suffix}")
    back = read_run(path)
    assert back.fs_hz == run.fs_hz and back.t0_unix_s == run.t0_unix_s and back.sensor_ids == run.sensor_ids
    assert np.array_equal(back.mask, run.mask) and np.array_equal(back.axes, run.axes)
    assert np.array_equal(back.data_t[back.mask], run.data_t[run.mask])
    assert np.array_equal(back.calibration["phase_rad"], CAL["phase_rad"])
    a, b = _analyse(run), _analyse(back)
    for name in ("snr", "y", "eps95", "eps2_hat", "global_threshold_snr"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert b.candidates().tolist() == [30.0]  # the injection, recovered through gaps and calibration


def test_calibration_is_applied():
    """A recorder with gain 0.9-1.1 and phase: with the calibration the estimate is the uncalibrated truth's."""
    true = _analyse(_run())
    cal = _run(calibration=CAL)
    k = int(np.argmin(np.abs(true.freqs_hz - 30.0)))
    assert _analyse(cal).eps2_hat[k] == pytest.approx(true.eps2_hat[k], rel=1e-6)
    cal.calibration = None  # the same readings taken at face value are off by the gain (~ g^2 at 30 Hz)
    assert _analyse(cal).eps2_hat[k] / true.eps2_hat[k] == pytest.approx(np.interp(30, [1, 50], [0.9, 1.1]) ** 2,
                                                                         rel=0.02)


def test_schema_has_cf_time_units_and_sensor_coordinates(tmp_path):
    path = write_run(_run(), tmp_path / "run.nc")
    with xr.open_dataset(path, engine="h5netcdf", decode_times=False) as ds:
        assert ds["time"].attrs["units"] == "seconds since 1970-01-01T00:00:00Z"
        assert ds["b_t"].attrs["units"] == "T" and ds["b_t"].dims == ("sensor", "time")
        assert ds["sensor_axis"].shape == (15, 3) and set(ds["sensor_room"].values) == {"suzhou", "harbin"}
        assert ds.attrs["Conventions"].startswith("CF") and ds.attrs["sampling_rate_hz"] == 100.0
    with xr.open_dataset(path, engine="h5netcdf") as ds:  # plain CF decoding gives UTC datetimes
        assert str(ds["time"].values[0]).startswith("2000-01-01T12:00:00")


def test_csv_folder_round_trip_with_gaps(tmp_path):
    run = _run(gaps=[(3.0, 4.0, 2)])
    rd.write_csv_folder(run, tmp_path / "csv", unit="pT")
    back = rd.read_csv_folder(tmp_path / "csv", amails())
    assert back.fs_hz == pytest.approx(100.0, rel=1e-12) and back.t0_unix_s == run.t0_unix_s
    assert np.array_equal(back.mask, run.mask)
    assert np.allclose(back.data_t, np.where(run.mask, run.data_t, 0.0), rtol=1e-14, atol=0)
    assert back.sensor_ids == run.sensor_ids
    iso = tmp_path / "iso"  # ISO 8601 UTC timestamps instead of UNIX seconds
    iso.mkdir()
    t = np.datetime64("2026-03-01T00:00:00") + (np.arange(100) * 10).astype("timedelta64[ms]")
    (iso / "SZ05.csv").write_text("time_utc,b_nT\n" + "".join(f"{a}Z,{0.01 * k}\n" for k, a in enumerate(t)))
    one = rd.read_csv_folder(iso, amails())
    assert one.fs_hz == 100.0 and one.sensor_ids == ("SZ05",) and one.data_t[0, 3] == pytest.approx(3e-11)
    assert one.t0_unix_s == np.datetime64("2026-03-01T00:00:00", "s").astype(int)


def test_mne_layout_and_fif_round_trip(tmp_path):
    net = amails()
    lay = rd.layout_from_mne_info(rd.network_mne_info(net, 100.0))
    assert lay["sensor_ids"] == tuple(net.ids)
    assert np.allclose(lay["positions_m"], net.positions_m()) and np.allclose(lay["axes"], net.axes(), atol=1e-7)
    assert lay["rooms"] == tuple(s.room for s in net.sensors)
    run = _run(gaps=[(10.0, 12.0, 1)])
    back = rd.read_any(rd.write_fif(run, tmp_path / "run_raw.fif"))
    assert match_network(back, net).ids == net.ids
    assert np.array_equal(back.mask, run.mask)
    assert np.allclose(back.data_t, np.where(run.mask, run.data_t, 0.0), rtol=1e-6)  # FIF stores float32
    assert back.t0_unix_s == pytest.approx(run.t0_unix_s, abs=1e-6)


def _csv(folder, name, t, b, col="b_T"):
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.csv").write_text(f"time_unix_s,{col}\n" + "".join(f"{float(a)!r},{float(v)!r}\n" for a, v in zip(t, b)))


@pytest.fixture
def no_fft(monkeypatch):
    """Every check must fire before the first FFT."""
    def boom(*a, **k):
        raise AssertionError("an FFT ran before the input was checked")
    monkeypatch.setattr(np.fft, "rfft", boom)


def test_bad_csv_inputs_give_one_clear_error_before_any_fft(tmp_path, no_fft):
    net = amails()
    t = 1.0e9 + np.arange(64) / 10.0
    b = np.zeros(64) + 1e-12
    cases = {
        "rates": ([("SZ01", t, b), ("SZ02", 1.0e9 + np.arange(64) / 20.0, b)], "sampling rate"),
        "unsorted": ([("SZ01", np.r_[t[:10], t[11], t[10], t[12:]], b)], "not sorted"),
        "duplicated": ([("SZ01", np.r_[t[:10], t[9], t[11:]], b)], "duplicated timestamp"),
        "unknown": ([("XX99", t, b)], "'XX99' is not in the network file"),
        "plausible": ([("SZ01", t, b * 1e12)], "not in tesla"),
        "irregular": ([("SZ01", t + np.r_[np.zeros(30), 0.03 * np.ones(34)], b)], "one sampling rate"),
    }
    for name, (files, message) in cases.items():
        folder = tmp_path / name
        for sid, tt, bb in files:
            _csv(folder, sid, tt, bb)
        with pytest.raises(SpecError, match=message) as err:
            rd.read_csv_folder(folder, net)
        assert "\n" not in str(err.value)
    _csv(tmp_path / "units", "SZ01", t, b, col="b_V")
    with pytest.raises(SpecError, match="units must be a magnetic flux density"):
        rd.read_csv_folder(tmp_path / "units", net)


def test_nan_samples_are_masked_and_reported(tmp_path, no_fft):
    t = 1.0e9 + np.arange(64) / 10.0
    b = np.full(64, 1e-12)
    b[5:9] = np.nan
    _csv(tmp_path / "nan", "SZ03", t, b)
    run = rd.read_csv_folder(tmp_path / "nan", amails())
    assert run.mask.sum() == 60 and run.problems == ["SZ03: 4 non-finite samples (6.25%) masked"]
    assert np.all(run.data_t[~run.mask] == 0)


def test_bad_run_files_and_network_mismatch(tmp_path, no_fft):
    net = amails()
    ds_path = tmp_path / "run.nc"
    base = run_for_network(net, np.zeros((15, 64)) + 1e-13, 10.0, 1.0e9)
    write_run(base, ds_path)
    with xr.open_dataset(ds_path, engine="h5netcdf", decode_times=False) as ds:
        ds = ds.load()
    bad = ds.copy()
    bad["b_t"].attrs["units"] = "V"
    bad.to_netcdf(tmp_path / "units.nc", engine="h5netcdf")
    with pytest.raises(SpecError, match="units must be a magnetic flux density"):
        read_run(tmp_path / "units.nc")
    bad = ds.copy()
    bad = bad.assign_coords(time=("time", ds["time"].values[::-1], ds["time"].attrs))
    bad.to_netcdf(tmp_path / "unsorted.nc", engine="h5netcdf")
    with pytest.raises(SpecError, match="not sorted"):
        read_run(tmp_path / "unsorted.nc")
    bad = ds.copy()
    bad.attrs["sampling_rate_hz"] = 20.0
    bad.to_netcdf(tmp_path / "rate.nc", engine="h5netcdf")
    with pytest.raises(SpecError, match="not the sampling_rate_hz of 20 Hz"):
        read_run(tmp_path / "rate.nc")
    bad = ds.assign_coords(sensor=("sensor", np.array(["XX01"] + net.ids[1:], dtype=object)))
    bad.to_netcdf(tmp_path / "ids.nc", engine="h5netcdf")
    with pytest.raises(SpecError, match="'XX01' is not in the network file"):
        match_network(read_run(tmp_path / "ids.nc"), net)
    bad = ds.copy()
    bad["sensor_axis"] = (("sensor", "xyz"), np.roll(ds["sensor_axis"].values, 1, axis=1))
    bad.to_netcdf(tmp_path / "axes.nc", engine="h5netcdf")
    with pytest.raises(SpecError, match="has axis"):
        match_network(read_run(tmp_path / "axes.nc"), net)


def test_cli_refuses_bad_runs_before_any_solve(tmp_path, capsys):
    (tmp_path / "junk.nc").write_text("not a netcdf file")
    assert main(["correlate", str(tmp_path / "junk.nc"), "--out", str(tmp_path / "c"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a NetCDF4/HDF5 run file" in err[0]
    assert main(["correlate", str(tmp_path / "missing.nc"), "--out", str(tmp_path / "c"), "--quiet"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["correlate", str(tmp_path / "junk.nc"), "--simulate", "--out", str(tmp_path / "c"), "--quiet"]) == 2
    assert "not both" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()
    assert default_network_path().exists()
