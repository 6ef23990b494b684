/* batch.c — many documents in one call, with a named profile and the "-needed capacity" retry.
 *
 *   cc batch.c $(pkg-config --cflags --libs crayon) -o batch
 *   CRAYON_PROFILE_DIR=/path/to/profiles ./batch code - < file.txt   # one document per line
 *   ./batch lite                                                       # built-in documents
 *
 * Buffer-filling calls return the count written, or -needed when the buffer is too small, or
 * CRAYON_FAILED. This example deliberately starts with small buffers and grows them on -needed,
 * which is the idiom when no bound is known (decode); for tokenize, crayon_tokenize_bound() gives
 * a capacity that always fits.
 */
#define _POSIX_C_SOURCE 200809L   /* getline */
#include "crayon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Any library failure: print the thread's last error and leave. */
static void die(const char *what) {
    fprintf(stderr, "error: %s: %s (status %d)\n", what, crayon_last_error(), crayon_last_status());
    exit(1);
}

static void *xrealloc(void *p, size_t size) {
    p = realloc(p, size ? size : 1);
    if (!p) { fputs("error: out of memory\n", stderr); exit(1); }
    return p;
}

/* Reads stdin into documents, one per line (without the newline). */
static size_t read_lines(char ***docs, size_t **lens) {
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t got;
    while ((got = getline(&line, &line_cap, stdin)) >= 0) {
        if (got > 0 && line[got - 1] == '\n') line[--got] = '\0';
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            *docs = xrealloc(*docs, cap * sizeof **docs);
            *lens = xrealloc(*lens, cap * sizeof **lens);
        }
        (*docs)[n] = xrealloc(NULL, (size_t)got + 1);
        memcpy((*docs)[n], line, (size_t)got + 1);
        (*lens)[n] = (size_t)got;
        n++;
    }
    free(line);
    return n;
}

int main(int argc, char **argv) {
    const char *profile = argc > 1 ? argv[1] : "lite";
    int from_stdin = argc > 2 && strcmp(argv[2], "-") == 0;

    /* Which profiles can a name resolve to? ($CRAYON_PROFILE_DIR first, then next to the library.) */
    char names[256];
    int64_t k = crayon_list_profiles(names, sizeof names);
    char *big = NULL;
    if (k == CRAYON_FAILED) die("crayon_list_profiles");
    if (k < 0) {                                   /* -k bytes needed, NUL included */
        big = xrealloc(NULL, (size_t)-k);
        if (crayon_list_profiles(big, (size_t)-k) < 0) die("crayon_list_profiles");
    }
    printf("profiles found:\n%s\n", big ? big : names);
    free(big);

    crayon_vocab *vocab = NULL;
    if (crayon_vocab_create(NULL, &vocab) != CRAYON_OK) die("crayon_vocab_create");
    if (crayon_set_profile(vocab, profile) != CRAYON_OK) die("crayon_set_profile");

    static const char *const builtin[] = {
        "The quick brown fox jumps over the lazy dog.",
        "for (int i = 0; i < n; i++) { total += values[i]; }",
        "Größe, naïve café — 東京 🖍️",
        "",
    };
    char **docs = NULL;
    size_t *lens = NULL;
    size_t n;
    if (from_stdin) {
        n = read_lines(&docs, &lens);
    } else {
        n = sizeof builtin / sizeof *builtin;
        docs = xrealloc(NULL, n * sizeof *docs);
        lens = xrealloc(NULL, n * sizeof *lens);
        for (size_t i = 0; i < n; i++) { docs[i] = (char *)builtin[i]; lens[i] = strlen(builtin[i]); }
    }

    /* Batch tokenize, all cores (threads = 0). Start small; on -needed grow to exactly that. */
    size_t cap = 8;
    int32_t *ids = xrealloc(NULL, cap * sizeof *ids);
    int64_t *offsets = xrealloc(NULL, (n + 1) * sizeof *offsets);
    int64_t total;
    while ((total = crayon_tokenize_batch(vocab, (const char *const *)docs, lens, n, ids, cap, offsets, 0)) < 0) {
        if (total == CRAYON_FAILED) die("crayon_tokenize_batch");
        cap = (size_t)-total;
        ids = xrealloc(ids, cap * sizeof *ids);
    }
    printf("%zu documents, %lld tokens with profile %s\n", n, (long long)total, profile);

    /* Decode each document back; the output size is unknown, so grow on -needed as well. */
    size_t out_cap = 16, ok = 0;
    char *out = xrealloc(NULL, out_cap);
    for (size_t i = 0; i < n; i++) {
        const int32_t *doc_ids = ids + offsets[i];
        size_t doc_n = (size_t)(offsets[i + 1] - offsets[i]);
        int64_t m;
        while ((m = crayon_decode(vocab, doc_ids, doc_n, out, out_cap)) < 0) {
            if (m == CRAYON_FAILED) die("crayon_decode");
            out_cap = (size_t)-m;
            out = xrealloc(out, out_cap);
        }
        int same = (size_t)m == lens[i] && memcmp(out, docs[i], lens[i]) == 0;
        ok += same;
        printf("  doc %zu: %zu bytes -> %zu tokens%s\n", i, lens[i], doc_n, same ? "" : "  (MISMATCH)");
    }
    printf("round trip: %s (%zu/%zu documents)\n", ok == n ? "ok" : "MISMATCH", ok, n);

    /* Errors are values, not crashes: an unknown id fails and says which. */
    int32_t bad = (int32_t)crayon_vocab_size(vocab) + 7;
    if (crayon_decode(vocab, &bad, 1, out, out_cap) != CRAYON_FAILED) { puts("unknown id: NOT rejected"); return 1; }
    printf("unknown id rejected: %s\n", crayon_last_error());

    free(out);
    free(offsets);
    free(ids);
    if (from_stdin) for (size_t i = 0; i < n; i++) free(docs[i]);
    free(docs);
    free(lens);
    crayon_free(vocab);
    return ok == n ? 0 : 1;
}
