"""CrayonVocab: a longest-match tokenizer with one active, hot-swappable profile.

    >>> from crayon.core.vocabulary import CrayonVocab
    >>> vocab = CrayonVocab(device="cpu").load_profile("lite")      # doctest: +SKIP
    >>> vocab.decode(vocab.tokenize("Hello, world!"))               # doctest: +SKIP
    'Hello, world!'

Text: ``str`` is encoded to UTF-8; a lone surrogate in it is replaced by U+FFFD first, as tiktoken
does (see ``crayon.core._text``). ``bytes`` are tokenized as given, invalid UTF-8 included: every
byte has its own fallback token, so ``decode_bytes(tokenize(b)) == b`` for all bytes.

Normalisation: a profile built with ``DATBuilder(normalize="nfc")`` (``vocab.normalization ==
"nfc"``) puts text in Unicode NFC before matching, so there ``decode(tokenize(s)) ==
unicodedata.normalize("NFC", s)``; invalid UTF-8 byte sequences pass through unchanged and the
valid runs between them are normalised each on its own. ASCII and NFC text cost nothing extra.

Thread-safety: tokenize, decode and the profile calls may run on many threads at once on one
vocab (the native calls release the GIL); a swap never tears a call in progress. ``close()`` must
not race with other calls.

Pickling (for multiprocessing, concurrent.futures, Dask, ...): a vocab travels the way its active
profile was loaded. A profile name or a .dat path travels as that name or path, and the receiving
process opens it again from its own profile directories or file system; a profile from
``from_dat_bytes`` travels as its .dat image. Either way the pickle records the profile's checksum
and unpickling raises CrayonFormatError if what it opened differs, rather than giving other ids.
Only the active profile is recorded (inside ``using_profile``, the temporary one), and the device
as it was asked for ("auto" stays "auto"). A closed vocab cannot be pickled.
"""
from __future__ import annotations

import contextlib
import ctypes
import json
import os
import sys
from array import array
from ctypes import byref, c_int32, c_int64, c_void_p
from typing import Any, Iterable, Iterator, Optional, Sequence, Union

from .. import _native
from .._errors import CrayonFormatError, CrayonIOError, CrayonValueError, UnknownTokenError
from ._calls import byte_arrays, id_buffer, ids_out, one_by_one, read_bytes_at, read_string
from ._handle import NativeObject
from ._text import Text, to_utf8

DEVICES = ("auto", "cpu", "cuda", "rocm", "opencl")
CRAYON_BORROW = 1
CRAYON_VERIFY = 2
_MAX_ID = 2 ** 31 - 1

ProfileSpec = Union[str, "os.PathLike[str]"]


class _BufferProfile:
    """A profile that came from a .dat image in memory (kept alive while the library reads it)."""

    __slots__ = ("data", "keepalive")

    def __init__(self, data: object, keepalive: object) -> None:
        self.data = data            # what crayon_load_dat_buffer was given
        self.keepalive = keepalive  # the objects that keep those bytes mapped and unchanged


class _LoadProfile:
    """``load_profile`` that works on the class and on an instance, as the Crayon README uses it.

    ``vocab.load_profile("lite")`` switches this vocab and returns it;
    ``CrayonVocab.load_profile("code")`` returns a new CPU/auto vocab with that profile.
    """

    def __get__(self, obj: Optional["CrayonVocab"], cls: type) -> Any:
        if obj is None:
            def load_new(name_or_path: ProfileSpec, device: str = "auto") -> "CrayonVocab":
                return cls(device=device, profile=name_or_path)
            load_new.__doc__ = "A new vocab (device 'auto' unless given) with this profile active."
            return load_new

        def load_here(name_or_path: ProfileSpec) -> "CrayonVocab":
            obj.set_profile(name_or_path)
            return obj
        load_here.__doc__ = "Makes this profile active on this vocab and returns the vocab."
        return load_here


class CrayonVocab(NativeObject):
    """A tokenizer on one device with one active profile (name, or path to a .dat)."""

    _free = "crayon_free"

    def __init__(self, device: str = "auto", profile: Optional[ProfileSpec] = None, *,
                 verify: bool = False) -> None:
        self._handle: Optional[c_void_p] = None
        self._spec: Union[None, str, _BufferProfile] = None
        if not isinstance(device, str) or device.lower() not in DEVICES:
            raise CrayonValueError(
                f"device must be one of {', '.join(DEVICES)}; got {device!r}")
        self._device = device.lower()  # as asked for, so a pickle made here reopens "auto" as "auto"
        handle = c_void_p()
        _native.check(_native.lib().crayon_vocab_create(device.lower().encode(), byref(handle)))
        self._handle = handle
        if profile is not None:
            self.set_profile(profile)
            if verify:
                self.verify()

    @classmethod
    def from_dat_bytes(cls, data: object, *, verify: bool = False) -> "CrayonVocab":
        """A vocab whose profile is a .dat image in memory: bytes, mmap, bytearray, memoryview.

        ``bytes`` and read-only ``mmap`` objects are read in place (zero copy); the vocab keeps a
        reference (and, for mmap, a buffer export, so the map cannot be closed under it).
        Writable buffers are copied, since the caller could change them later.
        ``verify=True`` checks the whole image first (see :meth:`verify`).
        """
        vocab = cls.__new__(cls)
        vocab._handle = None
        vocab._spec = None
        vocab._device = "auto"  # what crayon_load_dat_buffer chooses
        handle, spec = _load_buffer(data, CRAYON_VERIFY if verify else 0)
        vocab._handle = handle
        vocab._spec = spec
        return vocab

    # ---- profiles -----------------------------------------------------------------------------

    load_profile = _LoadProfile()

    def set_profile(self, name_or_path: ProfileSpec) -> None:
        """Makes a profile active: a name ("lite", "code", ...) or the path of a .dat file.

        The swap is atomic: calls already running on other threads finish with the old profile.
        Raises CrayonNotFoundError for an unknown name (the message lists what is available).
        """
        spec = os.fspath(name_or_path)
        if not isinstance(spec, str) or not spec:
            raise CrayonValueError(f"profile must be a name or a path; got {name_or_path!r}")
        if "/" in spec or spec.endswith(".dat"):  # the library's rule for "this is a path"
            spec = os.path.abspath(spec)  # so using_profile can restore it from any directory
        _native.check(_native.lib().crayon_set_profile(self._h(), spec.encode()))
        self._spec = spec

    def verify(self) -> None:
        """Checks the whole active profile: checksum, every trie cell, every token against its path.

        Loading reads only the first page and the trie cells of a .dat (a fraction of a millisecond),
        so it is fast and memory-safe on any file, and
        a token whose stored bytes disagree with the trie makes the call that first uses it raise
        CrayonFormatError; this reads everything up front instead (milliseconds for 250k ids).
        Raises CrayonFormatError naming the first problem; afterwards ``profile_info["verified"]``
        is True.
        """
        _native.check(_native.lib().crayon_vocab_verify(self._h()))

    @contextlib.contextmanager
    def using_profile(self, name_or_path: ProfileSpec) -> Iterator["CrayonVocab"]:
        """Makes a profile active for the ``with`` block, then restores the previous one.

        The previous profile comes back even when the block raises.

            with vocab.using_profile("code"):
                ids = vocab.tokenize("def f(x):")
        """
        previous = self._spec
        self.set_profile(name_or_path)
        try:
            yield self
        finally:
            self._restore(previous)

    def _restore(self, previous: Union[None, str, _BufferProfile]) -> None:
        if isinstance(previous, str):
            self.set_profile(previous)
            return
        # No profile, or one from memory: the library cannot put those back into a live handle,
        # so the vocab gets a fresh handle holding exactly what it had before.
        if previous is None:
            fresh = c_void_p()
            _native.check(_native.lib().crayon_vocab_create(self._device.encode(), byref(fresh)))
        else:
            fresh, previous = _load_buffer(previous.data)
        old, self._handle, self._spec = self._handle, fresh, previous
        _native.lib().crayon_free(old)

    @property
    def profile(self) -> Optional[str]:
        """Name of the active profile (from its .dat metadata), or None when none is active."""
        if self._spec is None:
            return None
        return read_string(_native.lib().crayon_profile_name, self._h())

    @property
    def profile_info(self) -> dict[str, Any]:
        """Metadata of the active profile: name, vocab_size, source, format_version, bytes, ..."""
        self._need_profile()
        return json.loads(read_string(_native.lib().crayon_profile_info, self._h(), initial=1024))

    @property
    def normalization(self) -> str:
        """What the active profile does to text before matching: "nfc" or "none" (bytes as given)."""
        return self.profile_info["normalization"]

    @property
    def vocab_size(self) -> int:
        """Number of token ids of the active profile (specials and the 256 byte tokens included)."""
        self._need_profile()
        return _native.check_count(_native.lib().crayon_vocab_size(self._h()))

    @property
    def device(self) -> str:
        """The device this vocab runs on ("cpu", ...); "auto" says "cpu" until its first batch of
        4 MiB or more looks for a GPU."""
        return read_string(_native.lib().crayon_device, self._h(), initial=32)

    def device_stats(self) -> dict[str, Any]:
        """What the device has done (crayon_device_stats): on a GPU, its description, device memory
        held, calls, tokens, seconds in kernels and in copies by the device's clock, and the calls'
        wall seconds; on the CPU just ``{"device": "cpu"}``."""
        return json.loads(read_string(_native.lib().crayon_device_stats, self._h(), initial=512))

    # ---- tokenize / decode --------------------------------------------------------------------

    def tokenize(self, text: Text) -> list[int]:
        """Token ids of ``text`` (str or bytes) by greedy longest match (after NFC on an NFC profile)."""
        self._need_profile()
        data = to_utf8(text)
        lib = _native.lib()
        # One id per byte at most, unless an NFC profile lengthens the text: then the call says how
        # many it needs and we retry (crayon_tokenize_bound, 3x, would cost every call memory).
        cap = len(data)
        while True:
            out, address = ids_out(cap)
            n = _native.check_count(lib.crayon_tokenize(self._h(), data, len(data), address, cap))
            if n >= 0:
                return out[:n].tolist()
            cap = -n

    def tokenize_batch(self, texts: Iterable[Text], *, threads: int = 0,
                       numpy: bool = False) -> list[Any]:
        """Token ids of each text, in one native call spread over ``threads`` (0: all cores).

        Returns a list of lists of ints, or of numpy int32 arrays (views of one flat array) with
        ``numpy=True``. ``tokenize_batch(ts)[i] == tokenize(ts[i])`` for every i.
        """
        self._need_profile()
        docs = [to_utf8(t) for t in texts]
        n = len(docs)
        if n == 0:
            return []
        if not numpy and self._device in ("cpu", "auto") and one_by_one(docs):   # a GPU counts calls
            return [self.tokenize(d) for d in docs]
        lib = _native.lib()
        ptrs, lens, _ = byte_arrays(docs)
        cap = sum(map(len, docs))  # enough unless an NFC profile lengthens the text (then: retry)
        offsets = (c_int64 * (n + 1))()
        while True:
            flat, address = id_buffer(cap)
            total = _native.check_count(lib.crayon_tokenize_batch(
                self._h(), ptrs, lens, n, ctypes.cast(address, ctypes.POINTER(c_int32)), cap, offsets,
                _native.threads(int(threads))))
            if total >= 0:
                break
            cap = -total
        off = offsets[:]
        if numpy:
            import numpy as np
            ids = np.frombuffer(flat, dtype=np.int32, count=total).copy()   # out of this thread's scratch buffer
            return [ids[off[i]:off[i + 1]] for i in range(n)]   # views of one array
        # Making the Python ints bounds this path (one object per id, under the GIL): memoryview's
        # tolist makes them in one C loop per document, the cheapest way CPython offers.
        return [flat[off[i]:off[i + 1]].tolist() for i in range(n)]

    batch_tokenize = tokenize_batch

    def decode_bytes(self, ids: Sequence[int]) -> bytes:
        """The bytes the ids stand for, concatenated. Unknown ids raise UnknownTokenError."""
        self._need_profile()
        arr = _id_array(ids)
        n = len(arr)
        return read_bytes_at(_native.lib().crayon_decode, self._h(), arr.buffer_info()[0] if n else None, n,
                             initial=n * 8 + 16)

    def decode(self, ids: Sequence[int], errors: str = "replace") -> str:
        """The text the ids stand for. Bytes that are not UTF-8 become U+FFFD (``errors``)."""
        return self.decode_bytes(ids).decode("utf-8", errors)

    def token_bytes(self, token_id: int) -> bytes:
        """The bytes of one token."""
        return self.decode_bytes([token_id])

    # ---- pickling -----------------------------------------------------------------------------

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """(device, profile name or path or .dat image, checksum): see "Pickling" above."""
        if self._handle is None:
            raise CrayonValueError("cannot pickle a closed CrayonVocab; pickle it before close()")
        spec = self._spec
        if spec is None:
            return (_unpickle, (self._device, None, None))
        checksum = self.profile_info["checksum"]
        if isinstance(spec, _BufferProfile):
            data = spec.data if isinstance(spec.data, bytes) else memoryview(spec.data).tobytes()
            return (_unpickle, (self._device, data, checksum))
        return (_unpickle, (self._device, spec, checksum))

    # ---- lifetime -----------------------------------------------------------------------------

    def _closed(self) -> None:
        self._spec = None

    def __repr__(self) -> str:
        if self._handle is None:
            return "CrayonVocab(closed)"
        return f"CrayonVocab(device={self.device!r}, profile={self.profile!r})"

    def _need_profile(self) -> None:
        self._h()
        if self._spec is None:
            raise CrayonValueError(
                "no profile is active: call vocab.load_profile('lite') (or a .dat path) first")


def _unpickle(device: str, profile: Union[None, str, bytes], checksum: Optional[str]) -> CrayonVocab:
    """The other half of ``CrayonVocab.__reduce__``: reopen the profile and check it is the same."""
    if isinstance(profile, bytes):
        vocab = CrayonVocab.from_dat_bytes(profile)
    else:
        try:
            vocab = CrayonVocab(device=device, profile=profile)
        except CrayonIOError as e:
            raise CrayonIOError(
                f"unpickling a CrayonVocab: {e}. A vocab loaded from a path travels as that path; "
                "where the receiving machine lacks the file, pickle "
                "CrayonVocab.from_dat_bytes(open(path, 'rb').read()) instead, which travels as "
                "its data") from None
    found = vocab.profile_info["checksum"] if checksum is not None else None
    if checksum is not None and found != checksum:
        vocab.close()
        what = "the pickled .dat image" if isinstance(profile, bytes) else repr(profile)
        raise CrayonFormatError(
            f"unpickling a CrayonVocab: profile {what} here has checksum {found}, but the "
            f"pickled vocab used checksum {checksum}: the .dat files differ and so would the ids. "
            "Install the same profile on every process, or pickle a vocab made with "
            "CrayonVocab.from_dat_bytes so the profile travels as data")
    return vocab


def _id_array(ids: Sequence[int]) -> array:
    """Token ids as an int32 array; ids outside 0..2^31-1 are rejected here, not truncated."""
    np = sys.modules.get("numpy")   # only a caller that imported numpy can pass its arrays
    if np is not None and isinstance(ids, np.ndarray):
        ids = ids.tolist()
    try:
        arr = array("i", ids)
        if not arr or min(arr) >= 0:
            return arr
    except OverflowError:
        pass
    except TypeError:
        raise CrayonValueError("token ids must be integers") from None
    ids = list(ids)
    lo, hi = min(ids), max(ids)
    bad = lo if lo < 0 else hi
    raise UnknownTokenError(f"unknown token id {bad} at position {ids.index(bad)}")


def _load_buffer(data: object, flags: int = 0) -> tuple[c_void_p, _BufferProfile]:
    """crayon_load_dat_buffer on bytes-like data, zero copy where the bytes cannot change."""
    import mmap
    lib = _native.lib()
    handle = c_void_p()
    if isinstance(data, bytes):
        _native.check(lib.crayon_load_dat_buffer(data, len(data), CRAYON_BORROW | flags, byref(handle)))
        return handle, _BufferProfile(data, data)
    if isinstance(data, mmap.mmap) and _read_only(data):
        address, keepalive = _address_of_read_only(data)
        if address is not None:
            _native.check(lib.crayon_load_dat_buffer(address, len(data), CRAYON_BORROW | flags,
                                                     byref(handle)))
            return handle, _BufferProfile(data, keepalive)
    try:
        view = memoryview(data)
    except TypeError:
        raise CrayonValueError(
            f"expected a .dat image (bytes, mmap, bytearray, memoryview); got {type(data).__name__}"
        ) from None
    copy = view.tobytes()
    _native.check(lib.crayon_load_dat_buffer(copy, len(copy), flags, byref(handle)))
    return handle, _BufferProfile(copy, None)


def _read_only(mm: Any) -> bool:
    try:
        return memoryview(mm).readonly
    except (TypeError, ValueError):
        return False


def _address_of_read_only(mm: Any) -> tuple[Optional[int], object]:
    """Address of a read-only buffer, and an object that holds its buffer export.

    ctypes can only take the address of writable buffers; numpy can take it of any buffer, and
    while its array lives the mmap refuses to close (BufferError) instead of unmapping under us.
    Without numpy we return None and the caller copies.
    """
    try:
        import numpy as np
    except ImportError:
        return None, None
    arr = np.frombuffer(mm, dtype=np.uint8)
    return arr.ctypes.data, arr
