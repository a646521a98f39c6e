/*
 * tests/unit/test_bus.c: dispatcher/bus's pure pieces: the sender table
 * (message-id dedupe, presence ordering, (agent, boot, seq) high-water, dirty
 * last positions, error budget), the answer LRU, and composing outgoing
 * messages from engine actions (topics, expiry, the reply-topic rule).
 */
#include <stdio.h>
#include <string.h>

#include "dispatcher/bus/agents.h"
#include "dispatcher/bus/compose.h"
#include "dispatcher/bus/lru.h"
#include "tests/support/check.h"

static void test_agents(void)
{
    struct tr_agents *a = NULL;
    CHECK(tr_agents_new(3, &a) == TR_AGENTS_OK);
    /* ids */
    CHECK(!tr_agents_duplicate(a, "x", "m1"));
    CHECK(tr_agents_duplicate(a, "x", "m1"));
    CHECK(!tr_agents_duplicate(a, "y", "m1")); /* per sender */
    for (int i = 0; i < TR_AGENTS_IDS; i++) {
        char id[16];
        snprintf(id, sizeof(id), "n%d", i);
        CHECK(!tr_agents_duplicate(a, "x", id));
    }
    CHECK(!tr_agents_duplicate(a, "x", "m1")); /* forgotten after TR_AGENTS_IDS more */
    /* presence order within a boot */
    CHECK(!tr_agents_presence_stale(a, "x", "b1", 1000));
    CHECK(tr_agents_presence_stale(a, "x", "b1", 999));
    CHECK(!tr_agents_presence_stale(a, "x", "b1", 1000));
    CHECK(!tr_agents_presence_stale(a, "x", "b2", 10)); /* a new boot starts over */
    /* a will of the current boot applies however old its ts; one of an
     * earlier boot does not; a will records nothing */
    CHECK(!tr_agents_will_stale(a, "x", "b2"));
    CHECK(tr_agents_will_stale(a, "x", "b1"));
    CHECK(!tr_agents_will_stale(a, "nobody-yet", "b9"));
    CHECK(!tr_agents_presence_stale(a, "x", "b2", 11));
    CHECK(strcmp(tr_agents_boot(a, "x"), "b2") == 0);
    CHECK(tr_agents_boot(a, "nobody") == NULL);
    /* seq high-water per (agent, boot) */
    CHECK(tr_agents_seq_new(a, "x", "b1", 5));
    CHECK(!tr_agents_seq_new(a, "x", "b1", 5));
    CHECK(!tr_agents_seq_new(a, "x", "b1", 4));
    CHECK(tr_agents_seq_new(a, "x", "b2", 1));
    CHECK(tr_agents_seq_new(a, "x", "b1", 6));
    CHECK(tr_agents_load_high_water(a, "y", "b9", 100) == TR_AGENTS_OK);
    CHECK(!tr_agents_seq_new(a, "y", "b9", 100));
    CHECK(tr_agents_seq_new(a, "y", "b9", 101));
    /* last positions: newest by fix time, dirty until taken */
    struct tr_fix f = { .seq = 1, .t = 2000, .lat = 1, .lon = 2, .mode = 3 };
    tr_agents_last_update(a, "x", "b1", &f, 1);
    f.t = 1500; /* older: ignored */
    f.lat = 9;
    tr_agents_last_update(a, "x", "b1", &f, 1);
    f.t = 3000;
    f.lat = 3;
    tr_agents_last_update(a, "y", "b9", &f, 1);
    CHECK(tr_agents_dirty_count(a) == 2);
    struct tr_agents_pos out[8];
    size_t n = tr_agents_take_dirty(a, out, 8);
    CHECK(n == 2 && tr_agents_dirty_count(a) == 0);
    for (size_t i = 0; i < n; i++)
        if (strcmp(out[i].agent_id, "x") == 0)
            CHECK(out[i].fix.lat == 1 && strcmp(out[i].boot_id, "b1") == 0);
    CHECK(tr_agents_take_dirty(a, out, 8) == 0);
    /* table full: a new sender is not remembered, never a false duplicate */
    CHECK(!tr_agents_duplicate(a, "z", "m1"));
    CHECK(!tr_agents_duplicate(a, "w", "m1"));
    CHECK(!tr_agents_duplicate(a, "w", "m1"));
    CHECK(tr_agents_count(a) == 3);
    /* error budget per second */
    CHECK(tr_agents_error_allowed(a, "x", 5000, 2));
    CHECK(tr_agents_error_allowed(a, "x", 5100, 2));
    CHECK(!tr_agents_error_allowed(a, "x", 5200, 2));
    CHECK(tr_agents_error_allowed(a, "x", 6000, 2));
    tr_agents_free(a);
    tr_agents_free(NULL);
}

static void test_lru(void)
{
    struct tr_lru *c = NULL;
    size_t len = 0;
    CHECK(tr_lru_new(2, 1000, &c) == TR_LRU_OK);
    CHECK(tr_lru_put(c, "a", "1", 1) == TR_LRU_OK);
    CHECK(tr_lru_put(c, "b", "22", 2) == TR_LRU_OK);
    CHECK(tr_lru_get(c, "a", &len) != NULL && len == 1); /* a is now the most recent */
    CHECK(tr_lru_put(c, "c", "333", 3) == TR_LRU_OK);    /* evicts b */
    CHECK(tr_lru_get(c, "b", NULL) == NULL);
    CHECK(tr_lru_get(c, "a", NULL) && tr_lru_get(c, "c", NULL));
    CHECK(tr_lru_put(c, "a", "xyz", 3) == TR_LRU_OK); /* replace */
    const char *v = tr_lru_get(c, "a", &len);
    CHECK(v && len == 3 && memcmp(v, "xyz", 3) == 0 && tr_lru_count(c) == 2);
    tr_lru_free(c);
    /* byte budget */
    CHECK(tr_lru_new(100, 10, &c) == TR_LRU_OK);
    CHECK(tr_lru_put(c, "k1", "abcd", 4) == TR_LRU_OK);
    CHECK(tr_lru_put(c, "k2", "abcd", 4) == TR_LRU_OK); /* 12 bytes > 10: k1 goes */
    CHECK(tr_lru_get(c, "k1", NULL) == NULL && tr_lru_get(c, "k2", NULL) != NULL);
    CHECK(tr_lru_put(c, "big", "0123456789", 10) == TR_LRU_ERR_INVALID);
    tr_lru_free(c);
    tr_lru_free(NULL);
}

static void test_compose(void)
{
    struct tr_engine_action act;
    struct tr_msg m;
    struct tr_bus_out out;
    memset(&act, 0, sizeof(act));
    act.kind = TR_ENGINE_SEND_OFFER;
    snprintf(act.job_id, sizeof(act.job_id), "j-1");
    snprintf(act.agent_id, sizeof(act.agent_id), "tx-austin-017");
    snprintf(act.offer_id, sizeof(act.offer_id), "j-1:o1");
    act.has_offer_id = true;
    act.distance_m = 2300;
    act.eta_s = 269;
    act.deadline = 1700000060000;
    snprintf(act.job.spec.title, sizeof(act.job.spec.title), "Fix the router");
    act.job.spec.n_skills = 1;
    snprintf(act.job.spec.skills[0], sizeof(act.job.spec.skills[0]), "router-repair");
    act.job.site.lat = 30.2;
    act.job.site.lon = -97.7;
    CHECK(tr_bus_compose(&act, NULL, &m, &out) == TR_BUS_OK);
    CHECK(m.type == TR_MSG_OFFER &&
          strcmp(out.topic, "truckroll/v1/agent/tx-austin-017/inbox") == 0);
    CHECK(out.expiry_at == act.deadline && !out.retain);
    snprintf(m.id, sizeof(m.id), "d-1");
    m.ts = 1700000000000;
    CHECK(tr_msg_validate(&m, NULL) == TR_MSG_OK);
    /* job status: retained, on the job's topic, with the region */
    act.kind = TR_ENGINE_PUBLISH_JOB_STATUS;
    snprintf(act.job.job_id, sizeof(act.job.job_id), "j-1");
    act.job.state = TR_JOB_OFFERED;
    act.job.created = act.job.updated = 1700000000000;
    struct tr_region rg = { .has_country = true, .country = "US" };
    CHECK(tr_bus_compose(&act, &rg, &m, &out) == TR_BUS_OK);
    CHECK(out.retain && strcmp(out.topic, "truckroll/v1/job/j-1/status") == 0);
    CHECK(m.u.job_status.job.has_region && strcmp(m.u.job_status.job.region.country, "US") == 0);
    /* a topic level that is not an id */
    act.kind = TR_ENGINE_SEND_CANCELLATION;
    snprintf(act.agent_id, sizeof(act.agent_id), "evil/+");
    CHECK(tr_bus_compose(&act, NULL, &m, &out) == TR_BUS_ERR_INVALID);
    act.kind = TR_ENGINE_TRANSITION;
    CHECK(tr_bus_compose(&act, NULL, &m, &out) == TR_BUS_ERR_INVALID);
    /* expiry: whole seconds left, rounded up, at least 1 */
    CHECK(tr_bus_expiry_s(0, 5) == 0);
    CHECK(tr_bus_expiry_s(10000, 0) == 10);
    CHECK(tr_bus_expiry_s(10001, 0) == 11);
    CHECK(tr_bus_expiry_s(100, 5000) == 1);
    /* reply topics */
    char user[TR_MSG_ID_SIZE];
    const char *ok = "truckroll/v1/console/ops-chicago/resp";
    CHECK(tr_bus_reply_topic_valid(ok, strlen(ok), user) && strcmp(user, "ops-chicago") == 0);
    static const char *const bad[] = {
        "truckroll/v1/console//resp",  "truckroll/v1/console/a/b/resp",
        "truckroll/v1/console/+/resp", "truckroll/v1/console/#/resp",
        "truckroll/v1/agent/x/inbox",  "truckroll/v1/console/a/resp/"
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_MSG(!tr_bus_reply_topic_valid(bad[i], strlen(bad[i]), user), "%s", bad[i]);
}

int main(void)
{
    test_agents();
    test_lru();
    test_compose();
    return check_report("unit.bus");
}
