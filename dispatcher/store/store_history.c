/*
 * dispatcher/store/store_history.c: what happened to a job: its event log
 * (append-only: triggers refuse UPDATE and DELETE) and its offers with their
 * outcomes, so `job show` can say "offered 4 times, 3 declined, 1 expired";
 * and the pending offers at startup (to re-arm deadline timers).
 *
 * Does not: write offers (store_transition.c does, inside a transition).
 */
#include <stdlib.h>
#include <string.h>

#include "dispatcher/store/store_int.h"

const char *tr_store_offer_outcome_name(enum tr_store_offer_outcome o)
{
    static const char *const names[] = { "pending", "accepted", "declined", "expired",
                                         "withdrawn" };
    return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "?";
}

int tr_store_event_insert(struct tr_store *s, int64_t job_rowid, int64_t ts, bool has_from,
                          enum tr_job_state from, enum tr_job_state to, const char *actor,
                          const char *note)
{
    int rc;
    sqlite3_stmt *st = tr_store_stmt(s, ST_EVENT_INSERT,
                                     "INSERT INTO job_event (job, ts, from_state, to_state, actor,"
                                     " note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                     &rc);
    if (!st)
        return rc;
    sqlite3_bind_int64(st, 1, job_rowid);
    sqlite3_bind_int64(st, 2, ts);
    tr_store_bind_i64_opt(st, 3, has_from, from);
    sqlite3_bind_int(st, 4, (int)to);
    tr_store_bind_text(st, 5, actor);
    tr_store_bind_text_opt(st, 6, note && note[0], note);
    return tr_store_exec_stmt(s, false, st, "event insert");
}

/* Grow *arr (of *cap elements of size sz) to hold one more. */
static bool grow(void **arr, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, c * sz);
    if (!p)
        return false;
    *arr = p;
    *cap = c;
    return true;
}

int tr_store_job_events(struct tr_store *s, const char *job_id, size_t limit,
                        struct tr_store_event **out, size_t *n)
{
    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (!s || !out || !n)
        return TR_STORE_ERR_INVALID;
    if (!tr_msg_valid_msgid(job_id) || limit < 1 || limit > 100000)
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "bad job id or limit");
    int rc;
    sqlite3_stmt *st = tr_store_stmt(
        s, ST_EVENT_LIST,
        "SELECT e.id, e.ts, e.from_state, e.to_state, e.actor, e.note FROM job j"
        " JOIN job_event e ON e.job = j.id WHERE j.job_id = ?1 ORDER BY e.id LIMIT ?2",
        &rc);
    if (!st)
        return rc;
    tr_store_bind_text(st, 1, job_id);
    sqlite3_bind_int64(st, 2, (int64_t)limit);
    struct tr_store_event *arr = NULL;
    size_t cap = 0, k = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (!grow((void **)&arr, &cap, k, sizeof *arr)) {
            rc = tr_store_fail(s, false, TR_STORE_ERR_NOMEM, "out of memory");
            goto fail;
        }
        struct tr_store_event *e = &arr[k];
        memset(e, 0, sizeof *e);
        int from = 0, to;
        bool has_note;
        if (!tr_store_col_i64(st, 0, &e->seq) || !tr_store_col_i64(st, 1, &e->ts) ||
            !tr_store_col_int_opt(st, 2, &e->has_from, TR_JOB_NEW, TR_JOB_RELEASED, &from) ||
            !tr_store_col_int(st, 3, TR_JOB_NEW, TR_JOB_RELEASED, &to) ||
            !tr_store_col_text(st, 4, e->actor, sizeof e->actor) ||
            !tr_store_col_text_opt(st, 5, &has_note, e->note, sizeof e->note) ||
            !tr_store_valid_time(e->ts) || !tr_msg_valid_msgid(e->actor) ||
            !tr_store_valid_text(e->note, TR_STORE_NOTE_SIZE - 1)) {
            /* the log is the audit trail: a damaged entry fails the call */
            rc = tr_store_fail(s, false, TR_STORE_ERR_CORRUPT, "job %s: bad event row %lld", job_id,
                               (long long)sqlite3_column_int64(st, 0));
            goto fail;
        }
        e->from = (enum tr_job_state)from;
        e->to = (enum tr_job_state)to;
        k++;
    }
    if (r != SQLITE_DONE) {
        rc = tr_store_sqlite_fail(s, false, r, "event list");
        goto fail;
    }
    tr_store_done(st);
    *out = arr;
    *n = k;
    return TR_STORE_OK;
fail:
    tr_store_done(st);
    free(arr);
    return rc;
}

#define OFFER_SELECT                                                                               \
    "SELECT o.offer_id, j.job_id, o.agent_id, o.created, o.deadline, o.outcome,"                   \
    " o.decline_reason, o.note, o.answered, o.id FROM offer o JOIN job j ON j.id = o.job"

static int offer_row(struct tr_store *s, sqlite3_stmt *st, struct tr_store_offer *o)
{
    memset(o, 0, sizeof *o);
    int outcome, reason = 0;
    bool has_note;
    if (!tr_store_col_text(st, 0, o->offer_id, sizeof o->offer_id) ||
        !tr_store_col_text(st, 1, o->job_id, sizeof o->job_id) ||
        !tr_store_col_text(st, 2, o->agent_id, sizeof o->agent_id) ||
        !tr_store_col_i64(st, 3, &o->created) || !tr_store_col_i64(st, 4, &o->deadline) ||
        !tr_store_col_int(st, 5, TR_OFFER_PENDING, TR_OFFER_WITHDRAWN, &outcome) ||
        !tr_store_col_int_opt(st, 6, &o->has_decline_reason, 0, TR_DECLINE_OTHER, &reason) ||
        !tr_store_col_text_opt(st, 7, &has_note, o->note, sizeof o->note) ||
        !tr_store_col_i64_opt(st, 8, &o->has_answered, &o->answered) ||
        !tr_msg_valid_msgid(o->offer_id) || !tr_msg_valid_msgid(o->job_id) ||
        !tr_msg_valid_agent_id(o->agent_id) || !tr_store_valid_time(o->created) ||
        !tr_store_valid_time(o->deadline) ||
        (o->has_answered && !tr_store_valid_time(o->answered)) ||
        !tr_store_valid_text(o->note, TR_MSG_NOTE_SIZE - 1) ||
        (outcome == TR_OFFER_PENDING) == o->has_answered)
        return tr_store_fail(s, false, TR_STORE_ERR_CORRUPT, "bad offer row %lld",
                             (long long)sqlite3_column_int64(st, 9));
    o->outcome = (enum tr_store_offer_outcome)outcome;
    o->decline_reason = (enum tr_decline_reason)reason;
    return TR_STORE_OK;
}

int tr_store_job_offers(struct tr_store *s, const char *job_id, struct tr_store_offer **out,
                        size_t *n)
{
    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (!s || !out || !n)
        return TR_STORE_ERR_INVALID;
    if (!tr_msg_valid_msgid(job_id))
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "bad job id");
    int rc;
    sqlite3_stmt *st =
        tr_store_stmt(s, ST_OFFER_LIST, OFFER_SELECT " WHERE j.job_id = ?1 ORDER BY o.id", &rc);
    if (!st)
        return rc;
    tr_store_bind_text(st, 1, job_id);
    struct tr_store_offer *arr = NULL;
    size_t cap = 0, k = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (!grow((void **)&arr, &cap, k, sizeof *arr)) {
            rc = tr_store_fail(s, false, TR_STORE_ERR_NOMEM, "out of memory");
            goto fail;
        }
        rc = offer_row(s, st, &arr[k]);
        if (rc != TR_STORE_OK)
            goto fail;
        k++;
    }
    if (r != SQLITE_DONE) {
        rc = tr_store_sqlite_fail(s, false, r, "offer list");
        goto fail;
    }
    tr_store_done(st);
    *out = arr;
    *n = k;
    return TR_STORE_OK;
fail:
    tr_store_done(st);
    free(arr);
    return rc;
}

int tr_store_offers_pending(struct tr_store *s,
                            int (*cb)(void *ctx, const struct tr_store_offer *offer), void *ctx,
                            size_t *n_corrupt)
{
    if (n_corrupt)
        *n_corrupt = 0;
    if (!s || !cb)
        return TR_STORE_ERR_INVALID;
    int rc;
    sqlite3_stmt *st = tr_store_stmt(
        s, ST_OFFER_PENDING, OFFER_SELECT " WHERE o.outcome = 0 ORDER BY o.deadline, o.id", &rc);
    if (!st)
        return rc;
    size_t bad = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct tr_store_offer o;
        if (offer_row(s, st, &o) != TR_STORE_OK) {
            bad++;
            continue;
        }
        if (cb(ctx, &o) != 0) {
            r = SQLITE_DONE;
            break;
        }
    }
    tr_store_done(st);
    if (n_corrupt)
        *n_corrupt = bad;
    return r == SQLITE_DONE ? TR_STORE_OK : tr_store_sqlite_fail(s, false, r, "pending offers");
}
