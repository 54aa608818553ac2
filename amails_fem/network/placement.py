"""Sensor placement: choose N sensors (wall-grid positions at the standoff, tangential or normal axes) that
maximise the network's dark-photon SNR under the noise model; noise references; Ampere-loop arrangements.

Objective (docs/physics.md sec. 4): the polarization- and sidereal-averaged matched-filter SNR^2 per (T/2) eps^2,
    F = (1/3) tr(A^H Sigma^-1 A)   (Hz),   A (n, 3): lab templates, Sigma: noise PSD matrix (noise.py),
which the sidereal average leaves unchanged (a rotation of an isotropic average). Sigma is block-diagonal by room,
so F is a sum over rooms; inside a room it is NOT submodular once common-mode noise is in the model: a null-response
sensor is worth nothing alone and a lot beside a signal sensor (it measures the room noise). The greedy therefore
re-evaluates, after each pick, every candidate of the room that got the sensor (the other rooms' gains are exact).
'stochastic' uses the optimal quadratic (Rayleigh) deflection sqrt(tr((Sigma^-1 S)^2)) instead, which couples the
rooms through the cross-site signal, and refreshes all gains. The worst polarization is the smallest eigenvalue
of A^H Sigma^-1 A.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from amails_fem.errors import SpecError
from amails_fem.network import noise as nz
from amails_fem.network.response import j_eff_per_eps, rows_for
from amails_fem.network.sensors import Sensor
from amails_fem.units import MU0_H_M
from amails_fem.validate import require_option

OBJECTIVES = ("coherent", "stochastic")


@dataclass
class Candidates:
    """Candidate sensors: room name, position (m, room frame), unit axis, wall name, axis kind, lab template row."""

    rooms: np.ndarray
    positions_m: np.ndarray
    axes: np.ndarray
    walls: np.ndarray
    kinds: np.ndarray  # 'tangential-1', 'tangential-2', 'normal'
    rows: np.ndarray  # (n, 3) complex lab templates at freq_hz, tesla per eps
    freq_hz: float
    pos_key: np.ndarray  # integer id of the position (one sensor per position)

    def __len__(self):
        return len(self.rooms)

    def sensor(self, k: int, sid: str, template: Sensor | None = None) -> Sensor:
        kw = {} if template is None else {"white_noise_t_rthz": template.white_noise_t_rthz,
                                          "corner_hz": template.corner_hz}
        return Sensor(id=sid, room=str(self.rooms[k]), position_m=tuple(self.positions_m[k]),
                      axis=tuple(self.axes[k]), **kw)


def wall_grid(room, n_grid: int = 5):
    """Points on a grid of each wall of a box room at the standoff: (positions (m), wall names, normals, tangents)."""
    g = room.geometry
    if getattr(g, "shape", "") != "box":
        raise SpecError(f"placement needs box rooms; room {room.name!r} is a {getattr(g, 'shape', '?')}")
    if n_grid < 1:
        raise SpecError(f"n_grid must be >= 1; got {n_grid}")
    h = g.half_m
    d = room.standoff_m
    pos, names, normals, tangents = [], [], [], []
    for axis, (lo, hi) in enumerate([("x_min", "x_max"), ("y_min", "y_max"), ("floor", "ceiling")]):
        others = [a for a in range(3) if a != axis]
        grids = []
        for a in others:
            c = -h[a] + (np.arange(n_grid) + 0.5) * 2 * h[a] / n_grid
            grids.append(np.clip(c, -h[a] + d, h[a] - d))
        u, v = np.meshgrid(*grids, indexing="ij")
        for sign, name in ((-1, lo), (1, hi)):
            p = np.zeros((u.size, 3))
            p[:, axis] = sign * (h[axis] - d)
            p[:, others[0]], p[:, others[1]] = u.ravel(), v.ravel()
            nrm = np.zeros(3)
            nrm[axis] = sign
            t1, t2 = np.zeros(3), np.zeros(3)
            t1[others[0]], t2[others[1]] = 1.0, 1.0
            pos.append(p)
            names += [name] * len(p)
            normals += [nrm] * len(p)
            tangents += [(t1, t2)] * len(p)
    return np.concatenate(pos), np.array(names), np.array(normals), tangents


PLACEMENT_BYTES_PER_CANDIDATE = 2000.0  # position, axis, wall, kind, template row and the work arrays per candidate


def placement_bytes(network, n_sensors: int, n_grid: int, n_random: int) -> float:
    """Bytes of candidates + greedy/swap + random layouts: every room's 6 walls x n_grid^2 points x 3 axes, and
    (n x n) complex noise/Gram matrices per evaluation (n_random does not accumulate: one layout at a time)."""
    n_cands = len(network.rooms) * 6 * n_grid**2 * 3
    return PLACEMENT_BYTES_PER_CANDIDATE * n_cands + 64.0 * n_sensors**2 + 1e8


def candidates(network, responses, freq_hz: float = 10.0, n_grid: int = 5, rooms=None,
               axes=("tangential-1", "tangential-2", "normal"), target: str = "total") -> Candidates:
    """Candidate set: every wall-grid point of each (box) room x each allowed axis kind, with its template row.

    target: "total" (the signal a sensor really sees, own field + leak of the ambient field) or "own" (the room's own
    field only, for searches that reject the leak, e.g. by opposite-wall pairs)."""
    out = {k: [] for k in ("rooms", "positions_m", "axes", "walls", "kinds", "rows", "pos_key")}
    key0 = 0
    for name in sorted(rooms or network.rooms):
        room = network.rooms[name]
        pos, walls, normals, tangents = wall_grid(room, n_grid)
        dirs = {"tangential-1": np.array([t[0] for t in tangents]), "tangential-2": np.array([t[1] for t in tangents]),
                "normal": normals}
        for kind in axes:
            if kind not in dirs:
                raise SpecError(f"axes must be among tangential-1, tangential-2, normal; got {kind!r}")
            ax = dirs[kind]
            rows = rows_for(responses[name], pos, ax, [freq_hz], part=target)[0] * j_eff_per_eps([freq_hz])[0]
            out["rooms"] += [name] * len(pos)
            out["positions_m"].append(pos)
            out["axes"].append(ax)
            out["walls"] += list(walls)
            out["kinds"] += [kind] * len(pos)
            out["rows"].append(rows)
            out["pos_key"].append(key0 + np.arange(len(pos)))
        key0 += len(pos)
    return Candidates(np.array(out["rooms"]), np.concatenate(out["positions_m"]), np.concatenate(out["axes"]),
                      np.array(out["walls"]), np.array(out["kinds"]), np.concatenate(out["rows"]), float(freq_hz),
                      np.concatenate(out["pos_key"]))


# -- objective ---------------------------------------------------------------------------------------------------
def _room_noise(network, room: str, noise_sq: np.ndarray) -> np.ndarray:
    return np.diag(noise_sq) + network.rooms[room].common_mode_psd(len(noise_sq))


def gram(network, rooms, rows, noise_sq) -> np.ndarray:
    """G = A^H Sigma^-1 A (3, 3), summed over rooms (Sigma block-diagonal by room)."""
    g = np.zeros((3, 3), complex)
    rooms = np.asarray(rooms)
    for r in np.unique(rooms):
        m = rooms == r
        a = rows[m]
        g += a.conj().T @ np.linalg.solve(_room_noise(network, r, noise_sq[m]), a)
    return 0.5 * (g + g.conj().T)


def objective(network, rooms, rows, noise_sq, kind: str = "coherent") -> float:
    """Placement objective (Hz): 'coherent' F = tr(G)/3; 'stochastic' sqrt(tr((Sigma^-1 S)^2)), S = A A^H / 3."""
    if len(rows) == 0:
        return 0.0
    if kind == "coherent":
        return float(np.real(np.trace(gram(network, rooms, rows, noise_sq))) / 3.0)
    if kind == "stochastic":
        rooms = np.asarray(rooms)
        n = len(rows)
        sigma = np.zeros((n, n))
        for r in np.unique(rooms):
            m = np.flatnonzero(rooms == r)
            sigma[np.ix_(m, m)] = _room_noise(network, r, noise_sq[m])
        x = np.linalg.solve(sigma, nz.signal_covariance(rows))
        return float(np.sqrt(max(np.real(np.trace(x @ x)), 0.0)))
    raise SpecError(f"objective must be one of {', '.join(OBJECTIVES)}; got {kind!r}")


def worst_polarization(network, rooms, rows, noise_sq) -> float:
    """Smallest eigenvalue of G = A^H Sigma^-1 A (Hz): the matched-filter SNR^2 per (T/2) eps^2 of the worst P."""
    return float(np.linalg.eigvalsh(gram(network, rooms, rows, noise_sq))[0]) if len(rows) else 0.0


# -- optimisation --------------------------------------------------------------------------------------------------
@dataclass
class Placement:
    """Chosen candidate indices with the objective, worst polarization, and the comparison layouts."""

    chosen: list
    objective_hz: float
    worst_hz: float
    kind: str
    history: list = field(default_factory=list)
    swaps: int = 0
    evaluations: int = 0

    def sensors(self, cands: Candidates, template: Sensor | None = None, prefix: str = "P") -> list:
        return [cands.sensor(k, f"{prefix}{n + 1:02d}", template) for n, k in enumerate(self.chosen)]


def _eval(network, cands, idx, noise_sq_all, kind):
    idx = list(idx)
    return objective(network, cands.rooms[idx], cands.rows[idx], noise_sq_all[idx], kind)


def greedy_swap(network, cands: Candidates, n: int | None = None, *, per_room: dict | None = None,
                kind: str = "coherent", white_noise_t_rthz: float = 15e-15, seed=0, max_swap_passes: int = 20,
                swap: bool = True) -> Placement:
    """Greedy selection (lazy: only the room that received the last sensor is re-evaluated for 'coherent'), then
    1-for-1 swap refinement within each room until no swap improves the objective. One sensor per position.
    per_room: {room: count} fixes the counts; else n sensors go wherever they help most. Deterministic for a seed
    (the seed orders the candidates, which breaks the symmetric ties of a cube)."""
    require_option(kind, "objective", OBJECTIVES)
    if per_room:
        unknown = sorted(set(per_room) - set(cands.rooms))
        if unknown:
            raise SpecError(f"per_room names room {unknown[0]!r}, which has no candidates")
        n = sum(per_room.values())
    if n is None or n < 1:
        raise SpecError(f"n must be >= 1; got {n}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(cands))
    noise_sq = np.full(len(cands), float(white_noise_t_rthz) ** 2)
    if n > len(np.unique(cands.pos_key)):
        raise SpecError(f"n = {n} exceeds the {len(np.unique(cands.pos_key))} candidate positions")
    chosen, used_pos, evals = [], set(), 0
    count = {r: 0 for r in np.unique(cands.rooms)}
    gains = {}
    base = 0.0
    history = []
    stale_rooms = set(count)
    while len(chosen) < n:
        for k in order:
            r = cands.rooms[k]
            if kind == "stochastic" or r in stale_rooms or k not in gains:
                if cands.pos_key[k] in used_pos:
                    gains[k] = -np.inf
                    continue
                gains[k] = _eval(network, cands, chosen + [k], noise_sq, kind) - base
                evals += 1
        allowed = [k for k in order if gains.get(k, -np.inf) > -np.inf and cands.pos_key[k] not in used_pos
                   and (not per_room or count[cands.rooms[k]] < per_room.get(cands.rooms[k], 0))]
        if not allowed:
            raise SpecError("no candidate left to place (per_room counts exceed the candidates?)")
        best = max(allowed, key=lambda k: gains[k])
        chosen.append(best)
        used_pos.add(cands.pos_key[best])
        count[cands.rooms[best]] += 1
        base = _eval(network, cands, chosen, noise_sq, kind)
        history.append(base)
        stale_rooms = {cands.rooms[best]}
    swaps = 0
    if swap:
        for _ in range(max_swap_passes):
            improved = False
            for a in range(len(chosen)):
                r = cands.rooms[chosen[a]]
                cur = chosen[a]
                others = set(cands.pos_key[c] for c in chosen if c != cur)
                best_val, best_k = base, None
                for k in order:
                    if cands.rooms[k] != r or k == cur or cands.pos_key[k] in others:
                        continue
                    trial = chosen.copy()
                    trial[a] = k
                    val = _eval(network, cands, trial, noise_sq, kind)
                    evals += 1
                    if val > best_val * (1 + 1e-9):
                        best_val, best_k = val, k
                if best_k is not None:
                    chosen[a] = best_k
                    base = best_val
                    swaps += 1
                    improved = True
            if not improved:
                break
    worst = worst_polarization(network, cands.rooms[chosen], cands.rows[chosen], noise_sq[chosen])
    return Placement(chosen, base, worst, kind, history, swaps, evals)


def layout_score(network, responses, sensors, freq_hz: float, kind: str = "coherent") -> tuple:
    """(objective, worst polarization) in Hz for a given list of sensors (e.g. the AMAILS-like layout)."""
    rooms = np.array([s.room for s in sensors])
    rows = np.concatenate([rows_for(responses[s.room], [s.position_m], [s.axis], [freq_hz])[0] for s in sensors])
    rows = rows * j_eff_per_eps([freq_hz])[0]
    noise_sq = np.array([s.asd_t_rthz(freq_hz) ** 2 for s in sensors])
    return (objective(network, rooms, rows, noise_sq, kind), worst_polarization(network, rooms, rows, noise_sq))


def random_layouts(network, cands: Candidates, per_room: dict, n_layouts: int = 50, *, kind: str = "coherent",
                   white_noise_t_rthz: float = 15e-15, seed=0) -> np.ndarray:
    """Objective (Hz) of random layouts with the same per-room counts (one sensor per position)."""
    rng = np.random.default_rng(seed)
    noise_sq = np.full(len(cands), float(white_noise_t_rthz) ** 2)
    out = []
    for _ in range(n_layouts):
        idx = []
        for r, c in per_room.items():
            pool = np.flatnonzero(cands.rooms == r)
            keys = rng.permutation(np.unique(cands.pos_key[pool]))[:c]
            for key in keys:
                idx.append(int(rng.choice(pool[cands.pos_key[pool] == key])))
        out.append(_eval(network, cands, idx, noise_sq, kind))
    return np.array(out)


def null_references(cands: Candidates, rel_tol: float = 0.02, max_n: int | None = None) -> np.ndarray:
    """Candidates whose polarization-averaged response is below rel_tol x the best one: noise references.
    Sorted from the quietest; in a perfect-conductor room, normal axes near a wall (n . B = 0 on the wall)."""
    amp = np.sqrt(np.sum(np.abs(cands.rows) ** 2, axis=1) / 3.0)
    idx = np.flatnonzero(amp < rel_tol * amp.max())
    idx = idx[np.argsort(amp[idx])]
    return idx[:max_n] if max_n else idx


# -- Ampere loops --------------------------------------------------------------------------------------------------
def ampere_loop(room_name: str, normal_axis: int = 2, center_m=(0.0, 0.0, 0.0), half_side_m: float = 0.9,
                n_per_side: int = 4, prefix: str = "L", **sensor_kw) -> tuple:
    """Square loop of 4 n_per_side sensors, axes tangent to the loop (counter-clockwise about +normal), at the
    midpoints of equal segments. Returns (sensors, weights_m): sum_k w_k s_k approximates the loop integral of B,
    which Ampere's law fixes at mu0 J . S (S = (2 half_side)^2 along the normal) whatever the walls are."""
    if n_per_side < 1 or half_side_m <= 0:
        raise SpecError("ampere_loop needs n_per_side >= 1 and half_side_m > 0")
    a, b = [k for k in range(3) if k != normal_axis]
    if (a, b, normal_axis) not in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
        a, b = b, a
    c = np.asarray(center_m, float)
    seg = 2 * half_side_m / n_per_side
    t = -half_side_m + (np.arange(n_per_side) + 0.5) * seg
    corners = [((1, 0), (0, 1)), ((0, 1), (-1, 0)), ((-1, 0), (0, -1)), ((0, -1), (1, 0))]
    sensors, weights = [], []
    for side, ((ox, oy), (dx, dy)) in enumerate(corners):
        for k, tk in enumerate(t):
            p = c.copy()
            p[a] += ox * half_side_m + dx * tk
            p[b] += oy * half_side_m + dy * tk
            ax = np.zeros(3)
            ax[a], ax[b] = dx, dy
            sensors.append(Sensor(id=f"{prefix}{side}{k:02d}", room=room_name, position_m=tuple(p), axis=tuple(ax),
                                  **sensor_kw))
            weights.append(seg)
    return sensors, np.array(weights)


def loop_integral(response, sensors, weights_m, freqs_hz=(1.0,), part: str = "total") -> np.ndarray:
    """sum_k w_k n_k . R(r_k; f): (n_freq, 3) in T m per A/m^2 (compare with mu0 S n: Ampere's law; the leak of an
    ambient field is curl-free, so its loop integral is zero up to the discretisation of the loop)."""
    rows = rows_for(response, [s.position_m for s in sensors], [s.axis for s in sensors], freqs_hz, part=part)
    return np.einsum("k,fkj->fj", np.asarray(weights_m), rows)


def ampere_expected(normal_axis: int, half_side_m: float) -> np.ndarray:
    """mu0 S n (T m per A/m^2) for the square loop of ampere_loop."""
    out = np.zeros(3)
    out[normal_axis] = MU0_H_M * (2 * half_side_m) ** 2
    return out


# -- picture ---------------------------------------------------------------------------------------------------------