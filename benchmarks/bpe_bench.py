"""BPE encoding speed: Crayon next to the npm tiktoken (OpenAI's Rust core as WASM) and Hugging Face
`tokenizers` (npm, native), in the same run on the same documents.

    CRAYON_LIBRARY=$PWD/build/native/libcrayon.so PYTHONPATH=bindings/python \
        .venv/bin/python benchmarks/bpe_bench.py [--mb 4] [--repeat 3] [--quick]

Rows: cl100k_base and o200k_base on English and on code; one thread and all threads; then the
pathological inputs (1 MB of one letter, 1 MB of random letters with no space) next to 1 MB of
English. Peers are timed inside node (process start-up and file reading excluded); each figure is
the best of --repeat runs. Ours is timed through the Python API (UTF-8 encoding of the str and the
list of ids included), so it is what a tiktoken user gets; the "numpy" rows skip building Python
ints (~90 ns per id on this machine, more than the encoding itself). MB = 10^6 bytes of UTF-8.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "peers"), str(ROOT / "bindings" / "python")]

import corpus  # noqa: E402
import export_tiktoken  # noqa: E402
import hf_tokenizer  # noqa: E402
import node_peer  # noqa: E402

ENCODINGS = ("cl100k_base", "o200k_base")
KINDS = ("english", "code")
PATHOLOGICAL_DEADLINE_S = 30.0


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def row(table: list, label: str, nbytes: int, tokens: int, seconds: float, note: str = ""):
    mbs = nbytes / 1e6 / seconds if seconds > 0 else float("inf")
    table.append((label, f"{mbs:9.2f}", f"{tokens / seconds / 1e6:8.3f}", f"{seconds:8.3f}", note))
    return mbs


def print_table(title: str, table: list) -> None:
    print(f"\n{title}")
    print(f"  {'tokenizer':46s} {'MB/s':>9s} {'Mtok/s':>8s} {'s':>8s}  note")
    for label, mbs, toks, secs, note in table:
        print(f"  {label:46s} {mbs} {toks} {secs}  {note}")


def bench_encoding(name: str, docs_by_kind: dict, repeat: int, hf_dir: str, threads: int) -> None:
    from crayon.compat import tiktoken
    enc = tiktoken.get_encoding(name)
    spec = export_tiktoken.npm_spec(name)
    hf_json = hf_tokenizer.tokenizer_file(name, spec["mergeable_ranks"], spec["pat_str"], hf_dir)
    for kind, docs in docs_by_kind.items():
        nbytes = sum(len(d.encode()) for d in docs)
        table: list = []
        tlist, ids1 = best_of(lambda: [enc.encode_ordinary(d) for d in docs], repeat)
        tokens = sum(map(len, ids1))
        t1, _ = best_of(lambda: enc.encode_ordinary_batch_to_numpy(docs, num_threads=1), repeat)
        tall_list, idsn = best_of(lambda: enc.encode_ordinary_batch(docs, num_threads=threads), repeat)
        assert idsn == ids1
        tall, _ = best_of(lambda: enc.encode_ordinary_batch_to_numpy(docs, num_threads=threads), repeat)
        tk = node_peer.run(["--peer", "tiktoken", "--encoding", name, "--repeat", str(repeat)], docs,
                           want_ids=True)
        hf1 = node_peer.run(["--peer", "hf", "--tokenizer-json", str(hf_json), "--repeat", str(repeat)], docs,
                            env={"RAYON_NUM_THREADS": "1"}, want_ids=True)
        hfn = node_peer.run(["--peer", "hf", "--tokenizer-json", str(hf_json), "--repeat", str(repeat), "--batch"],
                            docs)
        t_tk, t_hf1, t_hfn = min(tk["seconds"]), min(hf1["seconds"]), min(hfn["seconds"])
        # The same tokenizer.json through crayon.compat.tokenizers (ids, tokens and offsets, like HF).
        from crayon.compat.tokenizers import Tokenizer
        with Tokenizer.from_file(hf_json) as compat:
            t_json, encs = best_of(lambda: compat.encode_batch(docs, add_special_tokens=False), repeat)
        same_json = sum(e.ids == b for e, b in zip(encs, hf1["ids"]))
        same_tk = sum(a == b for a, b in zip(ids1, tk["ids"]))
        same_hf = sum(a == b for a, b in zip(ids1, hf1["ids"]))
        row(table, "crayon, 1 thread, ids as numpy (batch_to_numpy)", nbytes, tokens, t1)
        row(table, "crayon, 1 thread, ids as lists (encode_ordinary)", nbytes, tokens, tlist)
        row(table, f"crayon, {threads} threads, numpy (batch_to_numpy)", nbytes, tokens, tall)
        row(table, f"crayon, {threads} threads, lists (encode_ordinary_batch)", nbytes, tokens, tall_list)
        row(table, "npm tiktoken 1.0.22, 1 thread", nbytes, tk["tokens"], t_tk,
            f"crayon 1T is {t_tk / t1:.1f}x faster ({t_tk / tlist:.1f}x with lists); "
            f"ids equal on {same_tk}/{len(docs)} docs")
        row(table, "HF tokenizers 0.23.2, 1 thread", nbytes, hf1["tokens"], t_hf1,
            f"crayon 1T is {t_hf1 / t1:.1f}x faster ({t_hf1 / tlist:.1f}x with lists); "
            f"ids equal on {same_hf}/{len(docs)} docs")
        row(table, "crayon.compat.tokenizers, same tokenizer.json", nbytes, sum(len(e.ids) for e in encs), t_json,
            f"{t_hf1 / t_json:.1f}x faster than HF, 1 thread (both give ids, tokens and offsets); "
            f"ids equal to HF on {same_json}/{len(docs)} docs")
        row(table, "HF tokenizers 0.23.2, encodeBatch (all threads)", nbytes, hfn["tokens"], t_hfn,
            f"crayon {threads}T is {t_hfn / tall:.1f}x faster ({t_hfn / tall_list:.1f}x with lists)")
        print_table(f"{name} / {kind}: {len(docs)} documents, {nbytes / 1e6:.1f} MB, {tokens} tokens", table)


def peer_seconds(name: str, text: str) -> float | str:
    """npm tiktoken's time on one text, or why there is none: it did not finish within the deadline
    (a WASM call cannot be interrupted, so the node process is stopped), or it failed."""
    import subprocess
    try:
        info = node_peer.run(["--peer", "tiktoken", "--encoding", name], [text], timeout_s=PATHOLOGICAL_DEADLINE_S)
    except subprocess.TimeoutExpired:
        return f"did not finish in {PATHOLOGICAL_DEADLINE_S:.0f} s (stopped)"
    except RuntimeError as e:
        lines = str(e).splitlines()
        return "failed: " + (lines[1] if len(lines) > 1 else lines[0])[:60]
    return info["seconds"][0]


def bench_pathological(name: str, mb: float) -> None:
    from crayon.compat import tiktoken
    enc = tiktoken.get_encoding(name)
    rng = random.Random(5)
    english_all = "".join(corpus.documents("english", int(4 * mb * 1e6)))
    makers = {
        "English": lambda n: english_all[:n],
        "one letter ('a' * N)": lambda n: "a" * n,
        "random letters, no space": lambda n: "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n)),
    }
    table: list = []
    for label, make in makers.items():
        for n in (int(mb * 1e5), int(mb * 1e6)):
            text = make(n)
            t, ids = best_of(lambda: enc.encode_ordinary(text), 1)
            nbytes = len(text.encode())
            size = f"{nbytes / 1e6:g} MB"
            row(table, f"crayon: {label}, {size}", nbytes, len(ids), t)
            secs = peer_seconds(name, text)
            if isinstance(secs, str):
                table.append((f"npm tiktoken: {label}, {size}", "        -", "       -", "       -", secs))
            else:
                row(table, f"npm tiktoken: {label}, {size}", nbytes, len(ids), secs,
                    f"crayon is {secs / t:.0f}x faster")
    print_table(f"{name}: pathological inputs (crayon's time should grow linearly with length)", table)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=4.0, help="MB of each kind of text (default 4)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pathological-mb", type=float, default=1.0)
    ap.add_argument("--quick", action="store_true", help="0.5 MB, one repeat (a smoke run)")
    a = ap.parse_args()
    if a.quick:
        a.mb, a.repeat = 0.5, 1
    reason = node_peer.available()
    if reason:
        print(f"skipped: npm peers unavailable ({reason}); run `make peers`")
        return 0
    with tempfile.TemporaryDirectory(prefix="crayon-bench-") as tmp:
        os.environ.setdefault("CRAYON_TIKTOKEN_DIR", tmp)
        export_tiktoken.export(os.environ["CRAYON_TIKTOKEN_DIR"], ENCODINGS)
        hf_dir = str(ROOT / "build" / "bench")
        threads = os.cpu_count() or 1
        docs_by_kind = {k: corpus.documents(k, int(a.mb * 1e6)) for k in KINDS}
        print(f"machine: {threads} logical CPUs; {a.mb:g} MB per kind; best of {a.repeat}")
        for name in ENCODINGS:
            bench_encoding(name, docs_by_kind, a.repeat, hf_dir, threads)
        for name in ENCODINGS:
            bench_pathological(name, a.pathological_mb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
