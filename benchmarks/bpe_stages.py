"""Where single-thread exact BPE spends its time, per encoding and kind of text (English, code,
e-mail, multilingual): UTF-8 validation, splitting, whole-piece lookups, and merges + piece cache +
output, in ms per MB of thread CPU time; then the cost of one merge and one piece-cache probe for
the pieces that are not one token. Runs benchmarks/bpe_stages (a net10.0 program over the engine's
internals, JIT-compiled: read the shares, the absolute figures differ from the NativeAOT library).

    make peers && python3 benchmarks/bpe_stages.py [--mb 2] [kind ...]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "peers"), str(ROOT / "benchmarks")]

import bpe_kinds_bench  # noqa: E402
import export_tiktoken  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=2, help="MB of text per kind")
    ap.add_argument("kinds", nargs="*", default=list(bpe_kinds_bench.KINDS))
    args = ap.parse_args()
    out = ROOT / "build" / "bpe-stages"
    out.mkdir(parents=True, exist_ok=True)
    export_tiktoken.export(out, list(bpe_kinds_bench.ENCODINGS))   # writes out/<name>.tiktoken
    for name in bpe_kinds_bench.ENCODINGS:
        (out / f"{name}.pattern").write_text(export_tiktoken.npm_spec(name)["pat_str"])
    for kind in args.kinds:
        with open(out / f"{kind}.docs", "wb") as f:
            for d in bpe_kinds_bench.documents(kind, int(args.mb * (1 << 20))):
                f.write(len(d).to_bytes(4, "little"))
                f.write(d)
    return subprocess.run(["dotnet", "run", "-c", "Release", "--project", str(ROOT / "benchmarks" / "bpe_stages"),
                           "--", str(out), *args.kinds]).returncode


if __name__ == "__main__":
    sys.exit(main())
