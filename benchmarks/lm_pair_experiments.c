/* Experiment behind the benchmark log's longest-match notes, not part of the library: does a walk
 * that consumes TWO text bytes per dependent step make greedy longest match faster? The walk of
 * today's format-5 trie (docs/dat-format.md) is bound by one dependent chain per byte (load cell,
 * compare label, add base); a pair walk halves the number of links in that chain per token.
 *
 * The profile's learned tokens are read from the .dat's token table (sections 5 and 6, ids 260..)
 * and four walks are run over TEXT_FILE, all of them checked id for id against the library:
 *   - lib:   crayon_tokenize itself (build/native/libcrayon.so), for calibration;
 *   - file:  a C copy of LongestMatch.Scan over the file's own cells, values and tails (no first-use
 *            check), i.e. today's walk;
 *   - plain: the same walk over a trie rebuilt from the token list with every tail expanded into
 *            plain cells (4-byte cells: label bits 0..7, token flag bit 8, base bits 10..31; unique
 *            bases, depth-first placement; ids in a separate array indexed by cell). This is the
 *            single-byte structure the pair walk falls back on;
 *   - pair:  bytes are mapped to classes: the 2^CB - 1 byte values most frequent in the vocabulary's
 *            tokens get classes 1..2^CB-1, every other byte is "rare" (class 0). A node reached by
 *            pair steps from a byte cell (depth 1, 3, 5, ...) owns a block in a second double array
 *            over the 2^(2 CB) symbols cls(a) << CB | cls(b): for each grandchild n.a.b with both
 *            classes non-zero, cell pbase(n) + sym holds, in 8 bytes, its label (sym | 0x8000,
 *            checked), "a token ends after a", "a token ends after b", pbase(n.a.b) and the
 *            single-byte base of n.a.b (for the fallback). The ids of n.a and n.a.b sit in a side
 *            array (two i32 per pair cell, read once per token). A step takes the two next bytes;
 *            when the pair cell does not match it takes ONE single-byte step on a from n (a token
 *            may end at n.a); if both classes were non-zero that ends the token (n.a.b does not
 *            exist), otherwise (a rare byte) the walk goes on byte by byte from n.a. With one byte
 *            left it goes on byte by byte from n. Unique pair bases (every used pbase >= 1, leaves
 *            0) keep the label check sound as in the format.
 *   - pairsel: the same structure, the pair step's token-flag updates written as selects
 *            instead of branches (walk_pair_sel);
 *   - pairspec: pairsel, plus the fallback's single step on a loaded next to the pair cell in every
 *            pair step (off the dependent chain) and its flag update as a select (walk_pair_spec).
 * Tails are expanded into plain cells for plain and pair (the pair walk needs every node); the
 * double arrays are placed first fit, a free cell leaving the scan after 16 failed fits.
 * Timing: thread CPU time, PASSES rounds with the walks alternated (order rotated every round),
 * best round per walk; M tokens/s, MB/s, ratios; structure sizes.
 *
 *   gcc -O2 -march=x86-64-v3 -Wall -std=c11 -Iinclude benchmarks/lm_pair_experiments.c \
 *       -Lbuild/native -lcrayon -o /tmp/pair/lm_pair
 *   LD_LIBRARY_PATH=build/native [CB=6] [ONLY=lib|file|plain|pair|pairsel|pairspec] [NOLIB=1] \
 *       /tmp/pair/lm_pair build/profiles/code.dat TEXT_FILE PASSES
 * For counts: NOLIB=1 (the library does not start under valgrind; the walks are then checked
 * against the file walk) and valgrind --tool=cachegrind --cache-sim=yes --branch-sim=yes;
 * cg_annotate --threshold=0 gives each walk function's instructions, misses and mispredicts.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include "crayon.h"

static double now(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static void die(const char *m) { fprintf(stderr, "error: %s\n", m); exit(1); }
static void *xcalloc(size_t n, size_t s) { void *p = calloc(n ? n : 1, s); if (!p) die("out of memory"); return p; }
static uint8_t *slurp(const char *path, size_t *len, size_t pad) {
    FILE *f = fopen(path, "rb"); if (!f) die(path);
    fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
    uint8_t *b = xcalloc((size_t)n + pad, 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) die("short read");
    fclose(f); *len = (size_t)n; return b;
}

/* ---------------- the file (format 5) ---------------- */
static uint32_t vocab, node_count;
static const uint32_t *fcells; static const int32_t *fvalues; static const uint32_t *foffs;
static const uint8_t *fbytes, *ftails; static uint64_t ftails_len;

static void read_dat(const uint8_t *d, size_t n) {
    if (n < 64 + 7 * 24 || memcmp(d, "CRAYDAT\x1a", 8) != 0) die("not a .dat");
    uint32_t version; memcpy(&version, d + 8, 4); if (version != 5) die("not format 5");
    memcpy(&vocab, d + 32, 4); memcpy(&node_count, d + 36, 4);
    for (int i = 0; i < 7; i++) {
        uint32_t kind; uint64_t off, len;
        memcpy(&kind, d + 64 + 24 * i, 4); memcpy(&off, d + 64 + 24 * i + 8, 8); memcpy(&len, d + 64 + 24 * i + 16, 8);
        if (off + len > n) die("section out of file");
        switch (kind) {
        case 3: fcells = (const uint32_t *)(d + off); break;
        case 4: fvalues = (const int32_t *)(d + off); break;
        case 5: foffs = (const uint32_t *)(d + off); break;
        case 6: fbytes = d + off; break;
        case 7: ftails = d + off; ftails_len = len; break;
        }
    }
}

/* A C copy of LongestMatch.Scan (without the first-use check, which the library does once per cell). */
static int tail_matches(const uint8_t *text, const uint8_t *tail, uint32_t length, const uint8_t *end) {
    uint64_t x, y;
    for (; length > 8; length -= 8, text += 8, tail += 8) { memcpy(&x, text, 8); memcpy(&y, tail, 8); if (x != y) return 0; }
    if (end - text >= 8) { if (length == 0) return 1; memcpy(&x, text, 8); memcpy(&y, tail, 8); return ((x ^ y) << (64 - 8 * length)) == 0; }
    for (uint32_t k = 0; k < length; k++) if (text[k] != tail[k]) return 0;
    return 1;
}
__attribute__((noinline)) static int64_t walk_file(const uint8_t *p, const uint8_t *end, int32_t *o0) {
    const uint32_t *cells = fcells; const int32_t *values = fvalues; const uint8_t *tails = ftails;
    int64_t tlim = (int64_t)ftails_len - 1 - 8; int32_t *o = o0;
    while (p < end) {
        uint32_t acc = 1u + *p, cell = cells[acc]; const uint8_t *q = p + 1, *last = q;
        while (q < end) {
            uint32_t c = *q, t = (cell >> 10) + c; cell = cells[t];
            if ((uint8_t)cell != c) break;
            q++;
            if (cell & 0x100) { acc = t; last = q; }
            else if (cell & 0x200) {
                uint32_t at = cell >> 10;
                if (at <= tlim) {
                    const uint8_t *rec = tails + at; uint32_t len = rec[0];
                    if (at + len <= tlim && len <= (uint64_t)(end - q) && tail_matches(q, rec + 1, len, end)) { acc = t; last = q + len; }
                }
                break;
            }
        }
        *o++ = values[acc]; p = last;
    }
    return o - o0;
}

/* ---------------- the token trie (a tree) ---------------- */
static uint32_t tn;                       /* tree nodes; 0 = root, 1 + c = the byte c */
static uint8_t *tlab; static int32_t *tid; static int32_t *tfc, *tns, *tlc;
static int cmp_tok(const void *x, const void *y) {
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    uint32_t la = foffs[a + 1] - foffs[a], lb = foffs[b + 1] - foffs[b];
    int r = memcmp(fbytes + foffs[a], fbytes + foffs[b], la < lb ? la : lb);
    return r ? r : (la > lb) - (la < lb);
}
static int32_t add_child(int32_t parent, uint8_t c) {
    int32_t x = (int32_t)tn++;
    tlab[x] = c; tid[x] = -1; tfc[x] = tlc[x] = tns[x] = -1;
    if (tlc[parent] < 0) tfc[parent] = x; else tns[tlc[parent]] = x;
    tlc[parent] = x; return x;
}
static void build_tree(void) {
    uint64_t total = foffs[vocab] - foffs[260];
    uint64_t cap = total + 257 + 16;
    tlab = xcalloc(cap, 1); tid = xcalloc(cap, 4); tfc = xcalloc(cap, 4); tns = xcalloc(cap, 4); tlc = xcalloc(cap, 4);
    tn = 1; tid[0] = -1; tfc[0] = tns[0] = tlc[0] = -1;
    for (int c = 0; c < 256; c++) { int32_t x = add_child(0, (uint8_t)c); tid[x] = 4 + c; }
    uint32_t nl = vocab - 260, *order = xcalloc(nl, 4);
    for (uint32_t i = 0; i < nl; i++) order[i] = 260 + i;
    qsort(order, nl, 4, cmp_tok);
    for (uint32_t i = 0; i < nl; i++) {
        uint32_t id = order[i], len = foffs[id + 1] - foffs[id]; const uint8_t *k = fbytes + foffs[id];
        if (len < 2) die("learned token shorter than 2 bytes");
        int32_t cur = 1 + k[0];
        for (uint32_t j = 1; j < len; j++) {
            int32_t l = tlc[cur];
            cur = (l >= 0 && tlab[l] == k[j]) ? l : add_child(cur, k[j]);
        }
        if (tid[cur] >= 0) die("repeated token");
        tid[cur] = (int32_t)id;
    }
    free(order);
}

/* ---------------- double-array placement (unique bases, first fit over a free list) ---------------- */
typedef struct { uint32_t cap, head, top; uint8_t *used, *bused, *fails, *out; uint32_t *nextf, *prevf; } da_t;
static void da_init(da_t *a, uint32_t cap) {
    a->cap = cap; a->used = xcalloc(cap, 1); a->bused = xcalloc(cap, 1); a->fails = xcalloc(cap, 1); a->out = xcalloc(cap, 1);
    a->nextf = xcalloc(cap + 1, 4); a->prevf = xcalloc(cap + 1, 4);
    for (uint32_t i = 0; i < cap; i++) { a->nextf[i] = i + 1; a->prevf[i] = i ? i - 1 : UINT32_MAX; }
    a->head = 0; a->top = 0;
}
static void da_unlink(da_t *a, uint32_t i) {
    a->out[i] = 1;
    uint32_t p = a->prevf[i], n = a->nextf[i];
    if (p == UINT32_MAX) a->head = n; else a->nextf[p] = n;
    if (n < a->cap) a->prevf[n] = p;
}
static void da_take(da_t *a, uint32_t i) {
    if (i >= a->cap) die("double array too small");
    if (a->used[i]) die("cell taken twice");
    a->used[i] = 1;
    if (i + 1 > a->top) a->top = i + 1;
    if (!a->out[i]) da_unlink(a, i);
}
/* The first base >= 1 in the scan, not yet used as a base, with base + syms[i] free for all i (syms ascending). */
static uint32_t da_find(da_t *a, const uint32_t *syms, int k) {
    for (uint32_t f = a->head, nf; f < a->cap; f = nf) {
        nf = a->nextf[f];
        int ok = f >= syms[0] + 1;
        uint32_t b = f - syms[0];
        if (ok && a->bused[b]) ok = 0;
        for (int i = 1; i < k && ok; i++) { uint32_t t = b + syms[i]; if (t >= a->cap || a->used[t]) ok = 0; }
        if (ok) { a->bused[b] = 1; for (int i = 0; i < k; i++) da_take(a, b + syms[i]); return b; }
        /* a free cell that fits nothing after many tries leaves the scan (it stays free: a hole) */
        if (++a->fails[f] >= 16) da_unlink(a, f);
    }
    die("double array full");
    return 0;
}

/* ---------------- the plain single-byte trie (tails expanded) ---------------- */
static uint32_t *cells1; static int32_t *ids1; static uint32_t n1; static uint32_t *cellof;
static da_t da1;
static void place1(int32_t x) {
    uint32_t syms[256]; int k = 0;
    for (int32_t y = tfc[x]; y >= 0; y = tns[y]) syms[k++] = tlab[y];
    if (!k) return;
    uint32_t b = da_find(&da1, syms, k), s = cellof[x];
    cells1[s] |= b << 10;
    for (int32_t y = tfc[x]; y >= 0; y = tns[y]) {
        uint32_t t = b + tlab[y]; cellof[y] = t;
        cells1[t] = tlab[y] | (tid[y] >= 0 ? 0x100u : 0); ids1[t] = tid[y];
    }
    for (int32_t y = tfc[x]; y >= 0; y = tns[y]) place1(y);
}
static void build_plain(void) {
    uint32_t cap = tn + tn / 2 + 4096;
    da_init(&da1, cap);
    cells1 = xcalloc(cap + 256, 4); ids1 = xcalloc(cap + 256, 4); cellof = xcalloc(tn, 4);
    for (uint32_t i = 0; i < cap + 256; i++) ids1[i] = -1;
    for (uint32_t i = 0; i <= 256; i++) da_take(&da1, i);
    da1.bused[1] = 1; cells1[0] = 0xFF | (1u << 10);
    for (int c = 0; c < 256; c++) { cells1[1 + c] = (uint32_t)c | 0x100; ids1[1 + c] = 4 + c; cellof[1 + c] = 1 + c; }
    for (int c = 0; c < 256; c++) place1(1 + c);
    n1 = da1.top + 256;   /* every base <= top - 1, so base + 255 < n1 */
    if (n1 > (1u << 22)) die("plain trie needs more than 2^22 cells");
}
__attribute__((noinline)) static int64_t walk_plain(const uint8_t *p, const uint8_t *end, int32_t *o0) {
    const uint32_t *cells = cells1; const int32_t *ids = ids1; int32_t *o = o0;
    while (p < end) {
        uint32_t acc = 1u + *p, cell = cells[acc]; const uint8_t *q = p + 1, *last = q;
        while (q < end) {
            uint32_t c = *q, t = (cell >> 10) + c; cell = cells[t];
            if ((uint8_t)cell != c) break;
            q++;
            if (cell & 0x100) { acc = t; last = q; }
        }
        *o++ = ids[acc]; p = last;
    }
    return o - o0;
}

/* ---------------- the pair structure ---------------- */
/* pair cell (u64): bits 0..15 label (sym | 0x8000; 0 = free), bit 16 a token ends after a,
 * bit 17 a token ends after b, bits 18..40 pbase (23 bits), bits 41..63 single-byte base (23 bits). */
#define P_A (1ull << 16)
#define P_B (1ull << 17)
#define PB(x) ((uint32_t)((x) >> 18) & 0x7FFFFF)
#define B1(x) ((uint32_t)((x) >> 41))
static int CB = 6;
static uint8_t cls[256];
static uint64_t *pcells; static int32_t *pid; static uint64_t pstart[256]; static uint32_t np, npair;
static da_t dap;
typedef struct { uint32_t sym; int32_t a, g; } pch_t;
static int cmp_pch(const void *x, const void *y) { uint32_t a = ((const pch_t *)x)->sym, b = ((const pch_t *)y)->sym; return (a > b) - (a < b); }
/* Places the pair block of pair node x (reached with pair word *self) and recurses into its pair children. */
static void placep(int32_t x, uint64_t *self) {
    pch_t *ch = NULL; int k = 0, capk = 0;
    for (int32_t a = tfc[x]; a >= 0; a = tns[a]) {
        if (!cls[tlab[a]]) continue;
        for (int32_t g = tfc[a]; g >= 0; g = tns[g]) {
            if (!cls[tlab[g]]) continue;
            if (k == capk) { capk = capk ? 2 * capk : 16; ch = realloc(ch, capk * sizeof *ch); if (!ch) die("out of memory"); }
            ch[k].sym = (uint32_t)cls[tlab[a]] << CB | cls[tlab[g]]; ch[k].a = a; ch[k].g = g; k++;
        }
    }
    if (!k) { free(ch); return; }   /* pbase stays 0: every lookup from it misses */
    qsort(ch, k, sizeof *ch, cmp_pch);
    uint32_t *syms = xcalloc(k, 4);
    for (int i = 0; i < k; i++) syms[i] = ch[i].sym;
    uint32_t b = da_find(&dap, syms, k);
    free(syms);
    if (b > 0x7FFFFF) die("pair base over 23 bits");
    *self |= (uint64_t)b << 18;
    npair += k;
    for (int i = 0; i < k; i++) {
        uint32_t t = b + ch[i].sym; int32_t a = ch[i].a, g = ch[i].g;
        uint32_t base1 = cells1[cellof[g]] >> 10;
        pcells[t] = (ch[i].sym | 0x8000) | (tid[a] >= 0 ? P_A : 0) | (tid[g] >= 0 ? P_B : 0) | (uint64_t)base1 << 41;
        pid[2 * t] = tid[a]; pid[2 * t + 1] = tid[g];
    }
    for (int i = 0; i < k; i++) placep(ch[i].g, &pcells[b + ch[i].sym]);
    free(ch);
}
static void build_pair(void) {
    /* classes: the byte values most frequent in the learned tokens */
    uint64_t freq[256] = {0};
    for (uint32_t i = foffs[260]; i < foffs[vocab]; i++) freq[fbytes[i]]++;
    int order[256]; for (int i = 0; i < 256; i++) order[i] = i;
    for (int i = 0; i < 256; i++) for (int j = i + 1; j < 256; j++)
        if (freq[order[j]] > freq[order[i]] || (freq[order[j]] == freq[order[i]] && order[j] < order[i])) { int t = order[i]; order[i] = order[j]; order[j] = t; }
    memset(cls, 0, sizeof cls);
    for (int i = 0; i < (1 << CB) - 1; i++) if (freq[order[i]]) cls[order[i]] = (uint8_t)(i + 1);
    uint32_t cap = tn + (1u << (2 * CB)) * 2 + 65536;
    da_init(&dap, cap);
    pcells = xcalloc(cap + (1u << (2 * CB)), 8); pid = xcalloc(2 * ((size_t)cap + (1u << (2 * CB))), 4);
    da_take(&dap, 0); dap.bused[0] = 1;   /* base 0 is the leaves' */
    for (int c = 0; c < 256; c++) {
        pstart[c] = (uint64_t)(cells1[1 + c] >> 10) << 41;
        placep(1 + c, &pstart[c]);
    }
    np = dap.top + (1u << (2 * CB));
}

/* The pair walk. */
#define SINGLE_FROM(CELL)                                                               \
    do {                                                                                \
        uint32_t cell = (CELL);                                                         \
        while (q < end) {                                                               \
            uint32_t c = *q, t = (cell >> 10) + c; cell = c1[t];                        \
            if ((uint8_t)cell != c) break;                                              \
            q++;                                                                        \
            if (cell & 0x100) { acc = &ids[t]; last = q; }                              \
        }                                                                               \
    } while (0)

__attribute__((noinline)) static int64_t walk_pair(const uint8_t *p, const uint8_t *end, int32_t *o0) {
    const uint64_t *pc = pcells; const int32_t *pi = pid; const uint32_t *c1 = cells1; const int32_t *ids = ids1;
    const uint8_t *cl = cls; const int cb = CB; int32_t *o = o0;
    while (p < end) {
        const int32_t *acc = &ids[1 + *p];
        uint64_t node = pstart[*p];
        const uint8_t *q = p + 1, *last = q;
        for (;;) {
            if (q + 1 < end) {
                uint32_t a = q[0], b = q[1], ca = cl[a], cbb = cl[b];
                uint32_t sym = ca << cb | cbb, t = PB(node) + sym;
                uint64_t nx = pc[t];
                if ((uint16_t)nx == (sym | 0x8000)) {
                    if (nx & P_B) { acc = &pi[2 * t + 1]; last = q + 2; }
                    else if (nx & P_A) { acc = &pi[2 * t]; last = q + 1; }
                    node = nx; q += 2; continue;
                }
                /* no pair: one step on a from this node */
                uint32_t s = B1(node) + a, c = c1[s];
                if ((uint8_t)c != a) break;
                q++;
                if (c & 0x100) { acc = &ids[s]; last = q; }
                if (ca && cbb) break;             /* n.a.b is not in the trie */
                SINGLE_FROM(c);
                break;
            }
            SINGLE_FROM(B1(node) << 10);
            break;
        }
        *o++ = *acc; p = last;
    }
    return o - o0;
}
/* The same with the token-flag updates as selects (no branch on the token end in the pair step). */
__attribute__((noinline)) static int64_t walk_pair_sel(const uint8_t *p, const uint8_t *end, int32_t *o0) {
    const uint64_t *pc = pcells; const int32_t *pi = pid; const uint32_t *c1 = cells1; const int32_t *ids = ids1;
    const uint8_t *cl = cls; const int cb = CB; int32_t *o = o0;
    while (p < end) {
        const int32_t *acc = &ids[1 + *p];
        uint64_t node = pstart[*p];
        const uint8_t *q = p + 1, *last = q;
        for (;;) {
            if (q + 1 < end) {
                uint32_t a = q[0], b = q[1], ca = cl[a], cbb = cl[b];
                uint32_t sym = ca << cb | cbb, t = PB(node) + sym;
                uint64_t nx = pc[t];
                if ((uint16_t)nx == (sym | 0x8000)) {
                    uint32_t fa = (uint32_t)(nx >> 16) & 1, fb = (uint32_t)(nx >> 17) & 1;
                    uint32_t any = fa | fb;
                    const int32_t *cand = &pi[2 * t + fb];
                    const uint8_t *cl2 = q + 1 + fb;
                    acc = any ? cand : acc;
                    last = any ? cl2 : last;
                    node = nx; q += 2; continue;
                }
                uint32_t s = B1(node) + a, c = c1[s];
                if ((uint8_t)c != a) break;
                q++;
                if (c & 0x100) { acc = &ids[s]; last = q; }
                if (ca && cbb) break;
                SINGLE_FROM(c);
                break;
            }
            SINGLE_FROM(B1(node) << 10);
            break;
        }
        *o++ = *acc; p = last;
    }
    return o - o0;
}

/* pairsel, and the fallback's single step on a loaded in the same step as the pair cell (both
 * addresses depend only on the node), so that a pair miss does not wait for one more dependent load;
 * its token-flag update is a select too, so the token's end costs one unpredictable branch. */
__attribute__((noinline)) static int64_t walk_pair_spec(const uint8_t *p, const uint8_t *end, int32_t *o0) {
    const uint64_t *pc = pcells; const int32_t *pi = pid; const uint32_t *c1 = cells1; const int32_t *ids = ids1;
    const uint8_t *cl = cls; const int cb = CB; int32_t *o = o0;
    while (p < end) {
        const int32_t *acc = &ids[1 + *p];
        uint64_t node = pstart[*p];
        const uint8_t *q = p + 1, *last = q;
        for (;;) {
            if (q + 1 < end) {
                uint32_t a = q[0], b = q[1], ca = cl[a], cbb = cl[b];
                uint32_t sym = ca << cb | cbb, t = PB(node) + sym;
                uint32_t s = B1(node) + a, c = c1[s];
                __asm__ volatile("" : : "r"(c));   /* keep the load here, next to the pair cell's */
                uint64_t nx = pc[t];
                if ((uint16_t)nx == (sym | 0x8000)) {
                    uint32_t fa = (uint32_t)(nx >> 16) & 1, fb = (uint32_t)(nx >> 17) & 1;
                    uint32_t any = fa | fb;
                    const int32_t *cand = &pi[2 * t + fb];
                    const uint8_t *cl2 = q + 1 + fb;
                    acc = any ? cand : acc;
                    last = any ? cl2 : last;
                    node = nx; q += 2; continue;
                }
                uint32_t m = (uint8_t)c == a, term = m & (c >> 8);
                acc = term ? &ids[s] : acc;
                last = term ? q + 1 : last;
                if (!m || (ca && cbb)) break;     /* the usual end: no branch on what the text held */
                q++;
                SINGLE_FROM(c);
                break;
            }
            SINGLE_FROM(B1(node) << 10);
            break;
        }
        *o++ = *acc; p = last;
    }
    return o - o0;
}

/* ---------------- driver ---------------- */
enum { V_LIB, V_FILE, V_PLAIN, V_PAIR, V_PAIRSEL, V_PAIRSPEC, NV };
static const char *vname[NV] = { "lib", "file", "plain", "pair", "pairsel", "pairspec" };

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s PROFILE.dat TEXT_FILE PASSES\n", argv[0]); return 2; }
    if (getenv("CB")) CB = atoi(getenv("CB"));
    if (CB < 3 || CB > 7) die("CB must be 3..7");
    const char *only = getenv("ONLY");
    size_t dn, n; uint8_t *dat = slurp(argv[1], &dn, 0); uint8_t *text = slurp(argv[2], &n, 64);
    int passes = atoi(argv[3]); if (passes < 1) passes = 1;
    read_dat(dat, dn);
    double t0 = now();
    build_tree(); build_plain(); build_pair();
    double tb = now() - t0;
    fprintf(stderr, "built in %.1f s\n", tb);
    uint64_t tail_bytes = ftails_len;
    printf("profile %s  text %s (%zu bytes)  CB=%d (%d classes)\n", argv[1], argv[2], n, CB, (1 << CB) - 1);
    printf("file : %u cells = %u B cells + %u B values + %llu B tails\n", node_count, node_count * 4, node_count * 4, (unsigned long long)tail_bytes);
    printf("plain: %u tree nodes, %u cells = %u B cells + %u B ids\n", tn, n1, n1 * 4, n1 * 4);
    printf("pair : %u pair cells used in %u = %llu B pair cells + %llu B pair ids (+ plain's cells and ids for the fallback)\n",
           npair, np, (unsigned long long)np * 8, (unsigned long long)np * 8);

    int32_t *out[NV]; int64_t cnt[NV]; double best[NV];
    for (int v = 0; v < NV; v++) { out[v] = xcalloc(n + 1, 4); cnt[v] = -1; best[v] = 1e30; }
    int run[NV]; for (int v = 0; v < NV; v++) run[v] = !only || !strcmp(only, vname[v]);
    crayon_vocab *voc = NULL;
    uint32_t flags; memcpy(&flags, dat + 12, 4);
    if (getenv("NOLIB")) {   /* the library (NativeAOT) does not run under valgrind */
        if (flags & 1) die("NOLIB needs a profile without NFC");
        run[V_LIB] = 0;
    } else if (crayon_load_dat(argv[1], &voc) != 0) { fprintf(stderr, "%s\n", crayon_last_error()); return 1; }
    if (voc && (flags & 1)) {
        /* An NFC profile: the library normalises first. Every walk gets NFC(text) instead, made by the
         * library itself as decode(tokenize(text)), so that the library then tokenizes it in place. */
        size_t cap = 3 * n + 16; int32_t *tmp = xcalloc(cap, 4);
        int64_t k = crayon_tokenize(voc, (const char *)text, n, tmp, cap); if (k < 0) die("tokenize");
        uint8_t *nt = xcalloc(3 * n + 64, 1);
        int64_t m = crayon_decode(voc, tmp, (size_t)k, (char *)nt, 3 * n); if (m < 0) die("decode");
        printf("NFC profile: the walks read NFC(text), %lld bytes (text: %zu)\n", (long long)m, n);
        free(tmp); text = nt; n = (size_t)m;
        for (int v = 0; v < NV; v++) { free(out[v]); out[v] = xcalloc(n + 1, 4); }
    }
    const uint8_t *e = text + n;   /* after any NFC copy */
    for (int r = 0; r < passes; r++) {
        for (int i = 0; i < NV; i++) {
            int v = (i + r) % NV; if (!run[v]) continue;
            int64_t k = 0; double t = now();
            switch (v) {
            case V_LIB: k = crayon_tokenize(voc, (const char *)text, n, out[v], n + 1); break;
            case V_FILE: k = walk_file(text, e, out[v]); break;
            case V_PLAIN: k = walk_plain(text, e, out[v]); break;
            case V_PAIR: k = walk_pair(text, e, out[v]); break;
            case V_PAIRSEL: k = walk_pair_sel(text, e, out[v]); break;
            case V_PAIRSPEC: k = walk_pair_spec(text, e, out[v]); break;
            }
            t = now() - t;
            if (t < best[v]) best[v] = t;
            cnt[v] = k;
        }
    }
    /* exactness: every walk against the library (or, with ONLY, against nothing but its count) */
    int ref = run[V_LIB] ? V_LIB : run[V_FILE] ? V_FILE : -1, bad = 0;
    for (int v = 0; v < NV; v++) {
        if (!run[v] || ref < 0 || v == ref) continue;
        if (cnt[v] != cnt[ref]) { printf("MISMATCH %s: %lld tokens, lib %lld\n", vname[v], (long long)cnt[v], (long long)cnt[ref]); bad = 1; }
        int64_t m = cnt[v] < cnt[ref] ? cnt[v] : cnt[ref];
        for (int64_t i = 0; i < m; i++)
            if (out[v][i] != out[ref][i]) { printf("MISMATCH %s at token %lld: %d, lib %d\n", vname[v], (long long)i, out[v][i], out[ref][i]); bad = 1; break; }
    }
    for (int v = 0; v < NV; v++) {
        if (!run[v]) continue;
        printf("%-8s %8.2f M tok/s %8.1f MB/s  (%lld tokens, %.2f bytes/token)\n", vname[v], cnt[v] / best[v] / 1e6, n / best[v] / 1e6,
               (long long)cnt[v], (double)n / cnt[v]);
    }
    if (!only) printf("speed ratios: pair/plain %.3f  pairsel/plain %.3f  pairspec/plain %.3f  pair/file %.3f  pairsel/file %.3f  pairspec/file %.3f  plain/file %.3f  lib/file %.3f\n",
               best[V_PLAIN] / best[V_PAIR], best[V_PLAIN] / best[V_PAIRSEL], best[V_PLAIN] / best[V_PAIRSPEC],
               best[V_FILE] / best[V_PAIR], best[V_FILE] / best[V_PAIRSEL], best[V_FILE] / best[V_PAIRSPEC],
               best[V_FILE] / best[V_PLAIN], best[V_FILE] / best[V_LIB]);
    printf("%s %s\n", bad ? "EXACTNESS: MISMATCH against" : "EXACTNESS: all walks equal", ref == V_LIB ? "the library" : ref == V_FILE ? "the file walk" : "nothing (ONLY)");
    if (voc) crayon_free(voc);
    return bad;
}
