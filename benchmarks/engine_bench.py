#!/usr/bin/env python3
"""Longest-match engine benchmark: profile load time, tokens/s and MB/s on real text.

ctypes straight onto libcrayon.so ($CRAYON_LIBRARY, default build/native/libcrayon.so), profiles from
$CRAYON_PROFILE_DIR (default build/profiles). Text: tests/corpus.py (english, code).

    CRAYON_LIBRARY=build/native/libcrayon.so CRAYON_PROFILE_DIR=build/profiles python3 benchmarks/engine_bench.py

One thread = one crayon_tokenize call over all documents joined; all threads = one
crayon_tokenize_batch call over the documents (threads = 0: every core). Median of several runs
(M tokens/s, MB/s) and the best run (on a shared machine the best is the least disturbed). The runs
go round robin over the profiles, and the last lines give each profile against lite on English, one
thread, in tokens/s and in MB/s (the 250k cartridges make shorter tokens there).

Memory: for each profile, a fresh process reports its resident memory (/proc/self/status: RssFile =
mapped file pages, RssAnon = private memory) before loading, after loading, after tokenizing 1 MiB
of English, and after crayon_vocab_verify (which reads the whole file).
"""
from __future__ import annotations

import ctypes
import os
import statistics
import sys
import time
from ctypes import POINTER, byref, c_char_p, c_int, c_int32, c_int64, c_size_t, c_uint32, c_void_p
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import corpus  # noqa: E402
import machine  # noqa: E402

MB = 1 << 20
TEXT_BYTES = int(os.environ.get("CRAYON_BENCH_BYTES", 8 * MB))
RUNS = 7
LOADS = 200


def library() -> ctypes.CDLL:
    lib = ctypes.CDLL(os.environ.get("CRAYON_LIBRARY", str(ROOT / "build" / "native" / "libcrayon.so")))
    lib.crayon_load_dat.argtypes = [c_char_p, POINTER(c_void_p)]
    lib.crayon_load_dat.restype = c_int
    lib.crayon_free.argtypes = [c_void_p]
    lib.crayon_vocab_create.argtypes = [c_char_p, POINTER(c_void_p)]
    lib.crayon_tokenize.argtypes = [c_void_p, c_char_p, c_size_t, POINTER(c_int32), c_size_t]
    lib.crayon_tokenize.restype = c_int64
    lib.crayon_tokenize_batch.argtypes = [c_void_p, POINTER(c_char_p), POINTER(c_size_t), c_size_t,
                                          POINTER(c_int32), c_size_t, POINTER(c_int64), c_int32]
    lib.crayon_tokenize_batch.restype = c_int64
    lib.crayon_last_error.restype = c_char_p
    lib.crayon_backends.restype = c_uint32
    lib.crayon_vocab_size.argtypes = [c_void_p]
    lib.crayon_vocab_size.restype = c_int64
    return lib


def rss_kib() -> dict[str, int]:
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("RssFile", "RssAnon"):
                fields[key] = int(value.split()[0])
    return fields


def memory_probe(path: str) -> None:
    """Child process: prints one line of RSS figures (KiB) for loading and using the profile at path."""
    lib = library()
    lib.crayon_vocab_verify.argtypes = [c_void_p]
    text = "".join(corpus.documents("english", MB)).encode("utf-8", "surrogatepass")
    out = (c_int32 * len(text))()
    warm = c_void_p()   # the runtime's own start-up memory is not the profile's
    lib.crayon_vocab_create(b"cpu", byref(warm))
    lib.crayon_free(warm)
    steps = [("before", rss_kib())]
    v = c_void_p()
    if lib.crayon_load_dat(path.encode(), byref(v)) != 0:
        raise SystemExit(lib.crayon_last_error().decode())
    steps.append(("loaded", rss_kib()))
    lib.crayon_tokenize(v, text, len(text), out, len(text))
    steps.append(("tokenized 1 MiB", rss_kib()))
    lib.crayon_vocab_verify(v)
    steps.append(("verified", rss_kib()))
    print(" ".join(f"{r['RssFile']}/{r['RssAnon']}" for _, r in steps))   # in the order memory_table prints


def memory_table(profiles: list[Path]) -> None:
    import subprocess
    print(f"\n{'profile':<14} {'file KiB':>9}   RssFile / RssAnon KiB: before → loaded → tokenized 1 MiB → verified")
    for path in profiles:
        r = subprocess.run([sys.executable, __file__, "--memory", str(path)], capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            print(f"{path.stem:<14} failed: {r.stderr.strip()[-200:]}")
            continue
        cols = r.stdout.split()
        print(f"{path.stem:<14} {path.stat().st_size / 1024:>9.0f}   " + " → ".join(cols))


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--memory":
        memory_probe(sys.argv[2])
        return 0
    lib = library()
    profile_dir = Path(os.environ.get("CRAYON_PROFILE_DIR", str(ROOT / "build" / "profiles")).split(":")[0])
    profiles = sorted(profile_dir.glob("*.dat"))
    if not profiles:
        print(f"no profiles in {profile_dir}: run profiles/build.py first", file=sys.stderr)
        return 1
    print(f"library {lib._name}; cores {os.cpu_count()}; text {TEXT_BYTES / MB:.0f} MiB per kind; median of {RUNS} runs")
    print(f"cpu: {machine.describe()}")

    print(f"\n{'profile':<10} {'file KiB':>9} {'vocab':>7} {'load µs: mean':>14} {'median':>8}   ({LOADS} loads each)")
    for path in profiles:
        v = c_void_p()
        times = []
        for _ in range(LOADS):
            t = time.perf_counter()
            rc = lib.crayon_load_dat(str(path).encode(), byref(v))
            times.append(time.perf_counter() - t)
            if rc != 0:
                raise SystemExit(lib.crayon_last_error().decode())
            lib.crayon_free(v)
        v2 = c_void_p()
        lib.crayon_load_dat(str(path).encode(), byref(v2))
        size = lib.crayon_vocab_size(v2)
        lib.crayon_free(v2)
        print(f"{path.stem:<10} {path.stat().st_size / 1024:>9.0f} {size:>7} {statistics.mean(times) * 1e6:>14.1f} "
              f"{statistics.median(times) * 1e6:>8.1f}")

    memory_table(profiles)

    header = (f"\n{'profile':<10} {'text':<8} {'mode':<12} {'tokens':>11} {'bytes/token':>11} {'M tokens/s':>11} {'MB/s':>9}"
              f" {'best M tok/s':>13}")
    print(header)
    kinds = ("english", "code")
    texts = {}
    for kind in kinds:
        docs = [d.encode("utf-8", "surrogatepass") for d in corpus.documents(kind, TEXT_BYTES)]
        texts[kind] = (b"".join(docs), (c_char_p * len(docs))(*docs), (c_size_t * len(docs))(*map(len, docs)), len(docs))
    out = (c_int32 * max(len(t[0]) for t in texts.values()))()
    offsets = (c_int64 * (max(t[3] for t in texts.values()) + 1))()
    handles = {}
    for path in profiles:
        handles[path] = c_void_p()
        lib.crayon_load_dat(str(path).encode(), byref(handles[path]))
    # Round robin: each run times every profile once, so a neighbour's burst slows all of them alike
    # and the ratios between profiles stay fair; a profile's runs in a row would take it all. Each
    # timed pass follows an untimed 1 MiB one, so the trie is as warm as it was with runs in a row.
    single, batch, counts = {}, {}, {}
    for _ in range(RUNS):
        for path in profiles:
            v = handles[path]
            for kind in kinds:
                blob, ptrs, lens, ndocs = texts[kind]
                lib.crayon_tokenize(v, blob, min(len(blob), MB), out, len(blob))   # untimed: warm its trie again
                t = time.perf_counter()
                n = lib.crayon_tokenize(v, blob, len(blob), out, len(blob))
                single.setdefault((path, kind), []).append(time.perf_counter() - t)
                assert n > 0, lib.crayon_last_error()
                t = time.perf_counter()
                m = lib.crayon_tokenize_batch(v, ptrs, lens, ndocs, out, len(blob), offsets, 0)
                batch.setdefault((path, kind), []).append(time.perf_counter() - t)
                assert m > 0, lib.crayon_last_error()
                counts[path, kind] = (n, m)
    english = {}   # profile -> (median M tokens/s, median MB/s, best M tokens/s) on English, one thread
    for path in profiles:
        for kind in kinds:
            blob = texts[kind][0]
            n, m = counts[path, kind]
            # The joined text can match across document boundaries, so the two counts differ slightly.
            for mode, count, runs in (("1 thread", n, single[path, kind]), (f"{os.cpu_count()} threads", m, batch[path, kind])):
                secs = statistics.median(runs)
                print(f"{path.stem:<10} {kind:<8} {mode:<12} {count:>11,} {len(blob) / count:>11.2f} "
                      f"{count / secs / 1e6:>11.1f} {len(blob) / secs / 1e6:>9.1f} {count / min(runs) / 1e6:>13.1f}")
            if kind == "english":
                secs = statistics.median(single[path, kind])
                english[path.stem] = (n / secs, len(blob) / secs, n / min(single[path, kind]))
        lib.crayon_free(handles[path])
    if "lite" in english:   # the larger tries against lite on English, one thread, both ways of counting
        base = english["lite"]
        print("\nagainst lite, English, 1 thread: tokens/s, MB/s (medians), best tokens/s")
        for name, figures in english.items():
            if name != "lite":
                print(f"  {name:<14} " + "  ".join(f"{f / b:.2f}×" for f, b in zip(figures, base)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
