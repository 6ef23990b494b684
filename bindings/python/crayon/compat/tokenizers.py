"""Hugging Face `tokenizers` for byte-level BPE tokenizer.json files, on Crayon's native BPE encoder.

    from crayon.compat.tokenizers import Tokenizer      # instead of: from tokenizers import Tokenizer
    tok = Tokenizer.from_file("tokenizer.json")
    enc = tok.encode("Hello world")
    enc.ids, enc.tokens, enc.offsets                    # as HF gives them (offsets in characters)

Supported, with ids, tokens and offsets identical to HF: a BPE model over GPT-2's byte alphabet,
pre-tokenized by `ByteLevel` (GPT-2's regex, with or without add_prefix_space) or by
`Sequence[Split(Regex, Isolated), ByteLevel(use_regex=false)]` (Llama-3, Qwen-2); added tokens
(special or not, lstrip/rstrip, normalized or not); post-processors ByteLevel (trim_offsets),
TemplateProcessing (single sequences), RobertaProcessing and a Sequence of them;
the ByteLevel decoder. Everything else raises UnsupportedTokenizerError naming the component: a
difference is never silent.

Why the tiktoken engine gives HF's answer: HF merges the adjacent pair with the best merge priority;
tiktoken merges the adjacent pair whose concatenation has the best rank. With rank = merge index the
two agree unless tiktoken can meet two adjacent tokens x, y whose concatenation is a token t made by
a *different* merge (a, b). If x and y meet inside a piece, rank-order BPE on t's bytes alone reaches
[x, y] too (merges inside t's span do not depend on what lies outside it), so its last merge is
(x, y). The loader therefore runs rank-order BPE on every token's bytes: if that ends in t, its last
merge must be t's own merge, else the file is refused; if it does not end in t, neither engine can
ever make t (and t is dropped from the engine's ranks unless `ignore_merges` lets HF look it up).
"""
from __future__ import annotations

import json
import os
from array import array
from itertools import accumulate
from typing import Iterable, Sequence

from ..core._calls import one_by_one
from ._bpe import NativeBpe
from ._tiktoken_load import _data_gym_alphabet

__all__ = ["Tokenizer", "Encoding", "UnsupportedTokenizerError"]

# GPT-2's regex, which the ByteLevel pre-tokenizer applies when use_regex is true.
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

# Rust's char::is_whitespace (Unicode White_Space), which HF uses for lstrip/rstrip and trim_offsets.
_WHITESPACE = frozenset("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
                        "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


class UnsupportedTokenizerError(ValueError):
    """The tokenizer.json uses a component (or a setting) this module cannot reproduce exactly."""


# GPT-2's printable stand-in for each byte (the ByteLevel alphabet): 'Ġ' for the space, ...
CHAR_BYTES = _data_gym_alphabet()
BYTE_CHARS = [c for c, _ in sorted(CHAR_BYTES.items(), key=lambda kv: kv[1])]
_SPACE_CHAR = BYTE_CHARS[ord(" ")]
_TRIM_CHARS = _SPACE_CHAR + "".join(sorted(_WHITESPACE))
_LEAD_BYTE = bytes(0 if 0x80 <= b < 0xC0 else 1 for b in range(256))   # 1 where a UTF-8 character starts


def bytes_to_token(data: bytes) -> str:
    return "".join(BYTE_CHARS[b] for b in data)


def token_to_bytes(token: str) -> bytes | None:
    """The bytes a byte-level token stands for; None when a character is outside the alphabet."""
    try:
        return bytes(CHAR_BYTES[c] for c in token)
    except KeyError:
        return None


# ---- the model: merges to ranks, checked ----------------------------------------------------------

def _rank_bpe(piece: bytes, ranks: dict[bytes, int]) -> tuple[list[bytes], tuple[bytes, bytes] | None]:
    """tiktoken's merge loop on one piece: (final parts, the last pair merged)."""
    parts = [piece[i:i + 1] for i in range(len(piece))]
    last = None
    while len(parts) > 1:
        best, at = None, -1
        for i in range(len(parts) - 1):
            r = ranks.get(parts[i] + parts[i + 1])
            if r is not None and (best is None or r < best):
                best, at = r, i
        if best is None:
            break
        last = (parts[at], parts[at + 1])
        parts[at:at + 2] = [parts[at] + parts[at + 1]]
    return parts, last


class _Model:
    """A byte-level BPE model as engine ranks: bytes 0..255 have ranks 0..255 (by byte value), the
    token of merge k has rank 256 + k; `ids[rank]` is the HF id (-1: the byte is not in the vocab)."""

    def __init__(self, model: dict, pattern: str):
        if model.get("type") != "BPE":
            raise UnsupportedTokenizerError(f"model {model.get('type')} is not supported (only byte-level BPE)")
        if model.get("dropout") not in (None, 0, 0.0):
            raise UnsupportedTokenizerError("model BPE with dropout is not supported")
        if model.get("byte_fallback"):
            raise UnsupportedTokenizerError("model BPE with byte_fallback is not supported")
        for key in ("continuing_subword_prefix", "end_of_word_suffix"):
            if model.get(key):
                raise UnsupportedTokenizerError(f"model BPE with {key}={model[key]!r} is not supported")
        vocab: dict[str, int] = model.get("vocab") or {}
        self.vocab = vocab
        self.ignore_merges = bool(model.get("ignore_merges", False))

        ranks: dict[bytes, int] = {bytes([b]): b for b in range(256)}
        ids = array("i", (vocab.get(BYTE_CHARS[b], -1) for b in range(256)))
        made_by: dict[bytes, tuple[bytes, bytes]] = {}
        for k, m in enumerate(model.get("merges") or []):
            a, b = m.split(" ", 1) if isinstance(m, str) else m
            if a not in vocab or b not in vocab or a + b not in vocab:
                raise UnsupportedTokenizerError(f"merge {a!r} {b!r}: a token is missing from the vocab")
            ab, bb = token_to_bytes(a), token_to_bytes(b)
            if ab is None or bb is None:
                raise UnsupportedTokenizerError(f"merge {a!r} {b!r} is not over the byte-level alphabet")
            t = ab + bb
            if t in made_by:
                raise UnsupportedTokenizerError(f"token {a + b!r} is made by two merges")
            made_by[t] = (ab, bb)
            ranks[t] = len(ids)
            ids.append(vocab[a + b])
        # Tokens no merge makes: HF reaches them only by whole-piece lookup (ignore_merges).
        if self.ignore_merges:
            for s, i in vocab.items():
                t = token_to_bytes(s)
                if t is not None and len(t) > 1 and t not in made_by:
                    ranks[t] = len(ids)
                    ids.append(i)
        dead = []
        for t, r in ranks.items():
            if len(t) < 2:
                continue
            parts, last = _rank_bpe(t, ranks)
            if len(parts) != 1:
                dead.append(t)
            elif last != made_by.get(t):
                own = made_by.get(t)
                theirs = (f"its merge is {bytes_to_token(own[0])!r} + {bytes_to_token(own[1])!r}" if own
                          else "no merge makes it")
                raise UnsupportedTokenizerError(
                    f"token {bytes_to_token(t)!r}: rank-order BPE makes it from {bytes_to_token(last[0])!r} + "
                    f"{bytes_to_token(last[1])!r}, but {theirs}; HF's merge-priority BPE may differ from "
                    "tiktoken's here")
        if not self.ignore_merges:
            for t in dead:       # never made by either engine; a whole-piece lookup must not find it
                del ranks[t]
        self.ids = ids
        self.identity = all(i == r for r, i in enumerate(ids))
        try:
            self.bpe = NativeBpe.from_ranks(ranks, pattern, {})
        except ValueError as e:
            raise UnsupportedTokenizerError(f"pre_tokenizer split regex {pattern!r} is not supported: {e}") from e
        self.rank_len = array("i", [0]) * len(ids)
        for t, r in ranks.items():
            self.rank_len[r] = len(t)


# ---- added tokens -------------------------------------------------------------------------------

class _Added:
    def __init__(self, d: dict):
        self.id = int(d["id"])
        self.content = d["content"]
        self.special = bool(d.get("special", False))
        self.lstrip = bool(d.get("lstrip", False))
        self.rstrip = bool(d.get("rstrip", False))
        self.normalized = bool(d.get("normalized", not self.special))
        self.single_word = bool(d.get("single_word", False))
        if not self.content:
            raise UnsupportedTokenizerError("an added token with empty content is not supported")


def _added_tokens(items: list[dict], vocab: dict[str, int]) -> list[_Added]:
    """The added tokens with the ids HF gives them on loading (AddedVocabulary::add_tokens): the
    model's id when the content is in the vocab, else the next free id; the file's "id" is only
    checked by HF (a warning), so a file whose ids disagree still encodes as HF does."""
    out: dict[str, _Added] = {}
    for d in items:
        t = _Added(d)
        if t.content in out:
            t.id = out[t.content].id
        elif t.content in vocab:
            t.id = vocab[t.content]
        elif out:
            top = max(a.id for a in out.values())
            t.id = top + 1 if top >= len(vocab) or not vocab else len(vocab)
        else:
            t.id = len(vocab)
        out[t.content] = t
    return list(out.values())


# What HF's single_word calls a word character: Rust regex's Unicode \w (UTS #18: Alphabetic, marks,
# decimal digits, connector punctuation, join controls). Alphabetic is the letters, Nl, and
# Other_Alphabetic, which is marks (covered) but for the enclosed and squared Latin letters below.
_WORD_CATEGORIES = frozenset(("Nl", "Mn", "Mc", "Me", "Nd", "Pc"))
_OTHER_ALPHABETIC_SYMBOLS = ((0x24B6, 0x24E9), (0x1F130, 0x1F149), (0x1F150, 0x1F169), (0x1F170, 0x1F189))


def _is_word(c: str) -> bool:
    import unicodedata
    if c.isalpha() or c in "\u200c\u200d" or unicodedata.category(c) in _WORD_CATEGORIES:
        return True
    o = ord(c)
    return any(lo <= o <= hi for lo, hi in _OTHER_ALPHABETIC_SYMBOLS)


def _matcher(tokens: list[_Added]):
    import re
    if not tokens:
        return None
    by_content = {t.content: t for t in tokens}
    # Longest first: Python's alternation then takes the longest token at the leftmost position,
    # which is aho-corasick's LeftmostLongest (what HF uses).
    alts = sorted(by_content, key=len, reverse=True)
    return re.compile("|".join(re.escape(a) for a in alts)), by_content


def _find(text: str, matcher) -> list[tuple[_Added | None, int, int]]:
    """HF's AddedVocabulary::find_matches on one string: (token or None, start, stop), covering text."""
    if matcher is None or not text:
        return [(None, 0, len(text))] if text else []
    regex, by_content = matcher
    out, start_offset = [], 0
    for m in regex.finditer(text):
        tok = by_content[m.group()]
        start, stop = m.start(), m.end()
        if tok.single_word and ((start > 0 and _is_word(text[start - 1])) or
                                (stop < len(text) and _is_word(text[stop]))):
            continue   # inside a word: HF skips the match and leaves the text to the model
        if tok.lstrip:
            s = start
            while s > 0 and text[s - 1] in _WHITESPACE:
                s -= 1
            start = max(s, start_offset)
        if tok.rstrip:
            while stop < len(text) and text[stop] in _WHITESPACE:
                stop += 1
        if start_offset < start:
            out.append((None, start_offset, start))
        out.append((tok, start, stop))
        start_offset = stop
    if start_offset < len(text):
        out.append((None, start_offset, len(text)))
    return out


# ---- the encoding -------------------------------------------------------------------------------

class Encoding:
    """What `Tokenizer.encode` returns: ids, tokens and offsets (character offsets into the input)."""

    __slots__ = ("ids", "tokens", "offsets", "special_tokens_mask")

    def __init__(self, ids, tokens, offsets, special_tokens_mask):
        self.ids = ids
        self.tokens = tokens
        self.offsets = offsets
        self.special_tokens_mask = special_tokens_mask

    @property
    def type_ids(self) -> list[int]:
        return [0] * len(self.ids)

    @property
    def attention_mask(self) -> list[int]:
        return [1] * len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"Encoding(num_tokens={len(self.ids)})"


def _trim_offsets(tokens: list[str], offsets: list[tuple[int, int]], add_prefix_space: bool) -> None:
    """HF's ByteLevel post-processor with trim_offsets: offsets skip leading/trailing spaces ('Ġ' or
    whitespace characters of the token)."""
    for i, tok in enumerate(tokens):
        lead = len(tok) - len(tok.lstrip(_TRIM_CHARS))
        trail = len(tok) - len(tok.rstrip(_TRIM_CHARS))
        if not (lead or trail):
            continue
        s, e = offsets[i]
        if lead:
            if (i == 0 or s == 0) and add_prefix_space and lead == 1:
                lead = 0
            s = min(s + lead, e)
        if trail and e >= trail:
            e = max(e - trail, s)
        offsets[i] = (s, e)


# ---- the tokenizer ------------------------------------------------------------------------------

class Tokenizer:
    """A byte-level BPE tokenizer.json, encoded by Crayon (HF `tokenizers.Tokenizer`'s API)."""

    def __init__(self, spec: dict):
        self._spec = spec
        for key in ("truncation", "padding"):
            if spec.get(key) is not None:
                raise UnsupportedTokenizerError(f"{key} is not supported (set it to null)")
        if spec.get("normalizer") is not None:
            raise UnsupportedTokenizerError(f"normalizer {_kind(spec['normalizer'])} is not supported")
        pattern, self._prefix_space = _pattern(spec.get("pre_tokenizer"))
        self._post = _post_steps(spec.get("post_processor"))
        dec = spec.get("decoder")
        if dec is not None and dec.get("type") != "ByteLevel":
            raise UnsupportedTokenizerError(f"decoder {_kind(dec)} is not supported (only ByteLevel)")
        self._decoder = dec is not None
        self._model = _Model(spec.get("model") or {}, pattern)
        added = _added_tokens(spec.get("added_tokens") or [], self._model.vocab)
        self._added_by_id = {t.id: t for t in added}
        self._added_by_content = {t.content: t for t in added}
        self._match_raw = _matcher([t for t in added if not t.normalized])
        self._match_norm = _matcher([t for t in added if t.normalized])
        self._id_to_token = {i: s for s, i in self._model.vocab.items()}
        self._id_to_token.update({t.id: t.content for t in added})

    # ---- construction ---------------------------------------------------------------------------
    @classmethod
    def from_str(cls, json_str: str) -> "Tokenizer":
        return cls(json.loads(json_str))

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "Tokenizer":
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f))

    @classmethod
    def from_buffer(cls, buffer: bytes) -> "Tokenizer":
        return cls(json.loads(buffer.decode("utf-8")))

    @classmethod
    def from_rustbpe(cls, tok, special_tokens: dict[str, int] | None = None) -> "Tokenizer":
        """The tokenizer.json of a crayon.compat.rustbpe Tokenizer (HF loads it with the same ids)."""
        return cls(rustbpe_tokenizer_json(tok, special_tokens))

    def to_str(self, pretty: bool = False) -> str:
        return json.dumps(self._spec, ensure_ascii=False, indent=2 if pretty else None)

    def save(self, path: str | os.PathLike, pretty: bool = True) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.to_str(pretty))

    def __reduce__(self):          # travels as its JSON (HF's Tokenizer pickles the same way)
        return (Tokenizer.from_str, (self.to_str(),))

    def close(self) -> None:
        """Releases the native encoder now (later encodes raise ValueError)."""
        self._model.bpe.close()

    def __enter__(self) -> "Tokenizer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- vocabulary -----------------------------------------------------------------------------
    def get_vocab(self, with_added_tokens: bool = True) -> dict[str, int]:
        v = dict(self._model.vocab)
        if with_added_tokens:
            v.update({t.content: t.id for t in self._added_by_id.values()})
        return v

    def get_vocab_size(self, with_added_tokens: bool = True) -> int:
        return len(self.get_vocab(with_added_tokens))

    def token_to_id(self, token: str) -> int | None:
        t = self._added_by_content.get(token)
        return t.id if t is not None else self._model.vocab.get(token)

    def id_to_token(self, id: int) -> str | None:
        return self._id_to_token.get(id)

    # ---- encoding -------------------------------------------------------------------------------
    def _segments(self, text: str) -> list[tuple[_Added | None, int, int]]:
        out = []
        for tok, s, e in _find(text, self._match_raw):
            if tok is not None:
                out.append((tok, s, e))
            else:
                out.extend((t, s + a, s + b) for t, a, b in _find(text[s:e], self._match_norm))
        return out

    def encode(self, sequence: str, add_special_tokens: bool = True) -> Encoding:
        """Encodes one string (pairs and pre-tokenized input are not supported)."""
        return self.encode_batch([sequence], add_special_tokens=add_special_tokens)[0]

    def encode_batch(self, inputs: Sequence[str], add_special_tokens: bool = True) -> list[Encoding]:
        for x in inputs:
            if not isinstance(x, str):
                raise TypeError(f"expected str inputs (pairs and pre-tokenized input are not supported), "
                                f"got {type(x).__name__}")
        segs = [self._segments(x) for x in inputs]
        plain = [self._prefixed(x[s:e]).encode("utf-8", "strict")
                 for x, sg in zip(inputs, segs) for t, s, e in sg if t is None]
        bpe = self._model.bpe
        if one_by_one(plain):
            pieces = [bpe.encode_ordinary_list(p) for p in plain]
        else:
            flat, offs = bpe.encode_batch(plain, [], 8)
            pieces = [flat[offs[i]:offs[i + 1]] for i in range(len(plain))]
        k = 0
        out = []
        for x, sg in zip(inputs, segs):
            ids, toks, spans, special = [], [], [], []
            for tok, s, e in sg:
                if tok is not None:
                    # HF's token is the matched text, stripped spaces included.
                    ids.append(tok.id), toks.append(x[s:e]), spans.append((s, e)), special.append(0)
                    continue
                self._model_tokens(x, s, e, plain[k], pieces[k], ids, toks, spans)
                special.extend([0] * (len(ids) - len(special)))
                k += 1
            out.append(self._post_process(ids, toks, spans, special, add_special_tokens))
        return out

    def _prefixed(self, segment: str) -> str:
        """ByteLevel's add_prefix_space: a space before each segment that does not start with one."""
        return " " + segment if self._prefix_space and not segment.startswith(" ") else segment

    def _model_tokens(self, text, start, stop, data: bytes, ranks, ids, toks, spans) -> None:
        """Appends the model's tokens for text[start:stop] (encoded as data; ranks from the engine)."""
        m = self._model
        new_ids = [m.ids[r] for r in ranks]
        ends = list(accumulate(m.rank_len[r] for r in ranks))
        if new_ids and min(new_ids) < 0:
            at = new_ids.index(min(new_ids))
            raise UnsupportedTokenizerError(f"byte 0x{data[ends[at] - 1]:02x} has no token in the vocab "
                                            "(HF would drop it); cannot encode this text")
        if (ends[-1] if ends else 0) != len(data):
            raise UnsupportedTokenizerError("the split pattern left part of the text unmatched (HF keeps it); "
                                            "cannot encode this text exactly")
        starts = [0, *ends[:-1]]
        ids += new_ids
        toks += [self._id_to_token[i] for i in new_ids]
        # An added prefix space is aligned with the segment's first character (NormalizedString::prepend).
        shift = len(data) - len(text[start:stop].encode("utf-8"))
        if len(data) == stop - start and not shift:      # ASCII: bytes are characters
            spans += [(start + a, start + b) for a, b in zip(starts, ends)]
        else:                                             # char_at[p]: the character byte p belongs to
            char_at = list(accumulate(data.translate(_LEAD_BYTE), initial=-1 - shift))[1:]
            if shift:                                     # the prefix space maps to the first character
                char_at = [max(c, 0) for c in char_at]
            spans += [(start + char_at[a], start + char_at[b - 1] + 1) for a, b in zip(starts, ends)]

    def _post_process(self, ids, toks, spans, special, add_special_tokens) -> Encoding:
        for step in self._post:
            if step[0] == "ByteLevel":
                _trim_offsets(toks, spans, step[1])
            elif add_special_tokens:                      # TemplateProcessing, single sequence
                nids, ntoks, nspans, nspecial = [], [], [], []
                for piece in step[1]:
                    if piece is None:
                        nids += ids; ntoks += toks; nspans += spans; nspecial += special
                    else:
                        nids += piece[0]; ntoks += piece[1]
                        nspans += [(0, 0)] * len(piece[0]); nspecial += [1] * len(piece[0])
                ids, toks, spans, special = nids, ntoks, nspans, nspecial
        return Encoding(ids, toks, spans, special)

    # ---- decoding -------------------------------------------------------------------------------
    def decode(self, ids: Iterable[int], skip_special_tokens: bool = True) -> str:
        toks = []
        for i in ids:
            s = self._id_to_token.get(i)
            if s is None:
                continue
            a = self._added_by_content.get(s)
            if skip_special_tokens and a is not None and a.special:
                continue
            toks.append(s)
        if not self._decoder:
            return " ".join(toks)
        data = b"".join(b if (b := token_to_bytes(t)) is not None else t.encode("utf-8") for t in toks)
        return data.decode("utf-8", "replace")

    def decode_batch(self, sequences: Iterable[Iterable[int]], skip_special_tokens: bool = True) -> list[str]:
        return [self.decode(s, skip_special_tokens) for s in sequences]


def _kind(component) -> str:
    return component.get("type", "?") if isinstance(component, dict) else repr(component)


def _pattern(pre) -> tuple[str, bool]:
    """The split regex of a supported pre-tokenizer (the engine then maps bytes, as ByteLevel does),
    and whether ByteLevel adds a prefix space."""
    if pre is None:
        raise UnsupportedTokenizerError("a tokenizer without a pre-tokenizer is not supported (needs ByteLevel)")
    steps = pre.get("pretokenizers", []) if pre.get("type") == "Sequence" else [pre]
    pattern = None
    for i, p in enumerate(steps):
        kind = p.get("type")
        if kind == "Split" and i == 0 and len(steps) == 2:
            pat = p.get("pattern") or {}
            if "Regex" not in pat:
                raise UnsupportedTokenizerError("pre_tokenizer Split with a String pattern is not supported")
            if p.get("behavior") != "Isolated" or p.get("invert"):
                raise UnsupportedTokenizerError(
                    f"pre_tokenizer Split with behavior {p.get('behavior')} / invert {p.get('invert')} is not "
                    "supported (only Isolated, invert false)")
            pattern = pat["Regex"]
        elif kind == "ByteLevel" and i == len(steps) - 1:
            if p.get("add_prefix_space") and len(steps) > 1:
                raise UnsupportedTokenizerError(
                    "pre_tokenizer ByteLevel with add_prefix_space=true after a Split is not supported")
            if p.get("use_regex", True):
                if pattern is not None:
                    raise UnsupportedTokenizerError("pre_tokenizer Split followed by ByteLevel(use_regex=true) "
                                                    "is not supported")
                pattern = GPT2_PATTERN
            elif pattern is None:
                raise UnsupportedTokenizerError(
                    "pre_tokenizer ByteLevel(use_regex=false) without a Split is not supported")
        else:
            raise UnsupportedTokenizerError(f"pre_tokenizer {kind} (in this position) is not supported")
    if pattern is None:
        raise UnsupportedTokenizerError("the pre_tokenizer must end with ByteLevel")
    return pattern, bool(steps[-1].get("add_prefix_space"))


def _post_steps(post) -> list[tuple]:
    if post is None:
        return []
    steps = post.get("processors", []) if post.get("type") == "Sequence" else [post]
    out = []
    for p in steps:
        kind = p.get("type")
        if kind == "ByteLevel":
            if p.get("trim_offsets", True):
                out.append(("ByteLevel", bool(p.get("add_prefix_space", True))))
        elif kind == "TemplateProcessing":
            specials = p.get("special_tokens") or {}
            pieces = []
            for piece in p.get("single") or []:
                if "Sequence" in piece:
                    if piece["Sequence"].get("id") != "A":
                        raise UnsupportedTokenizerError("TemplateProcessing: the single template may only use $A")
                    pieces.append(None)
                else:
                    name = piece["SpecialToken"]["id"]
                    sp = specials.get(name)
                    if sp is None:
                        raise UnsupportedTokenizerError(f"TemplateProcessing: special token {name!r} is not defined")
                    pieces.append((list(sp["ids"]), list(sp["tokens"])))
            out.append(("Template", pieces))
        elif kind == "RobertaProcessing":        # trimmed like ByteLevel, then <s> $A </s>
            if p.get("trim_offsets", True):
                out.append(("ByteLevel", bool(p.get("add_prefix_space", True))))
            (cls, cls_id), (sep, sep_id) = p["cls"], p["sep"]
            out.append(("Template", [([cls_id], [cls]), None, ([sep_id], [sep])]))
        else:
            raise UnsupportedTokenizerError(f"post_processor {kind} is not supported")
    return out


def rustbpe_tokenizer_json(tok, special_tokens: dict[str, int] | None = None) -> dict:
    """A tokenizer.json (as a dict) for a trained crayon.compat.rustbpe Tokenizer: its split regex as an
    isolating Split, ByteLevel without regex, the vocab (ids = ranks) and its merges in order."""
    ranks = tok.get_mergeable_ranks()
    by_rank = {r: t for t, r in ranks}
    vocab = {bytes_to_token(t): r for t, r in ranks}
    merges = [[bytes_to_token(by_rank[a]), bytes_to_token(by_rank[b])] for a, b in tok.get_merges()]
    added = [{"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for s, i in (special_tokens or {}).items()]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": tok.get_pattern()}, "behavior": "Isolated", "invert": False},
            byte_level]},
        "post_processor": None,
        "decoder": byte_level,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }
