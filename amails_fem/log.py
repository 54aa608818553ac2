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

    def loop(self, iterable, total: int, what: str, min_interval_s: float = 1.0):
        """Yield from ``iterable`` with a progress bar and ETA on one stderr line (``\r`` on a terminal, else a line
        every ~10 %); nothing when quiet."""
        if self.quiet or total <= 0:
            yield from iterable
            return
        tty = getattr(self.stream, "isatty", lambda: False)()
        t0 = last = time.perf_counter()
        shown = -1
        for k, item in enumerate(iterable, 1):
            yield item
            now = time.perf_counter()
            decile = 10 * k // total
            if k == total or (tty and now - last >= min_interval_s) or (not tty and decile > shown and k < total):
                eta = (now - t0) / k * (total - k)
                bar = "#" * (20 * k // total) + "-" * (20 - 20 * k // total)
                start, end = ("\r", "\n" if k == total else "") if tty else ("", "\n")
                print(f"{start}[amails-fem]   {what} [{bar}] {k}/{total} ({100 * k // total} %), "
                      f"{now - t0:.1f} s, ETA {eta:.0f} s", end=end, file=self.stream, flush=True)
                last, shown = now, decile

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
