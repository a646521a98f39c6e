/*
 * tests/unit/test_engine.c: dispatcher/core/engine scenario by scenario.
 *
 * Matching (nearest wins, skills, language prefixes, tier, service radius,
 * ETA by travel mode, fair ties), each availability rule on its own, fix
 * validation, the offer cascade (decline, timeout, agent offline, widening,
 * unassigned with readable reasons, retry when the fleet changes), the job
 * lifecycle (escalation, release, vanished assignee, cancel from every open
 * state, hand reassign, widen / relax), a contractor's job limit under two
 * racing jobs, duplicated and replayed inputs, offer ids and a recovery
 * round trip. Invariants are checked after every step. No timing.
 * The randomized simulation is tests/unit/test_engine_sim.c.
 */
#include "tests/unit/engine_fixture.h"

#include <stdlib.h>

static struct tr_engine *fresh(void)
{
    struct tr_engine *e = NULL;
    struct tr_engine_params p;
    tr_engine_params_default(&p);
    p.capacity = 1024;
    p.presence_fresh_ms = 120000; /* the timelines below were written for these */
    p.fix_fresh_ms = 600000;
    CHECK(tr_engine_new(&p, &e) == TR_ENGINE_OK);
    return e;
}

static const char *offer_of(struct tr_engine *e, const char *job)
{
    static char id[TR_MSG_ID_SIZE]; /* test-only scratch */
    struct tr_job j;
    if (tr_engine_job_view(e, job, &j) != TR_ENGINE_OK || !j.has_offer)
        return "";
    snprintf(id, sizeof(id), "%s", j.offer.offer_id);
    return id;
}

static enum tr_job_state state_of(struct tr_engine *e, const char *job)
{
    struct tr_job j;
    if (tr_engine_job_view(e, job, &j) != TR_ENGINE_OK)
        return TR_JOB_CANCELLED; /* closed or unknown */
    return j.state;
}

static const char *reason_of(struct tr_engine *e, const char *job)
{
    static char r[TR_MSG_NOTE_SIZE];
    struct tr_job j;
    r[0] = '\0';
    if (tr_engine_job_view(e, job, &j) == TR_ENGINE_OK && j.has_reason)
        snprintf(r, sizeof(r), "%s", j.reason);
    return r;
}

static int accept_job(struct tr_engine *e, const char *agent, const char *job, int64_t now)
{
    struct tr_offer_answer a = answer(agent, job, offer_of(e, job), true, TR_DECLINE_OTHER);
    return tr_engine_offer_answer(e, &a, now);
}

static int decline_job(struct tr_engine *e, const char *agent, const char *job,
                       enum tr_decline_reason why, int64_t now)
{
    struct tr_offer_answer a = answer(agent, job, offer_of(e, job), false, why);
    return tr_engine_offer_answer(e, &a, now);
}

static int send_event(struct tr_engine *e, const char *agent, const char *job, enum tr_event_kind k,
                      const char *note, int64_t now)
{
    struct tr_job_event ev = event(agent, job, k, note);
    return tr_engine_job_event(e, &ev, now);
}

/* ------------------------------------------------------------ matching */

static void test_nearest(void)
{
    struct tr_engine *e = fresh();
    CHECK(add_ready(e, "far", NULL, north_km(5), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "near", NULL, north_km(2), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, "j1", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    size_t n;
    const struct tr_engine_action *a = tr_engine_actions(e, &n);
    CHECK(n == 3);
    CHECK(a[0].kind == TR_ENGINE_TRANSITION && a[0].tr.from == TR_JOB_NEW &&
          a[0].tr.to == TR_JOB_OFFERED && a[0].tr.new_offer && a[0].group == 0);
    CHECK(strcmp(a[0].tr.offer.offer_id, "j1:o1") == 0);
    CHECK(strcmp(a[0].tr.offer.agent_id, "near") == 0);
    CHECK(a[0].tr.offer.deadline == T0 + 60000);
    CHECK(a[1].kind == TR_ENGINE_SEND_OFFER && strcmp(a[1].agent_id, "near") == 0 &&
          a[1].group == 0);
    CHECK(fabs(a[1].distance_m - 2000.0) < 1.0);
    CHECK(a[1].eta_s == (int)lround(2000.0 * 1.3 / (40.0 / 3.6)));
    CHECK(strcmp(a[1].job.site.address, "") == 0 && a[1].job.spec.n_skills == 1);
    CHECK(a[2].kind == TR_ENGINE_PUBLISH_JOB_STATUS && a[2].job.state == TR_JOB_OFFERED &&
          a[2].job.attempts == 1 && a[2].job.has_offer);
    CHECK(engine_ok(e));
    struct tr_engine_contractor_info ci;
    CHECK(tr_engine_contractor_info(e, "near", T0, &ci) == TR_ENGINE_OK);
    CHECK(ci.offers == 1 && ci.load == 1 && !ci.eligible && ci.why == TR_ENGINE_UNAVAIL_BUSY);
    tr_engine_free(e);
}

static void test_skills_languages(void)
{
    struct tr_engine *e = fresh();
    struct con_opts router = { .skills = "router-repair", .travel = -1 };
    struct con_opts both = { .skills = "printer,router-repair",
                             .languages = "en,es-MX",
                             .travel = -1 };
    struct con_opts en = { .skills = "printer,router-repair", .languages = "en", .travel = -1 };
    CHECK(add_ready(e, "router1", &router, north_km(1), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "en1", &en, north_km(2), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "both", &both, north_km(3), SITE_LO, T0) == TR_ENGINE_OK);
    /* every required skill */
    CHECK(create_job(e, "j-skill", "printer,router-repair", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(strcmp(offered_to(e), "en1") == 0);
    /* es matches es-MX, not en */
    CHECK(create_job(e, "j-es", "router-repair", "es", 0, 0, T0) == TR_ENGINE_OK);
    CHECK(strcmp(offered_to(e), "both") == 0);
    /* es-MX does not match a plain es speaker, nor en */
    struct con_opts es = { .skills = "printer", .languages = "es", .travel = -1 };
    CHECK(add_ready(e, "es1", &es, north_km(1), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, "j-esmx", "printer", "es-MX", 0, 0, T0) == TR_ENGINE_OK);
    CHECK(state_of(e, "j-esmx") == TR_JOB_UNASSIGNED);
    /* only "both" (es-MX) qualifies, and it holds an offer */
    CHECK_MSG(strcmp(reason_of(e, "j-esmx"), "1 qualified within 50 km, all busy") == 0, "%s",
              reason_of(e, "j-esmx"));
    /* case-insensitive tags */
    CHECK(create_job(e, "j-ES", "printer", "ES", 0, 0, T0) == TR_ENGINE_OK);
    CHECK(strcmp(offered_to(e), "es1") == 0);
    CHECK(engine_ok(e));
    tr_engine_free(e);
}

static void test_tier_radius(void)
{
    struct tr_engine *e = fresh();
    struct con_opts t1 = { .tier = 1, .travel = -1 };
    struct con_opts t3 = { .tier = 3, .travel = -1 };
    CHECK(add_ready(e, "t1", &t1, north_km(1), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "t3", &t3, north_km(8), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, "j-tier", "printer", NULL, 3, 0, T0) == TR_ENGINE_OK);
    CHECK(strcmp(offered_to(e), "t3") == 0);
    CHECK(create_job(e, "j-tier4", "printer", NULL, 4, 0, T0) == TR_ENGINE_OK);
    CHECK(strcmp(reason_of(e, "j-tier4"), "nobody of tier >= 4 with skill printer within 50 km") ==
          0);
    tr_engine_free(e);

    /* the job must lie inside the contractor's own service radius */
    e = fresh();
    struct con_opts small = { .radius_km = 10, .travel = -1 };
    struct con_opts wide = { .radius_km = 50, .travel = -1 };
    CHECK(add_ready(e, "small", &small, north_km(20), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "wide", &wide, north_km(30), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, "j-rad", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(strcmp(offered_to(e), "wide") == 0);
    CHECK(create_job(e, "j-rad2", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(strcmp(reason_of(e, "j-rad2"), "1 qualified within 50 km, all busy") ==
          0); /* small is out of its radius */
    CHECK(engine_ok(e));
    tr_engine_free(e);
}

static void test_eta_and_ties(void)
{
    struct tr_engine *e = fresh();
    struct con_opts bike = { .travel = TR_TRAVEL_BICYCLE };
    struct con_opts car = { .travel = TR_TRAVEL_CAR };
    CHECK(add_ready(e, "bike6", &bike, north_km(6), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "car10", &car, north_km(10), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, "j-eta", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(strcmp(offered_to(e), "car10") == 0);
    tr_engine_free(e);

    /* equal ETAs: fewest jobs today wins; then the lower index */
    e = fresh();
    CHECK(add_ready(e, "west", NULL, SITE_LA, east_km(-3), T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "east", NULL, SITE_LA, east_km(3), T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "north", NULL, north_km(3.2), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(tr_engine_set_jobs_today(e, "west", 2, T0) == TR_ENGINE_OK);
    CHECK(tr_engine_set_jobs_today(e, "east", 1, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, "j-tie", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(strcmp(offered_to(e), "north") == 0); /* 200 m further: within the tie band */
    CHECK(tr_engine_set_jobs_today(e, "west", 0, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, "j-tie2", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(strcmp(offered_to(e), "west") == 0);
    /* a day later the counts no longer matter */
    CHECK(engine_ok(e));
    tr_engine_free(e);
}

/* ------------------------------------------------------------ availability */

static void test_availability_rules(void)
{
    for (int rule = 0; rule < 9; rule++) {
        struct tr_engine *e = fresh();
        struct con_opts o = { .travel = -1, .hours = rule == 4, .limit = 1 };
        struct tr_contractor c;
        make_contractor(&c, "near", &o);
        int64_t now = T0 + 3600000;
        CHECK(tr_engine_contractor_upsert(e, &c, T0) == TR_ENGINE_OK);
        CHECK(add_ready(e, "far", NULL, north_km(9), SITE_LO, now) == TR_ENGINE_OK);
        enum tr_engine_fix_reject why = TR_ENGINE_FIX_OK;
        struct tr_fix f = { .t = now, .lat = north_km(1), .lon = SITE_LO, .mode = 3 };
        switch (rule) {
        case 0: /* offline: never said hello */
            CHECK(tr_engine_fix(e, "near", &f, now, NULL) == TR_ENGINE_OK);
            break;
        case 1: /* stale fix: 11 minutes old */
            CHECK(presence(e, "near", true, true, now) == TR_ENGINE_OK);
            f.t = now - 11 * 60000;
            CHECK(tr_engine_fix(e, "near", &f, now, NULL) == TR_ENGINE_OK);
            break;
        case 2: /* a fix from the future is rejected and counted */
            CHECK(presence(e, "near", true, true, now) == TR_ENGINE_OK);
            f.t = now + 60000;
            CHECK(tr_engine_fix(e, "near", &f, now, &why) == TR_ENGINE_EREJECTED);
            CHECK(why == TR_ENGINE_FIX_FUTURE);
            break;
        case 3: /* mode 1 rejected */
            CHECK(presence(e, "near", true, true, now) == TR_ENGINE_OK);
            f.mode = 1;
            CHECK(tr_engine_fix(e, "near", &f, now, &why) == TR_ENGINE_EREJECTED);
            CHECK(why == TR_ENGINE_FIX_MODE);
            break;
        case 4: /* off shift (has hours: off until the shell says on) */
            CHECK(presence(e, "near", true, true, now) == TR_ENGINE_OK);
            CHECK(tr_engine_fix(e, "near", &f, now, NULL) == TR_ENGINE_OK);
            break;
        case 5: /* self-declared unavailable */
            CHECK(presence(e, "near", true, false, now) == TR_ENGINE_OK);
            CHECK(tr_engine_fix(e, "near", &f, now, NULL) == TR_ENGINE_OK);
            break;
        case 6: /* at the job limit */
            CHECK(presence(e, "near", true, true, now) == TR_ENGINE_OK);
            CHECK(tr_engine_fix(e, "near", &f, now, NULL) == TR_ENGINE_OK);
            CHECK(create_job(e, "first", "printer", NULL, 0, 0, now) == TR_ENGINE_OK);
            CHECK(strcmp(offered_to(e), "near") == 0);
            CHECK(accept_job(e, "near", "first", now) == TR_ENGINE_OK);
            break;
        case 7: /* presence went stale: last message 3 minutes ago */
            CHECK(presence(e, "near", true, true, now - 180000) == TR_ENGINE_OK);
            f.t = now - 180000;
            CHECK(tr_engine_fix(e, "near", &f, now - 180000, NULL) == TR_ENGINE_OK);
            break;
        case 8: /* NaN coordinates rejected */
            CHECK(presence(e, "near", true, true, now) == TR_ENGINE_OK);
            f.lat = NAN;
            CHECK(tr_engine_fix(e, "near", &f, now, &why) == TR_ENGINE_EREJECTED);
            CHECK(why == TR_ENGINE_FIX_NONFINITE);
            break;
        }
        CHECK(tr_engine_tick(e, now) == TR_ENGINE_OK);
        CHECK(create_job(e, "j", "printer", NULL, 0, 0, now) == TR_ENGINE_OK);
        CHECK_MSG(strcmp(offered_to(e), "far") == 0, "rule %d offered to %s", rule, offered_to(e));
        CHECK(engine_ok(e));
        if (rule == 4) {
            /* the shell says on shift: near becomes the best */
            CHECK(tr_engine_set_on_shift(e, "near", true, 0, now) == TR_ENGINE_OK);
            CHECK(create_job(e, "j2", "printer", NULL, 0, 0, now) == TR_ENGINE_OK);
            CHECK(strcmp(offered_to(e), "near") == 0);
        }
        struct tr_engine_stats st;
        tr_engine_stats(e, &st);
        if (rule == 2)
            CHECK(st.fixes_rejected[TR_ENGINE_FIX_FUTURE] == 1);
        if (rule == 3)
            CHECK(st.fixes_rejected[TR_ENGINE_FIX_MODE] == 1);
        tr_engine_free(e);
    }

    /* an older fix than the last one, out-of-range and unknown agents */
    struct tr_engine *e = fresh();
    CHECK(add_ready(e, "a", NULL, north_km(1), SITE_LO, T0) == TR_ENGINE_OK);
    enum tr_engine_fix_reject why;
    struct tr_fix f = { .t = T0 - 1000, .lat = 10, .lon = 10, .mode = 2 };
    CHECK(tr_engine_fix(e, "a", &f, T0, &why) == TR_ENGINE_EREJECTED && why == TR_ENGINE_FIX_OLD);
    f.t = T0 + 1000;
    f.lat = 91;
    CHECK(tr_engine_fix(e, "a", &f, T0, &why) == TR_ENGINE_EREJECTED && why == TR_ENGINE_FIX_RANGE);
    f.lat = 10;
    CHECK(tr_engine_fix(e, "zz", &f, T0, &why) == TR_ENGINE_EREJECTED &&
          why == TR_ENGINE_FIX_UNKNOWN);
    f.has_speed = true;
    f.speed = INFINITY;
    CHECK(tr_engine_fix(e, "a", &f, T0, &why) == TR_ENGINE_EREJECTED &&
          why == TR_ENGINE_FIX_NONFINITE);
    tr_engine_free(e);
}

/* ------------------------------------------------------------ cascade */

static void test_decline_cascade(void)
{
    struct tr_engine *e = fresh();
    CHECK(add_ready(e, "a", NULL, north_km(1), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "b", NULL, north_km(2), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "c", NULL, north_km(3), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "d", NULL, north_km(4), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, "j", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(strcmp(offered_to(e), "a") == 0);
    CHECK(decline_job(e, "a", "j", TR_DECLINE_TOO_FAR, T0 + 1000) == TR_ENGINE_OK);
    size_t n;
    const struct tr_engine_action *a = tr_engine_actions(e, &n);
    CHECK(n == 3 && a[0].kind == TR_ENGINE_TRANSITION);
    CHECK(a[0].tr.from == TR_JOB_OFFERED && a[0].tr.to == TR_JOB_OFFERED);
    CHECK(a[0].tr.has_expect_offer && strcmp(a[0].tr.expect_offer_id, "j:o1") == 0);
    CHECK(a[0].tr.resolve_offer && a[0].tr.outcome == TR_ENGINE_OUTCOME_DECLINED &&
          a[0].tr.has_decline_reason && a[0].tr.decline_reason == TR_DECLINE_TOO_FAR);
    CHECK(strcmp(a[0].tr.actor, "a") == 0);
    CHECK(a[0].tr.new_offer && strcmp(a[0].tr.offer.offer_id, "j:o2") == 0);
    CHECK(strcmp(offered_to(e), "b") == 0);
    CHECK(engine_ok(e));
    CHECK(decline_job(e, "b", "j", TR_DECLINE_BUSY, T0 + 2000) == TR_ENGINE_OK);
    CHECK(decline_job(e, "c", "j", TR_DECLINE_OFF_SHIFT, T0 + 3000) == TR_ENGINE_OK);
    CHECK(decline_job(e, "d", "j", TR_DECLINE_TOO_FAR, T0 + 4000) == TR_ENGINE_OK);
    CHECK(state_of(e, "j") == TR_JOB_UNASSIGNED);
    CHECK(strcmp(reason_of(e, "j"), "all 4 candidates declined (2 too_far, 1 busy, 1 off_shift)") ==
          0);
    a = find_act(e, TR_ENGINE_TRANSITION, 0);
    CHECK(a && a->tr.to == TR_JOB_UNASSIGNED && a->tr.set_reason && a->tr.resolve_offer);
    /* a stale decline is harmless */
    struct tr_offer_answer late = answer("a", "j", "j:o1", false, TR_DECLINE_BUSY);
    CHECK(tr_engine_offer_answer(e, &late, T0 + 5000) == TR_ENGINE_OK);
    CHECK(count_act(e, TR_ENGINE_TRANSITION) == 0);
    CHECK(engine_ok(e));
    tr_engine_free(e);
}

static void test_timeout_and_offline(void)
{
    struct tr_engine *e = fresh();
    CHECK(add_ready(e, "a", NULL, north_km(1), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "b", NULL, north_km(2), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "c", NULL, north_km(3), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, "j", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(tr_engine_tick(e, T0 + 59999) == TR_ENGINE_OK);
    CHECK(count_act(e, TR_ENGINE_TRANSITION) == 0);
    CHECK(tr_engine_tick(e, T0 + 60000) == TR_ENGINE_OK);
    const struct tr_engine_action *t = find_act(e, TR_ENGINE_TRANSITION, 0);
    const struct tr_engine_action *c = find_act(e, TR_ENGINE_SEND_CANCELLATION, 0);
    CHECK(t && t->tr.outcome == TR_ENGINE_OUTCOME_EXPIRED && t->tr.resolve_offer);
    CHECK(c && strcmp(c->agent_id, "a") == 0 && c->cancel_reason == TR_CANCEL_OFFER_EXPIRED &&
          strcmp(c->offer_id, "j:o1") == 0);
    CHECK(strcmp(offered_to(e), "b") == 0);
    CHECK(engine_ok(e));
    /* b goes offline mid-offer: withdrawn at once, c gets it */
    CHECK(presence(e, "b", false, false, T0 + 61000) == TR_ENGINE_OK);
    t = find_act(e, TR_ENGINE_TRANSITION, 0);
    c = find_act(e, TR_ENGINE_SEND_CANCELLATION, 0);
    CHECK(t && t->tr.outcome == TR_ENGINE_OUTCOME_WITHDRAWN);
    CHECK(c && strcmp(c->agent_id, "b") == 0);
    CHECK_MSG(strcmp(offered_to(e), "c") == 0, "%s", offered_to(e));
    CHECK(engine_ok(e));
    /* c goes silent: after presence_fresh the tick withdraws; nobody left */
    CHECK(tr_engine_tick(e, T0 + 61000 + 1000) == TR_ENGINE_OK);
    CHECK(presence(e, "a", true, true, T0 + 100000) == TR_ENGINE_OK);
    CHECK(tr_engine_tick(e, T0 + 121001) == TR_ENGINE_OK);
    c = find_act(e, TR_ENGINE_SEND_CANCELLATION, 0);
    CHECK(c && strcmp(c->agent_id, "c") == 0);
    CHECK(state_of(e, "j") == TR_JOB_UNASSIGNED);
    CHECK_MSG(strcmp(reason_of(e, "j"), "all 3 candidates tried (1 no answer, 2 went offline)") ==
                  0,
              "%s", reason_of(e, "j"));
    CHECK(engine_ok(e));
    tr_engine_free(e);
}

static void test_widening_and_retry(void)
{
    struct tr_engine *e = fresh();
    CHECK(add_ready(e, "x30", NULL, north_km(30), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, "j", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(strcmp(offered_to(e), "x30") == 0); /* found in the 40 km step */
    CHECK(decline_job(e, "x30", "j", TR_DECLINE_TOO_FAR, T0 + 1000) == TR_ENGINE_OK);
    CHECK(strcmp(reason_of(e, "j"), "all 1 candidates declined (1 too_far)") == 0);

    CHECK(create_job(e, "r", "router-repair", NULL, 0, 0, T0 + 2000) == TR_ENGINE_OK);
    CHECK(state_of(e, "r") == TR_JOB_UNASSIGNED);
    CHECK(strcmp(reason_of(e, "r"), "nobody with skill router-repair within 50 km") == 0);
    CHECK(create_job(e, "de", "printer", "de", 0, 100, T0 + 2000) == TR_ENGINE_OK);
    CHECK(strcmp(reason_of(e, "de"), "nobody speaking de within 100 km") == 0);
    CHECK(engine_ok(e));

    /* someone with the skill comes online: the next tick offers it */
    struct con_opts router = { .skills = "router-repair", .travel = -1 };
    CHECK(add_ready(e, "fixer", &router, north_km(4), SITE_LO, T0 + 10000) == TR_ENGINE_OK);
    CHECK(tr_engine_tick(e, T0 + 10000) == TR_ENGINE_OK);
    CHECK(strcmp(offered_to(e), "fixer") == 0);
    const struct tr_engine_action *t = find_act(e, TR_ENGINE_TRANSITION, 0);
    CHECK(t && t->tr.from == TR_JOB_UNASSIGNED && t->tr.to == TR_JOB_OFFERED && t->tr.set_reason &&
          t->tr.reason[0] == '\0');
    CHECK(engine_ok(e));

    /* a busy fleet: "N qualified, all busy"; freed by completing the job */
    CHECK(accept_job(e, "fixer", "r", T0 + 11000) == TR_ENGINE_OK);
    CHECK(create_job(e, "r2", "router-repair", NULL, 0, 0, T0 + 12000) == TR_ENGINE_OK);
    CHECK(strcmp(reason_of(e, "r2"), "1 qualified within 50 km, all busy") == 0);
    CHECK(send_event(e, "fixer", "r", TR_EVENT_ON_SITE, NULL, T0 + 13000) == TR_ENGINE_OK);
    CHECK(send_event(e, "fixer", "r", TR_EVENT_COMPLETED, NULL, T0 + 14000) == TR_ENGINE_OK);
    CHECK(tr_engine_tick(e, T0 + 14000) == TR_ENGINE_OK); /* too soon after the last try */
    CHECK(state_of(e, "r2") == TR_JOB_UNASSIGNED);
    CHECK(tr_engine_tick(e, T0 + 18000) == TR_ENGINE_OK);
    CHECK(state_of(e, "r2") == TR_JOB_OFFERED);
    CHECK(engine_ok(e));

    /* widen the radius by hand, and relax the language */
    struct con_opts wide = { .radius_km = 100, .languages = "fr", .travel = -1 };
    CHECK(add_ready(e, "far", &wide, north_km(70), SITE_LO, T0 + 20000) == TR_ENGINE_OK);
    CHECK(create_job(e, "w", "printer", "fr", 0, 0, T0 + 20000) == TR_ENGINE_OK);
    CHECK(strcmp(reason_of(e, "w"), "nobody speaking fr within 50 km") == 0);
    CHECK(tr_engine_job_adjust(e, "w", true, 80, false, "console:ann", T0 + 21000) == TR_ENGINE_OK);
    CHECK(strcmp(offered_to(e), "far") == 0);
    t = find_act(e, TR_ENGINE_TRANSITION, 0);
    CHECK(t && t->tr.set_max_radius_km && t->tr.max_radius_km == 80 &&
          t->tr.from == TR_JOB_UNASSIGNED && t->tr.to == TR_JOB_OFFERED);
    CHECK(create_job(e, "w2", "printer", "it", 0, 0, T0 + 22000) == TR_ENGINE_OK);
    CHECK(strcmp(reason_of(e, "w2"), "nobody speaking it within 50 km") == 0);
    CHECK(tr_engine_job_adjust(e, "w2", false, 0, true, "console:ann", T0 + 22000) == TR_ENGINE_OK);
    CHECK(strcmp(offered_to(e), "x30") == 0);
    t = find_act(e, TR_ENGINE_TRANSITION, 0);
    CHECK(t && t->tr.set_relax_language && t->tr.relax_language);
    /* offered: the change is recorded, the live offer stays */
    CHECK(tr_engine_job_adjust(e, "w2", true, 60, false, "console:ann", T0 + 23000) ==
          TR_ENGINE_OK);
    t = find_act(e, TR_ENGINE_TRANSITION, 0);
    CHECK(t && t->tr.from == TR_JOB_OFFERED && t->tr.to == TR_JOB_OFFERED && !t->tr.new_offer &&
          !t->tr.resolve_offer && t->tr.set_max_radius_km);
    CHECK(tr_engine_job_adjust(e, "w", true, 2000, false, "console:ann", T0) == TR_ENGINE_EINVAL);
    CHECK(engine_ok(e));
    tr_engine_free(e);
}

/* ------------------------------------------------------------ lifecycle */

static void test_escalate_release(void)
{
    struct tr_engine *e = fresh();
    struct con_opts t2 = { .tier = 2, .travel = -1 };
    CHECK(add_ready(e, "junior", NULL, north_km(1), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "other", NULL, north_km(3), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "senior", &t2, north_km(5), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, "j", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(accept_job(e, "junior", "j", T0 + 1000) == TR_ENGINE_OK);
    CHECK(send_event(e, "junior", "j", TR_EVENT_EN_ROUTE, NULL, T0 + 2000) == TR_ENGINE_OK);
    CHECK(send_event(e, "junior", "j", TR_EVENT_ESCALATE, "needs a firmware flash", T0 + 3000) ==
          TR_ENGINE_OK);
    size_t n;
    const struct tr_engine_action *a = tr_engine_actions(e, &n);
    CHECK(n == 5);
    CHECK(a[0].kind == TR_ENGINE_TRANSITION && a[0].tr.from == TR_JOB_EN_ROUTE &&
          a[0].tr.to == TR_JOB_RELEASED && a[0].tr.set_tier && a[0].tr.tier == 2 &&
          a[0].tr.assignee_op == TR_ENGINE_ASSIGNEE_CLEAR);
    CHECK(strstr(a[0].tr.note, "needs a firmware flash") != NULL);
    CHECK(a[1].kind == TR_ENGINE_PUBLISH_JOB_STATUS && a[1].job.state == TR_JOB_RELEASED);
    CHECK(a[2].kind == TR_ENGINE_TRANSITION && a[2].tr.from == TR_JOB_RELEASED &&
          a[2].tr.to == TR_JOB_OFFERED && a[2].group == 2);
    CHECK(strcmp(offered_to(e), "senior") == 0);
    CHECK(a[4].job.spec.tier == 2 && a[4].job.attempts == 2);
    CHECK(engine_ok(e));

    /* release: back to matching without the releaser */
    CHECK(accept_job(e, "senior", "j", T0 + 4000) == TR_ENGINE_OK);
    CHECK(send_event(e, "senior", "j", TR_EVENT_RELEASE, "flat tyre", T0 + 5000) == TR_ENGINE_OK);
    CHECK(state_of(e, "j") == TR_JOB_UNASSIGNED); /* tier 2 now: only senior had it */
    CHECK(strcmp(reason_of(e, "j"), "all 1 candidates tried (1 released)") == 0);
    /* release from on_site is illegal, so is release by someone else */
    CHECK(create_job(e, "k", "printer", NULL, 0, 0, T0 + 6000) == TR_ENGINE_OK);
    CHECK(strcmp(offered_to(e), "junior") == 0);
    CHECK(accept_job(e, "junior", "k", T0 + 6500) == TR_ENGINE_OK);
    CHECK(send_event(e, "other", "k", TR_EVENT_RELEASE, NULL, T0 + 7000) == TR_ENGINE_EFORBIDDEN);
    CHECK(send_event(e, "junior", "k", TR_EVENT_ON_SITE, NULL, T0 + 7000) == TR_ENGINE_OK);
    CHECK(send_event(e, "junior", "k", TR_EVENT_RELEASE, NULL, T0 + 7000) == TR_ENGINE_EILLEGAL);
    CHECK(send_event(e, "junior", "k", TR_EVENT_FAILED, "no parts", T0 + 8000) == TR_ENGINE_OK);
    CHECK(state_of(e, "k") == TR_JOB_CANCELLED); /* closed: gone from memory */
    CHECK(engine_ok(e));
    tr_engine_free(e);
}

static void test_vanish(void)
{
    struct tr_engine *e = fresh();
    CHECK(add_ready(e, "a", NULL, north_km(1), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "b", NULL, north_km(2), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, "j", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(accept_job(e, "a", "j", T0 + 1000) == TR_ENGINE_OK);
    int64_t t = T0 + 1000;
    for (int i = 1; i <= 16; i++) { /* b keeps talking, a is silent */
        t = T0 + 1000 + i * 60000;
        CHECK(presence(e, "b", true, true, t) == TR_ENGINE_OK);
        CHECK(fix_at(e, "b", north_km(2), SITE_LO, t, t) == TR_ENGINE_OK);
        CHECK(tr_engine_tick(e, t) == TR_ENGINE_OK);
        if (i < 15)
            CHECK(state_of(e, "j") == TR_JOB_ACCEPTED);
        CHECK(engine_ok(e));
        if (state_of(e, "j") != TR_JOB_ACCEPTED)
            break;
    }
    const struct tr_engine_action *c = find_act(e, TR_ENGINE_SEND_CANCELLATION, 0);
    CHECK(c && strcmp(c->agent_id, "a") == 0 && c->cancel_reason == TR_CANCEL_REASSIGNED);
    CHECK(strcmp(offered_to(e), "b") == 0);
    struct tr_engine_stats st;
    tr_engine_stats(e, &st);
    CHECK(st.vanished == 1);
    tr_engine_free(e);
}

static void test_cancel_everywhere(void)
{
    for (int s = 0; s < 5; s++) {
        struct tr_engine *e = fresh();
        CHECK(add_ready(e, "a", NULL, north_km(1), SITE_LO, T0) == TR_ENGINE_OK);
        if (s == 4)
            CHECK(create_job(e, "j", "nobody-has-it", NULL, 0, 0, T0) == TR_ENGINE_OK);
        else
            CHECK(create_job(e, "j", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
        if (s >= 1 && s <= 3)
            CHECK(accept_job(e, "a", "j", T0 + 1) == TR_ENGINE_OK);
        if (s >= 2 && s <= 3)
            CHECK(send_event(e, "a", "j", TR_EVENT_EN_ROUTE, NULL, T0 + 2) == TR_ENGINE_OK);
        if (s == 3)
            CHECK(send_event(e, "a", "j", TR_EVENT_ON_SITE, NULL, T0 + 3) == TR_ENGINE_OK);
        enum tr_job_state before = state_of(e, "j");
        CHECK(tr_engine_job_cancel(e, "j", "console:bob", "customer called", T0 + 10) ==
              TR_ENGINE_OK);
        const struct tr_engine_action *t = find_act(e, TR_ENGINE_TRANSITION, 0);
        CHECK(t && t->tr.from == before && t->tr.to == TR_JOB_CANCELLED &&
              strcmp(t->tr.actor, "console:bob") == 0);
        const struct tr_engine_action *c = find_act(e, TR_ENGINE_SEND_CANCELLATION, 0);
        if (s == 4) {
            CHECK(c == NULL);
        } else {
            CHECK(c && strcmp(c->agent_id, "a") == 0 && c->cancel_reason == TR_CANCEL_CANCELLED &&
                  strcmp(c->offer_id, "j:o1") == 0 && strcmp(c->note, "customer called") == 0);
        }
        if (s == 0)
            CHECK(t && t->tr.resolve_offer && t->tr.outcome == TR_ENGINE_OUTCOME_WITHDRAWN);
        CHECK(find_act(e, TR_ENGINE_PUBLISH_JOB_STATUS, 0) != NULL);
        struct tr_engine_contractor_info ci;
        CHECK(tr_engine_contractor_info(e, "a", T0 + 10, &ci) == TR_ENGINE_OK && ci.load == 0 &&
              ci.eligible);
        CHECK(tr_engine_job_cancel(e, "j", "console:bob", NULL, T0 + 11) == TR_ENGINE_ENOENT);
        CHECK(engine_ok(e));
        tr_engine_free(e);
    }
}

static void test_reassign(void)
{
    struct tr_engine *e = fresh();
    struct con_opts far = { .travel = -1, .limit = 2 };
    CHECK(add_ready(e, "a", NULL, north_km(1), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "b", NULL, north_km(2), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "c", &far, north_km(80), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, "j", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(tr_engine_job_reassign(e, "j", "a", "console:x", T0) == TR_ENGINE_ELIMIT); /* offered */
    CHECK(tr_engine_job_reassign(e, "j", "c", "console:x", T0 + 1) == TR_ENGINE_OK);
    const struct tr_engine_action *c = find_act(e, TR_ENGINE_SEND_CANCELLATION, 0);
    CHECK(c && strcmp(c->agent_id, "a") == 0 && c->cancel_reason == TR_CANCEL_REASSIGNED);
    CHECK(strcmp(offered_to(e), "c") == 0); /* outside every radius: a dispatcher's call */
    CHECK(accept_job(e, "c", "j", T0 + 2) == TR_ENGINE_OK);
    CHECK(tr_engine_job_reassign(e, "j", "b", "console:x", T0 + 3) == TR_ENGINE_OK);
    size_t n;
    const struct tr_engine_action *a = tr_engine_actions(e, &n);
    CHECK(n == 6 && a[0].tr.to == TR_JOB_RELEASED && a[1].kind == TR_ENGINE_SEND_CANCELLATION &&
          strcmp(a[1].agent_id, "c") == 0 && a[3].tr.to == TR_JOB_OFFERED);
    CHECK(strcmp(offered_to(e), "b") == 0);
    CHECK(tr_engine_job_reassign(e, "j", "b", "console:x", T0 + 4) == TR_ENGINE_ELIMIT);
    CHECK(tr_engine_job_reassign(e, "j", "nobody", "console:x", T0 + 4) == TR_ENGINE_ENOENT);
    CHECK(engine_ok(e));
    tr_engine_free(e);
}

/* Two jobs race for one contractor with limit 1: only one gets the offer. */
static void test_race(void)
{
    struct tr_engine *e = fresh();
    CHECK(add_ready(e, "only", NULL, north_km(1), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, "j1", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(strcmp(offered_to(e), "only") == 0);
    CHECK(create_job(e, "j2", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(state_of(e, "j2") == TR_JOB_UNASSIGNED);
    CHECK(strcmp(reason_of(e, "j2"), "1 qualified within 50 km, all busy") == 0);
    CHECK(engine_ok(e));
    /* j1 declined: the slot frees, j2 gets it at the next tick */
    CHECK(decline_job(e, "only", "j1", TR_DECLINE_PERSONAL, T0 + 6000) == TR_ENGINE_OK);
    CHECK(tr_engine_tick(e, T0 + 6000) == TR_ENGINE_OK);
    CHECK(state_of(e, "j2") == TR_JOB_OFFERED && strcmp(offered_to(e), "only") == 0);
    CHECK(engine_ok(e));
    tr_engine_free(e);
}

/* ------------------------------------------------------------ bad input */

static void test_duplicates(void)
{
    struct tr_engine *e = fresh();
    CHECK(add_ready(e, "a", NULL, north_km(1), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "b", NULL, north_km(2), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, "j", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, "j", "printer", NULL, 0, 0, T0) == TR_ENGINE_EEXIST);
    struct tr_offer_answer acc = answer("b", "j", "j:o1", true, TR_DECLINE_OTHER);
    CHECK(tr_engine_offer_answer(e, &acc, T0 + 1) == TR_ENGINE_EFORBIDDEN); /* not b's offer */
    acc = answer("a", "j", "j:o1", true, TR_DECLINE_OTHER);
    CHECK(tr_engine_offer_answer(e, &acc, T0 + 2) == TR_ENGINE_OK);
    CHECK(count_act(e, TR_ENGINE_SEND_ASSIGNMENT) == 1);
    CHECK(tr_engine_offer_answer(e, &acc, T0 + 3) == TR_ENGINE_OK); /* replay */
    CHECK(count_act(e, TR_ENGINE_TRANSITION) == 0 && count_act(e, TR_ENGINE_SEND_ASSIGNMENT) == 1);
    CHECK(find_act(e, TR_ENGINE_SEND_ASSIGNMENT, 0)->group == TR_ENGINE_NO_GROUP);
    struct tr_offer_answer dec = answer("a", "j", "j:o1", false, TR_DECLINE_BUSY);
    CHECK(tr_engine_offer_answer(e, &dec, T0 + 4) == TR_ENGINE_EILLEGAL);
    CHECK(send_event(e, "a", "j", TR_EVENT_COMPLETED, NULL, T0 + 5) == TR_ENGINE_EILLEGAL);
    CHECK(send_event(e, "a", "j", TR_EVENT_ON_SITE, NULL, T0 + 6) == TR_ENGINE_OK);
    CHECK(send_event(e, "a", "j", TR_EVENT_ON_SITE, NULL, T0 + 7) == TR_ENGINE_EILLEGAL);
    CHECK(send_event(e, "a", "j", TR_EVENT_EN_ROUTE, NULL, T0 + 7) == TR_ENGINE_EILLEGAL);
    CHECK(send_event(e, "b", "j", TR_EVENT_COMPLETED, NULL, T0 + 8) == TR_ENGINE_EFORBIDDEN);
    CHECK(send_event(e, "a", "nope", TR_EVENT_COMPLETED, NULL, T0 + 8) == TR_ENGINE_ENOENT);
    CHECK(send_event(e, "a", "j", TR_EVENT_COMPLETED, NULL, T0 + 9) == TR_ENGINE_OK);
    CHECK(send_event(e, "a", "j", TR_EVENT_COMPLETED, NULL, T0 + 10) == TR_ENGINE_ENOENT);
    /* an accept for a job that is gone: told the offer expired */
    CHECK(tr_engine_offer_answer(e, &acc, T0 + 11) == TR_ENGINE_OK);
    const struct tr_engine_action *c = find_act(e, TR_ENGINE_SEND_CANCELLATION, 0);
    CHECK(c && c->cancel_reason == TR_CANCEL_OFFER_EXPIRED && strcmp(c->agent_id, "a") == 0 &&
          c->group == TR_ENGINE_NO_GROUP);

    /* an accept after the deadline, before the tick: expired, told so */
    CHECK(create_job(e, "k", "printer", NULL, 0, 0, T0 + 20) == TR_ENGINE_OK);
    CHECK(strcmp(offered_to(e), "a") == 0);
    acc = answer("a", "k", "k:o1", true, TR_DECLINE_OTHER);
    CHECK(tr_engine_offer_answer(e, &acc, T0 + 20 + 60000) == TR_ENGINE_OK);
    CHECK(count_act(e, TR_ENGINE_SEND_ASSIGNMENT) == 0);
    c = find_act(e, TR_ENGINE_SEND_CANCELLATION, 0);
    CHECK(c && strcmp(c->agent_id, "a") == 0 && c->cancel_reason == TR_CANCEL_OFFER_EXPIRED);
    CHECK(strcmp(offered_to(e), "b") == 0);
    /* the same late accept replayed: the job moved on, a is told again */
    CHECK(tr_engine_offer_answer(e, &acc, T0 + 20 + 61000) == TR_ENGINE_OK);
    CHECK(count_act(e, TR_ENGINE_SEND_CANCELLATION) == 1 &&
          count_act(e, TR_ENGINE_TRANSITION) == 0);
    /* a made-up offer id from an agent never offered it */
    struct tr_offer_answer bogus = answer("a", "k", "k:o7", true, TR_DECLINE_OTHER);
    CHECK(tr_engine_offer_answer(e, &bogus, T0 + 20 + 61001) == TR_ENGINE_EFORBIDDEN);
    struct tr_engine_stats st;
    tr_engine_stats(e, &st);
    CHECK(st.duplicate_accepts == 1 && st.stale_answers >= 2 && st.rejected_answers == 3);
    CHECK(st.rejected_events == 6);
    CHECK(engine_ok(e));
    tr_engine_free(e);
}

static void test_offer_ids(void)
{
    struct tr_engine *e = fresh();
    char id[80];
    memset(id, 'a', 64);
    id[64] = '\0';
    CHECK(add_ready(e, "a", NULL, north_km(1), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, id, "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    const struct tr_engine_action *o = find_act(e, TR_ENGINE_SEND_OFFER, 0);
    CHECK(o && strlen(o->offer_id) <= 64 && tr_msg_valid_msgid(o->offer_id));
    CHECK(o && strcmp(o->offer_id + strlen(o->offer_id) - 3, ":o1") == 0);
    char first[TR_MSG_ID_SIZE];
    snprintf(first, sizeof(first), "%s", o ? o->offer_id : "");
    tr_engine_free(e);
    /* the same input gives the same id */
    e = fresh();
    CHECK(add_ready(e, "a", NULL, north_km(1), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, id, "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    o = find_act(e, TR_ENGINE_SEND_OFFER, 0);
    CHECK(o && strcmp(o->offer_id, first) == 0);
    CHECK(create_job(e, "bad id", "printer", NULL, 0, 0, T0) == TR_ENGINE_EINVAL);
    tr_engine_free(e);
}

/* ------------------------------------------------------------ recovery */

static void test_recovery(void)
{
    struct tr_engine *e = fresh();
    CHECK(add_ready(e, "a", NULL, north_km(1), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(add_ready(e, "b", NULL, north_km(2), SITE_LO, T0) == TR_ENGINE_OK);
    struct tr_job_spec s;
    struct tr_site site;
    make_job(&s, &site, "printer", NULL, 0);
    /* offered to a, deadline passed while down; b declined it earlier */
    struct tr_engine_tried tried[] = {
        { .agent_id = "b",
          .kind = TR_ENGINE_TRIED_DECLINED,
          .decline_reason = TR_DECLINE_BUSY,
          .offer_id = "j:o1" },
    };
    struct tr_engine_job_record r = { .job_id = "j",
                                      .state = TR_JOB_OFFERED,
                                      .spec = &s,
                                      .site = &site,
                                      .attempts = 2,
                                      .created = T0 - 100000,
                                      .updated = T0 - 70000,
                                      .offer_id = "j:o2",
                                      .offer_agent = "a",
                                      .offer_deadline = T0 - 10000,
                                      .tried = tried,
                                      .n_tried = 1 };
    CHECK(tr_engine_recover_job(e, &r, T0) == TR_ENGINE_OK);
    CHECK(tr_engine_recover_job(e, &r, T0) == TR_ENGINE_EEXIST);
    /* held by b: accepted */
    struct tr_engine_job_record h = { .job_id = "h",
                                      .state = TR_JOB_EN_ROUTE,
                                      .spec = &s,
                                      .site = &site,
                                      .attempts = 1,
                                      .assignee = "b" };
    CHECK(tr_engine_recover_job(e, &h, T0) == TR_ENGINE_OK);
    struct tr_engine_job_record bad = h;
    bad.job_id = "x";
    bad.assignee = "ghost";
    CHECK(tr_engine_recover_job(e, &bad, T0) == TR_ENGINE_ENOENT);
    struct tr_engine_job_record nw = {
        .job_id = "n", .state = TR_JOB_NEW, .spec = &s, .site = &site
    };
    CHECK(tr_engine_recover_job(e, &nw, T0) == TR_ENGINE_OK);
    CHECK(engine_ok(e));
    struct tr_offer_answer late = answer("a", "j", "j:o2", true, TR_DECLINE_OTHER);
    CHECK(tr_engine_tick(e, T0) == TR_ENGINE_OK);
    /* j's offer expired; nobody else is free (b holds h): unassigned. n
     * waits too (a is tried on j only; a is free: n goes to a) */
    CHECK(state_of(e, "j") == TR_JOB_UNASSIGNED);
    CHECK(state_of(e, "n") == TR_JOB_OFFERED);
    CHECK(tr_engine_offer_answer(e, &late, T0 + 1) == TR_ENGINE_OK);
    CHECK(count_act(e, TR_ENGINE_SEND_CANCELLATION) == 1);
    struct tr_offer_answer dup = answer("b", "h", "h:o1", true, TR_DECLINE_OTHER);
    CHECK(tr_engine_offer_answer(e, &dup, T0 + 2) == TR_ENGINE_OK);
    CHECK(count_act(e, TR_ENGINE_SEND_ASSIGNMENT) == 1);
    CHECK(tr_engine_job_forget(e, "h", T0 + 3) == TR_ENGINE_OK);
    CHECK(engine_ok(e));
    tr_engine_free(e);
}

static void test_retire_and_limits(void)
{
    struct tr_engine *e = fresh();
    struct con_opts two = { .travel = -1, .limit = 2 };
    CHECK(add_ready(e, "a", &two, north_km(1), SITE_LO, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, "j1", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(create_job(e, "j2", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(strcmp(offered_to(e), "a") == 0);
    CHECK(create_job(e, "j3", "printer", NULL, 0, 0, T0) == TR_ENGINE_OK);
    CHECK(state_of(e, "j3") == TR_JOB_UNASSIGNED);
    /* the limit lowered below the load: kept, no new offers */
    struct con_opts one = { .travel = -1, .limit = 1 };
    struct tr_contractor c;
    make_contractor(&c, "a", &one);
    CHECK(tr_engine_contractor_upsert(e, &c, T0 + 1) == TR_ENGINE_OK);
    CHECK(engine_ok(e));
    CHECK(decline_job(e, "a", "j1", TR_DECLINE_BUSY, T0 + 2) == TR_ENGINE_OK);
    CHECK(engine_ok(e));
    /* retired: the live offer is withdrawn */
    struct con_opts gone = { .travel = -1, .retired = true };
    make_contractor(&c, "a", &gone);
    CHECK(tr_engine_contractor_upsert(e, &c, T0 + 3) == TR_ENGINE_OK);
    const struct tr_engine_action *x = find_act(e, TR_ENGINE_SEND_CANCELLATION, 0);
    CHECK(x && strcmp(x->agent_id, "a") == 0);
    CHECK(state_of(e, "j2") == TR_JOB_UNASSIGNED);
    CHECK(engine_ok(e));
    /* 65 skills */
    char name[40];
    int rc = TR_ENGINE_OK;
    for (int i = 0; i < 70 && rc == TR_ENGINE_OK; i++) {
        struct con_opts o = { .travel = -1 };
        snprintf(name, sizeof(name), "skill-%d", i);
        o.skills = name;
        char id[20];
        snprintf(id, sizeof(id), "s%d", i);
        make_contractor(&c, id, &o);
        rc = tr_engine_contractor_upsert(e, &c, T0 + 4);
    }
    CHECK(rc == TR_ENGINE_ESKILLS);
    CHECK(engine_ok(e));
    tr_engine_free(e);
}

/* A moving contractor's index position is carried forward (dead reckoning). */
static void test_prediction(void)
{
    struct tr_engine *e = fresh();
    struct tr_contractor c;
    struct con_opts o = { .travel = -1 };
    make_contractor(&c, "mover", &o);
    CHECK(tr_engine_contractor_upsert(e, &c, T0) == TR_ENGINE_OK);
    CHECK(presence(e, "mover", true, true, T0) == TR_ENGINE_OK);
    struct tr_fix f = { .t = T0,
                        .lat = north_km(20),
                        .lon = SITE_LO,
                        .mode = 3,
                        .has_speed = true,
                        .speed = 20.0,
                        .has_heading = true,
                        .heading = 180.0 };
    CHECK(tr_engine_fix(e, "mover", &f, T0, NULL) == TR_ENGINE_OK);
    CHECK(tr_engine_tick(e, T0 + 30000) == TR_ENGINE_OK);
    CHECK(create_job(e, "j", "printer", NULL, 0, 0, T0 + 30000) == TR_ENGINE_OK);
    const struct tr_engine_action *a = find_act(e, TR_ENGINE_SEND_OFFER, 0);
    CHECK(a && fabs(a->distance_m - 19400.0) < 5.0); /* 30 s at 20 m/s towards the site */
    /* never further than the horizon (120 s) past the fix */
    CHECK(tr_engine_job_cancel(e, "j", "console:x", NULL, T0 + 30000) == TR_ENGINE_OK);
    CHECK(presence(e, "mover", true, true, T0 + 100000) == TR_ENGINE_OK);
    CHECK(tr_engine_tick(e, T0 + 200000) == TR_ENGINE_OK);
    CHECK(create_job(e, "k", "printer", NULL, 0, 0, T0 + 200000) == TR_ENGINE_OK);
    a = find_act(e, TR_ENGINE_SEND_OFFER, 0);
    CHECK(a && fabs(a->distance_m - 17600.0) < 5.0);
    CHECK(engine_ok(e));
    tr_engine_free(e);
}

int main(void)
{
    test_nearest();
    test_skills_languages();
    test_tier_radius();
    test_eta_and_ties();
    test_availability_rules();
    test_decline_cascade();
    test_timeout_and_offline();
    test_widening_and_retry();
    test_escalate_release();
    test_vanish();
    test_cancel_everywhere();
    test_reassign();
    test_race();
    test_duplicates();
    test_offer_ids();
    test_recovery();
    test_retire_and_limits();
    test_prediction();
    return check_report("unit.engine");
}
