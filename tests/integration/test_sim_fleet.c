/*
 * tests/integration/test_sim_fleet.c: `truckroll-sim run` against a real
 * mosquitto and the real truckrolld (tests/support/dispatcher_harness.h).
 *
 *   - four simulated agents from a contractor CSV come online and available
 *     (presence, fixes from their parked position, on shift); four jobs
 *     near them are offered, accepted, driven to (a real track turned onto
 *     the trip), reached (the arrival detector) and completed: the
 *     dispatcher's job.show says completed, and the simulator's final
 *     status counts the offers, answers and events, with every published
 *     message acknowledged and the outboxes (one SQLite file per agent)
 *     empty of events;
 *   - with --decline 1 every offer is declined with a reason, and the job
 *     waits as unassigned once both candidates said no;
 *   - with --fail 1 the job ends failed, with the simulator's note;
 *   - the simulator SIGKILLed: the broker publishes each agent's last will
 *     (armed at connect, so dated before the presence sent after it) and
 *     the dispatcher takes it: the agents are offline at once.
 *
 * argv: truckrolld, truckroll-sim, the tracks dir. Every wait is bounded;
 * nothing is asserted about elapsed time.
 */
#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/check.h"
#include "tests/support/dispatcher_harness.h"

#define HOME_LAT 30.2672
#define HOME_LON (-97.7431)
#define WAIT     60000

extern char **environ;

static struct trd d;
static struct trd_console *con;
static const char *sim_exe, *tracks;
static char tmp[256];

struct sim {
    pid_t pid;
    char out[320], err[320];
};

/* A fleet file of n agents prefix-1..n around HOME, one skill each. */
static int write_fleet(const char *path, const char *prefix, int n, const char *skill)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "id,name,skills,languages,timezone,hours,travel_mode,home\n");
    for (int i = 1; i <= n; i++) {
        double lat, lon;
        trd_offset_km(HOME_LAT, HOME_LON, 0.7 * i, -0.5 * i, &lat, &lon);
        fprintf(f, "%s-%d,Sim tech %d,%s,en,UTC,,car,\"%.6f,%.6f\"\n", prefix, i, i, skill, lat,
                lon);
    }
    return fclose(f);
}

static int sim_start(struct sim *s, const char *fleet, const char *tag, const char *const *extra)
{
    char port[16], state[320];
    const char *argv[40];
    int n = 0, rc;
    posix_spawn_file_actions_t fa;

    snprintf(port, sizeof port, "%d", d.broker.port);
    snprintf(state, sizeof state, "%s/state-%s", tmp, tag);
    snprintf(s->out, sizeof s->out, "%s/sim-%s.out", tmp, tag);
    snprintf(s->err, sizeof s->err, "%s/sim-%s.log", tmp, tag);
    argv[n++] = sim_exe;
    argv[n++] = "run";
    argv[n++] = "--fleet";
    argv[n++] = fleet;
    argv[n++] = "--port";
    argv[n++] = port;
    argv[n++] = "--state-dir";
    argv[n++] = state;
    argv[n++] = "--tracks";
    argv[n++] = tracks;
    argv[n++] = "--speed";
    argv[n++] = "600";
    argv[n++] = "--work-min";
    argv[n++] = "0";
    argv[n++] = "--work-max";
    argv[n++] = "60";
    argv[n++] = "--status-interval";
    argv[n++] = "0";
    argv[n++] = "--json";
    argv[n++] = "--log-level";
    argv[n++] = "debug";
    for (int i = 0; extra && extra[i] && n < 38; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, s->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, s->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    rc = posix_spawn(&s->pid, sim_exe, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(stderr, "spawn %s: %s\n", sim_exe, strerror(rc));
        s->pid = 0;
        return -1;
    }
    return 0;
}

/* SIGTERM, bounded wait; the exit status (-1 when it had to be killed). */
static int sim_stop(struct sim *s)
{
    int st = 0;
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    for (int i = 0; i < 300; i++) { /* 30 s */
        pid_t r = waitpid(s->pid, &st, WNOHANG);
        if (r == s->pid) {
            s->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
        trt_sleep_ms(100);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &st, 0);
    s->pid = 0;
    return -1;
}

/* The final status line (JSON) of a stopped run; NULL if none. */
static cJSON *sim_final(const struct sim *s)
{
    char line[4096], last[4096] = "";
    FILE *f = fopen(s->out, "r");
    if (!f)
        return NULL;
    while (fgets(line, sizeof line, f))
        snprintf(last, sizeof last, "%s", line);
    fclose(f);
    cJSON *j = cJSON_Parse(last);
    cJSON *fin = j ? cJSON_GetObjectItemCaseSensitive(j, "final") : NULL;
    if (!cJSON_IsTrue(fin)) {
        fprintf(stderr, "no final status line in %s: '%s'\n", s->out, last);
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

static double num(const cJSON *j, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void enroll(const char *prefix, int n, const char *skill)
{
    for (int i = 1; i <= n; i++) {
        char id[64];
        snprintf(id, sizeof id, "%s-%d", prefix, i);
        CHECK_MSG(trd_contractor_add(con, id, skill, "en", "UTC", NULL) == 0, "add %s", id);
    }
}

static void wait_available(const char *prefix, int n)
{
    for (int i = 1; i <= n; i++) {
        char id[64];
        snprintf(id, sizeof id, "%s-%d", prefix, i);
        CHECK_MSG(trd_wait_available(con, id, true, WAIT) == 0, "%s available", id);
    }
}

static void test_complete(void)
{
    char fleet[320], jobs[4][TR_MSG_ID_SIZE];
    struct sim s;
    const char *const extra[] = { "--decline", "0", "--fail", "0", "--escalate", "0", NULL };

    snprintf(fleet, sizeof fleet, "%s/fleet-a.csv", tmp);
    CHECK(write_fleet(fleet, "sa", 4, "sim-fix") == 0);
    enroll("sa", 4, "sim-fix");
    CHECK(sim_start(&s, fleet, "a", extra) == 0);
    wait_available("sa", 4);
    for (int i = 0; i < 4; i++) {
        double lat, lon;
        trd_offset_km(HOME_LAT, HOME_LON, 1.5 * i, 1.0, &lat, &lon);
        CHECK_MSG(trd_job_create(con, lat, lon, "sim-fix", NULL, 0, jobs[i]) == 0, "job %d", i);
    }
    for (int i = 0; i < 4; i++) {
        enum tr_job_state last = TR_JOB_NEW;
        int rc = trd_wait_state(con, jobs[i], TR_JOB_COMPLETED, WAIT, &last);
        CHECK_MSG(rc == 0, "job %s completed (last %s)", jobs[i], tr_msg_job_state_name(last));
    }
    struct tr_job job;
    CHECK(trd_job_show(con, jobs[0], &job) == 0 && job.state == TR_JOB_COMPLETED &&
          job.has_assignee && strncmp(job.assignee, "sa-", 3) == 0);
    CHECK_MSG(sim_stop(&s) == 0, "the simulator exits 0 on SIGTERM");
    cJSON *j = sim_final(&s);
    CHECK(j != NULL);
    if (j) {
        CHECK(num(j, "agents") == 4);
        CHECK(num(j, "offers") >= 4);
        CHECK(num(j, "accepted") >= 4);
        CHECK(num(j, "declined") == 0);
        CHECK(num(j, "en_route") >= 4);
        CHECK(num(j, "on_site") >= 4);
        CHECK(num(j, "completed") == 4);
        CHECK(num(j, "failed") == 0);
        CHECK(num(j, "reports") > 0);
        CHECK_MSG(num(j, "published") == num(j, "acked"), "published %g acked %g",
                  num(j, "published"), num(j, "acked"));
        CHECK(num(j, "outbox_events") == 0);
        CHECK(num(j, "inbox_rejected") == 0);
    }
    cJSON_Delete(j);
    char db[400];
    struct stat st;
    snprintf(db, sizeof db, "%s/state-a/sa-1.db", tmp);
    CHECK_MSG(stat(db, &st) == 0, "outbox %s", db);
    CHECK(trd_log_count(&d, "completed by sa-") >= 4);
}

static void test_decline(void)
{
    char fleet[320], job[TR_MSG_ID_SIZE];
    struct sim s;
    const char *const extra[] = { "--decline", "1", NULL };

    snprintf(fleet, sizeof fleet, "%s/fleet-b.csv", tmp);
    CHECK(write_fleet(fleet, "sb", 2, "sim-decl") == 0);
    enroll("sb", 2, "sim-decl");
    CHECK(sim_start(&s, fleet, "b", extra) == 0);
    wait_available("sb", 2);
    CHECK(trd_job_create(con, HOME_LAT, HOME_LON, "sim-decl", NULL, 0, job) == 0);
    enum tr_job_state last = TR_JOB_NEW;
    CHECK_MSG(trd_wait_state(con, job, TR_JOB_UNASSIGNED, WAIT, &last) == 0,
              "declined by both: unassigned (last %s)", tr_msg_job_state_name(last));
    CHECK(sim_stop(&s) == 0);
    cJSON *j = sim_final(&s);
    CHECK(j && num(j, "declined") >= 2 && num(j, "accepted") == 0);
    cJSON_Delete(j);
    CHECK(trd_log_count(&d, "declined by sb-") >= 1);
}

static void test_fail(void)
{
    char fleet[320], job[TR_MSG_ID_SIZE];
    struct sim s;
    const char *const extra[] = { "--decline", "0", "--fail", "1", "--escalate", "0", NULL };

    snprintf(fleet, sizeof fleet, "%s/fleet-c.csv", tmp);
    CHECK(write_fleet(fleet, "sc", 1, "sim-fail") == 0);
    enroll("sc", 1, "sim-fail");
    CHECK(sim_start(&s, fleet, "c", extra) == 0);
    wait_available("sc", 1);
    CHECK(trd_job_create(con, HOME_LAT, HOME_LON, "sim-fail", NULL, 0, job) == 0);
    enum tr_job_state last = TR_JOB_NEW;
    CHECK_MSG(trd_wait_state(con, job, TR_JOB_FAILED, WAIT, &last) == 0, "failed (last %s)",
              tr_msg_job_state_name(last));
    CHECK(sim_stop(&s) == 0);
    cJSON *j = sim_final(&s);
    CHECK(j && num(j, "failed") == 1 && num(j, "completed") == 0);
    cJSON_Delete(j);
}

static void test_will(void)
{
    char fleet[320];
    struct sim s;
    int st = 0;

    snprintf(fleet, sizeof fleet, "%s/fleet-d.csv", tmp);
    CHECK(write_fleet(fleet, "sd", 2, "sim-will") == 0);
    enroll("sd", 2, "sim-will");
    CHECK(sim_start(&s, fleet, "d", NULL) == 0);
    wait_available("sd", 2);
    kill(s.pid, SIGKILL); /* the sockets close without an MQTT DISCONNECT */
    waitpid(s.pid, &st, 0);
    s.pid = 0;
    for (int i = 1; i <= 2; i++) {
        char id[64];
        snprintf(id, sizeof id, "sd-%d", i);
        /* well before any silence timeout: only the will can do it */
        CHECK_MSG(trd_wait_available(con, id, false, 10000) == 0, "%s offline by its will", id);
    }
    CHECK(trd_log_count(&d, "offline (last will") >= 2);
}

int main(int argc, char **argv)
{
    const char *const args[] = { "--engine.offer_timeout_ms=20000", NULL };
    if (argc < 4) {
        fprintf(stderr, "usage: %s TRUCKROLLD TRUCKROLL-SIM TRACKS_DIR\n", argv[0]);
        return 2;
    }
    sim_exe = argv[2];
    tracks = argv[3];
    snprintf(tmp, sizeof tmp, "%s/tr-sim-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    if (trd_start(&d, argv[1], args) != 0) {
        fprintf(stderr, "cannot start truckrolld\n");
        return 1;
    }
    con = trd_console_new(&d, "console", false);
    CHECK(con != NULL);
    if (con) {
        test_complete();
        test_decline();
        test_fail();
        test_will();
    }
    trd_console_free(con);
    int failed = check_report("integration.sim_fleet");
    if (failed) {
        d.keep = true;
        fprintf(stderr, "simulator files kept in %s\n", tmp);
    } else {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        (void)!system(cmd);
    }
    trd_finish(&d);
    return failed ? 1 : 0;
}
