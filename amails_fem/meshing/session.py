"""The gmsh session (gmsh is a process-wide singleton) and size fields; the only place that initialises gmsh."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

import gmsh


@contextlib.contextmanager
def gmsh_session(verbose: bool = False, threads: int = 1):
    """An initialised gmsh with a fresh model; always finalised (gmsh is a global singleton).

    The C-level stdout is silenced unless verbose: gmsh writes to it even with General.Terminal = 0.
    """
    if gmsh.isInitialized():
        gmsh.finalize()
    handlers = _python_handlers()
    gmsh.initialize(interruptible=False)
    _restore_handlers(handlers)  # gmsh's initialize resets SIGTERM to the default (kill, no clean-up)
    try:
        gmsh.option.setNumber("General.Terminal", 1 if verbose else 0)
        gmsh.option.setNumber("General.NumThreads", threads)
        gmsh.model.add("amails_fem")
        with (contextlib.nullcontext() if verbose else _quiet_stdout()):
            yield gmsh
    finally:
        gmsh.finalize()
        _restore_handlers(handlers)


def _python_handlers() -> dict:
    return {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}


def _restore_handlers(handlers: dict) -> None:
    """Re-install the Python signal handlers (main thread only; other threads cannot set them)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig, handler in handlers.items():
        if handler is not None:
            signal.signal(sig, handler)


@contextlib.contextmanager
def _quiet_stdout():
    """Send the process's file descriptor 1 to /dev/null for the duration (C-level prints)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def refine_towards(gmsh, tags, tag_dim: int, size_near: float, size_far: float, dist_near: float, dist_far: float,
                   sampling: int | None = None) -> None:
    """Background size field: size_near within dist_near of the given surfaces (tag_dim 2) or curves
    (tag_dim 1), growing linearly to size_far at dist_far (m); sizes from points and curvature switched off."""
    fields = gmsh.model.mesh.field
    dist = fields.add("Distance")
    fields.setNumbers(dist, "SurfacesList" if tag_dim == 2 else "CurvesList", list(tags))
    if sampling is not None:
        fields.setNumber(dist, "Sampling", sampling)
    thr = fields.add("Threshold")
    fields.setNumber(thr, "InField", dist)
    fields.setNumber(thr, "SizeMin", size_near)
    fields.setNumber(thr, "SizeMax", size_far)
    fields.setNumber(thr, "DistMin", dist_near)
    fields.setNumber(thr, "DistMax", dist_far)
    fields.setAsBackgroundMesh(thr)
    for option in ("Mesh.MeshSizeExtendFromBoundary", "Mesh.MeshSizeFromPoints", "Mesh.MeshSizeFromCurvature"):
        gmsh.option.setNumber(option, 0)
