/*
 * test_stream.c — the streaming section of crayon.h from C, run under valgrind by `make test-c`.
 *
 * Sessions over a profile (lite, from CRAYON_PROFILE_DIR) and over a small BPE encoding: every cut
 * of a text, fed in two pieces and taken out through a tiny buffer, gives the one-call ids; NULL
 * pointers and bad arguments fail cleanly; a failed session stays failed; crayon_stream_file writes
 * the ids and the index, refuses bad widths, and leaves nothing behind when cancelled.
 */
#define _POSIX_C_SOURCE 200809L   /* mkdtemp under -std=c11 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crayon.h"
#include "test_support.h"

static const char *CL100K =
    "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*|"
    "\\s*[\\r\\n]|\\s+(?!\\S)|\\s+";

static crayon_bpe *small_encoding(void) {
    static const char *merges[] = {"he", "ll", "hell", "hello", " w", " wo", "rl", " wor", " world", "  "};
    return rank_encoding(merges, (int)(sizeof merges / sizeof merges[0]), CL100K);
}

/* Feeds text in two pieces cut at `cut`, takes ids through a 3-id buffer; returns the count. */
static int64_t stream_ids(crayon_stream *s, const char *text, size_t len, size_t cut, int32_t *out, size_t cap) {
    int64_t n = 0;
    int32_t small[3];
    const char *pieces[2] = {text, text + cut};
    size_t lens[2] = {cut, len - cut};
    for (int p = 0; p < 3; p++) {
        int64_t ready = p < 2 ? crayon_stream_feed(s, pieces[p], lens[p]) : crayon_stream_finish(s);
        if (ready < 0) return ready;
        int64_t got;
        while ((got = crayon_stream_take(s, small, 3)) > 0)
            for (int64_t k = 0; k < got && n < (int64_t)cap; k++) out[n++] = small[k];
        if (got < 0) return got;
    }
    return n;
}

static void every_cut(crayon_stream *s, const char *text, const int32_t *expected, int64_t n_expected) {
    int32_t got[512];
    size_t len = strlen(text);
    for (size_t cut = 0; cut <= len; cut++) {
        int64_t n = stream_ids(s, text, len, cut, got, 512);
        CHECK(n == n_expected);
        if (n == n_expected) CHECK(memcmp(got, expected, (size_t)n * sizeof *got) == 0);
    }
}

static const char *TEXT = "hello  world, hello\n\n wor\xc3\xa9ld <|endoftext|> 12345 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e   ";

static void profile_stream(void) {
    crayon_vocab *v = NULL;
    CHECK(crayon_vocab_create("cpu", &v) == CRAYON_OK);
    CHECK(crayon_set_profile(v, "lite") == CRAYON_OK);
    int32_t expected[512];
    int64_t n = crayon_tokenize(v, TEXT, strlen(TEXT), expected, 512);
    CHECK(n > 0);
    crayon_stream *s = NULL;
    CHECK(crayon_stream_new(v, &s) == CRAYON_OK && s != NULL);
    crayon_free(v); /* the stream pins the profile */
    every_cut(s, TEXT, expected, n);
    crayon_stream_free(s);
}

static void bpe_stream(crayon_bpe *bpe) {
    int32_t expected[512];
    int64_t n = crayon_bpe_encode(bpe, TEXT, strlen(TEXT), NULL, 0, NULL, 0, CRAYON_ALLOW_ALL_SPECIAL, expected, 512);
    CHECK(n > 0);
    crayon_stream *s = NULL;
    CHECK(crayon_stream_new_bpe(bpe, NULL, 0, NULL, 0, CRAYON_ALLOW_ALL_SPECIAL, &s) == CRAYON_OK);
    every_cut(s, TEXT, expected, n);

    /* Invalid UTF-8 fails, names the offset, and the session stays failed. */
    CHECK(crayon_stream_feed(s, "ok \xff", 4) == CRAYON_FAILED && crayon_last_status() == CRAYON_E_INVALID_UTF8);
    CHECK(strstr(crayon_last_error(), "offset 3") != NULL);
    CHECK(crayon_stream_feed(s, "fine", 4) == CRAYON_FAILED && crayon_last_status() == CRAYON_E_INVALID_UTF8);
    crayon_stream_free(s);

    /* A disallowed special token split between pieces. */
    CHECK(crayon_stream_new_bpe(bpe, NULL, 0, NULL, 0, CRAYON_DISALLOW_ALL_SPECIAL, &s) == CRAYON_OK);
    CHECK(crayon_stream_feed(s, "a <|endof", 9) >= 0);
    int64_t r = crayon_stream_feed(s, "text|>", 6);   /* fails here or when the text ends */
    if (r >= 0) r = crayon_stream_finish(s);
    CHECK(r == CRAYON_FAILED && crayon_last_status() == CRAYON_E_DISALLOWED_SPECIAL);
    crayon_stream_free(s);

    /* The pending limit. */
    CHECK(crayon_stream_new_bpe(bpe, NULL, 0, NULL, 0, 0, &s) == CRAYON_OK);
    CHECK(crayon_stream_set_max_pending(s, 0) == CRAYON_E_INVALID_ARGUMENT);
    CHECK(crayon_stream_set_max_pending(s, 64) == CRAYON_OK);
    char spaces[100];
    memset(spaces, ' ', sizeof spaces);
    CHECK(crayon_stream_feed(s, spaces, sizeof spaces) == CRAYON_FAILED && crayon_last_status() == CRAYON_E_UNSUPPORTED);
    crayon_stream_free(s);
}

static void bad_arguments(crayon_bpe *bpe) {
    crayon_stream *s = (crayon_stream *)1;
    CHECK(crayon_stream_new(NULL, &s) == CRAYON_E_INVALID_ARGUMENT && s == NULL);
    CHECK(crayon_stream_new_bpe(bpe, NULL, 0, NULL, 0, 0, NULL) == CRAYON_E_INVALID_ARGUMENT);
    CHECK(crayon_stream_new_bpe(bpe, NULL, 0, NULL, 0, 0x80, &s) == CRAYON_E_INVALID_ARGUMENT);
    CHECK(crayon_stream_feed(NULL, "x", 1) == CRAYON_FAILED && crayon_last_status() == CRAYON_E_INVALID_ARGUMENT);
    CHECK(crayon_stream_take(NULL, NULL, 0) == CRAYON_FAILED);
    CHECK(crayon_stream_finish(NULL) == CRAYON_FAILED);
    CHECK(crayon_stream_ready(NULL) == CRAYON_FAILED);
    crayon_stream_free(NULL);
    CHECK(crayon_stream_new_bpe(bpe, NULL, 0, NULL, 0, 0, &s) == CRAYON_OK);
    CHECK(crayon_stream_feed(s, NULL, 3) == CRAYON_FAILED && crayon_last_status() == CRAYON_E_INVALID_ARGUMENT);
    CHECK(crayon_stream_feed(s, NULL, 0) == 0);
    CHECK(crayon_stream_take(s, NULL, 4) == CRAYON_FAILED);
    crayon_stream_free(s);
}

static int cancel_at_once(void *user, uint64_t done, uint64_t total) {
    (void)user; (void)done; (void)total;
    return 1;
}

static void stream_file(crayon_bpe *bpe) {
    char dir[] = "/tmp/crayon-stream-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char in[256], out[256], idx[256];
    snprintf(in, sizeof in, "%s/in.txt", dir);
    snprintf(out, sizeof out, "%s/ids.bin", dir);
    snprintf(idx, sizeof idx, "%s/ids.bin.idx", dir);
    FILE *f = fopen(in, "wb");
    fputs("hello world|hello|| world", f);
    fclose(f);

    crayon_stream *s = NULL;
    CHECK(crayon_stream_new_bpe(bpe, NULL, 0, NULL, 0, 0, &s) == CRAYON_OK);
    uint64_t docs = 0, toks = 0;
    CHECK(crayon_stream_file(s, in, out, idx, 2, "|", 1, 7, 1, NULL, NULL, &docs, &toks) == CRAYON_OK);
    /* "hello world" = [hello, " world"], "hello" = [hello], " world" = [" world"]; each after BOS 7. */
    const uint16_t want[] = {7, 259, 264, 7, 259, 7, 264};
    CHECK(docs == 3 && toks == 7);
    uint16_t got[16] = {0};
    f = fopen(out, "rb");
    CHECK(f != NULL && fread(got, 2, 16, f) == 7);
    fclose(f);
    CHECK(memcmp(got, want, sizeof want) == 0);
    uint64_t index[8] = {0};
    f = fopen(idx, "rb");
    CHECK(f != NULL && fread(index, 8, 8, f) == 8);
    fclose(f);
    CHECK(memcmp(index, "CRAYIDX1", 8) == 0 && index[2] == 3 && index[3] == 7);
    CHECK(index[4] == 0 && index[5] == 3 && index[6] == 5 && index[7] == 7);

    CHECK(crayon_stream_file(s, in, out, NULL, 3, NULL, 0, -1, 1, NULL, NULL, NULL, NULL) == CRAYON_E_INVALID_ARGUMENT);
    CHECK(crayon_stream_file(s, NULL, out, NULL, 4, NULL, 0, -1, 1, NULL, NULL, NULL, NULL) == CRAYON_E_INVALID_ARGUMENT);
    CHECK(crayon_stream_file(s, "/nonexistent/in", out, NULL, 4, NULL, 0, -1, 1, NULL, NULL, NULL, NULL) == CRAYON_E_IO);
    unlink(out);
    CHECK(crayon_stream_file(s, in, out, NULL, 4, NULL, 0, -1, 1, cancel_at_once, NULL, NULL, NULL) == CRAYON_E_INVALID_ARGUMENT);
    CHECK(access(out, F_OK) != 0); /* cancelled: no output, and no temporary file left either */
    unlink(idx);
    unlink(in);
    CHECK(rmdir(dir) == 0);
    crayon_stream_free(s);
}

int main(void) {
    crayon_bpe *bpe = small_encoding();
    profile_stream();
    bpe_stream(bpe);
    bad_arguments(bpe);
    stream_file(bpe);
    crayon_bpe_free(bpe);
    if (failures) {
        fprintf(stderr, "test_stream: %d failures\n", failures);
        return 1;
    }
    printf("test_stream: ok\n");
    return 0;
}
