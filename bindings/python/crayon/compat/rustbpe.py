"""A drop-in for ``rustbpe`` (nanochat's BPE trainer), backed by libcrayon.

    from crayon.compat import rustbpe
    tok = rustbpe.Tokenizer()
    tok.train_from_iterator(texts, vocab_size=4096, pattern=SPLIT_PATTERN)
    ranks = tok.get_mergeable_ranks()          # [(b"\\x00", 0), ..., (b" the", 300), ...]

Training has rustbpe's semantics: chunks from the split pattern are counted over every document; each
step merges the most frequent adjacent pair, ties going to the smaller (left id, right id), left to
right without overlap inside a chunk; merge k is id 256 + k; training stops early when no pair is
left. Documents are streamed to the native trainer ``buffer_size`` at a time and not kept; counting
and merging run in libcrayon with the GIL released.

A Tokenizer pickles by its data (split pattern and token bytes in rank order), so it works in
multiprocessing, concurrent.futures and Dask workers unchanged.
"""
from __future__ import annotations

import base64
import ctypes
import operator
import os
from array import array
from ctypes import POINTER, c_int32, c_int64, c_void_p
from typing import Callable, Iterable, Iterator

from .. import _native
from .._errors import CrayonError
from ..core._calls import byte_arrays, ids_out, read_bytes_at

__all__ = ["Tokenizer", "GPT4_PATTERN"]

#: rustbpe's default split pattern (GPT-4's, numbers of up to three digits).
GPT4_PATTERN = (r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|"""
                r"""\s*[\r\n]|\s+(?!\S)|\s+""")

Progress = Callable[[int, int], object]


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:   # lone surrogates: rustbpe (pyo3 &str) rejects them too
        raise ValueError(f"text is not encodable as UTF-8 (lone surrogate?): {e}") from None


class Tokenizer:
    """A byte-level BPE tokenizer: untrained (256 byte tokens) until ``train_from_iterator``."""

    def __init__(self) -> None:
        self._handle = self._new_handle(None)

    # ---- handle management -----------------------------------------------------------------
    @staticmethod
    def _new_handle(pattern: str | None) -> c_void_p:
        lib = _native.lib()
        handle = c_void_p()
        pat = None if pattern is None else pattern.encode("utf-8")
        _native.check(lib.crayon_trainer_new(pat, ctypes.byref(handle)))
        return handle

    def _replace(self, handle: c_void_p) -> None:
        old, self._handle = getattr(self, "_handle", None), handle
        if old:
            _native.lib().crayon_trainer_free(old)

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle:
            try:
                _native.lib().crayon_trainer_free(handle)
            except Exception:
                pass
            self._handle = None

    # ---- training --------------------------------------------------------------------------
    def train_from_iterator(self, iterator: Iterable[str], vocab_size: int, buffer_size: int = 8192,
                            pattern: str | None = None, progress: Progress | None = None,
                            byte_order: bytes | None = None) -> None:
        """Learn ``vocab_size - 256`` merges from the strings of ``iterator``.

        ``pattern``: the split regex (default: GPT-4's). ``progress(done, total)`` is called about a
        thousand times during the merge loop; returning ``False`` cancels training.
        ``byte_order`` (crayon extension; 256 bytes, a permutation): the id byte b takes when tied
        pairs are compared, to reproduce trainers that number bytes differently (None: byte values).
        Raises ``ValueError`` for ``vocab_size < 256``, an invalid pattern or text that is not UTF-8.
        """
        if isinstance(vocab_size, bool):
            raise TypeError("vocab_size must be an int, got bool")
        vocab_size = operator.index(vocab_size)    # ints and int-likes (numpy), as pyo3 accepts
        if vocab_size < 256:
            raise ValueError(f"vocab_size must be at least 256 (the 256 byte tokens); got {vocab_size}")
        if vocab_size > 2 ** 31 - 1:
            raise ValueError(f"vocab_size {vocab_size} is too large")
        if buffer_size < 1:
            raise ValueError(f"buffer_size must be at least 1; got {buffer_size}")
        lib = _native.lib()
        handle = self._new_handle(pattern)
        try:
            if byte_order is not None:
                order = bytes(byte_order)
                if len(order) != 256:
                    raise ValueError(f"byte_order must have 256 entries; got {len(order)}")
                _native.check(lib.crayon_trainer_set_byte_order(handle, order))
            buffer: list[bytes] = []
            for text in iterator:
                if not isinstance(text, str):
                    raise TypeError(f"the iterator must yield str, got {type(text).__name__}")
                buffer.append(_utf8(text))
                if len(buffer) >= buffer_size:
                    self._feed(lib, handle, buffer)
                    buffer = []
            if buffer:
                self._feed(lib, handle, buffer)
            self._train(lib, handle, vocab_size, progress)
        except BaseException:
            lib.crayon_trainer_free(handle)
            raise
        self._replace(handle)

    @staticmethod
    def _feed(lib, handle, docs: list[bytes]) -> None:
        texts, lens, n = byte_arrays(docs)
        _native.check(lib.crayon_trainer_feed(handle, texts, lens, n, _native.threads(0)))

    @staticmethod
    def _train(lib, handle, vocab_size: int, progress: Progress | None) -> None:
        error: list[BaseException] = []

        def report(_user, done, total):
            try:
                return 1 if progress(done, total) is False else 0
            except BaseException as e:   # surfaces after the native call returns
                error.append(e)
                return 1

        callback = _native.PROGRESS_FN(report) if progress is not None else _native.PROGRESS_FN()
        status = lib.crayon_trainer_train(handle, vocab_size, callback, None)
        if error:
            raise error[0]
        _native.check(status)

    # ---- the trained vocabulary ------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        """256 + the merges learned."""
        return _native.check_count(_native.lib().crayon_trainer_vocab_size(self._handle))

    def get_vocab_size(self) -> int:
        return self.vocab_size

    def get_pattern(self) -> str:
        lib = _native.lib()
        need = -lib.crayon_trainer_pattern(self._handle, None, 0)
        buf = ctypes.create_string_buffer(need)
        _native.check_count(lib.crayon_trainer_pattern(self._handle, buf, need))
        return buf.value.decode("utf-8")

    def get_merges(self) -> list[tuple[int, int]]:
        """The merges in order: merge k made id 256 + k from (left, right)."""
        lib = _native.lib()
        n = self.vocab_size - 256
        out = (c_int32 * (2 * n))()
        got = _native.check_count(lib.crayon_trainer_merges(self._handle, out, n))
        return [(out[2 * k], out[2 * k + 1]) for k in range(got)]

    def get_merge_counts(self) -> list[int]:
        """The pair count of each merge when it was made (crayon extension)."""
        lib = _native.lib()
        n = self.vocab_size - 256
        out = (c_int64 * max(n, 1))()
        got = _native.check_count(lib.crayon_trainer_merge_counts(self._handle, out, n))
        return out[:got]

    def get_mergeable_ranks(self) -> list[tuple[bytes, int]]:
        """``(token bytes, rank)`` for every token: the bytes 0..255 first, then merges in id order."""
        lib = _native.lib()
        n = self.vocab_size
        offsets = (c_int64 * (n + 1))()
        need = -_native.check_count(lib.crayon_trainer_token_bytes(self._handle, None, 0, offsets, n + 1))
        buf = ctypes.create_string_buffer(max(need, 1))
        _native.check_count(lib.crayon_trainer_token_bytes(self._handle, buf, need, offsets, n + 1))
        raw = buf.raw
        return [(raw[offsets[r]:offsets[r + 1]], r) for r in range(n)]

    def split(self, text: str) -> list[str]:
        """The chunks the split pattern cuts ``text`` into (crayon extension): what training counts."""
        data = _utf8(text)
        lib = _native.lib()
        cap = max(len(data), 1)          # never more chunks than bytes
        starts, ends = (c_int64 * cap)(), (c_int64 * cap)()
        n = _native.check_count(lib.crayon_trainer_split(self._handle, data, len(data), starts, ends, cap))
        return [data[starts[i]:ends[i]].decode("utf-8") for i in range(n)]

    # ---- encoding --------------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        """Ids of ``text`` (tiktoken's algorithm with these ranks and the pattern)."""
        data = _utf8(text)
        out, address = ids_out(len(data))   # this thread's reused buffer (see core._calls)
        n = _native.check_count(_native.lib().crayon_trainer_encode(self._handle, data, len(data), address, len(data)))
        return out[:n].tolist()

    def batch_encode(self, texts: Iterable[str], num_threads: int = 0) -> list[list[int]]:
        """``encode`` for many texts in one native call spread over all cores (GIL released)."""
        docs = [_utf8(t) for t in texts]
        if not docs:
            return []
        arr, lens, n = byte_arrays(docs)
        cap = sum(len(d) for d in docs)
        out = (c_int32 * max(cap, 1))()
        offsets = (c_int64 * (n + 1))()
        _native.check_count(_native.lib().crayon_trainer_encode_batch(
            self._handle, arr, lens, n, out, cap, offsets, _native.threads(num_threads)))
        ids = memoryview(out).cast("B").cast("i")   # slices of a memoryview make lists faster than ctypes'
        return [ids[offsets[i]:offsets[i + 1]].tolist() for i in range(n)]

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        """The bytes of ``ids``; an unknown id is a ``ValueError``."""
        ids = list(ids)
        for i in ids:
            if not isinstance(i, int) or not 0 <= i < 2 ** 31:
                raise ValueError(f"unknown token id {i!r}")
        arr = array("i", ids)
        return read_bytes_at(_native.lib().crayon_trainer_decode, self._handle, arr.buffer_info()[0] if ids else None,
                             len(ids), initial=4 * len(ids))

    def decode(self, ids: Iterable[int]) -> str:
        """The text of ``ids`` (invalid UTF-8 from partial tokens becomes U+FFFD, as in rustbpe)."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    # ---- files -----------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write ``path`` (.tiktoken rank file: ``base64(token) rank`` per line, loadable by tiktoken's
        ``load_tiktoken_bpe``) and ``path + ".pattern"`` (the split pattern, UTF-8)."""
        path = os.fspath(path)
        _native.check(_native.lib().crayon_trainer_save_tiktoken(self._handle, path.encode("utf-8")))
        with open(path + ".pattern", "w", encoding="utf-8", newline="") as f:
            f.write(self.get_pattern())

    @classmethod
    def load(cls, path: str | os.PathLike, pattern: str | None = None) -> "Tokenizer":
        """Read a tokenizer written by ``save``. ``pattern`` defaults to ``path + ".pattern"``,
        else GPT-4's. A file that is not a byte-level BPE rank file is a ``ValueError``."""
        path = os.fspath(path)
        if pattern is None and os.path.exists(path + ".pattern"):
            with open(path + ".pattern", encoding="utf-8", newline="") as f:
                pattern = f.read()
        return cls._from_tokens(read_tiktoken(path), pattern)

    @classmethod
    def _from_tokens(cls, tokens: list[bytes], pattern: str | None) -> "Tokenizer":
        """A trained tokenizer from its token bytes in rank order and its split pattern."""
        tok = cls.__new__(cls)
        tok._handle = None
        handle = c_void_p()
        arr, lens, n = byte_arrays(tokens)
        _native.check(_native.lib().crayon_trainer_from_ranks(
            arr, lens, n, None if pattern is None else pattern.encode("utf-8"), ctypes.byref(handle)))
        tok._handle = handle
        return tok

    # ---- pickling --------------------------------------------------------------------------
    def __reduce__(self):
        """By data, as ``save`` writes it: the split pattern and the token bytes in rank order.
        The unpickled tokenizer encodes, decodes and lists merges exactly as this one; the merge
        counts of training (``get_merge_counts``) are not kept, as after ``save``/``load``."""
        tokens = [token for token, _ in self.get_mergeable_ranks()]
        return (_unpickle, (self.get_pattern(), tokens))


def _unpickle(pattern: str, tokens: list[bytes]) -> Tokenizer:
    return Tokenizer._from_tokens(tokens, pattern)


def read_tiktoken(path: str) -> list[bytes]:
    """Token bytes in rank order from a .tiktoken file; ranks must be 0..n-1."""
    by_rank: dict[int, bytes] = {}
    with open(path, "rb") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                b64, rank = line.split()
                by_rank[int(rank)] = base64.b64decode(b64, validate=True)
            except Exception:
                raise ValueError(f"{path}:{lineno}: not a .tiktoken line (expected 'base64 rank')") from None
    if sorted(by_rank) != list(range(len(by_rank))):
        raise ValueError(f"{path}: ranks are not 0..{len(by_rank) - 1}")
    return [by_rank[r] for r in range(len(by_rank))]
