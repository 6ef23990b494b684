"""The five shipped cartridges (profiles/*.json → build/profiles/*.dat, bundled in the package):
present, of the seed's sizes, lossless (NFC-lossless for the one that expects NFC), with their
provenance. How well they compress is measured by benchmarks/profiles_bench.py, not here."""
from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path

import pytest

from crayon import CrayonVocab

import engine_support as es

ROOT = Path(__file__).resolve().parents[2]
# name: (most ids the seed allows, normalisation)
CARTRIDGES = {
    "lite": (50_000, "none"),
    "science": (250_000, "none"),
    "code": (250_000, "none"),
    "multilingual": (250_000, "nfc"),
    "arts_commerce": (250_000, "none"),
}


@pytest.fixture(scope="module", params=list(CARTRIDGES))
def cartridge(request):
    with CrayonVocab(device="cpu", profile=request.param) as vocab:
        yield request.param, vocab


def _samples() -> list[str]:
    texts = []
    for kind in ("english", "code", "multilingual", "emoji", "whitespace", "punctuation"):
        texts.extend(es.corpus_documents(kind, 48 << 10))
    rng = random.Random(11)
    texts.append("".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(5000)))
    texts.append("e\u0301 A\u030a \u212b \u1100\u1161\u11a8 caf\u00e9 Ä Å")   # decomposed and singleton forms
    return texts


SAMPLES = _samples()


def test_every_cartridge_is_built_with_the_seed_size(cartridge):
    name, vocab = cartridge
    most, normalization = CARTRIDGES[name]
    assert 0.9 * most <= vocab.vocab_size <= most, vocab.vocab_size
    assert vocab.normalization == normalization
    assert (ROOT / "bindings" / "python" / "crayon" / "profiles" / f"{name}.dat").is_file()   # bundled


def test_every_cartridge_round_trips_every_kind_of_text(cartridge):
    name, vocab = cartridge
    nfc = CARTRIDGES[name][1] == "nfc"
    for text in SAMPLES:
        expected = unicodedata.normalize("NFC", text) if nfc else text
        assert vocab.decode(vocab.tokenize(text)) == expected
    for data in (bytes(range(256)) * 3, b"\xff\xfe valid \xc3 text \xe0\xa4"):   # invalid UTF-8 passes through
        assert vocab.decode_bytes(vocab.tokenize(data)) == data


def test_nfc_cartridge_gives_the_same_ids_for_composed_and_decomposed_text():
    with CrayonVocab(device="cpu", profile="multilingual") as vocab:
        composed = "Ångström café naïve Straße Ελληνικά 한국어"
        decomposed = unicodedata.normalize("NFD", composed)
        assert decomposed != composed
        assert vocab.tokenize(decomposed) == vocab.tokenize(composed)
    with CrayonVocab(device="cpu", profile="lite") as vocab:   # byte-exact: decomposed stays decomposed
        assert vocab.decode(vocab.tokenize(decomposed)) == decomposed


def test_cartridges_span_words_and_shorten_text(cartridge):
    name, vocab = cartridge
    pieces = [vocab.token_bytes(i) for i in range(260, vocab.vocab_size)]
    assert sum(1 for p in pieces if b" " in p.strip(b" ")) > 0.05 * len(pieces)   # multi-word tokens
    text = "".join(es.corpus_documents("english" if name != "code" else "code", 256 << 10))
    assert len(vocab.tokenize(text)) * 3 < len(text.encode())


def test_cartridge_lists_and_metadata_record_their_sources():
    for name in CARTRIDGES:
        meta = json.loads((ROOT / "profiles" / f"{name}.meta.json").read_text(encoding="utf-8"))
        tokens = json.loads((ROOT / "profiles" / f"{name}.json").read_text(encoding="utf-8"))
        assert meta["ids"] == 260 + len(tokens)
        assert meta["train_bytes"] > 20e6 and meta["held_out_bytes"] > 0
        assert meta["sources"] and all(s["packages"] for s in meta["sources"])
        # what `make learn-profiles` needs to give the same list on another machine: the text's digest,
        # and per source the packages whose files it read (pinned) and how many files that was
        assert len(meta["text_sha256"]) == 64, name
        assert all(isinstance(s["owners"], list) and s["file_count"] > 0 for s in meta["sources"]), name
        assert any(s["owners"] for s in meta["sources"]), name
        with CrayonVocab(device="cpu", profile=name) as vocab:
            source = vocab.profile_info["source"]
            assert "profiles/learn.py" in source and meta["corpus"] in source


def test_learn_check_reports_when_this_machine_reads_other_text(tmp_path, monkeypatch):
    """profiles/learn.py --check: the same text (digest, sizes, package versions) reproduces a list;
    other text, or another version of a source package, is reported before anything is learned."""
    import sys
    monkeypatch.syspath_prepend(str(ROOT / "profiles"))
    sys.modules.pop("learn", None)
    import learn
    sources = [{"label": "", "packages": {"pkg-doc": "1.0-1"}, "files": ["/usr/share/doc/pkg/*.txt"]}]
    train, held_out = ["alpha beta", "gamma"], ["delta é"]
    meta = {"train_bytes": 15, "held_out_bytes": 8, "sources": sources,
            "text_sha256": learn.text_digest(train + held_out)}
    (tmp_path / "lite.meta.json").write_text(json.dumps(meta), encoding="utf-8")
    monkeypatch.setattr(learn, "HERE", tmp_path)
    monkeypatch.setattr(learn, "provenance", lambda kind, pinned=None: [dict(s) for s in sources])
    assert learn.differences("lite", train, held_out) == []
    drift = learn.differences("lite", train + ["new man page"], held_out)
    assert drift[0] == "the text's SHA-256 differs" and drift[1] == "train_bytes 27 (recorded 15)"
    assert learn.differences("lite", ["alpha beta", "gammA"], held_out) == ["the text's SHA-256 differs"]
    monkeypatch.setattr(learn, "provenance", lambda kind, pinned=None: [dict(s, packages={"pkg-doc": "1.1-1"}) for s in sources])
    assert learn.differences("lite", train, held_out) == ["pkg-doc 1.1-1 (recorded 1.0-1)"]
    sources[0]["file_count"] = 3   # recorded; the machine now matches 4 files
    (tmp_path / "lite.meta.json").write_text(json.dumps(meta), encoding="utf-8")
    monkeypatch.setattr(learn, "provenance", lambda kind, pinned=None: [dict(s, file_count=4) for s in sources])
    assert learn.differences("lite", train, held_out) == ["/usr/share/doc/pkg/*.txt: 4 files (recorded 3)"]
    assert learn.differences("science", train, held_out) == ["no science.meta.json"]


def test_a_pinned_source_reads_only_its_packages_files(tmp_path, monkeypatch):
    """A source pinned to the packages a list was learned from skips files that other packages
    installed later (files no package installed, as npm's, stay); learn.py takes the pin from the meta
    by the source's globs, and --check names pinned packages this machine lacks."""
    import sys
    monkeypatch.syspath_prepend(str(ROOT / "profiles"))
    for m in ("learn", "corpora"):
        sys.modules.pop(m, None)
    import corpora
    import learn
    text = {"a.txt": "from the package the list was learned from " * 3,
            "b.txt": "from a package installed afterwards, which must not count " * 3,
            "c.txt": "from no package at all, as npm's files are " * 3}
    for f, t in text.items():
        (tmp_path / f).write_text(t, encoding="utf-8")
    owner = {str(tmp_path / "a.txt"): "pkg-a", str(tmp_path / "b.txt"): "pkg-b"}
    monkeypatch.setattr(corpora, "owners_of", lambda f: (owner[f],) if f in owner else ())
    glob = str(tmp_path / "*.txt")
    monkeypatch.setitem(corpora.SOURCES, "english", [corpora.Source(("pkg-a",), (glob,))])
    assert corpora.documents("english") == [text["a.txt"], text["b.txt"], text["c.txt"]]
    assert corpora.documents("english", pinned=[frozenset({"pkg-a"})]) == [text["a.txt"], text["c.txt"]]
    assert learn.owners("english") == [["pkg-a", "pkg-b"]]
    assert learn.owners("english", [frozenset({"pkg-a"})]) == [["pkg-a"]]

    meta = {"train_bytes": 0, "held_out_bytes": 0,
            "sources": [{"label": "", "packages": {"pkg-a": "1"}, "files": [glob], "owners": ["pkg-a", "pkg-gone"]}]}
    (tmp_path / "lite.meta.json").write_text(json.dumps(meta), encoding="utf-8")
    monkeypatch.setattr(learn, "HERE", tmp_path)
    assert learn.pins("lite") == [frozenset({"pkg-a", "pkg-gone"})]
    monkeypatch.setattr(learn, "provenance", lambda kind, pinned=None: [dict(meta["sources"][0], owners=None)])
    monkeypatch.setattr(corpora, "installed", lambda: {"pkg-a", "pkg-b"})
    drift = learn.differences("lite", [], [])
    assert drift == [f"{glob}: 1 of the packages it was learned from are not installed (pkg-gone; "
                     "`make corpora` installs them)"], drift
    with pytest.raises(ValueError, match="2 pins for the 1 sources"):
        corpora.documents("english", pinned=[None, None])


def test_a_pin_counts_every_package_that_put_a_path_there(tmp_path, monkeypatch):
    """A path under a directory symlink (Debian's /usr/share/doc/cpp-12 -> gcc-12-base) belongs to the
    package that made the link as well as to the one whose file it reaches, and an unlisted symlink (an
    alternative) to its target's package: a package installed after the pin adds no path through a
    link into a pinned package's files."""
    import sys
    monkeypatch.syspath_prepend(str(ROOT / "profiles"))
    sys.modules.pop("corpora", None)
    import corpora
    real = tmp_path / "doc" / "base"
    real.mkdir(parents=True)
    (real / "copyright").write_text("the base package's licence, long enough to count as text " * 3, encoding="utf-8")
    (tmp_path / "doc" / "linked").symlink_to(real)                   # a doc directory that is a link
    (tmp_path / "alt.txt").symlink_to(real / "copyright")              # a link no package lists
    (tmp_path / "doc" / "loose.txt").write_text("x", encoding="utf-8")   # a file no package lists
    monkeypatch.setattr(corpora, "_OWNER", {str(real / "copyright"): "pkg-base", str(tmp_path / "doc" / "linked"): "pkg-later"})
    assert corpora.owners_of(str(real / "copyright")) == ("pkg-base",)
    assert corpora.owners_of(str(tmp_path / "doc" / "linked" / "copyright")) == ("pkg-base", "pkg-later")
    assert corpora.owners_of(str(tmp_path / "alt.txt")) == ("pkg-base",)
    assert corpora.owners_of(str(tmp_path / "doc" / "loose.txt")) == ()
    source = corpora.Source(("pkg-base",), (str(tmp_path / "doc" / "*" / "copyright"),))
    both = [str(tmp_path / "doc" / "base" / "copyright"), str(tmp_path / "doc" / "linked" / "copyright")]
    assert source.files() == both
    assert source.files(frozenset({"pkg-base"})) == both[:1]
    assert source.files(frozenset({"pkg-base", "pkg-later"})) == both
    assert source.files(frozenset({"pkg-later"})) == []
