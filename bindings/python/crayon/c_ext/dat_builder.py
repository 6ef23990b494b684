"""DATBuilder: a vocabulary list → a compiled profile (.dat), as in the Crayon README.

    builder = DATBuilder()
    builder.build(vocab_list)          # list of strings (a {token: id} dict works too)
    builder.save("vocab_code.dat")

    DATBuilder(normalize="nfc")        # a profile that normalises text to NFC before matching

The compiler is the library's (crayon_dat_build): empty and duplicate entries are ignored, the
special tokens and the 256 byte tokens are added, and ids are assigned deterministically, so the
same list always gives the same bytes. The .dat format is documented in docs/dat-format.md.

``normalize="nfc"`` stores the NFC flag in the .dat: tokenize then puts text in Unicode NFC
first, so ``decode(tokenize(x)) == unicodedata.normalize("NFC", x)`` for valid text (invalid UTF-8
bytes pass through), and the entries themselves are put in NFC (a decomposed entry becomes its
composed form, a duplicate if that is listed too). The default, ``None``, matches bytes as given.
"""
from __future__ import annotations

import base64
import binascii
import os
from ctypes import byref, c_size_t, c_void_p
from typing import Callable, Iterable, Mapping, Optional, Union

from .. import _native
from .._errors import CrayonValueError
from ..core._calls import byte_arrays, take_buffer

Progress = Callable[[int, int], object]
Entry = Union[str, bytes]

# normalize= values and their crayon_dat_build flags (crayon.h: CRAYON_DAT_NFC).
NORMALIZATIONS = {None: 0, "none": 0, "nfc": 1}

# Lists at least this long report progress while they are prepared for the compiler.
_PROGRESS_MIN = 50_000
_PROGRESS_STEP = 10_000


class DATBuilder:
    """Compiles vocabulary lists into .dat images. One builder can build many times."""

    def __init__(self, name: str = "custom", source: str = "", *,
                 normalize: Optional[str] = None) -> None:
        self.name = name
        self.source = source
        self.normalize = _check_normalize(normalize)
        self._data: Optional[bytes] = None
        self.token_count = 0  # entries given to the last build (before duplicates are dropped)

    def build(self, vocab_list: Union[Iterable[Entry], Mapping[Entry, int]], *,
              name: Optional[str] = None, source: Optional[str] = None,
              normalize: Optional[str] = None,
              progress: Optional[Progress] = None) -> "DATBuilder":
        """Compiles the entries (str as UTF-8, or bytes). Returns the builder, for chaining.

        A mapping is read as ``{token: id}`` and taken in id order. ``progress(done, total)``
        reports the preparation of long lists (>= 50,000 entries) entry by entry, then the compile
        as one step (total = entries + 1). ``name``, ``source`` and ``normalize`` ("nfc" or
        "none") override the builder's for this build.
        """
        flags = NORMALIZATIONS[_check_normalize(normalize) if normalize is not None else self.normalize]
        if isinstance(vocab_list, (str, bytes)):
            raise CrayonValueError("build() takes a list of tokens, not a single string")
        if isinstance(vocab_list, Mapping):
            entries = [tok for tok, _ in sorted(vocab_list.items(), key=lambda kv: kv[1])]
        else:
            entries = list(vocab_list)
        total = len(entries)
        report = progress if progress is not None and total >= _PROGRESS_MIN else None
        encoded = []
        for i, tok in enumerate(entries):
            encoded.append(_entry_bytes(tok, i))
            if report is not None and i % _PROGRESS_STEP == 0:
                report(i, total + 1)

        ptrs, lens, _ = byte_arrays(encoded)
        out, out_len = c_void_p(), c_size_t()
        _native.check(_native.lib().crayon_dat_build(
            ptrs, lens, total, (name or self.name).encode(), (source or self.source).encode(),
            flags, byref(out), byref(out_len)))
        self._data = take_buffer(out, out_len.value)
        self.token_count = total
        if progress is not None:
            progress(total + 1, total + 1)
        return self

    def to_bytes(self) -> bytes:
        """The compiled .dat image of the last build."""
        if self._data is None:
            raise CrayonValueError("nothing built yet: call build(vocab_list) first")
        return self._data

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Writes the .dat image of the last build to ``path`` (atomically: temp file + rename)."""
        write_atomic(path, self.to_bytes())


def write_atomic(path: Union[str, "os.PathLike[str]"], data: bytes) -> None:
    """Writes data to path through a temporary file and a rename, so that a running tokenizer never
    maps a half-written .dat."""
    path = os.fspath(path)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _check_normalize(normalize: object) -> Optional[str]:
    key = normalize.lower() if isinstance(normalize, str) else normalize
    if not (key is None or isinstance(key, str)) or key not in NORMALIZATIONS:
        raise CrayonValueError(f"normalize must be None, 'none' or 'nfc'; got {normalize!r}")
    return None if key in (None, "none") else key


def _entry_bytes(tok: object, index: int) -> bytes:
    if isinstance(tok, str):
        try:
            return tok.encode("utf-8")
        except UnicodeEncodeError:
            # A vocabulary entry must be exact; replacing a lone surrogate would invent a token.
            raise CrayonValueError(
                f"vocabulary entry {index} ({tok!r}) is not valid Unicode (lone surrogate)"
            ) from None
    if isinstance(tok, (bytes, bytearray)):
        return bytes(tok)
    if isinstance(tok, Mapping) and set(tok) == {"bytes"} and isinstance(tok["bytes"], str):
        # A token that is not valid UTF-8 (a partial character), as vocabulary JSON writes it.
        try:
            return base64.b64decode(tok["bytes"], validate=True)
        except binascii.Error:
            raise CrayonValueError(f"vocabulary entry {index}: 'bytes' is not valid base64") from None
    raise CrayonValueError(
        f"vocabulary entry {index} is a {type(tok).__name__}; entries must be str, bytes or {{'bytes': base64}}")
