"""The one place that finds libcrayon.so and declares its C prototypes.

Lookup order: $CRAYON_LIBRARY (if set, nothing else is tried), the copy bundled in this package (crayon/lib), the repository's
build output (build/native), then the system loader. The error lists every place tried.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from ctypes import (POINTER, c_char_p, c_int, c_int32, c_int64, c_size_t, c_void_p, c_uint32,
                    c_uint64, c_double, CFUNCTYPE)
from pathlib import Path

from ._errors import raise_for_status, CrayonError

_ENV_VAR = "CRAYON_LIBRARY"
_LIB_NAME = "libcrayon.so"
CRAYON_FAILED = -(2 ** 63)

_c_int32_p = POINTER(c_int32)
# The int32_t* ids of the one-text encode and decode calls: c_void_p takes an address as a plain int
# (and still any ctypes array or pointer), which ctypes converts in a third of the time of an int32
# pointer; a call from Python on a short text is mostly such conversions (core/_calls.ids_out).
_c_ids = c_void_p
_c_int64_p = POINTER(c_int64)
_c_size_t_p = POINTER(c_size_t)
_c_void_pp = POINTER(c_void_p)

# Progress callback used by long-running native calls: (user, done, total) -> 0 to continue.
PROGRESS_FN = CFUNCTYPE(c_int, c_void_p, c_uint64, c_uint64)

# name: (restype, [argtypes]) — keep each entry next to its prototype in include/crayon.h order.
_PROTOTYPES: dict[str, tuple[object, list[object]]] = {
    # ---- library
    "crayon_version": (c_char_p, []),
    "crayon_last_error": (c_char_p, []),
    "crayon_last_status": (c_int, []),
    # ---- engine section (profiles, longest match)
    "crayon_backends": (c_uint32, []),
    "crayon_backend_report": (c_int64, [c_char_p, c_size_t]),
    "crayon_vocab_create": (c_int, [c_char_p, _c_void_pp]),
    "crayon_load_dat": (c_int, [c_char_p, _c_void_pp]),
    "crayon_load_dat_buffer": (c_int, [c_void_p, c_size_t, c_uint32, _c_void_pp]),
    "crayon_load_dat_flags": (c_int, [c_char_p, c_uint32, _c_void_pp]),
    "crayon_vocab_verify": (c_int, [c_void_p]),
    "crayon_free": (None, [c_void_p]),
    "crayon_set_profile": (c_int, [c_void_p, c_char_p]),
    "crayon_list_profiles": (c_int64, [c_char_p, c_size_t]),
    "crayon_profile_name": (c_int64, [c_void_p, c_char_p, c_size_t]),
    "crayon_profile_info": (c_int64, [c_void_p, c_char_p, c_size_t]),
    "crayon_vocab_size": (c_int64, [c_void_p]),
    "crayon_device": (c_int64, [c_void_p, c_char_p, c_size_t]),
    "crayon_device_stats": (c_int64, [c_void_p, c_char_p, c_size_t]),
    "crayon_tokenize_bound": (c_size_t, [c_size_t]),
    "crayon_tokenize": (c_int64, [c_void_p, c_char_p, c_size_t, _c_ids, c_size_t]),
    "crayon_tokenize_batch": (c_int64, [c_void_p, POINTER(c_char_p), _c_size_t_p, c_size_t,
                                        _c_int32_p, c_size_t, _c_int64_p, c_int32]),
    "crayon_decode": (c_int64, [c_void_p, _c_ids, c_size_t, c_void_p, c_size_t]),
    "crayon_dat_build": (c_int, [POINTER(c_char_p), _c_size_t_p, c_size_t, c_char_p, c_char_p,
                                 c_uint32, _c_void_pp, _c_size_t_p]),
    "crayon_vocab_learn": (c_int, [POINTER(c_char_p), _c_size_t_p, c_size_t, c_size_t, c_size_t,
                                   PROGRESS_FN, c_void_p, _c_void_pp, _c_size_t_p]),
    "crayon_learner_new": (c_int, [c_size_t, _c_void_pp]),
    "crayon_learner_free": (None, [c_void_p]),
    "crayon_learner_feed": (c_int, [c_void_p, POINTER(c_char_p), _c_size_t_p, c_size_t]),
    "crayon_learner_learn": (c_int, [c_void_p, c_void_p, c_size_t, PROGRESS_FN, c_void_p, _c_void_pp, _c_size_t_p]),
    "crayon_learner_stats": (c_int, [c_void_p, POINTER(c_uint64), POINTER(c_uint64)]),
    "crayon_dat_extend": (c_int, [c_void_p, POINTER(c_char_p), _c_size_t_p, c_size_t, c_char_p, c_char_p,
                                  _c_void_pp, _c_size_t_p]),
    "crayon_free_buffer": (None, [c_void_p]),
    # ---- end of engine section
    # ---- BPE section (tiktoken-compatible encodings)
    # crayon_bpe* handles are passed as c_void_p; out-pointers as POINTER(c_void_p).
    "crayon_bpe_load": (c_int, [c_char_p, c_char_p, POINTER(c_char_p), _c_int32_p, c_size_t,
                                _c_void_pp]),
    "crayon_bpe_load_buffer": (c_int, [c_void_p, c_size_t, c_char_p, POINTER(c_char_p), _c_int32_p,
                                       c_size_t, _c_void_pp]),
    "crayon_bpe_from_ranks": (c_int, [POINTER(c_char_p), _c_size_t_p, _c_int32_p, c_size_t, c_char_p,
                                      POINTER(c_char_p), _c_int32_p, c_size_t, _c_void_pp]),
    "crayon_bpe_free": (None, [c_void_p]),
    "crayon_bpe_n_vocab": (c_int64, [c_void_p]),
    "crayon_bpe_encode_ordinary": (c_int64, [c_void_p, c_char_p, c_size_t, _c_ids, c_size_t]),
    "crayon_bpe_encode": (c_int64, [c_void_p, c_char_p, c_size_t, POINTER(c_char_p), c_size_t,
                                    POINTER(c_char_p), c_size_t, c_uint32, _c_ids, c_size_t]),
    "crayon_bpe_encode_batch": (c_int64, [c_void_p, POINTER(c_char_p), _c_size_t_p, c_size_t,
                                          POINTER(c_char_p), c_size_t, POINTER(c_char_p), c_size_t,
                                          c_uint32, _c_int32_p, c_size_t, _c_int64_p, c_int32]),
    "crayon_bpe_decode": (c_int64, [c_void_p, _c_ids, c_size_t, c_void_p, c_size_t]),
    "crayon_hf_load": (c_int, [c_char_p, _c_void_pp]),
    "crayon_hf_load_buffer": (c_int, [c_void_p, c_size_t, _c_void_pp]),
    "crayon_hf_free": (None, [c_void_p]),
    "crayon_hf_vocab_size": (c_int64, [c_void_p]),
    "crayon_hf_encode": (c_int64, [c_void_p, c_char_p, c_size_t, c_int, _c_int32_p, c_size_t]),
    "crayon_hf_decode": (c_int64, [c_void_p, _c_int32_p, c_size_t, c_int, c_void_p, c_size_t]),
    "crayon_bpe_token_bytes": (c_int64, [c_void_p, c_int32, c_void_p, c_size_t]),
    "crayon_bpe_encode_single_token": (c_int, [c_void_p, c_char_p, c_size_t, _c_int32_p]),
    # ---- end of BPE section
    # ---- trainer section (rustbpe-compatible training)
    "crayon_trainer_new": (c_int, [c_char_p, _c_void_pp]),
    "crayon_trainer_from_ranks": (c_int, [POINTER(c_char_p), _c_size_t_p, c_size_t, c_char_p, _c_void_pp]),
    "crayon_trainer_free": (None, [c_void_p]),
    "crayon_trainer_feed": (c_int, [c_void_p, POINTER(c_char_p), _c_size_t_p, c_size_t, c_int32]),
    "crayon_trainer_train": (c_int, [c_void_p, c_uint32, PROGRESS_FN, c_void_p]),
    "crayon_trainer_merge_counts": (c_int64, [c_void_p, _c_int64_p, c_size_t]),
    "crayon_trainer_set_byte_order": (c_int, [c_void_p, c_char_p]),
    "crayon_trainer_vocab_size": (c_int64, [c_void_p]),
    "crayon_trainer_unique_chunks": (c_int64, [c_void_p]),
    "crayon_trainer_merges": (c_int64, [c_void_p, _c_int32_p, c_size_t]),
    "crayon_trainer_token_bytes": (c_int64, [c_void_p, c_char_p, c_size_t, _c_int64_p, c_size_t]),
    "crayon_trainer_pattern": (c_int64, [c_void_p, c_char_p, c_size_t]),
    "crayon_trainer_split": (c_int64, [c_void_p, c_char_p, c_size_t, _c_int64_p, _c_int64_p, c_size_t]),
    "crayon_trainer_save_tiktoken": (c_int, [c_void_p, c_char_p]),
    "crayon_trainer_encode": (c_int64, [c_void_p, c_char_p, c_size_t, _c_ids, c_size_t]),
    "crayon_trainer_encode_batch": (c_int64, [c_void_p, POINTER(c_char_p), _c_size_t_p, c_size_t, _c_int32_p,
                                              c_size_t, _c_int64_p, c_int32]),
    "crayon_trainer_decode": (c_int64, [c_void_p, _c_ids, c_size_t, c_void_p, c_size_t]),
    # ---- end of trainer section
    # ---- streaming section (sessions over a vocab or a bpe; files into id shards)
    "crayon_stream_new": (c_int, [c_void_p, _c_void_pp]),
    "crayon_stream_new_bpe": (c_int, [c_void_p, POINTER(c_char_p), c_size_t, POINTER(c_char_p), c_size_t,
                                      c_uint32, _c_void_pp]),
    "crayon_stream_free": (None, [c_void_p]),
    "crayon_stream_feed": (c_int64, [c_void_p, c_char_p, c_size_t]),
    "crayon_stream_finish": (c_int64, [c_void_p]),
    "crayon_stream_take": (c_int64, [c_void_p, _c_int32_p, c_size_t]),
    "crayon_stream_ready": (c_int64, [c_void_p]),
    "crayon_stream_set_max_pending": (c_int, [c_void_p, c_uint64]),
    "crayon_stream_file": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p, c_uint32, c_char_p, c_size_t,
                                   c_int64, c_int32, PROGRESS_FN, c_void_p, POINTER(c_uint64), POINTER(c_uint64)]),
    # ---- end of streaming section
}


def _candidates() -> list[Path | str]:
    env = os.environ.get(_ENV_VAR)
    if env:
        return [Path(env)]  # an explicit choice is never silently replaced by another copy
    out: list[Path | str] = []
    here = Path(__file__).resolve().parent
    out.append(here / "lib" / _LIB_NAME)
    for parent in here.parents:
        candidate = parent / "build" / "native" / _LIB_NAME
        if candidate.exists():
            out.append(candidate)
            break
    found = ctypes.util.find_library("crayon")
    if found:
        out.append(found)
    return out


def _export_profile_dir() -> None:
    """Appends this package's bundled profiles to $CRAYON_PROFILE_DIR, before the library starts.

    The library reads its environment once, when it starts, so this must run before the first load.
    Entries the user set stay first: their profiles win over the bundled ones.
    """
    bundled = str(Path(__file__).resolve().parent / "profiles")
    current = [p for p in os.environ.get("CRAYON_PROFILE_DIR", "").split(os.pathsep) if p]
    if bundled not in current:
        os.environ["CRAYON_PROFILE_DIR"] = os.pathsep.join(current + [bundled])


def _load() -> ctypes.CDLL:
    _export_profile_dir()
    tried: list[str] = []
    for candidate in _candidates():
        if isinstance(candidate, Path) and not candidate.exists():
            tried.append(f"{candidate} (missing)")
            continue
        try:
            lib = ctypes.CDLL(str(candidate))
        except OSError as e:
            tried.append(f"{candidate} ({e})")
            continue
        for name, (restype, argtypes) in _PROTOTYPES.items():
            try:
                fn = getattr(lib, name)
            except AttributeError:
                raise CrayonError(f"{candidate} does not export {name}: the library and the Python "
                                  f"package are from different builds") from None
            fn.restype = restype
            fn.argtypes = argtypes
        return lib
    raise CrayonError(
        "could not load libcrayon.so. Tried:\n  " + "\n  ".join(tried or ["(nothing)"]) +
        f"\nBuild it with `make`, or set {_ENV_VAR}=/path/to/libcrayon.so.")


_lib: ctypes.CDLL | None = None
_lock = threading.Lock()
_forked = False   # this process is a fork() of one that had loaded the library


def lib() -> ctypes.CDLL:
    """The loaded library, loaded on first use."""
    global _lib
    if _lib is None:
        with _lock:
            if _lib is None:
                _lib = _load()
                os.register_at_fork(after_in_child=_after_fork_in_child)
    return _lib


def _after_fork_in_child() -> None:
    global _forked
    _forked = True


def threads(requested: int) -> int:
    """The thread count to pass to a native batch call: ``requested``, except 1 in a forked child.

    fork() copies only the calling thread, but the .NET runtime inside libcrayon still counts the
    parent's thread-pool workers as its own; a multi-threaded batch in the child then waits for
    them forever. One thread runs on the calling thread alone, so fork()ed workers (multiprocessing's
    default on Linux) stay correct; "spawn" and "forkserver" workers keep all their threads.
    """
    return 1 if _forked else requested


def last_error() -> str:
    msg = lib().crayon_last_error()
    return msg.decode("utf-8", "replace") if msg else ""


def check(status: int) -> int:
    """Raise the matching CrayonError subclass for a negative status; pass others through."""
    if status < 0:
        raise_for_status(status, last_error())
    return status


def check_count(result: int) -> int:
    """For buffer-filling calls: raise on CRAYON_FAILED; otherwise return the raw result."""
    if result == CRAYON_FAILED:
        raise_for_status(lib().crayon_last_status(), last_error())
    return result
