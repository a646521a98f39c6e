/*
 * dispatcher/store/store_batch.c: group commit for the record group.
 *
 * Between tr_store_batch_begin and tr_store_batch_commit every write of the
 * record group (job creation, transitions, outbox rows, contractors) runs in
 * a SAVEPOINT of one outer BEGIN IMMEDIATE transaction, opened lazily by the
 * first write: a step that fails still undoes only itself (ROLLBACK TO), but
 * nothing is durable until the batch commits, with synchronous=FULL, once
 * for all its steps. While the outer transaction is open the outbox cannot be
 * read for publishing (tr_store_outbox_pending refuses): its rows are not
 * committed yet.
 *
 * Also here: the synchronous=NORMAL transactions for writes that need no
 * fsync of their own (outbox deletes: a lost delete only publishes a message
 * again, which receivers drop by id). The next FULL commit syncs them along.
 *
 * And the record's WAL checkpoints: SQLite's automatic checkpoint would run
 * inside whichever commit crosses 1000 pages (a job request waiting behind
 * it: several ms of random writes and an fsync of the database). Instead the
 * record connection counts the WAL's frames (tr_store_wal_frames) and
 * another thread checkpoints through its own connection
 * (tr_store_checkpoint, PASSIVE: it never blocks the writer). A commit still
 * checkpoints itself past WAL_FALLBACK_FRAMES, should nobody else.
 *
 * Does not: decide what goes in a batch (the caller: dispatcher/app's worker
 * pass), or undo anything outside SQLite when a batch fails.
 */
#include <stdlib.h>
#include <string.h>

#include "dispatcher/store/store_int.h"

#define WAL_FALLBACK_FRAMES 20000 /* ~80 MB of WAL */
#define CK_BUSY_MS          1000

static int exec_cached(struct tr_store *s, int id, const char *sql, const char *what)
{
    int rc;
    sqlite3_stmt *st = tr_store_stmt(s, id, sql, &rc);
    return st ? tr_store_exec_stmt(s, false, st, what) : rc;
}

/* A PRAGMA takes effect when it is prepared, not when a cached statement is
 * stepped again: the synchronous level is set by a fresh statement each time. */
static int set_sync(struct tr_store *s, bool full)
{
    int r = sqlite3_exec(s->db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                         NULL, NULL, NULL);
    return r == SQLITE_OK ? TR_STORE_OK : tr_store_sqlite_fail(s, false, r, "synchronous");
}

int tr_store_batch_begin(struct tr_store *s)
{
    if (!s)
        return TR_STORE_ERR_INVALID;
    if (s->batch)
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "a batch is already open");
    s->batch = true;
    s->batch_open = false;
    s->batch_lost = false;
    s->batch_steps = 0;
    return TR_STORE_OK;
}

bool tr_store_batch_active(const struct tr_store *s)
{
    return s && s->batch;
}

int tr_store_batch_commit(struct tr_store *s, size_t *steps)
{
    if (steps)
        *steps = 0;
    if (!s || !s->batch)
        return TR_STORE_ERR_INVALID;
    bool open = s->batch_open, lost = s->batch_lost;
    if (steps)
        *steps = s->batch_steps;
    s->batch = s->batch_open = s->batch_lost = false;
    s->batch_steps = 0;
    if (lost) {
        tr_store_rollback(s, false);
        tr_store_skills_load(s);
        return tr_store_fail(s, false, TR_STORE_ERR_IO,
                             "the batch was rolled back by SQLite after a failed step");
    }
    if (!open)
        return TR_STORE_OK;
    int rc = tr_store_commit(s, false);
    if (rc != TR_STORE_OK)
        tr_store_skills_load(s); /* forget bits assigned in the lost batch */
    return rc;
}

int tr_store_batch_step_begin(struct tr_store *s)
{
    int rc = TR_STORE_OK;
    if (!s->batch_open) {
        rc = tr_store_sync_full(s); /* the batch's commit is the durable one */
        if (rc != TR_STORE_OK)
            return rc;
        rc = exec_cached(s, ST_BEGIN, "BEGIN IMMEDIATE", "begin");
        if (rc != TR_STORE_OK)
            return rc;
        s->batch_open = true;
    }
    return exec_cached(s, ST_SAVEPOINT, "SAVEPOINT tr_step", "savepoint");
}

int tr_store_batch_step_commit(struct tr_store *s)
{
    int rc = exec_cached(s, ST_RELEASE, "RELEASE tr_step", "release");
    if (rc != TR_STORE_OK)
        tr_store_batch_step_rollback(s);
    else
        s->batch_steps++;
    return rc;
}

void tr_store_batch_step_rollback(struct tr_store *s)
{
    if (sqlite3_get_autocommit(s->db)) {
        /* SQLite rolled the whole transaction back (I/O error, disk full):
         * the earlier steps of the batch are gone too */
        s->batch_open = false;
        s->batch_lost = true;
        return;
    }
    int rc;
    sqlite3_stmt *st = tr_store_stmt(s, ST_ROLLBACK_TO, "ROLLBACK TO tr_step", &rc);
    if (st) {
        sqlite3_step(st);
        tr_store_done(st);
    }
    st = tr_store_stmt(s, ST_RELEASE, "RELEASE tr_step", &rc);
    if (st) {
        sqlite3_step(st);
        tr_store_done(st);
    }
    if (sqlite3_get_autocommit(s->db)) {
        s->batch_open = false;
        s->batch_lost = true;
    }
}

int tr_store_begin_nosync(struct tr_store *s)
{
    if (s->batch)
        return tr_store_begin(s, false);
    int rc = set_sync(s, false);
    s->sync_normal = true; /* whatever rc: tr_store_begin restores FULL first */
    if (rc == TR_STORE_OK)
        rc = exec_cached(s, ST_BEGIN, "BEGIN IMMEDIATE", "begin");
    if (rc != TR_STORE_OK)
        (void)tr_store_sync_full(s);
    return rc;
}

int tr_store_end_nosync(struct tr_store *s, int rc)
{
    if (rc == TR_STORE_OK)
        rc = tr_store_commit(s, false);
    else
        tr_store_rollback(s, false);
    if (!s->batch) {
        int r2 = tr_store_sync_full(s);
        if (rc == TR_STORE_OK)
            rc = r2;
    }
    return rc;
}

int tr_store_sync_full(struct tr_store *s)
{
    if (!s->sync_normal)
        return TR_STORE_OK;
    int rc = set_sync(s, true);
    if (rc == TR_STORE_OK)
        s->sync_normal = false;
    return rc;
}

/* ---------- checkpoints ---------- */

static int wal_hook(void *ctx, sqlite3 *db, const char *name, int frames)
{
    struct tr_store *s = ctx;
    s->wal_frames = frames;
    if (frames >= WAL_FALLBACK_FRAMES) /* nobody checkpoints: do it here */
        (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

int tr_store_ckpt_init(struct tr_store *s, const char *path)
{
    if (strcmp(path, ":memory:") == 0)
        return TR_STORE_OK; /* no WAL */
    size_t n = strlen(path) + 1;
    s->ck_path = malloc(n);
    if (!s->ck_path)
        return tr_store_fail(s, false, TR_STORE_ERR_NOMEM, "out of memory");
    memcpy(s->ck_path, path, n);
    sqlite3_wal_hook(s->db, wal_hook, s); /* replaces the automatic checkpoint */
    return TR_STORE_OK;
}

void tr_store_ckpt_close(struct tr_store *s)
{
    sqlite3_close_v2(s->ck);
    s->ck = NULL;
    free(s->ck_path);
    s->ck_path = NULL;
}

int64_t tr_store_wal_frames(const struct tr_store *s)
{
    return s ? s->wal_frames : 0;
}

bool tr_store_checkpoint_due(struct tr_store *s)
{
    if (!s || !s->ck_path)
        return false;
    if (s->wal_frames < s->ck_mark)
        s->ck_mark = 0; /* the WAL restarted from its beginning */
    if (s->wal_frames - s->ck_mark < TR_STORE_CHECKPOINT_FRAMES)
        return false;
    s->ck_mark = s->wal_frames;
    return true;
}

int tr_store_checkpoint(struct tr_store *s, int64_t *wal_frames, int64_t *done_frames)
{
    int log = 0, ckpt = 0;
    if (wal_frames)
        *wal_frames = 0;
    if (done_frames)
        *done_frames = 0;
    if (!s)
        return TR_STORE_ERR_INVALID;
    if (!s->ck_path)
        return TR_STORE_OK;
    if (!s->ck) {
        int r =
            sqlite3_open_v2(s->ck_path, &s->ck, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
        if (r != SQLITE_OK) {
            sqlite3_close_v2(s->ck);
            s->ck = NULL;
            return tr_store_map_rc(r) ? tr_store_map_rc(r) : TR_STORE_ERR_IO;
        }
        sqlite3_busy_timeout(s->ck, CK_BUSY_MS);
        /* a first read opens the WAL (else the checkpoint finds none) */
        r = sqlite3_exec(s->ck, "PRAGMA schema_version", NULL, NULL, NULL);
        if (r != SQLITE_OK) {
            sqlite3_close_v2(s->ck);
            s->ck = NULL;
            return tr_store_map_rc(r) ? tr_store_map_rc(r) : TR_STORE_ERR_IO;
        }
    }
    int r = sqlite3_wal_checkpoint_v2(s->ck, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &ckpt);
    if (wal_frames)
        *wal_frames = log;
    if (done_frames)
        *done_frames = ckpt;
    if (r == SQLITE_BUSY || r == SQLITE_OK)
        return TR_STORE_OK; /* BUSY: another checkpoint is running */
    return tr_store_map_rc(r) ? tr_store_map_rc(r) : TR_STORE_ERR_IO;
}
