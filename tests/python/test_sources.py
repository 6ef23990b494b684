"""Learning from streamed sources: hf:// datasets (against a local stand-in for the dataset viewer),
.jsonl / .jsonl.gz files, --column and --max-bytes; faults are retried without losing or repeating rows."""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time

import pytest

from crayon.core.sources import DocumentStream, HubClient, SourceError, parse_size

import engine_support as es
from hub_server import Dataset, FakeHub

FAST = {"CRAYON_HF_MAX_BACKOFF": "0.05"}   # back-off between tries; a 429's Retry-After: 1 still holds


def crayon(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crayon.cli", *args], capture_output=True,
                          env=es.clean_env(**{**FAST, **env}), timeout=120)


@pytest.fixture(scope="module")
def rows():
    """2000 paragraphs of real English as rows; one with a number for text, one without the column."""
    docs = es.corpus_documents("english", 2 << 20)
    paragraphs = [p for d in docs for p in d.split("\n\n") if p.strip()][:2000]
    assert len(paragraphs) == 2000
    out = [{"text": p, "id": i} for i, p in enumerate(paragraphs)]
    out[5] = {"text": 42, "id": 5}
    out[1007] = {"title": "no text here", "id": 1007}
    return out


@pytest.fixture(scope="module")
def expected(rows):
    return [r["text"].encode() for r in rows if isinstance(r.get("text"), str)]


@pytest.fixture(scope="module")
def hub(rows):
    with FakeHub({"test/fixture": Dataset(rows, features=("text", "id")),
                  "test/titles": Dataset([{"title": "a"}] * 10, features=("title",))}) as hub:
        yield hub


def inject_faults(hub: FakeHub) -> None:
    hub.faults[("test/fixture", 300)] = ["429"]
    hub.faults[("test/fixture", 700)] = ["drop"]
    hub.faults[("test/fixture", 1200)] = ["500"]


def test_rows_stream_in_order_once_each_through_a_429_a_dropped_connection_and_a_500(hub, expected, monkeypatch):
    monkeypatch.setenv("CRAYON_HF_MAX_BACKOFF", "0.05")
    inject_faults(hub)
    stream = DocumentStream(["hf://datasets/test/fixture"], client=HubClient(hub.url), batch_bytes=64 << 10)
    started = time.perf_counter()
    batches = list(stream)
    assert [d for b in batches for d in b] == expected
    assert len(batches) > 1 and all(sum(map(len, b)) < (64 << 10) + 20000 for b in batches)
    assert time.perf_counter() - started >= 1.0            # the 429's Retry-After: 1 was honoured
    assert stream.stats.retries == 3 and stream.stats.rows_total == 2000
    assert dict(stream.stats.skipped) == {"non-string value": 1, "missing column": 1}
    assert stream.stats.documents == len(expected) and stream.stats.bytes == sum(map(len, expected))


def test_cli_learns_the_same_vocabulary_from_the_hub_as_from_the_same_rows_in_a_jsonl_file(hub, rows, tmp_path):
    inject_faults(hub)
    local = tmp_path / "rows.jsonl"
    local.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    r = crayon("learn", "hf://datasets/test/fixture", "--column", "text", "-o", str(tmp_path / "hub.json"),
               "--size", "500", HF_DATASETS_SERVER=hub.url)
    assert r.returncode == 0, r.stderr.decode()
    err = r.stderr.decode()
    assert "1,998 documents" in err and "3 retries" in err and "missing column: 1" in err, err
    r = crayon("learn", str(local), "-o", str(tmp_path / "local.json"), "--size", "500")
    assert r.returncode == 0, r.stderr.decode()
    hub_tokens = json.loads((tmp_path / "hub.json").read_text(encoding="utf-8"))
    assert len(hub_tokens) == 500
    assert hub_tokens == json.loads((tmp_path / "local.json").read_text(encoding="utf-8"))


def test_HF_TOKEN_is_sent_as_a_bearer_token(hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret123")
    monkeypatch.setenv("HF_DATASETS_SERVER", hub.url)
    hub.requests.clear()
    docs = [d for b in DocumentStream(["hf://datasets/test/fixture/default/train"], max_bytes="10K") for d in b]
    assert docs and hub.requests
    assert all(h.get("Authorization") == "Bearer hf_secret123" for _, _, h in hub.requests)
    monkeypatch.delenv("HF_TOKEN")
    hub.requests.clear()
    list(DocumentStream(["hf://datasets/test/fixture"], max_bytes="1K"))
    assert not any("Authorization" in h for _, _, h in hub.requests)


def test_an_unreachable_server_is_a_one_line_error_naming_the_url_and_local_files(tmp_path):
    r = crayon("learn", "hf://datasets/test/fixture", "-o", str(tmp_path / "v.json"), "--size", "10",
               HF_DATASETS_SERVER="http://127.0.0.1:1")
    err = r.stderr.decode()
    assert r.returncode == 1 and err.count("\n") == 1 and "Traceback" not in err, err
    assert "http://127.0.0.1:1/splits?dataset=test%2Ffixture" in err and "local files" in err, err
    assert not (tmp_path / "v.json").exists()


def test_max_bytes_stops_the_stream_early(hub):
    hub.requests.clear()
    stream = DocumentStream(["hf://datasets/test/fixture"], client=HubClient(hub.url, workers=1), max_bytes="100K")
    docs = [d for b in stream for d in b]
    assert sum(map(len, docs)) == stream.stats.bytes == 100 << 10
    assert len(hub.requests) < 10                          # the fixture has 20 pages
    assert parse_size("200M") == 200 << 20 and parse_size("1G") == 1 << 30 and parse_size("500K") == 500 << 10
    assert parse_size("12345") == 12345 and parse_size("1.5MiB") == 3 << 19
    with pytest.raises(SourceError):
        parse_size("lots")


def test_a_column_the_dataset_lacks_and_an_unknown_split_are_one_line_errors(hub, tmp_path):
    r = crayon("learn", "hf://datasets/test/titles", "-o", str(tmp_path / "v.json"), "--size", "10",
               HF_DATASETS_SERVER=hub.url)
    err = r.stderr.decode()
    assert r.returncode == 1 and err.count("\n") == 1 and "no column 'text'" in err and "title" in err, err
    r = crayon("learn", "hf://datasets/test/fixture/default/validation", "-o", str(tmp_path / "v.json"),
               "--size", "10", HF_DATASETS_SERVER=hub.url)
    err = r.stderr.decode()
    assert r.returncode == 1 and "no split 'validation' (splits: train)" in err, err
    r = crayon("learn", "hf://datasets/test/nothing", "-o", str(tmp_path / "v.json"), "--size", "10",
               HF_DATASETS_SERVER=hub.url)
    assert r.returncode == 1 and b"HTTP 404" in r.stderr and r.stderr.count(b"\n") == 1, r.stderr


def test_jsonl_and_jsonl_gz_give_one_document_a_line_and_count_what_they_skip(tmp_path):
    lines = ['{"body": "first"}', "not json", '{"body": 7}', "", '{"other": "x"}', '["a list"]',
             '{"body": "second \\u00e9"}']
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with gzip.open(tmp_path / "a.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    for name in ("a.jsonl", "a.jsonl.gz"):
        stream = DocumentStream([str(tmp_path / name)], column="body")
        assert [d for b in stream for d in b] == [b"first", "second é".encode()]
        assert dict(stream.stats.skipped) == {"bad JSON line": 1, "non-string value": 1, "missing column": 1,
                                              "not a JSON object": 1}
    with pytest.raises(SourceError, match="no field 'text'.*body"):
        list(DocumentStream([str(tmp_path / "a.jsonl")]))


def test_text_files_stay_one_document_each_and_max_bytes_cuts_at_a_character(tmp_path):
    (tmp_path / "a.txt").write_text("ééééé\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("second\n", encoding="utf-8")
    paths = [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]
    assert [d for b in DocumentStream(paths) for d in b] == ["ééééé\n".encode(), b"second\n"]
    assert [d for b in DocumentStream(paths, max_bytes=5) for d in b] == ["éé".encode()]


def test_cli_extend_learns_from_the_hub_and_checks_on_every_tenth_row(hub, tmp_path):
    out = tmp_path / "lite_hub.dat"
    r = crayon("extend", "lite", "hf://datasets/test/fixture", "-o", str(out), "--add", "200", "--max-bytes", "400K",
               HF_DATASETS_SERVER=hub.url)
    assert r.returncode == 0, r.stderr.decode()
    assert b"held-out sample" in r.stderr and b"ids 0..49999 as in lite" in r.stderr, r.stderr
    from crayon import CrayonVocab
    with CrayonVocab(device="cpu", profile=str(out)) as child:
        assert 50_000 < child.vocab_size <= 50_200
        assert "learned from hf://datasets/test/fixture" in child.profile_info["source"]
