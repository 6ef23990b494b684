"""Growing a profile without renumbering it: learn_vocab(base=...), extend_dat, `crayon extend`."""
from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from crayon import CrayonVocab
from crayon.core.learn import extend_dat, learn_vocab

import engine_support as es


@pytest.fixture(scope="module")
def code_text():
    docs = es.corpus_documents("code", 1 << 20)
    return [d for i, d in enumerate(docs) if i % 5], [d for i, d in enumerate(docs) if not i % 5]


@pytest.fixture(scope="module")
def extended(code_text):
    train, _ = code_text
    base = CrayonVocab(device="cpu", profile="lite")
    added = learn_vocab(train, 3000, base=base)
    child = CrayonVocab.from_dat_bytes(extend_dat(base, added, name="lite+code"))
    return base, added, child


def test_every_id_of_the_parent_keeps_its_token_and_new_ids_come_after(extended):
    base, added, child = extended
    assert 0 < len(added) <= 3000 and child.vocab_size == base.vocab_size + len(added)
    for token_id in range(base.vocab_size):
        assert child.token_bytes(token_id) == base.token_bytes(token_id)
    parent_tokens = {base.token_bytes(i) for i in range(base.vocab_size)}
    assert not any(child.token_bytes(i) in parent_tokens for i in range(base.vocab_size, child.vocab_size))
    assert child.normalization == base.normalization


def test_the_child_records_its_lineage(extended, tmp_path):
    base, _, child = extended
    info, parent = child.profile_info, base.profile_info
    assert parent["vocab_version"] == 1 and parent["parent_checksum"] is None and parent["format_version"] == 5
    assert info["vocab_version"] == 2 and info["parent_version"] == 1
    assert info["parent_checksum"] == parent["checksum"]
    grandchild = CrayonVocab.from_dat_bytes(extend_dat(child, ["zzqqxx more"], name="g"))
    assert grandchild.profile_info["vocab_version"] == 3
    assert grandchild.profile_info["parent_checksum"] == info["checksum"]


def test_text_tokenized_with_the_parent_decodes_identically_with_the_child(extended, code_text):
    base, _, child = extended
    for text in code_text[1][:30] + es.corpus_documents("multilingual", 64 << 10):
        ids = base.tokenize(text)
        assert child.decode(ids) == base.decode(ids) == text
        assert child.decode(child.tokenize(text)) == text


def test_the_child_compresses_the_new_domain_better(extended, code_text):
    base, _, child = extended
    held_out = code_text[1]
    before = sum(map(len, base.tokenize_batch(held_out)))
    after = sum(map(len, child.tokenize_batch(held_out)))
    assert after < 0.9 * before, (before, after)


def _without_lineage(image: bytes) -> bytes:
    """The image with its checksum (bytes 24..31) and lineage (52..63) blanked."""
    return image[:24] + bytes(8) + image[32:52] + bytes(12) + image[64:]


def test_appending_a_then_b_gives_the_same_profile_as_appending_a_plus_b():
    base = CrayonVocab(device="cpu", profile="lite")
    a, b = ["def __init__(self", "\n        return self."], ["#include <stdio.h>", {"bytes": "4KQ="}]
    one = CrayonVocab.from_dat_bytes(extend_dat(base, a, name="x"))
    twice, once = extend_dat(one, b, name="x"), extend_dat(base, a + b, name="x")
    # The same ids, tokens, trie and metadata; only the lineage says there were two steps.
    assert _without_lineage(twice) == _without_lineage(once) and twice != once


def test_entries_already_present_or_repeated_are_skipped():
    base = CrayonVocab(device="cpu", profile="lite")
    existing = base.token_bytes(300).decode("utf-8", "surrogateescape")
    child = CrayonVocab.from_dat_bytes(extend_dat(base, [base.token_bytes(300), "zzqqxx new", "zzqqxx new", ""],
                                                  name="x"))
    assert child.vocab_size == base.vocab_size + 1, existing


def test_an_nfc_profile_stays_nfc_when_extended():
    base = CrayonVocab(device="cpu", profile="multilingual")
    child = CrayonVocab.from_dat_bytes(extend_dat(base, ["zzqqxx neu"], name="m"))
    assert child.normalization == "nfc" and child.tokenize("e\u0301") == child.tokenize("\u00e9")


def test_cli_extend_of_an_nfc_profile_learns_from_nfc_text(tmp_path):
    import unicodedata
    text = tmp_path / "nfd.txt"
    text.write_text(unicodedata.normalize("NFD", "".join(es.corpus_documents("multilingual", 1 << 20))), encoding="utf-8")
    out = tmp_path / "m2.dat"
    r = _crayon("extend", "multilingual", str(text), "-o", str(out), "--add", "300")
    assert r.returncode == 0, r.stderr
    with CrayonVocab(device="cpu", profile=str(out)) as child, CrayonVocab(device="cpu", profile="multilingual") as base:
        new = [child.token_bytes(i).decode("utf-8", "replace") for i in range(base.vocab_size, child.vocab_size)]
        assert new and all(unicodedata.is_normalized("NFC", t) for t in new if "\ufffd" not in t)


def test_threads_tokenize_while_the_profile_is_swapped_to_the_child(tmp_path, extended, code_text):
    _, added, _ = extended
    base = CrayonVocab(device="cpu", profile="lite")
    path = tmp_path / "child.dat"
    path.write_bytes(extend_dat(base, added, name="child"))
    shared = CrayonVocab(device="cpu", profile="lite")
    child = CrayonVocab(device="cpu", profile=str(path))   # decodes the parent's ids and its own
    text = "".join(code_text[1][:5])
    errors = []

    def work():
        for _ in range(30):
            if child.decode(shared.tokenize(text)) != text:
                errors.append("lost text")

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for _ in range(20):
        shared.set_profile(str(path))
        shared.set_profile("lite")
    for t in threads:
        t.join()
    assert not errors


def _crayon(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crayon.cli", *args], capture_output=True, env=es.clean_env(),
                          timeout=300)


def test_cli_extend_learns_checks_on_a_held_out_sample_and_writes(tmp_path):
    text = tmp_path / "code.txt"
    text.write_text("".join(es.corpus_documents("code", 1 << 20)), encoding="utf-8")
    out = tmp_path / "lite_code.dat"
    r = _crayon("extend", "lite", str(text), "-o", str(out), "--add", "2000")
    assert r.returncode == 0, r.stderr
    assert b"held-out sample" in r.stderr and b"ids 0..49999 as in lite" in r.stderr
    with CrayonVocab(device="cpu", profile=str(out)) as child:
        assert 50_000 < child.vocab_size <= 52_000
        assert "extended from lite" in child.profile_info["source"]
    info = _crayon("info", str(out)).stdout.decode()
    assert "vocab_version    2" in info and "parent_version   1" in info and "parent_checksum" in info


def test_cli_extend_refuses_an_update_that_makes_the_sample_worse(tmp_path):
    words = [" the", " quick", " brown", " fox"]
    base = tmp_path / "base.dat"
    base.write_bytes(es.build_dat(words, "base"))
    sample = tmp_path / "sample.txt"
    sample.write_text(" the quick brown fox" * 500, encoding="utf-8")
    harmful = tmp_path / "harmful.json"
    harmful.write_text('[" the q", "k brow"]', encoding="utf-8")   # greedy takes them and then pays more
    out = tmp_path / "worse.dat"
    r = _crayon("extend", str(base), str(sample), "--tokens", str(harmful), "-o", str(out))
    assert r.returncode == 1 and b"worse" in r.stderr and not out.exists(), r.stderr
    r = _crayon("extend", str(base), str(sample), "--tokens", str(harmful), "-o", str(out), "--force")
    assert r.returncode == 0 and out.exists(), r.stderr
