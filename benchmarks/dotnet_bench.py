"""The .NET tokenizers on the same documents: the Crayon.NET package's API next to
Microsoft.ML.Tokenizers 2.0.1 and SharpToken 2.0.6 (benchmarks/dotnet, a net10.0 program), for
cl100k_base and o200k_base on English, code, multilingual text, text with letters and emoji outside
the BMP, and e-mail. Every tokenizer's ids are first checked against the npm tiktoken's (the
reference) and the documents where one differs are counted; then each is timed (median of --repeat
passes after a warm-up, one thread). Needs `make peers` (npm tiktoken, build/tiktoken).

    CRAYON_TIKTOKEN_DIR=$PWD/build/tiktoken .venv/bin/python benchmarks/dotnet_bench.py [--mb 1] [--repeat 7]
"""
from __future__ import annotations

import argparse
import os
import random
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "peers")]

import corpus  # noqa: E402
import node_peer  # noqa: E402

ENCODINGS = ("cl100k_base", "o200k_base")
KINDS = ("english", "code", "multilingual", "emoji", "email")
OUT_DIR = ROOT / "build" / "dotnet-bench"


def emails(max_bytes: int) -> list[str]:
    """E-mail-shaped documents (the machine holds no mail): headers, a reply quoting real English
    paragraphs, addresses, URLs and a signature. Deterministic."""
    paragraphs = [p.strip() for d in corpus.documents("english", 4 << 20) for p in d.split("\n\n") if 80 < len(p) < 1200]
    rng = random.Random(7)
    names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
    domains = ["example.org", "lists.debian.org", "mail.example.com", "university.edu"]
    out, total = [], 0
    while total < max_bytes:
        a, b = rng.sample(names, 2)
        da, db = rng.choice(domains), rng.choice(domains)
        body = rng.sample(paragraphs, 3)
        quoted = "\n".join("> " + line for line in body[1].splitlines())
        mail = (f"From: {a.title()} <{a}@{da}>\nTo: {b.title()} <{b}@{db}>\n"
                f"Subject: Re: {body[0][:rng.randint(20, 60)].strip()}\n"
                f"Date: Tue, {rng.randint(1, 28)} Nov 2026 {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00 +0100\n"
                f"Message-ID: <{rng.getrandbits(64):016x}@{da}>\n\n"
                f"Hi {b.title()},\n\n{body[0]}\n\nOn Mon, {b.title()} wrote:\n{quoted}\n\n{body[2]}\n\n"
                f"See https://{db}/archive/{rng.randint(1000, 99999)}.html for details.\n\n-- \n{a.title()}\n")
        out.append(mail)
        total += len(mail.encode("utf-8"))
    return out


def write_docs(path: Path, docs: list[str]) -> None:
    node_peer.write_docs(path, docs)


def write_ids(path: Path, ids: list[list[int]]) -> None:
    with open(path, "wb") as f:
        for row in ids:
            f.write(struct.pack(f"<I{len(row)}I", len(row), *row))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=1.0, help="MB of text per kind (default 1)")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    why = node_peer.available()
    if why:
        print(f"skip: {why}")
        return 0
    tiktoken_dir = os.environ.get("CRAYON_TIKTOKEN_DIR", str(ROOT / "build" / "tiktoken"))
    max_bytes = int(args.mb * 1e6)

    build = subprocess.run(["dotnet", "build", str(ROOT / "benchmarks" / "dotnet"), "-c", "Release", "--nologo",
                            "-v", "quiet", "-o", str(OUT_DIR)], capture_output=True, text=True)
    if build.returncode != 0:
        out = build.stdout + build.stderr
        if "NU1301" in out or "NU1101" in out:   # no NuGet source reachable for the peers
            print("skip: the peers (Microsoft.ML.Tokenizers, SharpToken) cannot be restored:\n" + out[-2000:])
            return 0
        print(out[-4000:])
        return 1

    with tempfile.TemporaryDirectory(prefix="crayon-dotnet-bench-") as tmp:
        sets = []
        for kind in KINDS:
            docs = emails(max_bytes) if kind == "email" else corpus.documents(kind, max_bytes)
            docs_path = Path(tmp) / f"{kind}.bin"
            write_docs(docs_path, docs)
            for enc in ENCODINGS:
                ref = node_peer.tiktoken_ids(enc, docs)
                ref_path = Path(tmp) / f"{kind}.{enc}.ids"
                write_ids(ref_path, ref)
                sets += ["--set", kind, enc, str(docs_path), str(ref_path)]
        cmd = ["dotnet", str(OUT_DIR / "dotnet-bench.dll"), "--tiktoken-dir", tiktoken_dir,
               "--repeat", str(args.repeat), *sets]
        print(f"{args.mb:g} MB per kind", flush=True)
        return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main())
