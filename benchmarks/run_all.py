"""Runs every benchmark in this folder (files named *_bench.py), one after another, in one process
environment, and prints their reports. `make bench` calls this; each benchmark runs its peers in the
same run and prints the ratios itself."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    selected = set(argv)
    benches = sorted(p for p in HERE.glob("*_bench.py") if not selected or p.stem in selected)
    failures = 0
    for bench in benches:
        print(f"\n=== {bench.name} " + "=" * (70 - len(bench.name)), flush=True)
        start = time.perf_counter()
        rc = subprocess.call([sys.executable, str(bench)])
        print(f"--- {bench.name}: exit {rc}, {time.perf_counter() - start:.1f} s", flush=True)
        failures += rc != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
