"""Figures say what they show: legends with sensor IDs, the shielding caveat drawn in the picture and a y range real
rooms reach, sensors with IDs on unfolded wall nets (checked through the figures' text, not pixels)."""

import numpy as np

from amails_fem.fields.fieldmap import WallMap, net_positions, wall_patches
from amails_fem.geometry import box_room, sphere_room
from amails_fem.network.sensors import default_network_path, load_network
from amails_fem.plotting.network import plot_placement
from amails_fem.plotting.rooms import draw_net
from amails_fem.plotting.walls import S_PLOT_MAX, walls_figures


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text"))]


def test_walls_figures_name_sensors_and_state_the_caveat():
    f = np.geomspace(1, 500, 8)
    ids = ["SZ01", "SZ02", "SZ03"]
    b_pec = np.ones((3, 3)) * 1e-7
    b_real = np.ones((8, 3, 3)) * 0.8e-7
    s = np.geomspace(2e3, 1e25, 8)  # an ideal five-layer stack: S(500 Hz) ~ 1e25
    figs = walls_figures(f, np.full((8, 3), 0.8), b_real, b_pec, s, 2e3, 2.2e3, None, f, [1.0],
                         sphere_room(1.24), "z", sensor_ids=ids)
    legend = [t.get_text() for t in figs["signal_vs_frequency.png"].axes[0].get_legend().get_texts()]
    assert legend == ids
    fig = figs["shielding_factor.png"]
    ax = fig.axes[0]
    assert ax.get_ylim()[1] == S_PLOT_MAX and ax.get_ylim()[1] < 1e10
    words = " ".join(texts(fig))
    assert "ideal closed shells" in words and "1e5-1e6" in words and "seams and doors" in words
    assert "off scale" in words
    assert "where measured walk-in rooms saturate" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_placement_is_an_unfolded_net_with_sensor_ids():
    net = load_network(default_network_path())
    fig = plot_placement(net, {"given": list(net.sensors)})
    assert all(ax.name == "rectilinear" for ax in fig.axes)  # no 3D scatter
    words = texts(fig)
    assert {s.id for s in net.sensors} <= set(words)
    assert {"x_min", "x_max", "y_min", "y_max", "floor", "ceiling"} <= set(words)
    legends = {t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts()}
    assert legends == {"given (13)", "given (2)"}  # Suzhou and Harbin


def test_room_map_draws_sensors_on_their_walls():
    spec = box_room(2.0, 2.0, 2.0)
    patches = wall_patches(spec, 0.01, 5)
    rng = np.random.default_rng(1)
    wm = WallMap(spec, 0.01, patches, {p.name: rng.normal(size=(3, 5, 5, 3)) for p in patches})
    sensors = [("SZ01", (0.95, 0.0, 0.0), (1, 0, 0)), ("SZ02", (0.0, -0.95, 0.5), (0, 0, 1))]
    fig = draw_net(wm, sensors=sensors)
    assert sum(w == "SZ01" for w in texts(fig)) == 3  # one per polarization panel
    rows = net_positions(spec, [s[1] for s in sensors], [s[2] for s in sensors])
    assert [r["wall"] for r in rows] == ["x_max", "y_min"]
    np.testing.assert_allclose(rows[1]["net_xy_m"], [0.0, 0.5])  # y_min is the net's centre face, z up
    np.testing.assert_allclose(rows[0]["axis_uvn"], [0, 0, 1])  # a normal axis


def test_room_command_draws_network_sensors_and_refuses_a_wrong_room(tmp_path, capsys):
    from amails_fem.cli import main

    spec = tmp_path / "cube.toml"
    spec.write_text("[room]\nshape = 'box'\nlx_m = 2\nly_m = 2\nlz_m = 2\n[mesh]\nsize_m = 0.6\norder = 1\n")
    net = str(default_network_path())
    assert main(["room", str(spec), "--network", net, "--network-room", "mars", "--out", str(tmp_path / "x")]) == 2
    assert "--network-room must be one of harbin, suzhou" in capsys.readouterr().err
    out = tmp_path / "r"
    assert main(["room", str(spec), "--network", net, "--grid", "9", "--out", str(out), "--quiet"]) == 0
    assert (out / "walls_net.png").stat().st_size > 10_000


def test_modes_figure_has_a_colourbar():
    from pathlib import Path

    from amails_fem.cavities.solve import cavity_modes
    from amails_fem.plotting.cavities import plot_modes
    from amails_fem.specs.cavities import load_cavity_spec

    spec = load_cavity_spec(Path(__file__).resolve().parents[2] / "geometries/cavity_rectangular.toml")
    fig = plot_modes(spec, cavity_modes(spec, 2))
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert "|E| / max |E| (each mode)" in labels  # the colourbar's axis
