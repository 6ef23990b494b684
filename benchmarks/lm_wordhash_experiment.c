/* An experiment behind README's longest-match section, not part of the library: fewer steps per token
 * by looking a whole word up at once. At each position, " ?[A-Za-z]+" (up to 16 bytes) is hashed and
 * looked up in a table of the vocabulary's word-shaped tokens, which gives the word's trie cell; the
 * walk then goes on from there (a token may reach past the word, e.g. " of the"). Anything else, or a
 * word that is no token, takes the plain walk. Same .dat reading and timing as
 * lm_lanes_experiment.c; the ids are compared with the plain loop's.
 *
 *   gcc -O2 -march=x86-64-v3 -o /tmp/lm_wordhash benchmarks/lm_wordhash_experiment.c
 *   /tmp/lm_wordhash build/profiles/lite.dat TEXT_FILE PASSES
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define PM 0x7fffffffu
static double now(void){ struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t); return t.tv_sec+t.tv_nsec*1e-9; }
static const uint64_t *cells; static const int32_t *values; static uint32_t limit;
static const uint32_t *toff; static const uint8_t *tbytes; static uint32_t vocab;
static uint8_t isletter[256];

static int64_t plain(const uint8_t *p, const uint8_t *end, int32_t *o0) {
    int32_t *o = o0;
    while (p < end) {
        uint32_t s = 1u + *p, accept = s; uint64_t cell = cells[s];
        const uint8_t *q = p + 1, *last = q;
        while (q < end) {
            uint32_t t = (uint32_t)cell + *q;
            uint64_t next = cells[t <= limit ? t : 0];
            uint32_t check = (uint32_t)(next >> 32);
            if ((check & PM) != s) break;
            s = t; cell = next; q++;
            if ((int32_t)check < 0) { accept = t; last = q; }
        }
        *o++ = values[accept]; p = last;
    }
    return o - o0;
}

/* word table: key = up to 16 bytes " ?[A-Za-z]+" that is a token; value = its cell */
typedef struct { uint64_t a, b; uint32_t len, cell; } went;
static went *wt; static uint32_t wmask;
static inline uint64_t ld(const uint8_t *p, uint32_t n) { uint64_t v = 0; memcpy(&v, p, n < 8 ? n : 8); return v; }
static inline uint32_t wh(uint64_t a, uint64_t b, uint32_t len) { uint64_t h = (a ^ len) * 0x9E3779B97F4A7C15ULL; h = (h ^ (h >> 29) ^ b) * 0xBF58476D1CE4E5B9ULL; return (uint32_t)(h >> 32); }
static uint32_t walk_to(const uint8_t *p, uint32_t n) { uint32_t s = 1u + p[0]; for (uint32_t i = 1; i < n; i++) { uint32_t t = (uint32_t)cells[s] + p[i]; if (t > limit || (((uint32_t)(cells[t] >> 32)) & PM) != s) return 0; s = t; } return s; }

/* " ?[A-Za-z]+", 2 to 16 bytes: what the word path looks up. */
static int word_shaped(const uint8_t *t, uint32_t n) {
    if (n < 2 || n > 16) return 0;
    for (uint32_t k = (t[0] == ' '); k < n; k++) if (!isletter[t[k]]) return 0;
    return 1;
}

static int64_t worded(const uint8_t *p, const uint8_t *end, int32_t *o0) {
    int32_t *o = o0;
    while (p < end) {
        uint32_t s, accept; uint64_t cell; const uint8_t *q, *last;
        const uint8_t *e = p + (*p == ' ');
        while (e < end && isletter[*e]) e++;
        uint32_t n = (uint32_t)(e - p);
        if (n >= 2 && n <= 16) {
            uint64_t a = ld(p, n), b = n > 8 ? ld(p + 8, n - 8) : 0;
            uint32_t h = wh(a, b, n) & wmask;
            for (;;) { went *w = &wt[h]; if (w->len == 0) goto slow; if (w->len == n && w->a == a && w->b == b) { s = w->cell; break; } h = (h + 1) & wmask; }
            accept = s; cell = cells[s]; q = e; last = e;
            goto cont;
        }
slow:
        s = 1u + *p; accept = s; cell = cells[s]; q = p + 1; last = q;
cont:
        while (q < end) {
            uint32_t t = (uint32_t)cell + *q;
            uint64_t next = cells[t <= limit ? t : 0];
            uint32_t check = (uint32_t)(next >> 32);
            if ((check & PM) != s) break;
            s = t; cell = next; q++;
            if ((int32_t)check < 0) { accept = t; last = q; }
        }
        *o++ = values[accept]; p = last;
    }
    return o - o0;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s PROFILE.dat TEXT_FILE PASSES\n", argv[0]); return 2; }
    int fd = open(argv[1], O_RDONLY); struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) { perror(argv[1]); return 1; }
    const uint8_t *d = mmap(0, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    uint32_t nodes = *(uint32_t *)(d + 36), table = *(uint32_t *)(d + 44); vocab = *(uint32_t *)(d + 32);
    cells = (const uint64_t *)(d + *(uint64_t *)(d + table + 2 * 24 + 8));
    values = (const int32_t *)(d + *(uint64_t *)(d + table + 3 * 24 + 8));
    toff = (const uint32_t *)(d + *(uint64_t *)(d + table + 4 * 24 + 8));
    tbytes = d + *(uint64_t *)(d + table + 5 * 24 + 8);
    limit = nodes - 1;
    for (int c = 'a'; c <= 'z'; c++) isletter[c] = isletter[c - 32] = 1;
    uint32_t words = 0, cand = 0;
    for (uint32_t id = 260; id < vocab; id++) cand += word_shaped(tbytes + toff[id], toff[id + 1] - toff[id]);
    uint32_t cap = 1; while (cap < cand + cand / 2) cap <<= 1; wmask = cap - 1; wt = calloc(cap, sizeof(went));
    for (uint32_t id = 260; id < vocab; id++) {
        const uint8_t *t = tbytes + toff[id]; uint32_t n = toff[id + 1] - toff[id];
        if (!word_shaped(t, n)) continue;
        uint32_t c = walk_to(t, n); if (!c || values[c] != (int32_t)id) continue;
        uint64_t a = ld(t, n), b = n > 8 ? ld(t + 8, n - 8) : 0; uint32_t h = wh(a, b, n) & wmask;
        while (wt[h].len) h = (h + 1) & wmask;
        wt[h] = (went){ a, b, n, c }; words++;
    }
    FILE *f = fopen(argv[2], "rb"); if (!f) { perror(argv[2]); return 1; } fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
    uint8_t *text = malloc(n); if (fread(text, 1, n, f) != (size_t)n) return 1; fclose(f);
    int32_t *ref = malloc(n * 4 + 64), *out = malloc(n * 4 + 64);
    int64_t total = plain(text, text + n, ref);
    double bp = 1e9, bw = 1e9;
    for (int r = 0; r < atoi(argv[3]); r++) {
        double t = now(); plain(text, text + n, out); t = now() - t; if (t < bp) bp = t;
        memset(out, 0xff, total * 4);
        t = now(); int64_t m = worded(text, text + n, out); t = now() - t; if (t < bw) bw = t;
        if (m != total || memcmp(out, ref, total * 4)) { printf("worded differs (%lld vs %lld)\n", (long long)m, (long long)total); return 1; }
    }
    printf("%s: %u word tokens in the table (%u KiB); plain %.1f M tok/s; word hash %.1f M tok/s (%.2fx)\n", argv[1], words,
           (unsigned)(cap * sizeof(went) >> 10), total / bp / 1e6, total / bw / 1e6, bp / bw);
    return 0;
}
