"""Atomic file writes, JSON and TOML: a crash never leaves a half file that looks whole."""

from __future__ import annotations

import contextlib
import fcntl
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


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder if folder.exists() else Path("."), "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def _check_name_lengths(path: Path, field: str) -> None:
    """Every part of ``path`` short enough for this file system, with room for the staging/temporary suffixes."""
    limit = _name_max(Path("."))
    for part in path.parts:
        if len(os.fsencode(part)) + 40 > limit:
            raise SpecError(f"{field} {str(path)[:40]}...: the name {part[:20]}... is too long "
                            f"({len(os.fsencode(part))} bytes; at most {limit - 40} here)")


def _creatable_parent(path: Path, field: str) -> list[Path]:
    """Check that ``path``'s parent exists or can be made and is writable; return the folders that are missing
    (outermost first), without making them. One SpecError line otherwise."""
    parent = path.parent
    missing = []
    probe = parent
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise SpecError(f"{field} {path}: {probe} is a file, not a folder")
    try:  # a real write, not os.access (which says yes to root on folders that refuse writes)
        os.rmdir(tempfile.mkdtemp(prefix=".amails-fem-probe-", dir=probe))
    except OSError as err:
        raise SpecError(f"{field} {path}: the folder {probe} is not writable ({err.strerror})") from None
    limit = _name_max(probe)
    for part in [*(m.name for m in missing), path.name]:
        if len(os.fsencode(part)) + 40 > limit:  # room for the staging / temporary suffixes
            raise SpecError(f"{field} {path}: the name {part[:20]}... is too long ({len(os.fsencode(part))} bytes; "
                            f"at most {limit - 40} here)")
    return missing[::-1]


def check_out_file(path, field: str = "--out") -> Path:
    """Check a one-file output path before any work: not a folder, parent creatable and writable, name not too
    long. Makes nothing."""
    path = Path(path)
    _check_name_lengths(path, field)
    if not path.name or path.is_dir():
        raise SpecError(f"{field} {path} is a folder; it must name a file")
    if path.exists() and not os.access(path, os.W_OK):
        raise SpecError(f"{field} {path} exists and is not writable")
    _creatable_parent(path, field)
    return path


def _holder(staging: Path) -> bool:
    """True if a live run holds the lock on ``staging`` (an flock on the folder, released when its process ends,
    killed or not)."""
    try:
        fd = os.open(staging, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


@contextlib.contextmanager
def run_folder(path):
    """Write a run's whole output set into a staging folder beside ``path`` and put it in place only when the run
    succeeded: afterwards ``path`` holds either the previous complete set or the new complete set, never a mix.

    The staging folder ``.NAME.staging-PID`` is locked (flock) by the run that writes it and removed on any error
    (Ctrl-C and SIGTERM included); one left by a killed process (its lock gone with it) is cleaned up by the next
    run, and a previous set moved aside by a run killed between its two renames is put back. A second run into
    the same folder while one is alive is refused. Output checks come first (``path`` not a file, its parent
    creatable and writable, names not too long); folders made for it are removed again if the run fails.
    Yields the staging folder: write every file of the run below it.
    """
    path = Path(path)
    _check_name_lengths(path, "--out")
    if path.exists() and not path.is_dir():
        raise SpecError(f"--out {path} exists and is not a folder")
    missing = _creatable_parent(path, "--out")
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SpecError(f"--out {path}: cannot make the folder {parent}: {err.strerror}") from None
    guard = os.open(parent, os.O_RDONLY)
    try:
        _lock(guard, fcntl.LOCK_EX)  # the check-and-claim below is one step for concurrent runs
        for stale in parent.glob(f".{path.name}.staging-*"):
            if _holder(stale):
                pid = stale.name.rsplit("-", 1)[-1]
                raise SpecError(f"--out {path}: another run (process {pid}) is writing it; wait for it or choose "
                                "another folder")
            shutil.rmtree(stale, ignore_errors=True)
        for old in parent.glob(f".{path.name}.old-*"):  # a run killed between its renames: restore the old set
            if not path.exists():
                os.replace(old, path)
            else:
                shutil.rmtree(old, ignore_errors=True)
        staging = parent / f".{path.name}.staging-{os.getpid()}"
        staging.mkdir()
        lock = os.open(staging, os.O_RDONLY)
        _lock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BaseException:
        os.close(guard)
        _remove_empty(missing)
        raise
    os.close(guard)
    try:
        yield staging
        old = parent / f".{path.name}.old-{os.getpid()}"
        with _dir_lock(parent):  # no other run looks at the folder between the two renames
            if path.exists():
                os.replace(path, old)
            os.replace(staging, path)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_empty(missing)
        raise
    finally:
        os.close(lock)


@contextlib.contextmanager
def _dir_lock(folder: Path):
    fd = os.open(folder, os.O_RDONLY)
    try:
        _lock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _lock(fd: int, flags: int) -> None:
    """flock, or nothing on a file system without locks (some network mounts): runs are then not serialised."""
    try:
        fcntl.flock(fd, flags)
    except BlockingIOError:
        raise
    except OSError:
        pass


def _remove_empty(folders: list[Path]) -> None:
    """Remove folders made for a failed run (innermost first), if still empty."""
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()
