/*
 * tests/integration/test_e2e_config.c: the reporting settings the dispatcher
 * pushes to agents (agents.* in truckrolld.conf, the agent_config message),
 * end to end through a real mosquitto and the real truckrolld.
 *
 * With agents.report_threshold_m 20 and agents.heartbeat_s 120, a
 * contractor's agent coming online gets one agent_config with exactly
 * those two settings; another presence of the same boot gets none, a new
 * boot gets one again; an agent that is not a contractor gets none. Then
 * settings an agent would make look offline or stale to this dispatcher
 * are refused at start (exit 2, the setting named). No timing assertions.
 *
 * argv[1]: truckrolld.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/check.h"
#include "tests/support/dispatcher_harness.h"

#define WAIT 20000

/* truckrolld with one bad setting: exit status 2 and the setting named. */
static void refused(const char *exe, const char *setting, const char *name)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "'%s' -c /dev/null '%s' 2>&1", exe, setting);
    FILE *p = popen(cmd, "r");
    char out[1024] = "";
    size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[n] = 0;
    int st = p ? pclose(p) : -1;
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 2 && strstr(out, name), "%s: status %d, '%s'",
              setting, st, out);
}

/* A console round trip: the worker has handled what came before it. */
static void round_trip(struct trd_console *con)
{
    struct tr_msg r;
    CHECK(trd_request(con, "job.list", "{}", &r, NULL, WAIT) == 0 && r.type == TR_MSG_RESPONSE);
    tr_msg_free(&r);
}

int main(int argc, char **argv)
{
    struct trd d;
    struct trd_console *con = NULL;
    struct trd_agent *ag[2] = { 0 };
    static const char *const ids[] = { "cf-1", "nc-1" };
    static const char *const args[] = { "--agents.report_threshold_m=20",
                                        "--agents.heartbeat_s=120", NULL };
    struct tr_msg m;
    if (argc < 2) {
        fprintf(stderr, "usage: %s TRUCKROLLD\n", argv[0]);
        return 2;
    }
    CHECK(trd_setup(&d, argv[1], args, &con, ids, 2, ag) == 0);
    if (check_failed)
        goto out;

    /* a contractor's agent comes online: one agent_config, as configured */
    CHECK(trd_enroll(con, ag[0], "cfg", "en", "UTC", NULL, 40.0, -75.0) == 0);
    CHECK(trd_agent_wait(ag[0], TR_MSG_AGENT_CONFIG, NULL, &m, WAIT) == 0);
    const struct tr_agent_config *c = &m.u.agent_config;
    CHECK(m.type == TR_MSG_AGENT_CONFIG && strcmp(c->agent_id, "cf-1") == 0);
    CHECK(c->has_threshold_m && c->threshold_m == 20 && c->has_heartbeat_s &&
          c->heartbeat_s == 120);
    CHECK(!c->has_max_interval_s);

    /* the same boot again (a heartbeat): nothing more */
    CHECK(trd_agent_presence(ag[0], true, true) == 0);
    round_trip(con);
    /* a new boot (the agent restarted): again */
    static const char boot2[] =
        "{\"type\":\"presence\",\"id\":\"b2-1\",\"ts\":1764000000000,\"agent_id\":\"cf-1\","
        "\"boot_id\":\"boot-two\",\"online\":true,\"available\":true,\"on_shift\":true,"
        "\"mode\":\"idle\",\"active_jobs\":0}";
    CHECK(trd_agent_raw(ag[0], "cf-1", "state", boot2, sizeof boot2 - 1) == 0);
    CHECK(trd_agent_wait(ag[0], TR_MSG_AGENT_CONFIG, NULL, NULL, WAIT) == 0);
    /* not a contractor: nothing */
    CHECK(trd_agent_presence(ag[1], true, true) == 0);
    round_trip(con);
    round_trip(con);
    CHECK_MSG(trd_agent_count(ag[0], TR_MSG_AGENT_CONFIG, NULL) == 2, "cf-1 got %d agent_configs",
              trd_agent_count(ag[0], TR_MSG_AGENT_CONFIG, NULL));
    CHECK(trd_agent_count(ag[1], TR_MSG_AGENT_CONFIG, NULL) == 0);

out:
    CHECK(trd_teardown(&d, con, ag, 2, check_failed > 0) == 0);

    /* settings refused at start */
    refused(argv[1], "--agents.heartbeat_s=400", "agents.heartbeat_s"); /* 2 x 400 s > 660 s */
    refused(argv[1], "--agents.heartbeat_s=20", "agents.heartbeat_s");
    refused(argv[1], "--agents.report_max_interval_s=300", "fix_fresh_ms"); /* idle: 1500 s */
    refused(argv[1], "--agents.report_threshold_m=2", "agents.report_threshold_m");
    return check_report("e2e_config");
}
