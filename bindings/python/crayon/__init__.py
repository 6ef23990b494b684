"""Crayon.NET: a tokenizer engine (longest-match profiles and exact tiktoken BPE) in libcrayon.so."""
from __future__ import annotations

from ._errors import (CrayonError, CrayonValueError, CrayonIOError, CrayonFormatError,
                      CrayonNotFoundError, UnknownTokenError, BackendUnavailableError,
                      DisallowedSpecialError)

__version__ = "0.1.0"


def native_version() -> str:
    """Version string reported by the loaded libcrayon.so."""
    from ._native import lib
    return lib().crayon_version().decode()
from .core.backends import check_backends  # noqa: E402
from .core.vocabulary import CrayonVocab  # noqa: E402
from .core.stream import TokenStream, stream_tokenize, shard_file  # noqa: E402
