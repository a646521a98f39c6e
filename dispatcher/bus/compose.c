/*
 * dispatcher/bus/compose.c: engine message actions -> wire messages and
 * topics (compose.h). Pure.
 */
#include "dispatcher/bus/compose.h"

#include <stdio.h>
#include <string.h>

#include "dispatcher/bus/route.h"

static void copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int tr_bus_inbox_topic(char out[TR_BUS_TOPIC_SIZE], const char *agent_id)
{
    if (!agent_id || !tr_msg_valid_agent_id(agent_id))
        return TR_BUS_ERR_INVALID;
    snprintf(out, TR_BUS_TOPIC_SIZE, TR_TOPIC_PREFIX "agent/%s/inbox", agent_id);
    return TR_BUS_OK;
}

int tr_bus_status_topic(char out[TR_BUS_TOPIC_SIZE], const char *job_id)
{
    if (!job_id || !tr_msg_valid_msgid(job_id))
        return TR_BUS_ERR_INVALID;
    snprintf(out, TR_BUS_TOPIC_SIZE, TR_TOPIC_PREFIX "job/%s/status", job_id);
    return TR_BUS_OK;
}

int tr_bus_compose(const struct tr_engine_action *a, const struct tr_region *region,
                   struct tr_msg *msg, struct tr_bus_out *out)
{
    if (!a || !msg || !out)
        return TR_BUS_ERR_INVALID;
    memset(out, 0, sizeof(*out));
    switch (a->kind) {
    case TR_ENGINE_SEND_OFFER: {
        tr_msg_init(msg, TR_MSG_OFFER);
        struct tr_offer *o = &msg->u.offer;
        copy(o->agent_id, sizeof(o->agent_id), a->agent_id);
        copy(o->offer_id, sizeof(o->offer_id), a->offer_id);
        copy(o->job_id, sizeof(o->job_id), a->job_id);
        o->job = a->job.spec;
        o->site = a->job.site;
        o->distance_m = a->distance_m < 0 ? 0 : a->distance_m > 20040000 ? 20040000 : a->distance_m;
        o->eta_s = a->eta_s < 0 ? 0 : a->eta_s > 604800 ? 604800 : a->eta_s;
        o->deadline = a->deadline;
        out->expiry_at = a->deadline;
        return tr_bus_inbox_topic(out->topic, a->agent_id);
    }
    case TR_ENGINE_SEND_ASSIGNMENT: {
        tr_msg_init(msg, TR_MSG_ASSIGNMENT);
        struct tr_assignment *s = &msg->u.assignment;
        copy(s->agent_id, sizeof(s->agent_id), a->agent_id);
        copy(s->offer_id, sizeof(s->offer_id), a->offer_id);
        copy(s->job_id, sizeof(s->job_id), a->job_id);
        s->job = a->job.spec;
        s->site = a->job.site;
        return tr_bus_inbox_topic(out->topic, a->agent_id);
    }
    case TR_ENGINE_SEND_CANCELLATION: {
        tr_msg_init(msg, TR_MSG_CANCELLATION);
        struct tr_cancellation *c = &msg->u.cancellation;
        copy(c->agent_id, sizeof(c->agent_id), a->agent_id);
        copy(c->job_id, sizeof(c->job_id), a->job_id);
        if (a->has_offer_id) {
            c->has_offer_id = true;
            copy(c->offer_id, sizeof(c->offer_id), a->offer_id);
        }
        c->reason = a->cancel_reason;
        if (a->has_note && a->note[0]) {
            c->has_note = true;
            copy(c->note, sizeof(c->note), a->note);
        }
        return tr_bus_inbox_topic(out->topic, a->agent_id);
    }
    case TR_ENGINE_PUBLISH_JOB_STATUS:
        tr_msg_init(msg, TR_MSG_JOB_STATUS);
        msg->u.job_status.job = a->job;
        if (region) {
            msg->u.job_status.job.has_region = true;
            msg->u.job_status.job.region = *region;
        }
        out->retain = true;
        return tr_bus_status_topic(out->topic, a->job_id);
    case TR_ENGINE_TRANSITION:
        break;
    }
    return TR_BUS_ERR_INVALID;
}

bool tr_bus_reply_topic_valid(const char *topic, size_t len, char user[TR_MSG_ID_SIZE])
{
    static const char pre[] = TR_TOPIC_PREFIX "console/";
    static const char post[] = "/resp";
    size_t np = sizeof(pre) - 1, ns = sizeof(post) - 1;
    char u[TR_MSG_ID_SIZE];
    if (!topic || len <= np + ns || memcmp(topic, pre, np) != 0 ||
        memcmp(topic + len - ns, post, ns) != 0)
        return false;
    size_t ulen = len - np - ns;
    if (ulen >= sizeof(u))
        return false;
    memcpy(u, topic + np, ulen);
    u[ulen] = '\0';
    if (memchr(u, '\0', ulen) || !tr_msg_valid_agent_id(u))
        return false;
    if (user)
        memcpy(user, u, ulen + 1);
    return true;
}

uint32_t tr_bus_expiry_s(int64_t expiry_at, int64_t now_ms)
{
    if (expiry_at <= 0)
        return 0;
    int64_t left = expiry_at - now_ms;
    if (left <= 1000)
        return 1;
    int64_t s = (left + 999) / 1000;
    return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}
