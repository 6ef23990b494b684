/*
 * abi_fuzz.c — libFuzzer harness over libcrayon.so's C ABI (crayon.h): fuzzed handles (valid,
 * NULL, freed, of the wrong kind), NULL pointers, sizes, flags, small buffers and hostile data.
 *
 * Invariants checked on every call:
 *   - the status is one of crayon.h's codes, and a failure leaves a non-empty crayon_last_error();
 *   - a NULL / freed / wrong-kind handle, a NULL pointer with a non-zero count, or unknown flag bits
 *     is CRAYON_E_INVALID_ARGUMENT;
 *   - buffer-filling calls never write past cap (guard words after the buffer stay intact), return
 *     n <= cap, or -needed > cap, and a retry with the needed capacity returns exactly that count;
 *   - strings come back NUL-terminated with the length returned;
 *   - tokenize / encode results decode back to the input (the non-NFC profile; BPE on valid UTF-8);
 *     decode fails with CRAYON_E_UNKNOWN_ID exactly when an id is outside the vocabulary;
 *   - a hostile .dat / .tiktoken buffer loads or fails with CRAYON_E_FORMAT, never another status.
 * Coverage: libcrayon.so is NativeAOT code that clang does not instrument, so libFuzzer's "cov"
 * counts this harness's own edges (which call shapes and outcomes were reached), not the engine's;
 * the SharpFuzz targets measure engine coverage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crayon.h"

#define GUARD 0x5Au
#define GUARD_WORDS 8

static crayon_vocab *vocab_plain, *vocab_nfc, *vocab_scratch, *vocab_stale;
static crayon_bpe *bpe, *bpe_stale;
static crayon_trainer *trainer_stale;

static void fail(const char *what, int64_t r)
{
    fprintf(stderr, "abi_fuzz: %s (returned %lld, status %d, \"%s\")\n", what, (long long)r,
            crayon_last_status(), crayon_last_error());
    abort();
}

static void check_status(int status, const char *what)
{
    switch (status) {
    case CRAYON_OK: case CRAYON_E_INVALID_ARGUMENT: case CRAYON_E_IO: case CRAYON_E_FORMAT:
    case CRAYON_E_NOT_FOUND: case CRAYON_E_UNKNOWN_ID: case CRAYON_E_UNSUPPORTED:
    case CRAYON_E_DISALLOWED_SPECIAL: case CRAYON_E_INVALID_UTF8:
        break;
    default:
        fail(what, status);   /* CRAYON_E_INTERNAL or an unknown code: a bug by definition */
    }
    if (status != CRAYON_OK && crayon_last_error()[0] == '\0') fail("a failure left no message", status);
}

/* After a failing int64 call: the status it left. */
static int failed_status(int64_t r, const char *what)
{
    if (r != CRAYON_FAILED) return CRAYON_OK;
    int s = crayon_last_status();
    if (s == CRAYON_OK) fail("CRAYON_FAILED with status CRAYON_OK", r);
    check_status(s, what);
    return s;
}

/* ---- input reader ---------------------------------------------------------------------------- */
typedef struct { const uint8_t *p; size_t n; } reader;
static uint8_t u8(reader *r) { if (!r->n) return 0; r->n--; return *r->p++; }
static uint32_t u32(reader *r) { uint32_t v = 0; for (int i = 0; i < 4; i++) v |= (uint32_t)u8(r) << (8 * i); return v; }
static const uint8_t *bytes(reader *r, size_t *len)
{
    size_t want = u8(r);
    if (want == 255) want = 255 + u8(r) * 16u;   /* now and then a longer one */
    if (want > r->n) want = r->n;
    const uint8_t *p = r->p;
    r->p += want; r->n -= want; *len = want;
    return p;
}

/* A capacity near `need`: 0, one short, exact, a little more, or anything. */
static size_t cap_near(reader *r, size_t need)
{
    switch (u8(r) % 5) {
    case 0: return 0;
    case 1: return need ? need - 1 : 0;
    case 2: return need;
    case 3: return need + 3;
    default: return u8(r);
    }
}

static void *guarded(size_t bytes_needed)
{
    uint8_t *b = malloc(bytes_needed + GUARD_WORDS * 4);
    memset(b, GUARD, bytes_needed + GUARD_WORDS * 4);
    return b;
}

static void check_guard(const void *buf, size_t used, const char *what)
{
    const uint8_t *b = buf;
    for (size_t i = 0; i < GUARD_WORDS * 4; i++)
        if (b[used + i] != GUARD) fail(what, (int64_t)used);
}

static int utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k; uint32_t cp, min;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) { k = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { k = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { k = 3; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if (i + k >= n) return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += k + 1;
    }
    return 1;
}

/* ---- handles ---------------------------------------------------------------------------------- */
enum { H_VALID, H_NULL, H_STALE, H_WRONG_KIND };
static int handle_kind(reader *r) { uint8_t k = u8(r); return k < 200 ? H_VALID : (int)(k % 3) + 1; }

static const crayon_vocab *pick_vocab(int kind, int nfc)
{
    switch (kind) {
    case H_VALID: return nfc ? vocab_nfc : vocab_plain;
    case H_NULL: return NULL;
    case H_STALE: return vocab_stale;
    default: return (const crayon_vocab *)(const void *)bpe;
    }
}

static const crayon_bpe *pick_bpe(int kind)
{
    switch (kind) {
    case H_VALID: return bpe;
    case H_NULL: return NULL;
    case H_STALE: return bpe_stale;
    default: return (const crayon_bpe *)(const void *)vocab_plain;
    }
}

static void expect_invalid(int64_t r, const char *what)
{
    if (r != CRAYON_FAILED && r != CRAYON_E_INVALID_ARGUMENT) fail(what, r);
    if (crayon_last_status() != CRAYON_E_INVALID_ARGUMENT) fail(what, r);
    check_status(CRAYON_E_INVALID_ARGUMENT, what);
}

/* ---- operations -------------------------------------------------------------------------------- */
static void op_tokenize(reader *r)
{
    int kind = handle_kind(r), nfc = u8(r) & 1, null_text = u8(r) == 0xFF, null_out = u8(r) == 0xFF;
    size_t len;
    const uint8_t *text = bytes(r, &len);
    const crayon_vocab *v = pick_vocab(kind, nfc);
    size_t bound = crayon_tokenize_bound(len);
    size_t cap = cap_near(r, len);
    int32_t *out = guarded(cap * 4);
    int64_t n = crayon_tokenize(v, null_text ? NULL : (const char *)text, len, null_out ? NULL : out, cap);
    if (kind != H_VALID || (null_text && len) || (null_out && cap)) {
        expect_invalid(n, "tokenize with an invalid argument");
    } else if (n == CRAYON_FAILED) {
        failed_status(n, "tokenize");
        fail("tokenize failed on valid arguments", n);
    } else if (n < 0) {
        if ((size_t)-n <= cap || (size_t)-n > bound) fail("tokenize asked for a capacity not above cap or above the bound", n);
        int32_t *again = guarded((size_t)-n * 4);
        int64_t m = crayon_tokenize(v, (const char *)text, len, again, (size_t)-n);
        if (m != -n) fail("tokenize with the capacity it asked for", m);
        check_guard(again, (size_t)-n * 4, "tokenize wrote past cap (retry)");
        free(again);
    } else {
        if ((size_t)n > cap) fail("tokenize returned more than cap", n);
        check_guard(out, cap * 4, "tokenize wrote past cap");
        if (!null_out) {
            char *back = guarded(len * 3 + 1);
            int64_t d = crayon_decode(v, out, (size_t)n, back, len * 3 + 1);
            if (d < 0) fail("decode of tokenize's ids", d);
            if (!nfc && ((size_t)d != len || memcmp(back, text, len) != 0)) fail("decode(tokenize(x)) != x", d);
            check_guard(back, len * 3 + 1, "decode wrote past cap");
            free(back);
        }
    }
    free(out);
}

static void op_decode(reader *r)
{
    int kind = handle_kind(r);
    const crayon_vocab *v = pick_vocab(kind, 0);
    size_t n = u8(r) % 32, vocab = (size_t)crayon_vocab_size(vocab_plain);
    int32_t ids[32];
    int unknown = 0;
    for (size_t i = 0; i < n; i++) {
        if (u8(r) < 200) {
            uint32_t lo = u8(r), hi = u8(r) & 1;   /* 0..511: around the end of the vocabulary */
            ids[i] = (int32_t)(lo | hi << 8);
        } else {
            ids[i] = (int32_t)u32(r);
        }
        if (ids[i] < 0 || (size_t)ids[i] >= vocab) unknown = 1;
    }
    size_t cap = u8(r);
    int null_ids = u8(r) == 0xFF && n;
    char *out = guarded(cap);
    int64_t d = crayon_decode(v, null_ids ? NULL : ids, n, out, cap);
    if (kind != H_VALID || null_ids) { expect_invalid(d, "decode with an invalid argument"); free(out); return; }
    int s = failed_status(d, "decode");
    if (unknown && s != CRAYON_E_UNKNOWN_ID) fail("decode accepted an unknown id", d);
    if (!unknown && s == CRAYON_E_UNKNOWN_ID) fail("decode rejected known ids", d);
    if (d >= 0 && (size_t)d > cap) fail("decode returned more than cap", d);
    check_guard(out, cap, "decode wrote past cap");
    free(out);
}

static void op_load_dat(reader *r)
{
    uint32_t flags = u8(r) < 128 ? 0 : (u8(r) & 1 ? CRAYON_BORROW : u32(r));
    size_t len;
    const uint8_t *data = bytes(r, &len);
    /* An 8-aligned private copy (borrowed images must stay put; some loaders want alignment). */
    uint64_t *copy = malloc(len + 8);
    if (len) memcpy(copy, data, len);
    crayon_vocab *v = (crayon_vocab *)(uintptr_t)1;
    int s = crayon_load_dat_buffer(len ? copy : NULL, len, flags, &v);
    check_status(s, "load_dat_buffer");
    if (s == CRAYON_OK) {
        int32_t ids[64];
        int64_t n = crayon_tokenize(v, "hello world", 11, ids, 64);
        if (n < 0 && failed_status(n, "tokenize on a hostile profile") != CRAYON_E_FORMAT) fail("tokenize on a loaded hostile profile", n);
        if (n >= 0) {
            char back[64];
            int64_t d = crayon_decode(v, ids, (size_t)n, back, sizeof back);
            /* ASCII is its own NFC, so an NFC profile must give it back unchanged too. */
            if (d < 0 && failed_status(d, "decode on a hostile profile") != CRAYON_E_FORMAT) fail("decode on a loaded hostile profile", d);
            if (d >= 0 && (d != 11 || memcmp(back, "hello world", 11) != 0)) fail("round trip on a loaded hostile profile", d);
        }
        crayon_free(v);
    } else {
        if (v != NULL) fail("a failed load left *out_vocab set", s);
        int unknown_flags = (flags & ~CRAYON_BORROW) != 0;
        if (s != CRAYON_E_FORMAT && !(s == CRAYON_E_INVALID_ARGUMENT && (len == 0 || unknown_flags)))
            fail("a hostile .dat failed with a status other than CRAYON_E_FORMAT", s);
    }
    free(copy);
}

static const char *const special_pool[] = { "<|endoftext|>", "<|fim|>", "not-special", "", "<|endoftext|" };

static void op_bpe_encode(reader *r)
{
    int kind = handle_kind(r);
    const crayon_bpe *b = pick_bpe(kind);
    size_t len;
    const uint8_t *text = bytes(r, &len);
    const char *allowed[4], *disallowed[4];
    size_t na = u8(r) % 4, nd = u8(r) % 4;
    int bad_list = 0, null_entry = 0;
    for (size_t i = 0; i < na; i++) allowed[i] = special_pool[u8(r) % 5];
    for (size_t i = 0; i < nd; i++) {
        disallowed[i] = special_pool[u8(r) % 5];
        if (strcmp(disallowed[i], "<|endoftext|>") != 0 && strcmp(disallowed[i], "<|fim|>") != 0) bad_list = 1;
    }
    if (na && u8(r) == 0xFF) { allowed[0] = NULL; null_entry = 1; }
    uint32_t flags = u8(r);
    flags = flags < 250 ? flags & 3 : flags;
    size_t cap = cap_near(r, len);
    int32_t *out = guarded(cap * 4);
    int64_t n = crayon_bpe_encode(b, (const char *)text, len, allowed, na, disallowed, nd, flags, out, cap);
    int s = failed_status(n, "bpe_encode");
    if (kind != H_VALID || null_entry || (flags & ~3u)) { expect_invalid(n, "bpe_encode with an invalid argument"); free(out); return; }
    if (s == CRAYON_E_INVALID_ARGUMENT && !bad_list) fail("bpe_encode: INVALID_ARGUMENT on valid arguments", n);
    if (s == CRAYON_E_INVALID_UTF8 && utf8_valid(text, len)) fail("bpe_encode rejected valid UTF-8", n);
    if (s != CRAYON_E_INVALID_UTF8 && s != CRAYON_E_INVALID_ARGUMENT && !utf8_valid(text, len)) fail("bpe_encode accepted invalid UTF-8", n);
    check_guard(out, cap * 4, "bpe_encode wrote past cap");
    if (n >= 0 && (size_t)n > cap) fail("bpe_encode returned more than cap", n);
    if (n >= 0) {
        char *back = guarded(len + 1);
        int64_t d = crayon_bpe_decode(b, out, (size_t)n, back, len + 1);
        if (d != (int64_t)len || memcmp(back, text, len) != 0) fail("bpe_decode(bpe_encode(x)) != x", d);
        check_guard(back, len + 1, "bpe_decode wrote past cap");
        free(back);
    } else if (n != CRAYON_FAILED) {
        int32_t *again = guarded((size_t)-n * 4);
        int64_t m = crayon_bpe_encode(b, (const char *)text, len, allowed, na, disallowed, nd, flags, again, (size_t)-n);
        if (m != -n) fail("bpe_encode with the capacity it asked for", m);
        check_guard(again, (size_t)-n * 4, "bpe_encode wrote past cap (retry)");
        free(again);
    }
    free(out);
}

static void op_bpe_load(reader *r)
{
    size_t len;
    const uint8_t *data = bytes(r, &len);
    uint8_t how = u8(r);
    const char *pattern = how < 200 ? "'s|'t| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"
                        : how < 230 ? "(" : how < 250 ? "\\p{L}*" : NULL;
    const char *names[2] = { "<|endoftext|>", "<|x|>" };
    int32_t ids[2] = { (int32_t)u32(r) % 70000, 60001 };
    size_t n_special = u8(r) % 3;
    crayon_bpe *out = (crayon_bpe *)(uintptr_t)1;
    int s = crayon_bpe_load_buffer(len ? data : NULL, len, pattern, names, ids, n_special, &out);
    check_status(s, "bpe_load_buffer");
    if (s == CRAYON_OK) {
        int32_t tok[16];
        int64_t n = crayon_bpe_encode_ordinary(out, "hello", 5, tok, 16);
        failed_status(n, "bpe encode on a hostile rank file");
        if (n >= 0) {
            char back[16];
            int64_t d = crayon_bpe_decode(out, tok, (size_t)n, back, sizeof back);
            if (d != 5 || memcmp(back, "hello", 5) != 0) fail("round trip on a loaded hostile rank file", d);
        }
        crayon_bpe_free(out);
    } else {
        if (out != NULL) fail("a failed bpe load left *out_bpe set", s);
        if (s != CRAYON_E_FORMAT && s != CRAYON_E_INVALID_ARGUMENT) fail("a hostile rank file failed with an unexpected status", s);
        if (s == CRAYON_E_INVALID_ARGUMENT && how < 200 && len) fail("a rank file failed with INVALID_ARGUMENT (pattern was valid)", s);
    }
}

static void op_bpe_decode(reader *r)
{
    int kind = handle_kind(r);
    const crayon_bpe *b = pick_bpe(kind);
    int32_t id = u8(r) < 128 ? (int32_t)u8(r) : (int32_t)u32(r);
    size_t cap = u8(r) % 8;
    char *out = guarded(cap);
    int64_t n = crayon_bpe_token_bytes(b, id, out, cap);
    int s = failed_status(n, "bpe_token_bytes");
    if (kind != H_VALID) expect_invalid(n, "bpe_token_bytes with an invalid handle");
    else if (s != CRAYON_OK && s != CRAYON_E_UNKNOWN_ID) fail("bpe_token_bytes: unexpected status", n);
    else if (s == CRAYON_OK && id >= 0 && id < 256 && n != 1 && n != -1) fail("a byte token is not one byte", n);
    check_guard(out, cap, "bpe_token_bytes wrote past cap");
    free(out);
}

static void op_trainer(reader *r)
{
    size_t plen;
    const uint8_t *p = bytes(r, &plen);
    char pattern[300];
    if (plen > sizeof pattern - 1) plen = sizeof pattern - 1;
    memcpy(pattern, p, plen);
    pattern[plen] = 0;
    /* A fuzzed pattern is only compiled: split patterns are trusted input (a backtracking pattern
     * can take exponential time on some text, as in any regex engine), so documents go only
     * through the default pattern. */
    if (u8(r) < 128) {
        crayon_trainer *t = NULL;
        int s = crayon_trainer_new(pattern, &t);
        check_status(s, "trainer_new");
        if (s != CRAYON_OK && s != CRAYON_E_INVALID_ARGUMENT && s != CRAYON_E_INVALID_UTF8) fail("trainer_new: unexpected status", s);
        if ((s == CRAYON_OK) != (t != NULL)) fail("trainer_new: *out_trainer does not match the status", s);
        crayon_trainer_free(t);
        return;
    }
    crayon_trainer *t = NULL;
    int s = crayon_trainer_new(NULL, &t);
    if (s != CRAYON_OK) fail("trainer_new failed with the default pattern", s);
    size_t dlen;
    const char *doc = (const char *)bytes(r, &dlen);
    int fs = crayon_trainer_feed(t, &doc, &dlen, 1, 1);
    check_status(fs, "trainer_feed");
    if (fs == CRAYON_E_INVALID_UTF8 && utf8_valid((const uint8_t *)doc, dlen)) fail("trainer_feed rejected valid UTF-8", fs);
    if (fs == CRAYON_OK && !utf8_valid((const uint8_t *)doc, dlen)) fail("trainer_feed accepted invalid UTF-8", fs);
    uint32_t size = 200 + u8(r);
    int ts = crayon_trainer_train(t, size, NULL, NULL);
    check_status(ts, "trainer_train");
    if ((size < 256) != (ts == CRAYON_E_INVALID_ARGUMENT)) fail("trainer_train: vocab_size < 256 is the only invalid argument", ts);
    size_t cap = u8(r) % 8;
    int32_t *pairs = guarded(cap * 8);
    int64_t m = crayon_trainer_merges(t, pairs, cap);
    failed_status(m, "trainer_merges");
    check_guard(pairs, cap * 8, "trainer_merges wrote past cap");
    free(pairs);
    int64_t offsets[4];
    int64_t tb = crayon_trainer_token_bytes(t, NULL, 0, offsets, 4);
    if (failed_status(tb, "trainer_token_bytes") != CRAYON_E_INVALID_ARGUMENT) fail("token_bytes with too few offsets", tb);
    crayon_trainer_free(t);
    if (crayon_trainer_vocab_size(trainer_stale) != CRAYON_FAILED) fail("a freed trainer answered", 0);
}

static void op_strings(reader *r)
{
    size_t cap = u8(r) % 48;
    char *out = guarded(cap);
    int64_t n;
    const char *what;
    int kind = handle_kind(r);
    switch (u8(r) % 5) {
    case 0: what = "profile_name"; n = crayon_profile_name(pick_vocab(kind, 0), out, cap); break;
    case 1: what = "profile_info"; n = crayon_profile_info(pick_vocab(kind, 1), out, cap); break;
    case 2: what = "device"; n = crayon_device(pick_vocab(kind, 0), out, cap); break;
    case 3: what = "backend_report"; kind = H_VALID; n = crayon_backend_report(out, cap); break;
    default: what = "list_profiles"; kind = H_VALID; n = crayon_list_profiles(out, cap); break;
    }
    if (kind != H_VALID) expect_invalid(n, what);
    else if (n == CRAYON_FAILED) { failed_status(n, what); if (cap) fail(what, n); }
    else if (n >= 0 && ((size_t)n >= cap || out[n] != 0 || strlen(out) != (size_t)n)) fail("a string came back without its NUL or with a wrong length", n);
    else if (n < 0 && (size_t)-n <= cap) fail("a string asked for a capacity not above cap", n);
    check_guard(out, cap, "a string call wrote past cap");
    free(out);
}

static void op_batch(reader *r)
{
    size_t n = u8(r) % 5;
    const char *texts[5];
    size_t lens[5], total = 0;
    for (size_t i = 0; i < n; i++) { texts[i] = (const char *)bytes(r, &lens[i]); total += lens[i]; }
    int null_offsets = u8(r) == 0xFF;
    int64_t offsets[6];
    size_t cap = cap_near(r, total);
    int32_t *out = guarded(cap * 4);
    int64_t got = crayon_tokenize_batch(vocab_plain, texts, lens, n, out, cap, null_offsets ? NULL : offsets, 1 + (u8(r) & 1));
    if (null_offsets) expect_invalid(got, "tokenize_batch with NULL offsets");
    else if (got == CRAYON_FAILED) { failed_status(got, "tokenize_batch"); fail("tokenize_batch failed on valid arguments", got); }
    else if (got >= 0) {
        if ((size_t)got > cap || offsets[0] != 0 || offsets[n] != got) fail("tokenize_batch offsets", got);
        for (size_t i = 0; i < n; i++) {
            char *back = guarded(lens[i] + 1);
            int64_t d = crayon_decode(vocab_plain, out + offsets[i], (size_t)(offsets[i + 1] - offsets[i]), back, lens[i] + 1);
            if (d != (int64_t)lens[i] || memcmp(back, texts[i], lens[i]) != 0) fail("batch document does not round-trip", d);
            free(back);
        }
    } else if ((size_t)-got <= cap) fail("tokenize_batch asked for a capacity not above cap", got);
    check_guard(out, cap * 4, "tokenize_batch wrote past cap");
    free(out);
}

static void op_set_profile(reader *r)
{
    size_t len;
    const uint8_t *p = bytes(r, &len);
    char name[64];
    size_t k = 0;
    for (size_t i = 0; i < len && k < sizeof name - 1; i++)
        if (p[i] != '/' && p[i] != '.' && p[i] != 0) name[k++] = (char)p[i];   /* stays inside the profile dirs */
    name[k] = 0;
    crayon_vocab *target = u8(r) < 240 ? vocab_scratch : NULL;
    int s = crayon_set_profile(target, u8(r) < 32 ? "lite" : name);
    check_status(s, "set_profile");
    if (target == NULL ? s != CRAYON_E_INVALID_ARGUMENT
                       : s != CRAYON_OK && s != CRAYON_E_NOT_FOUND && s != CRAYON_E_INVALID_ARGUMENT && s != CRAYON_E_FORMAT && s != CRAYON_E_IO && s != CRAYON_E_INVALID_UTF8)
        fail("set_profile: unexpected status", s);
}

/* ---- setup ------------------------------------------------------------------------------------- */
static crayon_vocab *build_vocab(uint32_t flags)
{
    const char *tokens[] = { "he", "hello", "ll", "lo wo", "world", " wor", "\xc3\xa9", "caf\xc3\xa9", "e\xcc\x81", "\xf0\x9f\x98\x80" };
    size_t lens[10];
    for (int i = 0; i < 10; i++) lens[i] = strlen(tokens[i]);
    uint8_t *data; size_t len; crayon_vocab *v;
    if (crayon_dat_build(tokens, lens, 10, "abi", "abi_fuzz", flags, &data, &len) != CRAYON_OK ||
        crayon_load_dat_buffer(data, len, 0, &v) != CRAYON_OK) {
        fprintf(stderr, "abi_fuzz: setup failed: %s\n", crayon_last_error());
        exit(1);
    }
    crayon_free_buffer(data);
    return v;
}

static crayon_bpe *build_bpe(void)
{
    static char storage[256];
    const char *tokens[256 + 4]; size_t lens[256 + 4]; int32_t ranks[256 + 4];
    for (int b = 0; b < 256; b++) { storage[b] = (char)b; tokens[b] = &storage[b]; lens[b] = 1; ranks[b] = b; }
    const char *merges[4] = { "he", "ll", "hell", "hello" };
    for (int i = 0; i < 4; i++) { tokens[256 + i] = merges[i]; lens[256 + i] = strlen(merges[i]); ranks[256 + i] = 256 + i; }
    const char *names[2] = { "<|endoftext|>", "<|fim|>" };
    int32_t ids[2] = { 300, 301 };
    crayon_bpe *b;
    if (crayon_bpe_from_ranks(tokens, lens, ranks, 260, "'s|'t| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
                              names, ids, 2, &b) != CRAYON_OK) {
        fprintf(stderr, "abi_fuzz: setup failed: %s\n", crayon_last_error());
        exit(1);
    }
    return b;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    vocab_plain = build_vocab(0);
    vocab_nfc = build_vocab(CRAYON_DAT_NFC);
    vocab_scratch = build_vocab(0);
    vocab_stale = build_vocab(0);
    crayon_free(vocab_stale);            /* its handle value stays, now dead */
    bpe = build_bpe();
    bpe_stale = build_bpe();
    crayon_bpe_free(bpe_stale);
    if (crayon_trainer_new(NULL, &trainer_stale) != CRAYON_OK) exit(1);
    crayon_trainer_free(trainer_stale);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = { data, size };
    for (int steps = 0; steps < 8 && r.n; steps++) {
        switch (u8(&r) % 11) {
        case 0: op_tokenize(&r); break;
        case 1: op_decode(&r); break;
        case 2: op_load_dat(&r); break;
        case 3: op_bpe_encode(&r); break;
        case 4: op_bpe_load(&r); break;
        case 5: op_bpe_decode(&r); break;
        case 6: op_trainer(&r); break;
        case 7: op_strings(&r); break;
        case 8: op_batch(&r); break;
        case 9: op_set_profile(&r); break;
        default: op_tokenize(&r); break;
        }
    }
    return 0;
}
