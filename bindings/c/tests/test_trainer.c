/* The trainer section of crayon.h from C: train, read merges and ranks, encode/decode, errors.
 * Built and run under valgrind by `make test-c`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crayon.h"

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK(%s) failed: %s\n", __FILE__, __LINE__, #cond, crayon_last_error()); failures++; } } while (0)

static int calls = 0;
static int count_progress(void *user, uint64_t done, uint64_t total) {
    (void)user;
    calls++;
    return done > total; /* never cancels */
}
static int cancel_progress(void *user, uint64_t done, uint64_t total) {
    (void)user; (void)done; (void)total;
    return 1;
}

int main(void) {
    crayon_trainer *t = NULL;
    CHECK(crayon_trainer_new("(unclosed", &t) == CRAYON_E_INVALID_ARGUMENT && t == NULL);
    CHECK(crayon_trainer_new("[\\s\\S]+", &t) == CRAYON_OK && t != NULL);

    const char *docs[] = { "aaa", "abab", "ab" };
    size_t lens[] = { 3, 4, 2 };
    CHECK(crayon_trainer_feed(t, docs, lens, 3, 2) == CRAYON_OK);
    CHECK(crayon_trainer_unique_chunks(t) == 3);
    const char *bad[] = { "\xff" };
    size_t bad_len[] = { 1 };
    CHECK(crayon_trainer_feed(t, bad, bad_len, 1, 1) == CRAYON_E_INVALID_UTF8);
    CHECK(crayon_trainer_feed(t, NULL, lens, 1, 1) == CRAYON_E_INVALID_ARGUMENT);

    CHECK(crayon_trainer_train(t, 100, NULL, NULL) == CRAYON_E_INVALID_ARGUMENT);
    CHECK(crayon_trainer_train(t, 300, count_progress, NULL) == CRAYON_OK);
    CHECK(calls > 0);
    /* (a,b) occurs 3 times (twice in "abab", once in "ab"), (a,a) twice, (b,a) once: ab first. */
    int64_t n = crayon_trainer_vocab_size(t) - 256;
    CHECK(n >= 2);
    int32_t pairs[2 * 64];
    CHECK(crayon_trainer_merges(t, pairs, 0) == -n);
    CHECK(crayon_trainer_merges(t, pairs, 64) == n);
    CHECK(pairs[0] == 'a' && pairs[1] == 'b');
    int64_t counts[64];
    CHECK(crayon_trainer_merge_counts(t, counts, 64) == n && counts[0] == 3);

    int64_t offsets[256 + 64 + 1];
    int64_t need = crayon_trainer_token_bytes(t, NULL, 0, offsets, (size_t)(256 + n + 1));
    CHECK(need < 0);
    uint8_t *bytes = malloc((size_t)-need);
    CHECK(crayon_trainer_token_bytes(t, bytes, (size_t)-need, offsets, (size_t)(256 + n + 1)) == -need);
    CHECK(offsets[257] - offsets[256] == 2 && memcmp(bytes + offsets[256], "ab", 2) == 0);
    CHECK(crayon_trainer_token_bytes(t, bytes, (size_t)-need, offsets, 3) == CRAYON_FAILED);
    free(bytes);

    int32_t ids[16];
    int64_t k = crayon_trainer_encode(t, "abab", 4, ids, 16);
    CHECK(k >= 1);
    char out[16];
    CHECK(crayon_trainer_decode(t, ids, (size_t)k, out, sizeof out) == 4 && memcmp(out, "abab", 4) == 0);
    int32_t unknown = 1 << 20;
    CHECK(crayon_trainer_decode(t, &unknown, 1, out, sizeof out) == CRAYON_FAILED);
    CHECK(crayon_last_status() == CRAYON_E_UNKNOWN_ID);

    char pat[64];
    CHECK(crayon_trainer_pattern(t, pat, 2) == -(int64_t)(strlen("[\\s\\S]+") + 1));
    CHECK(crayon_trainer_pattern(t, pat, sizeof pat) == (int64_t)strlen("[\\s\\S]+") && strcmp(pat, "[\\s\\S]+") == 0);

    /* a cancelled train keeps the previous vocabulary */
    CHECK(crayon_trainer_train(t, 1000, cancel_progress, NULL) == CRAYON_E_INVALID_ARGUMENT);
    CHECK(crayon_trainer_vocab_size(t) == 256 + n);

    crayon_trainer_free(t);
    crayon_trainer_free(NULL);
    CHECK(crayon_trainer_vocab_size(t) == CRAYON_FAILED); /* freed handle: an error, not a crash */

    if (failures) { fprintf(stderr, "%d failures\n", failures); return 1; }
    printf("test_trainer: ok\n");
    return 0;
}
