/*
 * dispatcher/app/requests_int.h: what requests.c (routing, answers, job
 * requests) shares with requests_con.c (contractor requests). Not public.
 */
#ifndef TR_APP_REQUESTS_INT_H
#define TR_APP_REQUESTS_INT_H

#include "dispatcher/app/app.h"

/* One console request being answered. */
struct req {
    struct app *a;
    const struct tr_msg *msg;
    int64_t now_ms;
    bool can_answer;
    char topic[TR_BUS_TOPIC_SIZE]; /* the response topic */
    const void *corr;              /* v5 correlation data to echo, or NULL */
    size_t corr_len;
    char user[TR_MSG_ID_SIZE];        /* "" when unknown */
    char actor[TR_MSG_ID_SIZE];       /* "console:<user>" or "console" */
    char key[TR_MSG_ID_SIZE * 2 + 4]; /* answer cache key: user \n id */
};

/* Send (and cache) a response whose result the caller filled in res->u.response.
 * The message is freed (tr_msg_free) here. */
void tr_req_respond(struct req *r, struct tr_msg *res);
/* Send (and cache) an `error` answer. */
void tr_req_error(struct req *r, enum tr_wire_code code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A response message for r (type, id, ts, corr, re set; result empty). */
void tr_req_response_init(struct req *r, struct tr_msg *res);

/* contractor.add / update / list (requests_con.c) */
void tr_req_contractor_add(struct req *r);
void tr_req_contractor_update(struct req *r);
void tr_req_contractor_list(struct req *r);

/* Fill region from a point (no-op without geo data). */
void tr_req_region_of(struct app *a, double lat, double lon, struct tr_region *out, bool *has);
/* Fill region from a lookup's answer (*has false at sea). */
void tr_req_region_from(const struct tr_region_info *ri, struct tr_region *out, bool *has);
/* A contractor with its live fields from the engine (requests_con.c). */
void tr_req_live_view(struct app *a, const struct tr_contractor *c, int64_t now_ms,
                      struct tr_contractor_view *v);

/* directory.query / coverage.query (requests_dir.c) */
void tr_req_directory_query(struct req *r);
void tr_req_coverage_query(struct req *r);

#endif
