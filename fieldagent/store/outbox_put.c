/*
 * fieldagent/store/outbox_put.c: putting events and positions into the
 * outbox, the write transactions that commit them (with the pending acks),
 * and thinning when the positions outgrow their bound.
 *
 * One write transaction does, in order: delete the acknowledged items, make
 * room (thin the oldest positions not in flight, then drop the newest
 * buffered ones only if thinning cannot help), insert the buffered
 * positions, insert the event if any. The in-memory counters change only
 * after COMMIT succeeded; on failure everything stays pending for a retry.
 */
#include "fieldagent/store/outbox_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define OB_THIN_CHUNK 64 /* ids read per step of a thinning pass (even) */

/* Counter changes of one transaction, applied after COMMIT. */
struct ob_tx {
    int64_t d_events, d_positions, d_bytes, thinned, dropped;
    size_t n_insert; /* buffered positions inserted (the rest dropped) */
};

bool tr_outbox_int_fix_ok(const struct tr_fix *f)
{
    if (f->seq < 0 || f->seq > INT64_C(9007199254740991))
        return false;
    if (f->t < INT64_C(946684800000) || f->t > INT64_C(4102444800000))
        return false;
    if (!isfinite(f->lat) || !isfinite(f->lon) || f->lat < -90 || f->lat > 90 || f->lon < -180 ||
        f->lon > 180)
        return false;
    if (f->mode != 2 && f->mode != 3)
        return false;
    if (f->has_acc && !(isfinite(f->acc) && f->acc >= 0 && f->acc <= 100000))
        return false;
    if (f->has_speed && !(isfinite(f->speed) && f->speed >= 0 && f->speed <= 150))
        return false;
    if (f->has_heading && !(isfinite(f->heading) && f->heading >= 0 && f->heading < 360))
        return false;
    return true;
}

static int apply_acks(struct tr_outbox *ob, struct ob_tx *tx)
{
    for (size_t i = 0; i < ob->nacks; i++) {
        const struct ob_ack *a = &ob->acks[i];
        sqlite3_stmt *s;
        int rc;

        if (a->loc) {
            s = ob->st[OB_DEL_FIXES];
            sqlite3_bind_int64(s, 1, a->first);
            sqlite3_bind_int64(s, 2, a->last);
            rc = tr_outbox_int_exec(ob, OB_DEL_FIXES);
            if (rc != SQLITE_OK)
                return tr_outbox_int_db_err(ob, rc, "ack");
            tx->d_positions -= sqlite3_changes(ob->db);
            continue;
        }
        s = ob->st[OB_DEL_EVENT];
        sqlite3_bind_int64(s, 1, a->first);
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            tx->d_events--;
            tx->d_bytes -= sqlite3_column_int64(s, 0) + TR_OUTBOX_EVENT_ROW_BYTES;
            rc = sqlite3_step(s);
        }
        sqlite3_reset(s);
        if (rc != SQLITE_DONE)
            return tr_outbox_int_db_err(ob, rc, "ack");
    }
    return TR_OUTBOX_OK;
}

/* Delete every other position (the 2nd, 4th, ...) among the `region` oldest
 * ones not in flight. Returns how many were deleted, or minus an enum
 * tr_outbox_err on error. */
static int64_t thin_pass(struct tr_outbox *ob, int64_t region)
{
    int64_t ids[OB_THIN_CHUNK];
    int64_t cursor = ob->fix_sent, done = 0, removed = 0;

    while (done < region) {
        sqlite3_stmt *s = ob->st[OB_IDS_AFTER];
        int64_t want = region - done < OB_THIN_CHUNK ? region - done : OB_THIN_CHUNK;
        int n = 0, rc;

        sqlite3_bind_int64(s, 1, cursor);
        sqlite3_bind_int64(s, 2, want);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < OB_THIN_CHUNK)
            ids[n++] = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            return -tr_outbox_int_db_err(ob, rc, "thin");
        if (n == 0)
            break;
        for (int i = 0; i < n; i++) {
            if ((done + i) % 2 == 0)
                continue;
            sqlite3_bind_int64(ob->st[OB_DEL_FIX], 1, ids[i]);
            rc = tr_outbox_int_exec(ob, OB_DEL_FIX);
            if (rc != SQLITE_OK)
                return -tr_outbox_int_db_err(ob, rc, "thin");
            removed++;
        }
        cursor = ids[n - 1];
        done += n;
    }
    return removed;
}

/* Make room for the buffered positions: thin, then drop the newest buffered
 * ones if thinning cannot free enough. */
static int make_room(struct tr_outbox *ob, struct ob_tx *tx)
{
    int64_t need = ob->n_positions + tx->d_positions + (int64_t)ob->nbuf - tr_outbox_int_cap(ob);

    while (need > 0) {
        sqlite3_stmt *s = ob->st[OB_COUNT_AFTER];
        int64_t thinnable = 0, removed;
        int rc;

        sqlite3_bind_int64(s, 1, ob->fix_sent);
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            thinnable = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
        if (rc != SQLITE_ROW)
            return tr_outbox_int_db_err(ob, rc, "thin");
        if (thinnable < 2)
            break;
        removed = thin_pass(ob, thinnable / 2 < 2 ? 2 : thinnable / 2);
        if (removed < 0)
            return (int)-removed;
        if (removed == 0)
            break;
        need -= removed;
        tx->thinned += removed;
        tx->d_positions -= removed;
    }
    if (need > 0) {
        int64_t drop = need < (int64_t)ob->nbuf ? need : (int64_t)ob->nbuf;
        tx->dropped += drop;
        tx->n_insert = ob->nbuf - (size_t)drop;
    }
    return TR_OUTBOX_OK;
}

static void bind_opt(sqlite3_stmt *s, int col, bool has, double v)
{
    if (has)
        sqlite3_bind_double(s, col, v);
    else
        sqlite3_bind_null(s, col);
}

static int insert_fixes(struct tr_outbox *ob, struct ob_tx *tx)
{
    sqlite3_stmt *s = ob->st[OB_INS_FIX];

    for (size_t i = 0; i < tx->n_insert; i++) {
        const struct tr_fix *f = &ob->buf[i];
        int rc;

        sqlite3_bind_int64(s, 1, ob->next_fix_id + (int64_t)i);
        sqlite3_bind_int64(s, 2, ob->boot_ref);
        sqlite3_bind_int64(s, 3, f->seq);
        sqlite3_bind_int64(s, 4, f->t);
        sqlite3_bind_double(s, 5, f->lat);
        sqlite3_bind_double(s, 6, f->lon);
        sqlite3_bind_int(s, 7, f->mode);
        bind_opt(s, 8, f->has_acc, f->acc);
        bind_opt(s, 9, f->has_speed, f->speed);
        bind_opt(s, 10, f->has_heading, f->heading);
        rc = tr_outbox_int_exec(ob, OB_INS_FIX);
        if (rc != SQLITE_OK)
            return tr_outbox_int_db_err(ob, rc, "insert position");
    }
    tx->d_positions += (int64_t)tx->n_insert;
    return TR_OUTBOX_OK;
}

static int insert_event(struct tr_outbox *ob, const char *topic, const void *payload, size_t len,
                        struct ob_tx *tx)
{
    sqlite3_stmt *s = ob->st[OB_INS_EVENT];
    size_t tlen = strlen(topic);
    int rc;

    sqlite3_bind_int64(s, 1, ob->next_event_id);
    sqlite3_bind_text(s, 2, topic, (int)tlen, SQLITE_STATIC);
    sqlite3_bind_blob(s, 3, payload, (int)len, SQLITE_STATIC);
    rc = tr_outbox_int_exec(ob, OB_INS_EVENT);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_OK)
        return tr_outbox_int_db_err(ob, rc, "insert event");
    tx->d_events++;
    tx->d_bytes += (int64_t)(tlen + len) + TR_OUTBOX_EVENT_ROW_BYTES;
    return TR_OUTBOX_OK;
}

int tr_outbox_int_commit(struct tr_outbox *ob, const char *topic, const void *payload, size_t len,
                         int64_t *event_id)
{
    struct ob_tx tx = { 0 };
    bool full = topic || ob->lim.positions_full_sync;
    int rc;

    if (!topic && !ob->nbuf && !ob->nacks) {
        ob->pending_since = -1;
        return TR_OUTBOX_OK;
    }
    tx.n_insert = ob->nbuf;
    rc = tr_outbox_int_set_sync(ob, full);
    if (rc != SQLITE_OK)
        return tr_outbox_int_db_err(ob, rc, "commit");
    rc = tr_outbox_int_exec(ob, OB_BEGIN);
    if (rc != SQLITE_OK)
        return tr_outbox_int_db_err(ob, rc, "begin");
    rc = apply_acks(ob, &tx);
    if (!rc && ob->nbuf)
        rc = make_room(ob, &tx);
    if (!rc)
        rc = insert_fixes(ob, &tx);
    if (!rc && topic)
        rc = insert_event(ob, topic, payload, len, &tx);
    if (!rc) {
        int src = tr_outbox_int_exec(ob, OB_COMMIT);
        if (src != SQLITE_OK)
            rc = tr_outbox_int_db_err(ob, src, "commit");
    }
    if (rc) {
        tr_outbox_int_exec(ob, OB_ROLLBACK);
        return rc;
    }
    ob->n_events += tx.d_events;
    ob->n_positions += tx.d_positions;
    ob->event_bytes += tx.d_bytes;
    ob->thinned += tx.thinned;
    ob->dropped += tx.dropped;
    ob->next_fix_id += (int64_t)tx.n_insert;
    if (topic) {
        if (event_id)
            *event_id = ob->next_event_id;
        ob->next_event_id++;
    }
    ob->nbuf = 0;
    ob->nacks = 0;
    ob->pending_since = -1;
    ob->commits++;
    return TR_OUTBOX_OK;
}

int tr_outbox_put_event(struct tr_outbox *ob, const char *topic, const void *payload, size_t len,
                        uint64_t *id_out)
{
    int64_t id = 0;
    size_t tlen;
    int rc;

    if (!ob || !topic || !payload || len == 0 || len > TR_MSG_MAX_BYTES)
        return TR_OUTBOX_ERR_INVALID;
    tlen = strlen(topic);
    if (tlen == 0 || tlen > TR_OUTBOX_TOPIC_MAX)
        return tr_outbox_int_fail(ob, TR_OUTBOX_ERR_INVALID, "bad topic length %zu", tlen);
    rc = tr_outbox_int_commit(ob, topic, payload, len, &id);
    if (!rc && id_out)
        *id_out = (uint64_t)id;
    return rc;
}

/* Make boot_id the boot of the next positions: commit the buffer (one boot
 * per buffer), then find or add its row and its last seq. */
static int switch_boot(struct tr_outbox *ob, const char *boot_id)
{
    sqlite3_stmt *s;
    int64_t ref = 0, last = -1;
    int rc;

    if ((rc = tr_outbox_commit(ob)))
        return rc;
    if (ob->boot_ref) { /* its rows may all be gone by the time we come back */
        size_t k = ob->boots_seen_next++ % OB_BOOTS_SEEN;
        ob->boots_seen[k].ref = ob->boot_ref;
        ob->boots_seen[k].last_seq = ob->boot_last_seq;
    }
    s = ob->st[OB_FIND_BOOT];
    sqlite3_bind_text(s, 1, boot_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        ref = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return tr_outbox_int_db_err(ob, rc, "find boot");
    if (ref) {
        s = ob->st[OB_BOOT_LAST];
        sqlite3_bind_int64(s, 1, ref);
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            last = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return tr_outbox_int_db_err(ob, rc, "find boot");
    } else {
        s = ob->st[OB_INS_BOOT];
        sqlite3_bind_text(s, 1, boot_id, -1, SQLITE_STATIC);
        rc = tr_outbox_int_exec(ob, OB_INS_BOOT);
        sqlite3_clear_bindings(s);
        if (rc != SQLITE_OK)
            return tr_outbox_int_db_err(ob, rc, "add boot");
        ref = sqlite3_last_insert_rowid(ob->db);
    }
    for (size_t k = 0; k < OB_BOOTS_SEEN; k++) {
        if (ob->boots_seen[k].ref == ref && ob->boots_seen[k].last_seq > last)
            last = ob->boots_seen[k].last_seq;
    }
    snprintf(ob->boot, sizeof ob->boot, "%s", boot_id);
    ob->boot_ref = ref;
    ob->boot_last_seq = last;
    return TR_OUTBOX_OK;
}

int tr_outbox_put_fix(struct tr_outbox *ob, const char *boot_id, const struct tr_fix *fix)
{
    int rc;

    if (!ob || !boot_id || !fix)
        return TR_OUTBOX_ERR_INVALID;
    if (!tr_msg_valid_msgid(boot_id))
        return tr_outbox_int_fail(ob, TR_OUTBOX_ERR_INVALID, "bad boot id");
    if (!tr_outbox_int_fix_ok(fix))
        return tr_outbox_int_fail(ob, TR_OUTBOX_ERR_INVALID, "fix out of range (seq %lld)",
                                  (long long)fix->seq);
    if (!ob->boot_ref || strcmp(boot_id, ob->boot) != 0) {
        if ((rc = switch_boot(ob, boot_id)))
            return rc;
    }
    if (ob->boot_last_seq >= 0 && fix->seq <= ob->boot_last_seq)
        return tr_outbox_int_fail(ob, TR_OUTBOX_ERR_ORDER, "seq %lld not above %lld",
                                  (long long)fix->seq, (long long)ob->boot_last_seq);
    if (tr_outbox_int_cap(ob) <= 0) {
        ob->dropped++;
        return tr_outbox_int_fail(ob, TR_OUTBOX_ERR_FULL, "events fill the outbox budget");
    }
    if (ob->next_fix_id + (int64_t)ob->nbuf >= OB_FIX_ID_MAX)
        return tr_outbox_int_fail(ob, TR_OUTBOX_ERR_FULL, "position row ids exhausted");
    /* Commit before adding, so an error means this fix was not taken. */
    if (ob->nbuf == TR_OUTBOX_MAX_BUFFER || ob->nbuf + ob->nacks >= (size_t)ob->lim.commit_every) {
        if ((rc = tr_outbox_commit(ob)))
            return rc;
    }
    ob->buf[ob->nbuf++] = *fix;
    ob->boot_last_seq = fix->seq;
    return TR_OUTBOX_OK;
}

int tr_outbox_flush(struct tr_outbox *ob, int64_t now_ms)
{
    if (!ob)
        return TR_OUTBOX_ERR_INVALID;
    if (!ob->nbuf && !ob->nacks) {
        ob->pending_since = -1;
        return TR_OUTBOX_OK;
    }
    if (ob->pending_since < 0 || now_ms < ob->pending_since) /* or the clock went back */
        ob->pending_since = now_ms;
    if (ob->nbuf + ob->nacks >= (size_t)ob->lim.commit_every ||
        now_ms - ob->pending_since >= ob->lim.commit_ms)
        return tr_outbox_int_commit(ob, NULL, NULL, 0, NULL);
    return TR_OUTBOX_OK;
}

int tr_outbox_commit(struct tr_outbox *ob)
{
    if (!ob)
        return TR_OUTBOX_ERR_INVALID;
    return tr_outbox_int_commit(ob, NULL, NULL, 0, NULL);
}
