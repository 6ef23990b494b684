"""The `crayon` command: each subcommand end to end in a subprocess, and its error contract."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import types

import pytest

from crayon import CrayonVocab, cli

import engine_support as es


def crayon(*args: str, stdin: bytes | None = None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crayon.cli", *args], input=stdin,
                          capture_output=True, env=es.clean_env(**env), timeout=120)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    tokens = es.frequent_words("code", 800) + ["日本語", "😀"]
    (d / "vocab.json").write_text(json.dumps(tokens, ensure_ascii=False), encoding="utf-8")
    r = crayon("build", str(d / "vocab.json"), "-o", str(d / "mini.dat"), "--source", "cli test")
    assert r.returncode == 0, r.stderr.decode()
    return d


def test_build_writes_the_same_bytes_as_DATBuilder(workdir):
    tokens = json.loads((workdir / "vocab.json").read_text(encoding="utf-8"))
    assert (workdir / "mini.dat").read_bytes() == es.build_dat(tokens, "mini", "cli test")


def test_tokenize_prints_the_ids_of_the_library(workdir):
    text = "def main():\n    return 日本語 😀"
    r = crayon("tokenize", "--dat", str(workdir / "mini.dat"), text)
    assert r.returncode == 0, r.stderr
    expected = CrayonVocab.load_profile(str(workdir / "mini.dat")).tokenize(text)
    assert [int(x) for x in r.stdout.split()] == expected


def test_tokenize_reads_stdin_and_decode_gives_it_back(workdir):
    text = "for (int i = 0; i < n; ++i) { total += x[i]; }\n"
    r = crayon("tokenize", "--dat", str(workdir / "mini.dat"), "-", stdin=text.encode())
    assert r.returncode == 0, r.stderr
    ids = r.stdout.decode().split()
    d = crayon("decode", "--dat", str(workdir / "mini.dat"), *ids)
    assert d.returncode == 0, d.stderr
    assert d.stdout.decode() == text + "\n"
    d2 = crayon("decode", "--dat", str(workdir / "mini.dat"), ",".join(ids))
    assert d2.stdout == d.stdout


def test_pieces_concatenate_to_the_text(workdir):
    text = "import os, sys  # 日本語"
    r = crayon("tokenize", "--pieces", "--dat", str(workdir / "mini.dat"), text)
    pieces = json.loads(r.stdout)
    assert "".join(pieces) == text and len(pieces) > 1


def test_named_profile_from_CRAYON_PROFILE_DIR(workdir):
    r = crayon("tokenize", "--profile", "mini", "return self", CRAYON_PROFILE_DIR=str(workdir))
    assert r.returncode == 0, r.stderr
    r2 = crayon("tokenize", "--dat", str(workdir / "mini.dat"), "return self")
    assert r.stdout == r2.stdout
    listing = crayon("profiles", CRAYON_PROFILE_DIR=str(workdir)).stdout.decode()
    assert "mini" in listing and all(n in listing for n in
                                     ("lite", "science", "code", "multilingual", "arts_commerce"))


def test_info_shows_the_dat_metadata(workdir):
    r = crayon("info", "--json", str(workdir / "mini.dat"))
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["name"] == "mini" and info["source"] == "cli test"
    assert info["vocab_size"] == CrayonVocab.load_profile(str(workdir / "mini.dat")).vocab_size
    text = crayon("info", str(workdir / "mini.dat")).stdout.decode()
    assert re.search(r"^vocab_size\s+%d$" % info["vocab_size"], text, re.M)


def test_learn_writes_a_vocabulary_that_builds(tmp_path):
    sample = tmp_path / "sample.txt"
    sample.write_text("".join(es.corpus_documents("english", 64 << 10)), encoding="utf-8")
    r = crayon("learn", str(sample), "-o", str(tmp_path / "v.json"), "--size", "200")
    assert r.returncode == 0, r.stderr
    tokens = json.loads((tmp_path / "v.json").read_text(encoding="utf-8"))
    assert 0 < len(tokens) <= 200
    assert all(isinstance(t, str) or set(t) == {"bytes"} for t in tokens)  # partial characters: base64
    assert b"learn" in r.stderr  # the progress line
    b = crayon("build", str(tmp_path / "v.json"), "-o", str(tmp_path / "v.dat"))
    assert b.returncode == 0, b.stderr
    with CrayonVocab(device="cpu", profile=str(tmp_path / "v.dat")) as vocab:
        text = sample.read_text(encoding="utf-8")
        ids = vocab.tokenize(text)
        assert vocab.decode(ids) == text and len(ids) < len(text.encode()) / 2


def test_learn_reports_when_the_text_supports_fewer_tokens(tmp_path):
    sample = tmp_path / "tiny.txt"
    sample.write_text("abc abd\n" * 50, encoding="utf-8")
    r = crayon("learn", str(sample), "-o", str(tmp_path / "v.json"), "--size", "5000")
    assert r.returncode == 0, r.stderr
    n = len(json.loads((tmp_path / "v.json").read_text(encoding="utf-8")))
    assert 0 < n < 5000 and b"supports no more" in r.stderr


def test_backends_lists_every_backend():
    r = crayon("backends")
    assert r.returncode == 0, r.stderr
    names = [line.split()[0] for line in r.stdout.decode().splitlines()]
    assert {"cpu", "avx2", "avx512", "cuda", "rocm"} <= set(names)


@pytest.mark.parametrize("args", [
    ("tokenize", "--profile", "no_such_profile", "x"),
    ("tokenize", "--dat", "/nonexistent/x.dat", "x"),
    ("decode", "--dat", "{dat}", "99999999"),
    ("decode", "--dat", "{dat}", "seven"),
    ("build", "{json}", "-o", "{tmp}/out.dat"),
    ("build", "{binary}", "-o", "{tmp}/out.dat"),
    ("build", "{latin1}", "-o", "{tmp}/out.dat"),
    ("info", "/nonexistent.dat"),
    ("tokenize", "--input", "{empty}"),   # no --output
    ("learn", "/nonexistent.txt", "-o", "{tmp}/v.json", "--size", "10"),
    ("learn", "{empty}", "-o", "{tmp}/v.json", "--size", "10"),
    ("learn", "{binary}", "-o", "{tmp}/v.json", "--size", "10"),
    ("learn", "{latin1}", "-o", "{tmp}/v.json", "--size", "10"),
    ("learn", "{tmp}/data.parquet", "-o", "{tmp}/v.json", "--size", "10"),
    ("learn", "{json}", "-o", "{tmp}/v.json", "--size", "0"),
    ("no-such-command",),
    (),
])
def test_errors_are_one_line_and_exit_1(args, workdir, tmp_path):
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.bin").write_bytes(bytes(range(256)) * 64)
    (tmp_path / "latin1.txt").write_bytes("Größe café naïve ".encode("latin-1") * 100)
    files = {"empty": tmp_path / "empty.txt", "binary": tmp_path / "binary.bin", "latin1": tmp_path / "latin1.txt"}
    args = [a.format(dat=workdir / "mini.dat", json=bad_json, tmp=tmp_path, **files) for a in args]
    r = crayon(*args)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "Traceback" not in err and err.count("\n") == 1 and "error" in err, err


def test_tokenize_of_a_file_name_says_it_tokenizes_the_name(workdir):
    """TEXT is text by design; naming an existing file gets a note on stderr pointing to --input,
    and stdout stays the ids of the name itself."""
    name = str(workdir / "vocab.json")
    r = crayon("tokenize", "--dat", str(workdir / "mini.dat"), name)
    assert r.returncode == 0, r.stderr
    assert [int(x) for x in r.stdout.split()] == CrayonVocab.load_profile(str(workdir / "mini.dat")).tokenize(name)
    assert f"--input {name}" in r.stderr.decode()
    r = crayon("tokenize", "--dat", str(workdir / "mini.dat"), "not a file name")
    assert r.returncode == 0 and r.stderr == b""


def test_build_names_a_file_that_is_not_utf8_text(tmp_path):
    vocab = tmp_path / "vocab.bin"
    vocab.write_bytes(b'["a", "\xe0"]')
    r = crayon("build", str(vocab), "-o", str(tmp_path / "out.dat"))
    assert r.returncode == 1 and not (tmp_path / "out.dat").exists()
    assert f"{vocab} is not UTF-8 text (byte 0xe0 at offset 7)" in r.stderr.decode()


def test_plugins_add_commands(monkeypatch, capsys):
    plugin = types.ModuleType("crayon_test_plugin")

    def register(sub):
        p = sub.add_parser("hello")
        p.set_defaults(func=lambda args: print("hello from plugin") or 0)

    plugin.register = register
    monkeypatch.setitem(sys.modules, "crayon_test_plugin", plugin)
    monkeypatch.setattr(cli, "_PLUGINS", ("crayon_missing_plugin", "crayon_test_plugin"))
    assert cli.main(["hello"]) == 0
    assert capsys.readouterr().out == "hello from plugin\n"

