/* What the C tests share: a CHECK that counts failures and names the library's last error, and a
 * small rank-built encoding (the 256 bytes, then the given merges as ranks 256 ...). Header-only:
 * each test is one program (make test-c compiles every .c file of this folder on its own). */
#ifndef CRAYON_TEST_SUPPORT_H
#define CRAYON_TEST_SUPPORT_H

#include <stdio.h>
#include <string.h>

#include "crayon.h"

static int failures = 0;
#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, __LINE__,    \
                    #cond, crayon_last_error());                                                 \
            failures++;                                                                          \
        }                                                                                        \
    } while (0)

#define MAX_TEST_MERGES 64

/* An encoding over pattern whose ranks are the 256 bytes, then merges[0..n) in order, with
 * <|endoftext|> as special id 1000; NULL (and a failed CHECK) on error. */
static inline crayon_bpe *rank_encoding(const char *const *merges, int n, const char *pattern) {
    static char bytes[256];
    const char *tokens[256 + MAX_TEST_MERGES];
    size_t lens[256 + MAX_TEST_MERGES];
    int32_t ranks[256 + MAX_TEST_MERGES];
    if (n > MAX_TEST_MERGES) return NULL;
    for (int b = 0; b < 256; b++) {
        bytes[b] = (char)b;
        tokens[b] = &bytes[b];
        lens[b] = 1;
        ranks[b] = b;
    }
    for (int i = 0; i < n; i++) {
        tokens[256 + i] = merges[i];
        lens[256 + i] = strlen(merges[i]);
        ranks[256 + i] = 256 + i;
    }
    const char *names[] = {"<|endoftext|>"};
    const int32_t ids[] = {1000};
    crayon_bpe *bpe = NULL;
    CHECK(crayon_bpe_from_ranks(tokens, lens, ranks, (size_t)(256 + n), pattern, names, ids, 1, &bpe) == CRAYON_OK &&
          bpe != NULL);
    return bpe;
}

#endif
