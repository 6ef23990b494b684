"""The loader finds libcrayon.so, honours CRAYON_LIBRARY, and explains failures."""
import os
import subprocess
import sys

import crayon
from crayon import _native


def test_native_version_matches_package():
    assert crayon.native_version() == crayon.__version__


def test_bad_override_names_what_was_tried(tmp_path):
    bogus = tmp_path / "nope" / "libcrayon.so"
    code = "import crayon; crayon.native_version()"
    env = dict(os.environ, CRAYON_LIBRARY=str(bogus))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode != 0
    assert str(bogus) in r.stderr and "CRAYON_LIBRARY" in r.stderr


def test_last_error_is_per_thread():
    import threading

    lib = _native.lib()
    assert lib.crayon_vocab_size(None) == _native.CRAYON_FAILED
    assert lib.crayon_last_status() != 0  # this thread just failed
    seen = []
    t = threading.Thread(target=lambda: seen.append((lib.crayon_last_status(), lib.crayon_last_error())))
    t.start()
    t.join()
    assert seen == [(0, b"")]
