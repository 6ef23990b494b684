#!/usr/bin/env python3
"""GPU longest-match benchmark: ids against the CPU on every bundled profile, then tokens/s.

For a machine with an NVIDIA GPU (device "cuda"); --device opencl or rocm measures those instead.
Without the device it prints why and exits 0, so `make bench` passes everywhere.

    CRAYON_LIBRARY=build/native/libcrayon.so CRAYON_PROFILE_DIR=build/profiles PYTHONPATH=bindings/python \\
        python3 benchmarks/gpu_bench.py [--device cuda] [--mb 256] [--runs 5] [--profiles lite,code]

Text: tests/corpus.py "mixed" (prose, code, ~150 languages, emoji), cut into ~4 KiB documents and
repeated up to --mb MiB. For each profile: the ids and offsets of one batch must equal the CPU's
(exit 1 otherwise); then the median of --runs batch calls of
  cpu all-core  crayon_tokenize_batch on the CPU, threads = every core;
  end-to-end    the same call on the device: copies in, kernels, copies out, offsets;
  device-side   tokens / the seconds spent in kernels (crayon_device_stats "kernel_seconds").
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bindings" / "python"))

import numpy as np  # noqa: E402

from crayon import CrayonVocab  # noqa: E402
from crayon.core.profiles import list_profiles  # noqa: E402
from crayon.core.backends import backend_report  # noqa: E402

MB = 1 << 20


def documents(total_bytes: int) -> list[bytes]:
    try:
        import corpus
        text = "".join(corpus.documents("mixed", 16 * MB)).encode("utf-8", "surrogatepass")
    except Exception:  # no corpus on this machine: this repository's own sources
        text = b"".join(p.read_bytes() for p in sorted(ROOT.glob("src/**/*.cs")))
    docs, at = [], 0
    while sum(map(len, docs)) < total_bytes:
        docs.append(text[at:at + 4096])
        at = (at + 4096) % max(1, len(text) - 4096)
    return docs


def flat(result: list) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.fromiter((len(r) for r in result), dtype=np.int64, count=len(result))
    return (np.concatenate(result) if result else np.empty(0, np.int32)), lengths


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
    args = ap.parse_args()

    row = next((r for r in backend_report() if r[0] == args.device), None)
    if row is None or not row[1]:
        print(f"skip: device {args.device} is not available here: {row[2] if row else 'unknown backend'}")
        return 0
    print(f"device {args.device}: {row[2]}")
    docs = documents(args.mb * MB)
    nbytes = sum(map(len, docs))
    print(f"batch: {len(docs)} documents, {nbytes / MB:.1f} MiB; median of {args.runs} runs\n")
    profiles = [p for p in args.profiles.split(",") if p] or [p.name for p in list_profiles() if p.available]
    print(f"{'profile':<14} {'tokens':>11} {'cpu all-core':>14} {'end-to-end':>14} {'device-side':>14}  ids")
    failures = 0
    for name in profiles:
        cpu = CrayonVocab(device="cpu", profile=name)
        gpu = CrayonVocab(device=args.device, profile=name)
        expect_ids, expect_len = flat(cpu.tokenize_batch(docs, numpy=True))
        got_ids, got_len = flat(gpu.tokenize_batch(docs, numpy=True))
        same = np.array_equal(expect_len, got_len) and np.array_equal(expect_ids, got_ids)
        failures += not same
        tokens = int(expect_len.sum())
        cpu_s = median_seconds(lambda: cpu.tokenize_batch(docs, numpy=True), args.runs)
        kernel_before = gpu.device_stats()["kernel_seconds"]
        gpu_s = median_seconds(lambda: gpu.tokenize_batch(docs, numpy=True), args.runs)
        kernel_s = (gpu.device_stats()["kernel_seconds"] - kernel_before) / args.runs

        def rate(seconds: float) -> str:
            return f"{tokens / seconds / 1e6:10.1f} M/s" if seconds > 0 else "         n/a"
        print(f"{name:<14} {tokens:>11} {rate(cpu_s):>14} {rate(gpu_s):>14} {rate(kernel_s):>14}  "
              f"{'identical' if same else 'DIFFERENT'}", flush=True)
    stats = CrayonVocab(device=args.device, profile=profiles[0]).device_stats()
    print(f"\n(device-side: kernel wall time, each launch waited for; device {stats.get('description', '')})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
