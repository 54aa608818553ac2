"""`amails-fem limits LIMITS.nc`: redraw a kinetic-mixing limit beside published limits and a theory line.

Composes stages only: analysis.limit_reader (checks the file) -> analysis.published_limits / theory_lines /
cavities.limits (converted axion limits) -> plotting.limits -> limits.png and limits.json (docs/limits.md).

Examples:
    amails-fem limits limits.nc --out limits_out
    amails-fem limits limits.nc --overlays amails,snipe,supermag-2024 --theory higgs-kitajima --quartic 0.1
    amails-fem limits --list-overlays
    amails-fem limits --overlays admx-dp --axion-limit admx-axion --b0-t 7.6 --mass-range-ev 1e-6,1e-5
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from amails_fem.analysis import published_limits as pl
from amails_fem.analysis.limit_reader import read_limit_file
from amails_fem.analysis.theory_lines import THEORIES, higgs_kitajima_eps, theory_line
from amails_fem.cavities.limits import axion_to_dark_photon_chi, polarization_cos2
from amails_fem.cli.options import HelpFormatter
from amails_fem.errors import SpecError
from amails_fem.io.files import write_json
from amails_fem.io.provenance import provenance
from amails_fem.log import Progress
from amails_fem.plotting.figures import save_figure
from amails_fem.plotting.limits import DEFAULT_MASS_RANGE_EV, limit_figure
from amails_fem.validate import require_positive


class _ListOverlays(argparse.Action):
    """Print the available overlay keys with their citations and exit (no output folder is made)."""

    def __call__(self, parser, namespace, values, option_string=None):
        for key in pl.available():
            lim = pl.load(key)
            print(f"{key:15s} {lim.label} ({lim.citation}); {lim.kind}, {lim.quantity} [{lim.units}], "
                  f"{lim.mass_ev.min():.3g}-{lim.mass_ev.max():.3g} eV")
        parser.exit(0)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "limits", help="plot a kinetic-mixing limit file beside published limits and a theory line",
        description=__doc__, epilog="example: amails-fem limits limits.nc --overlays amails,snipe --out limits_out",
        formatter_class=HelpFormatter)
    p.add_argument("limits_file", nargs="?", default=None,
                   help="limit NetCDF: eps_limit(frequency [Hz]), units '1' (omit to draw the overlays only)")
    p.add_argument("--overlays", default="default",
                   help="comma-separated published limits ('default': all overlapping the mass range; 'none')")
    p.add_argument("--list-overlays", action=_ListOverlays, nargs=0, help="print the overlay keys with citations")
    p.add_argument("--theory", default="none", choices=("none",) + THEORIES,
                   help="theory expectation drawn dashed (not an exclusion)")
    p.add_argument("--quartic", type=float, default=2 * math.pi, help="dark-Higgs quartic coupling lambda")
    p.add_argument("--charge", type=float, default=1.0, help="dark-Higgs charge q_H")
    p.add_argument("--loop-factor", type=float, default=1.0, help="model factor c_loop of eps = c e e_H/16 pi^2")
    p.add_argument("--production-redshift", type=float, default=None,
                   help="cyncynates-weiner: redshift z_* of dark-photon production (unset: H_* = m)")
    p.add_argument("--production-hubble-ev", type=float, default=None,
                   help="cyncynates-weiner: Hubble rate H_* (eV) at production (unset: H_* = m)")
    p.add_argument("--mass-range-ev", default=None, help="x range 'A,B' in eV (unset: the file's masses x 1/3 to x 3)")
    p.add_argument("--axion-limit", default=None,
                   help="a shipped axion-photon limit (e.g. admx-axion) converted to eps and drawn hatched")
    p.add_argument("--b0-t", type=float, default=None, help="haloscope magnet field B0 (T) for --axion-limit")
    p.add_argument("--polarization", default="random",
                   help="<cos^2 theta> for --axion-limit: 'random' (1/3), 'aligned' (1) or a number in (0, 1]")
    p.add_argument("--label", default=None, help="legend label of the file's limit (default: file name and CL)")
    p.add_argument("--out", default="limits_out", help="output folder")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def _mass_range(text):
    if text is None:
        return None
    try:
        lo, hi = (float(x) for x in str(text).split(","))
    except ValueError:
        raise SpecError(f"--mass-range-ev must be 'A,B' with 0 < A < B (eV); got {text!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
        raise SpecError(f"--mass-range-ev must be 'A,B' with 0 < A < B (eV); got {text!r}")
    return lo, hi


def _polarization(text):
    try:
        return float(text)
    except ValueError:
        return text


def _theory_kwargs(args) -> dict:
    kw = {"quartic": args.quartic, "charge": args.charge, "loop_factor": args.loop_factor}
    if args.theory == "cyncynates-weiner":
        kw.update(production_redshift=args.production_redshift, production_hubble_ev=args.production_hubble_ev)
    elif args.production_redshift is not None or args.production_hubble_ev is not None:
        raise SpecError("--production-redshift / --production-hubble-ev apply to --theory cyncynates-weiner only")
    return kw


def run(args) -> int:
    # every flag is checked before anything is read or drawn
    mass_range = _mass_range(args.mass_range_ev)
    overlay_keys = None if args.overlays == "default" else pl.parse_keys(args.overlays)
    theory = None if args.theory == "none" else args.theory
    higgs_kitajima_eps([1e-13], args.quartic, args.charge, args.loop_factor)   # the theory flags, always
    if theory is not None:
        theory_line(theory, [1e-13], **_theory_kwargs(args))
    axion = None
    if args.axion_limit is not None:
        axion = pl.load(pl.entry(args.axion_limit)["key"])
        if axion.quantity != "g_agamma":
            raise SpecError(f"--axion-limit must be an axion-photon limit; {axion.key} is {axion.quantity}")
        b0 = require_positive(args.b0_t, "--b0-t", "T") if args.b0_t is not None else None
        if b0 is None:
            raise SpecError("--axion-limit needs --b0-t (the haloscope's magnet field, T > 0)")
        cos2 = polarization_cos2(_polarization(args.polarization))
    progress = Progress(quiet=args.quiet)
    out = Path(args.out)

    run_limit = read_limit_file(args.limits_file) if args.limits_file else None
    if run_limit is None and mass_range is None and axion is not None:
        mass_range = (axion.mass_ev.min() / 3.0, axion.mass_ev.max() * 3.0)
    if mass_range is None:
        mass_range = ((run_limit.mass_ev.min() / 3.0, run_limit.mass_ev.max() * 3.0) if run_limit is not None
                      else DEFAULT_MASS_RANGE_EV)
    keys = pl.overlapping(mass_range) if overlay_keys is None else overlay_keys
    masses = np.geomspace(*mass_range, 400)
    lines = ([theory_line(theory, masses, **_theory_kwargs(args))]
             if theory else None)
    halos = []
    if axion is not None:
        chi = axion_to_dark_photon_chi(axion.value, axion.mass_ev, b0, cos2)
        halos.append((axion.mass_ev, chi, f"{axion.label}, B0 = {b0:g} T, <cos²θ> = {cos2:.3g}"))
    label = args.label
    if label is None and run_limit is not None:
        label = f"{Path(run_limit.path).name}" + (f" ({run_limit.describe()})" if run_limit.describe() else "")
    with progress.step("drawing the limit plot"):
        fig = limit_figure(None if run_limit is None else run_limit.freq_hz,
                           None if run_limit is None else run_limit.eps_limit,
                           label=label or "this run", overlays=keys, theory=lines, haloscopes=halos,
                           mass_range_ev=mass_range)
        save_figure(fig, out / "limits.png", dpi=130)
    summary = {
        "provenance": provenance(limits_file=args.limits_file, overlays=keys, theory=theory),
        "mass_range_ev": list(mass_range),
        "overlays": [_overlay_summary(pl.load(k), mass_range, run_limit) for k in keys],
        "theory": None if not lines else {"key": lines[0].key, "label": lines[0].label,
                                          "citation": lines[0].citation, "parameters": lines[0].parameters,
                                          "kind": "theory expectation, not an exclusion"},
        "haloscopes": [{"key": axion.key, "b0_t": b0, "cos2_theta": cos2,
                        "eps_min": float(np.min(halos[0][1])), "citation": axion.citation}] if axion else [],
        "run": None if run_limit is None else {
            "file": run_limit.path, "attributes": run_limit.attrs,
            "eps_min": float(np.nanmin(run_limit.eps_limit)),
            "freq_at_min_hz": float(run_limit.freq_hz[int(np.nanargmin(run_limit.eps_limit))]),
            "freq_range_hz": [float(run_limit.freq_hz.min()), float(run_limit.freq_hz.max())]},
    }
    write_json(out / "limits.json", summary)
    progress.say(f"limit plot with {len(keys)} published limits -> {out / 'limits.png'}")
    return 0


def _overlay_summary(lim, mass_range, run_limit):
    lo, hi = mass_range
    inside = (lim.mass_ev >= lo) & (lim.mass_ev <= hi) & (lim.value < 1)
    info = {"key": lim.key, "label": lim.label, "citation": lim.citation, "source_path": lim.source_path,
            "source_commit": lim.source_commit,
            "eps_min_in_range": float(lim.value[inside].min()) if inside.any() else None}
    if run_limit is not None and lim.quantity == "kinetic_mixing":
        ref = lim.eps_at(run_limit.mass_ev)
        ok = np.isfinite(ref) & np.isfinite(run_limit.eps_limit) & (run_limit.eps_limit > 0)
        if ok.any():
            info["median_run_over_published"] = float(np.median(run_limit.eps_limit[ok] / ref[ok]))
            info["overlap_points"] = int(ok.sum())
    return info
