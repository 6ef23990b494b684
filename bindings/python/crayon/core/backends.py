"""What this machine can run on: CPU always, AVX2/AVX-512, CUDA and ROCm when present.

Detection is the library's (crayon_backends): AVX2/AVX-512 from the .NET runtime's intrinsics
support, CUDA when libcuda loads and reports at least one device, ROCm when the HIP runtime does.
Only the CPU backend executes today; asking a CrayonVocab for another device raises
BackendUnavailableError with the list of what is available.
"""
from __future__ import annotations

from .. import _native
from ._calls import read_string

_FLAGS = (("cpu", 1 << 0), ("avx2", 1 << 1), ("avx512", 1 << 2), ("cuda", 1 << 3),
          ("rocm", 1 << 4))


def check_backends() -> dict[str, bool]:
    """``{'cpu': True, 'avx2': bool, 'avx512': bool, 'cuda': bool, 'rocm': bool}``"""
    bits = _native.lib().crayon_backends()
    return {name: bool(bits & flag) for name, flag in _FLAGS}


def backend_report() -> list[tuple[str, bool, str]]:
    """One ``(name, present, detail)`` row per backend, e.g. ``('cuda', False, 'libcuda.so.1 not found')``."""
    rows = []
    for line in read_string(_native.lib().crayon_backend_report, initial=1024).splitlines():
        name, present, detail = (line.split("\t", 2) + ["", ""])[:3]
        rows.append((name, present == "yes", detail))
    return rows
