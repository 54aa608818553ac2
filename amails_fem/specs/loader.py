"""One entry point for spec files: a [room] table gives a room, a [cavity] table a cavity."""

from __future__ import annotations

from pathlib import Path

from amails_fem.errors import SpecError
from amails_fem.io.files import read_toml
from amails_fem.specs.cavities import parse_cavity
from amails_fem.specs.rooms import parse_room

TOP_LEVEL = {"room": {"room", "mesh", "walls", "openings"}, "cavity": {"cavity"}}


def load_spec(path):
    """Load a geometry spec from TOML: a [room] table gives a room, a [cavity] table a cavity.

    Raises SpecError (naming the key) for a missing file, bad TOML, unknown shape, missing or bad keys.
    """
    path = Path(path)
    table = read_toml(path)
    if "room" in table and "cavity" in table:
        raise SpecError(f"{path}: both [room] and [cavity]; a spec describes one room or one cavity")
    kind = "room" if "room" in table else "cavity" if "cavity" in table else None
    if kind is None:
        raise SpecError(f"{path}: no [room] or [cavity] table; a spec describes one room or one cavity")
    unknown = sorted(set(table) - TOP_LEVEL[kind])
    if unknown:
        raise SpecError(f"{path}: [{unknown[0]}] is not a {kind} spec table (allowed: "
                        f"{', '.join(sorted(TOP_LEVEL[kind]))})")
    for name in TOP_LEVEL[kind]:
        if name in table and name != "openings" and not isinstance(table[name], dict):
            raise SpecError(f"{path}: {name} must be a table ([{name}]); got {type(table[name]).__name__}")
    return parse_room(table, str(path)) if kind == "room" else parse_cavity(table, str(path))
