"""The CLI convention in one place: the parser class, the help layout, checked flag types, deprecated spellings.

- Every dimensional flag carries its unit (--freq-hz, --mesh-size-m); counts are --n-* (--n-freq, --n-grid).
- A flag's value is checked when it is parsed (finite, in range): a bad value is one line naming the flag and the
  allowed range, exit code 2, before any meshing or solving.
- Old spellings stay as hidden aliases; using one prints one deprecation line on stderr.
- Folder commands write into --out (default "<command>_out"); one-file commands need --out FILE.
"""

from __future__ import annotations

import argparse
import math
import re
import sys

from amails_fem.errors import SpecError


class CliParser(argparse.ArgumentParser):
    """argparse with one-line errors: a usage mistake becomes SpecError, printed by main as one line, exit 2.
    A value that starts with a minus and a digit ("-0.9,0,0", "-1e-3") is a value, not a flag: argparse's own test
    knows only plain negative numbers, so vectors like --points-m -0.9,0,0 would be refused."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\.?\d")

    def error(self, message):
        raise SpecError(f"{self.prog.split()[-1]}: {message}")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults shown after each flag's help; description and epilog kept as written. A flag whose default is
    None (an automatic value) or a switch says its default in its own help."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def add_command(sub, name: str, *, help: str, description: str, example: str) -> CliParser:
    """A sub-command parser with a one-line help, a description, an example epilog and defaults shown."""
    return sub.add_parser(name, help=help, description=description, epilog=f"example:\n  {example}",
                          formatter_class=HelpFormatter)


class _Deprecated(argparse.Action):
    """A hidden old spelling: stores into the new flag's dest and prints one deprecation line on stderr."""

    def __init__(self, option_strings, dest, new: str = "", **kwargs):
        super().__init__(option_strings, dest, **kwargs)
        self.new = new

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"amails-fem: warning: {option_string} is deprecated; use {self.new}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def flag(p, name: str, *old: str, **kwargs) -> None:
    """Add ``name`` and, hidden, its deprecated spellings ``old`` (same type and destination)."""
    action = p.add_argument(name, **kwargs)
    for spelling in old:
        p.add_argument(spelling, dest=action.dest, type=kwargs.get("type"), choices=kwargs.get("choices"),
                       action=_Deprecated, new=name, default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def _checked(kind: str, check, describe: str):
    def convert(text):
        if isinstance(text, str) and not text.strip():
            raise argparse.ArgumentTypeError(f"must be {describe}; got {text!r}")
        try:
            value = int(text) if kind == "int" else float(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"must be {describe}; got {text!r}") from None
        if not (math.isfinite(value) and check(value)):
            raise argparse.ArgumentTypeError(f"must be {describe}; got {text!r}")
        return value

    convert.__name__ = kind
    return convert


def positive(unit: str):
    """Flag type: a finite number > 0 in ``unit``."""
    return _checked("float", lambda x: x > 0, f"a finite number > 0 ({unit})")


def nonnegative(unit: str):
    """Flag type: a finite number >= 0 in ``unit``."""
    return _checked("float", lambda x: x >= 0, f"a finite number >= 0 ({unit})")


def finite(unit: str):
    """Flag type: any finite number in ``unit``."""
    return _checked("float", lambda x: True, f"a finite number ({unit})")


def in_range(lo: float, hi: float, unit: str):
    """Flag type: a finite number in [lo, hi] ``unit``."""
    return _checked("float", lambda x: lo <= x <= hi, f"a finite number in [{lo:g}, {hi:g}] {unit}")


def count(lo: int, hi: int):
    """Flag type: an integer in [lo, hi]."""
    return _checked("int", lambda x: lo <= x <= hi, f"an integer in [{lo}, {hi}]")


def quiet(p) -> None:
    p.add_argument("--quiet", action="store_true", help="no progress output on stderr")


def require_less(lo: float, hi: float, lo_flag: str, hi_flag: str, unit: str) -> None:
    """One line if lo >= hi (e.g. --fmin-hz must be below --fmax-hz)."""
    if not lo < hi:
        raise SpecError(f"{lo_flag} must be below {hi_flag}; got {lo:g} {unit} >= {hi:g} {unit}")


def float_list(text: str, field: str, unit: str) -> list[float]:
    """'a,b,c' as finite floats; one line naming the flag otherwise."""
    try:
        values = [float(v) for v in str(text).split(",")]
    except ValueError:
        raise SpecError(f"{field} must be a comma-separated list of finite numbers ({unit}); got {text!r}") from None
    if not values or not all(math.isfinite(v) for v in values):
        raise SpecError(f"{field} must be a comma-separated list of finite numbers ({unit}); got {text!r}")
    return values
