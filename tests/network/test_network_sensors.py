"""Sensors, sites and networks: the AMAILS network file and every validation error names its field."""

import copy

import numpy as np
import pytest
from network_helpers import amails, amails_table

from amails_fem.errors import SpecError
from amails_fem.network.sensors import Sensor, Site, load_network, network_from_dict


def test_amails_network_file():
    net = amails()
    rooms = [s.room for s in net.sensors]
    assert rooms.count("suzhou") == 13 and rooms.count("harbin") == 2
    assert len(net.pairs()) == 105
    for r in net.rooms.values():
        assert (r.geometry.lx_m, r.geometry.ly_m, r.geometry.lz_m) == (2.0, 2.0, 2.0)
    # every axis is tangential to the sensor's nearest wall, and the sensor respects the standoff
    for s in net.sensors:
        p = np.array(s.position_m)
        wall_axis = int(np.argmax(np.abs(p)))
        assert abs(s.axis[wall_axis]) < 1e-12
        assert 1.0 - abs(p[wall_axis]) >= net.rooms[s.room].standoff_m
    assert net.sites["Suzhou"].latitude_deg == pytest.approx(31.30)


def _bad(mutate):
    t = copy.deepcopy(amails_table())
    mutate(t)
    with pytest.raises(SpecError) as err:
        network_from_dict(t, "net.toml")
    return str(err.value)


@pytest.mark.parametrize("mutate, words", [
    (lambda t: t["sensors"][0].update(position_m=[1.2, 0.0, 0.0]), ["sensors.SZ01.position_m", "outside"]),
    (lambda t: t["sensors"][0].update(position_m=[0.99, 0.0, 0.0]), ["sensors.SZ01.position_m", "standoff_m"]),
    (lambda t: t["sensors"][0].update(axis=[0.0, 0.0, 0.0]), ["sensors.SZ01.axis", "zero"]),
    (lambda t: t["sensors"][0].update(axis=[0.0, 1.0, 0.1]), ["sensors.SZ01.axis", "unit"]),
    (lambda t: t["sensors"][0].update(room="lab"), ["sensors.SZ01.room", "'lab'"]),
    (lambda t: t["rooms"]["harbin"].update(site="Beijing"), ["rooms.harbin.site", "Beijing"]),
    (lambda t: t["sensors"][1].update(id="SZ01"), ["sensors.id", "SZ01"]),
    (lambda t: t["sensors"][0].update(gain=2), ["sensors.SZ01.gain"]),
    (lambda t: t["sites"]["Suzhou"].update(latitude_deg=95), ["latitude_deg"]),
    (lambda t: t["rooms"]["suzhou"].update(common_mode_correlation=1.5), ["common_mode_correlation"]),
    (lambda t: t["rooms"]["suzhou"].update(lx_m=-2), ["lx_m"]),
    (lambda t: t["sensors"][0].update(white_noise_t_rthz=0), ["white_noise_t_rthz"]),
    (lambda t: t["sensors"][0].pop("axis"), ["axis", "missing"]),
])
def test_validation_errors_name_the_field(mutate, words):
    msg = _bad(mutate)
    for w in words:
        assert w in msg, msg


def test_files_and_python_api(tmp_path):
    with pytest.raises(SpecError, match="not found"):
        load_network(tmp_path / "none.toml")
    (tmp_path / "bad.toml").write_text("name = [")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_network(tmp_path / "bad.toml")
    s = Sensor("a", "r", (0.0, 0.0, 0.0), (0.0, 0.6, 0.8), corner_hz=4.0)
    assert s.asd_t_rthz(4.0) == pytest.approx(15e-15 * np.sqrt(2))
    assert Site("x", 10, 20).room_x_azimuth_deg == 0.0
    net = amails()
    assert net.with_sensors(net.sensors[:3]).n_sensors == 3
    assert net.spec_hash() == amails().spec_hash()
