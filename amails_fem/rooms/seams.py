"""Seams in permeable shield layers: the magnetic-circuit estimate of the permeance they cost (docs/openings.md).

The flux a layer of thickness t shunts round the room runs along a path of length l inside the sheet. A seam puts an
air gap in series with it (Hopkinson's law, reluctances add):

    R = l / (mu0 mu_r t w) + g_eff / (mu0 t w)   =>   mu_eff = mu_r / (1 + mu_r g_eff / l),

with g_eff = g for a butt joint of gap g, and g_eff = g t / o where the sheets overlap by o with a gap g between them
(the flux crosses the overlap area o w instead of t w). With mu_r = 2e4 and l ~ 3 m, a 0.5 mm butt gap keeps 23 %
of the permeance and a 0.5 mm gap over a 30 mm overlap 86 %. Bounds, not a model of one door: the full reduction
holds for the field component whose flux crosses the seam, none for the one along it; eddy currents crossing a
seam without contact (the high-frequency shielding of that layer) are not modelled. The closed-shell S(f) of
rooms/shielding.py with mu_eff in place of mu_r shows what such a seam in every layer costs.

Published measured rooms for comparison (passive shielding factors; numbers as stated by the sources):
MEASURED_ROOMS below.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from amails_fem.rooms.shielding import concentric_shells_shielding, nested_sphere_shells
from amails_fem.specs.walls import Layer, WallStack
from amails_fem.validate import require_positive, require_range

# (room, layers, frequency Hz, passive shielding factor, source)
MEASURED_ROOMS = (
    ("BMSR-2, PTB Berlin (2.9 x 2.9 x 2.8 m)", "7 mu-metal + 1 Al", 0.01, 7.5e4,
     "Bork et al. 2000 (Biomag 2000 proceedings); PTB working group 8.22 web page: 75000 at 0.01 Hz, passive"),
    ("VAC AK3b, TU Braunschweig (~3 x 4 m)", "2 mu-metal + 1 Cu", 0.02, 35.0,
     "TU Braunschweig, Institut fuer Elektromagnetische Vertraeglichkeit, room data (average of three axes)"),
    ("VAC AK3b, TU Braunschweig (~3 x 4 m)", "2 mu-metal + 1 Cu", 0.1, 71.0, "as above"),
    ("VAC AK3b, TU Braunschweig (~3 x 4 m)", "2 mu-metal + 1 Cu", 1.0, 561.0, "as above"),
    ("VAC AK3b, TU Braunschweig (~3 x 4 m)", "2 mu-metal + 1 Cu", 100.0, 5e5, "as above"),
    ("Zuse-MSR, PTB Berlin", "2 mu-metal + 1 Al", 0.1, 150.0, "PTB working group 8.22 web page"),
    ("TUM magnetic shield (Altarev et al. 2015)", "6 mu-metal layers (2 rooms nested) + Al", 0.001, 1e6,
     "Altarev et al., 'A large-scale magnetic shield with 10^6 damping at mHz frequencies', "
     "J. Appl. Phys. 117, 183903 (2015), arXiv:1501.07861"),
)


def seam_permeance_factor(mu_r: float, gap_m: float, path_m: float, thickness_m: float | None = None,
                          overlap_m: float | None = None) -> float:
    """mu_eff / mu_r = 1 / (1 + mu_r g_eff / l) for a seam of gap g in a flux path of length l; with overlap_m (and
    the sheet's thickness_m) g_eff = g t / o, else a butt joint g_eff = g."""
    mu = require_range(mu_r, "mu_r", 1.0, 1e7)
    g = require_range(gap_m, "gap_m", 0.0, 1.0, "m")
    path = require_positive(path_m, "path_m")
    if overlap_m is not None:
        t = require_positive(thickness_m, "thickness_m (needed with overlap_m)")
        g = g * t / require_positive(overlap_m, "overlap_m")
    return 1.0 / (1.0 + mu * g / path)


def seamed_layer(layer: Layer, gap_m: float, path_m: float, overlap_m: float | None = None) -> Layer:
    """The layer with mu_r -> max(1, mu_r x seam_permeance_factor(...)) (conductivity and thickness unchanged)."""
    if layer.mu_r <= 1.0:
        return layer
    factor = seam_permeance_factor(layer.mu_r, gap_m, path_m, layer.thickness_m, overlap_m)
    return dataclasses.replace(layer, mu_r=max(1.0, layer.mu_r * factor), name=f"{layer.name} (seamed)")


def seamed_stack(stack: WallStack, gap_m: float, path_m: float, overlap_m: float | None = None) -> WallStack:
    """Every permeable layer of the stack with the same seam (air gaps and non-permeable layers unchanged)."""
    return WallStack(tuple(seamed_layer(ly, gap_m, path_m, overlap_m) for ly in stack.layers),
                     name=f"{stack.name} with seams")


def nested_sphere_shielding(volume_m3: float, stack: WallStack, freqs_hz):
    """|S(f)| of the stack as concentric spherical shells, the innermost of the room's volume-equivalent radius
    (the closed-shell model of `amails-fem walls`, rooms/shielding.py)."""
    return np.abs(concentric_shells_shielding(*nested_sphere_shells(volume_m3, stack), freqs_hz))
