"""One thread at each x86-64 level the machine runs: the same documents through every engine build.

    make native
    CRAYON_LIBRARY=$PWD/build/native/libcrayon.so CRAYON_PROFILE_DIR=$PWD/build/profiles \
    CRAYON_TIKTOKEN_DIR=$PWD/build/tiktoken PYTHONPATH=bindings/python \
    python3 benchmarks/isa_bench.py [--mb 4] [--reps 7]

Each level (CRAYON_ISA=x86-64, x86-64-v3, x86-64-v4; see docs/engine.md, "Instruction sets") runs in its
own process: English and code from tests/corpus.py, one native call per document on one thread, timed
as that thread's CPU time (best of --reps), so other jobs on the machine matter less than for wall
time. Prints MB/s per level and the ratio to the x86-64 baseline, and checks the ids are identical.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEVELS = ("x86-64", "x86-64-v3", "x86-64-v4")

CHILD = r"""
import ctypes, hashlib, json, sys, time
sys.path.insert(0, sys.argv[1] + "/tests")
import corpus, crayon
from crayon import _native
from crayon.compat import tiktoken
from crayon.core.backends import backend_report
mb, reps = float(sys.argv[2]), int(sys.argv[3])
lib = _native.lib()
out = {"cpu": next(d for n, _, d in backend_report() if n == "cpu"), "rows": {}}
for kind in ("english", "code"):
    docs = [d.encode() for d in corpus.documents(kind, int(mb * (1 << 20)))]
    size = sum(map(len, docs)) / 1e6
    buf = (ctypes.c_int32 * (max(map(len, docs)) + 16))()
    engines = [(n, tiktoken.get_encoding(n)._bpe.handle, lib.crayon_bpe_encode_ordinary) for n in ("cl100k_base", "o200k_base")]
    vocabs = [crayon.CrayonVocab(device="cpu", profile=p) for p in ("lite", "code")]
    engines += [(p, v._h(), lib.crayon_tokenize) for p, v in zip(("lite", "code"), vocabs)]
    for name, h, fn in engines:
        best, digest = float("inf"), None
        for _ in range(reps):
            h256 = hashlib.sha256()
            t = time.thread_time()
            for d in docs:
                n = fn(h, d, len(d), buf, len(buf))
                h256.update(memoryview(buf).cast("B")[:4 * n])
            best = min(best, time.thread_time() - t)
            digest = h256.hexdigest()
        out["rows"][f"{name} {kind}"] = [size / best, digest]
print(json.dumps(out))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=4)
    ap.add_argument("--reps", type=int, default=7)
    args = ap.parse_args()
    from crayon import _native
    folder = Path(_native.lib()._name).resolve().parent
    results = {}
    for level in LEVELS:
        if not (folder / f"libcrayon-{level}.so").exists():
            continue
        r = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(args.mb), str(args.reps)],
                           env=dict(os.environ, CRAYON_ISA=level), capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stderr[-2000:], file=sys.stderr)
            return 1
        got = json.loads(r.stdout)
        if f"engine code for {level} " not in got["cpu"]:
            print(f"{level}: not runnable here ({got['cpu']}); skipped")
            continue
        results[level] = got
    print(f"isa_bench: one thread, thread CPU time, best of {args.reps}; load average {os.getloadavg()[0]:.2f}")
    levels = list(results)
    print("| engine, text | " + " | ".join(f"{lv} MB/s" for lv in levels) + " | "
          + " | ".join(f"{lv} / x86-64" for lv in levels[1:]) + " |")
    print("|---|" + "---:|" * (2 * len(levels) - 1))
    base = results["x86-64"]["rows"]
    same = True
    for row, (speed, digest) in base.items():
        cells = [f"{results[lv]['rows'][row][0]:.1f}" for lv in levels]
        ratios = [f"{results[lv]['rows'][row][0] / speed:.2f}" for lv in levels[1:]]
        same &= all(results[lv]["rows"][row][1] == digest for lv in levels)
        print(f"| {row} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    print("ids identical at every level" if same else "IDS DIFFER BETWEEN LEVELS")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
