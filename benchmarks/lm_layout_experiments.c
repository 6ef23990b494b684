/* Experiments behind README's longest-match section, not part of the library: does another placement
 * of the double array's cells, or another end of token, make the walk faster? The profile's learned
 * tokens are read from a format-3 .dat (docs/dat-format.md) and placed again, first fit like
 * src/Crayon/Trie/DoubleArrayBuilder.cs, in one of these orders:
 *   - dfs:    depth first, children in byte order (what the library does);
 *   - zipf:   the hottest pending sibling group first, a group's heat being the sum of 1/(rank + 10)
 *             over the tokens below it (lists are ordered by use, so rank stands for frequency);
 *   - sample: the hottest group first, heat = how often a walk over SAMPLE_FILE visited the node
 *             (the profile's own text or general English: a layout tuned on text, not on the list);
 *   - near:   depth first, but each node's children placed, where they fit, so that its hottest child
 *             (by zipf heat) lies in the node's own 64-byte line;
 *   - split:  depth first over the nodes above one of the HOT_N (default 32768) most used tokens, then
 *             depth first over the rest, so that the hot part of the trie lies together.
 * Each layout is walked over TEXT_FILE under a cache model (L1 32 KiB and L2 1 MiB, 8-way, LRU; cells,
 * ids and text) and timed (thread CPU time, PASSES rounds alternating the layouts, 2 passes each,
 * median). Two ends of token are timed on the library's own layout too: "leaf" keeps a leaf token's
 * id in its cell's unused base (branchless: no read of the id array for leaves) and "memo" prefetches
 * the deepest cell the walk reached the last time the same 6 bytes started a token. Every result's
 * ids are compared with the plain walk over the .dat.
 *
 *   gcc -O2 -o /tmp/lm_layout benchmarks/lm_layout_experiments.c
 *   [HOT_N=32768] /tmp/lm_layout build/profiles/code.dat TEXT_FILE SAMPLE_FILE PASSES
 */
#include "lm_trie_common.h"

static double *heat_below;    /* heat_below[hi] - heat_below[lo]: zipf heat of keys[lo..hi) */
static int find_base(int node, const uint8_t *lab, int n, int hot_label) {
    if (hot_label >= 0)
        for (int f = node & ~7; f < (node & ~7) + 8; f++)
            if (f > 256 && f - hot_label >= 1 && fits(f - hot_label, lab, n)) return f - hot_label;
    int c0 = lab[0];
    for (int f = next_free(c0 + 1 > 257 ? c0 + 1 : 257);; f = next_free(f + 1))
        if (f - c0 >= 1 && fits(f - c0, lab, n)) return f - c0;
}

typedef struct { int node, lo, hi, depth; double pri; } group_t;   /* keys[lo..hi) below node, prefix length depth */
static group_t *heap; static int hn;
static void push(group_t g) { int i = hn++; heap[i] = g; while (i && heap[(i - 1) / 2].pri < heap[i].pri) { group_t t = heap[i]; heap[i] = heap[(i - 1) / 2]; heap[(i - 1) / 2] = t; i = (i - 1) / 2; } }
static group_t pop(void) {
    group_t r = heap[0]; heap[0] = heap[--hn];
    for (int i = 0;;) { int l = 2 * i + 1, m = i; if (l < hn && heap[l].pri > heap[m].pri) m = l; if (l + 1 < hn && heap[l + 1].pri > heap[m].pri) m = l + 1; if (m == i) break; group_t t = heap[i]; heap[i] = heap[m]; heap[m] = t; i = m; }
    return r;
}

enum order { DFS, ZIPF, SAMPLE, NEAR, SPLIT };
static int hot_n = 32768;
static const char *order_names[] = { "dfs", "zipf", "sample", "near", "split" };
static const int *dfs_b; static const double *visits;   /* SAMPLE: the DFS layout's bases and visit counts */

static double priority(enum order o, int lo, int hi, int depth, double *seq) {
    if (o == ZIPF) return heat_below[hi] - heat_below[lo];
    if (o == SAMPLE) {   /* the same node in the DFS layout: follow the first key's bytes */
        const uint8_t *k = keys[lo].k; int s = 1 + k[0];
        for (int j = 1; j < depth; j++) s = dfs_b[s] + k[j];
        return visits[s] * 64.0 - depth;
    }
    if (o == SPLIT) {   /* every hot group before any cold one, last in, first out within each */
        int best = 1 << 30;
        for (int i = lo; i < hi; i++) if (keys[i].id < best) best = keys[i].id;
        return (*seq)++ + (best - 260 < hot_n ? 1e15 : 0);
    }
    return (*seq)++;   /* DFS, NEAR: last in, first out */
}

static int build(enum order o) {
    free(A.b); free(A.c); free(A.v); free(A.free_next); memset(&A, 0, sizeof A); ensure(1024);
    use(0, -1, -1); A.b[0] = 1; A.c[0] = -2;
    for (int c = 0; c < 256; c++) use(1 + c, 0, 4 + c);
    double seq = 1; hn = 0;
    int starts[257], ng = 0;
    for (int lo = 0; lo < nk;) { int c = keys[lo].k[0], hi = lo; while (hi < nk && keys[hi].k[0] == c) hi++; starts[ng++] = lo; lo = hi; }
    starts[ng] = nk;
    for (int g = ng - 1; g >= 0; g--) {
        int lo = starts[g], hi = starts[g + 1];
        push((group_t){ 1 + keys[lo].k[0], lo, hi, 1, priority(o, lo, hi, 1, &seq) });
    }
    uint8_t lab[256]; int child_lo[257];
    while (hn) {
        group_t g = pop(); int start = g.lo;
        if (keys[start].len == g.depth) start++;
        if (start >= g.hi) continue;
        int n = 0;
        for (int i = start; i < g.hi;) { int c = keys[i].k[g.depth]; lab[n] = c; child_lo[n++] = i; while (i < g.hi && keys[i].k[g.depth] == c) i++; }
        child_lo[n] = g.hi;
        int hot = -1;
        if (o == NEAR) { double best = -1; for (int k = 0; k < n; k++) { double h = heat_below[child_lo[k + 1]] - heat_below[child_lo[k]]; if (h > best) { best = h; hot = lab[k]; } } }
        int b = find_base(g.node, lab, n, hot);
        A.b[g.node] = b;
        for (int k = 0; k < n; k++) use(b + lab[k], g.node, keys[child_lo[k]].len == g.depth + 1 ? keys[child_lo[k]].id : -1);
        for (int k = n - 1; k >= 0; k--)
            push((group_t){ b + lab[k], child_lo[k], child_lo[k + 1], g.depth + 1, priority(o, child_lo[k], child_lo[k + 1], g.depth + 1, &seq) });
    }
    int maxb = 0; for (int i = 0; i < A.size; i++) if (A.b[i] > maxb) maxb = A.b[i];
    int count = A.size > maxb + 256 ? A.size : maxb + 256; ensure(count);
    return count;
}

/* ---- packed as the .dat holds them ---- */
typedef struct { const char *name; uint64_t *cells; int32_t *values; uint32_t limit; double t[256]; int64_t tokens; } layout_t;
static void pack(layout_t *L, int count) {
    L->cells = aligned_alloc(64, ((size_t)count * 8 + 63) / 64 * 64); L->values = aligned_alloc(64, ((size_t)count * 4 + 63) / 64 * 64);
    for (int i = 0; i < count; i++) {
        uint32_t check = i == 0 || A.c[i] < 0 ? PM : (uint32_t)A.c[i];
        if (i > 0 && A.v[i] >= 0) check |= 0x80000000u;
        L->cells[i] = (uint32_t)A.b[i] | (uint64_t)check << 32; L->values[i] = A.v[i];
    }
    L->limit = count - 1;
}

/* ---- walks ---- */
#define STEP(cells, limit) \
    while (q < end) { \
        uint32_t t = (uint32_t)cell + *q; uint64_t nx = cells[t <= limit ? t : 0]; uint32_t ck = (uint32_t)(nx >> 32); \
        if ((ck & PM) != s) break; \
        s = t; cell = nx; q++; \
        if ((int32_t)ck < 0) { a = t; last = q; LEAF_KEEP } \
    }
#define LEAF_KEEP
__attribute__((noinline)) static int64_t walk(const layout_t *L, const uint8_t *p, const uint8_t *end, int32_t *o0) {
    int32_t *o = o0; const uint64_t *cells = L->cells; uint32_t limit = L->limit;
    while (p < end) { uint32_t s = 1u + *p, a = s; uint64_t cell = cells[s]; const uint8_t *q = p + 1, *last = q; STEP(cells, limit) *o++ = L->values[a]; p = last; }
    return o - o0;
}
#undef LEAF_KEEP
#define LEAF_KEEP ab = (uint32_t)nx;
__attribute__((noinline)) static int64_t walk_leaf(const layout_t *L, const uint8_t *p, const uint8_t *end, int32_t *o0) {
    int32_t *o = o0, scratch = 0; const uint64_t *cells = L->cells; uint32_t limit = L->limit;
    while (p < end) {
        uint32_t s = 1u + *p, a = s; uint64_t cell = cells[s]; uint32_t ab = (uint32_t)cell; const uint8_t *q = p + 1, *last = q;
        STEP(cells, limit)
        const int32_t *src = (int32_t)ab < 0 ? &scratch : L->values + a; int32_t v = *src;
        *o++ = (int32_t)ab < 0 ? (int32_t)(ab & PM) : v; p = last;
    }
    return o - o0;
}
#undef LEAF_KEEP
#define LEAF_KEEP
typedef struct { uint64_t key; uint32_t deep, pad; } memo_t;
static memo_t memo[1 << 14];
__attribute__((noinline)) static int64_t walk_memo(const layout_t *L, const uint8_t *p, const uint8_t *end, int32_t *o0) {
    int32_t *o = o0; const uint64_t *cells = L->cells; uint32_t limit = L->limit;
    while (p < end) {
        uint64_t key = 0; memo_t *m = NULL;
        if (p + 8 <= end) { memcpy(&key, p, 8); key &= 0xffffffffffffull; m = memo + ((key * 0x9E3779B97F4A7C15ull) >> 50); if (m->key == key) __builtin_prefetch(cells + m->deep); }
        uint32_t s = 1u + *p, a = s; uint64_t cell = cells[s]; const uint8_t *q = p + 1, *last = q;
        STEP(cells, limit)
        if (m) { m->key = key; m->deep = s; }
        *o++ = L->values[a]; p = last;
    }
    return o - o0;
}

static void simulate(const layout_t *L, const uint8_t *p, const uint8_t *end, double *l1_per, double *l2_per) {
    sim_reset();
    const uint8_t *warm = p + (end - p) / 4; long tokens = 0;
    for (; p < end; tokens++) {
        if (p >= warm && warm) { l1.miss = l2.miss = 0; tokens = 0; warm = NULL; }
        access_(p);
        uint32_t s = 1u + *p, a = s; access_(L->cells + s); const uint8_t *q = p + 1, *last = q;
        while (q < end) {
            uint32_t t = (uint32_t)L->cells[s] + *q; t = t <= L->limit ? t : 0; access_(L->cells + t);
            uint32_t ck = (uint32_t)(L->cells[t] >> 32); if ((ck & PM) != s) break;
            s = t; q++; if ((int32_t)ck < 0) { a = t; last = q; }
        }
        access_(L->values + a); p = last;
    }
    *l1_per = (double)l1.miss / tokens; *l2_per = (double)l2.miss / tokens;
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: %s PROFILE.dat TEXT_FILE SAMPLE_FILE PASSES\n", argv[0]); return 2; }
    long n, tn, sn; const uint8_t *d = slurp(argv[1], &n); uint8_t *text = slurp(argv[2], &tn), *sample = slurp(argv[3], &sn);
    int passes = atoi(argv[4]); if (passes < 1 || passes > 256) passes = 9;
    if (getenv("HOT_N")) hot_n = atoi(getenv("HOT_N"));
    dat_t f = read_dat(d); read_keys(&f);
    uint32_t nodes = f.nodes; const uint64_t *dcells = f.cells; const int32_t *dvalues = f.values;
    heat_below = malloc(sizeof(double) * (nk + 1)); heat_below[0] = 0;
    for (int i = 0; i < nk; i++) heat_below[i + 1] = heat_below[i] + 1.0 / (keys[i].id - 260 + 10);
    heap = malloc(sizeof(group_t) * ((size_t)nk + 300));

    layout_t file = { "file", (uint64_t *)dcells, (int32_t *)dvalues, nodes - 1, { 0 }, 0 };
    int32_t *ref = malloc(tn * 4 + 64), *out = malloc(tn * 4 + 64);
    int64_t total = walk(&file, text, text + tn, ref);

    layout_t L[5];
    for (int o = DFS; o <= SPLIT; o++) {
        if (o == SAMPLE) {   /* visit counts of the DFS layout's cells over the sample */
            build(DFS);
            int *b = malloc(sizeof(int) * A.cap); memcpy(b, A.b, sizeof(int) * A.cap); dfs_b = b;
            double *v = calloc(A.cap, sizeof(double)); visits = v;
            for (const uint8_t *p = sample, *end = sample + sn; p < end;) {
                uint32_t s = 1u + *p; v[s]++; const uint8_t *q = p + 1, *last = q;
                while (q < end) { uint32_t t = (uint32_t)A.b[s] + *q; if (t >= (uint32_t)A.cap) break; v[t]++; if (A.c[t] != (int)s) break; s = t; q++; if (A.v[t] >= 0) last = q; }
                p = last;
            }
        }
        int count = build(o); L[o].name = order_names[o]; pack(&L[o], count);
        if (walk(&L[o], text, text + tn, out) != total || memcmp(out, ref, total * 4)) { printf("%s: ids differ\n", L[o].name); return 1; }
        double m1, m2; simulate(&L[o], text, text + tn, &m1, &m2);
        printf("%-7s cells %8d  L1 misses/token %.2f  L2 misses/token %.3f\n", L[o].name, count, m1, m2);
    }
    /* leaf ids in the library's layout (the file's cells) */
    layout_t leaf = file; leaf.name = "leaf";
    leaf.cells = malloc((size_t)nodes * 8); memcpy(leaf.cells, dcells, (size_t)nodes * 8);
    uint8_t *has_child = calloc(nodes, 1);
    for (uint32_t i = 1; i < nodes; i++) { uint32_t p = (uint32_t)(dcells[i] >> 32) & PM; if (p < nodes) has_child[p] = 1; }
    for (uint32_t i = 257; i < nodes; i++)
        if ((int32_t)(dcells[i] >> 32) < 0 && !has_child[i]) leaf.cells[i] = (dcells[i] & ~0xffffffffull) | (0x80000000u | (uint32_t)dvalues[i]);
    if (walk_leaf(&leaf, text, text + tn, out) != total || memcmp(out, ref, total * 4)) { printf("leaf: ids differ\n"); return 1; }
    if (walk_memo(&file, text, text + tn, out) != total || memcmp(out, ref, total * 4)) { printf("memo: ids differ\n"); return 1; }

    double tf[256], tl[256], tm[256];
    for (int r = 0; r < passes; r++) {
        for (int i = 0; i < 5; i++) {
            layout_t *x = &L[r & 1 ? 4 - i : i];
            walk(x, text, text + tn, out); double t = now(); walk(x, text, text + tn, out); x->t[r] = now() - t;
        }
        double t = now(); walk(&file, text, text + tn, out); tf[r] = now() - t;
        t = now(); walk_leaf(&leaf, text, text + tn, out); tl[r] = now() - t;
        t = now(); walk_memo(&file, text, text + tn, out); tm[r] = now() - t;
    }
    printf("%s, %lld tokens, median of %d passes, M tokens/s:", argv[1], (long long)total, passes);
    for (int i = 0; i < 5; i++) { qsort(L[i].t, passes, sizeof(double), dcmp); printf(" %s %.1f;", L[i].name, total / L[i].t[passes / 2] / 1e6); }
    qsort(tf, passes, sizeof(double), dcmp); qsort(tl, passes, sizeof(double), dcmp); qsort(tm, passes, sizeof(double), dcmp);
    printf(" the file's layout: plain %.1f, leaf %.1f, memo %.1f\n", total / tf[passes / 2] / 1e6, total / tl[passes / 2] / 1e6, total / tm[passes / 2] / 1e6);
    return 0;
}
