"""Cached gmsh meshes: one route gmsh -> .msh (atomic) -> verified cache entry -> scikit-fem.

Each entry ``NAME_KEY.msh`` has a sidecar ``NAME_KEY.msh.sha256`` holding the SHA-256 of the file and the key it was
built for. On read the hash is checked; a missing, truncated, edited or foreign file is discarded and rebuilt (one
progress line says so), so the provenance always describes the mesh that was solved.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from amails_fem.io.cache import cache_dir, content_hash
from amails_fem.io.files import atomic_path
from amails_fem.log import QUIET, Progress
from amails_fem.meshing.read import read_msh
from amails_fem.meshing.session import gmsh_session

MESH_FORMAT_VERSION = 1  # bump when a meshing recipe changes: invalidates every cache entry


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _verified(path: Path, key: str) -> bool:
    """True when ``path`` and its sidecar exist and the sidecar matches the file's hash and the key."""
    side = path.with_name(path.name + ".sha256")
    try:
        record = json.loads(side.read_text())
        return record.get("key") == key and record.get("sha256") == _file_sha256(path)
    except (OSError, ValueError, AttributeError):
        return False


def cached_mesh(prefix: str, key_data: dict, build, *, names=(), cell_tags: bool = False, use_cache: bool = True,
                progress: Progress = QUIET, threads: int = 1):
    """Mesh through the cache. ``build(gmsh)`` adds the model with its physical groups and generates the mesh inside
    a fresh gmsh session with ``threads`` threads (General.NumThreads). Returns (key, from_cache, read_msh(...) result)."""
    key = content_hash({**key_data, "v": MESH_FORMAT_VERSION})
    path = cache_dir("meshes") / f"{prefix}_{key}.msh"
    from_cache = use_cache and path.is_file() and _verified(path, key)
    if use_cache and path.is_file() and not from_cache:
        progress.say(f"cached mesh {path.name} failed its check (truncated, edited or foreign): rebuilding")
    if from_cache:
        try:
            return key, True, read_msh(path, names, cell_tags=cell_tags)
        except Exception:  # noqa: BLE001 - a verified file that still fails to parse is rebuilt, not trusted
            progress.say(f"cached mesh {path.name} could not be read: rebuilding")
    target = path if use_cache else path.with_name(f"{prefix}_{key}.nocache.msh")
    with gmsh_session(threads=threads) as gmsh:
        build(gmsh)
        gmsh.option.setNumber("Mesh.Binary", 1)
        gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
        with atomic_path(target) as tmp:
            gmsh.write(str(tmp))
    result = read_msh(target, names, cell_tags=cell_tags)
    if use_cache:
        with atomic_path(path.with_name(path.name + ".sha256")) as tmp:
            tmp.write_text(json.dumps({"key": key, "sha256": _file_sha256(path)}))
    else:
        target.unlink(missing_ok=True)
    return key, False, result
