"""Shared setup for the BPE (tiktoken-compatible) tests: rank files exported from the npm tiktoken
package into a temporary CRAYON_TIKTOKEN_DIR, and the skip reason when the peers are missing."""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for p in (ROOT / "tests", ROOT / "tests" / "peers"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import export_tiktoken  # noqa: E402
import node_peer  # noqa: E402

NAMES = export_tiktoken.NAMES

_rank_dir: str | None = None


def peers_missing() -> str | None:
    return node_peer.available()


def requires_peers():
    reason = peers_missing()
    return pytest.mark.skipif(reason is not None, reason=f"npm peers unavailable: {reason}")


def rank_dir() -> str:
    """A directory of <name>.tiktoken for the five encodings, made once per test process, and
    installed as CRAYON_TIKTOKEN_DIR (with downloads switched off)."""
    global _rank_dir
    if _rank_dir is None:
        reason = peers_missing()
        if reason:
            pytest.skip(f"npm peers unavailable: {reason}")
        d = tempfile.mkdtemp(prefix="crayon-tiktoken-")
        atexit.register(shutil.rmtree, d, True)
        export_tiktoken.export(d)
        _rank_dir = d
    os.environ["CRAYON_TIKTOKEN_DIR"] = _rank_dir
    os.environ["CRAYON_TIKTOKEN_OFFLINE"] = "1"
    return _rank_dir


def get_encoding(name: str):
    rank_dir()
    from crayon.compat import tiktoken
    return tiktoken.get_encoding(name)
