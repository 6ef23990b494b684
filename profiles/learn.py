#!/usr/bin/env python3
"""Learns the shipped vocabulary lists (profiles/<name>.json) from real text on this machine.

Uses libcrayon.so directly through ctypes (path from $CRAYON_LIBRARY, default build/native/libcrayon.so):
crayon_vocab_learn over documents from tests/corpus.py. Deterministic: the same machine text gives the
same lists. The JSON lists are the source of the profiles; profiles/build.py compiles them to .dat.

    CRAYON_LIBRARY=build/native/libcrayon.so python3 profiles/learn.py            # all recipes
    CRAYON_LIBRARY=build/native/libcrayon.so python3 profiles/learn.py lite       # one
"""
from __future__ import annotations

import ctypes
import json
import os
import sys
import time
from ctypes import POINTER, c_char_p, c_int, c_size_t, c_uint8, c_uint64, c_void_p, CFUNCTYPE
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))
import corpus  # noqa: E402

MB = 1 << 20

# name: (corpus kinds with byte budgets, max learned tokens, max token bytes, description)
RECIPES = {
    "lite": ([("english", 12 * MB), ("multilingual", 4 * MB)], 40000, 16,
             "general English prose (Vim manual, copyright files, man pages) plus multilingual man pages and gettext catalogs"),
    "code": ([("code", 40 * MB)], 40000, 24,
             "source code on this machine (Python standard library, C headers)"),
}

PROGRESS = CFUNCTYPE(c_int, c_void_p, c_uint64, c_uint64)


def load_library() -> ctypes.CDLL:
    path = os.environ.get("CRAYON_LIBRARY", str(ROOT / "build" / "native" / "libcrayon.so"))
    lib = ctypes.CDLL(path)
    lib.crayon_vocab_learn.restype = c_int
    lib.crayon_vocab_learn.argtypes = [POINTER(c_char_p), POINTER(c_size_t), c_size_t, c_size_t, c_size_t,
                                       PROGRESS, c_void_p, POINTER(POINTER(c_uint8)), POINTER(c_size_t)]
    lib.crayon_free_buffer.argtypes = [c_void_p]
    lib.crayon_last_error.restype = c_char_p
    return lib


def learn(lib: ctypes.CDLL, name: str) -> list[str]:
    sources, max_tokens, max_bytes, _ = RECIPES[name]
    docs: list[bytes] = []
    for kind, budget in sources:
        docs.extend(d.encode("utf-8", "surrogatepass") for d in corpus.documents(kind, budget))
    total = sum(map(len, docs))
    texts = (c_char_p * len(docs))(*docs)
    lens = (c_size_t * len(docs))(*map(len, docs))
    last = [0.0]

    def progress(_user, done, all_):
        now = time.monotonic()
        if now - last[0] > 1.0 or done == all_:
            last[0] = now
            print(f"  {name}: step {done}/{all_}", file=sys.stderr, flush=True)
        return 0

    cb = PROGRESS(progress)
    out, out_len = POINTER(c_uint8)(), c_size_t()
    start = time.monotonic()
    rc = lib.crayon_vocab_learn(texts, lens, len(docs), max_tokens, max_bytes, cb, None, ctypes.byref(out), ctypes.byref(out_len))
    if rc != 0:
        raise SystemExit(f"crayon_vocab_learn failed ({rc}): {lib.crayon_last_error().decode()}")
    try:
        tokens = json.loads(ctypes.string_at(out, out_len.value))
    finally:
        lib.crayon_free_buffer(out)
    print(f"{name}: {len(tokens)} tokens learned from {len(docs)} documents, {total / MB:.1f} MiB, "
          f"in {time.monotonic() - start:.1f} s", file=sys.stderr)
    return tokens


def main(argv: list[str]) -> int:
    lib = load_library()
    for name in argv or list(RECIPES):
        if name not in RECIPES:
            raise SystemExit(f"unknown recipe {name!r}; known: {', '.join(RECIPES)}")
        tokens = learn(lib, name)
        path = HERE / f"{name}.json"
        # One token per line keeps diffs of the learned lists readable.
        path.write_text("[\n" + ",\n".join(json.dumps(t, ensure_ascii=False) for t in tokens) + "\n]\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
