#!/usr/bin/env python3
"""What an NFC profile costs: the same vocabulary list (profiles/lite.json) built with and without
CRAYON_DAT_NFC, tokenizing the same text with one crayon_tokenize call each (one thread).

    CRAYON_LIBRARY=build/native/libcrayon.so python3 benchmarks/nfc_bench.py

Texts (tests/corpus.py): english as it is (mostly ASCII, some Latin-1 names and punctuation), its
pure-ASCII documents (the fast path: one vectorised scan), multilingual as it is (already NFC: the
quick check reads it in place), and multilingual decomposed to NFD (normalised through a copy).
The two profiles run alternately, RUNS times each; median and best MB/s, and NFC / plain.
"""
from __future__ import annotations

import ctypes
import json
import os
import statistics
import sys
import time
import unicodedata
from ctypes import POINTER, byref, c_char_p, c_int, c_int32, c_int64, c_size_t, c_uint8, c_uint32, c_void_p
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import corpus  # noqa: E402

MB = 1 << 20
TEXT_BYTES = int(os.environ.get("CRAYON_BENCH_BYTES", 8 * MB))
RUNS = int(os.environ.get("CRAYON_BENCH_RUNS", 15))
CRAYON_DAT_NFC = 1


def library() -> ctypes.CDLL:
    lib = ctypes.CDLL(os.environ.get("CRAYON_LIBRARY", str(ROOT / "build" / "native" / "libcrayon.so")))
    lib.crayon_dat_build.argtypes = [POINTER(c_char_p), POINTER(c_size_t), c_size_t, c_char_p, c_char_p,
                                     c_uint32, POINTER(POINTER(c_uint8)), POINTER(c_size_t)]
    lib.crayon_dat_build.restype = c_int
    lib.crayon_load_dat_buffer.argtypes = [c_void_p, c_size_t, c_uint32, POINTER(c_void_p)]
    lib.crayon_load_dat_buffer.restype = c_int
    lib.crayon_free.argtypes = [c_void_p]
    lib.crayon_free_buffer.argtypes = [c_void_p]
    lib.crayon_tokenize.argtypes = [c_void_p, c_char_p, c_size_t, POINTER(c_int32), c_size_t]
    lib.crayon_tokenize.restype = c_int64
    lib.crayon_last_error.restype = c_char_p
    return lib


def load(lib: ctypes.CDLL, tokens: list[bytes], flags: int) -> c_void_p:
    arr = (c_char_p * len(tokens))(*tokens)
    lens = (c_size_t * len(tokens))(*map(len, tokens))
    data, size = POINTER(c_uint8)(), c_size_t()
    if lib.crayon_dat_build(arr, lens, len(tokens), b"lite", b"nfc_bench", flags, byref(data), byref(size)) != 0:
        raise SystemExit(lib.crayon_last_error().decode())
    v = c_void_p()
    rc = lib.crayon_load_dat_buffer(data, size.value, 0, byref(v))  # copied
    lib.crayon_free_buffer(data)
    if rc != 0:
        raise SystemExit(lib.crayon_last_error().decode())
    return v


def main() -> int:
    lib = library()
    tokens = [t.encode() for t in json.loads((ROOT / "profiles" / "lite.json").read_text(encoding="utf-8"))]
    plain, nfc = load(lib, tokens, 0), load(lib, tokens, CRAYON_DAT_NFC)
    english = corpus.documents("english", TEXT_BYTES)
    multilingual = corpus.documents("multilingual", TEXT_BYTES // 2)
    texts = {
        "english": "".join(english),
        "ascii": "".join(d for d in english if d.isascii()),
        "multi NFC": unicodedata.normalize("NFC", "".join(multilingual)),
        "multi NFD": unicodedata.normalize("NFD", "".join(multilingual)),
    }
    print(f"library {lib._name}; profiles/lite.json built twice; one thread; {RUNS} alternating runs each")
    print(f"\n{'text':<10} {'MiB':>5} {'non-ASCII':>9} {'plain MB/s':>11} {'NFC MB/s':>9} {'NFC/plain':>9}"
          f" {'best plain':>10} {'best NFC':>9} {'best ratio':>10}")
    for name, text in texts.items():
        blob = text.encode("utf-8", "surrogatepass")
        cap = 3 * len(blob)
        out = (c_int32 * cap)()
        times: dict[str, list[float]] = {"plain": [], "nfc": []}
        counts = {}
        for _ in range(RUNS):
            for label, v in (("plain", plain), ("nfc", nfc)):
                t = time.perf_counter()
                n = lib.crayon_tokenize(v, blob, len(blob), out, cap)
                times[label].append(time.perf_counter() - t)
                assert n >= 0, lib.crayon_last_error()
                counts[label] = n
        if name == "ascii":
            assert counts["plain"] == counts["nfc"], (name, counts)  # the same tokens
        # (Elsewhere counts may differ a little: the NFC build puts the list's entries in NFC, and
        # lite.json holds a few that are not, learned from text in the wild.)
        med = {k: len(blob) / statistics.median(v) / 1e6 for k, v in times.items()}
        best = {k: len(blob) / min(v) / 1e6 for k, v in times.items()}
        share = sum(b >= 0x80 for b in blob) / len(blob)
        print(f"{name:<10} {len(blob) / MB:>5.1f} {share:>9.1%} {med['plain']:>11.0f} {med['nfc']:>9.0f}"
              f" {med['nfc'] / med['plain']:>9.2f} {best['plain']:>10.0f} {best['nfc']:>9.0f}"
              f" {best['nfc'] / best['plain']:>10.2f}")
    lib.crayon_free(plain)
    lib.crayon_free(nfc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
