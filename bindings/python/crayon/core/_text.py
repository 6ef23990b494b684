"""Text → bytes at the Python edge, shared by every tokenizer wrapper.

A Python ``str`` may hold lone surrogates (U+D800–U+DFFF without a partner), which have no UTF-8
form. We do what tiktoken does: replace each lone surrogate with U+FFFD (REPLACEMENT CHARACTER)
before encoding, while a high/low surrogate pair that happens to sit in the string as two code
points is joined into the character it stands for. Text without surrogates (the normal case) is
encoded in one step; the repair runs only when that step fails.
"""
from __future__ import annotations

from typing import Union

Text = Union[str, bytes, bytearray, memoryview]


def to_utf8(text: Text) -> bytes:
    """UTF-8 bytes of ``text``; bytes-like input is taken as is (any bytes are tokenizable)."""
    if isinstance(text, str):
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            # UTF-16 with surrogatepass keeps every code unit; decoding it back pairs what can be
            # paired and turns each lone surrogate into U+FFFD.
            repaired = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
            return repaired.encode("utf-8")
    if isinstance(text, bytes):
        return text
    if isinstance(text, (bytearray, memoryview)):
        return bytes(text)
    raise TypeError(f"expected str or bytes, got {type(text).__name__}")
