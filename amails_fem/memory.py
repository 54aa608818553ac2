"""Memory guard: refuse a job before it allocates more than this machine can hold.

Every stage that allocates in proportion to a user's input (mesh elements, frequencies x sensors, samples x trials)
estimates its bytes first and calls :func:`require_memory`, so a too-large job ends in one line that says what it
would need and what fits, before any meshing or solving. The available memory is the smaller of the kernel's
``MemAvailable`` and the cgroup limit (containers, CI runners); ``AMAILS_FEM_MEMORY_GB`` overrides both.
"""

from __future__ import annotations

import os
from pathlib import Path

from amails_fem.errors import SpecError

GIB = 1024.0**3
USABLE_FRACTION = 0.8  # a job may use at most this fraction of the available memory (the rest: OS, Python, peaks)
MEMORY_ENV = "AMAILS_FEM_MEMORY_GB"


def _meminfo_available_bytes() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024.0
    except OSError:
        return None
    return None


def _cgroup_limit_bytes() -> float | None:
    for name in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(name).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:
            return float(text)
    return None


def available_bytes() -> float:
    """Bytes this process may still allocate: min(MemAvailable, cgroup limit), or AMAILS_FEM_MEMORY_GB if set."""
    override = os.environ.get(MEMORY_ENV)
    if override:
        try:
            value = float(override)
        except ValueError:
            raise SpecError(f"{MEMORY_ENV} must be a number of GB > 0; got {override!r}") from None
        if not value > 0:
            raise SpecError(f"{MEMORY_ENV} must be a number of GB > 0; got {override!r}")
        return value * GIB
    candidates = [b for b in (_meminfo_available_bytes(), _cgroup_limit_bytes()) if b]
    if not candidates:
        try:
            candidates = [float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))]
        except (ValueError, OSError, AttributeError):
            return 8.0 * GIB  # unknown platform: assume a small laptop
    return min(candidates)


def require_memory(needed_bytes: float, what: str, hint: str) -> float:
    """Raise SpecError before the work if ``what`` would need more than USABLE_FRACTION of the available memory.

    ``what`` names the job and its size field (e.g. "mesh.size_m = 0.02 m (~3.1e7 tetrahedra)"), ``hint`` says
    how to make it fit. Returns the budget in bytes.
    """
    budget = USABLE_FRACTION * available_bytes()
    if needed_bytes > budget:
        raise SpecError(f"{what} would need ~{needed_bytes / GIB:.1f} GiB of memory; {budget / GIB:.1f} GiB fits "
                        f"({USABLE_FRACTION:.0%} of the {budget / USABLE_FRACTION / GIB:.1f} GiB available); {hint}")
    return budget
