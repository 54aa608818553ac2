"""The ``amails-fem`` command: each sub-command lives in its own module and only composes stages.

A command module defines ``register(subparsers)`` which adds its parser and sets ``func``.
"""

import argparse
import signal
import sys
from importlib import import_module

from amails_fem import __version__
from amails_fem.cli.options import CliParser
from amails_fem.errors import SpecError
from amails_fem.io.files import check_out_file, run_folder
from amails_fem.io.provenance import record_command_line

# commands whose --out is one file (checked before any work: parent creatable and writable, not a folder)
FILE_COMMANDS = ("templates",)

# commands whose --out is a folder: written into a staging folder and put in place when the run succeeded
FOLDER_COMMANDS = ("room", "run", "walls", "environment", "cavity", "tune", "place", "correlate", "limits", "probe")

# One module per command family; add a new family here.
COMMAND_MODULES = ("room", "run", "network", "analysis", "cavity", "walls", "environment", "limits", "probe")


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(prog="amails-fem", description="Finite elements for dark-photon searches.")
    parser.add_argument("--version", action="version", version=f"amails_fem {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        import_module(f"amails_fem.cli.{name}").register(sub)
    return parser


def _terminate(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    previous = signal.signal(signal.SIGTERM, _terminate)  # SIGTERM ends a run like Ctrl-C: temp files removed
    try:
        args = build_parser().parse_args(argv)  # every flag's value checked here (cli/options.py)
        record_command_line(sys.argv[1:] if argv is None else argv)
        if args.command in FILE_COMMANDS:
            check_out_file(args.out)
        if args.command in FOLDER_COMMANDS and getattr(args, "out", None):
            final = args.out
            with run_folder(final) as staging:  # the whole output set appears at once, or not at all
                args.out, args.final_out = str(staging), str(final)
                rc = int(args.func(args) or 0)
            if not getattr(args, "quiet", False):
                print(f"[amails-fem] {args.command}: the complete output set is in {final}", file=sys.stderr)
            return rc
        return int(args.func(args) or 0)
    except SpecError as err:  # a user's mistake: one clear line, no traceback
        print(f"amails-fem: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("amails-fem: interrupted; no partial output file was left in place", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
