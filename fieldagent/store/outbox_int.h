/*
 * fieldagent/store/outbox_int.h: the outbox's private state, shared by
 * outbox.c (open, schema, statements, stats), outbox_put.c (puts, commits,
 * thinning) and outbox_send.c (next, ack, requeue). Not for other modules.
 *
 * Row ids are assigned here from in-memory counters (max + 1 at open), so a
 * row id is never reused while the handle is open even when a table empties:
 * "in flight" is then simply every row id at or below the highest one handed
 * out (ev_sent / fix_sent), reset by a requeue.
 *
 * Cookies (see tr_outbox_ack): bit 63 clear: an event, bits 0..62 its row id.
 * Bit 63 set: a loc batch, bits 24..62 its first row id (OB_FIX_ID_MAX) and
 * bits 0..23 last - first (a batch never spans more, see OB_SPAN_MAX).
 */
#ifndef TR_OUTBOX_INT_H
#define TR_OUTBOX_INT_H

#include <sqlite3.h>

#include "fieldagent/store/outbox.h"

#define OB_COOKIE_LOC   (UINT64_C(1) << 63)
#define OB_SPAN_BITS    24
#define OB_SPAN_MAX     ((INT64_C(1) << OB_SPAN_BITS) - 1)
#define OB_FIX_ID_MAX   ((INT64_C(1) << 39) - 1)
#define OB_BOOTS_SEEN   8 /* boots whose last seq is kept after switching away */
#define OB_PENDING_ACKS 64

/* Statements, all prepared once at open. */
enum ob_stmt {
    OB_BEGIN,
    OB_COMMIT,
    OB_ROLLBACK,
    OB_INS_EVENT,
    OB_INS_FIX,
    OB_INS_BOOT,
    OB_FIND_BOOT,   /* boot text -> id */
    OB_BOOT_TEXT,   /* id -> boot text */
    OB_BOOT_LAST,   /* last seq of a boot (newest row first) */
    OB_NEXT_EVENT,  /* first event above an id */
    OB_NEXT_FIXES,  /* fixes above an id, in id order */
    OB_DEL_EVENT,   /* RETURNING its budget bytes */
    OB_DEL_FIXES,   /* id range */
    OB_COUNT_AFTER, /* fixes above an id (thinnable) */
    OB_IDS_AFTER,   /* ids above an id, in order, limited */
    OB_DEL_FIX,     /* one id */
    OB_OLDEST_FIX,
    OB_NSTMT
};

struct ob_ack {
    int64_t first, last; /* row ids; events: first == last */
    bool loc;
};

struct tr_outbox {
    sqlite3 *db;
    struct tr_outbox_limits lim;
    sqlite3_stmt *st[OB_NSTMT];

    int64_t next_event_id, next_fix_id; /* the next row ids to assign */
    int64_t ev_sent, fix_sent;          /* highest row ids handed out (in flight) */
    int64_t ev_handed, fix_handed; /* highest ever handed out since open (acks above: refused) */
    int64_t n_events, n_positions, event_bytes;

    /* boot of the buffered / next positions */
    char boot[TR_MSG_ID_SIZE];
    int64_t boot_ref;      /* boots.id, 0 when no boot yet */
    int64_t boot_last_seq; /* -1 when none known */
    struct {
        int64_t ref, last_seq;
    } boots_seen[OB_BOOTS_SEEN]; /* boots switched away from since open, and their last seq */
    size_t boots_seen_next;

    /* boot text cache for tr_outbox_next */
    int64_t send_boot_ref;
    char send_boot[TR_MSG_ID_SIZE];

    struct tr_fix buf[TR_OUTBOX_MAX_BUFFER];
    size_t nbuf;
    struct ob_ack acks[OB_PENDING_ACKS];
    size_t nacks;
    int64_t pending_since; /* now_ms of the first flush that saw pending work; -1 */

    int64_t thinned, dropped, commits;
    bool sync_full; /* synchronous=FULL now in force (else NORMAL) */

    char *payload; /* event payload handed out by tr_outbox_next */
    size_t payload_cap;
    char errmsg[256];
};

/* Record SQLite's error for `what` and map it to an enum tr_outbox_err. */
int tr_outbox_int_db_err(struct tr_outbox *ob, int rc, const char *what);
/* Set the error text and return code. */
int tr_outbox_int_fail(struct tr_outbox *ob, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Step a statement that returns no rows (or whose rows are ignored) and reset
 * it. Returns SQLITE_DONE / SQLITE_OK as SQLITE_OK, else SQLite's code. */
int tr_outbox_int_exec(struct tr_outbox *ob, enum ob_stmt which);
/* Make synchronous FULL or NORMAL for the next transaction (outside one).
 * Returns SQLITE_OK or SQLite's code. */
int tr_outbox_int_set_sync(struct tr_outbox *ob, bool full);
/* The positions allowed now (max_positions and the byte budget). */
int64_t tr_outbox_int_cap(const struct tr_outbox *ob);
/* Commit the buffered positions and pending acks, plus an event when topic is
 * not NULL (then FULL). *event_id gets the event's row id. */
int tr_outbox_int_commit(struct tr_outbox *ob, const char *topic, const void *payload, size_t len,
                         int64_t *event_id);
/* Validate a fix against the wire contract. */
bool tr_outbox_int_fix_ok(const struct tr_fix *f);

#endif
