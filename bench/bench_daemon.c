/*
 * bench/bench_daemon.c: truckrolld as a child process and its counter lines
 * (see bench_daemon.h). The counter names are the words truckrolld's
 * tr_app_log_stats prints before each number.
 */
#include "bench/bench_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *const keys[BC_N] = {
    [BC_RECEIVED] = "received",
    [BC_ACCEPTED] = "accepted",
    [BC_REJECTED] = "rejected",
    [BC_PRESENCE] = "presence",
    [BC_LOC] = "loc",
    [BC_FIXES] = "fixes",
    [BC_DUPLICATES] = "duplicates",
    [BC_REQUESTS] = "requests",
    [BC_CREATED] = "created",
    [BC_ASSIGNED] = "assigned",
    [BC_UNASSIGNED] = "unassigned",
    [BC_TRANSITIONS] = "transitions",
    [BC_COMMIT_FAILURES] = "commit_failures",
    [BC_PUBLISHED] = "published",
    [BC_STORED] = "stored",
};

const char *bench_counter_name(enum bench_counter k)
{
    return (unsigned)k < BC_N ? keys[k] : "?";
}

static void sleep_ms(int ms)
{
    struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

int bench_daemon_start(struct bench_daemon *d, const char *exe, char *const argv[],
                       const char *log_path)
{
    posix_spawn_file_actions_t fa;
    int rc;
    memset(d, 0, sizeof *d);
    snprintf(d->log_path, sizeof d->log_path, "%s", log_path);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    rc = posix_spawn(&d->pid, exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(stderr, "bench_daemon: cannot start %s: %s\n", exe, strerror(rc));
        d->pid = 0;
        return -1;
    }
    for (int i = 0; i < 100 && !d->log; i++) {
        d->log = fopen(log_path, "r");
        if (!d->log)
            sleep_ms(10);
    }
    return d->log ? 0 : -1;
}

static void parse_line(struct bench_daemon *d, const char *line)
{
    d->lines++;
    if (strstr(line, " serving ("))
        d->serving = true;
    if (strstr(line, "Z error ") || strstr(line, "Z warn "))
        snprintf(d->last_error, sizeof d->last_error, "%s", line);
    if (!strstr(line, "counters: "))
        return;
    d->counter_lines++;
    for (int k = 0; k < BC_N; k++) {
        char pat[40];
        snprintf(pat, sizeof pat, " %s ", keys[k]);
        const char *p = strstr(line, pat);
        if (p)
            d->c[k] = strtoul(p + strlen(pat), NULL, 10);
    }
}

static int alive(struct bench_daemon *d)
{
    if (d->pid <= 0)
        return 0;
    pid_t r = waitpid(d->pid, &d->status, WNOHANG);
    if (r == d->pid) {
        d->pid = 0;
        return 0;
    }
    return 1;
}

int bench_daemon_poll(struct bench_daemon *d)
{
    char buf[1 << 16];
    if (!d->log)
        return -1;
    for (;;) {
        size_t r = fread(buf, 1, sizeof buf, d->log);
        if (r == 0)
            break;
        size_t start = 0;
        for (size_t i = 0; i < r; i++) {
            if (buf[i] != '\n')
                continue;
            size_t len = i - start;
            if (d->n_pending) {
                char *l = realloc(d->pending, d->n_pending + len + 1);
                if (l) {
                    memcpy(l + d->n_pending, buf + start, len);
                    l[d->n_pending + len] = '\0';
                    parse_line(d, l);
                    d->pending = l;
                }
                d->n_pending = 0;
            } else {
                buf[i] = '\0';
                parse_line(d, buf + start);
            }
            start = i + 1;
        }
        if (start < r) { /* keep the incomplete tail */
            char *l = realloc(d->pending, d->n_pending + (r - start) + 1);
            if (l) {
                memcpy(l + d->n_pending, buf + start, r - start);
                d->pending = l;
                d->n_pending += r - start;
            }
        }
    }
    clearerr(d->log);
    return alive(d) ? 0 : -1;
}

int bench_daemon_wait_serving(struct bench_daemon *d, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        int up = bench_daemon_poll(d);
        if (d->serving)
            return 0;
        if (up != 0)
            return -1;
        sleep_ms(20);
    }
    return -1;
}

int bench_daemon_wait_counter(struct bench_daemon *d, enum bench_counter k, unsigned long v,
                              int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        int up = bench_daemon_poll(d);
        if (d->c[k] >= v)
            return 0;
        if (up != 0)
            return -1;
        sleep_ms(20);
    }
    return -1;
}

void bench_daemon_stop(struct bench_daemon *d, int timeout_ms)
{
    if (d->pid > 0) {
        kill(d->pid, SIGTERM);
        for (int waited = 0; waited < timeout_ms && alive(d); waited += 20)
            sleep_ms(20);
        if (d->pid > 0) {
            fprintf(stderr, "bench_daemon: truckrolld did not stop in %d ms: SIGKILL\n",
                    timeout_ms);
            kill(d->pid, SIGKILL);
            waitpid(d->pid, &d->status, 0);
            d->pid = 0;
        }
    }
    if (d->log) {
        bench_daemon_poll(d);
        fclose(d->log);
        d->log = NULL;
    }
    free(d->pending);
    d->pending = NULL;
    d->n_pending = 0;
}

static int opt_set(const struct bench_opt *o, const char *v)
{
    switch (o->kind) {
    case BENCH_OPT_STR:
        *(const char **)o->dst = v;
        return 0;
    case BENCH_OPT_U64:
        *(uint64_t *)o->dst = strtoull(v, NULL, 10);
        return 0;
    case BENCH_OPT_U32:
        *(uint32_t *)o->dst = (uint32_t)strtoul(v, NULL, 10);
        return 0;
    case BENCH_OPT_UINT:
        *(unsigned *)o->dst = (unsigned)atoi(v);
        return 0;
    case BENCH_OPT_SIZE:
        *(size_t *)o->dst = (size_t)atol(v);
        return 0;
    case BENCH_OPT_INT:
        *(int *)o->dst = atoi(v);
        return 0;
    case BENCH_OPT_BOOL:
        *(bool *)o->dst = atoi(v) != 0;
        return 0;
    case BENCH_OPT_STRV:
        if (*o->n >= o->max)
            return -1;
        ((const char **)o->dst)[(*o->n)++] = v;
        return 0;
    }
    return -1;
}

int bench_opts_parse(int argc, char **argv, const struct bench_opt *t, size_t n_opts)
{
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        size_t k = 0;
        while (k < n_opts && strcmp(a, t[k].name) != 0)
            k++;
        if (!v || k == n_opts || opt_set(&t[k], v) != 0)
            return -1;
    }
    return 0;
}
