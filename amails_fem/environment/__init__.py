"""The room in its environment: the Earth-surface dark-photon field (quasi-static and Earth-ionosphere-cavity models;
Fedderke, Graham, Jackson Kimball & Kalia 2021, Phys. Rev. D 104, 075023, arXiv:2106.00022), the shield's transfer of
it into the room, and the combinations that tell the room's own field from the leak (docs/environment.md).

    b_enu = earth_surface_field(31.3, 120.6, [1, 0, 0], 1.0, eps=1e-6)   # tesla, (east, north, up)
    resp = amails_fem.solve_room(spec, wall=stack, freqs_hz=f, environment="earth")
"""

from amails_fem.environment.ambient import (
    EarthEnvironment,
    MeasuredShielding,
    RoomInEnvironment,
    load_measured_shielding,
)
from amails_fem.environment.earth_field import (
    CAVITY_MAX_HZ,
    EARTH_RADIUS_M,
    MODELS,
    QUASI_STATIC_MAX_HZ,
    earth_field_factor,
    earth_field_factor_band,
    earth_surface_field,
    leak_source_matrix_lab,
    lossless_shell_factor,
    propagation_parameter,
    schumann_eigenfrequencies_hz,
)

__all__ = [
    "CAVITY_MAX_HZ", "EARTH_RADIUS_M", "EarthEnvironment", "MODELS", "MeasuredShielding", "QUASI_STATIC_MAX_HZ",
    "RoomInEnvironment", "earth_field_factor", "earth_field_factor_band", "earth_surface_field",
    "leak_source_matrix_lab", "load_measured_shielding", "lossless_shell_factor", "propagation_parameter",
    "schumann_eigenfrequencies_hz",
]
