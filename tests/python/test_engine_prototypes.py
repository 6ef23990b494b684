"""Every function of the engine section of crayon.h is declared once in _PROTOTYPES, matching it."""
from __future__ import annotations

import ctypes
import re

from crayon import _native

import engine_support as es

RESTYPES = {"int": ctypes.c_int, "int64_t": ctypes.c_int64, "size_t": ctypes.c_size_t,
            "uint32_t": ctypes.c_uint32, "void": None, "const char *": ctypes.c_char_p}


def engine_section() -> list[tuple[str, str, list[str]]]:
    header = (es.REPO / "include" / "crayon.h").read_text()
    start = header.index("==== Crayon engine")
    section = header[start:header.index("==== end of engine section")]
    out = []
    for ret, name, params in re.findall(r"CRAYON_API\s+([\w\s\*]+?)\s*\b(crayon_\w+)\((.*?)\);",
                                        section, re.S):
        params = " ".join(params.split())
        args = [] if params in ("", "void") else params.split(",")
        out.append((" ".join(ret.split()).replace(" *", " *"), name, args))
    return out


def test_every_engine_function_has_a_prototype_with_its_arity():
    functions = engine_section()
    assert {"crayon_tokenize", "crayon_vocab_learn"} <= {name for _, name, _ in functions}
    for ret, name, args in functions:
        assert name in _native._PROTOTYPES, f"{name} is missing from _PROTOTYPES"
        restype, argtypes = _native._PROTOTYPES[name]
        assert len(argtypes) == len(args), name
        assert restype is RESTYPES[ret], (name, ret)


def test_pointer_and_width_of_each_argument():
    for _, name, args in engine_section():
        _, argtypes = _native._PROTOTYPES[name]
        for c_arg, py in zip(args, argtypes):
            c_arg = c_arg.strip()
            if "*" in c_arg or "crayon_progress_fn" in c_arg:
                assert py is ctypes.c_char_p or py is _native.PROGRESS_FN or py is ctypes.c_void_p \
                    or issubclass(py, ctypes._Pointer), (name, c_arg, py)
            elif c_arg.startswith("size_t"):
                assert py is ctypes.c_size_t, (name, c_arg)
            elif c_arg.startswith("int32_t"):
                assert py is ctypes.c_int32, (name, c_arg)
            elif c_arg.startswith("uint32_t"):
                assert py is ctypes.c_uint32, (name, c_arg)
