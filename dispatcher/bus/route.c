/*
 * dispatcher/bus/route.c: topic parsing and per-topic decoding for the
 * dispatcher (see route.h). Pure: no MQTT, no SQLite, no clock, no logging.
 */
#include "dispatcher/bus/route.h"

#include <stdio.h>
#include <string.h>

static const char *const err_names[TR_ROUTE_ERR_COUNT] = {
    "ok", "topic", "decode", "type", "spoof", "empty",
};

const char *tr_route_err_name(int err)
{
    if (err < 0 || err >= TR_ROUTE_ERR_COUNT)
        return "?";
    return err_names[err];
}

const char *tr_route_strerror(int err)
{
    switch (err) {
    case TR_ROUTE_OK:
        return "ok";
    case TR_ROUTE_ERR_TOPIC:
        return "not a dispatcher topic, or an invalid id in the topic";
    case TR_ROUTE_ERR_DECODE:
        return "invalid payload";
    case TR_ROUTE_ERR_TYPE:
        return "message type not allowed on this topic";
    case TR_ROUTE_ERR_SPOOF:
        return "agent_id in the payload does not match the topic";
    case TR_ROUTE_ERR_EMPTY:
        return "empty payload";
    default:
        return "unknown route error";
    }
}

enum tr_wire_code tr_route_err_wire_code(int err, const struct tr_msg_error *merr)
{
    switch (err) {
    case TR_ROUTE_ERR_DECODE:
        return tr_msg_err_wire_code(merr ? merr->code : TR_MSG_ERR_BAD_JSON);
    case TR_ROUTE_ERR_TYPE:
        return TR_WIRE_BAD_TYPE;
    case TR_ROUTE_ERR_SPOOF:
    case TR_ROUTE_ERR_TOPIC:
        return TR_WIRE_FORBIDDEN;
    default:
        return TR_WIRE_BAD_JSON;
    }
}

int tr_route_parse_topic(const char *topic, enum tr_route_kind *kind, char agent_id[TR_MSG_ID_SIZE])
{
    static const char agent_prefix[] = TR_TOPIC_PREFIX "agent/";
    const char *id, *slash;
    size_t id_len;
    char id_buf[TR_MSG_ID_SIZE];

    *kind = TR_ROUTE_NONE;
    if (agent_id)
        agent_id[0] = '\0';
    if (!topic)
        return TR_ROUTE_ERR_TOPIC;
    if (strcmp(topic, TR_TOPIC_PREFIX "dispatcher/req") == 0) {
        *kind = TR_ROUTE_REQUEST;
        return TR_ROUTE_OK;
    }
    if (strncmp(topic, agent_prefix, sizeof agent_prefix - 1) != 0)
        return TR_ROUTE_ERR_TOPIC;
    id = topic + sizeof agent_prefix - 1;
    slash = strchr(id, '/');
    if (!slash)
        return TR_ROUTE_ERR_TOPIC;
    id_len = (size_t)(slash - id);
    if (id_len == 0 || id_len >= sizeof id_buf)
        return TR_ROUTE_ERR_TOPIC;
    memcpy(id_buf, id, id_len);
    id_buf[id_len] = '\0';
    if (!tr_msg_valid_agent_id(id_buf))
        return TR_ROUTE_ERR_TOPIC;
    if (strcmp(slash, "/state") == 0)
        *kind = TR_ROUTE_AGENT_STATE;
    else if (strcmp(slash, "/loc") == 0)
        *kind = TR_ROUTE_AGENT_LOC;
    else if (strcmp(slash, "/event") == 0)
        *kind = TR_ROUTE_AGENT_EVENT;
    else
        return TR_ROUTE_ERR_TOPIC;
    if (agent_id)
        memcpy(agent_id, id_buf, id_len + 1);
    return TR_ROUTE_OK;
}

static int type_allowed(enum tr_route_kind kind, enum tr_msg_type type)
{
    switch (kind) {
    case TR_ROUTE_AGENT_STATE:
        return type == TR_MSG_PRESENCE;
    case TR_ROUTE_AGENT_LOC:
        return type == TR_MSG_LOC;
    case TR_ROUTE_AGENT_EVENT:
        return type == TR_MSG_OFFER_ANSWER || type == TR_MSG_JOB_EVENT;
    case TR_ROUTE_REQUEST:
        return tr_msg_type_is_request(type);
    default:
        return 0;
    }
}

static void set_err(struct tr_msg_error *err, int code, const char *field, const char *reason)
{
    if (!err)
        return;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field);
    snprintf(err->reason, sizeof err->reason, "%s", reason);
}

int tr_route_decode(const char *topic, const void *payload, size_t len, struct tr_route_msg *out,
                    struct tr_msg_error *err)
{
    struct tr_msg_error local;
    const char *claimed;
    int rc;

    if (!err)
        err = &local;
    err->code = TR_MSG_OK;
    err->field[0] = err->reason[0] = 0;
    /* positions, the bulk of the traffic: the fast path decodes the plain
     * form agents send without clearing the whole message first; anything
     * else, and every rejection, takes the generic path below */
    rc = tr_route_parse_topic(topic, &out->kind, out->agent_id);
    if (rc == TR_ROUTE_OK && out->kind == TR_ROUTE_AGENT_LOC && len > 0 &&
        tr_msg_decode_loc_fast((const char *)payload, len, &out->msg) &&
        strcmp(out->msg.u.loc.agent_id, out->agent_id) == 0)
        return TR_ROUTE_OK;
    memset(err, 0, sizeof *err);
    memset(out, 0, sizeof *out);
    rc = tr_route_parse_topic(topic, &out->kind, out->agent_id);
    if (rc != TR_ROUTE_OK) {
        set_err(err, TR_MSG_ERR_BAD_FIELD, "topic", "not a dispatcher topic or bad agent id");
        return rc;
    }
    if (len == 0) {
        set_err(err, TR_MSG_ERR_BAD_JSON, "", "empty payload");
        return TR_ROUTE_ERR_EMPTY;
    }
    rc = tr_msg_decode((const char *)payload, len, &out->msg, err);
    if (rc != TR_MSG_OK)
        return TR_ROUTE_ERR_DECODE;
    if (!type_allowed(out->kind, out->msg.type)) {
        set_err(err, TR_MSG_ERR_BAD_TYPE, "type", "message type not allowed on this topic");
        tr_msg_free(&out->msg);
        return TR_ROUTE_ERR_TYPE;
    }
    claimed = tr_msg_claimed_agent_id(&out->msg);
    if (out->kind != TR_ROUTE_REQUEST && (!claimed || strcmp(claimed, out->agent_id) != 0)) {
        set_err(err, TR_MSG_ERR_BAD_FIELD, "agent_id", "does not match the agent id in the topic");
        tr_msg_free(&out->msg);
        return TR_ROUTE_ERR_SPOOF;
    }
    return TR_ROUTE_OK;
}

void tr_route_msg_free(struct tr_route_msg *m)
{
    if (!m)
        return;
    tr_msg_free(&m->msg);
}
