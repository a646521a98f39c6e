/*
 * common/msg_console.c: the tables of the console requests (job.*,
 * contractor.*, directory.query, coverage.query: `args` and `reply_to`) and
 * of the `response`, whose `result` takes its shape from `re`.
 *
 * Does: describe each message for the engine in msg_codec.c.
 * Does not: answer requests (the dispatcher does) or route them.
 */
#include "common/msg_codec.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define MSG(name, fields, check)                                                                   \
    static const struct tr_msgc_obj name = { #name, fields, COUNT(fields), check }

const char *const tr_msgc_request_names[] = { "job.create",
                                              "job.list",
                                              "job.show",
                                              "job.cancel",
                                              "job.reassign",
                                              "contractor.add",
                                              "contractor.update",
                                              "contractor.list",
                                              "directory.query",
                                              "coverage.query",
                                              NULL };

/* ---------- args tables (offsets into the request's struct) ---------- */
#define T struct tr_req_job_list
static const struct tr_msgc_field job_list_args_f[] = {
    O_ENUM(T, "state", state, has_state, tr_msgc_job_state_names),
    D_I32(T, "limit", limit, has_limit, 1, 1000, 50),
    O_I32(T, "offset", offset, has_offset, 0, 1000000),
};
#undef T
MSG(job_list_args, job_list_args_f, NULL);

#define T struct tr_req_job_show
static const struct tr_msgc_field job_show_args_f[] = { R_ID(T, "job_id", job_id) };
#undef T
MSG(job_show_args, job_show_args_f, NULL);

#define T struct tr_req_job_cancel
static const struct tr_msgc_field job_cancel_args_f[] = {
    R_ID(T, "job_id", job_id),
    O_STR(T, "note", note, has_note, 0, 200, TR_P_ANY),
};
#undef T
MSG(job_cancel_args, job_cancel_args_f, NULL);

#define T struct tr_req_job_reassign
static const struct tr_msgc_field job_reassign_args_f[] = {
    R_ID(T, "job_id", job_id),
    O_STR(T, "agent_id", agent_id, has_agent_id, 1, 64, TR_P_AGENT_ID),
    O_NUM(T, "radius_km", radius_km, has_radius_km, 1, 1000),
    O_BOOL(T, "relax_language", relax_language, has_relax_language),
};
#undef T
MSG(job_reassign_args, job_reassign_args_f, NULL);

#define T struct tr_req_contractor_list
static const struct tr_msgc_field contractor_list_args_f[] = {
    O_STR(T, "skill", skill, has_skill, 1, 32, TR_P_SKILL),
    O_BOOL(T, "available", available, has_available),
    D_I32(T, "limit", limit, has_limit, 1, 1000, 50),
    O_I32(T, "offset", offset, has_offset, 0, 1000000),
};
#undef T
MSG(contractor_list_args, contractor_list_args_f, NULL);

#define T struct tr_req_directory_query
static const struct tr_msgc_field directory_args_f[] = {
    O_STR(T, "country", country, has_country, 2, 2, TR_P_UPPER2),
    O_STR(T, "state", state, has_state, 2, 2, TR_P_STATE),
    O_STR(T, "county", county, has_county, 0, 100, TR_P_ANY),
    O_STR(T, "skill", skill, has_skill, 1, 32, TR_P_SKILL),
    O_STR(T, "language", language, has_language, 2, 30, TR_P_LANG),
    O_BOOL(T, "available", available, has_available),
    O_OBJ(T, "near", near, has_near, &tr_msgd_point),
    D_I32(T, "limit", limit, has_limit, 1, 1000, 50),
};
#undef T
MSG(directory_args, directory_args_f, NULL);

#define T struct tr_req_coverage_query
static const struct tr_msgc_field coverage_args_f[] = {
    O_STR(T, "country", country, has_country, 2, 2, TR_P_UPPER2),
    O_STR(T, "state", state, has_state, 2, 2, TR_P_UPPER2),
    O_STR(T, "skill", skill, has_skill, 1, 32, TR_P_SKILL),
    O_STR(T, "language", language, has_language, 2, 30, TR_P_LANG),
};
#undef T
MSG(coverage_args, coverage_args_f, NULL);

/* ---------- request messages: envelope + args + reply_to ---------- */
#define T struct tr_msg
#define REQUEST(name, member, args)                                                                \
    static const struct tr_msgc_field name##_f[] = {                                               \
        TR_ENVELOPE,                                                                               \
        R_OBJ(T, "args", u.member, args),                                                          \
        O_STR(T, "reply_to", reply_to, has_reply_to, 27, 90, TR_P_REPLY_TO),                       \
    };                                                                                             \
    MSG(name, name##_f, NULL)

REQUEST(job_create, job_create, &tr_msgd_job_create_args);
REQUEST(job_list, job_list, &job_list_args);
REQUEST(job_show, job_show, &job_show_args);
REQUEST(job_cancel, job_cancel, &job_cancel_args);
REQUEST(job_reassign, job_reassign, &job_reassign_args);
REQUEST(contractor_add, contractor_add, &tr_msgd_contractor);
REQUEST(contractor_update, contractor_update, &tr_msgd_contractor_update);
REQUEST(contractor_list, contractor_list, &contractor_list_args);
REQUEST(directory_query, directory_query, &directory_args);
REQUEST(coverage_query, coverage_query, &coverage_args);
#undef T

/* ---------- response results (offsets into struct tr_result) ---------- */
#define T struct tr_job_history
static const struct tr_msgc_field history_f[] = {
    R_TIME(T, "ts", ts),
    R_ENUM(T, "state", state, tr_msgc_job_state_names),
    R_STR(T, "actor", actor, 1, 64, TR_P_ANY),
    O_STR(T, "note", note, has_note, 0, 200, TR_P_ANY),
};
#undef T
MSG(history, history_f, NULL);

#define T struct tr_coverage_row
static const struct tr_msgc_field coverage_row_f[] = {
    R_OBJ(T, "region", region, &tr_msgd_region),
    R_I64(T, "qualified", qualified, 0, 10000000),
    R_I64(T, "on_shift", on_shift, 0, 10000000),
};
#undef T
MSG(coverage_row, coverage_row_f, NULL);

#define T struct tr_result
static const struct tr_msgc_field result_job_f[] = { R_OBJ(T, "job", job, &tr_msgd_job) };
MSG(result_job, result_job_f, NULL);

static const struct tr_msgc_field result_job_show_f[] = {
    R_OBJ(T, "job", job, &tr_msgd_job),
    R_HEAP(T, "events", events, n_events, sizeof(struct tr_job_history), TR_MSG_MAX_LIST, &history),
};
MSG(result_job_show, result_job_show_f, NULL);

static const struct tr_msgc_field result_job_list_f[] = {
    R_HEAP(T, "jobs", jobs, n_jobs, sizeof(struct tr_job), TR_MSG_MAX_LIST, &tr_msgd_job),
    R_I64(T, "total", total, 0, TR_SEQ_MAX),
};
MSG(result_job_list, result_job_list_f, NULL);

static const struct tr_msgc_field result_contractor_f[] = {
    R_OBJ(T, "contractor", contractor, &tr_msgd_contractor_view),
};
MSG(result_contractor, result_contractor_f, NULL);

static const struct tr_msgc_field result_contractor_add_f[] = {
    R_OBJ(T, "contractor", contractor, &tr_msgd_contractor_view),
    O_BOOL(T, "unchanged", unchanged, has_unchanged),
};
MSG(result_contractor_add, result_contractor_add_f, NULL);

static const struct tr_msgc_field result_contractors_f[] = {
    R_HEAP(T, "contractors", contractors, n_contractors, sizeof(struct tr_contractor_view),
           TR_MSG_MAX_LIST, &tr_msgd_contractor_view),
    R_I64(T, "total", total, 0, TR_SEQ_MAX),
};
MSG(result_contractors, result_contractors_f, NULL);

static const struct tr_msgc_field result_coverage_f[] = {
    R_HEAP(T, "regions", regions, n_regions, sizeof(struct tr_coverage_row), TR_MSG_MAX_REGIONS,
           &coverage_row),
    R_HEAP(T, "gaps", gaps, n_gaps, sizeof(struct tr_region), TR_MSG_MAX_REGIONS, &tr_msgd_region),
    { .key = "uncovered_hours_utc",
      .kind = TR_K_INTS,
      .flags = TR_F_REQ,
      .off = TR_OFF(T, uncovered_hours_utc),
      .has = TR_NOHAS,
      .cnt = TR_OFF(T, n_uncovered_hours_utc),
      .size = TR_ESZ(T, uncovered_hours_utc),
      .nmax = TR_NEL(T, uncovered_hours_utc),
      .lo = 0,
      .hi = 23 },
};
MSG(result_coverage, result_coverage_f, NULL);
#undef T

static const struct tr_msgc_obj *pick_result(const void *base)
{
    switch (((const struct tr_msg *)base)->u.response.re) {
    case TR_MSG_JOB_CREATE:
    case TR_MSG_JOB_CANCEL:
    case TR_MSG_JOB_REASSIGN:
        return &result_job;
    case TR_MSG_JOB_SHOW:
        return &result_job_show;
    case TR_MSG_JOB_LIST:
        return &result_job_list;
    case TR_MSG_CONTRACTOR_ADD:
        return &result_contractor_add;
    case TR_MSG_CONTRACTOR_UPDATE:
        return &result_contractor;
    case TR_MSG_CONTRACTOR_LIST:
    case TR_MSG_DIRECTORY_QUERY:
        return &result_contractors;
    case TR_MSG_COVERAGE_QUERY:
        return &result_coverage;
    default:
        return NULL;
    }
}
static const struct tr_msgc_pick result_pick = { pick_result };

#define T struct tr_msg
static const struct tr_msgc_field response_f[] = {
    TR_ENVELOPE,
    R_ID(T, "corr", u.response.corr),
    TR_FENUM(T, "re", u.response.re, TR_F_REQ, TR_NOHAS, tr_msgc_request_names, TR_MSG_JOB_CREATE,
             0),
    { .key = "result",
      .kind = TR_K_RESULT,
      .flags = TR_F_REQ,
      .off = TR_OFF(T, u.response.result),
      .has = TR_NOHAS,
      .aux = &result_pick },
};
#undef T
MSG(response, response_f, NULL);

const struct tr_msgc_obj *tr_msgc_console_desc(enum tr_msg_type type)
{
    switch (type) {
    case TR_MSG_JOB_CREATE:
        return &job_create;
    case TR_MSG_JOB_LIST:
        return &job_list;
    case TR_MSG_JOB_SHOW:
        return &job_show;
    case TR_MSG_JOB_CANCEL:
        return &job_cancel;
    case TR_MSG_JOB_REASSIGN:
        return &job_reassign;
    case TR_MSG_CONTRACTOR_ADD:
        return &contractor_add;
    case TR_MSG_CONTRACTOR_UPDATE:
        return &contractor_update;
    case TR_MSG_CONTRACTOR_LIST:
        return &contractor_list;
    case TR_MSG_DIRECTORY_QUERY:
        return &directory_query;
    case TR_MSG_COVERAGE_QUERY:
        return &coverage_query;
    case TR_MSG_RESPONSE:
        return &response;
    default:
        return NULL;
    }
}
