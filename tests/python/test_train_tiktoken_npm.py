"""A tokenizer trained by us and saved as .tiktoken gives the same ids in the real tiktoken (npm build
of OpenAI's Rust core) as in our own encoder, on real text it was not trained on."""
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


pytestmark = requires_npm("tiktoken")


def npm_ids(ranks_file: Path, pattern: str, docs: list[str], tmp_path: Path, special: dict | None = None,
            mode: str = "ordinary") -> list[list[int]]:
    req = tmp_path / "request.json"
    req.write_text(json.dumps({"ranks_file": str(ranks_file), "pat_str": pattern, "special_tokens": special or {},
                               "docs": docs, "mode": mode}), encoding="utf-8")
    r = subprocess.run(["node", str(PEERS / "tiktoken_custom.js"), str(req)], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)["ids"]


@pytest.mark.parametrize("pattern", [rustbpe.GPT4_PATTERN, NANOCHAT], ids=["gpt4", "nanochat"])
def test_saved_tokenizer_encodes_identically_in_npm_tiktoken(pattern, tmp_path):
    train = corpus.documents("english", 600_000) + corpus.documents("code", 400_000)
    tok = rustbpe.Tokenizer()
    tok.train_from_iterator(train, 6000, pattern=pattern)
    path = tmp_path / "ours.tiktoken"
    tok.save(path)
    assert (tmp_path / "ours.tiktoken.pattern").read_text(encoding="utf-8") == pattern

    # Unseen text of every kind, cut into documents of at most ~20 kB to keep the request small.
    docs = []
    for kind in ("english", "code", "multilingual", "emoji", "whitespace", "punctuation"):
        text = "".join(corpus.documents(kind, 1_300_000))[-200_000:]
        docs += [text[i:i + 20_000] for i in range(0, len(text), 20_000)]
    want = npm_ids(path, pattern, docs, tmp_path)
    got = tok.batch_encode(docs)
    loaded = rustbpe.Tokenizer.load(path)
    assert loaded.get_pattern() == pattern
    assert loaded.get_mergeable_ranks() == tok.get_mergeable_ranks()
    assert loaded.get_merges() == tok.get_merges()
    mismatched = [i for i, (a, b) in enumerate(zip(got, want)) if a != b]
    assert not mismatched, f"{len(mismatched)} of {len(docs)} documents differ, first #{mismatched[0]}"
    assert loaded.batch_encode(docs[:20]) == want[:20]
    assert [tok.encode(d) for d in docs[:10]] == want[:10]
    assert all(tok.decode(ids) == d for ids, d in zip(want, docs))
    print(f"\n{len(docs)} documents, {sum(map(len, want))} tokens: identical ids in npm tiktoken")
