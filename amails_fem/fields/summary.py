"""The numbers of a room solve: wall fields in mu0 J L and in tesla, the AMAILS eq. (1) ratio, statistics."""

from __future__ import annotations

from dataclasses import asdict

from amails_fem import units
from amails_fem.fields.diagnostics import wall_normal_residual
from amails_fem.fields.fieldmap import POLARIZATIONS, WallMap
from amails_fem.io.provenance import provenance
from amails_fem.specs.openings import opening_stack

REFERENCE = {"eps": 1.0, "freq_hz": 10.0, "rho_gev_cm3": units.RHO_DM_GEV_CM3}


def _wall_model(spec) -> str:
    openings = getattr(spec, "openings", ())
    if not openings:
        return "perfect conductor (closed room, nothing outside)"
    stack = opening_stack(openings, getattr(spec, "gaps_m", ()))
    gaps = ", ".join(f"{g:g}" for g in stack.gaps_m)
    region = (f"{len(stack.gaps_m)} closed gap(s) between the layers ({gaps} m)" if stack.gaps_m else "")
    if stack.lab:
        region = f"{region} and a truncated lab" if region else "a truncated lab"
    return f"perfect conductor with {len(openings)} opening(s) into {region} (docs/openings.md)"


def room_summary(response, wall_map: WallMap, spec_file: str | None = None) -> dict:
    """Per polarization: max / mean tangential wall field (units of mu0 J L, and tesla for eps = 1 at 10 Hz)
    and the ratio of the max to the AMAILS eq. (1) estimate eps sqrt(2 mu0 rho / 3) (2 pi f / c) V^(1/3)."""
    spec = response.spec
    j_ref = units.j_eff_a_m2(**REFERENCE)
    eq1 = units.amails_eq1_t(REFERENCE["eps"], REFERENCE["freq_hz"], spec.volume_m3, REFERENCE["rho_gev_cm3"])
    unit = wall_map.unit_field_t()
    pols = {}
    for k, name in enumerate(POLARIZATIONS):
        st = wall_map.tangential_stats(k)
        pols[name] = {
            "max_tangential_mu0JL": st["max"] / unit,
            "mean_tangential_mu0JL": st["mean"] / unit,
            "max_tangential_T": st["max"] * j_ref,
            "mean_tangential_T": st["mean"] * j_ref,
            "ratio_max_to_eq1": st["max"] * j_ref / eq1,
            "max_at": st["max_at"],
        }
    stats = response.statistics()
    room = {k: v for k, v in asdict(spec).items() if k != "mesh"}
    return {
        "provenance": provenance(spec_hash=spec.spec_hash(), spec_file=spec_file, element_order=response.order,
                                 mesh_key=stats["mesh_key"], mesh_size_m=stats["mesh_size_m"],
                                 wall_size_m=stats["wall_size_m"], solver_tolerance=stats["tolerance"],
                                 wall_model=_wall_model(spec)),
        "room": {"shape": spec.shape, **room, "volume_m3": spec.volume_m3, "L_m": spec.size_m},
        "conventions": "room centred at the origin, z up; B in tesla; unit field mu0 J L with L = V^(1/3); "
                       "tangential = component parallel to the nearest wall at the standoff",
        "wall_map": {"standoff_m": wall_map.standoff_m, "grid_points_per_side": int(wall_map.patches[0].points_m.shape[1])},
        "reference_signal": {**REFERENCE, "j_eff_A_m2": j_ref, "mu0_J_L_T": unit * j_ref, "amails_eq1_T": eq1},
        "polarizations": pols,
        "mesh": {k: stats[k] for k in ("dofs", "tetrahedra", "vertices", "mesh_size_m", "wall_size_m", "geometric_order")},
        "solver": {**{k: stats[k] for k in ("order", "preconditioner", "cg_iterations", "relative_residuals", "tolerance",
                                             "compatibility_defect")},
                   "wall_normal_residual": wall_normal_residual(response)},
        "seconds": stats["seconds"],
    }
