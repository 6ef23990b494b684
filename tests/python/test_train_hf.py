"""Our merges against Hugging Face's BPE trainer (npm `tokenizers`, tests/peers/hf_train.js) on real text.

HF is configured as rustbpe users would: the split regex as an isolating Split pre-tokenizer, then
ByteLevel (no prefix space, no regex of its own), no minimum frequency. Its node binding trains with
the default vocabulary size, 30000 including its alphabet, and reads files line by line, so our
trainer is fed the same lines and asked for the same number of merges.

HF numbers its byte alphabet by the code points of the printable characters standing in for bytes
(GPT-2's byte encoder: 'Ġ' for the space, ...), not by byte value, so the two trainers break ties
between equally frequent pairs differently. The test shows that this is the only difference:
  1. with our default (byte value) order, the merges first differ at a merge whose count is tied;
  2. with HF's byte order given to our trainer (byte_order=), every merge is identical.
It prints how many merges differ in case 1.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from train_support import NANOCHAT, PEERS, ROOT, requires_npm  # noqa: E402
import corpus  # noqa: E402

from crayon.compat import rustbpe  # noqa: E402


pytestmark = requires_npm("tokenizers")


def gpt2_byte_chars() -> dict[int, str]:
    """GPT-2's byte → printable character map, which HF's ByteLevel uses."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    out, extra = {b: chr(b) for b in printable}, 0
    for b in range(256):
        if b not in out:
            out[b] = chr(256 + extra)
            extra += 1
    return out


def hf_byte_order() -> bytes:
    """order[b] = the rank of byte b's stand-in character among all 256 (HF's alphabet order)."""
    chars = gpt2_byte_chars()
    order = bytearray(256)
    for rank, b in enumerate(sorted(range(256), key=lambda b: ord(chars[b]))):
        order[b] = rank
    return bytes(order)


def hf_merges(text_file: Path, pattern: str, tmp_path: Path) -> tuple[list[tuple[bytes, bytes]], float]:
    out = tmp_path / "hf.json"
    r = subprocess.run(["node", str(PEERS / "hf_train.js"), "--pattern", pattern, "--out", str(out), str(text_file)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    info = json.loads(r.stdout.strip().splitlines()[-1])
    to_byte = {c: b for b, c in gpt2_byte_chars().items()}
    merges = [(bytes(to_byte[c] for c in a), bytes(to_byte[c] for c in b))
              for a, b in json.loads(out.read_text(encoding="utf-8"))["model"]["merges"]]
    assert len(merges) == info["merges"]
    return merges, info["seconds"]


def ours(lines: list[str], pattern: str, merges: int, byte_order: bytes | None = None):
    tok = rustbpe.Tokenizer()
    tok.train_from_iterator(lines, 256 + merges, pattern=pattern, byte_order=byte_order)
    tokens = [t for t, _ in tok.get_mergeable_ranks()]
    return [(tokens[a], tokens[b]) for a, b in tok.get_merges()], tok.get_merge_counts()


@pytest.mark.parametrize("kind,pattern", [("english", rustbpe.GPT4_PATTERN), ("code", NANOCHAT)])
def test_merges_agree_with_hugging_face_up_to_byte_numbering(kind, pattern, tmp_path):
    text = "".join(corpus.documents(kind, 1_100_000))
    text_file = tmp_path / "corpus.txt"
    text_file.write_text(text, encoding="utf-8")
    lines = text.splitlines(keepends=True)

    hf, hf_seconds = hf_merges(text_file, pattern, tmp_path)
    assert len(hf) > 10_000

    # 2. HF's tie order: identical merges, every one.
    same_order, _ = ours(lines, pattern, len(hf), byte_order=hf_byte_order())
    first = next((k for k, (a, b) in enumerate(zip(same_order, hf)) if a != b), None)
    assert first is None and len(same_order) == len(hf), \
        f"with HF's byte order, merge {first} differs: ours {same_order[first]} vs HF {hf[first]}"

    # 1. Our order: the first difference is a tie. Both runs are identical up to it, so the count of
    # HF's choice there is what our HF-order run recorded at the same step.
    default, counts = ours(lines, pattern, len(hf))
    _, hf_order_counts = ours(lines, pattern, len(hf), byte_order=hf_byte_order())
    diffs = [k for k, (a, b) in enumerate(zip(default, hf)) if a != b]
    only_ours = set(default) - set(hf)
    print(f"\n{kind}: {len(text.encode())} bytes, {len(hf)} merges; HF {hf_seconds:.2f}s; "
          f"byte-value tie order: {len(diffs)} positions differ (first at merge {diffs[0] if diffs else None}), "
          f"{len(only_ours)} merges only ours; HF byte order: 0 differ")
    if diffs:
        k = diffs[0]
        assert counts[k] == hf_order_counts[k], f"merge {k}: counts {counts[k]} vs {hf_order_counts[k]} (not a tie)"
        assert default[:k] == hf[:k]
