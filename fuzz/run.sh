#!/usr/bin/env bash
# Runs fuzz targets and prints, per target, executions, coverage and findings (docs/fuzzing.md).
#
#   fuzz/run.sh [-t SECONDS | -n RUNS] [-j JOBS] [TARGET...]     (default: every target, 60 s each)
#
# Each target is fuzzed with libFuzzer until its budget (time or executions) is spent. A finding
# (crash, failed invariant, hang, out-of-memory) stops libFuzzer, so the run is restarted with the
# rest of the budget and the finding counted; its input lies in $FUZZ_STATE/findings/TARGET/.
# Corpora: fuzz/corpus/TARGET (committed seeds, read-only) and $FUZZ_STATE/corpus/TARGET (grows);
# FUZZ_STATE defaults to build/fuzz.
# Needs `make fuzz-build` (fuzz/build.sh). Exit status 1 when any target had a finding.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
B=${FUZZ_BUILD:-build/fuzz}     # the tools (a copy can fuzz on while build/fuzz is rebuilt)
S=${FUZZ_STATE:-$B}              # working corpora, findings, logs
TIME=60 RUNS= JOBS=1
while getopts "t:n:j:" o; do
  case $o in t) TIME=$OPTARG RUNS= ;; n) RUNS=$OPTARG TIME= ;; j) JOBS=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
ALL="dat tiktoken bpe pretokenize trainer decode abi"
TARGETS=${*:-$ALL}
export CRAYON_TIKTOKEN_DIR=${CRAYON_TIKTOKEN_DIR:-$ROOT/build/tiktoken}
export CRAYON_PROFILE_DIR=${CRAYON_PROFILE_DIR:-$ROOT/build/profiles}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_TieredPGO=0
DOTNET=$(command -v dotnet)

max_len() {
  case $1 in dat) echo 16384 ;; tiktoken) echo 4096 ;; trainer|abi) echo 2048 ;; *) echo 1024 ;; esac
}

# fuzz_one TARGET: writes build/fuzz/logs/TARGET.summary (one line: the table row).
fuzz_one() {
  local t=$1 work=$S/corpus/$1 found=$S/findings/$1 log=$S/logs/$1.log
  mkdir -p "$work" "$found" "$S/logs"
  : > "$log"
  local cmd
  if [ "$t" = abi ]; then cmd=("$B/abi_fuzz")
  else cmd=("$B/dotnet_bridge" --dotnet="$DOTNET" --assembly="$ROOT/$B/bin/Crayon.Fuzz.dll" --target="$t"); fi
  local seeds=fuzz/corpus/$t; [ -d "$seeds" ] || seeds=
  local execs=0 crashes=0 timeouts=0 ooms=0 cov=0 ft=0 corp=0 start=$SECONDS attempt=0
  while :; do
    local budget
    if [ -n "$RUNS" ]; then budget=(-runs=$((RUNS - execs))); [ $((RUNS - execs)) -gt 0 ] || break
    else local left=$((TIME - (SECONDS - start))); [ "$left" -gt 0 ] || break; budget=(-max_total_time="$left"); fi
    local mark; mark=$(wc -l < "$log")
    "${cmd[@]}" "${budget[@]}" -max_len="$(max_len "$t")" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$found/" "$work" $seeds >> "$log" 2>&1
    local rc=$?
    local n; n=$(tail -n +"$((mark + 1))" "$log" | grep -a 'stat::number_of_executed_units' | tail -1 | awk '{print $2}')
    execs=$((execs + ${n:-0}))
    local line; line=$(grep -aE '^#[0-9]+.*cov: ' "$log" | tail -1)
    [[ $line =~ cov:\ ([0-9]+) ]] && cov=${BASH_REMATCH[1]}
    [[ $line =~ ft:\ ([0-9]+) ]] && ft=${BASH_REMATCH[1]}
    [[ $line =~ corp:\ ([0-9]+) ]] && corp=${BASH_REMATCH[1]}
    [ "$rc" -ne 0 ] || break   # the budget ran out normally
    # A finding: libFuzzer names its input file after the kind (the same input twice is one file).
    local unit; unit=$(tail -n +"$((mark + 1))" "$log" | grep -ao 'Test unit written to [^ ]*' | tail -1)
    case ${unit##*/} in
      timeout-*|slow-unit-*) timeouts=$((timeouts + 1)) ;;
      oom-*) ooms=$((ooms + 1)) ;;
      crash-*|leak-*) crashes=$((crashes + 1)) ;;
      *) crashes=$((crashes + 1)); echo "$t: the fuzzer stopped without an input (setup failed?): see $log" >&2; break ;;
    esac
    attempt=$((attempt + 1)); [ "$attempt" -lt 1000 ] || break
  done
  local secs=$((SECONDS - start)); [ "$secs" -gt 0 ] || secs=1
  printf '%-12s %12d %8d %7d %8d %7d %8d %8d %5d %7ds\n' "$t" "$execs" $((execs / secs)) "$cov" "$ft" "$corp" \
    "$crashes" "$timeouts" "$ooms" "$secs" > "$S/logs/$t.summary"
}
export -f fuzz_one max_len
export ROOT TIME RUNS DOTNET B S

[ -x "$B/dotnet_bridge" ] && [ -x "$B/abi_fuzz" ] || { echo "run make fuzz-build first"; exit 2; }
printf '%s\n' $TARGETS | xargs -P "$JOBS" -I{} bash -c 'fuzz_one {}'
printf '%-12s %12s %8s %7s %8s %7s %8s %8s %5s %8s\n' target executions exec/s cov ft corpus crashes timeouts ooms time
status=0
for t in $TARGETS; do
  cat "$S/logs/$t.summary"
  awk '{ if ($7 + $8 + $9 > 0) exit 1 }' "$S/logs/$t.summary" || status=1
done
echo "cov: instrumented edges of the C harness itself; ft: libFuzzer features (for the .NET targets, the"
echo "SharpFuzz-instrumented Crayon.dll edges x hit-count buckets). Findings: $S/findings/TARGET/; logs: $S/logs/."
exit $status
