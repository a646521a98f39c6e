/*
 * tests/fault/test_outbox_kill.c: the agent's outbox survives kill -9.
 *
 * A child process opens the outbox file and loops: put positions and commit
 * them, put events, take items and ack some, requeue. Around every durable
 * step it writes a line to a pipe: "begin" before, "done" after the call
 * returned OK. The parent SIGKILLs it at a random point (after a random
 * number of lines plus a random delay), 24 times, reopening the same file
 * between rounds and checking, from the lines it read:
 *   - everything reported done (and not acked) is present exactly once;
 *   - nothing whose ack was reported done comes back;
 *   - items whose step was cut by the kill are either there or not, whole;
 *   - events come first, events and positions each in insertion order;
 *   - PRAGMA integrity_check passes.
 * Each round the child is a new boot (new boot id, seq from 1), as after a
 * real restart, and keeps acking what earlier rounds left.
 *
 * Natively the parent forks the children itself. qemu-user (cross builds)
 * cannot fork here, so there outbox_kill_driver.py plays the parent: it runs
 * `test_outbox_kill child DB ROUND` under the emulator, kills it, and runs
 * `test_outbox_kill verify DB ROUND LINES STATE`, which checks the file
 * against the model kept in STATE between rounds.
 */
#include "fieldagent/store/outbox.h"
#include "tests/fault/outbox_model.h"
#include "tests/support/check.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS     24
#define MAX_EVENTS 2000  /* event numbers per round */
#define MAX_SEQ    20000 /* positions per round */
#define TOPIC      "truckroll/v1/agent/a1/event"

enum state { ABSENT = 0, MAYBE, PRESENT, MAYBE_GONE, GONE };

static unsigned char ev_state[ROUNDS][MAX_EVENTS];
static unsigned char fix_state[ROUNDS][MAX_SEQ];
static char path[128];
static struct tr_outbox_item item;

static uint64_t rng_state;
static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

/* --- the child --- */

static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int fd, const char *fmt, ...)
{
    char line[128];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* one write of < PIPE_BUF bytes: atomic */
    if (write(fd, line, (size_t)n) != n)
        _exit(3);
}

static void child(int round, int fd)
{
    struct tr_outbox_limits lim;
    struct tr_outbox *ob = NULL;
    char boot[TR_MSG_ID_SIZE], err[256];
    int64_t seq = 1, committed = 0;
    int ev = 0;

    om_boot_of(round, boot);
    tr_outbox_limits_default(&lim);
    lim.commit_every = TR_OUTBOX_MAX_BUFFER; /* commits only where this loop says */
    lim.batch_fixes = 20;
    if (tr_outbox_open(path, &lim, &ob, err, sizeof err)) {
        fprintf(stderr, "child: %s\n", err);
        _exit(2);
    }
    say(fd, "open\n");
    for (int op = 0; op < 50000 && seq < MAX_SEQ - 200 && ev < MAX_EVENTS; op++) {
        unsigned r = rnd(100);
        if (r < 50) { /* a few positions, then commit them */
            int k = 1 + (int)rnd(12);
            for (int i = 0; i < k; i++) {
                struct tr_fix f = { .seq = seq,
                                    .t = INT64_C(1700000000000) + seq * 1000,
                                    .lat = 48.0 + (double)seq * 1e-5,
                                    .lon = 11.0,
                                    .mode = 3 };
                if (tr_outbox_put_fix(ob, boot, &f))
                    _exit(4);
                seq++;
            }
            say(fd, "p %d %lld %lld\n", round, (long long)committed + 1, (long long)seq - 1);
            if (tr_outbox_commit(ob))
                _exit(5);
            say(fd, "P %d %lld %lld\n", round, (long long)committed + 1, (long long)seq - 1);
            committed = seq - 1;
        } else if (r < 53) {
            char js[64];
            int len = snprintf(js, sizeof js, "{\"n\":%d,\"type\":\"job_event\"}",
                               round * MAX_EVENTS + ev);
            say(fd, "e %d %d\n", round, ev);
            if (tr_outbox_put_event(ob, TOPIC, js, (size_t)len, NULL))
                _exit(6);
            say(fd, "E %d %d\n", round, ev);
            ev++;
        } else if (r < 95) { /* take one; ack it (most of the time) */
            int rc = tr_outbox_next(ob, &item);
            if (rc == TR_OUTBOX_ERR_EMPTY)
                continue;
            if (rc)
                _exit(7);
            if (rnd(4) == 0)
                continue; /* stays in flight */
            if (item.kind == TR_OUTBOX_EVENT) {
                int n = om_event_n(&item);
                say(fd, "a e %d %d\n", n / MAX_EVENTS, n % MAX_EVENTS);
                if (tr_outbox_ack(ob, item.cookie) || tr_outbox_commit(ob))
                    _exit(8);
                say(fd, "A e %d %d\n", n / MAX_EVENTS, n % MAX_EVENTS);
            } else {
                int br = om_round_of_boot(item.boot_id);
                long long lo = (long long)item.fixes[0].seq;
                long long hi = (long long)item.fixes[item.n_fixes - 1].seq;
                say(fd, "a l %d %lld %lld\n", br, lo, hi);
                if (tr_outbox_ack(ob, item.cookie) || tr_outbox_commit(ob))
                    _exit(9);
                say(fd, "A l %d %lld %lld\n", br, lo, hi);
            }
        } else {
            if (tr_outbox_requeue_all(ob))
                _exit(10);
        }
    }
    tr_outbox_close(ob);
    say(fd, "end\n");
    _exit(0);
}

/* --- the parent --- */

static void set_fixes(int round, long long lo, long long hi, enum state from1, enum state from2,
                      enum state to)
{
    for (long long s = lo < 0 ? 0 : lo; s <= hi && s < MAX_SEQ; s++) {
        unsigned char *st = &fix_state[round][s];
        if (*st == from1 || *st == from2)
            *st = (unsigned char)to;
    }
}

static void apply_line(const char *line)
{
    int round = -1, n = 0;
    long long lo = 0, hi = 0;
    char kind;

    if (sscanf(line, "%*s %d", &round) == 1 || sscanf(line, "%*s %*c %d", &round) == 1) {
        if (round < 0 || round >= ROUNDS) {
            CHECK_MSG(0, "bad progress line: %s", line);
            return;
        }
    }
    if (sscanf(line, "p %d %lld %lld", &round, &lo, &hi) == 3)
        set_fixes(round, lo, hi, ABSENT, ABSENT, MAYBE);
    else if (sscanf(line, "P %d %lld %lld", &round, &lo, &hi) == 3)
        set_fixes(round, lo, hi, MAYBE, MAYBE, PRESENT);
    else if (sscanf(line, "e %d %d", &round, &n) == 2 && n >= 0 && n < MAX_EVENTS)
        ev_state[round][n] = MAYBE;
    else if (sscanf(line, "E %d %d", &round, &n) == 2 && n >= 0 && n < MAX_EVENTS)
        ev_state[round][n] = PRESENT;
    else if (sscanf(line, "a %c %d %lld %lld", &kind, &round, &lo, &hi) >= 3) {
        if (kind == 'e' && (lo < 0 || lo >= MAX_EVENTS)) {
            CHECK_MSG(0, "bad progress line: %s", line);
        } else if (kind == 'e') {
            CHECK_MSG(ev_state[round][lo] == PRESENT, "acked event %d/%lld was not present", round,
                      lo);
            ev_state[round][lo] = MAYBE_GONE;
        } else {
            set_fixes(round, lo, hi, PRESENT, PRESENT, MAYBE_GONE);
        }
    } else if (sscanf(line, "A %c %d %lld %lld", &kind, &round, &lo, &hi) >= 3) {
        if (kind == 'e' && lo >= 0 && lo < MAX_EVENTS)
            ev_state[round][lo] = GONE;
        else if (kind == 'e')
            CHECK_MSG(0, "bad progress line: %s", line);
        else
            set_fixes(round, lo, hi, MAYBE_GONE, MAYBE_GONE, GONE);
    }
}

/* Read whole lines from fd; stop after `want` lines (0: until EOF). */
static int read_lines(int fd, int want, char *acc, size_t *acc_len, size_t cap)
{
    int got = 0;

    for (;;) {
        char *nl;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        while ((nl = memchr(acc, '\n', *acc_len)) != NULL) {
            *nl = '\0';
            apply_line(acc);
            *acc_len -= (size_t)(nl + 1 - acc);
            memmove(acc, nl + 1, *acc_len);
            if (want && ++got >= want)
                return got;
        }
        if (poll(&p, 1, 20000) <= 0)
            return -1; /* the child hung */
        n = read(fd, acc + *acc_len, cap - *acc_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return got; /* EOF */
        *acc_len += (size_t)n;
    }
}

/* Reopen, enumerate, compare with the model, resolve the maybes. */
static long long cut_present, cut_absent; /* steps cut by a kill, resolved */

static void verify(int rounds_done, long long *n_checked)
{
    static unsigned char seen_ev[ROUNDS][MAX_EVENTS], seen_fix[ROUNDS][MAX_SEQ];
    struct tr_outbox *ob = NULL;
    char err[256];
    long long last_ev = -1, last_fix = -1;
    int rc, fixes_started = 0;

    memset(seen_ev, 0, sizeof seen_ev);
    memset(seen_fix, 0, sizeof seen_fix);
    rc = tr_outbox_open(path, NULL, &ob, err, sizeof err);
    CHECK_MSG(rc == TR_OUTBOX_OK, "reopen: %s", err);
    if (rc)
        return;
    CHECK_MSG(tr_outbox_check(ob, err, sizeof err) == TR_OUTBOX_OK, "%s", err);
    while ((rc = tr_outbox_next(ob, &item)) == TR_OUTBOX_OK) {
        if (item.kind == TR_OUTBOX_EVENT) {
            int n = om_event_n(&item);
            CHECK_MSG(!fixes_started, "event %d after positions", n);
            CHECK_MSG(n > last_ev, "event %d after %lld", n, last_ev);
            if (n >= 0 && n / MAX_EVENTS < ROUNDS)
                seen_ev[n / MAX_EVENTS][n % MAX_EVENTS] = 1;
            last_ev = n;
            continue;
        }
        fixes_started = 1;
        for (size_t i = 0; i < item.n_fixes; i++) {
            int r = om_round_of_boot(item.boot_id);
            long long key = (long long)r * MAX_SEQ + item.fixes[i].seq;
            CHECK_MSG(key > last_fix, "position %d/%lld after %lld", r,
                      (long long)item.fixes[i].seq, last_fix);
            if (r >= 0 && r < ROUNDS && item.fixes[i].seq < MAX_SEQ)
                seen_fix[r][item.fixes[i].seq] = 1;
            last_fix = key;
        }
    }
    CHECK_MSG(rc == TR_OUTBOX_ERR_EMPTY, "next: %s", tr_outbox_strerror(rc));
    tr_outbox_close(ob);

    for (int r = 0; r < rounds_done; r++) {
        for (int n = 0; n < MAX_EVENTS; n++) {
            unsigned char *st = &ev_state[r][n];
            if (seen_ev[r][n])
                CHECK_MSG(*st == PRESENT || *st == MAYBE || *st == MAYBE_GONE,
                          "event %d/%d is back (state %d)", r, n, *st);
            else
                CHECK_MSG(*st != PRESENT, "committed event %d/%d lost", r, n);
            if (*st == MAYBE || *st == MAYBE_GONE) {
                seen_ev[r][n] ? cut_present++ : cut_absent++;
                *st = seen_ev[r][n] ? PRESENT : (*st == MAYBE ? ABSENT : GONE);
            }
            *n_checked += *st != ABSENT;
        }
        for (int s = 0; s < MAX_SEQ; s++) {
            unsigned char *st = &fix_state[r][s];
            if (seen_fix[r][s])
                CHECK_MSG(*st == PRESENT || *st == MAYBE || *st == MAYBE_GONE,
                          "position %d/%d is back (state %d)", r, s, *st);
            else if (*st == PRESENT)
                CHECK_MSG(0, "committed position %d/%d lost", r, s);
            if (*st == MAYBE || *st == MAYBE_GONE) {
                seen_fix[r][s] ? cut_present++ : cut_absent++;
                *st = seen_fix[r][s] ? PRESENT : (*st == MAYBE ? ABSENT : GONE);
            }
            *n_checked += *st != ABSENT;
        }
    }
}

/* Under qemu-user fork() hangs, so a host-side driver
 * (outbox_kill_driver.py) runs each child under the emulator, kills it, and
 * runs this mode to check the file; the model persists in `state`. */
static int verify_mode(int round, const char *lines_file, const char *state)
{
    static char acc[1 << 20];
    long long checked = 0;
    size_t len = 0;
    FILE *fp;

    if ((fp = fopen(state, "rb")) != NULL) {
        CHECK(fread(ev_state, sizeof ev_state, 1, fp) == 1);
        CHECK(fread(fix_state, sizeof fix_state, 1, fp) == 1);
        fclose(fp);
    }
    fp = fopen(lines_file, "rb");
    CHECK(fp != NULL);
    if (fp) {
        len = fread(acc, 1, sizeof acc - 1, fp);
        fclose(fp);
    }
    acc[len] = '\0';
    for (char *line = strtok(acc, "\n"); line; line = strtok(NULL, "\n"))
        apply_line(line);
    verify(round + 1, &checked);
    fp = fopen(state, "wb");
    CHECK(fp != NULL);
    if (fp) {
        CHECK(fwrite(ev_state, sizeof ev_state, 1, fp) == 1);
        CHECK(fwrite(fix_state, sizeof fix_state, 1, fp) == 1);
        fclose(fp);
    }
    printf("round %d: %lld item states checked, items of cut steps: %lld there, %lld not\n", round,
           checked, cut_present, cut_absent);
    return check_report("fault.outbox_kill.verify");
}

static int fork_mode(void)
{
    static char acc[1 << 16];
    char dir[64] = "/tmp/test_outbox_kill.XXXXXX";
    long long checked = 0;
    int kills = 0;

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/outbox.db", dir);
    rng_state = 0x2545f4914f6cdd1du ^ (uint64_t)getpid();
    printf("seed %llu\n", (unsigned long long)rng_state);

    for (int round = 0; round < ROUNDS; round++) {
        int fds[2], status = 0, got;
        size_t acc_len = 0;
        pid_t pid;

        if (pipe(fds) != 0) {
            perror("pipe");
            return 1;
        }
        rng_state ^= (uint64_t)round * 0x9e3779b97f4a7c15u + 1;
        rnd(2);
        fflush(stdout);
        pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            close(fds[0]);
            child(round, fds[1]);
        }
        close(fds[1]);
        /* let it run a random number of steps, then a random moment more */
        got = read_lines(fds[0], 1 + (int)rnd(300), acc, &acc_len, sizeof acc);
        CHECK_MSG(got > 0, "child made no progress");
        usleep(rnd(3000));
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            kills++;
        else
            CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed: status %d",
                      status);
        read_lines(fds[0], 0, acc, &acc_len, sizeof acc);
        close(fds[0]);
        verify(round + 1, &checked);
    }
    printf("%d kills, %lld item states checked, items of cut steps: %lld there, %lld not\n", kills,
           checked, cut_present, cut_absent);
    CHECK(kills >= 20);
    {
        char p[160];
        const char *sfx[] = { "", "-wal", "-shm", "-journal" };
        for (size_t i = 0; i < 4; i++) {
            snprintf(p, sizeof p, "%s%s", path, sfx[i]);
            unlink(p);
        }
        rmdir(dir);
    }
    return check_report("fault.outbox_kill");
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "child") == 0) {
        snprintf(path, sizeof path, "%s", argv[2]);
        rng_state = 0x2545f4914f6cdd1du ^ (uint64_t)getpid();
        child(atoi(argv[3]), STDOUT_FILENO);
    }
    if (argc == 6 && strcmp(argv[1], "verify") == 0) {
        snprintf(path, sizeof path, "%s", argv[2]);
        return verify_mode(atoi(argv[3]), argv[4], argv[5]);
    }
    if (argc == 1)
        return fork_mode();
    fprintf(stderr, "usage: %s [child DB ROUND | verify DB ROUND LINES STATE]\n", argv[0]);
    return 2;
}
