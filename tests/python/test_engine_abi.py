"""The engine section of crayon.h through ctypes directly (no package wrappers): round trip on random
Unicode and bytes, batch equals one call per document, hot swap from Python threads, learning."""
from __future__ import annotations

import base64

import ctypes
import json
import os
import threading
from ctypes import POINTER, byref, c_char_p, c_int, c_int32, c_int64, c_size_t, c_uint8, c_uint32, c_void_p
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

ROOT = Path(__file__).resolve().parents[2]
FAILED = -(2 ** 63)


@pytest.fixture(scope="module")
def lib():
    lib = ctypes.CDLL(os.environ.get("CRAYON_LIBRARY", str(ROOT / "build" / "native" / "libcrayon.so")))
    sig = {
        "crayon_dat_build": (c_int, [POINTER(c_char_p), POINTER(c_size_t), c_size_t, c_char_p, c_char_p,
                                     c_uint32, POINTER(POINTER(c_uint8)), POINTER(c_size_t)]),
        "crayon_load_dat_buffer": (c_int, [c_void_p, c_size_t, c_uint32, POINTER(c_void_p)]),
        "crayon_load_dat": (c_int, [c_char_p, POINTER(c_void_p)]),
        "crayon_set_profile": (c_int, [c_void_p, c_char_p]),
        "crayon_free": (None, [c_void_p]),
        "crayon_free_buffer": (None, [c_void_p]),
        "crayon_tokenize": (c_int64, [c_void_p, c_char_p, c_size_t, POINTER(c_int32), c_size_t]),
        "crayon_tokenize_batch": (c_int64, [c_void_p, POINTER(c_char_p), POINTER(c_size_t), c_size_t,
                                            POINTER(c_int32), c_size_t, POINTER(c_int64), c_int32]),
        "crayon_decode": (c_int64, [c_void_p, POINTER(c_int32), c_size_t, c_char_p, c_size_t]),
        "crayon_vocab_learn": (c_int, [POINTER(c_char_p), POINTER(c_size_t), c_size_t, c_size_t, c_size_t,
                                       c_void_p, c_void_p, POINTER(POINTER(c_uint8)), POINTER(c_size_t)]),
        "crayon_last_error": (c_char_p, []),
        "crayon_last_status": (c_int, []),
    }
    for name, (res, args) in sig.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    return lib


def build_image(lib, tokens: list[bytes], name: bytes = b"t") -> bytes:
    arr = (c_char_p * len(tokens))(*tokens)
    lens = (c_size_t * len(tokens))(*map(len, tokens))
    out, n = POINTER(c_uint8)(), c_size_t()
    assert lib.crayon_dat_build(arr, lens, len(tokens), name, b"pytest", 0, byref(out), byref(n)) == 0
    try:
        return ctypes.string_at(out, n.value)
    finally:
        lib.crayon_free_buffer(out)


def load(lib, image: bytes):
    v = c_void_p()
    assert lib.crayon_load_dat_buffer(image, len(image), 0, byref(v)) == 0, lib.crayon_last_error()
    return v


def tokenize(lib, v, data: bytes) -> list[int]:
    out = (c_int32 * max(1, len(data)))()
    n = lib.crayon_tokenize(v, data, len(data), out, len(data))
    assert n >= 0, lib.crayon_last_error()
    return out[:n]


def decode(lib, v, ids: list[int]) -> bytes:
    arr = (c_int32 * max(1, len(ids)))(*ids)
    need = lib.crayon_decode(v, arr, len(ids), None, 0)
    if need == 0:
        return b""
    assert need < 0 and need != FAILED
    buf = ctypes.create_string_buffer(-need)
    assert lib.crayon_decode(v, arr, len(ids), buf, -need) == -need
    return buf.raw


WORDS = [w.encode() for w in [" the", "the", " token", "izer", " un", "ic", "ode", "é", " ça", "日本", "語", "🖍️", "  ", "\n\n"]]


@pytest.fixture(scope="module")
def vocab(lib):
    v = load(lib, build_image(lib, WORDS))
    yield v
    lib.crayon_free(v)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_round_trip_on_random_unicode(lib, vocab, text):
    data = text.encode("utf-8", "surrogatepass")  # lone surrogates become invalid UTF-8 bytes: still round trip
    assert decode(lib, vocab, tokenize(lib, vocab, data)) == data


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_round_trip_on_random_bytes(lib, vocab, data):
    assert decode(lib, vocab, tokenize(lib, vocab, data)) == data


def test_batch_equals_one_call_per_document(lib, vocab):
    docs = [b"the tokenizer", b"", "日本語 ça 🖍️".encode(), b" the the the" * 50, bytes(range(256))]
    total = sum(map(len, docs))
    out = (c_int32 * total)()
    offsets = (c_int64 * (len(docs) + 1))()
    n = lib.crayon_tokenize_batch(vocab, (c_char_p * len(docs))(*docs), (c_size_t * len(docs))(*map(len, docs)),
                                  len(docs), out, total, offsets, 0)
    assert n == offsets[len(docs)]
    for i, d in enumerate(docs):
        assert out[offsets[i]:offsets[i + 1]] == tokenize(lib, vocab, d)


def test_hot_swap_from_python_threads(lib, tmp_path):
    a, b = tmp_path / "a.dat", tmp_path / "b.dat"
    a.write_bytes(build_image(lib, WORDS, b"a"))
    b.write_bytes(build_image(lib, [b" t", b"he", b"to", b"ken", b"izer t"], b"b"))
    text = b"the tokenizer the token izer the " * 20
    va, vb = load(lib, a.read_bytes()), load(lib, b.read_bytes())
    expected = {tuple(tokenize(lib, va, text)), tuple(tokenize(lib, vb, text))}
    assert len(expected) == 2
    v = c_void_p()
    assert lib.crayon_load_dat(str(a).encode(), byref(v)) == 0
    stop, bad, calls = threading.Event(), [], [0]

    def work():
        while not stop.is_set():
            got = tuple(tokenize(lib, v, text))
            calls[0] += 1
            if got not in expected:
                bad.append(got)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    i = 0
    while i < 100 or calls[0] < 300:
        assert lib.crayon_set_profile(v, str(b if i % 2 == 0 else a).encode()) == 0, lib.crayon_last_error()
        i += 1
    stop.set()
    for t in threads:
        t.join()
    assert not bad
    for x in (v, va, vb):
        lib.crayon_free(x)


def test_learned_vocabulary_compresses_and_round_trips(lib):
    texts = [("the tokenizer splits the text into tokens; " * 30 + str(i)).encode() for i in range(20)]
    arr = (c_char_p * len(texts))(*texts)
    lens = (c_size_t * len(texts))(*map(len, texts))
    out, n = POINTER(c_uint8)(), c_size_t()
    assert lib.crayon_vocab_learn(arr, lens, len(texts), 50, 16, None, None, byref(out), byref(n)) == 0
    try:
        learned = json.loads(ctypes.string_at(out, n.value))
    finally:
        lib.crayon_free_buffer(out)
    assert " tokenizer" in learned or " the" in learned
    v = load(lib, build_image(lib, [t.encode() if isinstance(t, str) else base64.b64decode(t["bytes"]) for t in learned]))
    ids = tokenize(lib, v, texts[0])
    assert len(ids) * 4 < len(texts[0])
    assert decode(lib, v, ids) == texts[0]
    lib.crayon_free(v)


def test_unknown_ids_and_missing_profiles_are_errors(lib, vocab):
    arr = (c_int32 * 2)(5, 10 ** 6)
    assert lib.crayon_decode(vocab, arr, 2, None, 0) == FAILED
    assert lib.crayon_last_status() == -5 and b"position 1" in lib.crayon_last_error()
    v = c_void_p()
    assert lib.crayon_load_dat(b"/nonexistent/profile.dat", byref(v)) == -2
