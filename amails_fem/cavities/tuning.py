"""Tuning curves: sweep a rod's radial position, follow each mode by field overlap, detect crossings.

Each step solves the cavity (cross-section solver when z-invariant) and keeps plain numbers: frequencies, G_E
along z (Dai, Li & Zhang (2025) eq. 58), Q0 and a field signature (E sampled on a fixed point cloud). Steps run in parallel on
dask.distributed (a LocalCluster by default, or a scheduler address) and are cached by content hash in
``amails_fem.io.cache_dir("tuning")``, so an interrupted sweep resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from amails_fem.cavities.formfactor import form_factor, unloaded_q
from amails_fem.cavities.solve import cavity_modes
from amails_fem.errors import SpecError
from amails_fem.io.cache import cache_dir, content_hash
from amails_fem.io.files import atomic_path
from amails_fem.log import QUIET
from amails_fem.specs.cavities import CylinderCavity, Rod, cylinder_cavity
from amails_fem.validate import require_positive

CACHE_VERSION = 4


def signature_points(spec, n_xy: int = 9, n_z: int = 5) -> np.ndarray:
    """A fixed cloud of points (N, 3) inside the outer wall (rods ignored: samples inside a rod are zero)."""
    R = spec.radius_m
    g = (np.arange(n_xy) + 0.5) / n_xy * 2 - 1
    X, Y = np.meshgrid(g * R, g * R)
    keep = np.hypot(X, Y) < 0.97 * R
    zs = (np.arange(n_z) + 0.5) / n_z * spec.height_m
    x, y = X[keep], Y[keep]
    return np.column_stack([np.tile(x, n_z), np.tile(y, n_z), np.repeat(zs, x.size)])


def entry_sha256(entry: dict) -> str:
    """SHA-256 of a step entry's content (every field but the hash itself, keys sorted): an edit changes it."""
    payload = {k: v for k, v in entry.items() if k != "sha256"}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=float).encode()).hexdigest()


def valid_step_entry(entry, n_modes: int, key: str) -> bool:
    """A cached tuning step passes its schema: its own key, the SHA-256 of its content, n_modes finite
    frequencies, labels, G_E, Q0 and signatures of one length, a solver name and a DOF count."""
    if not isinstance(entry, dict) or entry.get("key") != key or entry.get("sha256") != entry_sha256(entry):
        return False
    lists = [entry.get(k) for k in ("freq_hz", "label", "G_E", "Q0", "signature")]
    if not all(isinstance(v, list) and len(v) == n_modes for v in lists):
        return False
    numbers = [x for k in ("freq_hz", "G_E", "Q0") for x in entry[k]]
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x) for x in numbers):
        return False
    sig = entry["signature"]
    return (all(isinstance(v, list) and len(v) == len(sig[0]) for v in sig) and isinstance(entry.get("solver"), str)
            and isinstance(entry.get("n_dofs"), int))


def solve_step(spec_dict: dict, n_modes: int, order: int, size_m, cache: bool = True) -> dict:
    """Solve one sweep step (top-level so dask can ship it): modes as plain lists, cached by content hash."""

    key = content_hash({"v": CACHE_VERSION, "spec": spec_dict, "n": n_modes, "order": order, "size": size_m})
    path = cache_dir("tuning") / f"{key}.json"
    if cache and path.is_file():
        try:
            entry = json.loads(path.read_text())
            if valid_step_entry(entry, n_modes, key):
                return entry | {"cached": True}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            pass  # a damaged, edited or foreign entry is recomputed
    d = dict(spec_dict)
    rods = tuple(Rod(**r) for r in d.pop("rods"))
    d.pop("shape")
    spec = cylinder_cavity(d.pop("radius_m"), d.pop("height_m"), rods, **d)
    modes = cavity_modes(spec, n_modes, order=order, size_m=size_m)
    pts = signature_points(spec)
    sig = []
    for m in modes:
        e = np.nan_to_num(np.real(m.E(pts))).ravel()
        sig.append((e / (np.linalg.norm(e) or 1.0)).tolist())
    out = {"freq_hz": [m.freq_hz for m in modes], "label": [m.label for m in modes],
           "G_E": [form_factor(m, "z", "E") for m in modes], "Q0": [unloaded_q(m) for m in modes],
           "solver": modes[0].solver, "n_dofs": int(modes[0].n_dofs), "signature": sig, "key": key}
    out = json.loads(json.dumps(out, default=float))  # plain JSON values: the hash is of what is stored
    out["sha256"] = entry_sha256(out)
    if cache:
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(out, default=float))
    return out | {"cached": False}


@dataclass
class TuningCurve:
    """Tracked modes across a rod sweep: arrays of shape (n_steps, n_modes); column j is one followed mode."""

    positions_m: np.ndarray
    freq_hz: np.ndarray
    g_e: np.ndarray
    q0: np.ndarray
    labels: list  # labels[step][j]
    overlap: np.ndarray  # (n_steps - 1, n_modes): overlap of each track between consecutive steps
    crossings: list = field(default_factory=list)  # dicts: step, position_m, tracks (j, k), freq_hz
    rod: int = 0
    n_cached: int = 0
    seconds: float = 0.0

    def rows(self) -> list[dict]:
        out = []
        for s, pos in enumerate(self.positions_m):
            for j in range(self.freq_hz.shape[1]):
                out.append({"step": s, "rod_position_m": float(pos), "track": j, "label": self.labels[s][j],
                            "freq_hz": float(self.freq_hz[s, j]), "G_E_z": float(self.g_e[s, j]),
                            "Q0": float(self.q0[s, j])})
        return out

    def to_dict(self) -> dict:
        return {"rod": self.rod, "positions_m": self.positions_m, "freq_hz": self.freq_hz, "G_E_z": self.g_e,
                "Q0": self.q0, "labels": self.labels, "overlap": self.overlap, "crossings": self.crossings,
                "n_cached_steps": self.n_cached, "seconds": self.seconds}


def track_modes(steps: list[dict], n_tracks: int, first=None):
    """Follow the ``n_tracks`` lowest modes of step 0: step s+1's modes (all computed ones, usually more than
    n_tracks) are assigned to the tracks by maximum total |field overlap| (Hungarian method).

    Returns the permutation per step (perm[s][j] = index in step s of track j) and the overlaps (steps-1, n).
    """

    n = n_tracks
    perms = [np.arange(n) if first is None else np.asarray(first)]
    overlaps = []
    for s in range(1, len(steps)):
        a = np.array(steps[s - 1]["signature"])[perms[-1]]
        b = np.array(steps[s]["signature"])
        ov = np.abs(a @ b.T)
        # degenerate pairs can rotate freely: a small frequency term breaks ties in favour of continuity
        fa = np.array(steps[s - 1]["freq_hz"])[perms[-1]]
        fb = np.array(steps[s]["freq_hz"])
        cost = -ov + 0.05 * np.abs(fa[:, None] - fb[None, :]) / fa[:, None]
        rows, cols = linear_sum_assignment(cost)
        perm = np.empty(n, dtype=int)
        perm[rows] = cols
        perms.append(perm)
        overlaps.append(ov[rows, cols][np.argsort(rows)])
    return perms, np.array(overlaps)


def find_crossings(positions, freq) -> list[dict]:
    """Pairs of tracks whose frequency order swaps between consecutive steps (a crossing of the tracked modes)."""
    out = []
    for s in range(len(positions) - 1):
        for j in range(freq.shape[1]):
            for k in range(j + 1, freq.shape[1]):
                d0 = freq[s, j] - freq[s, k]
                d1 = freq[s + 1, j] - freq[s + 1, k]
                if d0 * d1 < 0:
                    t = d0 / (d0 - d1)
                    out.append({"step": s, "tracks": [j, k],
                                "position_m": float(positions[s] + t * (positions[s + 1] - positions[s])),
                                "freq_hz": float(freq[s, j] + t * (freq[s + 1, j] - freq[s, j]))})
    return out


def tune(spec, rod: int, from_m: float, to_m: float, steps: int, n_modes: int = 6, order: int = 2,
         size_m: float | None = None, scheduler: str | None = None, workers: int = 2, cache: bool = True,
         select: str = "lowest", progress=None) -> TuningCurve:
    """Sweep rod ``rod`` from ``from_m`` to ``to_m`` (radial position, m) in ``steps`` steps; follow the
    ``n_modes`` lowest modes of the first step (``select="lowest"``) or the ``n_modes`` with the largest G_E
    along z among the lowest max(3 n_modes, 24) (``select="coupling"``: the TM010-like haloscope modes).
    An overlap below ~0.5 in ``overlap`` flags a track that left the computed set.

    ``scheduler``: None starts a dask LocalCluster with ``workers`` processes; "host:port" or "tcp://..." uses a
    running scheduler; "sync" runs in this process (no dask). Finished steps are cached (resumable).
    """


    progress = progress or QUIET
    if not isinstance(spec, CylinderCavity) or not spec.rods:
        raise SpecError("tuning needs a cylinder cavity with at least one rod ([[cavity.rods]])")
    if isinstance(rod, bool) or not isinstance(rod, (int, np.integer)) or not 0 <= rod < len(spec.rods):
        raise SpecError(f"rod must be an index in [0, {len(spec.rods) - 1}]; got {rod!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 2 <= steps <= 1000:
        raise SpecError(f"steps must be an integer in [2, 1000]; got {steps!r}")
    positions = np.linspace(float(from_m), float(to_m), int(steps))
    specs = [spec.with_rod(rod, position_m=float(p)) for p in positions]  # validates every step before solving
    if size_m is not None:
        require_positive(size_m, "size_m")
    t0 = time.perf_counter()
    if select not in ("lowest", "coupling"):
        raise SpecError(f"select must be 'lowest' or 'coupling'; got {select!r}")
    # each step computes more modes than tracked so that a mode tuned upwards stays within reach
    n_solve = 2 * n_modes if select == "lowest" else max(3 * n_modes, 24)
    args = [(s.to_dict(), n_solve, order, size_m, cache) for s in specs]
    results = _run(args, scheduler, workers, progress)
    first = None
    if select == "coupling":  # modes that couple (G_E > 1e-3), at most n_modes of them
        g0 = np.array(results[0]["G_E"])
        first = np.sort([i for i in np.argsort(-g0, kind="stable")[:n_modes] if g0[i] > 1e-3] or [int(np.argmax(g0))])
        n_modes = len(first)
    perms, overlaps = track_modes(results, n_modes, first)
    n = n_modes
    freq = np.array([np.array(r["freq_hz"])[p] for r, p in zip(results, perms)])
    g = np.array([np.array(r["G_E"])[p] for r, p in zip(results, perms)])
    q = np.array([np.array(r["Q0"])[p] for r, p in zip(results, perms)])
    labels = [[r["label"][i] for i in p] for r, p in zip(results, perms)]
    curve = TuningCurve(positions, freq[:, :n], g, q, labels, overlaps, find_crossings(positions, freq), rod,
                        sum(bool(r.get("cached")) for r in results), time.perf_counter() - t0)
    progress.say(f"tuning: {steps} steps ({curve.n_cached} from cache), {len(curve.crossings)} crossings, "
                 f"{curve.seconds:.1f} s")
    return curve


def _run(args, scheduler, workers, progress):
    if scheduler == "sync":
        return [solve_step(*a) for a in progress.loop(args, len(args), "tuning steps")]
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or not 1 <= workers <= 256:
            raise SpecError(f"workers must be an integer in [1, 256]; got {workers!r}")
        cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        futures = [client.submit(solve_step, *a, pure=False) for a in args]
        index = {f.key: i for i, f in enumerate(futures)}
        out = [None] * len(args)
        for fut in progress.loop(as_completed(futures), len(futures), "tuning steps"):
            out[index[fut.key]] = fut.result()
        return out
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
