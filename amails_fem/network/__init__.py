"""Magnetometer networks: sensors and sites, response rows, sidereal modulation, templates, noise and statistics,
placement, and recorded runs on disk (runs.py, readers.py; docs/recorded_data.md) for the correlator
(docs/physics.md sec. 4; AMAILS, Jiang et al. (2024)).

    run = read_run("run.nc"); write_run(run, "copy.zarr")

    net = load_network("geometries/amails_network.toml")
    resp = solve_network_rooms(net, mesh_size_m=0.25)
    ds = build_templates(net, resp, np.linspace(1, 500, 500)); write_templates(ds, "templates.h5")
"""

from amails_fem.network.response import (  # noqa: F401
    FunctionResponse,
    StaticResponse,
    lab_templates,
    sensor_rows,
    solve_network_rooms,
)
from amails_fem.network.runs import Run, read_run, write_run  # noqa: F401
from amails_fem.network.sensors import Network, Room, Sensor, Site, load_network, network_from_dict  # noqa: F401
from amails_fem.network.templates import (  # noqa: F401
    build_templates,
    complex_var,
    read_templates,
    write_templates,
)
