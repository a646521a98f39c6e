/*
 * bench/bench_daemon.h: run truckrolld for a benchmark and read its
 * counters (library tr_benchkit).
 *
 * truckrolld reports its counters as log lines every stats.interval_s
 * ("counters: received N accepted N ... loc N fixes N ..." and "counters:
 * jobs created N ... positions stored N") and once more at a clean stop
 * ("final counters: ..."). This module starts the daemon with posix_spawn,
 * its stdout and stderr going to a log file, reads the log incrementally
 * (it can grow by megabytes a second while agents come online) and keeps the
 * last value of each counter it knows. It stops the daemon by its PID.
 *
 * It does not parse anything else in the log but the "serving" line and
 * the last error; it does not restart the daemon.
 */
#ifndef TR_BENCH_DAEMON_H
#define TR_BENCH_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

enum bench_counter {
    BC_RECEIVED,
    BC_ACCEPTED,
    BC_REJECTED,
    BC_PRESENCE,
    BC_LOC,
    BC_FIXES,
    BC_DUPLICATES,
    BC_REQUESTS,
    BC_CREATED,
    BC_ASSIGNED,
    BC_UNASSIGNED,
    BC_TRANSITIONS,
    BC_COMMIT_FAILURES,
    BC_PUBLISHED,
    BC_STORED, /* positions stored */
    BC_N
};

struct bench_daemon {
    pid_t pid;
    int status; /* exit status once reaped */
    char log_path[512];
    FILE *log;
    long long lines;
    bool serving;
    unsigned long c[BC_N];
    long long counter_lines;
    char last_error[300];
    char *pending; /* an incomplete last line */
    size_t n_pending;
};

/* The daemon benchmarks' command lines: every option is "--name VALUE";
 * a table says where each value goes. BENCH_OPT_STRV appends to an array
 * (dst) of at most `max` strings, counting in *n. */
enum bench_opt_kind {
    BENCH_OPT_STR,  /* const char * */
    BENCH_OPT_U64,  /* uint64_t */
    BENCH_OPT_U32,  /* uint32_t */
    BENCH_OPT_UINT, /* unsigned */
    BENCH_OPT_SIZE, /* size_t */
    BENCH_OPT_INT,  /* int */
    BENCH_OPT_BOOL, /* bool, from a number: 0 false, else true */
    BENCH_OPT_STRV  /* const char *[max], count in *n */
};
struct bench_opt {
    const char *name; /* with the leading "--" */
    enum bench_opt_kind kind;
    void *dst;
    unsigned *n;
    unsigned max;
};
/* 0 when every argument matched the table, -1 on an unknown option, a
 * missing value or a full STRV array (the caller prints its usage). */
int bench_opts_parse(int argc, char **argv, const struct bench_opt *t, size_t n_opts);

/* Spawn exe with argv (argv[0] included, NULL-terminated), output to
 * log_path. 0 on success. */
int bench_daemon_start(struct bench_daemon *d, const char *exe, char *const argv[],
                       const char *log_path);
/* Read what the log gained. Returns 0, or -1 when the process is gone. */
int bench_daemon_poll(struct bench_daemon *d);
/* Poll every 20 ms until d->serving, the process dies, or timeout. 0 when
 * serving. */
int bench_daemon_wait_serving(struct bench_daemon *d, int timeout_ms);
/* Poll until counter k >= v in a counters line, the process dies, or
 * timeout. 0 when reached. */
int bench_daemon_wait_counter(struct bench_daemon *d, enum bench_counter k, unsigned long v,
                              int timeout_ms);
/* SIGTERM, wait up to timeout_ms (then SIGKILL), read the final counters.
 * Safe twice. */
void bench_daemon_stop(struct bench_daemon *d, int timeout_ms);
const char *bench_counter_name(enum bench_counter k);

#endif
