"""Room solver against exact solutions: prints the README's validation table, writes JSON.

    python benchmarks/room_validation.py

Cases (docs/physics.md sec. 2): sphere and axial cylinder (B = mu0 J x r / 2), the 8:1 box against the
infinite square duct's Fourier series (0.3377 mu0 J a at the wall centre), the ellipsoid with its
exact nontrivial potential psi = kappa x y, and the observed convergence orders of P1 and P2.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from amails_fem import units
from amails_fem.fields.fieldmap import wall_patches
from amails_fem.geometry import box_room, cylinder_room, ellipsoid_room, sphere_room
from amails_fem.io.files import write_json
from amails_fem.io.provenance import provenance
from amails_fem.rooms.solve import solve_room
from amails_fem.testing.analytic import ellipsoid_kappa

MU0 = units.MU0_H_M
RESULTS = Path(__file__).parent / "results" / "room_validation.json"


def wall_points(spec, standoff=0.01, n=13):
    return np.concatenate([p.points_m.reshape(-1, 3) for p in wall_patches(spec, standoff, n)])


def rel_err(b, exact):
    """max |B - B_exact| / max |B_exact| over the points."""
    return float(np.linalg.norm(b - exact, axis=1).max() / np.linalg.norm(exact, axis=1).max())


def ellipsoid_exact(pts, a=1.0, b=0.7):
    kappa = ellipsoid_kappa(a, b)
    x, y = pts[:, 0], pts[:, 1]
    return MU0 * np.stack([-y / 2 + kappa * y, x / 2 + kappa * x, 0 * x], 1)


def duct_wall_centre(a=1.0):
    n = np.arange(1, 200, 2)
    return a / 2 - np.sum(4 * a / (n * np.pi) ** 2 / np.cosh(n * np.pi / 2))


def case(name, spec, order, size, pol, points, exact):
    t0 = time.perf_counter()
    resp = solve_room(spec, order=order, mesh_size_m=size)
    err = rel_err(resp.b_field(points, pol), exact)
    return {"case": name, "order": order, "mesh_size_m": size, "dofs": int(resp.basis.N), "max_rel_error": err,
            "seconds": time.perf_counter() - t0}


def main() -> int:
    rows = []
    sph = sphere_room(1.0)
    pts = wall_points(sph)
    rows.append(case("sphere R = 1 m, p = x, wall (10 mm)", sph, 2, 0.3, "x", pts, MU0 * 0.5 * np.cross([1, 0, 0], pts)))
    cyl = cylinder_room(0.5, 1.5, axis="z")
    pts = wall_points(cyl)
    rows.append(case("cylinder R = 0.5, h = 1.5 m, p = axis", cyl, 2, 0.12, "z", pts, MU0 * 0.5 * np.cross([0, 0, 1], pts)))
    duct = box_room(8.0, 1.0, 1.0)
    centre = np.array([[0.0, 0.5, 0.0], [0.0, -0.5, 0.0], [0.0, 0.0, 0.5], [0.0, 0.0, -0.5]])
    exact = MU0 * duct_wall_centre() * np.array([[0, 0, 1.0], [0, 0, -1.0], [0, -1.0, 0], [0, 1.0, 0]])
    rows.append(case("8:1 box vs square-duct series, wall centre", duct, 2, 0.2, "x", centre, exact))
    ell = ellipsoid_room(1.0, 0.7, 0.5)
    pts = wall_points(ell)
    for order, sizes in ((1, (0.3, 0.15, 0.075)), (2, (0.4, 0.2, 0.1))):
        prev = None
        for size in sizes:
            row = case("ellipsoid (1, 0.7, 0.5) m, p = z, wall (10 mm)", ell, order, size, "z", pts, ellipsoid_exact(pts))
            row["observed_order"] = None if prev is None else float(np.log(prev / row["max_rel_error"]) / np.log(2))
            prev = row["max_rel_error"]
            rows.append(row)
    print("| case | P | h (m) | DOFs | max rel. error | observed order | s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        order = r.get("observed_order")
        print(f"| {r['case']} | {r['order']} | {r['mesh_size_m']} | {r['dofs']:,} | {r['max_rel_error']:.2e} | "
              f"{'-' if order is None else f'{order:.2f}'} | {r['seconds']:.1f} |")
    write_json(RESULTS, {"provenance": provenance(), "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
