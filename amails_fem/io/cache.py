"""Content hashes and the on-disk cache folder (meshes, tuning steps)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from amails_fem.io.files import json_default


def content_hash(obj) -> str:
    """SHA-256 (hex, 16 chars) of the canonical JSON of ``obj``: names a spec or a cache entry."""
    text = json.dumps(obj, sort_keys=True, default=json_default, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cache_dir(kind: str) -> Path:
    """Cache folder ``$AMAILS_FEM_CACHE/kind`` (default ~/.cache/amails_fem/kind)."""
    root = Path(os.environ.get("AMAILS_FEM_CACHE", Path.home() / ".cache" / "amails_fem"))
    path = root / kind
    path.mkdir(parents=True, exist_ok=True)
    return path
