"""Benchmark: the shield transfer T(f) of the AMAILS five-layer room on 50 frequencies 1-500 Hz, side by side with
the own-field frequency grid of the same room, and the 3D thin-layer FE solve against the calibrated
volume-equivalent spheres on a 2 m cube with one and two layers (where the 3D solve takes seconds to a minute).

Prints a table and writes benchmarks/results/shield_transfer.json.
Usage: python benchmarks/shield_transfer.py [--fe-amails]   (--fe-amails: also the 3D FE solve of the five-layer
room at P1, 0.2 m: about a quarter of an hour on 2 cores)
"""

import argparse
import resource
import time
from pathlib import Path

import numpy as np

from amails_fem.environment.ambient import equivalent_sphere_transfer
from amails_fem.geometry import box_room
from amails_fem.io.files import data_path, write_json
from amails_fem.io.provenance import provenance
from amails_fem.rooms.solve import solve_room
from amails_fem.rooms.transfer import solve_shield_transfer
from amails_fem.specs.loader import load_spec
from amails_fem.specs.walls import WallStack, air_gap, load_walls, mu_metal

OUT = Path(__file__).resolve().parent / "results" / "shield_transfer.json"
FREQS_HZ = np.geomspace(1, 500, 50)
SHOW_HZ = (1.0, 10.0, 100.0, 500.0)


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fe-amails", action="store_true", help="also the 3D FE solve of the five-layer room")
    args = ap.parse_args()
    path = data_path("amails_room_mumetal.toml")
    spec, stack = load_spec(path), load_walls(path)
    idx = [int(np.argmin(np.abs(FREQS_HZ - f))) for f in SHOW_HZ]
    rows = []
    own, t_own = timed(lambda: solve_room(spec, wall=stack, freqs_hz=FREQS_HZ))
    rows.append({"case": "AMAILS room: own field, impedance walls, 50 f", "seconds": t_own,
                 "dofs": own.statistics()["dofs"], "peak_gb": peak_gb()})
    (tf, st), t_eq = timed(lambda: equivalent_sphere_transfer(spec, stack, FREQS_HZ))
    rows.append({"case": "AMAILS room: T(f), calibrated equivalent spheres, 50 f", "seconds": t_eq,
                 "ratio_to_own_grid": t_eq / t_own, "calibration": st["calibration"],
                 "static_shielding_box": st["static_shielding_box"], "peak_gb": peak_gb(),
                 "S": {f"{FREQS_HZ[k]:.3g} Hz": float(1 / abs(tf[k])) for k in idx}})
    cube = box_room(2.0, 2.0, 2.0)
    f4 = np.array(SHOW_HZ)
    for name, st_ in (("one layer", WallStack((mu_metal(1.5e-3),))),
                      ("two layers", WallStack((mu_metal(1.5e-3), air_gap(0.1), mu_metal(1.5e-3))))):
        for order, h in ((1, 0.3), (2, 0.4)):
            res, t_fe = timed(lambda: solve_shield_transfer(cube, st_, f4, order=order, mesh_size_m=h))
            t_fe_c = np.trace(res.transfer_matrix(np.zeros((1, 3)))[:, 0], axis1=1, axis2=2) / 3
            t_eq4 = equivalent_sphere_transfer(cube, st_, f4)[0]
            s = res.statistics()
            rows.append({"case": f"2 m cube, {name}: 3D FE P{order}, h = {h} m, 4 f", "seconds": t_fe,
                         "dofs": s.get("dofs"), "snapshots": len(s.get("snapshot_freqs_hz", [])),
                         "peak_gb": peak_gb(), "abs_T_fe": np.abs(t_fe_c).tolist(),
                         "equivalent_over_fe": (np.abs(t_eq4) / np.abs(t_fe_c)).tolist()})
    if args.fe_amails:
        res, t_fe = timed(lambda: solve_shield_transfer(spec, stack, FREQS_HZ, order=1, mesh_size_m=0.2))
        t_c = res.transfer_matrix(np.zeros((1, 3)))[:, 0, 0, 0]
        rows.append({"case": "AMAILS room: 3D FE P1, h = 0.2 m, 50 f", "seconds": t_fe, "peak_gb": peak_gb(),
                     "dofs": res.statistics().get("dofs"), "equivalent_over_fe": (np.abs(tf) / np.abs(t_c)).tolist()})
    print(f"{'case':62s} {'s':>7s} {'DOFs':>8s} {'GB':>5s}  notes")
    for r in rows:
        note = ""
        if "ratio_to_own_grid" in r:
            note = f"{r['ratio_to_own_grid']:.2f}x the own grid; C = {r['calibration']:.3f}; S " + \
                   ", ".join(f"{k}: {v:.3g}" for k, v in r["S"].items())
        if "equivalent_over_fe" in r:
            note = "|T| equivalent / FE at 1, 10, 100, 500 Hz: " + ", ".join(f"{v:.3f}" for v in r["equivalent_over_fe"])
        print(f"{r['case']:62s} {r['seconds']:7.1f} {r.get('dofs') or '':>8} {r['peak_gb']:5.2f}  {note}")
    write_json(OUT, {"provenance": provenance(spec=path.name, freqs_hz=FREQS_HZ), "rows": rows})
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
