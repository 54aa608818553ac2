"""Point lists from CSV files: one point a row, x,y,z in metres (a header row and # comments allowed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from amails_fem.errors import SpecError


def read_points_csv(path, field: str = "--points") -> np.ndarray:
    """(N, 3) float array of x,y,z (m) from a CSV file; the first row may be a header (e.g. ``x_m,y_m,z_m``)."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{field}: file not found: {path}")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError(f"{field}: {path} cannot be read as UTF-8 text ({err})") from None
    rows = []
    for number, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        cells = [c.strip() for c in text.replace(";", ",").split(",")]
        try:
            values = [float(c) for c in cells]
        except ValueError:
            if not rows and number == next(i for i, ln in enumerate(lines, 1) if ln.split("#", 1)[0].strip()):
                continue  # the header row
            raise SpecError(f"{field}: {path} line {number} is not three numbers x,y,z (m): {line!r}") from None
        if len(values) != 3 or not np.all(np.isfinite(values)):
            raise SpecError(f"{field}: {path} line {number} must hold three finite numbers x,y,z (m); got {line!r}")
        rows.append(values)
    if not rows:
        raise SpecError(f"{field}: {path} holds no point rows (x,y,z in m)")
    return np.array(rows, float)
