"""crayon.compat.tokenizers against Hugging Face `tokenizers` (npm, tests/peers/hf_encode.js) on real text.

Five byte-level BPE tokenizer.json files, each encoded by both sides with ids, tokens and (character)
offsets compared document by document:
  gpt2     GPT-2's own layout (ByteLevel pre-tokenizer with its regex, <|endoftext|>, trimmed offsets),
           merges recovered from the gpt2 ranks;
  roberta  the same with add_prefix_space, RobertaProcessing (<s> ... </s>) and an lstrip <mask>;
  llama3   merges trained by HF's own trainer, Llama-3's Split regex, BOS by TemplateProcessing,
           ignore_merges, special and non-special added tokens with lstrip/rstrip/normalized;
  qwen2    the same merges with Qwen-2's Split regex (single digits) and its chat tokens;
  rustbpe  a tokenizer trained by crayon.compat.rustbpe and saved as tokenizer.json.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from train_support import PEERS, ROOT, requires_npm  # noqa: E402
import corpus  # noqa: E402

sys.path.insert(0, str(PEERS))
from hf_tokenizer import merges_from_ranks  # noqa: E402

from crayon.compat import rustbpe  # noqa: E402
from crayon.compat._tiktoken_load import load_tiktoken_bpe  # noqa: E402
from crayon.compat.tokenizers import (GPT2_PATTERN, Tokenizer, UnsupportedTokenizerError,  # noqa: E402
                                      bytes_to_token)

pytestmark = requires_npm("tokenizers")

LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
          r"\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
         r"\s*[\r\n]+|\s+(?!\S)|\s+")
BYTE_LEVEL = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}


def added(id_, content, special=True, lstrip=False, rstrip=False, normalized=None, single_word=False):
    return {"id": id_, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": (not special) if normalized is None else normalized, "special": special}


def bpe(vocab, merges, ignore_merges=False):
    return {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
            "ignore_merges": ignore_merges, "vocab": vocab, "merges": merges}


def split_then_bytes(pattern):
    return {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False}, BYTE_LEVEL]}


DOCS = [d for kind in ("english", "code", "multilingual", "emoji") for d in corpus.documents(kind, 60_000)]


def chat_docs(tokens: list[str]) -> list[str]:
    """Documents with added tokens in them, in the places lstrip/rstrip/normalized act on."""
    a, b, c = tokens[:3]
    return [f"{a}system\nYou are helpful.{b}\n{a}user\nHi  {c}  there{b}", f"x{a}{a}  {c}\n{c}y {b}",
            f"  {c}", f"{c}  ", f"{a}", "", " ", f"{b[:-1]} {a[1:]}", f"text{c}{c}text  ", f"😀{c} é{b}"]


def hf(path: Path, docs: list[str], add_special_tokens=True, decode=(), skip_special_tokens=True) -> dict:
    req = {"docs": docs, "add_special_tokens": add_special_tokens, "decode": list(decode),
           "skip_special_tokens": skip_special_tokens}
    r = subprocess.run(["node", str(PEERS / "hf_encode.js"), str(path)], input=json.dumps(req),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("hfjson")
    out = {}

    ranks = load_tiktoken_bpe(str(ROOT / "build" / "tiktoken" / "gpt2.tiktoken"))
    vocab = {bytes_to_token(t): r for t, r in ranks.items()}
    vocab["<|endoftext|>"] = 50256
    out["gpt2"] = {
        "version": "1.0", "truncation": None, "padding": None, "normalizer": None,
        "added_tokens": [added(50256, "<|endoftext|>")],
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": bpe(vocab, [f"{bytes_to_token(a)} {bytes_to_token(b)}" for a, b in merges_from_ranks(ranks)]),
    }

    out["roberta"] = dict(out["gpt2"], pre_tokenizer=dict(out["gpt2"]["pre_tokenizer"], add_prefix_space=True),
                          added_tokens=[added(50256, "<|endoftext|>"), added(50257, "<s>"),
                                                     added(50258, "</s>"), added(50259, "<mask>", lstrip=True)],
                          post_processor={"type": "RobertaProcessing", "sep": ["</s>", 50258], "cls": ["<s>", 50257],
                                          "trim_offsets": True, "add_prefix_space": True})

    # HF's trainer: merges that were never derived from ranks.
    text = tmp / "train.txt"
    text.write_text("\n".join(DOCS), encoding="utf-8")
    trained = tmp / "trained.json"
    r = subprocess.run(["node", str(PEERS / "hf_train.js"), "--pattern", LLAMA3, "--out", str(trained), str(text)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    model = json.loads(trained.read_text(encoding="utf-8"))["model"]
    n = len(model["vocab"])
    out["llama3"] = {
        "version": "1.0", "truncation": None, "padding": None, "normalizer": None,
        "added_tokens": [added(n, "<|begin_of_text|>"), added(n + 1, "<|eot_id|>"),
                         added(n + 2, "<tool>", special=False, lstrip=True, rstrip=True),
                         added(n + 3, "<|end_header_id|>", rstrip=True), added(n + 4, "hello", special=False)],
        "pre_tokenizer": split_then_bytes(LLAMA3),
        "post_processor": {"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                        {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                      {"Sequence": {"id": "A", "type_id": 0}},
                      {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}},
                      {"Sequence": {"id": "B", "type_id": 1}}],
             "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [n],
                                                      "tokens": ["<|begin_of_text|>"]}}}]},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": dict(model, ignore_merges=True),
    }
    out["qwen2"] = {
        "version": "1.0", "truncation": None, "padding": None, "normalizer": None,
        "added_tokens": [added(n, "<|endoftext|>"), added(n + 1, "<|im_start|>"), added(n + 2, "<|im_end|>"),
                         added(n + 3, "<think>", special=False, normalized=False)],
        "pre_tokenizer": split_then_bytes(QWEN2),
        "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "decoder": BYTE_LEVEL,
        "model": dict(model, ignore_merges=False),
    }

    tok = rustbpe.Tokenizer()
    tok.train_from_iterator(DOCS, 2000, pattern=LLAMA3)
    path = tmp / "rustbpe.json"
    Tokenizer.from_rustbpe(tok, {"<|bos|>": 2000, "<|eos|>": 2001}).save(path)
    out["rustbpe"] = path
    out["_rustbpe_trainer"] = tok

    for name in ("gpt2", "roberta", "llama3", "qwen2"):
        path = tmp / f"{name}.json"
        path.write_text(json.dumps(out[name], ensure_ascii=False), encoding="utf-8")
        out[name] = path
    return out


SPECIALS = {"gpt2": ["<|endoftext|>", "<|endoftext|>", "<|endoftext|>"],
            "llama3": ["<|begin_of_text|>", "<|eot_id|>", "<tool>"],
            "qwen2": ["<|im_start|>", "<|im_end|>", "<think>"],
            "roberta": ["<s>", "</s>", "<mask>"],
            "rustbpe": ["<|bos|>", "<|eos|>", "<|bos|>"]}


def assert_same(ours, theirs, docs):
    for i, (e, h) in enumerate(zip(ours, theirs)):
        assert e.ids == h["ids"], f"doc {i}: {docs[i][:80]!r}"
        assert e.tokens == h["tokens"], f"doc {i}"
        assert [list(o) for o in e.offsets] == h["offsets"], f"doc {i}: {docs[i][:80]!r}"


@pytest.mark.parametrize("name", ["gpt2", "roberta", "llama3", "qwen2", "rustbpe"])
def test_encode_matches_hf_ids_tokens_offsets(files, name):
    docs = DOCS + chat_docs(SPECIALS[name])
    tok = Tokenizer.from_file(files[name])
    ours = tok.encode_batch(docs)
    theirs = hf(files[name], docs, decode=[e.ids for e in ours[-12:]] + [e.ids[:k] for e in ours[:40] for k in (3, 7)])
    assert_same(ours, theirs["encodings"], docs)
    assert theirs["vocab_size"] == tok.get_vocab_size()
    decoded = [tok.decode(e.ids) for e in ours[-12:]] + [tok.decode(e.ids[:k]) for e in ours[:40] for k in (3, 7)]
    assert decoded == theirs["decoded"]


@pytest.mark.parametrize("name", ["roberta", "llama3", "qwen2"])
def test_without_special_tokens_and_keeping_them_in_decode(files, name):
    docs = chat_docs(SPECIALS[name])
    tok = Tokenizer.from_file(files[name])
    ours = [tok.encode(d, add_special_tokens=False) for d in docs]
    theirs = hf(files[name], docs, add_special_tokens=False, decode=[e.ids for e in ours], skip_special_tokens=False)
    assert_same(ours, theirs["encodings"], docs)
    assert [tok.decode(e.ids, skip_special_tokens=False) for e in ours] == theirs["decoded"]


def test_rustbpe_tokenizer_json_gives_rustbpe_ids(files):
    trainer = files["_rustbpe_trainer"]
    tok = Tokenizer.from_file(files["rustbpe"])
    docs = DOCS[:50]
    assert [e.ids for e in tok.encode_batch(docs, add_special_tokens=False)] == trainer.batch_encode(docs)


def test_vocab_lookups_save_pickle_and_close(files, tmp_path):
    tok = Tokenizer.from_file(files["llama3"])
    n = tok.token_to_id("<|begin_of_text|>")
    assert tok.id_to_token(n) == "<|begin_of_text|>"
    assert tok.token_to_id("Ġthe") is not None and tok.id_to_token(tok.token_to_id("Ġthe")) == "Ġthe"
    assert tok.id_to_token(10 ** 9) is None
    tok.save(tmp_path / "again.json")
    again = Tokenizer.from_file(tmp_path / "again.json")
    assert again.encode("Hello world").ids == tok.encode("Hello world").ids
    import pickle
    assert pickle.loads(pickle.dumps(tok)).encode("Hello <|eot_id|>").ids == tok.encode("Hello <|eot_id|>").ids
    with Tokenizer.from_file(files["qwen2"]) as closed:
        pass
    with pytest.raises(ValueError, match="closed"):
        closed.encode("x")


@pytest.mark.parametrize("where, component, message", [
    ("normalizer", {"type": "Precompiled", "precompiled_charsmap": ""}, "normalizer Precompiled is not supported"),
    ("normalizer", {"type": "NFKC"}, "normalizer NFKC is not supported"),
    ("model", {"type": "WordPiece", "vocab": {}}, "model WordPiece is not supported"),
    ("model", {"type": "Unigram", "vocab": []}, "model Unigram is not supported"),
    ("pre_tokenizer", {"type": "Metaspace", "replacement": "▁"}, "pre_tokenizer Metaspace"),
    ("pre_tokenizer", dict(split_then_bytes(QWEN2), pretokenizers=[split_then_bytes(QWEN2)["pretokenizers"][0],
                                                                     dict(BYTE_LEVEL, add_prefix_space=True)]),
     "add_prefix_space=true"),
    ("post_processor", {"type": "BertProcessing"}, "post_processor BertProcessing is not supported"),
    ("decoder", {"type": "Metaspace"}, "decoder Metaspace is not supported"),
    ("truncation", {"max_length": 8}, "truncation is not supported"),
])
def test_refuses_what_it_cannot_reproduce(files, where, component, message):
    spec = json.loads(Path(files["qwen2"]).read_text(encoding="utf-8"))
    spec[where] = component
    with pytest.raises(UnsupportedTokenizerError, match=message):
        Tokenizer(spec)


def test_refuses_merges_rank_order_bpe_would_not_take():
    vocab = {bytes_to_token(bytes([b])): b for b in range(256)}
    vocab.update({"ab": 256, "bc": 257, "abc": 258})
    spec = {"normalizer": None, "pre_tokenizer": split_then_bytes(GPT2_PATTERN), "decoder": BYTE_LEVEL,
            "post_processor": None, "added_tokens": [], "model": bpe(vocab, ["b c", "a b", "ab c"])}
    # bc is made first, so rank-order BPE on "abc" ends with a + bc, whose merge HF does not have.
    with pytest.raises(UnsupportedTokenizerError, match="'abc'.*'a' \\+ 'bc'.*'ab' \\+ 'c'"):
        Tokenizer(spec)
    # Here rank-order BPE would join ab + c, for which HF has no merge.
    spec["model"]["merges"] = ["a b", "b c", "a bc"]
    with pytest.raises(UnsupportedTokenizerError, match="'abc'.*'ab' \\+ 'c'.*'a' \\+ 'bc'"):
        Tokenizer(spec)
    # abcde cannot be made by either engine (both stop at ab c de); a whole-piece lookup must not find it.
    vocab.update({"de": 259, "bcde": 260, "abcde": 261})
    spec["model"]["merges"] = ["a b", "d e", "b c", "bc de", "a bcde"]
    assert Tokenizer(spec).encode("abcde").tokens == ["ab", "c", "de"]


def test_single_word_added_tokens_match_only_whole_words_as_hf(files, tmp_path):
    spec = json.loads(Path(files["gpt2"]).read_text(encoding="utf-8"))   # every byte has a token
    n = max(t["id"] for t in spec["added_tokens"]) + 1
    spec["added_tokens"] += [added(n, "world", special=False, single_word=True),
                             added(n + 1, "<sw>", single_word=True, lstrip=True, rstrip=True),
                             added(n + 2, "ab", special=False, single_word=True, normalized=False)]
    path = tmp_path / "single_word.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    around = ["", " ", "x", "_", "3", "é", "e\u0301", "\u0301", "Ⓐ", "Ⅻ", "‿", "\u200d", "!", "😀", "-", "日", "\n"]
    docs = [f"{a}{w}{b}" for w in ("world", "<sw>", "ab") for a in around for b in around]
    docs += ["hello world, worldwide world's underworld", "ab abc cab ab.ab", " <sw> x<sw> <sw>y <sw>"]
    tok = Tokenizer.from_file(path)
    ours = tok.encode_batch(docs)
    assert_same(ours, hf(path, docs)["encodings"], docs)
    assert any("world" in e.tokens for e in ours) and any(e.tokens.count("world") == 0 for e in ours)


def tiny_spec(merges, extra_vocab, pattern=GPT2_PATTERN):
    vocab = {bytes_to_token(bytes([b])): b for b in range(256)}
    vocab.update({t: 256 + k for k, t in enumerate(extra_vocab)})
    return {"normalizer": None, "pre_tokenizer": split_then_bytes(pattern), "decoder": BYTE_LEVEL,
            "post_processor": None, "added_tokens": [], "model": bpe(vocab, merges)}


def test_token_no_engine_can_make_is_not_found_whole(tmp_path):
    # Rank-order BPE on "abcde" stops at ab c de, as HF does; abcde must not be found by lookup.
    spec = tiny_spec(["a b", "d e", "b c", "bc de", "a bcde"], ["ab", "de", "bc", "bcde", "abcde"])
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    docs = ["abcde", "abcde xabcdex bcde"]
    assert_same(Tokenizer(spec).encode_batch(docs), hf(path, docs)["encodings"], docs)


def test_text_hf_would_handle_differently_raises(files):
    # A byte the vocabulary lacks (HF drops it silently) ...
    tok = Tokenizer.from_file(files["llama3"])
    missing = next(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c < 0xE000
                   and any(tok.token_to_id(bytes_to_token(bytes([b]))) is None for b in chr(c).encode()))
    with pytest.raises(UnsupportedTokenizerError, match="has no token in the vocab"):
        tok.encode(f"a{missing}b")
    # ... and text a Split regex leaves unmatched (HF keeps it as a piece of its own).
    spec = tiny_spec([], [], pattern=r"\p{L}+")
    assert Tokenizer(spec).encode("ab").tokens == ["a", "b"]
    with pytest.raises(UnsupportedTokenizerError, match="unmatched"):
        Tokenizer(spec).encode("ab cd")


@pytest.mark.parametrize("skip", [True, False])
def test_added_tokens_outside_the_byte_alphabet_encode_and_decode_as_hf(files, tmp_path, skip):
    spec = json.loads(Path(files["qwen2"]).read_text(encoding="utf-8"))
    n = len(spec["model"]["vocab"]) + len(spec["added_tokens"])
    spec["added_tokens"] += [added(n, "<｜tool▁call｜>", special=False),
                             added(n + 1, "héllo wörld", special=False),
                             added(n + 2, "ĠÃ©", special=False), added(n + 3, "<｜end▁of▁sentence｜>")]
    path = tmp_path / "more.json"
    path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    tok = Tokenizer.from_file(path)
    docs = ["a<｜tool▁call｜>b héllo wörld é ĠÃ© x<｜end▁of▁sentence｜>😀"]
    ids = tok.encode(docs[0]).ids
    seqs = [ids, ids[:-1], ids[-2:]]
    theirs = hf(path, docs, decode=seqs, skip_special_tokens=skip)
    assert_same([tok.encode(docs[0])], theirs["encodings"], docs)
    assert [tok.decode(s, skip_special_tokens=skip) for s in seqs] == theirs["decoded"]


class _CHf:
    """The C ABI's crayon_hf, straight through ctypes (what C, C++, Rust and Zig callers get)."""

    def __init__(self, path: Path):
        import ctypes
        from crayon import _native
        self.lib, self.ct = _native.lib(), ctypes
        self.h = ctypes.c_void_p()
        _native.check(self.lib.crayon_hf_load(str(path).encode(), ctypes.byref(self.h)))

    def encode(self, text: str, add_special_tokens: bool) -> list[int]:
        data = text.encode("utf-8")
        out = (self.ct.c_int32 * (4 * len(data) + 8))()
        n = self.lib.crayon_hf_encode(self.h, data, len(data), int(add_special_tokens), out, len(out))
        assert n >= 0, self.lib.crayon_last_error()
        return out[:n]

    def decode(self, ids: list[int], skip: bool) -> str:
        arr = (self.ct.c_int32 * max(1, len(ids)))(*ids)
        need = -self.lib.crayon_hf_decode(self.h, arr, len(ids), int(skip), None, 0)
        if need <= 0:
            return ""
        buf = self.ct.create_string_buffer(need)
        assert self.lib.crayon_hf_decode(self.h, arr, len(ids), int(skip), buf, need) == need
        return buf.raw[:need].decode("utf-8", "replace")

    def close(self):
        self.lib.crayon_hf_free(self.h)


@pytest.mark.parametrize("name", ["gpt2", "roberta", "llama3", "qwen2", "rustbpe", "single_word"])
def test_the_c_abi_gives_hf_ids_and_text(files, name, tmp_path):
    path = files.get(name)
    if name == "single_word":   # the file of the single_word test, built again here
        spec = json.loads(Path(files["gpt2"]).read_text(encoding="utf-8"))
        spec["added_tokens"] += [added(50257, "world", special=False, single_word=True),
                                 added(50258, "<sw>", single_word=True, lstrip=True, rstrip=True)]
        path = tmp_path / "single_word.json"
        path.write_text(json.dumps(spec), encoding="utf-8")
    docs = DOCS[:60] + chat_docs(SPECIALS.get(name, ["world", "<sw>", "<|endoftext|>"]))
    c = _CHf(path)
    try:
        for add in (True, False):
            ours = [c.encode(d, add) for d in docs]
            theirs = hf(path, docs, add_special_tokens=add, decode=ours[-12:], skip_special_tokens=add)
            assert ours == [h["ids"] for h in theirs["encodings"]], name
            assert [c.decode(ids, add) for ids in ours[-12:]] == theirs["decoded"]
        assert c.lib.crayon_hf_vocab_size(c.h) == theirs["vocab_size"]
    finally:
        c.close()


def test_the_c_abi_refuses_clearly(files, tmp_path):
    import ctypes
    from crayon import _native
    lib, h = _native.lib(), ctypes.c_void_p()
    bad = tmp_path / "bad.json"
    spec = json.loads(Path(files["qwen2"]).read_text(encoding="utf-8"))
    spec["normalizer"] = {"type": "NFKC"}
    bad.write_text(json.dumps(spec), encoding="utf-8")
    assert lib.crayon_hf_load(str(bad).encode(), ctypes.byref(h)) == -6 and not h.value   # CRAYON_E_UNSUPPORTED
    assert b"normalizer NFKC is not supported" in lib.crayon_last_error()
    assert lib.crayon_hf_load_buffer(b"{not json", 9, ctypes.byref(h)) == -3                  # CRAYON_E_FORMAT
    assert lib.crayon_hf_load(str(tmp_path / "missing.json").encode(), ctypes.byref(h)) == -2  # CRAYON_E_IO
    c = _CHf(files["gpt2"])
    try:
        out = (ctypes.c_int32 * 4)()
        assert lib.crayon_hf_encode(c.h, b"\xff\xfe", 2, 0, out, 4) == -(1 << 63)   # CRAYON_FAILED
        assert lib.crayon_last_status() == -8                                        # CRAYON_E_INVALID_UTF8
        assert lib.crayon_hf_encode(c.h, b"hello world", 11, 0, out, 1) == -2       # room for 2 ids needed
    finally:
        c.close()
