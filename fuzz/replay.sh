#!/usr/bin/env bash
# Replays every committed input once (make test-fuzz): the seed corpora fuzz/corpus/TARGET and the
# reproducers fuzz/reproducers/TARGET (inputs that once failed, kept after the fix). The .NET targets
# run on the plain build (build/fuzz/replay), the C ABI target through libFuzzer with -runs=0.
set -uo pipefail
cd "$(dirname "$0")/.."
export CRAYON_TIKTOKEN_DIR=${CRAYON_TIKTOKEN_DIR:-$(pwd)/build/tiktoken}
export CRAYON_PROFILE_DIR=${CRAYON_PROFILE_DIR:-$(pwd)/build/profiles}
status=0
dotnet build/fuzz/replay/Crayon.Fuzz.dll replay-all fuzz/corpus fuzz/reproducers || status=1
dirs=(); for d in fuzz/corpus/abi fuzz/reproducers/abi; do [ -d "$d" ] && dirs+=("$d"); done
if build/fuzz/abi_fuzz -runs=0 "${dirs[@]}" > build/fuzz/abi-replay.log 2>&1; then
  echo "replay abi: $(find "${dirs[@]}" -type f | wc -l) inputs, 0 failures"
else
  echo "replay abi: FAILED (build/fuzz/abi-replay.log)"; tail -20 build/fuzz/abi-replay.log; status=1
fi
exit $status
