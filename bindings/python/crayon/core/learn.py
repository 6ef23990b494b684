"""Learning a vocabulary list from sample text (the engine's learner; docs/learning.md).

    >>> from crayon.core.learn import learn_vocab
    >>> tokens = learn_vocab(["the cat sat on the mat"] * 100, size=50)   # doctest: +SKIP

    >>> with Learner() as learner:                      # a stream of any length, batch by batch
    ...     for batch in batches:
    ...         learner.feed(batch)
    ...     tokens = learner.learn(50_000)              # doctest: +SKIP

The result is the JSON-able vocabulary list that ``DATBuilder().build(...)`` and ``crayon build``
take: a ``str`` per token that is valid UTF-8, and ``{"bytes": "<base64>"}`` for the few that are part
of a character (e.g. the lead bytes shared by a script's letters). It is deterministic: the same texts
and settings give the same list, however they were split into batches.
"""
from __future__ import annotations

import json
from ctypes import byref, c_size_t, c_uint64, c_void_p
from typing import TYPE_CHECKING, Callable, Iterable, Optional, Union

from .. import _native
from .._errors import CrayonValueError
from ._calls import byte_arrays, take_buffer
from ._handle import NativeObject
from ._text import Text, to_utf8

if TYPE_CHECKING:
    from .vocabulary import CrayonVocab

Progress = Callable[[int, int], object]
Entry = Union[str, dict]


class Learner(NativeObject):
    """The learner fed as a stream: ``feed`` counts the phrases of each batch (the text is not kept,
    so memory follows the distinct text, not the stream), ``learn`` learns from everything fed."""

    _free = "crayon_learner_free"

    def __init__(self, *, max_token_bytes: int = 32) -> None:
        if not 2 <= max_token_bytes <= 256:
            raise CrayonValueError(f"max_token_bytes must be in 2..256; got {max_token_bytes}")
        handle = c_void_p()
        _native.check(_native.lib().crayon_learner_new(max_token_bytes, byref(handle)))
        self._handle: Optional[c_void_p] = handle

    def feed(self, texts: Iterable[Text]) -> None:
        docs = [to_utf8(t) for t in texts]
        if not docs:
            return
        ptrs, lens, n = byte_arrays(docs)
        _native.check(_native.lib().crayon_learner_feed(self._h(), ptrs, lens, n))

    @property
    def documents_fed(self) -> int:
        return self._stats()[0]

    @property
    def bytes_fed(self) -> int:
        return self._stats()[1]

    def learn(self, size: int, *, base: Optional["CrayonVocab"] = None,
              progress: Optional[Progress] = None) -> list[Entry]:
        """Up to ``size`` tokens, most used first (see ``learn_vocab``). With ``base``, ``size`` NEW
        tokens given every token base already has (base's are kept and not returned); for a base
        that expects NFC (``base.normalization == "nfc"``) feed NFC text, as `crayon extend` does."""
        if size <= 0:
            raise CrayonValueError(f"size must be positive; got {size}")
        raised: list[BaseException] = []

        def trampoline(_user: object, done: int, total: int) -> int:
            # An exception must not unwind through the C# frames: keep it and ask the library to stop.
            try:
                if progress is not None:
                    progress(done, total)
                return 0
            except BaseException as e:  # noqa: BLE001 - re-raised below, after the native call returns
                raised.append(e)
                return 1

        callback = _native.PROGRESS_FN(trampoline) if progress is not None else _native.PROGRESS_FN()
        out, out_len = c_void_p(), c_size_t()
        status = _native.lib().crayon_learner_learn(self._h(), None if base is None else base._h(), size, callback,
                                                    None, byref(out), byref(out_len))
        if raised:
            if status == 0:
                take_buffer(out, out_len.value)  # finished anyway: release the result
            raise raised[0]
        _native.check(status)
        return json.loads(take_buffer(out, out_len.value).decode("utf-8"))

    def _stats(self) -> tuple[int, int]:
        docs, nbytes = c_uint64(), c_uint64()
        _native.check(_native.lib().crayon_learner_stats(self._h(), byref(docs), byref(nbytes)))
        return docs.value, nbytes.value


def learn_vocab(texts: Iterable[Text], size: int, *, max_token_bytes: int = 32,
                progress: Optional[Progress] = None, base: Optional["CrayonVocab"] = None) -> list[Entry]:
    """Up to ``size`` tokens (each at most ``max_token_bytes`` bytes) that make greedy longest match
    need the fewest tokens on ``texts``, most used first. Tokens may span spaces and words.

    Fewer than ``size`` come back when the text does not support more (every token returned is used
    in it); empty text gives ``[]``. Invalid UTF-8 in ``bytes`` input is skipped, never learned.

    With ``base`` (a loaded ``CrayonVocab``), learns ``size`` *new* tokens that shorten the texts most
    given every token base already has; base's tokens are kept and not returned (see ``extend_dat``).

    ``progress(done, total)`` is called now and then; if it raises, learning stops and the
    exception propagates (KeyboardInterrupt included).
    """
    if size <= 0:
        raise CrayonValueError(f"size must be positive; got {size}")
    with Learner(max_token_bytes=max_token_bytes) as learner:
        learner.feed(texts)
        return learner.learn(size, base=base, progress=progress)


def extend_dat(base: "CrayonVocab", tokens: Iterable[Union[Entry, bytes]], *, name: str, source: str = "") -> bytes:
    """A .dat image that keeps every id of ``base``'s active profile and appends ``tokens`` after them
    (entries equal to an existing token, or repeated, are skipped); normalisation is inherited.
    The child records its lineage (``profile_info["vocab_version"]``, ``"parent_checksum"``). Extending
    with A then B gives the same profile as extending once with A + B, lineage fields aside."""
    from ..c_ext.dat_builder import _entry_bytes   # one reading of list entries (str, bytes, {"bytes": b64})
    raw = [_entry_bytes(t, i) for i, t in enumerate(tokens)]
    ptrs, lens, n = byte_arrays(raw)
    out, out_len = c_void_p(), c_size_t()
    _native.check(_native.lib().crayon_dat_extend(base._h(), ptrs, lens, n, name.encode(), source.encode(),
                                                   byref(out), byref(out_len)))
    return take_buffer(out, out_len.value)
