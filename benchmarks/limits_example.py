"""The figures of docs/limits.md and the README, from real runs of the package.

1. `amails-fem correlate --simulate` (the reference correlator on simulated AMAILS-network noise, 2000 s) gives a
   95 % limit per bin; it is written as limits.nc in the schema of docs/limits.md (sec. 4).
2. `amails-fem limits limits.nc --theory higgs-kitajima` draws it beside the published limits
   -> docs/img/limits_example.png.
3. `amails-fem limits --overlays admx-dp --axion-limit admx-axion --b0-t 7.6` converts the ADMX 2010 axion limit
   (random polarization) beside the collection's fixed-polarization recast -> docs/img/limits_haloscope_example.png.

Run: PYTHONPATH=. python benchmarks/limits_example.py [--work DIR]   (about 2 minutes on one core)
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

from amails_fem.cli import main
from amails_fem.io.netcdf import write_dataset
from amails_fem.io.provenance import netcdf_attributes, provenance
from amails_fem.units import RHO_DM_GEV_CM3, hz_to_ev

ROOT = Path(__file__).resolve().parents[1]


def limits_nc_from_correlator(run_dir: Path, path: Path, n_bins: int = 400) -> Path:
    """limit.npz of `amails-fem correlate` -> limits.nc; the per-bin limit is shown as the minimum over
    log-spaced groups of bins (n_bins groups), the envelope a search would quote per group."""
    import xarray as xr

    t = np.load(run_dir / "limit.npz")
    f, e = t["freqs_hz"], t["eps95"].astype(float)
    edges = np.geomspace(f.min(), f.max() * (1 + 1e-12), n_bins + 1)
    idx = np.digitize(f, edges) - 1
    fc, ec = [], []
    for k in range(n_bins):
        sel = idx == k
        if sel.any() and np.isfinite(e[sel]).any():
            j = np.flatnonzero(sel)[np.nanargmin(e[sel])]
            fc.append(f[j])
            ec.append(e[j])
    fc, ec = np.array(fc), np.array(ec)
    summary = json.loads((run_dir / "correlate.json").read_text())
    attrs = {"units": "1", "long_name": "95% upper limit on the kinetic mixing (minimum per log-spaced group)",
             "confidence_level": 0.95, "polarization_model": "isotropic (Rayleigh)", "rho_dm_gev_cm3": RHO_DM_GEV_CM3}
    ds = xr.Dataset({"eps_limit": (("frequency",), ec, attrs),
                     "mass_ev": (("frequency",), hz_to_ev(fc), {"units": "eV", "long_name": "m = h f / c^2"})},
                    coords={"frequency": ("frequency", fc, {"units": "Hz", "long_name": "Compton frequency"})},
                    attrs=netcdf_attributes(provenance(source="amails-fem correlate --simulate",
                                                       statistic=summary["statistic"], t_obs_s=summary["t_obs_s"]),
                                            title="simulated AMAILS-network kinetic-mixing limit"))
    return write_dataset(ds, path)


def run(work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    corr = work / "correlate"
    if not (corr / "limit.npz").exists():
        assert main(["correlate", "--simulate", "--duration", "2000", "--fs", "1000", "--mesh-size", "0.4",
                     "--order", "1", "--mc", "1000", "--out", str(corr), "--quiet"]) == 0
    nc = limits_nc_from_correlator(corr, work / "limits.nc")
    assert main(["limits", str(nc), "--theory", "higgs-kitajima", "--out", str(work / "plot"), "--quiet",
                 "--label", "simulated AMAILS network, 2000 s (this package's correlator)"]) == 0
    assert main(["limits", "--overlays", "admx-dp", "--axion-limit", "admx-axion", "--b0-t", "7.6",
                 "--mass-range-ev", "1.5e-6,5e-6", "--out", str(work / "halo"), "--quiet"]) == 0
    img = ROOT / "docs" / "img"
    shutil.copy(work / "plot" / "limits.png", img / "limits_example.png")
    shutil.copy(work / "halo" / "limits.png", img / "limits_haloscope_example.png")
    return {"plot": json.loads((work / "plot" / "limits.json").read_text()),
            "halo": json.loads((work / "halo" / "limits.json").read_text())}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/amails_limits_example")
    s = run(Path(ap.parse_args().work))
    for o in s["plot"]["overlays"]:
        print(o["key"], o["citation"], o.get("median_run_over_published"), o.get("eps_min_in_range"))
    print("run", s["plot"]["run"]["eps_min"], s["plot"]["run"]["freq_at_min_hz"])
    print("haloscope", s["halo"]["haloscopes"])
