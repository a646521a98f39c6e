/*
 * tests/integration/test_e2e_directory.c: directory.query and coverage.query
 * end to end through a real mosquitto and the real truckrolld (with the
 * real boundaries) on a seeded fleet:
 *
 *   - contractors in Travis and Harris County TX, Cook County IL (one
 *     online, one only with a home) and Madrid, ES (working hours in UTC);
 *   - directory by country, state (postal and FIPS), county (name and FIPS),
 *     skill, language, availability; sorted by distance from a point; the
 *     answers carry the region and never the position;
 *   - bad queries: an ambiguous county name (the choices in the message),
 *     unknown county / country / skill (not_found), malformed arguments;
 *   - coverage per county of Texas (counts and the gap counties), per
 *     country, and the UTC hours nobody covers;
 *   - nothing changed (contractor.list before and after);
 *   - without boundary data both requests are `unavailable`.
 *
 *   - the console: `truckroll directory` (table, --csv, --json) and
 *     `truckroll coverage` against the same dispatcher.
 *
 * No timing assertions. argv[1]: truckrolld, argv[2]: geo.bin, argv[3]
 * (optional): truckroll.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/support/check.h"
#include "tests/support/dispatcher_harness.h"

#define WAIT 10000

#define AUSTIN_LAT  30.2672
#define AUSTIN_LON  (-97.7431)
#define HOUSTON_LAT 29.7604
#define HOUSTON_LON (-95.3698)
#define CHICAGO_LAT 41.8781
#define CHICAGO_LON (-87.6298)
#define MADRID_LAT  40.4168
#define MADRID_LON  (-3.7038)

static struct trd d;
static struct trd_console *con;

static const char *const ids[] = { "tx-es", "tx-en", "hou-en", "il-es", "md-es" };
#define N_AGENTS (sizeof(ids) / sizeof(ids[0]))
static struct trd_agent *pool[N_AGENTS];

static int ask(const char *type, const char *args, struct tr_msg *m)
{
    int rc = trd_request(con, type, args, m, NULL, WAIT);
    CHECK_MSG(rc == 0, "%s %s: no answer", type, args);
    if (rc != 0)
        memset(m, 0, sizeof(*m));
    return rc;
}

/* directory.query: the result's contractor count, -1 on an error answer. */
static long dir(const char *args, struct tr_msg *m)
{
    if (ask("directory.query", args, m) != 0)
        return -1;
    if (m->type != TR_MSG_RESPONSE) {
        CHECK_MSG(0, "directory %s: %s", args, m->type == TR_MSG_ERROR ? m->u.error.message : "?");
        return -1;
    }
    const struct tr_result *x = &m->u.response.result;
    for (size_t i = 0; i < x->n_contractors; i++)
        CHECK_MSG(!x->contractors[i].has_lat && !x->contractors[i].has_lon,
                  "directory shows the position of %s", x->contractors[i].c.contractor_id);
    return (long)x->n_contractors;
}

static bool has_id(const struct tr_msg *m, const char *id)
{
    const struct tr_result *x = &m->u.response.result;
    for (size_t i = 0; i < x->n_contractors; i++)
        if (strcmp(x->contractors[i].c.contractor_id, id) == 0)
            return true;
    return false;
}

/* An `error` answer with this code (message in *m). */
static bool err_is(const char *type, const char *args, enum tr_wire_code code, struct tr_msg *m)
{
    if (ask(type, args, m) != 0)
        return false;
    bool ok = m->type == TR_MSG_ERROR && m->u.error.code == code;
    CHECK_MSG(ok, "%s %s: expected %s, got %s", type, args, tr_msg_wire_code_name(code),
              m->type == TR_MSG_ERROR ? tr_msg_wire_code_name(m->u.error.code) : "a response");
    return ok;
}

static void seed(void)
{
    static const char every_day_9_17[] =
        "\"hours\":[{\"day\":1,\"start\":\"09:00\",\"end\":\"17:00\"},"
        "{\"day\":2,\"start\":\"09:00\",\"end\":\"17:00\"},"
        "{\"day\":3,\"start\":\"09:00\",\"end\":\"17:00\"},"
        "{\"day\":4,\"start\":\"09:00\",\"end\":\"17:00\"},"
        "{\"day\":5,\"start\":\"09:00\",\"end\":\"17:00\"},"
        "{\"day\":6,\"start\":\"09:00\",\"end\":\"17:00\"},"
        "{\"day\":7,\"start\":\"09:00\",\"end\":\"17:00\"}]";
    char home[200];
    CHECK(trd_enroll(con, pool[0], "hdd-install", "es,en", NULL, NULL, AUSTIN_LAT, AUSTIN_LON) ==
          0);
    CHECK(trd_enroll(con, pool[1], "hdd-install", "en", NULL, NULL, AUSTIN_LAT + 0.05,
                     AUSTIN_LON) == 0);
    CHECK(trd_enroll(con, pool[2], "hdd-install", "en", NULL, NULL, HOUSTON_LAT, HOUSTON_LON) == 0);
    CHECK(trd_enroll(con, pool[3], "hdd-install", "es-MX", NULL, NULL, CHICAGO_LAT, CHICAGO_LON) ==
          0);
    CHECK(trd_enroll(con, pool[4], "hdd-install,dir-network", "es", NULL, NULL, MADRID_LAT,
                     MADRID_LON) == 0);
    /* hours after enrolment (which waits until available, so on shift) */
    char upd[1200];
    struct tr_msg m;
    snprintf(upd, sizeof(upd), "{\"contractor_id\":\"md-es\",%s}", every_day_9_17);
    if (ask("contractor.update", upd, &m) == 0)
        CHECK_MSG(m.type == TR_MSG_RESPONSE, "update: %s",
                  m.type == TR_MSG_ERROR ? m.u.error.message : "?");
    tr_msg_free(&m);
    /* never online: placed by its home only */
    snprintf(home, sizeof(home), "\"home\":{\"lat\":%.4f,\"lon\":%.4f}", CHICAGO_LAT + 0.02,
             CHICAGO_LON);
    CHECK(trd_contractor_add(con, "il-home", "hdd-install", "en", "UTC", home) == 0);
}

static void test_directory(void)
{
    struct tr_msg m;
    /* the example */
    CHECK(dir("{\"country\":\"US\",\"state\":\"TX\",\"county\":\"travis\",\"skill\":"
              "\"hdd-install\",\"language\":\"es\",\"available\":true}",
              &m) == 1);
    if (m.type == TR_MSG_RESPONSE && m.u.response.result.n_contractors == 1) {
        const struct tr_contractor_view *v = &m.u.response.result.contractors[0];
        CHECK(strcmp(v->c.contractor_id, "tx-es") == 0);
        CHECK(v->has_region && strcmp(v->region.county, "Travis") == 0 &&
              strcmp(v->region.county_fips, "48453") == 0 && strcmp(v->region.state, "TX") == 0 &&
              strcmp(v->region.country, "US") == 0);
        CHECK(v->has_available && v->available);
    }
    tr_msg_free(&m);
    /* county by FIPS, no state */
    CHECK(dir("{\"county\":\"48453\"}", &m) == 2 && has_id(&m, "tx-es") && has_id(&m, "tx-en"));
    CHECK(m.u.response.result.total == 2);
    tr_msg_free(&m);
    /* county name with a suffix and state in the name */
    CHECK(dir("{\"county\":\"Travis County, Texas\"}", &m) == 2);
    tr_msg_free(&m);
    /* state by FIPS and by postal code */
    CHECK(dir("{\"state\":\"48\"}", &m) == 3 && has_id(&m, "hou-en"));
    tr_msg_free(&m);
    CHECK(dir("{\"country\":\"US\",\"state\":\"IL\"}", &m) == 2 && has_id(&m, "il-home"));
    tr_msg_free(&m);
    /* Cook: one online and available, one known only by its home */
    CHECK(dir("{\"county\":\"Cook\",\"state\":\"IL\",\"available\":true}", &m) == 1 &&
          has_id(&m, "il-es"));
    tr_msg_free(&m);
    CHECK(dir("{\"county\":\"17031\",\"available\":false}", &m) == 1 && has_id(&m, "il-home"));
    if (m.type == TR_MSG_RESPONSE && m.u.response.result.n_contractors == 1)
        CHECK(strcmp(m.u.response.result.contractors[0].region.county, "Cook") == 0);
    tr_msg_free(&m);
    /* country */
    CHECK(dir("{\"country\":\"ES\"}", &m) == 1 && has_id(&m, "md-es"));
    if (m.type == TR_MSG_RESPONSE && m.u.response.result.n_contractors == 1) {
        const struct tr_contractor_view *v = &m.u.response.result.contractors[0];
        CHECK(v->has_region && strcmp(v->region.country, "ES") == 0 && !v->region.has_county);
    }
    tr_msg_free(&m);
    /* language (es matches es-MX) and skill */
    CHECK(dir("{\"language\":\"es\"}", &m) == 3 && has_id(&m, "il-es") && has_id(&m, "md-es"));
    tr_msg_free(&m);
    CHECK(dir("{\"skill\":\"dir-network\"}", &m) == 1 && has_id(&m, "md-es"));
    tr_msg_free(&m);
    /* sorted by id without a point */
    CHECK(dir("{}", &m) == 6);
    if (m.type == TR_MSG_RESPONSE && m.u.response.result.n_contractors == 6)
        CHECK(strcmp(m.u.response.result.contractors[0].c.contractor_id, "hou-en") == 0 &&
              strcmp(m.u.response.result.contractors[5].c.contractor_id, "tx-es") == 0);
    tr_msg_free(&m);
    /* by distance from Chicago: Cook first, Madrid last; limit */
    CHECK(dir("{\"near\":{\"lat\":41.8781,\"lon\":-87.6298}}", &m) == 6);
    if (m.type == TR_MSG_RESPONSE && m.u.response.result.n_contractors == 6) {
        const struct tr_contractor_view *v = m.u.response.result.contractors;
        CHECK(strcmp(v[0].c.contractor_id, "il-es") == 0 && v[0].has_distance_m &&
              v[0].distance_m < 100);
        CHECK(strcmp(v[1].c.contractor_id, "il-home") == 0 && v[1].distance_m > 1000 &&
              v[1].distance_m < 5000);
        CHECK(strcmp(v[5].c.contractor_id, "md-es") == 0);
        for (int i = 1; i < 6; i++)
            CHECK(v[i].distance_m >= v[i - 1].distance_m);
    }
    tr_msg_free(&m);
    CHECK(dir("{\"near\":{\"lat\":41.8781,\"lon\":-87.6298},\"limit\":2}", &m) == 2);
    CHECK(m.u.response.result.total == 6);
    tr_msg_free(&m);
    /* a region with nobody: an empty answer, not an error */
    CHECK(dir("{\"state\":\"TX\",\"county\":\"Washington\"}", &m) == 0);
    tr_msg_free(&m);
}

static void test_bad_queries(void)
{
    struct tr_msg m;
    /* ambiguous county name: the choices */
    if (err_is("directory.query", "{\"county\":\"Washington\"}", TR_WIRE_BAD_FIELD, &m)) {
        CHECK_MSG(strstr(m.u.error.message, "Washington, AL (01129)") &&
                      strstr(m.u.error.message, "Washington, AR (05143)"),
                  "message: %s", m.u.error.message);
        CHECK(m.u.error.has_field && strcmp(m.u.error.field, "args.county") == 0);
    }
    tr_msg_free(&m);
    err_is("directory.query", "{\"county\":\"Nowhere Such\"}", TR_WIRE_NOT_FOUND, &m);
    tr_msg_free(&m);
    if (err_is("directory.query", "{\"state\":\"TX\",\"county\":\"17031\"}", TR_WIRE_NOT_FOUND, &m))
        CHECK(strstr(m.u.error.message, "not in state") != NULL);
    tr_msg_free(&m);
    err_is("directory.query", "{\"country\":\"ZZ\"}", TR_WIRE_NOT_FOUND, &m);
    tr_msg_free(&m);
    err_is("directory.query", "{\"country\":\"ES\",\"state\":\"TX\"}", TR_WIRE_BAD_FIELD, &m);
    tr_msg_free(&m);
    if (err_is("directory.query", "{\"skill\":\"no-such-skill\"}", TR_WIRE_NOT_FOUND, &m))
        CHECK(strstr(m.u.error.message, "no-such-skill") != NULL);
    tr_msg_free(&m);
    err_is("coverage.query", "{\"skill\":\"no-such-skill\"}", TR_WIRE_NOT_FOUND, &m);
    tr_msg_free(&m);
    err_is("coverage.query", "{\"country\":\"US\",\"state\":\"ZZ\"}", TR_WIRE_NOT_FOUND, &m);
    tr_msg_free(&m);
    /* malformed (the codec's rules) */
    err_is("directory.query", "{\"limit\":0}", TR_WIRE_BAD_FIELD, &m);
    tr_msg_free(&m);
    err_is("directory.query", "{\"near\":{\"lat\":100,\"lon\":0}}", TR_WIRE_BAD_FIELD, &m);
    tr_msg_free(&m);
    if (ask("directory.query", "{\"county\":17}", &m) == 0)
        CHECK(m.type == TR_MSG_ERROR);
    tr_msg_free(&m);
    if (ask("coverage.query", "{\"colour\":\"red\"}", &m) == 0)
        CHECK(m.type == TR_MSG_ERROR);
    tr_msg_free(&m);
}

static const struct tr_coverage_row *row(const struct tr_result *x, const char *code)
{
    for (size_t i = 0; i < x->n_regions; i++) {
        const struct tr_region *g = &x->regions[i].region;
        if ((g->has_county_fips && strcmp(g->county_fips, code) == 0) ||
            (!g->has_county_fips && strcmp(g->country, code) == 0))
            return &x->regions[i];
    }
    return NULL;
}

static bool gap(const struct tr_result *x, const char *code)
{
    for (size_t i = 0; i < x->n_gaps; i++) {
        const struct tr_region *g = &x->gaps[i];
        if ((g->has_county_fips && strcmp(g->county_fips, code) == 0) ||
            (!g->has_county_fips && strcmp(g->country, code) == 0))
            return true;
    }
    return false;
}

static void test_coverage(void)
{
    struct tr_msg m;
    const struct tr_coverage_row *r;
    /* Texas, per county */
    if (ask("coverage.query", "{\"country\":\"US\",\"state\":\"TX\",\"skill\":\"hdd-install\"}",
            &m) == 0 &&
        m.type == TR_MSG_RESPONSE) {
        const struct tr_result *x = &m.u.response.result;
        CHECK_MSG(x->n_regions == 2, "%zu regions", x->n_regions);
        CHECK((r = row(x, "48453")) && r->qualified == 2 && r->on_shift == 2 &&
              strcmp(r->region.county, "Travis") == 0 && strcmp(r->region.state, "TX") == 0);
        CHECK((r = row(x, "48201")) && r->qualified == 1 && r->on_shift == 1);
        CHECK_MSG(x->n_gaps == 252, "%zu gaps", x->n_gaps); /* 254 counties */
        CHECK(gap(x, "48043") && !gap(x, "48453") && !gap(x, "17031"));
        CHECK(x->n_uncovered_hours_utc == 0); /* no hours: always on shift */
    } else {
        CHECK_MSG(0, "coverage TX: %s", m.type == TR_MSG_ERROR ? m.u.error.message : "?");
    }
    tr_msg_free(&m);
    /* Spanish speakers in Texas: only tx-es */
    if (ask("coverage.query", "{\"state\":\"TX\",\"language\":\"es\"}", &m) == 0 &&
        m.type == TR_MSG_RESPONSE) {
        const struct tr_result *x = &m.u.response.result;
        CHECK(x->n_regions == 1 && (r = row(x, "48453")) && r->qualified == 1);
        CHECK(gap(x, "48201"));
    }
    tr_msg_free(&m);
    /* Spain: one country row, covered 09:00-17:00 UTC only */
    if (ask("coverage.query", "{\"country\":\"ES\",\"skill\":\"dir-network\"}", &m) == 0 &&
        m.type == TR_MSG_RESPONSE) {
        const struct tr_result *x = &m.u.response.result;
        CHECK(x->n_regions == 1 && (r = row(x, "ES")) && r->qualified == 1 && r->on_shift <= 1);
        CHECK(x->n_gaps == 0);
        CHECK_MSG(x->n_uncovered_hours_utc == 16, "%zu uncovered hours", x->n_uncovered_hours_utc);
        bool ok = true;
        for (size_t i = 0; i < x->n_uncovered_hours_utc; i++) {
            int h = x->uncovered_hours_utc[i];
            ok = ok && (h < 9 || h >= 17);
        }
        CHECK(ok);
    } else {
        CHECK_MSG(0, "coverage ES: %s", m.type == TR_MSG_ERROR ? m.u.error.message : "?");
    }
    tr_msg_free(&m);
    /* worldwide, per country */
    if (ask("coverage.query", "{\"skill\":\"hdd-install\"}", &m) == 0 &&
        m.type == TR_MSG_RESPONSE) {
        const struct tr_result *x = &m.u.response.result;
        CHECK((r = row(x, "US")) && r->qualified == 5);
        CHECK((r = row(x, "ES")) && r->qualified == 1);
        CHECK(x->n_regions == 2 && gap(x, "FR") && !gap(x, "US"));
        CHECK(x->n_uncovered_hours_utc == 0);
    }
    tr_msg_free(&m);
    /* the whole US, per county: gaps are capped, the answer still fits */
    if (ask("coverage.query", "{\"country\":\"US\"}", &m) == 0 && m.type == TR_MSG_RESPONSE) {
        const struct tr_result *x = &m.u.response.result;
        CHECK_MSG(x->n_regions == 3 && row(x, "17031") && row(x, "48453") && row(x, "48201"),
                  "%zu regions", x->n_regions);
        CHECK((r = row(x, "17031")) && r->qualified == 2);
        CHECK(x->n_gaps > 0 && x->n_gaps <= 300);
    } else {
        CHECK_MSG(0, "coverage US: %s", m.type == TR_MSG_ERROR ? m.u.error.message : "?");
    }
    tr_msg_free(&m);
}

/* contractor.list as one comparable string. */
static void fleet_snapshot(char *buf, size_t cap)
{
    struct tr_msg m;
    size_t used = 0;
    buf[0] = '\0';
    if (ask("contractor.list", "{\"limit\":100}", &m) != 0 || m.type != TR_MSG_RESPONSE) {
        tr_msg_free(&m);
        return;
    }
    const struct tr_result *x = &m.u.response.result;
    for (size_t i = 0; i < x->n_contractors && used < cap; i++) {
        const struct tr_contractor *c = &x->contractors[i].c;
        int k = snprintf(buf + used, cap - used, "%s/%s/%zu/%zu/%s/%d;", c->contractor_id, c->name,
                         c->n_skills, c->n_languages, c->timezone, c->has_active ? c->active : -1);
        if (k > 0)
            used += (size_t)k;
    }
    tr_msg_free(&m);
}

/* job.create for a region: the site is a representative point inside it,
 * the region is complete, and the creation note says so. */
static void region_job(const char *region, const char *fips, const char *country, const char *says)
{
    char args[400], id[TR_MSG_ID_SIZE] = "";
    struct tr_msg m;
    snprintf(args, sizeof(args),
             "{\"title\":\"Region job\",\"skills\":[\"dir-nobody\"],\"region\":%s}", region);
    if (ask("job.create", args, &m) == 0 && m.type == TR_MSG_RESPONSE) {
        const struct tr_job *j = &m.u.response.result.job;
        snprintf(id, sizeof(id), "%s", j->job_id);
        CHECK_MSG(
            j->has_region && strcmp(j->region.country, country) == 0 &&
                (!fips || (j->region.has_county_fips && strcmp(j->region.county_fips, fips) == 0)),
            "job region %s: %s %s", region, j->region.country, j->region.county_fips);
    } else {
        CHECK_MSG(0, "job.create %s: %s", region, m.type == TR_MSG_ERROR ? m.u.error.message : "?");
    }
    tr_msg_free(&m);
    snprintf(args, sizeof(args), "{\"job_id\":\"%s\"}", id);
    if (id[0] && ask("job.show", args, &m) == 0 && m.type == TR_MSG_RESPONSE) {
        const struct tr_result *x = &m.u.response.result;
        bool found = false;
        for (size_t i = 0; i < x->n_events; i++)
            found = found || (x->events[i].has_note && strstr(x->events[i].note, says));
        CHECK_MSG(found, "no note \"%s\"", says);
    }
    tr_msg_free(&m);
}

/* Run the console: its exit status, stdout in out. */
static int console(const char *exe, const char *args, char *out, size_t cap)
{
    char cmd[1200];
    size_t n = 0;
    snprintf(cmd, sizeof(cmd),
             "XDG_CONFIG_HOME=/nonexistent %s %s --broker 127.0.0.1 --port %d --user tester "
             "--timeout 10 2>/dev/null",
             exe, args, d.broker.port);
    out[0] = '\0';
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_console(const char *exe)
{
    static char out[65536];
    int rc = console(exe,
                     "directory --country US --state TX --county Travis --skill hdd-install "
                     "--lang es --available",
                     out, sizeof(out));
    CHECK_MSG(rc == 0 && strstr(out, "tx-es") && strstr(out, "Travis, TX") &&
                  !strstr(out, "tx-en") && !strstr(out, "30.26"),
              "rc %d: %s", rc, out);
    rc = console(exe, "directory --county 48453 --csv", out, sizeof(out));
    CHECK_MSG(rc == 0 && strncmp(out, "contractor_id,name,region,", 26) == 0 &&
                  strstr(out, "\ntx-en,Tech tx-en,\"Travis, TX\",48453,US,"),
              "rc %d: %s", rc, out);
    rc = console(exe, "directory --near 41.8781,-87.6298 --limit 1 --json", out, sizeof(out));
    CHECK_MSG(rc == 0 && strstr(out, "\"il-es\"") && strstr(out, "\"distance_m\"") &&
                  !strstr(out, "\"lat\""),
              "rc %d: %s", rc, out);
    rc = console(exe, "directory --county Washington", out, sizeof(out));
    CHECK_MSG(rc == 1, "ambiguous: rc %d", rc);
    rc = console(exe, "coverage --country US --state TX --skill hdd-install", out, sizeof(out));
    CHECK_MSG(rc == 0 && strstr(out, "Travis, TX") && strstr(out, "gaps (nobody qualified): 252") &&
                  strstr(out, "uncovered hours (UTC): none"),
              "rc %d: %s", rc, out);
    rc = console(exe, "coverage --country ES --skill dir-network", out, sizeof(out));
    CHECK_MSG(rc == 0 && strstr(out, "00:00-09:00 17:00-24:00"), "rc %d: %s", rc, out);
    rc = console(exe, "coverage --county Travis", out, sizeof(out));
    CHECK_MSG(rc == 2, "coverage --county: rc %d", rc);
}

static void test_no_geo(void)
{
    struct tr_msg m;
    CHECK(trd_stop(&d) == 0);
    for (int i = 0; i < d.n_args; i++)
        if (strncmp(d.args[i], "--geo.data=", 11) == 0)
            snprintf(d.args[i], sizeof(d.args[i]), "--geo.data=none");
    CHECK(trd_spawn(&d) == 0);
    err_is("directory.query", "{\"county\":\"Travis\"}", TR_WIRE_UNAVAILABLE, &m);
    tr_msg_free(&m);
    err_is("coverage.query", "{}", TR_WIRE_UNAVAILABLE, &m);
    tr_msg_free(&m);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s TRUCKROLLD GEO_BIN [TRUCKROLL]\n", argv[0]);
        return 2;
    }
    char geo[600], before[4000], after[4000];
    snprintf(geo, sizeof(geo), "--geo.data=%s", argv[2]);
    const char *args[] = { geo, NULL };
    CHECK(trd_setup(&d, argv[1], args, &con, ids, N_AGENTS, pool) == 0);
    if (!check_failed) {
        seed();
        fleet_snapshot(before, sizeof(before));
        test_directory();
        test_bad_queries();
        test_coverage();
        fleet_snapshot(after, sizeof(after));
        CHECK(before[0] && strcmp(before, after) == 0);
        CHECK(strstr(before, "il-home/") != NULL);
        CHECK(trd_alive(&d));
        if (argc > 3)
            test_console(argv[3]);
        region_job("{\"country\":\"US\",\"state\":\"TX\",\"county\":\"Travis\"}", "48453", "US",
                   "site is a representative point of Travis County, TX");
        region_job("{\"country\":\"US\",\"state_fips\":\"17\",\"county_fips\":\"17031\"}", "17031",
                   "US", "representative point of Cook County, IL");
        region_job("{\"country\":\"ES\"}", NULL, "ES", "site is a representative point of ES");
        test_no_geo();
    }
    CHECK(trd_teardown(&d, con, pool, N_AGENTS, check_failed > 0) == 0);
    return check_report("e2e_directory");
}
