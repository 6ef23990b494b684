"""Shared fixtures for the engine tests: small real vocabularies and a reference tokenizer.

The reference is the paper's algorithm 4.1 written the slow, obvious way: at each position take
the longest vocabulary entry that matches, else the byte token of that byte.
"""
from __future__ import annotations

import collections
import os
import re
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
BYTE_ID_BASE = 4          # crayon.h: CRAYON_BYTE_ID_BASE
FIRST_LEARNED_ID = 260    # crayon.h: CRAYON_FIRST_LEARNED_ID


def corpus_documents(kind: str, max_bytes: int) -> list[str]:
    sys.path.insert(0, str(TESTS))
    try:
        import corpus
        return corpus.documents(kind, max_bytes)
    finally:
        sys.path.remove(str(TESTS))


def frequent_words(kind: str, count: int, max_bytes: int = 1 << 20) -> list[str]:
    """The ``count`` most frequent words of real text, most frequent first (ties: alphabetical)."""
    counts: collections.Counter[str] = collections.Counter()
    for doc in corpus_documents(kind, max_bytes):
        counts.update(re.findall(r" ?\w+|[^\w\s]+|\s+", doc))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [w for w, _ in ranked if len(w.encode()) > 1][:count]


def build_dat(tokens: list[str], name: str, source: str = "tests") -> bytes:
    from crayon.c_ext.dat_builder import DATBuilder
    return DATBuilder(name=name, source=source).build(tokens).to_bytes()


def write_dat(directory: Path, tokens: list[str], name: str) -> Path:
    path = Path(directory) / f"{name}.dat"
    path.write_bytes(build_dat(tokens, name))
    return path


def token_table(vocab) -> dict[bytes, int]:
    """bytes → id for every learned token, read back through decode (so nothing is assumed)."""
    return {vocab.token_bytes(i): i for i in range(FIRST_LEARNED_ID, vocab.vocab_size)}


def reference_tokenize(data: bytes, table: dict[bytes, int]) -> list[int]:
    longest = max(map(len, table), default=1)
    out, i = [], 0
    while i < len(data):
        for size in range(min(longest, len(data) - i), 1, -1):
            tid = table.get(data[i:i + size])
            if tid is not None:
                out.append(tid)
                i += size
                break
        else:
            out.append(table.get(data[i:i + 1], BYTE_ID_BASE + data[i]))
            i += 1
    return out


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess, with the crayon variables of this process kept."""
    env = dict(os.environ)
    env.update(extra)
    return env
