/*
 * dispatcher/app/poswriter.c: positions to SQLite off the worker thread.
 *
 * The worker appends each accepted fix to the current history batch
 * (tr_poswriter_add) and, every positions.batch rows or positions.batch_ms,
 * hands the batch to the writer thread; every positions.last_flush_ms it also
 * hands over a snapshot of the dirty in-memory last positions (bus/agents).
 * The writer thread owns the store's positions group and executes the items
 * in FIFO order: each history batch is one transaction, each snapshot one
 * tr_store_last_positions_flush, so a snapshot is always written after the
 * history it covers (the store's rule). When the FIFO is full the worker
 * waits (back-pressure), nothing is dropped.
 *
 * It also checkpoints the record's WAL when the worker asks
 * (tr_poswriter_checkpoint; tr_store_checkpoint has its own connection), so
 * no job commit pays for a checkpoint.
 *
 * It does not dedupe (the worker did, by (agent, boot, seq)), and does not
 * touch the record group (job transitions never wait for positions).
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "dispatcher/app/app.h"

#define FIFO_MAX 64

struct item {
    bool last;       /* a last-positions snapshot (else history) */
    bool checkpoint; /* the record's WAL (no rows) */
    struct tr_store_position *rows;
    size_t n;
};

struct poswriter {
    struct app *a;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t more, room;
    struct item fifo[FIFO_MAX];
    size_t head, count;
    bool stop, busy;
    bool ck_pending; /* a checkpoint is queued or running */
    /* worker side */
    struct tr_store_position *batch;
    size_t n_batch, cap_batch;
    int64_t batch_since, last_flush;
};

static void write_item(struct poswriter *w, struct item *it)
{
    struct app *a = w->a;
    size_t rej = 0;
    if (it->checkpoint) {
        int64_t frames = 0, done = 0;
        int crc = tr_store_checkpoint(a->store, &frames, &done);
        if (crc != TR_STORE_OK)
            tr_log_warn("record checkpoint failed: %s", tr_store_strerror(crc));
        else
            tr_log_debug("record checkpoint: %lld of %lld WAL frames", (long long)done,
                         (long long)frames);
        pthread_mutex_lock(&w->mu);
        w->ck_pending = false;
        pthread_mutex_unlock(&w->mu);
        return;
    }
    int rc = it->last ? tr_store_last_positions_flush(a->store, it->rows, it->n, &rej)
                      : tr_store_positions_append(a->store, it->rows, it->n, &rej);
    if (rc != TR_STORE_OK)
        tr_log_error("positions %s failed (%zu rows): %s", it->last ? "flush" : "append", it->n,
                     tr_store_positions_errmsg(a->store));
    else if (!it->last)
        atomic_fetch_add(&a->n.positions_written, it->n - rej);
    if (rej)
        tr_log_warn("positions: %zu row(s) refused by the store", rej);
    free(it->rows);
}

static void *writer_main(void *arg)
{
    struct poswriter *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->count == 0 && !w->stop)
            pthread_cond_wait(&w->more, &w->mu);
        if (w->count == 0 && w->stop)
            break;
        struct item it = w->fifo[w->head];
        w->head = (w->head + 1) % FIFO_MAX;
        w->count--;
        w->busy = true;
        pthread_cond_signal(&w->room);
        pthread_mutex_unlock(&w->mu);
        write_item(w, &it);
        pthread_mutex_lock(&w->mu);
        w->busy = false;
        pthread_cond_broadcast(&w->room);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int tr_poswriter_start(struct app *a, struct poswriter **out)
{
    struct poswriter *w = calloc(1, sizeof(*w));
    if (!w)
        return -1;
    w->a = a;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->more, NULL);
    pthread_cond_init(&w->room, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->more);
        pthread_cond_destroy(&w->room);
        free(w);
        return -1;
    }
    *out = w;
    return 0;
}

static void enqueue(struct poswriter *w, bool last, struct tr_store_position *rows, size_t n)
{
    pthread_mutex_lock(&w->mu);
    while (w->count == FIFO_MAX)
        pthread_cond_wait(&w->room, &w->mu);
    w->fifo[(w->head + w->count) % FIFO_MAX] = (struct item){ .last = last, .rows = rows, .n = n };
    w->count++;
    pthread_cond_signal(&w->more);
    pthread_mutex_unlock(&w->mu);
}

/* An id into a TR_MSG_ID_SIZE buffer (cut if longer; snprintf costs more
 * than the rest of adding a row). */
static void copy_id(char dst[TR_MSG_ID_SIZE], const char *src)
{
    size_t n = strnlen(src, TR_MSG_ID_SIZE - 1);
    memcpy(dst, src, n);
    dst[n] = 0;
}

void tr_poswriter_add(struct poswriter *w, const char *agent, const char *boot,
                      const struct tr_fix *fix, int64_t received)
{
    if (w->n_batch == w->cap_batch) {
        size_t cap = w->cap_batch ? w->cap_batch * 2 : 1024;
        struct tr_store_position *b = realloc(w->batch, cap * sizeof(*b));
        if (!b) {
            tr_log_error("out of memory: a position of %s was not stored", agent);
            return;
        }
        w->batch = b;
        w->cap_batch = cap;
    }
    if (w->n_batch == 0)
        w->batch_since = received;
    struct tr_store_position *p = &w->batch[w->n_batch++];
    copy_id(p->agent_id, agent);
    copy_id(p->boot_id, boot);
    p->fix = *fix;
    p->received = received;
}

static void hand_batch(struct poswriter *w)
{
    if (w->n_batch == 0)
        return;
    enqueue(w, false, w->batch, w->n_batch);
    w->batch = NULL;
    w->n_batch = w->cap_batch = 0;
}

static void hand_last(struct app *a, struct poswriter *w)
{
    size_t n = tr_agents_dirty_count(a->senders);
    if (n == 0)
        return;
    struct tr_agents_pos *tmp = malloc((n + TR_AGENTS_BOOTS) * sizeof(*tmp));
    struct tr_store_position *rows = malloc((n + TR_AGENTS_BOOTS) * sizeof(*rows));
    if (!tmp || !rows) {
        free(tmp);
        free(rows);
        return;
    }
    size_t got = tr_agents_take_dirty(a->senders, tmp, n + TR_AGENTS_BOOTS);
    for (size_t i = 0; i < got; i++) {
        memcpy(rows[i].agent_id, tmp[i].agent_id, sizeof(rows[i].agent_id));
        memcpy(rows[i].boot_id, tmp[i].boot_id, sizeof(rows[i].boot_id));
        rows[i].fix = tmp[i].fix;
        rows[i].received = tmp[i].received;
    }
    free(tmp);
    if (got == 0) {
        free(rows);
        return;
    }
    enqueue(w, true, rows, got);
}

void tr_poswriter_run(struct app *a, struct poswriter *w, int64_t now_ms, bool force)
{
    if (!w)
        return;
    if (w->n_batch > 0 && (force || w->n_batch >= (size_t)a->set.positions_batch ||
                           now_ms - w->batch_since >= a->set.positions_batch_ms))
        hand_batch(w);
    if (force || now_ms - w->last_flush >= a->set.last_flush_ms) {
        w->last_flush = now_ms;
        hand_batch(w); /* the snapshot must follow the history it covers */
        hand_last(a, w);
    }
}

void tr_poswriter_stop(struct poswriter *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->more);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    free(w->batch);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->more);
    pthread_cond_destroy(&w->room);
    free(w);
}

void tr_poswriter_checkpoint(struct poswriter *w)
{
    pthread_mutex_lock(&w->mu);
    bool queue = !w->ck_pending && w->count < FIFO_MAX; /* never waits */
    if (queue) {
        w->ck_pending = true;
        w->fifo[(w->head + w->count) % FIFO_MAX] = (struct item){ .checkpoint = true };
        w->count++;
        pthread_cond_signal(&w->more);
    }
    pthread_mutex_unlock(&w->mu);
}
