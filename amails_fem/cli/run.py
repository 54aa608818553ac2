"""``amails-fem run``: the default job on the default geometry (AMAILS room, then its network) into ./amails_out."""

from __future__ import annotations

from pathlib import Path

from amails_fem.cli.network import run_chain
from amails_fem.cli.options import add_command, quiet
from amails_fem.cli.room import network_sensors, run_room_job
from amails_fem.io.files import data_path
from amails_fem.specs.loader import load_spec

DEFAULT_SPEC = "amails_room.toml"


def register(sub) -> None:
    p = add_command(sub, "run", help="the default job: the AMAILS room maps, then the AMAILS network's placement, "
                                     "templates and simulated correlator run, into ./amails_out",
                    description="The default job on the default geometry: the AMAILS room maps, then the AMAILS "
                    "network's placement, templates and a simulated correlator run.\nWrites room/ (as `amails-fem room`) and network/ (placement, "
                    "templates.h5, correlate) into --out (all or nothing).",
                    example="amails-fem run --out amails_out")
    p.add_argument("--out", default="amails_out", help="output folder")
    quiet(p)
    p.set_defaults(func=cmd_run)


def cmd_run(args) -> int:

    spec_path = data_path(DEFAULT_SPEC)
    spec = load_spec(spec_path)

    sensors = network_sensors(data_path("amails_network.toml"), "suzhou", spec)  # drawn on the room's wall net
    run_room_job(spec, Path(args.out) / "room", spec_file=str(spec_path), order=spec.mesh.order, quiet=args.quiet,
                 sensors=sensors)
    return run_chain(args.out, quiet=args.quiet)
