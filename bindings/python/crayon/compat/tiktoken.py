"""A drop-in for `tiktoken`, running on Crayon's native BPE encoder (same ids, byte for byte).

    from crayon.compat import tiktoken          # instead of: import tiktoken
    enc = tiktoken.get_encoding("cl100k_base")
    enc.encode("hello world")                   # [15339, 1917]

Everything tiktoken's Encoding offers for encoding and decoding is here with the same signatures,
defaults, exceptions and messages. Policy (special-token checks, lone-surrogate repair) is in this
module; the native library only splits, merges and looks up. Rank files: see _tiktoken_registry.
"""
from __future__ import annotations

import threading
from typing import AbstractSet, Collection, Literal, Sequence

from . import _tiktoken_load, _tiktoken_registry
from ._bpe import NativeBpe
from ._tiktoken_load import dump_tiktoken_bpe, load_tiktoken_bpe
from ._tiktoken_registry import RankFileNotFoundError
from .._errors import UnknownTokenError
from ..core._calls import one_by_one
from ..core._text import to_utf8 as _to_utf8


def _utf8(text: str) -> bytes:
    """tiktoken takes only ``str`` (bytes are a TypeError there too); lone surrogates as tiktoken."""
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    return _to_utf8(text)


__all__ = ["Encoding", "get_encoding", "list_encoding_names", "encoding_for_model",
           "encoding_name_for_model", "load_tiktoken_bpe", "dump_tiktoken_bpe", "RankFileNotFoundError"]

_DEFAULT_THREADS = 8


class _VocabSizeError(ValueError, AssertionError):
    """explicit_n_vocab does not match (tiktoken asserts here, so both kinds of except catch it)."""


def _special_token_regex(tokens: frozenset[str]):
    import re
    return re.compile("|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True)))


def raise_disallowed_special_token(token: str):
    raise ValueError(
        f"Encountered text corresponding to disallowed special token {token!r}.\n"
        "If you want this text to be encoded as a special token, "
        f"pass it to `allowed_special`, e.g. `allowed_special={{{token!r}, ...}}`.\n"
        "If you want this text to be encoded as normal text, disable the check for this token "
        f"by passing `disallowed_special=(enc.special_tokens_set - {{{token!r}}})`.\n"
        "To disable this check for all special tokens, pass `disallowed_special=()`.\n")


class Encoding:
    """A byte-level BPE encoding: ranks, a split pattern and special tokens (tiktoken's Encoding)."""

    def __init__(self, name: str, *, pat_str: str, mergeable_ranks: dict[bytes, int],
                 special_tokens: dict[str, int], explicit_n_vocab: int | None = None):
        self._init(name, pat_str, mergeable_ranks, special_tokens, explicit_n_vocab, None)

    def _init(self, name, pat_str, mergeable_ranks, special_tokens, explicit_n_vocab, native):
        self.name = name
        self._pat_str = pat_str
        self._special_tokens = dict(special_tokens)
        self._explicit_n_vocab = explicit_n_vocab
        self._registered = native is not None
        self._ranks = mergeable_ranks  # None for registry encodings: parsed from the file on first use
        if native is None:
            if not mergeable_ranks:
                raise ValueError("mergeable_ranks is empty")
            native = NativeBpe.from_ranks(mergeable_ranks, pat_str, self._special_tokens)
        self._bpe = native
        self.max_token_value = native.n_vocab() - 1  # max(ranks, special ids), computed natively
        if explicit_n_vocab and mergeable_ranks is not None:  # registry files are checked by sha256
            n_ranks = len(mergeable_ranks)
            if n_ranks + len(self._special_tokens) != explicit_n_vocab:
                raise _VocabSizeError(f"{name}: {n_ranks} ranks + {len(self._special_tokens)} special tokens "
                                      f"!= explicit_n_vocab {explicit_n_vocab}")
            if self.max_token_value != explicit_n_vocab - 1:
                raise _VocabSizeError(f"{name}: max token value {self.max_token_value} != "
                                      f"explicit_n_vocab - 1 ({explicit_n_vocab - 1})")
        self._special_token_values = set(self._special_tokens.values())
        self.special_tokens_set = set(self._special_tokens)
        self._regex_cache: dict[frozenset, object] = {}
        self._all_specials = frozenset(self.special_tokens_set)

    @classmethod
    def _from_rank_file(cls, spec, data: bytes) -> "Encoding":
        enc = cls.__new__(cls)
        native = NativeBpe.from_tiktoken_bytes(data, spec.pat_str, spec.special_tokens)
        enc._rank_file = data
        enc._init(spec.name, spec.pat_str, None, spec.special_tokens, spec.explicit_n_vocab, native)
        return enc

    def __repr__(self) -> str:
        return f"<Encoding {self.name!r}>"

    # ---- lifetime ------------------------------------------------------------------------------
    def close(self) -> None:
        """Releases the native encoder now (later calls raise ValueError). Registry encodings are
        shared: closing one removes it from the registry's cache."""
        with _lock:
            if _ENCODINGS.get(self.name) is self:
                del _ENCODINGS[self.name]
        self._bpe.close()

    def __enter__(self) -> "Encoding":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- pickling (nanochat pickles its Encoding) -----------------------------------------------
    def __reduce__(self):
        if self._registered and _ENCODINGS.get(self.name) is self:
            return (get_encoding, (self.name,))
        state = {"name": self.name, "pat_str": self._pat_str, "mergeable_ranks": self._mergeable_ranks,
                 "special_tokens": self._special_tokens}
        if self._explicit_n_vocab:
            state["explicit_n_vocab"] = self._explicit_n_vocab
        return (_rebuild, (state,))

    # ---- encoding ------------------------------------------------------------------------------
    def _check_special(self, text: str, allowed_special, disallowed_special) -> AbstractSet[str]:
        """tiktoken's policy: resolves "all", raises on disallowed special text; returns the
        allowed set to pass to the encoder."""
        if allowed_special == "all":
            allowed_special = self.special_tokens_set
        if disallowed_special == "all":
            # The default call allows nothing: the kept frozenset is the cache key as it is (its hash
            # kept too), instead of a new set and frozenset per call.
            disallowed_special = self.special_tokens_set - allowed_special if allowed_special else self._all_specials
        if disallowed_special:
            key = disallowed_special if isinstance(disallowed_special, frozenset) else frozenset(disallowed_special)
            regex = self._regex_cache.get(key)
            if regex is None:
                regex = self._regex_cache.setdefault(key, _special_token_regex(key))
            if match := regex.search(text):
                raise_disallowed_special_token(match.group())
        return allowed_special

    def _allowed_list(self, allowed: AbstractSet[str]) -> list[str]:
        # Only names that are special tokens matter; anything else is plain text anyway.
        return [t for t in allowed if t in self._special_tokens] if allowed else []

    def encode_ordinary(self, text: str) -> list[int]:
        """Encodes text, treating special-token text as ordinary text.

        >>> enc.encode_ordinary("hello world")
        [15339, 1917]
        """
        return self._bpe.encode_ordinary_list(_utf8(text))

    def encode(self, text: str, *, allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006
               disallowed_special: Literal["all"] | Collection[str] = "all") -> list[int]:
        """Encodes text. Special-token text raises ValueError unless allowed (then it becomes its
        id) or excluded from `disallowed_special` (then it is ordinary text).

        >>> enc.encode("<|endoftext|>", allowed_special="all")
        [100257]
        """
        allowed = self._allowed_list(self._check_special(text, allowed_special, disallowed_special))
        if not allowed:
            return self._bpe.encode_ordinary_list(_utf8(text))
        return self._bpe.encode_list(_utf8(text), allowed, allow_all=allowed_special == "all")

    def encode_to_numpy(self, text: str, *, allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006
                        disallowed_special: Literal["all"] | Collection[str] = "all"):
        """Like encode, as a numpy uint32 array viewing the native output buffer (no copy)."""
        import numpy as np
        allowed = self._check_special(text, allowed_special, disallowed_special)
        buf, n = self._bpe.encode(_utf8(text), self._allowed_list(allowed))
        return np.frombuffer(buf, dtype=np.uint32, count=n)

    def encode_ordinary_batch(self, text: Sequence[str], *, num_threads: int = _DEFAULT_THREADS) -> list[list[int]]:
        """encode_ordinary of each text, in one native call over num_threads threads (GIL released)."""
        return self._batch(text, [], num_threads)

    def encode_batch(self, text: Sequence[str], *, num_threads: int = _DEFAULT_THREADS,
                     allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006
                     disallowed_special: Literal["all"] | Collection[str] = "all") -> list[list[int]]:
        """encode of each text (same special-token rules), in one native call."""
        allowed: AbstractSet[str] = set()
        for t in text:
            allowed = self._check_special(t, allowed_special, disallowed_special)
        if not text:
            return []
        return self._batch(text, self._allowed_list(allowed), num_threads)

    def encode_ordinary_batch_to_numpy(self, text: Sequence[str], *, num_threads: int = _DEFAULT_THREADS):
        """Crayon extension: (ids, offsets) as numpy arrays (uint32, int64), document i being
        ids[offsets[i]:offsets[i + 1]]; the ids are copied once out of the native output. Skips
        building Python ints, which costs more than the encoding itself for long texts."""
        import numpy as np
        if not text:
            return np.zeros(0, dtype=np.uint32), np.zeros(1, dtype=np.int64)
        ids, offsets = self._bpe.encode_batch([_utf8(t) for t in text], [], max(1, int(num_threads)))
        return np.frombuffer(ids, dtype=np.uint32).copy(), np.frombuffer(offsets, dtype=np.int64)

    def _batch(self, texts: Sequence[str], allowed: list[str], num_threads: int) -> list[list[int]]:
        docs = [_utf8(t) for t in texts]
        if one_by_one(docs):
            return [self._bpe.encode_list(d, allowed) if allowed else self._bpe.encode_ordinary_list(d) for d in docs]
        flat, offsets = self._bpe.encode_batch(docs, allowed, max(1, int(num_threads)))
        # Making the Python ints is the bound here (one object per id, under the GIL): memoryview's
        # tolist makes them in one C loop per document, the cheapest way CPython offers.
        return [flat[offsets[i]:offsets[i + 1]].tolist() for i in range(len(docs))]

    def encode_single_token(self, text_or_bytes: str | bytes) -> int:
        """The id of text that is exactly one token (ordinary or special); KeyError otherwise."""
        data = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else bytes(text_or_bytes)
        token = self._bpe.encode_single_token(data)
        if token is None:
            raise KeyError(data)
        return token

    # ---- decoding ------------------------------------------------------------------------------
    def decode_bytes(self, tokens: Sequence[int]) -> bytes:
        """The bytes of tokens. An unknown id is a KeyError, as in tiktoken."""
        try:
            return self._bpe.decode(tokens)
        except UnknownTokenError:
            raise KeyError(f"Invalid token for decoding: {self._first_unknown(tokens)}") from None

    def decode(self, tokens: Sequence[int], errors: str = "replace") -> str:
        """The text of tokens; invalid UTF-8 is replaced (lossy) unless errors says otherwise."""
        return self.decode_bytes(tokens).decode("utf-8", errors=errors)

    def decode_single_token_bytes(self, token: int) -> bytes:
        """The bytes of one token (special tokens included); KeyError for an unknown id."""
        try:
            return self._bpe.token_bytes(token)
        except UnknownTokenError:
            raise KeyError(str(token)) from None

    def decode_tokens_bytes(self, tokens: Sequence[int]) -> list[bytes]:
        token_bytes = self._bpe.token_bytes
        try:
            return [token_bytes(t) for t in tokens]
        except UnknownTokenError:
            raise KeyError(str(self._first_unknown(tokens))) from None

    def decode_with_offsets(self, tokens: Sequence[int]) -> tuple[str, list[int]]:
        """(text, character offset where each token starts). A token that begins inside a
        multi-byte character gets the offset of that character."""
        pieces = self.decode_tokens_bytes(tokens)
        offsets: list[int] = []
        chars = 0  # characters started so far = bytes that are not UTF-8 continuation bytes
        for piece in pieces:
            starts_inside = bool(piece) and 0x80 <= piece[0] < 0xC0
            offsets.append(max(0, chars - starts_inside))
            chars += sum(1 for b in piece if not 0x80 <= b < 0xC0)
        return b"".join(pieces).decode("utf-8", errors="strict"), offsets

    def decode_batch(self, batch: Sequence[Sequence[int]], *, errors: str = "replace",
                     num_threads: int = _DEFAULT_THREADS) -> list[str]:
        return [self.decode(t, errors=errors) for t in batch]

    def decode_bytes_batch(self, batch: Sequence[Sequence[int]], *, num_threads: int = _DEFAULT_THREADS) -> list[bytes]:
        return [self.decode_bytes(t) for t in batch]

    def _first_unknown(self, tokens: Sequence[int]) -> int:
        for t in tokens:
            if not 0 <= t <= self.max_token_value:
                return t
            try:
                self._bpe.token_bytes(t)
            except Exception:
                return t
        return -1

    # ---- vocabulary ------------------------------------------------------------------------------
    @property
    def _mergeable_ranks(self) -> dict[bytes, int]:
        if self._ranks is None:  # registry encodings keep the rank file, parsed on first use
            self._ranks = _tiktoken_load.parse_tiktoken_bpe(self._rank_file, self.name)
        return self._ranks

    def token_byte_values(self) -> list[bytes]:
        """The bytes of every ordinary (mergeable) token, sorted."""
        return sorted(self._mergeable_ranks)

    @property
    def eot_token(self) -> int:
        return self._special_tokens["<|endoftext|>"]

    @property
    def n_vocab(self) -> int:
        """max_token_value + 1 (tiktoken's definition, kept for compatibility)."""
        return self.max_token_value + 1

    def is_special_token(self, token: int) -> bool:
        return token in self._special_token_values


def _rebuild(state: dict) -> Encoding:
    return Encoding(**state)


# ---- registry -------------------------------------------------------------------------------------
_lock = threading.RLock()
_ENCODINGS: dict[str, Encoding] = {}


def list_encoding_names() -> list[str]:
    return list(_tiktoken_registry.SPECS)


def get_encoding(encoding_name: str) -> Encoding:
    """The standard encoding of that name (loaded once per process, then shared)."""
    if not isinstance(encoding_name, str):
        raise ValueError(f"Expected a string in get_encoding, got {type(encoding_name)}")
    enc = _ENCODINGS.get(encoding_name)
    if enc is not None:
        return enc
    with _lock:
        enc = _ENCODINGS.get(encoding_name)
        if enc is not None:
            return enc
        spec = _tiktoken_registry.SPECS.get(encoding_name)
        if spec is None:
            raise ValueError(f"Unknown encoding {encoding_name}.\n"
                             f"Known encodings: {', '.join(list_encoding_names())}")
        data = _tiktoken_registry.rank_file_bytes(spec.ranks)
        enc = Encoding._from_rank_file(spec, data)
        _ENCODINGS[encoding_name] = enc
        return enc


_MODEL_PREFIX_TO_ENCODING = {
    "o1-": "o200k_base", "o3-": "o200k_base", "o4-mini-": "o200k_base", "gpt-5": "o200k_base",
    "gpt-4.5-": "o200k_base", "gpt-4.1-": "o200k_base", "chatgpt-4o-": "o200k_base",
    "gpt-4o-": "o200k_base", "gpt-4-": "cl100k_base", "gpt-3.5-turbo-": "cl100k_base",
    "gpt-35-turbo-": "cl100k_base", "ft:gpt-4o": "o200k_base", "ft:gpt-4": "cl100k_base",
    "ft:gpt-3.5-turbo": "cl100k_base", "ft:davinci-002": "cl100k_base", "ft:babbage-002": "cl100k_base",
}
_MODEL_TO_ENCODING = {
    "o1": "o200k_base", "o3": "o200k_base", "o4-mini": "o200k_base", "gpt-5": "o200k_base",
    "gpt-4.1": "o200k_base", "gpt-4o": "o200k_base", "gpt-4": "cl100k_base",
    "gpt-3.5-turbo": "cl100k_base", "gpt-3.5": "cl100k_base", "gpt-35-turbo": "cl100k_base",
    "davinci-002": "cl100k_base", "babbage-002": "cl100k_base",
    "text-embedding-ada-002": "cl100k_base", "text-embedding-3-small": "cl100k_base",
    "text-embedding-3-large": "cl100k_base",
    "text-davinci-003": "p50k_base", "text-davinci-002": "p50k_base", "code-davinci-002": "p50k_base",
    "code-davinci-001": "p50k_base", "code-cushman-002": "p50k_base", "code-cushman-001": "p50k_base",
    "davinci-codex": "p50k_base", "cushman-codex": "p50k_base",
    "text-davinci-edit-001": "p50k_edit", "code-davinci-edit-001": "p50k_edit",
    "text-davinci-001": "r50k_base", "text-curie-001": "r50k_base", "text-babbage-001": "r50k_base",
    "text-ada-001": "r50k_base", "davinci": "r50k_base", "curie": "r50k_base", "babbage": "r50k_base",
    "ada": "r50k_base", "gpt2": "gpt2", "gpt-2": "gpt2",
}


def encoding_name_for_model(model_name: str) -> str:
    if model_name in _MODEL_TO_ENCODING:
        return _MODEL_TO_ENCODING[model_name]
    for prefix, name in _MODEL_PREFIX_TO_ENCODING.items():
        if model_name.startswith(prefix):
            return name
    raise KeyError(f"Could not automatically map {model_name} to a tokeniser. "
                   "Please use `tiktoken.get_encoding` to explicitly get the tokeniser you expect.")


def encoding_for_model(model_name: str) -> Encoding:
    return get_encoding(encoding_name_for_model(model_name))
