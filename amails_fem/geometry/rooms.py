"""Gmsh (OCC kernel) builders for rooms: each adds one volume and returns its named wall surfaces.

Call inside an initialised gmsh session (see amails_fem.mesh.gmsh_session). Coordinates in metres,
rooms centred at the origin (geometry/spec.py).
"""

from __future__ import annotations

import numpy as np

from amails_fem.geometry.spec import AXES, BoxRoom, CylinderRoom, EllipsoidRoom, RoomBase, SphereRoom


def build_room(spec: RoomBase) -> tuple[int, dict[str, list[int]]]:
    """Add ``spec`` to the current gmsh model; return (volume tag, {wall name: [surface tags]})."""
    import gmsh

    occ = gmsh.model.occ
    if isinstance(spec, BoxRoom):
        hx, hy, hz = spec.half_m
        vol = occ.addBox(-hx, -hy, -hz, 2 * hx, 2 * hy, 2 * hz)
    elif isinstance(spec, CylinderRoom):
        axis = np.eye(3)[spec.axis_index] * spec.height_m
        base = -0.5 * axis
        vol = occ.addCylinder(*base, *axis, spec.radius_m)
    elif isinstance(spec, SphereRoom):
        vol = occ.addSphere(0, 0, 0, spec.radius_m)
    elif isinstance(spec, EllipsoidRoom):
        vol = occ.addSphere(0, 0, 0, 1.0)
        occ.dilate([(3, vol)], 0, 0, 0, spec.ax_m, spec.ay_m, spec.az_m)
    else:
        raise TypeError(f"no gmsh builder for {type(spec).__name__}")
    occ.synchronize()
    surfaces = [tag for _, tag in gmsh.model.getBoundary([(3, vol)], oriented=False)]
    return vol, _name_walls(spec, surfaces)


def _name_walls(spec: RoomBase, surfaces: list[int]) -> dict[str, list[int]]:
    """Name wall surfaces from their centres of mass (box faces, cylinder side and caps)."""
    import gmsh

    names: dict[str, list[int]] = {name: [] for name in spec.wall_names}
    for tag in surfaces:
        com = np.array(gmsh.model.occ.getCenterOfMass(2, tag))
        if isinstance(spec, BoxRoom):
            k = int(np.argmax(np.abs(com) / spec.half_m))
            side = "max" if com[k] > 0 else "min"
            name = {"z": {"min": "floor", "max": "ceiling"}}.get(AXES[k], {}).get(side, f"{AXES[k]}_{side}")
        elif isinstance(spec, CylinderRoom):
            a = com[spec.axis_index]
            name = "side" if abs(a) < 0.25 * spec.height_m else ("cap_max" if a > 0 else "cap_min")
        else:
            name = "wall"
        names[name].append(tag)
    empty = [n for n, tags in names.items() if not tags]
    if empty:
        raise RuntimeError(f"gmsh builder produced no surface for wall(s) {empty}")
    return names
