/*
 * soak.c — long-running stress of libcrayon.so through its C ABI (make soak; not part of make test).
 *
 *   1. hot swap: worker threads (one per core, at least 2) make SOAK_CALLS (10^6) crayon_tokenize
 *      calls in total on one crayon_vocab while another thread keeps switching it between two
 *      profiles with crayon_set_profile (and on until SOAK_MIN_SWAPS (200) switches happened); every
 *      result must equal one of the two profiles' ids for that text (computed beforehand on private
 *      handles), and both profiles' results must be seen.
 *   2. load/free: SOAK_LOADS (10^5) crayon_load_dat_buffer / crayon_load_dat of a small profile built
 *      here, + tokenize + crayon_free; resident memory is sampled after each tenth, and the peak of
 *      the second half must exceed the peak of the first by less than SOAK_RSS_SLACK_MB (32).
 *   3. BPE: SOAK_CALLS crayon_bpe_encode calls across the worker threads on one encoding (cl100k_base
 *      from $CRAYON_TEST_TIKTOKEN when set, else a small one), each equal to the ids computed
 *      beforehand, while another thread loads and frees SOAK_LOADS small encodings
 *      (crayon_bpe_from_ranks) with the same resident-memory check.
 * Profiles: $CRAYON_PROFILE_DIR/{lite,code}.dat when both load, else two small ones built here.
 * Prints the figures; exit status 1 on any mismatch, failure or growth.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crayon.h"

static long env_long(const char *name, long fallback)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : fallback;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double rss_mb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) { if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0; fclose(f); }
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

static atomic_int failures;
/* Counts every problem, prints the first 20. */
#define FAIL(...) do { if (atomic_fetch_add(&failures, 1) < 20) { \
    fprintf(stderr, "soak: " __VA_ARGS__); fprintf(stderr, " (%s)\n", crayon_last_error()); } } while (0)

/* ---- texts -------------------------------------------------------------------------------------- */
static const char *const texts[] = {
    "hello world, the quick brown fox jumps over the lazy dog",
    "int main(void) {\n    return printf(\"%d\\n\", 42) == 0;\n}\n",
    "caf\xc3\xa9 na\xc3\xafve \xc3\xbc" "ber \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80\xf0\x9f\x98\x80 e\xcc\x81",
    "The mitochondria is the powerhouse of the cell; photosynthesis converts light into energy.",
    "SELECT name, price FROM products WHERE price > 100 ORDER BY name;",
    "\xff\xfe invalid \xc3 bytes \xe2\x98",
    "",
    "    indented\n\n\n\ttabs\tand  spaces   ",
};
#define N_TEXTS (sizeof texts / sizeof texts[0])
static size_t text_len(size_t i) { return strlen(texts[i]); }

typedef struct { int32_t *ids; int64_t n; } result;

static result tokenize_once(const crayon_vocab *v, size_t t)
{
    size_t cap = crayon_tokenize_bound(text_len(t)) + 1;
    result r = { malloc(cap * sizeof(int32_t)), 0 };
    r.n = crayon_tokenize(v, texts[t], text_len(t), r.ids, cap);
    if (r.n < 0) FAIL("tokenize failed while computing the expected ids");
    return r;
}

static int same(const result *r, const int32_t *ids, int64_t n)
{
    return r->n == n && memcmp(r->ids, ids, (size_t)n * sizeof(int32_t)) == 0;
}

/* ---- profiles ------------------------------------------------------------------------------------ */
static char profile_a[4096], profile_b[4096];   /* swapped */
static char profile_small[4096];                 /* loaded and freed 10^5 times: small, so the loop measures
                                                    the handle's life cycle, not copying megabytes */

static int write_built_profile(const char *path, const char *const *tokens, size_t n)
{
    size_t lens[32];
    for (size_t i = 0; i < n; i++) lens[i] = strlen(tokens[i]);
    uint8_t *data; size_t len;
    if (crayon_dat_build(tokens, lens, n, "soak", "soak", 0, &data, &len) != CRAYON_OK) return -1;
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(data, 1, len, f) == len;
    if (f) fclose(f);
    crayon_free_buffer(data);
    return ok ? 0 : -1;
}

static const char *const small_vocab[] = { "hello", " world", "the ", " quick", "brown", "int ", "return", "caf\xc3\xa9", "\xe4\xb8\xad\xe6\x96\x87", "    " };

static void choose_profiles(void)
{
    snprintf(profile_small, sizeof profile_small, "/tmp/crayon-soak-%d-small.dat", (int)getpid());
    if (write_built_profile(profile_small, small_vocab, 10)) { FAIL("cannot write the small profile"); exit(1); }
    const char *dir = getenv("CRAYON_PROFILE_DIR");
    if (dir && *dir && !strchr(dir, ':')) {
        snprintf(profile_a, sizeof profile_a, "%s/lite.dat", dir);
        snprintf(profile_b, sizeof profile_b, "%s/code.dat", dir);
        crayon_vocab *a = NULL, *b = NULL;
        int ok = crayon_load_dat(profile_a, &a) == CRAYON_OK && crayon_load_dat(profile_b, &b) == CRAYON_OK;
        crayon_free(a); crayon_free(b);
        if (ok) return;
        fprintf(stderr, "soak: %s/{lite,code}.dat do not load (%s); using built profiles\n", dir, crayon_last_error());
    }
    static const char *const vb[] = { "hel", "lo w", "orld", " the", "qu", "ick ", "main", "(void)", "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", "\n\n" };
    snprintf(profile_a, sizeof profile_a, "/tmp/crayon-soak-%d-a.dat", (int)getpid());
    snprintf(profile_b, sizeof profile_b, "/tmp/crayon-soak-%d-b.dat", (int)getpid());
    if (write_built_profile(profile_a, small_vocab, 10) || write_built_profile(profile_b, vb, 10)) {
        FAIL("cannot write the built profiles");
        exit(1);
    }
}

/* ---- 1. hot swap ----------------------------------------------------------------------------------- */
static crayon_vocab *shared_vocab;
static result expect_a[N_TEXTS], expect_b[N_TEXTS];
static atomic_long calls_left, calls_made, swaps, matched_a, matched_b, mismatches;
static long min_swaps;
static atomic_int stop_swapping;

static void *tokenize_worker(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    int32_t ids[4096];
    /* At least SOAK_CALLS calls, and on until the swapper has switched SOAK_MIN_SWAPS times: a big
     * profile takes milliseconds to map and check, and the calls must overlap many switches. */
    while (atomic_fetch_sub(&calls_left, 1) > 0 || atomic_load(&swaps) < min_swaps) {
        atomic_fetch_add(&calls_made, 1);
        size_t t = rand_r(&seed) % N_TEXTS;
        int64_t n = crayon_tokenize(shared_vocab, texts[t], text_len(t), ids, 4096);
        if (n < 0) { FAIL("tokenize failed during swaps"); atomic_fetch_add(&mismatches, 1); continue; }
        int a = same(&expect_a[t], ids, n), b = same(&expect_b[t], ids, n);
        if (a) atomic_fetch_add(&matched_a, 1);
        else if (b) atomic_fetch_add(&matched_b, 1);
        else atomic_fetch_add(&mismatches, 1);
    }
    return NULL;
}

static void *swapper(void *arg)
{
    (void)arg;
    for (long k = 0; !atomic_load(&stop_swapping); k++) {
        if (crayon_set_profile(shared_vocab, k & 1 ? profile_a : profile_b) != CRAYON_OK) { FAIL("set_profile failed"); break; }
        atomic_fetch_add(&swaps, 1);
    }
    return NULL;
}

static void soak_swap(int threads, long calls)
{
    crayon_vocab *a, *b;
    if (crayon_load_dat(profile_a, &a) != CRAYON_OK || crayon_load_dat(profile_b, &b) != CRAYON_OK
        || crayon_load_dat(profile_a, &shared_vocab) != CRAYON_OK) { FAIL("cannot load the profiles"); return; }
    int differ = 0;
    for (size_t t = 0; t < N_TEXTS; t++) {
        expect_a[t] = tokenize_once(a, t);
        expect_b[t] = tokenize_once(b, t);
        differ += !same(&expect_a[t], expect_b[t].ids, expect_b[t].n);
    }
    crayon_free(a); crayon_free(b);
    atomic_store(&calls_left, calls);
    pthread_t sw, w[64];
    double t0 = now();
    pthread_create(&sw, NULL, swapper, NULL);
    for (int i = 0; i < threads; i++) pthread_create(&w[i], NULL, tokenize_worker, (void *)(uintptr_t)(i + 1));
    for (int i = 0; i < threads; i++) pthread_join(w[i], NULL);
    atomic_store(&stop_swapping, 1);
    pthread_join(sw, NULL);
    double secs = now() - t0;
    long made = atomic_load(&calls_made);
    printf("hot swap: %ld tokenize calls on %d threads, %ld profile swaps, %.1f s (%.0f calls/s): "
           "%ld gave profile A's ids, %ld profile B's, %ld neither (texts whose ids differ between A and B: %d of %zu)\n",
           made, threads, atomic_load(&swaps), secs, made / secs, atomic_load(&matched_a), atomic_load(&matched_b),
           atomic_load(&mismatches), differ, N_TEXTS);
    if (atomic_load(&mismatches)) FAIL("%ld results matched neither profile", atomic_load(&mismatches));
    if (atomic_load(&matched_a) == 0 || atomic_load(&matched_b) == 0 || differ == 0)
        FAIL("the swap test did not exercise both profiles");
    crayon_free(shared_vocab);
}

/* ---- 2. load/free ------------------------------------------------------------------------------------ */
static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc((size_t)n);
    *len = fread(data, 1, (size_t)n, f);
    fclose(f);
    return data;
}

/* Resident memory after each tenth of a loop: the series shows a plateau or a slope. */
typedef struct { double mb[11]; } rss_series;
static void rss_sample(rss_series *s, long i, long n)
{
    if (n >= 10 && (i + 1) % (n / 10) == 0 && (i + 1) / (n / 10) <= 10) s->mb[(i + 1) / (n / 10)] = rss_mb();
}

/* Flat: the highest sample of the second half exceeds the highest of the first half by less than
 * slack. Peaks, not single samples: the garbage collector makes resident memory swing by tens of MB
 * between collections, while a leak raises every peak. */
static int rss_flat(const char *what, const rss_series *s, double slack)
{
    double early = 0, late = 0;
    printf("%s: resident MB after each tenth:", what);
    for (int k = 1; k <= 10; k++) {
        printf(" %.1f", s->mb[k]);
        if (k <= 5 && s->mb[k] > early) early = s->mb[k];
        if (k > 5 && s->mb[k] > late) late = s->mb[k];
    }
    printf(" (peak %+.1f MB from the first half to the second; limit %.0f MB)\n", late - early, slack);
    if (late - early >= slack) { FAIL("%s: resident memory grew by %.1f MB", what, late - early); return 0; }
    return 1;
}

static void soak_load_free(long loads, double slack)
{
    size_t len;
    uint8_t *image = read_file(profile_small, &len);
    if (!image) { FAIL("cannot read %s", profile_small); return; }
    double t0 = now();
    rss_series series = {0};
    int32_t ids[4096];
    for (long i = 0; i < loads; i++) {
        crayon_vocab *v = NULL;
        int s = i & 1 ? crayon_load_dat(profile_small, &v) : crayon_load_dat_buffer(image, len, i & 2 ? CRAYON_BORROW : 0, &v);
        if (s != CRAYON_OK) { FAIL("load %ld failed", i); break; }
        if (crayon_tokenize(v, texts[i % N_TEXTS], text_len(i % N_TEXTS), ids, 4096) < 0) FAIL("tokenize after load %ld failed", i);
        crayon_free(v);
        rss_sample(&series, i, loads);
    }
    double secs = now() - t0;
    printf("load/free: %ld loads of a %zu-byte profile (copied, borrowed, mapped file in turn) + tokenize + free in %.1f s (%.0f/s)\n",
           loads, len, secs, loads / secs);
    rss_flat("load/free", &series, slack);
    free(image);
}

/* ---- 3. BPE ---------------------------------------------------------------------------------------------- */
#define GPT2_PATTERN "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"
#define CL100K_PATTERN "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"

static crayon_bpe *small_bpe(void)
{
    static char bytes[256];
    const char *tokens[262]; size_t lens[262]; int32_t ranks[262];
    for (int b = 0; b < 256; b++) { bytes[b] = (char)b; tokens[b] = &bytes[b]; lens[b] = 1; ranks[b] = b; }
    const char *merges[6] = { "he", "ll", "hell", "hello", " w", " wo" };
    for (int i = 0; i < 6; i++) { tokens[256 + i] = merges[i]; lens[256 + i] = strlen(merges[i]); ranks[256 + i] = 256 + i; }
    const char *names[1] = { "<|endoftext|>" };
    int32_t ids[1] = { 262 };
    crayon_bpe *b = NULL;
    if (crayon_bpe_from_ranks(tokens, lens, ranks, 262, GPT2_PATTERN, names, ids, 1, &b) != CRAYON_OK) return NULL;
    return b;
}

static crayon_bpe *shared_bpe;
static result bpe_expect[N_TEXTS];
static atomic_long bpe_calls_left, bpe_mismatches;
static long bpe_loads_target;
static long bpe_loads_done;
static rss_series bpe_series;

static int valid_text(size_t t) { return t != 5; }   /* texts[5] is not UTF-8: BPE rejects it */

static void *bpe_worker(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    int32_t ids[4096];
    const char *allowed[1] = { "<|endoftext|>" };
    while (atomic_fetch_sub(&bpe_calls_left, 1) > 0) {
        size_t t = rand_r(&seed) % N_TEXTS;
        if (!valid_text(t)) t = 0;
        int64_t n = crayon_bpe_encode(shared_bpe, texts[t], text_len(t), allowed, 1, NULL, 0, 0, ids, 4096);
        if (!same(&bpe_expect[t], ids, n)) atomic_fetch_add(&bpe_mismatches, 1);
    }
    return NULL;
}

static void *bpe_loader(void *arg)
{
    (void)arg;
    int32_t first[64];
    int64_t first_n = -1;
    for (long i = 0; i < bpe_loads_target; i++) {
        crayon_bpe *b = small_bpe();
        if (!b) { FAIL("bpe load %ld failed", i); break; }
        int32_t ids[64];
        int64_t n = crayon_bpe_encode_ordinary(b, "hello world", 11, ids, 64);
        if (first_n < 0) { first_n = n; memcpy(first, ids, sizeof ids); }
        if (n != 5 || memcmp(ids, first, (size_t)n * sizeof(int32_t)) != 0)   /* hello | " wo" r l d */
            FAIL("small encoding %ld gave other ids (%lld)", i, (long long)n);
        crayon_bpe_free(b);
        rss_sample(&bpe_series, i, bpe_loads_target);
        bpe_loads_done = i + 1;
    }
    return NULL;
}

static void soak_bpe(int threads, long calls, long loads, double slack)
{
    const char *path = getenv("CRAYON_TEST_TIKTOKEN");
    const char *names[] = { "<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>" };
    const int32_t ids[] = { 100257, 100258, 100259, 100260, 100276 };
    const char *which = "cl100k_base";
    if (!path || !*path || crayon_bpe_load(path, CL100K_PATTERN, names, ids, 5, &shared_bpe) != CRAYON_OK) {
        which = "a small encoding (set CRAYON_TEST_TIKTOKEN for cl100k_base)";
        shared_bpe = small_bpe();
        if (!shared_bpe) { FAIL("cannot build the BPE encoding"); return; }
    }
    const char *allowed[1] = { "<|endoftext|>" };
    for (size_t t = 0; t < N_TEXTS; t++) {
        size_t cap = text_len(t) + 1;
        bpe_expect[t].ids = malloc(cap * sizeof(int32_t));
        bpe_expect[t].n = valid_text(t) ? crayon_bpe_encode(shared_bpe, texts[t], text_len(t), allowed, 1, NULL, 0, 0, bpe_expect[t].ids, cap) : 0;
        if (bpe_expect[t].n < 0) FAIL("bpe encode failed while computing the expected ids");
    }
    atomic_store(&bpe_calls_left, calls);
    bpe_loads_target = loads;
    pthread_t loader, w[64];
    double t0 = now();
    pthread_create(&loader, NULL, bpe_loader, NULL);
    for (int i = 0; i < threads; i++) pthread_create(&w[i], NULL, bpe_worker, (void *)(uintptr_t)(i + 7));
    for (int i = 0; i < threads; i++) pthread_join(w[i], NULL);
    double encode_secs = now() - t0;
    pthread_join(loader, NULL);
    double secs = now() - t0;
    printf("bpe: %ld encode calls (%s) on %d threads in %.1f s (%.0f calls/s), %ld differed from the expected ids\n",
           calls, which, threads, encode_secs, calls / encode_secs, atomic_load(&bpe_mismatches));
    printf("bpe load/free: %ld encodings loaded, used and freed alongside, %.1f s in all\n", bpe_loads_done, secs);
    if (atomic_load(&bpe_mismatches)) FAIL("%ld BPE results differed", atomic_load(&bpe_mismatches));
    rss_flat("bpe load/free", &bpe_series, slack);
    crayon_bpe_free(shared_bpe);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);   /* progress shows as it happens, also into a file */
    long calls = env_long("SOAK_CALLS", 1000000), loads = env_long("SOAK_LOADS", 100000);
    min_swaps = env_long("SOAK_MIN_SWAPS", 200);
    double slack = (double)env_long("SOAK_RSS_SLACK_MB", 32);
    int threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 2) threads = 2;
    if (threads > 64) threads = 64;
    printf("soak: libcrayon %s, %d worker threads, %ld calls, %ld loads, rss %.1f MB at start\n",
           crayon_version(), threads, calls, loads, rss_mb());
    choose_profiles();
    printf("profiles: A = %s, B = %s\n", profile_a, profile_b);
    soak_swap(threads, calls);
    soak_load_free(loads, slack);
    soak_bpe(threads, calls, loads, slack);
    if (strncmp(profile_a, "/tmp/crayon-soak-", 17) == 0) { unlink(profile_a); unlink(profile_b); }
    unlink(profile_small);
    int problems = atomic_load(&failures);
    printf(problems ? "soak: FAILED (%d problems)\n" : "soak: passed\n", problems);
    return problems ? 1 : 0;
}
