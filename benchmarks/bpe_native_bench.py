"""BPE encoder throughput straight through the C ABI (ctypes, no Python package needed), next to the
npm tiktoken (OpenAI's Rust core as WASM) on the same documents in the same run.

    make native peers
    python3 benchmarks/bpe_native_bench.py [--mb 8] [--encodings cl100k_base,o200k_base]

Prints MB/s and tokens/s for one thread (one crayon_bpe_encode_ordinary call per document) and for
all threads (one crayon_bpe_encode_batch call), the ratio to tiktoken, and the pathological single
pieces (1 MB of one letter, of random letters, of digits, of spaces) next to English text of the same
size. Ids are checked against tiktoken for the English documents before anything is timed.
The full worst-case table (each kind of long piece at 1 KB to 16 MB, per byte against English of
the same size, npm tiktoken beside it): benchmarks/bpe_worst_bench.py.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "peers"))
import corpus  # noqa: E402
import export_tiktoken  # noqa: E402
import node_peer  # noqa: E402

P = ctypes.c_void_p


def load_lib() -> ctypes.CDLL:
    lib = ctypes.CDLL(os.environ.get("CRAYON_LIBRARY", str(ROOT / "build/native/libcrayon.so")))
    lib.crayon_last_error.restype = ctypes.c_char_p
    lib.crayon_bpe_load.argtypes = [ctypes.c_char_p, ctypes.c_char_p, P, P, ctypes.c_size_t, ctypes.POINTER(P)]
    lib.crayon_bpe_free.argtypes = [P]
    lib.crayon_bpe_encode_ordinary.argtypes = [P, ctypes.c_char_p, ctypes.c_size_t, P, ctypes.c_size_t]
    lib.crayon_bpe_encode_ordinary.restype = ctypes.c_int64
    lib.crayon_bpe_encode_batch.argtypes = [P, P, P, ctypes.c_size_t, P, ctypes.c_size_t, P, ctypes.c_size_t,
                                            ctypes.c_uint32, P, ctypes.c_size_t, P, ctypes.c_int32]
    lib.crayon_bpe_encode_batch.restype = ctypes.c_int64
    return lib


def load_encoding(lib, name: str, tmp: Path):
    path = export_tiktoken.export(tmp, [name])[name]
    pattern = export_tiktoken.npm_spec(name)["pat_str"]
    h = P()
    rc = lib.crayon_bpe_load(str(path).encode(), pattern.encode(), None, None, 0, ctypes.byref(h))
    if rc != 0:
        raise SystemExit(f"crayon_bpe_load({name}): {lib.crayon_last_error().decode()}")
    return h


def tiktoken_ids(name: str, docs: list[str]) -> tuple[list[list[int]], float]:
    info = node_peer.run(["--peer", "tiktoken", "--encoding", name, "--mode", "ordinary"], docs, want_ids=True)
    return info["ids"], info["seconds"][0]


def time_one_thread(lib, h, data: list[bytes], reps: int) -> tuple[float, int]:
    cap = max(map(len, data)) + 16
    out = (ctypes.c_int32 * cap)()
    best, ntok = float("inf"), 0
    for _ in range(reps):
        t = time.perf_counter()
        ntok = 0
        for d in data:
            ntok += lib.crayon_bpe_encode_ordinary(h, d, len(d), out, cap)
        best = min(best, time.perf_counter() - t)
    return best, ntok


def time_batch(lib, h, data: list[bytes], reps: int) -> tuple[float, int]:
    n, total = len(data), sum(map(len, data))
    texts = (ctypes.c_char_p * n)(*data)
    lens = (ctypes.c_size_t * n)(*map(len, data))
    out = (ctypes.c_int32 * (total + 16))()
    offs = (ctypes.c_int64 * (n + 1))()
    best, r = float("inf"), 0
    for _ in range(reps):
        t = time.perf_counter()
        r = lib.crayon_bpe_encode_batch(h, texts, lens, n, None, 0, None, 0, 0, out, total + 16, offs, 0)
        best = min(best, time.perf_counter() - t)
    return best, r


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=8)
    ap.add_argument("--encodings", default="cl100k_base,o200k_base")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    if not (ROOT / "tests/peers/node_modules/tiktoken").exists():
        print("bpe_native_bench: run `make peers` first")
        return 1
    lib = load_lib()
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    english = corpus.documents("english", int(args.mb * (1 << 20)))
    data = [d.encode() for d in english]
    mb = sum(map(len, data)) / 1e6
    rnd = random.Random(1)
    patho = {
        "1 MB of 'a'": "a" * (1 << 20),
        "1 MB random letters": "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(1 << 20)),
        "1 MB digits": "".join(rnd.choice("0123456789") for _ in range(1 << 20)),
        "1 MB spaces": " " * (1 << 20),
    }
    print(f"cores: {os.cpu_count()}; english: {len(data)} documents, {mb:.1f} MB; best of {args.reps}")
    for name in args.encodings.split(","):
        h = load_encoding(lib, name, tmp)
        ref, tk_seconds = tiktoken_ids(name, english)
        out = (ctypes.c_int32 * (max(map(len, data)) + 16))()
        bad = 0
        for d, ids in zip(data, ref):
            n = lib.crayon_bpe_encode_ordinary(h, d, len(d), out, len(out))
            bad += list(out[:n]) != ids
        t1, ntok = time_one_thread(lib, h, data, args.reps)
        tb, nb = time_batch(lib, h, data, args.reps)
        assert nb == ntok, (nb, ntok)
        print(f"{name} english: ids identical to tiktoken on {len(data) - bad}/{len(data)} documents")
        print(f"  crayon one thread : {mb / t1:8.1f} MB/s {ntok / t1 / 1e6:7.2f} Mtok/s")
        print(f"  crayon all threads: {mb / tb:8.1f} MB/s {ntok / tb / 1e6:7.2f} Mtok/s")
        print(f"  npm tiktoken      : {mb / tk_seconds:8.1f} MB/s   (one thread; crayon is {tk_seconds / t1:.1f}x)")
        for label, text in patho.items():
            d = [text.encode()]
            t, n = time_one_thread(lib, h, d, 1)
            print(f"  {label:<20}: {len(d[0]) / t / 1e6:8.1f} MB/s ({n} tokens, {t * 1e3:.0f} ms)")
        lib.crayon_bpe_free(h)
    return 0


if __name__ == "__main__":
    sys.exit(main())
