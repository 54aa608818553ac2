"""The shipped published limits: manifest complete, files intact, mass ranges as the papers state, f = m c^2 / h."""

import json
from pathlib import Path

import numpy as np
import pytest

from amails_fem.analysis import published_limits as pl
from amails_fem.errors import SpecError
from amails_fem.units import E_CHARGE_C, H_J_S

DATA = Path(pl.__file__).resolve().parents[1] / "data" / "limits"


def test_manifest_lists_every_file_with_source_commit_paper_and_kind():
    man = json.loads((DATA / "sources.json").read_text())
    assert man["collection"]["doi"] == "10.5281/zenodo.3932430"
    assert (DATA / man["collection"]["license_file"]).read_text().startswith("MIT License")
    shipped = {p.name for p in DATA.glob("*.txt")} - {"LICENSE_AxionLimits.txt"}
    assert {e["file"] for e in man["limits"]} == shipped
    for e in man["limits"]:
        assert len(e["source_commit"]) == 40 and int(e["source_commit"], 16) >= 0
        assert e["source_path"].startswith("limit_data/")
        assert e["kind"] in pl.KINDS
        assert e["paper"]["arxiv"] and e["paper"]["year"] and e["paper"]["authors"]
    assert {"amails", "snipe", "supermag", "supermag-2024", "cobe-firas", "leo-t"} <= set(pl.available())


def test_amails_copy_is_the_whole_grid_from_1_to_500_hz():
    """The AMAILS file (Jiang et al. 2024) is on a grid of 4.135e-16 eV (0.1 Hz with h = 4.135e-15 eV s) from
    4.135e-15 to 2.0675e-12 eV: every row present, none repeated, so the copy lost no line. With the exact
    f = m c^2/h its frequencies are 0.99984 x (1 ... 500) Hz (CODATA h = 4.1357e-15 eV s)."""
    lim = pl.load("amails")
    inner = lim.mass_ev[1:-2]                      # first row and last two close the region at eps = 1
    k = (inner - 4.135e-15) / 4.135e-16            # masses printed to 7 digits: k within 0.0025 of an integer
    assert np.all(np.abs(k - np.round(k)) < 0.01) and np.all(np.diff(np.round(k)) == 1)
    assert inner.size == 4991
    f = lim.freq_hz[1:-2]
    assert f[0] == pytest.approx(4.135e-15 / 4.135667696e-15, rel=1e-8)
    assert f[-1] == pytest.approx(500 * 4.135e-15 / 4.135667696e-15, rel=1e-6)
    assert np.all(lim.value[1:-2] < 0.02) and lim.value[0] == 1.0 and lim.value[-1] == 1.0


@pytest.mark.parametrize("key,lo,hi,rel", [
    ("supermag", 2e-18, 7e-17, 0.3),        # Fedderke et al. 2021 abstract: 2e-18 eV <~ m <~ 7e-17 eV
    ("supermag-2024", 4e-18, 4e-15, 0.1),   # Friel et al. 2024 abstract: 4e-18 eV <= m <= 4e-15 eV
])
def test_mass_ranges_match_the_ranges_the_papers_state(key, lo, hi, rel):
    """The papers round their ranges to one digit: tolerance 30 % (the '~' ranges) and 10 %."""
    lim = pl.load(key)
    assert lim.mass_ev.min() == pytest.approx(lo, rel=rel)
    assert lim.mass_ev.max() == pytest.approx(hi, rel=rel)


def test_snipe_starts_at_0p5_hz():
    """Friel et al. 2024 (abstract): SNIPE Hunt searched f >= 0.5 Hz (m >= 2e-15 eV); the curve starts at 0.503 Hz
    (2.08e-15 eV) and ends at 5.0 Hz (tolerances 2 % and 5 %: the abstract rounds to one digit)."""
    lim = pl.load("snipe")
    assert lim.freq_hz.min() == pytest.approx(0.5, rel=0.02) and lim.mass_ev.min() == pytest.approx(2e-15, rel=0.05)
    assert lim.freq_hz.max() == pytest.approx(5.0, rel=0.01)


def test_frequency_is_m_c2_over_h_exactly():
    lim = pl.load("leo-t")
    np.testing.assert_allclose(lim.freq_hz, lim.mass_ev * E_CHARGE_C / H_J_S, rtol=1e-15)
    assert lim.units == "1" and pl.load("admx-axion").units == "GeV^-1"


def test_comma_separated_file_and_interpolation():
    """COBE/FIRAS is comma separated; eps_at interpolates log-log and is NaN where no limit exists (eps >= 1)."""
    lim = pl.load("cobe-firas")
    assert lim.mass_ev.size == 857
    assert np.isnan(lim.eps_at(1e-16))        # 2.0 there: unconstrained
    i = 500
    assert lim.eps_at(lim.mass_ev[i]) == pytest.approx(lim.value[i], rel=1e-12)
    a = pl.load("amails")
    assert np.isnan(a.eps_at([1e-16, 1e-11])).all()


def test_citation_and_unknown_key():
    assert pl.load("amails").citation == "Jiang et al. 2024, arXiv:2305.00890"
    with pytest.raises(SpecError, match="published limit must be one of"):
        pl.load("nope")
    assert pl.parse_keys("amails, snipe") == ["amails", "snipe"]
    assert pl.parse_keys("none") == []


def test_overlapping_selects_the_low_mass_limits():
    keys = pl.overlapping((1e-15, 1e-12))
    assert "amails" in keys and "snipe" in keys and "admx-dp" not in keys and "admx-axion" not in keys


def test_wheel_package_data_globs_cover_every_limit_file():
    """pyproject's package-data patterns must match every file of data/limits, or a wheel install lacks them."""
    import fnmatch
    import tomllib

    root = DATA.parents[2]
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["amails_fem"]
    for p in DATA.iterdir():
        rel = p.relative_to(root / "amails_fem").as_posix()
        assert any(fnmatch.fnmatch(rel, pat) and rel.count("/") == pat.count("/") for pat in patterns), rel
