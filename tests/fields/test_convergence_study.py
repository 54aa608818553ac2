"""`amails-fem room --refine`: the mesh-refinement study against the exact ellipsoid field.

In a perfectly conducting ellipsoid the potential is psi = kappa x y (J along z, and its cyclic forms), so the true
error of every level is known. P2 on curved 10-node geometry converges as h^2 in the field (the gradient of the
potential): the Richardson-observed order from three levels (h = 0.4, 0.2, 0.1 m) is asserted within 0.4 of 2 (the
meshes are unstructured and not nested, so the ratio of successive differences scatters; measured 2.16), and the
Richardson error estimate of the finest level within a factor 2 of the true error (measured 2.96e-4 against
true 2.05e-4).
"""

import json

import numpy as np
import pytest

from amails_fem.cli import main
from amails_fem.fields.convergence import refine_room
from amails_fem.geometry import ellipsoid_room
from amails_fem.plotting.convergence import plot_convergence
from amails_fem.testing.analytic import ellipsoid_response

AXES = (1.0, 0.7, 0.5)


def test_observed_order_and_error_estimate_match_the_exact_ellipsoid():
    spec = ellipsoid_room(*AXES)
    block, finest, wall_map = refine_room(spec, 3, 2.0, order=2, mesh_size_m=0.4, grid=13)
    assert block["mesh_size_m"] == [0.4, 0.2, 0.1] and block["dofs"][0] < block["dofs"][1] < block["dofs"][2]
    patch = wall_map.patches[0]
    pts, w = patch.points_m.reshape(-1, 3), patch.area_m2.ravel()
    b = finest.response_matrix(pts)
    exact = ellipsoid_response(pts, AXES)
    err2, ref2 = np.sum((b - exact) ** 2, axis=1), np.sum(exact**2, axis=1)  # (points, polarization)
    true = np.sqrt((err2 * w[:, None]).sum() / (ref2 * w[:, None]).sum())
    est = block["error_estimate_rms_finest"]
    print(f"observed order {block['observed_orders']}, estimate {est:.3g}, true {true:.3g}")
    assert abs(block["observed_orders"][0] - 2.0) < 0.4
    assert true / 2 < est < 2 * true
    peak = block["max_tangential_mu0JL"]["z"]
    assert len(peak["levels"]) == 3 and np.isfinite(peak["extrapolated"])
    fig = plot_convergence(block)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[-1] == "slope h^2 (expected for P2)" and labels[2].startswith("Richardson error estimate")
    assert "observed order 2." in fig.axes[0].get_title()


def test_room_refine_writes_the_convergence_block(tmp_path):
    spec = tmp_path / "sphere.toml"
    spec.write_text("[room]\nshape = 'sphere'\nradius_m = 1.0\n[mesh]\nsize_m = 0.6\norder = 1\n")
    out = tmp_path / "r"
    assert main(["room", str(spec), "--refine", "2", "--refine-ratio", "1.5", "--out", str(out), "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    conv = summary["convergence"]
    assert conv["levels"] == 2 and conv["ratio"] == 1.5 and conv["mesh_size_m"] == pytest.approx([0.6, 0.4])
    assert conv["order_source"].startswith("assumed") and conv["order_used"] == 1.0
    assert summary["mesh"]["mesh_size_m"] == pytest.approx(0.4)  # the outputs come from the finest level
    assert (out / "convergence.png").stat().st_size > 10_000


@pytest.mark.parametrize("argv, message", [(["--refine", "5"], "--refine: must be an integer in [2, 4]"),
                                           (["--refine", "3", "--refine-ratio", "1"], "--refine-ratio must be")])
def test_room_refine_bad_input(argv, message, tmp_path, capsys):
    spec = tmp_path / "sphere.toml"
    spec.write_text("[room]\nshape = 'sphere'\nradius_m = 1.0\n")
    assert main(["room", str(spec), *argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err and "meshing" not in err
