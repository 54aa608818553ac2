"""Hostile input, command by command and through the Python API: every case must end in exit code 2 (SpecError
for the API) with one line naming the bad field, no traceback, no meshing, and nothing left behind (no output
folder, no staging folder, no temporary file). Runs in-process, in seconds."""

from pathlib import Path

import numpy as np
import pytest

import amails_fem
from amails_fem.cli import main
from amails_fem.errors import SpecError
from amails_fem.io.files import data_path

ROOT = Path(__file__).parents[1]
ROOM = "[room]\nshape = 'box'\nlx_m = 1.0\nly_m = 1.0\nlz_m = 1.0\n[mesh]\nsize_m = 0.5\n"
WALLS = "[walls]\nname = 'one'\n[[walls.layers]]\nmaterial = 'mu_metal'\nthickness_m = 1.5e-3\n"
CAVITY = (ROOT / "geometries/cavity_cylinder.toml").read_text()
TUNE = (ROOT / "geometries/cavity_admx_like.toml").read_text()
NETWORK = data_path("amails_network.toml").read_text()
ONE_SENSOR = NETWORK[:NETWORK.index("[[sensors]]")] + NETWORK[NETWORK.index("[[sensors]]"):].split("[[sensors]]")[1].join(["[[sensors]]", ""])


def net(old, new):
    assert old in NETWORK
    return NETWORK.replace(old, new, 1)


ROOM2 = ROOM.replace("1.0", "2.0")  # the default sensor points lie inside
CYL_DOOR = ("[room]\nshape = 'cylinder'\nradius_m = 0.5\nheight_m = 1.2\n[[openings]]\nkind = 'door'\nwall = 'side'\n"
            "center_m = [0.0, 0.0]\nwidth_m = 0.4\nheight_m = 0.6\n[mesh]\nsize_m = 0.5\n")
SIDE_TUBE = "[[openings]]\nkind = 'tube'\nwall = 'side'\ncenter_m = [0.25, 0.0]\nradius_m = 0.03\nlength_m = 0.0\n"
SIDE_DOOR = "[[openings]]\nkind = 'door'\nwall = 'side'\ncenter_m = [1.5, 0.0]\nwidth_m = 0.4\nheight_m = 0.3\n"


def cyl_door(old, new, extra=""):
    assert old in CYL_DOOR
    return ("s.toml", CYL_DOOR.replace(old, new, 1).replace("[mesh]", extra + "[mesh]"))


R, W, C, N, T = ("room.toml", ROOM), ("walls.toml", ROOM2 + WALLS), ("cav.toml", CAVITY), ("net.toml", NETWORK), \
    ("tune.toml", TUNE)

# (argv, input file (name, text or bytes) or None, the text the one-line message must contain)
CASES = [
    # -- room: flags ------------------------------------------------------------------------------------------------
    (["room", "{f}", "--mesh-size-m", "nan"], R, "--mesh-size-m: must be a finite number > 0 (m)"),
    (["room", "{f}", "--mesh-size-m", "inf"], R, "--mesh-size-m"),
    (["room", "{f}", "--mesh-size-m", "-0.2"], R, "--mesh-size-m"),
    (["room", "{f}", "--mesh-size-m", "0"], R, "--mesh-size-m"),
    (["room", "{f}", "--mesh-size-m", "abc"], R, "--mesh-size-m"),
    (["room", "{f}", "--mesh-size-m", ""], R, "--mesh-size-m"),
    (["room", "{f}", "--mesh-size", "-1"], R, "--mesh-size: must be"),
    (["room", "{f}", "--mesh-size-m", "50"], R, "mesh.size_m must be at most"),
    (["room", "{f}", "--mesh-size-m", "1e-4"], R, "would need"),
    (["room", "{f}", "--wall-size-m", "-inf"], R, "--wall-size-m"),
    (["room", "{f}", "--mesh-size-m", "0.2", "--wall-size-m", "0.4"], R, "must not exceed mesh.size_m"),
    (["room", "{f}", "--standoff-m", "nan"], R, "--standoff-m"),
    (["room", "{f}", "--standoff-m", "0.6"], R, "standoff"),
    (["room", "{f}", "--n-grid", "1"], R, "--n-grid: must be an integer in [2, 401]"),
    (["room", "{f}", "--n-grid", "1e9"], R, "--n-grid"),
    (["room", "{f}", "--n-grid", "2.5"], R, "--n-grid"),
    (["room", "{f}", "--n-grid", "100000"], R, "--n-grid"),
    (["room", "{f}", "--order", "3"], R, "--order: invalid choice"),
    (["room", "{f}", "--bogus"], R, "unrecognized arguments: --bogus"),
    (["room"], None, "required: spec"),
    # -- room: spec files -------------------------------------------------------------------------------------------
    (["room", "{f}"], ("s.toml", ROOM.replace("lx_m = 1.0", "lx_m = true")), "room.lx_m"),
    (["room", "{f}"], ("s.toml", ROOM.replace("lx_m = 1.0", "lx_m = '1.0'")), "room.lx_m"),
    (["room", "{f}"], ("s.toml", ROOM.replace("lx_m = 1.0", "lx_m = nan")), "room.lx_m"),
    (["room", "{f}"], ("s.toml", ROOM.replace("lx_m = 1.0", "lx_m = inf")), "room.lx_m"),
    (["room", "{f}"], ("s.toml", ROOM.replace("lx_m = 1.0", "lx_m = -1.0")), "room.lx_m"),
    (["room", "{f}"], ("s.toml", ROOM.replace("lx_m = 1.0", "lx_m = [1.0]")), "room.lx_m"),
    (["room", "{f}"], ("s.toml", ROOM.replace("lx_m = 1.0", "lx = 1.0")), "room.lx_m is missing"),
    (["room", "{f}"], ("s.toml", ROOM.replace("lz_m = 1.0", "lz_m = 1.0\nlz_mm = 3")), "room.lz_mm is not"),
    (["room", "{f}"], ("s.toml", ROOM.replace("[room]", "[rom]")), "no [room] or [cavity] table"),
    (["room", "{f}"], ("s.toml", ROOM.replace("[mesh]", "[mesch]")), "[mesch] is not a room spec table"),
    (["room", "{f}"], ("s.toml", ROOM.replace("size_m = 0.5", "size_mm = 0.5")), "mesh.size_mm is not a mesh key"),
    (["room", "{f}"], ("s.toml", ROOM.replace("size_m = 0.5", "size_m = true")), "mesh.size_m"),
    (["room", "{f}"], ("s.toml", ROOM.replace("size_m = 0.5", "size_m = nan")), "mesh.size_m"),
    (["room", "{f}"], ("s.toml", ROOM.replace("size_m = 0.5", "size_m = -0.5")), "mesh.size_m"),
    (["room", "{f}"], ("s.toml", ROOM.replace("size_m = 0.5", "size_m = 1e-5")), "would need"),
    (["room", "{f}"], ("s.toml", ROOM.replace("size_m = 0.5", "size_m = 0.5\norder = 3")), "mesh.order"),
    (["room", "{f}"], ("s.toml", ROOM.replace("size_m = 0.5", "size_m = 0.5\norder = true")), "mesh.order"),
    (["room", "{f}"], ("s.toml", ROOM.replace("'box'", "'boxx'")), "room.shape must be one of"),
    (["room", "{f}"], ("s.toml", ROOM.replace("shape = 'box'\n", "")), "room.shape is missing"),
    (["room", "{f}"], ("s.toml", "room = 5\n"), "room must be a table"),
    (["room", "{f}"], ("s.toml", "mesh = [1, 2]\n[room]\nshape='box'\nlx_m=1\nly_m=1\nlz_m=1\n"), "mesh must be a table"),
    (["room", "{f}"], ("s.toml", ROOM + CAVITY), "both [room] and [cavity]"),
    (["room", "{f}"], ("s.toml", ""), "no [room] or [cavity] table"),
    (["room", "{f}"], ("s.toml", "[room\nshape = 'box'\n"), "not valid TOML"),
    (["room", "{f}"], ("s.toml", b"[room]\nshape = '\xff\xfe'\n"), "not UTF-8"),
    (["room", "{f}"], ("s.toml", "{\"room\": {\"shape\": \"box\"}}"), "not valid TOML"),
    (["room", "{f}"], C, "`room` needs a [room] spec"),
    (["room", "{f}"], ("s.toml", "[room]\nshape='cylinder'\nradius_m=0.5\nheight_m=1\naxis='w'\n"), "axis"),
    (["room", "{f}"], ("s.toml", "[room]\nshape='sphere'\nradius_m=0\n"), "radius_m"),
    (["room", "{f}"], ("s.toml", "[room]\nshape='ellipsoid'\nax_m=1\nay_m=false\naz_m=1\n"), "ay_m"),
    # -- room: a door in a cylinder's side -------------------------------------------------------------------------
    (["room", "{f}"], cyl_door("center_m = [0.0, 0.0]", "center_m = [0.0, 0.3]"), "puts the door off the side"),
    (["room", "{f}"], cyl_door("center_m = [0.0, 0.0]", "center_m = [1.7, 0.0]"), "puts the opening off the side"),
    (["room", "{f}"], cyl_door("width_m = 0.4", "width_m = 0.9"), "width_m = 0.9 m must be at most pi R / 2"),
    (["room", "{f}"], cyl_door("height_m = 0.6", "height_m = 1.19"), "height_m = 1.19 m must be below"),
    (["room", "{f}"], cyl_door("[mesh]", "[mesh]", SIDE_TUBE), "twice its radius"),
    (["room", "{f}"], cyl_door("height_m = 0.6", "height_m = 0.6\nseam_m = 0.2"), "door.seam_m must be below half"),
    (["room", "{f}"], cyl_door("center_m = [0.0, 0.0]", "center_m = [-1.4, 0.0]", SIDE_DOOR), "s wraps at +-pi R"),
    (["room", "missing.toml"], None, "spec file not found: missing.toml"),
    (["room", "."], None, "spec file not found"),
    # -- output paths -----------------------------------------------------------------------------------------------
    (["room", "{f}", "--out", "existing_file"], R, "exists and is not a folder"),
    (["room", "{f}", "--out", "existing_file/sub"], R, "is a file, not a folder"),
    (["room", "{f}", "--out", "/proc/1/amails_out"], R, "is not writable"),
    (["room", "{f}", "--out", "/sys/amails_out"], R, "is not writable"),
    (["room", "{f}", "--out", "x" * 300], R, "is too long"),
    (["room", "{f}", "--out", "deep/" + "y" * 300 + "/out"], R, "is too long"),
    (["room", "{f}", "--out", "new/sub/out", "--standoff-m", "0.6"], R, "standoff"),  # made folders removed
    (["walls", "{f}", "--out", "new/deep/out", "--points-m", "3,0,0"], W, "outside the room"),
    (["place", "{f}", "--out", "new/p"], ("one.toml", ONE_SENSOR), "at least 2 sensors"),
    (["templates", "--out", "."], None, "is a folder; it must name a file"),
    (["templates", "--out", "existing_file/t.h5"], None, "is a file, not a folder"),
    (["templates", "--out", "/sys/t.h5"], None, "is not writable"),
    (["templates", "--out", "t" * 300 + ".h5"], None, "is too long"),
    # -- run --------------------------------------------------------------------------------------------------------
    (["run", "--out", "existing_file"], None, "exists and is not a folder"),
    (["run", "--mesh-size-m", "0.2"], None, "unrecognized arguments"),
    # -- place ------------------------------------------------------------------------------------------------------
    (["place", "--freq-hz", "-10"], None, "--freq-hz: must be a finite number > 0 (Hz)"),
    (["place", "--freq-hz", "nan"], None, "--freq-hz"),
    (["place", "--freq", "inf"], None, "--freq"),
    (["place", "--freq-hz", "1e9"], None, "--freq-hz must be below"),
    (["place", "--n-random", "0"], None, "--n-random: must be an integer in [1, 100000]"),
    (["place", "--random", "0"], None, "--random: must be an integer"),
    (["place", "--n-grid", "1"], None, "--n-grid"),
    (["place", "--n-grid", "31"], None, "--n-grid"),
    (["place", "--n-sensors", "1"], None, "--n-sensors"),
    (["place", "--n-sensors", "12"], None, "--n-sensors 12 differs"),
    (["place", "--seed", "-1"], None, "--seed"),
    (["place", "--per-room", "suzhou=x"], None, "--per-room must look like"),
    (["place", "--per-room", "mars=3"], None, "--per-room rooms must be among"),
    (["place", "--per-room", "suzhou=-3,harbin=2"], None, "--per-room counts"),
    (["place", "--objective", "best"], None, "--objective: invalid choice"),
    (["place", "--mesh-size-m", "0"], None, "--mesh-size-m"),
    (["place", "{f}"], ("one.toml", ONE_SENSOR), "at least 2 sensors"),
    (["place", "{f}"], C, "network"),
    # -- templates --------------------------------------------------------------------------------------------------
    (["templates", "--t-ref-unix-s", "nan", "--out", "t.h5"], None, "--t-ref-unix-s: must be a finite number (s)"),
    (["templates", "--t-ref", "inf", "--out", "t.h5"], None, "--t-ref"),
    (["templates", "--fmin-hz", "0", "--out", "t.h5"], None, "--fmin-hz"),
    (["templates", "--fmax-hz", "-5", "--out", "t.h5"], None, "--fmax-hz"),
    (["templates", "--fmin-hz", "10", "--fmax-hz", "5", "--out", "t.h5"], None, "--fmin-hz must be below --fmax-hz"),
    (["templates", "--fmax-hz", "1e9", "--out", "t.h5"], None, "--fmax-hz must be below"),
    (["templates", "--n-freq", "0", "--out", "t.h5"], None, "--n-freq"),
    (["templates", "--n-freq", "1e12", "--out", "t.h5"], None, "--n-freq"),
    (["templates", "--nfreq", "-3", "--out", "t.h5"], None, "--nfreq"),
    (["templates"], None, "required: --out"),
    (["templates", "{f}", "--out", "t.h5"], ("n.toml", net("position_m = [0.95, 0.0, 0.0]", "position_m = [nan, 0.0, 0.0]")), "SZ01.position_m"),
    (["templates", "{f}", "--out", "t.h5"], ("n.toml", net("position_m = [0.95, 0.0, 0.0]", "position_m = [0.95, 0.0]")), "SZ01.position_m"),
    (["templates", "{f}", "--out", "t.h5"], ("n.toml", net("position_m = [0.95, 0.0, 0.0]", "position_m = [true, 0.0, 0.0]")), "SZ01.position_m"),
    (["templates", "{f}", "--out", "t.h5"], ("n.toml", net("position_m = [0.95, 0.0, 0.0]", "position_m = ['0.95', 0.0, 0.0]")), "SZ01.position_m"),
    (["templates", "{f}", "--out", "t.h5"], ("n.toml", net("axis = [0.0, 1.0, 0.0]", "axis = [0.0, 0.0, 0.0]")), "SZ01.axis"),
    (["templates", "{f}", "--out", "t.h5"], ("n.toml", net("axis = [0.0, 1.0, 0.0]", "axis = [0.0, inf, 0.0]")), "SZ01.axis"),
    (["templates", "{f}", "--out", "t.h5"], ("n.toml", net('room = "suzhou"', 'room = "mars"')), "room"),
    (["templates", "{f}", "--out", "t.h5"], ("n.toml", net("latitude_deg = 31.30", "latitude_deg = 95.0")), "latitude_deg"),
    (["templates", "{f}", "--out", "t.h5"], ("n.toml", net("latitude_deg = 31.30", "latitude = 31.30")), "latitude"),
    (["templates", "{f}", "--out", "t.h5"], ("n.toml", net("[sites.Suzhou]", "[sitez.Suzhou]")), "site"),
    (["templates", "{f}", "--out", "t.h5"], ("n.toml", net("standoff_m = 0.03 ", "standoff_m = -0.03 ")), "standoff_m"),
    (["templates", "{f}", "--out", "t.h5"], ("n.toml", net("white_noise_t_rthz = 15e-15", "white_noise_t_rthz = nan")), "white_noise_t_rthz"),
    (["templates", "{f}", "--out", "t.h5"], ("n.toml", net('id = "SZ02"', 'id = "SZ01"')), "SZ01"),
    (["templates", "{f}", "--out", "t.h5"], ("n.toml", b"name = '\xc3\x28'\n"), "not UTF-8"),
    (["templates", "{f}", "--out", "t.h5"], R, "no [sites.NAME] table"),
    # -- cavity -----------------------------------------------------------------------------------------------------
    (["cavity", "{f}", "--n-modes", "0"], C, "--n-modes"),
    (["cavity", "{f}", "--modes", "1e3"], C, "--modes"),
    (["cavity", "{f}", "--near-hz", "-1e9"], C, "--near-hz"),
    (["cavity", "{f}", "--mesh-size-m", "nan"], C, "--mesh-size-m"),
    (["cavity", "{f}", "--size-m", "-0.01"], C, "--size-m"),
    (["cavity", "{f}", "--mesh-size-m", "5"], C, "at most the cavity extent"),
    (["cavity", "{f}", "--mesh-size-m", "1e-5"], C, "would need"),
    (["cavity", "{f}", "--order", "9"], C, "--order"),
    (["cavity", "{f}", "--solver", "fem"], C, "--solver: invalid choice"),
    (["cavity", "{f}"], R, "cavity"),
    (["cavity", "{f}"], ("c.toml", CAVITY.replace("radius_m = 0.1 ", "radius_m = true ")), "radius_m"),
    (["cavity", "{f}"], ("c.toml", CAVITY.replace("radius_m = 0.1 ", "radius_m = nan ")), "radius_m"),
    (["cavity", "{f}"], ("c.toml", CAVITY.replace("height_m = 0.3", "height_m = -0.3")), "height_m"),
    (["cavity", "{f}"], ("c.toml", CAVITY.replace("height_m = 0.3", "heigth_m = 0.3")), "heigth_m"),
    (["cavity", "{f}"], ("c.toml", CAVITY.replace('"cylinder"', '"cylindre"')), "shape"),
    (["cavity", "{f}"], ("c.toml", CAVITY.replace("[cavity]", "[cavty]")), "no [cavity] table"),
    (["cavity", "{f}"], ("c.toml", CAVITY.replace("conductivity_s_m = 5.8e7", "conductivity_s_m = '5.8e7'")), "conductivity_s_m"),
    # -- tune -------------------------------------------------------------------------------------------------------
    (["tune", "{f}", "--from-m", "nan", "--to-m", "0.05"], T, "--from-m"),
    (["tune", "{f}", "--from-m", "0.07", "--to-m", "-0.05"], T, "--to-m"),
    (["tune", "{f}", "--from-m", "0.07", "--to-m", "0.05", "--n-steps", "1"], T, "--n-steps"),
    (["tune", "{f}", "--from-m", "0.07", "--to-m", "0.05", "--steps", "1e6"], T, "--steps"),
    (["tune", "{f}", "--from-m", "0.07", "--to-m", "0.05", "--rod", "7"], T, "rod"),
    (["tune", "{f}", "--from-m", "0.07", "--to-m", "0.05", "--rod", "-1"], T, "--rod"),
    (["tune", "{f}", "--from-m", "0.07", "--to-m", "0.05", "--workers", "0"], T, "--workers"),
    (["tune", "{f}", "--from-m", "0.07", "--to-m", "0.05", "--t-sys-k", "nan"], T, "--t-sys-k"),
    (["tune", "{f}", "--from-m", "0.07", "--to-m", "0.05", "--time-s", "-1"], T, "--time-s"),
    (["tune", "{f}", "--from-m", "0.07", "--to-m", "0.05", "--mesh-size-m", "inf"], T, "--mesh-size-m"),
    (["tune", "{f}", "--from-m", "0.07", "--to-m", "0.05", "--mesh-size-m", "1e-5"], T, "would need"),
    (["tune", "{f}", "--from-m", "5", "--to-m", "0.05"], T, "--from-m 5 m: cavity.rods[0].position_m"),
    (["tune", "{f}", "--from-m", "0.07", "--to-m", "0.05"], C, "rod"),
    (["tune", "{f}"], T, "required: --from-m, --to-m"),
    # -- walls ------------------------------------------------------------------------------------------------------
    (["walls", "{f}", "--polarization", "w"], W, "--polarization: invalid choice"),
    (["walls", "{f}", "--map-freqs-hz", "abc"], W, "--map-freqs-hz must be a comma-separated list"),
    (["walls", "{f}", "--map-freqs", "1,nan"], W, "--map-freqs-hz"),
    (["walls", "{f}", "--map-freqs-hz", "1e9"], W, "--map-freqs-hz must lie in"),
    (["walls", "{f}", "--points-m", "nan,0,0"], W, "--points-m"),
    (["walls", "{f}", "--points", "0.1,0"], W, "--points-m must be 'x,y,z"),
    (["walls", "{f}", "--points-m", "3,0,0"], W, "outside the room"),
    (["walls", "{f}", "--points-m", "a,b,c"], W, "--points-m"),
    (["walls", "{f}", "--points-m", ";"], W, "--points-m"),
    (["walls", "{f}", "--shell-mesh-size-m=-1"], W, "--shell-mesh-size-m"),
    (["walls", "{f}", "--shell-mesh-size", "nan"], W, "--shell-mesh-size"),
    (["walls", "{f}", "--fmin-hz", "0"], W, "--fmin-hz: must be a finite number in [0.001, 1e+07] Hz"),
    (["walls", "{f}", "--fmax-hz", "1e9"], W, "--fmax-hz"),
    (["walls", "{f}", "--fmin-hz", "10", "--fmax-hz", "5"], W, "--fmin-hz must be below --fmax-hz"),
    (["walls", "{f}", "--n-freq", "1"], W, "--n-freq"),
    (["walls", "{f}", "--mesh-size-m", "1e-4"], W, "would need"),
    (["walls", "{f}", "--wall-size-m", "0"], W, "--wall-size-m"),
    (["walls", "{f}"], R, "no [walls] table"),
    (["walls", "{f}"], C, "`walls` needs a [room] spec"),
    (["walls", "{f}"], ("w.toml", ROOM2 + WALLS.replace("thickness_m = 1.5e-3", "thickness_m = nan")), "thickness_m"),
    (["walls", "{f}"], ("w.toml", ROOM2 + WALLS.replace("thickness_m = 1.5e-3", "thickness_m = true")), "thickness_m"),
    (["walls", "{f}"], ("w.toml", ROOM2 + WALLS.replace("thickness_m = 1.5e-3", "thickness = 1.5e-3")), "thickness"),
    (["walls", "{f}"], ("w.toml", ROOM2 + WALLS.replace("'mu_metal'", "'unobtainium'")), "material"),
    (["walls", "{f}"], ("w.toml", ROOM2 + WALLS + "mu_r = -3\n"), "mu_r"),
    (["walls", "{f}"], ("w.toml", ROOM2 + WALLS + "sigma_s_m = inf\n"), "sigma_s_m"),
    (["walls", "{f}"], ("w.toml", ROOM2 + WALLS + "gap_m = 0\n"), "gap_m"),
    (["walls", "{f}"], ("w.toml", ROOM2 + "[walls]\nname = 'none'\n"), "walls.layers"),
    (["walls", "{f}"], ("w.toml", ROOM2 + "[walls]\nlayers = 3\n"), "walls.layers"),
    # -- environment ------------------------------------------------------------------------------------------------
    (["environment", "{f}", "--fmin-hz", "nan"], W, "--fmin-hz"),
    (["environment", "{f}", "--fmax", "-1"], W, "--fmax"),
    (["environment", "{f}", "--n-freq", "5000"], W, "--n-freq"),
    (["environment", "{f}", "--room", "mars"], W, "--room must be one of"),
    (["environment", "{f}", "--model", "flat"], W, "--model: invalid choice"),
    (["environment", "{f}", "--transfer", "magic"], W, "--transfer: invalid choice"),
    (["environment", "{f}", "--mesh-size-m", "-1"], W, "--mesh-size-m"),
    (["environment", "{f}", "--transfer-mesh-size-m", "0"], W, "--transfer-mesh-size-m"),
    (["environment", "{f}", "--transfer-mesh-size", "inf"], W, "--transfer-mesh-size"),
    (["environment", "{f}", "--measured-shielding", "nope.csv"], W, "measured shielding file not found"),
    (["environment", "{f}", "--network", "nope.toml"], W, "network file not found"),
    (["environment", "{f}"], R, "no [walls] table"),
    (["environment", "{f}"], C, "`environment` needs a [room] spec"),
]


@pytest.fixture
def no_meshing(monkeypatch):
    import gmsh

    def refuse(*args, **kwargs):
        raise AssertionError("gmsh was started: a hostile input reached the meshing")

    monkeypatch.setattr(gmsh, "initialize", refuse)


def listing(folder: Path) -> set:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize("argv, spec, message", CASES, ids=[f"{i:03d}-{c[0][0]}" for i, c in enumerate(CASES)])
def test_hostile_command_line(argv, spec, message, tmp_path, monkeypatch, capsys, no_meshing):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "existing_file").write_text("not a folder")
    if spec is not None:
        name, text = spec
        (tmp_path / name).write_bytes(text if isinstance(text, bytes) else text.encode())
        argv = [a.replace("{f}", name) for a in argv]
    before = listing(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line and "is deprecated; use" not in line]
    assert len(lines) == 1 and lines[0].startswith("amails-fem: error: "), err
    assert message in lines[0], lines[0]
    assert "Traceback" not in err
    assert listing(tmp_path) == before  # no out folder, no staging folder, no temporary file
    assert not list(Path("/tmp").glob(".amails-fem-probe-*"))


# -- the Python API ----------------------------------------------------------------------------------------------
def _room():
    return amails_fem.geometry.box_room(1.0, 1.0, 1.0)


API_CASES = [
    (lambda: amails_fem.solve_room(_room(), mesh_size_m=float("nan")), "mesh.size_m"),
    (lambda: amails_fem.solve_room(_room(), mesh_size_m=True), "mesh.size_m"),
    (lambda: amails_fem.solve_room(_room(), mesh_size_m="0.2"), "mesh.size_m"),
    (lambda: amails_fem.solve_room(_room(), mesh_size_m=0.3, wall_size_m=-1), "mesh.wall_size_m"),
    (lambda: amails_fem.solve_room(_room(), mesh_size_m=1e-4), "would need"),
    (lambda: amails_fem.solve_room(_room(), order=5), "order"),
    (lambda: amails_fem.solve_room("geometries/cavity_cylinder.toml"), "room"),
    (lambda: amails_fem.load_spec("nope.toml"), "not found"),
    (lambda: amails_fem.geometry.box_room(1.0, float("inf"), 1.0), "ly_m"),
    (lambda: amails_fem.geometry.box_room(1.0, False, 1.0), "ly_m"),
    (lambda: amails_fem.specs.walls.Layer(1e6, 2e4, float("nan")), "thickness_m"),
    (lambda: amails_fem.specs.walls.Layer("x", 2e4, 1e-3), "sigma_s_m"),
    (lambda: amails_fem.specs.walls.Layer(1e6, True, 1e-3), "mu_r"),
    (lambda: amails_fem.specs.walls.mu_metal().chain_matrix([float("nan")]), "freqs_hz"),
    (lambda: amails_fem.specs.walls.mu_metal().chain_matrix([1e9]), "freqs_hz"),
    (lambda: amails_fem.specs.walls.ImpedanceLength(complex(-1, 0)), "l_m"),
    (lambda: amails_fem.validate.as_points([[0, 0, float("nan")]], "points_m"), "points_m"),
    (lambda: amails_fem.validate.as_points([[0, 0]], "points_m"), "points_m"),
    (lambda: amails_fem.validate.unit_vector([0, 0, 0], "polarization"), "polarization"),
    (lambda: amails_fem.validate.unit_vector([1, 0], "polarization"), "polarization"),
    (lambda: amails_fem.validate.require_positive(np.float64("nan"), "x"), "x must be"),
    (lambda: amails_fem.validate.require_range(True, "x", 0, 1), "x must be"),
]


@pytest.mark.parametrize("call, message", API_CASES, ids=[f"api-{i:02d}" for i in range(len(API_CASES))])
def test_hostile_python_api(call, message, tmp_path, monkeypatch, no_meshing):
    monkeypatch.chdir(ROOT)
    with pytest.raises(SpecError) as err:
        call()
    assert message in str(err.value) and "\n" not in str(err.value)


def test_catalogue_size():
    assert len(CASES) + len(API_CASES) >= 100
