/* Shared by the longest-match experiments in benchmarks/ (lm_layout_experiments.c,
 * lm_cell_experiments.c), not part of the library: reading a format-3 .dat's learned tokens (built by a
 * checkout before 2026-12-07, when format 4 replaced format 3; the library reads format 5 only), the
 * double-array placement primitives of src/Crayon/Trie/DoubleArrayBuilder.cs, and a two-level
 * cache model (8-way LRU sets of 64-byte lines). */
#ifndef LM_TRIE_COMMON_H
#define LM_TRIE_COMMON_H
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#define SHARED static __attribute__((unused))   /* each program uses a part of this */
#define PM 0x7fffffffu
SHARED double now(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
SHARED int dcmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
SHARED uint8_t *slurp(const char *path, long *n) {
    FILE *f = fopen(path, "rb"); if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END); *n = ftell(f); fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc(*n + 8); if (fread(d, 1, *n, f) != (size_t)*n) exit(1); fclose(f); return d;
}

/* ---- the learned tokens, sorted bytewise ---- */
typedef struct { const uint8_t *k; int len, id; } token_key;
SHARED token_key *keys; SHARED int nk;
SHARED int kcmp(const void *a, const void *b) {
    const token_key *x = a, *y = b; int n = x->len < y->len ? x->len : y->len, c = memcmp(x->k, y->k, n);
    return c ? c : x->len - y->len;
}

/* ---- a trie built in one placement order: B/C/V per cell as DoubleArrayBuilder keeps them ---- */
typedef struct { int *b, *c, *v, *free_next, cap, size; } arr_t;
SHARED arr_t A;
SHARED void ensure(int n) {
    if (n <= A.cap) return;
    int o = A.cap, nc = A.cap * 2 > n ? A.cap * 2 : n;
    A.b = realloc(A.b, nc * 4); A.c = realloc(A.c, nc * 4); A.v = realloc(A.v, nc * 4); A.free_next = realloc(A.free_next, nc * 4);
    for (int i = o; i < nc; i++) { A.b[i] = 0; A.c[i] = -1; A.v[i] = -1; A.free_next[i] = i; }
    A.cap = nc;
}
SHARED void use(int i, int parent, int v) { ensure(i + 1); A.c[i] = parent; A.v[i] = v; A.b[i] = 0; A.free_next[i] = i + 1; if (i + 1 > A.size) A.size = i + 1; }
SHARED int next_free(int i) {
    ensure(i + 1); int r = i;
    while (A.free_next[r] != r) { r = A.free_next[r]; ensure(r + 1); }
    while (A.free_next[i] != i) { int nx = A.free_next[i]; A.free_next[i] = r; i = nx; }
    return r;
}
SHARED int fits(int b, const uint8_t *lab, int n) { ensure(b + 257); for (int k = 0; k < n; k++) if (A.c[b + lab[k]] != -1) return 0; return 1; }
/* ---- a trie of the keys ks[0..n) (sorted) placed depth first with every base used by one node only,
 * so that a cell can be checked by its label; bases below 2^base_bits. With hot_n > 0, the groups
 * holding one of the hot_n most used tokens are placed before all others. ---- */
SHARED uint8_t *base_used;
SHARED int find_base_unique(const uint8_t *lab, int n, int base_bits) {
    int c0 = lab[0];
    for (int f = next_free(c0 + 1 > 257 ? c0 + 1 : 257);; f = next_free(f + 1)) {
        int b = f - c0;
        if (b >= 1 && b < (1 << base_bits) && !base_used[b] && fits(b, lab, n)) { base_used[b] = 1; return b; }
    }
}
typedef struct { int node, lo, hi, depth; } grp;
SHARED int build_unique(const token_key *ks, int n_keys, int base_bits, int hot_n) {
    free(A.b); free(A.c); free(A.v); free(A.free_next); memset(&A, 0, sizeof A); ensure(1024);
    free(base_used); base_used = calloc((size_t)1 << base_bits, 1);
    use(0, -1, -1); A.b[0] = 1; A.c[0] = -2; base_used[1] = 1;
    for (int c = 0; c < 256; c++) use(1 + c, 0, 4 + c);
    grp *st = malloc(sizeof(grp) * ((size_t)n_keys + 300)), *cold = malloc(sizeof(grp) * ((size_t)n_keys + 300));
    int sp = 0, cp = 0, starts[257], ng = 0;
    for (int lo = 0; lo < n_keys;) { int c = ks[lo].k[0], hi = lo; while (hi < n_keys && ks[hi].k[0] == c) hi++; starts[ng++] = lo; lo = hi; }
    starts[ng] = n_keys;
    for (int g = ng - 1; g >= 0; g--) st[sp++] = (grp){ 1 + ks[starts[g]].k[0], starts[g], starts[g + 1], 1 };
    uint8_t lab[256]; int child_lo[257];
    while (sp || cp) {
        grp g = sp ? st[--sp] : cold[--cp]; int start = g.lo;
        if (ks[start].len == g.depth) start++;
        if (start >= g.hi) continue;
        int n = 0;
        for (int i = start; i < g.hi;) { int c = ks[i].k[g.depth]; lab[n] = c; child_lo[n++] = i; while (i < g.hi && ks[i].k[g.depth] == c) i++; }
        child_lo[n] = g.hi;
        int b = find_base_unique(lab, n, base_bits);
        A.b[g.node] = b;
        for (int k = 0; k < n; k++) use(b + lab[k], g.node, ks[child_lo[k]].len == g.depth + 1 ? ks[child_lo[k]].id : -1);
        for (int k = n - 1; k >= 0; k--) {
            grp child = { b + lab[k], child_lo[k], child_lo[k + 1], g.depth + 1 };
            int best = 1 << 30; if (hot_n) for (int i = child.lo; i < child.hi; i++) if (ks[i].id < best) best = ks[i].id;
            if (!hot_n || best - 260 < hot_n) st[sp++] = child; else cold[cp++] = child;
        }
    }
    free(st); free(cold);
    int maxb = 0; for (int i = 0; i < A.size; i++) if (A.b[i] > maxb) maxb = A.b[i];
    int count = A.size > maxb + 256 ? A.size : maxb + 256; ensure(count);
    return count;
}

/* ---- the .dat's sections (docs/dat-format.md) ---- */
typedef struct { uint32_t vocab, nodes; const uint64_t *cells; const int32_t *values; const uint32_t *toff; const uint8_t *tbytes; } dat_t;
SHARED dat_t read_dat(const uint8_t *d) {
    dat_t r; uint32_t table = *(const uint32_t *)(d + 44);
    r.vocab = *(const uint32_t *)(d + 32); r.nodes = *(const uint32_t *)(d + 36);
    r.cells = (const void *)(d + *(const uint64_t *)(d + table + 2 * 24 + 8));
    r.values = (const void *)(d + *(const uint64_t *)(d + table + 3 * 24 + 8));
    r.toff = (const void *)(d + *(const uint64_t *)(d + table + 4 * 24 + 8));
    r.tbytes = d + *(const uint64_t *)(d + table + 5 * 24 + 8);
    return r;
}
/* The learned tokens (ids from 260, two bytes or more), sorted bytewise into keys. */
SHARED void read_keys(const dat_t *f) {
    keys = malloc(sizeof(token_key) * f->vocab);
    for (uint32_t id = 260; id < f->vocab; id++)
        if (f->toff[id + 1] - f->toff[id] >= 2) keys[nk++] = (token_key){ f->tbytes + f->toff[id], (int)(f->toff[id + 1] - f->toff[id]), (int)id };
    qsort(keys, nk, sizeof(token_key), kcmp);
}

/* ---- cache model ---- */
typedef struct { int sets; uint64_t tag[1 << 14][8]; uint32_t age[1 << 14][8], clock; long miss; } cache_t;
SHARED cache_t l1, l2;
SHARED int touch(cache_t *c, uint64_t line) {
    int s = line % c->sets; c->clock++;
    for (int w = 0; w < 8; w++) if (c->tag[s][w] == line) { c->age[s][w] = c->clock; return 1; }
    int v = 0; for (int w = 1; w < 8; w++) if (c->age[s][w] < c->age[s][v]) v = w;
    c->tag[s][v] = line; c->age[s][v] = c->clock; c->miss++; return 0;
}
SHARED void access_(const void *p) { uint64_t line = (uintptr_t)p >> 6; if (!touch(&l1, line)) touch(&l2, line); }
SHARED void sim_reset(void) { memset(&l1, 0, sizeof l1); memset(&l2, 0, sizeof l2); memset(l1.tag, 0xff, sizeof l1.tag); memset(l2.tag, 0xff, sizeof l2.tag); l1.sets = 64; l2.sets = 2048; }
/* ---- the library's walk over format-3 cells (what src/Crayon/Tokenization/LongestMatch.cs does,
 * without the first-use check), and the same walk under the cache model (NOVAL=1: without the id
 * read) ---- */
__attribute__((noinline)) SHARED int64_t walk8(const uint64_t *cells, const int32_t *values, uint32_t limit, const uint8_t *p, const uint8_t *end, int32_t *o0) {
    int32_t *o = o0;
    while (p < end) { uint32_t s = 1u + *p, a = s; uint64_t cell = cells[s]; const uint8_t *q = p + 1, *last = q;
        while (q < end) {
            uint32_t t = (uint32_t)cell + *q; uint64_t nx = cells[t <= limit ? t : 0]; uint32_t ck = (uint32_t)(nx >> 32);
            if ((ck & PM) != s) break;
            s = t; cell = nx; q++;
            if ((int32_t)ck < 0) { a = t; last = q; }
        }
        *o++ = values[a]; p = last; }
    return o - o0;
}
SHARED void sim8(const uint64_t *cells, const int32_t *values, uint32_t limit, const uint8_t *p, const uint8_t *end, double *m1, double *m2) {
    sim_reset(); const uint8_t *warm = p + (end - p) / 4; long tokens = 0;
    for (; p < end; tokens++) {
        if (warm && p >= warm) { l1.miss = l2.miss = 0; tokens = 0; warm = NULL; }
        access_(p); uint32_t s = 1u + *p, a = s; access_(cells + s); const uint8_t *q = p + 1, *last = q;
        while (q < end) { uint32_t t = (uint32_t)cells[s] + *q; t = t <= limit ? t : 0; access_(cells + t);
            uint32_t ck = (uint32_t)(cells[t] >> 32); if ((ck & PM) != s) break; s = t; q++; if ((int32_t)ck < 0) { a = t; last = q; } }
        if (!getenv("NOVAL")) access_(values + a);
        p = last;
    }
    *m1 = (double)l1.miss / tokens; *m2 = (double)l2.miss / tokens;
}
#endif
