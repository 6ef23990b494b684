"""What this machine can run on: CPU always, AVX2/AVX-512, and the GPU backends that work here.

Detection is the library's (crayon_backends): AVX2/AVX-512 from the .NET runtime's intrinsics
support; cuda, rocm and opencl only when the device opens and the library's kernels load on it
(libcuda.so.1 for CUDA; libOpenCL.so.1 for ROCm's AMD platform and for any OpenCL device, PoCL's CPU
device included). backend_report() gives the device name, memory and driver version, or the reason.
Asking a CrayonVocab for a device that is not there raises BackendUnavailableError saying why.
"""
from __future__ import annotations

from .. import _native
from ._calls import read_string

_FLAGS = (("cpu", 1 << 0), ("avx2", 1 << 1), ("avx512", 1 << 2), ("cuda", 1 << 3),
          ("rocm", 1 << 4), ("opencl", 1 << 5))


def check_backends() -> dict[str, bool]:
    """``{'cpu': True, 'avx2': bool, 'avx512': bool, 'cuda': bool, 'rocm': bool, 'opencl': bool}``"""
    bits = _native.lib().crayon_backends()
    return {name: bool(bits & flag) for name, flag in _FLAGS}


def backend_report() -> list[tuple[str, bool, str]]:
    """One ``(name, present, detail)`` row per backend, e.g. ``('cuda', False, 'libcuda.so.1 not found')``."""
    rows = []
    for line in read_string(_native.lib().crayon_backend_report, initial=1024).splitlines():
        name, present, detail = (line.split("\t", 2) + ["", ""])[:3]
        rows.append((name, present == "yes", detail))
    return rows
