#!/usr/bin/env bash
# A/B of two builds of libcrayon.so on the longest-match walk, in one run, alternating.
#   benchmarks/engine_ab.sh A_LIB_DIR A_PROFILE_DIR B_LIB_DIR B_PROFILE_DIR [ROUNDS]
# e.g. a worktree of the previous commit built with `make profiles` against this one:
#   git worktree add /tmp/base HEAD~1 && make -C /tmp/base profiles
#   benchmarks/engine_ab.sh /tmp/base/build/native /tmp/base/build/profiles build/native build/profiles
# Profiles PROFILES (default "lite code science"), 1 MiB of English and of code from tests/corpus.py.
set -euo pipefail
a_lib=$1 a_prof=$2 b_lib=$3 b_prof=$4 rounds=${5:-3}
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cc -O2 -std=c11 -I"$root/include" "$here/engine_ab.c" -L"$b_lib" -lcrayon -o "$work/ab"
PYTHONPATH="$root/tests" python3 -c "
import corpus, sys
for k in ('english', 'code'):
    open(sys.argv[1] + '/' + k + '.txt', 'wb').write(b''.join(d.encode('utf-8', 'surrogatepass') for d in corpus.documents(k, 1 << 20)))
" "$work"
for r in $(seq "$rounds"); do
  for p in ${PROFILES:-lite code science}; do
    for t in english code; do
      a=$(LD_LIBRARY_PATH="$a_lib" "$work/ab" "$a_prof/$p.dat" "$work/$t.txt" 30)
      b=$(LD_LIBRARY_PATH="$b_lib" "$work/ab" "$b_prof/$p.dat" "$work/$t.txt" 30)
      echo "$p/$t  A: $a   B: $b"
    done
  done
done
