"""Deterministic costs of two or more builds of libcrayon.so, for A/B of single changes when the
machine is too noisy to time them: instructions and simulated cache misses per byte, counted by
valgrind (callgrind, inside the library's encode or tokenize calls only), the same on every run.

    make native peers
    python3 benchmarks/cost_ab.py --lib A/libcrayon.so --lib B/libcrayon.so \\
        [--kinds english,code,email,multilingual,letters,latin1,cjk] [--encoding cl100k_base] \\
        [--profiles lite,code] [--profile-dir DIR ...] [--mb 1] [--l2 512K] [--functions N]

Each workload runs in its own process under callgrind twice, with W and with W + N passes over the
same text (--warm W, --passes N; 2 and 2 by default), and the difference is divided by N: the steady
state, without loading, table building or the warm-up passes. (One warm-up pass is not enough: on
multilingual text the piece cache still merged ~10k pieces in the second pass and ~1.4k in the
fourth, 2026-12-07.) BPE workloads are one crayon_bpe_encode_ordinary call per document of at
most 4096 characters (benchmarks/bpe_docs.c) or one call for a worst-case text (a 1 MB piece of
random letters, ...); longest-match workloads are one crayon_tokenize call over the text with a
profile (benchmarks/engine_ab.c). The last-level cache simulated is one core's L2 (--l2; this CPU's
by default), since the tables the hot loops read compete for it; the level-1 data cache is 32 KiB.

What it cannot tell: how the out-of-order core overlaps misses, branch mispredictions (not simulated
here), and the real latency of each level. A change that removes instructions without adding
misses is very likely faster; one that trades instructions for misses needs a timed A/B
(bpe_kinds_bench.py, engine_ab.sh) on a quiet machine. --functions N prints the N costliest
functions per workload, which needs a library with symbols:

    dotnet publish src/Crayon.Native/Crayon.Native.csproj -c Release -o /tmp/sym -p:CrayonIsa=x86-64-v3 \\
        -p:StripSymbols=false && objcopy --strip-debug /tmp/sym/libcrayon.so /tmp/sym/libsym.so

(valgrind cannot read the DWARF NativeAOT writes, so it is stripped; the symbol table stays.) The
dispatcher build/native/libcrayon.so is counted through its AVX2 build beside it: its stubs jump into
that library, which callgrind's --toggle-collect does not follow, and valgrind has no AVX-512.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "peers"))

import bpe_kinds_bench  # noqa: E402
import corpus  # noqa: E402
import export_tiktoken  # noqa: E402
import machine  # noqa: E402
from bpe_worst_bench import parse_size, piece_text  # noqa: E402

BPE_KINDS = ("english", "code", "email", "multilingual")
PIECE_KINDS = ("letters", "a", "digits", "spaces", "cjk", "latin1")

# The .NET runtime reserves 256 GiB of address space for its GC, more than valgrind hands out.
VALGRIND_ENV = {"DOTNET_GCRegionRange": "40000000", "OCL_ICD_VENDORS": "/nonexistent"}


def this_l2() -> int:
    size = machine.cache_size(2)
    return parse_size(size) if size else 512 << 10


def bpe_text(kind: str, nbytes: int) -> list[bytes]:
    if kind in BPE_KINDS:
        return bpe_kinds_bench.documents(kind, nbytes)
    return [piece_text(kind, nbytes, random.Random(1)).encode()]


def engine_text(nbytes: int) -> bytes:
    return b"".join(d.encode("utf-8", "surrogatepass") for d in corpus.documents("english", nbytes))[:nbytes]


def linkable_dir(lib: str, scratch: Path) -> str:
    """A scratch directory where the library answers to -lcrayon (and to its own SONAME)."""
    scratch.mkdir()
    names = {"libcrayon.so"}
    dynamic = subprocess.run(["objdump", "-p", lib], capture_output=True, text=True).stdout.split()
    if "SONAME" in dynamic:   # what the linked program will ask the loader for
        names.add(dynamic[dynamic.index("SONAME") + 1])
    for name in names:
        (scratch / name).symlink_to(lib)
    return str(scratch)


class Costs:
    """Instructions, L1 data read misses, last-level data read misses."""

    def __init__(self, ir: int, d1: int, ll: int):
        self.ir, self.d1, self.ll = ir, d1, ll

    def __sub__(self, other: "Costs") -> "Costs":
        return Costs(self.ir - other.ir, self.d1 - other.d1, self.ll - other.ll)


def callgrind(cmd: list[str], env: dict[str, str], l2: int, entry: str, out: Path) -> Costs:
    """Counts inside calls of `entry` only (callgrind's --toggle-collect), so that loading and the
    runtime's other threads, whose work varies from run to run by a few percent, are left out."""
    full = ["valgrind", "--tool=callgrind", "--cache-sim=yes", "--D1=32768,8,64", f"--LL={l2},8,64",
            f"--toggle-collect={entry}", f"--callgrind-out-file={out}", *cmd]
    run = subprocess.run(full, env={**os.environ, **VALGRIND_ENV, **env}, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed under valgrind:\n{run.stderr[-2000:]}")
    events, totals = None, None
    for line in out.read_text().splitlines():
        if line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith("summary:"):
            totals = [int(x) for x in line.split()[1:]]
    if not events or not totals:
        raise SystemExit(f"no totals in {out}")
    value = dict(zip(events, totals))
    if value["Ir"] < 10_000:
        raise SystemExit(f"{entry} was hardly counted ({value['Ir']} instructions): is {cmd[1]} the library itself, "
                         "not the dispatcher (whose stubs jump into it, which the toggle does not follow)?")
    return Costs(value["Ir"], value["D1mr"], value["DLmr"])


def steady(cmd_for_passes, env: dict[str, str], l2: int, entry: str, warm: int, passes: int, scratch: Path,
           tag: str) -> tuple[Costs, Path, Path]:
    """Costs of the passes after the warm ones (W + N passes minus W), and the two callgrind files."""
    before, after = scratch / f"{tag}.warm", scratch / f"{tag}.all"
    c1 = callgrind(cmd_for_passes(warm), env, l2, entry, before)
    c2 = callgrind(cmd_for_passes(warm + passes), env, l2, entry, after)
    return c2 - c1, before, after


def self_costs(path: Path) -> dict[str, int]:
    """Instructions per function (self cost) in a callgrind file."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", str(path)],
                          capture_output=True, text=True).stdout.splitlines()
    costs, started = {}, False
    for line in text:
        if "file:function" in line:
            started = True
            continue
        fields = line.split()
        if not started or not fields or not fields[0].replace(",", "").isdigit():
            continue
        name = next((f for f in fields[1:] if ":" in f), fields[-1]).split(":", 1)[-1]
        costs[name] = costs.get(name, 0) + int(fields[0].replace(",", ""))
    return costs


def top_functions(before: Path, after: Path, n: int, passes: int) -> list[str]:
    """The n functions with the most instructions per counted pass."""
    a, b = self_costs(before), self_costs(after)
    diff = sorted(((b[f] - a.get(f, 0), f) for f in b), reverse=True)[:n]
    return [f"{d // passes:>14,}  {f}" for d, f in diff if d > 0]


def real_library(lib: str) -> str:
    """The library to count: the dispatcher (build/native/libcrayon.so) is replaced by its AVX2
    build beside it, which valgrind runs (it has no AVX-512) and whose exports are the functions."""
    p = Path(lib)
    beside = p.with_name("libcrayon-x86-64-v3.so")
    if p.name == "libcrayon.so" and beside.is_file():
        return str(beside)
    return lib


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", action="append", required=True, help="libcrayon.so to count (repeat for A/B)")
    ap.add_argument("--kinds", default="english,code,email,multilingual",
                    help=f"BPE workloads: {', '.join(BPE_KINDS + PIECE_KINDS)} (empty for none)")
    ap.add_argument("--encoding", default="cl100k_base")
    ap.add_argument("--profiles", default="", help="longest-match workloads on English: profile names (e.g. lite,code)")
    ap.add_argument("--profile-dir", action="append", default=None,
                    help="where the profiles are (default build/profiles); repeat, one per --lib, where the libraries read different formats")
    ap.add_argument("--mb", type=float, default=1, help="MB of text per workload")
    ap.add_argument("--l2", default=None, help="the simulated last-level cache (default: this CPU's L2)")
    ap.add_argument("--warm", type=int, default=2, help="passes before the counted ones")
    ap.add_argument("--passes", type=int, default=2, help="passes counted")
    ap.add_argument("--functions", type=int, default=0, help="also print the N costliest functions (needs symbols)")
    args = ap.parse_args()

    if args.warm < 1 or args.passes < 1:
        raise SystemExit("--warm and --passes must be at least 1")
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (make installs it: apt-get install -y valgrind)")
    libs = [real_library(str(Path(p).resolve())) for p in args.lib]
    for p in libs:
        if not Path(p).is_file():
            raise SystemExit(f"no library at {p}")
    l2 = parse_size(args.l2) if args.l2 else this_l2()
    nbytes = int(args.mb * (1 << 20))
    kinds = [k for k in args.kinds.split(",") if k]
    for k in kinds:
        if k not in BPE_KINDS + PIECE_KINDS:
            raise SystemExit(f"unknown kind {k!r}; known: {', '.join(BPE_KINDS + PIECE_KINDS)}")
    profiles = [p for p in args.profiles.split(",") if p]
    profile_dirs = args.profile_dir or [str(ROOT / "build" / "profiles")]
    if len(profile_dirs) == 1:
        profile_dirs = profile_dirs * len(libs)
    if len(profile_dirs) != len(libs):
        raise SystemExit(f"{len(profile_dirs)} --profile-dir for {len(libs)} --lib: give one, or one per library")

    rows: list[tuple[str, int, list[Costs]]] = []
    functions: dict[tuple[str, str], list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="cost_ab_") as tmp:
        scratch = Path(tmp)
        if kinds:
            driver = bpe_kinds_bench.build_driver()
            ranks = export_tiktoken.export(scratch, [args.encoding])[args.encoding]
            pattern = scratch / "pattern"
            pattern.write_text(export_tiktoken.npm_spec(args.encoding)["pat_str"], encoding="utf-8")
            for kind in kinds:
                docs = scratch / f"{kind}.docs"
                size = bpe_kinds_bench.write_docs(docs, bpe_text(kind, nbytes))
                costs = []
                for i, lib in enumerate(libs):
                    c, before, after = steady(lambda p: [driver, lib, str(ranks), str(pattern), str(docs), str(p)], {},
                                           l2, "crayon_bpe_encode_ordinary", args.warm, args.passes, scratch, f"{kind}.{i}")
                    costs.append(c)
                    if args.functions:
                        functions[(f"{args.encoding} {kind}", lib)] = top_functions(before, after, args.functions, args.passes)
                rows.append((f"{args.encoding} {kind}", size, costs))
        if profiles:
            dirs = [linkable_dir(lib, scratch / f"lib{i}") for i, lib in enumerate(libs)]
            exe = scratch / "engine_ab"
            subprocess.run([os.environ.get("CC", "cc"), "-O2", "-std=c11", f"-I{ROOT / 'include'}",
                            str(HERE / "engine_ab.c"), f"-L{dirs[0]}", "-lcrayon", "-o", str(exe)], check=True)
            text = scratch / "english.txt"
            text.write_bytes(engine_text(nbytes))
            for name in profiles:
                dats = [Path(d) / f"{name}.dat" for d in profile_dirs]
                for dat in dats:
                    if not dat.is_file():
                        raise SystemExit(f"no profile at {dat} (make profiles)")
                costs = []
                for i, lib in enumerate(libs):
                    dat = dats[i]
                    # engine_ab links libcrayon.so by name: each library answers to it in its own scratch directory.
                    c, before, after = steady(lambda p: [str(exe), str(dat), str(text), str(p)],
                                           {"LD_LIBRARY_PATH": dirs[i]}, l2, "crayon_tokenize", args.warm, args.passes, scratch,
                                           f"lm-{name}.{i}")
                    costs.append(c)
                    if args.functions:
                        functions[(f"longest match {name}", lib)] = top_functions(before, after, args.functions, args.passes)
                rows.append((f"longest match {name}, English", text.stat().st_size, costs))

    print(f"per pass after {args.warm} warm-up passes ({args.passes} counted); simulated L1d 32 KiB, last level {l2 >> 10} KiB (one core's L2)")
    names = [f"lib {chr(ord('A') + i)}" for i in range(len(libs))]
    for name, lib in zip(names, libs):
        print(f"{name}: {lib}")
    head = "| workload | MB | " + " | ".join(f"{n}: instr/B, L1d miss/KB, L2 miss/KB" for n in names)
    if len(libs) > 1:
        head += " | " + " | ".join(f"{n}/A instr, L1d, L2" for n in names[1:])
    print(head + " |")
    print("|---|---:|" + "---:|" * (len(libs) + max(0, len(libs) - 1)))
    for workload, size, costs in rows:
        k = args.passes
        per = [f"{c.ir / k / size:.1f}, {c.d1 / k / size * 1024:.1f}, {c.ll / k / size * 1024:.2f}" for c in costs]
        cells = per[:]
        a = costs[0]
        for c in costs[1:]:
            cells.append(f"{c.ir / a.ir:.3f}, {c.d1 / max(a.d1, 1):.3f}, {c.ll / max(a.ll, 1):.3f}")
        print(f"| {workload} | {size / 1e6:.2f} | " + " | ".join(cells) + " |")
    for (workload, lib), top in functions.items():
        print(f"\n{workload}, {lib}: instructions per pass by function")
        print("\n".join(top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
