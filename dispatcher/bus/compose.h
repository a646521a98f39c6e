/*
 * dispatcher/bus/compose.h: what the dispatcher sends, and where.
 *
 * Turns the engine's message actions (SEND_OFFER, SEND_ASSIGNMENT,
 * SEND_CANCELLATION, PUBLISH_JOB_STATUS) into wire messages (struct tr_msg)
 * with their topic, retain flag and expiry, builds the topics of the tree in
 * schemas/topics.md, and checks a console's response topic.
 *
 * It does not encode (common/msg does), publish (the shell's publisher does)
 * or pick message ids (the caller sets msg->id and msg->ts). Pure: no clock,
 * no I/O, no logging.
 */
#ifndef TR_BUS_COMPOSE_H
#define TR_BUS_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"
#include "dispatcher/core/engine.h"

#define TR_BUS_TOPIC_SIZE 256

enum tr_bus_err {
    TR_BUS_OK = 0,
    TR_BUS_ERR_INVALID = 1, /* not a message action, or an id that cannot be a topic level */
};

/* Where and how an outgoing message goes. */
struct tr_bus_out {
    char topic[TR_BUS_TOPIC_SIZE];
    bool retain;
    int64_t expiry_at; /* 0 = none; offers: the deadline */
};

/*
 * Fill msg (type and body; id and ts are left for the caller) and out from a
 * message action. region (may be NULL) is added to a job_status (the engine
 * does not know regions). TR_BUS_ERR_INVALID for a TRANSITION or an id that
 * is not a valid topic level.
 */
int tr_bus_compose(const struct tr_engine_action *a, const struct tr_region *region,
                   struct tr_msg *msg, struct tr_bus_out *out);

/* truckroll/v1/agent/{agent}/inbox; TR_BUS_ERR_INVALID for a bad agent id. */
int tr_bus_inbox_topic(char out[TR_BUS_TOPIC_SIZE], const char *agent_id);
/* truckroll/v1/job/{job_id}/status; TR_BUS_ERR_INVALID for a bad job id. */
int tr_bus_status_topic(char out[TR_BUS_TOPIC_SIZE], const char *job_id);

/*
 * A console response topic (len bytes, need not be NUL-terminated): true
 * when it is exactly truckroll/v1/console/{user}/resp with a valid user,
 * which is copied to user (may be NULL).
 */
bool tr_bus_reply_topic_valid(const char *topic, size_t len, char user[TR_MSG_ID_SIZE]);

/* The number of whole seconds from now_ms to expiry_at, rounded up, at least
 * 1 (the MQTT v5 message expiry of an offer); 0 when expiry_at is 0. */
uint32_t tr_bus_expiry_s(int64_t expiry_at, int64_t now_ms);

#endif
