"""The AMAILS room on the project's own gmsh mesh, solved by amails_fem and by NGSolve (BDDC on a vertex wirebasket
with an h1amg coarse solve, P2), side by side: time, peak memory, CG iterations and the wall-centre field.

    python benchmarks/compare_ngsolve.py [--size-m 0.044] [--threads 2] [--ngsolve-python PATH]

NGSolve is not a dependency of amails_fem. The NGSolve half runs in a separate interpreter that has it (default:
$AMAILS_NGSOLVE_PYTHON, else .ngvenv/bin/python in the checkout, else this interpreter if it imports ngsolve); with
none, the script says so and exits 0. Both solve the same P2 problem on the same tetrahedra, so their discrete
solutions agree to the solver tolerance; the discretisation error is estimated from the next-coarser level.
NGSolve's pure Neumann problem is regularised with 1e-9 int u v (psi changes by ~1e-9/lambda_1 ~ 4e-10 relative;
lambda_1 = (pi/2)^2 for the 2 m room); amails_fem pins one DOF.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WALL_CENTRE_M = (0.99, 0.0, 0.0)
WALL_NORMALS = {"x_min": (-1, 0, 0), "x_max": (1, 0, 0), "y_min": (0, -1, 0), "y_max": (0, 1, 0),
                "floor": (0, 0, -1), "ceiling": (0, 0, 1)}


def ngsolve_worker(msh: str, threads: int, tol: float) -> dict:
    """Runs inside the NGSolve interpreter: read the .msh, assemble, BDDC-wb-h1amg, CG per polarization."""
    import meshio
    import netgen.meshing as nm
    import ngsolve as ngs
    import numpy as np

    t0 = time.perf_counter()
    m = meshio.read(msh)
    ngmesh = nm.Mesh(dim=3)
    ngmesh.AddPoints(np.ascontiguousarray(m.points, dtype=float))
    ngmesh.SetMaterial(1, "room")
    names = {int(tag): name for name, (tag, dim) in m.field_data.items() if dim == 2}
    tets = np.concatenate([b.data for b in m.cells if b.type == "tetra"]).astype(np.int32)
    ngmesh.AddElements(dim=3, index=1, data=tets, base=0)
    tri_blocks = [(b.data, d) for b, d in zip(m.cells, m.cell_data["gmsh:physical"]) if b.type == "triangle"]
    tris = np.concatenate([b for b, _ in tri_blocks]).astype(np.int32)
    tags = np.concatenate([d for _, d in tri_blocks])
    walls = []
    for i, tag in enumerate(sorted(set(tags.tolist()))):
        ngmesh.Add(nm.FaceDescriptor(surfnr=i + 1, domin=1, domout=0, bc=i + 1))
        ngmesh.SetBCName(i, names[tag])
        ngmesh.AddElements(dim=2, index=i + 1, data=np.ascontiguousarray(tris[tags == tag]), base=0)
        walls.append(names[tag])
    read_s = time.perf_counter() - t0

    ngs.SetNumThreads(threads)
    out = {"threads": threads, "read_s": read_s}
    with ngs.TaskManager():
        t0, c0 = time.perf_counter(), time.process_time()
        mesh = ngs.Mesh(ngmesh)
        fes = ngs.H1(mesh, order=2, wb_withedges=False)
        u, v = fes.TnT()
        a = ngs.BilinearForm(fes, symmetric=True)
        a += ngs.grad(u) * ngs.grad(v) * ngs.dx + 1e-9 * u * v * ngs.dx
        pre = ngs.Preconditioner(a, "bddc", coarsetype="h1amg")
        a.Assemble()
        x, y, z = ngs.x, ngs.y, ngs.z
        loads = []
        for k in range(3):
            e = np.eye(3)[k]
            half = (0.5 * (e[1] * z - e[2] * y), 0.5 * (e[2] * x - e[0] * z), 0.5 * (e[0] * y - e[1] * x))
            f = ngs.LinearForm(fes)
            for w in walls:
                n = WALL_NORMALS[w]
                f += -(n[0] * half[0] + n[1] * half[1] + n[2] * half[2]) * v * ngs.ds(definedon=mesh.Boundaries(w))
            f.Assemble()
            loads.append(f)
        one = ngs.LinearForm(fes)
        one += v * ngs.ds
        one.Assemble()
        out["assembly_and_setup_s"] = time.perf_counter() - t0
        out["assembly_and_setup_cpu_s"] = time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        its, grads = [], []
        bm = one.vec.FV().NumPy()
        for f in loads:
            fv = f.vec.FV().NumPy()
            fv -= fv.sum() / bm.sum() * bm  # compatible data (the boundary mean removed), as amails_fem
            gfu = ngs.GridFunction(fes)
            solver = ngs.CGSolver(a.mat, pre.mat, tol=tol, maxiter=1000)
            gfu.vec.data = solver * f.vec
            its.append(solver.iterations)
            grads.append(list(ngs.grad(gfu)(mesh(*WALL_CENTRE_M))))
        out["solve_s"] = time.perf_counter() - t0
        out["solve_cpu_s"] = time.process_time() - c0
    out.update(dofs=fes.ndof, iterations=its, peak_rss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)
    g = np.array(grads[2])  # z polarization
    r = np.array(WALL_CENTRE_M)
    b = g + 0.5 * np.cross([0, 0, 1.0], r)
    out["wall_centre_field_mu0JL"] = float(np.linalg.norm(b) / 2.0)
    return out


def find_ngsolve_python(explicit: str | None) -> str | None:
    candidates = [explicit, os.environ.get("AMAILS_NGSOLVE_PYTHON"), str(HERE.parent / ".ngvenv" / "bin" / "python"),
                  sys.executable]
    for c in candidates:
        if c and Path(c).exists():
            ok = subprocess.run([c, "-c", "import ngsolve, meshio"], capture_output=True).returncode == 0
            if ok:
                return c
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-m", type=float, default=0.044, help="bulk mesh size (0.044 m: ~1e6 P2 DOFs)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tol", type=float, default=1e-10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--ngsolve-python", default=None)
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(ngsolve_worker(args.worker[0], int(args.worker[1]), args.tol)))
        return 0
    ng_python = find_ngsolve_python(args.ngsolve_python)
    if ng_python is None:
        print("compare_ngsolve: NGSolve is not installed (looked at --ngsolve-python, $AMAILS_NGSOLVE_PYTHON, "
              ".ngvenv/bin/python and this interpreter); nothing compared. Install it into a separate venv: "
              "python -m venv .ngvenv && .ngvenv/bin/pip install ngsolve meshio")
        return 0
    import statistics

    sys.path.insert(0, str(HERE))
    import room_scaling

    from amails_fem.geometry import box_room
    from amails_fem.io.cache import cache_dir
    from amails_fem.meshing.rooms import mesh_room

    spec = box_room(2.0, 2.0, 2.0)
    rm = mesh_room(spec, size_m=args.size_m, order=2)  # the project's mesh, through the cache
    msh = cache_dir("meshes") / f"{spec.shape}_{rm.key}.msh"
    ours = [room_scaling.spawn(args.size_m, threads=args.threads, use_cache=True) for _ in range(args.repeats)]
    coarse = room_scaling.spawn(round(args.size_m * 1.5, 4), threads=args.threads, use_cache=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    theirs = []
    for _ in range(args.repeats):
        res = subprocess.run([ng_python, __file__, "--worker", str(msh), str(args.threads), "--tol", str(args.tol)],
                             capture_output=True, text=True, env=env)
        if res.returncode != 0:
            print(res.stderr[-3000:], file=sys.stderr)
            raise SystemExit("compare_ngsolve: the NGSolve run failed (output above)")
        theirs.append(json.loads(res.stdout.strip().splitlines()[-1]))

    def med(rows, f):
        return statistics.median(f(r) for r in rows)

    a_after = med(ours, lambda r: room_scaling.after_meshing(r["seconds"]))
    a_cpu = med(ours, lambda r: room_scaling.after_meshing(r["seconds"], True))
    n_after = med(theirs, lambda r: r["assembly_and_setup_s"] + r["solve_s"])
    n_cpu = med(theirs, lambda r: r["assembly_and_setup_cpu_s"] + r["solve_cpu_s"])
    fa, fn = ours[0]["wall_centre_field_mu0JL"], theirs[0]["wall_centre_field_mu0JL"]
    disc = abs(fa - coarse["wall_centre_field_mu0JL"]) / fa
    print(f"\n### amails_fem vs NGSolve on the same mesh ({ours[0]['dofs']:,} P2 DOFs, {args.threads} threads, "
          f"medians of {args.repeats} fresh processes)\n")
    print("| solver | after meshing s (CPU s) | assembly s | setup s | 3-pol CG s | CG its | peak GB | wall field / mu0JL |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| amails_fem (block CG, two-level AMG) | {a_after:.2f} ({a_cpu:.2f}) | "
          f"{med(ours, lambda r: r['seconds']['assembly']):.2f} | {med(ours, lambda r: r['seconds']['preconditioner']):.2f} | "
          f"{med(ours, lambda r: r['seconds']['solve']):.2f} | {'/'.join(map(str, ours[0]['cg_iterations']))} | "
          f"{med(ours, lambda r: r['peak_rss_gb']):.2f} | {fa:.7f} |")
    print(f"| NGSolve BDDC-wb-h1amg | {n_after:.2f} ({n_cpu:.2f}) | assembly + setup "
          f"{med(theirs, lambda r: r['assembly_and_setup_s']):.2f} | - | {med(theirs, lambda r: r['solve_s']):.2f} | "
          f"{'/'.join(map(str, theirs[0]['iterations']))} | {med(theirs, lambda r: r['peak_rss_gb']):.2f} | {fn:.7f} |")
    print(f"\nSpeed-up {n_after / a_after:.2f}x (wall), memory ratio {med(ours, lambda r: r['peak_rss_gb']) / med(theirs, lambda r: r['peak_rss_gb']):.2f}. "
          f"Wall-field difference between the two solvers {abs(fa - fn) / fa:.1e} (same discretisation); "
          f"discretisation error estimate (change from h = {round(args.size_m * 1.5, 4)} m) {disc:.1e}.")
    out = HERE / "results" / "compare_ngsolve.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    from amails_fem.io.files import write_json
    from amails_fem.io.provenance import provenance

    write_json(out, {"provenance": provenance(benchmark="compare_ngsolve", machine_cores=os.cpu_count(),
                                              ngsolve_python=str(ng_python), size_m=args.size_m, tol=args.tol),
                     "amails_fem": ours, "ngsolve": theirs, "coarser": coarse, "threads": args.threads})
    return 0


if __name__ == "__main__":
    sys.exit(main())
