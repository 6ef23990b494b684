"""Rank files: the `.tiktoken` format, tiktoken's download cache, GPT-2's data-gym files, and the
npm `tiktoken` package's encoder JSON (which our tests use as their source of rank files).

`.tiktoken`: one line per token, `base64(token bytes) SPACE rank NEWLINE`, in rank order.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tempfile
import urllib.error
import urllib.request
import uuid

DOWNLOAD_TIMEOUT_S = 15.0
OFFLINE_ENV = "CRAYON_TIKTOKEN_OFFLINE"  # "1": never touch the network, only look on disk


# ---- the .tiktoken format ------------------------------------------------------------------------
def parse_tiktoken_bpe(contents: bytes, source: str = "<memory>") -> dict[bytes, int]:
    """Ranks from the contents of a .tiktoken file; a malformed line is a ValueError naming it."""
    ranks: dict[bytes, int] = {}
    for line in contents.splitlines():
        if not line:
            continue
        parts = line.split()
        try:
            if len(parts) != 2:
                raise ValueError("expected 'base64 rank'")
            token = base64.b64decode(parts[0], validate=True)
            rank = int(parts[1])
        except (ValueError, binascii.Error) as e:
            raise ValueError(f"Error parsing line {line[:80]!r} in {source}: {e}") from None
        ranks[token] = rank
    return ranks


def tiktoken_bpe_bytes(ranks: dict[bytes, int]) -> bytes:
    """The .tiktoken file for ranks (sorted by rank), as tiktoken writes it."""
    out = []
    for token, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        out.append(base64.b64encode(token) + b" " + str(rank).encode() + b"\n")
    return b"".join(out)


def dump_tiktoken_bpe(bpe_ranks: dict[bytes, int], tiktoken_bpe_file: str) -> None:
    """Writes ranks as a .tiktoken file (a local path; written to a temporary name, then renamed)."""
    data = tiktoken_bpe_bytes(bpe_ranks)
    tmp = f"{tiktoken_bpe_file}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, tiktoken_bpe_file)


def load_tiktoken_bpe(tiktoken_bpe_file: str, expected_hash: str | None = None) -> dict[bytes, int]:
    """Ranks from a .tiktoken path or http(s) URL (URLs go through tiktoken's cache)."""
    return parse_tiktoken_bpe(read_file_cached(tiktoken_bpe_file, expected_hash), tiktoken_bpe_file)


# ---- reading, with tiktoken's cache --------------------------------------------------------------
def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cache_dir() -> tuple[str, bool]:
    """(directory, chosen by the user) — tiktoken's rule: TIKTOKEN_CACHE_DIR, else
    DATA_GYM_CACHE_DIR, else <tmp>/data-gym-cache. An empty string disables the cache."""
    for var in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if var in os.environ:
            return os.environ[var], True
    return os.path.join(tempfile.gettempdir(), "data-gym-cache"), False


def cache_path(url: str) -> str | None:
    """Where tiktoken keeps the download of url: <cache dir>/sha1(url)."""
    directory, _ = cache_dir()
    if directory == "":
        return None
    return os.path.join(directory, hashlib.sha1(url.encode()).hexdigest())


def offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "") not in ("", "0")


def read_file(path_or_url: str) -> bytes:
    if "://" not in path_or_url:
        with open(path_or_url, "rb") as f:
            return f.read()
    if not path_or_url.startswith(("http://", "https://")):
        raise ValueError(f"cannot read {path_or_url!r}: only local paths and http(s) URLs are supported")
    if offline():
        raise OSError(f"not downloading {path_or_url}: {OFFLINE_ENV} is set")
    with urllib.request.urlopen(path_or_url, timeout=DOWNLOAD_TIMEOUT_S) as resp:
        return resp.read()


def read_cached_only(url: str, expected_hash: str | None) -> bytes | None:
    """The cached copy of url if present and (when a hash is given) intact, else None."""
    path = cache_path(url)
    if path is None or not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        data = f.read()
    if expected_hash is None or sha256_hex(data) == expected_hash:
        return data
    return None


def read_file_cached(path_or_url: str, expected_hash: str | None = None) -> bytes:
    """tiktoken's read_file_cached: local paths are read directly; URLs come from the cache, or are
    downloaded, checked against expected_hash, and stored in the cache."""
    if "://" not in path_or_url:
        data = read_file(path_or_url)
        if expected_hash and sha256_hex(data) != expected_hash:
            raise ValueError(f"Hash mismatch for {path_or_url} (expected {expected_hash})")
        return data
    cached = read_cached_only(path_or_url, expected_hash)
    if cached is not None:
        return cached
    data = read_file(path_or_url)
    if expected_hash and sha256_hex(data) != expected_hash:
        raise ValueError(f"Hash mismatch for data downloaded from {path_or_url} (expected {expected_hash}). "
                         "This may indicate a corrupted download. Please try again.")
    path = cache_path(path_or_url)
    if path is not None:
        directory, user_chosen = cache_dir()
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            tmp = f"{path}.{uuid.uuid4().hex}.tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError:
            if user_chosen:  # a directory the user named must work; the default one may not
                raise
    return data


# ---- GPT-2's original files (vocab.bpe + encoder.json) -------------------------------------------
def _data_gym_alphabet() -> dict[str, int]:
    """GPT-2 stores bytes as printable characters: printable non-space Latin-1 bytes stand for
    themselves, the other bytes are mapped in order to chr(256), chr(257), ..."""
    printable = [b for b in range(256) if chr(b).isprintable() and chr(b) != " "]
    mapping = {chr(b): b for b in printable}
    extra = 0
    for b in range(256):
        if b not in mapping.values():
            mapping[chr(256 + extra)] = b
            extra += 1
    return mapping


def data_gym_to_mergeable_bpe_ranks(vocab_bpe: bytes, encoder_json: bytes) -> dict[bytes, int]:
    """Ranks from GPT-2's merge list, cross-checked against its encoder.json."""
    alphabet = _data_gym_alphabet()
    order = [b for b in range(256) if chr(b).isprintable() and chr(b) != " "]
    order += [b for b in range(256) if b not in set(order)]
    ranks = {bytes([b]): i for i, b in enumerate(order)}

    def to_bytes(s: str) -> bytes:
        return bytes(alphabet[c] for c in s)

    lines = vocab_bpe.decode("utf-8").split("\n")[1:]
    for line in lines:
        if not line:
            continue
        first, second = line.split()
        ranks[to_bytes(first) + to_bytes(second)] = len(ranks)
    encoder = {to_bytes(k): v for k, v in json.loads(encoder_json).items()
               if k not in ("<|endoftext|>", "<|startoftext|>")}
    if encoder != ranks:
        raise ValueError("GPT-2 vocab.bpe and encoder.json disagree")
    return ranks


# ---- the npm `tiktoken` package's encoders/<name>.json -------------------------------------------
def npm_encoder(path: str) -> dict:
    """{"pat_str", "special_tokens", "mergeable_ranks", "explicit_n_vocab"} from the npm package's
    encoders/<name>.json. Its "bpe_ranks" field is one string: groups of `! <first rank>` followed by
    the base64 tokens of consecutive ranks, all separated by single spaces."""
    with open(path, "rb") as f:
        spec = json.load(f)
    ranks: dict[bytes, int] = {}
    rank = None
    items = spec["bpe_ranks"].split()
    i = 0
    while i < len(items):
        if items[i] == "!":
            rank = int(items[i + 1])
            i += 2
            continue
        if rank is None:
            raise ValueError(f"{path}: bpe_ranks does not start with '! <rank>'")
        ranks[base64.b64decode(items[i], validate=True)] = rank
        rank += 1
        i += 1
    return {
        "pat_str": spec["pat_str"],
        "special_tokens": dict(spec["special_tokens"]),
        "mergeable_ranks": ranks,
        "explicit_n_vocab": spec.get("explicit_n_vocab"),
    }
