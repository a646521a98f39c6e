/*
 * dispatcher/bus/route.h: what a message on a dispatcher topic means.
 *
 * One function, tr_route_decode(), turns (topic, payload) into a decoded
 * message or a rejection with a reason. Live traffic, the replay tests and
 * the fuzzer all go through it. It checks, beyond the codec:
 *   - the topic is one the dispatcher serves, and its agent id is valid
 *     (no '+', '#', '/', NUL: CVE-2017-7650);
 *   - the message type is one allowed on that topic;
 *   - the agent_id in the payload equals the one in the topic (anti-spoof).
 * A `loc` on a loc topic first tries the codec's fast path
 * (tr_msg_decode_loc_fast, same verdict and values); anything it declines,
 * and every rejection, goes through tr_msg_decode.
 * It does not touch MQTT, SQLite or the clock, and never logs.
 */
#ifndef TR_ROUTE_H
#define TR_ROUTE_H

#include <stddef.h>

#include "common/msg.h"

#define TR_TOPIC_PREFIX "truckroll/v1/"

enum tr_route_kind {
    TR_ROUTE_NONE = 0,
    TR_ROUTE_AGENT_STATE = 1, /* truckroll/v1/agent/{id}/state: presence */
    TR_ROUTE_AGENT_LOC = 2,   /* truckroll/v1/agent/{id}/loc: loc */
    TR_ROUTE_AGENT_EVENT = 3, /* truckroll/v1/agent/{id}/event: offer_answer, job_event */
    TR_ROUTE_REQUEST = 4,     /* truckroll/v1/dispatcher/req: console requests */
};

enum tr_route_err {
    TR_ROUTE_OK = 0,
    TR_ROUTE_ERR_TOPIC = 1,  /* not a topic the dispatcher serves, or a bad id in it */
    TR_ROUTE_ERR_DECODE = 2, /* the codec rejected the payload (see the tr_msg_error) */
    TR_ROUTE_ERR_TYPE = 3,   /* a valid message, but not allowed on this topic */
    TR_ROUTE_ERR_SPOOF = 4,  /* payload agent_id differs from the topic's */
    TR_ROUTE_ERR_EMPTY = 5,  /* empty payload (a retained message being cleared) */
};
#define TR_ROUTE_ERR_COUNT 6

struct tr_route_msg {
    enum tr_route_kind kind;
    char agent_id[TR_MSG_ID_SIZE]; /* from the topic; "" for requests */
    struct tr_msg msg;             /* owned: tr_route_msg_free() */
};

/* Parse a topic. Returns TR_ROUTE_OK and fills kind and agent_id (agent_id
 * may be NULL), or TR_ROUTE_ERR_TOPIC. */
int tr_route_parse_topic(const char *topic, enum tr_route_kind *kind,
                         char agent_id[TR_MSG_ID_SIZE]);

/* Decode a payload that arrived on topic. On TR_ROUTE_OK the caller owns out
 * and frees it with tr_route_msg_free(). On failure `out` holds no heap
 * parts; out->kind and out->agent_id are filled when the topic was readable
 * (so the error can be answered on that agent's inbox) and err says what and
 * where (err->field, err->reason), also for the route's own errors. */
int tr_route_decode(const char *topic, const void *payload, size_t len, struct tr_route_msg *out,
                    struct tr_msg_error *err);

void tr_route_msg_free(struct tr_route_msg *m);
const char *tr_route_strerror(int err);
/* Short stable names for counters and logs: "topic", "decode", ... */
const char *tr_route_err_name(int err);
/* The wire error.code to answer a failure with. */
enum tr_wire_code tr_route_err_wire_code(int err, const struct tr_msg_error *merr);

#endif
