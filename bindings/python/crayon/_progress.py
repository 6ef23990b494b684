"""A one-line progress bar on stderr, for long native calls (vocabulary learning, builds)."""
from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Callable as ``bar(done, total)``; redraws at most ten times a second, on a terminal only.

    Off a terminal (logs, pipes) it prints nothing until ``close()``, which writes one summary line.
    """

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.started = time.perf_counter()
        self._last_draw = 0.0
        self._done = 0
        self._total = 0
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, done: int, total: int) -> None:
        self._done, self._total = done, total
        now = time.perf_counter()
        if self._tty and (now - self._last_draw >= 0.1 or done >= total):
            self._last_draw = now
            self.stream.write("\r" + self._line())
            self.stream.flush()

    def _line(self) -> str:
        frac = self._done / self._total if self._total else 0.0
        filled = int(frac * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.perf_counter() - self.started
        return f"{self.label} [{bar}] {frac:6.1%} {self._done}/{self._total} {elapsed:5.1f}s"

    def close(self) -> None:
        self.stream.write(("\r" if self._tty else "") + self._line() + "\n")
        self.stream.flush()

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class StreamBar:
    """Callable as ``bar(stats)`` with a ``core.sources.StreamStats``: bytes, rows, rate and retries so
    far on one redrawn line (a terminal only, at most ten times a second); ``close()`` writes the
    stream's summary line, terminal or not."""

    def __init__(self, label: str, stream: TextIO | None = None, total_bytes: int | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.total_bytes = total_bytes
        self._last_draw = 0.0
        self._stats = None
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, stats) -> None:
        self._stats = stats
        now = time.perf_counter()
        if self._tty and now - self._last_draw >= 0.1:
            self._last_draw = now
            elapsed = max(now - stats.started, 1e-9)
            of = f" of {self.total_bytes / 1e6:,.0f}" if self.total_bytes else ""
            line = (f"{self.label}: {stats.bytes / 1e6:,.1f}{of} MB, {stats.documents:,} rows, "
                    f"{stats.bytes / elapsed / 1e6:.1f} MB/s")
            if stats.retries:
                line += f", {stats.retries} retries"
            self.stream.write("\r" + line + "\x1b[K")
            self.stream.flush()

    def close(self) -> None:
        if self._stats is not None:
            self.stream.write(("\r" if self._tty else "") + f"{self.label}: {self._stats.summary()}"
                              + ("\x1b[K" if self._tty else "") + "\n")
            self.stream.flush()
