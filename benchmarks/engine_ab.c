/* One library's longest-match speed on one profile and text, for A/B runs of single changes
 * (benchmarks/engine_ab.sh): thread CPU time, best of N passes, so other jobs on a shared machine
 * disturb it less than wall time. Usage: engine_ab PROFILE.dat TEXT_FILE PASSES */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
#include "crayon.h"
static double now(void){ struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t); return t.tv_sec+t.tv_nsec*1e-9; }
int main(int argc, char **argv) {
    crayon_vocab *v = NULL;
    if (crayon_load_dat(argv[1], &v) != 0) { fprintf(stderr, "%s\n", crayon_last_error()); return 1; }
    FILE *f = fopen(argv[2], "rb"); fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
    char *buf = malloc(n); fread(buf, 1, n, f); fclose(f);
    int32_t *ids = malloc(n * 4);
    int reps = atoi(argv[3]); int64_t k = 0; double best = 1e9;
    for (int r = 0; r < reps; r++) { double t = now(); k = crayon_tokenize(v, buf, n, ids, n); t = now() - t; if (t < best) best = t; }
    printf("%.1f Mtok/s %.0f MB/s\n", k / best / 1e6, n / best / 1e6);
    crayon_free(v); return 0;
}
