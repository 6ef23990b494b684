"""Writes the npm tiktoken package's rank files as `.tiktoken` files (byte-identical to OpenAI's
published ones: the registry checks their sha256), so tests can point CRAYON_TIKTOKEN_DIR at them
without any network.

    python tests/peers/export_tiktoken.py OUT_DIR [name ...]          # default: all five
    python tests/peers/export_tiktoken.py --json OUT_DIR [name ...]   # also prints each encoding's
        # pattern and special tokens: {"name": {"path": ..., "pat_str": ..., "special_tokens": {...}}}

This is the one way the project writes rank files from the npm package (tests, benchmarks,
`make peers`). As a module: export(out_dir, names) -> {name: path}; npm_spec(name).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENCODERS = HERE / "node_modules" / "tiktoken" / "encoders"
NAMES = ("cl100k_base", "o200k_base", "p50k_base", "r50k_base", "gpt2")

sys.path.insert(0, str(HERE.parents[1] / "bindings" / "python"))
from crayon.compat import _tiktoken_load  # noqa: E402


def available() -> bool:
    return all((ENCODERS / f"{n}.json").exists() for n in NAMES)


def npm_spec(name: str) -> dict:
    """pat_str, special_tokens, mergeable_ranks, explicit_n_vocab as the npm package has them."""
    return _tiktoken_load.npm_encoder(str(ENCODERS / f"{name}.json"))


def export(out_dir: str | os.PathLike, names=NAMES) -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in names:
        path = out / f"{name}.tiktoken"
        if not path.exists():
            _tiktoken_load.dump_tiktoken_bpe(npm_spec(name)["mergeable_ranks"], str(path))
        written[name] = path
    return written


if __name__ == "__main__":
    args = sys.argv[1:]
    as_json = bool(args) and args[0] == "--json"
    if as_json:
        args = args[1:]
    if not args:
        sys.exit(__doc__)
    written = export(args[0], args[1:] or NAMES)
    if as_json:
        import json
        meta = {}
        for n, p in written.items():
            spec = npm_spec(n)
            meta[n] = {"path": str(p), "pat_str": spec["pat_str"], "special_tokens": spec["special_tokens"]}
        print(json.dumps(meta))
    else:
        for n, p in written.items():
            print(n, p)
