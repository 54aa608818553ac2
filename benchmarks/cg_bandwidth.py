"""One block-CG iteration of the 1e6-DOF room against the memory-bandwidth bound, this version beside an earlier one.

    python benchmarks/cg_bandwidth.py [--size-m 0.044] [--threads 2] [--previous 48ba628] [--solves 3] [--rounds 2]
                                      [--name NAME]

The structured AMAILS room (P2, local numbering, three polarizations, pinned Neumann problem) is assembled once.
Each version then runs in a fresh process on the same matrices: its two-level preconditioner and block CG to
1e-10, --solves times, in --rounds fresh processes that alternate between the versions; the fastest solve gives
the time per iteration. The bound is the bytes one iteration of
that version's algorithm must move (counted from the real arrays, below) over the bandwidth of a compiled
STREAM triad on the same threads (measured in every worker just before its solves; the best of them is the
machine's bandwidth, used for both versions). The previous version
(default: the same algorithm with signed indices in its kernels, docs/performance.md sec. 8.3) is checked out with
`git worktree` into a temporary folder and imported from there. For this version the table also gives each
kernel of one iteration (fastest of 7 calls) and the bandwidth it reaches. Prints Markdown tables and writes
benchmarks/results/NAME.json (default cg_bandwidth.json, read by benchmarks/summary.py).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent
RESULTS = HERE / "results"
PREVIOUS = "48ba628"  # signed row positions and column indices in the kernels (sec. 8.3); 0f7ee64: the block
# CG with float64 sweeps and blocks, full residuals and whole-block copies (sec. 8.2)
# bytes per block entry (row and column) one iteration reads or writes, per algorithm. previous, all float64
# (8 B): A p 2, (p, q) 2, CG update 6, forward sweep 2, residual 3, P^T 1, P 1 + add 3, copy 2 + backward sweep 3,
# (r, z) 2, direction 3 = 30 passes. current: float64 Krylov vectors (A p 2, (p, q) 2, update 6, (r, z) 1,
# direction 2 = 13 passes, 104 B) + z in float32 read twice (8 B) + the preconditioner in float32 (r in 8 B and out
# 4 B, forward sweep 4 + 4, residual from the sweep 4 + 4, P^T 4, P added 4 + 4, backward sweep 4 + 4 + 4: 52 B)
VECTOR_BYTES_PER_ENTRY = {"previous": 30 * 8, "current": 104 + 8 + 52}
# passes over the fine matrix in the preconditioner: forward sweep from zero (lower half), residual, backward
FINE_SWEEP_PASSES = {"previous": 0.5 + 1.0 + 1.0, "current": 0.5 + 0.5 + 1.0}
SEGMENT_READS = {"previous": 2, "current": 3}  # the sweeps' per-row segment positions, read by each sweep
# passes over each coarse level in the V-cycle: symmetric sweep before, residual, symmetric sweep after
COARSE_PASSES = {"previous": 0.5 + 1.0 + 1.0 + 2.0, "current": 0.5 + 1.0 + 0.5 + 2.0}


def build(size_m: float, folder: Path) -> dict:
    """Assemble the pinned room problem once and save A, P and the three right-hand sides."""
    import numpy as np
    import scipy.sparse as sp

    from amails_fem.fem.numbering import inverse_permutation
    from amails_fem.geometry import MeshOptions, box_room
    from amails_fem.linalg.amg import p1_to_p2_prolongation
    from amails_fem.linalg.krylov import pin_identity, pin_prolongation
    from amails_fem.log import Progress
    from amails_fem.rooms.model import mesh_and_assemble

    spec = box_room(2.0, 2.0, 2.0, mesh=MeshOptions(generator="structured"))
    _rm, basis, A, rhs, _d, _t, (perm, rank) = mesh_and_assemble(spec, 2, size_m, None, Progress(quiet=True), False,
                                                                 numbering="local")
    inverse = inverse_permutation(perm)
    pin = int(inverse[int(basis.nodal_dofs[0, 0])])
    P = pin_prolongation(p1_to_p2_prolongation(basis, inverse, rank), pin, overwrite=True)
    B = np.ascontiguousarray(rhs.T)
    B[pin] = 0.0
    sp.save_npz(folder / "A.npz", pin_identity(A, pin), compressed=False)
    sp.save_npz(folder / "P.npz", P, compressed=False)
    np.save(folder / "B.npy", B)
    return {"dofs": int(A.shape[0]), "nnz": int(A.nnz)}


def triad_gbs(threads: int, n: int = 20_000_000, repeats: int = 7) -> float:
    """Compiled STREAM triad a = b + s c (24 bytes per element), best of ``repeats``, on ``threads`` threads."""
    import numba as nb
    import numpy as np

    @nb.njit(parallel=True, nogil=True)
    def triad(a, b, c, s):
        for i in nb.prange(a.shape[0]):
            a[i] = b[i] + s * c[i]

    nb.set_num_threads(threads)
    a, b, c = np.zeros(n), np.random.rand(n), np.random.rand(n)
    triad(a, b, c, 1.5)
    best = min(_timed(lambda: triad(a, b, c, 1.5)) for _ in range(repeats))
    return 24 * n / best / 1e9


def _timed(f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def iteration_bytes(M, n: int, k: int, algorithm: str) -> dict:
    """Bytes one block-CG iteration of ``algorithm`` must move at least, from the preconditioner's arrays."""
    fine = M.A
    index_bytes = fine.indices.nbytes + fine.indptr.nbytes
    product = fine.data.nbytes + index_bytes
    sweep_values = getattr(fine, "smoother_data", fine.data).nbytes
    sweeps = FINE_SWEEP_PASSES[algorithm] * (sweep_values + index_bytes) + SEGMENT_READS[algorithm] * fine.seg.nbytes
    transfer = M.P.data.nbytes + M.P.indices.nbytes + M.Pt.data.nbytes + M.Pt.indices.nbytes
    vectors = VECTOR_BYTES_PER_ENTRY[algorithm] * n * k
    coarse = 0.0
    for level, Pl, Rl in zip(M.coarse.levels, M.coarse.P, M.coarse.R):
        coarse += COARSE_PASSES[algorithm] * (level.data.nbytes + level.indices.nbytes + level.indptr.nbytes)
        coarse += Pl.data.nbytes + Pl.indices.nbytes + Rl.data.nbytes + Rl.indices.nbytes
        coarse += 14 * level.n * k * level.data.itemsize
    total = product + sweeps + transfer + vectors + coarse
    return {"product": product, "fine_sweeps": sweeps, "transfer": transfer, "vectors": vectors, "coarse": coarse,
            "total": total}


def worker(folder: Path, threads: int, solves: int) -> dict:
    """Time the block CG of the amails_fem on sys.path (this or the previous version) on the saved problem."""
    import numba as nb
    import numpy as np
    import scipy.sparse as sp

    import amails_fem
    from amails_fem.linalg.block_amg import BlockTwoLevel
    from amails_fem.linalg.krylov import block_cg

    bw = triad_gbs(threads)
    A = sp.load_npz(folder / "A.npz").tocsr()
    P = sp.load_npz(folder / "P.npz").tocsr()
    B = np.load(folder / "B.npy")
    current = "smoother_dtype" in inspect.signature(BlockTwoLevel).parameters
    extra = {"smoother_dtype": np.float32} if current else {}
    M = BlockTwoLevel(A, P, coarse_dtype=np.float32, **extra)
    M(B)  # compiled (or loaded from the cache) before the clock starts
    nb.set_num_threads(threads)
    per_iteration, its = [], None
    for _ in range(solves):
        t = time.perf_counter()
        X, its, res = block_cg(M.A.matmul, B, M, tol=1e-10)
        per_iteration.append((time.perf_counter() - t) / max(its))
    algorithm = "current" if current else "previous"
    out = {"version": algorithm, "package": str(Path(amails_fem.__file__).parent), "threads": threads,
           "triad_gbs": bw, "iteration_s": min(per_iteration), "iteration_s_all": per_iteration,
           "cg_iterations": its, "max_residual": max(res), "psi_norm": float(np.linalg.norm(X)),
           "bytes": iteration_bytes(M, A.shape[0], B.shape[1], algorithm)}
    if current:
        out["kernels"] = kernel_breakdown(M, B)
    return out


def kernel_breakdown(M, B) -> dict:
    """Seconds (fastest of 7) and bytes of each kernel of one iteration of this version's block CG."""
    import numpy as np

    from amails_fem.linalg import kernels

    L = M.A
    rng = np.random.default_rng(0)
    V = rng.standard_normal(B.shape)  # float64 Krylov block
    W, Q = np.empty_like(V), np.empty_like(V)
    R = V.astype(M.dtype)  # the preconditioner's blocks
    X = L.forward_from_zero(R)
    Y, S = np.empty_like(R), np.empty_like(R)
    Rc = M.Pt.matmul(R, out=np.empty((M.Pt.n, R.shape[1]), M.dtype))
    E = np.ascontiguousarray(M.coarse(Rc), dtype=M.dtype)
    vec, pvec = V.nbytes, R.nbytes
    idx = L.indices.nbytes + L.indptr.nbytes
    s_pass = L.smoother_data.nbytes + idx + L.seg.nbytes
    alpha = np.zeros(3)
    steps = {
        "A p (float64)": (lambda: L.matmul(V, out=W), L.data.nbytes + idx + 2 * vec),
        "forward sweep from zero (lower half)": (lambda: L.forward_from_zero(R, out=Y), 0.5 * s_pass + 2 * pvec),
        "residual from the sweep (upper half)": (lambda: L.residual_after_sweep(X, out=Y), 0.5 * s_pass + 2 * pvec),
        "P^T r": (lambda: M.Pt.matmul(R, out=Rc), M.Pt.nbytes + pvec),
        "coarse V-cycle": (lambda: M.coarse(Rc), None),
        "x += P e": (lambda: M.P.matmul_add(E, Y), M.P.nbytes + 2 * pvec),
        "backward sweep": (lambda: L.sweep(R, X, backward=True, scratch=S, keep_old=False), s_pass + 3 * pvec),
        "CG vector updates and dots (float64)": (lambda: (kernels.column_dots(V, W), kernels.cg_step(V, W, Q, V, alpha),
                                                          kernels.column_dots(V, W), kernels.cg_direction(W, Q, alpha)),
                                                 13 * vec),
    }
    out = {}
    for name, (f, nbytes) in steps.items():
        f()
        seconds = min(_timed(f) for _ in range(7))
        out[name] = {"s": seconds, "bytes": nbytes}
    return out


def spawn(folder: Path, threads: int, solves: int, package_root: Path) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": str(threads), "PYTHONPATH": str(package_root)}
    cmd = [sys.executable, __file__, "--worker", str(folder), "--threads", str(threads), "--solves", str(solves)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=package_root)
    if out.returncode != 0:
        raise SystemExit(f"worker failed ({package_root}): {out.stderr.strip().splitlines()[-1]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-m", type=float, default=0.044, help="bulk mesh size (m), walls at half (0.044: 1e6 DOFs)")
    ap.add_argument("--threads", type=int, default=2, help="kernel threads")
    ap.add_argument("--solves", type=int, default=3, help="block-CG solves per version (the fastest counts)")
    ap.add_argument("--rounds", type=int, default=2, help="fresh processes per version, alternating")
    ap.add_argument("--previous", default=PREVIOUS, help="git revision of the earlier version ('' to skip it)")
    ap.add_argument("--name", default="cg_bandwidth", help="results file benchmarks/results/NAME.json")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.threads, args.solves)))
        return 0
    say = lambda msg: print(msg, file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        problem = build(args.size_m, folder)
        say(f"  assembled {problem['dofs']:,} DOFs, {problem['nnz']:,} nonzeros")
        roots = [ROOT]
        if args.previous:
            roots.append(folder / "previous")
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(roots[1]), args.previous],
                           check=True, capture_output=True)
        try:  # the versions alternate, round by round, so that a busy minute on the machine hits both alike
            rounds = [[spawn(folder, args.threads, args.solves, root) for root in roots] for _ in range(args.rounds)]
        finally:
            if args.previous:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(roots[1])], check=True,
                               capture_output=True)
    runs = [min((r[v] for r in rounds), key=lambda run: run["iteration_s"]) for v in range(len(roots))]
    for v, run in enumerate(runs):
        run["iteration_s_rounds"] = [r[v]["iteration_s"] for r in rounds]
    triad = max(run["triad_gbs"] for r in rounds for run in r)  # the machine's bandwidth: the best triad of all runs
    print(f"\n### One block-CG iteration, {problem['dofs']:,} P2 DOFs ({problem['nnz']:,} nonzeros), 3 polarizations, "
          f"{args.threads} threads\n")
    each = ", ".join(f"{run['triad_gbs']:.1f}" for r in rounds for run in r)
    print(f"Bandwidth: {triad:.1f} GB/s (compiled triad, {args.threads} threads, the best of the workers' {each})\n")
    print("| version | bytes per iteration (GB) | bound ms | measured ms (fastest solve) | x bound "
          "| CG its | solution change |")
    print("|---|---|---|---|---|---|---|")
    ref = runs[-1]["psi_norm"]
    for r in runs:
        bound = r["bytes"]["total"] / (triad * 1e9)
        r["bound_s"] = bound
        name = "this version" if r is runs[0] else f"previous ({args.previous})"
        per_round = ", ".join(f"{1e3 * t:.0f}" for t in r["iteration_s_rounds"])
        print(f"| {name} | {r['bytes']['total'] / 1e9:.2f} | {1e3 * bound:.0f} | "
              f"{1e3 * r['iteration_s']:.0f} (rounds: {per_round}) | {r['iteration_s'] / bound:.2f} | "
              f"{'/'.join(map(str, r['cg_iterations']))} | {abs(r['psi_norm'] - ref) / ref:.1e} |")
    names = ["this version"] + ([f"previous ({args.previous})"] if args.previous else [])
    print("\n| bytes per iteration (MB) | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(runs))
    for key in runs[0]["bytes"]:
        print(f"| {key} | " + " | ".join(f"{r['bytes'][key] / 1e6:.0f}" for r in runs) + " |")
    print("\n| kernel (this version) | ms | GB/s |\n|---|---|---|")
    for name, k in runs[0]["kernels"].items():
        rate = f"{k['bytes'] / k['s'] / 1e9:.1f}" if k["bytes"] else "-"
        print(f"| {name} | {1e3 * k['s']:.1f} | {rate} |")
    from amails_fem.io.files import write_json
    from amails_fem.io.provenance import provenance

    write_json(RESULTS / f"{args.name}.json", {"provenance": provenance(machine_cores=os.cpu_count()),
                                               "size_m": args.size_m, "previous": args.previous, "triad_gbs": triad, **problem,
                                               "runs": runs})
    return 0


if __name__ == "__main__":
    sys.exit(main())
