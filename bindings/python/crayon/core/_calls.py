"""Size-query-and-retry helpers for the C functions that fill caller buffers (see crayon.h)."""
from __future__ import annotations

import ctypes
import mmap
import threading
from typing import Callable, Sequence

from .. import _native
from .._errors import CrayonError


def read_string(fn: Callable[..., int], *args: object, initial: int = 256) -> str:
    """Calls ``fn(*args, buf, cap)`` for a NUL-terminated string, growing ``buf`` once if asked."""
    cap = initial
    for _ in range(3):  # the needed size can only change if another thread swaps the profile
        buf = ctypes.create_string_buffer(cap)
        r = _native.check_count(fn(*args, buf, cap))
        if r >= 0:
            return buf.raw[:r].decode("utf-8", "replace")
        cap = -r
    raise CrayonError(f"{getattr(fn, '__name__', 'call')}: buffer size kept changing")


class _Scratch(threading.local):
    buffer: mmap.mmap | None = None
    ids: tuple[memoryview, int] | None = None     # ids_out's buffer and its address
    bytes: tuple[memoryview, int] | None = None   # bytes_out's


_scratch = _Scratch()

# A thread keeps its scratch buffer up to this size (a batch of 64 MB of text); a larger one is used once.
_KEEP_MAX_BYTES = 256 << 20


def id_buffer(cap: int) -> tuple[memoryview, int]:
    """A writable int32 buffer of at least ``cap`` ids and its address, for a batch call's output.

    It is this thread's scratch buffer, reused from call to call: valid only until the thread's next
    batch call, so callers copy out what they return. Batch outputs are sized by the byte total (the
    bound: every token covers at least one byte), about four times the ids written, and a fresh buffer
    pays a page fault for every page the native threads touch, which on a virtual machine can cost more
    than the tokenizing itself; a reused one is already mapped and is never refilled. An anonymous
    mapping, so it grows without a serial fill and its untouched pages cost nothing; a private one, so
    that processes forked after a batch each write their own copy rather than one shared buffer.
    """
    need = 4 * max(cap, 1)
    buf = _scratch.buffer
    if buf is None or len(buf) < need:
        buf = mmap.mmap(-1, (need + (1 << 20) - 1) & ~((1 << 20) - 1), flags=mmap.MAP_PRIVATE)   # whole MiB
        if len(buf) <= _KEEP_MAX_BYTES:
            _scratch.buffer = buf
    view = memoryview(buf)[:need].cast("i")
    return view, ctypes.addressof(ctypes.c_char.from_buffer(view))


# A thread keeps its one-text output buffers up to 1 MiB each (texts up to ~256 KB); a larger one is
# used once: for such a text the encoding itself costs a millisecond or more, and a pool of many
# threads should not keep megabytes each.
_KEEP_MAX_BYTES_OUT = 1 << 20


def ids_out(cap: int) -> tuple[memoryview, int]:
    """This thread's int32 buffer of at least ``cap`` ids and its address, for the output of one
    encode call on one text, which the caller copies out (``view[:n].tolist()``) before the thread's
    next call. On a short text a call from Python cost ~2.5 µs, and making a fresh output buffer and
    casting a pointer to it were a third of that."""
    kept = _scratch.ids
    if kept is not None and len(kept[0]) >= cap:
        return kept
    return _grown(cap, kept, "i")


def bytes_out(cap: int) -> tuple[memoryview, int]:
    """As ids_out, a byte buffer for one decode call's output (copied out with ``bytes(view[:n])``)."""
    kept = _scratch.bytes
    if kept is not None and len(kept[0]) >= cap:
        return kept
    return _grown(cap, kept, "B")


def _grown(cap: int, kept: tuple[memoryview, int] | None, fmt: str) -> tuple[memoryview, int]:
    """A new buffer for ids_out or bytes_out (twice the old one at least), kept up to 1 MiB."""
    n = max(cap, 256, 2 * len(kept[0]) if kept is not None else 0)
    arr = (ctypes.c_char * (n * (4 if fmt == "i" else 1)))()
    new = memoryview(arr).cast("B").cast(fmt), ctypes.addressof(arr)
    if len(arr) <= _KEEP_MAX_BYTES_OUT:
        setattr(_scratch, "ids" if fmt == "i" else "bytes", new)
    return new


def read_bytes_at(fn: Callable[..., int], *args: object, initial: int) -> bytes:
    """Calls ``fn(*args, address, cap)`` for a byte string, whose output is a ``void*``: into this
    thread's reused buffer (bytes_out), passed as an address, copied out, grown once if asked."""
    cap = max(initial, 64)
    for _ in range(3):
        view, address = bytes_out(cap)
        r = fn(*args, address, cap)
        if r >= 0:
            return bytes(view[:r])
        cap = -_native.check_count(r)
    raise CrayonError(f"{getattr(fn, '__name__', 'call')}: buffer size kept changing")


def one_by_one(docs: Sequence[bytes]) -> bool:
    """Whether a batch of documents is better encoded one call each than in one batch call, whose
    own cost (its threads included) is 10-15 µs more than one call's. Measured on 2026-12-07, cl100k_base
    from Python: one 90-character text 18.9 µs in a batch call, 3.4 alone; eight of 4.5 KB, 186
    against 142 one by one; sixteen of 90 characters, 29 against 39."""
    return len(docs) <= 8 and sum(map(len, docs)) <= 64 << 10


def take_buffer(ptr: ctypes.c_void_p, length: int) -> bytes:
    """Copies a library-owned buffer into Python bytes and releases it (crayon_free_buffer)."""
    try:
        return ctypes.string_at(ptr, length) if length else b""
    finally:
        _native.lib().crayon_free_buffer(ptr)


def byte_arrays(items: Sequence[bytes]):
    """(char*[], size_t[], n) over byte strings for a (pointers, lengths, count) argument triple;
    never zero-length arrays, which ctypes cannot pass."""
    n = len(items)
    ptrs = (ctypes.c_char_p * max(n, 1))(*items)
    lens = (ctypes.c_size_t * max(n, 1))(*map(len, items))
    return ptrs, lens, n
