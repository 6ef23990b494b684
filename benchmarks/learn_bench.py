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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kinds", default="english,multilingual,code,email")
    ap.add_argument("--sizes", default="32768,100000")
    ap.add_argument("--mb", type=float, default=20, help="text per kind (train + held out), MB")
    ap.add_argument("--max-token-bytes", type=int, default=32)
    ap.add_argument("--small-corpus", action="store_true", help="tests/corpus.py instead of profiles/corpora.py")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
