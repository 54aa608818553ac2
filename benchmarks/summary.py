"""One table of the solver targets beside the measured numbers, from benchmarks/results/*.json (the last step of
`make bench`): the room solver (room_scaling.py, room_large.py, cg_bandwidth.py and, where NGSolve is installed,
compare_ngsolve.py), the walls frequency grid (walls_frequency.py) and the cavity modes (cavity_modes.py --levers)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def load(name):
    path = RESULTS / name
    return json.loads(path.read_text()) if path.is_file() else None


def after_meshing(s: dict, cpu: bool = False) -> float:
    suffix = "_cpu" if cpu else ""
    return s["assembly" + suffix] + s["preconditioner" + suffix] + s["solve" + suffix]


def median_of(runs: list, value) -> float:
    """The middle value (upper middle for an even count) of value(run) over the runs."""
    return sorted(value(r) for r in runs)[len(runs) // 2]


def source(name: str, record: dict) -> str:
    """The results file and when it was written (UTC), so rows from different runs are told apart."""
    created = record.get("provenance", {}).get("created_utc", "")
    return f"{name} ({created[:16].replace('T', ' ')})" if created else name


# the targets of the walls grid and the cavity modes (docs/performance.md sec. 9 and 10)
WALLS_GRID_OVER_PERFECT = 2.0
CAVITY_3D = {"rel_error": 1e-5, "seconds": 5.0}
CAVITY_CROSS_SECTION = {"rel_error": 1e-8, "seconds": 1.0}


def walls_and_cavity_rows() -> list:
    """Rows for the 50-frequency walls grid (walls_frequency.json) and the TM010 levers (cavity_levers.json)."""
    rows = []
    walls = load("walls_frequency.json")
    if walls:
        g, pec = walls["seconds"]["grid"], walls["seconds"]["perfect"]
        rows.append((f"walls: 50 frequencies, {walls['dofs']:,} P2 DOFs (walls_frequency.py)",
                     f"<= {WALLS_GRID_OVER_PERFECT:.0f} x one perfect-conductor solve",
                     f"{walls['grid_over_perfect']:.2f} x ({g:.1f} s against {pec:.1f} s)",
                     source("walls_frequency.json", walls)))
    cav = load("cavity_levers.json")
    if cav:
        for solver, target in (("3d", CAVITY_3D), ("cross-section", CAVITY_CROSS_SECTION)):
            ok = [r for r in cav["rows"] if r["solver"] == solver and r["rel_error"] <= target["rel_error"]]
            best = min(ok, key=lambda r: r["seconds"]) if ok else None
            measured = "no case reaches the error" if best is None else (
                f"{best['seconds']:.2f} s wall ({best['cpu_seconds']:.2f} s CPU), error {best['rel_error']:.1e}, "
                f"{best['dofs']:,} DOFs")
            rows.append((f"cavity TM010, {solver} solver (cavity_modes.py --levers, fastest case)",
                         f"error <= {target['rel_error']:.0e} in < {target['seconds']:.0f} s", measured,
                         source("cavity_levers.json", cav)))
    return rows


def main() -> int:
    scaling = load("room_scaling.json")
    if scaling is None or "levers" not in scaling:
        print("summary: benchmarks/results/room_scaling.json (with levers) not found: run benchmarks/room_scaling.py")
        return 0
    targets = scaling["targets"]
    two_level = [r for r in scaling["levels"] if r["preconditioner"].startswith("two-level")]
    big = two_level[-1]
    s = big["seconds"]
    levers = scaling["levers"]
    before, after = levers[0], min(levers[-2:], key=lambda r: after_meshing(r["seconds"]))
    it = scaling["iteration_bytes"]
    bw = scaling["bandwidth"]["triad_gbs"]
    bound = it["total_bytes"] / (bw * 1e9)
    t_it = after["seconds"]["solve"] / max(after["cg_iterations"])
    t_cpu = levers[-1]["seconds"]["solve_cpu"] / max(levers[-1]["cg_iterations"])
    src = source("room_scaling.json", scaling)
    rows = [
        (f"after meshing, {big['dofs']:,} P2 DOFs, 3 polarizations", f"<= {targets['after_meshing_s']:.0f} s",
         f"{after_meshing(s):.1f} s wall, {after_meshing(s, True):.1f} s CPU", src),
        (f"same, levers table ({before['dofs']:,} DOFs): before -> after",
         "-", f"{after_meshing(before['seconds']):.1f} -> {after_meshing(after['seconds']):.1f} s wall, "
              f"{after_meshing(before['seconds'], True):.1f} -> {after_meshing(after['seconds'], True):.1f} s CPU", src),
        ("meshing of that room", f"< {targets['mesh_s']:.0f} s", f"{s['mesh']:.1f} s", src),
        ("peak memory", f"<= {targets['peak_gb_ngsolve']} GB (NGSolve)", f"{big['peak_rss_gb']:.2f} GB", src),
        ("CG time per iteration", f"<= 2 x bandwidth bound = {2e3 * bound:.0f} ms ({bw:.1f} GB/s triad)",
         f"{1e3 * t_it:.0f} ms wall, {1e3 * t_cpu:.0f} ms CPU on 1 thread", src),
        ("CG iterations with refinement", "flat", ", ".join(str(max(r["cg_iterations"])) for r in two_level), src),
    ]
    cg = load("cg_bandwidth.json")
    if cg:
        for v, r in enumerate(cg["runs"]):  # this version first, then the previous one (cg_bandwidth.py)
            bound = r["bytes"]["total"] / (cg["triad_gbs"] * 1e9)
            name = "this version" if v == 0 else f"previous version ({cg.get('previous', 'an earlier commit')})"
            rows.append((f"CG iteration, {cg['dofs']:,} DOFs, {r['threads']} threads, {name} (cg_bandwidth.py)",
                         f"<= 2 x bound = {2e3 * bound:.0f} ms ({r['bytes']['total'] / 1e9:.2f} GB at "
                         f"{cg['triad_gbs']:.1f} GB/s)",
                         f"{1e3 * r['iteration_s']:.0f} ms = {r['iteration_s'] / bound:.2f} x the bound, "
                         f"{max(r['cg_iterations'])} iterations", source("cg_bandwidth.json", cg)))
    small = load("room_1e6_structured.json")
    if small:
        r = small["row"]
        rows.insert(3, (f"after meshing, {r['dofs']:,} P2 DOFs on the structured mesh (room_large.py --size-m 0.044)",
                        f"<= {targets['after_meshing_s']:.0f} s; meshing < {targets['mesh_s']:.0f} s",
                        f"{after_meshing(r['seconds']):.1f} s (median of {len(small['after_meshing_s_runs'])}); "
                        f"meshing {r['seconds']['mesh']:.2f} s", source("room_1e6_structured.json", small)))
    for name in ("room_large.json",):
        large = load(name)
        if large:
            r = large["row"]
            rows.append((f"{r['dofs']:.2g} P2 DOFs (structured mesh, benchmarks/room_large.py)",
                         f"<= {targets['peak_gb_1e7']:.0f} GB, iterations flat",
                         f"{r['peak_rss_gb']:.1f} GB, {max(r['cg_iterations'])} iterations, "
                         f"{after_meshing(r['seconds']):.0f} s after meshing", source(name, large)))
    ng = load("compare_ngsolve.json")
    if ng:
        ours = median_of(ng["amails_fem"], lambda r: after_meshing(r["seconds"]))
        theirs = median_of(ng["ngsolve"], lambda r: r["assembly_and_setup_s"] + r["solve_s"])
        rows.append((f"vs NGSolve BDDC-wb-h1amg, {ng['threads']} threads", "faster, less memory",
                     f"{ours:.1f} s vs {theirs:.1f} s; {median_of(ng['amails_fem'], lambda r: r['peak_rss_gb']):.2f} vs "
                     f"{median_of(ng['ngsolve'], lambda r: r['peak_rss_gb']):.2f} GB", source("compare_ngsolve.json", ng)))
    rows += walls_and_cavity_rows()
    print("| solver | target | measured | results file (written, UTC) |\n|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
