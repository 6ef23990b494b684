"""The built wheel installs into a fresh virtual environment and runs the Crayon README as written.

The snippets below are the Crayon README's "Hardware-Aware Initialization" (its CPU line),
"Context Manager Hot-Swap" and "Basic Example", copied verbatim (the seed copy of that README has
its emoji mis-encoded; they are restored here). Only what they read is prepared first:
trained_vocab_code.json, learned by the installed `crayon learn` from real source code.
They run from a directory outside the repository, with CRAYON_LIBRARY, CRAYON_PROFILE_DIR and
PYTHONPATH unset, so everything must come from the installed package.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import engine_support as es

HARDWARE_AWARE_CPU = '''\
from crayon.core.vocabulary import CrayonVocab

# 🔵 CPU (Intel/AMD) - AVX2/AVX-512 Native
vocab = CrayonVocab(device="cpu")
'''

CONTEXT_MANAGER_HOT_SWAP = '''\
vocab = CrayonVocab(device="cpu")
vocab.load_profile("lite")

# ... standard tokenization ...

# ⚡ TEMPORARY SWITCH to 'code' profile for a function block
with vocab.using_profile("code"):
    tokens = vocab.tokenize("def fast_inverse_sqrt(x):")
    # Uses the compact Code vocabulary here
    
# 🔥 AUTOMATICALLY REVERT to 'lite' here
'''

BASIC_EXAMPLE = '''\
import json
import mmap
from crayon.c_ext.dat_builder import DATBuilder
from crayon.c_ext import crayon_cpu # Auto-renamed from crayon_fast

# Load any trained vocabulary
with open("trained_vocab_code.json", "r") as f:
    vocab_list = json.load(f)

# Compile to DAT (one-time, few seconds)
builder = DATBuilder()
builder.build(vocab_list)
builder.save("vocab_code.dat")

# Load into C++ engine via memory mapping (instant, <1ms)
with open("vocab_code.dat", "rb") as f:
    mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    crayon_cpu.load_dat(mm)

# Ultra-fast tokenization 🚀
code = 'fn main() { println!("Hello, World!"); }'
tokens = crayon_cpu.tokenize(code)
print(f"Tokens: {tokens}")
'''

# Checks appended after the snippets: what they did must be real, not just free of exceptions.
CHECK_HOT_SWAP = '''
import crayon
assert crayon.__file__.startswith(VENV), crayon.__file__
assert vocab.profile == "lite", vocab.profile
code_vocab = CrayonVocab.load_profile("code")
assert tokens == code_vocab.tokenize("def fast_inverse_sqrt(x):")
assert code_vocab.decode(tokens) == "def fast_inverse_sqrt(x):"
for name in ("science", "multilingual", "arts_commerce"):   # the seed's other cartridges, bundled too
    other = CrayonVocab.load_profile(name)
    assert other.vocab_size > 200_000 and other.decode(other.tokenize("E = mc^2, naïve")) == "E = mc^2, naïve"
print("hot swap ok", vocab.profile, len(tokens))
'''

CHECK_BASIC = '''
assert crayon_cpu.decode(tokens) == code
assert len(tokens) < len(code.encode()), "the learned vocabulary should shorten code"
print("basic ok")
'''


def _wheel() -> Path:
    wheels = sorted((es.REPO / "dist").glob("xerv_crayon_net-*.whl"))
    if not wheels:
        pytest.skip("no wheel in dist/: build it with `make wheel`")
    return wheels[-1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    wheel = _wheel()
    root = tmp_path_factory.mktemp("wheel")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True, timeout=300)
    env = {k: v for k, v in os.environ.items()
           if k not in ("CRAYON_LIBRARY", "CRAYON_PROFILE_DIR", "PYTHONPATH", "PYTHONHOME")}
    r = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-index",
                        "--no-deps", "-q", str(wheel)], capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    outside = root / "outside"
    outside.mkdir()
    return venv, outside, env


def run_in(installed, *argv: str) -> subprocess.CompletedProcess:
    venv, outside, env = installed
    return subprocess.run(argv, cwd=outside, capture_output=True, text=True, timeout=300,
                          env=dict(env, VENV=str(venv)))


def test_readme_hardware_aware_init_and_context_manager_hot_swap(installed):
    venv, outside, _ = installed
    script = outside / "hot_swap.py"
    script.write_text("import os\nVENV = os.environ['VENV']\n" + HARDWARE_AWARE_CPU +
                      CONTEXT_MANAGER_HOT_SWAP + CHECK_HOT_SWAP, encoding="utf-8")
    r = run_in(installed, str(venv / "bin" / "python"), str(script))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "hot swap ok lite" in r.stdout


def test_readme_basic_example(installed):
    venv, outside, _ = installed
    sample = outside / "sample_code.txt"
    sample.write_text("".join(es.corpus_documents("code", 128 << 10)), encoding="utf-8")
    learn = run_in(installed, str(venv / "bin" / "crayon"), "learn", str(sample),
                   "-o", "trained_vocab_code.json", "--size", "2000")
    assert learn.returncode == 0, learn.stderr
    assert json.loads((outside / "trained_vocab_code.json").read_text(encoding="utf-8"))
    script = outside / "basic.py"
    script.write_text(BASIC_EXAMPLE + CHECK_BASIC, encoding="utf-8")
    r = run_in(installed, str(venv / "bin" / "python"), str(script))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("Tokens: [") and "basic ok" in r.stdout
    assert (outside / "vocab_code.dat").exists()


def test_installed_command_finds_the_bundled_profiles(installed):
    venv, _, _ = installed
    r = run_in(installed, str(venv / "bin" / "crayon"), "profiles")
    assert r.returncode == 0, r.stderr
    bundled = {line.split()[0] for line in r.stdout.splitlines() if line.split()[1] == "bundled"}
    assert {"lite", "science", "code", "multilingual", "arts_commerce"} <= bundled, r.stdout
    t = run_in(installed, str(venv / "bin" / "crayon"), "tokenize", "--pieces", "Hello, world!")
    assert t.returncode == 0, t.stderr
    assert "".join(json.loads(t.stdout)) == "Hello, world!"
