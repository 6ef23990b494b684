/* libcrayon.so itself: picks the engine build for this CPU and forwards every crayon_* call to it.
 *
 * Why: NativeAOT compiles the engine for one instruction-set baseline. Above it, ILC 9 emits run-time
 * checks only for the non-VEX extensions (SSE4.2, POPCNT, LZCNT, AES, PCLMUL, MOVBE), never for AVX2
 * or AVX-512, whose paths in the runtime and libraries (Vector256/512, Utf8 validation, IndexOf,
 * SearchValues) are chosen at compile time; and a build whose baseline the CPU lacks refuses to
 * start. So the engine is built once per level, all from the same sources:
 *
 *   libcrayon-x86-64.so     SSE2 (the .NET minimum; SSE4.2/POPCNT/LZCNT checked at run time)
 *   libcrayon-x86-64-v3.so  AVX2, BMI1/2, FMA, LZCNT, MOVBE
 *   libcrayon-x86-64-v4.so  AVX-512 F/BW/CD/DQ/VL
 *
 * and this small library, the one programs link and load as libcrayon.so, opens the highest level the
 * CPU and the OS support (libgcc's __builtin_cpu_supports checks CPUID and the XSAVE-enabled state)
 * from its own folder when it is loaded. Each exported function is one indirect jump through a table
 * filled then (stubs.S): arguments and results pass through untouched whatever the signature, at the
 * cost of one predictable jump per call.
 *
 * CRAYON_ISA=x86-64 | x86-64-v3 | x86-64-v4 caps the level (the tests run the scalar fallback with
 * CRAYON_ISA=x86-64); a level the CPU lacks is never loaded, the best supported one below it is.
 * If no build loads, every function fails cleanly: CRAYON_FAILED, no backends, and
 * crayon_last_error() / crayon_version() say why.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HIDDEN __attribute__((visibility("hidden")))

#define X(i, name, fallback)   /* first pass: only CRAYON_DISPATCH_COUNT */
#include "exports.inc"
#undef X

/* The table the stubs jump through (stubs.S), filled once before any call can arrive. */
HIDDEN void *crayon_dispatch_slots[CRAYON_DISPATCH_COUNT];

static const char *const export_names[] = {
#define X(i, name, fallback) #name,
#include "exports.inc"
#undef X
};

static char load_error[768];
static int64_t fail_STATUS(void) { return -1; }   /* CRAYON_FAILED */
static uint64_t fail_ZERO(void) { return 0; }
static const char *fail_MESSAGE(void) { return load_error; }

static void *const fallbacks[] = {
#define X(i, name, fallback) (void *)fail_##fallback,
#include "exports.inc"
#undef X
};

/* Levels, highest first. */
static const char *const levels[] = { "x86-64-v4", "x86-64-v3", "x86-64" };
enum { LEVELS = sizeof levels / sizeof levels[0] };

static int cpu_supports(int level)
{
    __builtin_cpu_init();
    switch (level) {   /* __builtin_cpu_supports takes string literals only */
    case 0: return __builtin_cpu_supports("x86-64-v4") != 0;
    case 1: return __builtin_cpu_supports("x86-64-v3") != 0;
    default: return 1;
    }
}

/* The first level to try: the CRAYON_ISA cap if it names one, else the highest. */
static int first_level(void)
{
    const char *want = getenv("CRAYON_ISA");
    if (want != NULL)
        for (int i = 0; i < LEVELS; i++)
            if (strcmp(want, levels[i]) == 0) return i;
    return 0;   /* unset, "auto" or unknown: the managed side reports an unknown value */
}

/* dlopen()s folder/libcrayon-<level>.so and fills the table from it; 0 on success. */
static int load_level(const char *folder, int level, char *why, size_t why_cap)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/libcrayon-%s.so", folder, levels[level]) >= (int)sizeof path) {
        snprintf(why, why_cap, "path too long");
        return -1;
    }
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        snprintf(why, why_cap, "%s", dlerror());
        return -1;
    }
    void *found[CRAYON_DISPATCH_COUNT];
    for (int i = 0; i < CRAYON_DISPATCH_COUNT; i++) {
        found[i] = dlsym(lib, export_names[i]);
        if (found[i] == NULL) {
            snprintf(why, why_cap, "it does not export %s (a build of another version?)", export_names[i]);
            dlclose(lib);
            return -1;
        }
    }
    memcpy(crayon_dispatch_slots, found, sizeof found);
    return 0;   /* never dlclose()d: the engine lives as long as the process */
}

__attribute__((constructor)) static void crayon_dispatch_init(void)
{
    memcpy(crayon_dispatch_slots, fallbacks, sizeof fallbacks);
    Dl_info self;
    char folder[4096] = ".";
    if (dladdr((void *)crayon_dispatch_init, &self) != 0 && self.dli_fname != NULL) {
        snprintf(folder, sizeof folder, "%s", self.dli_fname);
        char *slash = strrchr(folder, '/');
        if (slash != NULL) *slash = '\0'; else snprintf(folder, sizeof folder, ".");
    }
    size_t used = (size_t)snprintf(load_error, sizeof load_error,
                                   "libcrayon.so could not load an engine build from %s:", folder);
    for (int level = first_level(); level < LEVELS; level++) {
        if (!cpu_supports(level)) continue;
        char why[512];
        if (load_level(folder, level, why, sizeof why) == 0) return;
        if (used < sizeof load_error)
            used += (size_t)snprintf(load_error + used, sizeof load_error - used, " [%s: %s]", levels[level], why);
    }
}
