#!/usr/bin/env bash
# Builds the fuzzing tools into build/fuzz (called by `make fuzz-build`):
#   replay/          the harness as built (plain Crayon.dll): replays corpora and reproducers
#   bin/             the same with Crayon.dll instrumented by SharpFuzz: what libFuzzer runs
#   dotnet_bridge    libFuzzer (clang -fsanitize=fuzzer) driving bin/ in a persistent child
#   abi_fuzz         libFuzzer harness over libcrayon.so's C ABI
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=build/fuzz
NATIVE=build/native
CLANG=${CLANG:-$(command -v clang-14 || command -v clang)}
mkdir -p "$OUT" build/tools

dotnet build fuzz/Crayon.Fuzz/Crayon.Fuzz.csproj -c Release -o "$OUT/replay" --nologo -v quiet
# The instrumented copy: SharpFuzz rewrites Crayon.dll in place, so it works on a copy.
if [ ! -e "$OUT/bin/.stamp" ] || [ -n "$(find "$OUT/replay" -newer "$OUT/bin/.stamp" -name '*.dll' | head -1)" ]; then
  rm -rf "$OUT/bin" && cp -r "$OUT/replay" "$OUT/bin"
  [ -x build/tools/sharpfuzz ] || dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path build/tools >/dev/null
  build/tools/sharpfuzz "$OUT/bin/Crayon.dll" >/dev/null
  touch "$OUT/bin/.stamp"
fi
"$CLANG" -O2 -g -Wall -Wextra -Werror -fsanitize=fuzzer fuzz/driver/dotnet_bridge.c -o "$OUT/dotnet_bridge"
"$CLANG" -O2 -g -Wall -Wextra -Werror -fsanitize=fuzzer -Iinclude fuzz/abi/abi_fuzz.c \
  -L"$NATIVE" -lcrayon -Wl,-rpath,"$(pwd)/$NATIVE" -o "$OUT/abi_fuzz"
