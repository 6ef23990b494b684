"""Batch scaling: one thread against all threads, for both engines, native and through Python.

    make python
    CRAYON_LIBRARY=$PWD/build/native/libcrayon.so CRAYON_PROFILE_DIR=$PWD/build/profiles \
    CRAYON_TIKTOKEN_DIR=$PWD/build/tiktoken PYTHONPATH=bindings/python \
    python3 benchmarks/batch_bench.py [--mb 4] [--doc-kb 4] [--reps 5] [--threads 0]

Rows: cl100k_base and o200k_base (exact BPE, crayon_bpe_encode_batch) and the `lite` and `code`
profiles (longest match, crayon_tokenize_batch), each on English and on code from tests/corpus.py cut
into documents of about --doc-kb KiB. Paths:

  native  one ctypes call into caller-owned buffers made once (what a C program gets);
  numpy   the Python API with numpy output (tokenize_batch(numpy=True) / encode_ordinary_batch_to_numpy);
  lists   the Python API returning lists of Python ints (tokenize_batch / encode_ordinary_batch).

Each path runs with threads=1 and with --threads (0: all cores). Figures are the best of --reps
wall times, in MB of input per second. `scaling (wall)` is one thread's best wall time over all
threads'. `scaling (CPU)` is one thread's CPU time over the CPU time of the busiest thread of the
all-threads run (least of --reps each): the speed-up the run would show if every thread had a core to
itself, which a machine shared with other jobs hides from the wall time (Linux; it counts the Python
thread too, so list output shows the GIL-bound part). The load average is printed first and last:
compare wall figures only at a low load.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bindings" / "python"))
import corpus  # noqa: E402
import machine  # noqa: E402

import crayon  # noqa: E402
from crayon import _native  # noqa: E402
from crayon.compat import tiktoken as crayon_tiktoken  # noqa: E402
from crayon.core.backends import backend_report  # noqa: E402

c_int32_p = ctypes.POINTER(ctypes.c_int32)
c_int64_p = ctypes.POINTER(ctypes.c_int64)


def split_documents(texts: list[str], doc_bytes: int) -> list[bytes]:
    """The texts cut into documents of about doc_bytes UTF-8 bytes (at character boundaries)."""
    out: list[bytes] = []
    for t in texts:
        step = max(1, doc_bytes)  # characters; the English and code corpora are mostly ASCII
        for i in range(0, len(t), step):
            out.append(t[i:i + step].encode("utf-8", "surrogatepass"))
    return out


def thread_cpu_ns() -> dict[str, int]:
    """CPU time of each thread of this process so far (Linux schedstat, ns); {} elsewhere."""
    out = {}
    try:
        for t in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{t}/schedstat") as f:
                    out[t] = int(f.read().split()[0])
            except OSError:
                pass   # the thread ended
    except OSError:
        pass
    return out


def timed(fn, reps: int) -> tuple[float, float, float]:
    """(best wall s, least process CPU s, least CPU s of the busiest thread) over reps runs.

    The busiest thread's CPU time is the wall time the run would take if every thread had a core to
    itself: on a machine other jobs share it shows the scaling the wall time hides."""
    best_wall, best_cpu, best_busiest = float("inf"), float("inf"), float("inf")
    for _ in range(reps):
        before = thread_cpu_ns()
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        after = thread_cpu_ns()
        busy = [after[t] - before.get(t, 0) for t in after]
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
        best_busiest = min(best_busiest, max(busy) / 1e9 if busy else cpu)
    return best_wall, best_cpu, best_busiest


class NativeBatch:
    """One engine's batch call through ctypes, with every buffer made once (as a C caller would)."""

    def __init__(self, docs: list[bytes], call):
        n, total = len(docs), sum(map(len, docs))
        self._keep = docs
        self.texts = (ctypes.c_char_p * n)(*docs)
        self.lens = (ctypes.c_size_t * n)(*map(len, docs))
        self.out = (ctypes.c_int32 * max(1, total))()   # every token covers >= 1 byte: total bytes is the bound
        self.offsets = (ctypes.c_int64 * (n + 1))()
        self.n, self.cap = n, total
        self._call = call

    def run(self, threads: int) -> int:
        r = self._call(self, threads)
        if r < 0:
            raise RuntimeError(f"batch call failed ({r}): {_native.last_error()}")
        return r


def bpe_native(handle) -> callable:
    lib = _native.lib()
    return lambda b, threads: lib.crayon_bpe_encode_batch(
        handle, b.texts, b.lens, b.n, None, 0, None, 0, 0, b.out, b.cap, b.offsets, threads)


def lm_native(handle) -> callable:
    lib = _native.lib()
    return lambda b, threads: lib.crayon_tokenize_batch(handle, b.texts, b.lens, b.n, b.out, b.cap, b.offsets, threads)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=4, help="MB of text per kind")
    ap.add_argument("--doc-kb", type=float, default=4, help="document size, KiB")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="the 'all threads' count (0: all cores)")
    ap.add_argument("--engines", default="cl100k_base,o200k_base,lite,code")
    ap.add_argument("--kinds", default="english,code")
    ap.add_argument("--paths", default="native,numpy,lists")
    args = ap.parse_args()

    all_threads = args.threads if args.threads > 0 else (os.cpu_count() or 1)
    kinds = args.kinds.split(",")
    paths = args.paths.split(",")
    corpora = {k: split_documents(corpus.documents(k, int(args.mb * (1 << 20))), int(args.doc_kb * 1024))
               for k in kinds}
    cpu = next((d for n, _, d in backend_report() if n == "cpu"), "?")
    print(f"batch_bench: {cpu}; all threads = {all_threads}; load average {os.getloadavg()[0]:.2f}; "
          f"best of {args.reps}")
    print(f"cpu: {machine.describe()}")
    for k, docs in corpora.items():
        print(f"  {k}: {len(docs)} documents, {sum(map(len, docs)) / 1e6:.2f} MB")
    print()
    header = (f"| engine | text | path | 1 thread MB/s | {all_threads} threads MB/s | scaling (wall) "
              f"| scaling (CPU) | vs native ({all_threads} threads) |")
    print(header)
    print("|" + "---|" * 3 + "---:|" * 5)

    for engine in args.engines.split(","):
        is_bpe = engine.endswith("_base")
        if is_bpe:
            enc = crayon_tiktoken.get_encoding(engine)
            native_call = bpe_native(enc._bpe.handle)
            py_numpy = lambda docs, t, enc=enc: enc.encode_ordinary_batch_to_numpy(docs, num_threads=t)  # noqa: E731
            py_lists = lambda docs, t, enc=enc: enc.encode_ordinary_batch(docs, num_threads=t)  # noqa: E731
        else:
            vocab = crayon.CrayonVocab(device="cpu", profile=engine)
            native_call = lm_native(vocab._h())
            py_numpy = lambda docs, t, v=vocab: v.tokenize_batch(docs, threads=t, numpy=True)  # noqa: E731
            py_lists = lambda docs, t, v=vocab: v.tokenize_batch(docs, threads=t)  # noqa: E731
        for kind, docs in corpora.items():
            mb = sum(map(len, docs)) / 1e6
            strs = [d.decode("utf-8", "surrogatepass") for d in docs] if is_bpe else docs
            batch = NativeBatch(docs, native_call)
            batch.run(all_threads)   # warm: thread pool, per-thread caches, page faults in the output
            native_all = None
            for path in paths:
                if path == "native":
                    fn = batch.run
                elif path == "numpy":
                    fn = lambda t, f=py_numpy, s=strs: f(s, t)  # noqa: E731
                else:
                    fn = lambda t, f=py_lists, s=strs: f(s, t)  # noqa: E731
                t1, cpu1, _ = timed(lambda: fn(1), args.reps)
                tn, _, busiest = timed(lambda: fn(all_threads), args.reps)
                if path == "native":
                    native_all = tn
                vs = f"{native_all / tn:.2f}" if native_all else ""
                print(f"| {engine} | {kind} | {path} | {mb / t1:.1f} | {mb / tn:.1f} | {t1 / tn:.2f}x "
                      f"| {cpu1 / busiest:.2f}x | {vs} |", flush=True)
        if not is_bpe:
            vocab.close()
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
