"""One entry point for spec files: a [room] table gives a room, a [cavity] table a cavity; the shipped defaults."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from amails_fem.errors import SpecError
from amails_fem.io.files import read_toml
from amails_fem.specs.cavities import parse_cavity
from amails_fem.specs.rooms import parse_room

DEFAULT_FILES = ("amails_room.toml", "amails_room_mumetal.toml", "amails_network.toml")


def default_spec_path(name: str) -> Path:
    """Path of a spec shipped with the package (amails_fem/data): works from a wheel as well as from a clone."""
    if name not in DEFAULT_FILES:
        raise SpecError(f"default spec must be one of {', '.join(DEFAULT_FILES)}; got {name!r}")
    return Path(str(resources.files("amails_fem") / "data" / name))


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
