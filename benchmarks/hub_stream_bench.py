"""Streaming rate and peak memory of learning from an hf:// dataset, against a local dataset viewer.

    CRAYON_LIBRARY=$PWD/build/native/libcrayon.so PYTHONPATH=bindings/python \\
        .venv/bin/python benchmarks/hub_stream_bench.py --bytes 1G --size 1000

A child process serves /splits and /rows (tests/python/hub_server.py) for rows of real English text
(tests/corpus.py, paragraphs joined into rows of 2-6 KiB and repeated until --bytes; made on the fly,
nothing on disk). This process streams them page by page through crayon.core.sources into the
Learner's feed, then learns --size tokens. Printed: the streaming rate (MB/s, rows/s, including the
server's JSON and HTTP on the same machine), and this process's peak RSS (VmHWM) after imports,
after streaming and after learning.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "tests"), os.path.join(ROOT, "tests", "python")]


def vm_hwm_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def serve(total_bytes: int, conn) -> None:
    """The child: paragraphs of real text as rows, repeated to total_bytes, served until killed."""
    import corpus
    from hub_server import Dataset, FakeHub
    paragraphs, row = [], ""
    for doc in corpus.documents("english", 8 << 20):
        for p in doc.split("\n\n"):
            row = f"{row}\n\n{p}" if row else p
            if len(row) >= 2048:        # rows of 2-6 KiB, like web-text datasets
                paragraphs.append(row[:6144])
                row = ""
    rows = [{"text": p} for p in paragraphs]
    mean = sum(len(p.encode()) for p in paragraphs) / len(paragraphs)
    count = int(total_bytes / mean) + 1
    hub = FakeHub({"bench/english": Dataset(lambda i: rows[i % len(rows)], count=count)})
    conn.send((hub.url, count, len(rows), mean))
    hub.server.serve_forever()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bytes", default="1G", help="text to stream (default: 1G)")
    ap.add_argument("--size", type=int, default=1000, help="tokens to learn at the end (default: 1000)")
    ap.add_argument("--workers", type=int, default=4, help="pages in flight at once (default: 4)")
    args = ap.parse_args()

    from crayon.core.learn import Learner
    from crayon.core.sources import DocumentStream, HubClient, parse_size
    total = parse_size(args.bytes)
    parent, child = multiprocessing.get_context("fork").Pipe()
    server = multiprocessing.get_context("fork").Process(target=serve, args=(total, child), daemon=True)
    server.start()
    url, count, distinct, mean = parent.recv()
    print(f"serving {count:,} rows ({distinct:,} distinct paragraphs, {mean:,.0f} bytes on average) at {url}")
    rss_start = vm_hwm_mb()
    try:
        stream = DocumentStream(["hf://datasets/bench/english"], max_bytes=total,
                                client=HubClient(url, workers=args.workers))
        started = time.perf_counter()
        with Learner() as learner:
            for batch in stream:
                learner.feed(batch)
            streamed = time.perf_counter() - started
            rss_stream = vm_hwm_mb()
            t = time.perf_counter()
            tokens = learner.learn(args.size)
            learned = time.perf_counter() - t
    finally:
        server.kill()
    s = stream.stats
    print(f"streamed {s.bytes / 1e6:,.1f} MB, {s.documents:,} rows in {streamed:.1f} s: "
          f"{s.bytes / streamed / 1e6:.1f} MB/s, {s.documents / streamed:,.0f} rows/s ({s.retries} retries)")
    print(f"learned {len(tokens)} tokens in {learned:.1f} s")
    print(f"peak RSS (VmHWM): {rss_start:,.0f} MB after imports, {rss_stream:,.0f} MB after streaming, "
          f"{vm_hwm_mb():,.0f} MB after learning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
