"""THE conformance test: our ids equal the npm tiktoken's (OpenAI's Rust core compiled to WASM) for
every document of >= 20 MB of varied real text for cl100k_base and o200k_base, ~2 MB for
p50k_base / r50k_base / gpt2, and generated adversarial strings; and decode_bytes(encode(x)) equals
x's UTF-8 everywhere.

Node runs once per encoding with all documents. CRAYON_CONFORMANCE_SCALE (default 1.0) scales the
corpus, e.g. 0.05 for a quick local run; `make test` runs it at full size.
"""
from __future__ import annotations

import os
import random
import sys
import unicodedata

import pytest

import bpe_support
import corpus
import node_peer

pytestmark = bpe_support.requires_peers()

SCALE = float(os.environ.get("CRAYON_CONFORMANCE_SCALE", "1.0"))
MB = 1 << 20
# kind -> MB, for the two large encodings (sums to 20.5 MB of real text before adversarial strings)
BIG_MIX = {"english": 5.0, "code": 4.0, "multilingual": 5.0, "emoji": 2.5, "whitespace": 2.0,
           "punctuation": 2.0}
SMALL_MIX = {"english": 0.6, "code": 0.5, "multilingual": 0.5, "emoji": 0.2, "whitespace": 0.1,
             "punctuation": 0.1}
ENCODINGS = {"cl100k_base": BIG_MIX, "o200k_base": BIG_MIX, "p50k_base": SMALL_MIX,
             "r50k_base": SMALL_MIX, "gpt2": SMALL_MIX}


def adversarial(seed: int = 20240601) -> list[str]:
    """Strings that stress the split pattern and the merger."""
    rng = random.Random(seed)
    out: list[str] = []

    def random_code_point() -> str:
        while True:  # every plane; assigned code points (see test_unassigned_code_points below)
            plane = rng.choice([0, 0, 0, 1, 1, 2, 3, 14, 15, 16])
            ch = chr(plane * 0x10000 + rng.randrange(0x10000))
            if unicodedata.category(ch) not in ("Cn", "Cs"):
                return ch

    for _ in range(3000):
        out.append("".join(random_code_point() for _ in range(rng.randint(1, 60))))
    for n in (1, 2, 3, 7, 64, 1000, 3000):  # tiktoken is quadratic in a piece's length
        for unit in (" ", "\t", "\n", "\r\n", "\r", " \n", "\n ", "\u3000", "\u00a0", "\x0b\x0c"):
            out.append(unit * n)
            out.append("x" + unit * n + "y")
            out.append(unit * n + "a")
        for unit in ("7", "0123456789", "'", "''s", "'s", "'S", "'ll", "'LL", "'Ve", "'d'", "\u0661", "\uff11",
                     "\U0001D7CE", "\u2167"):
            out.append(unit * n)
            out.append("ab" + unit * n + " cd")
    words = ["don't", "DON'T", "it's", "IT'S", "we'll", "They'Re", "I'm", "you'D", "x'", "'", "''",
             "\u01c5ungla", "\u02b0ello", "na\u0308ive", "\u0915\u093f\u0924\u093e\u092c", "\U0001D400\U0001D401",
             "\u00c9COLE", "\u00e9cole", "CamelCaseWord", "HTTPServer", "x/y/z", "a//b", "//\n", "?!\r\n\r\n",
             "<|endoftext|>", "<|fim_prefix|>", "<|endofprompt|>", "\U0001F468\u200d\U0001F469\u200d\U0001F467",
             "123456789", "3.14159", "1,000,000", "\t\t", "  ", "\r\n", " \r\n ", "...", "\u2019s", "\ufeff"]
    for _ in range(3000):
        parts = [rng.choice(words) for _ in range(rng.randint(1, 40))]
        seps = ["", " ", "  ", "\n", "\r\n", "\t", " \r\n", "\n\n "]
        out.append("".join(p + rng.choice(seps) for p in parts))
    out.append("a" * 20_000)
    out.append("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(20_000)))
    out.append("".join(rng.choice("abcdefghijklmnopqrstuvwxyz \n") for _ in range(100_000)))
    out.append("\U0001F600" * 5_000)
    out.append("".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(10_000)))
    out.append("".join(rng.choice(["\r", "\n", "\r\n", " ", "a", "1", "'"]) for _ in range(100_000)))
    return out


def documents(mix: dict[str, float]) -> list[str]:
    docs: list[str] = []
    for kind, mb in mix.items():
        docs.extend(corpus.documents(kind, int(mb * SCALE * MB)))
    docs.extend(adversarial())
    return docs


def describe_mismatch(enc, doc: str, ours: list[int], theirs: list[int]) -> str:
    i = next((k for k, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
    byte_pos = len(enc.decode_bytes(ours[:i]))
    raw = doc.encode()
    return (f"document of {len(raw)} bytes, first difference at token {i} (byte {byte_pos}):\n"
            f"    text there: {raw[max(0, byte_pos - 30):byte_pos + 50]!r}\n"
            f"    ours:   {ours[max(0, i - 3):i + 6]} -> {enc.decode_tokens_bytes(ours[i:i + 6])}\n"
            f"    theirs: {theirs[max(0, i - 3):i + 6]} -> {[enc.decode_single_token_bytes(t) for t in theirs[i:i + 6] if t <= enc.max_token_value]}")


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_ids_equal_npm_tiktoken_on_real_and_adversarial_text(name):
    enc = bpe_support.get_encoding(name)
    docs = documents(ENCODINGS[name])
    total = sum(len(d.encode()) for d in docs)
    theirs = node_peer.tiktoken_ids(name, docs)
    assert len(theirs) == len(docs)
    ours = [enc.encode_ordinary(d) for d in docs]
    batch = enc.encode_ordinary_batch(docs)
    mismatches = [k for k in range(len(docs)) if ours[k] != theirs[k]]
    report = "\n".join(describe_mismatch(enc, docs[k], ours[k], theirs[k]) for k in mismatches[:5])
    print(f"{name}: {len(docs)} documents, {total / MB:.1f} MB, {sum(map(len, theirs))} tokens, "
          f"{len(mismatches)} mismatches", file=sys.stderr)
    assert not mismatches, f"{name}: {len(mismatches)} of {len(docs)} documents differ\n{report}"
    assert batch == ours, f"{name}: encode_ordinary_batch differs from encode_ordinary"
    bad_round_trip = [k for k in range(len(docs)) if enc.decode_bytes(ours[k]) != docs[k].encode()]
    assert not bad_round_trip, f"{name}: decode_bytes(encode(x)) != x for documents {bad_round_trip[:10]}"
    assert total >= (20 if ENCODINGS[name] is BIG_MIX else 2) * MB * SCALE


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_allowed_specials_equal_npm_tiktoken(name):
    enc = bpe_support.get_encoding(name)
    rng = random.Random(7)
    base = corpus.documents("english", int(0.5 * MB * max(SCALE, 0.1)))
    specials = sorted(enc.special_tokens_set)
    docs = []
    for d in base:  # real text with special tokens spliced in, also glued to words
        cut = sorted(rng.randrange(len(d) + 1) for _ in range(3))
        docs.append(d[:cut[0]] + rng.choice(specials) + d[cut[0]:cut[1]] + rng.choice(specials) + "x" + d[cut[1]:])
    docs += [s * 3 for s in specials] + ["<|endoftext" + s for s in specials]
    theirs = node_peer.tiktoken_ids(name, docs, mode="all")
    ours = [enc.encode(d, allowed_special="all") for d in docs]
    mismatches = [k for k in range(len(docs)) if ours[k] != theirs[k]]
    report = "\n".join(describe_mismatch(enc, docs[k], ours[k], theirs[k]) for k in mismatches[:5])
    assert not mismatches, f"{name}: {len(mismatches)} documents differ\n{report}"
    assert enc.encode_batch(docs, allowed_special="all") == ours


def unassigned_code_point_strings(seed: int = 77) -> list[str]:
    """Code points unassigned in this Python's Unicode tables, some of which later versions assign."""
    rng = random.Random(seed)
    out = []
    for _ in range(2000):
        chars = []
        while len(chars) < rng.randint(2, 30):
            ch = chr(rng.choice([0, 1, 1, 2, 3, 14]) * 0x10000 + rng.randrange(0x10000))
            if unicodedata.category(ch) == "Cn":
                chars.append(ch)
            elif rng.random() < 0.3:
                chars.append(rng.choice("ab1 '\n\u00e9\u4e00"))
        out.append("".join(chars))
    return out


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_unassigned_code_points(name):
    enc = bpe_support.get_encoding(name)
    docs = unassigned_code_point_strings()
    theirs = node_peer.tiktoken_ids(name, docs)
    ours = enc.encode_ordinary_batch(docs)
    assert all(enc.decode_bytes(o) == d.encode() for o, d in zip(ours, docs))
    mismatches = [k for k in range(len(docs)) if ours[k] != theirs[k]]
    report = "\n".join(describe_mismatch(enc, docs[k], ours[k], theirs[k]) for k in mismatches[:3])
    assert not mismatches, f"{name}: {len(mismatches)} of {len(docs)} documents differ\n{report}"
