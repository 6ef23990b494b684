"""Size-query-and-retry helpers for the C functions that fill caller buffers (see crayon.h)."""
from __future__ import annotations

import ctypes
import mmap
from array import array
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


def read_bytes(fn: Callable[..., int], *args: object, initial: int) -> bytes:
    """Calls ``fn(*args, buf, cap)`` for a byte string (no NUL), growing ``buf`` once if asked."""
    cap = max(initial, 16)
    for _ in range(3):
        buf = ctypes.create_string_buffer(cap)
        r = _native.check_count(fn(*args, buf, cap))
        if r >= 0:
            return buf.raw[:r]
        cap = -r
    raise CrayonError(f"{getattr(fn, '__name__', 'call')}: buffer size kept changing")


# Below this many bytes an id buffer is a plain array; above, an anonymous mapping (see id_buffer).
_MAPPED_MIN_BYTES = 1 << 20


def id_buffer(cap: int) -> tuple[memoryview, int]:
    """A writable int32 buffer of ``cap`` ids and its address, for a batch call's output.

    Batch outputs are sized by the byte total (the bound: every token covers at least one byte),
    about four times the ids that get written. A large one is an anonymous mapping: its pages are
    zeroed by the kernel only when the native threads first write them, in parallel and only as far
    as the ids reach, where filling an array would cost one serial pass over all of it first.
    """
    if 4 * cap < _MAPPED_MIN_BYTES:
        buf = memoryview(array("i", b"\0\0\0\0") * max(cap, 1))
    else:
        buf = memoryview(mmap.mmap(-1, 4 * cap)).cast("i")
    return buf, ctypes.addressof(ctypes.c_char.from_buffer(buf))


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
