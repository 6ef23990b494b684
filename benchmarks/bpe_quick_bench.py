#!/usr/bin/env python3
"""Quick A/B timing of crayon_bpe_encode_ordinary (one thread and batch) on English and code, plus
random letters 1 MB vs 4 MB. No tiktoken check: run benchmarks/bpe_native_bench.py for that.
Usage: CRAYON_LIBRARY=path/to/libcrayon.so python3 benchmarks/bpe_quick_bench.py [MB]"""
import sys, os, time, random, ctypes
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks")); sys.path.insert(0, str(ROOT / "tests"))
import bpe_native_bench as b, corpus
lib = b.load_lib()
mb = float(sys.argv[1]) if len(sys.argv) > 1 else 4
reps = 5
rnd = random.Random(1)
rl = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(4 << 20)).encode()
for name in ["cl100k_base", "o200k_base"]:
    h = b.load_encoding(lib, name, Path("/tmp"))
    for kind in ["english", "code"]:
        data = [d.encode() for d in corpus.documents(kind, int(mb * (1 << 20)))]
        m = sum(map(len, data)) / 1e6
        t1, n = b.time_one_thread(lib, h, data, reps)
        tb, nb = b.time_batch(lib, h, data, reps)
        print(f"{name} {kind}: one {m/t1:7.1f} MB/s  batch {m/tb:7.1f} MB/s  ntok {n}", flush=True)
    for size in (1 << 20, 4 << 20):
        t, n = b.time_one_thread(lib, h, [rl[:size]], 2)
        print(f"{name} random letters {size>>20} MB: {t*1e3:.0f} ms", flush=True)
    t, n = b.time_one_thread(lib, h, [b"a" * (1 << 20)], 2); print(f"{name} 1MB a: {t*1e3:.0f} ms")
    lib.crayon_bpe_free(h)
