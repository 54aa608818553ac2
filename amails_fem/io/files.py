"""Atomic file writes, JSON and TOML: a crash never leaves a half file that looks whole."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np

from amails_fem.errors import SpecError


@contextlib.contextmanager
def atomic_path(path, suffix=None):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    ``suffix`` (default: the suffix of ``path``) keeps writers that infer the format from the name happy.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part" + (suffix or path.suffix), dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def json_text(data, **kwargs) -> str:
    """JSON of ``data``; numpy scalars and arrays and paths as plain JSON values."""
    return json.dumps(data, default=json_default, **kwargs)


def write_json(path, data) -> Path:
    """Write ``data`` as indented JSON atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json_text(data, indent=2) + "\n")
    return Path(path)


def json_default(obj):
    """``json.dumps(default=...)`` hook: numpy scalars/arrays as numbers/lists, paths as strings."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


DATA_FILES = ("amails_room.toml", "amails_room_mumetal.toml", "amails_network.toml")


def data_path(name: str) -> Path:
    """Path of a default spec shipped with the package (amails_fem/data): works from a wheel and from a clone."""
    if name not in DATA_FILES:
        raise SpecError(f"default spec must be one of {', '.join(DATA_FILES)}; got {name!r}")
    return Path(str(resources.files("amails_fem") / "data" / name))


def read_toml(path, kind: str = "spec") -> dict:
    """Parse a TOML file; SpecError (not a traceback) for a missing file or bad TOML. kind names it in errors."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{kind} file not found: {path}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not UTF-8 text (a TOML spec must be UTF-8)") from None
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{path}: not valid TOML: {err}") from None
    except OSError as err:
        raise SpecError(f"{kind} file {path} cannot be read: {err.strerror}") from None


@contextlib.contextmanager
def run_folder(path):
    """Write a run's whole output set into a staging folder beside ``path`` and put it in place only when the run
    succeeded: afterwards ``path`` holds either the previous complete set or the new complete set, never a mix.

    The staging folder ``.NAME.staging-PID`` is removed on any error (Ctrl-C included); one left by a killed
    process (its PID gone) is cleaned up by the next run. A second run into the same folder while one is alive
    is refused. Yields the staging folder: write every file of the run below it.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise SpecError(f"--out {path} exists and is not a folder")
    parent = path.parent
    parent.mkdir(parents=True, exist_ok=True)
    if not os.access(parent, os.W_OK):
        raise SpecError(f"--out {path}: the folder {parent} is not writable")
    for stale in parent.glob(f".{path.name}.staging-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and _alive(int(pid)) and int(pid) != os.getpid():
            raise SpecError(f"--out {path}: another run (process {pid}) is writing it; wait for it or choose "
                            "another folder")
        shutil.rmtree(stale, ignore_errors=True)
    staging = parent / f".{path.name}.staging-{os.getpid()}"
    staging.mkdir()
    try:
        yield staging
        old = parent / f".{path.name}.old-{os.getpid()}"
        if path.exists():
            os.replace(path, old)
        os.replace(staging, path)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
