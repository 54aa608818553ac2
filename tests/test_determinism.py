"""Two identical coarse room runs give identical outputs: every number, array and figure byte for byte; only the
provenance (time, command line, folder) and the stage timings differ. pyamg's random draws are seeded and the
meshes are cached by content hash; the second run re-meshes (--no-cache) to check gmsh too."""

import json

import numpy as np

from amails_fem.cli import main
from amails_fem.io.vtu import read_vtu

SPEC = "[room]\nshape = 'box'\nlx_m = 2\nly_m = 1.5\nlz_m = 1\n[mesh]\nsize_m = 0.4\nwall_size_m = 0.2\n"


def test_identical_room_runs_give_identical_files(tmp_path):
    spec = tmp_path / "room.toml"
    spec.write_text(SPEC)
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        assert main(["room", str(spec), "--out", str(out), "--n-grid", "7", "--no-cache", "--quiet"]) == 0
    a, b = outs
    assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())
    sa, sb = (json.loads((o / "summary.json").read_text()) for o in outs)
    for s in (sa, sb):
        assert s.pop("provenance")["created_utc"] and s.pop("seconds")
    assert sa == sb  # every reported number, to the last bit
    for name in ("walls_net.png", "walls_3d.png"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for name in ("field.vtu", "walls.vtu"):
        ga, gb = read_vtu(a / name), read_vtu(b / name)
        assert np.array_equal(ga.points, gb.points)
        assert np.array_equal(ga.cells, gb.cells) and np.array_equal(ga.celltypes, gb.celltypes)
        assert set(ga.point_data) == set(gb.point_data) and len(ga.point_data)
        for key in ga.point_data:
            assert np.array_equal(ga.point_data[key], gb.point_data[key]), (name, key)
        assert set(ga.field_data) == set(gb.field_data)
        for key in ga.field_data:
            if not key.startswith("provenance"):
                assert np.array_equal(ga.field_data[key], gb.field_data[key]), (name, key)
