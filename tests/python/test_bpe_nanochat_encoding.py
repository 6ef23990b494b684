"""nanochat's use of tiktoken, on crayon.compat.tiktoken: an Encoding built from in-memory ranks with
nanochat's split pattern and nine special tokens, pickled to tokenizer.pkl, loaded back, and used
the way nanochat uses it. Ids are compared with the npm tiktoken given the same ranks and pattern.

The ranks stand in for a trained vocabulary: cl100k_base's first 30000 ranks (every prefix of a
rank-ordered BPE vocabulary is itself one)."""
from __future__ import annotations

import os
import pickle

import pytest

import bpe_support
import corpus
import node_peer
from train_support import NANOCHAT, NANOCHAT_SPECIAL_TOKENS
from crayon.compat import tiktoken

pytestmark = bpe_support.requires_peers()

SPLIT_PATTERN, SPECIAL_TOKENS = NANOCHAT, NANOCHAT_SPECIAL_TOKENS
SCALE = float(os.environ.get("CRAYON_CONFORMANCE_SCALE", "1.0"))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    ranks_all = tiktoken.load_tiktoken_bpe(f"{bpe_support.rank_dir()}/cl100k_base.tiktoken")
    ranks = {b: r for b, r in ranks_all.items() if r < 30000}
    d = tmp_path_factory.mktemp("nanochat")
    tiktoken.dump_tiktoken_bpe(ranks, str(d / "ranks.tiktoken"))
    return ranks, d


def test_nanochat_sequence(trained):
    ranks, d = trained
    mergeable_ranks = {bytes(k): v for k, v in ranks.items()}
    tokens_offset = len(mergeable_ranks)
    special_tokens = {name: tokens_offset + i for i, name in enumerate(SPECIAL_TOKENS)}
    enc = tiktoken.Encoding(name="rustbpe", pat_str=SPLIT_PATTERN, mergeable_ranks=mergeable_ranks,
                            special_tokens=special_tokens)
    with open(d / "tokenizer.pkl", "wb") as f:
        pickle.dump(enc, f)
    enc.close()
    with open(d / "tokenizer.pkl", "rb") as f:
        enc = pickle.load(f)

    assert enc.n_vocab == 30000 + len(SPECIAL_TOKENS)
    assert enc.special_tokens_set == set(SPECIAL_TOKENS)
    bos = enc.encode_single_token("<|bos|>")
    assert bos == 30000
    assert enc.decode_single_token_bytes(bos) == b"<|bos|>"

    docs = (corpus.documents("english", int(1.0 * SCALE * (1 << 20))) +
            corpus.documents("code", int(0.5 * SCALE * (1 << 20))) +
            corpus.documents("multilingual", int(0.5 * SCALE * (1 << 20))) +
            corpus.documents("emoji", int(0.2 * SCALE * (1 << 20))) +
            ["it's 12345 IT'S  \r\n\r\n x", "<|bos|> is text here", " \t\n  \n", "a'LL'Ve 1\u0661\u0662"])
    theirs = node_peer.custom_tiktoken_ids(d / "ranks.tiktoken", SPLIT_PATTERN, special_tokens, docs)
    ours = [enc.encode_ordinary(t) for t in docs]
    bad = [k for k in range(len(docs)) if ours[k] != theirs[k]]
    assert not bad, f"{len(bad)} documents differ from npm tiktoken, first: {docs[bad[0]][:200]!r}"
    assert enc.encode_ordinary_batch(docs, num_threads=8) == ours
    assert all(enc.decode(ids) == t for ids, t in zip(ours, docs))

    conversation = [bos] + enc.encode_ordinary("hello") + [enc.encode_single_token("<|assistant_start|>")]
    assert enc.decode(conversation) == "<|bos|>hello<|assistant_start|>"
