"""Two identical coarse room runs give identical outputs: every number, array and figure byte for byte; only the
provenance (time, command line, folder) and the stage timings differ. pyamg's random draws are seeded and the
meshes are cached by content hash; the second run re-meshes (--no-cache) to check gmsh too."""

import json

import meshio
import numpy as np

from amails_fem.cli import main

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
        ma, mb = meshio.read(a / name), meshio.read(b / name)
        assert np.array_equal(ma.points, mb.points)
        assert all(np.array_equal(ca.data, cb.data) for ca, cb in zip(ma.cells, mb.cells))
        assert set(ma.point_data) == set(mb.point_data) and ma.point_data
        for key in ma.point_data:
            assert np.array_equal(ma.point_data[key], mb.point_data[key]), (name, key)
        assert set(ma.field_data) == set(mb.field_data)
        for key in ma.field_data:
            if not key.startswith("provenance"):
                assert np.array_equal(ma.field_data[key], mb.field_data[key]), (name, key)
