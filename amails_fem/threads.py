"""Threads of the compiled (numba) kernels: one for small problems.

Below SERIAL_BELOW_DOFS a kernel call lasts well under a millisecond, so a second thread saves nothing on a quiet
machine (the AMAILS default room, 2.7e4 DOFs: 0.36-0.39 s with one thread) and, on a machine where another job holds
a core, waits for it at every call (0.67-0.99 s with two; a 1.6e4-DOF CG took 1.66 s against 0.08 s).
docs/performance.md sec. 8.
"""

from __future__ import annotations

from contextlib import contextmanager

import numba

SERIAL_BELOW_DOFS = 300_000  # from 3.2e5 DOFs on, the measured CPU time exceeds the wall time (two threads work)


@contextmanager
def kernel_threads_for(n_dofs: int):
    """numba's thread count for a problem of n_dofs unknowns: 1 below SERIAL_BELOW_DOFS, else unchanged."""
    if n_dofs >= SERIAL_BELOW_DOFS:
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)
