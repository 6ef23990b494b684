/* tokenize.c — tokenize a string with a named profile and print ids and pieces.
 *
 *   cc tokenize.c $(pkg-config --cflags --libs crayon) -o tokenize
 *   ./tokenize lite "Hello, crayons!"        # profile name or path to a .dat
 */
#include "crayon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    const char *profile = argc > 1 ? argv[1] : "lite";
    const char *text = argc > 2 ? argv[2] : "The quick brown fox jumps over the lazy dog.";
    size_t len = strlen(text);

    crayon_vocab *vocab = NULL;
    if (crayon_vocab_create("auto", &vocab) != CRAYON_OK || crayon_set_profile(vocab, profile) != CRAYON_OK) {
        fprintf(stderr, "error: %s\n", crayon_last_error());
        crayon_free(vocab);
        return 1;
    }

    size_t cap = crayon_tokenize_bound(len);          /* always enough: no retry needed */
    int32_t *ids = malloc((cap ? cap : 1) * sizeof *ids);
    int64_t n = crayon_tokenize(vocab, text, len, ids, cap);
    if (n < 0) { fprintf(stderr, "error: %s\n", crayon_last_error()); free(ids); crayon_free(vocab); return 1; }

    printf("%lld tokens (vocabulary of %lld):\n", (long long)n, (long long)crayon_vocab_size(vocab));
    for (int64_t i = 0; i < n; i++) {
        char piece[256];
        int64_t k = crayon_decode(vocab, &ids[i], 1, piece, sizeof piece - 1);
        if (k < 0) k = 0;
        piece[k] = '\0';
        printf("  %6d  \"%s\"\n", ids[i], piece);
    }

    char *back = malloc(len + 1);
    int64_t m = crayon_decode(vocab, ids, (size_t)n, back, len + 1);
    printf("round trip: %s\n", m == (int64_t)len && memcmp(back, text, len) == 0 ? "ok" : "MISMATCH");

    free(back);
    free(ids);
    crayon_free(vocab);
    return 0;
}
