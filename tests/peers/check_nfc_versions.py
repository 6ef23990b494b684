"""Where crayon's NFC (Unicode tables from this Python's unicodedata) differs from node's
String.prototype.normalize (ICU, usually a newer Unicode): every code point in contexts that make
it compose, reorder or block, through an NFC profile's tokenize + decode. Lists the differing code
points as ranges; they are the Unicode version difference, documented in docs/engine.md.

    make native
    python3 tests/peers/check_nfc_versions.py
"""
import ctypes
import json
import os
import subprocess
import sys
import tempfile
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
P = ctypes.c_void_p


def crayon_nfc(lines: list[str]) -> list[str]:
    lib = ctypes.CDLL(os.environ.get("CRAYON_LIBRARY", os.path.join(ROOT, "build/native/libcrayon.so")))
    lib.crayon_dat_build.argtypes = [P, P, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint32,
                                     ctypes.POINTER(P), ctypes.POINTER(ctypes.c_size_t)]
    lib.crayon_load_dat_buffer.argtypes = [P, ctypes.c_size_t, ctypes.c_uint32, ctypes.POINTER(P)]
    lib.crayon_tokenize.argtypes = [P, ctypes.c_char_p, ctypes.c_size_t, P, ctypes.c_size_t]
    lib.crayon_tokenize.restype = ctypes.c_int64
    lib.crayon_decode.argtypes = [P, P, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
    lib.crayon_decode.restype = ctypes.c_int64
    data, size, v = P(), ctypes.c_size_t(), P()
    if lib.crayon_dat_build(None, None, 0, b"nfc", b"check", 1, ctypes.byref(data), ctypes.byref(size)) != 0 \
            or lib.crayon_load_dat_buffer(data, size.value, 0, ctypes.byref(v)) != 0:
        raise SystemExit("could not build an NFC profile")
    text = "\n".join(lines).encode()
    ids = (ctypes.c_int32 * (3 * len(text)))()
    n = lib.crayon_tokenize(v, text, len(text), ids, 3 * len(text))
    out = ctypes.create_string_buffer(3 * len(text))
    m = lib.crayon_decode(v, ids, n, out, len(out))
    return out.raw[:m].decode().split("\n")


def node_nfc(lines: list[str]) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.json"), os.path.join(tmp, "out.json")
        with open(src, "w", encoding="utf-8") as f:
            json.dump(lines, f)
        js = ("const fs=require('fs');const l=JSON.parse(fs.readFileSync(process.argv[1],'utf8'));"
              "fs.writeFileSync(process.argv[2],JSON.stringify({v:process.versions.unicode,"
              "l:l.map(s=>s.normalize('NFC'))}));")
        subprocess.run(["node", "-e", js, src, dst], check=True)
        with open(dst, encoding="utf-8") as f:
            got = json.load(f)
    print(f"node: Unicode {got['v']}; crayon tables: this Python's unicodedata {unicodedata.unidata_version}")
    return got["l"]


def main() -> int:
    cps = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and c != 0x0A]  # lines split at \n
    lines = [f"a{c} {c}\u0301 \u0301{c} e\u0323{c}\u0300 {c}\u0316\u0301 \u1100{c}\u11a8 {c}{c}"
             for c in map(chr, cps)]
    ours, icu = crayon_nfc(lines), node_nfc(lines)
    diff = [c for c, a, b in zip(cps, ours, icu) if a != b]
    ranges: list[list[int]] = []
    for c in diff:
        if ranges and c == ranges[-1][1] + 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    print(f"{len(cps)} code points checked, {len(diff)} normalise differently:")
    print(" ".join(f"U+{a:04X}" + (f"..{b:04X}" if b != a else "") for a, b in ranges))
    assigned = [c for c in diff if unicodedata.category(chr(c)) != "Cn"]
    print(f"{len(assigned)} of them are assigned in Unicode {unicodedata.unidata_version} (expected 0)")
    return 1 if assigned else 0


if __name__ == "__main__":
    sys.exit(main())
