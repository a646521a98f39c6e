/*
 * dispatcher/store/store_outbox.c: the dispatcher's outbox, messages to
 * publish, written in the same transaction as the change they announce.
 *
 * The publisher reads committed rows in id order from a cursor it keeps in
 * memory and deletes them once the broker acknowledged them; after a restart
 * the cursor starts at 0 and everything still here goes out again (receivers
 * dedupe by message id). Ids come from AUTOINCREMENT, so they are never
 * reused and a cursor never skips a new row. There is no "sent" flag: it
 * would cost a durable write per publish and a restart must resend anyway,
 * since paho forgets in-flight messages when the session is lost.
 *
 * Does not: publish, or drop expired rows (the publisher skips and deletes
 * them: expiry_at is there for that).
 */
#include <stdlib.h>
#include <string.h>

#include "dispatcher/store/store_int.h"

static int check_msg(struct tr_store *s, const struct tr_store_outmsg *m, size_t i)
{
    size_t tl = m->topic ? strlen(m->topic) : 0;
    if (tl == 0 || tl >= TR_STORE_TOPIC_SIZE || strpbrk(m->topic, "+#") ||
        !tr_store_valid_text(m->topic, TR_STORE_TOPIC_SIZE - 1))
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "outbox[%zu]: bad topic", i);
    if ((!m->payload && m->len) || m->len > TR_MSG_MAX_BYTES)
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "outbox[%zu]: bad payload", i);
    if (m->qos < 0 || m->qos > 2)
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "outbox[%zu]: bad qos", i);
    if (m->expiry_at != 0 && !tr_store_valid_time(m->expiry_at))
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "outbox[%zu]: bad expiry", i);
    return TR_STORE_OK;
}

int tr_store_outbox_insert(struct tr_store *s, const struct tr_store_outmsg *m, size_t n,
                           int64_t now_ms)
{
    for (size_t i = 0; i < n; i++) {
        int rc = check_msg(s, &m[i], i);
        if (rc != TR_STORE_OK)
            return rc;
    }
    for (size_t i = 0; i < n; i++) {
        int rc;
        sqlite3_stmt *st = tr_store_stmt(s, ST_OUT_INSERT,
                                         "INSERT INTO outbox (topic, payload, qos, retain,"
                                         " created, expiry_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                         &rc);
        if (!st)
            return rc;
        tr_store_bind_text(st, 1, m[i].topic);
        sqlite3_bind_blob(st, 2, m[i].len ? m[i].payload : "", (int)m[i].len, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, m[i].qos);
        sqlite3_bind_int(st, 4, m[i].retain);
        sqlite3_bind_int64(st, 5, now_ms);
        tr_store_bind_i64_opt(st, 6, m[i].expiry_at != 0, m[i].expiry_at);
        rc = tr_store_exec_stmt(s, false, st, "outbox insert");
        if (rc != TR_STORE_OK)
            return rc;
    }
    return TR_STORE_OK;
}

int tr_store_outbox_enqueue(struct tr_store *s, const struct tr_store_outmsg *m, size_t n,
                            int64_t now_ms)
{
    if (!s || (!m && n))
        return TR_STORE_ERR_INVALID;
    if (!tr_store_valid_time(now_ms))
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "now_ms out of range");
    if (n == 0)
        return TR_STORE_OK;
    int rc = tr_store_begin(s, false);
    if (rc != TR_STORE_OK)
        return rc;
    rc = tr_store_outbox_insert(s, m, n, now_ms);
    if (rc == TR_STORE_OK)
        return tr_store_commit(s, false);
    tr_store_rollback(s, false);
    return rc;
}

void tr_store_outbox_rows_free(struct tr_store_outbox_row *rows, size_t n)
{
    if (!rows)
        return;
    for (size_t i = 0; i < n; i++)
        free(rows[i].payload);
    free(rows);
}

/* Decode one row; false if damaged. */
static bool read_row(sqlite3_stmt *st, struct tr_store_outbox_row *r)
{
    memset(r, 0, sizeof *r);
    bool has_exp;
    int retain;
    if (!tr_store_col_i64(st, 0, &r->id) || !tr_store_col_text(st, 1, r->topic, sizeof r->topic) ||
        !tr_store_col_int(st, 3, 0, 2, &r->qos) || !tr_store_col_int(st, 4, 0, 1, &retain) ||
        !tr_store_col_i64(st, 5, &r->created) ||
        !tr_store_col_i64_opt(st, 6, &has_exp, &r->expiry_at))
        return false;
    int t = sqlite3_column_type(st, 2);
    if ((t != SQLITE_BLOB && t != SQLITE_TEXT) || !r->topic[0] || strpbrk(r->topic, "+#"))
        return false;
    int len = sqlite3_column_bytes(st, 2);
    if (len < 0 || len > TR_MSG_MAX_BYTES || (has_exp && !tr_store_valid_time(r->expiry_at)))
        return false;
    r->retain = retain != 0;
    r->payload = malloc((size_t)len + 1);
    if (!r->payload)
        return false;
    if (len)
        memcpy(r->payload, sqlite3_column_blob(st, 2), (size_t)len);
    r->payload[len] = 0;
    r->len = (size_t)len;
    return true;
}

int tr_store_outbox_pending(struct tr_store *s, int64_t after_id, size_t limit,
                            struct tr_store_outbox_row **out, size_t *n, size_t *n_corrupt)
{
    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (n_corrupt)
        *n_corrupt = 0;
    if (!s || !out || !n)
        return TR_STORE_ERR_INVALID;
    if (limit < 1 || limit > 10000 || after_id < 0)
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "bad limit or cursor");
    if (s->batch) /* its rows would be seen before they are committed */
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "outbox read inside a batch");
    int rc;
    sqlite3_stmt *st = tr_store_stmt(s, ST_OUT_PENDING,
                                     "SELECT id, topic, payload, qos, retain, created, expiry_at"
                                     " FROM outbox WHERE id > ?1 ORDER BY id LIMIT ?2",
                                     &rc);
    if (!st)
        return rc;
    struct tr_store_outbox_row *rows = calloc(limit, sizeof *rows);
    if (!rows) {
        tr_store_done(st);
        return tr_store_fail(s, false, TR_STORE_ERR_NOMEM, "out of memory");
    }
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int64(st, 2, (int64_t)limit);
    size_t k = 0, bad = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (read_row(st, &rows[k])) {
            k++;
            continue;
        }
        /* a message we cannot trust is not published */
        free(rows[k].payload);
        rows[k].payload = NULL;
        bad++;
        tr_store_fail(s, false, TR_STORE_ERR_CORRUPT, "outbox row %lld is damaged",
                      (long long)sqlite3_column_int64(st, 0));
    }
    tr_store_done(st);
    if (n_corrupt)
        *n_corrupt = bad;
    if (r != SQLITE_DONE) {
        tr_store_outbox_rows_free(rows, k);
        return tr_store_sqlite_fail(s, false, r, "outbox read");
    }
    *out = rows;
    *n = k;
    return TR_STORE_OK;
}

int tr_store_outbox_delete(struct tr_store *s, const int64_t *ids, size_t n)
{
    if (!s || (!ids && n))
        return TR_STORE_ERR_INVALID;
    if (n == 0)
        return TR_STORE_OK;
    /* no fsync of its own: a delete lost in a crash publishes a message
     * again, which receivers drop by id; the next durable commit syncs it */
    int rc = tr_store_begin_nosync(s);
    if (rc != TR_STORE_OK)
        return rc;
    for (size_t i = 0; i < n && rc == TR_STORE_OK; i++) {
        sqlite3_stmt *st = tr_store_stmt(s, ST_OUT_DELETE, "DELETE FROM outbox WHERE id = ?1", &rc);
        if (!st)
            break;
        sqlite3_bind_int64(st, 1, ids[i]);
        rc = tr_store_exec_stmt(s, false, st, "outbox delete");
    }
    return tr_store_end_nosync(s, rc);
}

int tr_store_outbox_count(struct tr_store *s, int64_t *n)
{
    if (!s || !n)
        return TR_STORE_ERR_INVALID;
    int rc;
    sqlite3_stmt *st = tr_store_stmt(s, ST_OUT_COUNT, "SELECT count(*) FROM outbox", &rc);
    if (!st)
        return rc;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    else
        rc = tr_store_sqlite_fail(s, false, r, "outbox count");
    tr_store_done(st);
    return rc;
}
