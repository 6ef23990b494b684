"""The ``crayon`` command.

    crayon tokenize [--profile P | --dat F] [--pieces] [TEXT | -]
    crayon tokenize --input FILE --output IDS [--dtype uint16|uint32] [--encoding E] [--doc-sep SEP] [--bos ID]
    crayon decode [--profile P | --dat F] IDS...
    crayon build VOCAB.json -o OUT.dat [--name N] [--source S] [--nfc]
    crayon learn SOURCES... -o VOCAB.json --size N [--max-token-bytes B] [--column C] [--max-bytes SIZE]
    crayon extend BASE SOURCES... -o NEW.dat --add N [--force] | crayon extend BASE --tokens LIST.json -o NEW.dat

A source is a text file, a .jsonl[.gz] file or hf://datasets/OWNER/NAME[/CONFIG[/SPLIT]] (core/sources.py).
    crayon info FILE.dat | NAME
    crayon profiles
    crayon backends

Other modules add commands through ``_PLUGINS``: each is imported if present and its
``register(subparsers)`` is called; a command sets ``func(args) -> int`` with ``set_defaults``.
Errors print one line on stderr and exit with status 1.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import unicodedata
from typing import Iterable, Iterator, Optional, Sequence

from ._errors import CrayonError

_PLUGINS = ("crayon._cli_train",)
DEFAULT_PROFILE = "lite"


class CliError(Exception):
    """A user mistake the command reports in one line."""


# ---- helpers ------------------------------------------------------------------------------------

def _vocab(args: argparse.Namespace):
    from .core.vocabulary import CrayonVocab
    if getattr(args, "dat", None):
        return CrayonVocab(device="cpu", profile=os.path.abspath(args.dat))
    return CrayonVocab(device="cpu", profile=args.profile or DEFAULT_PROFILE)


def _read_text(arg: Optional[str]) -> bytes:
    if arg is None or arg == "-":
        return sys.stdin.buffer.read()
    return arg.encode("utf-8", "surrogateescape")  # argv bytes as the shell gave them


def _piece(vocab, token_id: int) -> str:
    raw = vocab.token_bytes(token_id)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "".join(f"<0x{b:02X}>" for b in raw)  # part of a multi-byte character


def _add_profile_options(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--profile", "-p", help=f"profile name (default: {DEFAULT_PROFILE})")
    g.add_argument("--dat", help="path of a .dat file to use instead of a named profile")


# ---- commands -----------------------------------------------------------------------------------

def cmd_tokenize(args: argparse.Namespace) -> int:
    if getattr(args, "input", None):
        from ._cli_shards import cmd_shards
        return cmd_shards(args)
    vocab = _vocab(args)
    if args.text and args.text != "-" and "\n" not in args.text and os.path.isfile(args.text):
        # the argument is text by design, but a user who names a file most likely meant the file
        print(f"crayon: note: tokenizing the text {args.text!r} itself; to tokenize that file, use "
              f"--input {args.text}", file=sys.stderr)
    ids = vocab.tokenize(_read_text(args.text))
    if args.pieces:
        print(json.dumps([_piece(vocab, i) for i in ids], ensure_ascii=False))
    else:
        print(" ".join(map(str, ids)))
    return 0


def cmd_decode(args: argparse.Namespace) -> int:
    words = args.ids if args.ids and args.ids != ["-"] else sys.stdin.read().split()
    try:
        ids = [int(w) for part in words for w in part.replace(",", " ").split()]
    except ValueError as e:
        raise CliError(f"token ids must be integers ({e})") from None
    data = _vocab(args).decode_bytes(ids)
    sys.stdout.buffer.write(data + b"\n")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from ._progress import ProgressBar
    from .c_ext.dat_builder import DATBuilder
    try:
        with open(args.vocab, "r", encoding="utf-8") as f:
            vocab_list = json.load(f)
    except json.JSONDecodeError as e:
        raise CliError(f"{args.vocab} is not JSON: {e}") from None
    except UnicodeDecodeError as e:
        raise CliError(f"{args.vocab} is not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset {e.start}); "
                       "build takes a JSON vocabulary list, as `crayon learn` writes") from None
    if not isinstance(vocab_list, (list, dict)):
        raise CliError(f"{args.vocab} must hold a JSON list of strings (or a {{token: id}} object)")
    name = args.name or os.path.splitext(os.path.basename(args.output))[0]
    bar = ProgressBar(f"build {name}")
    builder = DATBuilder(name=name, source=args.source or os.path.basename(args.vocab),
                         normalize="nfc" if args.nfc else None)
    builder.build(vocab_list, progress=bar)
    bar.close()
    builder.save(args.output)
    print(f"{args.output}: {len(builder.to_bytes())} bytes, {builder.token_count} entries"
          + (", NFC" if args.nfc else ""), file=sys.stderr)
    return 0


# How many bytes of held-out text `crayon extend` keeps at most for its check (memory stays bounded
# when the text is streamed); past that, every piece is learned from.
HELD_OUT_BYTES = 64 << 20


def _stream(args: argparse.Namespace, label: str):
    """The documents of FILES (paths, .jsonl[.gz], hf:// datasets) with a progress line on stderr."""
    from ._progress import StreamBar
    from .core.sources import DocumentStream
    stream = DocumentStream(args.files, column=args.column, max_bytes=args.max_bytes)
    stream.progress = StreamBar(label, total_bytes=stream.max_bytes)
    return stream


def cmd_learn(args: argparse.Namespace) -> int:
    from ._progress import ProgressBar
    from .core.learn import Learner
    if args.size <= 0:
        raise CliError(f"--size must be positive; got {args.size}")
    stream = _stream(args, "read")
    with Learner(max_token_bytes=args.max_token_bytes) as learner:
        for batch in stream:
            learner.feed(batch)
        if not learner.bytes_fed:
            raise CliError("no text to learn from: the input files are empty")
        stream.progress.close()
        bar = ProgressBar("learn")
        tokens = learner.learn(args.size, progress=bar)
        bar.close()
    with open(args.output, "w", encoding="utf-8") as f:
        # One token per line keeps the list readable and its diffs small.
        f.write("[\n" + ",\n".join(json.dumps(t, ensure_ascii=False) for t in tokens) + "\n]\n")
    note = "" if len(tokens) == args.size else f" (the text supports no more than that; asked for {args.size})"
    print(f"{args.output}: {len(tokens)} tokens{note}", file=sys.stderr)
    return 0


def _pieces(docs: Iterable[bytes], size: int = 64 << 10) -> Iterator[bytes]:
    """The documents cut at line ends into pieces of about size bytes (the unit of the held-out split)."""
    for data in docs:
        start = 0
        while start < len(data):
            end = data.find(b"\n", start + size)
            end = len(data) if end < 0 else end + 1
            yield data[start:end]
            start = end


def cmd_extend(args: argparse.Namespace) -> int:
    from ._progress import ProgressBar
    from .c_ext.dat_builder import write_atomic
    from .core.learn import Learner, extend_dat
    from .core.vocabulary import CrayonVocab
    if (args.add is None) == (args.tokens is None):
        raise CliError("say what to add: --add N (learned from FILES) or --tokens LIST.json")
    base_spec = os.path.abspath(args.base) if os.path.exists(args.base) else args.base
    base = CrayonVocab(device="cpu", profile=base_spec)
    info = base.profile_info
    held_out: list[bytes] = []
    held_bytes = 0
    if args.tokens is not None:
        try:
            with open(args.tokens, "r", encoding="utf-8") as f:
                added = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise CliError(f"cannot read {args.tokens}: {e}") from None
        if not isinstance(added, list):
            raise CliError(f"{args.tokens} must hold a JSON list of tokens")
        if args.files:          # nothing is learned: FILES (up to HELD_OUT_BYTES) check the update
            stream = _stream(args, "read")
            stream.max_bytes = min(stream.max_bytes or HELD_OUT_BYTES, HELD_OUT_BYTES)
            held_out = list(_pieces(doc for batch in stream for doc in batch))
            stream.progress.close()
        what = f"{len(added)} tokens from {os.path.basename(args.tokens)}"
    else:
        if args.add <= 0:
            raise CliError(f"--add must be positive; got {args.add}")
        stream = _stream(args, "read")
        with Learner(max_token_bytes=args.max_token_bytes) as learner:
            # Every tenth piece of the text is held out to check the update; the rest is learned from.
            index = 0
            nfc = base.normalization == "nfc"
            for batch in stream:
                train = []
                for piece in _pieces(batch):
                    if nfc:   # an NFC profile only ever sees NFC text: learn from what it will see
                        piece = unicodedata.normalize("NFC", piece.decode("utf-8", "surrogateescape")) \
                            .encode("utf-8", "surrogateescape")
                    if index % 10 == 9 and held_bytes < HELD_OUT_BYTES:
                        held_out.append(piece)
                        held_bytes += len(piece)
                    else:
                        train.append(piece)
                    index += 1
                if train:
                    learner.feed(train)
            if not learner.bytes_fed:
                raise CliError("no text to learn from: the input files are empty")
            if not held_out and not args.force:
                raise CliError("too little text to hold a sample out for the check (at least ~640 KiB); "
                               "pass --force to extend without it")
            stream.progress.close()
            bar = ProgressBar("learn")
            added = learner.learn(args.add, base=base, progress=bar)
            bar.close()
        names = (f if f.startswith("hf://") else os.path.basename(f) for f in args.files)
        what = f"{len(added)} tokens learned from {', '.join(names)}"
    name = args.name or os.path.splitext(os.path.basename(args.output))[0]
    source = f"extended from {info['name']} ({info['vocab_size']} ids, checksum {info['checksum']}) with {what}"
    image = extend_dat(base, added, name=name, source=source)
    child = CrayonVocab.from_dat_bytes(image)
    skipped = len(added) - (child.vocab_size - base.vocab_size)
    if held_out:
        before = sum(map(len, base.tokenize_batch(held_out)))
        after = sum(map(len, child.tokenize_batch(held_out)))
        sample = sum(map(len, held_out))
        print(f"held-out sample ({sample:,} bytes): {before:,} tokens with {info['name']}, {after:,} with {name} "
              f"({100 * (after - before) / max(before, 1):+.1f} %)", file=sys.stderr)
        if after > before and not args.force:
            raise CliError(f"the update makes the held-out sample worse ({before:,} -> {after:,} tokens); "
                           "nothing was written (--force writes it anyway)")
    elif args.tokens is not None:
        print("no text given: the update was not checked on a sample (pass FILES to check it)", file=sys.stderr)
    else:
        print("too little text for a held-out sample: the update was not checked (--force)", file=sys.stderr)
    write_atomic(args.output, image)
    note = f", {skipped} already present or repeated and skipped" if skipped else ""
    print(f"{args.output}: ids 0..{base.vocab_size - 1} as in {info['name']}, "
          f"{child.vocab_size - base.vocab_size} new from {base.vocab_size}{note}", file=sys.stderr)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from .core.vocabulary import CrayonVocab
    target = args.target
    if os.path.exists(target):
        target = os.path.abspath(target)
    vocab = CrayonVocab(device="cpu", profile=target)
    if args.verify:
        vocab.verify()   # raises CrayonFormatError, which main() prints as an error
    info = vocab.profile_info
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
    else:
        width = max(map(len, info), default=0)
        for key, value in info.items():
            print(f"{key:<{width}}  {value}")
    return 0


def cmd_profiles(args: argparse.Namespace) -> int:
    from .core.profiles import list_profiles
    rows = list_profiles()
    width = max((len(r.name) for r in rows), default=0)
    for r in rows:
        where = "bundled" if r.bundled else ("found" if r.available else "missing")
        print(f"{r.name:<{width}}  {where:<7}  {r.description}")
    return 0


def cmd_backends(args: argparse.Namespace) -> int:
    from .core.backends import backend_report
    for name, present, detail in backend_report():
        print(f"{name:<7} {'yes' if present else 'no':<3}  {detail}".rstrip())
    return 0


_SOURCES_HELP = ("text files (one document each; '-' reads stdin), .jsonl or .jsonl.gz files (one document "
                 "a line) or hf://datasets/OWNER/NAME[/CONFIG[/SPLIT]] (streamed from the Hugging Face Hub)")


def _add_source_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--column", default="text",
                   help="the field that holds the text in .jsonl files and hf:// datasets (default: text)")
    p.add_argument("--max-bytes", metavar="SIZE",
                   help="stop reading after this much text: 200M, 1G, 500K or bytes (default: all of it)")


# ---- parser -------------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """Usage mistakes are errors like any other: one line on stderr, exit status 1."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(1, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="crayon", description="Crayon.NET tokenizer")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("tokenize", help="text → token ids (or pieces)")
    _add_profile_options(p)
    p.add_argument("--pieces", action="store_true", help="print the token strings as a JSON list")
    p.add_argument("text", nargs="?", help="text to tokenize; '-' or nothing reads stdin")
    from ._cli_shards import add_shard_options
    add_shard_options(p)
    p.set_defaults(func=cmd_tokenize)

    p = sub.add_parser("decode", help="token ids → text")
    _add_profile_options(p)
    p.add_argument("ids", nargs="*", help="ids (spaces or commas); '-' or nothing reads stdin")
    p.set_defaults(func=cmd_decode)

    p = sub.add_parser("build", help="vocabulary list (JSON) → .dat profile")
    p.add_argument("vocab", help="JSON file: a list of token strings")
    p.add_argument("-o", "--output", required=True, help="the .dat file to write")
    p.add_argument("--name", help="profile name stored in the .dat (default: output file name)")
    p.add_argument("--source", help="where the vocabulary came from (stored as metadata)")
    p.add_argument("--nfc", action="store_true",
                   help="normalise text to Unicode NFC before matching (stored in the .dat; "
                        "decode then gives the NFC text back)")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("learn", help="sample text → vocabulary list (JSON)")
    p.add_argument("files", nargs="+", metavar="SOURCE", help=_SOURCES_HELP)
    p.add_argument("-o", "--output", required=True, help="the JSON file to write")
    p.add_argument("--size", type=int, required=True, help="number of tokens to learn")
    p.add_argument("--max-token-bytes", type=int, default=32,
                   help="longest token, in UTF-8 bytes (default: 32; tokens may span words)")
    _add_source_options(p)
    p.set_defaults(func=cmd_learn)

    p = sub.add_parser("extend", help="grow a .dat without renumbering it (new ids after the old ones)")
    p.add_argument("base", help="the profile to extend: a .dat path or a profile name")
    p.add_argument("files", nargs="*", metavar="SOURCE",
                   help="text to learn from (--add) or to check the update on: " + _SOURCES_HELP)
    p.add_argument("-o", "--output", required=True, help="the .dat file to write")
    p.add_argument("--add", type=int, help="number of new tokens to learn from FILES")
    p.add_argument("--tokens", help="a JSON list of tokens to append instead of learning")
    p.add_argument("--name", help="profile name stored in the .dat (default: the output file's stem)")
    p.add_argument("--max-token-bytes", type=int, default=32, help="longest new token, in bytes (default: 32)")
    p.add_argument("--force", action="store_true", help="write even if the held-out sample gets worse")
    _add_source_options(p)
    p.set_defaults(func=cmd_extend)

    p = sub.add_parser("info", help="what a .dat (file or profile name) holds")
    p.add_argument("target", help="path of a .dat file, or a profile name")
    p.add_argument("--json", action="store_true", help="print the metadata as JSON")
    p.add_argument("--verify", action="store_true",
                   help="check the whole file first (checksum, trie, every token); exit 1 if it is corrupt")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("profiles", help="known profiles and where they are")
    p.set_defaults(func=cmd_profiles)

    p = sub.add_parser("backends", help="CPU features and GPUs this machine has")
    p.set_defaults(func=cmd_backends)

    _register_plugins(sub)
    return parser


def _register_plugins(sub: argparse._SubParsersAction) -> None:
    import importlib
    for module_name in _PLUGINS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name == module_name:
                continue  # that plugin is not part of this installation
            raise
        module.register(sub)


def _version() -> str:
    from . import __version__
    return f"crayon {__version__}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("crayon: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0  # e.g. `crayon tokenize ... | head`
    except (CliError, CrayonError, OSError, ValueError) as e:
        message = str(e).strip().replace("\n", " ") or type(e).__name__
        print(f"crayon {args.command}: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    # `python -m crayon.cli` runs this file as __main__, a second copy of the module whose CliError is
    # not the one the helper modules (_cli_shards, _cli_train) import from crayon.cli: run that one.
    from crayon.cli import main as package_main
    sys.exit(package_main())
