"""The CLI convention (amails_fem/cli/options.py): units in flag names, help, example and defaults for every
sub-command, old spellings as deprecated aliases, and every documented command line parses as written."""

import argparse
import re
from pathlib import Path

import pytest

from amails_fem.cli import FOLDER_COMMANDS, build_parser, main
from amails_fem.errors import SpecError

ROOT = Path(__file__).parents[2]
COMMANDS = ("room", "run", "place", "templates", "cavity", "tune", "walls", "environment")
UNITS = ("-m", "-hz", "-s", "-k", "-unix-s")
DIMENSIONAL = re.compile(r"size|standoff|freq|fmin|fmax|from|to-|time|t-ref|t-sys|radius|duration|points")

# old spelling -> new spelling, per command (the deprecated aliases that must keep working)
RENAMED = {
    "room": {"--mesh-size": "--mesh-size-m", "--wall-size": "--wall-size-m", "--standoff": "--standoff-m",
             "--grid": "--n-grid"},
    "place": {"--mesh-size": "--mesh-size-m", "--freq": "--freq-hz", "--grid": "--n-grid", "--n": "--n-sensors",
              "--random": "--n-random"},
    "templates": {"--mesh-size": "--mesh-size-m", "--fmin": "--fmin-hz", "--fmax": "--fmax-hz",
                  "--nfreq": "--n-freq", "--t-ref": "--t-ref-unix-s"},
    "cavity": {"--size-m": "--mesh-size-m", "--modes": "--n-modes"},
    "tune": {"--size-m": "--mesh-size-m", "--modes": "--n-modes", "--steps": "--n-steps"},
    "walls": {"--fmin": "--fmin-hz", "--fmax": "--fmax-hz", "--mesh-size": "--mesh-size-m",
              "--wall-size": "--wall-size-m", "--shell-mesh-size": "--shell-mesh-size-m", "--points": "--points-m",
              "--map-freqs": "--map-freqs-hz"},
    "environment": {"--fmin": "--fmin-hz", "--fmax": "--fmax-hz", "--mesh-size": "--mesh-size-m",
                    "--transfer-mesh-size": "--transfer-mesh-size-m"},
}
VALUES = {"--points": "0.5,0,0", "--map-freqs": "2,3", "--n": "15", "--grid": "5", "--random": "7",
          "--nfreq": "9", "--modes": "3", "--steps": "4"}


def subparsers():
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_example_and_defaults(name, capsys):
    p = subparsers()[name]
    assert p.description and "example:\n  amails-fem " + name in p.epilog
    help_text = p.format_help()
    for action in p._actions:
        if action.help == argparse.SUPPRESS or not action.option_strings or action.dest == "help":
            continue
        assert action.help, action.option_strings
        if action.default not in (None, False):
            assert "(default: " in help_text
    flags = [s for a in p._actions if a.help != argparse.SUPPRESS for s in a.option_strings]
    for f in flags:  # every dimensional flag carries its unit
        if DIMENSIONAL.search(f) and not f.startswith("--n-") and f not in ("--transfer", "--measured-shielding"):
            assert f.endswith(UNITS), f
    out = next((a for a in p._actions if a.dest == "out"), None)
    if name in FOLDER_COMMANDS:
        assert out.default == ("amails_out" if name == "run" else f"{name}_out")
    else:
        assert out.required


@pytest.mark.parametrize("name, old, new", [(c, o, n) for c, m in RENAMED.items() for o, n in m.items()])
def test_old_spellings_are_deprecated_aliases(name, old, new, capsys):
    p = subparsers()[name]
    required = {"tune": ["--from-m", "0.07", "--to-m", "0.05"], "templates": ["--out", "t.h5"]}.get(name, [])
    spec = {"room": ["s.toml"], "cavity": ["s.toml"], "tune": ["s.toml"], "walls": ["s.toml"],
            "environment": ["s.toml"]}.get(name, [])
    value = VALUES.get(old, "0.3")
    args_old = p.parse_args(spec + required + [old, value])
    err = capsys.readouterr().err
    assert err.strip() == f"amails-fem: warning: {old} is deprecated; use {new}"
    args_new = p.parse_args(spec + required + [new, value])
    assert capsys.readouterr().err == ""
    assert vars(args_old) == vars(args_new)
    assert not re.search(re.escape(old) + r"[\s,\]]", p.format_help())  # hidden


def documented_command_lines():
    lines = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "geometries").glob("*.toml"))]:
        text = path.read_text().replace("\\\n", " ")
        for m in re.finditer(r"amails-fem ((?:room|run|place|templates|cavity|tune|walls|environment)\b[^`|#\n]*)", text):
            line = m.group(1).strip()
            needs_spec = line.split()[0] not in ("run", "place", "templates")
            if " / " not in line and (not needs_spec or len(line.split()) > 1 and not line.split()[1].startswith("-")):
                lines.append((path.name, line))
    for name, p in subparsers().items():
        if name in COMMANDS:
            lines.append((f"epilog of {name}", p.epilog.split("amails-fem ", 1)[1].strip()))
    return lines


@pytest.mark.parametrize("where, line", documented_command_lines())
def test_documented_command_lines_parse_without_deprecation(where, line, capsys):
    argv = line.replace(" A ", " 0.07 ").replace(" B ", " 0.02 ").replace(" N ", " 5 ").split()
    if argv[0] == "tune" and "--from-m" not in argv:
        argv += ["--from-m", "0.07", "--to-m", "0.02"]
    build_parser().parse_args(argv)
    assert "deprecated" not in capsys.readouterr().err, (where, line)


def test_usage_errors_are_one_line(capsys):
    assert main(["room"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the following arguments are required: spec" in err
    assert main(["room", "x.toml", "--bogus"]) == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err
    with pytest.raises(SpecError, match="invalid choice"):
        build_parser().parse_args(["nosuch"])


def test_quasi_static_warning_before_any_solve(monkeypatch, tmp_path, capsys):
    """Above 2 pi f L / c = 0.01 templates and place warn (one line) before the room solves; above 1 the
    quasi-static solver does not apply and the frequency is refused (2 m rooms: 24 MHz)."""
    import gmsh

    monkeypatch.setattr(gmsh, "initialize", lambda *a, **k: pytest.fail("meshed"))
    monkeypatch.setenv("AMAILS_FEM_MEMORY_GB", "0.01")  # stops the run at the memory guard, after the check
    with pytest.warns(RuntimeWarning, match="outside the quasi-static regime"):
        assert main(["templates", "--fmax-hz", "1e6", "--out", str(tmp_path / "t.h5"), "--quiet"]) == 2
    assert "would need" in capsys.readouterr().err
    with pytest.warns(RuntimeWarning, match="outside the quasi-static regime"):
        assert main(["place", "--freq-hz", "2e6", "--out", str(tmp_path / "p"), "--quiet"]) == 2
    assert main(["place", "--freq-hz", "1e9", "--out", str(tmp_path / "p"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--freq-hz must be below 2.39e+07 Hz" in err and "2 pi f L / c <= 1" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, dest, value", [
    (["walls", "spec.toml", "--points-m", "-0.9,0,0"], "points_m", "-0.9,0,0"),
    (["simulate", "--duration-s", "1", "--fs-hz", "100", "--inject-polarization", "-1,0,0", "--out", "r.nc"],
     "inject_polarization", "-1,0,0"),
    (["probe", "spec.toml", "--line-m", "-0.99,0,0", "0.99,0,0"], "line_m", ["-0.99,0,0", "0.99,0,0"]),
])
def test_negative_vectors_are_values_not_flags(argv, dest, value):
    """A vector starting with a minus ("-0.9,0,0") is a flag's value in every command (one rule in CliParser)."""
    assert getattr(build_parser().parse_args(argv), dest) == value
