"""Readers for what labs record, into a network Run (runs.py; docs/recorded_data.md):

- a folder of one CSV per sensor, ``<sensor id>.csv`` with a header ``time_unix_s,b_<unit>`` (or ``time_utc`` in
  ISO 8601 UTC; unit T, mT, uT, nT, pT or fT), blank or ``nan`` values for missing samples;
- MNE-Python Raw / FIF files of OPM arrays (mne is an optional dependency, imported when used): channels of type
  ``mag`` in tesla, ``loc[:3]`` the position (m), ``loc[9:12]`` the sensitive axis (``ez`` of the coil frame),
  ``BAD*`` annotations (per channel or all) the masked spans; rooms and sites in ``info["description"]`` as JSON.

The sensor metadata (axes, positions, rooms) of a CSV folder come from the network file; every mistake is one
SpecError line before any FFT (runs.py).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import numpy as np
import pandas as pd

from amails_fem.errors import SpecError
from amails_fem.network.runs import (
    Run,
    check_run,
    check_times,
    read_run,
    run_for_network,
    unit_scale,
)

MNE_DESCRIPTION_KEY = "amails_fem_sensors"


# -- CSV folder ------------------------------------------------------------------------------------------------
def _csv_times(df, where: str) -> np.ndarray:
    if "time_unix_s" in df:
        try:
            return np.asarray(pd.to_numeric(df["time_unix_s"], errors="raise"), float)
        except (ValueError, TypeError) as err:
            raise SpecError(f"{where}: time_unix_s must be numbers (UNIX seconds, UTC): {err}") from None
    if "time_utc" in df:
        s = df["time_utc"].astype(str).str.replace("Z", "", regex=False).str.replace("+00:00", "", regex=False)
        try:
            t = np.array(s.values, dtype="datetime64[ns]")
        except ValueError as err:
            raise SpecError(f"{where}: time_utc must be ISO 8601 UTC ({err})") from None
        return t.astype(np.int64) * 1e-9
    raise SpecError(f"{where}: needs a column time_unix_s (UNIX seconds) or time_utc (ISO 8601 UTC); "
                    f"got {', '.join(df.columns)}")


def read_csv_folder(folder, network) -> Run:
    """One CSV per sensor of the network (module docstring), placed on one regular UTC grid: files may start and
    end at different times and have gaps (masked); sampling rates must agree."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SpecError(f"{folder}: not a folder of <sensor id>.csv files")
    files = {p.stem: p for p in sorted(folder.glob("*.csv"))}
    if not files:
        raise SpecError(f"{folder}: no <sensor id>.csv file")
    ids = set(network.ids)
    unknown = sorted(set(files) - ids)
    if unknown:
        raise SpecError(f"{folder / (unknown[0] + '.csv')}: sensor {unknown[0]!r} is not in the network file "
                        f"{network.source} (it has {', '.join(sorted(ids))})")
    sensors = [s for s in network.sensors if s.id in files]
    series = []
    for s in sensors:
        where = str(files[s.id])
        df = pd.read_csv(files[s.id], skipinitialspace=True)
        cols = [c for c in df.columns if c.startswith("b_")]
        if len(cols) != 1:
            raise SpecError(f"{where}: needs one readings column b_<unit> (b_T, b_nT, b_pT, b_fT ...); "
                            f"got {', '.join(df.columns)}")
        scale = unit_scale(cols[0][2:], f"{where}: column {cols[0]}")
        t = _csv_times(df, where)
        fs = check_times(t, None, where)
        x = np.asarray(pd.to_numeric(df[cols[0]], errors="coerce"), float) * scale
        series.append((s.id, t, fs, x))
    fs0 = series[0][2]
    for sid, _t, fs, _x in series[1:]:
        if abs(fs - fs0) > 1e-6 * fs0:
            raise SpecError(f"{files[sid]}: sampling rate {fs:.9g} Hz differs from {fs0:.9g} Hz of "
                            f"{files[series[0][0]]}; all sensors of a run share one rate")
    t0 = min(t[0] for _s, t, _f, _x in series)
    t1 = max(t[-1] for _s, t, _f, _x in series)
    n_t = int(round((t1 - t0) * fs0)) + 1
    data = np.zeros((len(series), n_t))
    good = np.zeros((len(series), n_t), bool)
    for i, (sid, t, _fs, x) in enumerate(series):
        k = (t - t0) * fs0
        if np.any(np.abs(k - np.round(k)) > 1e-3):
            raise SpecError(f"{files[sid]}: timestamps are off the common sampling grid of the run "
                            f"(t0 = {t0!r} s, {fs0:.9g} Hz)")
        k = np.round(k).astype(np.int64)
        data[i, k] = x
        good[i, k] = True
    run = run_for_network(network.with_sensors(sensors), data, fs0, t0, mask=good,
                          attrs={"source": str(folder), "network": network.name, "network_hash": network.spec_hash()})
    return check_run(run, str(folder))


def write_csv_folder(run: Run, folder, unit: str = "T") -> Path:
    """Write a run as one CSV per sensor (time_unix_s, b_<unit>), masked samples left out."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    scale = unit_scale(unit, "unit")
    t = run.t0_unix_s + np.arange(run.n_samples) / run.fs_hz
    good = run.good()
    for i, sid in enumerate(run.sensor_ids):
        g = good[i]
        pd.DataFrame({"time_unix_s": t[g], f"b_{unit}": run.data_t[i][g] / scale}).to_csv(
            folder / f"{sid}.csv", index=False, float_format="%.17g")
    return folder


# -- MNE -------------------------------------------------------------------------------------------------------
def _mne():
    try:
        import mne
    except ImportError:
        raise SpecError("reading or writing MNE/FIF files needs mne (pip install mne)") from None
    return mne


def _frame(axis) -> np.ndarray:
    """ex, ey, ez (rows): a right-handed orthonormal frame with ez = axis."""
    ez = np.asarray(axis, float) / np.linalg.norm(axis)
    ref = np.array([1.0, 0.0, 0.0]) if abs(ez[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    ex = ref - ez * (ref @ ez)
    ex /= np.linalg.norm(ex)
    return np.stack([ex, np.cross(ez, ex), ez])


def mne_info(sensor_ids, positions_m, axes, fs_hz: float, rooms=(), sites=()):
    """An mne.Info for a sensor layout: magnetometer channels named by sensor id, loc = position (m) and coil
    frame with ez along the sensitive axis; rooms and sites kept in the description (JSON)."""
    mne = _mne()
    info = mne.create_info(list(sensor_ids), float(fs_hz), ch_types="mag")
    for ch, p, a in zip(info["chs"], positions_m, axes):
        ch["loc"][:3] = np.asarray(p, float)
        ch["loc"][3:12] = _frame(a).ravel()
    with info._unlock():
        info["description"] = json.dumps({MNE_DESCRIPTION_KEY: {"rooms": list(rooms), "sites": list(sites)}})
    return info


def network_mne_info(network, fs_hz: float):
    """The network's sensor layout as an mne.Info (mne_info)."""
    return mne_info(network.ids, network.positions_m(), network.axes(), fs_hz,
                    [s.room for s in network.sensors], [network.rooms[s.room].site for s in network.sensors])


def layout_from_mne_info(info) -> dict:
    """Sensor ids, positions (m), axes and rooms/sites (when the description holds them) of the mag channels."""
    chs = [ch for ch in info["chs"] if ch["kind"] == _mne().io.constants.FIFF.FIFFV_MEG_CH]
    if not chs:
        raise SpecError("the MNE recording has no magnetometer (mag) channel")
    ids = [ch["ch_name"] for ch in chs]
    pos = np.array([ch["loc"][:3] for ch in chs], float)
    ax = np.array([ch["loc"][9:12] for ch in chs], float)
    norms = np.linalg.norm(ax, axis=1)
    if np.any(norms == 0):
        raise SpecError(f"channel {ids[int(np.argmin(norms))]} has no orientation (loc[9:12] = 0)")
    rooms, sites = (), ()
    try:
        meta = json.loads(info.get("description") or "{}").get(MNE_DESCRIPTION_KEY, {})
        rooms, sites = tuple(meta.get("rooms", ())), tuple(meta.get("sites", ()))
    except (ValueError, AttributeError):
        pass
    return {"sensor_ids": tuple(ids), "positions_m": pos, "axes": ax / norms[:, None],
            "rooms": rooms if len(rooms) == len(ids) else (), "sites": sites if len(sites) == len(ids) else ()}


def to_mne_raw(run: Run):
    """An mne.io.RawArray of the run (tesla; masked spans as BAD_masked annotations on their channels)."""
    mne = _mne()
    info = mne_info(run.sensor_ids, run.positions_m if run.positions_m is not None else np.zeros((run.n_sensors, 3)),
                    run.axes if run.axes is not None else np.tile([0.0, 0.0, 1.0], (run.n_sensors, 1)),
                    run.fs_hz, run.rooms, run.sites)
    raw = mne.io.RawArray(run.data_t, info, verbose="error")
    raw.set_meas_date(datetime.datetime.fromtimestamp(run.t0_unix_s, datetime.UTC))
    good = run.good()
    onsets, durations, names = [], [], []
    for i, sid in enumerate(run.sensor_ids):
        bad = np.flatnonzero(np.diff(np.concatenate([[0], (~good[i]).astype(np.int8), [0]])))
        for a, b in zip(bad[::2], bad[1::2]):
            onsets.append(a / run.fs_hz)
            durations.append((b - a) / run.fs_hz)
            names.append((sid,))
    if onsets:
        raw.set_annotations(mne.Annotations(onsets, durations, ["BAD_masked"] * len(onsets),
                                            orig_time=raw.info["meas_date"], ch_names=names))
    return raw


def from_mne_raw(raw, where: str = "MNE recording") -> Run:
    """A Run from an mne Raw: its mag channels (tesla), meas_date as t0 (UTC), BAD annotations masked."""
    lay = layout_from_mne_info(raw.info)
    picks = [raw.ch_names.index(c) for c in lay["sensor_ids"]]
    x = raw.get_data(picks=picks)
    fs = float(raw.info["sfreq"])
    md = raw.info["meas_date"]
    t0 = (md.timestamp() if md is not None else 0.0) + raw.first_samp / fs
    good = np.ones(x.shape, bool)
    for ann in raw.annotations:
        if not ann["description"].upper().startswith("BAD"):
            continue
        a = int(round((ann["onset"] - raw.first_samp / fs) * fs))
        b = a + int(round(ann["duration"] * fs))
        chans = ann.get("ch_names") or lay["sensor_ids"]
        for c in chans:
            if c in lay["sensor_ids"]:
                good[lay["sensor_ids"].index(c), max(a, 0):max(b, 0)] = False
    run = Run(x, fs, t0, lay["sensor_ids"], lay["axes"], lay["positions_m"], lay["rooms"], lay["sites"],
              mask=good, attrs={"source": where})
    return check_run(run, where)


def write_fif(run: Run, path) -> Path:
    """Save a run as a FIF file (name ending in _raw.fif or _meg.fif as MNE expects)."""
    to_mne_raw(run).save(str(path), overwrite=True, verbose="error")
    return Path(path)


def read_fif(path) -> Run:
    """Read a FIF recording (mne.io.read_raw_fif) as a Run."""
    mne = _mne()
    try:
        raw = mne.io.read_raw_fif(str(path), preload=True, verbose="error")
    except (OSError, ValueError) as err:
        raise SpecError(f"{path}: not a readable FIF file ({err})") from None
    return from_mne_raw(raw, str(path))


def read_any(path, network=None) -> Run:
    """A run from a NetCDF/HDF5 or Zarr run file, a FIF file, or a folder of CSVs (needs the network)."""
    p = Path(path)
    if not p.exists():
        raise SpecError(f"run {p} does not exist")
    if p.suffix == ".fif" or p.name.endswith(".fif.gz"):
        return read_fif(p)
    if p.is_dir() and p.suffix != ".zarr" and not (p / ".zmetadata").exists():
        if network is None:
            raise SpecError(f"{p}: a folder of CSVs needs the network file (--network) for the sensor axes")
        return read_csv_folder(p, network)
    return read_run(p)
