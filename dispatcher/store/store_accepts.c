/*
 * dispatcher/store/store_accepts.c: the offers accepted since a time, for
 * restoring each contractor's "jobs today" (the ranking's fairness
 * tie-break) after a restart.
 *
 * It reads the offer table backwards by rowid (offers are inserted in time
 * order) and stops at the first offer made longer than an offer can live
 * before the time asked for, so a restart reads the last day or two of
 * offers, not the whole history, and needs no extra index.
 *
 * Does not: decide what "today" is (the engine counts an accept by the
 * contractor's local day: tr_engine_recover_accept).
 */
#include "dispatcher/store/store_int.h"

int tr_store_accepts_since(struct tr_store *s, int64_t since_ms,
                           int (*cb)(void *ctx, const char *agent_id, int64_t accepted_ms),
                           void *ctx, size_t *n_corrupt)
{
    if (n_corrupt)
        *n_corrupt = 0;
    if (!s || !cb)
        return TR_STORE_ERR_INVALID;
    if (!tr_store_valid_time(since_ms))
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "since_ms out of range");
    int rc;
    /* newest first, by rowid (offers are inserted in time order): the scan
     * stops at the first offer too old to have been accepted since since_ms */
    sqlite3_stmt *st = tr_store_stmt(
        s, ST_CON_ACCEPTS,
        "SELECT created, outcome, answered, agent_id FROM offer ORDER BY id DESC", &rc);
    if (!st)
        return rc;
    char agent[TR_MSG_ID_SIZE];
    size_t bad = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t created, answered;
        int outcome;
        bool has_answered;
        if (!tr_store_col_i64(st, 0, &created) ||
            !tr_store_col_int(st, 1, TR_OFFER_PENDING, TR_OFFER_WITHDRAWN, &outcome)) {
            bad++;
            continue;
        }
        if (created < since_ms - TR_STORE_OFFER_MAX_MS) {
            r = SQLITE_DONE;
            break;
        }
        if (outcome != TR_OFFER_ACCEPTED)
            continue;
        if (!tr_store_col_i64_opt(st, 2, &has_answered, &answered) || !has_answered ||
            !tr_store_valid_time(answered) || !tr_store_col_text(st, 3, agent, sizeof agent) ||
            !tr_msg_valid_agent_id(agent)) {
            bad++;
            continue;
        }
        if (answered >= since_ms && cb(ctx, agent, answered) != 0) {
            r = SQLITE_DONE;
            break;
        }
    }
    tr_store_done(st);
    if (n_corrupt)
        *n_corrupt = bad;
    return r == SQLITE_DONE ? TR_STORE_OK : tr_store_sqlite_fail(s, false, r, "accepted offers");
}
