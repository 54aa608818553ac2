"""What every room mesher returns (RoomMesh) and the wall-refinement size law they share.

The gmsh mesher (meshing/rooms.py) asks gmsh for this size field; the structured box mesher
(meshing/structured.py) spaces its grid lines by the same law, so both meshes are refined alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WALL_GROWTH = 3.0  # the size grows from wall_size_m at the walls to size_m over WALL_GROWTH * size_m


@dataclass
class RoomMesh:
    """A scikit-fem mesh with named wall facets and how it was made."""

    mesh: object  # skfem MeshTet1 or MeshTet2
    walls: dict  # wall name -> boundary facet indices (np.int64)
    size_m: float
    wall_size_m: float
    geometric_order: int
    key: str
    seconds: float = 0.0
    from_cache: bool = False
    generator: str = "gmsh"  # "gmsh" (meshing/rooms.py) or "structured" (meshing/structured.py)

    @property
    def n_elements(self) -> int:
        return int(self.mesh.t.shape[1])

    @property
    def n_vertices(self) -> int:
        return int(self.mesh.nvertices)


def size_at_distance_m(d_m, size_m: float, wall_size_m: float) -> np.ndarray:
    """The requested element size at distance d_m from the walls: wall_size_m at the walls, linear to size_m at
    WALL_GROWTH * size_m, size_m beyond (the Threshold field of meshing/rooms.py)."""
    d = np.asarray(d_m, float)
    if wall_size_m >= size_m:
        return np.full_like(d, size_m)
    return wall_size_m + (size_m - wall_size_m) * np.clip(d / (WALL_GROWTH * size_m), 0.0, 1.0)
