/* Experiment behind README's longest-match section, not part of the library: would smaller cells make
 * the walk faster? The profile's learned tokens are read from a format-3 .dat (docs/dat-format.md) and
 * placed again depth first (optionally the nodes above the HOT_N most used tokens first), with every
 * base used by one node only, so that a cell can be checked by its label instead of its parent. Three
 * walks over TEXT_FILE, each one's ids compared with the walk over the file's own cells:
 *   - 8B:  the library's format-3 cells (base, parent | terminal) and the separate id array;
 *   - 4B:  4-byte cells (bits 0..8: 0x100 | label, 0 for a free cell; bit 9: a token ends here;
 *          bits 10..31: base, so at most 4 Mi cells) and the separate id array;
 *   - 8B inline ids: the 4-byte cell and the token id side by side in 8 bytes (no id array);
 *   - 8B packed: the file's own cells repacked as base, parent and id + 1 in 21/21/22 bits, the
 *     parent check kept (no unique bases needed) and no id array;
 *   - 8B with a child-byte filter: base, parent, a token-end bit and 21 bits of "some child has a
 *     byte of this residue mod 21", so the step that ends a token mostly needs no cell read.
 * Each walk is run under a cache model (L1 32 KiB, L2 1 MiB, 8-way, LRU; NOVAL=1 leaves the id read
 * out of it) and timed (thread CPU time, PASSES rounds alternating the walks, median).
 *
 *   gcc -O2 -o /tmp/lm_cell benchmarks/lm_cell_experiments.c
 *   [HOT_N=32768] /tmp/lm_cell build/profiles/code.dat TEXT_FILE PASSES
 */
#include "lm_trie_common.h"

/* 4-byte cells: bits 0..8 = 0x100 | label (0 = free), bit 9 terminal, bits 10..31 base (22 bits). */
static uint32_t *c4; static int32_t *v4; static uint32_t lim4;
__attribute__((noinline)) static int64_t walk4(const uint8_t *p, const uint8_t *end, int32_t *o0) {
    int32_t *o = o0; const uint32_t *cells = c4; uint32_t limit = lim4;
    while (p < end) {
        uint32_t s = 1u + *p, a = s; uint32_t cell = cells[s]; const uint8_t *q = p + 1, *last = q;
        while (q < end) {
            uint32_t c = *q, t = (cell >> 10) + c; uint32_t nx = cells[t <= limit ? t : 0];
            if ((nx & 0x1ff) != (0x100 | c)) break;
            cell = nx; s = t; q++;
            if (nx & 0x200) { a = t; last = q; }
        }
        *o++ = v4[a]; p = last;
    }
    return o - o0;
}
static uint64_t *c8i;
__attribute__((noinline)) static int64_t walk8i(const uint8_t *p, const uint8_t *end, int32_t *o0) {
    int32_t *o = o0; const uint64_t *cells = c8i; uint32_t limit = lim4;
    while (p < end) {
        uint32_t s = 1u + *p; uint64_t cell = cells[s], acc = cell; const uint8_t *q = p + 1, *last = q;
        while (q < end) {
            uint32_t c = *q, t = ((uint32_t)cell >> 10) + c; uint64_t nx = cells[t <= limit ? t : 0];
            if ((nx & 0x1ff) != (0x100 | c)) break;
            cell = nx; q++;
            if (nx & 0x200) { acc = nx; last = q; }
        }
        *o++ = (int32_t)(acc >> 32); p = last;
    }
    return o - o0;
}
/* 8-byte cells with the id inline and the parent check kept (no unique bases needed): bits 0..20
 * base, 21..41 parent (all ones: free or the root, which no step matches), 42..63 id + 1 (0: no
 * token ends here), so the walk never reads an id array. */
static uint64_t *c8p; static uint32_t limp;
#define M21 ((1ull << 21) - 1)
__attribute__((noinline)) static int64_t walk8p(const uint8_t *p, const uint8_t *end, int32_t *o0) {
    int32_t *o = o0; const uint64_t *cells = c8p; uint32_t limit = limp;
    while (p < end) {
        uint64_t s = 1u + *p; uint64_t cell = cells[s], acc = cell; const uint8_t *q = p + 1, *last = q;
        while (q < end) {
            uint32_t t = (uint32_t)(cell & M21) + *q; uint64_t nx = cells[t <= limit ? t : 0];
            if (((nx >> 21) & M21) != s) break;
            s = t; cell = nx; q++;
            if (nx >> 42) { acc = nx; last = q; }
        }
        *o++ = (int32_t)(acc >> 42) - 1; p = last;
    }
    return o - o0;
}
/* 8-byte cells with a filter of the node's child bytes: bits 0..20 base, 21..41 parent (all ones:
 * free or the root), bit 42 terminal, bits 43..63 one bit per child byte modulo 21, so that the step
 * that ends a token (a byte no child has, once per token) is mostly decided without reading a cell. */
static uint64_t *c8f;
#define FILTER_BIT(c) (1ull << (43 + (c) % 21))
__attribute__((noinline)) static int64_t walk8f(const int32_t *values, const uint8_t *p, const uint8_t *end, int32_t *o0) {
    int32_t *o = o0; const uint64_t *cells = c8f; uint32_t limit = limp;
    while (p < end) {
        uint64_t s = 1u + *p; uint64_t cell = cells[s]; uint32_t a = (uint32_t)s; const uint8_t *q = p + 1, *last = q;
        while (q < end) {
            uint32_t c = *q;
            if (!(cell & FILTER_BIT(c))) break;
            uint32_t t = (uint32_t)(cell & M21) + c; uint64_t nx = cells[t <= limit ? t : 0];
            if (((nx >> 21) & M21) != s) break;
            s = t; cell = nx; q++;
            if (nx & (1ull << 42)) { a = t; last = q; }
        }
        *o++ = values[a]; p = last;
    }
    return o - o0;
}
static void sim4(const uint8_t *p, const uint8_t *end, double *m1, double *m2) {
    sim_reset(); const uint8_t *warm = p + (end - p) / 4; long tokens = 0;
    for (; p < end; tokens++) {
        if (warm && p >= warm) { l1.miss = l2.miss = 0; tokens = 0; warm = NULL; }
        access_(p); uint32_t s = 1u + *p, a = s; access_(c4 + s); uint32_t cell = c4[s]; const uint8_t *q = p + 1, *last = q;
        while (q < end) { uint32_t c = *q, t = (cell >> 10) + c; t = t <= lim4 ? t : 0; access_(c4 + t);
            uint32_t nx = c4[t]; if ((nx & 0x1ff) != (0x100 | c)) break; cell = nx; s = t; q++; if (nx & 0x200) { a = t; last = q; } }
        if (!getenv("NOVAL")) access_(v4 + a);
        p = last;
    }
    *m1 = (double)l1.miss / tokens; *m2 = (double)l2.miss / tokens;
}
int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s PROFILE.dat TEXT_FILE PASSES\n", argv[0]); return 2; }
    long n, tn; const uint8_t *d = slurp(argv[1], &n); uint8_t *text = slurp(argv[2], &tn); int passes = atoi(argv[3]); if (passes < 1 || passes > 256) passes = 9;
    dat_t f = read_dat(d); read_keys(&f);
    uint32_t nodes = f.nodes; const uint64_t *dcells = f.cells; const int32_t *dvalues = f.values;
    /* copy the file's cells to fresh aligned memory, like the 4-byte ones */
    uint64_t *f8 = aligned_alloc(64, ((size_t)nodes * 8 + 63) / 64 * 64); memcpy(f8, dcells, (size_t)nodes * 8);
    int32_t *fv = aligned_alloc(64, ((size_t)nodes * 4 + 63) / 64 * 64); memcpy(fv, dvalues, (size_t)nodes * 4);
    int count = build_unique(keys, nk, 22, getenv("HOT_N") ? atoi(getenv("HOT_N")) : 0);
    c4 = aligned_alloc(64, ((size_t)count * 4 + 63) / 64 * 64); v4 = aligned_alloc(64, ((size_t)count * 4 + 63) / 64 * 64);
    for (int i = 0; i < count; i++) {
        uint32_t u = 0;
        if (i > 0 && A.c[i] >= 0) { int par = A.c[i]; int lab = i - A.b[par]; u = 0x100 | (uint32_t)lab; if (A.v[i] >= 0 || i <= 256) u |= 0x200; }
        u |= (uint32_t)A.b[i] << 10;
        c4[i] = u; v4[i] = A.v[i];
    }
    lim4 = count - 1;
    c8i = aligned_alloc(64, ((size_t)count * 8 + 63) / 64 * 64);
    for (int i = 0; i < count; i++) c8i[i] = c4[i] | (uint64_t)(uint32_t)v4[i] << 32;
    c8p = aligned_alloc(64, ((size_t)nodes * 8 + 63) / 64 * 64); limp = nodes - 1;
    if (nodes >= M21) { printf("too many cells for 21 bits\n"); return 1; }
    for (uint32_t i = 0; i < nodes; i++) {
        uint32_t ck = (uint32_t)(f8[i] >> 32), par = ck & PM, b = (uint32_t)f8[i];
        uint64_t parent = (par == PM || i == 0) ? M21 : par;
        uint64_t id1 = ((int32_t)ck < 0 || (i >= 1 && i <= 256)) && fv[i] >= 0 ? (uint64_t)fv[i] + 1 : 0;
        c8p[i] = (b & M21) | parent << 21 | id1 << 42;
    }
    c8f = aligned_alloc(64, ((size_t)nodes * 8 + 63) / 64 * 64);
    for (uint32_t i = 0; i < nodes; i++) {
        uint32_t ck = (uint32_t)(f8[i] >> 32), par = ck & PM, b = (uint32_t)f8[i];
        uint64_t parent = (par == PM || i == 0) ? M21 : par;
        c8f[i] = (b & M21) | parent << 21 | ((int32_t)ck < 0 ? 1ull << 42 : 0);
    }
    for (uint32_t i = 1; i < nodes; i++) {
        uint32_t par = (uint32_t)(f8[i] >> 32) & PM;
        if (par == PM || par >= nodes) continue;
        uint32_t lab = i - (uint32_t)f8[par];
        c8f[par] |= FILTER_BIT(lab);
    }
    int32_t *ref = malloc(tn * 4 + 64), *out = malloc(tn * 4 + 64);
    int64_t total = walk8(f8, fv, nodes - 1, text, text + tn, ref);
    int64_t tf = walk8f(fv, text, text + tn, out);
    if (tf != total || memcmp(out, ref, total * 4)) { printf("8f ids differ\n"); return 1; }
    int64_t tp = walk8p(text, text + tn, out);
    if (tp != total || memcmp(out, ref, total * 4)) { printf("8p ids differ\n"); return 1; }
    int64_t t4 = walk8i(text, text + tn, out);
    if (t4 != total || memcmp(out, ref, total * 4)) { printf("8i ids differ\n"); return 1; }
    t4 = walk4(text, text + tn, out);
    if (t4 != total || memcmp(out, ref, total * 4)) { printf("ids differ (%lld vs %lld)\n", (long long)t4, (long long)total); return 1; }
    double a1, a2, b1, b2; sim8(f8, fv, nodes - 1, text, text + tn, &a1, &a2); sim4(text, text + tn, &b1, &b2);
    printf("%s: cells 8B %u (%.1f MB), 4B %d (%.1f MB); L1/L2 misses per token 8B %.2f/%.3f, 4B %.2f/%.3f\n", argv[1], nodes, nodes * 8 / 1e6, count, count * 4 / 1e6, a1, a2, b1, b2);
    double t8s[256], t4s[256], tis[256], tps[256], tfs[256];
    for (int r = 0; r < passes; r++) {
        double t = now(); walk8(f8, fv, nodes - 1, text, text + tn, out); t8s[r] = now() - t;
        t = now(); walk8p(text, text + tn, out); tps[r] = now() - t;
        t = now(); walk8f(fv, text, text + tn, out); tfs[r] = now() - t;
        t = now(); walk4(text, text + tn, out); t4s[r] = now() - t;
        t = now(); walk8i(text, text + tn, out); tis[r] = now() - t;
    }
    qsort(t8s, passes, sizeof(double), dcmp); qsort(t4s, passes, sizeof(double), dcmp); qsort(tis, passes, sizeof(double), dcmp); qsort(tps, passes, sizeof(double), dcmp);
    qsort(tfs, passes, sizeof(double), dcmp);
    printf("  8B packed, id inline, parent check %.1f (%.2fx)\n", total / tps[passes / 2] / 1e6, t8s[passes / 2] / tps[passes / 2]);
    printf("  8B with child-byte filter %.1f (%.2fx)\n", total / tfs[passes / 2] / 1e6, t8s[passes / 2] / tfs[passes / 2]);
    printf("  8B inline ids %.1f (%.2fx)\n", total / tis[passes / 2] / 1e6, t8s[passes / 2] / tis[passes / 2]);
    printf("  M tokens/s: 8B %.1f, 4B %.1f (%.2fx), %lld tokens\n", total / t8s[passes / 2] / 1e6, total / t4s[passes / 2] / 1e6, t8s[passes / 2] / t4s[passes / 2], (long long)total);
    return 0;
}
