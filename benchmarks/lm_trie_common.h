/* Shared by the longest-match experiments in benchmarks/ (lm_layout_experiments.c,
 * lm_cell_experiments.c), not part of the library: reading a format-3 .dat's learned tokens, the
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
#define PM 0x7fffffffu
static double now(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static int dcmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
static uint8_t *slurp(const char *path, long *n) {
    FILE *f = fopen(path, "rb"); if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END); *n = ftell(f); fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc(*n + 8); if (fread(d, 1, *n, f) != (size_t)*n) exit(1); fclose(f); return d;
}

/* ---- the learned tokens, sorted bytewise ---- */
typedef struct { const uint8_t *k; int len, id; } token_key;
static token_key *keys; static int nk;
static int kcmp(const void *a, const void *b) {
    const token_key *x = a, *y = b; int n = x->len < y->len ? x->len : y->len, c = memcmp(x->k, y->k, n);
    return c ? c : x->len - y->len;
}

/* ---- a trie built in one placement order: B/C/V per cell as DoubleArrayBuilder keeps them ---- */
typedef struct { int *b, *c, *v, *free_next, cap, size; } arr_t;
static arr_t A;
static void ensure(int n) {
    if (n <= A.cap) return;
    int o = A.cap, nc = A.cap * 2 > n ? A.cap * 2 : n;
    A.b = realloc(A.b, nc * 4); A.c = realloc(A.c, nc * 4); A.v = realloc(A.v, nc * 4); A.free_next = realloc(A.free_next, nc * 4);
    for (int i = o; i < nc; i++) { A.b[i] = 0; A.c[i] = -1; A.v[i] = -1; A.free_next[i] = i; }
    A.cap = nc;
}
static void use(int i, int parent, int v) { ensure(i + 1); A.c[i] = parent; A.v[i] = v; A.b[i] = 0; A.free_next[i] = i + 1; if (i + 1 > A.size) A.size = i + 1; }
static int next_free(int i) {
    ensure(i + 1); int r = i;
    while (A.free_next[r] != r) { r = A.free_next[r]; ensure(r + 1); }
    while (A.free_next[i] != i) { int nx = A.free_next[i]; A.free_next[i] = r; i = nx; }
    return r;
}
static int fits(int b, const uint8_t *lab, int n) { ensure(b + 257); for (int k = 0; k < n; k++) if (A.c[b + lab[k]] != -1) return 0; return 1; }
/* ---- the .dat's sections (docs/dat-format.md) ---- */
typedef struct { uint32_t vocab, nodes; const uint64_t *cells; const int32_t *values; const uint32_t *toff; const uint8_t *tbytes; } dat_t;
static dat_t read_dat(const uint8_t *d) {
    dat_t r; uint32_t table = *(const uint32_t *)(d + 44);
    r.vocab = *(const uint32_t *)(d + 32); r.nodes = *(const uint32_t *)(d + 36);
    r.cells = (const void *)(d + *(const uint64_t *)(d + table + 2 * 24 + 8));
    r.values = (const void *)(d + *(const uint64_t *)(d + table + 3 * 24 + 8));
    r.toff = (const void *)(d + *(const uint64_t *)(d + table + 4 * 24 + 8));
    r.tbytes = d + *(const uint64_t *)(d + table + 5 * 24 + 8);
    return r;
}
/* The learned tokens (ids from 260, two bytes or more), sorted bytewise into keys. */
static void read_keys(const dat_t *f) {
    keys = malloc(sizeof(token_key) * f->vocab);
    for (uint32_t id = 260; id < f->vocab; id++)
        if (f->toff[id + 1] - f->toff[id] >= 2) keys[nk++] = (token_key){ f->tbytes + f->toff[id], (int)(f->toff[id + 1] - f->toff[id]), (int)id };
    qsort(keys, nk, sizeof(token_key), kcmp);
}

/* ---- cache model ---- */
typedef struct { int sets; uint64_t tag[1 << 14][8]; uint32_t age[1 << 14][8], clock; long miss; } cache_t;
static cache_t l1, l2;
static int touch(cache_t *c, uint64_t line) {
    int s = line % c->sets; c->clock++;
    for (int w = 0; w < 8; w++) if (c->tag[s][w] == line) { c->age[s][w] = c->clock; return 1; }
    int v = 0; for (int w = 1; w < 8; w++) if (c->age[s][w] < c->age[s][v]) v = w;
    c->tag[s][v] = line; c->age[s][v] = c->clock; c->miss++; return 0;
}
static void access_(const void *p) { uint64_t line = (uintptr_t)p >> 6; if (!touch(&l1, line)) touch(&l2, line); }
#endif
