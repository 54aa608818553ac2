"""Exceptions a user can act on: they name the field and the allowed range."""


class SpecError(ValueError):
    """A geometry, mesh or solver input is out of its allowed range (raised before any meshing)."""


class ConvergenceError(RuntimeError):
    """An iterative solver stopped above its tolerance; the message gives the residual reached."""
