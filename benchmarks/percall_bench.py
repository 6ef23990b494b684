"""What one call costs from Python on a short text: µs per call of `crayon.compat.tiktoken`'s
encode_ordinary, encode, decode and decode_tokens_bytes (cl100k_base; the decodes get each text's
ids) and of `CrayonVocab.tokenize` (`lite`, in the column "tokenize"), for chat-sized
texts, with the npm tiktoken (OpenAI's Rust core as WASM, timed inside node, one call per text) in
the same run on the same texts, ids checked identical first.

    make native profiles peers && CRAYON_LIBRARY=$PWD/build/native/libcrayon.so \
        CRAYON_PROFILE_DIR=$PWD/build/profiles PYTHONPATH=bindings/python \
        .venv/bin/python benchmarks/percall_bench.py [--texts 2000] [--repeat 7] [--bindings DIR ...]

Texts: the first N characters of English documents from tests/corpus.py, 2,000 different texts per
size (11, 60, 400 and 4,000 characters). Each figure is the best of --repeat passes over all texts
(time.perf_counter, the loop's own cost included, as a caller pays it; after an untimed pass), in
one process per size, the best of --rounds such processes. With --bindings (repeat the option), each
Python package tree is measured in its own processes, alternating, so that two versions of the
bindings can be set side by side in one run (e.g. a `git worktree` of the last commit's
bindings/python against this one's).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import machine  # noqa: E402  (benchmarks/, this script's folder)

ROOT = Path(__file__).resolve().parents[1]
SIZES = (11, 60, 400, 4000)


def texts_of(size: int, count: int) -> list[str]:
    sys.path[:0] = [str(ROOT / "tests")]
    import corpus
    docs = [d for d in corpus.documents("english", 8 << 20) if len(d) >= size]
    out, i = [], 0
    while len(out) < count:   # different texts: windows of the documents
        d = docs[i % len(docs)]
        at = (i // len(docs)) * size
        if at + size <= len(d):
            out.append(d[at:at + size])
        i += 1
        if i > 50 * count:
            break
    return out


def best_us(fn, texts: list, repeat: int) -> float:
    for s in texts:   # untimed: the first pass of a process fills its caches
        fn(s)
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        for s in texts:
            fn(s)
        best = min(best, time.perf_counter() - t)
    return best / len(texts) * 1e6


def worker(count: int, repeat: int, sizes: list[int]) -> dict:
    from crayon import CrayonVocab
    from crayon.compat import tiktoken
    enc = tiktoken.get_encoding("cl100k_base")
    out = {}
    with CrayonVocab(device="cpu", profile="lite") as vocab:
        for size in sizes:
            texts = texts_of(size, count)
            ids = [enc.encode_ordinary(t) for t in texts]
            out[str(size)] = {
                "encode_ordinary": best_us(enc.encode_ordinary, texts, repeat),
                "encode": best_us(enc.encode, texts, repeat),
                "tokenize": best_us(vocab.tokenize, texts, repeat),
                "decode": best_us(enc.decode, ids, repeat),
                "decode_tokens_bytes": best_us(enc.decode_tokens_bytes, ids, repeat),
                "ids": ids,
            }
    return out


def npm_tiktoken_us(texts: list[str], repeat: int) -> tuple[float, list[list[int]]]:
    sys.path[:0] = [str(ROOT / "tests" / "peers")]
    import node_peer
    info = node_peer.run(["--peer", "tiktoken", "--encoding", "cl100k_base", "--mode", "ordinary",
                          "--repeat", str(repeat)], texts, want_ids=True)
    return min(info["seconds"]) / len(texts) * 1e6, info["ids"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--texts", type=int, default=2000, help="different texts per size")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=2, help="processes per tree and size, alternating; best kept")
    ap.add_argument("--bindings", action="append", help="a bindings/python tree to measure (repeat for A/B)")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.texts, a.repeat, [a.worker])))
        return 0
    trees = a.bindings or [str(ROOT / "bindings" / "python")]
    # One process per tree and size, the trees alternating: the first seconds of a run on this
    # machine measured slower whichever tree went first.
    results: list[dict] = [{} for _ in trees]
    for _ in range(a.rounds):
        for size in SIZES:
            for i, tree in enumerate(trees):
                env = dict(os.environ, PYTHONPATH=os.pathsep.join([tree, os.environ.get("PYTHONPATH", "")]))
                r = subprocess.run([sys.executable, __file__, "--worker", str(size), "--texts", str(a.texts),
                                    "--repeat", str(a.repeat)], env=env, capture_output=True, text=True, check=True)
                row = json.loads(r.stdout.strip().splitlines()[-1])[str(size)]
                old = results[i].get(str(size))
                results[i][str(size)] = row if old is None else {k: min(v, row[k]) if k != "ids" else v
                                                                  for k, v in old.items()}
    peer = {}
    try:
        for size in SIZES:
            us, ids = npm_tiktoken_us(texts_of(size, a.texts), a.repeat)
            if ids != results[0][str(size)]["ids"]:
                raise SystemExit(f"{size} characters: npm tiktoken's ids differ from crayon's")
            peer[size] = us
    except (OSError, RuntimeError) as e:
        print(f"(npm tiktoken not run: {e}; `make peers` installs it)")
    load = os.getloadavg()[0]
    print(f"µs per call, best of {a.rounds} processes x {a.repeat} passes over {a.texts} texts per size; "
          f"load average {load:.1f}")
    print(f"cpu: {machine.describe()}")
    names = [Path(t).resolve().as_posix() for t in trees]
    calls = ("encode_ordinary", "encode", "tokenize", "decode", "decode_tokens_bytes")
    head = "| characters | " + " | ".join(
        f"{call} ({i + 1})" if len(trees) > 1 else call for call in calls for i in range(len(trees)))
    print(head + " | npm tiktoken encode_ordinary |")
    print("|---" * (2 + len(calls) * len(trees)) + "|")
    for size in SIZES:
        cells = [f"{results[i][str(size)][k]:.2f}" for k in calls for i in range(len(trees))]
        print(f"| {size} | " + " | ".join(cells) + f" | {peer[size]:.2f} |" if size in peer else
              f"| {size} | " + " | ".join(cells) + " | |")
    if len(trees) > 1:
        for i, n in enumerate(names):
            print(f"({i + 1}) {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
