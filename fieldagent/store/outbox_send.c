/*
 * fieldagent/store/outbox_send.c: handing items out for sending
 * (tr_outbox_next), acknowledging them (tr_outbox_ack) and putting the
 * in-flight ones back after a lost session (tr_outbox_requeue_all).
 *
 * In flight = every row id at or below the highest one handed out, per
 * table (ev_sent, fix_sent). Acks are recorded and deleted with the next
 * commit; a requeue commits them first, then starts again from the oldest
 * row, so a re-send comes in the original order. Rows that fail validation
 * on the way out (only a damaged file can hold them) are skipped, never
 * handed out: one bad row must not block the queue.
 */
#include "fieldagent/store/outbox_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int next_event(struct tr_outbox *ob, struct tr_outbox_item *out)
{
    sqlite3_stmt *s = ob->st[OB_NEXT_EVENT];

    for (;;) {
        int64_t id;
        int tlen, plen, rc;
        const void *topic, *payload;

        sqlite3_bind_int64(s, 1, ob->ev_sent);
        rc = sqlite3_step(s);
        if (rc == SQLITE_DONE) {
            sqlite3_reset(s);
            return TR_OUTBOX_ERR_EMPTY;
        }
        if (rc != SQLITE_ROW) {
            sqlite3_reset(s);
            return tr_outbox_int_db_err(ob, rc, "next event");
        }
        id = sqlite3_column_int64(s, 0);
        topic = sqlite3_column_blob(s, 1);
        tlen = sqlite3_column_bytes(s, 1);
        payload = sqlite3_column_blob(s, 2);
        plen = sqlite3_column_bytes(s, 2);
        if (!topic || tlen < 1 || tlen > TR_OUTBOX_TOPIC_MAX || memchr(topic, 0, (size_t)tlen) ||
            !payload || plen < 1 || plen > TR_MSG_MAX_BYTES) {
            sqlite3_reset(s);
            ob->ev_sent = id; /* damaged row: skip it */
            continue;
        }
        if ((size_t)plen > ob->payload_cap) {
            char *p = realloc(ob->payload, (size_t)plen);
            if (!p) {
                sqlite3_reset(s);
                return TR_OUTBOX_ERR_NOMEM;
            }
            ob->payload = p;
            ob->payload_cap = (size_t)plen;
        }
        memcpy(ob->payload, payload, (size_t)plen);
        memset(out, 0, offsetof(struct tr_outbox_item, fixes));
        memcpy(out->topic, topic, (size_t)tlen);
        out->topic[tlen] = '\0';
        sqlite3_reset(s);
        out->kind = TR_OUTBOX_EVENT;
        out->cookie = (uint64_t)id;
        out->first_id = out->last_id = id;
        out->payload = ob->payload;
        out->len = (size_t)plen;
        ob->ev_sent = id;
        if (id > ob->ev_handed)
            ob->ev_handed = id;
        return TR_OUTBOX_OK;
    }
}

/* Read one position row; false when a required column is missing or a
 * value breaks the contract. */
static bool read_fix(sqlite3_stmt *s, struct tr_fix *f)
{
    memset(f, 0, sizeof *f);
    for (int c = 2; c <= 6; c++) {
        if (sqlite3_column_type(s, c) == SQLITE_NULL)
            return false;
    }
    f->seq = sqlite3_column_int64(s, 2);
    f->t = sqlite3_column_int64(s, 3);
    f->lat = sqlite3_column_double(s, 4);
    f->lon = sqlite3_column_double(s, 5);
    f->mode = sqlite3_column_int(s, 6);
    if ((f->has_acc = sqlite3_column_type(s, 7) != SQLITE_NULL))
        f->acc = sqlite3_column_double(s, 7);
    if ((f->has_speed = sqlite3_column_type(s, 8) != SQLITE_NULL))
        f->speed = sqlite3_column_double(s, 8);
    if ((f->has_heading = sqlite3_column_type(s, 9) != SQLITE_NULL))
        f->heading = sqlite3_column_double(s, 9);
    return tr_outbox_int_fix_ok(f);
}

/* The boot id of boot row ref into ob->send_boot; *damaged when that row is
 * missing or holds no valid id (only a damaged file can). */
static int boot_text(struct tr_outbox *ob, int64_t ref, bool *damaged)
{
    sqlite3_stmt *s = ob->st[OB_BOOT_TEXT];
    int rc;

    *damaged = false;
    if (ref == ob->send_boot_ref && ob->send_boot[0])
        return TR_OUTBOX_OK;
    sqlite3_bind_int64(s, 1, ref);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *txt = (const char *)sqlite3_column_text(s, 0);
        if (txt && tr_msg_valid_msgid(txt)) {
            snprintf(ob->send_boot, sizeof ob->send_boot, "%s", txt);
            ob->send_boot_ref = ref;
        } else {
            *damaged = true;
        }
    } else if (rc == SQLITE_DONE) {
        *damaged = true; /* a position whose boot row is missing */
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return tr_outbox_int_db_err(ob, rc, "boot of a position");
    return TR_OUTBOX_OK;
}

/* Up to batch_fixes consecutive rows of one boot with increasing seq and a
 * row id span that fits the cookie. */
static int next_loc(struct tr_outbox *ob, struct tr_outbox_item *out)
{
    sqlite3_stmt *s = ob->st[OB_NEXT_FIXES];

    for (;;) {
        int64_t boot = 0, first = 0, last = 0, skip_to = 0;
        size_t n = 0;
        int rc;

        sqlite3_bind_int64(s, 1, ob->fix_sent);
        sqlite3_bind_int(s, 2, ob->lim.batch_fixes);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(s, 0);
            int64_t ref = sqlite3_column_int64(s, 1);
            struct tr_fix f;
            bool ok = read_fix(s, &f);

            if (n == 0 && (!ok || id > OB_FIX_ID_MAX)) {
                skip_to = id; /* damaged row (or an id no cookie can hold): skip it */
                break;
            }
            if (n > 0 &&
                (!ok || ref != boot || f.seq <= out->fixes[n - 1].seq || id - first > OB_SPAN_MAX))
                break;
            if (n == 0) {
                boot = ref;
                first = id;
            }
            out->fixes[n++] = f;
            last = id;
        }
        sqlite3_reset(s);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return tr_outbox_int_db_err(ob, rc, "next positions");
        if (skip_to) {
            ob->fix_sent = skip_to;
            continue;
        }
        if (n == 0)
            return TR_OUTBOX_ERR_EMPTY;
        bool damaged;
        if ((rc = boot_text(ob, boot, &damaged)))
            return rc;
        if (damaged) {
            ob->fix_sent = last; /* their boot row is damaged or gone: skip them */
            continue;
        }
        out->kind = TR_OUTBOX_LOC;
        out->cookie = OB_COOKIE_LOC | ((uint64_t)first << OB_SPAN_BITS) | (uint64_t)(last - first);
        out->first_id = first;
        out->last_id = last;
        out->topic[0] = '\0';
        out->payload = NULL;
        out->len = 0;
        snprintf(out->boot_id, sizeof out->boot_id, "%s", ob->send_boot);
        snprintf(out->msgid, sizeof out->msgid, "%.16s-%lld-%lld", ob->send_boot,
                 (long long)out->fixes[0].seq, (long long)out->fixes[n - 1].seq);
        out->n_fixes = n;
        ob->fix_sent = last;
        if (last > ob->fix_handed)
            ob->fix_handed = last;
        return TR_OUTBOX_OK;
    }
}

int tr_outbox_next(struct tr_outbox *ob, struct tr_outbox_item *out)
{
    int rc;

    if (!ob || !out)
        return TR_OUTBOX_ERR_INVALID;
    rc = next_event(ob, out);
    if (rc != TR_OUTBOX_ERR_EMPTY)
        return rc;
    rc = next_loc(ob, out);
    if (rc == TR_OUTBOX_ERR_EMPTY && ob->nbuf) {
        /* Nothing committed is waiting: commit the buffer and send it now
         * (written before sent). */
        if ((rc = tr_outbox_commit(ob)))
            return rc;
        rc = next_loc(ob, out);
    }
    return rc;
}

int tr_outbox_ack(struct tr_outbox *ob, uint64_t cookie)
{
    struct ob_ack a;
    int rc;

    if (!ob)
        return TR_OUTBOX_ERR_INVALID;
    if (cookie & OB_COOKIE_LOC) {
        a.loc = true;
        a.first = (int64_t)((cookie & ~OB_COOKIE_LOC) >> OB_SPAN_BITS);
        a.last = a.first + (int64_t)(cookie & (uint64_t)OB_SPAN_MAX);
    } else {
        a.loc = false;
        a.first = a.last = (int64_t)cookie;
    }
    if (a.first <= 0 || a.last > (a.loc ? ob->fix_handed : ob->ev_handed))
        return tr_outbox_int_fail(ob, TR_OUTBOX_ERR_INVALID, "bad cookie %llu (never handed out)",
                                  (unsigned long long)cookie);
    if (a.loc && ob->nacks > 0) {
        /* batches acked in order, with no row between them, merge */
        struct ob_ack *p = &ob->acks[ob->nacks - 1];
        if (p->loc && a.first == p->last + 1) {
            p->last = a.last;
            return TR_OUTBOX_OK;
        }
    }
    if (ob->nacks == OB_PENDING_ACKS) {
        if ((rc = tr_outbox_commit(ob)))
            return rc;
    }
    ob->acks[ob->nacks++] = a;
    return TR_OUTBOX_OK;
}

int tr_outbox_requeue_all(struct tr_outbox *ob)
{
    int rc = TR_OUTBOX_OK;

    if (!ob)
        return TR_OUTBOX_ERR_INVALID;
    if (ob->nacks)
        rc = tr_outbox_commit(ob);
    ob->ev_sent = 0;
    ob->fix_sent = 0;
    return rc;
}

int tr_outbox_item_loc(const struct tr_outbox_item *it, const char *agent_id, int64_t ts,
                       struct tr_msg *m)
{
    if (!it || !m || it->kind != TR_OUTBOX_LOC || it->n_fixes < 1 ||
        it->n_fixes > TR_MSG_MAX_FIXES || !tr_msg_valid_agent_id(agent_id))
        return TR_OUTBOX_ERR_INVALID;
    tr_msg_init(m, TR_MSG_LOC);
    snprintf(m->id, sizeof m->id, "%s", it->msgid);
    m->ts = ts;
    snprintf(m->u.loc.agent_id, sizeof m->u.loc.agent_id, "%s", agent_id);
    snprintf(m->u.loc.boot_id, sizeof m->u.loc.boot_id, "%s", it->boot_id);
    m->u.loc.n_fixes = it->n_fixes;
    memcpy(m->u.loc.fixes, it->fixes, it->n_fixes * sizeof it->fixes[0]);
    return TR_OUTBOX_OK;
}
