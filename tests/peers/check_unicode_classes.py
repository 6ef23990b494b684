"""Every code point through crayon and the npm tiktoken, in contexts that expose its split class
(letter / number / White_Space / other, upper / lower / mark for o200k). Slow (~2 min on 2 cores).

    make native peers
    python3 tests/peers/check_unicode_classes.py cl100k_base   # or o200k_base
"""
import ctypes
import os
import sys
import tempfile
import unicodedata

import export_tiktoken
import node_peer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(name: str) -> int:
    lib = ctypes.CDLL(os.environ.get("CRAYON_LIBRARY", os.path.join(ROOT, "build/native/libcrayon.so")))
    P = ctypes.c_void_p
    lib.crayon_bpe_load.argtypes = [ctypes.c_char_p, ctypes.c_char_p, P, P, ctypes.c_size_t, ctypes.POINTER(P)]
    lib.crayon_bpe_encode_ordinary.argtypes = [P, ctypes.c_char_p, ctypes.c_size_t, P, ctypes.c_size_t]
    lib.crayon_bpe_encode_ordinary.restype = ctypes.c_int64
    h = P()
    with tempfile.TemporaryDirectory(prefix="crayon-classes-") as tmp:
        path = str(export_tiktoken.export(tmp, [name])[name])
        pattern = export_tiktoken.npm_spec(name)["pat_str"]
        if lib.crayon_bpe_load(path.encode(), pattern.encode(), None, None, 0, ctypes.byref(h)) != 0:
            raise SystemExit("crayon_bpe_load failed")
    cps = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    docs = [f"a{chr(c)}a !{chr(c)}! 1{chr(c)}1 {chr(c)}\u0301 A{chr(c)}b {chr(c)}'a x'{chr(c)}\n" for c in cps]
    ref = node_peer.tiktoken_ids(name, docs)
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
