"""Geometry specs (frozen dataclasses, TOML) and their Gmsh builders."""

from amails_fem.geometry.spec import (  # noqa: F401
    BoxRoom,
    CylinderRoom,
    EllipsoidRoom,
    MeshOptions,
    SphereRoom,
    box_room,
    cylinder_room,
    ellipsoid_room,
    load_spec,
    parse_room,
    sphere_room,
)


_CAVITY_NAMES = ("cylinder_cavity", "rectangular_cavity", "half_cylinder_cavity", "Rod",
                 "CylinderCavity", "RectangularCavity", "HalfCylinderCavity")


def __getattr__(name):
    # cavity constructors live in their own module, imported on first use
    if name in _CAVITY_NAMES:
        from importlib import import_module

        return getattr(import_module("amails_fem.geometry.cavities"), name)
    raise AttributeError(f"module 'amails_fem.geometry' has no attribute {name!r}")
