"""Field objects -> arrays for the VTU writer: the volume field on the mesh and the wall maps."""

from __future__ import annotations

import numpy as np

from amails_fem.fields.fieldmap import POLARIZATIONS, WallMap
from amails_fem.io.vtu import write_vtu


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


def write_openings_vtu(response, path, provenance: dict | None = None):
    """The aperture facets of a room's openings as triangles, with the opening index and B (T per A/m^2, p = x, y,
    z) at their vertices."""
    rm = response.room_mesh
    mesh = rm.mesh
    tris, ids = [], []
    for name, facets in rm.apertures.items():
        tris.append(mesh.facets[:, facets].T)
        ids.append(np.full(len(facets), int(name.split("_")[1])))
    tris = np.concatenate(tris)
    used, inverse = np.unique(tris, return_inverse=True)
    pts = mesh.p[:, used].T
    B = response.vertex_field()[:, used]  # (3 pol, n, 3): the room side keeps the original vertex numbers
    opening = np.zeros(len(used), int)
    opening[inverse.reshape(tris.shape)] = np.concatenate(ids)[:, None]
    data = {f"B_p{p}_T_per_A_m2": B[k] for k, p in enumerate(POLARIZATIONS)}
    data["opening"] = opening
    return write_vtu(path, pts, "triangle", inverse.reshape(tris.shape), data, provenance)
