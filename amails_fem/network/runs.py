"""A recorded network run in memory and on disk (docs/recorded_data.md): one xarray Dataset, NetCDF4/HDF5
(h5netcdf) or Zarr, the same for simulated and measured data.

On disk: dims ``sensor``, ``time``, ``xyz`` (+ ``calibration_frequency`` when a calibration is given);
``time`` in CF "seconds since 1970-01-01T00:00:00Z" (UTC, a regular grid at ``sampling_rate_hz``; gaps are samples
with ``quality = 0``); ``b_t`` (sensor, time) the field in tesla along each sensor's sensitive axis; ``quality``
(sensor, time) 1 = good, 0 = masked; per-sensor coordinates ``sensor_axis`` (unit vector), ``sensor_position_m``,
``sensor_room``, ``sensor_site``; optional ``calibration_gain`` and ``calibration_phase_rad`` (sensor,
calibration_frequency): a field Re[B exp(-i 2 pi f t)] is recorded as Re[g(f) exp(i phi(f)) B exp(-i 2 pi f t)].

Every check here raises one SpecError line before any FFT: units, sampling rate, sorted and unique timestamps,
finite values (NaN samples are masked and reported), unit axes, the sensors against a network file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from amails_fem.errors import SpecError
from amails_fem.io.files import atomic_path
from amails_fem.io.provenance import netcdf_attributes, provenance

TIME_UNITS = "seconds since 1970-01-01T00:00:00Z"
UNIT_SCALE_T = {"T": 1.0, "tesla": 1.0, "mT": 1e-3, "uT": 1e-6, "µT": 1e-6, "nT": 1e-9, "pT": 1e-12, "fT": 1e-15}
MAX_PLAUSIBLE_T = 1e-2  # |B| above 10 mT in a magnetometer record means the values are not in tesla
RATE_RTOL = 1e-6  # timestamps must follow 1/fs within this fraction of a sample
AXIS_TOL = 1e-6
FORMAT_VERSION = "1"


@dataclass
class Run:
    """A network run: readings (n_sensor, n_samples) in tesla at fs_hz from t0_unix_s (UTC), a quality mask
    (True = good), the sensors' ids, axes, positions (room frame, m), rooms and sites, an optional calibration
    {"freq_hz": (n_f,), "gain": (n_sensor, n_f), "phase_rad": (n_sensor, n_f)} and free attributes."""

    data_t: np.ndarray
    fs_hz: float
    t0_unix_s: float
    sensor_ids: tuple = ()
    axes: np.ndarray | None = None
    positions_m: np.ndarray | None = None
    rooms: tuple = ()
    sites: tuple = ()
    mask: np.ndarray | None = None
    calibration: dict | None = None
    attrs: dict = field(default_factory=dict)
    injection: dict | None = None
    problems: list = field(default_factory=list)

    @property
    def n_sensors(self) -> int:
        return int(self.data_t.shape[0])

    @property
    def n_samples(self) -> int:
        return int(self.data_t.shape[1])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs_hz

    def good(self) -> np.ndarray:
        """Boolean (n_sensor, n_samples) of usable samples."""
        return np.ones(self.data_t.shape, bool) if self.mask is None else np.asarray(self.mask, bool)


def run_for_network(network, data_t, fs_hz: float, t0_unix_s: float, **kwargs) -> Run:
    """A Run whose sensor metadata are the network's (the simulator's and the readers' common constructor)."""
    return Run(np.asarray(data_t), float(fs_hz), float(t0_unix_s), tuple(network.ids), network.axes(),
               network.positions_m(), tuple(s.room for s in network.sensors),
               tuple(network.rooms[s.room].site for s in network.sensors), **kwargs)


# -- checks ----------------------------------------------------------------------------------------------------
def unit_scale(units: str, where: str) -> float:
    """Tesla per unit of a readings column (T, mT, uT, nT, pT, fT); anything else is refused."""
    u = str(units).strip()
    if u not in UNIT_SCALE_T:
        raise SpecError(f"{where}: units must be a magnetic flux density, one of {', '.join(UNIT_SCALE_T)}; "
                        f"got {units!r}")
    return UNIT_SCALE_T[u]


def check_times(times_s, fs_hz: float | None, where: str) -> float:
    """Sorted, unique, regular timestamps (UNIX s); returns the sampling rate (Hz) they follow."""
    t = np.asarray(times_s, float)
    if t.ndim != 1 or t.size < 2:
        raise SpecError(f"{where}: needs at least 2 timestamps; got {t.size}")
    if not np.all(np.isfinite(t)):
        raise SpecError(f"{where}: timestamp {int(np.flatnonzero(~np.isfinite(t))[0])} is not finite")
    dt = np.diff(t)
    if np.any(dt == 0):
        k = int(np.flatnonzero(dt == 0)[0])
        raise SpecError(f"{where}: duplicated timestamp {t[k]!r} (samples {k} and {k + 1}); timestamps must be unique")
    if np.any(dt < 0):
        k = int(np.flatnonzero(dt < 0)[0])
        raise SpecError(f"{where}: timestamps are not sorted (sample {k + 1} at {t[k + 1]!r} s comes before "
                        f"sample {k} at {t[k]!r} s)")
    if fs_hz is None:
        span = t[-1] - t[0]
        fs = max(round(span / float(np.median(dt))), 1) / span
        tol = fs * 8 * np.finfo(float).eps * max(abs(t[0]), abs(t[-1]), span) / span  # timestamp resolution
        for digits in range(1, 17):  # the shortest decimal rate the timestamps cannot tell from the estimate
            short = float(f"{fs:.{digits}g}")
            if abs(short - fs) <= tol:
                fs = short
                break
        step = 1.0 / fs
    else:
        step = 1.0 / fs_hz
    med = float(np.median(dt))
    if fs_hz is not None and abs(med - step) > 1e-3 * step:
        raise SpecError(f"{where}: the timestamps follow a sampling rate of {1 / med:.9g} Hz, not the "
                        f"sampling_rate_hz of {1 / step:.9g} Hz")
    k = np.round((t - t[0]) / step)
    tol = max(RATE_RTOL, 64 * np.finfo(float).eps * abs(t[-1]) / step)
    if np.any(np.abs((t - t[0]) / step - k) > tol) or np.any(np.diff(k) < 1):
        raise SpecError(f"{where}: timestamps do not follow one sampling rate of {1 / step:.9g} Hz "
                        f"(a gap must be a whole number of samples)")
    return 1.0 / step


def check_run(run: Run, where: str = "run") -> Run:
    """Validate a run before any FFT (module docstring); NaN or infinite samples are masked and reported in
    run.problems. Returns the run (masked samples set to 0)."""
    x = np.asarray(run.data_t)
    if x.ndim != 2 or x.shape[1] < 16:
        raise SpecError(f"{where}: b_t must be (sensor, time) with at least 16 samples; got shape {x.shape}")
    if not (np.isfinite(run.fs_hz) and run.fs_hz > 0):
        raise SpecError(f"{where}: sampling_rate_hz must be > 0; got {run.fs_hz!r}")
    n = x.shape[0]
    ids = list(run.sensor_ids)
    if len(ids) != n:
        raise SpecError(f"{where}: {n} sensors of readings but {len(ids)} sensor ids")
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise SpecError(f"{where}: sensor id {dup[0]!r} appears more than once")
    if run.axes is not None:
        norms = np.linalg.norm(np.asarray(run.axes, float), axis=1)
        bad = np.flatnonzero(np.abs(norms - 1.0) > AXIS_TOL)
        if bad.size:
            raise SpecError(f"{where}: sensor_axis of {ids[bad[0]]} must be a unit vector; |axis| = {norms[bad[0]]:.6g}")
    good = run.good().copy()
    if good.shape != x.shape:
        raise SpecError(f"{where}: quality mask has shape {good.shape}, readings {x.shape}")
    finite = np.isfinite(x)
    new_bad = good & ~finite
    if new_bad.any():
        for i in np.flatnonzero(new_bad.any(axis=1)):
            k = int(new_bad[i].sum())
            run.problems.append(f"{ids[i]}: {k} non-finite samples ({k / x.shape[1]:.2%}) masked")
        good &= finite
    if not good.any(axis=1).all():
        i = int(np.flatnonzero(~good.any(axis=1))[0])
        raise SpecError(f"{where}: sensor {ids[i]} has no good sample (all masked or NaN)")
    peak = float(np.max(np.abs(np.where(good, x, 0.0))))
    if peak > MAX_PLAUSIBLE_T:
        raise SpecError(f"{where}: |b_t| reaches {peak:.3g}, more than {MAX_PLAUSIBLE_T} T: the readings are not "
                        f"in tesla (convert them, or set the units attribute)")
    if not good.all() or not finite.all():
        x = np.where(good, x, 0.0)
    if run.calibration is not None:
        c = run.calibration
        f = np.asarray(c["freq_hz"], float)
        g = np.asarray(c["gain"], float)
        if f.ndim != 1 or np.any(np.diff(f) <= 0) or g.shape != (n, f.size) or np.shape(c["phase_rad"]) != g.shape:
            raise SpecError(f"{where}: calibration needs increasing calibration_frequency and gain, phase_rad of "
                            f"shape (sensor, calibration_frequency) = ({n}, {f.size})")
        if not (np.all(np.isfinite(g)) and np.all(g > 0)):
            raise SpecError(f"{where}: calibration_gain must be finite and > 0")
    run.data_t, run.mask = x, (None if good.all() else good)
    return run


def match_network(run: Run, network, where: str = "run"):
    """The network restricted to the run's sensors, in the run's order; every run sensor must be in the network
    file with the same axis (and room where the run names one)."""
    by_id = {s.id: s for s in network.sensors}
    missing = [i for i in run.sensor_ids if i not in by_id]
    if missing:
        raise SpecError(f"{where}: sensor {missing[0]!r} is not in the network file {network.source} "
                        f"(it has {', '.join(sorted(by_id))})")
    sensors = [by_id[i] for i in run.sensor_ids]
    for k, s in enumerate(sensors):
        if run.axes is not None and np.linalg.norm(np.asarray(run.axes[k]) - np.asarray(s.axis)) > 1e-6:
            raise SpecError(f"{where}: sensor {s.id} has axis {list(np.round(run.axes[k], 6))} in the run but "
                            f"{list(s.axis)} in the network file {network.source}")
        if run.rooms and run.rooms[k] and run.rooms[k] != s.room:
            raise SpecError(f"{where}: sensor {s.id} is in room {run.rooms[k]!r} in the run but {s.room!r} in the "
                            f"network file {network.source}")
    return network.with_sensors(sensors)


# -- the Dataset -----------------------------------------------------------------------------------------------
def to_dataset(run: Run):
    """The run as an xarray Dataset in the recorded-data schema (docs/recorded_data.md)."""
    import xarray as xr

    nt = run.data_t.shape[1]
    t = run.t0_unix_s + np.arange(nt) / run.fs_hz
    good = run.good()
    coords = {
        "time": ("time", t, {"units": TIME_UNITS, "calendar": "standard", "standard_name": "time",
                             "long_name": "sample time (UTC)", "axis": "T"}),
        "sensor": ("sensor", np.array(run.sensor_ids, dtype=object), {"long_name": "sensor id"}),
        "xyz": ("xyz", np.array(["x", "y", "z"], dtype=object), {"long_name": "room-frame component"}),
    }
    if run.axes is not None:
        coords["sensor_axis"] = (("sensor", "xyz"), np.asarray(run.axes, float),
                                 {"units": "1", "long_name": "unit sensitive axis", "frame": "room frame, z up"})
    if run.positions_m is not None:
        coords["sensor_position_m"] = (("sensor", "xyz"), np.asarray(run.positions_m, float),
                                       {"units": "m", "long_name": "sensor position", "frame": "room frame, centred"})
    if run.rooms:
        coords["sensor_room"] = ("sensor", np.array(run.rooms, dtype=object), {"long_name": "room id"})
    if run.sites:
        coords["sensor_site"] = ("sensor", np.array(run.sites, dtype=object), {"long_name": "site id"})
    data = {
        "b_t": (("sensor", "time"), np.asarray(run.data_t, float),
                {"units": "T", "long_name": "magnetic flux density along the sensor's sensitive axis",
                 "coordinates": "sensor_axis sensor_position_m sensor_room sensor_site"}),
        "quality": (("sensor", "time"), good.astype(np.int8),
                    {"long_name": "data-quality flag", "flag_values": np.array([0, 1], np.int8),
                     "flag_meanings": "masked good"}),
    }
    if run.calibration is not None:
        c = run.calibration
        coords["calibration_frequency"] = ("calibration_frequency", np.asarray(c["freq_hz"], float), {"units": "Hz"})
        data["calibration_gain"] = (("sensor", "calibration_frequency"), np.asarray(c["gain"], float),
                                    {"units": "1", "long_name": "recorded / true field amplitude"})
        data["calibration_phase_rad"] = (("sensor", "calibration_frequency"), np.asarray(c["phase_rad"], float),
                                         {"units": "rad", "long_name": "phase phi of the recorded phasor, "
                                          "recorded = g exp(i phi) true, x(t) = Re[X exp(-i 2 pi f t)]"})
    attrs = provenance(format="amails_fem network run", format_version=FORMAT_VERSION,
                       sampling_rate_hz=float(run.fs_hz), t0_unix_s=float(run.t0_unix_s))
    attrs.update({k: v for k, v in run.attrs.items() if k not in attrs or k in ("network", "network_hash", "source")})
    if run.injection is not None:
        attrs["injection"] = json.dumps(run.injection, default=_json_default)
    return xr.Dataset(data, coords=coords, attrs=netcdf_attributes(attrs, title=run.attrs.get(
        "title", "magnetometer network run")))


def _json_default(obj):
    if isinstance(obj, np.ndarray):
        if np.iscomplexobj(obj):
            return {"re": obj.real.tolist(), "im": obj.imag.tolist()}
        return obj.tolist()
    if isinstance(obj, (np.generic,)):
        return obj.item()
    if isinstance(obj, complex):
        return {"re": obj.real, "im": obj.imag}
    return str(obj)


def from_dataset(ds, where: str = "run") -> Run:
    """A Run from a Dataset of the recorded-data schema (time as CF seconds since 1970 UTC, or datetime64)."""
    if "b_t" not in ds:
        raise SpecError(f"{where}: no variable b_t (the readings in tesla); variables: {', '.join(ds.data_vars)}")
    b = ds["b_t"]
    if set(b.dims) != {"sensor", "time"}:
        raise SpecError(f"{where}: b_t must have dims (sensor, time); got {b.dims}")
    b = b.transpose("sensor", "time")
    scale = unit_scale(b.attrs.get("units", ""), f"{where}: b_t")
    tc = ds["time"]
    if np.issubdtype(tc.dtype, np.datetime64):
        t = (tc.values.astype("datetime64[ns]").astype(np.int64)) * 1e-9
    else:
        units = str(tc.attrs.get("units", ""))
        if units.replace("Z", "").replace("T", " ").strip() not in (TIME_UNITS.replace("Z", "").replace("T", " "),
                                                                    "seconds since 1970-01-01 00:00:00",
                                                                    "s since 1970-01-01 00:00:00"):
            raise SpecError(f"{where}: time units must be {TIME_UNITS!r} (UTC); got {units!r}")
        t = np.asarray(tc.values, float)
    fs_attr = ds.attrs.get("sampling_rate_hz")
    fs = check_times(t, float(fs_attr) if fs_attr is not None else None, f"{where}: time")
    x = np.asarray(b.values, float)
    if scale != 1.0:
        x = x * scale
    good = np.asarray(ds["quality"].transpose("sensor", "time").values) > 0 if "quality" in ds else None
    k = np.round((t - t[0]) * fs).astype(np.int64)
    if k[-1] + 1 != t.size:  # gaps in the time coordinate: place the samples on the regular grid, masked between
        full = np.zeros((x.shape[0], k[-1] + 1))
        full[:, k] = x
        g = np.zeros(full.shape, bool)
        g[:, k] = True if good is None else good
        x, good = full, g
    ids = tuple(str(s) for s in ds["sensor"].values)
    cal = None
    if "calibration_gain" in ds:
        cal = {"freq_hz": np.asarray(ds["calibration_frequency"].values, float),
               "gain": np.asarray(ds["calibration_gain"].transpose("sensor", ...).values, float),
               "phase_rad": np.asarray(ds["calibration_phase_rad"].transpose("sensor", ...).values, float)}
    attrs = dict(ds.attrs)
    injection = json.loads(attrs.pop("injection")) if "injection" in attrs else None
    run = Run(x, fs, float(t[0]), ids,
              np.asarray(ds["sensor_axis"].transpose("sensor", "xyz").values, float) if "sensor_axis" in ds else None,
              np.asarray(ds["sensor_position_m"].transpose("sensor", "xyz").values, float)
              if "sensor_position_m" in ds else None,
              tuple(str(r) for r in ds["sensor_room"].values) if "sensor_room" in ds else (),
              tuple(str(r) for r in ds["sensor_site"].values) if "sensor_site" in ds else (),
              good, cal, attrs, injection)
    return check_run(run, where)


def write_run(run: Run, path) -> Path:
    """Write a run atomically: NetCDF4/HDF5 (h5netcdf; any suffix but .zarr) or a Zarr store (suffix .zarr),
    both chunked along time. Returns the path."""
    path = Path(path)
    ds = to_dataset(run)
    chunk = int(min(run.n_samples, max(1024, 2**20 // max(run.n_sensors, 1))))
    enc = {"b_t": {"chunksizes": (run.n_sensors, chunk)}, "quality": {"chunksizes": (run.n_sensors, chunk)}}
    if path.suffix == ".zarr":
        import shutil
        import tempfile

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent))
        try:
            for name in list(ds.variables):  # fixed-width strings: Zarr has no object dtype
                if ds[name].dtype == object:
                    ds[name] = ds[name].astype(str)
            ds.chunk({"time": chunk}).to_zarr(tmp / "store.zarr", mode="w", consolidated=True, zarr_format=2)
            if path.exists():
                shutil.rmtree(path)
            (tmp / "store.zarr").rename(path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return path
    with atomic_path(path, suffix=path.suffix or ".nc") as tmp:
        ds.to_netcdf(tmp, engine="h5netcdf", encoding=enc)
    return path


def open_run_dataset(path, chunks=None):
    """Open a run file lazily (xarray; dask chunks along time when chunks is given), times left as numbers."""
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise SpecError(f"run file {path} does not exist")
    if path.suffix == ".zarr" or (path.is_dir() and (path / ".zmetadata").exists()):
        return xr.open_zarr(path, decode_times=False, chunks=chunks)
    try:
        return xr.open_dataset(path, engine="h5netcdf", decode_times=False, chunks=chunks)
    except (OSError, ValueError) as err:
        raise SpecError(f"{path}: not a NetCDF4/HDF5 run file ({err})") from None


def read_run(path) -> Run:
    """Read a run written by write_run (or any file of the schema in docs/recorded_data.md), validated."""
    with open_run_dataset(path) as ds:
        return from_dataset(ds.load(), str(path))


def with_data(run: Run, data_t) -> Run:
    """A copy of run with other readings (same sensors and times)."""
    return replace(run, data_t=np.asarray(data_t), problems=list(run.problems))
