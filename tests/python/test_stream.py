"""Streaming sessions: the ids of text fed in pieces equal the ids of the whole text in one call,
wherever the pieces are cut (every position of adversarial texts), for both engines."""
from __future__ import annotations

import os
import random

import pytest

import crayon
from crayon import TokenStream
from crayon.compat import tiktoken
from crayon.compat._tiktoken_registry import CL100K_PATTERN, O200K_PATTERN, R50K_PATTERN

# Texts that stress every rule: whitespace runs (\s+(?!\S), \s*[\r\n]), contractions, digit runs,
# letters + marks, CJK, non-BMP letters and emoji, NFC-changing sequences, special tokens.
ADVERSARIAL = [
    "Hello  world,\tthis is\n\n  a test.   \r\n\r\n  end   ",
    "I'm can't we'LL you'Re it's o'clock 'll '' rock'n'roll",
    "1234567 3.14159 ١٢٣٤٥٦ 2024-12-01 x1y22z333",
    "naïve café e\u0301 a\u0308\u0301 A\u030a \u1100\u1161\u11a8 한국어 텍스트 q\u0323\u0307",
    "日本語のテキスト。中文，测试！Привет, мир! Γειά σου",
    "😀👍🏽 𝐀𝐁𝐂 𝐝𝐞𝐟 𐐀𐐨 🇫🇷 \U0001F469\u200D\U0001F4BB",
    "HelloWorld XMLHttpRequest ABCdef ǅungla ΣΑΣ\u0345x",
    "<|endoftext|>Hi<|endoftext|><|endoftext|> <|endof <|fim_prefix|>x<|endoftext|",
    "    \n\t \u00a0\u3000 x\u2028y  ",
]


def _text_bytes():
    return [t.encode("utf-8") for t in ADVERSARIAL]


def _fed(stream: TokenStream, pieces) -> list[int]:
    out: list[int] = []
    for p in pieces:
        out.extend(int(i) for i in stream.feed(p))
    out.extend(int(i) for i in stream.finish())
    return out


def _every_cut(stream: TokenStream, data: bytes, expected: list[int]) -> None:
    for cut in range(len(data) + 1):
        got = _fed(stream, (data[:cut], data[cut:]))
        assert got == expected, f"cut at byte {cut} of {data!r}"


def _random_pieces(stream: TokenStream, data: bytes, expected: list[int], rounds: int = 20) -> None:
    rng = random.Random(len(data))
    for _ in range(rounds):
        cuts = sorted(rng.sample(range(len(data) + 1), min(6, len(data) + 1)))
        pieces = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
        assert _fed(stream, pieces) == expected, f"pieces {[len(p) for p in pieces]} of {data!r}"


# ---- longest match ------------------------------------------------------------------------------

@pytest.fixture(scope="module", params=["lite", "code", "multilingual"])
def vocab(request):
    v = crayon.CrayonVocab(device="cpu", profile=request.param)
    yield v
    v.close()


def test_longest_match_every_cut_equals_one_call(vocab):
    with TokenStream(vocab) as s:
        for data in _text_bytes() + [b"\xff\xfe bad \xc3( utf-8 \xe2\x82", bytes(range(256))]:
            expected = list(vocab.tokenize(data))
            _every_cut(s, data, expected)
            _random_pieces(s, data, expected)
            assert _fed(s, [data[i:i + 1] for i in range(len(data))]) == expected   # byte by byte


def test_longest_match_long_text_in_odd_pieces(vocab):
    data = ("".join(ADVERSARIAL) * 40).encode()
    expected = list(vocab.tokenize(data))
    with TokenStream(vocab) as s:
        for size in (1, 3, 17, 4096):
            assert _fed(s, [data[i:i + size] for i in range(0, len(data), size)]) == expected


def test_stream_pins_the_profile_it_started_with():
    v = crayon.CrayonVocab(device="cpu", profile="lite")
    data = b"tokenization pins a profile"
    with TokenStream(v) as s:
        v.set_profile("code")
        assert _fed(s, [data]) == list(crayon.CrayonVocab(device="cpu", profile="lite").tokenize(data))
    v.close()


# ---- BPE --------------------------------------------------------------------------------------

SPECIALS = {"<|endoftext|>": 1000, "<|fim_prefix|>": 1001, "<|endofprompt|>": 1002}


def _small_ranks() -> dict[bytes, int]:
    """All bytes plus merges that make multi-byte pieces and whole words into tokens."""
    ranks = {bytes([b]): b for b in range(256)}
    extra = ["th", "he", "the", " t", " th", " the", "in", "ing", " w", "or", "ld", " wor", " world",
             "  ", "   ", "\n\n", "es", "st", " te", " test", "12", "123", "\u00e9", "日本", "本語", " é"]
    for t in extra:
        ranks.setdefault(t.encode(), len(ranks))
    return ranks


_SMALL = {name: tiktoken.Encoding(f"small_{name}", pat_str=pat, mergeable_ranks=_small_ranks(),
                                   special_tokens=SPECIALS)
          for name, pat in (("cl100k", CL100K_PATTERN), ("o200k", O200K_PATTERN), ("gpt2", R50K_PATTERN),
                            ("regex", r"\p{L}+|\p{N}|\s+|[^\s\p{L}\p{N}]+"))}


def _real(name: str):
    """A published encoding: from $CRAYON_TIKTOKEN_DIR when set, else exported from the npm peers."""
    if os.environ.get("CRAYON_TIKTOKEN_DIR"):
        os.environ.setdefault("CRAYON_TIKTOKEN_OFFLINE", "1")
        return tiktoken.get_encoding(name)
    import bpe_support
    return bpe_support.get_encoding(name)   # skips when the peers are not installed


@pytest.fixture(params=["small_cl100k", "small_o200k", "small_gpt2", "small_regex",
                        "cl100k_base", "o200k_base", "r50k_base"])
def encoding(request):
    name = request.param
    return _SMALL[name[6:]] if name.startswith("small_") else _real(name)


@pytest.mark.parametrize("policy", ["ordinary", "allow_all"])
def test_bpe_every_cut_equals_one_call(encoding, policy):
    allowed = "all" if policy == "allow_all" else ()
    with TokenStream(encoding, allowed_special=allowed) as s:
        for text, data in zip(ADVERSARIAL, _text_bytes()):
            expected = (encoding.encode(text, allowed_special="all") if allowed
                        else encoding.encode_ordinary(text))
            _every_cut(s, data, expected)
            _random_pieces(s, data, expected)


def test_bpe_long_text_in_odd_pieces(encoding):
    text = "".join(ADVERSARIAL) * 30
    data = text.encode()
    expected = encoding.encode(text, allowed_special="all")
    with TokenStream(encoding, allowed_special="all") as s:
        for size in (1, 7, 4093):
            assert _fed(s, [data[i:i + size] for i in range(0, len(data), size)]) == expected
        assert s.feed(data[:1000]) is not None   # the session keeps going after finish()


@pytest.mark.parametrize("engine", ["lite", "small_cl100k", "small_o200k"])
def test_ids_come_out_while_text_goes_in(engine):
    tok = crayon.CrayonVocab(device="cpu", profile=engine) if engine == "lite" else _SMALL[engine[6:]]
    sentence = "The quick brown fox jumps over the lazy dog, 42 times. ".encode()
    with TokenStream(tok) as s:
        during = sum(len(s.feed(sentence)) for _ in range(200))
        after = len(s.finish())
    # Only the end of the last sentence waits for finish(): memory does not grow with the text.
    assert during > 0 and after <= 20, (during, after)


def test_bpe_disallowed_special_split_between_pieces_is_an_error():
    enc = _SMALL["cl100k"]
    data = b"text then <|endoftext|> more"
    for cut in range(len(data) + 1):
        with TokenStream(enc, disallowed_special="all") as s:
            with pytest.raises(crayon.DisallowedSpecialError, match="endoftext"):
                _fed(s, (data[:cut], data[cut:]))
            with pytest.raises(crayon.DisallowedSpecialError):   # a failed session stays failed
                s.feed(b"x")


def test_bpe_invalid_utf8_names_the_offset_in_the_stream():
    enc = _SMALL["cl100k"]
    data = "héllo wörld ".encode() * 10 + b"\xff tail"
    for size in (1, 5, 64):
        with TokenStream(enc) as s:
            with pytest.raises(crayon.CrayonValueError, match=f"offset {len(data) - 6}"):
                _fed(s, [data[i:i + size] for i in range(0, len(data), size)])


def test_bpe_character_cut_at_the_end_of_the_text_is_invalid():
    with TokenStream(_SMALL["cl100k"]) as s:
        s.feed("日本".encode()[:-1])
        with pytest.raises(crayon.CrayonValueError, match="UTF-8"):
            s.finish()


def test_text_without_a_safe_point_past_the_limit_is_refused_clearly():
    with TokenStream(_SMALL["cl100k"], max_pending=4096) as s:
        with pytest.raises(crayon.CrayonError, match="no point where the ids are final"):
            for _ in range(10):
                s.feed(b" " * 1000)   # one whitespace run: no cut is provable
