#!/usr/bin/env bash
# Every function declared in crayon.h is exported by libcrayon.so, and nothing else named crayon_* is.
set -euo pipefail
header=$1 lib=$2
declared=$(grep -oE '^CRAYON_API[^;]*\bcrayon_[a-z0-9_]+\s*\(' "$header" | grep -oE 'crayon_[a-z0-9_]+\s*\($' | tr -d ' (' | sort -u)
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | grep -E '^crayon_' | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
extra=$(comm -13 <(echo "$declared") <(echo "$exported"))
status=0
[ -z "$missing" ] || { echo "declared in $header but not exported by $lib:"; echo "$missing" | sed 's/^/  /'; status=1; }
[ -z "$extra" ] || { echo "exported by $lib but not declared in $header:"; echo "$extra" | sed 's/^/  /'; status=1; }
[ $status -ne 0 ] || echo "ABI check: $(echo "$declared" | wc -l) functions declared and exported"
# A declaration must also compile as C and C++.
echo '#include "crayon.h"' | ${CC:-cc} -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$(dirname "$header")" -x c - || status=1
echo '#include "crayon.h"' | ${CXX:-c++} -Wall -Wextra -Werror -fsyntax-only -I"$(dirname "$header")" -x c++ - || status=1
exit $status
