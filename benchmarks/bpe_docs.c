/* Times one crayon_bpe_encode_ordinary call per document from C, the way a native caller pays for
 * it: no interpreter between the calls. bpe_kinds_bench.py --driver c runs it (and checks the ids in
 * Python first); by hand:
 *
 *     cc -O2 -Iinclude benchmarks/bpe_docs.c -ldl -o bpe_docs
 *     ./bpe_docs build/native/libcrayon.so cl100k_base.tiktoken pattern.txt docs.bin 8
 *
 * docs.bin: each document as a little-endian u32 length, then its bytes. Prints one line:
 * "<documents> <bytes> <tokens> <seconds>", seconds = the best pass by this thread's CPU time.
 * The library is opened with dlopen, so an A/B can time any build without relinking. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../include/crayon.h"

typedef int (*load_fn)(const char *, const char *, const char *const *, const int32_t *, size_t, crayon_bpe **);
typedef int64_t (*encode_fn)(const crayon_bpe *, const char *, size_t, int32_t *, size_t);
typedef const char *(*error_fn)(void);

static double thread_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
            if (fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
            else { buf[n] = 0; *len = (size_t)n; }
        }
    }
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s LIBCRAYON RANKS.tiktoken PATTERN_FILE DOCS.bin PASSES\n", argv[0]);
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    load_fn load = (load_fn)dlsym(lib, "crayon_bpe_load");
    encode_fn encode = (encode_fn)dlsym(lib, "crayon_bpe_encode_ordinary");
    void (*free_bpe)(crayon_bpe *) = (void (*)(crayon_bpe *))dlsym(lib, "crayon_bpe_free");
    error_fn last_error = (error_fn)dlsym(lib, "crayon_last_error");
    if (!load || !encode || !free_bpe || !last_error) { fprintf(stderr, "%s: missing exports\n", argv[1]); return 1; }

    size_t pattern_len, docs_len;
    char *pattern = read_file(argv[3], &pattern_len);
    char *docs = read_file(argv[4], &docs_len);
    if (!pattern || !docs) { fprintf(stderr, "cannot read %s or %s\n", argv[3], argv[4]); return 1; }
    crayon_bpe *bpe = NULL;
    if (load(argv[2], pattern, NULL, NULL, 0, &bpe) != 0) { fprintf(stderr, "%s\n", last_error()); return 1; }

    /* The documents are pointers into the file's bytes: nothing is copied between calls. */
    size_t count = 0, room = 1024, total = 0, longest = 0;
    const char **text = malloc(room * sizeof *text);
    uint32_t *length = malloc(room * sizeof *length);
    if (!text || !length) { fprintf(stderr, "out of memory\n"); return 1; }
    for (size_t at = 0; at + 4 <= docs_len;) {
        uint32_t n;
        memcpy(&n, docs + at, 4);
        at += 4;
        if (n > docs_len - at) { fprintf(stderr, "%s: a document runs past the end\n", argv[4]); return 1; }
        if (count == room) {
            room *= 2;
            const char **more_text = realloc(text, room * sizeof *text);
            uint32_t *more_length = realloc(length, room * sizeof *length);
            if (!more_text || !more_length) { fprintf(stderr, "out of memory\n"); return 1; }
            text = more_text;
            length = more_length;
        }
        text[count] = docs + at;
        length[count++] = n;
        at += n;
        total += n;
        if (n > longest) longest = n;
    }
    size_t cap = longest + 16;
    int32_t *out = malloc(cap * sizeof *out);
    int passes = atoi(argv[5]);
    if (!out || passes < 1) { fprintf(stderr, "out of memory, or PASSES < 1\n"); return 1; }
    double best = 1e300;
    int64_t tokens = 0;
    for (int p = 0; p < passes; p++) {
        int64_t sum = 0;
        double t = thread_seconds();
        for (size_t i = 0; i < count; i++) {
            int64_t n = encode(bpe, text[i], length[i], out, cap);
            if (n < 0) { fprintf(stderr, "document %zu: %s\n", i, last_error()); return 1; }
            sum += n;
        }
        t = thread_seconds() - t;
        if (t < best) best = t;
        tokens = sum;
    }
    printf("%zu %zu %lld %.9f\n", count, total, (long long)tokens, best);
    free_bpe(bpe);
    free(out);
    free(text);
    free(length);
    free(docs);
    free(pattern);
    return 0;
}
