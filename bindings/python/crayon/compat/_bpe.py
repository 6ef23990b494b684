"""A thin typed wrapper over one native crayon_bpe handle (the BPE section of crayon.h).

Policy (special-token checks, surrogate repair, tiktoken's error messages) lives in
crayon.compat.tiktoken; this module only moves bytes and ids across the boundary.

Buffers: ids are written into `array('i')` objects (int32, no numpy needed). A BPE token covers at
least one byte, so len(utf8) ids always suffice and the size-query retry never runs in practice;
it is still handled, because the contract allows it.
"""
from __future__ import annotations

import ctypes
import threading
from array import array
from ctypes import POINTER, c_char_p, c_int32, c_int64, c_size_t, c_void_p
from itertools import accumulate
from typing import Iterable, Sequence

from .. import _native
from .._errors import CrayonValueError
from ..core._calls import id_buffer, ids_out, read_bytes_at

_ALLOW_ALL = 1 << 0
_INT32_MAX = 2 ** 31 - 1

_c_int32_p = POINTER(c_int32)
_c_int64_p = POINTER(c_int64)
_c_size_t_p = POINTER(c_size_t)
_c_char_pp = POINTER(c_char_p)


def _ptr(buf: array, ctype):
    """A typed pointer to the first element of an array('...') (valid while buf lives, unresized)."""
    return ctypes.cast(buf.buffer_info()[0], ctype)


def _string_table(items: Sequence[bytes]):
    """(keep_alive, char** array, size_t* lengths) for byte strings that may contain NULs."""
    n = len(items)
    blob = b"".join(items)
    lens = array("Q", map(len, items)) if n else array("Q")
    base = ctypes.cast(c_char_p(blob), c_void_p).value or 0
    starts = accumulate(lens, initial=0)
    ptrs = array("Q", (base + s for s, _ in zip(starts, range(n))))
    return (blob, ptrs, lens), _ptr(ptrs, _c_char_pp) if n else None, _ptr(lens, _c_size_t_p) if n else None


def _c_strings(names: Iterable[str]):
    """(keep_alive, char** NUL-terminated UTF-8 strings, count)."""
    encoded = [n.encode("utf-8") for n in names]
    arr = (c_char_p * max(1, len(encoded)))(*encoded)
    return (encoded, arr), arr if encoded else None, len(encoded)


def _specials(special_tokens: dict[str, int]):
    names = list(special_tokens)
    keep, name_arr, n = _c_strings(names)
    ids = array("i", (special_tokens[k] for k in names))
    return (keep, ids), name_arr, _ptr(ids, _c_int32_p) if n else None, n


def _id_buffer(cap: int) -> array:
    """An int32 buffer of cap ids (one allocation; repetition fills it with memcpy)."""
    return array("i", b"\0\0\0\0") * cap


def _int32_ids(ids: Sequence[int]) -> array:
    """ids as array('i'); an id outside int32 cannot be a token, so it is reported like one."""
    if isinstance(ids, array) and ids.typecode == "i":
        return ids
    try:
        return array("i", ids)
    except OverflowError:
        for i in ids:
            if not -2 ** 31 <= i <= _INT32_MAX:
                raise KeyError(f"Invalid token for decoding: {i}") from None
        raise


class NativeBpe:
    """Owns one crayon_bpe handle. Thread-safe for concurrent encode/decode; close() is not."""

    __slots__ = ("_h", "_lock", "_token_bytes", "__weakref__")

    def __init__(self, handle: int):
        self._h = handle
        self._lock = threading.Lock()
        self._token_bytes: dict[int, bytes] = {}   # token_bytes' answers (at most one per id)

    # ---- construction ----------------------------------------------------------------------
    @classmethod
    def from_ranks(cls, ranks: dict[bytes, int], pattern: str, special_tokens: dict[str, int]) -> "NativeBpe":
        tokens = list(ranks)
        for t in tokens:
            if not isinstance(t, (bytes, bytearray)):
                raise TypeError(f"mergeable_ranks keys must be bytes, got {type(t).__name__}")
        try:
            rank_arr = array("i", (ranks[t] for t in tokens))
        except OverflowError:
            raise CrayonValueError("mergeable_ranks values must be in 0 .. 2**31-1") from None
        keep, tok_pp, len_p = _string_table([bytes(t) for t in tokens])
        skeep, names, ids, n_special = _specials(special_tokens)
        out = c_void_p()
        _native.check(_native.lib().crayon_bpe_from_ranks(
            tok_pp, len_p, _ptr(rank_arr, _c_int32_p) if tokens else None, len(tokens),
            pattern.encode("utf-8"), names, ids, n_special, ctypes.byref(out)))
        del keep, skeep
        return cls(out.value)

    @classmethod
    def from_tiktoken_bytes(cls, data: bytes, pattern: str, special_tokens: dict[str, int]) -> "NativeBpe":
        skeep, names, ids, n_special = _specials(special_tokens)
        out = c_void_p()
        _native.check(_native.lib().crayon_bpe_load_buffer(
            data, len(data), pattern.encode("utf-8"), names, ids, n_special, ctypes.byref(out)))
        del skeep
        return cls(out.value)

    # ---- lifetime --------------------------------------------------------------------------
    @property
    def handle(self) -> int:
        h = self._h
        if not h:
            raise ValueError("this Encoding has been closed")
        return h

    def close(self) -> None:
        with self._lock:
            h, self._h = self._h, None
        if h:
            _native.lib().crayon_bpe_free(h)

    def __del__(self):  # safety net only; close() is the API
        try:
            self.close()
        except Exception:
            pass

    # ---- queries ---------------------------------------------------------------------------
    def n_vocab(self) -> int:
        return _native.check_count(_native.lib().crayon_bpe_n_vocab(self.handle))

    # ---- encoding --------------------------------------------------------------------------
    def encode_ordinary(self, data: bytes) -> tuple[array, int]:
        """(buffer, count): ids are buffer[:count]."""
        lib = _native.lib()
        h = self.handle
        cap = max(1, len(data))
        while True:
            buf = _id_buffer(cap)
            r = _native.check_count(lib.crayon_bpe_encode_ordinary(h, data, len(data),
                                                                   _ptr(buf, _c_int32_p), cap))
            if r >= 0:
                return buf, r
            cap = -r

    def encode_ordinary_list(self, data: bytes) -> list[int]:
        """The ids as a list, through this thread's reused output array (core._calls.ids_out): the
        call from Python on a short text costs about half of what encode_ordinary's fresh buffer does."""
        h = self._h
        if not h:
            raise ValueError("this Encoding has been closed")
        n = len(data)
        view, address = ids_out(n + 1)
        r = _native.lib().crayon_bpe_encode_ordinary(h, data, n, address, n + 1)   # at most one id per byte
        if r >= 0:
            return view[:r].tolist()
        buf, r = self.encode_ordinary(data)   # raises the call's error
        return memoryview(buf)[:r].tolist()

    def encode(self, data: bytes, allowed: Sequence[str]) -> tuple[array, int]:
        """Specials in `allowed` become their ids; every other special is plain text (the caller
        has already enforced the disallowed set, with tiktoken's message)."""
        if not allowed:
            return self.encode_ordinary(data)
        lib = _native.lib()
        h = self.handle
        keep, names, n_allowed = _c_strings(allowed)
        cap = max(1, len(data))
        while True:
            buf = _id_buffer(cap)
            r = _native.check_count(lib.crayon_bpe_encode(h, data, len(data), names, n_allowed, None, 0, 0,
                                                          _ptr(buf, _c_int32_p), cap))
            if r >= 0:
                del keep
                return buf, r
            cap = -r

    def encode_list(self, data: bytes, allowed: Sequence[str], allow_all: bool = False) -> list[int]:
        """As encode, the ids as a list through this thread's reused output buffer (see
        encode_ordinary_list); allow_all: every special is allowed (a flag, no names to pass)."""
        h = self.handle
        n = len(data)
        view, address = ids_out(n + 1)
        keep, names, n_allowed = _c_strings(() if allow_all else allowed)
        r = _native.lib().crayon_bpe_encode(h, data, n, names, n_allowed, None, 0, _ALLOW_ALL if allow_all else 0,
                                            address, n + 1)
        del keep
        if r >= 0:   # a special token is one id for several bytes: at most one id per byte still
            return view[:r].tolist()
        buf, r = self.encode(data, allowed)   # raises the call's error
        return memoryview(buf)[:r].tolist()

    def encode_batch(self, docs: Sequence[bytes], allowed: Sequence[str], threads: int) -> tuple[memoryview, array]:
        """(ids, offsets): document i is ids[offsets[i]:offsets[i+1]]. ids is a memoryview of int32 into
        this thread's scratch buffer (core._calls.id_buffer): read or copy it before the thread's next
        batch call. One native call, GIL released; the output holds the byte total, so no second call
        is needed."""
        lib = _native.lib()
        h = self.handle
        n = len(docs)
        offsets = array("q", bytes(8 * (n + 1)))
        if n == 0:
            return memoryview(array("i")), offsets
        keep, text_pp, len_p = _string_table(docs)
        akeep, names, n_allowed = _c_strings(allowed)
        cap = max(1, sum(map(len, docs)))
        while True:
            buf, address = id_buffer(cap)
            r = _native.check_count(lib.crayon_bpe_encode_batch(
                h, text_pp, len_p, n, names, n_allowed, None, 0, 0, ctypes.cast(address, _c_int32_p), cap,
                _ptr(offsets, _c_int64_p), _native.threads(int(threads))))
            if r >= 0:
                del keep, akeep
                return buf[:r], offsets
            cap = -r

    def encode_single_token(self, data: bytes) -> int | None:
        out = c_int32()
        status = _native.lib().crayon_bpe_encode_single_token(self.handle, data, len(data), ctypes.byref(out))
        if status == -4:  # CRAYON_E_NOT_FOUND
            return None
        _native.check(status)
        return out.value

    # ---- decoding --------------------------------------------------------------------------
    def decode(self, ids: Sequence[int]) -> bytes:
        arr = _int32_ids(ids)
        n = len(arr)
        return read_bytes_at(_native.lib().crayon_bpe_decode, self.handle, arr.buffer_info()[0] if n else None, n,
                             initial=8 * n)

    def token_bytes(self, token: int) -> bytes:
        """Bytes of one ordinary or special token (UnknownTokenError when there is none). Kept once
        asked for: a generation loop asks for each new token, and the native call costs ~1 µs."""
        data = self._token_bytes.get(token)
        if data is None or not self._h:
            if not 0 <= token <= _INT32_MAX:
                raise KeyError(str(token))
            data = self._token_bytes[token] = read_bytes_at(   # self.handle: raises once closed
                _native.lib().crayon_bpe_token_bytes, self.handle, token, initial=64)
        return data
