/*
 * tests/integration/test_e2e_agent.c: the real truckroll-agent and the real
 * truckrolld together, through a real mosquitto, on a real SQLite file: a
 * technician's whole house call as the product does it.
 *
 * The contractor rt-1 is added from the console; its agent (GPX replay
 * near the site) comes online and becomes available at the dispatcher, and
 * applies the reporting the dispatcher pushes (agents.report_threshold_m).
 * A job is created; the agent gets the offer, the technician accepts it
 * with `truckroll-agent accept`, then `enroute`, `arrive` and `done`, and
 * the dispatcher's job goes accepted, en route, on site, completed, with
 * the agent named as assignee. No timing assertions: bounded waits only.
 *
 * argv[1]: truckrolld, argv[2...]: truckroll-agent [EMULATOR ARGS...].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/agent_harness.h"
#include "tests/support/check.h"
#include "tests/support/dispatcher_harness.h"

#define SITE_LAT 30.2849
#define SITE_LON (-97.7341)
#define WAIT     30000

static struct ah_exec X;

/* A technician's command: exit status 0 and the job in the wanted state. */
static void step(struct ah_agent *a, struct trd_console *con, const char *job, const char *cmd,
                 enum tr_job_state want)
{
    char out[4096];
    int rc = cmd[0] == 'd' ? ah_cli(a, &X, out, sizeof out, cmd, "--note", "router swapped", NULL)
                           : ah_cli(a, &X, out, sizeof out, cmd, NULL);
    CHECK_MSG(rc == 0, "truckroll-agent %s: exit %d: %s", cmd, rc, out);
    enum tr_job_state last = TR_JOB_NEW;
    CHECK_MSG(trd_wait_state(con, job, want, WAIT, &last) == 0, "%s: job %s is %s", cmd, job,
              tr_msg_job_state_name(last));
}

int main(int argc, char **argv)
{
    struct trd d;
    struct trd_console *con = NULL;
    struct ah_agent a;
    static const char *const args[] = { "--agents.report_threshold_m=30", NULL };
    char replay[420], job[TR_MSG_ID_SIZE] = "", rs[32];
    bool started = false;
    if (argc < 3) {
        fprintf(stderr, "usage: %s TRUCKROLLD AGENT_BIN [EMULATOR...]\n", argv[0]);
        return 2;
    }
    ah_exec_init(&X, argc - 2, argv + 2);
    CHECK(ah_agent_init(&a, "rt-1") == 0);
    CHECK(trd_setup(&d, argv[1], args, &con, NULL, 0, NULL) == 0);
    if (check_failed)
        goto out;

    /* the contractor, then its agent: parked 2 km from the site */
    double lat, lon;
    trd_offset_km(SITE_LAT, SITE_LON, 2, 0, &lat, &lon);
    CHECK(trd_contractor_add(con, "rt-1", "router-repair", "en", "America/Chicago", NULL) == 0);
    CHECK(ah_agent_track(&a, "track.gpx", 120, lat, lon, 0.0, replay, sizeof replay) == 0);
    const char *extra[] = { replay, "--gps.replay_loop=true", "--agent.timezone=America/Chicago",
                            NULL };
    CHECK(ah_agent_start(&a, &X, d.broker.port, extra) == 0);
    started = !check_failed;
    CHECK_MSG(trd_wait_available(con, "rt-1", true, WAIT) == 0, "the agent never became available");

    /* the dispatcher's reporting settings reached it */
    CHECK(ah_wait_status(&a, "counters.configs", 1, WAIT));
    ah_status_str(&a, "reporting.source", rs, sizeof rs);
    CHECK(strcmp(rs, "dispatcher") == 0 && ah_status_num(&a, "reporting.threshold_m") == 30);

    /* the house call */
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "router-repair", "en", 0, job) == 0);
    CHECK_MSG(ah_wait_status(&a, "pending_offers", 1, WAIT), "no offer on the handheld");
    /* what the technician sees: the distance from where the handheld is */
    double dist = ah_status_num(&a, "offer.distance_m"), eta = ah_status_num(&a, "offer.eta_s");
    CHECK_MSG(dist > 1800 && dist < 2200 && eta > 0, "offer: %.0f m, eta %.0f s", dist, eta);
    struct tr_job j;
    CHECK(trd_job_show(con, job, &j) == 0 && j.state == TR_JOB_OFFERED);
    step(&a, con, job, "accept", TR_JOB_ACCEPTED);
    CHECK(trd_job_show(con, job, &j) == 0 && j.has_assignee && strcmp(j.assignee, "rt-1") == 0);
    step(&a, con, job, "enroute", TR_JOB_EN_ROUTE);
    step(&a, con, job, "arrive", TR_JOB_ON_SITE);
    step(&a, con, job, "done", TR_JOB_COMPLETED);
    CHECK(ah_wait_status(&a, "active_jobs", 0, WAIT));
    CHECK(ah_status_num(&a, "outbox.events") == 0); /* every event acknowledged */

out:
    if (check_failed && started)
        ah_agent_dump_log(&a);
    if (started)
        CHECK(ah_agent_stop(&a) == 0);
    ah_agent_cleanup(&a);
    CHECK(trd_teardown(&d, con, NULL, 0, check_failed > 0) == 0);
    return check_report("e2e_agent");
}
