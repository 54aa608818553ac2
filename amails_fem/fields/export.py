"""Field objects -> arrays for the VTU writer: the volume field on the mesh and the wall maps.

Arrays per polarization p of the effective current: ``B_p?_T_per_A_m2`` (tesla per A/m^2 of effective current) and
``B_p?_T`` (tesla for a dark photon of kinetic mixing eps at freq_hz: J_eff = eps sqrt(2 rho / mu0) (2 pi f / c),
units.j_eff_a_m2); the field data say so in words.
"""

from __future__ import annotations

import numpy as np

from amails_fem import units
from amails_fem.fields.fieldmap import POLARIZATIONS, WallMap
from amails_fem.fields.summary import REFERENCE
from amails_fem.io.vtu import write_vtu

CHUNK_POINTS = 100_000  # point evaluation in chunks: the locator holds (chunk, 16, 3, 3) candidates


def field_units_text(eps: float, freq_hz: float) -> list[str]:
    """The units and normalisation lines of a field VTU (VTK field data "units")."""
    j = units.j_eff_a_m2(eps, freq_hz)
    return [f"B_p?_T_per_A_m2: magnetic flux density in tesla per 1 A/m^2 of dark-photon effective current along "
            f"p = x, y, z (lab frame, room centred at the origin, z up)",
            f"B_p?_T: tesla for kinetic mixing eps = {eps:g} at f = {freq_hz:g} Hz, rho_DM = "
            f"{units.RHO_DM_GEV_CM3:g} GeV/cm^3: J_eff = eps sqrt(2 rho / mu0) (2 pi f / c) = {j:.6g} A/m^2; "
            "B scales linearly with eps and with f",
            "Bmag_*: |B|; coordinates in m"]


def nodal_field(response, points_m: np.ndarray) -> np.ndarray:
    """R (N, 3 comp, 3 pol) in T per A/m^2 at points_m by the solver's own point evaluation, in chunks."""
    return np.concatenate([response.response_matrix(points_m[i:i + CHUNK_POINTS])
                           for i in range(0, len(points_m), CHUNK_POINTS)])


def write_field_vtu(response, path, provenance: dict | None = None, eps: float = REFERENCE["eps"],
                    freq_hz: float = REFERENCE["freq_hz"]):
    """B for p = x, y, z on the solution's own nodes: for P2 quadratic 10-node tetrahedra whose nodes are the P2
    nodes (curved where the mesh is), each value the solver's point evaluation at that node; for P1 linear
    tetrahedra at the vertices. Per unit current and in tesla for eps at freq_hz."""
    basis = response.basis
    mesh = basis.mesh
    if response.order == 2:
        points, cells, cell_type = basis.doflocs.T, basis.element_dofs.T, "tetra10"
    else:
        nv = mesh.nvertices
        points, cells, cell_type = mesh.p[:, :nv].T, mesh.t[:4].T, "tetra"
    R = nodal_field(response, np.ascontiguousarray(points))
    j = units.j_eff_a_m2(eps, freq_hz)
    data = {}
    for k, p in enumerate(POLARIZATIONS):
        data[f"B_p{p}_T_per_A_m2"] = R[:, :, k]
        data[f"Bmag_p{p}_T_per_A_m2"] = np.linalg.norm(R[:, :, k], axis=1)
        data[f"B_p{p}_T"] = j * R[:, :, k]
        data[f"Bmag_p{p}_T"] = j * np.linalg.norm(R[:, :, k], axis=1)
    text = {"units": field_units_text(eps, freq_hz),
            "nodes": f"{cell_type} cells on the P{response.order} nodes; every nodal value is the solver's point "
                     "evaluation B = mu0 (J x r / 2 + grad psi) there; ParaView interpolates between nodes"}
    return write_vtu(path, points, cell_type, cells, data, provenance, field_text=text)


def write_walls_vtu(wall_map: WallMap, path, provenance: dict | None = None, eps: float = REFERENCE["eps"],
                    freq_hz: float = REFERENCE["freq_hz"]):
    """Wall grids as quads with B, B_n, |B_t|, |B| per polarization (T per A/m^2, and T for eps at freq_hz) and a
    wall id (an index into the string array "wall_names", also read_field_json(path, "wall_names"))."""
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
    j = units.j_eff_a_m2(eps, freq_hz)
    point_data.update({k.replace("_T_per_A_m2", "_T"): j * v for k, v in list(point_data.items())})
    point_data["wall_id"] = np.concatenate(wall_id)
    text = {"units": field_units_text(eps, freq_hz) + ["Bn: normal component (outward), Bt: |tangential part|; "
                                                       f"grids {wall_map.standoff_m * 1e3:g} mm inside the walls"]}
    return write_vtu(path, np.concatenate(points), "quad", np.concatenate(quads), point_data, provenance,
                     {"wall_names": [p.name for p in wall_map.patches]}, text)  # wall_id indexes wall_names


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
    R = response.response_matrix(pts)  # (n, 3 comp, 3 pol): the solver's own point evaluation
    opening = np.zeros(len(used), int)
    opening[inverse.reshape(tris.shape)] = np.concatenate(ids)[:, None]
    data = {f"B_p{p}_T_per_A_m2": R[:, :, k] for k, p in enumerate(POLARIZATIONS)}
    data["opening"] = opening
    return write_vtu(path, pts, "triangle", inverse.reshape(tris.shape), data, provenance)
