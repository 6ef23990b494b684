/*
 * test_bpe.c — the BPE section of crayon.h from C, run under valgrind by `make test-c`.
 *
 * With CRAYON_TEST_TIKTOKEN=/path/cl100k_base.tiktoken it loads that rank file with the cl100k
 * pattern and checks known ids; otherwise it builds a small encoding with crayon_bpe_from_ranks.
 * Either way: round trips, NULL pointers, small buffers, unknown ids, invalid UTF-8, specials.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crayon.h"
#include "test_support.h"

static const char *CL100K =
    "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*|"
    "\\s*[\\r\\n]|\\s+(?!\\S)|\\s+";
static const char *GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/* 256 byte tokens, then a few merges: "he", "ll", "hell", "hello", " w", " wo", "rl", " wor", " world". */
static crayon_bpe *small_encoding(void) {
    static const char *merges[] = {"he", "ll", "hell", "hello", " w", " wo", "rl", " wor", " world"};
    return rank_encoding(merges, (int)(sizeof merges / sizeof merges[0]), GPT2);
}

static void round_trip(const crayon_bpe *bpe, const char *text) {
    size_t len = strlen(text);
    int64_t need = crayon_bpe_encode_ordinary(bpe, text, len, NULL, 0);
    CHECK(need <= 0 && need != CRAYON_FAILED);
    size_t cap = need < 0 ? (size_t)-need : 1;
    int32_t *ids = malloc(cap * sizeof *ids);
    int64_t n = crayon_bpe_encode_ordinary(bpe, text, len, ids, cap);
    CHECK(n == (need < 0 ? -need : 0));
    char *back = malloc(len + 1);
    int64_t m = crayon_bpe_decode(bpe, ids, (size_t)n, back, len + 1);
    CHECK(m == (int64_t)len && memcmp(back, text, len) == 0);
    if (len > 0) { /* one byte too small: minus the exact size */
        CHECK(crayon_bpe_decode(bpe, ids, (size_t)n, back, len - 1) == -(int64_t)len);
    }
    free(back);
    free(ids);
}

static void test_small(void) {
    crayon_bpe *bpe = small_encoding();
    if (!bpe) return;
    CHECK(crayon_bpe_n_vocab(bpe) == 1001);

    int32_t ids[16];
    int64_t n = crayon_bpe_encode_ordinary(bpe, "hello world", 11, ids, 16);
    CHECK(n == 2 && ids[0] == 256 + 3 && ids[1] == 256 + 8);
    n = crayon_bpe_encode_ordinary(bpe, "hello world", 11, ids, 1);
    CHECK(n == -2);

    round_trip(bpe, "hello world, hell o  wor ld\n\n  123 \xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80!");
    round_trip(bpe, "");

    /* specials: ordinary text by default, an id when allowed, an error when disallowed */
    const char *t = "hello<|endoftext|>";
    n = crayon_bpe_encode(bpe, t, strlen(t), NULL, 0, NULL, 0, 0, ids, 16);
    CHECK(n > 2);
    n = crayon_bpe_encode(bpe, t, strlen(t), NULL, 0, NULL, 0, CRAYON_ALLOW_ALL_SPECIAL, ids, 16);
    CHECK(n == 2 && ids[0] == 256 + 3 && ids[1] == 1000);
    const char *allowed[] = {"<|endoftext|>"};
    n = crayon_bpe_encode(bpe, t, strlen(t), allowed, 1, NULL, 0, CRAYON_DISALLOW_ALL_SPECIAL, ids, 16);
    CHECK(n == 2 && ids[1] == 1000);
    n = crayon_bpe_encode(bpe, t, strlen(t), NULL, 0, NULL, 0, CRAYON_DISALLOW_ALL_SPECIAL, ids, 16);
    CHECK(n == CRAYON_FAILED && crayon_last_status() == CRAYON_E_DISALLOWED_SPECIAL);
    CHECK(strstr(crayon_last_error(), "<|endoftext|>") != NULL);
    CHECK(crayon_bpe_encode(bpe, t, strlen(t), NULL, 0, NULL, 0, 1u << 7, ids, 16) == CRAYON_FAILED);
    CHECK(crayon_last_status() == CRAYON_E_INVALID_ARGUMENT);

    /* token bytes, single tokens, unknown ids */
    char buf[32];
    CHECK(crayon_bpe_token_bytes(bpe, 256 + 3, buf, sizeof buf) == 5 && memcmp(buf, "hello", 5) == 0);
    CHECK(crayon_bpe_token_bytes(bpe, 1000, buf, 4) == -13);
    CHECK(crayon_bpe_token_bytes(bpe, 999, buf, sizeof buf) == CRAYON_FAILED);
    CHECK(crayon_last_status() == CRAYON_E_UNKNOWN_ID);
    int32_t bad[] = {104, 5000};
    CHECK(crayon_bpe_decode(bpe, bad, 2, buf, sizeof buf) == CRAYON_FAILED);
    CHECK(crayon_last_status() == CRAYON_E_UNKNOWN_ID);
    int32_t id = -1;
    CHECK(crayon_bpe_encode_single_token(bpe, "hello", 5, &id) == CRAYON_OK && id == 256 + 3);
    CHECK(crayon_bpe_encode_single_token(bpe, "<|endoftext|>", 13, &id) == CRAYON_OK && id == 1000);
    CHECK(crayon_bpe_encode_single_token(bpe, "hello ", 6, &id) == CRAYON_E_NOT_FOUND);

    /* invalid UTF-8, NULL pointers */
    CHECK(crayon_bpe_encode_ordinary(bpe, "a\xff", 2, ids, 16) == CRAYON_FAILED);
    CHECK(crayon_last_status() == CRAYON_E_INVALID_UTF8);
    CHECK(crayon_bpe_encode_ordinary(NULL, "a", 1, ids, 16) == CRAYON_FAILED);
    CHECK(crayon_last_status() == CRAYON_E_INVALID_ARGUMENT);
    CHECK(crayon_bpe_encode_ordinary(bpe, NULL, 3, ids, 16) == CRAYON_FAILED);
    CHECK(crayon_bpe_encode_ordinary(bpe, "abc", 3, NULL, 16) == CRAYON_FAILED);
    CHECK(crayon_bpe_encode_single_token(bpe, "a", 1, NULL) == CRAYON_E_INVALID_ARGUMENT);
    CHECK(crayon_bpe_n_vocab(NULL) == CRAYON_FAILED);

    /* batch: offsets, size query, an invalid document named in the error */
    const char *docs[] = {"hello world", "", "hell"};
    size_t lens[] = {11, 0, 4};
    int64_t offsets[4];
    int64_t total = crayon_bpe_encode_batch(bpe, docs, lens, 3, NULL, 0, NULL, 0, 0, NULL, 0, offsets, 0);
    CHECK(total == -3);
    total = crayon_bpe_encode_batch(bpe, docs, lens, 3, NULL, 0, NULL, 0, 0, ids, 16, offsets, 2);
    CHECK(total == 3 && offsets[0] == 0 && offsets[1] == 2 && offsets[2] == 2 && offsets[3] == 3 && ids[2] == 256 + 2);
    const char *bad_docs[] = {"ok", "\xc3"};
    size_t bad_lens[] = {2, 1};
    CHECK(crayon_bpe_encode_batch(bpe, bad_docs, bad_lens, 2, NULL, 0, NULL, 0, 0, ids, 16, offsets, 0) == CRAYON_FAILED);
    CHECK(crayon_last_status() == CRAYON_E_INVALID_UTF8 && strstr(crayon_last_error(), "document 1") != NULL);
    CHECK(crayon_bpe_encode_batch(bpe, docs, lens, 3, NULL, 0, NULL, 0, 0, ids, 16, NULL, 0) == CRAYON_FAILED);

    crayon_bpe_free(bpe);
    crayon_bpe_free(NULL);
    CHECK(crayon_bpe_n_vocab(bpe) == CRAYON_FAILED); /* freed handle: an error, not a crash */
}

static void test_bad_loads(void) {
    crayon_bpe *bpe = (crayon_bpe *)1;
    const char dup[] = "YQ== 0\nYg== 0\n";
    CHECK(crayon_bpe_load_buffer(dup, sizeof dup - 1, GPT2, NULL, NULL, 0, &bpe) == CRAYON_E_FORMAT && bpe == NULL);
    const char b64[] = "YQ== 0\n@@@ 1\n";
    CHECK(crayon_bpe_load_buffer(b64, sizeof b64 - 1, GPT2, NULL, NULL, 0, &bpe) == CRAYON_E_FORMAT);
    CHECK(strstr(crayon_last_error(), "line 2") != NULL);
    CHECK(crayon_bpe_load_buffer(b64, sizeof b64 - 1, NULL, NULL, NULL, 0, &bpe) == CRAYON_E_INVALID_ARGUMENT);
    CHECK(crayon_bpe_load_buffer(b64, sizeof b64 - 1, GPT2, NULL, NULL, 0, NULL) == CRAYON_E_INVALID_ARGUMENT);
    CHECK(crayon_bpe_load("/nonexistent/x.tiktoken", GPT2, NULL, NULL, 0, &bpe) == CRAYON_E_IO);
    const char ok[] = "YQ== 0\n";
    CHECK(crayon_bpe_load_buffer(ok, sizeof ok - 1, "(unclosed", NULL, NULL, 0, &bpe) == CRAYON_E_INVALID_ARGUMENT);
}

static void test_cl100k(const char *path) {
    const char *names[] = {"<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>"};
    const int32_t ids_sp[] = {100257, 100258, 100259, 100260, 100276};
    crayon_bpe *bpe = NULL;
    CHECK(crayon_bpe_load(path, CL100K, names, ids_sp, 5, &bpe) == CRAYON_OK);
    if (!bpe) return;
    CHECK(crayon_bpe_n_vocab(bpe) == 100277);
    int32_t ids[8];
    /* tiktoken: enc.encode("hello world") == [15339, 1917] */
    CHECK(crayon_bpe_encode_ordinary(bpe, "hello world", 11, ids, 8) == 2 && ids[0] == 15339 && ids[1] == 1917);
    round_trip(bpe, "The quick brown fox  jumps\n\nover 12345 lazy dogs. \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80");
    crayon_bpe_free(bpe);
}

int main(void) {
    test_small();
    test_bad_loads();
    const char *path = getenv("CRAYON_TEST_TIKTOKEN");
    if (path && *path) test_cl100k(path);
    else printf("test_bpe: CRAYON_TEST_TIKTOKEN not set, cl100k checks skipped\n");
    if (failures) {
        fprintf(stderr, "test_bpe: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_bpe: ok\n");
    return 0;
}
