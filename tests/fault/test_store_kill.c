/*
 * tests/fault/test_store_kill.c: the dispatcher's store survives kill -9.
 *
 * A child process opens the store, rebuilds its picture of the open jobs
 * from it (tr_store_jobs_open, as truckrolld does at startup) and then drives
 * jobs through their lifecycle as fast as it can: create, offer, decline and
 * re-offer, expire, accept, en route, on site, complete / fail, release,
 * cancel, each with one outbox message, and appends position batches and
 * flushes last positions. After every call that returned OK (committed) it
 * writes a record to a pipe. The parent SIGKILLs it at a random moment
 * (sometimes while it is still opening the store), ROUNDS times, and after
 * each kill reopens the files and checks:
 *   - every transition the child reported is in the job's event log, and
 *     every position batch it reported is covered by the high-water mark;
 *   - each job's event log is a chain (creation first, each `from` the
 *     previous `to`) ending in the job's state;
 *   - offered <=> exactly one pending offer; attempts = offers made;
 *     accepted / en_route / on_site have an assignee; nobody holds more
 *     active jobs than their limit;
 *   - the outbox holds exactly one message per event (event and message are
 *     one transaction);
 *   - integrity_check and foreign_key_check pass on both files.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dispatcher/store/store.h"
#include "tests/support/check.h"

#define ROUNDS     40
#define N_AGENTS   6
#define JOB_LIMIT  2
#define MAX_OPEN   64
#define MAX_REPORT 20000
#define T0         1700000000000LL

enum kind { REP_EVENT = 1, REP_POS = 2 };

struct report {
    int kind;
    int to;
    int64_t seq; /* REP_POS: highest seq appended */
    char job_id[TR_MSG_ID_SIZE];
    char note[24];
};

static uint64_t rng;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void agent_name(int i, char out[TR_MSG_ID_SIZE])
{
    snprintf(out, TR_MSG_ID_SIZE, "agent%d", i);
}

/* ------------------------------------------------------------------ child */

struct open_job {
    char id[TR_MSG_ID_SIZE];
    enum tr_job_state state;
    char offer_id[TR_MSG_ID_SIZE];
    char offer_agent[TR_MSG_ID_SIZE];
};

struct child {
    struct tr_store *s;
    int fd;
    int round;
    int64_t now;
    unsigned k; /* transitions made this round */
    struct open_job jobs[MAX_OPEN];
    int n;
};

static void send_report(struct child *c, const struct report *r)
{
    if (write(c->fd, r, sizeof *r) != (ssize_t)sizeof *r)
        _exit(4);
}

static int load_cb(void *ctx, const struct tr_store_job *j)
{
    struct child *c = ctx;
    if (c->n >= MAX_OPEN)
        return 0; /* the rest stay open in the store; fine */
    struct open_job *o = &c->jobs[c->n++];
    memset(o, 0, sizeof *o);
    snprintf(o->id, sizeof o->id, "%s", j->job.job_id);
    o->state = j->job.state;
    if (j->job.has_offer) {
        snprintf(o->offer_id, sizeof o->offer_id, "%s", j->job.offer.offer_id);
        snprintf(o->offer_agent, sizeof o->offer_agent, "%s", j->job.offer.agent_id);
    }
    return 0;
}

/* One transition with one outbox message; reports it when committed. */
static int step(struct child *c, struct open_job *o, struct tr_store_transition *t)
{
    char note[24];
    snprintf(note, sizeof note, "r%d-%u", c->round, c->k++);
    t->job_id = o->id;
    t->from = o->state;
    t->note = note;
    t->now_ms = ++c->now;
    t->actor = "dispatcher";
    struct tr_store_outmsg m = { "truckroll/v1/job/x/status", note, strlen(note), 1, true, 0 };
    t->out = &m;
    t->n_out = 1;
    struct tr_store_job after;
    int rc = tr_store_job_transition(c->s, t, &after);
    if (rc == TR_STORE_ERR_LIMIT)
        return rc;
    if (rc != TR_STORE_OK) {
        fprintf(stderr, "child: transition %s -> %s: %s: %s\n", tr_msg_job_state_name(t->from),
                tr_msg_job_state_name(t->to), tr_store_strerror(rc), tr_store_errmsg(c->s));
        _exit(3);
    }
    struct report r = { .kind = REP_EVENT, .to = (int)t->to };
    snprintf(r.job_id, sizeof r.job_id, "%s", o->id);
    snprintf(r.note, sizeof r.note, "%s", note);
    send_report(c, &r);
    o->state = after.job.state;
    o->offer_id[0] = o->offer_agent[0] = 0;
    if (after.job.has_offer) {
        snprintf(o->offer_id, sizeof o->offer_id, "%s", after.job.offer.offer_id);
        snprintf(o->offer_agent, sizeof o->offer_agent, "%s", after.job.offer.agent_id);
    }
    return rc;
}

static void new_offer(struct child *c, struct tr_store_transition *t)
{
    t->new_offer = true;
    snprintf(t->offer.offer_id, sizeof t->offer.offer_id, "o%d-%u", c->round, c->k);
    agent_name((int)rnd(N_AGENTS), t->offer.agent_id);
    t->offer.deadline = c->now + 30000;
}

static void act(struct child *c, struct open_job *o)
{
    struct tr_store_transition t = { 0 };
    unsigned r = rnd(100);
    if (r < 3) {
        t.to = TR_JOB_CANCELLED;
        if (o->state == TR_JOB_OFFERED) {
            t.resolve_offer = true;
            t.outcome = TR_OFFER_WITHDRAWN;
        }
        step(c, o, &t);
        return;
    }
    switch (o->state) {
    case TR_JOB_NEW:
    case TR_JOB_UNASSIGNED:
    case TR_JOB_RELEASED:
        t.to = TR_JOB_OFFERED;
        new_offer(c, &t);
        if (step(c, o, &t) == TR_STORE_ERR_LIMIT) {
            t = (struct tr_store_transition){ .to = TR_JOB_UNASSIGNED, .reason = "all busy" };
            step(c, o, &t);
        }
        break;
    case TR_JOB_OFFERED:
        t.expect_offer_id = o->offer_id;
        t.resolve_offer = true;
        if (r < 50) {
            t.outcome = TR_OFFER_ACCEPTED;
            t.to = TR_JOB_ACCEPTED;
            if (step(c, o, &t) != TR_STORE_ERR_LIMIT)
                break;
            t.outcome = TR_OFFER_DECLINED; /* busy after all */
            t.to = TR_JOB_UNASSIGNED;
            step(c, o, &t);
        } else if (r < 80) {
            t.outcome = TR_OFFER_DECLINED;
            t.has_decline_reason = true;
            t.decline_reason = TR_DECLINE_TOO_FAR;
            t.to = TR_JOB_OFFERED;
            new_offer(c, &t);
            if (step(c, o, &t) == TR_STORE_ERR_LIMIT) {
                t.new_offer = false;
                t.to = TR_JOB_UNASSIGNED;
                step(c, o, &t);
            }
        } else {
            t.outcome = TR_OFFER_EXPIRED;
            t.to = TR_JOB_UNASSIGNED;
            step(c, o, &t);
        }
        break;
    case TR_JOB_ACCEPTED:
        t.to = r < 80 ? TR_JOB_EN_ROUTE : TR_JOB_RELEASED;
        step(c, o, &t);
        break;
    case TR_JOB_EN_ROUTE:
        t.to = TR_JOB_ON_SITE;
        step(c, o, &t);
        break;
    case TR_JOB_ON_SITE:
        t.to = r < 80 ? TR_JOB_COMPLETED : TR_JOB_FAILED;
        step(c, o, &t);
        break;
    default:
        break;
    }
}

static void positions(struct child *c, int64_t *seq, char boot[TR_MSG_ID_SIZE], bool flush)
{
    struct tr_store_position batch[20];
    memset(batch, 0, sizeof batch);
    for (int i = 0; i < 20; i++) {
        struct tr_store_position *p = &batch[i];
        snprintf(p->agent_id, sizeof p->agent_id, "agent0");
        snprintf(p->boot_id, sizeof p->boot_id, "%s", boot);
        p->fix = (struct tr_fix){ .seq = ++*seq, .t = c->now, .lat = 41, .lon = -87, .mode = 3 };
        p->received = c->now;
    }
    if (tr_store_positions_append(c->s, batch, 20, NULL) != TR_STORE_OK)
        _exit(5);
    struct report r = { .kind = REP_POS, .seq = *seq };
    snprintf(r.job_id, sizeof r.job_id, "%s", boot);
    send_report(c, &r);
    if (flush && tr_store_last_positions_flush(c->s, &batch[19], 1, NULL) != TR_STORE_OK)
        _exit(6);
}

static void child_main(const char *path, int fd, int round)
{
    struct child c = { .fd = fd, .round = round };
    char err[256];
    if (tr_store_open(path, 0, &c.s, err, sizeof err) != TR_STORE_OK) {
        fprintf(stderr, "child: open: %s\n", err);
        _exit(2);
    }
    if (tr_store_jobs_open(c.s, load_cb, &c, NULL) != TR_STORE_OK)
        _exit(2);
    c.now = T0 + (int64_t)round * 100000000LL; /* later than any earlier round */
    char boot[TR_MSG_ID_SIZE];
    snprintf(boot, sizeof boot, "boot%d", round);
    int64_t seq = 0;
    for (unsigned it = 0; it < 100000; it++) {
        /* closed jobs leave the picture */
        for (int i = 0; i < c.n;) {
            enum tr_job_state st = c.jobs[i].state;
            if (st == TR_JOB_COMPLETED || st == TR_JOB_FAILED || st == TR_JOB_CANCELLED)
                c.jobs[i] = c.jobs[--c.n];
            else
                i++;
        }
        if (c.n < 8 || (c.n < MAX_OPEN && rnd(10) == 0)) {
            struct tr_store_job j;
            memset(&j, 0, sizeof j);
            snprintf(j.job.spec.title, sizeof j.job.spec.title, "job");
            snprintf(j.job.spec.skills[0], TR_MSG_SKILL_SIZE, "printers");
            j.job.spec.n_skills = 1;
            j.job.site.lat = 41;
            j.job.site.lon = -87;
            char note[24];
            snprintf(note, sizeof note, "r%d-%u", round, c.k++);
            struct tr_store_outmsg m = {
                "truckroll/v1/job/x/status", note, strlen(note), 1, true, 0
            };
            if (tr_store_job_create(c.s, &j, "console:t", note, ++c.now, &m, 1) != TR_STORE_OK)
                _exit(7);
            struct report r = { .kind = REP_EVENT, .to = TR_JOB_NEW };
            snprintf(r.job_id, sizeof r.job_id, "%s", j.job.job_id);
            snprintf(r.note, sizeof r.note, "%s", note);
            send_report(&c, &r);
            struct open_job *o = &c.jobs[c.n++];
            memset(o, 0, sizeof *o);
            snprintf(o->id, sizeof o->id, "%s", j.job.job_id);
            o->state = TR_JOB_NEW;
            continue;
        }
        act(&c, &c.jobs[rnd((unsigned)c.n)]);
        if (it % 8 == 0)
            positions(&c, &seq, boot, it % 32 == 0);
    }
    tr_store_close(c.s);
    _exit(0);
}

/* ----------------------------------------------------------------- parent */

struct checker {
    struct tr_store *s;
    int64_t events;
    int active[N_AGENTS];
    int64_t high_water[ROUNDS];
};

static int64_t event_chain(struct tr_store *s, const struct tr_store_job *j)
{
    struct tr_store_event *ev = NULL;
    size_t n = 0;
    CHECK(tr_store_job_events(s, j->job.job_id, 100000, &ev, &n) == TR_STORE_OK);
    CHECK_MSG(n >= 1 && !ev[0].has_from && ev[0].to == TR_JOB_NEW, "job %s: no creation event",
              j->job.job_id);
    for (size_t i = 1; i < n; i++)
        CHECK_MSG(ev[i].has_from && ev[i].from == ev[i - 1].to && ev[i].seq > ev[i - 1].seq,
                  "job %s: event %zu breaks the chain", j->job.job_id, i);
    CHECK_MSG(n >= 1 && ev[n - 1].to == j->job.state, "job %s: state %s but last event %s",
              j->job.job_id, tr_msg_job_state_name(j->job.state),
              n ? tr_msg_job_state_name(ev[n - 1].to) : "-");
    free(ev);
    return (int64_t)n;
}

static void check_job(struct checker *k, const struct tr_store_job *j)
{
    k->events += event_chain(k->s, j);
    struct tr_store_offer *offers = NULL;
    size_t n = 0;
    CHECK(tr_store_job_offers(k->s, j->job.job_id, &offers, &n) == TR_STORE_OK);
    size_t pending = 0;
    for (size_t i = 0; i < n; i++)
        pending += offers[i].outcome == TR_OFFER_PENDING;
    free(offers);
    CHECK_MSG(pending <= 1, "job %s: %zu pending offers", j->job.job_id, pending);
    CHECK((j->job.state == TR_JOB_OFFERED) == (pending == 1));
    CHECK_MSG(j->job.attempts == (int)n, "job %s: attempts %d, offers %zu", j->job.job_id,
              j->job.attempts, n);
    bool active = j->job.state == TR_JOB_ACCEPTED || j->job.state == TR_JOB_EN_ROUTE ||
                  j->job.state == TR_JOB_ON_SITE;
    CHECK(!active || j->job.has_assignee);
    if (active) {
        int a = -1;
        sscanf(j->job.assignee, "agent%d", &a);
        if (a >= 0 && a < N_AGENTS)
            k->active[a]++;
    }
}

static int hw_cb(void *ctx, const char *agent, const char *boot, int64_t seq)
{
    struct checker *k = ctx;
    int round = -1;
    if (strcmp(agent, "agent0") == 0 && sscanf(boot, "boot%d", &round) == 1 && round >= 0 &&
        round < ROUNDS)
        k->high_water[round] = seq;
    return 0;
}

static bool check_store(const char *path, const struct report *reps, size_t n_reps, int round)
{
    struct checker k = { 0 };
    char err[256];
    int rc = tr_store_open(path, 0, &k.s, err, sizeof err);
    CHECK_MSG(rc == TR_STORE_OK, "round %d: reopen: %s", round, err);
    if (rc != TR_STORE_OK)
        return false;
    int failed_before = check_failed;
    CHECK_MSG(tr_store_check(k.s) == TR_STORE_OK, "round %d: %s", round, tr_store_errmsg(k.s));
    /* every job, page by page */
    int64_t total = 0;
    for (int offset = 0;; offset += 1000) {
        struct tr_store_job *jobs = NULL;
        size_t n = 0, bad = 0;
        CHECK(tr_store_job_list(k.s, NULL, 1000, offset, &jobs, &n, &total, &bad) == TR_STORE_OK);
        CHECK(bad == 0);
        for (size_t i = 0; i < n; i++)
            check_job(&k, &jobs[i]);
        free(jobs);
        if (n < 1000)
            break;
    }
    for (int a = 0; a < N_AGENTS; a++) {
        char id[TR_MSG_ID_SIZE];
        agent_name(a, id);
        int act = -1;
        CHECK(tr_store_contractor_load(k.s, id, &act, NULL) == TR_STORE_OK);
        CHECK_MSG(act == k.active[a] && act <= JOB_LIMIT, "%s: %d active (limit %d)", id, act,
                  JOB_LIMIT);
    }
    int64_t out = -1;
    CHECK(tr_store_outbox_count(k.s, &out) == TR_STORE_OK);
    CHECK_MSG(out == k.events, "round %d: %lld outbox rows for %lld events", round, (long long)out,
              (long long)k.events);
    /* everything reported this round is there */
    CHECK(tr_store_positions_high_water(k.s, hw_cb, &k, NULL) == TR_STORE_OK);
    for (size_t i = 0; i < n_reps; i++) {
        const struct report *r = &reps[i];
        if (r->kind == REP_POS) {
            CHECK_MSG(k.high_water[round] >= r->seq, "round %d: seq %lld reported, high %lld",
                      round, (long long)r->seq, (long long)k.high_water[round]);
            continue;
        }
        struct tr_store_event *ev = NULL;
        size_t n = 0;
        CHECK(tr_store_job_events(k.s, r->job_id, 100000, &ev, &n) == TR_STORE_OK);
        bool found = false;
        for (size_t e = 0; e < n && !found; e++)
            found = strcmp(ev[e].note, r->note) == 0 && (int)ev[e].to == r->to;
        free(ev);
        CHECK_MSG(found, "round %d: reported %s -> %s (%s) is missing", round, r->job_id,
                  tr_msg_job_state_name((enum tr_job_state)r->to), r->note);
    }
    tr_store_close(k.s);
    return check_failed == failed_before;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Read whole records until the deadline (or EOF when deadline is 0). */
static void drain(int fd, struct report *reps, size_t *n, size_t *partial, int64_t deadline)
{
    char *buf = (char *)reps;
    for (;;) {
        int wait_ms = 100;
        if (deadline) {
            int64_t left = deadline - now_us();
            if (left <= 0)
                return;
            wait_ms = (int)(left / 1000) + 1;
        }
        struct pollfd p = { fd, POLLIN, 0 };
        int pr = poll(&p, 1, wait_ms);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0) {
            if (!deadline)
                return;
            continue;
        }
        size_t have = *n * sizeof *reps + *partial;
        size_t room = MAX_REPORT * sizeof *reps - have;
        if (room == 0)
            return;
        ssize_t got = read(fd, buf + have, room);
        if (got <= 0)
            return; /* EOF: the child is gone */
        have += (size_t)got;
        *n = have / sizeof *reps;
        *partial = have % sizeof *reps;
    }
}

int main(void)
{
    char dir[] = "/tmp/tr_store_kill_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char path[128];
    snprintf(path, sizeof path, "%s/truckroll.db", dir);
    rng = (uint64_t)now_us() | 1;
    printf("seed %llu\n", (unsigned long long)rng);

    struct tr_store *s = NULL;
    char err[256];
    if (tr_store_open(path, TR_STORE_CREATE, &s, err, sizeof err) != TR_STORE_OK) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    for (int i = 0; i < N_AGENTS; i++) {
        struct tr_contractor c;
        memset(&c, 0, sizeof c);
        agent_name(i, c.contractor_id);
        snprintf(c.name, sizeof c.name, "Agent %d", i);
        snprintf(c.skills[0], TR_MSG_SKILL_SIZE, "printers");
        c.n_skills = 1;
        snprintf(c.languages[0], TR_MSG_LANG_SIZE, "en");
        c.n_languages = 1;
        snprintf(c.timezone, sizeof c.timezone, "UTC");
        c.has_job_limit = true;
        c.job_limit = JOB_LIMIT;
        CHECK(tr_store_contractor_add(s, &c, T0, NULL) == TR_STORE_OK);
    }
    tr_store_close(s);

    struct report *reps = malloc(MAX_REPORT * sizeof *reps);
    if (!reps)
        return 1;
    size_t total_reports = 0;
    int killed = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int fds[2];
        if (pipe(fds) != 0) {
            perror("pipe");
            return 1;
        }
        fflush(stdout);
        fflush(stderr);
        rng ^= (uint64_t)round * 0x9e3779b97f4a7c15ULL;
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            close(fds[0]);
            child_main(path, fds[1], round);
        }
        close(fds[1]);
        /* most kills land mid-work, some while the store is still opening */
        int64_t delay_us = rnd(5) == 0 ? (int64_t)rnd(3000) : 5000 + (int64_t)rnd(120000);
        size_t n = 0, partial = 0;
        drain(fds[0], reps, &n, &partial, now_us() + delay_us);
        kill(pid, SIGKILL);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        drain(fds[0], reps, &n, &partial, 0);
        close(fds[0]);
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            killed++;
        else
            CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "round %d: child failed (status %d)", round, status);
        total_reports += n;
        if (!check_store(path, reps, n, round)) {
            fprintf(stderr, "round %d failed; files kept in %s\n", round, dir);
            free(reps);
            return check_report("test_store_kill");
        }
    }
    free(reps);
    printf("%d rounds, %d killed, %zu committed steps reported\n", ROUNDS, killed, total_reports);
    CHECK(killed >= 30);
    CHECK(total_reports > 0);
    /* clean up */
    const char *suffix[] = {
        "",           "-wal",           "-shm",           "-journal",
        "-positions", "-positions-wal", "-positions-shm", "-positions-journal"
    };
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        char p[160];
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
    rmdir(dir);
    return check_report("test_store_kill");
}
