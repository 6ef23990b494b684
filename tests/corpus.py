"""Real text from this machine, gathered deterministically, for conformance tests and benchmarks.

Every Debian machine of our kind carries megabytes of real prose, source code and translations:
Vim's manual, package copyright files, man pages (English and ~30 translations), the Python standard
library, C headers, and gettext catalogs in ~150 languages. Nothing here downloads anything.

    from corpus import documents
    docs = documents("english", max_bytes=4 << 20)     # list[str], sorted sources, stable across runs

Kinds: english, code, multilingual, emoji (generated: real words mixed with emoji and other non-BMP
text, since the machine holds no such prose), whitespace, punctuation, mixed (all of the above).
"""

from __future__ import annotations

import glob
import gzip
import os
import random
import struct
import unicodedata
from typing import Callable, Iterator

KINDS = ("english", "code", "multilingual", "emoji", "whitespace", "punctuation")


def _read(path: str) -> str | None:
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            with open(path, "rb") as f:
                raw = f.read()
    except OSError:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _files(patterns: list[str]) -> list[str]:
    out: list[str] = []
    for p in patterns:
        out.extend(sorted(glob.glob(p, recursive=True)))
    return [f for f in out if os.path.isfile(f)]


def _from_files(patterns: list[str]) -> Iterator[str]:
    for path in _files(patterns):
        text = _read(path)
        if text:
            yield text


def _mo_strings(path: str) -> str | None:
    """The translated strings (msgstr) of a gettext .mo catalog, one per line."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if len(data) < 28:
        return None
    magic = struct.unpack_from("<I", data)[0]
    endian = "<" if magic == 0x950412DE else ">" if magic == 0xDE120495 else None
    if endian is None:
        return None
    n, _, trans_off = struct.unpack_from(endian + "III", data, 8)
    parts = []
    for i in range(1, n):  # entry 0 is the catalog header
        ln, off = struct.unpack_from(endian + "II", data, trans_off + 8 * i)
        try:
            parts.append(data[off:off + ln].decode("utf-8").replace("\x00", "\n"))
        except UnicodeDecodeError:
            return None
    return "\n".join(parts) if parts else None


def _english() -> Iterator[str]:
    yield from _from_files(["/usr/share/vim/vim9*/doc/*.txt", "/usr/share/common-licenses/*",
                            "/usr/share/doc/*/copyright", "/usr/share/man/man1/*.gz",
                            "/usr/share/man/man3/*.gz", "/usr/share/man/man7/*.gz"])


def _code() -> Iterator[str]:
    yield from _from_files(["/usr/lib/python3*/**/*.py", "/usr/include/**/*.h"])


def _multilingual() -> Iterator[str]:
    # Interleave languages so that a size cap still spans many scripts.
    per_lang: dict[str, list[str]] = {}
    for path in _files(["/usr/share/locale/*/LC_MESSAGES/*.mo"]):
        lang = path.split("/")[4]
        per_lang.setdefault(lang, []).append(path)
    for path in _files(["/usr/share/man/??/man*/*.gz", "/usr/share/man/??_??/man*/*.gz"]):
        lang = path.split("/")[4]
        per_lang.setdefault("man-" + lang, []).append(path)
    queues = [list(reversed(v)) for _, v in sorted(per_lang.items())]
    while queues:
        nxt = []
        for q in queues:
            path = q.pop()
            text = _mo_strings(path) if path.endswith(".mo") else _read(path)
            if text:
                yield text
            if q:
                nxt.append(q)
        queues = nxt


def _non_bmp_pool() -> list[str]:
    ranges = [(0x1F300, 0x1F5FF), (0x1F600, 0x1F64F), (0x1F680, 0x1F6FF), (0x1F900, 0x1F9FF),
              (0x1D400, 0x1D7FF), (0x20000, 0x2A6DF), (0x10400, 0x1044F), (0x1F1E6, 0x1F1FF),
              (0x10000, 0x1007F), (0x1F100, 0x1F1FF)]
    pool = []
    for lo, hi in ranges:
        for cp in range(lo, hi + 1):
            if unicodedata.category(chr(cp)) not in ("Cn", "Cs", "Co"):
                pool.append(chr(cp))
    return pool


def _emoji() -> Iterator[str]:
    words = " ".join(_take(_english(), 1 << 20)).split()
    pool = _non_bmp_pool()
    extras = ["\u200d", "\ufe0f", "\U0001F3FB", "\U0001F3FF", "e\u0301", "\u00e9"]
    rng = random.Random(1234)
    for _ in range(4000):
        out = []
        for _ in range(rng.randint(20, 120)):
            r = rng.random()
            if r < 0.55:
                out.append(rng.choice(words))
            elif r < 0.85:
                out.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 4))))
            elif r < 0.95:
                out.append(rng.choice(words) + rng.choice(pool) + rng.choice(extras))
            else:
                out.append(rng.choice(pool) + rng.choice(words) + rng.choice(["'s", "'ll", "123", "!!"]))
            out.append(rng.choice([" ", " ", " ", "  ", "\n", "\t", ", ", ". "]))
        yield "".join(out)


def _whitespace() -> Iterator[str]:
    rng = random.Random(99)
    for text in _code():
        # Real code, with its indentation deepened and line endings varied.
        lines = text.split("\n")
        out = []
        for line in lines:
            ws = rng.choice(["", " ", "   ", "\t", "\t\t", "        ", " \t "])
            end = rng.choice(["\n", "\n", "\r\n", "\n\n", "  \n", "\r", "\n \n"])
            out.append(ws + line + end)
        yield "".join(out)


def _punctuation() -> Iterator[str]:
    yield from _from_files(["/usr/share/doc/*/changelog.Debian.gz", "/usr/share/doc/*/NEWS*.gz",
                            "/usr/include/**/*.h"])


_SOURCES: dict[str, Callable[[], Iterator[str]]] = {
    "english": _english, "code": _code, "multilingual": _multilingual, "emoji": _emoji,
    "whitespace": _whitespace, "punctuation": _punctuation,
}


def _take(it: Iterator[str], max_bytes: int) -> list[str]:
    out, total = [], 0
    for doc in it:
        n = len(doc.encode("utf-8", "surrogatepass"))
        if total + n > max_bytes:
            room = max_bytes - total
            if room > 256:
                out.append(doc[:room // 2])
            break
        out.append(doc)
        total += n
    return out


def documents(kind: str, max_bytes: int) -> list[str]:
    """Documents of one kind, in a fixed order, up to max_bytes of UTF-8 in all."""
    if kind == "mixed":
        share = max_bytes // len(KINDS)
        return [d for k in KINDS for d in documents(k, share)]
    if kind not in _SOURCES:
        raise ValueError(f"unknown corpus kind {kind!r}; choose from {KINDS + ('mixed',)}")
    return _take(_SOURCES[kind](), max_bytes)


def size(docs: list[str]) -> int:
    return sum(len(d.encode("utf-8", "surrogatepass")) for d in docs)


if __name__ == "__main__":
    import sys
    for kind in (sys.argv[1:] or KINDS):
        docs = documents(kind, 4 << 20)
        print(f"{kind:13s} {len(docs):6d} docs {size(docs) / 1e6:7.2f} MB")
