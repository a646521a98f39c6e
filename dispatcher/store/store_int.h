/*
 * dispatcher/store/store_int.h: what the store's files share and nobody else
 * sees: the handle, the prepared-statement cache, error and row helpers.
 *
 * Not a public header: only the store_*.c files include it (and sqlite3.h).
 */
#ifndef TR_STORE_INT_H
#define TR_STORE_INT_H

#include <sqlite3.h>
#include <stdarg.h>

#include "dispatcher/store/store.h"

/* Prepared statements, prepared on first use and kept until close. The
 * record connection's come first, then the positions connection's. */
enum tr_store_stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SKILL_ALL,
    ST_SKILL_INSERT,
    ST_CON_INSERT,
    ST_CON_UPDATE,
    ST_CON_GET,
    ST_CON_LIST,
    ST_CON_COUNT,
    ST_CON_ALL,
    ST_CON_ACTIVE_JOBS,
    ST_CON_PENDING_OFFERS,
    ST_CON_LIMIT,
    ST_CON_ACCEPTS,
    ST_JOB_INSERT,
    ST_JOB_REQUEST_INSERT,
    ST_JOB_BY_REQUEST,
    ST_JOB_GET,
    ST_JOB_LIST,
    ST_JOB_LIST_STATE,
    ST_JOB_COUNT,
    ST_JOB_COUNT_STATE,
    ST_JOB_OPEN,
    ST_JOB_MAX_ID,
    ST_JOB_CAS_READ,
    ST_JOB_UPDATE,
    ST_EVENT_INSERT,
    ST_EVENT_LIST,
    ST_OFFER_INSERT,
    ST_OFFER_RESOLVE,
    ST_OFFER_LIST,
    ST_OFFER_PENDING,
    ST_OUT_INSERT,
    ST_OUT_PENDING,
    ST_OUT_DELETE,
    ST_OUT_COUNT,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_POS_FIRST, /* positions connection from here on */
    ST_P_BEGIN = ST_POS_FIRST,
    ST_P_COMMIT,
    ST_P_ROLLBACK,
    ST_P_HIST_INSERT,
    ST_P_LAST_UPSERT,
    ST_P_MARK,
    ST_P_FOLD,
    ST_P_HIGH_WATER,
    ST_P_LAST_ALL,
    ST_P_PROBE,
    ST_P_MIN,
    ST_P_DELETE,
    ST_P_PRUNE_LAST,
    ST_P_PRUNE_MARK,
    ST_P_COUNT,
    ST_COUNT
};

#define TR_STORE_ERRMSG_SIZE 320

struct tr_store {
    sqlite3 *db;  /* the record: synchronous=FULL */
    sqlite3 *pos; /* the positions file: synchronous=NORMAL */
    sqlite3_stmt *st[ST_COUNT];
    char errmsg[TR_STORE_ERRMSG_SIZE];     /* record group */
    char pos_errmsg[TR_STORE_ERRMSG_SIZE]; /* positions group */
    /* skill dictionary, as committed: "" = bit unassigned */
    char skills[TR_STORE_MAX_SKILLS][TR_MSG_SKILL_SIZE];
    /* job id generator: the last id issued is (id_ms, id_counter) */
    int64_t id_ms;
    int64_t id_counter;
    /* group commit (store_batch.c): batch mode on, its outer transaction
     * open, lost (SQLite rolled it back), steps released into it */
    bool batch, batch_open, batch_lost;
    size_t batch_steps;
    bool sync_normal; /* the record connection is at synchronous=NORMAL */
    /* checkpoints (store_batch.c): the record WAL's frames after the last
     * commit (record group); the checkpoint group's connection and path */
    int64_t wal_frames, ck_mark; /* ck_mark: frames when a checkpoint was last due */
    sqlite3 *ck;
    char *ck_path;
};

/* Time range of the contract (time_ms). */
#define TR_STORE_TIME_MIN 946684800000LL
#define TR_STORE_TIME_MAX 4102444800000LL

/* --- errors (store.c) --- */
/* Record a message for the group of `id_or_pos` (false: record, true:
 * positions) and return code. */
int tr_store_fail(struct tr_store *s, bool pos, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Map a SQLite result to enum tr_store_err and record "what: sqlite message". */
int tr_store_sqlite_fail(struct tr_store *s, bool pos, int rc, const char *what);
int tr_store_map_rc(int rc);

/* --- statements (store.c) --- */
/* The cached statement `id`, prepared from `sql` on first use and reset. On
 * failure NULL, with the error recorded in *rc. */
sqlite3_stmt *tr_store_stmt(struct tr_store *s, int id, const char *sql, int *rc);
/* Reset and clear bindings (releases the statement's read snapshot). */
void tr_store_done(sqlite3_stmt *st);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK on the group's connection. */
int tr_store_begin(struct tr_store *s, bool pos);
int tr_store_commit(struct tr_store *s, bool pos);
void tr_store_rollback(struct tr_store *s, bool pos);
/* Group commit (store_batch.c): inside a batch tr_store_begin / commit /
 * rollback of the record group become SAVEPOINT / RELEASE / ROLLBACK TO. */
int tr_store_batch_step_begin(struct tr_store *s);
int tr_store_batch_step_commit(struct tr_store *s);
void tr_store_batch_step_rollback(struct tr_store *s);
/* A record-group transaction committed with synchronous=NORMAL (no fsync of
 * its own; inside a batch, a plain step): begin, then end with the body's
 * rc (commits when OK, else rolls back); returns the final rc. */
int tr_store_begin_nosync(struct tr_store *s);
int tr_store_end_nosync(struct tr_store *s, int rc);
/* Back to synchronous=FULL after a NORMAL transaction. */
int tr_store_sync_full(struct tr_store *s);
/* Checkpoints (store_batch.c): at open, after the record connection (path
 * ":memory:": nothing); at close. */
int tr_store_ckpt_init(struct tr_store *s, const char *path);
void tr_store_ckpt_close(struct tr_store *s);
/* Step a statement expected to finish with SQLITE_DONE. */
int tr_store_exec_stmt(struct tr_store *s, bool pos, sqlite3_stmt *st, const char *what);

/* --- schema (store_schema.c) --- */
struct tr_store_migration {
    int version;     /* the user_version after this step */
    const char *sql; /* DDL, run with sqlite3_exec inside the migration transaction */
};
extern const struct tr_store_migration tr_store_main_migrations[];
extern const size_t tr_store_main_n_migrations;
extern const struct tr_store_migration tr_store_pos_migrations[];
extern const size_t tr_store_pos_n_migrations;
#define TR_STORE_APP_ID_MAIN 0x54524b31 /* "TRK1" */
#define TR_STORE_APP_ID_POS  0x54524b50 /* "TRKP" */

/* --- column readers and checks (store_row.c) --- */
/* Each returns false when the column is not of the expected type or range
 * (a damaged row). *_opt: NULL gives *has = false. */
bool tr_store_col_i64(sqlite3_stmt *st, int i, int64_t *out);
bool tr_store_col_i64_opt(sqlite3_stmt *st, int i, bool *has, int64_t *out);
bool tr_store_col_int(sqlite3_stmt *st, int i, int lo, int hi, int *out);
bool tr_store_col_int_opt(sqlite3_stmt *st, int i, bool *has, int lo, int hi, int *out);
bool tr_store_col_dbl(sqlite3_stmt *st, int i, double *out);
bool tr_store_col_dbl_opt(sqlite3_stmt *st, int i, bool *has, double *out);
bool tr_store_col_text(sqlite3_stmt *st, int i, char *buf, size_t size);
bool tr_store_col_text_opt(sqlite3_stmt *st, int i, bool *has, char *buf, size_t size);
/* Bind helpers: NULL when !has. */
int tr_store_bind_text(sqlite3_stmt *st, int i, const char *s);
int tr_store_bind_text_opt(sqlite3_stmt *st, int i, bool has, const char *s);
int tr_store_bind_i64_opt(sqlite3_stmt *st, int i, bool has, int64_t v);
int tr_store_bind_dbl_opt(sqlite3_stmt *st, int i, bool has, double v);

/* Row loops (record group). decode fills item from the current row: OK, or
 * an error (the row is damaged: skipped and counted in *n_corrupt, which may
 * be NULL). Both step st to its end and reset it (tr_store_done), also on
 * failure; `what` names the read in SQLite errors. */
typedef int (*tr_store_row_decode)(struct tr_store *s, sqlite3_stmt *st, void *item);
/* At most cap good rows into a calloc'ed array of item_size items (*out,
 * *n; the caller frees it). NOMEM, or the SQLite error with nothing out. */
int tr_store_rows_array(struct tr_store *s, sqlite3_stmt *st, size_t item_size, size_t cap,
                        tr_store_row_decode decode, const char *what, void **out, size_t *n,
                        size_t *n_corrupt);
/* Each good row to cb(ctx, item) (item: one scratch of item_size bytes,
 * valid during the call); cb returns non-zero to stop (then OK). */
int tr_store_rows_each(struct tr_store *s, sqlite3_stmt *st, size_t item_size,
                       tr_store_row_decode decode, int (*cb)(void *ctx, const void *item),
                       void *ctx, const char *what, size_t *n_corrupt);

bool tr_store_valid_time(int64_t t);
/* NUL-terminated, at most max bytes, valid UTF-8, no control characters
 * other than tab and newline. NULL is invalid. */
bool tr_store_valid_text(const char *s, size_t max);
/* Copy with truncation; always NUL-terminates. */
void tr_store_copy(char *dst, size_t size, const char *src);

/* --- shared between files --- */
/* Skill dictionary (store_skills.c). */
int tr_store_skills_load(struct tr_store *s);
/* Mask for names, assigning new bits (inside the caller's transaction; the
 * caller reloads the dictionary after a rollback). */
int tr_store_skills_assign(struct tr_store *s, const char (*skills)[TR_MSG_SKILL_SIZE], size_t n,
                           int64_t now_ms, uint64_t *mask);
/* Names of a mask's bits; false if a bit has no name. */
bool tr_store_skills_names(const struct tr_store *s, uint64_t mask, struct tr_contractor *c);
/* Jobs (store_jobs.c): id generator seed; checks with the contract's rules
 * (`code` is returned when they fail); one row by id, with its rowid. */
int tr_store_jobs_init(struct tr_store *s);
int tr_store_job_validate(struct tr_store *s, const struct tr_store_job *j, int code);
int tr_store_job_read(struct tr_store *s, const char *job_id, struct tr_store_job *out,
                      int64_t *rowid);
/* Append one event inside the caller's transaction (store_history.c). */
int tr_store_event_insert(struct tr_store *s, int64_t job_rowid, int64_t ts, bool has_from,
                          enum tr_job_state from, enum tr_job_state to, const char *actor,
                          const char *note);
/* Outbox rows inside the caller's transaction (store_outbox.c). */
int tr_store_outbox_insert(struct tr_store *s, const struct tr_store_outmsg *m, size_t n,
                           int64_t now_ms);
/* Fold history newer than the last flush into last positions
 * (store_positions.c; at open). */
int tr_store_positions_fold(struct tr_store *s);

#endif
