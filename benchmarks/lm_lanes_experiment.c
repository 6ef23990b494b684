/* An experiment behind README's longest-match section, not part of the library: does interleaving
 * independent walks in one thread hide the trie walk's latency when the code generator keeps every
 * lane in registers (C, gcc), where the C# attempts spilled them? Greedy longest match over a
 * format-3 .dat (docs/dat-format.md), the text cut into K documents: the plain loop (as
 * LongestMatch.Scan, without the first-use check), K lanes stepped one byte each per round with
 * selects instead of branches, and 2 lanes stepped together until both tokens end. Every variant's
 * ids are compared with the plain loop's. Thread CPU time, best of PASSES.
 *
 *   gcc -O2 -march=x86-64-v3 -o /tmp/lm_lanes benchmarks/lm_lanes_experiment.c
 *   /tmp/lm_lanes build/profiles/lite.dat TEXT_FILE PASSES      (-DK=2 or -DK=8 for other lane counts)
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

/* K lanes, each advancing by one whole token per round (branchy inside, lanes interleaved per token). */
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

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s PROFILE.dat TEXT_FILE PASSES\n", argv[0]); return 2; }
    int fd = open(argv[1], O_RDONLY); struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) { perror(argv[1]); return 1; }
    const uint8_t *d = mmap(0, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    uint32_t nodes = *(uint32_t *)(d + 36), table = *(uint32_t *)(d + 44);
    cells = (const uint64_t *)(d + *(uint64_t *)(d + table + 2 * 24 + 8));
    values = (const int32_t *)(d + *(uint64_t *)(d + table + 3 * 24 + 8));
    limit = nodes - 1;
    FILE *f = fopen(argv[2], "rb"); if (!f) { perror(argv[2]); return 1; } fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
    uint8_t *text = malloc(n); if (fread(text, 1, n, f) != (size_t)n) return 1; fclose(f);
    int32_t *ref = malloc(n * 4 + 64), *out = malloc(n * 4 + 64);
    int reps = atoi(argv[3]);
    /* K documents: the text cut into K equal parts; reference = plain over each part */
    const uint8_t *ps[K], *es[K]; int64_t refn[K], total = 0; int32_t *refo[K];
    for (int k = 0; k < K; k++) { ps[k] = text + n * k / K; es[k] = text + n * (k + 1) / K; }
    for (int k = 0; k < K; k++) { refo[k] = ref + total; refn[k] = plain(ps[k], es[k], refo[k]); total += refn[k]; }
    double bp = 1e9, bb = 1e9, bt = 1e9;
    for (int r = 0; r < reps; r++) {
        double t = now(); int64_t m = 0; for (int k = 0; k < K; k++) m += plain(ps[k], es[k], out + m); t = now() - t; if (t < bp) bp = t;
        if (m != total || memcmp(out, ref, total * 4)) { printf("plain differs\n"); return 1; }
        lane_t L[K]; int64_t at = 0;
        for (int k = 0; k < K; k++) { L[k].q = ps[k]; L[k].last = ps[k]; L[k].end = es[k]; L[k].o = out + at; at += refn[k]; L[k].done = 0;
            /* start state: restart at last */ uint32_t rs = 1u + *ps[k]; L[k].s = rs; L[k].accept = rs; L[k].cell = cells[rs]; L[k].q = ps[k] + 1; L[k].last = ps[k] + 1; }
        memset(out, 0xff, total * 4);
        t = now(); lanes_branchless(L); t = now() - t; if (t < bb) bb = t;
        if (memcmp(out, ref, total * 4)) { printf("branchless differs\n"); return 1; }
        const uint8_t *P[2] = { ps[0], ps[1] }, *E[2] = { es[0], es[1] }; int32_t *O[2] = { out, out + refn[0] };
        t = now(); lanes_token(P, E, O); for (int k = 2; k < K; k++) plain(ps[k], es[k], out + (refo[k] - ref)); t = now() - t; if (t < bt) bt = t;
        if (memcmp(out, ref, total * 4)) { printf("token lanes differ\n"); return 1; }
    }
    printf("%s: %lld tokens; plain %.1f M tok/s; %d lanes branchless %.1f; 2 lanes per token %.1f\n", argv[1], (long long)total,
           total / bp / 1e6, K, total / bb / 1e6, total / bt / 1e6);
    return 0;
}
