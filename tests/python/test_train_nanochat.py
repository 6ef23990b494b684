"""nanochat's tokenizer pipeline, step by step, on Crayon alone: crayon.compat.rustbpe stands where
rustbpe stands and crayon.compat.tiktoken where tiktoken stands (nanochat/tokenizer.py,
RustBPETokenizer.train_from_iterator / save / from_directory, and scripts/tok_train.py). Every
result of the sequence is checked."""
from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
import corpus  # noqa: E402

from crayon.compat import rustbpe  # noqa: E402
from train_support import NANOCHAT, NANOCHAT_SPECIAL_TOKENS  # noqa: E402

try:
    from crayon.compat import tiktoken  # noqa: E402
    tiktoken.Encoding  # the BPE engine's module
except Exception as e:   # pragma: no cover - only before the BPE branch is merged
    pytest.skip(f"crayon.compat.tiktoken unavailable: {e}", allow_module_level=True)

SPLIT_PATTERN, SPECIAL_TOKENS = NANOCHAT, NANOCHAT_SPECIAL_TOKENS
VOCAB_SIZE = 8192


def text_iterator():
    # nanochat streams documents from parquet shards; here, ~2 MB of real text of several kinds.
    yield from corpus.documents("english", 1_000_000)
    yield from corpus.documents("code", 600_000)
    yield from corpus.documents("multilingual", 400_000)


def test_nanochat_tokenizer_sequence(tmp_path):
    # ---- train (RustBPETokenizer.train_from_iterator)
    tokenizer = rustbpe.Tokenizer()
    vocab_size_no_special = VOCAB_SIZE - len(SPECIAL_TOKENS)
    assert vocab_size_no_special >= 256
    tokenizer.train_from_iterator(text_iterator(), vocab_size_no_special, pattern=SPLIT_PATTERN)
    assert tokenizer.vocab_size == vocab_size_no_special

    pattern = tokenizer.get_pattern()
    assert pattern == SPLIT_PATTERN

    mergeable_ranks_list = tokenizer.get_mergeable_ranks()
    assert len(mergeable_ranks_list) == vocab_size_no_special
    assert [r for _, r in mergeable_ranks_list] == list(range(vocab_size_no_special))
    assert [t for t, _ in mergeable_ranks_list[:256]] == [bytes([b]) for b in range(256)]
    merges = tokenizer.get_merges()
    for (token, rank), (left, right) in zip(mergeable_ranks_list[256:], merges):
        assert token == mergeable_ranks_list[left][0] + mergeable_ranks_list[right][0]
        assert left < rank and right < rank
    mergeable_ranks = {bytes(k): v for k, v in mergeable_ranks_list}
    assert len(mergeable_ranks) == vocab_size_no_special, "two merges made the same bytes"

    tokens_offset = len(mergeable_ranks)
    special_tokens = {name: tokens_offset + i for i, name in enumerate(SPECIAL_TOKENS)}
    enc = tiktoken.Encoding(name="rustbpe", pat_str=pattern, mergeable_ranks=mergeable_ranks,
                            special_tokens=special_tokens)

    # ---- save and load (RustBPETokenizer.save / from_directory)
    pickle_path = tmp_path / "tokenizer.pkl"
    with open(pickle_path, "wb") as f:
        pickle.dump(enc, f)
    with open(pickle_path, "rb") as f:
        loaded = pickle.load(f)

    # ---- use: every call nanochat makes, on both the fresh and the unpickled encoding
    docs = corpus.documents("english", 1_300_000)[-3:] + corpus.documents("code", 900_000)[-2:] \
        + corpus.documents("multilingual", 700_000)[-3:] + ["", "Hello world!", "  \n\n 1234567 ünïcödé 😀"]
    for e in (enc, loaded):
        assert e.n_vocab == VOCAB_SIZE
        assert e.special_tokens_set == set(SPECIAL_TOKENS)
        for i, name in enumerate(SPECIAL_TOKENS):
            assert e.encode_single_token(name) == tokens_offset + i
            assert e.decode_single_token_bytes(tokens_offset + i) == name.encode()
        bos = e.encode_single_token("<|bos|>")
        single = [e.encode_ordinary(d) for d in docs]
        assert single == [tokenizer.encode(d) for d in docs]          # same ids as the trainer's encoder
        assert e.encode_ordinary_batch(docs, num_threads=8) == single
        assert all(e.decode(ids) == d for ids, d in zip(single, docs))
        assert all(0 <= i < tokens_offset for ids in single for i in ids)
        assert e.decode([bos] + single[-2]) == "<|bos|>" + docs[-2]
        # special-token text inside ordinary text stays ordinary text
        assert bos not in e.encode_ordinary("<|bos|> text")
        # tok_train.py's token_bytes: every id decodes to its rank's bytes
        for token, rank in mergeable_ranks_list:
            assert e.decode_single_token_bytes(rank) == token
            assert e.encode_single_token(token) == rank
    # compression sanity on unseen English: the trained vocabulary is doing work
    english = docs[:3]
    ratio = sum(len(d.encode()) for d in english) / sum(len(ids) for ids in single[:3])
    print(f"\n{VOCAB_SIZE} tokens; unseen English: {ratio:.2f} bytes per token")
    assert ratio > 2.5
