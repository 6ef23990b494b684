"""What `make` runs last: tokenize a sentence with the bundled `lite` profile, then measure.

    python bindings/python/examples/demo.py [--profile lite] [--mb 4]

Throughput is measured through the Python API (ids come back as Python lists), on real English
text from tests/corpus.py when this runs from the repository, else on a repeated sentence.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from crayon import CrayonVocab, check_backends

SENTENCE = "Crayon tokenizes text by greedy longest match over a compiled vocabulary trie."


def sample_text(megabytes: float) -> tuple[list[str], str]:
    """Documents of about ``megabytes`` MB and where they came from."""
    limit = int(megabytes * (1 << 20))
    repo_tests = Path(__file__).resolve().parents[3] / "tests"
    if (repo_tests / "corpus.py").exists():
        sys.path.insert(0, str(repo_tests))
        try:
            import corpus
            docs = corpus.documents("english", limit)
            if docs:
                return docs, "tests/corpus.py english"
        except Exception as e:  # a demo must still run without the corpus
            print(f"(corpus unavailable: {e})")
        finally:
            sys.path.remove(str(repo_tests))
    line = SENTENCE + "\n"
    return [line * max(1, limit // len(line) // 64)] * 64, "the sentence, repeated"


def best_of(runs: int, fn) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="lite")
    ap.add_argument("--mb", type=float, default=4.0, help="MB of text for the throughput run")
    args = ap.parse_args()

    t0 = time.perf_counter()
    backends = check_backends()  # the first call loads libcrayon.so and starts its runtime
    start_ms = (time.perf_counter() - t0) * 1e3
    vocab = CrayonVocab(device="auto")
    t0 = time.perf_counter()
    vocab.load_profile(args.profile)
    load_ms = (time.perf_counter() - t0) * 1e3
    info = vocab.profile_info
    print(f"profile {vocab.profile!r}: {vocab.vocab_size:,} tokens, device {vocab.device}, "
          f"loaded in {load_ms:.2f} ms (source: {info.get('source', '?')})")
    print(f"backends: {backends} (library started in {start_ms:.1f} ms)")

    ids = vocab.tokenize(SENTENCE)
    pieces = [vocab.token_bytes(i).decode("utf-8", "replace") for i in ids]
    print(f"\ntext:   {SENTENCE}")
    print(f"ids:    {ids}")
    print(f"pieces: {json.dumps(pieces, ensure_ascii=False)}")
    back = vocab.decode(ids)
    print(f"round trip: {'ok' if back == SENTENCE else 'FAILED'} "
          f"({len(SENTENCE.encode())} bytes -> {len(ids)} tokens)")
    if back != SENTENCE:
        return 1

    docs, origin = sample_text(args.mb)
    text = "".join(docs)
    size_mb = len(text.encode()) / 1e6
    n_tokens = len(vocab.tokenize(text))
    one = best_of(3, lambda: vocab.tokenize(text))
    batch = best_of(3, lambda: vocab.tokenize_batch(docs))
    try:
        import numpy  # noqa: F401  (ids stay in one int32 array: no Python int per token)
        arrays = best_of(3, lambda: vocab.tokenize_batch(docs, numpy=True))
    except ImportError:
        arrays = None
    cores = os.cpu_count() or 1
    print(f"\nthroughput on {size_mb:.1f} MB ({origin}, {len(docs)} documents, "
          f"{n_tokens:,} tokens, {len(text.encode()) / n_tokens:.2f} bytes/token):")
    print(f"  1 thread  tokenize:        {n_tokens / one / 1e6:8.2f} M tokens/s  "
          f"{size_mb / one:8.1f} MB/s")
    print(f"  {cores} threads tokenize_batch: {n_tokens / batch / 1e6:8.2f} M tokens/s  "
          f"{size_mb / batch:8.1f} MB/s")
    if arrays is not None:
        print(f"  {cores} threads, numpy ids:     {n_tokens / arrays / 1e6:8.2f} M tokens/s  "
              f"{size_mb / arrays:8.1f} MB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
