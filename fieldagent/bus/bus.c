/*
 * fieldagent/bus/bus.c: topics and the inbox gate (see bus.h). Logs each
 * rejected message once, without its payload.
 */
#include "fieldagent/bus/bus.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"

static const char *const leaf_names[4] = { "state", "loc", "event", "inbox" };

int tr_bus_init(struct tr_bus *b, const char *agent_id)
{
    if (!b || !agent_id || !tr_msg_valid_agent_id(agent_id))
        return TR_BUS_ERR_INVALID;
    memset(b, 0, sizeof *b);
    snprintf(b->agent_id, sizeof b->agent_id, "%s", agent_id);
    for (int i = 0; i < 4; i++)
        snprintf(b->topic[i], sizeof b->topic[i], "truckroll/v1/agent/%s/%s", agent_id,
                 leaf_names[i]);
    return TR_BUS_OK;
}

const char *tr_bus_topic(const struct tr_bus *b, enum tr_bus_leaf leaf)
{
    return (b && (unsigned)leaf < 4) ? b->topic[leaf] : "";
}

static const char *addressee(const struct tr_msg *m)
{
    switch (m->type) {
    case TR_MSG_OFFER:
        return m->u.offer.agent_id;
    case TR_MSG_ASSIGNMENT:
        return m->u.assignment.agent_id;
    case TR_MSG_CANCELLATION:
        return m->u.cancellation.agent_id;
    case TR_MSG_AGENT_CONFIG:
        return m->u.agent_config.agent_id;
    default:
        return NULL; /* error: no agent_id */
    }
}

static bool seen(const struct tr_bus *b, const char *id)
{
    for (size_t i = 0; i < b->n_seen; i++) {
        if (strcmp(b->seen[i], id) == 0)
            return true;
    }
    return false;
}

static void remember(struct tr_bus *b, const char *id)
{
    snprintf(b->seen[b->seen_next], TR_MSG_ID_SIZE, "%s", id);
    b->seen_next = (b->seen_next + 1) % TR_BUS_SEEN_IDS;
    if (b->n_seen < TR_BUS_SEEN_IDS)
        b->n_seen++;
}

static int reject(struct tr_bus *b, int why, const struct tr_msg *m, const struct tr_msg_error *e)
{
    b->st.by_err[why]++;
    if (why == TR_BUS_ERR_DUPLICATE) {
        tr_log_debug("inbox: duplicate %s id=%s dropped", tr_msg_type_name(m->type), m->id);
        return why;
    }
    b->st.rejected++;
    if (why == TR_BUS_ERR_DECODE) {
        if (e->code >= 0 && e->code < 16)
            b->st.by_codec[e->code]++;
        tr_log_warn("inbox: rejected %s id=%s: %s at '%s': %s",
                    m->type ? tr_msg_type_name(m->type) : "message", m->id[0] ? m->id : "-",
                    tr_msg_strerror(e->code), e->field, e->reason);
    } else {
        tr_log_warn("inbox: rejected %s id=%s: %s", tr_msg_type_name(m->type),
                    m->id[0] ? m->id : "-", tr_bus_strerror(why));
    }
    return why;
}

int tr_bus_inbox(struct tr_bus *b, const char *topic, const void *payload, size_t len,
                 struct tr_msg *out, struct tr_msg_error *err)
{
    struct tr_msg_error local;
    const char *to;
    int rc;

    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    if (!b || !out || (!payload && len))
        return TR_BUS_ERR_INVALID;
    tr_msg_init(out, TR_MSG_NONE);
    b->st.received++;
    if (!topic || strcmp(topic, b->topic[TR_BUS_INBOX]) != 0)
        return reject(b, TR_BUS_ERR_TOPIC, out, err);
    rc = tr_msg_decode(payload ? payload : "", len, out, err);
    if (rc != TR_MSG_OK)
        return reject(b, TR_BUS_ERR_DECODE, out, err);
    switch (out->type) {
    case TR_MSG_OFFER:
    case TR_MSG_ASSIGNMENT:
    case TR_MSG_CANCELLATION:
    case TR_MSG_AGENT_CONFIG:
    case TR_MSG_ERROR:
        break;
    default:
        tr_msg_free(out);
        return reject(b, TR_BUS_ERR_TYPE, out, err);
    }
    to = addressee(out);
    if (to && strcmp(to, b->agent_id) != 0) {
        tr_msg_free(out);
        return reject(b, TR_BUS_ERR_AGENT, out, err);
    }
    if (seen(b, out->id)) {
        tr_msg_free(out);
        return reject(b, TR_BUS_ERR_DUPLICATE, out, err);
    }
    remember(b, out->id);
    b->st.accepted++;
    b->st.by_err[TR_BUS_OK]++;
    b->st.by_type[out->type]++;
    return TR_BUS_OK;
}

const char *tr_bus_strerror(int err)
{
    switch (err) {
    case TR_BUS_OK:
        return "ok";
    case TR_BUS_ERR_INVALID:
        return "invalid argument";
    case TR_BUS_ERR_TOPIC:
        return "not this agent's inbox topic";
    case TR_BUS_ERR_DECODE:
        return "payload breaks the wire contract";
    case TR_BUS_ERR_TYPE:
        return "message type not carried on the inbox";
    case TR_BUS_ERR_AGENT:
        return "addressed to another agent";
    case TR_BUS_ERR_DUPLICATE:
        return "duplicate message id";
    default:
        return "unknown bus error";
    }
}

const char *tr_bus_err_name(int err)
{
    static const char *const names[TR_BUS_ERR_COUNT] = { "ok",   "invalid", "topic",    "decode",
                                                         "type", "agent",   "duplicate" };
    return (err >= 0 && err < TR_BUS_ERR_COUNT) ? names[err] : "?";
}
