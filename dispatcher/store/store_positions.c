/*
 * dispatcher/store/store_positions.c: position history and last positions,
 * on the positions file's own connection (synchronous=NORMAL).
 *
 * SQLite rewrites a 4 KB page for every small upserted row, so the hot path
 * only appends: a history batch is one transaction of plain inserts into a
 * rowid table with no secondary index. Last positions live in the caller's
 * memory and are flushed in one transaction from time to time, one row per
 * (agent, boot), which is also the dedupe high-water mark. The flush records
 * how far the history is folded in (meta.folded_upto); at open the history
 * appended after the last flush is folded in too, so after a crash the high
 * water marks are exact, without an index on the history.
 *
 * Retention deletes by rowid ranges (append order is receive order), found
 * by binary search on `received`, in chunks.
 *
 * Does not: dedupe (the caller drops seq <= high water before appending),
 * dead-reckon, or tag regions.
 */
#include <math.h>
#include <string.h>

#include "dispatcher/store/store_int.h"

#define SEQ_MAX 9007199254740991LL

static bool valid_position(const struct tr_store_position *p)
{
    const struct tr_fix *f = &p->fix;
    return tr_msg_valid_agent_id(p->agent_id) && tr_msg_valid_msgid(p->boot_id) && f->seq >= 0 &&
           f->seq <= SEQ_MAX && tr_store_valid_time(f->t) && isfinite(f->lat) && isfinite(f->lon) &&
           f->lat >= -90 && f->lat <= 90 && f->lon >= -180 && f->lon <= 180 &&
           (f->mode == 2 || f->mode == 3) &&
           (!f->has_acc || (isfinite(f->acc) && f->acc >= 0 && f->acc <= 100000)) &&
           (!f->has_speed || (isfinite(f->speed) && f->speed >= 0 && f->speed <= 150)) &&
           (!f->has_heading || (isfinite(f->heading) && f->heading >= 0 && f->heading < 360)) &&
           tr_store_valid_time(p->received);
}

/* Bind a position to ?1..?11 in the column order of both tables. */
static void bind_position(sqlite3_stmt *st, const struct tr_store_position *p)
{
    const struct tr_fix *f = &p->fix;
    sqlite3_bind_text(st, 1, p->agent_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, p->boot_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, f->seq);
    sqlite3_bind_int64(st, 4, f->t);
    sqlite3_bind_double(st, 5, f->lat);
    sqlite3_bind_double(st, 6, f->lon);
    sqlite3_bind_int(st, 7, f->mode);
    tr_store_bind_dbl_opt(st, 8, f->has_acc, f->acc);
    tr_store_bind_dbl_opt(st, 9, f->has_speed, f->speed);
    tr_store_bind_dbl_opt(st, 10, f->has_heading, f->heading);
    sqlite3_bind_int64(st, 11, p->received);
}

#define POS_COLS "agent_id, boot_id, seq, t, lat, lon, mode, acc, speed, heading, received"

/* Write rows with statement `id`; invalid rows are skipped and counted. */
static int write_batch(struct tr_store *s, int id, const char *sql,
                       const struct tr_store_position *rows, size_t n, size_t *n_rejected)
{
    size_t bad = 0;
    int rc = tr_store_begin(s, true);
    if (rc != TR_STORE_OK)
        return rc;
    sqlite3_stmt *st = tr_store_stmt(s, id, sql, &rc);
    if (!st)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        if (!valid_position(&rows[i])) {
            bad++;
            continue;
        }
        bind_position(st, &rows[i]); /* every parameter, NULLs included */
        int r = sqlite3_step(st);
        sqlite3_reset(st);
        if (r != SQLITE_DONE) {
            rc = tr_store_sqlite_fail(s, true, r, "position write");
            tr_store_done(st);
            goto fail;
        }
    }
    tr_store_done(st);
    if (id == ST_P_LAST_UPSERT) {
        st = tr_store_stmt(
            s, ST_P_MARK,
            "UPDATE meta SET value = (SELECT coalesce(max(rowid), 0) FROM pos_history)"
            " WHERE key = 'folded_upto'",
            &rc);
        if (!st)
            goto fail;
        rc = tr_store_exec_stmt(s, true, st, "fold mark");
        if (rc != TR_STORE_OK)
            goto fail;
    }
    rc = tr_store_commit(s, true);
    if (rc == TR_STORE_OK && n_rejected)
        *n_rejected = bad;
    return rc;
fail:
    tr_store_rollback(s, true);
    return rc;
}

int tr_store_positions_append(struct tr_store *s, const struct tr_store_position *rows, size_t n,
                              size_t *n_rejected)
{
    if (n_rejected)
        *n_rejected = 0;
    if (!s || (!rows && n))
        return TR_STORE_ERR_INVALID;
    if (n == 0)
        return TR_STORE_OK;
    return write_batch(s, ST_P_HIST_INSERT,
                       "INSERT INTO pos_history (" POS_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
                       " ?7, ?8, ?9, ?10, ?11)",
                       rows, n, n_rejected);
}

#define UPSERT_TAIL                                                                                \
    " ON CONFLICT (agent_id, boot_id) DO UPDATE SET seq = excluded.seq, t = excluded.t,"           \
    " lat = excluded.lat, lon = excluded.lon, mode = excluded.mode, acc = excluded.acc,"           \
    " speed = excluded.speed, heading = excluded.heading, received = excluded.received"            \
    " WHERE excluded.seq >= last_position.seq"

int tr_store_last_positions_flush(struct tr_store *s, const struct tr_store_position *rows,
                                  size_t n, size_t *n_rejected)
{
    if (n_rejected)
        *n_rejected = 0;
    if (!s || (!rows && n))
        return TR_STORE_ERR_INVALID;
    return write_batch(s, ST_P_LAST_UPSERT,
                       "INSERT INTO last_position (" POS_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
                       " ?7, ?8, ?9, ?10, ?11)" UPSERT_TAIL,
                       rows, n, n_rejected);
}

int tr_store_positions_fold(struct tr_store *s)
{
    int rc = tr_store_begin(s, true);
    if (rc != TR_STORE_OK)
        return rc;
    sqlite3_stmt *st = tr_store_stmt(s, ST_P_FOLD,
                                     "INSERT INTO last_position (" POS_COLS ") SELECT " POS_COLS
                                     " FROM pos_history"
                                     " WHERE rowid > (SELECT value FROM meta WHERE key = "
                                     "'folded_upto') ORDER BY rowid" UPSERT_TAIL,
                                     &rc);
    if (st)
        rc = tr_store_exec_stmt(s, true, st, "fold history");
    if (rc == TR_STORE_OK) {
        st = tr_store_stmt(s, ST_P_MARK,
                           "UPDATE meta SET value = (SELECT coalesce(max(rowid), 0) FROM"
                           " pos_history) WHERE key = 'folded_upto'",
                           &rc);
        if (st)
            rc = tr_store_exec_stmt(s, true, st, "fold mark");
    }
    if (rc == TR_STORE_OK)
        return tr_store_commit(s, true);
    tr_store_rollback(s, true);
    return rc;
}

/* Decode a POS_COLS row. */
static bool read_position(sqlite3_stmt *st, struct tr_store_position *p)
{
    memset(p, 0, sizeof *p);
    struct tr_fix *f = &p->fix;
    return tr_store_col_text(st, 0, p->agent_id, sizeof p->agent_id) &&
           tr_store_col_text(st, 1, p->boot_id, sizeof p->boot_id) &&
           tr_store_col_i64(st, 2, &f->seq) && tr_store_col_i64(st, 3, &f->t) &&
           tr_store_col_dbl(st, 4, &f->lat) && tr_store_col_dbl(st, 5, &f->lon) &&
           tr_store_col_int(st, 6, 2, 3, &f->mode) &&
           tr_store_col_dbl_opt(st, 7, &f->has_acc, &f->acc) &&
           tr_store_col_dbl_opt(st, 8, &f->has_speed, &f->speed) &&
           tr_store_col_dbl_opt(st, 9, &f->has_heading, &f->heading) &&
           tr_store_col_i64(st, 10, &p->received) && valid_position(p);
}

/* Iterate last_position in (agent, boot) order. */
static int scan_last(struct tr_store *s, int (*row)(void *ctx, const struct tr_store_position *p),
                     void *ctx, size_t *n_corrupt)
{
    int rc;
    sqlite3_stmt *st = tr_store_stmt(
        s, ST_P_LAST_ALL, "SELECT " POS_COLS " FROM last_position ORDER BY agent_id, boot_id", &rc);
    if (!st)
        return rc;
    size_t bad = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct tr_store_position p;
        if (!read_position(st, &p)) {
            bad++;
            continue;
        }
        if (row(ctx, &p) != 0) {
            r = SQLITE_DONE;
            break;
        }
    }
    tr_store_done(st);
    if (n_corrupt)
        *n_corrupt = bad;
    if (bad)
        tr_store_fail(s, true, TR_STORE_ERR_CORRUPT, "%zu damaged last-position rows skipped", bad);
    return r == SQLITE_DONE ? TR_STORE_OK : tr_store_sqlite_fail(s, true, r, "last positions");
}

struct hw_ctx {
    int (*cb)(void *ctx, const char *agent_id, const char *boot_id, int64_t seq);
    void *ctx;
};

static int hw_row(void *ctx, const struct tr_store_position *p)
{
    struct hw_ctx *h = ctx;
    return h->cb(h->ctx, p->agent_id, p->boot_id, p->fix.seq);
}

int tr_store_positions_high_water(struct tr_store *s,
                                  int (*cb)(void *ctx, const char *agent_id, const char *boot_id,
                                            int64_t seq),
                                  void *ctx, size_t *n_corrupt)
{
    if (n_corrupt)
        *n_corrupt = 0;
    if (!s || !cb)
        return TR_STORE_ERR_INVALID;
    struct hw_ctx h = { cb, ctx };
    return scan_last(s, hw_row, &h, n_corrupt);
}

/* Keeps the newest row of the current agent; emits it when the agent changes. */
struct newest_ctx {
    int (*cb)(void *ctx, const struct tr_store_position *p);
    void *ctx;
    bool have;
    struct tr_store_position best;
    int stopped;
};

static int newest_row(void *ctx, const struct tr_store_position *p)
{
    struct newest_ctx *c = ctx;
    if (c->have && strcmp(c->best.agent_id, p->agent_id) == 0) {
        if (p->fix.t > c->best.fix.t ||
            (p->fix.t == c->best.fix.t && p->received > c->best.received))
            c->best = *p;
        return 0;
    }
    if (c->have && (c->stopped = c->cb(c->ctx, &c->best)) != 0)
        return 1;
    c->best = *p;
    c->have = true;
    return 0;
}

int tr_store_last_positions_each(struct tr_store *s,
                                 int (*cb)(void *ctx, const struct tr_store_position *p), void *ctx,
                                 size_t *n_corrupt)
{
    if (n_corrupt)
        *n_corrupt = 0;
    if (!s || !cb)
        return TR_STORE_ERR_INVALID;
    struct newest_ctx c = { .cb = cb, .ctx = ctx };
    int rc = scan_last(s, newest_row, &c, n_corrupt);
    if (rc == TR_STORE_OK && c.have && !c.stopped)
        cb(ctx, &c.best);
    return rc;
}

/* ---------- retention ---------- */

/* First history row at or after rowid `from`: false when none. */
static int probe(struct tr_store *s, int64_t from, bool *found, int64_t *rowid, int64_t *received)
{
    int rc;
    sqlite3_stmt *st = tr_store_stmt(
        s, ST_P_PROBE,
        "SELECT rowid, received FROM pos_history WHERE rowid >= ?1 ORDER BY rowid LIMIT 1", &rc);
    if (!st)
        return rc;
    sqlite3_bind_int64(st, 1, from);
    int r = sqlite3_step(st);
    *found = r == SQLITE_ROW;
    if (r == SQLITE_ROW) {
        *rowid = sqlite3_column_int64(st, 0);
        *received = sqlite3_column_int64(st, 1);
    } else if (r != SQLITE_DONE) {
        rc = tr_store_sqlite_fail(s, true, r, "history probe");
    }
    tr_store_done(st);
    return rc;
}

static int max_rowid(struct tr_store *s, int64_t *out)
{
    int rc;
    sqlite3_stmt *st =
        tr_store_stmt(s, ST_P_MIN, "SELECT coalesce(max(rowid), 0) FROM pos_history", &rc);
    if (!st)
        return rc;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        rc = tr_store_sqlite_fail(s, true, r, "history max");
    tr_store_done(st);
    return rc;
}

int tr_store_positions_prune(struct tr_store *s, int64_t cutoff_ms, size_t max_rows,
                             size_t *deleted)
{
    if (deleted)
        *deleted = 0;
    if (!s || !deleted)
        return TR_STORE_ERR_INVALID;
    if (!tr_store_valid_time(cutoff_ms) || max_rows < 1 || max_rows > 1000000)
        return tr_store_fail(s, true, TR_STORE_ERR_INVALID, "bad cutoff or chunk size");
    bool found;
    int64_t first = 0, received = 0, last = 0;
    int rc = probe(s, INT64_MIN, &found, &first, &received);
    if (rc == TR_STORE_OK && found)
        rc = max_rowid(s, &last);
    if (rc != TR_STORE_OK)
        return rc;
    int64_t end = first; /* delete [first, end) */
    if (found && received < cutoff_ms) {
        /* rows are in receive order: find the first received >= cutoff */
        int64_t lo = first, hi = last + 1;
        while (hi - lo > 1) {
            int64_t mid = lo + (hi - lo) / 2, row;
            rc = probe(s, mid, &found, &row, &received);
            if (rc != TR_STORE_OK)
                return rc;
            if (!found || row >= hi || received >= cutoff_ms)
                hi = mid;
            else
                lo = row;
        }
        end = hi;
        if (end - first > (int64_t)max_rows)
            end = first + (int64_t)max_rows;
    }
    rc = tr_store_begin(s, true);
    if (rc != TR_STORE_OK)
        return rc;
    size_t n = 0;
    if (end > first) {
        sqlite3_stmt *st = tr_store_stmt(
            s, ST_P_DELETE, "DELETE FROM pos_history WHERE rowid >= ?1 AND rowid < ?2", &rc);
        if (!st)
            goto fail;
        sqlite3_bind_int64(st, 1, first);
        sqlite3_bind_int64(st, 2, end);
        rc = tr_store_exec_stmt(s, true, st, "history delete");
        if (rc != TR_STORE_OK)
            goto fail;
        n = (size_t)sqlite3_changes(s->pos);
    }
    if (n < max_rows) {
        /* the last call of a round: old boots, keeping each agent's newest */
        sqlite3_stmt *st =
            tr_store_stmt(s, ST_P_PRUNE_LAST,
                          "DELETE FROM last_position WHERE received < ?1 AND EXISTS (SELECT 1 FROM"
                          " last_position n WHERE n.agent_id = last_position.agent_id AND"
                          " (n.t > last_position.t OR (n.t = last_position.t AND"
                          " n.received > last_position.received)))",
                          &rc);
        if (!st)
            goto fail;
        sqlite3_bind_int64(st, 1, cutoff_ms);
        rc = tr_store_exec_stmt(s, true, st, "last position prune");
        if (rc != TR_STORE_OK)
            goto fail;
    }
    if (n > 0) {
        /* rowids are max + 1: with the newest rows gone, new ones can get
         * ids at or below folded_upto, and the fold at open would skip them */
        sqlite3_stmt *st =
            tr_store_stmt(s, ST_P_PRUNE_MARK,
                          "UPDATE meta SET value = min(value, (SELECT coalesce(max(rowid), 0) FROM"
                          " pos_history)) WHERE key = 'folded_upto'",
                          &rc);
        if (!st)
            goto fail;
        rc = tr_store_exec_stmt(s, true, st, "prune mark");
        if (rc != TR_STORE_OK)
            goto fail;
    }
    rc = tr_store_commit(s, true);
    if (rc == TR_STORE_OK)
        *deleted = n;
    return rc;
fail:
    tr_store_rollback(s, true);
    return rc;
}

int tr_store_positions_count(struct tr_store *s, int64_t *n)
{
    if (!s || !n)
        return TR_STORE_ERR_INVALID;
    int rc;
    sqlite3_stmt *st = tr_store_stmt(s, ST_P_COUNT, "SELECT count(*) FROM pos_history", &rc);
    if (!st)
        return rc;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    else
        rc = tr_store_sqlite_fail(s, true, r, "history count");
    tr_store_done(st);
    return rc;
}
