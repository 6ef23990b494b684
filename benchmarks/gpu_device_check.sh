#!/usr/bin/env bash
# One prepared run for a machine with an NVIDIA GPU, in about 3-5 minutes. That machine needs no .NET
# SDK: build the library here (`make native`) and bring build/native along; the profiles are built
# there from the committed lists (profiles/build.py through the library) when build/profiles is absent.
#
#   benchmarks/gpu_device_check.sh [LOG_DIR]        # LOG_DIR defaults to $OUT, else /tmp
#
# 1. what the library sees: `crayon backends` (driver, device name, memory);
# 2. tests/python/test_gpu_opencl.py on device "cuda": ids equal to the CPU's on real text, random
#    bytes, empty and tiny documents, one huge document, profile switches during use, device memory
#    flat over many calls, a batch of several pieces (copies beside kernels);
# 3. benchmarks/gpu_bench.py: ids on every bundled profile, then CPU all-core, end-to-end and
#    device-side tokens/s, the overlap ratio and pieces per call.
# Exit status: 0 when every step passed, 1 otherwise (2: no library).
set -uo pipefail
cd "$(dirname "$0")/.."
logs=${1:-${OUT:-/tmp}}
py=${PYTHON:-python3}
export CRAYON_LIBRARY=$PWD/build/native/libcrayon.so CRAYON_PROFILE_DIR=$PWD/build/profiles
export PYTHONPATH=$PWD/bindings/python PYTHONUNBUFFERED=1
# The driver's folder is not always on the loader's path (containers mount it under /usr/local/nvidia).
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu; do
    [ -e "$d/libcuda.so.1" ] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" && break
done

[ -f "$CRAYON_LIBRARY" ] || { echo "no $CRAYON_LIBRARY: run 'make native' and bring build/native"; exit 2; }
if ! ls "$CRAYON_PROFILE_DIR"/*.dat >/dev/null 2>&1; then
    echo "== building profiles into $CRAYON_PROFILE_DIR"
    timeout 120 "$py" profiles/build.py "$CRAYON_PROFILE_DIR" >"$logs/profiles.log" 2>&1 || { tail -20 "$logs/profiles.log"; exit 1; }
fi

rc=0
echo "== nvidia-smi"; nvidia-smi -L 2>&1 || true
echo "== crayon backends"; "$py" -m crayon backends 2>&1 | tee "$logs/backends.log"
echo "== tests on cuda"
CRAYON_TEST_GPU_DEVICE=cuda timeout 150 "$py" -m pytest -q -rs -p no:cacheprovider tests/python/test_gpu_opencl.py 2>&1 \
    | tee "$logs/gpu_tests.log" || rc=1
echo "== gpu_bench"
timeout 240 "$py" benchmarks/gpu_bench.py --max-seconds 150 2>&1 | tee "$logs/gpu_bench.log" || rc=1
echo "== done: rc=$rc"
exit $rc
