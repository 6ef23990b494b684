"""Learning a vocabulary list from sample text (crayon_vocab_learn; the paper's section 3.2).

    >>> from crayon.core.learn import learn_vocab
    >>> tokens = learn_vocab(["the cat sat on the mat"] * 100, size=50)   # doctest: +SKIP

The result is the JSON-able list of strings that ``DATBuilder().build(...)`` and ``crayon build``
take. It is deterministic: the same texts and settings give the same list.
"""
from __future__ import annotations

import json
from ctypes import byref, c_char_p, c_size_t, c_void_p
from typing import Callable, Iterable, Optional

from .. import _native
from .._errors import CrayonValueError
from ._calls import take_buffer
from ._text import Text, to_utf8

Progress = Callable[[int, int], object]


def learn_vocab(texts: Iterable[Text], size: int, *, max_token_bytes: int = 16,
                progress: Optional[Progress] = None) -> list[str]:
    """The ``size`` strings (each at most ``max_token_bytes`` UTF-8 bytes) that best shorten
    ``texts`` under greedy longest match.

    ``progress(done, total)`` is called now and then; if it raises, learning stops and the
    exception propagates (KeyboardInterrupt included).
    """
    if size <= 0:
        raise CrayonValueError(f"size must be positive; got {size}")
    if max_token_bytes <= 0:
        raise CrayonValueError(f"max_token_bytes must be positive; got {max_token_bytes}")
    docs = [to_utf8(t) for t in texts]
    n = len(docs)
    ptrs = (c_char_p * max(n, 1))(*docs)
    lens = (c_size_t * max(n, 1))(*map(len, docs))

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
    status = _native.lib().crayon_vocab_learn(ptrs, lens, n, size, max_token_bytes, callback, None,
                                               byref(out), byref(out_len))
    if raised:
        if status == 0:
            take_buffer(out, out_len.value)  # finished anyway: release the result
        raise raised[0]
    _native.check(status)
    return json.loads(take_buffer(out, out_len.value).decode("utf-8"))
