"""A Hugging Face `tokenizers` byte-level BPE (tokenizer.json) built from tiktoken ranks, so the
npm `tokenizers` package can run the same encoding in benchmarks.

tiktoken stores ranks, not merges. The merge for a token is recovered by running rank-ordered BPE
on its bytes with the lower-ranked tokens until two parts remain: those two parts are the merge.
HF then applies merges by merge priority, which equals the token's rank. With `ignore_merges` a
piece that is one token is looked up whole, as tiktoken does. The two agree on almost all text;
they can differ where a token is reachable by two different last merges, so this is a speed peer,
not a conformance oracle (the benchmark prints how many documents agree).
"""
from __future__ import annotations

import json
import os
from pathlib import Path


def byte_alphabet() -> list[str]:
    """GPT-2's printable stand-in for each byte value (the ByteLevel pre-tokenizer's alphabet)."""
    keep = [b for b in range(256) if chr(b).isprintable() and chr(b) != " "]
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return [table[b] for b in range(256)]


def merges_from_ranks(ranks: dict[bytes, int]) -> list[tuple[bytes, bytes]]:
    merges = []
    for token, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        if len(token) < 2:
            continue
        parts = [token[i:i + 1] for i in range(len(token))]
        while len(parts) > 2:
            best, at = None, -1
            for i in range(len(parts) - 1):
                r = ranks.get(parts[i] + parts[i + 1])
                if r is not None and r < rank and (best is None or r < best):
                    best, at = r, i
            if best is None:
                break
            parts[at:at + 2] = [parts[at] + parts[at + 1]]
        if len(parts) == 2:
            merges.append((parts[0], parts[1]))
    return merges


def tokenizer_json(ranks: dict[bytes, int], pat_str: str) -> dict:
    alpha = byte_alphabet()

    def show(b: bytes) -> str:
        return "".join(alpha[x] for x in b)

    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": pat_str}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
                  "vocab": {show(t): r for t, r in ranks.items()},
                  "merges": [[show(a), show(b)] for a, b in merges_from_ranks(ranks)]},
    }


def tokenizer_file(name: str, ranks: dict[bytes, int], pat_str: str, cache_dir: str | os.PathLike) -> Path:
    """tokenizer.json for an encoding, built once into cache_dir."""
    path = Path(cache_dir) / f"hf-{name}.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(tokenizer_json(ranks, pat_str)), encoding="utf-8")
        os.replace(tmp, path)
    return path
