/*
 * dispatcher/store/store.c: opening the store (pragmas, identity and version
 * checks, migrations), closing it, errors, the prepared-statement cache and
 * transactions.
 *
 * Does not: know any table but sqlite_schema; the record types are in the
 * other store_*.c files and the DDL in store_schema.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatcher/store/store_int.h"

#define BUSY_TIMEOUT_MS 5000

const char *tr_store_strerror(int err)
{
    switch (err) {
    case TR_STORE_OK:
        return "ok";
    case TR_STORE_ERR_NOMEM:
        return "out of memory";
    case TR_STORE_ERR_IO:
        return "I/O error";
    case TR_STORE_ERR_CORRUPT:
        return "database corrupt or not a truckroll database";
    case TR_STORE_ERR_BUSY:
        return "database busy";
    case TR_STORE_ERR_CONFLICT:
        return "conflict";
    case TR_STORE_ERR_NOT_FOUND:
        return "not found";
    case TR_STORE_ERR_EXISTS:
        return "already exists";
    case TR_STORE_ERR_INVALID:
        return "invalid argument";
    case TR_STORE_ERR_VERSION:
        return "database made by a newer version";
    case TR_STORE_ERR_FULL:
        return "disk full";
    case TR_STORE_ERR_SKILLS:
        return "skill dictionary full (64 skills)";
    case TR_STORE_ERR_LIMIT:
        return "contractor at job limit";
    case TR_STORE_ERR_INTERNAL:
        return "internal error";
    default:
        return "unknown error";
    }
}

int tr_store_map_rc(int rc)
{
    switch (rc) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return TR_STORE_OK;
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return TR_STORE_ERR_EXISTS;
    default:
        break;
    }
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return TR_STORE_ERR_NOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return TR_STORE_ERR_BUSY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
        return TR_STORE_ERR_CORRUPT;
    case SQLITE_FULL:
        return TR_STORE_ERR_FULL;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
        return TR_STORE_ERR_IO;
    case SQLITE_CONSTRAINT:
        return TR_STORE_ERR_CONFLICT;
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
        return TR_STORE_ERR_INVALID;
    default:
        return TR_STORE_ERR_INTERNAL;
    }
}

int tr_store_fail(struct tr_store *s, bool pos, int code, const char *fmt, ...)
{
    if (s) {
        char *buf = pos ? s->pos_errmsg : s->errmsg;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, TR_STORE_ERRMSG_SIZE, fmt, ap);
        va_end(ap);
    }
    return code;
}

int tr_store_sqlite_fail(struct tr_store *s, bool pos, int rc, const char *what)
{
    sqlite3 *db = s ? (pos ? s->pos : s->db) : NULL;
    int code = tr_store_map_rc(rc);
    if (code == TR_STORE_OK)
        code = TR_STORE_ERR_INTERNAL;
    return tr_store_fail(s, pos, code, "%s: %s", what,
                         db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

const char *tr_store_errmsg(const struct tr_store *s)
{
    return s ? s->errmsg : "";
}

const char *tr_store_positions_errmsg(const struct tr_store *s)
{
    return s ? s->pos_errmsg : "";
}

sqlite3_stmt *tr_store_stmt(struct tr_store *s, int id, const char *sql, int *rc)
{
    bool pos = id >= ST_POS_FIRST;
    sqlite3_stmt *st = s->st[id];
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        *rc = TR_STORE_OK;
        return st;
    }
    int r = sqlite3_prepare_v3(pos ? s->pos : s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (r != SQLITE_OK) {
        *rc = tr_store_sqlite_fail(s, pos, r, "prepare");
        sqlite3_finalize(st);
        return NULL;
    }
    s->st[id] = st;
    *rc = TR_STORE_OK;
    return st;
}

void tr_store_done(sqlite3_stmt *st)
{
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
}

int tr_store_exec_stmt(struct tr_store *s, bool pos, sqlite3_stmt *st, const char *what)
{
    int r = sqlite3_step(st);
    int rc = r == SQLITE_DONE ? TR_STORE_OK : tr_store_sqlite_fail(s, pos, r, what);
    tr_store_done(st);
    return rc;
}

int tr_store_begin(struct tr_store *s, bool pos)
{
    if (!pos && s->batch)
        return tr_store_batch_step_begin(s);
    int rc;
    if (!pos && s->sync_normal) { /* never a durable write without FULL */
        rc = tr_store_sync_full(s);
        if (rc != TR_STORE_OK)
            return rc;
    }
    sqlite3_stmt *st = tr_store_stmt(s, pos ? ST_P_BEGIN : ST_BEGIN, "BEGIN IMMEDIATE", &rc);
    return st ? tr_store_exec_stmt(s, pos, st, "begin") : rc;
}

int tr_store_commit(struct tr_store *s, bool pos)
{
    if (!pos && s->batch_open && s->batch)
        return tr_store_batch_step_commit(s);
    int rc;
    sqlite3_stmt *st = tr_store_stmt(s, pos ? ST_P_COMMIT : ST_COMMIT, "COMMIT", &rc);
    if (!st)
        return rc;
    rc = tr_store_exec_stmt(s, pos, st, "commit");
    if (rc != TR_STORE_OK)
        tr_store_rollback(s, pos);
    return rc;
}

void tr_store_rollback(struct tr_store *s, bool pos)
{
    if (!pos && s->batch) {
        if (s->batch_open)
            tr_store_batch_step_rollback(s);
        return;
    }
    sqlite3 *db = pos ? s->pos : s->db;
    if (sqlite3_get_autocommit(db))
        return; /* SQLite already rolled back (e.g. after SQLITE_FULL) */
    int rc;
    sqlite3_stmt *st = tr_store_stmt(s, pos ? ST_P_ROLLBACK : ST_ROLLBACK, "ROLLBACK", &rc);
    if (st) {
        sqlite3_step(st);
        tr_store_done(st);
    }
}

/* ---------- open ---------- */

static int open_fail(char *err, size_t errlen, int code, const char *what, sqlite3 *db, int rc)
{
    if (err && errlen) {
        if (db)
            snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
        else if (rc)
            snprintf(err, errlen, "%s: %s", what, sqlite3_errstr(rc));
        else
            snprintf(err, errlen, "%s", what);
    }
    return code;
}

/* One integer from a one-row query (pragmas, counts). */
static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_CORRUPT;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

static int set_wal(sqlite3 *db, char *err, size_t errlen, const char *label)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        int code = tr_store_map_rc(rc);
        sqlite3_finalize(st);
        return open_fail(err, errlen, code ? code : TR_STORE_ERR_INTERNAL, label, db, rc);
    }
    const char *mode = (const char *)sqlite3_column_text(st, 0);
    bool ok = mode && (strcmp(mode, "wal") == 0 || strcmp(mode, "memory") == 0);
    sqlite3_finalize(st);
    if (!ok)
        return open_fail(err, errlen, TR_STORE_ERR_IO, "cannot switch to WAL mode", NULL, 0);
    return TR_STORE_OK;
}

/* Check identity and version, then run the missing migration steps in one
 * transaction. */
static int migrate(sqlite3 *db, const struct tr_store_migration *steps, size_t n_steps,
                   int64_t app_id, const char *label, char *err, size_t errlen)
{
    int current = steps[n_steps - 1].version;
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        int code = tr_store_map_rc(rc);
        return open_fail(err, errlen, code ? code : TR_STORE_ERR_INTERNAL, label, db, rc);
    }
    int64_t version = 0, app = 0, n_objects = 0;
    rc = query_int(db, "PRAGMA user_version", &version);
    if (rc == SQLITE_OK)
        rc = query_int(db, "PRAGMA application_id", &app);
    if (rc == SQLITE_OK)
        rc = query_int(db, "SELECT count(*) FROM sqlite_schema", &n_objects);
    int code = TR_STORE_OK;
    char msg[200];
    if (rc != SQLITE_OK) {
        code = tr_store_map_rc(rc);
        if (!code)
            code = TR_STORE_ERR_INTERNAL;
        snprintf(msg, sizeof msg, "%s", label);
        open_fail(err, errlen, code, msg, db, rc);
        goto out;
    }
    if (app != 0 && app != app_id) {
        snprintf(msg, sizeof msg, "%s: not a truckroll database (application_id %lld)", label,
                 (long long)app);
        code = open_fail(err, errlen, TR_STORE_ERR_CORRUPT, msg, NULL, 0);
        goto out;
    }
    if (version > current) {
        snprintf(msg, sizeof msg,
                 "%s: schema version %lld was made by a newer truckroll (this build knows up "
                 "to %d); refusing to open it",
                 label, (long long)version, current);
        code = open_fail(err, errlen, TR_STORE_ERR_VERSION, msg, NULL, 0);
        goto out;
    }
    if (version < 0 || (version == 0 && n_objects > 0) || (version > 0 && app != app_id)) {
        snprintf(msg, sizeof msg, "%s: not a truckroll database (version %lld, %lld objects)",
                 label, (long long)version, (long long)n_objects);
        code = open_fail(err, errlen, TR_STORE_ERR_CORRUPT, msg, NULL, 0);
        goto out;
    }
    for (size_t i = 0; i < n_steps; i++) {
        if (steps[i].version <= version)
            continue;
        rc = sqlite3_exec(db, steps[i].sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            code = tr_store_map_rc(rc);
            snprintf(msg, sizeof msg, "%s: migration to version %d", label, steps[i].version);
            open_fail(err, errlen, code ? code : TR_STORE_ERR_INTERNAL, msg, db, rc);
            goto out;
        }
    }
    if (version < current) {
        char sql[96];
        snprintf(sql, sizeof sql, "PRAGMA user_version=%d; PRAGMA application_id=%lld", current,
                 (long long)app_id);
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            code = tr_store_map_rc(rc);
            open_fail(err, errlen, code ? code : TR_STORE_ERR_INTERNAL, label, db, rc);
            goto out;
        }
    }
    rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        code = tr_store_map_rc(rc);
        open_fail(err, errlen, code ? code : TR_STORE_ERR_INTERNAL, label, db, rc);
    }
out:
    if (code != TR_STORE_OK && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return code;
}

static int open_one(const char *path, unsigned flags, bool positions, sqlite3 **out, char *err,
                    size_t errlen)
{
    const char *label = positions ? "positions database" : "database";
    int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (flags & TR_STORE_CREATE)
        oflags |= SQLITE_OPEN_CREATE;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, oflags, NULL);
    int code;
    if (rc != SQLITE_OK) {
        code = tr_store_map_rc(rc);
        open_fail(err, errlen, code ? code : TR_STORE_ERR_IO, path, db, rc);
        goto fail;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    /* The first read of the header happens here: a garbage file fails
     * with SQLITE_NOTADB (CORRUPT). */
    int64_t ignored;
    rc = query_int(db, "PRAGMA schema_version", &ignored);
    if (rc != SQLITE_OK) {
        code = tr_store_map_rc(rc);
        open_fail(err, errlen, code ? code : TR_STORE_ERR_INTERNAL, label, db, rc);
        goto fail;
    }
    rc = sqlite3_exec(db,
                      positions ? "PRAGMA synchronous=NORMAL; PRAGMA trusted_schema=OFF"
                                : "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;"
                                  " PRAGMA trusted_schema=OFF",
                      NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        code = tr_store_map_rc(rc);
        open_fail(err, errlen, code ? code : TR_STORE_ERR_INTERNAL, label, db, rc);
        goto fail;
    }
    /* identity and version before WAL: never convert a foreign file */
    code = positions ? migrate(db, tr_store_pos_migrations, tr_store_pos_n_migrations,
                               TR_STORE_APP_ID_POS, label, err, errlen)
                     : migrate(db, tr_store_main_migrations, tr_store_main_n_migrations,
                               TR_STORE_APP_ID_MAIN, label, err, errlen);
    if (code != TR_STORE_OK)
        goto fail;
    code = set_wal(db, err, errlen, label);
    if (code != TR_STORE_OK)
        goto fail;
    *out = db;
    return TR_STORE_OK;
fail:
    sqlite3_close_v2(db);
    return code;
}

int tr_store_open(const char *path, unsigned flags, struct tr_store **out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    if (!out)
        return open_fail(err, errlen, TR_STORE_ERR_INVALID, "NULL argument", NULL, 0);
    *out = NULL;
    if (!path || !path[0])
        return open_fail(err, errlen, TR_STORE_ERR_INVALID, "empty path", NULL, 0);
    bool memory = strcmp(path, ":memory:") == 0;
    size_t plen = strlen(path);
    char *pos_path = malloc(plen + sizeof "-positions");
    struct tr_store *s = calloc(1, sizeof *s);
    int rc;
    if (!s || !pos_path) {
        rc = open_fail(err, errlen, TR_STORE_ERR_NOMEM, "out of memory", NULL, 0);
        goto fail;
    }
    memcpy(pos_path, path, plen);
    memcpy(pos_path + plen, "-positions", sizeof "-positions");
    rc = open_one(path, flags, false, &s->db, err, errlen);
    if (rc != TR_STORE_OK)
        goto fail;
    rc = open_one(memory ? path : pos_path, flags, true, &s->pos, err, errlen);
    if (rc != TR_STORE_OK)
        goto fail;
    rc = tr_store_ckpt_init(s, path);
    if (rc != TR_STORE_OK) {
        open_fail(err, errlen, rc, s->errmsg, NULL, 0);
        goto fail;
    }
    rc = tr_store_skills_load(s);
    if (rc == TR_STORE_OK)
        rc = tr_store_jobs_init(s);
    if (rc != TR_STORE_OK) {
        open_fail(err, errlen, rc, s->errmsg, NULL, 0);
        goto fail;
    }
    rc = tr_store_positions_fold(s);
    if (rc != TR_STORE_OK) {
        open_fail(err, errlen, rc, s->pos_errmsg, NULL, 0);
        goto fail;
    }
    free(pos_path);
    *out = s;
    return TR_STORE_OK;
fail:
    free(pos_path);
    tr_store_close(s);
    return rc;
}

void tr_store_close(struct tr_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    tr_store_ckpt_close(s);
    sqlite3_close_v2(s->db);
    sqlite3_close_v2(s->pos);
    free(s);
}

/* ---------- check ---------- */

static int check_one(struct tr_store *s, sqlite3 *db, const char *label)
{
    sqlite3_stmt *st = NULL; /* errors are read from db itself (pos: the positions file) */
    int rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
    int code = TR_STORE_OK;
    if (rc != SQLITE_OK) {
        code = tr_store_sqlite_fail(s, db == s->pos, rc, label);
        goto out;
    }
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        code = tr_store_sqlite_fail(s, db == s->pos, rc, label);
        goto out;
    }
    const char *res = (const char *)sqlite3_column_text(st, 0);
    if (!res || strcmp(res, "ok") != 0) {
        code = tr_store_fail(s, false, TR_STORE_ERR_CORRUPT, "%s: integrity_check: %s", label,
                             res ? res : "?");
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    rc = sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        code = tr_store_fail(
            s, false, TR_STORE_ERR_CORRUPT, "%s: foreign_key_check: table %s row %lld", label,
            (const char *)sqlite3_column_text(st, 0), (long long)sqlite3_column_int64(st, 1));
    } else if (rc != SQLITE_DONE) {
        code = tr_store_sqlite_fail(s, db == s->pos, rc, label);
    }
out:
    sqlite3_finalize(st);
    return code;
}

int tr_store_check(struct tr_store *s)
{
    if (!s)
        return TR_STORE_ERR_INVALID;
    s->errmsg[0] = 0;
    int rc = check_one(s, s->db, "database");
    if (rc == TR_STORE_OK)
        rc = check_one(s, s->pos, "positions database");
    return rc;
}
