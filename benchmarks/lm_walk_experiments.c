/* Experiments behind README's longest-match section, not part of the library: greedy longest match
 * over a format-3 .dat (docs/dat-format.md) in C, where gcc keeps every variable in registers, to see
 * what the walk itself allows. Variants, each timed (thread CPU time, best of PASSES) and its ids
 * compared with the plain loop's:
 *   - plain: the engine's loop (LongestMatch.Scan), without the first-use check;
 *   - interleaving, the text cut into K documents: K lanes stepped one byte each per round with
 *     selects instead of branches, and 2 lanes stepped together until both tokens end;
 *   - fewer steps per token: " ?[A-Za-z]+" words (up to 16 bytes) hashed and looked up in a table of
 *     the word-shaped tokens, which gives the word's trie cell; the walk goes on from there (a token
 *     may reach past the word, e.g. " of the"); anything else takes the plain walk;
 *   - built with AVX-512 (-march=x86-64-v4): 16 walks in the lanes of one register, the text cut into
 *     16 documents, each round stepping every lane one byte with gathers (text byte, check, base)
 *     and, for the lanes whose token ended, a gather of the id, a scatter to the lane's output and
 *     the gathers that start its next token.
 *
 *   gcc -O2 -march=x86-64-v3 -o /tmp/lm_walk benchmarks/lm_walk_experiments.c
 *   /tmp/lm_walk build/profiles/lite.dat TEXT_FILE PASSES      (-DK=2 or -DK=8 for other lane counts)
 *   gcc -O2 -march=x86-64-v4 -o /tmp/lm_walk16 benchmarks/lm_walk_experiments.c   (adds the 16 lanes)
 */
#include "lm_trie_common.h"
static const uint64_t *cells; static const int32_t *values; static uint32_t limit;
static const uint32_t *toff; static const uint8_t *tbytes; static uint32_t vocab;
static uint8_t isletter[256];

/* Walks on from state s (its cell already read) at q while the trie has the next byte; the longest
 * token end passed goes to *accept / *last. */
static inline void extend(uint32_t s, uint64_t cell, const uint8_t *q, const uint8_t *end, uint32_t *accept, const uint8_t **last) {
    while (q < end) {
        uint32_t t = (uint32_t)cell + *q;
        uint64_t next = cells[t <= limit ? t : 0];
        uint32_t check = (uint32_t)(next >> 32);
        if ((check & PM) != s) break;
        s = t; cell = next; q++;
        if ((int32_t)check < 0) { *accept = t; *last = q; }
    }
}

static int64_t plain(const uint8_t *p, const uint8_t *end, int32_t *o0) {
    int32_t *o = o0;
    while (p < end) {
        uint32_t s = 1u + *p, accept = s;
        const uint8_t *last = p + 1;
        extend(s, cells[s], p + 1, end, &accept, &last);
        *o++ = values[accept]; p = last;
    }
    return o - o0;
}

/* K lanes, branchless step: each lane either extends its match or emits and restarts. */
#ifndef K
#define K 4
#endif
typedef struct { const uint8_t *q, *last, *end; uint32_t s, accept; uint64_t cell; int32_t *o; int done; } lane_t;
static void lanes_branchless(lane_t *L) {
    lane_t a[K]; memcpy(a, L, sizeof a);
    for (;;) {
        int live = 0;
        for (int k = 0; k < K; k++) {
            lane_t *l = &a[k];
            if (l->done) continue;   /* predictable */
            live = 1;
            int inb = l->q < l->end;
            uint8_t c = inb ? *l->q : 0;
            uint32_t t = (uint32_t)l->cell + c;
            uint64_t next = cells[t <= limit ? t : 0];
            uint32_t check = (uint32_t)(next >> 32);
            int m = inb & ((check & PM) == l->s);
            int term = m & ((int32_t)check < 0);
            /* emit path values */
            *l->o = values[l->accept];          /* written always; kept only when !m */
            const uint8_t *np = l->last;
            uint8_t b = np < l->end ? *np : 0;
            uint32_t rs = 1u + b;
            uint64_t rcell = cells[rs];
            l->o += !m;
            uint32_t ns = m ? t : rs;
            uint64_t ncell = m ? next : rcell;
            const uint8_t *nq = m ? l->q + 1 : np + 1;
            uint32_t nacc = m ? (term ? t : l->accept) : rs;
            const uint8_t *nlast = m ? (term ? l->q + 1 : l->last) : np + 1;
            l->s = ns; l->cell = ncell; l->q = nq; l->accept = nacc; l->last = nlast;
            l->done = !m & (np >= l->end);
        }
        if (!live) break;
    }
    memcpy(L, a, sizeof a);
}

/* 2 lanes, stepped together until both tokens end (branchy inside each lane). */
static void lanes_token(const uint8_t **P, const uint8_t **E, int32_t **O) {
    const uint8_t *p0 = P[0], *p1 = P[1], *e0 = E[0], *e1 = E[1];
    int32_t *o0 = O[0], *o1 = O[1];
    while (p0 < e0 && p1 < e1) {
        uint32_t s0 = 1u + *p0, a0 = s0, s1 = 1u + *p1, a1 = s1;
        uint64_t c0 = cells[s0], c1 = cells[s1];
        const uint8_t *q0 = p0 + 1, *l0 = q0, *q1 = p1 + 1, *l1 = q1;
        int go0 = 1, go1 = 1;
        while (go0 | go1) {
            if (go0) {
                if (q0 < e0) {
                    uint32_t t = (uint32_t)c0 + *q0; uint64_t nx = cells[t <= limit ? t : 0]; uint32_t ck = (uint32_t)(nx >> 32);
                    if ((ck & PM) == s0) { s0 = t; c0 = nx; q0++; if ((int32_t)ck < 0) { a0 = t; l0 = q0; } } else go0 = 0;
                } else go0 = 0;
            }
            if (go1) {
                if (q1 < e1) {
                    uint32_t t = (uint32_t)c1 + *q1; uint64_t nx = cells[t <= limit ? t : 0]; uint32_t ck = (uint32_t)(nx >> 32);
                    if ((ck & PM) == s1) { s1 = t; c1 = nx; q1++; if ((int32_t)ck < 0) { a1 = t; l1 = q1; } } else go1 = 0;
                } else go1 = 0;
            }
        }
        *o0++ = values[a0]; p0 = l0; *o1++ = values[a1]; p1 = l1;
    }
    O[0] = o0 + plain(p0, e0, o0); O[1] = o1 + plain(p1, e1, o1);
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
        uint32_t s = 1u + *p;
        const uint8_t *from = p + 1;
        const uint8_t *e = p + (*p == ' ');
        while (e < end && isletter[*e]) e++;
        uint32_t n = (uint32_t)(e - p);
        if (n >= 2 && n <= 16) {
            uint64_t a = ld(p, n), b = n > 8 ? ld(p + 8, n - 8) : 0;
            for (uint32_t h = wh(a, b, n) & wmask; wt[h].len; h = (h + 1) & wmask)
                if (wt[h].len == n && wt[h].a == a && wt[h].b == b) { s = wt[h].cell; from = e; break; }
        }
        uint32_t accept = s;
        const uint8_t *last = from;
        extend(s, cells[s], from, end, &accept, &last);
        *o++ = values[accept]; p = last;
    }
    return o - o0;
}

static uint32_t build_word_table(void) {
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
    return words;
}

#ifdef __AVX512F__
#include <immintrin.h>
/* 16 walks, lane i over text[lo[i], hi[i]), its ids from out[olo[i]]; cnt[i]: how many it wrote. */
static void lanes16(const uint8_t *text, const int32_t *lo, const int32_t *hi_, int32_t *out, const int32_t *olo, int32_t *cnt) {
    const int *cw = (const int *)cells;   /* cell i: base at dword 2i, check at 2i + 1 */
    const __m512i one = _mm512_set1_epi32(1), ff = _mm512_set1_epi32(0xff), pm = _mm512_set1_epi32((int)PM);
    const __m512i lim = _mm512_set1_epi32((int)limit), zero = _mm512_setzero_si512(), hi = _mm512_loadu_si512(hi_);
    __m512i o = _mm512_loadu_si512(olo), o0 = o, p = _mm512_loadu_si512(lo);
    __mmask16 live = _mm512_cmplt_epi32_mask(p, hi);
    __m512i s = _mm512_add_epi32(_mm512_and_si512(_mm512_mask_i32gather_epi32(zero, live, p, text, 1), ff), one);
    __m512i base = _mm512_mask_i32gather_epi32(zero, live, _mm512_add_epi32(s, s), cw, 4);
    __m512i a = s, q = _mm512_add_epi32(p, one), last = q;
    while (live) {
        __mmask16 in = _mm512_mask_cmplt_epi32_mask(live, q, hi);
        __m512i t = _mm512_add_epi32(base, _mm512_and_si512(_mm512_mask_i32gather_epi32(zero, in, q, text, 1), ff));
        t = _mm512_mask_mov_epi32(t, _mm512_cmpgt_epu32_mask(t, lim), zero);   /* past the cells: the root */
        __m512i t2 = _mm512_add_epi32(t, t);
        __m512i check = _mm512_mask_i32gather_epi32(zero, in, _mm512_add_epi32(t2, one), cw, 4);
        __mmask16 m = _mm512_mask_cmpeq_epi32_mask(in, _mm512_and_si512(check, pm), s);
        base = _mm512_mask_i32gather_epi32(base, m, t2, cw, 4);
        s = _mm512_mask_mov_epi32(s, m, t);
        q = _mm512_mask_add_epi32(q, m, q, one);
        __mmask16 term = _mm512_mask_cmplt_epi32_mask(m, check, zero);
        a = _mm512_mask_mov_epi32(a, term, t);
        last = _mm512_mask_mov_epi32(last, term, q);
        __mmask16 ended = live & ~m;
        if (!ended) continue;
        _mm512_mask_i32scatter_epi32(out, ended, o, _mm512_mask_i32gather_epi32(zero, ended, a, values, 4), 4);
        o = _mm512_mask_add_epi32(o, ended, o, one);
        p = _mm512_mask_mov_epi32(p, ended, last);
        live = (live & m) | _mm512_mask_cmplt_epi32_mask(ended, p, hi);
        __mmask16 r = ended & live;
        __m512i ns = _mm512_add_epi32(_mm512_and_si512(_mm512_mask_i32gather_epi32(zero, r, p, text, 1), ff), one);
        s = _mm512_mask_mov_epi32(s, r, ns);
        base = _mm512_mask_i32gather_epi32(base, r, _mm512_add_epi32(ns, ns), cw, 4);
        a = _mm512_mask_mov_epi32(a, r, ns);
        q = _mm512_mask_add_epi32(q, r, p, one);
        last = _mm512_mask_mov_epi32(last, r, q);
    }
    _mm512_storeu_si512(cnt, _mm512_sub_epi32(o, o0));
}

/* Thread CPU time of the 16 lanes against the plain loop over the same 16 documents (best of reps). */
static void run_lanes16(const uint8_t *text, long n, int reps, int32_t *out) {
    int32_t lo[16], hi[16], olo[16], cnt[16]; int64_t refn[16], total = 0;
    int32_t *ref = malloc(n * 4 + 64);
    for (int k = 0; k < 16; k++) { lo[k] = (int32_t)(n * k / 16); hi[k] = (int32_t)(n * (k + 1) / 16); olo[k] = lo[k]; }
    for (int k = 0; k < 16; k++) { refn[k] = plain(text + lo[k], text + hi[k], ref + olo[k]); total += refn[k]; }
    double bp = 1e9, bl = 1e9;
    for (int r = 0; r < reps; r++) {
        double t = now(); for (int k = 0; k < 16; k++) plain(text + lo[k], text + hi[k], out + olo[k]); t = now() - t; if (t < bp) bp = t;
        memset(out, 0xff, n * 4);
        t = now(); lanes16(text, lo, hi, out, olo, cnt); t = now() - t; if (t < bl) bl = t;
        for (int k = 0; k < 16; k++)
            if (cnt[k] != refn[k] || memcmp(out + olo[k], ref + olo[k], refn[k] * 4)) { printf("16 lanes differ\n"); exit(1); }
    }
    printf("16 documents: plain %.1f, 16 AVX-512 lanes %.1f M tok/s\n", total / bp / 1e6, total / bl / 1e6);
    free(ref);
}
#endif

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s PROFILE.dat TEXT_FILE PASSES\n", argv[0]); return 2; }
    long dn; const uint8_t *d = slurp(argv[1], &dn);
    dat_t f = read_dat(d);
    cells = f.cells; values = f.values; toff = f.toff; tbytes = f.tbytes; vocab = f.vocab; limit = f.nodes - 1;
    for (int c = 'a'; c <= 'z'; c++) isletter[c] = isletter[c - 32] = 1;
    uint32_t words = build_word_table();
    long n; uint8_t *text = slurp(argv[2], &n);
    int32_t *ref = malloc(n * 4 + 64), *out = malloc(n * 4 + 64);
    int reps = atoi(argv[3]);
    /* K documents: the text cut into K equal parts; the reference is the plain loop over each part */
    const uint8_t *ps[K], *es[K]; int64_t refn[K], total = 0; int32_t *refo[K];
    for (int k = 0; k < K; k++) { ps[k] = text + n * k / K; es[k] = text + n * (k + 1) / K; }
    for (int k = 0; k < K; k++) { refo[k] = ref + total; refn[k] = plain(ps[k], es[k], refo[k]); total += refn[k]; }
    double bp = 1e9, bb = 1e9, bt = 1e9, bw = 1e9;
    for (int r = 0; r < reps; r++) {
        double t = now(); int64_t m = 0; for (int k = 0; k < K; k++) m += plain(ps[k], es[k], out + m); t = now() - t; if (t < bp) bp = t;
        if (m != total || memcmp(out, ref, total * 4)) { printf("plain differs\n"); return 1; }
        lane_t L[K]; int64_t at = 0;
        for (int k = 0; k < K; k++) {   /* each lane starts a token at its document's first byte */
            uint32_t rs = 1u + *ps[k];
            L[k] = (lane_t){ .q = ps[k] + 1, .last = ps[k] + 1, .end = es[k], .s = rs, .accept = rs, .cell = cells[rs], .o = out + at, .done = 0 };
            at += refn[k];
        }
        memset(out, 0xff, total * 4);
        t = now(); lanes_branchless(L); t = now() - t; if (t < bb) bb = t;
        if (memcmp(out, ref, total * 4)) { printf("branchless differs\n"); return 1; }
        const uint8_t *P[2] = { ps[0], ps[1] }, *E[2] = { es[0], es[1] }; int32_t *O[2] = { out, out + refn[0] };
        t = now(); lanes_token(P, E, O); for (int k = 2; k < K; k++) plain(ps[k], es[k], out + (refo[k] - ref)); t = now() - t; if (t < bt) bt = t;
        if (memcmp(out, ref, total * 4)) { printf("token lanes differ\n"); return 1; }
        memset(out, 0xff, total * 4);
        t = now(); m = 0; for (int k = 0; k < K; k++) m += worded(ps[k], es[k], out + m); t = now() - t; if (t < bw) bw = t;
        if (m != total || memcmp(out, ref, total * 4)) { printf("word hash differs\n"); return 1; }
    }
    printf("%s: %lld tokens; M tok/s: plain %.1f; %d lanes branchless %.1f; 2 lanes per token %.1f; "
           "word hash %.1f (%u words, %u KiB)\n", argv[1], (long long)total, total / bp / 1e6, K, total / bb / 1e6,
           total / bt / 1e6, total / bw / 1e6, words, (unsigned)((wmask + 1) * sizeof(went) >> 10));
#ifdef __AVX512F__
    uint8_t *padded = calloc(n + 64, 1); memcpy(padded, text, n);   /* the byte gathers read 4 bytes */
    run_lanes16(padded, n, reps, out);
#endif
    return 0;
}
