"""Single-thread exact-BPE throughput per kind of text (English, code, e-mail, multilingual), one
crayon_bpe_encode_ordinary call per document of at most 4096 characters, for one or more builds of
libcrayon.so measured in the same run (A/B).

    make native && python3 benchmarks/bpe_kinds_bench.py [--mb 2] [--rounds 5] [--lib build/native-old/libcrayon.so ...]
        [--repeat N] [--driver c | --driver python,c]

--driver c makes the calls from C (benchmarks/bpe_docs.c, built into build/bench), as a native caller
does; the default Python loop adds its interpreter and ctypes work, 1.1-2.4 µs per call measured on
2026-12-07 (the C calls ran 1.04-1.05x as fast on 4 KB English documents and 1.26-1.27x on e-mail
messages of 1.1 KB on average); --driver python,c times both in one run.

With --repeat N the whole comparison runs N times, the libraries' order reversed every other time
(so neither always goes first), and each row shows the median and range over the runs of every
library's MB/s and of the ratio (last library / first): the quick A/B for a single change, where
one run alone is within this shared machine's noise.

Every library runs in its own process (two NativeAOT runtimes are never loaded into one), the rounds
alternate between them so that the machine's other work falls on all of them alike, and each
figure is the best pass by the thread's CPU time (on a shared machine wall time mostly measures the
other work). Before timing, every library's ids are compared with the first library's
on every document (the first one is expected to be tiktoken-exact: the conformance tests check it);
a difference stops the run.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "peers"), str(ROOT / "benchmarks")]
import machine  # noqa: E402

KINDS = ("english", "code", "email", "multilingual")
ENCODINGS = ("cl100k_base", "o200k_base")
DOC_CHARS = 4096


def documents(kind: str, max_bytes: int) -> list[bytes]:
    import corpus
    if kind == "email":
        from dotnet_bench import emails
        texts = emails(max_bytes)
    else:
        texts = corpus.documents(kind, max_bytes)
    out = []
    for t in texts:
        for at in range(0, len(t), DOC_CHARS):
            out.append(t[at:at + DOC_CHARS].encode("utf-8"))
    return out


def write_docs(path: Path, docs: list[bytes]) -> int:
    """The documents as benchmarks/bpe_docs.c reads them (each a little-endian u32 length, then its
    bytes); returns their byte total."""
    path.write_bytes(b"".join(struct.pack("<I", len(d)) + d for d in docs))
    return sum(map(len, docs))


def worker(lib_path: str, encodings: list[str], kinds: list[str], mb: float, reps: int,
           driver: str | None = None) -> dict:
    """One process, one library: per (encoding, kind) the best of reps passes and a digest of the ids.
    With driver (bpe_docs.c built), the passes run in C, one call per document, and only the ids
    are taken here."""
    import ctypes
    import tempfile
    os.environ["CRAYON_LIBRARY"] = lib_path
    import bpe_native_bench as b
    import export_tiktoken
    lib = b.load_lib()
    result = {}
    docs = {k: documents(k, int(mb * (1 << 20))) for k in kinds}
    cap = max(len(d) for ds in docs.values() for d in ds) + 16
    out = (ctypes.c_int32 * cap)()
    with tempfile.TemporaryDirectory(prefix="bpe_kinds_") as scratch:   # rank files, pattern, documents
        tmp = Path(scratch)
        if driver:
            for kind in kinds:
                write_docs(tmp / f"{kind}.docs", docs[kind])
        for name in encodings:
            h = b.load_encoding(lib, name, tmp)
            if driver:
                ranks = export_tiktoken.export(tmp, [name])[name]   # the file load_encoding just read
                (tmp / "pattern").write_text(export_tiktoken.npm_spec(name)["pat_str"], encoding="utf-8")
            for kind in kinds:
                data = docs[kind]
                digest = hashlib.sha256()
                ntok = 0
                for d in data:
                    n = lib.crayon_bpe_encode_ordinary(h, d, len(d), out, cap)
                    if n < 0:
                        raise SystemExit(f"{name} {kind}: error {n}: {lib.crayon_last_error().decode()}")
                    digest.update(bytes(memoryview(out)[:n]))
                    ntok += n
                if driver:
                    line = subprocess.run([driver, lib_path, str(ranks), str(tmp / "pattern"), str(tmp / f"{kind}.docs"),
                                           str(reps)], check=True, capture_output=True, text=True).stdout.split()
                    if int(line[2]) != ntok:
                        raise SystemExit(f"{name} {kind}: the C driver made {line[2]} tokens, ctypes {ntok}")
                    best = float(line[3])
                else:
                    best = float("inf")
                    for _ in range(reps):
                        ntok = 0
                        t = time.thread_time()
                        for d in data:
                            ntok += lib.crayon_bpe_encode_ordinary(h, d, len(d), out, cap)
                        best = min(best, time.thread_time() - t)
                result[f"{name} {kind}"] = {"seconds": best, "bytes": sum(map(len, data)), "tokens": ntok,
                                            "docs": len(data), "ids": digest.hexdigest()}
            lib.crayon_bpe_free(h)
    return result


def build_driver() -> str:
    """benchmarks/bpe_docs.c, compiled into build/bench when older than its source."""
    src = ROOT / "benchmarks" / "bpe_docs.c"
    exe = ROOT / "build" / "bench" / "bpe_docs"
    if not exe.exists() or exe.stat().st_mtime < src.stat().st_mtime:
        exe.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([os.environ.get("CC", "cc"), "-O2", "-Wall", "-Wextra", str(src), "-ldl", "-o", str(exe)], check=True)
    return str(exe)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", action="append", help="libcrayon.so to measure (repeat for A/B; default build/native)")
    ap.add_argument("--mb", type=float, default=2, help="MB of text per kind")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds (one process per library each)")
    ap.add_argument("--reps", type=int, default=3, help="passes per round")
    ap.add_argument("--encodings", default=",".join(ENCODINGS))
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--repeat", type=int, default=1, help="whole runs, the libraries' order reversed every other run; prints medians and ranges")
    ap.add_argument("--driver", default="python",
                    help="who makes the calls: python (a loop through ctypes, which adds 1-2 µs to each), "
                         "c (benchmarks/bpe_docs.c: one C call per document, as a native caller), or "
                         "python,c (both, as columns of one run)")
    ap.add_argument("--driver-bin", help=argparse.SUPPRESS)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    drivers = args.driver.split(",")
    if not drivers or any(d not in ("python", "c") for d in drivers):
        raise SystemExit(f"--driver: python, c or python,c; got {args.driver!r}")
    encodings, kinds = args.encodings.split(","), args.kinds.split(",")
    libs = args.lib or [str(ROOT / "build/native/libcrayon.so")]
    if args.worker:
        print(json.dumps(worker(libs[0], encodings, kinds, args.mb, args.reps, args.driver_bin)))
        return 0
    # Each (library, driver) is one column; the ratio is the last column's over the first's.
    binary = build_driver() if "c" in drivers else None
    targets = [(lib, binary if d == "c" else None) for lib in libs for d in drivers]
    names = [Path(lib).parent.name + (f" ({d})" if len(drivers) > 1 else "") for lib in libs for d in drivers]
    libs = targets

    runs: list[dict[str, list[float]]] = []   # per run: row -> MB/s per library, in --lib order
    first_bytes: dict[str, int] = {}
    for rep in range(args.repeat):
        order = list(range(len(libs)))
        if rep % 2:
            order.reverse()
        best = measure([libs[i] for i in order], args)
        by_lib = [best[order.index(i)] for i in range(len(libs))]
        for i in range(1, len(libs)):
            for key, r in by_lib[i].items():
                if r["ids"] != by_lib[0][key]["ids"]:
                    print(f"IDS DIFFER: {names[i]} vs {names[0]} on {key}")
                    return 1
        runs.append({key: [b[key]["bytes"] / b[key]["seconds"] / 1e6 for b in by_lib] for key in by_lib[0]})
        first_bytes = {key: r["bytes"] for key, r in by_lib[0].items()}
        if args.repeat > 1:
            print(f"run {rep + 1}/{args.repeat} done, load average {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)

    what = f"best of {args.rounds} rounds x {args.reps} passes (thread CPU time)"
    if args.repeat > 1:
        what = f"median (min-max) of {args.repeat} runs, the libraries' order reversed every other run, each the {what}"
    print(f"{what}; one thread; documents of <= {DOC_CHARS} chars, called from {' and '.join(drivers)}; "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"cpu: {machine.describe()}")
    head = "| encoding, kind | MB | " + " | ".join(f"MB/s {n}" for n in names)
    head += " | ratio |" if len(libs) > 1 else " |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for key, nbytes in first_bytes.items():
        cells = [spread([run[key][i] for run in runs], "{:.1f}") for i in range(len(libs))]
        row = f"| {key} | {nbytes / 1e6:.2f} | " + " | ".join(cells)
        if len(libs) > 1:
            row += " | " + spread([run[key][-1] / run[key][0] for run in runs], "{:.2f}x") + " |"
        else:
            row += " |"
        print(row)
    if len(libs) > 1:
        print("ids identical across libraries on every document")
    return 0


def measure(libs: list[tuple[str, str | None]], args: argparse.Namespace) -> list[dict]:
    """The best pass per row for each (library, C driver or None), rounds alternating between them."""
    best: list[dict] = [{} for _ in libs]
    for rnd in range(args.rounds):
        for i, (lib, driver) in enumerate(libs):
            cmd = [sys.executable, __file__, "--worker", "--lib", lib, "--mb", str(args.mb), "--reps", str(args.reps),
                   "--encodings", args.encodings, "--kinds", args.kinds]
            if driver:
                cmd += ["--driver-bin", driver]
            res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            for key, r in res.items():
                if key not in best[i] or r["seconds"] < best[i][key]["seconds"]:
                    best[i][key] = r
        print(f"round {rnd + 1}/{args.rounds} done, load average {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
    return best


def spread(values: list[float], fmt: str) -> str:
    """One value as is; several as their median and range."""
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


if __name__ == "__main__":
    sys.exit(main())
