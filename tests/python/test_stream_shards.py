"""Files into id shards (crayon_stream_file, crayon.shard_file, `crayon tokenize --input`): the id
file equals tokenizing each document in one call, the index says where documents start, uint16
refuses vocabularies that do not fit, and output is all-or-nothing."""
from __future__ import annotations

import os
import random
import struct
from array import array

import pytest

import crayon
from crayon import shard_file
from crayon.cli import main as cli_main
from crayon.compat import tiktoken
from crayon.compat._tiktoken_registry import CL100K_PATTERN

DOCS = ["First document.\nIt has lines.", "Second: naïve café, 日本語。", "",
        "  leading spaces and 123456 digits  ", "I'm the <|endoftext|> last one 😀"]


def _small_bpe():
    ranks = {bytes([b]): b for b in range(256)}
    for t in ("th", "he", "the", " t", " the", "in", "ing", "  ", "\n\n", "日本"):
        ranks.setdefault(t.encode(), len(ranks))
    return tiktoken.Encoding("small", pat_str=CL100K_PATTERN, mergeable_ranks=ranks,
                             special_tokens={"<|endoftext|>": 300})


def _read_ids(path, dtype):
    a = array("H" if dtype == "uint16" else "I")
    with open(path, "rb") as f:
        a.frombytes(f.read())
    return list(a)


def _read_index(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"CRAYIDX1"
    id_bytes, _, n, total = struct.unpack_from("<IIQQ", data, 8)
    offsets = list(struct.unpack_from(f"<{n + 1}Q", data, 32))
    assert len(data) == 32 + 8 * (n + 1) and offsets[-1] == total
    return id_bytes, offsets


@pytest.fixture(scope="module")
def lite():
    v = crayon.CrayonVocab(device="cpu", profile="lite")
    yield v
    v.close()


@pytest.mark.parametrize("engine_name", ["lite", "small_bpe"])
@pytest.mark.parametrize("dtype", ["uint16", "uint32"])
def test_documents_bos_and_index(tmp_path, lite, engine_name, dtype):
    engine = lite if engine_name == "lite" else _small_bpe()
    one_call = (lambda t: list(lite.tokenize(t))) if engine_name == "lite" else engine.encode_ordinary
    src = tmp_path / "in.txt"
    src.write_bytes("\n\n".join(DOCS).encode())
    out = tmp_path / "ids.bin"
    docs, tokens = shard_file(engine, src, out, dtype=dtype, doc_sep="\n\n", bos=1)
    expected_docs = [d for d in DOCS if d]           # empty documents are skipped
    expected = []
    starts = []
    for d in expected_docs:
        starts.append(len(expected))
        expected += [1] + list(one_call(d))
    assert (docs, tokens) == (len(expected_docs), len(expected))
    assert _read_ids(out, dtype) == expected
    assert _read_index(str(out) + ".idx") == ({"uint16": 2, "uint32": 4}[dtype], starts + [len(expected)])


@pytest.mark.parametrize("engine_name", ["small_bpe", "lite", "multilingual"])
def test_whole_file_is_one_document_and_threads_do_not_change_ids(tmp_path, engine_name):
    if engine_name == "small_bpe":
        enc = _small_bpe()
        one_call = enc.encode_ordinary
    else:   # longest match: chunks matched in parallel and stitched (lite), or one session (NFC)
        enc = crayon.CrayonVocab(device="cpu", profile=engine_name)
        one_call = lambda text: list(enc.tokenize(text))   # noqa: E731
    rng = random.Random(7)
    words = ["the", "thing", "naïve", "日本語", "123", "x'll", "\n", "  ", "😀", "<|endoftext|>"]
    text = " ".join(rng.choice(words) for _ in range(700_000))   # ~3.5 MB: several rounds and jobs
    src = tmp_path / "big.txt"
    src.write_text(text, encoding="utf-8")
    results = []
    for threads in (1, 2):
        out = tmp_path / f"ids{threads}.bin"
        assert shard_file(enc, src, out, threads=threads, index_path=None)[0] == 1
        results.append(out.read_bytes())
        assert not os.path.exists(str(out) + ".idx")
    assert results[0] == results[1]
    assert _read_ids(tmp_path / "ids1.bin", "uint32") == one_call(text)


def test_uint16_refuses_a_vocabulary_that_does_not_fit(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("hello")
    big = crayon.CrayonVocab(device="cpu", profile="multilingual")
    with pytest.raises(crayon.CrayonValueError, match="do not fit in uint16"):
        shard_file(big, src, tmp_path / "ids.bin", dtype="uint16")
    assert os.listdir(tmp_path) == ["in.txt"]


def test_an_interrupted_run_leaves_the_old_file_and_no_temporary(tmp_path, lite):
    src = tmp_path / "in.txt"
    src.write_bytes(b"some words here. " * 400_000)           # several rounds, so progress is called
    out = tmp_path / "ids.bin"
    out.write_bytes(b"old")

    def interrupt(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        shard_file(lite, src, out, progress=interrupt)
    assert out.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["ids.bin", "in.txt"]


def test_an_error_half_way_leaves_nothing(tmp_path):
    src = tmp_path / "in.txt"
    src.write_bytes(b"valid text. " * 300_000 + b"\xff invalid")
    with pytest.raises(crayon.CrayonValueError, match=f"offset {12 * 300_000}"):
        shard_file(_small_bpe(), src, tmp_path / "ids.bin")
    assert os.listdir(tmp_path) == ["in.txt"]


def test_cli_writes_ids_and_index(tmp_path, capsys, lite):
    src = tmp_path / "corpus.txt"
    src.write_bytes(b"alpha beta\x00gamma delta\x00\x00epsilon")
    out = tmp_path / "ids.u16"
    assert cli_main(["tokenize", "--input", str(src), "--output", str(out), "--dtype", "uint16",
                     "--profile", "lite", "--doc-sep", r"\x00", "--bos", "2"]) == 0
    docs = [b"alpha beta", b"gamma delta", b"epsilon"]
    expected = [i for d in docs for i in [2] + list(lite.tokenize(d))]
    assert _read_ids(out, "uint16") == expected
    assert _read_index(str(out) + ".idx")[1][:-1] == [0, 1 + len(lite.tokenize(docs[0])),
                                                      2 + len(lite.tokenize(docs[0])) + len(lite.tokenize(docs[1]))]
    assert "3 documents" in capsys.readouterr().err


def test_cli_refuses_uint16_for_cl100k_with_a_clear_message(tmp_path, capsys):
    from test_stream import _real
    _real("cl100k_base")    # installs the rank file (or skips)
    src = tmp_path / "in.txt"
    src.write_text("hello")
    assert cli_main(["tokenize", "--input", str(src), "--output", str(tmp_path / "x.bin"),
                     "--encoding", "cl100k_base", "--dtype", "uint16"]) == 1
    err = capsys.readouterr().err
    assert "100276" in err and "uint16" in err and "uint32" in err
    assert os.listdir(tmp_path) == ["in.txt"]
