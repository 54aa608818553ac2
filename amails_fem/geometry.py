"""Public constructors of room and cavity specs (the names users type): re-exported from ``amails_fem.specs``."""

from amails_fem.specs.cavities import (  # noqa: F401
    CylinderCavity,
    HalfCylinderCavity,
    RectangularCavity,
    Rod,
    cylinder_cavity,
    half_cylinder_cavity,
    rectangular_cavity,
)
from amails_fem.specs.loader import load_spec  # noqa: F401
from amails_fem.specs.openings import Door, Tube  # noqa: F401
from amails_fem.specs.rooms import (  # noqa: F401
    BoxRoom,
    CylinderRoom,
    EllipsoidRoom,
    MeshOptions,
    SphereRoom,
    box_room,
    cylinder_room,
    ellipsoid_room,
    parse_room,
    sphere_room,
)

__all__ = ["BoxRoom", "CylinderCavity", "CylinderRoom", "Door", "Tube", "EllipsoidRoom", "HalfCylinderCavity", "MeshOptions",
           "RectangularCavity", "Rod", "SphereRoom", "box_room", "cylinder_cavity", "cylinder_room", "ellipsoid_room",
           "half_cylinder_cavity", "load_spec", "parse_room", "rectangular_cavity", "sphere_room"]
