"""NetCDF4/HDF5 files (h5netcdf engine): xarray Datasets in, written atomically; readable by xarray and h5py."""

from __future__ import annotations

from pathlib import Path

from amails_fem.io.files import atomic_path


def write_dataset(ds, path) -> Path:
    """Write an xarray Dataset atomically as NetCDF4/HDF5."""
    path = Path(path)
    with atomic_path(path, suffix=path.suffix or ".nc") as tmp:
        ds.to_netcdf(tmp, engine="h5netcdf")
    return path


def read_dataset(path):
    """Load a NetCDF4/HDF5 file into memory as an xarray Dataset."""
    import xarray as xr

    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()
