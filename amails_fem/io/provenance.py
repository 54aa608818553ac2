"""Provenance written into every output: who made it (package version and commit), when, how, with what."""

from __future__ import annotations

import datetime
import functools
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

DEPENDENCIES = ("numpy", "scipy", "scikit-fem", "gmsh", "pyamg", "meshio", "xarray")


def package_version() -> str:
    """The installed amails_fem version (package metadata); "unknown" when run from an uninstalled tree."""
    try:
        return metadata.version("amails_fem")
    except metadata.PackageNotFoundError:
        return "unknown"


@functools.lru_cache(maxsize=1)
def source_commit() -> dict:
    """Git commit and dirty flag of the source tree this package was imported from (None outside a checkout)."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                                timeout=5).stdout.strip()
        if not commit:
            return {"commit": None, "dirty": None}
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                                capture_output=True, text=True, timeout=5).stdout
        return {"commit": commit, "dirty": bool(status.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


@functools.lru_cache(maxsize=1)
def dependency_versions() -> dict:
    """Versions of the numerical dependencies that shape the results."""
    out = {}
    for name in DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


_COMMAND_LINE: list[str] | None = None  # set by the CLI: the amails-fem command line, also when called in-process


def record_command_line(argv) -> None:
    """Record the command line written into every provenance (the CLI's argv; None: sys.argv)."""
    global _COMMAND_LINE
    _COMMAND_LINE = None if argv is None else ["amails-fem", *map(str, argv)]


def provenance(**extra) -> dict:
    """Package version and commit, UTC time, command line, dependency versions, plus the caller's fields
    (spec hash, mesh size, element order, tolerance, wall and environment models ...)."""
    return {
        "package": "amails_fem",
        "version": package_version(),
        **source_commit(),
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command_line": list(_COMMAND_LINE if _COMMAND_LINE is not None else sys.argv),
        "python": sys.version.split()[0],
        "dependencies": dependency_versions(),
        **extra,
    }


def netcdf_attributes(record: dict, *, title: str) -> dict:
    """A provenance record as CF-style global attributes: Conventions, title, history, date_created, and every
    other field as a number or a string (nested values as JSON; booleans and None as strings)."""
    attrs = {"Conventions": "CF-1.8", "title": title,
             "date_created": record.get("created_utc", ""),
             "history": f"{record.get('created_utc', '')} {' '.join(record.get('command_line', []))} "
                        f"(amails_fem {record.get('version', '')})".strip()}
    for key, value in record.items():
        if isinstance(value, bool) or value is None:
            attrs[key] = str(value)
        elif isinstance(value, (int, float, str)):
            attrs[key] = value
        else:
            attrs[key] = json.dumps(value, default=str)
    return attrs
