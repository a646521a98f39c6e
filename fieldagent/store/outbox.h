/*
 * fieldagent/store/outbox.h: the field agent's durable outbox (SQLite on the
 * device's storage), the only agent code that talks to SQLite.
 *
 * What it does: every message the agent must deliver is written here before
 * it is sent and deleted only when the broker has acknowledged it (PUBACK).
 * Two kinds of items:
 *   - events (job events, offer answers): an MQTT topic plus an opaque,
 *     already encoded JSON payload (which carries its own message id). Never
 *     dropped, never thinned.
 *   - positions: one struct tr_fix each, keyed by (boot id, seq); seq is
 *     assigned by the caller and strictly increasing per boot.
 * tr_outbox_next() hands out what to send next: every pending event first (in
 * insertion order), then positions in insertion order, grouped into one `loc`
 * batch of up to limits.batch_fixes consecutive fixes of one boot with
 * increasing seq. Handed-out items are "in flight" and skipped by the next
 * tr_outbox_next() until tr_outbox_ack() deletes them or
 * tr_outbox_requeue_all() puts them all back, so they are sent again from the
 * oldest, in the same order and with the same message ids (a loc batch's id
 * is "<boot id, first 16 chars>-<first seq>-<last seq>"; a batch re-formed
 * after a requeue may differ, and then has another id). The receiver dedupes
 * by message id and by (agent, boot, seq).
 *
 * Bounded: at most limits.max_positions positions, and a byte budget
 * (limits.max_bytes) estimated as the events' bytes plus
 * TR_OUTBOX_FIX_ROW_BYTES per position. When full, the oldest positions are
 * thinned first (each pass deletes every other one of the oldest half of the
 * positions not in flight, so old stretches keep every 2nd, then every 4th,
 * ... fix) before any new one is dropped. Events are never dropped: when
 * events alone fill the budget, new positions are refused (TR_OUTBOX_ERR_FULL,
 * counted in `dropped`).
 *
 * Durability (WAL journal, one connection, exclusive lock):
 *   - tr_outbox_put_event() commits at once with synchronous=FULL: when it
 *     returns OK the event survives kill -9 and power loss. That commit also
 *     makes every earlier position durable.
 *   - positions are buffered in memory (at most limits.commit_every) and
 *     committed together by tr_outbox_flush() (every commit_every puts or
 *     commit_ms), tr_outbox_commit(), tr_outbox_put_event(), or
 *     tr_outbox_next() (which commits the buffer when it has nothing else to
 *     send), with synchronous=NORMAL: a committed position survives kill -9
 *     of the agent always; on power loss the positions committed since the
 *     last FULL commit or WAL checkpoint may be lost (what the kernel had not
 *     yet written back, typically the last ~30 s) and the buffered ones are.
 *     The database itself always stays consistent. limits.positions_full_sync
 *     makes every commit FULL (one fsync per commit).
 *   - acks are also deferred: tr_outbox_ack() records the cookie, and the
 *     deletion rides on the next commit. An ack lost by a crash only means the
 *     item is sent once more (a duplicate the receiver drops).
 * SQLite memory is kept small (page cache limits.cache_kib, no mmap, the WAL
 * index in heap memory thanks to the exclusive lock).
 *
 * What it does not do: encode events (the caller does, see common/msg.h), talk
 * MQTT, read the clock (now_ms comes in), or share the handle between
 * threads: one thread drives a struct tr_outbox (queue on_delivered cookies
 * from paho's thread to it). A second process opening the same file gets
 * TR_OUTBOX_ERR_BUSY.
 */
#ifndef TR_OUTBOX_H
#define TR_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"

/* Errors. Numbers never change. */
enum tr_outbox_err {
    TR_OUTBOX_OK = 0,
    TR_OUTBOX_ERR_INVALID = 1,    /* bad argument: NULL, bad boot id, fix out of range, ... */
    TR_OUTBOX_ERR_IO = 2,         /* cannot open, read or write the file */
    TR_OUTBOX_ERR_NOT_OUTBOX = 3, /* the file is not an SQLite database, or another app's */
    TR_OUTBOX_ERR_VERSION = 4,    /* written by a newer agent (schema version unknown) */
    TR_OUTBOX_ERR_CORRUPT = 5,    /* SQLite found the database corrupt */
    TR_OUTBOX_ERR_FULL = 6,       /* position refused: no room (events fill the budget) */
    TR_OUTBOX_ERR_ORDER = 7,      /* seq not above the last seq of this boot */
    TR_OUTBOX_ERR_EMPTY = 8,      /* tr_outbox_next: nothing to send now */
    TR_OUTBOX_ERR_NOMEM = 9,
    TR_OUTBOX_ERR_BUSY = 10,      /* the file is locked by another process */
    TR_OUTBOX_ERR_DISK_FULL = 11, /* no space left on the storage (SQLITE_FULL): nothing stored */
};

/* Schema version written to PRAGMA user_version. */
#define TR_OUTBOX_SCHEMA_VERSION 1
/* Budget estimate of one stored position, in bytes (measured: see bench). */
#define TR_OUTBOX_FIX_ROW_BYTES 80
/* Budget estimate of one event's overhead besides its topic and payload. */
#define TR_OUTBOX_EVENT_ROW_BYTES 32
/* Longest topic accepted (bytes, without the NUL). */
#define TR_OUTBOX_TOPIC_MAX 255
/* Most positions buffered in memory before a commit. */
#define TR_OUTBOX_MAX_BUFFER 100

/* Zero in a field means its default. */
struct tr_outbox_limits {
    int64_t max_positions;    /* default 100000; at least 16 */
    int64_t max_bytes;        /* budget estimate, default 16 MiB; at least 64 KiB */
    int batch_fixes;          /* fixes per loc batch, 1..100, default 100 */
    int commit_every;         /* commit after this many buffered puts + acks, 1..100, default 30;
                                 at most max_positions / 4 */
    int commit_ms;            /* or when the oldest pending one is this old, default 5000 */
    int cache_kib;            /* SQLite page cache, default 64 */
    bool positions_full_sync; /* every commit synchronous=FULL (default: only events) */
};

struct tr_outbox;

enum tr_outbox_kind { TR_OUTBOX_EVENT = 1, TR_OUTBOX_LOC = 2 };

/* One item to publish. Filled by tr_outbox_next (the caller owns the struct;
 * it is ~8 KB, keep one around rather than on a small stack). */
struct tr_outbox_item {
    enum tr_outbox_kind kind;
    uint64_t cookie;           /* pass to the publish, and to tr_outbox_ack on PUBACK */
    int64_t first_id, last_id; /* row id range (events: first == last) */
    /* TR_OUTBOX_EVENT: topic and payload as put. payload points into the
     * outbox and stays valid until the next call on it. */
    char topic[TR_OUTBOX_TOPIC_MAX + 1];
    const char *payload;
    size_t len;
    /* TR_OUTBOX_LOC: message id, boot, fixes in seq order (1..batch_fixes). */
    char msgid[TR_MSG_ID_SIZE];
    char boot_id[TR_MSG_ID_SIZE];
    size_t n_fixes;
    struct tr_fix fixes[TR_MSG_MAX_FIXES];
};

struct tr_outbox_stats {
    int64_t events;        /* events stored and not yet deleted by an ack */
    int64_t positions;     /* positions stored (committed) and not yet deleted */
    int64_t buffered;      /* positions put but not yet committed */
    int64_t pending_acks;  /* acks recorded, deletion not yet committed */
    int64_t event_bytes;   /* budget estimate of the stored events */
    int64_t position_cap;  /* positions allowed now (max_positions, bytes left) */
    int64_t oldest_fix_t;  /* fix time of the oldest stored position, 0 if none */
    int64_t thinned;       /* positions deleted by thinning, since open */
    int64_t dropped;       /* positions refused or dropped for room, since open */
    int64_t commits;       /* write transactions, since open */
    int64_t pages_written; /* database pages SQLite wrote (to the WAL), since open */
};

/* Fill *lim with the defaults. */
void tr_outbox_limits_default(struct tr_outbox_limits *lim);

/*
 * Open or create the outbox at `path` (creates or migrates the schema,
 * PRAGMA user_version; WAL). lim may be NULL (defaults). On failure *out is
 * NULL and err (may be NULL) holds one line saying why, e.g. "not an outbox
 * database" for garbage, or "schema version 7 is newer than this agent's 1".
 */
int tr_outbox_open(const char *path, const struct tr_outbox_limits *lim, struct tr_outbox **out,
                   char *err, size_t errlen);
/* Commit what is pending (best effort) and close. NULL is a no-op. */
void tr_outbox_close(struct tr_outbox *ob);

/* Store an event (committed, FULL, before it returns; buffered positions and
 * pending acks are committed with it). payload: 1..TR_MSG_MAX_BYTES bytes;
 * topic 1..TR_OUTBOX_TOPIC_MAX bytes. id_out (may be NULL) gets its row id. */
int tr_outbox_put_event(struct tr_outbox *ob, const char *topic, const void *payload, size_t len,
                        uint64_t *id_out);

/* Buffer a position of boot `boot_id` (msgid pattern). The fix is checked
 * against the wire contract (seq, t, lat, lon, mode, optional acc, speed,
 * heading), and seq must be above the last seq put for that boot
 * (TR_OUTBOX_ERR_ORDER). Commits by itself when commit_every are pending;
 * switching to another boot commits the buffer first. */
int tr_outbox_put_fix(struct tr_outbox *ob, const char *boot_id, const struct tr_fix *fix);

/* Commit the buffered positions and pending acks when due: commit_every of
 * them are pending, or commit_ms have passed since the first flush call
 * that saw them pending. Call it from the main loop. */
int tr_outbox_flush(struct tr_outbox *ob, int64_t now_ms);
/* Commit the buffered positions and pending acks now. */
int tr_outbox_commit(struct tr_outbox *ob);

/* The next item to send: TR_OUTBOX_OK and *out filled, or
 * TR_OUTBOX_ERR_EMPTY when everything stored is in flight or acked. */
int tr_outbox_next(struct tr_outbox *ob, struct tr_outbox_item *out);

/* The broker acknowledged the item with this cookie: delete it (with the next
 * commit). Repeated cookies are harmless; one never handed out since open
 * is refused (TR_OUTBOX_ERR_INVALID) and deletes nothing. */
int tr_outbox_ack(struct tr_outbox *ob, uint64_t cookie);

/* Put every in-flight item back (connection lost, or reconnected with
 * session_present=0): tr_outbox_next starts again from the oldest item. */
int tr_outbox_requeue_all(struct tr_outbox *ob);

int tr_outbox_get_stats(struct tr_outbox *ob, struct tr_outbox_stats *out);

/* PRAGMA integrity_check: TR_OUTBOX_OK, or TR_OUTBOX_ERR_CORRUPT with the
 * first problem in err. Reads the whole file: for tests and repair tools. */
int tr_outbox_check(struct tr_outbox *ob, char *err, size_t errlen);

/* Fill *m as the `loc` message for a TR_OUTBOX_LOC item (id = item's msgid,
 * ts, agent_id, boot, fixes). TR_OUTBOX_ERR_INVALID for an event or a bad
 * agent id. */
int tr_outbox_item_loc(const struct tr_outbox_item *it, const char *agent_id, int64_t ts,
                       struct tr_msg *m);

/* The last error's text for this handle ("" if none). */
const char *tr_outbox_last_error(const struct tr_outbox *ob);
const char *tr_outbox_strerror(int err);

#endif
