/* Experiment behind README's longest-match section, not part of the library: would a small trie of the
 * most used tokens in front of the full one make a 250k profile's walk as fast as `lite`'s? The hot
 * trie holds every prefix of the HOT_N (default 32768) most used learned tokens (lists are ordered by
 * use), with the full vocabulary's verdict at each of its nodes (a node whose bytes are a token, hot
 * or not, ends that token), in 4-byte cells checked by label (bits 0..8: 0x100 | label; bit 9: a
 * token ends here; bit 10: complete, i.e. the full trie has no child here that the hot trie lacks;
 * bits 11..31: base), and per node a 64-bit mask of the bytes (mod 64) the full trie has children for
 * (NOMASK=1 fills it with ones). A walk stays in the hot trie while it can; where the next byte has
 * no hot child, the node is not complete and the mask does not rule the byte out, it goes on in the
 * file's own cells from the same node. Every id is
 * compared with the plain walk over the file's cells; both walks are timed alternately (thread CPU
 * time, PASSES rounds, median) and run under the cache model.
 *
 *   gcc -O2 -o /tmp/lm_hot benchmarks/lm_hot_experiments.c
 *   [HOT_N=32768] /tmp/lm_hot build/profiles/code.dat TEXT_FILE PASSES
 */
#include "lm_trie_common.h"

static uint32_t *hc; static int32_t *hid; static uint32_t *hfull; static uint64_t *hmask; static uint32_t hlim;
static const uint64_t *fc; static const int32_t *fv; static uint32_t flim;

__attribute__((noinline)) static int64_t walk_hot(const uint8_t *p, const uint8_t *end, int32_t *o0) {
    int32_t *o = o0; const uint32_t *cells = hc; uint32_t limit = hlim;
    while (p < end) {
        uint32_t s = 1u + *p, a = s; uint32_t cell = cells[s]; const uint8_t *q = p + 1, *last = q;
        int32_t id;
        for (;;) {
            if (q >= end) { id = hid[a]; break; }
            uint32_t c = *q, t = (cell >> 11) + c; uint32_t nx = cells[t <= limit ? t : 0];
            if ((nx & 0x1ff) == (0x100 | c)) {
                cell = nx; s = t; q++;
                if (nx & 0x200) { a = t; last = q; }
                continue;
            }
            if ((cell & 0x400) || !(hmask[s] >> (c & 63) & 1)) { id = hid[a]; break; }   /* the full trie has no such child either */
            /* on in the file's cells from the same node; an accept there replaces the hot one */
            uint32_t fs = hfull[s], fa = 0; uint64_t fcell = fc[fs];
            while (q < end) {
                uint32_t ft = (uint32_t)fcell + *q; uint64_t fnx = fc[ft <= flim ? ft : 0]; uint32_t ck = (uint32_t)(fnx >> 32);
                if ((ck & PM) != fs) break;
                fs = ft; fcell = fnx; q++;
                if ((int32_t)ck < 0) { fa = ft; last = q; }
            }
            id = fa ? fv[fa] : hid[a];
            break;
        }
        *o++ = id; p = last;
    }
    return o - o0;
}

static void sim_hot(const uint8_t *p, const uint8_t *end, double *m1, double *m2, double *handed) {
    sim_reset(); const uint8_t *warm = p + (end - p) / 4; long tokens = 0, hand = 0;
    for (; p < end; tokens++) {
        if (warm && p >= warm) { l1.miss = l2.miss = 0; tokens = hand = 0; warm = NULL; }
        access_(p); uint32_t s = 1u + *p, a = s; access_(hc + s); uint32_t cell = hc[s]; const uint8_t *q = p + 1, *last = q;
        int full = 0; uint32_t fa = 0;
        while (q < end) {
            uint32_t c = *q, t = (cell >> 11) + c; t = t <= hlim ? t : 0; access_(hc + t);
            if ((hc[t] & 0x1ff) == (0x100 | c)) { cell = hc[t]; s = t; q++; if (cell & 0x200) { a = t; last = q; } continue; }
            access_(hmask + s);
            if ((cell & 0x400) || !(hmask[s] >> (c & 63) & 1)) break;
            full = 1; hand++; uint32_t fs = hfull[s]; access_(hfull + s); access_(fc + fs);
            while (q < end) { uint32_t ft = (uint32_t)fc[fs] + *q; ft = ft <= flim ? ft : 0; access_(fc + ft);
                uint32_t ck = (uint32_t)(fc[ft] >> 32); if ((ck & PM) != fs) break; fs = ft; q++; if ((int32_t)ck < 0) { fa = ft; last = q; } }
            break;
        }
        if (full && fa) access_(fv + fa); else access_(hid + a);
        p = last;
    }
    *m1 = (double)l1.miss / tokens; *m2 = (double)l2.miss / tokens; *handed = (double)hand / tokens;
}

static int is_prefix(const token_key *a, const token_key *b) { return a->len <= b->len && memcmp(a->k, b->k, a->len) == 0; }

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s PROFILE.dat TEXT_FILE PASSES\n", argv[0]); return 2; }
    long n, tn; const uint8_t *d = slurp(argv[1], &n); uint8_t *text = slurp(argv[2], &tn);
    int passes = atoi(argv[3]); if (passes < 1 || passes > 256) passes = 9;
    int hot_n = getenv("HOT_N") ? atoi(getenv("HOT_N")) : 32768;
    dat_t f = read_dat(d); read_keys(&f);
    fc = f.cells; fv = f.values; flim = f.nodes - 1;

    /* keys that are a prefix of a hot key (the hot keys included); keys are sorted, so a key's
     * extensions follow it: mark the hot ones, then every key that prefixes a marked one */
    uint8_t *keep = calloc(nk, 1);
    for (int i = 0; i < nk; i++) if (keys[i].id - 260 < hot_n) keep[i] = 1;
    for (int i = nk - 1; i >= 0; i--) {
        if (!keep[i]) continue;
        /* the proper prefixes of keys[i] that are keys lie before it */
        for (int len = keys[i].len - 1; len >= 2; len--) {
            token_key probe = { keys[i].k, len, 0 };
            int lo = 0, hi = i;
            while (lo < hi) { int mid = (lo + hi) / 2; if (kcmp(&keys[mid], &probe) < 0) lo = mid + 1; else hi = mid; }
            if (lo < i && keys[lo].len == len && is_prefix(&keys[lo], &keys[i])) keep[lo] = 1;
        }
    }
    int hn = 0; token_key *hk = malloc(sizeof(token_key) * nk);
    for (int i = 0; i < nk; i++) if (keep[i]) hk[hn++] = keys[i];
    int count = build_unique(hk, hn, 21, 0);

    /* pack: label, end bit, complete bit, base; the node's cell in the file (walk its bytes there) */
    hc = aligned_alloc(64, ((size_t)count * 4 + 63) / 64 * 64); hid = aligned_alloc(64, ((size_t)count * 4 + 63) / 64 * 64);
    hfull = aligned_alloc(64, ((size_t)count * 4 + 63) / 64 * 64); hmask = calloc(count, 8);
    uint32_t *depth_path_cell = calloc(count, 4);   /* file cell of each hot node */
    for (int i = 1; i <= 256; i++) depth_path_cell[i] = i;
    /* parents come before children in index order? not always: resolve by walking up */
    for (int i = 257; i < count; i++) {
        if (A.c[i] < 0) continue;
        int chain[512], len = 0, x = i;
        while (x > 256) { chain[len++] = x; x = A.c[x]; }
        uint32_t fcell = (uint32_t)x;
        for (int k = len - 1; k >= 0; k--) { int y = chain[k]; int lab = y - A.b[A.c[y]]; fcell = (uint32_t)fc[fcell] + (uint32_t)lab; }
        depth_path_cell[i] = fcell;
    }
    long complete = 0, nodes_h = 0;
    for (int i = 0; i < count; i++) {
        uint32_t u = 0;
        if (i > 0 && A.c[i] >= 0) {
            nodes_h++;
            int lab = i - A.b[A.c[i]]; u = 0x100 | (uint32_t)lab;
            uint32_t fcell = depth_path_cell[i];
            if ((int32_t)(fc[fcell] >> 32) < 0 || i <= 256) u |= 0x200;
            /* complete: every child the file's node has is in the hot trie */
            int full_children = 0, hot_children = 0;
            for (int c = 0; c < 256; c++) {
                uint32_t t = (uint32_t)fc[fcell] + c; if (t <= flim && ((uint32_t)(fc[t] >> 32) & PM) == fcell) { full_children++; if (!getenv("NOMASK")) hmask[i] |= 1ull << (c & 63); else hmask[i] = ~0ull; }
                int h = A.b[i] + c; if (A.b[i] > 0 && h < A.cap && A.c[h] == i) hot_children++;
            }
            if (full_children == hot_children) { u |= 0x400; complete++; }
            hid[i] = (u & 0x200) ? fv[fcell] : -1; hfull[i] = fcell;
        } else { hid[i] = -1; hfull[i] = 0; }
        u |= (uint32_t)A.b[i] << 11;
        hc[i] = u;
    }
    hlim = count - 1;

    int32_t *ref = malloc(tn * 4 + 64), *out = malloc(tn * 4 + 64);
    int64_t total = walk8(fc, fv, flim, text, text + tn, ref), th = walk_hot(text, text + tn, out);
    if (th != total || memcmp(out, ref, total * 4)) { printf("hot: ids differ (%lld vs %lld tokens)\n", (long long)th, (long long)total); return 1; }
    double a1, a2, b1, b2, hand; sim8(fc, fv, flim, text, text + tn, &a1, &a2); sim_hot(text, text + tn, &b1, &b2, &hand);
    printf("%s: hot trie of %d keys (%d hot), %ld nodes (%.1f MB with ids), %ld complete; handed over %.3f per token\n",
           argv[1], hn, hot_n, nodes_h, count * 12 / 1e6, complete, hand);
    printf("  L1/L2 misses per token: file %.2f/%.3f, hot %.2f/%.3f\n", a1, a2, b1, b2);
    double tf[256], th2[256];
    for (int r = 0; r < passes; r++) {
        double t = now(); walk8(fc, fv, flim, text, text + tn, out); tf[r] = now() - t;
        t = now(); walk_hot(text, text + tn, out); th2[r] = now() - t;
    }
    qsort(tf, passes, sizeof(double), dcmp); qsort(th2, passes, sizeof(double), dcmp);
    printf("  M tokens/s: file %.1f, hot %.1f (%.2fx), %lld tokens\n", total / tf[passes / 2] / 1e6, total / th2[passes / 2] / 1e6, tf[passes / 2] / th2[passes / 2], (long long)total);
    return 0;
}
