"""``crayon tokenize --input FILE --output ids.bin``: a file of any size into a flat id file + index.

    crayon tokenize --input FILE --output ids.bin [--dtype uint16|uint32] [--profile P | --dat F | --encoding E]
                    [--doc-sep SEP] [--bos ID] [--index PATH | --no-index] [--threads N] [--allow-special]

The work is one native call (crayon_stream_file): bounded memory, all cores, atomic output.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time


def add_shard_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("files into id shards (--input/--output)")
    g.add_argument("--input", "-i", metavar="FILE", help="tokenize this file (any size) instead of TEXT")
    g.add_argument("--output", "-o", metavar="IDS", help="the id file to write: little-endian ids, nothing else")
    g.add_argument("--dtype", choices=("uint16", "uint32"), default="uint32",
                   help="id width (uint16 is refused when the vocabulary does not fit)")
    g.add_argument("--encoding", "-e", metavar="NAME", help="a BPE encoding (cl100k_base, o200k_base, ...) instead of a profile")
    g.add_argument("--doc-sep", metavar="SEP",
                   help=r"document separator, with \n \t \xNN escapes (e.g. '\n\n'); dropped, each document tokenized on its own")
    g.add_argument("--bos", type=int, metavar="ID", help="id written before each document")
    g.add_argument("--index", metavar="PATH", help="where to write the document index (default: IDS.idx)")
    g.add_argument("--no-index", action="store_true", help="write no index")
    g.add_argument("--threads", type=int, default=0, help="tokenizing threads (default: all cores)")
    g.add_argument("--allow-special", action="store_true",
                   help="BPE: special-token text becomes its id (default: it is ordinary text)")


def _separator(text: str | None) -> bytes:
    if not text:
        return b""
    # Escapes are decoded, other characters kept as their UTF-8 bytes.
    return text.encode("utf-8").decode("unicode_escape").encode("latin-1")


def cmd_shards(args: argparse.Namespace) -> int:
    from .cli import CliError, _vocab
    from ._progress import ProgressBar
    from .core.stream import shard_file

    if not args.output:
        raise CliError("--input needs --output (the id file to write)")
    if args.text:
        raise CliError("give either TEXT or --input, not both")
    if args.encoding and (args.profile or args.dat):
        raise CliError("--encoding and --profile/--dat are alternatives: give one")
    if not os.path.isfile(args.input):
        raise CliError(f"{args.input}: no such file")
    if args.encoding:
        from .compat import tiktoken
        engine = tiktoken.get_encoding(args.encoding)
        name = args.encoding
    else:
        engine = _vocab(args)
        name = engine.profile
    index = None if args.no_index else (args.index or args.output + ".idx")
    size = os.path.getsize(args.input)
    bar = ProgressBar(f"tokenize {os.path.basename(args.input)}")
    started = time.perf_counter()
    try:
        docs, tokens = shard_file(engine, args.input, args.output, index_path=index, dtype=args.dtype,
                                  doc_sep=_separator(args.doc_sep), bos=args.bos, threads=args.threads,
                                  progress=lambda done, total: bar(done, total or size),
                                  allowed_special="all" if args.allow_special else (),
                                  # SIGTERM cancels like Ctrl-C: the temporary output is removed
                                  cancel_signals=(signal.SIGINT, signal.SIGTERM))
    finally:
        if bar._done:   # a bar was drawn or is due: end its line
            bar.close()
    seconds = time.perf_counter() - started
    rate = size / 1e6 / seconds if seconds > 0 else 0.0
    print(f"{name}: {tokens} ids ({docs} documents) from {size} bytes into {args.output}"
          + (f" + {index}" if index else "") + f" ({args.dtype}) in {seconds:.1f} s, {rate:.1f} MB/s",
          file=sys.stderr)
    return 0
