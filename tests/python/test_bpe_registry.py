"""get_encoding finds rank files the way tiktoken does (plus CRAYON_TIKTOKEN_DIR), checks their
published sha256, and says exactly what to put where when it cannot find them."""
from __future__ import annotations

import hashlib
import shutil

import pytest

import bpe_support
from crayon.compat import tiktoken
from crayon.compat import _tiktoken_registry as registry

pytestmark = bpe_support.requires_peers()

CL100K = registry.SPECS["cl100k_base"].ranks


@pytest.fixture
def clean_env(monkeypatch):
    for var in ("CRAYON_TIKTOKEN_DIR", "TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CRAYON_TIKTOKEN_OFFLINE", "1")
    return monkeypatch


def exported(name: str) -> bytes:
    with open(f"{bpe_support.rank_dir()}/{name}.tiktoken", "rb") as f:
        return f.read()


def test_exported_npm_ranks_are_the_published_files():
    for name in bpe_support.NAMES:
        spec = registry.SPECS[name]
        assert hashlib.sha256(exported(name)).hexdigest() == spec.ranks.sha256, name


def test_standard_names_are_listed_and_loaded_once():
    assert set(bpe_support.NAMES) <= set(tiktoken.list_encoding_names())
    a = bpe_support.get_encoding("cl100k_base")
    assert a is tiktoken.get_encoding("cl100k_base")
    assert a.n_vocab == 100277 and a.eot_token == 100257
    assert bpe_support.get_encoding("o200k_base").n_vocab == 200019
    assert bpe_support.get_encoding("p50k_base").n_vocab == 50281
    assert bpe_support.get_encoding("gpt2").n_vocab == 50257


def test_unknown_names_are_value_errors():
    with pytest.raises(ValueError, match="Unknown encoding"):
        tiktoken.get_encoding("cl200k_base")


def test_encoding_for_model_maps_names():
    assert tiktoken.encoding_name_for_model("gpt-4o-mini") == "o200k_base"
    assert tiktoken.encoding_name_for_model("gpt-4") == "cl100k_base"
    with pytest.raises(KeyError):
        tiktoken.encoding_name_for_model("no-such-model")


def test_crayon_dir_is_used_first(clean_env, tmp_path):
    (tmp_path / "cl100k_base.tiktoken").write_bytes(exported("cl100k_base"))
    clean_env.setenv("CRAYON_TIKTOKEN_DIR", str(tmp_path))
    assert registry.rank_file_bytes(CL100K) == exported("cl100k_base")


@pytest.mark.parametrize("var", ["TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"])
def test_tiktoken_cache_is_found_by_sha1_of_the_url(clean_env, tmp_path, var):
    key = hashlib.sha1(CL100K.url.encode()).hexdigest()
    (tmp_path / key).write_bytes(exported("cl100k_base"))
    clean_env.setenv(var, str(tmp_path))
    assert registry.rank_file_bytes(CL100K) == exported("cl100k_base")


def test_a_corrupt_file_is_refused_with_its_path(clean_env, tmp_path):
    data = bytearray(exported("cl100k_base"))
    data[100:104] = b"AAAA"
    (tmp_path / "cl100k_base.tiktoken").write_bytes(bytes(data))
    clean_env.setenv("CRAYON_TIKTOKEN_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="sha256") as e:
        registry.rank_file_bytes(CL100K)
    assert str(tmp_path) in str(e.value)


def test_a_missing_file_says_what_to_put_where(clean_env, tmp_path):
    clean_env.setenv("CRAYON_TIKTOKEN_DIR", str(tmp_path))
    clean_env.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(tiktoken.RankFileNotFoundError) as e:
        registry.rank_file_bytes(CL100K)
    msg = str(e.value)
    assert "cl100k_base.tiktoken" in msg and CL100K.url in msg and CL100K.sha256 in msg
    assert str(tmp_path / "cache" / hashlib.sha1(CL100K.url.encode()).hexdigest()) in msg


def test_load_tiktoken_bpe_reads_the_exported_file_with_its_hash(tmp_path):
    path = tmp_path / "r50k_base.tiktoken"
    shutil.copy(f"{bpe_support.rank_dir()}/r50k_base.tiktoken", path)
    ranks = tiktoken.load_tiktoken_bpe(str(path), expected_hash=registry.SPECS["r50k_base"].ranks.sha256)
    assert len(ranks) == 50256 and ranks[b"!"] == 0
    with pytest.raises(ValueError):
        tiktoken.load_tiktoken_bpe(str(path), expected_hash="0" * 64)


def test_an_encoding_built_from_loaded_ranks_equals_the_registry_one():
    enc = bpe_support.get_encoding("p50k_base")
    spec = registry.SPECS["p50k_base"]
    ranks = tiktoken.load_tiktoken_bpe(f"{bpe_support.rank_dir()}/p50k_base.tiktoken")
    mine = tiktoken.Encoding("p50k_base", pat_str=spec.pat_str, mergeable_ranks=ranks,
                             special_tokens=spec.special_tokens, explicit_n_vocab=spec.explicit_n_vocab)
    try:
        text = "Hello, world!  It's 2024 \u00e9t\u00e9 \U0001F600\n\n\tdef f(x): return x**2"
        assert mine.encode(text) == enc.encode(text)
        assert mine.token_byte_values() == enc.token_byte_values()
    finally:
        mine.close()


def test_gpt2_data_gym_files_convert_to_r50k_ranks():
    """GPT-2 was published as vocab.bpe (merges) + encoder.json; converted, they are r50k's ranks.
    The two files are rebuilt here from r50k's ranks, in GPT-2's printable-byte alphabet."""
    import json

    import hf_tokenizer
    from crayon.compat import _tiktoken_load

    ranks = tiktoken.load_tiktoken_bpe(f"{bpe_support.rank_dir()}/r50k_base.tiktoken")
    alpha = hf_tokenizer.byte_alphabet()

    def show(b: bytes) -> str:
        return "".join(alpha[x] for x in b)

    merges = hf_tokenizer.merges_from_ranks(ranks)
    assert len(merges) == len(ranks) - 256
    vocab_bpe = ("#version: 0.2\n" + "".join(f"{show(a)} {show(b)}\n" for a, b in merges)).encode()
    encoder = {show(t): r for t, r in ranks.items()}
    encoder["<|endoftext|>"] = 50256
    assert _tiktoken_load.data_gym_to_mergeable_bpe_ranks(vocab_bpe, json.dumps(encoder).encode()) == ranks
    encoder[show(b"!")] = 5  # encoder.json disagreeing with the merges is refused
    with pytest.raises(ValueError):
        _tiktoken_load.data_gym_to_mergeable_bpe_ranks(vocab_bpe, json.dumps(encoder).encode())
