"""`crayon train`: learn a byte-level BPE vocabulary (rustbpe semantics) from files or stdin.

    crayon train corpus/*.txt --vocab-size 32768 -o tok.tiktoken
    cat data.txt | crayon train - --vocab-size 4096 -o tok.tiktoken --pattern "$NANOCHAT_PATTERN"

Writes the .tiktoken rank file and, next to it, ``<output>.pattern``. Plugged into crayon's CLI by
``register(subparsers)``.
"""
from __future__ import annotations

import argparse
import sys
import time
from typing import Iterator, TextIO

# Inputs are cut into documents of about this many characters, at a newline followed by a
# non-space character: with GPT-4-style patterns no chunk spans such a point, so the counts are
# those of the whole file while no document needs the whole file in memory.
_PIECE_CHARS = 1 << 20


def register(subparsers) -> None:
    p = subparsers.add_parser("train", help="learn a BPE vocabulary (.tiktoken) from text",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="+", metavar="FILE", help="UTF-8 text files; '-' reads stdin")
    p.add_argument("--vocab-size", type=int, required=True, help="256 + number of merges")
    p.add_argument("-o", "--output", required=True, help="the .tiktoken file to write")
    p.add_argument("--pattern", default=None, help="split regex (default: GPT-4's)")
    p.add_argument("--buffer-size", type=int, default=64, help="documents per native batch")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _pieces(stream: TextIO) -> Iterator[str]:
    pending = ""
    while True:
        block = stream.read(_PIECE_CHARS)
        if not block:
            break
        pending += block
        cut = _cut_point(pending)
        if cut > 0:
            yield pending[:cut]
            pending = pending[cut:]
    if pending:
        yield pending


def _cut_point(text: str) -> int:
    i = text.rfind("\n", 0, len(text) - 1)
    while i >= 0:
        if not text[i + 1].isspace():
            return i + 1
        i = text.rfind("\n", 0, i)
    return 0


def _documents(files: list[str], stats: dict) -> Iterator[str]:
    for name in files:
        if name == "-":
            stream = open(sys.stdin.fileno(), encoding="utf-8", closefd=False)
        else:
            stream = open(name, encoding="utf-8")
        with stream:
            for piece in _pieces(stream):
                stats["chars"] += len(piece)
                yield piece


class _Bar:
    def __init__(self, out: TextIO) -> None:
        self.out, self.start, self.last = out, time.monotonic(), -1.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and done != total:
            return
        self.last = now
        width = 30
        filled = width * done // max(total, 1)
        self.out.write(f"\rmerging [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                       f"{now - self.start:5.1f}s")
        self.out.flush()


def run(args: argparse.Namespace) -> int:
    from .compat.rustbpe import Tokenizer
    if args.vocab_size < 256:
        print(f"crayon train: --vocab-size must be at least 256; got {args.vocab_size}", file=sys.stderr)
        return 2
    stats = {"chars": 0}
    tok = Tokenizer()
    show = not args.quiet
    started = time.monotonic()
    if show:
        sys.stderr.write("counting chunks...")
        sys.stderr.flush()
    try:
        tok.train_from_iterator(_documents(args.files, stats), args.vocab_size, buffer_size=args.buffer_size,
                                pattern=args.pattern, progress=_Bar(sys.stderr) if show else None)
    except (OSError, ValueError) as e:
        print(f"\ncrayon train: {e}", file=sys.stderr)
        return 1
    tok.save(args.output)
    if show:
        sys.stderr.write(f"\nwrote {args.output} ({tok.vocab_size} tokens) and {args.output}.pattern from "
                         f"{stats['chars']:,} characters in {time.monotonic() - started:.1f}s\n")
    return 0
