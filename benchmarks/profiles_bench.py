"""Bytes per token of every cartridge on every domain's held-out text, next to r50k_base,
cl100k_base and o200k_base, in one table (higher is better: fewer tokens for the same text).

    make corpora peers profiles
    CRAYON_LIBRARY=$PWD/build/native/libcrayon.so CRAYON_PROFILE_DIR=$PWD/build/profiles \
      CRAYON_TIKTOKEN_DIR=$PWD/build/tiktoken PYTHONPATH=bindings/python python3 benchmarks/profiles_bench.py

The held-out text is what profiles/learn.py kept out of training (profiles/corpora.split of the same
documents, NFC-normalised for a cartridge that expects NFC — its tokenizer normalises anyway), capped
at --mb per domain. A cartridge is measured on every domain, so the table also shows what a
vocabulary made for one domain costs on the others.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "profiles"))
sys.path.append(str(ROOT / "bindings" / "python"))
import corpora  # noqa: E402
import learn  # noqa: E402  (profiles/learn.py: the recipes and their held-out split)
from crayon.compat import tiktoken  # noqa: E402
from crayon.core.vocabulary import CrayonVocab  # noqa: E402

PEERS = ("r50k_base", "cl100k_base", "o200k_base")
DOMAINS = ("english", "science", "code", "multilingual", "arts_commerce", "email")


def held_out(kind: str, mb: float) -> list[str]:
    recipe = next((r for r in learn.RECIPES.values() if r.kind == kind), None)
    if recipe is None:   # a domain with no cartridge (e-mail): its own 10 % split
        docs = corpora.documents(kind)
    else:
        docs = corpora.documents(kind, recipe.text_mb * learn.MB)
    _, test = corpora.split(docs)
    out, total = [], 0
    for d in test:
        if total >= mb * 1e6:
            break
        out.append(d)
        total += len(d.encode("utf-8", "surrogatepass"))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=4, help="held-out text per domain, MB")
    args = ap.parse_args()
    cartridges = list(learn.RECIPES)
    columns = cartridges + list(PEERS)
    vocabs = {name: CrayonVocab(device="cpu", profile=name) for name in cartridges}
    encodings = {name: tiktoken.get_encoding(name) for name in PEERS}
    sizes = [f"{vocabs[c].vocab_size:,}" for c in cartridges] + [f"{encodings[p].n_vocab:,}" for p in PEERS]
    print("| held-out text (MB) | " + " | ".join(f"`{c}`" for c in columns) + " |")
    print("|---|" + "---:|" * len(columns))
    print("| *ids* | " + " | ".join(sizes) + " |")
    for kind in DOMAINS:
        docs = held_out(kind, args.mb)
        n = sum(len(d.encode("utf-8", "surrogatepass")) for d in docs)
        cells = []
        for c in cartridges:
            tokens = sum(map(len, vocabs[c].tokenize_batch(docs)))
            cells.append(n / tokens)
        for p in PEERS:
            tokens = sum(map(len, encodings[p].encode_ordinary_batch(docs)))
            cells.append(n / tokens)
        best_peer = max(cells[len(cartridges):])
        own = next((i for i, c in enumerate(cartridges) if learn.RECIPES[c].kind == kind), None)
        text = [f"**{v:.2f}**" if i == own else f"{v:.2f}" for i, v in enumerate(cells)]
        verdict = "" if own is None else f" ({cells[own] / best_peer:.2f}× the best peer)"
        print(f"| {kind} ({n / 1e6:.1f}){verdict} | " + " | ".join(text) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
