"""One libcrayon.so for every x86-64 CPU: the dispatcher loads the engine build for the highest level
the CPU has (libcrayon-x86-64.so, -x86-64-v3.so with AVX2, -x86-64-v4.so with AVX-512; see
src/dispatch/dispatch.c), CRAYON_ISA caps it, and every level gives the same ids and the same errors.

Each level runs in its own process (the choice is made when the library loads): the same documents
through exact BPE (cl100k_base, o200k_base) and longest match (lite), one by one and batched, plus
invalid UTF-8 at offsets either side of the 16/32/64-byte vector widths, whose validation is the
vectorised code that differs most between the builds."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import bpe_support
import crayon
from crayon import _native
from crayon.core.backends import backend_report

ROOT = Path(__file__).resolve().parents[2]
LEVELS = ("x86-64", "x86-64-v3", "x86-64-v4")
# What each level needs beyond the one below (the CPU flags /proc/cpuinfo names).
NEEDS = {"x86-64": set(), "x86-64-v3": {"avx2", "bmi2", "fma", "movbe"},
         "x86-64-v4": {"avx2", "bmi2", "fma", "movbe", "avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}}


def cpu_flags() -> set[str]:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def library_folder() -> Path:
    return Path(_native.lib()._name).resolve().parent


def runnable_levels() -> list[str]:
    """Levels whose build sits next to the loaded libcrayon.so and that this CPU can run."""
    flags, folder = cpu_flags(), library_folder()
    return [lv for lv in LEVELS if (folder / f"libcrayon-{lv}.so").exists() and NEEDS[lv] <= flags]


# Run in a child process with CRAYON_ISA set: prints the level it got and every result as JSON.
CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[1] + "/tests")
import corpus, crayon
from crayon.core.backends import backend_report

out = {"report": {n: [ok, d] for n, ok, d in backend_report()}}
docs = [d.encode("utf-8", "surrogatepass") for d in corpus.documents("mixed", 120_000)]
docs += [b" " * 200, b"9" * 333, b"\xf0\x9f\x98\x80" * 50, b"x\xff\xfe y" * 40]   # runs; invalid bytes (longest match takes any bytes)
vocab = crayon.CrayonVocab(device="cpu", profile="lite")
out["lite"] = [vocab.tokenize(d) for d in docs]
out["lite_batch"] = [list(x) for x in vocab.tokenize_batch(docs, threads=2)]
if sys.argv[2] == "bpe":
    from crayon.compat import tiktoken
    text = [d.decode("utf-8", "surrogatepass") for d in docs if b"\xff" not in d]
    for name in ("cl100k_base", "o200k_base"):
        enc = tiktoken.get_encoding(name)
        out[name] = [enc.encode_ordinary(t) for t in text]
        out[name + "_batch"] = enc.encode_ordinary_batch(text, num_threads=2)
        errors = []
        for base in ("a" * 200, "é" * 100, "日本" * 40):
            raw = base.encode()
            for at in (0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 150):
                bad = raw[:at] + b"\xc3" + raw[at:]   # a lead byte without its continuation
                try:
                    enc._bpe.encode_ordinary(bad)
                    errors.append("accepted")
                except Exception as e:  # the message carries the offset
                    errors.append(f"{type(e).__name__}: {e}")
        out[name + "_utf8_errors"] = errors
print(json.dumps(out))
"""


def run_level(level: str, with_bpe: bool) -> dict:
    env = dict(os.environ, CRAYON_ISA=level)
    r = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), "bpe" if with_bpe else "lm"],
                       env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout)


def test_the_cpu_row_names_the_level_and_the_wide_rows_say_what_is_used():
    rows = {n: (ok, d) for n, ok, d in backend_report()}
    cpu = rows["cpu"][1]
    assert "engine code for x86-64" in cpu and "-bit vectors" in cpu
    flags = cpu_flags()
    if rows["avx2"][0]:
        assert "avx2" in flags and "used" in rows["avx2"][1]
    if rows["avx512"][0]:
        assert {"avx512f", "avx512bw"} <= flags
    if not os.environ.get("CRAYON_ISA") and (library_folder() / "libcrayon-x86-64-v3.so").exists():
        # Uncapped, the dispatcher loads the best build the CPU runs.
        assert rows["avx2"][0] == (NEEDS["x86-64-v3"] <= flags)


def test_each_level_loads_when_asked_and_reports_itself():
    levels = runnable_levels()
    if len(levels) < 2:
        pytest.skip(f"only {levels} next to {library_folder()} runs here (make native builds all three)")
    for level in levels:
        report = run_level(level, with_bpe=False)["report"]
        assert f"engine code for {level} (" in report["cpu"][1], report["cpu"]
        assert report["avx2"][0] == (level != "x86-64")
        assert report["avx512"][0] == (level == "x86-64-v4")
        if level == "x86-64" and "avx2" in cpu_flags():
            assert "CRAYON_ISA=x86-64 chose the x86-64 build" in report["avx2"][1]


def test_a_cap_above_the_cpu_or_unknown_never_loads_what_cannot_run():
    report = run_level("no-such-level", with_bpe=False)["report"]
    assert "is not a level" in report["cpu"][1]
    best = (runnable_levels() or ["x86-64"])[-1]
    assert f"engine code for {best} (" in report["cpu"][1]


def test_the_scalar_fallback_and_the_wide_builds_give_identical_ids_and_errors():
    levels = runnable_levels()
    if len(levels) < 2:
        pytest.skip(f"only {levels} next to {library_folder()} runs here (make native builds all three)")
    given = os.environ.get("CRAYON_TIKTOKEN_DIR", "")
    with_bpe = all((Path(given) / f"{n}.tiktoken").exists() for n in ("cl100k_base", "o200k_base")) if given \
        else bpe_support.peers_missing() is None
    if with_bpe and not given:
        bpe_support.rank_dir()   # exports the rank files and sets CRAYON_TIKTOKEN_DIR for the children
    results = {lv: run_level(lv, with_bpe) for lv in levels}
    base = results["x86-64"]
    assert sum(map(len, base["lite"])) > 10_000
    assert base["lite_batch"] == base["lite"]
    if with_bpe:
        assert base["cl100k_base_batch"] == base["cl100k_base"]
        assert all("UTF-8" in e for e in base["cl100k_base_utf8_errors"]), base["cl100k_base_utf8_errors"][:3]
    for lv in levels[1:]:
        for key in base:
            if key != "report":
                assert results[lv][key] == base[key], f"{lv} differs from x86-64 in {key}"


def test_check_backends_is_what_the_report_says():
    b = crayon.check_backends()
    rows = {n: ok for n, ok, _ in backend_report()}
    assert b == {k: rows[k] for k in b}


def test_without_its_engine_builds_the_dispatcher_fails_every_call_cleanly(tmp_path):
    import shutil
    shutil.copy(library_folder() / "libcrayon.so", tmp_path / "libcrayon.so")
    code = ("import crayon\n"
            "assert not crayon.check_backends()['cpu']\n"
            "try:\n    crayon.CrayonVocab(device='cpu', profile='lite')\n"
            "except crayon.CrayonError as e:\n    print(e)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, CRAYON_LIBRARY=str(tmp_path / "libcrayon.so")))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "could not load an engine build" in r.stdout and "libcrayon-x86-64.so" in r.stdout
