"""VTU files for ParaView: the volume field on the mesh and the wall maps (VTK through pyvista, atomic).

Each file carries its provenance (the JSON of summary.json, UTF-8 bytes in the field array provenance_json_utf8:
string arrays would stop meshio from reading the file). meshio's VTU writer dropped field data silently, so the wall
names of walls.vtu never reached the file before.
"""

from __future__ import annotations

import json

import numpy as np

from amails_fem.io import atomic_path, json_text
from amails_fem.postprocess.fieldmap import POLARIZATIONS, WallMap

VTK_CELL_TYPES = {"tetra": 10, "quad": 9}


def write_vtu(path, points, cell_type: str, cells, point_data: dict, provenance: dict | None = None,
              field_json: dict | None = None):
    """Unstructured grid of one cell type ("tetra" or "quad") with point arrays; provenance and the field_json
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
    import meshio

    return json.loads(bytes(np.asarray(meshio.read(path).field_data[f"{name}_json_utf8"], np.uint8)).decode())


def write_field_vtu(response, path, provenance: dict | None = None):
    """B (T per A/m^2) at the mesh vertices for p = x, y, z on the linear tetrahedra."""
    mesh = response.basis.mesh
    nv = mesh.nvertices
    B = response.vertex_field()
    data = {f"B_p{p}_T_per_A_m2": B[k] for k, p in enumerate(POLARIZATIONS)}
    data.update({f"Bmag_p{p}_T_per_A_m2": np.linalg.norm(B[k], axis=1) for k, p in enumerate(POLARIZATIONS)})
    return write_vtu(path, mesh.p[:, :nv].T, "tetra", mesh.t[:4].T, data, provenance)


def write_walls_vtu(wall_map: WallMap, path, provenance: dict | None = None):
    """Wall grids as quads with B, B_n, |B_t|, |B| per polarization (T per A/m^2) and a wall id (an index into the
    list read_field_json(path, "wall_names"))."""
    points, quads, data, wall_id = [], [], {}, []
    offset = 0
    for w, patch in enumerate(wall_map.patches):
        nu, nv = patch.points_m.shape[:2]
        points.append(patch.points_m.reshape(-1, 3))
        idx = np.arange(nu * nv).reshape(nu, nv) + offset
        quads.append(np.stack([idx[:-1, :-1], idx[1:, :-1], idx[1:, 1:], idx[:-1, 1:]], -1).reshape(-1, 4))
        wall_id.append(np.full(nu * nv, w))
        for k, p in enumerate(POLARIZATIONS):
            comp = wall_map.components(patch.name, k)
            for key, value in (("B", wall_map.b_t_per_a_m2[patch.name][k].reshape(-1, 3)), ("Bn", comp["B_n"].ravel()),
                               ("Bt", comp["B_t"].ravel()), ("Bmag", comp["B_mag"].ravel())):
                data.setdefault(f"{key}_p{p}_T_per_A_m2", []).append(value)
        offset += nu * nv
    point_data = {k: np.concatenate(v) for k, v in data.items()}
    point_data["wall_id"] = np.concatenate(wall_id)
    return write_vtu(path, np.concatenate(points), "quad", np.concatenate(quads), point_data, provenance,
                     {"wall_names": [p.name for p in wall_map.patches]})  # wall_id indexes this list
