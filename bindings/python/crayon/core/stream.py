"""Streaming tokenization: text in pieces of any size, ids out as arrays; whole files into id shards.

    >>> import crayon
    >>> vocab = crayon.CrayonVocab(profile="lite")
    >>> with crayon.TokenStream(vocab) as s:                     # doctest: +SKIP
    ...     for ids in s.iter_ids(open("big.txt", "rb")):        # int32 arrays, as they become final
    ...         ...
    >>> crayon.shard_file(vocab, "big.txt", "ids.bin", dtype="uint16", doc_sep=b"\\n\\n")  # doctest: +SKIP

The ids equal those of tokenizing the whole text in one call, wherever the pieces are cut
(docs/streaming.md). Arrays are numpy int32 arrays when numpy is installed, else ``array('i')``.
"""
from __future__ import annotations

import ctypes
import os
import signal
import threading
from array import array
from ctypes import c_char_p, c_int32, c_uint64, c_void_p
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Optional, Union

from .. import _native
from .._errors import CrayonValueError
from ._handle import NativeObject

_ALLOW_ALL, _DISALLOW_ALL = 1, 2
_c_int32_p = ctypes.POINTER(c_int32)

Engine = Any   # a CrayonVocab, or a BPE encoding (crayon.compat.tiktoken.Encoding)

_numpy: Any = False   # not looked up yet: importing numpy costs every `import crayon` ~0.1 s


def _np() -> Any:
    """numpy, or None where it is not installed (arrays are then array('i'))."""
    global _numpy
    if _numpy is False:
        try:
            import numpy
            _numpy = numpy
        except ImportError:  # pragma: no cover - depends on the environment
            _numpy = None
    return _numpy


def _names(items: Iterable[str]):
    names = [n.encode("utf-8") for n in items]
    return (c_char_p * max(len(names), 1))(*names), len(names)


def _bpe_handle(encoding: Any) -> int:
    native = getattr(encoding, "_bpe", encoding)      # tiktoken-compatible Encoding, or NativeBpe
    handle = getattr(native, "handle", None)
    if not handle:
        raise CrayonValueError(f"expected a CrayonVocab or a crayon BPE Encoding, got {type(encoding).__name__}")
    return handle


class TokenStream(NativeObject):
    """A streaming session over a CrayonVocab (its active profile, pinned) or a BPE encoding.

    ``feed(piece)`` returns the ids that became final, ``finish()`` the rest; after ``finish()`` the
    next ``feed`` starts a new text. For BPE, ``allowed_special`` / ``disallowed_special`` follow
    tiktoken's ``encode`` ("all" or a set of names); the default treats special-token text as
    ordinary text (``encode_ordinary``). One thread at a time per stream.
    """

    _free = "crayon_stream_free"

    def __init__(self, engine: Engine, *, allowed_special: Union[str, Iterable[str]] = (),
                 disallowed_special: Union[str, Iterable[str]] = (), max_pending: Optional[int] = None):
        lib = _native.lib()
        out = c_void_p()
        from .vocabulary import CrayonVocab
        if isinstance(engine, CrayonVocab):
            _native.check(lib.crayon_stream_new(engine._h(), ctypes.byref(out)))
        else:
            flags = 0
            allowed: Iterable[str] = ()
            disallowed: Iterable[str] = ()
            if allowed_special == "all":
                flags |= _ALLOW_ALL
            else:
                allowed = list(allowed_special)
            if disallowed_special == "all":
                flags |= _DISALLOW_ALL
            else:
                disallowed = list(disallowed_special)
            a, na = _names(allowed)
            d, nd = _names(disallowed)
            _native.check(lib.crayon_stream_new_bpe(_bpe_handle(engine), a, na, d, nd, flags, ctypes.byref(out)))
        self._handle = out
        if max_pending is not None:
            _native.check(lib.crayon_stream_set_max_pending(self._h(), int(max_pending)))

    def feed(self, data: Union[bytes, bytearray, memoryview, str]) -> Any:
        """Appends a piece (bytes, or str as UTF-8); returns the ids that are now final."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        data = bytes(data)
        _native.check_count(_native.lib().crayon_stream_feed(self._h(), data, len(data)))
        return self._take()

    def finish(self) -> Any:
        """Ends the text; returns its remaining ids."""
        _native.check_count(_native.lib().crayon_stream_finish(self._h()))
        return self._take()

    def iter_ids(self, pieces: Union[Iterable[bytes], BinaryIO], chunk_size: int = 1 << 20) -> Iterator[Any]:
        """Feeds every piece (or a binary file read in chunk_size pieces), then finishes; yields non-empty id arrays."""
        if hasattr(pieces, "read"):
            f = pieces
            pieces = iter(lambda: f.read(chunk_size), b"")
        for piece in pieces:
            ids = self.feed(piece)
            if len(ids):
                yield ids
        ids = self.finish()
        if len(ids):
            yield ids

    def _take(self) -> Any:
        lib = _native.lib()
        n = _native.check_count(lib.crayon_stream_ready(self._h()))
        buf = array("i", bytes(4 * n)) if n else array("i")
        if n:
            addr, _ = buf.buffer_info()
            got = _native.check_count(lib.crayon_stream_take(self._h(), ctypes.cast(addr, _c_int32_p), n))
            del buf[got:]
        np = _np()
        return np.frombuffer(buf, dtype=np.int32) if np is not None else buf


def stream_tokenize(engine: Engine, pieces: Union[Iterable[bytes], BinaryIO], **options: Any) -> Iterator[Any]:
    """Ids of the text given in pieces (or a binary file), as arrays, in order; see TokenStream."""
    with TokenStream(engine, **options) as s:
        yield from s.iter_ids(pieces)


def shard_file(engine: Engine, input_path: Union[str, os.PathLike], output_path: Union[str, os.PathLike], *,
               index_path: Union[str, os.PathLike, None, bool] = True, dtype: str = "uint32",
               doc_sep: Union[bytes, str, None] = None, bos: Optional[int] = None, threads: int = 0,
               progress: Optional[Callable[[int, int], Any]] = None,
               allowed_special: Union[str, Iterable[str]] = (),
               disallowed_special: Union[str, Iterable[str]] = (),
               cancel_signals: Iterable[int] = (signal.SIGINT,)) -> tuple[int, int]:
    """Tokenizes a file of any size into a flat little-endian id file (+ a document index).

    ``index_path=True`` writes ``OUTPUT.idx``; None or False writes none. ``dtype`` is "uint16"
    (refused when the ids do not fit) or "uint32". ``doc_sep`` splits the file into documents
    (dropped, each tokenized on its own; empty ones skipped); ``bos`` is written before each.
    ``progress(done_bytes, total_bytes)`` runs now and then; an exception in it, or one of
    ``cancel_signals`` (Ctrl-C; the CLI adds SIGTERM) cancels the run: the temporary output is
    removed, an existing file is left as it was, and the exception (KeyboardInterrupt for a signal)
    is raised. Returns (documents, ids written).
    """
    sizes = {"uint16": 2, "uint32": 4}
    if dtype not in sizes:
        raise CrayonValueError(f"dtype must be uint16 or uint32, not {dtype!r}")
    if index_path is True:
        index_path = os.fspath(output_path) + ".idx"
    sep = doc_sep.encode("utf-8") if isinstance(doc_sep, str) else (doc_sep or b"")
    state: dict[str, BaseException] = {}
    signals: list[int] = []

    def report(_user, done, total):
        if signals:   # a signal arrived: cancel (the handler itself never raises, see below)
            return 1
        try:
            if progress is not None:
                progress(done, total)
            return 0
        except BaseException as e:   # KeyboardInterrupt included: cancel, then re-raise below
            state["error"] = e
            return 1

    callback = _native.PROGRESS_FN(report)
    docs, toks = c_uint64(), c_uint64()
    # A KeyboardInterrupt raised inside a ctypes callback outside its try block would be printed and
    # dropped, and the run would go on: the signals only set a flag that the next progress call reads.
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in cancel_signals:
            previous[sig] = signal.signal(sig, lambda signum, frame: signals.append(signum))
    try:
        with TokenStream(engine, allowed_special=allowed_special, disallowed_special=disallowed_special) as s:
            status = _native.lib().crayon_stream_file(
                s._h(), os.fsencode(input_path), os.fsencode(output_path),
                os.fsencode(index_path) if index_path else None, sizes[dtype], sep, len(sep),
                -1 if bos is None else int(bos), _native.threads(int(threads)), callback, None,
                ctypes.byref(docs), ctypes.byref(toks))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if signals:
        raise KeyboardInterrupt
    if "error" in state:
        raise state["error"]
    _native.check(status)
    return docs.value, toks.value
