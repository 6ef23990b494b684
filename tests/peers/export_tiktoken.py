"""Writes the npm tiktoken package's rank files as `.tiktoken` files (byte-identical to OpenAI's
published ones: the registry checks their sha256), so tests can point CRAYON_TIKTOKEN_DIR at them
without any network.

    python tests/peers/export_tiktoken.py OUT_DIR [name ...]      # default: all five

As a module: export(out_dir, names) -> {name: path}.
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
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for n, p in export(sys.argv[1], sys.argv[2:] or NAMES).items():
        print(n, p)
