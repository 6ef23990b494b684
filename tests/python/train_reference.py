"""A slow, obviously correct byte-level BPE trainer, the specification the native trainer is checked
against (tests/python/test_train_reference.py).

Every step recounts every adjacent pair of every unique chunk from scratch, takes the most frequent
pair (ties: the smaller (left id, right id)), and rewrites each chunk left to right, joining
non-overlapping occurrences. Nothing is incremental, so there is nothing to get subtly wrong.
"""
from __future__ import annotations

from collections import Counter


def count_chunks(texts, split) -> Counter:
    """Unique chunks (UTF-8 bytes) of every text, cut by split(text) -> list[str], and their counts."""
    counts: Counter = Counter()
    for text in texts:
        for piece in split(text):
            counts[piece.encode("utf-8")] += 1
    return counts


def merge_word(word: tuple[int, ...], pair: tuple[int, int], new_id: int) -> tuple[int, ...]:
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def train(chunk_counts: dict[bytes, int], num_merges: int) -> tuple[list[tuple[int, int]], list[int]]:
    """(merges, the count of each merge): merge k made id 256 + k."""
    words = {tuple(chunk): count for chunk, count in chunk_counts.items() if len(chunk) > 1}
    merges: list[tuple[int, int]] = []
    counts: list[int] = []
    for k in range(num_merges):
        pair_counts: Counter = Counter()
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pair_counts[pair] += count
        if not pair_counts:
            break
        best = min(pair_counts, key=lambda p: (-pair_counts[p], p))
        merges.append(best)
        counts.append(pair_counts[best])
        rewritten = {}
        for word, count in words.items():
            if best[0] in word:
                word = merge_word(word, best, 256 + k)
            if len(word) > 1:                 # a single token has no pairs left: drop it
                rewritten[word] = count
        words = rewritten
    return merges, counts


def ties(counts: list[int], chunk_counts: dict[bytes, int] | None = None) -> int:
    """How many merges share their count with the merge after them (a tie decided the order)."""
    return sum(1 for a, b in zip(counts, counts[1:]) if a == b)
