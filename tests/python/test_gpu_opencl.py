"""The OpenCL backend through the C ABI and Python: ids identical to the CPU's.

`make test` installs PoCL (OpenCL on the CPU), so these run everywhere; they skip, saying why, only
where no OpenCL device opens. The engine's own tests (tests/Crayon.Tests/Gpu) also force tiny chunk
and piece sizes to put every boundary inside tokens; here the shipped defaults are checked end to end.
CRAYON_TEST_GPU_DEVICE=cuda (or rocm) runs the same checks on that device, e.g. on a machine with an
NVIDIA GPU next to benchmarks/gpu_bench.py.
"""
from __future__ import annotations

import os
import random
import threading
from pathlib import Path

import pytest

from crayon import CrayonVocab, check_backends
from crayon.core.backends import backend_report

REPO = Path(__file__).resolve().parents[2]

DEVICE = os.environ.get("CRAYON_TEST_GPU_DEVICE", "opencl")
DETAIL = next((d for n, _, d in backend_report() if n == DEVICE), f"unknown device {DEVICE}")
# PoCL & co. say so in their report line: an OpenCL CPU device, where big batches are only slow.
REAL_GPU = "OpenCL CPU device" not in DETAIL

pytestmark = pytest.mark.skipif(not check_backends().get(DEVICE, False), reason=DETAIL)


def real_documents(limit: int = 120) -> list[bytes]:
    files = sorted(p for pattern in ("src/**/*.cs", "docs/**/*.md", "bindings/python/**/*.py")
                   for p in REPO.glob(pattern))
    return [p.read_bytes() for p in files[:limit]]


def same_as_cpu(profile: str, docs: list[bytes]) -> None:
    cpu = CrayonVocab(device="cpu", profile=profile)
    gpu = CrayonVocab(device=DEVICE, profile=profile)
    assert gpu.device == DEVICE
    assert gpu.tokenize_batch(docs) == cpu.tokenize_batch(docs)


@pytest.mark.parametrize("profile", ["lite", "code", "multilingual"])
def test_real_text_matches_the_cpu_on_bundled_profiles(profile):
    same_as_cpu(profile, real_documents())


def test_random_bytes_empty_and_many_tiny_documents_match_the_cpu():
    rng = random.Random(5)
    docs = [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40))) for _ in range(3000)]
    docs += [b""] * 50 + [b"a", b"\x00", b"\xff\xfe"]
    same_as_cpu("code", docs)


def test_one_huge_document_matches_the_cpu():
    text = b"".join(real_documents(400))
    huge = (text * (4_000_000 // max(1, len(text)) + 1))[:4_000_000]
    same_as_cpu("lite", [huge])


def test_single_text_and_decode_round_trip_on_the_device():
    gpu = CrayonVocab(device=DEVICE, profile="lite")
    cpu = CrayonVocab(device="cpu", profile="lite")
    text = "Crayon on the device: ça marche, 日本語, 🖍️ and a\ttab.\n" * 20
    assert gpu.tokenize(text) == cpu.tokenize(text)
    assert gpu.decode(gpu.tokenize(text)) == text


def test_switching_profiles_while_batches_run_gives_one_profiles_ids_per_call():
    docs = real_documents(30)
    expect = {p: CrayonVocab(device="cpu", profile=p).tokenize_batch(docs) for p in ("lite", "code")}
    gpu = CrayonVocab(device=DEVICE, profile="lite")
    stop = threading.Event()
    errors: list[str] = []

    def switcher() -> None:
        i = 0
        while not stop.is_set():
            gpu.set_profile("code" if i % 2 == 0 else "lite")
            i += 1

    def worker() -> None:
        for _ in range(6):
            got = gpu.tokenize_batch(docs)
            if got not in (expect["lite"], expect["code"]):
                errors.append("ids of neither profile")

    t = threading.Thread(target=switcher)
    t.start()
    workers = [threading.Thread(target=worker) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    stop.set()
    t.join()
    assert errors == []


def test_backends_report_names_the_device():
    row = next(r for r in backend_report() if r[0] == DEVICE)
    assert row[1] is True
    assert "MiB" in row[2] and "driver" in row[2]


def test_device_memory_does_not_grow_over_many_calls_and_stats_count_the_work():
    gpu = CrayonVocab(device=DEVICE, profile="lite")
    docs = real_documents(40)
    gpu.tokenize_batch(docs)
    first = gpu.device_stats()
    assert first["device"] == DEVICE and first["calls"] == 1 and first["tokens"] > 0
    assert first["kernel_seconds"] > 0 and first["device_bytes"] > 0
    for i in range(20):
        gpu.tokenize_batch(docs if i % 2 else docs[:5])
    after = gpu.device_stats()
    assert after["calls"] == 21
    assert after["device_bytes"] == first["device_bytes"]
    assert CrayonVocab(device="cpu").device_stats() == {"device": "cpu"}


@pytest.mark.skipif(not REAL_GPU, reason="needs a GPU: on an OpenCL CPU device 150 MiB takes long "
                    "(tests/Crayon.Tests/Gpu force small pieces there instead)")
def test_a_batch_of_several_pieces_matches_the_cpu_and_overlaps_copies_with_kernels():
    text = b"".join(real_documents(400))
    docs = [text[i:i + 4096] for i in range(0, len(text) - 4096, 4096)]
    docs = (docs * (150 * 2**20 // (4096 * len(docs)) + 1))
    docs.insert(len(docs) // 2, (text * (40_000_000 // len(text) + 1))[:40_000_000])   # cut by pieces
    cpu = CrayonVocab(device="cpu", profile="lite")
    gpu = CrayonVocab(device=DEVICE, profile="lite")
    np = pytest.importorskip("numpy")
    gpu.tokenize_batch(docs, numpy=True)   # first call: work buffers and page-locked staging
    before = gpu.device_stats()
    got = gpu.tokenize_batch(docs, numpy=True)
    after = gpu.device_stats()
    expect = cpu.tokenize_batch(docs, numpy=True)
    assert [len(a) for a in got] == [len(b) for b in expect]
    assert np.array_equal(np.concatenate(got), np.concatenate(expect))
    assert after["pieces"] - before["pieces"] >= 3
    assert after["kernel_seconds"] > before["kernel_seconds"]
    assert after["copy_seconds"] > before["copy_seconds"]
