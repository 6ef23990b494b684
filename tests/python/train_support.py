"""Shared setup for the training tests: paths, nanochat's split pattern, the npm peer skip marker."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PEERS = ROOT / "tests" / "peers"
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

# nanochat's SPLIT_PATTERN (GPT-4's with numbers of at most two digits), spelled as nanochat does.
NANOCHAT = (r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,2}| ?[^\s\p{L}\p{N}]++[\r\n]*|"""
            r"""\s*[\r\n]|\s+(?!\S)|\s+""")
# nanochat's special tokens, in its order (ids follow the merges).
NANOCHAT_SPECIAL_TOKENS = ["<|bos|>", "<|user_start|>", "<|user_end|>", "<|assistant_start|>", "<|assistant_end|>",
                           "<|python_start|>", "<|python_end|>", "<|output_start|>", "<|output_end|>"]


def requires_npm(package: str):
    """Skips a test module when node or the npm package (installed by `make peers`) is missing."""
    missing = shutil.which("node") is None or not (PEERS / "node_modules" / package / "package.json").exists()
    return pytest.mark.skipif(missing, reason=f"node or npm {package} missing (make peers)")
