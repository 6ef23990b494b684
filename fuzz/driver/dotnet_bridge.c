/*
 * dotnet_bridge.c — runs a SharpFuzz-instrumented .NET harness under libFuzzer.
 *
 * libFuzzer lives in this small C process; the engine runs in a child .NET process started once
 * (persistent mode), so an execution costs two pipe messages instead of a process start. The
 * protocol is the one SharpFuzz's Fuzzer.LibFuzzer.Run speaks on Linux:
 *   - one System V shared-memory block: a 64 KiB coverage map (SharpFuzz's instrumentation bumps
 *     map[prev ^ cur] at every branch of the instrumented assembly), then the input bytes;
 *   - the child finds the block and two inherited pipe descriptors in __LIBFUZZER_SHM_ID,
 *     __LIBFUZZER_CONTROL_PIPE_ID (it reads an int32 input length there) and
 *     __LIBFUZZER_STATUS_PIPE_ID (it writes an int32 status: 0 = ok, else an exception escaped,
 *     after printing it to stderr). It writes one status before the first input.
 * The coverage map is copied into libFuzzer's extra counters after each run, so the .NET edges
 * count as features ("ft:" in libFuzzer's output). A non-zero status, or the child dying, aborts
 * this process, and libFuzzer saves the input as a crash artifact; a hang trips libFuzzer's own
 * -timeout. The child gets SIGKILL when this process ends (PR_SET_PDEATHSIG).
 *
 * Usage: dotnet_bridge [libFuzzer flags] [corpus dirs] --dotnet=PATH --assembly=DLL --target=NAME
 * (libFuzzer ignores flags that start with "--").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <unistd.h>

#define MAP_SIZE (1u << 16)         /* SharpFuzz's coverage map size */
#define DATA_SIZE (1u << 20)        /* the most input bytes one run can carry */

__attribute__((section("__libfuzzer_extra_counters"))) uint8_t dotnet_edges[MAP_SIZE];

static uint8_t *shared;
static int shm_id = -1, control_fd = -1, status_fd = -1;

static void die(const char *what)
{
    fprintf(stderr, "dotnet_bridge: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
    exit(1);
}

static void remove_shm(void)
{
    if (shm_id >= 0) shmctl(shm_id, IPC_RMID, NULL);
}

static const char *flag(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') return argv[i] + n + 1;
    return NULL;
}

static int read_full(int fd, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r; n -= (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r; n -= (size_t)r;
    }
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dotnet = flag(*argc, *argv, "--dotnet");
    const char *assembly = flag(*argc, *argv, "--assembly");
    const char *target = flag(*argc, *argv, "--target");
    if (!dotnet || !assembly || !target) die("usage: --dotnet=PATH --assembly=DLL --target=NAME are required");

    shm_id = shmget(IPC_PRIVATE, MAP_SIZE + DATA_SIZE, IPC_CREAT | IPC_EXCL | 0600);
    if (shm_id < 0) die("shmget");
    atexit(remove_shm);
    shared = shmat(shm_id, NULL, 0);
    if (shared == (void *)-1) die("shmat");

    int control[2], status[2];
    if (pipe2(control, O_CLOEXEC) != 0 || pipe2(status, O_CLOEXEC) != 0) die("pipe2");

    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* The child keeps its two ends across exec; the parent's ends stay close-on-exec. */
        fcntl(control[0], F_SETFD, 0);
        fcntl(status[1], F_SETFD, 0);
        char value[32];
        snprintf(value, sizeof value, "%d", shm_id);    setenv("__LIBFUZZER_SHM_ID", value, 1);
        snprintf(value, sizeof value, "%d", control[0]); setenv("__LIBFUZZER_CONTROL_PIPE_ID", value, 1);
        snprintf(value, sizeof value, "%d", status[1]);  setenv("__LIBFUZZER_STATUS_PIPE_ID", value, 1);
        execl(dotnet, dotnet, assembly, target, (char *)NULL);
        fprintf(stderr, "dotnet_bridge: cannot run %s: %s\n", dotnet, strerror(errno));
        _exit(127);
    }
    close(control[0]);
    close(status[1]);
    control_fd = control[1];
    status_fd = status[0];
    signal(SIGPIPE, SIG_IGN);   /* a dead child shows up as a failed read/write instead */

    int32_t ready;
    if (read_full(status_fd, &ready, sizeof ready) != 0) die("the .NET harness did not start (see its stderr above)");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > DATA_SIZE) size = DATA_SIZE;   /* -max_len keeps runs far below this */
    memset(shared, 0, MAP_SIZE);
    if (size) memcpy(shared + MAP_SIZE, data, size);
    int32_t length = (int32_t)size, status;
    if (write_full(control_fd, &length, sizeof length) != 0 || read_full(status_fd, &status, sizeof status) != 0) {
        fprintf(stderr, "dotnet_bridge: the .NET harness died on this input\n");
        abort();
    }
    if (status != 0) {
        fprintf(stderr, "dotnet_bridge: the .NET harness reported a failure (status %d) on this input\n", status);
        abort();
    }
    memcpy(dotnet_edges, shared, MAP_SIZE);
    return 0;
}
