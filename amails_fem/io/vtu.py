"""VTU files for ParaView from arrays (points, cells, point data), written atomically through VTK/pyvista.

Each file carries its provenance (the JSON of summary.json, UTF-8 bytes in the field array provenance_json_utf8:
string arrays would stop meshio from reading the file). meshio's VTU writer dropped field data silently, so the wall
names of walls.vtu never reached the file before.
"""

from __future__ import annotations

import json

import meshio
import numpy as np

from amails_fem.io.files import atomic_path, json_text

VTK_CELL_TYPES = {"tetra": 10, "quad": 9, "triangle": 5}


def write_vtu(path, points, cell_type: str, cells, point_data: dict, provenance: dict | None = None,
              field_json: dict | None = None):
    """Unstructured grid of one cell type ("tetra", "quad" or "triangle") with point arrays; provenance and the field_json
    entries as JSON in UTF-8 field arrays "<name>_json_utf8" (read back with read_field_json). Written atomically."""
    import pyvista as pv

    cells = np.asarray(cells, dtype=np.int64)
    conn = np.hstack([np.full((len(cells), 1), cells.shape[1]), cells]).ravel()
    grid = pv.UnstructuredGrid(conn, np.full(len(cells), VTK_CELL_TYPES[cell_type], np.uint8),
                               np.asarray(points, dtype=float))
    for name, values in point_data.items():
        grid.point_data[name] = np.asarray(values)
    fields = dict(field_json or {}, **({"provenance": provenance} if provenance is not None else {}))
    for name, value in fields.items():
        grid.field_data[f"{name}_json_utf8"] = np.frombuffer(json_text(value).encode(), np.uint8)
    with atomic_path(path) as tmp:
        grid.save(tmp)
    return path


def read_field_json(path, name: str = "provenance"):
    """A JSON field written by write_vtu (default: the provenance), with meshio."""

    return json.loads(bytes(np.asarray(meshio.read(path).field_data[f"{name}_json_utf8"], np.uint8)).decode())
