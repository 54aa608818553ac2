"""amails_fem: finite elements for dark-photon searches in shield rooms and cavities.

Public entry points are imported lazily so that ``import amails_fem`` stays cheap (gmsh, scikit-fem, pyvista and dask
load only when a function that needs them is called). The layout and its import rules: README, "Architecture".
"""

from importlib import import_module

from amails_fem.io.provenance import package_version

__version__ = package_version()

# name -> (module, attribute); attribute None means the module itself.
_EXPORTS = {
    "load_spec": ("amails_fem.specs.loader", "load_spec"),
    "solve_room": ("amails_fem.environment.solve", "solve_room"),
    "earth_surface_field": ("amails_fem.environment.earth_field", "earth_surface_field"),
    "sphere_shield_transfer": ("amails_fem.rooms.sphere_transfer", "sphere_shield_transfer"),
    "solve_shield_transfer": ("amails_fem.rooms.transfer", "solve_shield_transfer"),
    "cavity_reach": ("amails_fem.cavities.reach", "cavity_reach"),
    "environment": ("amails_fem.environment", None),
    "RoomResponse": ("amails_fem.rooms.perfect", "RoomResponse"),
    "FieldResponse": ("amails_fem.rooms.response", "FieldResponse"),
    "cavity_modes": ("amails_fem.cavities.solve", "cavity_modes"),
    "form_factor": ("amails_fem.cavities.formfactor", "form_factor"),
    "units": ("amails_fem.units", None),
    "geometry": ("amails_fem.geometry", None),
    "walls": ("amails_fem.specs.walls", None),
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name):
    if name in _EXPORTS:
        module_name, attribute = _EXPORTS[name]
        module = import_module(module_name)
        return module if attribute is None else getattr(module, attribute)
    raise AttributeError(f"module 'amails_fem' has no attribute {name!r}")


def __dir__():
    return __all__
