/*
 * tests/fault/test_dispatcher_kill.c: SIGKILL truckrolld at random points
 * while jobs flow, at least 50 times, restarting it on the same SQLite file
 * each time, then check that no job was lost, none assigned twice and none
 * stuck.
 *
 * The flow: a real mosquitto; eight fake agents (job limit 1) driven by a bot
 * thread that accepts most offers and declines some, then reports en route,
 * on site and completed (now and then failed); a console creating jobs
 * steadily (a job.create without an answer is retried with the same request
 * id after the restart). Like a real agent, the bot sends again what the
 * dispatcher may have lost in the crash: after each restart it repeats its
 * answers to offers not yet assigned and the last event of each job it holds
 * or finished shortly before.
 *
 * Checked at the end (the daemon stopped cleanly after a last restart and a
 * bounded wait for every job to settle):
 *   - every job.create that got an answer exists, and no request made two
 *     jobs (the creation note names the request);
 *   - no job has two accepted offers, and replaying the event log of the
 *     whole database in order, no contractor ever held more jobs than their
 *     limit;
 *   - none stuck: every job is completed, failed, cancelled, or unassigned
 *     with a reason; the store passes its integrity check.
 * Bounded in time; nothing asserts on elapsed time.
 *
 * argv[1]: truckrolld; optional argv[2]: number of kills (default 60);
 * optional argv[3]: the seed (default: the time; printed, to repeat a run).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dispatcher/store/store.h"
#include "tests/support/check.h"
#include "tests/support/dispatcher_harness.h"

#define N_AGENTS 8
#define MAX_HELD 8
#define N_DONE   16
#define N_SEEN   64
#define SITE_LAT 39.7392
#define SITE_LON (-104.9903)

struct held {
    bool used;
    char job[TR_MSG_ID_SIZE];
    char offer[TR_MSG_ID_SIZE];
    int stage; /* 0 accept sent, 1 assigned, 2 en route sent, 3 on site sent */
    long long next;
};

struct done {
    char job[TR_MSG_ID_SIZE];
    enum tr_event_kind ev;
    long long at;
};

struct bot {
    struct trd_agent *ag;
    struct held h[MAX_HELD];
    struct done d[N_DONE];
    size_t n_done;
    char seen[N_SEEN][TR_MSG_ID_SIZE];
    size_t n_seen;
    double lat, lon;
};

static struct bot bots[N_AGENTS];
static atomic_int restart_gen;
static atomic_bool bot_stop;
static atomic_long offers_seen, accepts, declines, completes, fails, resends;

static unsigned rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7fff;
}

static struct held *held_of(struct bot *b, const char *job)
{
    for (int i = 0; i < MAX_HELD; i++)
        if (b->h[i].used && strcmp(b->h[i].job, job) == 0)
            return &b->h[i];
    return NULL;
}

static bool seen_offer(struct bot *b, const char *offer)
{
    for (size_t i = 0; i < N_SEEN && i < b->n_seen; i++)
        if (strcmp(b->seen[i], offer) == 0)
            return true;
    snprintf(b->seen[b->n_seen++ % N_SEEN], TR_MSG_ID_SIZE, "%s", offer);
    return false;
}

static void finish(struct bot *b, struct held *h, enum tr_event_kind ev)
{
    struct done *d = &b->d[b->n_done++ % N_DONE];
    snprintf(d->job, sizeof(d->job), "%s", h->job);
    d->ev = ev;
    d->at = trt_now_ms();
    h->used = false;
}

static void on_inbox(struct bot *b, struct tr_msg *m, unsigned *seed)
{
    long long now = trt_now_ms();
    if (m->type == TR_MSG_OFFER) {
        const struct tr_offer *o = &m->u.offer;
        atomic_fetch_add(&offers_seen, 1);
        if (seen_offer(b, o->offer_id) || o->deadline <= (int64_t)time(NULL) * 1000)
            return;
        if (rnd(seed) % 100 < 15 || held_of(b, o->job_id)) {
            trd_agent_answer(b->ag, o->job_id, o->offer_id, false, TR_DECLINE_BUSY);
            atomic_fetch_add(&declines, 1);
            return;
        }
        for (int i = 0; i < MAX_HELD; i++) {
            if (!b->h[i].used) {
                b->h[i] = (struct held){ .used = true, .stage = 0 };
                snprintf(b->h[i].job, TR_MSG_ID_SIZE, "%s", o->job_id);
                snprintf(b->h[i].offer, TR_MSG_ID_SIZE, "%s", o->offer_id);
                trd_agent_answer(b->ag, o->job_id, o->offer_id, true, TR_DECLINE_OTHER);
                atomic_fetch_add(&accepts, 1);
                return;
            }
        }
    } else if (m->type == TR_MSG_ASSIGNMENT) {
        struct held *h = held_of(b, m->u.assignment.job_id);
        if (h && h->stage == 0) {
            h->stage = 1;
            h->next = now + 50 + rnd(seed) % 250;
        }
    } else if (m->type == TR_MSG_CANCELLATION) {
        struct held *h = held_of(b, m->u.cancellation.job_id);
        if (h &&
            (!m->u.cancellation.has_offer_id || strcmp(m->u.cancellation.offer_id, h->offer) == 0 ||
             m->u.cancellation.reason != TR_CANCEL_OFFER_EXPIRED))
            h->used = false;
    }
}

static void progress(struct bot *b, unsigned *seed)
{
    long long now = trt_now_ms();
    for (int i = 0; i < MAX_HELD; i++) {
        struct held *h = &b->h[i];
        if (!h->used || h->stage == 0 || now < h->next)
            continue;
        h->next = now + 50 + rnd(seed) % 250;
        if (h->stage == 1) {
            trd_agent_event(b->ag, h->job, TR_EVENT_EN_ROUTE, NULL);
            h->stage = 2;
        } else if (h->stage == 2) {
            trd_agent_event(b->ag, h->job, TR_EVENT_ON_SITE, NULL);
            h->stage = 3;
        } else if (rnd(seed) % 100 < 10) {
            trd_agent_event(b->ag, h->job, TR_EVENT_FAILED, "no spare parts");
            atomic_fetch_add(&fails, 1);
            finish(b, h, TR_EVENT_FAILED);
        } else {
            trd_agent_event(b->ag, h->job, TR_EVENT_COMPLETED, NULL);
            atomic_fetch_add(&completes, 1);
            finish(b, h, TR_EVENT_COMPLETED);
        }
    }
}

/* After a restart: what the dispatcher may have lost in the crash (it
 * journals what it received, but a kill between paho's PUBACK and the
 * journal write still loses a message). The whole chain is sent again: what
 * was applied already is a duplicate to the dispatcher. */
static void resend(struct bot *b)
{
    long long now = trt_now_ms();
    for (int i = 0; i < MAX_HELD; i++) {
        struct held *h = &b->h[i];
        if (!h->used)
            continue;
        atomic_fetch_add(&resends, 1);
        if (h->stage == 0)
            trd_agent_answer(b->ag, h->job, h->offer, true, TR_DECLINE_OTHER);
        if (h->stage >= 2)
            trd_agent_event(b->ag, h->job, TR_EVENT_EN_ROUTE, NULL);
        if (h->stage >= 3)
            trd_agent_event(b->ag, h->job, TR_EVENT_ON_SITE, NULL);
    }
    for (size_t i = 0; i < N_DONE && i < b->n_done; i++) {
        struct done *d = &b->d[i];
        if (now - d->at < 10000) {
            atomic_fetch_add(&resends, 1);
            trd_agent_event(b->ag, d->job, TR_EVENT_EN_ROUTE, NULL);
            trd_agent_event(b->ag, d->job, TR_EVENT_ON_SITE, NULL);
            trd_agent_event(b->ag, d->job, d->ev,
                            d->ev == TR_EVENT_FAILED ? "no spare parts" : NULL);
        }
    }
}

static void *bot_main(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    int gen = atomic_load(&restart_gen);
    long long next_fix = 0;
    while (!atomic_load(&bot_stop)) {
        for (int k = 0; k < N_AGENTS; k++) {
            struct tr_msg m;
            while (trd_agent_wait(bots[k].ag, TR_MSG_NONE, NULL, &m, 0) == 0) {
                on_inbox(&bots[k], &m, &seed);
                tr_msg_free(&m);
            }
            progress(&bots[k], &seed);
        }
        if (atomic_load(&restart_gen) != gen) {
            gen = atomic_load(&restart_gen);
            for (int k = 0; k < N_AGENTS; k++)
                resend(&bots[k]);
        }
        if (trt_now_ms() >= next_fix) {
            next_fix = trt_now_ms() + 1000;
            for (int k = 0; k < N_AGENTS; k++)
                trd_agent_fix(bots[k].ag, bots[k].lat, bots[k].lon);
        }
        trt_sleep_ms(10);
    }
    return NULL;
}

/* ------------------------------------------------------------ console */

struct request {
    char id[TR_MSG_ID_SIZE];
    char job[TR_MSG_ID_SIZE];
    bool answered;
};

static struct request *reqs;
static size_t n_reqs, cap_reqs;

static void create_job(struct trd_console *con, unsigned *seed, struct request *retry)
{
    char args[400];
    struct tr_msg r;
    struct request *q = retry;
    if (!q) {
        if (n_reqs == cap_reqs) {
            cap_reqs = cap_reqs ? cap_reqs * 2 : 256;
            reqs = realloc(reqs, cap_reqs * sizeof(*reqs));
        }
        q = &reqs[n_reqs++];
        memset(q, 0, sizeof(*q));
    }
    double lat, lon;
    trd_offset_km(SITE_LAT, SITE_LON, (double)(rnd(seed) % 200) / 10.0 - 10.0,
                  (double)(rnd(seed) % 200) / 10.0 - 10.0, &lat, &lon);
    snprintf(args, sizeof(args),
             "{\"title\":\"Kill test job\",\"skills\":[\"k-fix\"],"
             "\"site\":{\"lat\":%.6f,\"lon\":%.6f,\"address\":\"Denver CO\"}}",
             lat, lon);
    int rc = q->id[0] ? trd_request_id(con, q->id, "job.create", args, &r, 2000)
                      : trd_request(con, "job.create", args, &r, q->id, 2000);
    if (rc == 0 && r.type == TR_MSG_RESPONSE) {
        q->answered = true;
        snprintf(q->job, sizeof(q->job), "%s", r.u.response.result.job.job_id);
    }
    if (rc == 0)
        tr_msg_free(&r);
}

/* ------------------------------------------------------------ checks */

static bool open_state(enum tr_job_state s)
{
    return s != TR_JOB_COMPLETED && s != TR_JOB_FAILED && s != TR_JOB_CANCELLED &&
           s != TR_JOB_UNASSIGNED;
}

/* Open (not settled) jobs according to job.list, or -1. */
static int unsettled(struct trd_console *con)
{
    struct tr_msg r;
    int n = 0;
    for (int offset = 0;; offset += 1000) {
        char args[80];
        snprintf(args, sizeof(args), "{\"limit\":1000,\"offset\":%d}", offset);
        if (trd_request(con, "job.list", args, &r, NULL, 10000) != 0 || r.type != TR_MSG_RESPONSE)
            return -1;
        size_t got = r.u.response.result.n_jobs;
        for (size_t i = 0; i < got; i++)
            n += open_state(r.u.response.result.jobs[i].state);
        int64_t total = r.u.response.result.total;
        tr_msg_free(&r);
        if (got == 0 || offset + (int64_t)got >= total)
            break;
    }
    return n;
}

struct ev_ref {
    int64_t seq;
    char job[TR_MSG_ID_SIZE];
    struct tr_store_event ev;
};

static int by_seq(const void *a, const void *b)
{
    const struct ev_ref *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void check_store(const char *db)
{
    struct tr_store *s = NULL;
    char err[256];
    CHECK_MSG(tr_store_open(db, 0, &s, err, sizeof(err)) == TR_STORE_OK, "%s", err);
    if (!s)
        return;
    CHECK(tr_store_check(s) == TR_STORE_OK);
    struct tr_store_job *jobs = NULL;
    size_t n_jobs = 0;
    int64_t total = 0;
    for (int offset = 0;; offset += 1000) {
        struct tr_store_job *page = NULL;
        size_t n = 0;
        if (tr_store_job_list(s, NULL, 1000, offset, &page, &n, &total, NULL) != TR_STORE_OK) {
            CHECK_MSG(0, "job list: %s", tr_store_errmsg(s));
            break;
        }
        jobs = realloc(jobs, (n_jobs + n + 1) * sizeof(*jobs));
        memcpy(jobs + n_jobs, page, n * sizeof(*jobs));
        n_jobs += n;
        free(page);
        if (n < 1000)
            break;
    }
    CHECK(total == (int64_t)n_jobs);

    /* every answered request's job exists; no request made two jobs */
    size_t lost = 0, dups = 0;
    struct ev_ref *all = NULL;
    size_t n_all = 0, cap_all = 0;
    int double_accept = 0, stuck = 0;
    char **req_of = calloc(n_jobs ? n_jobs : 1, sizeof(*req_of));
    for (size_t i = 0; i < n_jobs; i++) {
        const struct tr_job *j = &jobs[i].job;
        struct tr_store_event *ev = NULL;
        size_t ne = 0;
        CHECK(tr_store_job_events(s, j->job_id, 100000, &ev, &ne) == TR_STORE_OK);
        if (ne > 0) {
            const char *p = strstr(ev[0].note, "(request ");
            req_of[i] = p ? strdup(p) : NULL;
        }
        for (size_t k = 0; k < ne; k++) {
            if (n_all == cap_all) {
                cap_all = cap_all ? cap_all * 2 : 1024;
                all = realloc(all, cap_all * sizeof(*all));
            }
            all[n_all].seq = ev[k].seq;
            snprintf(all[n_all].job, TR_MSG_ID_SIZE, "%s", j->job_id);
            all[n_all].ev = ev[k];
            n_all++;
        }
        free(ev);
        struct tr_store_offer *of = NULL;
        size_t no = 0;
        CHECK(tr_store_job_offers(s, j->job_id, &of, &no) == TR_STORE_OK);
        int acc = 0, pending = 0;
        for (size_t k = 0; k < no; k++) {
            acc += of[k].outcome == TR_OFFER_ACCEPTED;
            pending += of[k].outcome == TR_OFFER_PENDING;
        }
        if (acc > 1) {
            double_accept++;
            fprintf(stderr, "job %s: %d accepted offers\n", j->job_id, acc);
        }
        free(of);
        /* Stuck means open with nobody owning it. A job in progress when the
         * dispatcher was stopped is not stuck: an unassigned job may be
         * retried (fleet changed) between the last job.list and the stop. */
        bool owned = (j->state == TR_JOB_OFFERED && pending == 1) ||
                     ((j->state == TR_JOB_ACCEPTED || j->state == TR_JOB_EN_ROUTE ||
                       j->state == TR_JOB_ON_SITE) &&
                      j->has_assignee && acc == 1);
        if ((open_state(j->state) && !owned) || (j->state == TR_JOB_UNASSIGNED && !j->has_reason)) {
            stuck++;
            fprintf(stderr, "job %s stuck in %s\n", j->job_id, tr_msg_job_state_name(j->state));
        }
    }
    for (size_t q = 0; q < n_reqs; q++) {
        if (!reqs[q].answered)
            continue;
        char want[TR_MSG_ID_SIZE + 16];
        snprintf(want, sizeof(want), "(request %s)", reqs[q].id);
        int found = 0;
        for (size_t i = 0; i < n_jobs; i++)
            found += req_of[i] && strcmp(req_of[i], want) == 0;
        if (found == 0) {
            lost++;
            fprintf(stderr, "request %s (job %s) lost\n", reqs[q].id, reqs[q].job);
        }
        if (found > 1) {
            dups++;
            fprintf(stderr, "request %s made %d jobs\n", reqs[q].id, found);
        }
    }
    CHECK_MSG(lost == 0, "%zu jobs lost", lost);
    CHECK_MSG(dups == 0, "%zu requests made two jobs", dups);
    CHECK_MSG(double_accept == 0, "%d jobs with two accepted offers", double_accept);
    CHECK_MSG(stuck == 0, "%d jobs stuck", stuck);

    /* replay the event log in order: nobody over their limit (1), ever */
    qsort(all, n_all, sizeof(*all), by_seq);
    int over = 0;
    char holder[4096][TR_MSG_ID_SIZE]; /* job index -> assignee */
    int held_by[N_AGENTS] = { 0 };
    memset(holder, 0, sizeof(holder));
    for (size_t k = 0; k < n_all; k++) {
        size_t ji = 0;
        while (ji < n_jobs && strcmp(jobs[ji].job.job_id, all[k].job) != 0)
            ji++;
        if (ji >= 4096)
            continue;
        const struct tr_store_event *e = &all[k].ev;
        bool holds =
            e->to == TR_JOB_ACCEPTED || e->to == TR_JOB_EN_ROUTE || e->to == TR_JOB_ON_SITE;
        if (e->to == TR_JOB_ACCEPTED) {
            snprintf(holder[ji], TR_MSG_ID_SIZE, "%s", e->actor);
            int a = atoi(e->actor + 2); /* "k-N" */
            if (a >= 0 && a < N_AGENTS && ++held_by[a] > 1) {
                over++;
                fprintf(stderr, "event %lld: %s holds %d jobs\n", (long long)e->seq, e->actor,
                        held_by[a]);
            }
        } else if (!holds && holder[ji][0]) {
            int a = atoi(holder[ji] + 2);
            if (a >= 0 && a < N_AGENTS)
                held_by[a]--;
            holder[ji][0] = '\0';
        }
    }
    CHECK_MSG(over == 0, "%d times over the job limit", over);
    printf("store: %zu jobs, %zu events, %lld outstanding requests\n", n_jobs, n_all,
           (long long)n_reqs);
    for (size_t i = 0; i < n_jobs; i++)
        free(req_of[i]);
    free(req_of);
    free(all);
    free(jobs);
    tr_store_close(s);
}

int main(int argc, char **argv)
{
    struct trd d;
    int kills = argc > 2 ? atoi(argv[2]) : 60;
    unsigned seed = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : (unsigned)time(NULL);
    if (argc < 2) {
        fprintf(stderr, "usage: %s TRUCKROLLD [KILLS [SEED]]\n", argv[0]);
        return 2;
    }
    printf("seed %u, %d kills\n", seed, kills);
    const char *args[] = { "--engine.offer_timeout_ms=2000", "--engine.retry_min_interval_ms=200",
                           "--recovery.grace_ms=200", NULL };
    CHECK(trd_start(&d, argv[1], args) == 0);
    struct trd_console *con = check_failed ? NULL : trd_console_new(&d, "killer", false);
    CHECK(con != NULL);
    const char *ids[N_AGENTS];
    char names[N_AGENTS][16];
    struct trd_agent *ags[N_AGENTS] = { 0 };
    for (int k = 0; k < N_AGENTS; k++) {
        snprintf(names[k], sizeof(names[k]), "k-%d", k);
        ids[k] = names[k];
    }
    CHECK(check_failed || trd_agents_new(&d, ids, N_AGENTS, ags) == 0);
    pthread_t bot;
    bool bot_running = false;
    if (check_failed)
        goto out;
    for (int k = 0; k < N_AGENTS; k++) {
        bots[k].ag = ags[k];
        trd_offset_km(SITE_LAT, SITE_LON, (double)(k % 4) * 3 - 4.5, (double)(k / 4) * 3 - 1.5,
                      &bots[k].lat, &bots[k].lon);
        CHECK(trd_enroll(con, ags[k], "k-fix", "en", NULL, NULL, bots[k].lat, bots[k].lon) == 0);
    }
    if (check_failed)
        goto out;
    pthread_create(&bot, NULL, bot_main, (void *)(uintptr_t)seed);
    bot_running = true;

    int done_kills = 0;
    for (int k = 0; k < kills && !check_failed; k++) {
        long long until = trt_now_ms() + 100 + rnd(&seed) % 400; /* 100..500 ms of flow */
        while (trt_now_ms() < until) {
            for (size_t q = 0; q < n_reqs; q++)
                if (!reqs[q].answered)
                    create_job(con, &seed, &reqs[q]);
            create_job(con, &seed, NULL);
            trt_sleep_ms((int)(rnd(&seed) % 120));
        }
        trd_kill9(&d);
        done_kills++;
        if (trd_spawn(&d) != 0) {
            CHECK_MSG(0, "restart %d failed", k + 1);
            break;
        }
        atomic_fetch_add(&restart_gen, 1);
    }
    /* the outstanding requests, then let every job settle */
    for (int round = 0; round < 5; round++)
        for (size_t q = 0; q < n_reqs; q++)
            if (!reqs[q].answered)
                create_job(con, &seed, &reqs[q]);
    int left = -1;
    long long end = trt_now_ms() + 90000;
    while (trt_now_ms() < end) {
        left = unsettled(con);
        if (left == 0)
            break;
        trt_sleep_ms(250);
    }
    CHECK_MSG(left == 0, "%d jobs still open after the last restart", left);
    size_t answered = 0;
    for (size_t q = 0; q < n_reqs; q++)
        answered += reqs[q].answered;
    printf("%d kills; %zu job.create requests, %zu answered; offers %ld, accepts %ld, declines "
           "%ld, completed %ld, failed %ld, resends %ld\n",
           done_kills, n_reqs, answered, atomic_load(&offers_seen), atomic_load(&accepts),
           atomic_load(&declines), atomic_load(&completes), atomic_load(&fails),
           atomic_load(&resends));
    CHECK(done_kills >= 50 || kills < 50);
    CHECK(answered == n_reqs);
    CHECK(atomic_load(&completes) > 0);

out:
    atomic_store(&bot_stop, true);
    if (bot_running)
        pthread_join(bot, NULL);
    for (int k = 0; k < N_AGENTS; k++)
        trd_agent_free(ags[k]);
    trd_console_free(con);
    CHECK(trd_stop(&d) == 0);
    if (!check_failed || d.starts > 0)
        check_store(d.db);
    d.keep = check_failed > 0;
    trd_finish(&d);
    free(reqs);
    return check_report("fault.dispatcher_kill");
}
