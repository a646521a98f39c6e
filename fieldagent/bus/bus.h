/*
 * fieldagent/bus/bus.h: the agent's side of the topic tree
 * (schemas/topics.md): topic names, and the gate every inbox message passes
 * before the agent acts on it.
 *
 * What it does: build the agent's four topics; decode an inbox payload with
 * the codec (common/msg.h) and check what the codec cannot: the topic is
 * this agent's inbox, the type is one the inbox carries (offer, assignment,
 * cancellation, agent_config, error), the payload's agent_id is this
 * agent's, and the message id was not seen recently (QoS 1 redelivers).
 * Every rejected message is logged (type, code, field; never the payload)
 * and counted per reason; nothing else happens: the caller acts only on
 * TR_BUS_OK, so bad input changes no state. The agent cannot answer a bad
 * inbox message with an `error` (it may publish only on its own state, loc
 * and event topics), so it logs and counts.
 *
 * What it does not do: MQTT I/O (common/mqtt.h), the job logic
 * (fieldagent/core/jobs.h), or threads: one owner per struct tr_bus.
 */
#ifndef TR_BUS_H
#define TR_BUS_H

#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"

#define TR_BUS_TOPIC_SIZE 128 /* "truckroll/v1/agent/" + 64 + "/inbox" fits */
#define TR_BUS_SEEN_IDS   64  /* message ids remembered for deduplication */

enum tr_bus_leaf { TR_BUS_STATE = 0, TR_BUS_LOC = 1, TR_BUS_EVENT = 2, TR_BUS_INBOX = 3 };

/* Why an inbox message was not accepted. Numbers never change. */
enum tr_bus_err {
    TR_BUS_OK = 0,
    TR_BUS_ERR_INVALID = 1,   /* bad arguments */
    TR_BUS_ERR_TOPIC = 2,     /* not this agent's inbox topic */
    TR_BUS_ERR_DECODE = 3,    /* the codec refused it (struct tr_msg_error says why) */
    TR_BUS_ERR_TYPE = 4,      /* a valid message of a type the inbox does not carry */
    TR_BUS_ERR_AGENT = 5,     /* agent_id is another agent's */
    TR_BUS_ERR_DUPLICATE = 6, /* message id seen recently: dropped */
    TR_BUS_ERR_COUNT
};

struct tr_bus_stats {
    uint64_t received;                   /* inbox payloads looked at */
    uint64_t accepted;                   /* TR_BUS_OK */
    uint64_t rejected;                   /* everything else but duplicates */
    uint64_t by_err[TR_BUS_ERR_COUNT];   /* per enum tr_bus_err */
    uint64_t by_codec[16];               /* TR_BUS_ERR_DECODE per enum tr_msg_err (0..15) */
    uint64_t by_type[TR_MSG_TYPE_COUNT]; /* accepted, per message type */
};

struct tr_bus {
    char agent_id[TR_MSG_ID_SIZE];
    char topic[4][TR_BUS_TOPIC_SIZE]; /* by enum tr_bus_leaf */
    char seen[TR_BUS_SEEN_IDS][TR_MSG_ID_SIZE];
    size_t seen_next, n_seen;
    struct tr_bus_stats st;
};

/* Set up for agent_id (must match the agent_id pattern). */
int tr_bus_init(struct tr_bus *b, const char *agent_id);

/* The topic of one leaf ("truckroll/v1/agent/<id>/<leaf>"). */
const char *tr_bus_topic(const struct tr_bus *b, enum tr_bus_leaf leaf);

/*
 * Check and decode one inbox message. On TR_BUS_OK *out holds it (the
 * caller calls tr_msg_free). Otherwise the message was logged and counted,
 * *out holds nothing to free, and err (may be NULL) says why for
 * TR_BUS_ERR_DECODE. payload need not be NUL-terminated.
 */
int tr_bus_inbox(struct tr_bus *b, const char *topic, const void *payload, size_t len,
                 struct tr_msg *out, struct tr_msg_error *err);

const char *tr_bus_strerror(int err);
/* A short name for counters ("topic", "decode", ...). */
const char *tr_bus_err_name(int err);

#endif
