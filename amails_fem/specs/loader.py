"""One entry point for spec files: a [room] table gives a room, a [cavity] table a cavity."""

from __future__ import annotations

from pathlib import Path

from amails_fem.errors import SpecError
from amails_fem.io.files import read_toml
from amails_fem.specs.cavities import parse_cavity
from amails_fem.specs.rooms import parse_room


def load_spec(path):
    """Load a geometry spec from TOML: a [room] table gives a room, a [cavity] table a cavity.

    Raises SpecError (naming the key) for a missing file, bad TOML, unknown shape, missing or bad keys.
    """
    path = Path(path)
    table = read_toml(path)
    if "room" in table:
        return parse_room(table, str(path))
    if "cavity" in table:
        return parse_cavity(table, str(path))
    raise SpecError(f"{path}: no [room] or [cavity] table; a spec describes one room or one cavity")
