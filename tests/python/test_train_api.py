"""crayon.compat.rustbpe as an API: arguments, errors, streaming, progress, files, and `crayon train`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from crayon.compat import rustbpe
from crayon import _cli_train

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
import corpus  # noqa: E402


@pytest.fixture(scope="module")
def english():
    return corpus.documents("english", 300_000)


def trained(docs, vocab_size=1000, **kw):
    tok = rustbpe.Tokenizer()
    tok.train_from_iterator(iter(docs), vocab_size, **kw)
    return tok


def test_untrained_tokenizer_is_the_256_bytes():
    tok = rustbpe.Tokenizer()
    assert tok.vocab_size == 256
    assert tok.get_pattern() == rustbpe.GPT4_PATTERN
    assert tok.get_mergeable_ranks() == [(bytes([b]), b) for b in range(256)]
    assert tok.encode("hé") == list("hé".encode())
    assert tok.decode(tok.encode("hé")) == "hé"


def test_overlapping_pair_merges_left_to_right():
    tok = trained(["aaa"], 258, pattern=r"[\s\S]+")
    assert tok.get_merges() == [(97, 97), (256, 97)]
    # "aaa" holds the pair (a, a) twice (overlapping): it is counted twice, merged once.
    assert tok.get_merge_counts() == [2, 1]


@pytest.mark.parametrize("vocab_size", [0, 100, 255])
def test_vocab_size_below_256_is_a_value_error(vocab_size):
    with pytest.raises(ValueError, match="256"):
        trained(["hello"], vocab_size)


def test_invalid_pattern_is_a_value_error():
    with pytest.raises(ValueError, match="pattern"):
        trained(["hello"], 300, pattern="(unclosed")
    with pytest.raises(ValueError, match="empty"):
        trained(["hello"], 300, pattern="x*")


def test_a_failed_training_keeps_the_previous_vocabulary(english):
    tok = trained(english, 400)
    with pytest.raises(ValueError):
        tok.train_from_iterator(iter(["a", "b\udc80"]), 500)   # lone surrogate: not UTF-8
    assert tok.vocab_size == 400


def test_buffer_size_does_not_change_the_result(english):
    a = trained(english, 800, buffer_size=1)
    b = trained(english, 800, buffer_size=8192)
    assert a.get_merges() == b.get_merges()


def test_streaming_consumes_the_iterator_once_and_lazily(english):
    seen = []

    def gen():
        for d in english:
            seen.append(len(d))
            yield d
    tok = trained(gen(), 600, buffer_size=2)
    assert len(seen) == len(english)
    assert tok.vocab_size == 600


def test_progress_is_reported_and_can_cancel(english):
    calls = []
    trained(english, 1256, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (1000, 1000)
    assert all(a[0] < b[0] for a, b in zip(calls, calls[1:]))
    tok = trained(english, 300)
    with pytest.raises(ValueError, match="cancelled"):
        tok.train_from_iterator(iter(english), 2000, progress=lambda d, t: d < 50 and None)
    assert tok.vocab_size == 300

    def boom(done, total):
        raise KeyError("from the callback")
    with pytest.raises(KeyError):
        trained(english, 2000, progress=boom)


def test_encode_decode_and_batch(english):
    tok = trained(english, 2000)
    texts = ["The quick brown fox.", "", "naïve café 1234567", "x" * 10_000] + english[:3]
    batch = tok.batch_encode(texts)
    assert batch == [tok.encode(t) for t in texts]
    assert [tok.decode(ids) for ids in batch] == texts
    assert len(tok.encode("The quick brown fox.")) < len("The quick brown fox.")
    with pytest.raises(ValueError):
        tok.decode([tok.vocab_size])
    with pytest.raises(ValueError):
        tok.decode([-1])


def test_a_megabyte_without_spaces_encodes_quickly(english):
    import time
    tok = trained(english, 2000)
    text = "".join(w for d in english[:2] for w in d.split())[:1_000_000]
    t0 = time.perf_counter()
    ids = tok.encode(text)
    assert time.perf_counter() - t0 < 5.0        # the merger's heap path: not quadratic in the piece
    assert tok.decode(ids) == text


def test_split_shows_the_chunks(english):
    tok = rustbpe.Tokenizer()
    assert tok.split("Hello world's 12345!!  \n") == ["Hello", " world", "'s", " ", "123", "45", "!!", "  \n"]


def test_save_and_load_round_trip(english, tmp_path):
    tok = trained(english, 1500, pattern=r"\w+|\s+|[^\w\s]+")
    path = tmp_path / "t.tiktoken"
    tok.save(path)
    lines = path.read_text().splitlines()
    assert len(lines) == 1500 and lines[0] == "AA== 0" and lines[-1].endswith(" 1499")
    back = rustbpe.Tokenizer.load(path)
    assert back.get_pattern() == r"\w+|\s+|[^\w\s]+"
    assert back.get_merges() == tok.get_merges()
    assert back.encode(english[0][:5000]) == tok.encode(english[0][:5000])


def test_load_rejects_files_that_are_not_byte_level_bpe(tmp_path):
    bad = tmp_path / "bad.tiktoken"
    bad.write_text("not base64!! 0\n")
    with pytest.raises(ValueError):
        rustbpe.Tokenizer.load(bad)
    swapped = tmp_path / "swapped.tiktoken"
    import base64
    swapped.write_text("".join(f"{base64.b64encode(bytes([b ^ 1])).decode()} {b}\n" for b in range(256)))
    with pytest.raises(ValueError, match="single byte"):
        rustbpe.Tokenizer.load(swapped)


def test_cli_train_writes_a_loadable_rank_file(english, tmp_path, capsys):
    src = tmp_path / "in.txt"
    src.write_text("".join(english), encoding="utf-8")
    out = tmp_path / "out.tiktoken"
    parser = argparse.ArgumentParser(prog="crayon")
    _cli_train.register(parser.add_subparsers())
    args = parser.parse_args(["train", str(src), "--vocab-size", "700", "-o", str(out)])
    assert args.func(args) == 0
    err = capsys.readouterr().err
    assert "merging [" in err and "444/444" in err and "wrote" in err
    tok = rustbpe.Tokenizer.load(out)
    assert tok.vocab_size == 700
    assert tok.get_merges() == trained(["".join(english)], 700).get_merges()
    args = parser.parse_args(["train", str(src), "--vocab-size", "10", "-o", str(out)])
    assert args.func(args) == 2
