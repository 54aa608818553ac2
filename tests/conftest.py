"""Shared test setup: a private mesh cache per test session, headless plotting."""

import os
import tempfile

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("AMAILS_FEM_CACHE", tempfile.mkdtemp(prefix="amails_fem_test_cache_"))

import pyvista  # noqa: E402

pyvista.OFF_SCREEN = True


@pytest.fixture(scope="session")
def mu0():
    from amails_fem.units import MU0_H_M

    return MU0_H_M
