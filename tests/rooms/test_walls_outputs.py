"""`amails-fem walls`: walls.nc labelled by frequency, sensor ID, component and polarization (CF attributes,
provenance); walls.json holds labelled summaries only; the figures name the sensors and state the shielding caveat."""

import json

import numpy as np
import pytest
import xarray as xr
from wall_specs import two_layer_room_toml

from amails_fem.cli import main

# aluminium walls (mu_r = 1): the nested-box thin-layer FE of permeable stacks is skipped, which keeps this fast
SPEC = two_layer_room_toml(0.5, 0.25, material="aluminium", thickness_m=2e-3)


def _lists_of_lists(obj):
    if isinstance(obj, dict):
        return any(_lists_of_lists(v) for v in obj.values())
    if isinstance(obj, list):
        return any(isinstance(v, list) for v in obj) or any(_lists_of_lists(v) for v in obj)
    return False


@pytest.fixture(scope="module")
def walls_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("walls")
    spec = tmp / "room.toml"
    spec.write_text(SPEC)
    out = tmp / "out"
    assert main(["walls", str(spec), "--n-freq", "5", "--out", str(out), "--quiet", "--map-freqs-hz", "1",
                 "--seam-gap-m", "5e-4"]) == 0
    return out


def test_walls_nc_is_labelled(walls_run):
    with xr.open_dataset(walls_run / "walls.nc", engine="h5netcdf") as ds:
        assert ds.attrs["Conventions"] == "CF-1.8" and ds.attrs["commit"] and "walls" in ds.attrs["history"]
        assert ds["b_walls_per_current_real"].dims == ("frequency", "sensor", "component", "polarization")
        assert list(ds["sensor"].values[:2]) == ["SZ01", "SZ02"] and ds.sizes["sensor"] == 13
        assert ds["frequency"].attrs["units"] == "Hz" and ds["x_m"].attrs["units"] == "m"
        assert ds["b_perfect_per_current"].attrs["units"] == "T m2 A-1"
        assert "seams" in ds["shielding_sphere_model"].attrs["long_name"]
        # the ratio is |B_real| / |B_perfect| of the stored arrays, per polarization
        re, im = ds["b_walls_per_current_real"].values, ds["b_walls_per_current_imag"].values
        ratio = np.sqrt((re**2 + im**2).sum(axis=2)) / np.linalg.norm(ds["b_perfect_per_current"].values, axis=1)
        np.testing.assert_allclose(ds["ratio_real_to_perfect"].values, ratio, rtol=1e-12)
        assert 0.5 < float(ds["ratio_real_to_perfect"].sel(sensor="SZ01", polarization="z")[0]) < 1.2
        # the seam estimate lowers only the permeance of permeable layers: aluminium shells keep their S
        # (the mu-metal reduction is checked in tests/rooms/test_seams.py)
        ideal, seamed = ds["shielding_sphere_model"].values, ds["shielding_sphere_model_seamed"].values
        np.testing.assert_allclose(seamed, ideal, rtol=1e-12)
        assert "0.5 mm butt seam" in ds["shielding_sphere_model_seamed"].attrs["long_name"]
    assert (walls_run / "shielding_seams.png").exists()


def test_walls_json_has_only_labelled_summaries(walls_run):
    data = json.loads((walls_run / "walls.json").read_text())
    sensors = data["sensors"]
    assert list(sensors)[:2] == ["SZ01", "SZ02"] and len(sensors) == 13
    assert set(sensors["SZ01"]["ratio_real_to_perfect"]) == {"at_fmin", "at_fmax", "min", "max"}
    body = {k: v for k, v in data.items() if k != "provenance"}
    assert not _lists_of_lists(body)  # no unlabelled nested arrays (they live in walls.nc)
    assert "seams" in data["shielding"]["caveat"]
