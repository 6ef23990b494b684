/* Experiment behind README's longest-match section, not part of the library: would a trie whose
 * tails are strings make the walk faster? In the 250k cartridges 63-64 % of the cells (58 % in
 * `lite`) lie on a tail: a one-child chain, with no token ending on it, that leads to a leaf token.
 * Here every node that has exactly one token below it (and is not itself a token) becomes a tail
 * cell: its base's top bit is set, the rest of the base points into a pool holding the tail's length
 * and bytes, and its id is the leaf's. A walk that reaches such a cell compares the rest of the
 * tail with the text (8 bytes per compare) and either takes the leaf or stops with the token it had;
 * greedy longest match is unchanged, since no token ends inside a tail. The cells left are placed
 * again depth first (the library's placement, parent check kept), so the array shrinks to about a
 * third. Three walks over TEXT_FILE, each one's ids compared with the walk over the file's own cells:
 *   - file:  the library's format-3 cells (base, parent | terminal) and the separate id array;
 *   - plain: the same trie placed again by this program (to separate placement from tails);
 *   - tails: the trie with its tails as strings.
 * Timed with thread CPU time, PASSES rounds alternating the walks, median; the cache model (L1 32 KiB,
 * L2 1 MiB, 8-way, LRU) counts misses per token for the file's cells and for the tails. Two more
 * variants: a tail record that holds its token's id (read on the line the compare loads), and that
 * plus a leaf's id in its cell's base; and 4-byte label-checked cells with tails.
 *
 * Caution (2026-12-07): here the tails measured 1.08-1.19x, and with ids in the records 1.22-1.35x
 * for the 250k tries, but this program's walk over the file's own cells ran at 22-25 M tokens/s where
 * the library's walk (and the same loop in a small C program over the mapped files) runs at 27-30 on
 * the same text. Built into the library (format 4, ids in the value array), the tails measured
 * 0.99-1.06x: read its ratios as an upper bound. What the tails do give for sure is size: the
 * five bundled .dat files went from 68.5 to 38.1 MB.
 *
 *   gcc -O2 -o /tmp/lm_tail benchmarks/lm_tail_experiments.c
 *   /tmp/lm_tail build/profiles/code.dat TEXT_FILE PASSES
 */
#include "lm_trie_common.h"

#define TAIL 0x80000000u
static uint8_t *pool; static size_t pool_n, pool_cap;

/* Places the keys depth first; with tails, a child with one key below it that is longer than the
 * child becomes a tail cell (its base: TAIL | offset of [length, bytes...] in the pool). */
static int build(const token_key *ks, int n_keys, int tails, int unique) {
    if (unique) { free(base_used); base_used = calloc((size_t)1 << 22, 1); base_used[1] = 1; }
    free(A.b); free(A.c); free(A.v); free(A.free_next); memset(&A, 0, sizeof A); ensure(1024);
    pool_n = 0;
    use(0, -1, -1); A.b[0] = 1; A.c[0] = -2;
    for (int c = 0; c < 256; c++) use(1 + c, 0, 4 + c);
    typedef struct { int node, lo, hi, depth; } g_t;
    g_t *st = malloc(sizeof(g_t) * ((size_t)n_keys + 300)); int sp = 0, starts[257], ng = 0;
    for (int lo = 0; lo < n_keys;) { int c = ks[lo].k[0], hi = lo; while (hi < n_keys && ks[hi].k[0] == c) hi++; starts[ng++] = lo; lo = hi; }
    starts[ng] = n_keys;
    for (int g = ng - 1; g >= 0; g--) st[sp++] = (g_t){ 1 + ks[starts[g]].k[0], starts[g], starts[g + 1], 1 };
    uint8_t lab[256]; int child_lo[257];
    while (sp) {
        g_t g = st[--sp]; int start = g.lo;
        if (ks[start].len == g.depth) start++;
        if (start >= g.hi) continue;
        int n = 0;
        for (int i = start; i < g.hi;) { int c = ks[i].k[g.depth]; lab[n] = c; child_lo[n++] = i; while (i < g.hi && ks[i].k[g.depth] == c) i++; }
        child_lo[n] = g.hi;
        int c0 = lab[0], b;
        if (unique) b = find_base_unique(lab, n, 22);
        else for (int f = next_free(c0 + 1 > 257 ? c0 + 1 : 257);; f = next_free(f + 1)) { b = f - c0; if (b >= 1 && fits(b, lab, n)) break; }
        A.b[g.node] = b;
        for (int k = 0; k < n; k++) {
            const token_key *one = &ks[child_lo[k]];
            int single = child_lo[k + 1] - child_lo[k] == 1;
            use(b + lab[k], g.node, one->len == g.depth + 1 || (tails && single) ? one->id : -1);
            if (tails && single && one->len > g.depth + 1) {
                int rest = one->len - (g.depth + 1);
                if (pool_n + rest + 16 > pool_cap) { pool_cap = (pool_cap + rest + 16) * 2; pool = realloc(pool, pool_cap); }
                A.b[b + lab[k]] = (int)(TAIL | (uint32_t)pool_n);
                pool[pool_n++] = (uint8_t)rest;   /* tails here are < 256 bytes; checked below */
                memcpy(pool + pool_n, &one->id, 4); pool_n += 4;
                if (rest > 255) { fprintf(stderr, "tail of %d bytes\n", rest); exit(1); }
                memcpy(pool + pool_n, one->k + g.depth + 1, rest); pool_n += rest;
            }
        }
        for (int k = n - 1; k >= 0; k--) {
            int cell = b + lab[k];
            if (tails && A.b[cell] < 0) continue;   /* a tail: nothing below it in the array */
            st[sp++] = (g_t){ cell, child_lo[k], child_lo[k + 1], g.depth + 1 };
        }
    }
    free(st);
    if (pool_n + 16 > pool_cap) { pool_cap = pool_n + 16; pool = realloc(pool, pool_cap); }
    memset(pool + pool_n, 0, 16);
    int maxb = 0; for (int i = 0; i < A.size; i++) if (A.b[i] > maxb) maxb = A.b[i];
    int count = A.size > maxb + 256 ? A.size : maxb + 256; ensure(count);
    return count;
}

static uint64_t *cells_of(int count) {
    uint64_t *c = aligned_alloc(64, ((size_t)count * 8 + 63) / 64 * 64);
    for (int i = 0; i < count; i++) {
        uint32_t parent = (i == 0 || A.c[i] < 0) ? PM : (uint32_t)A.c[i];
        uint32_t term = (A.v[i] >= 0 && (A.b[i] >= 0 || i <= 256)) ? 0x80000000u : 0;   /* tail cells: not a token end themselves */
        c[i] = (uint32_t)A.b[i] | (uint64_t)(parent | term) << 32;
    }
    return c;
}
static int32_t *values_of(int count) {
    int32_t *v = aligned_alloc(64, ((size_t)count * 4 + 63) / 64 * 64);
    for (int i = 0; i < count; i++) v[i] = A.v[i];
    return v;
}

/* The rest of a tail (n bytes at t) equals the text at q (at least n bytes left)? */
static inline int tail_matches(const uint8_t *q, const uint8_t *t, int n) {
    for (; n >= 8; n -= 8, q += 8, t += 8) { uint64_t x, y; memcpy(&x, q, 8); memcpy(&y, t, 8); if (x != y) return 0; }
    if (!n) return 1;
    uint64_t x, y; memcpy(&x, q, 8); memcpy(&y, t, 8);
    return ((x ^ y) << (64 - 8 * n)) == 0;
}

__attribute__((noinline)) static int64_t walk_tails(const uint64_t *cells, const int32_t *values, uint32_t limit,
                                                   const uint8_t *p, const uint8_t *end, int32_t *o0) {
    int32_t *o = o0; const uint8_t *tp = pool;
    while (p < end) {
        uint32_t s = 1u + *p, a = s; uint64_t cell = cells[s]; const uint8_t *q = p + 1, *last = q;
        while (q < end) {
            uint32_t t = (uint32_t)cell + *q; uint64_t nx = cells[t <= limit ? t : 0]; uint32_t ck = (uint32_t)(nx >> 32);
            if ((ck & PM) != s) break;
            s = t; cell = nx; q++;
            if ((int32_t)ck < 0) { a = t; last = q; }
            else if ((int32_t)(uint32_t)nx < 0) {
                const uint8_t *tail = tp + ((uint32_t)nx & ~TAIL); int n = tail[0];
                /* q + 8 may pass end: the text is read with 8 bytes of slack (slurp pads it) */
                if (end - q >= n && tail_matches(q, tail + 5, n)) { a = t; last = q + n; }
                break;
            }
        }
        *o++ = values[a]; p = last;
    }
    return o - o0;
}

/* 4-byte cells, label-checked (every base used by one node): bits 0..8 0x100 | label (0: free), bit 9
 * a token ends here, bit 10 a tail (then bits 11..31 are its pool offset), bits 11..31 base. */
static uint32_t *c4; static int32_t *v4; static uint32_t lim4;
static int cells4(int count) {
    c4 = aligned_alloc(64, ((size_t)count * 4 + 63) / 64 * 64); v4 = values_of(count); lim4 = count - 1;
    for (int i = 0; i < count; i++) {
        uint32_t u = 0;
        if (i > 0 && A.c[i] >= 0) { int par = A.c[i]; u = 0x100 | (uint32_t)(i - A.b[par]); }
        if (A.b[i] < 0) u |= 0x400 | ((uint32_t)A.b[i] & ~TAIL) << 11;
        else { u |= (uint32_t)A.b[i] << 11; if (A.v[i] >= 0 || (i >= 1 && i <= 256)) u |= 0x200; }
        if (((uint32_t)A.b[i] & ~TAIL) >= (1u << 21)) { fprintf(stderr, "base or tail offset over 21 bits\n"); exit(1); }
        c4[i] = u;
    }
    return count;
}
__attribute__((noinline)) static int64_t walk4t(const uint8_t *p, const uint8_t *end, int32_t *o0) {
    int32_t *o = o0; const uint32_t *cells = c4; uint32_t limit = lim4; const uint8_t *tp = pool;
    while (p < end) {
        uint32_t s = 1u + *p, a = s; uint32_t cell = cells[s]; const uint8_t *q = p + 1, *last = q; int32_t id = -1;
        while (q < end) {
            uint32_t c = *q, t = (cell >> 11) + c; uint32_t nx = cells[t <= limit ? t : 0];
            if ((nx & 0x1ff) != (0x100 | c)) break;
            cell = nx; q++;
            if (nx & 0x200) { a = t; last = q; }
            else if (nx & 0x400) {
                const uint8_t *tail = tp + (nx >> 11); int n = tail[0];
                if (end - q >= n && tail_matches(q, tail + 5, n)) { memcpy(&id, tail + 1, 4); last = q + n; }
                break;
            }
        }
        *o++ = id >= 0 ? id : v4[a]; p = last;
    }
    return o - o0;
}

static long kind_miss[3];
static void access_k(const void *p, int k) { long before = l2.miss; access_(p); kind_miss[k] += l2.miss - before; }
/* As walk_tails, with a tail token's id taken from its pool record (whose line the compare loaded)
 * instead of the id array. */
__attribute__((noinline)) static int64_t walk_tails_id(const uint64_t *cells, const int32_t *values, uint32_t limit,
                                                      const uint8_t *p, const uint8_t *end, int32_t *o0) {
    int32_t *o = o0; const uint8_t *tp = pool;
    while (p < end) {
        uint32_t s = 1u + *p, a = s; uint64_t cell = cells[s]; const uint8_t *q = p + 1, *last = q; int32_t id = -1;
        while (q < end) {
            uint32_t t = (uint32_t)cell + *q; uint64_t nx = cells[t <= limit ? t : 0]; uint32_t ck = (uint32_t)(nx >> 32);
            if ((ck & PM) != s) break;
            s = t; cell = nx; q++;
            if ((int32_t)ck < 0) { a = t; last = q; }
            else if ((int32_t)(uint32_t)nx < 0) {
                const uint8_t *tail = tp + ((uint32_t)nx & ~TAIL); int n = tail[0];
                if (end - q >= n && tail_matches(q, tail + 5, n)) { memcpy(&id, tail + 1, 4); last = q + n; }
                break;
            }
        }
        *o++ = id >= 0 ? id : values[a]; p = last;
    }
    return o - o0;
}

/* As walk_tails_id, and a leaf token's id in its cell's base (bit 30 set; a leaf has no children,
 * so a step from it lands past the array, on the root, and stops). */
#define LEAF 0x40000000u
static uint64_t *leafcells(const uint64_t *c8, int count) {
    uint64_t *c = aligned_alloc(64, ((size_t)count * 8 + 63) / 64 * 64);
    for (int i = 0; i < count; i++) {
        c[i] = c8[i];
        if (i > 256 && (int32_t)(uint32_t)(c8[i] >> 32) < 0 && A.b[i] == 0) {
            int leaf = 1;   /* no child: no cell names it as parent; the builder gives leaves base 0 */
            if (leaf) c[i] = (c8[i] & 0xffffffff00000000ull) | LEAF | (uint32_t)A.v[i];
        }
    }
    return c;
}
__attribute__((noinline)) static int64_t walk_tails_leaf(const uint64_t *cells, const int32_t *values, uint32_t limit,
                                                        const uint8_t *p, const uint8_t *end, int32_t *o0) {
    int32_t *o = o0; const uint8_t *tp = pool;
    while (p < end) {
        uint32_t s = 1u + *p, a = s; uint64_t cell = cells[s], acc = cell; const uint8_t *q = p + 1, *last = q; int32_t id = -1;
        while (q < end) {
            uint32_t t = (uint32_t)cell + *q; uint64_t nx = cells[t <= limit ? t : 0]; uint32_t ck = (uint32_t)(nx >> 32);
            if ((ck & PM) != s) break;
            s = t; cell = nx; q++;
            if ((int32_t)ck < 0) { a = t; acc = nx; last = q; }
            else if ((int32_t)(uint32_t)nx < 0) {
                const uint8_t *tail = tp + ((uint32_t)nx & ~TAIL); int n = tail[0];
                if (end - q >= n && tail_matches(q, tail + 5, n)) { memcpy(&id, tail + 1, 4); last = q + n; }
                break;
            }
        }
        if (id < 0) id = ((uint32_t)acc & LEAF) ? (int32_t)((uint32_t)acc & (LEAF - 1)) : values[a];
        *o++ = id; p = last;
    }
    return o - o0;
}

static void sim_tails(const uint64_t *cells, const int32_t *values, uint32_t limit, const uint8_t *p, const uint8_t *end, double *m1, double *m2) {
    sim_reset(); const uint8_t *warm = p + (end - p) / 4; long tokens = 0;
    for (; p < end; tokens++) {
        if (warm && p >= warm) { l1.miss = l2.miss = 0; tokens = 0; warm = NULL; }
        access_(p); uint32_t s = 1u + *p, a = s; access_(cells + s); const uint8_t *q = p + 1, *last = q;
        while (q < end) {
            uint32_t t = (uint32_t)cells[s] + *q; t = t <= limit ? t : 0; access_k(cells + t, 0);
            uint64_t nx = cells[t]; uint32_t ck = (uint32_t)(nx >> 32); if ((ck & PM) != s) break; s = t; q++;
            if ((int32_t)ck < 0) { a = t; last = q; }
            else if ((int32_t)(uint32_t)nx < 0) {
                const uint8_t *tail = pool + ((uint32_t)nx & ~TAIL); int n = tail[0]; access_k(tail, 1);
                if (end - q >= n && tail_matches(q, tail + 5, n)) { a = t; last = q + n; }
                break;
            }
        }
        access_k(values + a, 2);
        p = last;
    }
    *m1 = (double)l1.miss / tokens; *m2 = (double)l2.miss / tokens;
    fprintf(stderr, "  L2 misses per token (whole text): cells %.3f, pool %.3f, ids %.3f\n", kind_miss[0] / (double)tokens, kind_miss[1] / (double)tokens, kind_miss[2] / (double)tokens);
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s PROFILE.dat TEXT_FILE PASSES\n", argv[0]); return 2; }
    long n, tn; const uint8_t *d = slurp(argv[1], &n); uint8_t *text = slurp(argv[2], &tn); int passes = atoi(argv[3]); if (passes < 1 || passes > 256) passes = 9;
    dat_t f = read_dat(d); read_keys(&f);
    uint32_t nodes = f.nodes;
    uint64_t *f8 = aligned_alloc(64, ((size_t)nodes * 8 + 63) / 64 * 64); memcpy(f8, f.cells, (size_t)nodes * 8);
    int32_t *fv = aligned_alloc(64, ((size_t)nodes * 4 + 63) / 64 * 64); memcpy(fv, f.values, (size_t)nodes * 4);
    int pc = build(keys, nk, 0, 0); uint64_t *p8 = cells_of(pc); int32_t *pv = values_of(pc);
    int tc = build(keys, nk, 1, 0); uint64_t *t8 = cells_of(tc); int32_t *tv = values_of(tc); uint64_t *lc = leafcells(t8, tc);
    size_t tail_pool_n = pool_n; uint8_t *tail_pool = pool; pool = NULL; pool_cap = 0;
    int uc = cells4(build(keys, nk, 1, 1)); uint8_t *pool4 = pool; pool = tail_pool; pool_n = tail_pool_n;
    int32_t *ref = malloc(tn * 4 + 64), *out = malloc(tn * 4 + 64);
    int64_t total = walk8(f8, fv, nodes - 1, text, text + tn, ref);
    int64_t k = walk8(p8, pv, pc - 1, text, text + tn, out);
    if (k != total || memcmp(out, ref, total * 4)) { printf("plain ids differ\n"); return 1; }
    k = walk_tails(t8, tv, tc - 1, text, text + tn, out);
    if (k != total || memcmp(out, ref, total * 4)) { printf("tail ids differ (%lld vs %lld)\n", (long long)k, (long long)total); return 1; }
    k = walk_tails_leaf(lc, tv, tc - 1, text, text + tn, out);
    if (k != total || memcmp(out, ref, total * 4)) { printf("leaf-id ids differ\n"); return 1; }
    k = walk_tails_id(t8, tv, tc - 1, text, text + tn, out);
    if (k != total || memcmp(out, ref, total * 4)) { printf("tail-id ids differ\n"); return 1; }
    pool = pool4; k = walk4t(text, text + tn, out); pool = tail_pool;
    if (k != total || memcmp(out, ref, total * 4)) { printf("4-byte tail ids differ (%lld vs %lld)\n", (long long)k, (long long)total); return 1; }
    double a1, a2, b1, b2;
    sim8(f8, fv, nodes - 1, text, text + tn, &a1, &a2); sim_tails(t8, tv, tc - 1, text, text + tn, &b1, &b2);
    printf("%s: cells file %u (%.1f MB), placed again %d, with tails %d (%.1f MB) + pool %.1f MB; "
           "L1/L2 misses per token file %.2f/%.3f, tails %.2f/%.3f\n",
           argv[1], nodes, nodes * 8 / 1e6, pc, tc, tc * 8 / 1e6, pool_n / 1e6, a1, a2, b1, b2);
    double tf[256], tp[256], tt[256], t4[256], ti[256], tl[256];
    for (int r = 0; r < passes; r++) {
        double t = now(); walk8(f8, fv, nodes - 1, text, text + tn, out); tf[r] = now() - t;
        t = now(); walk8(p8, pv, pc - 1, text, text + tn, out); tp[r] = now() - t;
        t = now(); walk_tails(t8, tv, tc - 1, text, text + tn, out); tt[r] = now() - t;
        t = now(); walk_tails_id(t8, tv, tc - 1, text, text + tn, out); ti[r] = now() - t;
        t = now(); walk_tails_leaf(lc, tv, tc - 1, text, text + tn, out); tl[r] = now() - t;
        pool = pool4; t = now(); walk4t(text, text + tn, out); t4[r] = now() - t; pool = tail_pool;
    }
    qsort(tf, passes, sizeof(double), dcmp); qsort(tp, passes, sizeof(double), dcmp); qsort(tt, passes, sizeof(double), dcmp);
    double m = tf[passes / 2];
    printf("  tails, pool ids and leaf ids in the cell %.1f (%.2fx)\n", total / tl[passes / 2] / 1e6, m / tl[passes / 2]);
    printf("  M tokens/s: file %.1f, placed again %.1f (%.2fx), tails %.1f (%.2fx), tails with ids in the pool %.1f (%.2fx), 4-byte cells with tails and pool ids (%d cells) %.1f (%.2fx); %lld tokens\n",
           total / m / 1e6, total / tp[passes / 2] / 1e6, m / tp[passes / 2], total / tt[passes / 2] / 1e6, m / tt[passes / 2],
           total / ti[passes / 2] / 1e6, m / ti[passes / 2], uc, total / t4[passes / 2] / 1e6, m / t4[passes / 2], (long long)total);
    return 0;
}
