#!/usr/bin/env python3
"""Generates NfcTables.cs (beside this script) from Python's unicodedata.

    python3 src/Crayon/Normalization/generate_nfc_tables.py            # rewrite NfcTables.cs
    python3 src/Crayon/Normalization/generate_nfc_tables.py --check    # exit 1 if it is stale

Why generate: libcrayon.so is built with InvariantGlobalization, and in that mode .NET's
string.Normalize is a silent no-op (it returns the input and IsNormalized says true), so the
engine carries its own NFC (Nfc.cs) over these tables. The Unicode version is the one of the
Python that runs this script (unicodedata.unidata_version); NfcTables.UnicodeVersion records it
and tests/python/test_engine_nfc.py checks the committed file against this script when the
versions match.

Tables (the data of UAX #15 that the algorithm needs, Hangul syllables excluded: they are
computed):
  - per code point, one ushort: bits 0-7 the canonical combining class; bit 8 NFC_QC=No (never in
    NFC text); bit 9 NFC_QC=Maybe (may combine with a previous character); bit 10 "has a
    canonical decomposition". Two stages: BlockIndex[cp >> 6] selects a 64-entry block of Blocks;
    code points from Limit up (planes 3-16) have none of these properties and are not stored.
  - the full canonical decomposition of each code point that has one: sorted DecompKeys, with
    DecompValues[i] = offset << 3 | length into DecompData.
  - the primary composites: sorted ComposeKeys = first << 21 | second, ComposeValues the composite.
"""
from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent / "NfcTables.cs"
BLOCK_BITS = 6
MAX_CP = 0x10FFFF
S_BASE, S_COUNT = 0xAC00, 11172
V_FIRST, V_LAST = 0x1161, 0x1175
T_FIRST, T_LAST = 0x11A8, 0x11C2

QC_NO, QC_MAYBE, HAS_DECOMP = 1 << 8, 1 << 9, 1 << 10


def one_level(cp: int) -> list[int] | None:
    d = unicodedata.decomposition(chr(cp))
    if not d or d.startswith("<"):
        return None  # none, or a compatibility mapping (NFKC only)
    return [int(x, 16) for x in d.split()]


def full(cp: int) -> list[int]:
    d = one_level(cp)
    if d is None:
        return [cp]
    return [c for x in d for c in full(x)]


def is_hangul_syllable(cp: int) -> bool:
    return S_BASE <= cp < S_BASE + S_COUNT


def tables():
    ccc = [unicodedata.combining(chr(c)) for c in range(MAX_CP + 1)]
    decomp: dict[int, list[int]] = {}
    compose: dict[tuple[int, int], int] = {}
    excluded: set[int] = set()
    for cp in range(MAX_CP + 1):
        if 0xD800 <= cp <= 0xDFFF or is_hangul_syllable(cp):
            continue
        d = one_level(cp)
        if d is None:
            continue
        decomp[cp] = full(cp)
        # Full composition exclusion (exclusion list, singletons, non-starter decompositions):
        # exactly the characters NFC never keeps.
        if unicodedata.normalize("NFC", chr(cp)) != chr(cp):
            excluded.add(cp)
        elif len(d) == 2:
            compose[(d[0], d[1])] = cp
        else:
            raise SystemExit(f"U+{cp:04X}: a kept composite that is not a pair")
    second = {b for (_, b) in compose} | set(range(V_FIRST, V_LAST + 1)) | set(range(T_FIRST, T_LAST + 1))

    props = []
    for cp in range(MAX_CP + 1):
        v = ccc[cp]
        if cp in excluded:
            v |= QC_NO
        if cp in second:
            v |= QC_MAYBE
        if cp in decomp:
            v |= HAS_DECOMP
        props.append(v)

    # What Nfc.cs relies on, checked here so that a new Unicode version cannot break it silently.
    for (a, b), c in compose.items():
        assert ccc[c] == 0 and ccc[a] == 0, f"composite U+{c:04X} or its starter has a combining class"
        assert c not in second, f"composite U+{c:04X} can itself combine backwards"
    for cp in range(MAX_CP + 1):
        boundary = ccc[cp] == 0 and not props[cp] & (QC_NO | QC_MAYBE)
        if boundary and cp in decomp:
            first = decomp[cp][0]
            # A boundary character starts its decomposition with a starter that never combines
            # with what precedes it: the text before it normalises on its own.
            assert ccc[first] == 0 and first not in second, f"U+{cp:04X} is not a boundary"
    assert max(map(len, decomp.values())) <= 7, "decomposition length must fit in 3 bits"
    # Nfc.cs sizes its scratch by the segment's UTF-8 length: at most 3 code points per 2 bytes
    # and 3 UTF-8 bytes per byte after decomposition (composition only shortens).
    utf8 = lambda cps: len("".join(map(chr, cps)).encode())
    for cp, d in decomp.items():
        n = utf8([cp])
        assert 2 * len(d) <= 3 * n and utf8(d) <= 3 * n, f"U+{cp:04X} decomposes too long"
    for (a, b), c in compose.items():
        assert utf8([c]) <= utf8([a, b]), f"composite U+{c:04X} is longer than its parts"
    return props, decomp, compose


def limit_of(props: list[int]) -> int:
    """The first plane boundary above the last code point with a property."""
    last = max(cp for cp, v in enumerate(props) if v)
    return (last >> 16) + 1 << 16


def two_stage(props: list[int]) -> tuple[list[int], list[int]]:
    size = 1 << BLOCK_BITS
    index, blocks, seen = [], [], {}
    for start in range(0, limit_of(props), size):
        block = tuple(props[start:start + size])
        if block not in seen:
            seen[block] = len(seen)
            blocks.extend(block)
        index.append(seen[block])
    return index, blocks


def cs_array(values: list[int], per_line: int, fmt: str) -> str:
    lines = []
    for i in range(0, len(values), per_line):
        lines.append("        " + ", ".join(fmt.format(v) for v in values[i:i + per_line]) + ",")
    return "\n".join(lines)


def render() -> str:
    props, decomp, compose = tables()
    index, blocks = two_stage(props)
    keys = sorted(decomp)
    data, values = [], []
    for cp in keys:
        values.append(len(data) << 3 | len(decomp[cp]))
        data.extend(decomp[cp])
    pairs = sorted(compose)
    version = unicodedata.unidata_version
    return f"""// <auto-generated>
// Generated by generate_nfc_tables.py from Python's unicodedata (Unicode {version}); do not edit.
// {len(keys)} decompositions, {len(pairs)} primary composites, {len(blocks) >> BLOCK_BITS} distinct blocks.
// </auto-generated>
namespace Crayon.Normalization;

/// <summary>The Unicode data of NFC (see generate_nfc_tables.py for the layout).</summary>
internal static class NfcTables
{{
    public const string UnicodeVersion = "{version}";
    public const int BlockBits = {BLOCK_BITS};
    public const int Limit = 0x{limit_of(props):X};
    public const int QcNo = 1 << 8, QcMaybe = 1 << 9, HasDecomposition = 1 << 10;

    public static ReadOnlySpan<ushort> BlockIndex =>
    [
{cs_array(index, 24, "{}")}
    ];

    public static ReadOnlySpan<ushort> Blocks =>
    [
{cs_array(blocks, 32, "{}")}
    ];

    public static ReadOnlySpan<int> DecompKeys =>
    [
{cs_array(keys, 12, "0x{:04X}")}
    ];

    public static ReadOnlySpan<int> DecompValues =>
    [
{cs_array(values, 16, "{}")}
    ];

    public static ReadOnlySpan<int> DecompData =>
    [
{cs_array(data, 12, "0x{:04X}")}
    ];

    public static ReadOnlySpan<long> ComposeKeys =>
    [
{cs_array([a << 21 | b for a, b in pairs], 8, "0x{:X}")}
    ];

    public static ReadOnlySpan<int> ComposeValues =>
    [
{cs_array([compose[p] for p in pairs], 12, "0x{:04X}")}
    ];
}}
"""


def main(argv: list[str]) -> int:
    text = render()
    if argv[:1] == ["--check"]:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} (Unicode {unicodedata.unidata_version})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
