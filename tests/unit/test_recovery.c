/*
 * tests/unit/test_recovery.c: what a restart restores beyond the open jobs
 * (issue 3), on the real store (in memory) and the real engine:
 *
 *   - tr_store_accepts_since: accepted offers since a time, newest first,
 *     not the declined, pending or older ones;
 *   - tr_engine_recover_accept: a stored accept counts into "jobs today"
 *     only on the contractor's local today (its UTC offset), and the count
 *     decides an ETA tie as one the engine made itself would;
 *   - tr_store_contractor_same: an add repeated with the stored record
 *     (skills in any order) is the same, any other field is not.
 */
#include <stdio.h>
#include <string.h>

#include "dispatcher/store/store.h"
#include "tests/unit/engine_fixture.h"

#define HOUR_MS 3600000LL

static struct tr_contractor store_con(const char *id)
{
    struct tr_contractor c;
    memset(&c, 0, sizeof c);
    snprintf(c.contractor_id, sizeof c.contractor_id, "%s", id);
    snprintf(c.name, sizeof c.name, "Tech %s", id);
    snprintf(c.skills[c.n_skills++], TR_MSG_SKILL_SIZE, "hvac");
    snprintf(c.skills[c.n_skills++], TR_MSG_SKILL_SIZE, "printer");
    snprintf(c.languages[c.n_languages++], TR_MSG_LANG_SIZE, "en");
    snprintf(c.languages[c.n_languages++], TR_MSG_LANG_SIZE, "es-MX");
    snprintf(c.timezone, sizeof c.timezone, "America/Denver");
    c.has_tier = true;
    c.tier = 2;
    c.has_hours = true;
    c.n_hours = 1;
    c.hours[0].day = 1;
    snprintf(c.hours[0].start, sizeof c.hours[0].start, "08:00");
    snprintf(c.hours[0].end, sizeof c.hours[0].end, "17:00");
    c.has_pay = true;
    snprintf(c.pay.currency, sizeof c.pay.currency, "USD");
    c.pay.has_per_hour_cents = true;
    c.pay.per_hour_cents = 4500;
    return c;
}

/* A job offered to agent at t and answered at t + 1 min with outcome;
 * accepted jobs are cancelled right after (the job limit is 1). */
static void offer_answered(struct tr_store *s, const char *agent, int64_t t,
                           enum tr_store_offer_outcome outcome)
{
    struct tr_store_job j;
    memset(&j, 0, sizeof j);
    snprintf(j.job.spec.title, sizeof j.job.spec.title, "Job at %lld", (long long)t);
    snprintf(j.job.spec.skills[j.job.spec.n_skills++], TR_MSG_SKILL_SIZE, "hvac");
    j.job.site.lat = 39.74;
    j.job.site.lon = -104.99;
    CHECK(tr_store_job_create(s, &j, "dispatcher", NULL, t, NULL, 0) == TR_STORE_OK);
    char offer[TR_MSG_ID_SIZE];
    snprintf(offer, sizeof offer, "%.40s:o1", j.job.job_id);
    struct tr_store_transition tr = { .job_id = j.job.job_id,
                                      .from = TR_JOB_NEW,
                                      .to = TR_JOB_OFFERED,
                                      .actor = "dispatcher",
                                      .now_ms = t,
                                      .new_offer = true };
    snprintf(tr.offer.offer_id, sizeof tr.offer.offer_id, "%s", offer);
    snprintf(tr.offer.agent_id, sizeof tr.offer.agent_id, "%s", agent);
    tr.offer.deadline = t + 120000;
    CHECK(tr_store_job_transition(s, &tr, NULL) == TR_STORE_OK);
    if (outcome == TR_OFFER_PENDING)
        return;
    bool accepted = outcome == TR_OFFER_ACCEPTED;
    tr = (struct tr_store_transition){ .job_id = j.job.job_id,
                                       .from = TR_JOB_OFFERED,
                                       .to = accepted ? TR_JOB_ACCEPTED : TR_JOB_UNASSIGNED,
                                       .actor = agent,
                                       .now_ms = t + 60000,
                                       .expect_offer_id = offer,
                                       .resolve_offer = true,
                                       .outcome = outcome,
                                       .reason = accepted ? NULL : "nobody" };
    CHECK(tr_store_job_transition(s, &tr, NULL) == TR_STORE_OK);
    if (!accepted)
        return;
    tr = (struct tr_store_transition){ .job_id = j.job.job_id,
                                       .from = TR_JOB_ACCEPTED,
                                       .to = TR_JOB_CANCELLED,
                                       .actor = "dispatcher",
                                       .now_ms = t + 61000 };
    CHECK(tr_store_job_transition(s, &tr, NULL) == TR_STORE_OK);
}

struct seen {
    char agent[8][TR_MSG_ID_SIZE];
    int64_t t[8];
    int n;
    int stop_after;
};

static int seen_cb(void *ctx, const char *agent_id, int64_t accepted_ms)
{
    struct seen *x = ctx;
    if (x->n < 8) {
        snprintf(x->agent[x->n], sizeof x->agent[x->n], "%s", agent_id);
        x->t[x->n] = accepted_ms;
    }
    x->n++;
    return x->stop_after && x->n >= x->stop_after;
}

static struct tr_store *mem_store(void)
{
    struct tr_store *s = NULL;
    char err[256];
    CHECK_MSG(tr_store_open(":memory:", TR_STORE_CREATE, &s, err, sizeof err) == TR_STORE_OK, "%s",
              err);
    return s;
}

static void test_store_accepts(void)
{
    struct tr_store *s = mem_store();
    if (!s)
        return;
    struct tr_contractor a = store_con("rc-a"), b = store_con("rc-b");
    CHECK(tr_store_contractor_add(s, &a, T0 - 40 * HOUR_MS, NULL) == TR_STORE_OK);
    CHECK(tr_store_contractor_add(s, &b, T0 - 40 * HOUR_MS, NULL) == TR_STORE_OK);
    offer_answered(s, "rc-a", T0 - 30 * HOUR_MS, TR_OFFER_ACCEPTED); /* before since */
    offer_answered(s, "rc-a", T0 - 3 * HOUR_MS, TR_OFFER_ACCEPTED);
    offer_answered(s, "rc-b", T0 - 2 * HOUR_MS, TR_OFFER_DECLINED);
    offer_answered(s, "rc-b", T0 - 90 * 60000LL, TR_OFFER_ACCEPTED);
    offer_answered(s, "rc-a", T0 - HOUR_MS, TR_OFFER_ACCEPTED);
    offer_answered(s, "rc-b", T0 - 10 * 60000LL, TR_OFFER_PENDING);

    struct seen x = { .n = 0 };
    size_t bad = 9;
    CHECK(tr_store_accepts_since(s, T0 - 24 * HOUR_MS, seen_cb, &x, &bad) == TR_STORE_OK);
    CHECK_MSG(x.n == 3, "%d accepts", x.n);
    CHECK(bad == 0);
    CHECK(strcmp(x.agent[0], "rc-a") == 0 && x.t[0] == T0 - HOUR_MS + 60000);
    CHECK(strcmp(x.agent[1], "rc-b") == 0 && x.t[1] == T0 - 90 * 60000LL + 60000);
    CHECK(strcmp(x.agent[2], "rc-a") == 0 && x.t[2] == T0 - 3 * HOUR_MS + 60000);
    /* the callback stops it */
    x = (struct seen){ .stop_after = 1 };
    CHECK(tr_store_accepts_since(s, T0 - 24 * HOUR_MS, seen_cb, &x, NULL) == TR_STORE_OK);
    CHECK(x.n == 1);
    /* the whole history */
    x = (struct seen){ .n = 0 };
    CHECK(tr_store_accepts_since(s, T0 - 48 * HOUR_MS, seen_cb, &x, NULL) == TR_STORE_OK);
    CHECK(x.n == 4);
    CHECK(tr_store_accepts_since(s, 0, seen_cb, &x, NULL) == TR_STORE_ERR_INVALID);
    CHECK(tr_store_accepts_since(s, T0, NULL, &x, NULL) == TR_STORE_ERR_INVALID);
    tr_store_close(s);
}

static int jobs_today(struct tr_engine *e, const char *id, int64_t now)
{
    struct tr_engine_contractor_info ci;
    if (tr_engine_contractor_info(e, id, now, &ci) != TR_ENGINE_OK)
        return -1;
    return ci.jobs_today;
}

static void test_engine_accepts(void)
{
    struct tr_engine *e = NULL;
    CHECK(tr_engine_new(NULL, &e) == TR_ENGINE_OK);
    if (!e)
        return;
    /* T0 is 22:13 UTC, 15:13 in UTC-7 (local midnight 15 h 13 min ago) */
    CHECK(add_ready(e, "denver", NULL, SITE_LA, east_km(-3), T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "utc", NULL, SITE_LA, east_km(3), T0) == TR_ENGINE_OK);
    CHECK(tr_engine_set_on_shift(e, "denver", true, -7 * 3600, T0) == TR_ENGINE_OK);
    CHECK(tr_engine_set_on_shift(e, "utc", true, 0, T0) == TR_ENGINE_OK);
    int64_t today = T0 - 15 * HOUR_MS, yesterday = T0 - 16 * HOUR_MS;
    CHECK(tr_engine_recover_accept(e, "denver", today, T0) == TR_ENGINE_OK);
    CHECK(tr_engine_recover_accept(e, "denver", yesterday, T0) == TR_ENGINE_OK);
    CHECK(tr_engine_recover_accept(e, "utc", yesterday, T0) == TR_ENGINE_OK); /* 06:13 UTC */
    CHECK(tr_engine_recover_accept(e, "utc", T0 - 23 * HOUR_MS, T0) == TR_ENGINE_OK);
    CHECK(tr_engine_recover_accept(e, "nobody", today, T0) == TR_ENGINE_ENOENT);
    CHECK(tr_engine_recover_accept(e, NULL, today, T0) == TR_ENGINE_EINVAL);
    CHECK(jobs_today(e, "denver", T0) == 1);
    CHECK(jobs_today(e, "utc", T0) == 1);
    size_t n = 9;
    (void)tr_engine_actions(e, &n);
    CHECK(n == 0);
    /* equal ETAs, "denver" has the lower index; one more accept today for
     * it: the tie goes to "utc" */
    CHECK(tr_engine_recover_accept(e, "denver", T0 - HOUR_MS, T0) == TR_ENGINE_OK);
    CHECK(jobs_today(e, "denver", T0) == 2);
    CHECK(create_job(e, "j-tie", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(strcmp(offered_to(e), "utc") == 0);
    /* the next local day starts from 0 again */
    CHECK(jobs_today(e, "denver", T0 + 9 * HOUR_MS) == 0);
    CHECK(engine_ok(e));
    tr_engine_free(e);
}

static void test_contractor_same(void)
{
    struct tr_store *s = mem_store();
    if (!s)
        return;
    struct tr_contractor c = store_con("rc-same"), x;
    bool same = true;
    CHECK(tr_store_contractor_same(s, &c, &same) == TR_STORE_ERR_NOT_FOUND && !same);
    CHECK(tr_store_contractor_add(s, &c, T0, NULL) == TR_STORE_OK);
    CHECK(tr_store_contractor_same(s, &c, &same) == TR_STORE_OK && same);
    /* skills are a set */
    x = c;
    snprintf(x.skills[0], TR_MSG_SKILL_SIZE, "printer");
    snprintf(x.skills[1], TR_MSG_SKILL_SIZE, "hvac");
    CHECK(tr_store_contractor_same(s, &x, &same) == TR_STORE_OK && same);
    /* any other difference */
    struct tr_contractor diff[9];
    for (int i = 0; i < 9; i++)
        diff[i] = c;
    snprintf(diff[0].name, sizeof diff[0].name, "Someone else");
    diff[1].n_skills = 1;
    snprintf(diff[2].languages[1], TR_MSG_LANG_SIZE, "es");
    diff[3].has_tier = false; /* the default (1) is not the stored 2 either way */
    diff[4].has_radius_km = true;
    diff[4].radius_km = 50; /* the default, but given: another record */
    snprintf(diff[5].hours[0].end, sizeof diff[5].hours[0].end, "18:00");
    diff[6].pay.per_hour_cents = 4600;
    snprintf(diff[7].timezone, sizeof diff[7].timezone, "UTC");
    snprintf(diff[8].skills[1], TR_MSG_SKILL_SIZE, "never-seen");
    for (int i = 0; i < 9; i++) {
        same = true;
        CHECK_MSG(tr_store_contractor_same(s, &diff[i], &same) == TR_STORE_OK && !same,
                  "difference %d", i);
    }
    /* the skill nobody had is still not in the dictionary */
    int bit;
    CHECK(tr_store_skill_bit(s, "never-seen", &bit) == TR_STORE_ERR_NOT_FOUND);
    x = c;
    x.n_languages = 0; /* out of the contract */
    CHECK(tr_store_contractor_same(s, &x, &same) == TR_STORE_ERR_INVALID);
    tr_store_close(s);
}

int main(void)
{
    test_store_accepts();
    test_engine_accepts();
    test_contractor_same();
    return check_report("recovery");
}
