"""`amails-fem limits`: a tiny synthetic limits.nc in the documented schema, redrawn with overlays and theory;
bad files and flags are one line and exit code 2 before any drawing."""

import json

import numpy as np
import pytest

from amails_fem.analysis.limit_reader import read_limit_file
from amails_fem.cli import main
from amails_fem.io.netcdf import write_dataset
from amails_fem.io.provenance import netcdf_attributes, provenance
from amails_fem.units import hz_to_ev


def make_limits_nc(path, *, freq_units="Hz", eps_units="1", dims_name="frequency", with_mass=True, mass_scale=1.0):
    import xarray as xr

    f = np.geomspace(1.0, 500.0, 40)
    eps = 2e-6 * (10.0 / f) ** 0.5
    attrs = {"long_name": "95% upper limit on the kinetic mixing", "confidence_level": 0.95,
             "polarization_model": "isotropic", "rho_dm_gev_cm3": 0.45}
    if eps_units is not None:
        attrs["units"] = eps_units
    data = {"eps_limit": ((dims_name,), eps, attrs)}
    if with_mass:
        data["mass_ev"] = ((dims_name,), hz_to_ev(f) * mass_scale, {"units": "eV"})
    ds = xr.Dataset(data, coords={dims_name: (dims_name, f, {"units": freq_units})},
                    attrs=netcdf_attributes(provenance(), title="synthetic kinetic-mixing limit"))
    write_dataset(ds, path)
    return f, eps


def test_reader_accepts_the_schema(tmp_path):
    f, eps = make_limits_nc(tmp_path / "limits.nc")
    run = read_limit_file(tmp_path / "limits.nc")
    np.testing.assert_allclose(run.freq_hz, f)
    np.testing.assert_allclose(run.eps_limit, eps)
    np.testing.assert_allclose(run.mass_ev, hz_to_ev(f), rtol=1e-15)
    assert run.describe() == "95 % CL, polarization isotropic, ρ = 0.45 GeV/cm³"
    assert run.global_attrs["Conventions"] == "CF-1.8"


def test_cli_redraws_with_overlays_and_theory(tmp_path, capsys):
    make_limits_nc(tmp_path / "limits.nc")
    out = tmp_path / "plot"
    rc = main(["limits", str(tmp_path / "limits.nc"), "--overlays", "amails,snipe,supermag-2024",
               "--theory", "higgs-kitajima", "--quartic", "0.1", "--out", str(out), "--quiet"])
    assert rc == 0
    assert (out / "limits.png").stat().st_size > 10_000
    s = json.loads((out / "limits.json").read_text())
    assert [o["key"] for o in s["overlays"]] == ["amails", "snipe", "supermag-2024"]
    amails = s["overlays"][0]
    assert amails["citation"] == "Jiang et al. 2024, arXiv:2305.00890" and amails["overlap_points"] > 30
    assert 0.0 < amails["median_run_over_published"] < 1.0           # the synthetic limit lies below AMAILS
    assert s["theory"]["parameters"]["quartic"] == 0.1 and s["theory"]["kind"].startswith("theory expectation")
    assert s["run"]["attributes"]["polarization_model"] == "isotropic"
    assert s["run"]["freq_range_hz"] == pytest.approx([1.0, 500.0])
    assert s["mass_range_ev"] == pytest.approx([hz_to_ev(1.0) / 3, hz_to_ev(500.0) * 3])


def test_list_overlays_prints_keys_and_makes_no_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as ex:
        main(["limits", "--list-overlays"])
    assert ex.value.code == 0
    text = capsys.readouterr().out
    assert "amails" in text and "arXiv:2305.00890" in text and "admx-axion" in text and "GeV^-1" in text
    assert not (tmp_path / "limits_out").exists()


def test_overlays_only_with_a_converted_axion_limit(tmp_path):
    out = tmp_path / "halo"
    rc = main(["limits", "--overlays", "admx-dp", "--axion-limit", "admx-axion", "--b0-t", "7.6",
               "--out", str(out), "--quiet"])
    assert rc == 0
    s = json.loads((out / "limits.json").read_text())
    assert s["run"] is None and s["haloscopes"][0]["cos2_theta"] == pytest.approx(1 / 3)
    assert s["mass_range_ev"][0] == pytest.approx(1.9289e-06 / 3)


@pytest.mark.parametrize("kwargs,flags,message", [
    ({"freq_units": "kHz"}, [], "coordinate 'frequency' must have units 'Hz'"),
    ({"eps_units": "m"}, [], "eps_limit must have units '1'"),
    ({"eps_units": None}, [], "eps_limit needs a units attribute"),
    ({"dims_name": "f"}, [], "single dimension 'frequency'"),
    ({"mass_scale": 1.01}, [], "mass_ev must equal h f / e"),
    ({}, ["--mass-range-ev", "1e-12,1e-15"], "--mass-range-ev must be 'A,B'"),
    ({}, ["--overlays", "amails,nope"], "published limit must be one of"),
    ({}, ["--theory", "cyncynates-weiner", "--production-redshift", "10"], "production_redshift must be"),
    ({}, ["--theory", "higgs-kitajima", "--production-redshift", "1e6"], "cyncynates-weiner only"),
    ({}, ["--quartic", "-1"], "quartic must be"),
    ({}, ["--axion-limit", "admx-axion"], "needs --b0-t"),
    ({}, ["--axion-limit", "amails", "--b0-t", "7"], "must be an axion-photon limit"),
])
def test_bad_file_or_flag_is_one_line_exit_2(tmp_path, capsys, kwargs, flags, message):
    make_limits_nc(tmp_path / "limits.nc", **kwargs)
    rc = main(["limits", str(tmp_path / "limits.nc"), "--out", str(tmp_path / "o"), "--quiet", *flags])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_missing_and_non_netcdf_file(tmp_path, capsys):
    assert main(["limits", str(tmp_path / "nope.nc"), "--out", str(tmp_path / "o")]) == 2
    assert "limit file not found" in capsys.readouterr().err
    (tmp_path / "x.nc").write_text("not netcdf")
    assert main(["limits", str(tmp_path / "x.nc"), "--out", str(tmp_path / "o")]) == 2
    assert "not a readable NetCDF4 file" in capsys.readouterr().err
