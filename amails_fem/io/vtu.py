"""VTU files for ParaView from arrays (points, cells, point data), written atomically through VTK/pyvista.

Metadata travel as VTK string arrays in the file's field data, which ParaView shows as text (Information panel,
spreadsheet view "Field Data"): ``provenance`` holds one "key: value" line per entry, ``provenance_json`` the same
record as one JSON string for programs (read_field_json), and each text entry its own string array. Cells: linear
tetrahedra, quadratic 10-node tetrahedra (VTK_QUADRATIC_TETRA: vertices, then the edge nodes of edges 01, 12, 02,
03, 13, 23), or quads. Read the files with pyvista/VTK (read_vtu); meshio does not read VTK string arrays.
"""

from __future__ import annotations

import json

import numpy as np

from amails_fem.io.files import atomic_path, json_text

VTK_CELL_TYPES = {"tetra": 10, "tetra10": 24, "quad": 9, "triangle": 5}


def write_vtu(path, points, cell_type: str, cells, point_data: dict, provenance: dict | None = None,
              field_json: dict | None = None, field_text: dict | None = None, field_arrays: dict | None = None):
    """Unstructured grid of one cell type ("tetra", "tetra10", "quad" or "triangle") with point arrays. Field data: the
    provenance (text lines and JSON), each field_json entry as JSON text "<name>_json" (and, for a list of strings,
    also as the string array "<name>"), each field_text entry (a string or a list of strings) as a string array.
    field_arrays: numeric field-data arrays (e.g. one value per mode). Written atomically."""
    import pyvista as pv

    cells = np.asarray(cells, dtype=np.int64)
    conn = np.hstack([np.full((len(cells), 1), cells.shape[1]), cells]).ravel()
    grid = pv.UnstructuredGrid(conn, np.full(len(cells), VTK_CELL_TYPES[cell_type], np.uint8),
                               np.asarray(points, dtype=float))
    for name, values in point_data.items():
        grid.point_data[name] = np.asarray(values)
    fields = dict(field_json or {}, **({"provenance": provenance} if provenance is not None else {}))
    for name, value in fields.items():
        grid.field_data[f"{name}_json"] = [json_text(value)]
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            grid.field_data[name] = list(value)
    if provenance is not None:
        grid.field_data["provenance"] = [f"{k}: {v if isinstance(v, str) else json_text(v)}"
                                         for k, v in provenance.items()]
    for name, value in (field_arrays or {}).items():
        grid.field_data[name] = np.asarray(value, dtype=float)
    for name, value in (field_text or {}).items():
        grid.field_data[name] = [value] if isinstance(value, str) else [str(v) for v in value]
    with atomic_path(path) as tmp:
        grid.save(tmp)
    return path


def read_vtu(path):
    """The grid of a VTU file (a pyvista UnstructuredGrid: points, cells, point_data, field_data)."""
    import pyvista as pv

    return pv.read(str(path))


def read_field_text(path, name: str) -> list[str]:
    """A string array of a VTU file's field data as a list of strings."""
    return [str(v) for v in np.atleast_1d(read_vtu(path).field_data[name])]


def read_field_json(path, name: str = "provenance"):
    """A JSON field written by write_vtu (default: the provenance)."""
    return json.loads(read_field_text(path, f"{name}_json")[0])
