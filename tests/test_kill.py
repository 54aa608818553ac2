"""A run killed (SIGKILL) or stopped (SIGTERM) mid-way leaves its output folder holding the previous complete set,
never a mix; a second run into a folder being written is refused; damaged cache entries are rebuilt, not trusted."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from amails_fem.cavities.tuning import tune
from amails_fem.cli import main
from amails_fem.geometry import box_room
from amails_fem.log import Progress
from amails_fem.meshing.rooms import mesh_room
from amails_fem.specs.cavities import Rod, cylinder_cavity

ROOT = Path(__file__).parents[1]
SPEC = "[room]\nshape = 'box'\nlx_m = 2\nly_m = 2\nlz_m = 2\n[mesh]\nsize_m = 0.4\nwall_size_m = 0.2\n"
ARGS = ["--n-grid", "7", "--no-cache", "--quiet"]


def snapshot(folder: Path) -> dict:
    """File name -> SHA-256 of every file below ``folder``."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def start_room(spec: Path, out: Path, env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "amails_fem", "room", str(spec), "--out", str(out), *ARGS],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_staging(proc: subprocess.Popen, out: Path, timeout_s: float = 60.0) -> Path:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = list(out.parent.glob(f".{out.name}.staging-{proc.pid}"))
        if found:
            return found[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.005)
    raise AssertionError("no staging folder appeared")


@pytest.fixture
def env(tmp_path):
    e = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", MPLBACKEND="Agg",
             AMAILS_FEM_CACHE=str(tmp_path / "cache"))
    return e


@pytest.fixture
def previous(tmp_path):
    """A spec and a previous complete output set in tmp/out (a stand-in set: its bytes must survive untouched)."""
    spec = tmp_path / "room.toml"
    spec.write_text(SPEC)
    out = tmp_path / "out"
    out.mkdir()
    for name in ("summary.json", "field.vtu", "walls.vtu", "walls_net.png", "walls_3d.png"):
        (out / name).write_bytes(os.urandom(256))
    return spec, out, snapshot(out)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_run_leaves_the_previous_complete_set(sig, previous, env, tmp_path):
    spec, out, before = previous
    proc = start_room(spec, out, env)
    staging = wait_for_staging(proc, out)
    time.sleep(0.3)  # mid-run: meshing or solving
    proc.send_signal(sig)
    rc = proc.wait(timeout=60)
    err = proc.stderr.read()
    assert snapshot(out) == before  # the previous set, whole and untouched
    if sig == signal.SIGTERM:
        assert rc == 130 and "interrupted" in err and "Traceback" not in err
        assert not staging.exists()  # cleaned up by the run itself
        return
    assert rc == -signal.SIGKILL and staging.exists()
    # the next run cleans what the killed run left and puts a complete new set in place
    assert main(["room", str(spec), "--out", str(out), *ARGS]) == 0
    after = snapshot(out)
    assert set(after) == set(before) and not set(after.values()) & set(before.values())
    assert json.loads((out / "summary.json").read_text())["polarizations"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "out", "room.toml"]


def test_killed_first_run_leaves_nothing(env, tmp_path):
    spec = tmp_path / "room.toml"
    spec.write_text(SPEC)
    out = tmp_path / "new" / "out"
    proc = start_room(spec, out, env)
    wait_for_staging(proc, out)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert not out.exists()  # absent, never a half set


def test_second_run_into_a_busy_folder_is_refused(previous, env, tmp_path, capsys):
    spec, out, before = previous
    proc = start_room(spec, out, env)
    try:
        wait_for_staging(proc, out)
        assert main(["room", str(spec), "--out", str(out), *ARGS]) == 2
        err = capsys.readouterr().err
        assert f"another run (process {proc.pid}) is writing it" in err
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    after = snapshot(out)
    assert set(after) == set(before)  # one complete set, from the first run alone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "out", "room.toml"]


def test_old_set_moved_aside_by_a_killed_run_is_restored(previous):
    """A run killed between its two renames (old set aside, new set not yet in place) leaves .NAME.old-PID:
    the next run puts the old set back before it starts."""
    spec, out, before = previous
    aside = out.parent / f".{out.name}.old-999999"
    os.replace(out, aside)
    with pytest.raises(ZeroDivisionError):
        from amails_fem.io.files import run_folder

        with run_folder(out):
            1 / 0
    assert snapshot(out) == before and not aside.exists()


class Said(Progress):
    def __init__(self):
        super().__init__(quiet=True)
        self.lines = []

    def say(self, msg):
        self.lines.append(msg)


@pytest.mark.parametrize("damage", ["truncate", "flip", "sidecar", "foreign", "unparsable"])
def test_damaged_mesh_cache_is_rebuilt(damage, tmp_path, monkeypatch):
    monkeypatch.setenv("AMAILS_FEM_CACHE", str(tmp_path / "cache"))
    room = box_room(1.0, 1.0, 1.0)
    first = mesh_room(room, size_m=0.5, wall_size_m=0.25, order=1)
    other = mesh_room(room, size_m=0.4, wall_size_m=0.2, order=1)
    files = {p.name: p for p in (tmp_path / "cache" / "meshes").glob("*.msh")}
    entry = next(p for n, p in files.items() if first.key in n)
    side = entry.with_name(entry.name + ".sha256")
    data = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        entry.write_bytes(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])
    elif damage == "sidecar":
        side.write_text("not json")
    elif damage == "foreign":  # another mesh's file and sidecar under this key's name
        foreign = next(p for n, p in files.items() if other.key in n)
        shutil.copy(foreign, entry)
        shutil.copy(foreign.with_name(foreign.name + ".sha256"), side)
    else:  # garbage whose sidecar matches: passes the hash, fails to parse
        entry.write_bytes(b"$MeshFormat garbage")
        side.write_text(json.dumps({"key": first.key, "sha256": hashlib.sha256(b"$MeshFormat garbage").hexdigest()}))
    said = Said()
    again = mesh_room(room, size_m=0.5, wall_size_m=0.25, order=1, progress=said)
    assert not again.from_cache and any("rebuilding" in line for line in said.lines)
    np.testing.assert_array_equal(again.mesh.t, first.mesh.t)
    assert mesh_room(room, size_m=0.5, wall_size_m=0.25, order=1).from_cache  # the rebuilt entry is trusted again


def test_damaged_tuning_cache_is_recomputed(tmp_path, monkeypatch):
    """Tuning entries carry a SHA-256 of their content: a plausible edit (a changed frequency that still passes
    the schema), a truncated file and a foreign entry (another step's content) are all recomputed."""
    monkeypatch.setenv("AMAILS_FEM_CACHE", str(tmp_path / "cache"))
    spec = cylinder_cavity(0.1, 0.3, rods=[Rod(0.025, 0.07, 0.0)])
    c1 = tune(spec, 0, 0.07, 0.05, 3, n_modes=2, scheduler="sync")
    entries = sorted((tmp_path / "cache" / "tuning").glob("*.json"))
    assert len(entries) == 3
    edited = json.loads(entries[0].read_text())
    edited["freq_hz"][0] *= 1.01
    entries[0].write_text(json.dumps(edited))
    entries[1].write_text(entries[1].read_text()[:50])
    entries[2].write_text(json.dumps({**json.loads(entries[0].read_text())}))
    c2 = tune(spec, 0, 0.07, 0.05, 3, n_modes=2, scheduler="sync")
    assert c2.n_cached == 0 and np.allclose(c1.freq_hz, c2.freq_hz, rtol=1e-8)  # recomputed
    c3 = tune(spec, 0, 0.07, 0.05, 3, n_modes=2, scheduler="sync")
    assert c3.n_cached == 3 and np.array_equal(c2.freq_hz, c3.freq_hz)
