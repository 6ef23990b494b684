#!/usr/bin/env python3
"""Files into id shards: MB/s and peak RSS of `crayon tokenize --input F --output ids.bin` on a large
generated file, for each engine, with and without document separators.

    CRAYON_LIBRARY=build/native/libcrayon.so CRAYON_PROFILE_DIR=build/profiles \\
    CRAYON_TIKTOKEN_DIR=build/tiktoken PYTHONPATH=bindings/python python3 benchmarks/stream_bench.py [GB ...] [lite|cl100k ...]

The file is real text (tests/corpus.py: english, code and multilingual documents, about 24 MB)
repeated in a shuffled order up to the size asked (default 1 GB, and 0.125 GB to show that memory
does not grow with the file), documents separated by a blank line. It is written to a temporary
directory and deleted at the end. Each run is one child process (the CLI, as a user types it);
its wall time, CPU time (user + system, all threads) and peak resident memory come from os.wait4;
MB/s is per wall second, MB/cpu-s per CPU second (the fair figure on a loaded machine). Repeated text keeps BPE's rank caches
warmer than fresh text would: read the BPE rates as an upper bound.
"""
from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import corpus  # noqa: E402

GB = 1 << 30
RUNS = [
    ("profile lite, one document", ["--profile", "lite"]),
    ("profile lite, --doc-sep", ["--profile", "lite", "--doc-sep", r"\n\n"]),
    ("cl100k_base, one document", ["--encoding", "cl100k_base"]),
    ("cl100k_base, --doc-sep", ["--encoding", "cl100k_base", "--doc-sep", r"\n\n"]),
]


def make_file(path: Path, size: int) -> None:
    docs = [d.encode("utf-8", "surrogatepass") for k in ("english", "code", "multilingual")
            for d in corpus.documents(k, 8 << 20)]
    docs = [d.replace(b"\n\n", b"\n") for d in docs if d.strip()]
    rng = random.Random(1)
    written = 0
    with open(path, "wb") as f:
        while written < size:
            rng.shuffle(docs)
            for d in docs:
                piece = d[: size - written]
                f.write(piece + b"\n\n")
                written += len(piece) + 2
                if written >= size:
                    break


def run(args: list[str]) -> tuple[float, float, int, str]:
    started = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "crayon", "tokenize", *args],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    seconds = time.perf_counter() - started
    err = p.stderr.read().decode() if p.stderr else ""
    if status != 0:
        raise SystemExit(f"crayon tokenize {' '.join(args)} failed: {err}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, err.strip().splitlines()[-1] if err.strip() else ""


def main() -> None:
    sizes = [float(a) for a in sys.argv[1:] if a.replace(".", "", 1).isdigit()] or [1.0, 0.125]
    only = [a for a in sys.argv[1:] if not a.replace(".", "", 1).isdigit()]   # e.g. "lite": runs whose label has it
    tmp = Path(tempfile.mkdtemp(prefix="crayon-stream-bench-"))
    try:
        print(f"{os.cpu_count()} cores; MB = 10^6 bytes")
        print(f"{'file':>8}  {'run':<28} {'MB/s':>7} {'MB/cpu-s':>9} {'peak RSS':>9}  ids")
        for gb in sizes:
            src = tmp / "input.txt"
            make_file(src, int(gb * GB))
            n = src.stat().st_size
            for label, extra in RUNS:
                if only and not any(o in label for o in only):
                    continue
                out = tmp / "ids.bin"
                seconds, cpu, rss, summary = run(["--input", str(src), "--output", str(out), *extra])
                ids = out.stat().st_size // 4
                print(f"{n / 1e9:7.3f}G  {label:<28} {n / 1e6 / seconds:7.1f} {n / 1e6 / cpu:9.1f} {rss / (1 << 20):7.0f}MB  {ids}", flush=True)
                out.unlink()
                Path(str(out) + ".idx").unlink()
            src.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
