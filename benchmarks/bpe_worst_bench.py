"""Worst-case exact BPE: text that is one long piece (no whitespace for the pre-tokenizer to split
at), next to English text of the same size, through the C ABI; npm tiktoken on the same input where
it finishes in reasonable time (its merge is quadratic in the piece length).

    make native peers
    python3 benchmarks/bpe_worst_bench.py [--sizes 1K,16K,1M,16M] [--encodings cl100k_base,o200k_base]
                                          [--tiktoken-max 16K] [--kinds letters,a,digits,...] [--fresh]

For each kind and size: crayon's thread CPU time per byte (best of several passes; one
crayon_bpe_encode_ordinary call per pass), English's per byte at the same size, and their ratio (the
goal: at most 2). Ids are compared with tiktoken's wherever tiktoken runs. Set CRAYON_LIBRARY to time
another build (e.g. the one before a change).
"""
from __future__ import annotations

import argparse
import ctypes
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bpe_native_bench as native  # noqa: E402  (the loader, and tests/ on sys.path)
import corpus  # noqa: E402
import machine  # noqa: E402
import node_peer  # noqa: E402


def piece_text(kind: str, nbytes: int, rnd: random.Random) -> str:
    """About nbytes of UTF-8 that the cl100k/o200k patterns leave as one piece (or, for digits and
    Latin-1, the pieces those patterns make of such text)."""
    if kind == "a":
        return "a" * nbytes
    if kind == "spaces":
        return " " * nbytes
    if kind == "letters":
        return "".join(rnd.choices("abcdefghijklmnopqrstuvwxyz", k=nbytes))
    if kind == "digits":
        return "".join(rnd.choices("0123456789", k=nbytes))
    if kind == "cjk":
        return "".join(chr(c) for c in rnd.choices(range(0x4E00, 0x9FA6), k=nbytes // 3))
    if kind == "latin1":
        # random bytes read as Latin-1 (whitespace left out): letters, symbols and 2-byte characters
        alphabet = [chr(b) for b in range(256) if not chr(b).isspace()]
        out, size = [], 0
        while size < nbytes:
            ch = rnd.choice(alphabet)
            out.append(ch)
            size += 1 if ord(ch) < 128 else 2
        return "".join(out)
    raise SystemExit(f"unknown kind {kind}")


def english_text(nbytes: int) -> str:
    docs = corpus.documents("english", nbytes + 4096)
    text = "\n".join(docs).encode()[:nbytes]
    return text.decode("utf-8", "ignore")


def parse_size(s: str) -> int:
    s = s.strip().upper()
    mult = {"K": 1 << 10, "M": 1 << 20}.get(s[-1], 1)
    return int(float(s.rstrip("KM")) * mult)


def label(n: int) -> str:
    return f"{n >> 20} MB" if n >= 1 << 20 else f"{n >> 10} KB"


def crayon_ns_per_byte(lib, h, data: bytes, budget_s: float, fresh=None) -> tuple[float, int]:
    """Best thread-CPU time per byte over passes of enough calls to fill ~budget_s / 5. With
    ``fresh`` (a function of the call number giving another text of the same kind and size), every
    timed call encodes text it has not seen: no piece cache answers from an earlier pass."""
    cap = len(data) + 16   # fresh texts are at most a byte longer, and a token covers at least one byte
    out = (ctypes.c_int32 * cap)()
    t = time.thread_time()
    n = lib.crayon_bpe_encode_ordinary(h, data, len(data), out, cap)  # warm-up (and first-use tables)
    once = max(time.thread_time() - t, 1e-6)
    if n < 0:
        raise SystemExit(f"encode failed: {lib.crayon_last_error().decode()}")
    ids = list(out[:n]) if len(data) <= 1 << 16 else None
    inner = max(1, int(budget_s / 5 / once))
    passes = 5 if once < budget_s / 2 else 2
    inputs = [fresh(i) for i in range(passes * inner)] if fresh else [data] * (passes * inner)
    best = float("inf")
    for p in range(passes):
        batch = inputs[p * inner:(p + 1) * inner]
        t = time.thread_time()
        for d in batch:
            lib.crayon_bpe_encode_ordinary(h, d, len(d), out, cap)
        best = min(best, (time.thread_time() - t) / sum(map(len, batch)))
    return best * 1e9, n, ids


def tiktoken_ns_per_byte(name: str, text: str) -> tuple[float | None, list[int] | None]:
    size = len(text.encode())
    reps = max(1, min(20, (1 << 18) // size))
    info = node_peer.run(["--peer", "tiktoken", "--encoding", name, "--mode", "ordinary",
                          "--repeat", str(reps), "--deadline-s", "30"], [text], want_ids=True)
    if info.get("timed_out"):
        return None, None
    return min(info["seconds"]) / size * 1e9, info["ids"][0]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1K,16K,1M,16M")
    ap.add_argument("--encodings", default="cl100k_base,o200k_base")
    ap.add_argument("--kinds", default="letters,a,digits,spaces,cjk,latin1")
    ap.add_argument("--tiktoken-max", default="16K", help="largest input given to npm tiktoken")
    ap.add_argument("--budget", type=float, default=1.0, help="seconds of crayon time per cell")
    ap.add_argument("--fresh", action="store_true",
                    help="time every call on newly generated text of the kind (no cache reuse across passes)")
    args = ap.parse_args()
    if not (native.ROOT / "tests/peers/node_modules/tiktoken").exists():
        print("bpe_worst_bench: run `make peers` first")
        return 1
    lib = native.load_lib()
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    tk_max = parse_size(args.tiktoken_max)
    kinds = args.kinds.split(",")
    rnd = random.Random(1)
    texts = {(k, n): piece_text(k, n, rnd) for k in kinds for n in sizes}
    english = {n: english_text(n) for n in sizes}
    print(f"library: {os.environ.get('CRAYON_LIBRARY', 'build/native/libcrayon.so')}; "
          f"load average {os.getloadavg()[0]:.1f}; thread CPU time, best of passes"
          + ("; every call on new text of its kind" if args.fresh else ""))
    print(f"cpu: {machine.describe()}")
    print("| encoding | text | size | crayon ns/byte | × English | npm tiktoken ns/byte | × its English |")
    print("|---|---|---:|---:|---:|---:|---:|")
    mismatches = 0
    first_use = []
    for name in args.encodings.split(","):
        t = time.perf_counter()
        h = native.load_encoding(lib, name, Path(os.environ.get("TMPDIR", "/tmp")))
        load_ms = (time.perf_counter() - t) * 1e3
        # The first long piece builds the encoding's long-piece tables; the second finds them ready.
        probe = piece_text("letters", 4096, random.Random(2)).encode()
        out = (ctypes.c_int32 * (len(probe) + 16))()
        firsts = []
        for _ in range(2):
            t = time.perf_counter()
            lib.crayon_bpe_encode_ordinary(h, probe, len(probe), out, len(out))
            firsts.append((time.perf_counter() - t) * 1e3)
        first_use.append(f"{name}: load {load_ms:.0f} ms; first 4 KB piece {firsts[0]:.1f} ms, second {firsts[1]:.2f} ms")
        for n in sizes:
            base, _, base_ids = crayon_ns_per_byte(lib, h, english[n].encode(), args.budget)
            tk_base, tk_base_ids = tiktoken_ns_per_byte(name, english[n]) if n <= tk_max else (None, None)
            mismatches += base_ids is not None and tk_base_ids is not None and base_ids != tk_base_ids
            print(f"| {name} | English | {label(n)} | {base:.1f} | 1.0 | {fmt(tk_base)} | {fmt(tk_base and 1.0)} |", flush=True)
            for k in kinds:
                text = texts[(k, n)]
                fresh = (lambda i, k=k, n=n: piece_text(k, n, random.Random(1000 + i)).encode()) if args.fresh else None
                ns, _, ids = crayon_ns_per_byte(lib, h, text.encode(), args.budget, fresh)
                tk, tk_ids = tiktoken_ns_per_byte(name, text) if n <= tk_max else (None, None)
                if ids is not None and tk_ids is not None and ids != tk_ids:
                    mismatches += 1
                    print(f"IDS DIFFER from tiktoken: {name} {k} {label(n)}")
                ratio = f"**{ns / base:.1f}**" if ns / base > 2 else f"{ns / base:.1f}"
                tk_ratio = fmt(tk / tk_base) if tk and tk_base else "–"
                print(f"| {name} | {k} | {label(n)} | {ns:.1f} | {ratio} | {fmt(tk)} | {tk_ratio} |", flush=True)
        lib.crayon_bpe_free(h)
    for line in first_use:
        print(line)
    print(f"ids compared with tiktoken (inputs up to {label(tk_max)}): {mismatches} differ")
    return 1 if mismatches else 0


def fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.1f}"


if __name__ == "__main__":
    sys.exit(main())
