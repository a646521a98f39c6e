/*
 * dispatcher/core/jobsm.c: the job state graph, offer ids, and the action
 * list (how a transition and the messages about it are written down).
 *
 * What it does: the table of legal transitions (SPEC.md "Job lifecycle",
 * engine.h); deterministic offer ids from the job id and attempt number;
 * the engine's view of a job as a struct tr_job; appending TRANSITION and
 * message actions, each with a snapshot of the job, grouped as engine.h
 * describes.
 *
 * What it does not do: decide which transition happens (cascade.c,
 * engine.c) or check who asked for it.
 */
#include "dispatcher/core/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) (1u << (x))

/* allowed[from] = set of `to` */
static const unsigned allowed[TR_JOB_RELEASED + 1] = {
    [TR_JOB_NEW] = S(TR_JOB_OFFERED) | S(TR_JOB_UNASSIGNED) | S(TR_JOB_CANCELLED),
    [TR_JOB_OFFERED] =
        S(TR_JOB_OFFERED) | S(TR_JOB_ACCEPTED) | S(TR_JOB_UNASSIGNED) | S(TR_JOB_CANCELLED),
    [TR_JOB_ACCEPTED] =
        S(TR_JOB_EN_ROUTE) | S(TR_JOB_ON_SITE) | S(TR_JOB_RELEASED) | S(TR_JOB_CANCELLED),
    [TR_JOB_EN_ROUTE] = S(TR_JOB_ON_SITE) | S(TR_JOB_RELEASED) | S(TR_JOB_CANCELLED),
    [TR_JOB_ON_SITE] =
        S(TR_JOB_COMPLETED) | S(TR_JOB_FAILED) | S(TR_JOB_RELEASED) | S(TR_JOB_CANCELLED),
    [TR_JOB_COMPLETED] = 0,
    [TR_JOB_FAILED] = 0,
    [TR_JOB_CANCELLED] = 0,
    [TR_JOB_UNASSIGNED] = S(TR_JOB_OFFERED) | S(TR_JOB_UNASSIGNED) | S(TR_JOB_CANCELLED),
    [TR_JOB_RELEASED] = S(TR_JOB_OFFERED) | S(TR_JOB_UNASSIGNED) | S(TR_JOB_CANCELLED),
};

bool eng_edge_ok(enum tr_job_state from, enum tr_job_state to)
{
    if ((unsigned)from > TR_JOB_RELEASED || (unsigned)to > TR_JOB_RELEASED)
        return false;
    return (allowed[from] >> to) & 1u;
}

bool eng_state_open(enum tr_job_state s)
{
    return s != TR_JOB_COMPLETED && s != TR_JOB_FAILED && s != TR_JOB_CANCELLED &&
           (unsigned)s <= TR_JOB_RELEASED;
}

/* ---------------------------------------------------------- text */

void eng_copy(char *dst, size_t size, const char *src)
{
    if (size == 0)
        return;
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (n >= size) {
        n = size - 1;
        /* never cut a UTF-8 sequence: back off over continuation bytes */
        while (n > 0 && ((unsigned char)src[n] & 0xC0u) == 0x80u)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ---------------------------------------------------------- offer ids */

static uint64_t fnv64(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211u;
    }
    return h;
}

void eng_offer_id(const char *job_id, int attempt, char out[TR_MSG_ID_SIZE])
{
    char suffix[24];
    int sn = snprintf(suffix, sizeof(suffix), ":o%d", attempt);
    size_t jl = strlen(job_id);
    if (jl + (size_t)sn <= TR_MSG_ID_SIZE - 1) {
        memcpy(out, job_id, jl);
        memcpy(out + jl, suffix, (size_t)sn + 1);
        return;
    }
    /* too long: a prefix of the id, a hash of all of it, the attempt */
    char hash[20];
    snprintf(hash, sizeof(hash), "-%016llx", (unsigned long long)fnv64(job_id));
    size_t keep = TR_MSG_ID_SIZE - 1 - (size_t)sn - 17;
    memcpy(out, job_id, keep);
    memcpy(out + keep, hash, 17);
    memcpy(out + keep + 17, suffix, (size_t)sn + 1);
}

int eng_offer_attempt(const char *job_id, const char *offer_id)
{
    const char *p = strrchr(offer_id, ':');
    if (!p || p[1] != 'o' || p[2] < '1' || p[2] > '9')
        return -1;
    long n = 0;
    for (const char *d = p + 2; *d; d++) {
        if (*d < '0' || *d > '9' || n > 100000000)
            return -1;
        n = n * 10 + (*d - '0');
    }
    char want[TR_MSG_ID_SIZE];
    eng_offer_id(job_id, (int)n, want);
    return strcmp(want, offer_id) == 0 ? (int)n : -1;
}

/* ---------------------------------------------------------- job view */

void eng_job_to_msg(const struct tr_engine *eng, const struct eng_job *j, struct tr_job *out)
{
    memset(out, 0, sizeof(*out));
    out->spec = j->spec;
    eng_copy(out->job_id, sizeof(out->job_id), j->id);
    out->state = j->state;
    out->site = j->site;
    out->created = j->created;
    out->updated = j->updated;
    if (j->assignee != ENG_NONE) {
        out->has_assignee = true;
        eng_copy(out->assignee, sizeof(out->assignee), eng->con[j->assignee].id);
    }
    if (j->state == TR_JOB_OFFERED && j->offer_con != ENG_NONE) {
        out->has_offer = true;
        eng_copy(out->offer.offer_id, sizeof(out->offer.offer_id), j->offer_id);
        eng_copy(out->offer.agent_id, sizeof(out->offer.agent_id), eng->con[j->offer_con].id);
        out->offer.deadline = j->offer_deadline;
    }
    out->attempts = j->attempts > 10000 ? 10000 : j->attempts;
    if (j->state == TR_JOB_UNASSIGNED && j->reason[0]) {
        out->has_reason = true;
        eng_copy(out->reason, sizeof(out->reason), j->reason);
    }
}

/* ---------------------------------------------------------- actions */

int eng_act_reserve(struct tr_engine *eng, size_t more)
{
    if (eng->n_act + more <= eng->cap_act)
        return TR_ENGINE_OK;
    size_t cap = eng->cap_act ? eng->cap_act : 16;
    while (cap < eng->n_act + more)
        cap *= 2;
    struct tr_engine_action *a = realloc(eng->act, cap * sizeof(*a));
    if (!a)
        return TR_ENGINE_ENOMEM;
    eng->act = a;
    eng->cap_act = cap;
    return TR_ENGINE_OK;
}

static struct tr_engine_action *append(struct tr_engine *eng, struct eng_job *j,
                                       enum tr_engine_action_kind kind)
{
    struct tr_engine_action *a = &eng->act[eng->n_act++];
    memset(a, 0, sizeof(*a));
    a->kind = kind;
    eng_copy(a->job_id, sizeof(a->job_id), j->id);
    a->group = TR_ENGINE_NO_GROUP;
    eng_job_to_msg(eng, j, &a->job);
    return a;
}

struct tr_engine_transition *eng_act_transition(struct tr_engine *eng, struct eng_job *j,
                                                enum tr_job_state from, const char *actor)
{
    j->updated = eng->now;
    struct tr_engine_action *a = append(eng, j, TR_ENGINE_TRANSITION);
    eng->group = eng->n_act - 1;
    a->group = eng->group;
    a->tr.from = from;
    a->tr.to = j->state;
    eng_copy(a->tr.actor, sizeof(a->tr.actor), actor ? actor : "dispatcher");
    return &a->tr;
}

struct tr_engine_action *eng_act_msg(struct tr_engine *eng, struct eng_job *j,
                                     enum tr_engine_action_kind kind, uint32_t ci, bool grouped)
{
    struct tr_engine_action *a = append(eng, j, kind);
    if (grouped)
        a->group = eng->group;
    if (ci != ENG_NONE)
        eng_copy(a->agent_id, sizeof(a->agent_id), eng->con[ci].id);
    return a;
}
