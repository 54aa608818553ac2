"""What a correlator run publishes (docs/recorded_data.md, "Outputs"): limits.nc (per frequency: the 95% limit on
eps with its polarization model and DM density, mass, SNR, eps estimate, global threshold, coherent segments) and
candidates.json (the look-elsewhere-corrected global list and the local top list)."""

from __future__ import annotations

import numpy as np

from amails_fem.io.provenance import netcdf_attributes, provenance

TRIALS_COUNTING = ("every analysed DM frequency is one trial: the bins of each band's coherent-segment FFT "
                   "(resolution 1 / segment duration) after the segments and the sidereal window are combined; "
                   "neighbouring frequencies that share bins are correlated, so the count is conservative")
EPS2_HAT_NORMALISATION = ("eps2_hat = (Y - noise mean) / (alpha sigma_Y) estimates eps^2 for the polarization-averaged "
                          "response (isotropic E[P P^H] = I/3); for a given polarization P it estimates "
                          "eps^2 P^H G P / (|P|^2 tr(G) / 3), G the statistic's response matrix")
POLARIZATION_TEXT = {
    "isotropic": "isotropic stochastic field: in every coherent segment P is complex Gaussian with E[P P^H] = I/3 "
                 "(Rayleigh-distributed amplitude), independent between segments",
    "fixed": "fixed polarization: |P| = 1 along one direction for the whole run, direction uniformly random "
             "(averaged over in the Neyman construction)",
}


def band_table(result) -> list:
    """One row per coherent-segment band: segments, duration, regime, sidereal window, frequency range."""
    rows = []
    for b in result.bands:
        f = b.freqs_hz
        rows.append({"n_segments": int(b.n_seg), "segment_duration_s": float(b.t_seg_s), "regime": b.regime,
                     "window_bins": int(2 * b.m_max + 1), "fmin_hz": float(f[0]), "fmax_hz": float(f[-1]),
                     "n_frequencies": int(f.size)})
    return rows


def limits_dataset(result, *, run_attrs: dict | None = None, extra: dict | None = None):
    """limits.nc as an xarray Dataset: dimension frequency (Hz) and the variables listed in the module docstring."""
    import xarray as xr

    f = result.freqs_hz
    seg = np.array([result.bands[b].t_seg_s for b in result.band_index])
    nseg = np.array([result.bands[b].n_seg for b in result.band_index], np.int32)
    eps_hat = np.where(result.eps2_hat > 0, np.sqrt(np.clip(result.eps2_hat, 0, None)), np.nan)
    model = result.polarization_model
    data = {
        "eps_limit": ("frequency", result.eps95, {
            "units": "1", "long_name": "95% C.L. upper limit on the kinetic mixing eps",
            "confidence_level": 0.95, "polarization_model": model,
            "polarization_model_description": POLARIZATION_TEXT[model],
            "rho_dm_gev_cm3": float(result.rho_dm_gev_cm3),
            "method": "Neyman construction on the SNR (Monte Carlo with the full noise covariance), power "
                      "constraint at the noise-only 16% quantile",
            "line_frequency": "a DM line at the bin frequency; a line d bins off puts sinc^2(pi d) of its power in "
                              "the bin: weaker by up to 1.57 in eps at d = 1/2, 1.14 averaged over a bin "
                              "(docs/recorded_data.md)"}),
        "mass_ev": ("frequency", result.mass_ev, {"units": "eV", "long_name": "dark-photon mass m = h f / c^2"}),
        "snr": ("frequency", result.snr, {"units": "1", "long_name": "network statistic Y / sigma_Y"}),
        "eps2_hat": ("frequency", result.eps2_hat, {"units": "1", "long_name": "estimate of eps^2",
                                                    "normalisation": EPS2_HAT_NORMALISATION}),
        "eps2_err": ("frequency", result.eps2_err, {"units": "1", "long_name": "noise-only standard error of eps2_hat"}),
        "eps_hat": ("frequency", eps_hat, {"units": "1", "long_name": "sqrt(eps2_hat) where eps2_hat > 0",
                                           "normalisation": EPS2_HAT_NORMALISATION}),
        "snr_per_eps2": ("frequency", result.alpha_bar, {"units": "1", "long_name": "expected SNR per eps^2 "
                                                         "(polarization-averaged)"}),
        "global_threshold_snr": ("frequency", result.global_threshold_snr, {
            "units": "1", "long_name": f"SNR threshold at global false-alarm probability {result.false_alarm}",
            "trials": TRIALS_COUNTING}),
        "segment_duration_s": ("frequency", seg, {"units": "s", "long_name": "coherent segment duration"}),
        "n_segments": ("frequency", nseg, {"units": "1", "long_name": "coherent segments combined"}),
    }
    coords = {"frequency": ("frequency", f, {"units": "Hz", "long_name": "dark-photon Compton frequency",
                                             "standard_name": "frequency"})}
    record = provenance(statistic=result.statistic, t_obs_s=float(result.t_obs_s), polarization_model=model,
                        rho_dm_gev_cm3=float(result.rho_dm_gev_cm3), coherence_quality=float(result.quality),
                        n_trials=int(result.n_trials), trials_counting=TRIALS_COUNTING,
                        false_alarm_probability=float(result.false_alarm),
                        p_local_threshold=float(result.extra.get("p_local_threshold", np.nan)),
                        good_sample_fraction=float(result.extra.get("good_fraction", 1.0)),
                        bands=band_table(result), data_problems=list(result.problems), **(extra or {}))
    for key in ("source", "network", "network_hash", "title"):
        if run_attrs and key in run_attrs:
            record[f"run_{key}"] = run_attrs[key]
    ds = xr.Dataset(data, coords=coords,
                    attrs=netcdf_attributes(record, title="dark-photon kinetic mixing: 95% C.L. limits per frequency"))
    for name in ds.data_vars:  # float32 (7 digits) and deflate; frequency and mass stay float64
        ds[name].encoding.update({"zlib": True, "complevel": 4} if name in ("mass_ev", "n_segments") else
                                 {"dtype": "float32", "zlib": True, "complevel": 4})
    return ds


def candidates_record(result, n_local: int = 20, extra: dict | None = None) -> dict:
    """candidates.json: global (above the look-elsewhere-corrected threshold) and local top lists."""
    ranked = result.ranked(n_local)
    thr = result.global_threshold_snr
    return {
        "global": ranked["global"], "local": ranked["local"],
        "false_alarm_probability": result.false_alarm, "n_trials": int(result.n_trials),
        "trials_counting": TRIALS_COUNTING, "p_local_threshold": result.extra.get("p_local_threshold"),
        "global_threshold_snr_range": [float(np.min(thr)), float(np.max(thr))],
        "p_values": "p_local from the exact noise-only law of the quadratic statistic (saddle point); "
                    "p_global = 1 - (1 - p_local)^n_trials",
        "eps2_hat_normalisation": EPS2_HAT_NORMALISATION, "statistic": result.statistic,
        "polarization_model": result.polarization_model, "bands": band_table(result),
        "data_problems": list(result.problems), **(extra or {}),
    }
