#!/usr/bin/env python3
"""Compiles every vocabulary list profiles/<name>.json into <out>/<name>.dat with crayon_dat_build.

    CRAYON_LIBRARY=build/native/libcrayon.so python3 profiles/build.py build/profiles

Uses libcrayon.so through ctypes (path from $CRAYON_LIBRARY, default build/native/libcrayon.so).
profiles/<name>.meta.json (written by profiles/learn.py) gives the .dat its normalisation (NFC or
none) and its "source" metadata: where the list was learned from. Entries are strings, or
{"bytes": "<base64>"} for tokens that are part of a character.
Deterministic: the same JSON gives byte-identical .dat files (ids follow the list order).
"""
from __future__ import annotations

import base64
import ctypes
import json
import os
import sys
from ctypes import POINTER, c_char_p, c_int, c_size_t, c_uint8, c_uint32, c_void_p
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CRAYON_DAT_NFC = 1  # crayon.h


def load_library() -> ctypes.CDLL:
    lib = ctypes.CDLL(os.environ.get("CRAYON_LIBRARY", str(ROOT / "build" / "native" / "libcrayon.so")))
    lib.crayon_dat_build.restype = c_int
    lib.crayon_dat_build.argtypes = [POINTER(c_char_p), POINTER(c_size_t), c_size_t, c_char_p, c_char_p,
                                     c_uint32, POINTER(POINTER(c_uint8)), POINTER(c_size_t)]
    lib.crayon_free_buffer.argtypes = [c_void_p]
    lib.crayon_last_error.restype = c_char_p
    return lib


def entry_bytes(entry: object, where: str) -> bytes:
    if isinstance(entry, str):
        return entry.encode("utf-8")
    if isinstance(entry, dict) and set(entry) == {"bytes"}:
        return base64.b64decode(entry["bytes"], validate=True)
    raise SystemExit(f"{where}: entries must be strings or {{\"bytes\": base64}} objects")


def source_of(name: str, meta: dict | None) -> str:
    """The one-line provenance stored in the .dat (crayon info shows it)."""
    if meta is None:
        return f"profiles/{name}.json"
    packages = sorted({p for s in meta["sources"] for p in s["packages"]})
    return (f"learned by profiles/learn.py from the {meta['corpus']} corpus ({meta['train_bytes'] / 1e6:.0f} MB): "
            f"{meta['description']}; packages: {', '.join(packages)} (versions: profiles/{name}.meta.json)")


def build(lib: ctypes.CDLL, raw: list[bytes], name: str, source: str, flags: int = 0) -> bytes:
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
    lists = sorted(p for p in HERE.glob("*.json") if not p.name.endswith(".meta.json"))
    if not lists:
        raise SystemExit(f"no vocabulary lists in {HERE}")
    for path in lists:
        name = path.stem
        tokens = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(tokens, list):
            raise SystemExit(f"{path}: expected a JSON array")
        meta_path = HERE / f"{name}.meta.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else None
        flags = CRAYON_DAT_NFC if meta and meta.get("normalization") == "nfc" else 0
        raw = [entry_bytes(t, f"{path} entry {i}") for i, t in enumerate(tokens)]
        image = build(lib, raw, name, source_of(name, meta), flags)
        target = out_dir / f"{name}.dat"
        tmp = target.with_suffix(".dat.tmp")
        tmp.write_bytes(image)
        os.replace(tmp, target)  # atomic: a running tokenizer never maps a half-written file
        print(f"{target}: {len(tokens)} tokens, {len(image)} bytes" + (", NFC" if flags else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
