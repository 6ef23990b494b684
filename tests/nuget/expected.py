#!/usr/bin/env python3
"""Writes the ids the NuGet consumer test (tests/nuget/run.sh) must reproduce, computed without the
package: longest match by the slow reference of tests/python/engine_support.py over the lite
profile's token table (read through the Python package), cl100k_base by the npm tiktoken.

    CRAYON_LIBRARY=build/native/libcrayon.so PYTHONPATH=bindings/python \
        python tests/nuget/expected.py build/profiles/lite.dat OUT.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS / "python"), str(TESTS / "peers"), str(TESTS)]

import corpus  # noqa: E402
import engine_support as es  # noqa: E402
import node_peer  # noqa: E402
from crayon import CrayonVocab  # noqa: E402

# Short texts that cover the cases that matter: prose, code, other scripts, letters outside the
# BMP (where .NET's other tokenizers differ from tiktoken), emoji, digits, whitespace runs.
SAMPLES = [
    "The quick brown fox jumps over the lazy dog.",
    "def main(argv):\n    return 0  # done\n",
    "Grüße aus Zürich — naïve café, 日本語のテキスト, русский текст.",
    "𝔘>x and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 letters, 😀👍🏽 emoji, \U00020000 CJK ext B",
    "  12345 6789   \n\n\ttabs\r\nand spaces   ",
    "don't we'll I'M they've",
]
SPECIAL = "before <|endoftext|> after <|fim_prefix|>x"


def main(lite_dat: str, out: str) -> None:
    texts = SAMPLES + [d[:2000] for d in corpus.documents("english", 8000)[:2]] \
        + [d[:2000] for d in corpus.documents("code", 8000)[:2]] \
        + [d[:2000] for d in corpus.documents("multilingual", 8000)[:2]]
    with CrayonVocab(device="cpu").load_profile(lite_dat) as vocab:
        table = es.token_table(vocab)
    lite = [es.reference_tokenize(t.encode("utf-8"), table) for t in texts]
    ordinary = node_peer.tiktoken_ids("cl100k_base", texts + [SPECIAL], mode="ordinary")
    allowed = node_peer.tiktoken_ids("cl100k_base", [SPECIAL], mode="all")
    Path(out).write_text(json.dumps({
        "texts": texts,
        "lite": lite,
        "cl100k_ordinary": ordinary[:-1],
        "special_text": SPECIAL,
        "special_ordinary": ordinary[-1],
        "special_all": allowed[0],
    }, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
