/*
 * tests/integration/clockshift.c: an LD_PRELOAD library that lets a test
 * step a program's wall clock. clock_gettime(CLOCK_REALTIME) returns the
 * real time plus the milliseconds written in the file named by
 * TR_CLOCK_SHIFT_FILE, read at every call (missing or empty: no shift); the
 * other clocks are untouched. Native builds only (under qemu-user the
 * preload would land in the emulator).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int clock_gettime(clockid_t id, struct timespec *ts);

int clock_gettime(clockid_t id, struct timespec *ts)
{
    int (*real)(clockid_t, struct timespec *) =
        (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    const char *path = getenv("TR_CLOCK_SHIFT_FILE");
    long long shift = 0;
    FILE *f;
    int rc;

    if (!real)
        return -1;
    rc = real(id, ts);
    if (rc != 0 || id != CLOCK_REALTIME || !path || !(f = fopen(path, "r")))
        return rc;
    if (fscanf(f, "%lld", &shift) != 1)
        shift = 0;
    fclose(f);
    long long ns = (long long)ts->tv_nsec + (shift % 1000) * 1000000LL;
    ts->tv_sec += (time_t)(shift / 1000 + (ns >= 1000000000LL) - (ns < 0));
    ts->tv_nsec = (long)((ns % 1000000000LL + 1000000000LL) % 1000000000LL);
    return 0;
}
