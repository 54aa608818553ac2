"""amails_fem: finite elements for dark-photon searches in shield rooms and cavities.

Public entry points are imported lazily so that ``import amails_fem`` stays cheap
(gmsh, pyvista and dask load only when a function that needs them is called).
"""

from importlib import import_module

__version__ = "0.1.0"

# name -> (module, attribute); attribute None means the module itself.
_EXPORTS = {
    "load_spec": ("amails_fem.geometry.spec", "load_spec"),
    "solve_room": ("amails_fem.physics.room", "solve_room"),
    "RoomResponse": ("amails_fem.physics.room", "RoomResponse"),
    "cavity_modes": ("amails_fem.physics.cavity", "cavity_modes"),
    "form_factor": ("amails_fem.physics.formfactor", "form_factor"),
    "units": ("amails_fem.units", None),
    "geometry": ("amails_fem.geometry", None),
    "walls": ("amails_fem.walls", None),
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name):
    if name in _EXPORTS:
        module_name, attribute = _EXPORTS[name]
        module = import_module(module_name)
        return module if attribute is None else getattr(module, attribute)
    raise AttributeError(f"module 'amails_fem' has no attribute {name!r}")
