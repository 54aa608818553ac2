"""`amails-fem environment`: the AMAILS room with its assumed stack, coarse, into NetCDF + JSON + figures."""

import json

import numpy as np
import pytest
import xarray as xr

from amails_fem.cli import main
from amails_fem.io.files import data_path

SPEC = str(data_path("amails_room_mumetal.toml"))


def test_environment_command_writes_labelled_outputs(tmp_path, capsys):
    out = tmp_path / "env"
    rc = main(["environment", SPEC, "--fmin-hz", "1", "--fmax-hz", "100", "--n-freq", "8", "--mesh-size-m", "0.5",
               "--out", str(out), "--quiet"])
    assert rc == 0 and capsys.readouterr().err == ""
    summary = json.loads((out / "environment.json").read_text())
    assert 10 < summary["crossing_hz_all_sensors"] < 60  # the leak wins at low f, the own field above tens of Hz
    assert "ideal closed shells" in summary["caveat"] and summary["provenance"]["commit"] is not None
    with xr.open_dataset(out / "environment.nc", engine="h5netcdf") as ds:
        assert ds.attrs["Conventions"] == "CF-1.8" and ds.sensor.size == 13
        ratio = ds.leak_over_own.values
        assert ds.leak_field.attrs["units"] == "T"
        horizontal = ratio[0] > 0  # vertical-axis sensors see no leak in the isotropic-T model
        assert np.all(ratio[0, horizontal] > 100) and np.all(ratio[-1] < 1)
        assert np.allclose(ds.shielding_needed.values, ds.shielding_stack.values[:, None] * ratio)
    for png in ("leak_over_own.png", "shielding_needed.png"):
        assert (out / png).stat().st_size > 10_000


@pytest.mark.parametrize("argv, field", [
    (["--fmin-hz", "0"], "--fmin-hz"),
    (["--room", "mars"], "--room must be one of"),
    (["--n-freq", "1"], "--n-freq"),
    (["--measured-shielding", "nope.csv"], "measured shielding file not found"),
])
def test_environment_command_bad_input(argv, field, tmp_path, capsys):
    assert main(["environment", SPEC, "--out", str(tmp_path / "x"), *argv]) == 2
    assert field in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
