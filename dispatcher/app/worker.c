/*
 * dispatcher/app/worker.c: the worker thread's loop (see app.h for the
 * thread design).
 *
 * Each turn: take a batch of received messages, PUBACK cookies and
 * connection changes from the ingest queue (sleeping on its condition
 * variable until something arrives or the next timer is due), decode and
 * route each message, tick the engine every engine.tick_ms (after the
 * recovery grace), run due working-hours changes, hand positions to the
 * writer, and publish. On stop it flushes positions and what can still be
 * published, then returns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
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

static void update_gauges(struct app *a)
{
    struct tr_engine_stats st;
    tr_engine_stats(a->eng, &st);
    atomic_store(&a->n.jobs_unassigned_now, st.unassigned);
    atomic_store(&a->n.jobs_open_now, st.open_jobs);
}

static void *worker_main(void *arg)
{
    struct app *a = arg;
    struct ingest *q = &a->in;
    struct inmsg *batch[BATCH];
    uint64_t *done = NULL;
    size_t cap_done = 0;
    int64_t next_tick = tr_app_now_ms();

    while (!atomic_load(&a->stop)) {
        size_t n = 0, n_done = 0;
        bool session_lost = false;
        int64_t now = tr_app_now_ms();
        pthread_mutex_lock(&q->mu);
        if (q->count == 0 && q->n_done == 0 && q->conn_events == 0 && now < next_tick) {
            int64_t wait = next_tick - now;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += (time_t)(wait / 1000);
            ts.tv_nsec += (long)(wait % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            q->worker_waiting = true;
            (void)pthread_cond_timedwait(&q->wake, &q->mu, &ts);
            q->worker_waiting = false;
        }
        while (n < BATCH && q->count > 0) {
            batch[n++] = q->ring[q->head];
            q->head = (q->head + 1) % q->cap;
            q->count--;
        }
        if (n)
            pthread_cond_broadcast(&q->not_full);
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
        pthread_mutex_unlock(&q->mu);

        if (session_lost)
            tr_publisher_session_lost(a->pub);
        take_done(a, done, n_done);
        for (size_t i = 0; i < n; i++) {
            tr_worker_handle(a, batch[i]);
            if (batch[i]->jseq)
                atomic_store(&q->j.processed, batch[i]->jseq);
            free(batch[i]);
        }
        if (n > 0)
            tr_journal_trim(a);
        now = tr_app_now_ms();
        if (now >= next_tick) {
            if (now >= a->serving_since) {
                /* a tick that fails part way still applied what it emitted */
                int rc = tr_engine_tick(a->eng, now);
                tr_actions_run(a, now);
                if (rc != TR_ENGINE_OK)
                    tr_log_warn("engine tick: %s", tr_engine_strerror(rc));
                tr_shifts_run(a, now);
                update_gauges(a);
            }
            next_tick = now + a->set.tick_ms;
        }
        tr_poswriter_run(a, a->pw, now, false);
        tr_publisher_run(a->pub, now);
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
