"""`amails-fem simulate | correlate`: network runs in the recorded-data format and their analysis (composition
only; the format in network/runs.py and readers.py, the physics in analysis/; docs/recorded_data.md)."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np

from amails_fem.analysis import correlator as co
from amails_fem.analysis.longrun import correlate_long, first_chunk
from amails_fem.analysis.products import (
    EPS2_HAT_NORMALISATION,
    candidates_record,
    limits_dataset,
)
from amails_fem.analysis.simulation import DEFAULT_QUALITY, simulate
from amails_fem.cli.options import HelpFormatter, count, in_range, positive
from amails_fem.errors import SpecError
from amails_fem.io.files import write_json
from amails_fem.io.netcdf import write_dataset
from amails_fem.io.provenance import provenance
from amails_fem.log import Progress
from amails_fem.network.readers import read_any
from amails_fem.network.response import lab_templates, solve_network_rooms
from amails_fem.network.runs import match_network, write_run
from amails_fem.network.sensors import default_network_path, load_network
from amails_fem.plotting.figures import save_figure
from amails_fem.plotting.limits import limit_figure
from amails_fem.plotting.network import plot_limit, plot_snr_histograms
from amails_fem.validate import require_positive, require_range


def _room_flags(p) -> None:
    p.add_argument("--mesh-size-m", "--mesh-size", dest="mesh_size", type=positive("m"), default=0.25,
                   help="room mesh size (m) of the field solve behind the templates")
    p.add_argument("--order", type=int, default=2, choices=(1, 2), help="element order")
    p.add_argument("--quiet", action="store_true", help="no progress lines")


def _simulate_flags(p, required: bool) -> None:
    p.add_argument("--duration-s", type=positive("s"), default=None if required else 2000.0, required=required,
                   help="duration of the run (s)")
    p.add_argument("--fs-hz", type=positive("Hz"), default=None if required else 1000.0, required=required,
                   help="sampling rate (Hz)")
    p.add_argument("--start-utc", default="2000-01-01T12:00:00Z", help="UTC time of the first sample (ISO 8601)")
    p.add_argument("--inject-eps", type=in_range(0.0, 1.0, ""), default=0.0, help="inject a dark-photon signal of this eps (0: none)")
    p.add_argument("--inject-freq-hz", type=positive("Hz"), default=10.1, help="injection frequency (Hz; moved to the "
                   "nearest bin of the run)")
    p.add_argument("--inject-polarization", default="isotropic",
                   help="celestial polarization of the injection: X,Y,Z (fixed), isotropic (one random P for the "
                        "run) or stochastic (finite coherence time Q/f)")
    p.add_argument("--coherence-quality", type=positive(""), default=DEFAULT_QUALITY,
                   help="Q = f x coherence time of the dark-matter field")
    p.add_argument("--seed", type=int, default=0, help="random seed of the noise and the injection")


def register(sub) -> None:
    p = sub.add_parser("simulate", help="simulate a network run into the recorded-data format (NetCDF4 or Zarr)",
                       formatter_class=HelpFormatter,
                       description="Gaussian network noise (intrinsic + common-mode room noise) with an optional "
                                   "dark-photon injection, written as a recorded run (docs/recorded_data.md).",
                       epilog="example:\n  amails-fem simulate geometries/amails_network.toml --duration-s 2000 "
                              "--fs-hz 1000 --inject-eps 1e-2 --inject-freq-hz 10.1 --out run.nc")
    p.add_argument("network", nargs="?", default=str(default_network_path()), help="network TOML")
    _simulate_flags(p, required=True)
    _room_flags(p)
    p.add_argument("--out", required=True, help="run file: .nc (NetCDF4/HDF5) or .zarr")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("correlate", help="analyse a recorded run: SNR, global candidates, 95%% limit on eps",
                       formatter_class=HelpFormatter,
                       description="Cross-correlate every sensor pair of a recorded run (NetCDF4/Zarr run file, "
                                   "FIF, or a folder of CSVs), combine coherent segments, rank candidates with the "
                                   "look-elsewhere correction and set a 95% C.L. limit on eps per frequency.",
                       epilog="examples:\n  amails-fem correlate run.nc --network geometries/amails_network.toml "
                              "--out corr\n  amails-fem correlate --simulate --duration-s 100 --fs-hz 200 --out corr")
    p.add_argument("run", nargs="?", default=None, help="recorded run (.nc, .zarr, .fif or a CSV folder); none "
                   "with --simulate")
    p.add_argument("--network", default=str(default_network_path()), help="network TOML with the run's sensors")
    p.add_argument("--simulate", action="store_true", help="simulate the run instead of reading one")
    _simulate_flags(p, required=False)
    p.add_argument("--fmin-hz", type=positive("Hz"), default=1.0, help="lowest frequency analysed (Hz)")
    p.add_argument("--fmax-hz", type=positive("Hz"), default=None, help="highest frequency analysed (Hz; None: 0.999 x "
                   "Nyquist)")
    p.add_argument("--statistic", default="template", choices=("plain", "template", "optimal"),
                   help="pair weights: plain average (AMAILS), template-weighted or optimal cross-only")
    p.add_argument("--polarization-model", default="isotropic", choices=co.POLARIZATION_MODELS,
                   help="signal model of the limit")
    p.add_argument("--psd", default="model", choices=("model", "data"), help="auto-spectra for sigma_Y")
    p.add_argument("--false-alarm", type=in_range(1e-12, 0.5, ""), default=co.FALSE_ALARM,
                   help="global false-alarm probability of the detection threshold")
    p.add_argument("--n-mc", type=count(100, 10**6), default=4000, help="Monte Carlo trials per anchor frequency")
    p.add_argument("--chunk-s", type=positive("s"), default=None,
                   help="long runs: analyse the run file in chunks of this duration (s), each a coherent segment, "
                        "on Dask (memory bounded by a chunk; resumable)")
    p.add_argument("--workers", type=count(1, 256), default=1, help="long runs: Dask LocalCluster worker processes")
    p.add_argument("--scheduler", default=None, help="long runs: a Dask scheduler address instead of a LocalCluster "
                   "(tcp://host:8786), or 'serial'")
    p.add_argument("--state-dir", default=None, help="long runs: where finished chunks are kept (None: OUT.chunks "
                   "beside the output folder); a rerun continues from them")
    _room_flags(p)
    p.add_argument("--out", default="correlate_out", help="output folder")
    p.set_defaults(func=cmd_correlate)


def _start_unix_s(text: str) -> float:
    try:
        t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SpecError(f"--start-utc must be an ISO 8601 UTC time like 2026-01-01T00:00:00Z; got {text!r}") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.UTC)
    return t.timestamp()


def _polarization(text: str):
    if text in ("isotropic", "stochastic"):
        return text
    try:
        pol = [float(x) for x in text.split(",")]
    except ValueError:
        pol = []
    if len(pol) != 3 or not np.any(pol):
        raise SpecError(f"--inject-polarization must be isotropic, stochastic or X,Y,Z; got {text!r}")
    return pol


def _check_simulate_flags(args) -> None:
    require_positive(args.duration_s, "--duration-s", "s")
    require_positive(args.fs_hz, "--fs-hz", "Hz")
    require_range(args.inject_eps, "--inject-eps", 0.0, 1.0)
    require_positive(args.coherence_quality, "--coherence-quality", "1")
    if args.inject_eps > 0 and not (0 < args.inject_freq_hz < args.fs_hz / 2):
        raise SpecError(f"--inject-freq-hz must be in (0, {args.fs_hz / 2}) Hz (Nyquist); got {args.inject_freq_hz}")
    _polarization(args.inject_polarization)
    _start_unix_s(args.start_utc)
    if args.duration_s * args.fs_hz < 16:
        raise SpecError(f"--duration-s x --fs-hz must give at least 16 samples; got {args.duration_s * args.fs_hz:g}")


def _responses(args, net, progress):
    resp = getattr(args, "responses", None)  # run_chain solves the rooms once
    if resp is None:
        resp = solve_network_rooms(net, order=args.order, mesh_size_m=args.mesh_size, progress=progress)
    return resp


def _simulated_run(args, net, progress, resp_fn):
    pol = _polarization(args.inject_polarization)
    t0 = _start_unix_s(args.start_utc)
    injection = None
    f_bin = round(args.inject_freq_hz * args.duration_s) / args.duration_s
    if args.inject_eps > 0:
        injection = {"eps": args.inject_eps, "freq_hz": f_bin, "polarization": pol,
                     "coherence_quality": args.coherence_quality,
                     "lab_templates": lab_templates(net, resp_fn(), [f_bin])[0]}
    with progress.step(f"simulating {net.n_sensors} sensors x {args.duration_s:g} s at {args.fs_hz:g} Hz"):
        return simulate(net, args.duration_s, args.fs_hz, seed=args.seed, t0_unix_s=t0, injection=injection)


def cmd_simulate(args) -> int:
    _check_simulate_flags(args)
    out = Path(args.out)
    if out.suffix not in (".nc", ".h5", ".zarr"):
        raise SpecError(f"--out must end in .nc, .h5 or .zarr; got {args.out!r}")
    progress = Progress(quiet=args.quiet)
    net = load_network(args.network)
    cache = {}
    run = _simulated_run(args, net, progress,
                         lambda: cache.setdefault("r", _responses(args, net, progress)))
    run.attrs["network_file"] = str(args.network)
    with progress.step(f"writing {out}"):
        write_run(run, out)
    progress.say(f"simulate: {run.n_sensors} sensors x {run.n_samples} samples -> {out}")
    return 0


def cmd_correlate(args) -> int:
    if args.simulate == (args.run is not None):
        raise SpecError("correlate needs a recorded run (RUN) or --simulate, not both")
    if args.simulate:
        _check_simulate_flags(args)
    require_range(args.false_alarm, "--false-alarm", 1e-12, 0.5)
    if args.n_mc < 100:
        raise SpecError(f"--n-mc must be >= 100; got {args.n_mc}")
    require_positive(args.fmin_hz, "--fmin-hz", "Hz")
    if args.chunk_s is not None:
        require_positive(args.chunk_s, "--chunk-s", "s")
        if args.simulate or args.run is None or Path(args.run).suffix not in (".nc", ".h5", ".zarr"):
            raise SpecError("--chunk-s analyses a run file (.nc, .h5 or .zarr); it does not combine with --simulate")
        if args.workers < 1:
            raise SpecError(f"--workers must be >= 1; got {args.workers}")
    progress = Progress(quiet=args.quiet)
    net = load_network(args.network or default_network_path())
    if args.simulate:
        if args.fmax_hz is not None and args.fmax_hz > args.fs_hz / 2:
            raise SpecError(f"--fmax-hz {args.fmax_hz} Hz exceeds the Nyquist frequency {args.fs_hz / 2} Hz")
        cache = {}
        run = _simulated_run(args, net, progress, lambda: cache.setdefault("r", _responses(args, net, progress)))
        resp = cache.get("r") or _responses(args, net, progress)
    else:
        with progress.step(f"reading {args.run}" + (" (its first chunk: long run)" if args.chunk_s else "")):
            run = read_any(args.run, net) if args.chunk_s is None else first_chunk(args.run, args.chunk_s)
        net = match_network(run, net, str(args.run))  # before any field solve or FFT
        if args.fmax_hz is not None and args.fmax_hz > run.fs_hz / 2:
            raise SpecError(f"--fmax-hz {args.fmax_hz} Hz exceeds the run's Nyquist frequency {run.fs_hz / 2} Hz")
        for line in run.problems:
            progress.say(f"data quality: {line}")
        resp = _responses(args, net, progress)
    out = Path(args.out)
    if args.chunk_s is not None:
        state = Path(args.state_dir) if args.state_dir else Path(getattr(args, "final_out", args.out)).with_suffix(
            ".chunks")
        res = correlate_long(args.run, net, chunk_s=args.chunk_s, state_dir=state, fmin_hz=args.fmin_hz,
                             fmax_hz=args.fmax_hz, statistic=args.statistic, n_mc=args.n_mc, seed=args.seed + 1,
                             polarization_model=args.polarization_model, false_alarm=args.false_alarm, psd=args.psd,
                             scheduler=args.scheduler, n_workers=args.workers, order=args.order,
                             mesh_size_m=args.mesh_size, responses=resp if args.scheduler == "serial" else None,
                             progress=progress)
    else:
        res = co.correlate(net, resp, run, fmin_hz=args.fmin_hz, fmax_hz=args.fmax_hz, statistic=args.statistic,
                           n_mc=args.n_mc, seed=args.seed + 1, psd=args.psd,
                           polarization_model=args.polarization_model, quality=args.coherence_quality,
                           false_alarm=args.false_alarm, progress=progress)
    extra = {"network_hash": net.spec_hash(), "mesh_size_m": args.mesh_size, "element_order": args.order}
    injection = None
    if run.injection:
        injection = {k: v for k, v in run.injection.items() if k != "polarization_drawn"}
        p = run.injection.get("polarization_drawn")
        if p is not None and args.chunk_s is None:
            p = np.asarray(p["re"], float) + 1j * np.asarray(p["im"], float) if isinstance(p, dict) else np.asarray(p)
            rec = co.recover_injection(net, resp, res, injection["freq_hz"], p)
            injection.update({"polarization_drawn_re": p.real, "polarization_drawn_im": p.imag,
                              "polarization_drawn_norm": float(np.linalg.norm(p)), **rec})
    with progress.step(f"writing {out / 'limits.nc'} and {out / 'candidates.json'}"):
        write_dataset(limits_dataset(res, run_attrs=run.attrs, extra=extra), out / "limits.nc")
        write_json(out / "candidates.json", candidates_record(res, extra={
            "injection": injection, "provenance": provenance(**extra)}))
        z_pairs = _pair_panels(net, run)
        save_figure(plot_snr_histograms(z_pairs), out / "snr_histograms.png", dpi=120)
        save_figure(plot_limit(res.freqs_hz, res.eps95, polarization_model=res.polarization_model,
                               statistic=res.statistic, rho_dm_gev_cm3=res.rho_dm_gev_cm3, t_obs_s=res.t_obs_s,
                               inject=({"freq_hz": injection["freq_hz"], "eps": injection["eps"]}
                                       if injection else None)), out / "limit.png", dpi=120)
        save_figure(limit_figure(res.freqs_hz, res.eps95, label=f"this run, 95 % C.L. ({res.polarization_model} "
                                 f"polarization, {res.t_obs_s:g} s)",
                                 theory=["cyncynates-weiner", "higgs-kitajima"]),
                    out / "exclusion.png", dpi=120)
    n_glob = int(np.sum(res.snr > res.global_threshold_snr))
    progress.say(f"correlate: {res.n_trials} frequencies, {n_glob} above the global threshold "
                 f"(false-alarm {res.false_alarm}); median eps_limit {np.nanmedian(res.eps95):.3g}; "
                 f"eps2_hat: {EPS2_HAT_NORMALISATION.split(';')[0]}")
    return 0


def _pair_panels(net, run) -> list:
    """One same-room and one cross-site pair SNR histogram (Jiang et al. (2024) Fig. 2e-g) of the whole run."""
    x = np.where(run.good(), run.data_t, 0.0)
    f, z = co.spectra(x, run.fs_hz)
    band = (f > 1.0) & (f < 0.499 * run.fs_hz)
    if band.sum() < 10:
        band = f > 0
    z = z[:, band]
    d = np.mean(np.abs(z) ** 2, axis=1, keepdims=True) * np.ones_like(z.real)
    chosen = {}
    for i, j in net.pairs():
        key = net.sensors[i].room if net.sensors[i].room == net.sensors[j].room else "cross-site"
        chosen.setdefault(key, (i, j))
    return [(f"{net.ids[i]} x {net.ids[j]} ({k})", co.pair_snr(z, d, i, j)) for k, (i, j) in chosen.items()]
