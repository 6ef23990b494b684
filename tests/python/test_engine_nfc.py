"""NFC profiles (DATBuilder(normalize="nfc"), CRAYON_DAT_NFC) against Python's unicodedata.

On an NFC profile decode(tokenize(x)) == unicodedata.normalize("NFC", x): checked on real
multilingual text, on its decomposed forms, and on every code point in contexts that make it
compose, reorder or block. Without the flag a profile stays byte for byte lossless.
"""
from __future__ import annotations

import json
import subprocess
import sys
import unicodedata

import pytest

from crayon import CrayonVocab
from crayon._errors import CrayonValueError
from crayon.c_ext.dat_builder import DATBuilder
from crayon.core._text import to_utf8

import engine_support as es

WORDS = ["caf\u00e9", " caf\u00e9", "\u00c5ngstr\u00f6m", " the", " na\u00efve", "\ud55c\uad6d\uc5b4",
         " Vi\u1ec7t", "\u0915\u093c", " \u00fcber"]


def nfc(text: str) -> bytes:
    return unicodedata.normalize("NFC", text).encode()


@pytest.fixture(scope="module")
def nfc_vocab():
    words = WORDS + es.frequent_words("multilingual", 3000)
    v = CrayonVocab.from_dat_bytes(DATBuilder("nfc-test", normalize="nfc").build(words).to_bytes())
    yield v
    v.close()


@pytest.fixture(scope="module")
def plain_vocab():
    words = WORDS + es.frequent_words("multilingual", 3000)
    v = CrayonVocab.from_dat_bytes(DATBuilder("plain-test").build(words).to_bytes())
    yield v
    v.close()


def test_the_profile_says_what_it_does(nfc_vocab, plain_vocab):
    assert nfc_vocab.normalization == "nfc" and nfc_vocab.profile_info["normalization"] == "nfc"
    assert plain_vocab.normalization == "none" and plain_vocab.profile_info["normalization"] == "none"


def test_decomposed_e_acute_tokenizes_as_the_precomposed_one(nfc_vocab):
    composed, decomposed = "caf\u00e9 the", "cafe\u0301 the"
    ids = nfc_vocab.tokenize(decomposed)
    assert ids == nfc_vocab.tokenize(composed)
    assert len(ids) == 2  # "café" and " the": one token each
    assert nfc_vocab.decode(ids) == composed


def test_decode_gives_the_nfc_text(nfc_vocab):
    for text in ["\u212bngstro\u0308m", "\u1112\u1161\u11ab\u1100\u116e\u11a8\u110b\u1165",
                 "a\u0301\u0323 q\u0307\u0323", "\u0958 \u0344 \U0001d15e", "\u0b47\u0300\u0b3e"]:
        assert nfc_vocab.decode_bytes(nfc_vocab.tokenize(text)) == nfc(text), ascii(text)


def test_without_the_flag_decomposed_text_stays_byte_exact(plain_vocab, nfc_vocab):
    decomposed = "cafe\u0301 \u212bngstro\u0308m \u1112\u1161\u11ab"
    assert plain_vocab.decode(plain_vocab.tokenize(decomposed)) == decomposed
    assert len(plain_vocab.tokenize(decomposed)) > len(nfc_vocab.tokenize(decomposed))


def test_ascii_is_tokenized_as_without_the_flag(nfc_vocab, plain_vocab):
    text = "".join(es.corpus_documents("english", 200_000))
    data = text.encode("ascii", "ignore")
    assert nfc_vocab.tokenize(data) == plain_vocab.tokenize(data)


def test_invalid_utf8_passes_through_and_valid_runs_are_normalised_alone(nfc_vocab):
    data = b"e\xff\xcc\x81 cafe\xcc\x81\xc0\xaf\xe2\x84\xab\xed\xa0\x80A\xcc\x8a\xe2\x82"
    expected = b"e\xff\xcc\x81 caf\xc3\xa9\xc0\xaf\xc3\x85\xed\xa0\x80\xc3\x85\xe2\x82"
    assert nfc_vocab.decode_bytes(nfc_vocab.tokenize(data)) == expected
    garbage = bytes(range(256)) * 4
    assert nfc_vocab.decode_bytes(nfc_vocab.tokenize(garbage)) == garbage  # no valid run changes


def test_text_that_nfc_lengthens_gets_all_its_ids(nfc_vocab):
    text = "\U0001d160" * 100  # 4 bytes each, 12 after NFC: more ids than input bytes
    ids = nfc_vocab.tokenize(text)
    assert len(ids) == 1200 and nfc_vocab.decode_bytes(ids) == nfc(text)
    batch = nfc_vocab.tokenize_batch([text, "cafe\u0301"])
    assert batch == [ids, nfc_vocab.tokenize("caf\u00e9")]


def test_real_multilingual_text_and_its_decomposed_forms(nfc_vocab):
    docs = es.corpus_documents("multilingual", 3 << 20)
    assert docs, "no multilingual text on this machine"
    changed = 0
    for doc in docs:
        data = to_utf8(doc)
        text = data.decode()
        for form in (text, unicodedata.normalize("NFD", text), unicodedata.normalize("NFKD", text)):
            got = nfc_vocab.decode_bytes(nfc_vocab.tokenize(form))
            assert got == nfc(form), f"doc starting {text[:40]!r}"
            changed += got != form.encode()
    assert changed > len(docs)  # the decomposed forms really exercised normalisation


def test_batch_normalises_every_document(nfc_vocab):
    docs = es.corpus_documents("multilingual", 1 << 20)[:200]
    forms = [unicodedata.normalize("NFD", d) for d in docs] + ["", "plain ascii"] + docs[:20]
    batch = nfc_vocab.tokenize_batch(forms, threads=2)
    assert batch == [nfc_vocab.tokenize(f) for f in forms]


def _contexts(c: str) -> str:
    """c where it can combine with what precedes and follows, be reordered, or be blocked."""
    return (f"a{c} {c}\u0301 \u0301{c} e\u0323{c}\u0300 {c}\u0316\u0301 \u1100{c}\u11a8 \u0b47{c}"
            f" \u0112{c}\u0300 \u1fbf{c}\n")


def test_every_code_point_against_unicodedata(nfc_vocab):
    parts = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        if unicodedata.category(c) in ("Cn", "Co"):
            parts.append(f"a{c}\u0301\n")  # unassigned and private use: no data, one context
        else:
            parts.append(_contexts(c))
    text = "".join(parts)
    got = nfc_vocab.decode_bytes(nfc_vocab.tokenize(text))
    expected = nfc(text)
    if got != expected:  # name the first line that differs
        for g, e in zip(got.split(b"\n"), expected.split(b"\n")):
            assert g == e, f"{g!r} != {e!r}"
    assert got == expected


def test_dat_builder_normalises_entries_and_rejects_unknown_forms():
    nfc_image = DATBuilder("n", normalize="nfc").build(["caf\u00e9", "cafe\u0301", "\u212b\u212b"]).to_bytes()
    v = CrayonVocab.from_dat_bytes(nfc_image)
    assert v.vocab_size == 260 + 2  # "cafe" + U+0301 became "café", a repeat
    assert v.token_bytes(261) == "\u00c5\u00c5".encode()
    plain = DATBuilder("n").build(["caf\u00e9", "cafe\u0301"]).to_bytes()
    assert CrayonVocab.from_dat_bytes(plain).vocab_size == 260 + 2
    assert DATBuilder("n").build(["ab"], normalize="nfc").to_bytes() == \
        DATBuilder("n", normalize="nfc").build(["ab"]).to_bytes()
    assert DATBuilder("n", normalize="NONE").build(["ab"]).to_bytes() == DATBuilder("n").build(["ab"]).to_bytes()
    for bad in ("nfd", "nfkc", 1, ["nfc"]):
        with pytest.raises(CrayonValueError, match="normalize"):
            DATBuilder(normalize=bad)


def _crayon(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crayon.cli", *args], capture_output=True,
                          env=es.clean_env(), timeout=120)


def test_cli_build_nfc_and_info(tmp_path):
    (tmp_path / "v.json").write_text(json.dumps(WORDS, ensure_ascii=False), encoding="utf-8")
    r = _crayon("build", str(tmp_path / "v.json"), "-o", str(tmp_path / "n.dat"), "--nfc")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "n.dat").read_bytes() == \
        DATBuilder("n", source="v.json", normalize="nfc").build(WORDS).to_bytes()
    r = _crayon("build", str(tmp_path / "v.json"), "-o", str(tmp_path / "p.dat"))
    assert r.returncode == 0, r.stderr
    info = _crayon("info", str(tmp_path / "n.dat")).stdout.decode()
    assert any(line.split() == ["normalization", "nfc"] for line in info.splitlines()), info
    info = json.loads(_crayon("info", "--json", str(tmp_path / "p.dat")).stdout)
    assert info["normalization"] == "none"
    r = _crayon("tokenize", "--dat", str(tmp_path / "n.dat"), "--pieces", "cafe\u0301")
    assert json.loads(r.stdout) == ["caf\u00e9"]


def test_the_committed_tables_match_the_generator():
    sys.path.insert(0, str(es.REPO / "src" / "Crayon" / "Normalization"))
    try:
        import generate_nfc_tables as gen
    finally:
        sys.path.pop(0)
    committed = (es.REPO / "src" / "Crayon" / "Normalization" / "NfcTables.cs").read_text(encoding="utf-8")
    if f'UnicodeVersion = "{unicodedata.unidata_version}"' not in committed:
        pytest.skip(f"NfcTables.cs is for another Unicode version than this Python's "
                    f"{unicodedata.unidata_version}; regenerate to update it")
    assert gen.render() == committed, "NfcTables.cs is stale: run generate_nfc_tables.py"
