"""S(f) of the assumed AMAILS five-layer stack as ideal closed shells, with a seam in every layer (a butt joint and an
overlapped joint), beside published measured rooms (amails_fem/rooms/seams.py MEASURED_ROOMS). Writes
benchmarks/results/shielding_seams.json and docs/img/shielding_seams.png.
Usage: python benchmarks/shielding_seams.py [--gap-m 5e-4] [--overlap-m 0.03] [--path-m 4.0]
"""

import argparse
import json
from pathlib import Path

import numpy as np

from amails_fem.plotting.figures import save_figure
from amails_fem.plotting.walls import draw_shielding_seams
from amails_fem.rooms.seams import MEASURED_ROOMS, nested_sphere_shielding, seam_permeance_factor, seamed_stack
from amails_fem.specs.loader import load_spec
from amails_fem.specs.walls import load_walls

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "geometries" / "amails_room_mumetal.toml"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gap-m", type=float, default=5e-4, help="seam gap (m)")
    ap.add_argument("--overlap-m", type=float, default=0.03, help="overlap of the sheets at an overlapped seam (m)")
    ap.add_argument("--path-m", type=float, default=4.0, help="flux path length in a layer (m): half its perimeter")
    args = ap.parse_args()
    spec, stack = load_spec(SPEC), load_walls(SPEC)
    freqs = np.geomspace(1e-2, 500, 60)
    butt = seamed_stack(stack, args.gap_m, args.path_m)
    lap = seamed_stack(stack, args.gap_m, args.path_m, overlap_m=args.overlap_m)
    curves = {
        "AMAILS stack (assumed), ideal closed shells": nested_sphere_shielding(spec.volume_m3, stack, freqs),
        f"same, a {args.gap_m * 1e3:g} mm butt seam in every layer": nested_sphere_shielding(spec.volume_m3, butt, freqs),
        f"same, {args.gap_m * 1e3:g} mm over a {args.overlap_m * 1e3:g} mm overlap": nested_sphere_shielding(
            spec.volume_m3, lap, freqs),
    }
    layer = next(ly for ly in stack.layers if ly.mu_r > 1)
    factors = {"butt": seam_permeance_factor(layer.mu_r, args.gap_m, args.path_m),
               "overlap": seam_permeance_factor(layer.mu_r, args.gap_m, args.path_m, layer.thickness_m, args.overlap_m)}
    for label, s in curves.items():
        print(f"{label}: S(0.01 Hz) = {s[0]:.3g}, S(1 Hz) = {np.interp(1.0, freqs, s):.3g}, "
              f"S(10 Hz) = {np.interp(10.0, freqs, s):.3g}")
    print(f"permeance factors mu_eff/mu_r: butt {factors['butt']:.3f}, overlap {factors['overlap']:.3f}")
    save_figure(draw_shielding_seams(freqs, curves, MEASURED_ROOMS), ROOT / "docs" / "img" / "shielding_seams.png")
    (ROOT / "benchmarks" / "results" / "shielding_seams.json").write_text(json.dumps({
        "gap_m": args.gap_m, "overlap_m": args.overlap_m, "path_m": args.path_m, "permeance_factor": factors,
        "freqs_hz": freqs.tolist(), "S": {k: v.tolist() for k, v in curves.items()},
        "measured_rooms": [dict(zip(("room", "layers", "freq_hz", "S", "source"), m)) for m in MEASURED_ROOMS]},
        indent=1))


if __name__ == "__main__":
    main()
