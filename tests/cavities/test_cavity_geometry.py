"""Cavity specs: constructors, TOML parsing, validation errors naming the field, curved meshes."""

import math

import numpy as np
import pytest

from amails_fem.errors import SpecError
from amails_fem.meshing.cavities import cross_section_mesh, volume_mesh
from amails_fem.specs.cavities import (
    Rod,
    cylinder_cavity,
    half_cylinder_cavity,
    load_cavity_spec,
    parse_cavity,
    rectangular_cavity,
)


def test_constructors_and_volumes():
    c = cylinder_cavity(0.1, 0.3, rods=[Rod(0.02, 0.05, 90.0)])
    assert c.z_invariant
    assert c.volume_m3 == pytest.approx((math.pi * 0.01 - math.pi * 4e-4) * 0.3)
    assert c.rods[0].center_m == pytest.approx((0.0, 0.05), abs=1e-15)
    assert rectangular_cavity(0.2, 0.1, 0.3).volume_m3 == pytest.approx(0.006)
    assert half_cylinder_cavity(0.1, 0.3).volume_m3 == pytest.approx(math.pi * 0.01 * 0.3 / 2)
    gapped = cylinder_cavity(0.1, 0.3, rods=[Rod(0.02, 0.05, 0.0, gap_m=0.05)])
    assert not gapped.z_invariant
    assert gapped.volume_m3 == pytest.approx(c.volume_m3 + math.pi * 4e-4 * 0.05)
    assert c.with_rod(0, position_m=0.03).rods[0].position_m == 0.03


@pytest.mark.parametrize("make, field", [
    (lambda: cylinder_cavity(0.0, 0.3), "cavity.radius_m"),
    (lambda: cylinder_cavity(0.1, -1), "cavity.height_m"),
    (lambda: rectangular_cavity(0.2, 0.0, 0.3), "cavity.b_m"),
    (lambda: half_cylinder_cavity(0.1, float("nan")), "cavity.height_m"),
    (lambda: cylinder_cavity(0.1, 0.3, rods=[Rod(0.03, 0.08)]), "cavity.rods[0].radius_m must be at most"),
    (lambda: cylinder_cavity(0.1, 0.3, rods=[Rod(0.01, 0.12)]), "cavity.rods[0].position_m"),
    (lambda: cylinder_cavity(0.1, 0.3, rods=[Rod(0.0, 0.05)]), "cavity.rods[0].radius_m"),
    (lambda: cylinder_cavity(0.1, 0.3, rods=[Rod(0.02, 0.05, 0), Rod(0.02, 0.05, 30)]),
     "cavity.rods[1] overlaps cavity.rods[0]"),
    (lambda: cylinder_cavity(0.1, 0.3, rods=[Rod(0.02, 0.05, 0, gap_m=0.5)]), "cavity.rods[0].gap_m"),
])
def test_bad_geometry_names_the_field(make, field):
    with pytest.raises(SpecError, match=field.replace("[", r"\[").replace("]", r"\]")):
        make()


def test_parse_cavity_table_errors():
    ok = {"cavity": {"shape": "cylinder", "radius_m": 0.1, "height_m": 0.3,
                     "rods": [{"radius_m": 0.01, "position_m": 0.05}, {"radius_m": 0.01, "position_m": 0.05,
                                                                       "angle_deg": 180}]}}
    spec = parse_cavity(ok, "x.toml")
    assert len(spec.rods) == 2 and spec.rods[1].angle_deg == 180
    bad_rod = {"shape": "cylinder", "radius_m": 0.1, "height_m": 0.3,
               "rods": [{"radius_m": 0.01, "position_m": 0.05}, {"radius_m": 0.2, "position_m": 0.05}]}
    with pytest.raises(SpecError, match=r"x.toml: cavity.rods\[1\].radius_m must be at most"):
        parse_cavity(bad_rod, "x.toml")
    with pytest.raises(SpecError, match="cavity.shape must be one of"):
        parse_cavity({"shape": "sphere"}, "x.toml")
    with pytest.raises(SpecError, match="cavity.height_m is required"):
        parse_cavity({"shape": "cylinder", "radius_m": 0.1}, "x.toml")
    with pytest.raises(SpecError, match="unknown key cavity.radius"):
        parse_cavity({"shape": "cylinder", "radius": 0.1, "height_m": 0.3}, "x.toml")
    with pytest.raises(SpecError, match=r"cavity.rods\[0\].position_m is required"):
        parse_cavity({"shape": "cylinder", "radius_m": 0.1, "height_m": 0.3, "rods": [{"radius_m": 0.01}]})
    with pytest.raises(SpecError, match="cavity.a_m must be a number"):
        parse_cavity({"shape": "rectangular", "a_m": "wide", "b_m": 0.1, "d_m": 0.3})


def test_shipped_specs_load(tmp_path):
    from pathlib import Path

    specs = sorted(Path(__file__).resolve().parents[2].glob("geometries/cavity_*.toml"))
    assert len(specs) >= 4
    shapes = {load_cavity_spec(p).shape for p in specs}
    assert shapes == {"cylinder", "rectangular", "half_cylinder"}
    admx = load_cavity_spec(Path(specs[0]).parent / "cavity_admx_like.toml")
    assert len(admx.rods) == 2
    with pytest.raises(SpecError, match="spec file not found"):
        load_cavity_spec(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[cavity]\nshape = 'cylinder'\nradius_m = 0.1\nheight_m = 0\n")
    with pytest.raises(SpecError, match="cavity.height_m"):
        load_cavity_spec(bad)


def test_curved_meshes_reproduce_area_and_volume():
    """Order-2 (curved) meshes integrate area/volume to ~1e-5; straight ones are O(h^2) worse."""
    from skfem import Basis, ElementTetP1, ElementTetP2, ElementTriP1, ElementTriP2, Functional

    one = Functional(lambda w: 1.0 + 0 * w.x[0])
    spec = cylinder_cavity(0.1, 0.3, rods=[Rod(0.02, 0.05, 0.0)])
    a2 = one.assemble(Basis(cross_section_mesh(spec, 0.02), ElementTriP2()))
    a1 = one.assemble(Basis(cross_section_mesh(spec, 0.02, order=1), ElementTriP1()))
    assert abs(a2 / spec.area_m2 - 1) < 3e-5 < 3e-4 < abs(a1 / spec.area_m2 - 1)
    m3 = volume_mesh(half_cylinder_cavity(0.1, 0.3), 0.05)
    v2 = one.assemble(Basis(m3, ElementTetP2(), intorder=4))
    assert v2 == pytest.approx(half_cylinder_cavity(0.1, 0.3).volume_m3, rel=1e-4)
    b = Basis(m3, ElementTetP2(), intorder=4)
    assert np.all(b.mapping.detDF(b.X) > 0), "curved elements must not fold"
    v1 = one.assemble(Basis(volume_mesh(half_cylinder_cavity(0.1, 0.3), 0.05, order=1), ElementTetP1()))
    assert abs(v1 / half_cylinder_cavity(0.1, 0.3).volume_m3 - 1) > 1e-3
