"""The standard tiktoken encodings: where their rank files come from and how we find them.

A rank file is looked for, in order:
  1. $CRAYON_TIKTOKEN_DIR/<ranks>.tiktoken (our own variable; e.g. a directory made by
     tests/peers/export_tiktoken.py from the npm package);
  2. tiktoken's download cache: <cache>/<sha1(url)>, where <cache> is $TIKTOKEN_CACHE_DIR, else
     $DATA_GYM_CACHE_DIR, else <tmp>/data-gym-cache — so a machine that already ran tiktoken has them;
  3. a download from the official address (unless $CRAYON_TIKTOKEN_OFFLINE=1), stored in that cache.
Every file is checked against the published sha256. When all three fail, the error names the file,
its address and both places it may be put.

Patterns are the ones of the npm tiktoken 1.0.22 encoders (equivalent to the Python package's
current, possessive spellings); they select Crayon's hand-written pre-tokenizers.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from . import _tiktoken_load as load

CRAYON_DIR_ENV = "CRAYON_TIKTOKEN_DIR"

ENDOFTEXT = "<|endoftext|>"
FIM_PREFIX = "<|fim_prefix|>"
FIM_MIDDLE = "<|fim_middle|>"
FIM_SUFFIX = "<|fim_suffix|>"
ENDOFPROMPT = "<|endofprompt|>"

_BLOB = "https://openaipublic.blob.core.windows.net"

R50K_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
CL100K_PATTERN = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"""
                  r""" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")
O200K_PATTERN = "|".join([
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""\p{N}{1,3}""",
    r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
    r"""\s*[\r\n]+""",
    r"""\s+(?!\S)""",
    r"""\s+""",
])


@dataclass(frozen=True)
class RankSource:
    """One rank file: the name of its .tiktoken in CRAYON_TIKTOKEN_DIR, its official address and
    sha256. GPT-2 was published as vocab.bpe + encoder.json (`data_gym`); its ranks are r50k_base's,
    so the .tiktoken form of them has r50k_base's hash."""
    file_name: str
    url: str
    sha256: str
    data_gym: tuple[tuple[str, str], tuple[str, str]] | None = None


@dataclass(frozen=True)
class EncodingSpec:
    name: str
    ranks: RankSource
    pat_str: str
    special_tokens: dict[str, int] = field(default_factory=dict)
    explicit_n_vocab: int | None = None


_R50K = RankSource("r50k_base.tiktoken", f"{_BLOB}/encodings/r50k_base.tiktoken",
                   "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930")
_GPT2 = RankSource("gpt2.tiktoken", f"{_BLOB}/encodings/r50k_base.tiktoken", _R50K.sha256, data_gym=(
    (f"{_BLOB}/gpt-2/encodings/main/vocab.bpe",
     "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5"),
    (f"{_BLOB}/gpt-2/encodings/main/encoder.json",
     "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783")))
_P50K = RankSource("p50k_base.tiktoken", f"{_BLOB}/encodings/p50k_base.tiktoken",
                   "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069")
_CL100K = RankSource("cl100k_base.tiktoken", f"{_BLOB}/encodings/cl100k_base.tiktoken",
                     "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7")
_O200K = RankSource("o200k_base.tiktoken", f"{_BLOB}/encodings/o200k_base.tiktoken",
                    "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d")

SPECS: dict[str, EncodingSpec] = {s.name: s for s in [
    EncodingSpec("gpt2", _GPT2, R50K_PATTERN, {ENDOFTEXT: 50256}, 50257),
    EncodingSpec("r50k_base", _R50K, R50K_PATTERN, {ENDOFTEXT: 50256}, 50257),
    EncodingSpec("p50k_base", _P50K, R50K_PATTERN, {ENDOFTEXT: 50256}, 50281),
    EncodingSpec("p50k_edit", _P50K, R50K_PATTERN,
                 {ENDOFTEXT: 50256, FIM_PREFIX: 50281, FIM_MIDDLE: 50282, FIM_SUFFIX: 50283}),
    EncodingSpec("cl100k_base", _CL100K, CL100K_PATTERN,
                 {ENDOFTEXT: 100257, FIM_PREFIX: 100258, FIM_MIDDLE: 100259, FIM_SUFFIX: 100260,
                  ENDOFPROMPT: 100276}),
    EncodingSpec("o200k_base", _O200K, O200K_PATTERN, {ENDOFTEXT: 199999, ENDOFPROMPT: 200018}),
]}


class RankFileNotFoundError(FileNotFoundError):
    """No rank file on disk, and it could not be downloaded."""


def _verified(data: bytes, source: RankSource, where: str) -> bytes:
    if load.sha256_hex(data) != source.sha256:
        raise ValueError(f"{where} is not the published {source.file_name} (sha256 mismatch; expected "
                         f"{source.sha256}). Replace or delete it.")
    return data


def _from_data_gym_cache(source: RankSource) -> bytes | None:
    """GPT-2's two original files, when tiktoken's cache has them, converted to .tiktoken bytes."""
    if source.data_gym is None:
        return None
    (bpe_url, bpe_hash), (json_url, json_hash) = source.data_gym
    vocab_bpe = load.read_cached_only(bpe_url, bpe_hash)
    encoder_json = load.read_cached_only(json_url, json_hash)
    if vocab_bpe is None or encoder_json is None:
        return None
    ranks = load.data_gym_to_mergeable_bpe_ranks(vocab_bpe, encoder_json)
    return load.tiktoken_bpe_bytes(ranks)


def rank_file_bytes(source: RankSource) -> bytes:
    """The verified contents of a .tiktoken rank file, found as the module docstring says."""
    tried: list[str] = []
    directory = os.environ.get(CRAYON_DIR_ENV)
    if directory:
        path = os.path.join(directory, source.file_name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                return _verified(f.read(), source, path)
        tried.append(f"{path} (missing)")
    else:
        tried.append(f"${CRAYON_DIR_ENV} (not set)")

    cached = load.read_cached_only(source.url, source.sha256)
    if cached is not None:
        return cached
    cache_file = load.cache_path(source.url)
    tried.append(f"{cache_file} (tiktoken cache for {source.url}: missing or not matching)"
                 if cache_file else "tiktoken cache (disabled: TIKTOKEN_CACHE_DIR is empty)")
    converted = _from_data_gym_cache(source)
    if converted is not None:
        return converted

    try:
        return load.read_file_cached(source.url, source.sha256)
    except (OSError, ValueError) as e:
        tried.append(f"download of {source.url} ({e})")
    raise RankFileNotFoundError(
        f"rank file {source.file_name} not found. Tried:\n  " + "\n  ".join(tried) +
        f"\nDownload {source.url} (sha256 {source.sha256}) and put it at "
        f"$CRAYON_TIKTOKEN_DIR/{source.file_name}"
        + (f" or {cache_file}" if cache_file else "") + ".")
