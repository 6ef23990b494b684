"""Every code point through crayon and the npm tiktoken, in contexts that expose its split class
(letter / number / White_Space / other, upper / lower / mark for o200k). Slow (~2 min on 2 cores).

    make native peers
    python3 tests/peers/check_unicode_classes.py cl100k_base   # or o200k_base
"""
import ctypes
import json
import os
import subprocess
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(name: str) -> int:
    lib = ctypes.CDLL(os.environ.get("CRAYON_LIBRARY", os.path.join(ROOT, "build/native/libcrayon.so")))
    P = ctypes.c_void_p
    lib.crayon_bpe_load.argtypes = [ctypes.c_char_p, ctypes.c_char_p, P, P, ctypes.c_size_t, ctypes.POINTER(P)]
    lib.crayon_bpe_encode_ordinary.argtypes = [P, ctypes.c_char_p, ctypes.c_size_t, P, ctypes.c_size_t]
    lib.crayon_bpe_encode_ordinary.restype = ctypes.c_int64
    peers = os.path.join(ROOT, "tests/peers")
    path = f"/tmp/crayon-{os.getpid()}-{name}.tiktoken"
    meta = json.loads(subprocess.check_output(["node", os.path.join(peers, "tiktoken_ranks.js"), name, path]))
    h = P()
    if lib.crayon_bpe_load(path.encode(), meta["pat_str"].encode(), None, None, 0, ctypes.byref(h)) != 0:
        raise SystemExit("crayon_bpe_load failed")
    os.unlink(path)
    cps = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    docs = [f"a{chr(c)}a !{chr(c)}! 1{chr(c)}1 {chr(c)}\u0301 A{chr(c)}b {chr(c)}'a x'{chr(c)}\n" for c in cps]
    ref = []
    for i in range(0, len(docs), 20000):
        req = json.dumps({"encoding": name, "docs": docs[i:i + 20000]}).encode()
        out = subprocess.run(["node", os.path.join(peers, "tiktoken_encode.js")], input=req, capture_output=True, check=True)
        ref += json.loads(out.stdout)["ids"]
    buf = (ctypes.c_int32 * 256)()
    bad = []
    for d, c, r in zip(docs, cps, ref):
        b = d.encode()
        n = lib.crayon_bpe_encode_ordinary(h, b, len(b), buf, 256)
        if list(buf[:n]) != r:
            bad.append(c)
    print(f"{name}: {len(cps)} code points checked, {len(bad)} differ")
    for c in bad[:40]:
        print(f"  U+{c:04X} {unicodedata.category(chr(c))} {unicodedata.name(chr(c), '?')}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "cl100k_base"))
