"""crayon.compat.tiktoken.Encoding behaves as tiktoken's Encoding: special-token policy, single
tokens, decoding, errors, pickling, numpy, batches, lone surrogates, invalid ranks.

Most tests use a tiny encoding whose expected ids come from `reference_bpe` below (rank-ordered
merging, written for clarity, not speed), on inputs the split pattern keeps in one piece."""
from __future__ import annotations

import pickle

import pytest

import bpe_support
from crayon.compat import tiktoken
from crayon.compat._tiktoken_registry import CL100K_PATTERN

EOT = "<|endoftext|>"
BOS = "<|bos|>"


def reference_bpe(piece: bytes, ranks: dict[bytes, int]) -> list[int]:
    """Merge the adjacent pair whose concatenation has the lowest rank, until none is a token."""
    parts = [bytes([b]) for b in piece]
    while True:
        best = None
        for i in range(len(parts) - 1):
            r = ranks.get(parts[i] + parts[i + 1])
            if r is not None and (best is None or r < best[0]):
                best = (r, i)
        if best is None:
            return [ranks[p] for p in parts]
        i = best[1]
        parts[i:i + 2] = [parts[i] + parts[i + 1]]


TINY_RANKS = {bytes([b]): b for b in range(256)}
TINY_RANKS.update({b"ab": 256, b"bc": 257, b"abc": 258, b"cd": 259, b" a": 260, b"dd": 261})
TINY_SPECIALS = {BOS: 262, EOT: 263}


@pytest.fixture(scope="module")
def tiny():
    enc = tiktoken.Encoding("tiny", pat_str=CL100K_PATTERN, mergeable_ranks=TINY_RANKS,
                            special_tokens=TINY_SPECIALS)
    yield enc
    enc.close()


# ---- sizes and names -------------------------------------------------------------------------
def test_sizes_follow_the_largest_id(tiny):
    assert tiny.name == "tiny"
    assert tiny.max_token_value == 263
    assert tiny.n_vocab == 264
    assert tiny.eot_token == 263
    assert tiny.special_tokens_set == {BOS, EOT}
    assert repr(tiny) == "<Encoding 'tiny'>"


@pytest.mark.parametrize("word", ["abcd", "abcdd", "dcba", "abcabc", "bcab", "ddd"])
def test_ordinary_encoding_merges_by_rank(tiny, word):
    assert tiny.encode_ordinary(word) == reference_bpe(word.encode(), TINY_RANKS)
    assert tiny.encode(word) == tiny.encode_ordinary(word)


# ---- special tokens: tiktoken's policy --------------------------------------------------------
def test_special_text_is_refused_by_default_with_a_message_that_says_how_to_allow_it(tiny):
    with pytest.raises(ValueError) as e:
        tiny.encode(f"abc{EOT}d")
    msg = str(e.value)
    assert repr(EOT) in msg and "allowed_special" in msg and "disallowed_special=()" in msg


def test_allowed_special_emits_the_id(tiny):
    plain = tiny.encode_ordinary("abc")
    assert tiny.encode(f"abc{EOT}", allowed_special="all") == plain + [263]
    assert tiny.encode(f"abc{EOT}", allowed_special={EOT}) == plain + [263]
    assert tiny.encode(f"{BOS}abc{EOT}", allowed_special="all") == [262] + plain + [263]


def test_allowing_one_special_still_refuses_the_other(tiny):
    with pytest.raises(ValueError, match="bos"):
        tiny.encode(f"{BOS}abc{EOT}", allowed_special={EOT})


def test_disallowed_empty_makes_special_text_ordinary(tiny):
    text = f"abc{EOT}abc"
    assert tiny.encode(text, disallowed_special=()) == tiny.encode_ordinary(text)
    assert 263 not in tiny.encode(text, disallowed_special=())


def test_only_listed_specials_are_disallowed(tiny):
    assert tiny.encode(f"a{EOT}", disallowed_special={BOS}) == tiny.encode_ordinary(f"a{EOT}")
    with pytest.raises(ValueError):
        tiny.encode(f"a{BOS}", disallowed_special={BOS})


def test_allowed_special_that_is_not_a_special_token_changes_nothing(tiny):
    assert tiny.encode("abcd", allowed_special={"abcd"}) == tiny.encode_ordinary("abcd")


# ---- single tokens -----------------------------------------------------------------------------
def test_encode_single_token_finds_ordinary_and_special_tokens(tiny):
    assert tiny.encode_single_token("abc") == 258
    assert tiny.encode_single_token(b"\xff") == 255
    assert tiny.encode_single_token(EOT) == 263


@pytest.mark.parametrize("text", ["abcd", "", "zz", b"\xff\xfe"])
def test_encode_single_token_raises_key_error_when_not_one_token(tiny, text):
    with pytest.raises(KeyError):
        tiny.encode_single_token(text)


# ---- decoding ----------------------------------------------------------------------------------
def test_decode_round_trips_and_includes_specials(tiny):
    ids = tiny.encode(f"abcd{EOT} abc", allowed_special="all")
    assert tiny.decode_bytes(ids) == f"abcd{EOT} abc".encode()
    assert tiny.decode(ids) == f"abcd{EOT} abc"
    assert tiny.decode_tokens_bytes([258, 263]) == [b"abc", EOT.encode()]
    assert tiny.decode_single_token_bytes(263) == EOT.encode()


def test_decode_replaces_invalid_utf8_unless_strict(tiny):
    assert tiny.decode([97, 0xFF]) == "a\ufffd"
    with pytest.raises(UnicodeDecodeError):
        tiny.decode([97, 0xFF], errors="strict")


@pytest.mark.parametrize("bad", [264, 10_000, -1, 2 ** 31, 2 ** 40])
def test_unknown_ids_raise_key_error(tiny, bad):
    with pytest.raises(KeyError):
        tiny.decode_bytes([97, bad])
    with pytest.raises(KeyError):
        tiny.decode([bad])
    with pytest.raises(KeyError):
        tiny.decode_single_token_bytes(bad)
    with pytest.raises(KeyError, match=str(bad)):
        tiny.decode_tokens_bytes([97, 256, bad, 98])


def test_token_bytes_are_kept_but_not_past_close():
    enc = tiktoken.Encoding("tiny2", pat_str=CL100K_PATTERN, mergeable_ranks=TINY_RANKS, special_tokens=TINY_SPECIALS)
    assert enc.decode_single_token_bytes(258) == b"abc" and enc.decode_single_token_bytes(258) == b"abc"
    assert enc.decode_tokens_bytes([258, 263, 97]) == [b"abc", EOT.encode(), b"a"]
    enc.close()
    with pytest.raises(ValueError, match="closed"):
        enc.decode_single_token_bytes(258)


def test_decode_with_offsets_points_at_characters(tiny):
    # "ab\u00e9cd" is one piece: a b C3 A9 c d -> [ab, C3, A9, cd]; the token A9 starts inside
    # "\u00e9", so it gets the offset of that character (2), like C3.
    ids = tiny.encode("ab\u00e9cd")
    assert ids == [256, 0xC3, 0xA9, 259] == reference_bpe("ab\u00e9cd".encode(), TINY_RANKS)
    assert tiny.decode_with_offsets(ids) == ("ab\u00e9cd", [0, 2, 2, 3])


def test_token_byte_values_are_the_sorted_mergeable_tokens(tiny):
    assert tiny.token_byte_values() == sorted(TINY_RANKS)


# ---- pickling ----------------------------------------------------------------------------------
def test_pickle_round_trip_rebuilds_an_equal_encoding(tiny):
    back = pickle.loads(pickle.dumps(tiny))
    try:
        assert back is not tiny
        assert (back.name, back.n_vocab, back.special_tokens_set) == (tiny.name, tiny.n_vocab, tiny.special_tokens_set)
        text = f"abcd dd {EOT}"
        assert back.encode(text, allowed_special="all") == tiny.encode(text, allowed_special="all")
        assert back._mergeable_ranks == TINY_RANKS
    finally:
        back.close()


def test_registry_encodings_pickle_by_name():
    enc = bpe_support.get_encoding("r50k_base")
    assert pickle.loads(pickle.dumps(enc)) is enc
    assert len(pickle.dumps(enc)) < 200


# ---- numpy ---------------------------------------------------------------------------------------
def test_encode_to_numpy_views_the_native_buffer(tiny):
    np = pytest.importorskip("numpy")
    arr = tiny.encode_to_numpy(f"abcd dd{EOT}", allowed_special="all")
    assert arr.dtype == np.uint32
    assert arr.tolist() == tiny.encode(f"abcd dd{EOT}", allowed_special="all")
    assert not arr.flags.owndata  # a view over the buffer the library wrote, not a copy
    with pytest.raises(ValueError):
        tiny.encode_to_numpy(EOT)


def test_encode_reuses_a_per_thread_buffer_without_mixing_results(tiny):
    """encode_ordinary and encode write into the calling thread's reused output buffer and copy the ids
    out: results stay right as texts grow past the buffer and shrink again, while other threads encode
    other texts, and a returned list does not change with the next call."""
    import random
    import threading
    rng = random.Random(7)
    texts = ["", "a", "abcd dd", "dd" * 200, " a" * 3000, "abc", "\u00e9\U0001F600 abc\n\n" * 50]
    texts += ["".join(rng.choice("abcd \n\u00e9") for _ in range(rng.randrange(1, 2000))) for _ in range(40)]
    expected = [reference_encode(t) for t in texts]
    first = tiny.encode_ordinary(texts[3])
    assert [tiny.encode_ordinary(t) for t in texts] == expected
    assert first == expected[3]   # not overwritten by the calls after it
    assert [tiny.encode(t) for t in texts] == expected
    big = "dd abc " * 60_000   # more ids than a thread keeps a buffer for: a buffer of its own
    assert tiny.encode_ordinary(big) == reference_encode("dd abc ") * 60_000
    assert tiny.decode(tiny.encode_ordinary(big)) == big and tiny.encode_ordinary("abc") == [258]
    errors = []

    def work(seed: int) -> None:
        order = list(range(len(texts)))
        random.Random(seed).shuffle(order)
        for _ in range(20):
            for i in order:
                if tiny.encode_ordinary(texts[i]) != expected[i] or tiny.encode(texts[i]) != expected[i]:
                    errors.append(i)
    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_allowing_all_by_flag_equals_allowing_each_by_name(tiny):
    text = f"ab{BOS} cd{EOT}{EOT}dd {BOS}"
    by_flag = tiny.encode(text, allowed_special="all")
    assert by_flag == tiny.encode(text, allowed_special={BOS, EOT})
    assert by_flag.count(262) == 2 and by_flag.count(263) == 2 and tiny.decode(by_flag) == text
    only_eot = tiny.encode(text, allowed_special={EOT}, disallowed_special=())
    assert 262 not in only_eot and only_eot.count(263) == 2 and tiny.decode(only_eot) == text


def test_default_encode_of_an_encoding_without_specials_refuses_nothing():
    with tiktoken.Encoding("plain", pat_str=CL100K_PATTERN, mergeable_ranks=TINY_RANKS, special_tokens={}) as enc:
        assert enc.encode(f"ab {EOT}") == enc.encode_ordinary(f"ab {EOT}")
        assert enc.encode("") == []


def reference_encode(text: str) -> list[int]:
    """The tiny encoding by the reference merge, piece by piece (no special tokens in the text)."""
    import regex
    return [i for piece in regex.findall(CL100K_PATTERN, text)
            for i in reference_bpe(piece.encode("utf-8"), TINY_RANKS)]


# ---- batches -------------------------------------------------------------------------------------
@pytest.mark.parametrize("threads", [1, 2, 8])
def test_batch_equals_single(tiny, threads):
    few = ["abcd", "", " a ab abc", "dd" * 50, "\u00e9\U0001F600 abc\n\n", EOT]
    for texts in (few, few * 3):   # a few short texts go one call each, more in one batch call
        assert tiny.encode_ordinary_batch(texts, num_threads=threads) == [tiny.encode_ordinary(t) for t in texts]
        allowed = tiny.encode_batch(texts, allowed_special="all", num_threads=threads)
        assert allowed == [tiny.encode(t, allowed_special="all") for t in texts]
        assert tiny.encode_batch(texts, allowed_special={EOT}) == [tiny.encode(t, allowed_special={EOT}) for t in texts]


def test_batch_to_numpy_matches_the_lists(tiny):
    np = pytest.importorskip("numpy")
    texts = ["abcd", "", " a ab abc", "dd" * 50, EOT]
    ids, offsets = tiny.encode_ordinary_batch_to_numpy(texts, num_threads=2)
    assert ids.dtype == np.uint32 and offsets.dtype == np.int64 and len(offsets) == len(texts) + 1
    assert [ids[offsets[i]:offsets[i + 1]].tolist() for i in range(len(texts))] == \
        tiny.encode_ordinary_batch(texts)


def test_numpy_batch_survives_the_next_batch(tiny):
    pytest.importorskip("numpy")
    texts = ["abcd", " a ab abc", "dd" * 50]
    ids, offsets = tiny.encode_ordinary_batch_to_numpy(texts)
    expected = ids.tolist()
    tiny.encode_ordinary_batch_to_numpy(["b" * 3000, "cd" * 700])   # same thread: the same scratch buffer
    tiny.encode_ordinary_batch(["a" * 5000])
    assert ids.tolist() == expected


def test_batch_of_nothing_is_empty(tiny):
    assert tiny.encode_ordinary_batch([]) == []
    assert tiny.encode_batch([]) == []


def test_batch_applies_the_special_policy(tiny):
    with pytest.raises(ValueError):
        tiny.encode_batch(["abc", f"x{EOT}"])


# ---- lone surrogates: tiktoken's repair ------------------------------------------------------------
def test_lone_surrogates_become_replacement_characters(tiny):
    assert tiny.encode("ab\ud800cd") == tiny.encode("ab\ufffdcd")
    assert tiny.encode_ordinary("\udfffab") == tiny.encode_ordinary("\ufffdab")
    assert tiny.encode_ordinary_batch(["x\ud800"]) == [tiny.encode_ordinary("x\ufffd")]


def test_surrogate_pairs_are_joined(tiny):
    assert tiny.encode_ordinary("a\ud83d\ude00") == tiny.encode_ordinary("a\U0001F600")


# ---- invalid construction --------------------------------------------------------------------------
def test_duplicate_ranks_are_refused():
    ranks = dict(TINY_RANKS)
    ranks[b"zz"] = 5  # rank 5 already belongs to b"\x05"
    with pytest.raises(ValueError):
        tiktoken.Encoding("dup", pat_str=CL100K_PATTERN, mergeable_ranks=ranks, special_tokens={})


def test_explicit_n_vocab_is_checked_like_tiktoken():
    with pytest.raises(AssertionError):
        tiktoken.Encoding("n", pat_str=CL100K_PATTERN, mergeable_ranks=TINY_RANKS,
                          special_tokens=TINY_SPECIALS, explicit_n_vocab=300)
    ok = tiktoken.Encoding("n", pat_str=CL100K_PATTERN, mergeable_ranks=TINY_RANKS,
                           special_tokens=TINY_SPECIALS, explicit_n_vocab=264)
    ok.close()


def test_keys_must_be_bytes_and_ranks_present():
    with pytest.raises(TypeError):
        tiktoken.Encoding("s", pat_str=CL100K_PATTERN, mergeable_ranks={"a": 0}, special_tokens={})
    with pytest.raises(ValueError):
        tiktoken.Encoding("e", pat_str=CL100K_PATTERN, mergeable_ranks={}, special_tokens={})


def test_malformed_rank_file_names_the_line(tmp_path):
    bad = tmp_path / "bad.tiktoken"
    bad.write_bytes(b"YQ== 0\nnot-base64!! 1\n")
    with pytest.raises(ValueError, match="not-base64"):
        tiktoken.load_tiktoken_bpe(str(bad))
    bad.write_bytes(b"YQ== zero\n")
    with pytest.raises(ValueError, match="zero"):
        tiktoken.load_tiktoken_bpe(str(bad))


def test_dump_and_load_round_trip(tmp_path):
    path = tmp_path / "tiny.tiktoken"
    tiktoken.dump_tiktoken_bpe(TINY_RANKS, str(path))
    assert tiktoken.load_tiktoken_bpe(str(path)) == TINY_RANKS
    assert path.read_bytes().splitlines()[256] == b"YWI= 256"


def test_closed_encoding_refuses_calls():
    enc = tiktoken.Encoding("c", pat_str=CL100K_PATTERN, mergeable_ranks=TINY_RANKS, special_tokens={})
    enc.close()
    enc.close()  # twice is harmless
    with pytest.raises(ValueError, match="closed"):
        enc.encode_ordinary("abc")
