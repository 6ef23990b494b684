/* test_engine.c — the engine section of crayon.h from C, run under valgrind by `make test-c`.
 * Builds its own small vocabularies with crayon_dat_build, so it needs no shipped profile; when
 * $CRAYON_PROFILE_DIR holds lite.dat it also exercises the named profile. */
#define _GNU_SOURCE /* memmem */
#include "crayon.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;
#define CHECK(cond, ...)                                                              \
    do {                                                                              \
        if (!(cond)) {                                                                \
            failures++;                                                               \
            fprintf(stderr, "FAIL %s:%d: %s — ", __FILE__, __LINE__, #cond);         \
            fprintf(stderr, __VA_ARGS__);                                             \
            fprintf(stderr, " (last error: %s)\n", crayon_last_error());              \
        }                                                                             \
    } while (0)

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static const char *WORDS_A[] = {"the", " the", " quick", " brown", " fox", " jumps", " over", " lazy", " dog",
                                "ing", " token", "izer", " longest", " match", "\xe6\x97\xa5\xe6\x9c\xac", "\n\t", "  "};
static const char *WORDS_B[] = {" qu", "ick", " bro", "wn", " fo", "x ju", "mps", " la", "zy", " d", "og."};
static const char SAMPLE[] = "The quick brown fox jumps over the lazy dog. The longest match wins, tokenizer!\n\t"
                             "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x96\x8d and bytes \xff\xfe too.";

static int build_flags(const char *const *words, size_t n, const char *name, uint32_t flags, uint8_t **data, size_t *len) {
    size_t lens[64];
    for (size_t i = 0; i < n; i++) lens[i] = strlen(words[i]);
    return crayon_dat_build(words, lens, n, name, "test_engine.c", flags, data, len);
}

static int build(const char *const *words, size_t n, const char *name, uint8_t **data, size_t *len) {
    return build_flags(words, n, name, 0, data, len);
}

static crayon_vocab *load_flags(const char *const *words, size_t n, const char *name, uint32_t flags) {
    uint8_t *data = NULL; size_t len = 0; crayon_vocab *v = NULL;
    int rc = build_flags(words, n, name, flags, &data, &len);
    CHECK(rc == CRAYON_OK, "build %s rc=%d", name, rc);
    rc = crayon_load_dat_buffer(data, len, 0, &v); /* copied: the buffer can go at once */
    CHECK(rc == CRAYON_OK && v != NULL, "load %s rc=%d", name, rc);
    crayon_free_buffer(data);
    return v;
}

static crayon_vocab *load(const char *const *words, size_t n, const char *name) {
    return load_flags(words, n, name, 0);
}

static int64_t tokenize(const crayon_vocab *v, const char *text, size_t len, int32_t **ids) {
    size_t cap = crayon_tokenize_bound(len);
    *ids = malloc((cap ? cap : 1) * sizeof(int32_t));
    return crayon_tokenize(v, text, len, *ids, cap);
}

static void test_round_trip_random_bytes(const crayon_vocab *v) {
    for (int round = 0; round < 200; round++) {
        size_t len = rnd() % 3000;
        char *text = malloc(len + 1);
        for (size_t i = 0; i < len; i++) text[i] = (char)(rnd() % 8 == 0 ? " the"[rnd() % 4] : (int)(rnd() & 0xff));
        int32_t *ids;
        int64_t n = tokenize(v, text, len, &ids);
        CHECK(n >= 0 && (size_t)n <= len, "tokenize gave %lld", (long long)n);
        char *back = malloc(len + 1);
        int64_t m = crayon_decode(v, ids, (size_t)n, back, len + 1);
        CHECK(m == (int64_t)len && memcmp(back, text, len) == 0, "round trip of %zu random bytes (got %lld)", len, (long long)m);
        free(back); free(ids); free(text);
    }
}

static void test_bad_arguments(crayon_vocab *v) {
    int32_t ids[8]; char buf[8];
    CHECK(crayon_tokenize(NULL, "a", 1, ids, 8) == CRAYON_FAILED && crayon_last_status() == CRAYON_E_INVALID_ARGUMENT, "NULL vocab");
    CHECK(crayon_tokenize(v, NULL, 5, ids, 8) == CRAYON_FAILED, "NULL text with len");
    CHECK(crayon_tokenize(v, NULL, 0, ids, 8) == 0, "NULL text with len 0 is empty");
    CHECK(crayon_tokenize(v, "abc", 3, NULL, 8) == CRAYON_FAILED, "NULL out with cap");
    CHECK(crayon_tokenize((crayon_vocab *)(uintptr_t)0x1234, "a", 1, ids, 8) == CRAYON_FAILED, "bogus handle");
    CHECK(crayon_decode(v, NULL, 3, buf, 8) == CRAYON_FAILED, "NULL ids");
    CHECK(crayon_vocab_size(NULL) == CRAYON_FAILED, "vocab_size(NULL)");
    CHECK(crayon_set_profile(v, NULL) == CRAYON_E_INVALID_ARGUMENT, "set_profile NULL");
    CHECK(crayon_set_profile(v, "no_such_profile") == CRAYON_E_NOT_FOUND, "unknown profile");
    CHECK(crayon_set_profile(v, "/nonexistent/x.dat") == CRAYON_E_IO, "missing file");
    CHECK(crayon_load_dat(NULL, NULL) == CRAYON_E_INVALID_ARGUMENT, "load_dat NULLs");
    crayon_vocab *tmp = (crayon_vocab *)(uintptr_t)1;
    CHECK(crayon_load_dat("/nonexistent.dat", &tmp) == CRAYON_E_IO && tmp == NULL, "load_dat missing");
    CHECK(crayon_load_dat_buffer("x", 1, 0x80, &tmp) == CRAYON_E_INVALID_ARGUMENT, "bad flags");
    CHECK(crayon_dat_build(NULL, NULL, 3, "n", "s", 0, NULL, NULL) == CRAYON_E_INVALID_ARGUMENT, "dat_build NULLs");
    uint8_t *img = NULL; size_t img_len = 0;
    CHECK(build_flags(WORDS_A, 2, "f", 2u, &img, &img_len) == CRAYON_E_INVALID_ARGUMENT && img == NULL
          && strstr(crayon_last_error(), "flags") != NULL, "dat_build unknown flag");
    CHECK(crayon_vocab_create("cuda", &tmp) == CRAYON_E_UNSUPPORTED && strstr(crayon_last_error(), "available") != NULL,
          "cuda should be refused listing what is available");
    CHECK(crayon_vocab_create("tpu", &tmp) == CRAYON_E_INVALID_ARGUMENT, "unknown device");
    crayon_free(NULL);
    crayon_free_buffer(NULL);
    crayon_vocab *empty = NULL;
    CHECK(crayon_vocab_create(NULL, &empty) == CRAYON_OK, "create without a profile");
    CHECK(crayon_tokenize(empty, "abc", 3, ids, 8) == CRAYON_FAILED && crayon_last_status() == CRAYON_E_INVALID_ARGUMENT,
          "tokenize before any profile is set");
    CHECK(crayon_vocab_size(empty) == CRAYON_FAILED, "vocab_size before any profile is set");
    crayon_free(empty);

    /* unknown ids */
    int32_t bad[3] = {5, 6, (int32_t)crayon_vocab_size(v)};
    CHECK(crayon_decode(v, bad, 3, buf, sizeof buf) == CRAYON_FAILED && crayon_last_status() == CRAYON_E_UNKNOWN_ID
          && strstr(crayon_last_error(), "position 2") != NULL, "unknown id at position 2");
    int32_t neg = -7;
    CHECK(crayon_decode(v, &neg, 1, buf, sizeof buf) == CRAYON_FAILED && crayon_last_status() == CRAYON_E_UNKNOWN_ID, "negative id");

    /* small buffers: minus the capacity needed, then a retry with it succeeds */
    size_t len = strlen(SAMPLE);
    int64_t r = crayon_tokenize(v, SAMPLE, len, ids, 2);
    CHECK(r < 0 && r != CRAYON_FAILED, "tokenize into 2 slots should ask for more (%lld)", (long long)r);
    int32_t *big = malloc((size_t)(-r) * sizeof(int32_t));
    CHECK(crayon_tokenize(v, SAMPLE, len, big, (size_t)(-r)) == -r, "retry with the needed capacity");
    int64_t d = crayon_decode(v, big, (size_t)(-r), buf, 4);
    CHECK(d == -(int64_t)len, "decode into 4 bytes asks for %zu (%lld)", len, (long long)d);
    free(big);
    int64_t need = crayon_backend_report(NULL, 0);
    CHECK(need < 0 && need != CRAYON_FAILED, "report size query");
    char *report = malloc((size_t)-need);
    CHECK(crayon_backend_report(report, (size_t)-need) == -need - 1 && strncmp(report, "cpu\tyes", 7) == 0, "report: %s", report);
    free(report);
    CHECK((crayon_backends() & CRAYON_BACKEND_CPU) != 0, "cpu backend flag");
    char dev[4];
    CHECK(crayon_device(v, dev, sizeof dev) == 3 && strcmp(dev, "cpu") == 0, "device is cpu");
    CHECK(crayon_device(v, dev, 3) == -4, "device needs 4 bytes with the NUL");
    char name[32], info[512];
    CHECK(crayon_profile_name(v, name, sizeof name) == 1 && strcmp(name, "a") == 0, "profile name '%s'", name);
    CHECK(crayon_profile_info(v, info, sizeof info) > 0 && strstr(info, "\"vocab_size\":") != NULL, "info %s", info);
}

/* Mutated images, resealed or not (loading does not read the checksum): every one is rejected at load,
 * or every tokenize call on it fails with CRAYON_E_FORMAT or returns ids that decode to its input;
 * full verification (crayon_vocab_verify, CRAYON_VERIFY) rejects every image that differs. */
static int tokenize_round_trips_or_fails_cleanly(crayon_vocab *v, const char *probe, size_t len) {
    int32_t ids[1024]; char back[16384];
    int64_t n = crayon_tokenize(v, probe, len, ids, 1024);
    if (n == CRAYON_FAILED) {
        CHECK(crayon_last_status() == CRAYON_E_FORMAT, "tokenize failed with status %d", crayon_last_status());
        return 0;
    }
    CHECK(n >= 0 && n <= 1024, "tokenize on an accepted image: %lld", (long long)n);
    int64_t size = crayon_vocab_size(v);
    for (int64_t k = 0; k < n; k++) CHECK(ids[k] >= 0 && ids[k] < size, "id %d out of range", ids[k]);
    int64_t m = crayon_decode(v, ids, (size_t)n, back, sizeof back);
    CHECK(m == (int64_t)len && memcmp(back, probe, len) == 0, "decode(tokenize(x)) != x on an accepted image");
    return 1;
}

static void test_mutated_images(void) {
    uint8_t *data = NULL; size_t len = 0;
    CHECK(build(WORDS_A, sizeof WORDS_A / sizeof *WORDS_A, "m", &data, &len) == CRAYON_OK, "build");
    uint8_t *copy = malloc(len);
    char probe[512];
    for (size_t k = 0; k < sizeof probe; k++) probe[k] = (char)rnd();
    int rejected = 0, loaded = 0, refused = 0;
    for (int i = 0; i < 3000; i++) {
        memcpy(copy, data, len);
        size_t use = len;
        if (i % 5 == 0) use = rnd() % len;                      /* truncation */
        else if (i % 5 == 1) {                                   /* a plausible int32 anywhere */
            size_t at = 32 + rnd() % (len - 32) / 4 * 4;
            int32_t val = (int32_t)(rnd() % 5 == 0 ? -1 - (int32_t)(rnd() % 3) : (int32_t)(rnd() % 3000));
            memcpy(copy + at, &val, 4);
        }
        else for (int f = 1 + (int)(rnd() % 3); f > 0; f--) copy[rnd() % len] ^= (uint8_t)(1 + rnd() % 255);
        crayon_vocab *v = NULL;
        int rc = crayon_load_dat_buffer(copy, use, (i & 1) ? CRAYON_BORROW : 0, &v);
        CHECK(rc == CRAYON_OK || rc == CRAYON_E_FORMAT, "mutation %d: rc=%d", i, rc);
        if (rc != CRAYON_OK) { rejected++; continue; }
        loaded++;
        if (!tokenize_round_trips_or_fails_cleanly(v, probe, sizeof probe)) refused++;
        tokenize_round_trips_or_fails_cleanly(v, SAMPLE, strlen(SAMPLE));
        if (use == len && memcmp(copy, data, len) != 0) {
            CHECK(crayon_vocab_verify(v) == CRAYON_E_FORMAT, "verify accepted mutation %d", i);
            crayon_vocab *w = NULL;
            CHECK(crayon_load_dat_buffer(copy, len, CRAYON_VERIFY, &w) == CRAYON_E_FORMAT && w == NULL, "CRAYON_VERIFY accepted mutation %d", i);
        }
        crayon_free(v);
    }
    printf("mutated images: %d rejected at load, %d loaded (%d refused a call cleanly, the rest round-tripped)\n",
           rejected, loaded, refused);
    CHECK(rejected > 0 && loaded > 0, "both outcomes occur");
    /* the intact image, borrowed in place and verified */
    crayon_vocab *v = NULL;
    memcpy(copy, data, len);
    CHECK(crayon_load_dat_buffer(copy, len, CRAYON_BORROW | CRAYON_VERIFY, &v) == CRAYON_OK, "borrowed, verified load");
    CHECK(crayon_vocab_verify(v) == CRAYON_OK, "verify the intact image");
    CHECK(crayon_vocab_verify(NULL) == CRAYON_E_INVALID_ARGUMENT, "verify NULL");
    crayon_free(v);
    CHECK(crayon_load_dat_buffer(copy, len, 1u << 7, &v) == CRAYON_E_INVALID_ARGUMENT, "unknown load flag");
    free(copy);
    crayon_free_buffer(data);
}

/* ---- hot swap under concurrency ---------------------------------------------------------------- */
struct swap_ctx {
    crayon_vocab *v;
    const int32_t *expect_a, *expect_b;
    int64_t na, nb;
    volatile int stop;
    int bad, calls;
};

static void *worker(void *arg) {
    struct swap_ctx *c = arg;
    size_t len = strlen(SAMPLE);
    int32_t *ids = malloc(len * sizeof(int32_t));
    while (!c->stop) {
        int64_t n = crayon_tokenize(c->v, SAMPLE, len, ids, len);
        int ok = (n == c->na && memcmp(ids, c->expect_a, (size_t)n * 4) == 0) ||
                 (n == c->nb && memcmp(ids, c->expect_b, (size_t)n * 4) == 0);
        __atomic_add_fetch(&c->calls, 1, __ATOMIC_RELAXED);
        if (!ok) __atomic_add_fetch(&c->bad, 1, __ATOMIC_RELAXED);
    }
    free(ids);
    return NULL;
}

static void write_file(const char *path, const uint8_t *data, size_t len) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL, "open %s", path);
    if (!f) return;
    CHECK(fwrite(data, 1, len, f) == len, "write %s", path);
    fclose(f);
}

static void test_hot_swap(void) {
    char path_a[64], path_b[64];
    snprintf(path_a, sizeof path_a, "/tmp/crayon_test_a_%d.dat", (int)getpid());
    snprintf(path_b, sizeof path_b, "/tmp/crayon_test_b_%d.dat", (int)getpid());
    uint8_t *da, *db; size_t la, lb;
    build(WORDS_A, sizeof WORDS_A / sizeof *WORDS_A, "a", &da, &la);
    build(WORDS_B, sizeof WORDS_B / sizeof *WORDS_B, "b", &db, &lb);
    write_file(path_a, da, la); write_file(path_b, db, lb);
    crayon_free_buffer(da); crayon_free_buffer(db);

    crayon_vocab *va = NULL, *vb = NULL, *v = NULL;
    CHECK(crayon_load_dat(path_a, &va) == CRAYON_OK, "load a");
    CHECK(crayon_load_dat(path_b, &vb) == CRAYON_OK, "load b");
    CHECK(crayon_load_dat(path_a, &v) == CRAYON_OK, "load shared");
    {
        crayon_vocab *checked = NULL;
        CHECK(crayon_load_dat_flags(path_a, CRAYON_VERIFY, &checked) == CRAYON_OK && checked != NULL, "load_dat_flags VERIFY");
        crayon_free(checked);
        checked = NULL;
        CHECK(crayon_load_dat_flags(path_a, CRAYON_BORROW, &checked) == CRAYON_E_INVALID_ARGUMENT && checked == NULL,
              "a file takes no BORROW flag");
    }
    struct swap_ctx c = {0};
    int32_t *ea, *eb;
    c.v = v;
    c.na = tokenize(va, SAMPLE, strlen(SAMPLE), &ea);
    c.nb = tokenize(vb, SAMPLE, strlen(SAMPLE), &eb);
    c.expect_a = ea; c.expect_b = eb;
    CHECK(c.na != c.nb || memcmp(ea, eb, (size_t)c.na * 4) != 0, "the two profiles must differ");

    pthread_t threads[4];
    for (int i = 0; i < 4; i++) pthread_create(&threads[i], NULL, worker, &c);
    for (int i = 0; i < 60 || __atomic_load_n(&c.calls, __ATOMIC_RELAXED) < 200; i++) {
        CHECK(crayon_set_profile(v, (i & 1) ? path_a : path_b) == CRAYON_OK, "swap %d", i);
        if (i > 100000) break;
    }
    c.stop = 1;
    for (int i = 0; i < 4; i++) pthread_join(threads[i], NULL);
    CHECK(c.bad == 0, "%d of %d concurrent results matched neither profile", c.bad, c.calls);
    free(ea); free(eb);
    crayon_free(va); crayon_free(vb); crayon_free(v);
    unlink(path_a); unlink(path_b);
}

static void test_batch(const crayon_vocab *v) {
    const char *docs[3] = {SAMPLE, "", " the lazy dog"};
    size_t lens[3] = {strlen(SAMPLE), 0, strlen(docs[2])};
    size_t total = lens[0] + lens[1] + lens[2];
    int32_t *out = malloc(total * sizeof(int32_t));
    int64_t offsets[4];
    int64_t n = crayon_tokenize_batch(v, docs, lens, 3, out, total, offsets, 0);
    CHECK(n > 0 && offsets[0] == 0 && offsets[3] == n, "batch total %lld", (long long)n);
    for (int d = 0; d < 3; d++) {
        int32_t *one;
        int64_t k = tokenize(v, docs[d], lens[d], &one);
        CHECK(k == offsets[d + 1] - offsets[d] && memcmp(one, out + offsets[d], (size_t)k * 4) == 0, "batch doc %d", d);
        free(one);
    }
    CHECK(crayon_tokenize_batch(v, docs, lens, 3, out, 1, offsets, 2) == -n, "batch too small asks for %lld", (long long)n);
    CHECK(crayon_tokenize_batch(v, docs, lens, 3, out, total, NULL, 0) == CRAYON_FAILED, "batch NULL offsets");
    free(out);
}

/* CRAYON_DAT_NFC: decomposed and composed text tokenize alike, decode gives NFC, the bound holds. */
#define E_ACUTE "\xc3\xa9"              /* U+00E9 */
#define E_DECOMPOSED "e\xcc\x81"        /* e U+0301 */
#define A_RING "\xc3\x85"               /* U+00C5 */
#define ANGSTROM_SIGN "\xe2\x84\xab"   /* U+212B, NFC: U+00C5 */
#define MUSICAL_NOTE "\xf0\x9d\x85\xa0" /* U+1D160, NFC: U+1D158 U+1D165 U+1D16E (4 -> 12 bytes) */
static void test_nfc_profile(void) {
    static const char *words[] = {"caf" E_ACUTE, " caf" E_ACUTE, A_RING "ngstr\xc3\xb6m", " the"};
    crayon_vocab *nfc = load_flags(words, 4, "nfc", CRAYON_DAT_NFC);
    crayon_vocab *plain = load(words, 4, "plain");
    char info[512];
    CHECK(crayon_profile_info(nfc, info, sizeof info) > 0 && strstr(info, "\"normalization\":\"nfc\"") != NULL, "nfc info %s", info);
    CHECK(crayon_profile_info(plain, info, sizeof info) > 0 && strstr(info, "\"normalization\":\"none\"") != NULL, "plain info %s", info);

    const char composed[] = "caf" E_ACUTE " the " A_RING "ngstr\xc3\xb6m";
    const char decomposed[] = "caf" E_DECOMPOSED " the " ANGSTROM_SIGN "ngstro\xcc\x88m";
    int32_t *a, *b;
    int64_t na = tokenize(nfc, composed, strlen(composed), &a);
    int64_t nb = tokenize(nfc, decomposed, strlen(decomposed), &b);
    CHECK(na == 4 && nb == na && memcmp(a, b, (size_t)na * 4) == 0, "decomposed tokenizes as composed (%lld, %lld)", (long long)na, (long long)nb);
    char back[128];
    CHECK(crayon_decode(nfc, b, (size_t)nb, back, sizeof back) == (int64_t)strlen(composed) && memcmp(back, composed, strlen(composed)) == 0,
          "decode gives the NFC text");
    free(a); free(b);
    /* without the flag the decomposed bytes come back exactly */
    int64_t np = tokenize(plain, decomposed, strlen(decomposed), &a);
    CHECK(np > 0 && crayon_decode(plain, a, (size_t)np, back, sizeof back) == (int64_t)strlen(decomposed)
          && memcmp(back, decomposed, strlen(decomposed)) == 0, "plain profile is byte exact");
    free(a);
    /* invalid UTF-8 passes through; nothing composes across it */
    const char invalid[] = "e\xff\xcc\x81\xc3";
    np = tokenize(nfc, invalid, 5, &a);
    CHECK(np == 5 && crayon_decode(nfc, a, 5, back, sizeof back) == 5 && memcmp(back, invalid, 5) == 0, "invalid bytes kept");
    free(a);

    /* NFC lengthens U+1D160 three times: more ids than bytes, within crayon_tokenize_bound */
    char notes[4 * 16 + 1] = "";
    for (int i = 0; i < 16; i++) strcat(notes, MUSICAL_NOTE);
    int32_t few[64];
    int64_t r = crayon_tokenize(nfc, notes, 64, few, 64);
    CHECK(r == -192, "64 bytes of U+1D160 need 192 ids (%lld)", (long long)r);
    CHECK(crayon_tokenize_bound(64) >= 192, "the bound covers NFC expansion");
    np = tokenize(nfc, notes, 64, &a);
    CHECK(np == 192, "with the bound: %lld", (long long)np);
    free(a);

    /* batch applies NFC to every document */
    const char *docs[3] = {decomposed, notes, "plain ascii"};
    size_t lens[3] = {strlen(decomposed), 64, 11};
    int64_t offsets[4];
    int32_t out[512];
    int64_t n = crayon_tokenize_batch(nfc, docs, lens, 3, out, 512, offsets, 2);
    CHECK(n == 4 + 192 + 11 && offsets[1] == 4 && offsets[2] == 196, "batch total %lld", (long long)n);
    CHECK(crayon_tokenize_batch(nfc, docs, lens, 3, out, lens[0] + lens[1] + lens[2], offsets, 2) == -n, "batch asks for more");
    crayon_free(nfc);
    crayon_free(plain);
}

static void test_named_profile(void) {
    const char *dir = getenv("CRAYON_PROFILE_DIR");
    char path[4096];
    if (!dir || !*dir) { printf("skip: $CRAYON_PROFILE_DIR not set\n"); return; }
    snprintf(path, sizeof path, "%s/lite.dat", dir);
    if (access(path, R_OK) != 0) { printf("skip: no %s\n", path); return; }
    crayon_vocab *v = NULL;
    CHECK(crayon_vocab_create("auto", &v) == CRAYON_OK, "create");
    CHECK(crayon_set_profile(v, "lite") == CRAYON_OK, "set lite");
    char list[1024];
    CHECK(crayon_list_profiles(list, sizeof list) > 0 && strstr(list, "lite\n") != NULL, "list: %s", list);
    int32_t *ids;
    size_t len = strlen(SAMPLE);
    int64_t n = tokenize(v, SAMPLE, len, &ids);
    char *back = malloc(len);
    CHECK(n > 0 && n < (int64_t)len && crayon_decode(v, ids, (size_t)n, back, len) == (int64_t)len && memcmp(back, SAMPLE, len) == 0,
          "lite round trip");
    printf("lite: %zu bytes -> %lld tokens, vocab %lld\n", len, (long long)n, (long long)crayon_vocab_size(v));
    free(back); free(ids);
    crayon_free(v);
}

static int count_progress(void *user, uint64_t done, uint64_t total) {
    int *calls = user;
    (*calls)++;
    return done > total; /* never true: keep going */
}

static int cancel_progress(void *user, uint64_t done, uint64_t total) {
    (void)user; (void)done; (void)total;
    return 1;
}

static void test_learn(void) {
    const char *texts[2] = {"the tokenizer tokenizes the tokens; the tokenizer is fast. the end.",
                            "tokens and tokenizers: the longest match wins, the longest match wins."};
    size_t lens[2] = {strlen(texts[0]), strlen(texts[1])};
    uint8_t *json = NULL; size_t json_len = 0;
    int calls = 0;
    CHECK(crayon_vocab_learn(texts, lens, 2, 20, 12, count_progress, &calls, &json, &json_len) == CRAYON_OK, "learn");
    CHECK(calls > 0 && json != NULL && json_len > 2 && json[0] == '[' && json[json_len - 1] == ']', "learn output");
    CHECK(json_len > 0 && memmem(json, json_len, "\" the", 5) != NULL, "a token starting ' the' should be learned: %.*s", (int)json_len, (const char *)json);
    crayon_free_buffer(json);
    json = NULL;
    CHECK(crayon_vocab_learn(texts, lens, 2, 20, 12, cancel_progress, NULL, &json, &json_len) == CRAYON_E_INVALID_ARGUMENT
          && json == NULL && strstr(crayon_last_error(), "cancelled") != NULL, "cancel");
    CHECK(crayon_vocab_learn(texts, lens, 2, 20, 1, NULL, NULL, &json, &json_len) == CRAYON_E_INVALID_ARGUMENT, "max_token_bytes 1");
    CHECK(crayon_vocab_learn(NULL, NULL, 2, 20, 12, NULL, NULL, &json, &json_len) == CRAYON_E_INVALID_ARGUMENT, "NULL texts");
    /* no text at all, or only invalid UTF-8: an empty list, not an error */
    const char *nothing[1] = {"\xff\xfe\xc3"};
    size_t nothing_len[1] = {3};
    CHECK(crayon_vocab_learn(nothing, nothing_len, 1, 20, 12, NULL, NULL, &json, &json_len) == CRAYON_OK
          && json_len == 2 && memcmp(json, "[]", 2) == 0, "invalid UTF-8 only gives []");
    crayon_free_buffer(json);
    CHECK(crayon_vocab_learn(nothing, nothing_len, 0, 20, 12, NULL, NULL, &json, &json_len) == CRAYON_OK
          && json_len == 2 && memcmp(json, "[]", 2) == 0, "no texts give []");
    crayon_free_buffer(json);
}

static void test_extend(crayon_vocab *base) {
    const char *texts[1] = {"lazy dogs and lazy foxes jump over lazy dogs; lazy foxes, lazy dogs."};
    size_t lens[1] = {strlen(texts[0])};
    uint8_t *json = NULL; size_t json_len = 0;
    crayon_learner *learner = NULL;
    CHECK(crayon_learner_new(16, &learner) == CRAYON_OK, "learner");
    CHECK(crayon_learner_feed(learner, texts, lens, 1) == CRAYON_OK && crayon_learner_feed(learner, texts, lens, 1) == CRAYON_OK, "feed twice");
    uint64_t docs = 0, bytes = 0;
    CHECK(crayon_learner_stats(learner, &docs, &bytes) == CRAYON_OK && docs == 2 && bytes == 2 * lens[0], "stats");
    CHECK(crayon_learner_learn(learner, base, 5, NULL, NULL, &json, &json_len) == CRAYON_OK
          && json_len > 2 && json[0] == '[', "learn more");
    CHECK(memmem(json, json_len, "\" lazy\"", 7) == NULL, "base tokens are not learned again: %.*s", (int)json_len, (const char *)json);
    crayon_free_buffer(json);
    CHECK(crayon_learner_learn(learner, NULL, 5, NULL, NULL, &json, &json_len) == CRAYON_OK
          && memmem(json, json_len, "\" lazy", 6) != NULL, "learn without a base: %.*s", (int)json_len, (const char *)json);
    crayon_free_buffer(json);
    crayon_learner *bad = NULL;
    CHECK(crayon_learner_new(1, &bad) == CRAYON_E_INVALID_ARGUMENT && bad == NULL, "max_token_bytes 1 is refused");
    crayon_learner_free(learner);
    crayon_learner_free(NULL);
    const char *added[3] = {" lazy dogs", " lazy", " lazy dogs"};     /* " lazy" is base's; the third repeats */
    size_t added_lens[3] = {10, 5, 10};
    uint8_t *image = NULL; size_t image_len = 0;
    CHECK(crayon_dat_extend(base, added, added_lens, 3, "child", "test", &image, &image_len) == CRAYON_OK, "extend");
    crayon_vocab *child = NULL;
    CHECK(crayon_load_dat_buffer(image, image_len, 0, &child) == CRAYON_OK, "load child");
    CHECK(crayon_vocab_size(child) == crayon_vocab_size(base) + 1, "one new id (%lld)", (long long)crayon_vocab_size(child));
    for (int32_t id = 0; id < (int32_t)crayon_vocab_size(base); id++) {
        char a[64], b[64];
        int64_t na = crayon_decode(base, &id, 1, a, sizeof a), nb = crayon_decode(child, &id, 1, b, sizeof b);
        if (na != nb || memcmp(a, b, (size_t)na) != 0) { CHECK(0, "id %d moved", id); break; }
    }
    crayon_free(child);
    crayon_free_buffer(image);
    CHECK(crayon_dat_extend(NULL, added, added_lens, 3, "c", "", &image, &image_len) == CRAYON_E_INVALID_ARGUMENT, "NULL base");
    CHECK(crayon_learner_feed(NULL, texts, lens, 1) == CRAYON_E_INVALID_ARGUMENT, "NULL learner");
}

int main(void) {
    crayon_vocab *v = load(WORDS_A, sizeof WORDS_A / sizeof *WORDS_A, "a");
    CHECK(crayon_vocab_size(v) == 260 + (int64_t)(sizeof WORDS_A / sizeof *WORDS_A), "vocab size");
    test_round_trip_random_bytes(v);
    test_extend(v);
    test_bad_arguments(v);
    test_batch(v);
    crayon_free(v);
    test_mutated_images();
    test_hot_swap();
    test_learn();
    test_nfc_profile();
    test_named_profile();
    if (failures) { fprintf(stderr, "%d failure(s)\n", failures); return 1; }
    printf("test_engine: all passed\n");
    return 0;
}
