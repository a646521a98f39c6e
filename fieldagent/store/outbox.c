/*
 * fieldagent/store/outbox.c: opening the outbox (pragmas, schema check and
 * migration, prepared statements, counters), closing it, stats, the
 * integrity check and error texts.
 *
 * Puts, commits and thinning are in outbox_put.c; next / ack / requeue in
 * outbox_send.c. The file is marked with PRAGMA application_id so another
 * application's database is refused rather than written into.
 */
#include "fieldagent/store/outbox_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "TrOb": marks the file as a truckroll outbox. */
#define OB_APPLICATION_ID 0x54724f62

static const char *const stmt_sql[OB_NSTMT] = {
    [OB_BEGIN] = "BEGIN IMMEDIATE",
    [OB_COMMIT] = "COMMIT",
    [OB_ROLLBACK] = "ROLLBACK",
    [OB_INS_EVENT] = "INSERT INTO events(id,topic,payload) VALUES(?1,?2,?3)",
    [OB_INS_FIX] = "INSERT INTO fixes(id,boot,seq,t,lat,lon,mode,acc,speed,heading)"
                   " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
    [OB_INS_BOOT] = "INSERT INTO boots(boot) VALUES(?1)",
    [OB_FIND_BOOT] = "SELECT id FROM boots WHERE boot=?1",
    [OB_BOOT_TEXT] = "SELECT boot FROM boots WHERE id=?1",
    [OB_BOOT_LAST] = "SELECT seq FROM fixes WHERE boot=?1 ORDER BY id DESC LIMIT 1",
    [OB_NEXT_EVENT] = "SELECT id,topic,payload FROM events WHERE id>?1 ORDER BY id LIMIT 1",
    [OB_NEXT_FIXES] = "SELECT id,boot,seq,t,lat,lon,mode,acc,speed,heading FROM fixes"
                      " WHERE id>?1 ORDER BY id LIMIT ?2",
    [OB_DEL_EVENT] = "DELETE FROM events WHERE id=?1"
                     " RETURNING length(CAST(topic AS BLOB))+length(payload)",
    [OB_DEL_FIXES] = "DELETE FROM fixes WHERE id BETWEEN ?1 AND ?2",
    [OB_COUNT_AFTER] = "SELECT count(*) FROM fixes WHERE id>?1",
    [OB_IDS_AFTER] = "SELECT id FROM fixes WHERE id>?1 ORDER BY id LIMIT ?2",
    [OB_DEL_FIX] = "DELETE FROM fixes WHERE id=?1",
    [OB_OLDEST_FIX] = "SELECT t FROM fixes ORDER BY id LIMIT 1",
};

/* Schema version 1. Row ids are assigned by the outbox (see outbox_int.h);
 * positions refer to their boot by a small integer, not its 32-character
 * text. No secondary index on fixes: inserts append to the rightmost page. */
static const char schema_v1[] =
    "CREATE TABLE boots(id INTEGER PRIMARY KEY, boot TEXT NOT NULL UNIQUE);"
    "CREATE TABLE events(id INTEGER PRIMARY KEY, topic TEXT NOT NULL, payload BLOB NOT NULL);"
    "CREATE TABLE fixes(id INTEGER PRIMARY KEY, boot INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " t INTEGER NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL, mode INTEGER NOT NULL,"
    " acc REAL, speed REAL, heading REAL);"
    "PRAGMA user_version=1;";

void tr_outbox_limits_default(struct tr_outbox_limits *lim)
{
    if (!lim)
        return;
    memset(lim, 0, sizeof *lim);
    lim->max_positions = 100000;
    lim->max_bytes = 16 * 1024 * 1024;
    lim->batch_fixes = TR_MSG_MAX_FIXES;
    lim->commit_every = 30;
    lim->commit_ms = 5000;
    lim->cache_kib = 64;
}

int tr_outbox_int_fail(struct tr_outbox *ob, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ob->errmsg, sizeof ob->errmsg, fmt, ap);
    va_end(ap);
    return code;
}

static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return TR_OUTBOX_OK;
    case SQLITE_NOMEM:
        return TR_OUTBOX_ERR_NOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return TR_OUTBOX_ERR_BUSY;
    case SQLITE_CORRUPT:
        return TR_OUTBOX_ERR_CORRUPT;
    case SQLITE_NOTADB:
        return TR_OUTBOX_ERR_NOT_OUTBOX;
    case SQLITE_FULL:
        return TR_OUTBOX_ERR_DISK_FULL;
    default:
        return TR_OUTBOX_ERR_IO;
    }
}

int tr_outbox_int_db_err(struct tr_outbox *ob, int rc, const char *what)
{
    int code = map_rc(rc);

    if (code == TR_OUTBOX_ERR_NOT_OUTBOX)
        return tr_outbox_int_fail(ob, code, "%s: not an outbox database (%s)", what,
                                  sqlite3_errstr(rc));
    if (code == TR_OUTBOX_ERR_BUSY)
        return tr_outbox_int_fail(ob, code, "%s: outbox in use by another process (%s)", what,
                                  sqlite3_errstr(rc));
    return tr_outbox_int_fail(ob, code, "%s: %s", what,
                              ob->db ? sqlite3_errmsg(ob->db) : sqlite3_errstr(rc));
}

int tr_outbox_int_exec(struct tr_outbox *ob, enum ob_stmt which)
{
    sqlite3_stmt *s = ob->st[which];
    int rc;

    do {
        rc = sqlite3_step(s);
    } while (rc == SQLITE_ROW);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int tr_outbox_int_set_sync(struct tr_outbox *ob, bool full)
{
    int rc;

    /* A PRAGMA takes effect when it is prepared, not when a prepared
     * statement is stepped again: run it anew each time the level changes. */
    if (ob->sync_full == full)
        return SQLITE_OK;
    rc = sqlite3_exec(ob->db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", NULL,
                      NULL, NULL);
    if (rc == SQLITE_OK)
        ob->sync_full = full;
    return rc;
}

int64_t tr_outbox_int_cap(const struct tr_outbox *ob)
{
    int64_t room = ob->lim.max_bytes - ob->event_bytes;
    int64_t by_bytes = room > 0 ? room / TR_OUTBOX_FIX_ROW_BYTES : 0;

    return by_bytes < ob->lim.max_positions ? by_bytes : ob->lim.max_positions;
}

/* One integer from a one-off statement (open time only). */
static int query_int(struct tr_outbox *ob, const char *sql, int64_t *out)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(ob->db, sql, -1, &s, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(s, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            *out = 0;
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(s);
    return rc == SQLITE_OK ? TR_OUTBOX_OK : tr_outbox_int_db_err(ob, rc, "open");
}

static int exec_sql(struct tr_outbox *ob, const char *sql)
{
    int rc = sqlite3_exec(ob->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? TR_OUTBOX_OK : tr_outbox_int_db_err(ob, rc, "open");
}

static int check_limits(struct tr_outbox_limits *l, char *err, size_t errlen)
{
    struct tr_outbox_limits d;

    tr_outbox_limits_default(&d);
    if (!l->max_positions)
        l->max_positions = d.max_positions;
    if (!l->max_bytes)
        l->max_bytes = d.max_bytes;
    if (!l->batch_fixes)
        l->batch_fixes = d.batch_fixes;
    if (!l->commit_every)
        l->commit_every = d.commit_every;
    if (!l->commit_ms)
        l->commit_ms = d.commit_ms;
    if (!l->cache_kib)
        l->cache_kib = d.cache_kib;
    if (l->max_positions < 16 || l->max_bytes < 65536 || l->batch_fixes < 1 ||
        l->batch_fixes > TR_MSG_MAX_FIXES || l->commit_every < 1 ||
        l->commit_every > TR_OUTBOX_MAX_BUFFER || l->commit_ms < 0 || l->cache_kib < 16) {
        if (err && errlen)
            snprintf(err, errlen, "outbox limits out of range");
        return TR_OUTBOX_ERR_INVALID;
    }
    /* buffered positions cannot be thinned: keep them a small part of the
     * cap, or a full outbox would drop the newest as a block */
    if ((int64_t)l->commit_every * 4 > l->max_positions) {
        if (err && errlen)
            snprintf(err, errlen, "commit_every %d is over a quarter of max_positions %lld",
                     l->commit_every, (long long)l->max_positions);
        return TR_OUTBOX_ERR_INVALID;
    }
    return TR_OUTBOX_OK;
}

/* Check the file is ours (or empty) and bring its schema to version 1. */
static int migrate(struct tr_outbox *ob)
{
    int64_t app = 0, version = 0, objects = 0;
    int rc;

    /* The first read: garbage fails here with SQLITE_NOTADB. */
    if ((rc = query_int(ob, "PRAGMA application_id", &app)) ||
        (rc = query_int(ob, "PRAGMA user_version", &version)) ||
        (rc = query_int(ob, "SELECT count(*) FROM sqlite_schema", &objects)))
        return rc;
    if (app != 0 && app != OB_APPLICATION_ID)
        return tr_outbox_int_fail(ob, TR_OUTBOX_ERR_NOT_OUTBOX,
                                  "not an outbox database (application_id %lld)", (long long)app);
    if (version > TR_OUTBOX_SCHEMA_VERSION)
        return tr_outbox_int_fail(ob, TR_OUTBOX_ERR_VERSION,
                                  "outbox schema version %lld is newer than this agent's %d: "
                                  "refusing to touch it",
                                  (long long)version, TR_OUTBOX_SCHEMA_VERSION);
    if (version == TR_OUTBOX_SCHEMA_VERSION && app == OB_APPLICATION_ID)
        return TR_OUTBOX_OK;
    if (version != 0 || objects != 0)
        return tr_outbox_int_fail(ob, TR_OUTBOX_ERR_NOT_OUTBOX,
                                  "not an outbox database (foreign schema, version %lld)",
                                  (long long)version);
    /* A new file. (Later versions add "if version == 1, alter ..." here.) */
    rc = exec_sql(ob, "BEGIN IMMEDIATE");
    if (!rc)
        rc = exec_sql(ob, schema_v1);
    if (!rc) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA application_id=%d", OB_APPLICATION_ID);
        rc = exec_sql(ob, sql);
    }
    if (!rc)
        rc = exec_sql(ob, "COMMIT");
    if (rc)
        sqlite3_exec(ob->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int load_counters(struct tr_outbox *ob)
{
    int64_t max_fix = 0, max_event = 0;
    int rc;

    /* Boots without positions are not needed any more. */
    if ((rc =
             exec_sql(ob, "DELETE FROM boots WHERE id NOT IN (SELECT DISTINCT boot FROM fixes)")) ||
        (rc = query_int(ob, "SELECT count(*) FROM events", &ob->n_events)) ||
        (rc = query_int(ob, "SELECT coalesce(max(id),0) FROM events", &max_event)) ||
        (rc = query_int(ob,
                        "SELECT coalesce(sum(length(CAST(topic AS BLOB))+length(payload)),0)"
                        " FROM events",
                        &ob->event_bytes)) ||
        (rc = query_int(ob, "SELECT count(*) FROM fixes", &ob->n_positions)) ||
        (rc = query_int(ob, "SELECT coalesce(max(id),0) FROM fixes", &max_fix)))
        return rc;
    ob->event_bytes += ob->n_events * TR_OUTBOX_EVENT_ROW_BYTES;
    ob->next_event_id = max_event + 1;
    ob->next_fix_id = max_fix + 1;
    return TR_OUTBOX_OK;
}

static int setup(struct tr_outbox *ob, const char *path)
{
    char sql[64];
    int rc;

    rc = sqlite3_open_v2(path, &ob->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK)
        return tr_outbox_int_db_err(ob, rc, "open");
    sqlite3_extended_result_codes(ob->db, 1);
    /* A small lookaside (the default takes ~120 KB per connection). */
    sqlite3_db_config(ob->db, SQLITE_DBCONFIG_LOOKASIDE, NULL, 128, 32);
    /* Exclusive: one agent per file, and the WAL index lives in heap memory
     * (no -shm file to mmap). No mmap. */
    if ((rc = exec_sql(ob, "PRAGMA locking_mode=EXCLUSIVE")) ||
        (rc = exec_sql(ob, "PRAGMA mmap_size=0")) || (rc = exec_sql(ob, "PRAGMA temp_store=FILE")))
        return rc;
    if ((rc = migrate(ob)))
        return rc;
    /* Small page cache: set after the schema was read, which resets it to
     * SQLite's default (2 MB). */
    snprintf(sql, sizeof sql, "PRAGMA cache_size=-%d", ob->lim.cache_kib);
    if ((rc = exec_sql(ob, sql)))
        return rc;
    if ((rc = exec_sql(ob, "PRAGMA journal_mode=WAL")) ||
        (rc = exec_sql(ob, "PRAGMA synchronous=NORMAL")))
        return rc;
    ob->sync_full = false;
    for (int i = 0; i < OB_NSTMT; i++) {
        rc = sqlite3_prepare_v3(ob->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &ob->st[i],
                                NULL);
        if (rc == SQLITE_ERROR) /* our marks, but not our tables: a damaged file */
            return tr_outbox_int_fail(ob, TR_OUTBOX_ERR_CORRUPT, "not the outbox schema: %s",
                                      sqlite3_errmsg(ob->db));
        if (rc != SQLITE_OK)
            return tr_outbox_int_db_err(ob, rc, "prepare");
    }
    /* Take the write lock now, so a second agent fails at open. */
    if ((rc = exec_sql(ob, "BEGIN IMMEDIATE")))
        return rc;
    rc = load_counters(ob);
    if (rc) {
        sqlite3_exec(ob->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return exec_sql(ob, "COMMIT");
}

static void release(struct tr_outbox *ob)
{
    for (int i = 0; i < OB_NSTMT; i++)
        sqlite3_finalize(ob->st[i]);
    sqlite3_close(ob->db);
    free(ob->payload);
    free(ob);
}

int tr_outbox_open(const char *path, const struct tr_outbox_limits *lim, struct tr_outbox **out,
                   char *err, size_t errlen)
{
    struct tr_outbox *ob = NULL;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return TR_OUTBOX_ERR_INVALID;
    *out = NULL;
    if (!path || !path[0]) {
        if (err && errlen)
            snprintf(err, errlen, "outbox path is empty");
        return TR_OUTBOX_ERR_INVALID;
    }
    ob = calloc(1, sizeof *ob);
    if (!ob)
        return TR_OUTBOX_ERR_NOMEM;
    if (lim)
        ob->lim = *lim;
    rc = check_limits(&ob->lim, err, errlen);
    if (rc)
        goto fail;
    ob->boot_last_seq = -1;
    ob->pending_since = -1;
    rc = setup(ob, path);
    if (rc)
        goto fail;
    *out = ob;
    return TR_OUTBOX_OK;
fail:
    if (err && errlen && ob->errmsg[0])
        snprintf(err, errlen, "%s: %s", path, ob->errmsg);
    release(ob);
    return rc;
}

void tr_outbox_close(struct tr_outbox *ob)
{
    if (!ob)
        return;
    tr_outbox_commit(ob);
    release(ob);
}

int tr_outbox_get_stats(struct tr_outbox *ob, struct tr_outbox_stats *out)
{
    sqlite3_stmt *s;
    int cur = 0, hi = 0, rc;

    if (!ob || !out)
        return TR_OUTBOX_ERR_INVALID;
    memset(out, 0, sizeof *out);
    out->events = ob->n_events;
    out->positions = ob->n_positions;
    out->buffered = (int64_t)ob->nbuf;
    out->pending_acks = (int64_t)ob->nacks;
    out->event_bytes = ob->event_bytes;
    out->position_cap = tr_outbox_int_cap(ob);
    out->thinned = ob->thinned;
    out->dropped = ob->dropped;
    out->commits = ob->commits;
    sqlite3_db_status(ob->db, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &hi, 0);
    out->pages_written = cur;
    s = ob->st[OB_OLDEST_FIX];
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        out->oldest_fix_t = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return tr_outbox_int_db_err(ob, rc, "stats");
    return TR_OUTBOX_OK;
}

int tr_outbox_check(struct tr_outbox *ob, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    int rc, code = TR_OUTBOX_OK;

    if (err && errlen)
        err[0] = '\0';
    if (!ob)
        return TR_OUTBOX_ERR_INVALID;
    rc = sqlite3_prepare_v2(ob->db, "PRAGMA integrity_check", -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *txt = (const char *)sqlite3_column_text(s, 0);
        if (!txt || strcmp(txt, "ok") != 0) {
            code = tr_outbox_int_fail(ob, TR_OUTBOX_ERR_CORRUPT, "integrity_check: %s",
                                      txt ? txt : "?");
        }
    } else {
        code = tr_outbox_int_db_err(ob, rc, "integrity_check");
    }
    sqlite3_finalize(s);
    if (code && err && errlen)
        snprintf(err, errlen, "%s", ob->errmsg);
    return code;
}

const char *tr_outbox_last_error(const struct tr_outbox *ob)
{
    return ob ? ob->errmsg : "";
}

const char *tr_outbox_strerror(int err)
{
    switch (err) {
    case TR_OUTBOX_OK:
        return "ok";
    case TR_OUTBOX_ERR_INVALID:
        return "invalid argument";
    case TR_OUTBOX_ERR_IO:
        return "outbox file I/O error";
    case TR_OUTBOX_ERR_NOT_OUTBOX:
        return "not an outbox database";
    case TR_OUTBOX_ERR_VERSION:
        return "outbox written by a newer version";
    case TR_OUTBOX_ERR_CORRUPT:
        return "outbox database corrupt";
    case TR_OUTBOX_ERR_FULL:
        return "outbox full: position refused";
    case TR_OUTBOX_ERR_ORDER:
        return "position seq not increasing for its boot";
    case TR_OUTBOX_ERR_EMPTY:
        return "nothing to send";
    case TR_OUTBOX_ERR_NOMEM:
        return "out of memory";
    case TR_OUTBOX_ERR_BUSY:
        return "outbox in use by another process";
    case TR_OUTBOX_ERR_DISK_FULL:
        return "no space left on the device's storage";
    default:
        return "unknown outbox error";
    }
}
