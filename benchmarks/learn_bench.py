"""The longest-match learner (``crayon learn``) against plain BPE (``crayon.compat.rustbpe``, GPT-4 split)
with the same training text and the same total vocabulary size, on held-out text of the same kind.

    CRAYON_LIBRARY=$PWD/build/native/libcrayon.so PYTHONPATH=bindings/python \
        python3 benchmarks/learn_bench.py [--kinds english,multilingual,code,email] [--sizes 32768,100000] [--mb 20]

Text: the cartridges' corpora (profiles/corpora.py; `make corpora`). Each kind's documents are split by document: every fifth one is held out (20 %), the rest trains both.
BPE gets ``vocab_size`` = the total size (256 bytes + merges); the learner gets ``size − 260`` learned
tokens (its 4 specials and 256 byte tokens complete the same total). The figure that matters is the
ratio of tokens on the held-out text: learner / BPE (below 1 means fewer tokens than BPE).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "profiles"))
sys.path.append(str(ROOT / "bindings" / "python"))
import corpus  # noqa: E402

from crayon.c_ext.dat_builder import DATBuilder  # noqa: E402
from crayon.compat import rustbpe, tiktoken  # noqa: E402
from crayon.core.learn import learn_vocab  # noqa: E402
from crayon.core.vocabulary import CrayonVocab  # noqa: E402


def documents(kind: str, max_bytes: int) -> list[str]:
    """The cartridges' corpora (profiles/corpora.py, `make corpora`); tests/corpus.py's text (base
    system files only) with --small-corpus."""
    if SMALL:
        return corpus.documents(kind, max_bytes)
    import corpora  # noqa: PLC0415
    return corpora.documents(kind, max_bytes)


SMALL = False


def split(docs: list[str]) -> tuple[list[str], list[str]]:
    return [d for i, d in enumerate(docs) if i % 5 != 4], [d for i, d in enumerate(docs) if i % 5 == 4]


def bpe_tokens(train: list[str], test: list[str], size: int) -> tuple[int, int, float]:
    """(held-out tokens, vocabulary size reached, training seconds)."""
    t0 = time.perf_counter()
    tok = rustbpe.Tokenizer()
    tok.train_from_iterator(train, size, pattern=rustbpe.GPT4_PATTERN)
    seconds = time.perf_counter() - t0
    enc = tiktoken.Encoding(name="bench", pat_str=tok.get_pattern(),
                            mergeable_ranks=dict(tok.get_mergeable_ranks()), special_tokens={})
    return sum(map(len, enc.encode_ordinary_batch(test))), enc.n_vocab, seconds


def learner_tokens(train: list[str], test: list[str], size: int, max_token_bytes: int) -> tuple[int, int, float]:
    t0 = time.perf_counter()
    tokens = learn_vocab(train, size - 260, max_token_bytes=max_token_bytes)
    seconds = time.perf_counter() - t0
    builder = DATBuilder(name="bench")
    builder.build(tokens)
    with CrayonVocab.from_dat_bytes(builder.to_bytes()) as vocab:
        return sum(map(len, vocab.tokenize_batch(test))), vocab.vocab_size, seconds


SPEED_CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2])
import corpora
from crayon.core.learn import learn_vocab

def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])   # kB
kind, mb, size, repeat = sys.argv[3], float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
docs = [d.encode() for d in corpora.documents(kind, int(mb * 1e6))] * repeat
before = status("VmRSS")
t0 = time.perf_counter()
tokens = learn_vocab(docs, size)
print(json.dumps({"seconds": time.perf_counter() - t0, "tokens": len(tokens), "bytes": sum(map(len, docs)),
                  "peak_mb": status("VmHWM") / 1024, "before_mb": before / 1024}))
"""


def learn_speed(kind: str, mb: float, size: int, repeat: int) -> dict:
    """Learning time and peak memory of a fresh process (the text is read before the clock starts)."""
    r = subprocess.run([sys.executable, "-c", SPEED_CHILD, str(ROOT / "profiles"), str(ROOT / "bindings" / "python"),
                        kind, str(mb), str(size), str(repeat)], capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kinds", default="english,multilingual,code,email")
    ap.add_argument("--sizes", default="32768,100000")
    ap.add_argument("--mb", type=float, default=20, help="text per kind (train + held out), MB")
    ap.add_argument("--max-token-bytes", type=int, default=32)
    ap.add_argument("--small-corpus", action="store_true", help="tests/corpus.py instead of profiles/corpora.py")
    ap.add_argument("--speed", default="code:100:100000,code:100:250000,english:100:50000,english:25:50000,english:25:50000:4",
                    help="learning time runs, kind:MB:ids[:repeat] comma-separated ('' for none); repeat > 1 "
                         "feeds the same text that many times (more corpus, same distinct material)")
    args = ap.parse_args()
    global SMALL
    SMALL = args.small_corpus
    print("| text | vocab asked | train MB | held-out MB | BPE ids | BPE tokens | learner ids | learner tokens "
          "| learner / BPE | BPE train s | learner s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind in args.kinds.split(","):
        docs = documents(kind, int(args.mb * 1e6))
        train, test = split(docs)
        for size in map(int, args.sizes.split(",")):
            b, bv, bs = bpe_tokens(train, test, size)
            c, cv, cs = learner_tokens(train, test, size, args.max_token_bytes)
            print(f"| {kind} | {size:,} | {corpus.size(train) / 1e6:.1f} | {corpus.size(test) / 1e6:.1f} | {bv:,} | {b:,} "
                  f"| {cv:,} | {c:,} | **{c / b:.3f}** | {bs:.1f} | {cs:.1f} |", flush=True)
    if args.speed:
        print("\n| learning time | text MB | learned tokens | seconds | peak RSS MB (process, text included) | RSS before learning MB |")
        print("|---|---:|---:|---:|---:|---:|")
        for run in args.speed.split(","):
            kind, mb, size, *rep = run.split(":")
            repeat = int(rep[0]) if rep else 1
            r = learn_speed(kind, float(mb), int(size), repeat)
            label = f"{kind}{f' ×{repeat}' if repeat > 1 else ''}, {int(size):,} tokens"
            print(f"| {label} | {r['bytes'] / 1e6:.1f} | {r['tokens']:,} | {r['seconds']:.1f} "
                  f"| {r['peak_mb']:.0f} | {r['before_mb']:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
