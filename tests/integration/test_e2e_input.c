/*
 * tests/integration/test_e2e_input.c: bad input on the live topics, end to
 * end through a real mosquitto and the real truckrolld on a real SQLite file.
 *
 * With one job accepted by agent v-1 and another offered to it, every file
 * in schemas/examples/invalid is published where it would do harm: agent
 * messages on v-1's own topics, console requests on the request topic, the
 * dispatcher's own message types on v-1's event topic; then a spoofed
 * agent id (v-1 claiming to be v-2, on v-1's topics). Each is rejected and
 * answered with an `error` (on v-1's inbox or the console's response topic;
 * an MQTT 3.1.1 console's reply_to even when its args are refused), except
 * an `error`, which nobody answers with an `error`,
 * the jobs, v-1's position and v-2's presence are unchanged, the dispatcher
 * still serves (a new job is created and offered), and its counters account
 * for every rejection.
 *
 * argv[1]: truckrolld, argv[2]: schemas/examples. No timing assertions.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/check.h"
#include "tests/support/dispatcher_harness.h"
#include "tests/support/examples.h"

#define SITE_LAT 48.1351
#define SITE_LON 11.5820
#define WAIT     20000

static bool is_request(const char *name)
{
    return strncmp(name, "job.", 4) == 0 || strncmp(name, "contractor.", 11) == 0 ||
           strncmp(name, "directory.", 10) == 0 || strncmp(name, "coverage.", 9) == 0;
}

static bool same_job(const struct tr_job *a, const struct tr_job *b)
{
    return a->state == b->state && a->updated == b->updated && a->attempts == b->attempts &&
           a->has_assignee == b->has_assignee && a->has_offer == b->has_offer &&
           (!a->has_offer || strcmp(a->offer.offer_id, b->offer.offer_id) == 0);
}

static bool position_of(struct trd_console *c, const char *skill, double *lat, double *lon)
{
    char args[100];
    struct tr_msg r;
    bool ok = false;
    snprintf(args, sizeof(args), "{\"skill\":\"%s\"}", skill);
    if (trd_request(c, "contractor.list", args, &r, NULL, WAIT) == 0 && r.type == TR_MSG_RESPONSE &&
        r.u.response.result.n_contractors == 1) {
        *lat = r.u.response.result.contractors[0].lat;
        *lon = r.u.response.result.contractors[0].lon;
        ok = true;
    }
    tr_msg_free(&r);
    return ok;
}

int main(int argc, char **argv)
{
    struct trd d;
    struct trd_agent *ag[2] = { 0 };
    static const char *const ids[] = { "v-1", "v-2" };
    char j1[TR_MSG_ID_SIZE], j2[TR_MSG_ID_SIZE], dir[600], path[1200];
    struct tr_msg m;
    int to_agent = 0, to_console = 0, errors_sent = 0;
    if (argc < 3) {
        fprintf(stderr, "usage: %s TRUCKROLLD EXAMPLES_DIR\n", argv[0]);
        return 2;
    }
    struct trd_console *con = NULL;
    /* a small sender table: consoles claiming many names must not fill it */
    static const char *const args[] = { "--bus.max_senders=16", NULL };
    CHECK(trd_setup(&d, argv[1], args, &con, ids, 2, ag) == 0);
    if (check_failed)
        goto out;
    double lat, lon;
    trd_offset_km(SITE_LAT, SITE_LON, 1, 0, &lat, &lon);
    CHECK(trd_enroll(con, ag[0], "v-fix", "de,en", "Europe/Berlin", "\"job_limit\":2", lat, lon) ==
          0);
    trd_offset_km(SITE_LAT, SITE_LON, 30, 0, &lat, &lon);
    CHECK(trd_enroll(con, ag[1], "v-other", "de", "Europe/Berlin", NULL, lat, lon) == 0);
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "v-fix", "de", 0, j1) == 0);
    CHECK(trd_agent_wait(ag[0], TR_MSG_OFFER, j1, &m, WAIT) == 0);
    CHECK(trd_agent_answer(ag[0], j1, m.u.offer.offer_id, true, TR_DECLINE_OTHER) == 0);
    CHECK(trd_wait_state(con, j1, TR_JOB_ACCEPTED, WAIT, NULL) == 0);
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "v-fix", NULL, 0, j2) == 0);
    CHECK(trd_agent_wait(ag[0], TR_MSG_OFFER, j2, NULL, WAIT) == 0);

    struct tr_job before1, before2, after;
    double lat0 = 0, lon0 = 0, lat1 = 0, lon1 = 0;
    CHECK(trd_job_show(con, j1, &before1) == 0 && trd_job_show(con, j2, &before2) == 0);
    CHECK(position_of(con, "v-fix", &lat0, &lon0));

    /* every invalid example where it would do harm */
    to_agent = 0;
    to_console = 0;
    snprintf(dir, sizeof(dir), "%s/invalid", argv[2]);
    DIR *dp = opendir(dir);
    CHECK(dp != NULL);
    for (struct dirent *e; dp && (e = readdir(dp));) {
        size_t len;
        if (!strstr(e->d_name, ".json"))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        char *buf = trt_read_file(path, &len);
        CHECK_MSG(buf != NULL, "%s", e->d_name);
        if (!buf)
            continue;
        if (is_request(e->d_name)) {
            CHECK(trd_console_send(con, buf, len) == 0);
            to_console++;
        } else {
            const char *leaf = trt_example_agent_leaf(e->d_name);
            CHECK(trd_agent_raw(ag[0], "v-1", leaf ? leaf : "event", buf, len) == 0);
            if (trt_example_answered(e->d_name))
                to_agent++;
            else
                errors_sent++;
        }
        free(buf);
    }
    if (dp)
        closedir(dp);
    CHECK(to_agent >= 60 && to_console >= 40 && errors_sent >= 3);

    /* a well-formed error where none is expected: refused, not answered */
    static const char stray_error[] = "{\"type\":\"error\",\"id\":\"stray-1\",\"ts\":1764000000000,"
                                      "\"code\":\"internal\",\"message\":\"x\"}";
    CHECK(trd_console_send(con, stray_error, sizeof(stray_error) - 1) == 0);
    CHECK(trd_agent_raw(ag[0], "v-1", "event", stray_error, sizeof(stray_error) - 1) == 0);
    errors_sent += 2;

    /* v-1 speaking for v-2: going offline, and declining on its behalf */
    static const char spoof_state[] =
        "{\"type\":\"presence\",\"id\":\"spoof-1\",\"ts\":1764000000000,"
        "\"agent_id\":\"v-2\",\"boot_id\":\"b1\",\"online\":false}";
    CHECK(trd_agent_raw(ag[0], "v-1", "state", spoof_state, sizeof(spoof_state) - 1) == 0);
    char spoof_event[400];
    int n = snprintf(spoof_event, sizeof(spoof_event),
                     "{\"type\":\"job_event\",\"id\":\"spoof-2\",\"ts\":1764000000000,"
                     "\"agent_id\":\"v-2\",\"job_id\":\"%s\",\"event\":\"release\"}",
                     j1);
    CHECK(trd_agent_raw(ag[0], "v-1", "event", spoof_event, (size_t)n) == 0);
    int want_agent = to_agent + 2;

    /* every one answered */
    long long end = trt_now_ms() + 60000;
    while ((trd_agent_count(ag[0], TR_MSG_ERROR, NULL) < want_agent ||
            trd_console_count(con, TR_MSG_ERROR) < to_console) &&
           trt_now_ms() < end)
        trt_sleep_ms(50);
    CHECK_MSG(trd_agent_count(ag[0], TR_MSG_ERROR, NULL) == want_agent, "agent errors %d of %d",
              trd_agent_count(ag[0], TR_MSG_ERROR, NULL), want_agent);
    CHECK_MSG(trd_console_count(con, TR_MSG_ERROR) == to_console, "console errors %d of %d",
              trd_console_count(con, TR_MSG_ERROR), to_console);
    CHECK(trd_console_count(con, TR_MSG_RESPONSE) > 0); /* only the test's own requests */

    /* an MQTT 3.1.1 console has no response topic: a request refused for
     * its args (before reply_to is read) is still answered at reply_to */
    struct trd_console *c311 = trd_console_new(&d, "ops311", true);
    CHECK(c311 != NULL);
    if (c311) {
        struct tr_msg r;
        CHECK(trd_request(c311, "job.show", "{\"job_id\":\"#1\"}", &r, NULL, WAIT) == 0 &&
              r.type == TR_MSG_ERROR && r.u.error.has_field &&
              strcmp(r.u.error.field, "args.job_id") == 0);
        tr_msg_free(&r);
        /* 30 bad requests claiming 30 console names: one error budget for
         * all consoles, no sender record per name (16 would fill the table
         * and turn the duplicate checks off for agents not yet in it) */
        for (int i = 0; i < 30; i++) {
            char req[300];
            int rn = snprintf(req, sizeof req,
                              "{\"type\":\"job.show\",\"id\":\"fl-%d\",\"ts\":1764000000000,"
                              "\"args\":{\"job_id\":\"#\"},"
                              "\"reply_to\":\"truckroll/v1/console/claim-%d/resp\"}",
                              i, i);
            CHECK(trd_console_send(c311, req, (size_t)rn) == 0);
        }
        CHECK(trd_request(c311, "job.show", "{\"job_id\":\"#2\"}", &r, NULL, WAIT) == 0);
        tr_msg_free(&r);
        trd_console_free(c311);
    }
    /* an agent new to the dispatcher sends one presence twice (a QoS 1
     * redelivery): the second is a duplicate */
    struct trd_agent *v3 = trd_agent_new(&d, "v-3");
    CHECK(v3 != NULL);
    if (v3) {
        static const char dup[] =
            "{\"type\":\"presence\",\"id\":\"dup-1\",\"ts\":1764000000000,"
            "\"agent_id\":\"v-3\",\"boot_id\":\"b3\",\"online\":true,\"available\":true,"
            "\"on_shift\":true,\"mode\":\"idle\",\"active_jobs\":0}";
        CHECK(trd_agent_raw(v3, "v-3", "state", dup, sizeof dup - 1) == 0);
        CHECK(trd_agent_raw(v3, "v-3", "state", dup, sizeof dup - 1) == 0);
        trd_agent_free(v3);
    }

    /* nothing changed */
    CHECK(trd_job_show(con, j1, &after) == 0 && same_job(&before1, &after));
    CHECK(trd_job_show(con, j2, &after) == 0 && same_job(&before2, &after));
    CHECK(position_of(con, "v-fix", &lat1, &lon1) && lat1 == lat0 && lon1 == lon0);
    CHECK(trd_wait_available(con, "v-2", true, WAIT) == 0);
    CHECK(trd_agent_count(ag[0], TR_MSG_CANCELLATION, NULL) == 0);

    /* still serving */
    char j3[TR_MSG_ID_SIZE];
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "v-other", NULL, 0, j3) == 0);
    CHECK(trd_agent_wait(ag[1], TR_MSG_OFFER, j3, NULL, WAIT) == 0);
    CHECK(trd_alive(&d));

out:
    trd_agent_free(ag[0]);
    trd_agent_free(ag[1]);
    trd_console_free(con);
    CHECK(trd_stop(&d) == 0);
    /* counted: every example and the spoofed presence by the router, the
     * spoofed event too (topic id differs from the payload's) */
    CHECK_MSG(trd_log_count(&d, "rejected message on") >= to_agent + to_console + errors_sent + 3,
              "%d rejections logged", trd_log_count(&d, "rejected message on"));
    CHECK(trd_log_count(&d, "final counters") == 2);
    CHECK_MSG(trd_log_count(&d, " duplicates 0 ") == 0, "the repeated presence was not dropped");
    d.keep = check_failed > 0;
    trd_finish(&d);
    return check_report("e2e_input");
}
