"""Published dark-photon limits shipped as package data (amails_fem/data/limits, docs/limits.md).

The curves are byte-for-byte copies of two-column text files (mass in eV, kinetic mixing or g_agg in GeV^-1) of
C. A. J. O'Hare's collection "AxionLimits" (github.com/cajohare/AxionLimits, doi:10.5281/zenodo.3932430, MIT
licence, LICENSE_AxionLimits.txt beside the files). sources.json records for each file its path and commit in the
collection and the paper it comes from. Masses convert to Compton frequencies exactly, f = m c^2 / h
(amails_fem.units.ev_to_hz).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

import numpy as np

from amails_fem.errors import SpecError
from amails_fem.units import ev_to_hz

KINDS = ("exclusion", "projection", "theory")
QUANTITIES = {"kinetic_mixing": "1", "g_agamma": "GeV^-1"}


def _data_dir():
    return resources.files("amails_fem") / "data" / "limits"


@functools.lru_cache(maxsize=1)
def manifest() -> dict:
    """The parsed sources.json: {"collection": {...}, "limits": [{key, file, source_path, source_commit, ...}]}."""
    return json.loads((_data_dir() / "sources.json").read_text(encoding="utf-8"))


def available(category: str | None = None) -> list[str]:
    """Keys of the shipped limits (optionally of one category: magnetometer, heating, cosmology, ...)."""
    return [e["key"] for e in manifest()["limits"] if category is None or e["category"] == category]


def entry(key: str) -> dict:
    """The manifest entry of ``key``; SpecError listing the keys when it is unknown."""
    for e in manifest()["limits"]:
        if e["key"] == key:
            return e
    raise SpecError(f"published limit must be one of {', '.join(available())}; got {key!r}")


@dataclass(frozen=True)
class PublishedLimit:
    """One published curve: ``mass_ev`` (eV) and ``value`` (kinetic mixing, units "1", or g_agg in GeV^-1)."""

    key: str
    label: str
    kind: str
    category: str
    quantity: str
    units: str
    mass_ev: np.ndarray
    value: np.ndarray
    paper: dict
    source_path: str
    source_commit: str
    notes: str

    @property
    def freq_hz(self) -> np.ndarray:
        """Compton frequencies f = m c^2 / h (Hz) of the curve's masses."""
        return ev_to_hz(self.mass_ev)

    @property
    def citation(self) -> str:
        """Short citation, e.g. "Jiang et al. 2024, arXiv:2305.00890"."""
        authors = self.paper["authors"]
        first = authors.split(",")[0].split(";")[0].split("(")[0].replace(" et al.", "").strip()
        names = [a.strip() for a in authors.split(",")]
        surname = first.split()[-1] if first else "?"
        if len(names) == 2 and ";" not in authors and " et al" not in authors:
            who = f"{surname} & {names[1].split()[-1]}"
        elif "," in authors or ";" in authors or " et al" in authors:
            who = f"{surname} et al."
        else:
            who = surname
        return f"{who} {self.paper['year']}, arXiv:{self.paper['arxiv']}"

    def eps_at(self, mass_ev) -> np.ndarray:
        """The limit interpolated log-log at ``mass_ev``; kinetic mixing only.

        NaN outside the curve's masses and where it is >= 1 (no constraint); the rows that close a region
        vertically (a repeated mass with value >= 1) are left out.
        """
        if self.quantity != "kinetic_mixing":
            raise SpecError(f"{self.key} is a {self.quantity} limit ({self.units}); convert it to kinetic mixing first")
        m, v = self.mass_ev, self.value
        same = m[1:] == m[:-1]
        repeated = np.zeros(m.size, bool)
        repeated[:-1] |= same
        repeated[1:] |= same
        keep = ~(repeated & (v >= 1.0))
        m, v = m[keep], v[keep]
        x = np.log(np.asarray(mass_ev, dtype=float))
        out = np.exp(np.interp(x, np.log(m), np.log(v), left=np.nan, right=np.nan))
        return np.where(out >= 1.0, np.nan, out)


def read_two_columns(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse a collection file: '#' comments, tab, space or comma separated (mass, value) rows."""
    rows = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].replace(",", " ").strip()
        if line:
            parts = line.split()
            if len(parts) != 2:
                raise SpecError(f"limit file row must have 2 columns (mass eV, value); got {line!r}")
            rows.append((float(parts[0]), float(parts[1])))
    a = np.array(rows, dtype=float)
    return a[:, 0], a[:, 1]


@functools.cache
def load(key: str) -> PublishedLimit:
    """Load the shipped limit ``key`` (see ``available()``)."""
    e = entry(key)
    mass, value = read_two_columns((_data_dir() / e["file"]).read_text(encoding="utf-8"))
    mass.setflags(write=False)
    value.setflags(write=False)
    return PublishedLimit(key=e["key"], label=e["label"], kind=e["kind"], category=e["category"],
                          quantity=e["quantity"], units=QUANTITIES[e["quantity"]], mass_ev=mass, value=value,
                          paper=e["paper"], source_path=e["source_path"], source_commit=e["source_commit"],
                          notes=e.get("notes", ""))


def parse_keys(text: str) -> list[str]:
    """A comma-separated list of keys ("amails,snipe"), each checked; "none" or "" gives []."""
    keys = [k.strip() for k in str(text).split(",") if k.strip()]
    if keys == ["none"]:
        return []
    for k in keys:
        entry(k)
    return keys


def overlapping(mass_range_ev, quantity: str = "kinetic_mixing") -> list[str]:
    """Keys of the kinetic-mixing limits whose masses overlap [m_lo, m_hi] (eV), in manifest order."""
    lo, hi = (float(x) for x in mass_range_ev)
    out = []
    for k in available():
        lim = load(k)
        if lim.quantity == quantity and lim.mass_ev.min() < hi and lim.mass_ev.max() > lo:
            out.append(k)
    return out
