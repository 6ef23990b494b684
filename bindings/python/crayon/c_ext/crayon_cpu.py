"""The module-level CPU engine of the Crayon README's "Basic Example".

    with open("vocab_code.dat", "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        crayon_cpu.load_dat(mm)
    tokens = crayon_cpu.tokenize('fn main() { println!("Hello, World!"); }')

One profile is active per process. ``load_dat`` replaces it atomically: a call already running on
another thread finishes with the profile it started with. A read-only mmap and bytes are used in
place (zero copy; the mmap cannot be closed while it is loaded); other buffers are copied.
Everything here is a thin layer over :class:`crayon.core.vocabulary.CrayonVocab`.
"""
from __future__ import annotations

import os
from typing import Any, Iterable, Optional, Sequence

from .._errors import CrayonValueError
from ..core._text import Text
from ..core.vocabulary import CrayonVocab

_active: Optional[CrayonVocab] = None


def load_dat(source: Any) -> None:
    """Makes a .dat the active profile: an mmap, bytes-like object, or a file path."""
    global _active
    if isinstance(source, (str, os.PathLike)):
        vocab = CrayonVocab(device="cpu", profile=os.path.abspath(os.fspath(source)))
    else:
        vocab = CrayonVocab.from_dat_bytes(source)
    # The old vocab is freed when the last reference (here, or a running call's) goes away.
    _active = vocab


def _vocab() -> CrayonVocab:
    vocab = _active
    if vocab is None:
        raise CrayonValueError("no .dat loaded: call crayon_cpu.load_dat(mmap_or_bytes_or_path) first")
    return vocab


def tokenize(text: Text) -> list[int]:
    """Token ids of ``text`` (str or bytes) with the loaded .dat."""
    return _vocab().tokenize(text)


def tokenize_batch(texts: Iterable[Text], threads: int = 0) -> list[list[int]]:
    """Token ids of each text, in one native call over all cores."""
    return _vocab().tokenize_batch(texts, threads=threads)


def decode(ids: Sequence[int]) -> str:
    """The text of the ids (invalid UTF-8 becomes U+FFFD; use decode_bytes for exact bytes)."""
    return _vocab().decode(ids)


def decode_bytes(ids: Sequence[int]) -> bytes:
    """The exact bytes of the ids."""
    return _vocab().decode_bytes(ids)


def vocab_size() -> int:
    """Number of token ids of the loaded .dat."""
    return _vocab().vocab_size


def unload() -> None:
    """Forgets the loaded .dat (it is released once no running call uses it)."""
    global _active
    _active = None
