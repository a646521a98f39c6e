/*
 * dispatcher/app/worker.c: the worker thread's loop (see app.h for the
 * thread design).
 *
 * Each turn: take a batch of received messages, PUBACK cookies and
 * connection changes from the ingest queue (sleeping on its condition
 * variable until something arrives or the next timer is due), decode and
 * route each message, tick the engine every engine.tick_ms (after the
 * recovery grace), run due working-hours changes, hand positions to the
 * writer, and publish; and ping systemd's watchdog (common/notify.h), so a
 * worker that stops turning gets the daemon restarted. On stop it flushes
 * positions and what can still be published, then returns.
 *
 * Group commit: the store writes of one pass (every message drained, then
 * the tick) are one durable commit (tr_actions_batch_*), made before the
 * receive journal is told they were processed and before anything is
 * published; a job's creation and its first offer share it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/notify.h"
#include "dispatcher/app/app.h"

#define BATCH 256

static void take_done(struct app *a, uint64_t *done, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool ok = !(done[i] >> 63);
        tr_publisher_delivered(a->pub, done[i] & ~(UINT64_C(1) << 63), ok);
    }
}

void tr_worker_handle(struct app *a, struct inmsg *im)
{
    struct tr_route_msg rm;
    struct tr_msg_error err;
    int64_t now = tr_app_now_ms();
    int rc = tr_route_decode(im->topic, im->payload, im->len, &rm, &err);
    if (rc == TR_ROUTE_ERR_EMPTY && rm.kind == TR_ROUTE_AGENT_STATE) {
        atomic_fetch_add(&a->n.accepted, 1); /* a retained state being cleared */
        return;
    }
    if (rc != TR_ROUTE_OK) {
        atomic_fetch_add(&a->n.rejected[rc], 1);
        tr_log_warn("rejected message on %s: %s: %s%s%s", im->topic, tr_route_strerror(rc),
                    err.field[0] ? err.field : "", err.field[0] ? ": " : "", err.reason);
        if (rm.msg.type == TR_MSG_ERROR)
            return; /* nobody answers an error with an error (schemas/topics.md) */
        if (rm.kind == TR_ROUTE_REQUEST)
            tr_requests_reject(a, im, &rm, &err, rc);
        else if (rm.agent_id[0])
            tr_agentmsg_error(a, rm.agent_id, rm.msg.id[0] ? rm.msg.id : NULL,
                              tr_route_err_wire_code(rc, &err), err.field, err.reason);
        return;
    }
    atomic_fetch_add(&a->n.accepted, 1);
    atomic_fetch_add(&a->n.by_kind[rm.kind], 1);
    if (rm.kind == TR_ROUTE_REQUEST)
        tr_requests_handle(a, &rm, im, now);
    else
        tr_agentmsg_handle(a, &rm, now);
    tr_route_msg_free(&rm);
}

/* Every tick: O(1) (tr_engine_stats walks every contractor, ~10 ms at 1M). */
static void update_gauges(struct app *a)
{
    uint32_t open = 0, unassigned = 0;
    tr_engine_job_gauges(a->eng, &open, &unassigned);
    atomic_store(&a->n.jobs_unassigned_now, unassigned);
    atomic_store(&a->n.jobs_open_now, open);
}

/* Where a worker pass spent its time (monotonic us), for the debug line
 * about slow passes: what a job request waits behind. */
struct pass_times {
    int64_t t0, t_handled, t_engine, t_shifts, t_ticked, t_committed, t_positions, t_published;
    int64_t wait_ms; /* the longest queue wait of the pass's messages */
    size_t n, steps;
};

#define SLOW_PASS_US 2000

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void pass_log(const struct pass_times *p)
{
    int64_t end = mono_us();
    if (end - p->t0 < SLOW_PASS_US || tr_log_get_level() < TR_LOG_DEBUG)
        return;
    tr_log_debug(
        "slow worker pass %.2f ms: %zu message(s) (queued up to %lld ms) %.2f, engine "
        "tick %.2f, tick actions %.2f, shifts+gauges %.2f, commit of %zu step(s) "
        "%.2f, positions %.2f, publish %.2f, map feed %.2f",
        (double)(end - p->t0) / 1e3, p->n, (long long)p->wait_ms,
        (double)(p->t_handled - p->t0) / 1e3, (double)(p->t_engine - p->t_handled) / 1e3,
        (double)(p->t_shifts - p->t_engine) / 1e3, (double)(p->t_ticked - p->t_shifts) / 1e3,
        p->steps, (double)(p->t_committed - p->t_ticked) / 1e3,
        (double)(p->t_positions - p->t_committed) / 1e3,
        (double)(p->t_published - p->t_positions) / 1e3, (double)(end - p->t_published) / 1e3);
}

static void *worker_main(void *arg)
{
    struct app *a = arg;
    struct ingest *q = &a->in;
    struct inmsg *batch[BATCH];
    uint64_t *done = NULL;
    size_t cap_done = 0;
    int64_t next_tick = tr_app_now_ms();
    /* systemd's watchdog: pinged from this loop only, so a stalled worker stops it */
    struct tr_notify_wd wd;

    tr_notify_wd_init(&wd);
    while (!atomic_load(&a->stop)) {
        size_t n = 0, n_done = 0;
        bool session_lost = false, reconnected = false;
        long wd_left = tr_notify_wd_kick(&wd);
        int64_t now = tr_app_now_ms();
        pthread_mutex_lock(&q->mu);
        /* sleeps until work or the next timer; positions alone wait for a
         * batch (ingest.c) */
        tr_ingest_wait(q, now,
                       wd_left >= 0 && now + wd_left < next_tick ? now + wd_left : next_tick);
        n = tr_ingest_take(q, batch, BATCH);
        if (q->n_done > 0) {
            if (q->n_done > cap_done) {
                uint64_t *d = realloc(done, q->n_done * sizeof(*d));
                if (d) {
                    done = d;
                    cap_done = q->n_done;
                }
            }
            if (cap_done >= q->n_done) {
                memcpy(done, q->done, q->n_done * sizeof(*done));
                n_done = q->n_done;
                q->n_done = 0;
            }
        }
        q->conn_events = 0;
        session_lost = q->session_lost;
        q->session_lost = false;
        reconnected = q->reconnected;
        q->reconnected = false;
        pthread_mutex_unlock(&q->mu);

        if (reconnected) /* the broker published our will when the link went */
            tr_app_publish_state(a, true);
        if (session_lost)
            tr_publisher_session_lost(a->pub);
        take_done(a, done, n_done);
        /* group commit: every store write of this pass (messages and tick)
         * is one durable commit, before anything of it is published */
        struct pass_times pt = { .t0 = mono_us(), .n = n };
        uint64_t jseq = 0;
        tr_actions_batch_begin(a);
        for (size_t i = 0; i < n; i++) {
            int64_t waited = tr_app_now_ms() - batch[i]->received_ms;
            if (waited > pt.wait_ms)
                pt.wait_ms = waited;
            tr_worker_handle(a, batch[i]);
            if (batch[i]->jseq)
                jseq = batch[i]->jseq;
            free(batch[i]);
        }
        pt.t_handled = mono_us();
        now = tr_app_now_ms();
        pt.t_engine = pt.t_shifts = pt.t_handled;
        if (now >= next_tick) {
            if (now >= a->serving_since) {
                /* a tick that fails part way still applied what it emitted */
                int rc = tr_engine_tick(a->eng, now);
                pt.t_engine = mono_us();
                tr_actions_run(a, now);
                if (rc != TR_ENGINE_OK)
                    tr_log_warn("engine tick: %s", tr_engine_strerror(rc));
                pt.t_shifts = mono_us();
                tr_shifts_run(a, now);
                update_gauges(a);
            }
            next_tick = now + a->set.tick_ms;
        }
        pt.t_ticked = mono_us();
        pt.steps = tr_actions_batch_end(a); /* exits the process when it fails */
        pt.t_committed = mono_us();
        if (jseq) /* only now: a crash before the commit replays them */
            atomic_store(&q->j.processed, jseq);
        if (n > 0)
            tr_journal_trim(a);
        tr_poswriter_run(a, a->pw, now, false);
        pt.t_positions = mono_us();
        tr_publisher_run(a->pub, now);
        pt.t_published = mono_us();
        tr_fleetfeed_run(a, now); /* the live map feed (fleetfeed.c); never blocks */
        pass_log(&pt);
    }
    /* stopping: paho acknowledged what is queued, so it is handled now; then
     * positions and what can still be published are flushed */
    pthread_mutex_lock(&q->mu);
    size_t left = q->count; /* what arrived before the stop, not a flood after it */
    pthread_mutex_unlock(&q->mu);
    for (; left > 0; left--) {
        struct inmsg *im = NULL;
        pthread_mutex_lock(&q->mu);
        if (q->count > 0) {
            im = q->ring[q->head];
            q->head = (q->head + 1) % q->cap;
            q->count--;
            pthread_cond_broadcast(&q->not_full);
        }
        pthread_mutex_unlock(&q->mu);
        if (!im)
            break;
        tr_worker_handle(a, im);
        if (im->jseq)
            atomic_store(&q->j.processed, im->jseq);
        free(im);
    }
    tr_journal_trim(a);
    tr_poswriter_run(a, a->pw, tr_app_now_ms(), true);
    tr_publisher_run(a->pub, tr_app_now_ms());
    update_gauges(a);
    free(done);
    return NULL;
}

int tr_worker_start(struct app *a)
{
    a->serving_since = tr_app_now_ms() + a->set.recovery_grace_ms;
    if (pthread_create(&a->worker, NULL, worker_main, a) != 0)
        return -1;
    a->worker_started = true;
    return 0;
}

void tr_worker_stop(struct app *a)
{
    if (!a->worker_started)
        return;
    atomic_store(&a->stop, true);
    pthread_mutex_lock(&a->in.mu);
    pthread_cond_signal(&a->in.wake);
    pthread_mutex_unlock(&a->in.mu);
    pthread_join(a->worker, NULL);
    a->worker_started = false;
}
