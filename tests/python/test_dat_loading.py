"""Loading a .dat: instant (a fixed part is read), safe on any file, lossless or refused, and a full
verification on request (CrayonVocab.verify, from_dat_bytes(verify=True), `crayon info --verify`)."""
from __future__ import annotations

import os
import struct
import subprocess
import sys

import pytest

from crayon import CrayonFormatError, CrayonVocab

import engine_support as es


def _image() -> bytes:
    return es.build_dat(["the", " the", " fox", " quick", " brown", "日本語", " lazy dog"], "safety", "tests")


def _token_byte_offset(image: bytes, token_id: int) -> int:
    """Where token_id's first byte sits in the image (docs/dat-format.md: sections 5 and 6)."""
    offsets_at = struct.unpack_from("<Q", image, 64 + 4 * 24 + 8)[0]
    blob_at = struct.unpack_from("<Q", image, 64 + 5 * 24 + 8)[0]
    return blob_at + struct.unpack_from("<I", image, offsets_at + 4 * token_id)[0]


def test_bundled_profiles_verify_and_say_so():
    for name in ("lite", "code"):
        vocab = CrayonVocab(device="cpu", profile=name)
        assert vocab.profile_info["verified"] is False and vocab.profile_info["format_version"] == 5
        vocab.verify()
        assert vocab.profile_info["verified"] is True
        assert CrayonVocab(device="cpu", profile=name, verify=True).profile_info["verified"] is True


def test_a_changed_token_byte_is_refused_on_first_use_and_by_verify():
    image = bytearray(_image())
    fox = 262   # list order: "the" 260, " the" 261, " fox" 262
    at = _token_byte_offset(bytes(image), fox) + 1
    assert image[at:at + 3] == b"fox"
    image[at] = ord("b")
    vocab = CrayonVocab.from_dat_bytes(bytes(image))
    assert vocab.decode(vocab.tokenize("the lazy dog")) == "the lazy dog"
    with pytest.raises(CrayonFormatError, match="disagree"):
        vocab.tokenize("the quick brown fox")
    with pytest.raises(CrayonFormatError):
        vocab.verify()
    with pytest.raises(CrayonFormatError):
        CrayonVocab.from_dat_bytes(bytes(image), verify=True)


def test_info_verify_on_a_good_and_a_corrupt_file(tmp_path):
    good, bad = tmp_path / "good.dat", tmp_path / "bad.dat"
    image = _image()
    good.write_bytes(image)
    corrupt = bytearray(image)
    corrupt[_token_byte_offset(image, 262) + 1] ^= 0x20
    bad.write_bytes(bytes(corrupt))
    run = lambda *a: subprocess.run([sys.executable, "-m", "crayon.cli", "info", *a], capture_output=True,
                                    env=es.clean_env(), timeout=120)
    ok = run(str(good), "--verify", "--json")
    assert ok.returncode == 0, ok.stderr.decode()
    assert b'"verified": true' in ok.stdout
    assert run(str(bad)).returncode == 0   # without --verify, info reads only the header
    refused = run(str(bad), "--verify")
    assert refused.returncode == 1 and b"checksum mismatch" in refused.stderr, refused.stderr.decode()


def _rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_loading_a_large_profile_leaves_it_on_disk():
    path = CrayonVocab(device="cpu", profile="code").profile_info["path"]
    size_kib = os.path.getsize(path) // 1024
    CrayonVocab(device="cpu", profile=path).tokenize("warm up the library")
    before = _rss_kib()
    vocab = CrayonVocab(device="cpu", profile=path)
    loaded = _rss_kib()
    assert loaded - before < size_kib // 4, (before, loaded, size_kib)
    vocab.verify()   # reads every page
    assert _rss_kib() - before > size_kib // 2
