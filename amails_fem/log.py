"""Progress lines on stderr for long steps (meshing, solving, sweeps); silenced with quiet=True."""

import sys
import time
from contextlib import contextmanager


class Progress:
    """Print ``[amails-fem] step ... done (1.2 s)`` lines; ``Progress(quiet=True)`` prints nothing."""

    def __init__(self, quiet: bool = False, stream=None):
        self.quiet = quiet
        self.stream = stream or sys.stderr

    def say(self, message: str) -> None:
        if not self.quiet:
            print(f"[amails-fem] {message}", file=self.stream, flush=True)

    @contextmanager
    def step(self, what: str):
        """Time a step; yields a dict the caller may fill with a short ``note`` shown at the end."""
        info = {"note": ""}
        self.say(f"{what} ...")
        t0 = time.perf_counter()
        yield info
        info["seconds"] = time.perf_counter() - t0
        self.say(f"{what} done ({info['seconds']:.1f} s){' ' + info['note'] if info['note'] else ''}")


QUIET = Progress(quiet=True)
