"""One table of the room-solver targets beside the measured numbers, from benchmarks/results/*.json (the last step of
`make bench`; run benchmarks/room_scaling.py, cg_bandwidth.py and, where NGSolve is installed, compare_ngsolve.py
first)."""

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


def source(name: str, record: dict) -> str:
    """The results file and when it was written (UTC), so rows from different runs are told apart."""
    created = record.get("provenance", {}).get("created_utc", "")
    return f"{name} ({created[:16].replace('T', ' ')})" if created else name


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
        for r in cg["runs"]:
            bound = r["bytes"]["total"] / (cg["triad_gbs"] * 1e9)
            name = "this version" if r["version"] == "current" else "previous version"
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
        ours = sorted(after_meshing(r["seconds"]) for r in ng["amails_fem"])[len(ng["amails_fem"]) // 2]
        theirs = sorted(r["assembly_and_setup_s"] + r["solve_s"] for r in ng["ngsolve"])[len(ng["ngsolve"]) // 2]
        rows.append((f"vs NGSolve BDDC-wb-h1amg, {ng['threads']} threads", "faster, less memory",
                     f"{ours:.1f} s vs {theirs:.1f} s; {ng['amails_fem'][0]['peak_rss_gb']:.2f} vs "
                     f"{ng['ngsolve'][0]['peak_rss_gb']:.2f} GB", source("compare_ngsolve.json", ng)))
    print("| room solver | target | measured | results file (written, UTC) |\n|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
