/*
 * dispatcher/store/store_transition.c: the one way a job changes after
 * creation: tr_store_job_transition.
 *
 * In one BEGIN IMMEDIATE transaction on the synchronous=FULL connection it
 * compares the job's state (and pending offer) with what the caller expects,
 * resolves / creates offers, updates the job, appends the event and queues
 * the outbox messages, then reads the job back through the same checks every
 * reader uses, and commits. Nothing is published before that commit returns
 * (the publisher only reads committed outbox rows), and a failed check
 * leaves the database untouched.
 *
 * The rules enforced here are the ones no caller may break whatever the
 * state machine says (one pending offer, one assignee, job limits, final
 * states); which transitions make sense is dispatcher/core's business.
 */
#include <string.h>

#include "dispatcher/store/store_int.h"

static bool is_active(enum tr_job_state st)
{
    return st == TR_JOB_ACCEPTED || st == TR_JOB_EN_ROUTE || st == TR_JOB_ON_SITE;
}

static bool is_final(enum tr_job_state st)
{
    return st == TR_JOB_COMPLETED || st == TR_JOB_FAILED || st == TR_JOB_CANCELLED;
}

static bool is_unassigned(enum tr_job_state st)
{
    return st == TR_JOB_NEW || st == TR_JOB_OFFERED || st == TR_JOB_UNASSIGNED ||
           st == TR_JOB_RELEASED;
}

static int check_args(struct tr_store *s, const struct tr_store_transition *t)
{
#define BAD(...) tr_store_fail(s, false, TR_STORE_ERR_INVALID, __VA_ARGS__)
    if (!tr_msg_valid_msgid(t->job_id))
        return BAD("bad job id");
    if (t->from < TR_JOB_NEW || t->from > TR_JOB_RELEASED || t->to < TR_JOB_NEW ||
        t->to > TR_JOB_RELEASED)
        return BAD("state out of range");
    if (is_final(t->from))
        return BAD("job %s: %s is final", t->job_id, tr_msg_job_state_name(t->from));
    if (!tr_msg_valid_msgid(t->actor))
        return BAD("bad actor");
    if (t->note && !tr_store_valid_text(t->note, TR_STORE_NOTE_SIZE - 1))
        return BAD("bad note (text of at most %d bytes)", TR_STORE_NOTE_SIZE - 1);
    if (!tr_store_valid_time(t->now_ms))
        return BAD("now_ms out of range");
    if (t->expect_offer_id && !tr_msg_valid_msgid(t->expect_offer_id))
        return BAD("bad expected offer id");
    if (t->resolve_offer) {
        if (t->outcome < TR_OFFER_ACCEPTED || t->outcome > TR_OFFER_WITHDRAWN)
            return BAD("bad offer outcome");
        if (t->has_decline_reason &&
            (t->outcome != TR_OFFER_DECLINED || t->decline_reason < TR_DECLINE_TOO_FAR ||
             t->decline_reason > TR_DECLINE_OTHER))
            return BAD("bad decline reason");
        if (t->offer_note && !tr_store_valid_text(t->offer_note, TR_MSG_NOTE_SIZE - 1))
            return BAD("bad offer note");
    }
    if (t->new_offer &&
        (!tr_msg_valid_msgid(t->offer.offer_id) || !tr_msg_valid_agent_id(t->offer.agent_id) ||
         !tr_store_valid_time(t->offer.deadline) || t->offer.deadline <= t->now_ms))
        return BAD("bad new offer (id, agent or deadline)");
    if (t->assignee_op < TR_ASSIGNEE_KEEP || t->assignee_op > TR_ASSIGNEE_CLEAR ||
        (t->assignee_op == TR_ASSIGNEE_SET && !tr_msg_valid_agent_id(t->assignee)))
        return BAD("bad assignee");
    if (t->reason && !tr_store_valid_text(t->reason, TR_MSG_NOTE_SIZE - 1))
        return BAD("bad reason");
    if (t->set_tier && (t->tier < 1 || t->tier > 5))
        return BAD("tier out of range");
    if (t->set_max_radius_km && !(t->max_radius_km >= 1 && t->max_radius_km <= 1000))
        return BAD("max_radius_km out of range");
    if (!t->out && t->n_out)
        return BAD("NULL outbox messages");
#undef BAD
    return TR_STORE_OK;
}

/* The contractor may take one more job: active, and `taken` below the
 * limit, where taken counts active jobs (+ pending offers when `offers`). */
static int check_capacity(struct tr_store *s, const char *agent_id, bool offers)
{
    int rc;
    sqlite3_stmt *st = tr_store_stmt(s, ST_CON_LIMIT,
                                     "SELECT coalesce(job_limit, 1), coalesce(active, 1)"
                                     " FROM contractor WHERE contractor_id = ?1",
                                     &rc);
    if (!st)
        return rc;
    tr_store_bind_text(st, 1, agent_id);
    int r = sqlite3_step(st);
    int64_t limit = sqlite3_column_int64(st, 0), active = sqlite3_column_int64(st, 1);
    tr_store_done(st);
    if (r == SQLITE_DONE)
        return tr_store_fail(s, false, TR_STORE_ERR_NOT_FOUND, "contractor %s not found", agent_id);
    if (r != SQLITE_ROW)
        return tr_store_sqlite_fail(s, false, r, "contractor limit");
    if (!active)
        return tr_store_fail(s, false, TR_STORE_ERR_CONFLICT, "contractor %s is not active",
                             agent_id);
    int jobs = 0, pending = 0;
    rc = tr_store_contractor_load(s, agent_id, &jobs, &pending);
    if (rc != TR_STORE_OK)
        return rc;
    int taken = jobs + (offers ? pending : 0);
    if (taken >= limit)
        return tr_store_fail(s, false, TR_STORE_ERR_LIMIT, "contractor %s has %d of %lld jobs%s",
                             agent_id, taken, (long long)limit,
                             offers ? " (with pending offers)" : "");
    return TR_STORE_OK;
}

static int resolve_offer(struct tr_store *s, const struct tr_store_transition *t,
                         const char *offer_id)
{
    int rc;
    sqlite3_stmt *st = tr_store_stmt(s, ST_OFFER_RESOLVE,
                                     "UPDATE offer SET outcome = ?2, decline_reason = ?3,"
                                     " note = ?4, answered = ?5 WHERE offer_id = ?1 AND"
                                     " outcome = 0",
                                     &rc);
    if (!st)
        return rc;
    tr_store_bind_text(st, 1, offer_id);
    sqlite3_bind_int(st, 2, (int)t->outcome);
    tr_store_bind_i64_opt(st, 3, t->has_decline_reason, t->decline_reason);
    tr_store_bind_text_opt(st, 4, t->offer_note && t->offer_note[0], t->offer_note);
    sqlite3_bind_int64(st, 5, t->now_ms);
    rc = tr_store_exec_stmt(s, false, st, "offer resolve");
    if (rc == TR_STORE_OK && sqlite3_changes(s->db) != 1)
        rc = tr_store_fail(s, false, TR_STORE_ERR_CONFLICT, "offer %s is not pending", offer_id);
    return rc;
}

static int insert_offer(struct tr_store *s, const struct tr_store_transition *t, int64_t rowid)
{
    int rc;
    sqlite3_stmt *st = tr_store_stmt(s, ST_OFFER_INSERT,
                                     "INSERT INTO offer (offer_id, job, agent_id, created,"
                                     " deadline, outcome) VALUES (?1, ?2, ?3, ?4, ?5, 0)",
                                     &rc);
    if (!st)
        return rc;
    tr_store_bind_text(st, 1, t->offer.offer_id);
    sqlite3_bind_int64(st, 2, rowid);
    tr_store_bind_text(st, 3, t->offer.agent_id);
    sqlite3_bind_int64(st, 4, t->now_ms);
    sqlite3_bind_int64(st, 5, t->offer.deadline);
    rc = tr_store_exec_stmt(s, false, st, "offer insert");
    if (rc == TR_STORE_ERR_EXISTS)
        rc = tr_store_fail(s, false, rc, "offer %s already exists", t->offer.offer_id);
    return rc;
}

static int update_job(struct tr_store *s, const struct tr_store_transition *t,
                      const struct tr_store_job *cur, int64_t rowid, const char *assignee)
{
    int rc;
    sqlite3_stmt *st = tr_store_stmt(
        s, ST_JOB_UPDATE,
        "UPDATE job SET state = ?2, updated = ?3, assignee = ?4, attempts = ?5, reason = ?6,"
        " tier = ?7, max_radius_km = ?8, relax_language = ?9 WHERE id = ?1 AND state = ?10",
        &rc);
    if (!st)
        return rc;
    const struct tr_job *j = &cur->job;
    sqlite3_bind_int64(st, 1, rowid);
    sqlite3_bind_int(st, 2, (int)t->to);
    sqlite3_bind_int64(st, 3, t->now_ms);
    tr_store_bind_text_opt(st, 4, assignee != NULL, assignee);
    sqlite3_bind_int(st, 5, j->attempts + (t->new_offer ? 1 : 0));
    if (t->reason)
        tr_store_bind_text_opt(st, 6, t->reason[0] != 0, t->reason);
    else
        tr_store_bind_text_opt(st, 6, j->has_reason, j->reason);
    if (t->set_tier)
        sqlite3_bind_int(st, 7, t->tier);
    else
        tr_store_bind_i64_opt(st, 7, j->spec.has_tier, j->spec.tier);
    if (t->set_max_radius_km)
        sqlite3_bind_double(st, 8, t->max_radius_km);
    else
        tr_store_bind_dbl_opt(st, 8, cur->has_max_radius_km, cur->max_radius_km);
    sqlite3_bind_int(st, 9, t->set_relax_language ? t->relax_language : cur->relax_language);
    sqlite3_bind_int(st, 10, (int)t->from);
    rc = tr_store_exec_stmt(s, false, st, "job update");
    if (rc == TR_STORE_OK && sqlite3_changes(s->db) != 1)
        rc = tr_store_fail(s, false, TR_STORE_ERR_CONFLICT, "job %s changed underneath", t->job_id);
    return rc;
}

/* Everything between BEGIN and COMMIT. `cur` is scratch for the job. */
static int apply(struct tr_store *s, const struct tr_store_transition *t, struct tr_store_job *cur)
{
    int64_t rowid;
    int rc = tr_store_job_read(s, t->job_id, cur, &rowid);
    if (rc != TR_STORE_OK)
        return rc;
    const struct tr_job *j = &cur->job;
    if (j->state != t->from)
        return tr_store_fail(s, false, TR_STORE_ERR_CONFLICT, "job %s is %s, not %s", t->job_id,
                             tr_msg_job_state_name(j->state), tr_msg_job_state_name(t->from));
    if (t->expect_offer_id && (!j->has_offer || strcmp(j->offer.offer_id, t->expect_offer_id)))
        return tr_store_fail(s, false, TR_STORE_ERR_CONFLICT,
                             "job %s: offer %s is not its pending offer", t->job_id,
                             t->expect_offer_id);
    if (t->resolve_offer && !j->has_offer)
        return tr_store_fail(s, false, TR_STORE_ERR_CONFLICT, "job %s has no pending offer",
                             t->job_id);
    bool pending = j->has_offer && !t->resolve_offer;
    if (t->new_offer && pending)
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID,
                             "job %s: resolve offer %s before making another", t->job_id,
                             j->offer.offer_id);
    pending = pending || t->new_offer;
    if ((t->to == TR_JOB_OFFERED) != pending)
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "job %s: state %s %s a pending offer",
                             t->job_id, tr_msg_job_state_name(t->to),
                             pending ? "cannot keep" : "needs");
    if (t->new_offer && j->attempts >= 10000)
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "job %s: too many offers", t->job_id);

    /* who has the job afterwards */
    const char *assignee = j->has_assignee ? j->assignee : NULL;
    bool accepted = t->resolve_offer && t->outcome == TR_OFFER_ACCEPTED;
    if (t->assignee_op == TR_ASSIGNEE_SET) {
        if (accepted && strcmp(t->assignee, j->offer.agent_id) != 0)
            return tr_store_fail(s, false, TR_STORE_ERR_INVALID,
                                 "job %s: offer %s was for %s, not %s", t->job_id,
                                 j->offer.offer_id, j->offer.agent_id, t->assignee);
        assignee = t->assignee;
    } else if (t->assignee_op == TR_ASSIGNEE_CLEAR) {
        assignee = NULL;
    } else if (accepted) {
        assignee = j->offer.agent_id;
    }
    if (is_unassigned(t->to))
        assignee = NULL;
    if (is_active(t->to) && !assignee)
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "job %s: %s needs an assignee",
                             t->job_id, tr_msg_job_state_name(t->to));
    /* a new assignment must fit the contractor's limit */
    bool was_theirs =
        is_active(j->state) && j->has_assignee && assignee && strcmp(j->assignee, assignee) == 0;
    if (is_active(t->to) && !was_theirs) {
        rc = check_capacity(s, assignee, false);
        if (rc != TR_STORE_OK)
            return rc;
    }
    if (t->resolve_offer) {
        rc = resolve_offer(s, t, j->offer.offer_id);
        if (rc != TR_STORE_OK)
            return rc;
    }
    if (t->new_offer) {
        rc = check_capacity(s, t->offer.agent_id, true);
        if (rc == TR_STORE_OK)
            rc = insert_offer(s, t, rowid);
        if (rc != TR_STORE_OK)
            return rc;
    }
    char who[TR_MSG_ID_SIZE];
    if (assignee)
        tr_store_copy(who, sizeof who, assignee); /* may point into cur */
    rc = update_job(s, t, cur, rowid, assignee ? who : NULL);
    if (rc == TR_STORE_OK)
        rc = tr_store_event_insert(s, rowid, t->now_ms, true, t->from, t->to, t->actor, t->note);
    if (rc == TR_STORE_OK)
        rc = tr_store_outbox_insert(s, t->out, t->n_out, t->now_ms);
    if (rc != TR_STORE_OK)
        return rc;
    /* the job as every later reader will see it must pass their checks */
    rc = tr_store_job_read(s, t->job_id, cur, NULL);
    if (rc == TR_STORE_ERR_CORRUPT) {
        char why[TR_STORE_ERRMSG_SIZE];
        tr_store_copy(why, sizeof why, s->errmsg);
        rc = tr_store_fail(s, false, TR_STORE_ERR_INVALID, "transition refused: %s", why);
    }
    return rc;
}

int tr_store_job_transition(struct tr_store *s, const struct tr_store_transition *t,
                            struct tr_store_job *after)
{
    if (!s || !t)
        return TR_STORE_ERR_INVALID;
    s->errmsg[0] = 0;
    int rc = check_args(s, t);
    if (rc != TR_STORE_OK)
        return rc;
    struct tr_store_job cur;
    rc = tr_store_begin(s, false);
    if (rc != TR_STORE_OK)
        return rc;
    rc = apply(s, t, &cur);
    if (rc == TR_STORE_OK)
        rc = tr_store_commit(s, false);
    else
        tr_store_rollback(s, false);
    if (rc == TR_STORE_OK && after)
        *after = cur;
    return rc;
}
