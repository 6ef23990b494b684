#!/usr/bin/env python3
"""Compiles every vocabulary list profiles/<name>.json into <out>/<name>.dat with crayon_dat_build.

    CRAYON_LIBRARY=build/native/libcrayon.so python3 profiles/build.py build/profiles

Uses libcrayon.so through ctypes (path from $CRAYON_LIBRARY, default build/native/libcrayon.so).
Deterministic: the same JSON gives byte-identical .dat files (ids follow the list order).
"""
from __future__ import annotations

import ctypes
import json
import os
import sys
from ctypes import POINTER, c_char_p, c_int, c_size_t, c_uint8, c_uint32, c_void_p
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# Stored in each .dat as its "source" metadata (crayon_profile_info); see profiles/README.md.
SOURCES = {
    "lite": "learned by profiles/learn.py (crayon_vocab_learn) from English text and multilingual man pages/catalogs on Debian",
    "code": "learned by profiles/learn.py (crayon_vocab_learn) from the Python standard library and C headers on Debian",
}

# Profiles whose text is normalised to NFC before matching (CRAYON_DAT_NFC: the flag is stored in
# the .dat, and tokenize applies it); every other profile matches bytes as given. See profiles/README.md.
NORMALIZE_NFC: set[str] = set()
CRAYON_DAT_NFC = 1  # crayon.h


def load_library() -> ctypes.CDLL:
    lib = ctypes.CDLL(os.environ.get("CRAYON_LIBRARY", str(ROOT / "build" / "native" / "libcrayon.so")))
    lib.crayon_dat_build.restype = c_int
    lib.crayon_dat_build.argtypes = [POINTER(c_char_p), POINTER(c_size_t), c_size_t, c_char_p, c_char_p,
                                     c_uint32, POINTER(POINTER(c_uint8)), POINTER(c_size_t)]
    lib.crayon_free_buffer.argtypes = [c_void_p]
    lib.crayon_last_error.restype = c_char_p
    return lib


def build(lib: ctypes.CDLL, tokens: list[str], name: str, source: str, flags: int = 0) -> bytes:
    raw = [t.encode("utf-8") for t in tokens]
    arr = (c_char_p * len(raw))(*raw)
    lens = (c_size_t * len(raw))(*map(len, raw))
    out, out_len = POINTER(c_uint8)(), c_size_t()
    rc = lib.crayon_dat_build(arr, lens, len(raw), name.encode(), source.encode(), flags,
                              ctypes.byref(out), ctypes.byref(out_len))
    if rc != 0:
        raise SystemExit(f"crayon_dat_build({name}) failed ({rc}): {lib.crayon_last_error().decode()}")
    try:
        return ctypes.string_at(out, out_len.value)
    finally:
        lib.crayon_free_buffer(out)


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0]) if argv else ROOT / "build" / "profiles"
    out_dir.mkdir(parents=True, exist_ok=True)
    lib = load_library()
    lists = sorted(HERE.glob("*.json"))
    if not lists:
        raise SystemExit(f"no vocabulary lists in {HERE}")
    for path in lists:
        name = path.stem
        tokens = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise SystemExit(f"{path}: expected a JSON array of strings")
        flags = CRAYON_DAT_NFC if name in NORMALIZE_NFC else 0
        image = build(lib, tokens, name, SOURCES.get(name, f"profiles/{path.name}"), flags)
        target = out_dir / f"{name}.dat"
        tmp = target.with_suffix(".dat.tmp")
        tmp.write_bytes(image)
        os.replace(tmp, target)  # atomic: a running tokenizer never maps a half-written file
        print(f"{target}: {len(tokens)} tokens, {len(image)} bytes" + (", NFC" if flags else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
