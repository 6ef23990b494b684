"""Runs the npm reference tokenizers (tests/peers/encode_docs.js) on many documents in ONE node
process, for conformance tests and benchmarks.

    from node_peer import available, tiktoken_ids, run
    ids = tiktoken_ids("cl100k_base", docs)          # list[list[int]], one per document
    info = run(["--peer", "tiktoken", "--encoding", "cl100k_base", "--repeat", "3"], docs)
"""
from __future__ import annotations

import array
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "encode_docs.js"
NODE_MODULES = HERE / "node_modules"


def available() -> str | None:
    """None when the peers can run, else the reason they cannot."""
    if shutil.which("node") is None:
        return "node is not installed"
    for pkg in ("tiktoken", "tokenizers"):
        if not (NODE_MODULES / pkg / "package.json").exists():
            return f"{NODE_MODULES / pkg} is missing (run `make peers`)"
    return None


def write_docs(path: str | os.PathLike, docs: list[str]) -> None:
    with open(path, "wb") as f:
        f.write(struct.pack("<I", len(docs)))
        for d in docs:
            b = d.encode("utf-8")
            f.write(struct.pack("<I", len(b)))
            f.write(b)


def read_ids(path: str | os.PathLike) -> list[list[int]]:
    flat = array.array("I")
    with open(path, "rb") as f:
        flat.frombytes(f.read())
    if sys.byteorder != "little":
        flat.byteswap()
    out, p = [], 0
    while p < len(flat):
        n = flat[p]
        out.append(flat[p + 1:p + 1 + n].tolist())
        p += 1 + n
    return out


def run(argv: list[str], docs: list[str], want_ids: bool = False, timeout_s: float = 1800,
        env: dict | None = None) -> dict:
    """Runs encode_docs.js with argv on docs; returns its JSON report (+ "ids" when want_ids)."""
    with tempfile.TemporaryDirectory(prefix="crayon-peer-") as tmp:
        docs_path = Path(tmp) / "docs.bin"
        ids_path = Path(tmp) / "ids.bin"
        write_docs(docs_path, docs)
        cmd = ["node", "--max-old-space-size=8192", str(RUNNER), *argv, "--in", str(docs_path)]
        if want_ids:
            cmd += ["--out", str(ids_path)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s,
                           env=dict(os.environ, **(env or {})))
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-4000:]}")
        info = json.loads(r.stdout.strip().splitlines()[-1])
        if want_ids:
            info["ids"] = read_ids(ids_path)
        return info


def tiktoken_ids(encoding: str, docs: list[str], mode: str = "ordinary") -> list[list[int]]:
    """The npm tiktoken's ids for every document (encode_ordinary, or encode(t, "all"))."""
    return run(["--peer", "tiktoken", "--encoding", encoding, "--mode", mode], docs, want_ids=True)["ids"]


def custom_tiktoken_ids(ranks_file: str | os.PathLike, pat_str: str, special_tokens: dict[str, int],
                        docs: list[str], mode: str = "ordinary") -> list[list[int]]:
    """The npm tiktoken's ids for a custom encoding (a .tiktoken file, a pattern, specials)."""
    with tempfile.TemporaryDirectory(prefix="crayon-spec-") as tmp:
        spec = Path(tmp) / "spec.json"
        spec.write_text(json.dumps({"pat_str": pat_str, "special_tokens": special_tokens}), encoding="utf-8")
        return run(["--peer", "tiktoken", "--ranks", str(ranks_file), "--spec-json", str(spec), "--mode", mode],
                   docs, want_ids=True)["ids"]
