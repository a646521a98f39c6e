/*
 * tests/unit/test_store.c: dispatcher/store on real files in a temp dir (and
 * once in memory): contractors and the skill dictionary, jobs and their
 * compare-and-set transitions, offers, the event log, the outbox, positions,
 * reopening, migrating a v1 database, refusing future / foreign / garbage
 * files, and damaged rows read back as corrupt and skipped.
 *
 * It opens the files with sqlite3 directly only to build the v1 fixture and
 * to damage rows, as an attacker or a disk would.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispatcher/store/store.h"
#include "tests/support/check.h"
#include "tests/support/tmpdir.h"

#define T0 1700000000000LL

static char dir[64];

static void path_of(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
}

static struct tr_store *open_store(const char *name)
{
    char p[256], err[256];
    path_of(p, sizeof p, name);
    struct tr_store *s = NULL;
    int rc = tr_store_open(p, TR_STORE_CREATE, &s, err, sizeof err);
    CHECK_MSG(rc == TR_STORE_OK, "open %s: %s", p, err);
    return s;
}

static void exec_sql(const char *name, const char *sql)
{
    char p[256];
    path_of(p, sizeof p, name);
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(p, &db) == SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    CHECK_MSG(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
    sqlite3_free(msg);
    sqlite3_close(db);
}

static int64_t query_int(const char *name, const char *sql)
{
    char p[256];
    path_of(p, sizeof p, name);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_open(p, &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == 0 &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static struct tr_contractor contractor(const char *id, const char *skill1, const char *skill2)
{
    struct tr_contractor c;
    memset(&c, 0, sizeof c);
    snprintf(c.contractor_id, sizeof c.contractor_id, "%s", id);
    snprintf(c.name, sizeof c.name, "Tech %s", id);
    snprintf(c.skills[c.n_skills++], TR_MSG_SKILL_SIZE, "%s", skill1);
    if (skill2)
        snprintf(c.skills[c.n_skills++], TR_MSG_SKILL_SIZE, "%s", skill2);
    snprintf(c.languages[c.n_languages++], TR_MSG_LANG_SIZE, "en");
    snprintf(c.timezone, sizeof c.timezone, "UTC");
    c.tier = 1;
    c.radius_km = 50;
    c.job_limit = 1;
    c.active = true;
    return c;
}

static bool same_contractor(const struct tr_contractor *a, const struct tr_contractor *b)
{
    struct tr_msg ma, mb;
    tr_msg_init(&ma, TR_MSG_CONTRACTOR_ADD);
    tr_msg_init(&mb, TR_MSG_CONTRACTOR_ADD);
    ma.u.contractor_add = *a;
    mb.u.contractor_add = *b;
    return tr_msg_equal(&ma, &mb);
}

static struct tr_store_job job_in(const char *title, const char *skill)
{
    struct tr_store_job j;
    memset(&j, 0, sizeof j);
    snprintf(j.job.spec.title, sizeof j.job.spec.title, "%s", title);
    snprintf(j.job.spec.skills[j.job.spec.n_skills++], TR_MSG_SKILL_SIZE, "%s", skill);
    j.job.site.lat = 41.88;
    j.job.site.lon = -87.63;
    return j;
}

static int count_cb(void *ctx, const struct tr_contractor *c,
                    const struct tr_store_contractor_meta *m)
{
    (void)c;
    (void)m;
    ++*(int *)ctx;
    return 0;
}

/* ---------------------------------------------------------------- contractors */

static void test_contractors(void)
{
    struct tr_store *s = open_store("c.db");
    if (!s)
        return;
    struct tr_contractor full = contractor("alice", "printers", "network");
    snprintf(full.languages[full.n_languages++], TR_MSG_LANG_SIZE, "es-MX");
    full.has_tier = true;
    full.tier = 3;
    full.has_travel_mode = true;
    full.travel_mode = TR_TRAVEL_BICYCLE;
    full.has_radius_km = true;
    full.radius_km = 12.5;
    full.has_job_limit = true;
    full.job_limit = 2;
    snprintf(full.timezone, sizeof full.timezone, "America/Chicago");
    full.has_hours = true;
    full.n_hours = 2;
    full.hours[0] = (struct tr_shift){ 1, "08:00", "17:00" };
    full.hours[1] = (struct tr_shift){ 6, "22:00", "00:00" };
    full.has_pay = true;
    snprintf(full.pay.currency, sizeof full.pay.currency, "USD");
    full.pay.has_per_hour_cents = true;
    full.pay.per_hour_cents = 4500;
    full.pay.has_per_incident_cents = true;
    full.pay.per_incident_cents = 12000;
    full.has_home = true;
    full.home.lat = 41.9;
    full.home.lon = -87.7;
    full.has_active = true;
    full.active = true;

    struct tr_store_contractor_meta m;
    CHECK(tr_store_contractor_add(s, &full, T0, &m) == TR_STORE_OK);
    CHECK(m.row_id == 1 && m.skill_mask == 3);
    struct tr_contractor got;
    CHECK(tr_store_contractor_get(s, "alice", &got, &m) == TR_STORE_OK);
    CHECK(same_contractor(&got, &full));
    CHECK(got.hours[1].day == 6 && strcmp(got.hours[1].end, "00:00") == 0);
    CHECK(m.created == T0 && m.updated == T0);

    /* duplicates and bad records are refused and change nothing */
    CHECK(tr_store_contractor_add(s, &full, T0, NULL) == TR_STORE_ERR_EXISTS);
    CHECK(strstr(tr_store_errmsg(s), "alice") != NULL);
    struct tr_contractor bad = contractor("bob", "printers", NULL);
    snprintf(bad.timezone, sizeof bad.timezone, "Not a zone!");
    CHECK(tr_store_contractor_add(s, &bad, T0, NULL) == TR_STORE_ERR_INVALID);
    bad = contractor("bob", "Bad Skill", NULL);
    CHECK(tr_store_contractor_add(s, &bad, T0, NULL) == TR_STORE_ERR_INVALID);
    CHECK(tr_store_contractor_get(s, "bob", &got, NULL) == TR_STORE_ERR_NOT_FOUND);
    CHECK(tr_store_contractor_get(s, "bad/id", &got, NULL) == TR_STORE_ERR_INVALID);

    /* minimal record: absent stays absent, defaults read back */
    struct tr_contractor min = contractor("bob", "routers", NULL);
    CHECK(tr_store_contractor_add(s, &min, T0 + 1, &m) == TR_STORE_OK);
    CHECK(m.row_id == 2 && m.skill_mask == 4);
    CHECK(tr_store_contractor_get(s, "bob", &got, NULL) == TR_STORE_OK);
    CHECK(!got.has_tier && got.tier == 1 && !got.has_radius_km && got.radius_km == 50);
    CHECK(!got.has_job_limit && got.job_limit == 1 && !got.has_active && got.active);
    CHECK(!got.has_hours && !got.has_pay && !got.has_home);
    CHECK(same_contractor(&got, &min));

    /* partial update */
    struct tr_req_contractor_update u;
    memset(&u, 0, sizeof u);
    snprintf(u.c.contractor_id, sizeof u.c.contractor_id, "bob");
    u.has_name = true;
    snprintf(u.c.name, sizeof u.c.name, "Robert");
    u.c.has_active = true;
    u.c.active = false;
    u.c.has_hours = true; /* present and empty: never on shift */
    u.has_skills = true;
    u.c.n_skills = 2;
    snprintf(u.c.skills[0], TR_MSG_SKILL_SIZE, "routers");
    snprintf(u.c.skills[1], TR_MSG_SKILL_SIZE, "cabling");
    CHECK(tr_store_contractor_update(s, &u, T0 + 5, &got, &m) == TR_STORE_OK);
    CHECK(strcmp(got.name, "Robert") == 0 && got.has_active && !got.active);
    CHECK(got.has_hours && got.n_hours == 0);
    CHECK(strcmp(got.timezone, "UTC") == 0 && got.n_languages == 1);
    CHECK(m.skill_mask == (4 | 8) && m.updated == T0 + 5 && m.created == T0 + 1);
    snprintf(u.c.contractor_id, sizeof u.c.contractor_id, "carol");
    CHECK(tr_store_contractor_update(s, &u, T0, NULL, NULL) == TR_STORE_ERR_NOT_FOUND);

    /* list: filters, paging, totals */
    CHECK(tr_store_contractor_add(s, &(struct tr_contractor){ 0 }, T0, NULL) ==
          TR_STORE_ERR_INVALID);
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof id, "t%d", i);
        struct tr_contractor c = contractor(id, i % 2 ? "printers" : "routers", NULL);
        CHECK(tr_store_contractor_add(s, &c, T0, NULL) == TR_STORE_OK);
    }
    struct tr_contractor *list = NULL;
    size_t n = 0, corrupt = 0;
    int64_t total = 0;
    struct tr_store_contractor_filter f = { .skill = "printers", .active = -1, .limit = 10 };
    CHECK(tr_store_contractor_list(s, &f, &list, &n, &total, &corrupt) == TR_STORE_OK);
    CHECK(n == 3 && total == 3 && corrupt == 0);
    CHECK(n == 3 && strcmp(list[0].contractor_id, "alice") == 0 &&
          strcmp(list[2].contractor_id, "t3") == 0);
    free(list);
    f = (struct tr_store_contractor_filter){ .active = 1, .limit = 2, .offset = 1 };
    CHECK(tr_store_contractor_list(s, &f, &list, &n, &total, NULL) == TR_STORE_OK);
    CHECK(n == 2 && total == 6 && strcmp(list[0].contractor_id, "t0") == 0);
    free(list);
    f = (struct tr_store_contractor_filter){ .skill = "unheard-of", .active = -1, .limit = 5 };
    CHECK(tr_store_contractor_list(s, &f, &list, &n, &total, NULL) == TR_STORE_OK);
    CHECK(n == 0 && total == 0);
    free(list);
    f.limit = 0;
    CHECK(tr_store_contractor_list(s, &f, &list, &n, &total, NULL) == TR_STORE_ERR_INVALID);
    int count = 0;
    CHECK(tr_store_contractors_each(s, count_cb, &count, &corrupt) == TR_STORE_OK);
    CHECK(count == 7 && corrupt == 0);
    tr_store_close(s);
}

/* ---------------------------------------------------------------- skills */

static void test_skills(void)
{
    struct tr_store *s = open_store("skills.db");
    if (!s)
        return;
    struct tr_contractor c = contractor("a", "zeta", "alpha");
    CHECK(tr_store_contractor_add(s, &c, T0, NULL) == TR_STORE_OK);
    int bit = -1;
    CHECK(tr_store_skill_bit(s, "zeta", &bit) == TR_STORE_OK && bit == 0);
    CHECK(tr_store_skill_bit(s, "alpha", &bit) == TR_STORE_OK && bit == 1);
    CHECK(tr_store_skill_bit(s, "beta", &bit) == TR_STORE_ERR_NOT_FOUND);
    /* fill up to 64 */
    for (int i = 2; i < 64; i += 2) {
        char id[16], a[16], b[16];
        snprintf(id, sizeof id, "c%d", i);
        snprintf(a, sizeof a, "s%02d", i);
        snprintf(b, sizeof b, "s%02d", i + 1);
        c = contractor(id, a, b);
        CHECK(tr_store_contractor_add(s, &c, T0, NULL) == TR_STORE_OK);
    }
    CHECK(tr_store_skill_name(s, 63) && strcmp(tr_store_skill_name(s, 63), "s63") == 0);
    c = contractor("over", "s10", "one-too-many");
    CHECK(tr_store_contractor_add(s, &c, T0, NULL) == TR_STORE_ERR_SKILLS);
    CHECK(tr_store_contractor_get(s, "over", &c, NULL) == TR_STORE_ERR_NOT_FOUND);
    /* known skills still work */
    c = contractor("fine", "s10", "zeta");
    struct tr_store_contractor_meta m;
    CHECK(tr_store_contractor_add(s, &c, T0, &m) == TR_STORE_OK);
    CHECK(m.skill_mask == ((UINT64_C(1) << 10) | 1));
    char need[2][TR_MSG_SKILL_SIZE] = { "alpha", "nope" };
    uint64_t mask;
    bool known;
    CHECK(tr_store_skill_mask(s, need, 2, &mask, &known) == TR_STORE_OK);
    CHECK(mask == 2 && !known);
    tr_store_close(s);

    /* stable across reopen */
    s = open_store("skills.db");
    if (!s)
        return;
    CHECK(tr_store_skill_bit(s, "zeta", &bit) == TR_STORE_OK && bit == 0);
    CHECK(tr_store_skill_bit(s, "s63", &bit) == TR_STORE_OK && bit == 63);
    CHECK(tr_store_skill_bit(s, "one-too-many", &bit) == TR_STORE_ERR_NOT_FOUND);
    CHECK(tr_store_contractor_get(s, "fine", &c, &m) == TR_STORE_OK &&
          m.skill_mask == ((UINT64_C(1) << 10) | 1));
    tr_store_close(s);
}

/* ---------------------------------------------------------------- jobs */

static int64_t outbox_count(struct tr_store *s)
{
    int64_t n = -1;
    tr_store_outbox_count(s, &n);
    return n;
}

static size_t event_count(struct tr_store *s, const char *job_id)
{
    struct tr_store_event *ev = NULL;
    size_t n = 0;
    tr_store_job_events(s, job_id, 1000, &ev, &n);
    free(ev);
    return n;
}

struct pending_ctx {
    int n;
    char last[TR_MSG_ID_SIZE];
};

static int pending_cb(void *ctx, const struct tr_store_offer *o)
{
    struct pending_ctx *p = ctx;
    p->n++;
    snprintf(p->last, sizeof p->last, "%s", o->offer_id);
    return 0;
}

static int open_cb(void *ctx, const struct tr_store_job *j)
{
    (void)j;
    ++*(int *)ctx;
    return 0;
}

static void test_jobs(void)
{
    struct tr_store *s = open_store("jobs.db");
    if (!s)
        return;
    struct tr_contractor a = contractor("alice", "printers", NULL);
    struct tr_contractor b = contractor("bob", "printers", NULL);
    CHECK(tr_store_contractor_add(s, &a, T0, NULL) == TR_STORE_OK);
    CHECK(tr_store_contractor_add(s, &b, T0, NULL) == TR_STORE_OK);

    /* ids: valid, increasing, unique even in one ms */
    char id1[TR_MSG_ID_SIZE], id2[TR_MSG_ID_SIZE];
    CHECK(tr_store_job_new_id(s, T0, id1) == TR_STORE_OK && tr_msg_valid_msgid(id1));
    CHECK(tr_store_job_new_id(s, T0, id2) == TR_STORE_OK && strcmp(id1, id2) < 0);
    CHECK(tr_store_job_new_id(s, T0 - 5000, id1) == TR_STORE_OK && strcmp(id2, id1) < 0);

    struct tr_store_job j = job_in("Fix the printer", "printers");
    j.job.spec.has_description = true;
    snprintf(j.job.spec.description, sizeof j.job.spec.description, "Paper jam, floor 2 — ünï");
    j.job.site.has_address = true;
    snprintf(j.job.site.address, sizeof j.job.site.address, "1 Main St");
    j.job.has_region = true;
    j.job.region.has_country = true;
    snprintf(j.job.region.country, sizeof j.job.region.country, "US");
    j.has_max_radius_km = true;
    j.max_radius_km = 80;
    struct tr_store_outmsg status = { "truckroll/v1/job/x/status", "{\"a\":1}", 7, 1, true, 0 };
    CHECK(tr_store_job_create(s, &j, "console:ann", "created by hand", T0, &status, 1) ==
          TR_STORE_OK);
    char jid[TR_MSG_ID_SIZE];
    snprintf(jid, sizeof jid, "%s", j.job.job_id);
    CHECK(tr_msg_valid_msgid(jid) && strcmp(id1, jid) < 0);
    CHECK(j.job.state == TR_JOB_NEW && j.job.created == T0 && outbox_count(s) == 1);
    struct tr_store_job g;
    CHECK(tr_store_job_get(s, jid, &g) == TR_STORE_OK);
    CHECK(strcmp(g.job.spec.description, j.job.spec.description) == 0);
    CHECK(g.has_max_radius_km && g.max_radius_km == 80 && g.job.has_region);
    CHECK(g.job.site.radius_m == 100 && !g.job.site.has_radius_m);
    struct tr_store_job assigned = job_in("Assigned", "printers");
    assigned.job.has_assignee = true;
    snprintf(assigned.job.assignee, sizeof assigned.job.assignee, "alice");
    CHECK(tr_store_job_create(s, &assigned, "dispatcher", NULL, T0, NULL, 0) ==
          TR_STORE_ERR_INVALID);
    struct tr_store_job dup = job_in("Again", "printers");
    snprintf(dup.job.job_id, sizeof dup.job.job_id, "%s", jid);
    CHECK(tr_store_job_create(s, &dup, "dispatcher", NULL, T0, NULL, 0) == TR_STORE_ERR_EXISTS);

    /* new -> offered */
    struct tr_store_outmsg offer_msg = {
        "truckroll/v1/agent/alice/inbox", "{}", 2, 1, false, T0 + 30000
    };
    struct tr_store_transition t = { .job_id = jid,
                                     .from = TR_JOB_NEW,
                                     .to = TR_JOB_OFFERED,
                                     .actor = "dispatcher",
                                     .now_ms = T0 + 10,
                                     .new_offer = true,
                                     .offer = { "o1", "alice", T0 + 30000 },
                                     .out = &offer_msg,
                                     .n_out = 1 };
    CHECK(tr_store_job_transition(s, &t, &g) == TR_STORE_OK);
    CHECK(g.job.state == TR_JOB_OFFERED && g.job.has_offer && g.job.attempts == 1);
    CHECK(strcmp(g.job.offer.agent_id, "alice") == 0 && g.job.updated == T0 + 10);
    int pend = -1;
    CHECK(tr_store_contractor_load(s, "alice", NULL, &pend) == TR_STORE_OK && pend == 1);

    /* stale expected state: refused, nothing changes */
    int64_t ob = outbox_count(s);
    size_t ev = event_count(s, jid);
    t.offer = (struct tr_job_offer){ "o1b", "bob", T0 + 30000 };
    CHECK(tr_store_job_transition(s, &t, NULL) == TR_STORE_ERR_CONFLICT);
    CHECK(outbox_count(s) == ob && event_count(s, jid) == ev);
    CHECK(tr_store_job_get(s, jid, &g) == TR_STORE_OK && g.job.attempts == 1 &&
          strcmp(g.job.offer.offer_id, "o1") == 0);
    /* a second pending offer is refused */
    t.from = TR_JOB_OFFERED;
    CHECK(tr_store_job_transition(s, &t, NULL) == TR_STORE_ERR_INVALID);
    CHECK(outbox_count(s) == ob && event_count(s, jid) == ev);

    /* decline o1, offer o2 to bob in the same transition */
    t = (struct tr_store_transition){ .job_id = jid,
                                      .from = TR_JOB_OFFERED,
                                      .to = TR_JOB_OFFERED,
                                      .actor = "alice",
                                      .note = "declined: busy",
                                      .now_ms = T0 + 20,
                                      .expect_offer_id = "o1",
                                      .resolve_offer = true,
                                      .outcome = TR_OFFER_DECLINED,
                                      .has_decline_reason = true,
                                      .decline_reason = TR_DECLINE_BUSY,
                                      .offer_note = "on another call",
                                      .new_offer = true,
                                      .offer = { "o2", "bob", T0 + 40000 } };
    CHECK(tr_store_job_transition(s, &t, &g) == TR_STORE_OK);
    CHECK(g.job.attempts == 2 && strcmp(g.job.offer.offer_id, "o2") == 0);
    /* the answer to o1 arriving again is refused */
    t.now_ms = T0 + 21;
    t.new_offer = false;
    CHECK(tr_store_job_transition(s, &t, NULL) == TR_STORE_ERR_CONFLICT);

    /* o2 expires: unassigned with a reason */
    t = (struct tr_store_transition){ .job_id = jid,
                                      .from = TR_JOB_OFFERED,
                                      .to = TR_JOB_UNASSIGNED,
                                      .actor = "dispatcher",
                                      .now_ms = T0 + 40000,
                                      .resolve_offer = true,
                                      .outcome = TR_OFFER_EXPIRED,
                                      .reason = "everyone declined or timed out" };
    CHECK(tr_store_job_transition(s, &t, &g) == TR_STORE_OK);
    CHECK(!g.job.has_offer && g.job.has_reason && !g.job.has_assignee);
    /* unassigned needs no offer: leaving it offered without one is refused */
    t = (struct tr_store_transition){ .job_id = jid,
                                      .from = TR_JOB_UNASSIGNED,
                                      .to = TR_JOB_OFFERED,
                                      .actor = "dispatcher",
                                      .now_ms = T0 + 50000 };
    CHECK(tr_store_job_transition(s, &t, NULL) == TR_STORE_ERR_INVALID);
    t.new_offer = true;
    t.offer = (struct tr_job_offer){ "o3", "alice", T0 + 80000 };
    t.reason = "";
    CHECK(tr_store_job_transition(s, &t, &g) == TR_STORE_OK && !g.job.has_reason);

    /* accept: wrong offer id refused, right one assigns the offer's agent */
    t = (struct tr_store_transition){ .job_id = jid,
                                      .from = TR_JOB_OFFERED,
                                      .to = TR_JOB_ACCEPTED,
                                      .actor = "alice",
                                      .now_ms = T0 + 60000,
                                      .expect_offer_id = "o2",
                                      .resolve_offer = true,
                                      .outcome = TR_OFFER_ACCEPTED };
    CHECK(tr_store_job_transition(s, &t, NULL) == TR_STORE_ERR_CONFLICT);
    t.expect_offer_id = "o3";
    t.assignee_op = TR_ASSIGNEE_SET;
    t.assignee = "bob";
    CHECK(tr_store_job_transition(s, &t, NULL) == TR_STORE_ERR_INVALID);
    t.assignee_op = TR_ASSIGNEE_KEEP;
    CHECK(tr_store_job_transition(s, &t, &g) == TR_STORE_OK);
    CHECK(g.job.state == TR_JOB_ACCEPTED && g.job.has_assignee &&
          strcmp(g.job.assignee, "alice") == 0 && !g.job.has_offer);
    int act = -1;
    CHECK(tr_store_contractor_load(s, "alice", &act, &pend) == TR_STORE_OK && act == 1 &&
          pend == 0);

    /* alice is at her limit (1): another offer to her is refused */
    struct tr_store_job j2 = job_in("Second", "printers");
    CHECK(tr_store_job_create(s, &j2, "dispatcher", NULL, T0 + 61000, NULL, 0) == TR_STORE_OK);
    t = (struct tr_store_transition){ .job_id = j2.job.job_id,
                                      .from = TR_JOB_NEW,
                                      .to = TR_JOB_OFFERED,
                                      .actor = "dispatcher",
                                      .now_ms = T0 + 62000,
                                      .new_offer = true,
                                      .offer = { "o4", "alice", T0 + 92000 } };
    CHECK(tr_store_job_transition(s, &t, NULL) == TR_STORE_ERR_LIMIT);
    /* and so is assigning it to her by hand */
    t.to = TR_JOB_ACCEPTED;
    t.new_offer = false;
    t.assignee_op = TR_ASSIGNEE_SET;
    t.assignee = "alice";
    CHECK(tr_store_job_transition(s, &t, NULL) == TR_STORE_ERR_LIMIT);
    t.assignee = "nobody";
    CHECK(tr_store_job_transition(s, &t, NULL) == TR_STORE_ERR_NOT_FOUND);

    /* through to completed; final stays final */
    enum tr_job_state path[] = { TR_JOB_ACCEPTED, TR_JOB_EN_ROUTE, TR_JOB_ON_SITE,
                                 TR_JOB_COMPLETED };
    for (int i = 0; i + 1 < 4; i++) {
        t = (struct tr_store_transition){ .job_id = jid,
                                          .from = path[i],
                                          .to = path[i + 1],
                                          .actor = "alice",
                                          .now_ms = T0 + 70000 + i };
        CHECK(tr_store_job_transition(s, &t, &g) == TR_STORE_OK);
    }
    CHECK(g.job.state == TR_JOB_COMPLETED && strcmp(g.job.assignee, "alice") == 0);
    t = (struct tr_store_transition){ .job_id = jid,
                                      .from = TR_JOB_COMPLETED,
                                      .to = TR_JOB_NEW,
                                      .actor = "dispatcher",
                                      .now_ms = T0 + 80000 };
    CHECK(tr_store_job_transition(s, &t, NULL) == TR_STORE_ERR_INVALID);
    CHECK(tr_store_contractor_load(s, "alice", &act, NULL) == TR_STORE_OK && act == 0);

    /* the event log, in order */
    struct tr_store_event *evs = NULL;
    size_t nev = 0;
    CHECK(tr_store_job_events(s, jid, 100, &evs, &nev) == TR_STORE_OK);
    enum tr_job_state want[] = { TR_JOB_NEW,        TR_JOB_OFFERED, TR_JOB_OFFERED,
                                 TR_JOB_UNASSIGNED, TR_JOB_OFFERED, TR_JOB_ACCEPTED,
                                 TR_JOB_EN_ROUTE,   TR_JOB_ON_SITE, TR_JOB_COMPLETED };
    CHECK(nev == 9);
    for (size_t i = 0; i < nev && i < 9; i++) {
        CHECK(evs[i].to == want[i]);
        CHECK(i == 0 ? !evs[i].has_from : evs[i].has_from && evs[i].from == want[i - 1]);
        CHECK(i == 0 || evs[i].seq > evs[i - 1].seq);
    }
    CHECK(nev == 9 && strcmp(evs[0].actor, "console:ann") == 0 &&
          strcmp(evs[0].note, "created by hand") == 0 && strcmp(evs[2].actor, "alice") == 0 &&
          strcmp(evs[2].note, "declined: busy") == 0 && evs[2].ts == T0 + 20);
    free(evs);

    /* offers and their outcomes */
    struct tr_store_offer *offers = NULL;
    size_t noff = 0;
    CHECK(tr_store_job_offers(s, jid, &offers, &noff) == TR_STORE_OK && noff == 3);
    if (noff == 3) {
        CHECK(offers[0].outcome == TR_OFFER_DECLINED && offers[0].has_decline_reason &&
              offers[0].decline_reason == TR_DECLINE_BUSY &&
              strcmp(offers[0].note, "on another call") == 0 && offers[0].answered == T0 + 20);
        CHECK(offers[1].outcome == TR_OFFER_EXPIRED && strcmp(offers[1].agent_id, "bob") == 0);
        CHECK(offers[2].outcome == TR_OFFER_ACCEPTED && offers[2].deadline == T0 + 80000);
    }
    free(offers);
    CHECK(strcmp(tr_store_offer_outcome_name(TR_OFFER_DECLINED), "declined") == 0);

    /* lists */
    struct tr_store_job *jl = NULL;
    size_t nj = 0;
    int64_t total = 0;
    CHECK(tr_store_job_list(s, NULL, 10, 0, &jl, &nj, &total, NULL) == TR_STORE_OK);
    CHECK(nj == 2 && total == 2 && strcmp(jl[0].job.job_id, j2.job.job_id) == 0);
    free(jl);
    enum tr_job_state st = TR_JOB_COMPLETED;
    CHECK(tr_store_job_list(s, &st, 10, 0, &jl, &nj, &total, NULL) == TR_STORE_OK);
    CHECK(nj == 1 && total == 1 && strcmp(jl[0].job.job_id, jid) == 0);
    free(jl);
    int nopen = 0;
    CHECK(tr_store_jobs_open(s, open_cb, &nopen, NULL) == TR_STORE_OK && nopen == 1);

    /* a pending offer for startup */
    struct tr_store_job j3 = job_in("Third", "printers");
    CHECK(tr_store_job_create(s, &j3, "dispatcher", NULL, T0 + 90000, NULL, 0) == TR_STORE_OK);
    t = (struct tr_store_transition){ .job_id = j3.job.job_id,
                                      .from = TR_JOB_NEW,
                                      .to = TR_JOB_OFFERED,
                                      .actor = "dispatcher",
                                      .now_ms = T0 + 90001,
                                      .new_offer = true,
                                      .offer = { "o5", "bob", T0 + 120000 } };
    CHECK(tr_store_job_transition(s, &t, NULL) == TR_STORE_OK);
    struct pending_ctx pc = { 0 };
    CHECK(tr_store_offers_pending(s, pending_cb, &pc, NULL) == TR_STORE_OK);
    CHECK(pc.n == 1 && strcmp(pc.last, "o5") == 0);
    /* offer ids are unique across jobs */
    t.job_id = j2.job.job_id;
    t.offer = (struct tr_job_offer){ "o5", "bob", T0 + 120000 };
    CHECK(tr_store_job_transition(s, &t, NULL) != TR_STORE_OK);
    tr_store_close(s);

    /* the log is append-only even for SQL */
    char sql[200];
    snprintf(sql, sizeof sql, "UPDATE job_event SET note = 'x'");
    char p[256];
    path_of(p, sizeof p, "jobs.db");
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(p, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK);
    CHECK(sqlite3_exec(db, "DELETE FROM job_event", NULL, NULL, NULL) != SQLITE_OK);
    sqlite3_close(db);

    /* reopen keeps everything */
    s = open_store("jobs.db");
    if (!s)
        return;
    CHECK(tr_store_job_get(s, jid, &g) == TR_STORE_OK && g.job.state == TR_JOB_COMPLETED);
    CHECK(event_count(s, jid) == 9);
    CHECK(tr_store_job_get(s, j3.job.job_id, &g) == TR_STORE_OK && g.job.has_offer &&
          strcmp(g.job.offer.offer_id, "o5") == 0);
    char id3[TR_MSG_ID_SIZE];
    CHECK(tr_store_job_new_id(s, T0, id3) == TR_STORE_OK && strcmp(id3, j3.job.job_id) > 0);
    CHECK(tr_store_check(s) == TR_STORE_OK);
    tr_store_close(s);
}

/* ---------------------------------------------------------------- outbox */

static void test_outbox(void)
{
    struct tr_store *s = open_store("out.db");
    if (!s)
        return;
    struct tr_store_outmsg m[3] = {
        { "truckroll/v1/agent/a/inbox", "one", 3, 1, false, 0 },
        { "truckroll/v1/agent/b/inbox", "two", 3, 1, false, T0 + 1000 },
        { "truckroll/v1/job/j/status", "three", 5, 1, true, 0 },
    };
    CHECK(tr_store_outbox_enqueue(s, m, 3, T0) == TR_STORE_OK);
    struct tr_store_outmsg bad = { "truckroll/v1/#", "x", 1, 1, false, 0 };
    CHECK(tr_store_outbox_enqueue(s, &bad, 1, T0) == TR_STORE_ERR_INVALID);
    bad.topic = "ok/topic";
    bad.qos = 3;
    CHECK(tr_store_outbox_enqueue(s, &bad, 1, T0) == TR_STORE_ERR_INVALID);
    struct tr_store_outbox_row *rows = NULL;
    size_t n = 0;
    CHECK(tr_store_outbox_pending(s, 0, 10, &rows, &n, NULL) == TR_STORE_OK && n == 3);
    int64_t ids[3] = { 0 };
    for (size_t i = 0; i < n && i < 3; i++)
        ids[i] = rows[i].id;
    if (n == 3) {
        CHECK(rows[0].len == 3 && memcmp(rows[0].payload, "one", 3) == 0 && rows[0].qos == 1);
        CHECK(rows[1].expiry_at == T0 + 1000 && rows[0].expiry_at == 0);
        CHECK(rows[2].retain && strcmp(rows[2].topic, "truckroll/v1/job/j/status") == 0);
        CHECK(rows[0].id < rows[1].id && rows[1].id < rows[2].id);
    }
    tr_store_outbox_rows_free(rows, n);
    /* cursor */
    CHECK(tr_store_outbox_pending(s, ids[0], 10, &rows, &n, NULL) == TR_STORE_OK && n == 2);
    tr_store_outbox_rows_free(rows, n);
    CHECK(tr_store_outbox_delete(s, ids, 1) == TR_STORE_OK);
    tr_store_close(s);

    /* after a restart everything still there goes out again */
    s = open_store("out.db");
    if (!s)
        return;
    CHECK(tr_store_outbox_pending(s, 0, 10, &rows, &n, NULL) == TR_STORE_OK && n == 2);
    CHECK(n == 2 && rows[0].id == ids[1]);
    tr_store_outbox_rows_free(rows, n);
    CHECK(tr_store_outbox_delete(s, ids + 1, 2) == TR_STORE_OK);
    CHECK(outbox_count(s) == 0);
    /* ids are never reused */
    CHECK(tr_store_outbox_enqueue(s, m, 1, T0) == TR_STORE_OK);
    CHECK(tr_store_outbox_pending(s, 0, 10, &rows, &n, NULL) == TR_STORE_OK && n == 1);
    CHECK(n == 1 && rows[0].id > ids[2]);
    tr_store_outbox_rows_free(rows, n);
    tr_store_close(s);
}

/* ---------------------------------------------------------------- positions */

static struct tr_store_position pos(const char *agent, const char *boot, int64_t seq,
                                    int64_t received)
{
    struct tr_store_position p;
    memset(&p, 0, sizeof p);
    snprintf(p.agent_id, sizeof p.agent_id, "%s", agent);
    snprintf(p.boot_id, sizeof p.boot_id, "%s", boot);
    p.fix.seq = seq;
    p.fix.t = received - 100;
    p.fix.lat = 41.0 + (double)seq * 1e-4;
    p.fix.lon = -87.0;
    p.fix.mode = 3;
    p.fix.has_speed = true;
    p.fix.speed = 12.5;
    p.received = received;
    return p;
}

struct hw {
    int n;
    int64_t a1, a2, a3, b1;
};

static int hw_cb(void *ctx, const char *agent, const char *boot, int64_t seq)
{
    struct hw *h = ctx;
    h->n++;
    if (strcmp(agent, "a") == 0 && strcmp(boot, "boot1") == 0)
        h->a1 = seq;
    if (strcmp(agent, "a") == 0 && strcmp(boot, "boot2") == 0)
        h->a2 = seq;
    if (strcmp(agent, "a") == 0 && strcmp(boot, "boot3") == 0)
        h->a3 = seq;
    if (strcmp(agent, "b") == 0 && strcmp(boot, "boot1") == 0)
        h->b1 = seq;
    return 0;
}

struct newest {
    int n;
    struct tr_store_position a;
};

static int newest_cb(void *ctx, const struct tr_store_position *p)
{
    struct newest *nw = ctx;
    nw->n++;
    if (strcmp(p->agent_id, "a") == 0)
        nw->a = *p;
    return 0;
}

static void test_positions(void)
{
    struct tr_store *s = open_store("pos.db");
    if (!s)
        return;
    struct tr_store_position batch[6] = {
        pos("a", "boot1", 1, T0),     pos("a", "boot1", 2, T0 + 1), pos("b", "boot1", 7, T0 + 2),
        pos("a", "boot1", 3, T0 + 3), pos("b", "boot1", 8, T0 + 4), pos("a", "boot1", 4, T0 + 5),
    };
    batch[5].fix.lat = 91; /* rejected */
    size_t rejected = 0;
    CHECK(tr_store_positions_append(s, batch, 6, &rejected) == TR_STORE_OK && rejected == 1);
    struct tr_store_position last[3] = { batch[3], batch[4], pos("a", "boot0", 5, T0 - 10) };
    CHECK(tr_store_last_positions_flush(s, last, 3, &rejected) == TR_STORE_OK && rejected == 0);
    /* an older snapshot never lowers the high water */
    struct tr_store_position older = batch[0];
    CHECK(tr_store_last_positions_flush(s, &older, 1, NULL) == TR_STORE_OK);
    /* appended after the last flush, then a crash (no flush) */
    struct tr_store_position later[2] = { pos("a", "boot2", 1, T0 + 100000),
                                          pos("a", "boot1", 9, T0 + 100001) };
    later[0].fix.t = T0 + 200000; /* the newest fix of agent a */
    CHECK(tr_store_positions_append(s, later, 2, NULL) == TR_STORE_OK);
    struct hw h = { 0 };
    CHECK(tr_store_positions_high_water(s, hw_cb, &h, NULL) == TR_STORE_OK);
    CHECK(h.n == 3 && h.a1 == 3 && h.b1 == 8);
    tr_store_close(s);

    s = open_store("pos.db");
    if (!s)
        return;
    memset(&h, 0, sizeof h);
    CHECK(tr_store_positions_high_water(s, hw_cb, &h, NULL) == TR_STORE_OK);
    CHECK(h.n == 4 && h.a1 == 9 && h.a2 == 1 && h.b1 == 8);
    struct newest nw = { 0 };
    CHECK(tr_store_last_positions_each(s, newest_cb, &nw, NULL) == TR_STORE_OK);
    CHECK(nw.n == 2 && strcmp(nw.a.boot_id, "boot2") == 0 && nw.a.fix.has_speed &&
          nw.a.fix.speed == 12.5 && !nw.a.fix.has_acc);
    int64_t count = 0;
    CHECK(tr_store_positions_count(s, &count) == TR_STORE_OK && count == 7);
    /* retention: the 5 rows received before T0 + 50000, in chunks of 2 */
    size_t del = 0, total = 0;
    do {
        CHECK(tr_store_positions_prune(s, T0 + 50000, 2, &del) == TR_STORE_OK);
        total += del;
    } while (del == 2 && total < 100);
    CHECK(total == 5);
    CHECK(tr_store_positions_count(s, &count) == TR_STORE_OK && count == 2);
    /* old boot rows go, each agent's newest stays */
    memset(&h, 0, sizeof h);
    CHECK(tr_store_positions_high_water(s, hw_cb, &h, NULL) == TR_STORE_OK);
    CHECK(h.n == 3 && h.a1 == 9 && h.a2 == 1 && h.b1 == 8);
    CHECK(tr_store_check(s) == TR_STORE_OK);
    /* everything pruned, then rows appended and a crash before the next
     * flush: the new rows reuse low rowids, and the fold must still take them */
    do {
        CHECK(tr_store_positions_prune(s, T0 + 10000000, 100, &del) == TR_STORE_OK);
    } while (del == 100);
    CHECK(tr_store_positions_count(s, &count) == TR_STORE_OK && count == 0);
    struct tr_store_position again = pos("a", "boot3", 4, T0 + 20000000);
    CHECK(tr_store_positions_append(s, &again, 1, NULL) == TR_STORE_OK);
    tr_store_close(s);
    s = open_store("pos.db");
    if (!s)
        return;
    memset(&h, 0, sizeof h);
    CHECK(tr_store_positions_high_water(s, hw_cb, &h, NULL) == TR_STORE_OK);
    CHECK(h.a3 == 4);
    tr_store_close(s);
}

/* ---------------------------------------------------------------- files */

/* Frozen copy of schema v1 as released (dispatcher/store/store_schema.c). */
static const char v1_sql[] =
    "CREATE TABLE skill (bit INTEGER PRIMARY KEY CHECK (bit BETWEEN 0 AND 63), name TEXT NOT "
    "NULL UNIQUE, created INTEGER NOT NULL);"
    "CREATE TABLE contractor (id INTEGER PRIMARY KEY, contractor_id TEXT NOT NULL UNIQUE, name "
    "TEXT NOT NULL, skills INTEGER NOT NULL, languages TEXT NOT NULL, tier INTEGER, travel_mode "
    "INTEGER, radius_km REAL, job_limit INTEGER, timezone TEXT NOT NULL, hours TEXT, "
    "pay_currency TEXT, pay_per_hour INTEGER, pay_per_incident INTEGER, home_lat REAL, home_lon "
    "REAL, active INTEGER, created INTEGER NOT NULL, updated INTEGER NOT NULL);"
    "CREATE TABLE job (id INTEGER PRIMARY KEY, job_id TEXT NOT NULL UNIQUE, state INTEGER NOT "
    "NULL CHECK (state BETWEEN 0 AND 9), title TEXT NOT NULL, description TEXT, skills TEXT NOT "
    "NULL, language TEXT, priority INTEGER, tier INTEGER, window_start INTEGER, window_end "
    "INTEGER, pay_currency TEXT, pay_per_hour INTEGER, pay_per_incident INTEGER, site_lat REAL "
    "NOT NULL, site_lon REAL NOT NULL, site_address TEXT, site_radius_m INTEGER, has_region "
    "INTEGER NOT NULL DEFAULT 0, country TEXT, region_state TEXT, state_fips TEXT, county_fips "
    "TEXT, county TEXT, max_radius_km REAL, relax_language INTEGER NOT NULL DEFAULT 0, assignee "
    "TEXT REFERENCES contractor(contractor_id), attempts INTEGER NOT NULL DEFAULT 0, reason "
    "TEXT, created INTEGER NOT NULL, updated INTEGER NOT NULL, CHECK (state NOT IN (2, 3, 4) OR "
    "assignee IS NOT NULL));"
    "CREATE INDEX job_assignee_active ON job(assignee) WHERE state IN (2, 3, 4);"
    "CREATE TABLE offer (id INTEGER PRIMARY KEY, offer_id TEXT NOT NULL UNIQUE, job INTEGER NOT "
    "NULL REFERENCES job(id), agent_id TEXT NOT NULL REFERENCES contractor(contractor_id), "
    "created INTEGER NOT NULL, deadline INTEGER NOT NULL, outcome INTEGER NOT NULL DEFAULT 0 "
    "CHECK (outcome BETWEEN 0 AND 4), decline_reason INTEGER, note TEXT, answered INTEGER);"
    "CREATE INDEX offer_job ON offer(job, id);"
    "CREATE UNIQUE INDEX offer_one_pending ON offer(job) WHERE outcome = 0;"
    "CREATE INDEX offer_agent_pending ON offer(agent_id) WHERE outcome = 0;"
    "CREATE INDEX offer_pending_deadline ON offer(deadline) WHERE outcome = 0;"
    "CREATE TABLE job_event (id INTEGER PRIMARY KEY AUTOINCREMENT, job INTEGER NOT NULL "
    "REFERENCES job(id), ts INTEGER NOT NULL, from_state INTEGER, to_state INTEGER NOT NULL, "
    "actor TEXT NOT NULL, note TEXT);"
    "CREATE INDEX job_event_job ON job_event(job, id);"
    "CREATE TRIGGER job_event_no_update BEFORE UPDATE ON job_event BEGIN SELECT RAISE(ABORT, "
    "'job_event is append-only'); END;"
    "CREATE TRIGGER job_event_no_delete BEFORE DELETE ON job_event BEGIN SELECT RAISE(ABORT, "
    "'job_event is append-only'); END;"
    "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, payload "
    "BLOB NOT NULL, qos INTEGER NOT NULL CHECK (qos BETWEEN 0 AND 2), retain INTEGER NOT NULL "
    "CHECK (retain IN (0, 1)), created INTEGER NOT NULL);"
    /* data as v1 wrote it */
    "INSERT INTO skill VALUES (0, 'printers', 1700000000000);"
    "INSERT INTO contractor VALUES (1, 'alice', 'Alice', 1, 'en fr-CA', 2, NULL, 30.5, NULL, "
    "'Europe/Paris', '1 09:00-17:00', 'EUR', 3000, NULL, NULL, NULL, NULL, 1700000000000, "
    "1700000000000);"
    "INSERT INTO job (id, job_id, state, title, skills, site_lat, site_lon, created, updated, "
    "assignee) VALUES (1, 'j-0loyw3v28-0005', 2, 'Old job', 'printers', 48.85, 2.35, "
    "1700000000000, 1700000000100, 'alice');"
    "INSERT INTO offer VALUES (1, 'old-offer', 1, 'alice', 1700000000050, 1700000030000, 1, "
    "NULL, NULL, 1700000000100);"
    "INSERT INTO job_event VALUES (1, 1, 1700000000000, NULL, 0, 'console:ops', "
    "'created by console:ops (request r-17)');"
    "INSERT INTO outbox VALUES (1, 'truckroll/v1/job/j/status', X'7B7D', 1, 1, 1700000000100);"
    "PRAGMA user_version = 1; PRAGMA application_id = 1414679345;";

/* A console request's job is found by (actor, request) however old; a
 * second job for the same pair is refused and changes nothing. */
static void test_job_request(void)
{
    struct tr_store *s = open_store("req.db");
    if (!s)
        return;
    struct tr_store_job byreq = job_in("By request", "printers");
    CHECK(tr_store_job_create_for(s, &byreq, "console:ann", "req-1", NULL, T0, NULL, 0) ==
          TR_STORE_OK);
    char found[TR_MSG_ID_SIZE];
    CHECK(tr_store_job_by_request(s, "console:ann", "req-1", found) == TR_STORE_OK &&
          strcmp(found, byreq.job.job_id) == 0);
    CHECK(tr_store_job_by_request(s, "console:bob", "req-1", found) == TR_STORE_ERR_NOT_FOUND);
    struct tr_store_job again = job_in("By request again", "printers");
    CHECK(tr_store_job_create_for(s, &again, "console:ann", "req-1", NULL, T0, NULL, 0) ==
          TR_STORE_ERR_EXISTS);
    CHECK(tr_store_job_create_for(s, &again, "console:ann", "bad/id", NULL, T0, NULL, 0) ==
          TR_STORE_ERR_INVALID);
    int64_t total = 0;
    struct tr_store_job *jl = NULL;
    size_t nj = 0;
    CHECK(tr_store_job_list(s, NULL, 10, 0, &jl, &nj, &total, NULL) == TR_STORE_OK && total == 1);
    free(jl);
    tr_store_close(s);
}

static void test_migration(void)
{
    exec_sql("v1.db", v1_sql);
    CHECK(query_int("v1.db", "PRAGMA user_version") == 1);
    struct tr_store *s = open_store("v1.db");
    if (!s)
        return;
    struct tr_contractor c;
    CHECK(tr_store_contractor_get(s, "alice", &c, NULL) == TR_STORE_OK);
    CHECK(c.n_languages == 2 && strcmp(c.languages[1], "fr-CA") == 0 && c.tier == 2);
    CHECK(c.has_hours && c.n_hours == 1 && c.pay.per_hour_cents == 3000);
    struct tr_store_job j;
    CHECK(tr_store_job_get(s, "j-0loyw3v28-0005", &j) == TR_STORE_OK);
    CHECK(j.job.state == TR_JOB_ACCEPTED && strcmp(j.job.assignee, "alice") == 0);
    int act = 0;
    CHECK(tr_store_contractor_load(s, "alice", &act, NULL) == TR_STORE_OK && act == 1);
    struct tr_store_outbox_row *rows = NULL;
    size_t n = 0;
    CHECK(tr_store_outbox_pending(s, 0, 10, &rows, &n, NULL) == TR_STORE_OK && n == 1);
    CHECK(n == 1 && rows[0].expiry_at == 0 && rows[0].len == 2);
    tr_store_outbox_rows_free(rows, n);
    struct tr_store_outmsg m = { "a/b", "x", 1, 0, false, T0 + 5 };
    CHECK(tr_store_outbox_enqueue(s, &m, 1, T0) == TR_STORE_OK);
    /* new ids sort after the migrated ones */
    char id[TR_MSG_ID_SIZE];
    CHECK(tr_store_job_new_id(s, 946684800000LL, id) == TR_STORE_OK &&
          strcmp(id, "j-0loyw3v28-0005") > 0);
    /* v3 filled job_request from the jobs' first events */
    CHECK(tr_store_job_by_request(s, "console:ops", "r-17", id) == TR_STORE_OK &&
          strcmp(id, "j-0loyw3v28-0005") == 0);
    CHECK(tr_store_job_by_request(s, "console:ops", "r-18", id) == TR_STORE_ERR_NOT_FOUND);
    CHECK(tr_store_check(s) == TR_STORE_OK);
    tr_store_close(s);
    CHECK(query_int("v1.db", "PRAGMA user_version") == TR_STORE_SCHEMA_VERSION);
    CHECK(query_int("v1.db", "SELECT count(*) FROM sqlite_schema WHERE name = 'job_state'") == 1);
}

static void test_refusals(void)
{
    char p[256], err[256];
    struct tr_store *s = NULL;

    /* a newer schema */
    s = open_store("future.db");
    tr_store_close(s);
    exec_sql("future.db", "PRAGMA user_version = 99");
    path_of(p, sizeof p, "future.db");
    CHECK(tr_store_open(p, 0, &s, err, sizeof err) == TR_STORE_ERR_VERSION && !s);
    CHECK(strstr(err, "99") != NULL && strstr(err, "newer") != NULL);

    /* garbage */
    path_of(p, sizeof p, "garbage.db");
    FILE *f = fopen(p, "wb");
    CHECK(f != NULL);
    if (f) {
        for (int i = 0; i < 8192; i++)
            fputc((i * 7919 + 13) & 0xff, f);
        fclose(f);
    }
    CHECK(tr_store_open(p, TR_STORE_CREATE, &s, err, sizeof err) == TR_STORE_ERR_CORRUPT && !s);

    /* someone else's SQLite database */
    exec_sql("other.db", "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
    path_of(p, sizeof p, "other.db");
    CHECK(tr_store_open(p, TR_STORE_CREATE, &s, err, sizeof err) == TR_STORE_ERR_CORRUPT && !s);
    CHECK(query_int("other.db", "SELECT count(*) FROM t") == 1); /* untouched */

    /* missing file without CREATE; bad arguments */
    path_of(p, sizeof p, "missing.db");
    CHECK(tr_store_open(p, 0, &s, err, sizeof err) == TR_STORE_ERR_IO && !s);
    CHECK(tr_store_open("", 0, &s, err, sizeof err) == TR_STORE_ERR_INVALID);
    CHECK(tr_store_open(p, 0, NULL, NULL, 0) == TR_STORE_ERR_INVALID);
    tr_store_close(NULL);
    CHECK(strcmp(tr_store_strerror(TR_STORE_ERR_CONFLICT), "conflict") == 0);
}

static void test_tampered(void)
{
    struct tr_store *s = open_store("tamper.db");
    if (!s)
        return;
    const char *ids[] = { "c1", "c2", "c3" };
    for (int i = 0; i < 3; i++) {
        struct tr_contractor c = contractor(ids[i], "printers", NULL);
        CHECK(tr_store_contractor_add(s, &c, T0, NULL) == TR_STORE_OK);
    }
    char jids[3][TR_MSG_ID_SIZE];
    for (int i = 0; i < 3; i++) {
        struct tr_store_job j = job_in("Job", "printers");
        CHECK(tr_store_job_create(s, &j, "dispatcher", NULL, T0, NULL, 0) == TR_STORE_OK);
        snprintf(jids[i], sizeof jids[i], "%s", j.job.job_id);
    }
    struct tr_store_position p = pos("c1", "b", 1, T0);
    CHECK(tr_store_last_positions_flush(s, &p, 1, NULL) == TR_STORE_OK);
    tr_store_close(s);

    exec_sql("tamper.db", "UPDATE contractor SET timezone = 'no zone!' WHERE contractor_id = 'c2';"
                          "UPDATE contractor SET skills = 1024 WHERE contractor_id = 'c3';");
    char sql[300];
    snprintf(sql, sizeof sql,
             "UPDATE job SET site_lat = 'north' WHERE job_id = '%s';"
             "UPDATE job SET title = '' WHERE job_id = '%s';",
             jids[0], jids[1]);
    exec_sql("tamper.db", sql);
    exec_sql("tamper.db-positions", "UPDATE last_position SET lat = 1e999");

    s = open_store("tamper.db");
    if (!s)
        return;
    struct tr_contractor c;
    CHECK(tr_store_contractor_get(s, "c1", &c, NULL) == TR_STORE_OK);
    CHECK(tr_store_contractor_get(s, "c2", &c, NULL) == TR_STORE_ERR_CORRUPT);
    CHECK(strstr(tr_store_errmsg(s), "timezone") != NULL);
    CHECK(tr_store_contractor_get(s, "c3", &c, NULL) == TR_STORE_ERR_CORRUPT);
    struct tr_contractor *list = NULL;
    size_t n = 0, corrupt = 0;
    struct tr_store_contractor_filter f = { .active = -1, .limit = 10 };
    CHECK(tr_store_contractor_list(s, &f, &list, &n, NULL, &corrupt) == TR_STORE_OK);
    CHECK(n == 1 && corrupt == 2);
    free(list);
    int count = 0;
    CHECK(tr_store_contractors_each(s, count_cb, &count, &corrupt) == TR_STORE_OK);
    CHECK(count == 1 && corrupt == 2);
    struct tr_store_job j;
    CHECK(tr_store_job_get(s, jids[0], &j) == TR_STORE_ERR_CORRUPT);
    CHECK(tr_store_job_get(s, jids[1], &j) == TR_STORE_ERR_CORRUPT);
    CHECK(tr_store_job_get(s, jids[2], &j) == TR_STORE_OK);
    struct tr_store_job *jl = NULL;
    CHECK(tr_store_job_list(s, NULL, 10, 0, &jl, &n, NULL, &corrupt) == TR_STORE_OK);
    CHECK(n == 1 && corrupt == 2);
    free(jl);
    count = 0;
    CHECK(tr_store_jobs_open(s, open_cb, &count, &corrupt) == TR_STORE_OK);
    CHECK(count == 1 && corrupt == 2);
    /* a transition on a damaged job is refused, not applied */
    struct tr_store_transition t = { .job_id = jids[1],
                                     .from = TR_JOB_NEW,
                                     .to = TR_JOB_CANCELLED,
                                     .actor = "dispatcher",
                                     .now_ms = T0 + 1 };
    CHECK(tr_store_job_transition(s, &t, NULL) == TR_STORE_ERR_CORRUPT);
    struct hw h = { 0 };
    CHECK(tr_store_positions_high_water(s, hw_cb, &h, &corrupt) == TR_STORE_OK);
    CHECK(h.n == 0 && corrupt == 1);
    tr_store_close(s);
}

static void test_memory(void)
{
    struct tr_store *s = NULL;
    char err[128];
    CHECK(tr_store_open(":memory:", TR_STORE_CREATE, &s, err, sizeof err) == TR_STORE_OK);
    if (!s)
        return;
    struct tr_contractor c = contractor("m", "printers", NULL);
    CHECK(tr_store_contractor_add(s, &c, T0, NULL) == TR_STORE_OK);
    struct tr_store_position p = pos("m", "b", 1, T0);
    CHECK(tr_store_positions_append(s, &p, 1, NULL) == TR_STORE_OK);
    CHECK(tr_store_check(s) == TR_STORE_OK);
    tr_store_close(s);
}

int main(void)
{
    if (tr_test_tmpdir(dir, sizeof dir, "tr_store_") != 0)
        return 1;
    test_contractors();
    test_skills();
    test_jobs();
    test_outbox();
    test_positions();
    test_migration();
    test_job_request();
    test_refusals();
    test_tampered();
    test_memory();
    tr_test_tmpdir_remove(dir);
    return check_report("test_store");
}
