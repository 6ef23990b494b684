#!/usr/bin/env python3
"""GPU longest-match benchmark: ids against the CPU on every bundled profile, then tokens/s.

For a machine with an NVIDIA GPU (device "cuda"); --device opencl or rocm measures those instead.
Without the device it prints why and exits 0, so `make bench` passes everywhere. About 1-2 minutes
on a data-centre GPU with the defaults; --max-seconds caps the timing part (ids are always checked).

    CRAYON_LIBRARY=build/native/libcrayon.so CRAYON_PROFILE_DIR=build/profiles PYTHONPATH=bindings/python \\
        python3 benchmarks/gpu_bench.py [--device cuda] [--mb 256] [--runs 5] [--profiles lite,code]

Text: tests/corpus.py "mixed" (prose, code, ~150 languages, emoji), cut into ~4 KiB documents and
repeated up to --mb MiB. For each profile: the ids and offsets of one batch must equal the CPU's
(exit 1 otherwise); then the median of --runs calls of crayon_tokenize_batch (straight through
ctypes, buffers prepared once, so Python's per-document work is not in the figure):
  cpu all-core  on the CPU, threads = every core;
  end-to-end    on the device: text copied in, kernels, ids copied out, offsets (the call's wall time);
  device-side   tokens / seconds the device spent in kernels, by its own clock (crayon_device_stats
                "kernel_seconds", from events around each launch);
  overlap       (kernel + copy seconds by the device's clock) / the call's wall time: above 1 when
                copies ran beside kernels (pieces are double-buffered over two queues).
"""
from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bindings" / "python"))

import numpy as np  # noqa: E402

from crayon import CrayonVocab, _native  # noqa: E402
from crayon.core._calls import byte_arrays  # noqa: E402
from crayon.core.backends import backend_report  # noqa: E402
from crayon.core.profiles import list_profiles  # noqa: E402

MB = 1 << 20
DOC = 4096


def documents(total_bytes: int) -> list[bytes]:
    try:
        import corpus
        text = "".join(corpus.documents("mixed", 16 * MB)).encode("utf-8", "surrogatepass")
    except Exception:  # no corpus on this machine: this repository's own sources
        text = b""
    if len(text) < 64 * DOC:
        text = b"".join(p.read_bytes() for p in sorted(ROOT.glob("src/**/*.cs")))
    docs, at, size = [], 0, 0
    while size < total_bytes:
        d = text[at:at + DOC]
        docs.append(d)
        size += len(d)
        at = (at + DOC) % max(1, len(text) - DOC)
    return docs


class Batch:
    """One batch's ctypes arguments and output buffers, prepared once and re-used by every call."""

    def __init__(self, docs: list[bytes]):
        self.docs = docs
        self.ptrs, self.lens, self.n = byte_arrays(docs)
        self.cap = sum(map(len, docs)) * 3  # crayon_tokenize_bound per document: enough for NFC profiles too
        self.ids = np.empty(self.cap, dtype=np.int32)
        self.offsets = np.empty(self.n + 1, dtype=np.int64)

    def run(self, vocab: CrayonVocab) -> int:
        lib = _native.lib()
        total = lib.crayon_tokenize_batch(
            vocab._h(), self.ptrs, self.lens, self.n,
            self.ids.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)), self.cap,
            self.offsets.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)), 0)
        return _native.check_count(total)

    def result(self, vocab: CrayonVocab) -> tuple[np.ndarray, np.ndarray]:
        total = self.run(vocab)
        return self.ids[:total].copy(), self.offsets.copy()


def median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda", choices=["cuda", "rocm", "opencl"])
    ap.add_argument("--mb", type=int, default=256, help="MiB of text per batch")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--profiles", default="", help="comma-separated (default: every bundled profile)")
    ap.add_argument("--max-seconds", type=float, default=240,
                    help="stop timing (ids are still checked) once this much time has passed")
    args = ap.parse_args()
    started = time.perf_counter()

    row = next((r for r in backend_report() if r[0] == args.device), None)
    if row is None or not row[1]:
        print(f"skip: device {args.device} is not available here: {row[2] if row else 'unknown backend'}")
        return 0
    print(f"device {args.device}: {row[2]}")
    docs = documents(args.mb * MB)
    batch = Batch(docs)
    nbytes = sum(map(len, docs))
    print(f"batch: {len(docs)} documents, {nbytes / MB:.1f} MiB; median of {args.runs} runs; "
          f"cpu: {os.cpu_count()} cores\n")
    profiles = [p for p in args.profiles.split(",") if p] or [p.name for p in list_profiles() if p.available]
    print(f"{'profile':<14} {'tokens':>11} {'cpu all-core':>14} {'end-to-end':>14} {'device-side':>14} "
          f"{'overlap':>8} {'pieces':>6}  ids", flush=True)
    failures = 0
    for name in profiles:
        with CrayonVocab(device="cpu", profile=name) as cpu, CrayonVocab(device=args.device, profile=name) as gpu:
            expect_ids, expect_off = batch.result(cpu)
            got_ids, got_off = batch.result(gpu)
            same = np.array_equal(expect_off, got_off) and np.array_equal(expect_ids, got_ids)
            failures += not same
            tokens = len(expect_ids)
            if time.perf_counter() - started > args.max_seconds:
                print(f"{name:<14} {tokens:>11} {'(time cap: ids only)':>44} {'':>15}  "
                      f"{'identical' if same else 'DIFFERENT'}", flush=True)
                continue
            cpu_s = median_seconds(lambda: batch.run(cpu), args.runs)
            before = gpu.device_stats()
            gpu_s = median_seconds(lambda: batch.run(gpu), args.runs)
            after = gpu.device_stats()

            def delta(key: str) -> float:
                return (after.get(key, 0) - before.get(key, 0)) / args.runs   # a library without the key: 0

            kernel_s, copy_s, wall_s = delta("kernel_seconds"), delta("copy_seconds"), delta("wall_seconds")

            def rate(seconds: float) -> str:
                return f"{tokens / seconds / 1e6:10.1f} M/s" if seconds > 0 else "         n/a"
            overlap = f"{(kernel_s + copy_s) / wall_s:8.2f}" if wall_s > 0 else "     n/a"
            print(f"{name:<14} {tokens:>11} {rate(cpu_s):>14} {rate(gpu_s):>14} {rate(kernel_s):>14} "
                  f"{overlap} {delta('pieces'):>6.0f}  {'identical' if same else 'DIFFERENT'}", flush=True)
    print(f"\n(device-side: kernel time by the device's clock; overlap: device busy time / wall time; "
          f"{time.perf_counter() - started:.0f} s in all)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
