/*
 * tests/integration/test_agent_badinput.c: bad input never crashes the
 * real truckroll-agent nor changes its state.
 *
 * Inbox: every file of schemas/examples/invalid, plus valid messages of the
 * wrong type, addressed to another agent, empty, oversize and binary
 * payloads. Control socket: bad JSON, unknown commands, wrong keys and
 * types, missing reasons and notes, NUL bytes and bad UTF-8, an oversize
 * line, silent and half-sent clients, more clients than allowed; and the
 * subcommands' exit codes. Command line: bad settings exit 2 with a line
 * naming the setting (systemd does not restart those). Afterwards
 * `status --json` and `jobs --json` say the same as before, every bad
 * message and line was counted, and the agent still answers.
 *
 * argv: EXAMPLES_DIR AGENT_BIN [EMULATOR ARGS...].
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/msg.h"
#include "fieldagent/app/control.h"
#include "tests/integration/agent_harness.h"
#include "tests/support/broker.h"
#include "tests/support/check.h"
#include "tests/support/examples.h"

#define WAIT 60000
#define ID   "tx-bad"

static struct ah_exec X;

/* The parts of the agent's state that bad input must not move. */
static void snapshot(const struct ah_agent *a, char *out, size_t cap)
{
    char *st = ah_ctl(a, "{\"cmd\":\"status\"}"), *jobs = ah_ctl(a, "{\"cmd\":\"jobs\"}");
    cJSON *o = st ? cJSON_Parse(st) : NULL;
    const char *keys[] = { "available", "on_shift", "mode", "active_jobs", "pending_offers" };
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; o && i < sizeof keys / sizeof keys[0]; i++) {
        char *v = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(o, keys[i]));
        at += (size_t)snprintf(out + at, cap - at, "%s=%s ", keys[i], v ? v : "?");
        cJSON_free(v);
    }
    snprintf(out + at, cap - at, "jobs=%s", jobs ? jobs : "?");
    cJSON_Delete(o);
    free(st);
    free(jobs);
}

static int raw_connect(const struct ah_agent *a)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t plen = strlen(a->sock);
    int fd;
    if (plen >= sizeof sa.sun_path)
        return -1;
    memcpy(sa.sun_path, a->sock, plen + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Read one reply line (bounded wait) into out; 0 on success. */
static int read_line(int fd, char *out, size_t cap)
{
    size_t len = 0;
    for (long long until = trt_now_ms() + 10000; trt_now_ms() < until && len + 1 < cap;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t r = read(fd, out + len, 1);
        if (r <= 0)
            break;
        if (out[len] == '\n') {
            out[len] = '\0';
            return 0;
        }
        len++;
    }
    out[len] = '\0';
    return -1;
}

/* Send raw bytes as one request; the reply's error code must be `code`. */
static void expect_error(const struct ah_agent *a, const char *req, size_t len, const char *code)
{
    char reply[1024], want[64];
    int fd = raw_connect(a);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(send(fd, req, len, MSG_NOSIGNAL) == (ssize_t)len);
    CHECK(read_line(fd, reply, sizeof reply) == 0);
    snprintf(want, sizeof want, "\"error\":\"%s\"", code);
    CHECK_MSG(strstr(reply, "\"ok\":false") && strstr(reply, want), "%.60s -> %s", req, reply);
    /* every answer is strict JSON in valid UTF-8, whatever the request held */
    CHECK_MSG(tr_msg_json_check(reply, strlen(reply), NULL) == TR_MSG_OK, "%.60s -> %s", req,
              reply);
    close(fd);
}

/* Publish every *.json of dir (except names starting with skip) on topic. */
static int send_inbox_files(struct ah_observer *o, const char *dir, const char *topic,
                            const char *skip)
{
    DIR *dp = opendir(dir);
    char path[1024];
    int sent = 0;
    CHECK(dp != NULL);
    for (struct dirent *e; dp && (e = readdir(dp));) {
        size_t len;
        if (!strstr(e->d_name, ".json") || (skip && strncmp(e->d_name, skip, strlen(skip)) == 0))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *buf = trt_read_file(path, &len);
        if (!buf)
            continue;
        CHECK(ah_publish(o->m, topic, buf, len) == 0);
        free(buf);
        sent++;
    }
    if (dp)
        closedir(dp);
    return sent;
}

static void test_inbox(struct ah_agent *a, struct ah_observer *o, const char *examples)
{
    char dir[512], topic[128], big[70000];
    int sent;

    snprintf(topic, sizeof topic, "truckroll/v1/agent/%s/inbox", ID);
    snprintf(dir, sizeof dir, "%s/invalid", examples);
    sent = send_inbox_files(o, dir, topic, NULL);
    CHECK(sent >= 60);
    /* valid messages that do not belong on this inbox: every valid example
     * (wrong types, and offers etc. addressed to other agents) but the
     * `error` ones, which an inbox does carry */
    snprintf(dir, sizeof dir, "%s/valid", examples);
    sent += send_inbox_files(o, dir, topic, "error-");
    /* empty, oversize, binary, truncated */
    CHECK(ah_publish(o->m, topic, "", 0) == 0);
    memset(big, ' ', sizeof big);
    big[0] = '{';
    big[sizeof big - 1] = '}';
    CHECK(ah_publish(o->m, topic, big, sizeof big) == 0);
    CHECK(ah_publish(o->m, topic, "\xff\xfe\x00\x01", 4) == 0);
    CHECK(ah_publish(o->m, topic, "{\"type\":\"offer\",\"id\":", 21) == 0);
    sent += 4;
    CHECK_MSG(ah_wait_status(a, "counters.inbox_received", sent, WAIT), "received %g of %d",
              ah_status_num(a, "counters.inbox_received"), sent);
    CHECK(ah_status_num(a, "counters.inbox_accepted") == 0);
    CHECK_MSG(ah_status_num(a, "counters.inbox_rejected") == sent, "rejected %g of %d",
              ah_status_num(a, "counters.inbox_rejected"), sent);
    CHECK(ah_status_num(a, "counters.offers") == 0);
    printf("inbox: %d bad messages, all rejected\n", sent);
}

static void test_control(struct ah_agent *a)
{
    static const struct {
        const char *req, *code;
    } bad[] = {
        { "garbage\n", "bad_json" },
        { "{\"cmd\":\"status\"\n", "bad_json" },
        { "{\"cmd\":\"status\"} trailing\n", "bad_json" },
        { "[1,2,3]\n", "bad_json" },
        { "{}\n", "bad_request" },
        { "{\"cmd\":5}\n", "bad_request" },
        { "{\"cmd\":\"reboot\"}\n", "unknown_command" },
        { "{\"cmd\":\"STATUS\"}\n", "unknown_command" },
        { "{\"cmd\":\"status\",\"x\":1}\n", "bad_request" },
        { "{\"cmd\":\"accept\",\"offer\":5}\n", "bad_request" },
        { "{\"cmd\":\"accept\",\"offer\":\"a/b\"}\n", "bad_request" },
        { "{\"cmd\":\"accept\",\"job\":\"j-1\"}\n", "bad_request" },
        { "{\"cmd\":\"accept\",\"cmd\":\"accept\"}\n", "bad_request" },
        { "{\"cmd\":\"decline\"}\n", "bad_request" },
        { "{\"cmd\":\"decline\",\"reason\":\"bored\"}\n", "bad_request" },
        { "{\"cmd\":\"fail\"}\n", "bad_request" },
        { "{\"cmd\":\"escalate\",\"note\":\"\"}\n", "bad_request" },
        { "{\"cmd\":\"done\",\"note\":\"\xc3\x28\"}\n", "bad_json" },
        { "{\"cmd\":\"done\",\"note\":\"a\\u0001b\"}\n", "bad_request" },
        /* cJSON would cut these strings at the escaped NUL: "accept O1", "release" */
        { "{\"cmd\":\"accept\",\"offer\":\"O1\\u0000garbage\"}\n", "bad_json" },
        { "{\"cmd\":\"release\\u0000please-ignore\"}\n", "bad_json" },
        { "{\"cmd\":\"decline\",\"reason\":\"busy\\u0000x\"}\n", "bad_json" },
        /* not UTF-8, a lone surrogate, a leading zero (cJSON takes all three) */
        { "{\"cmd\":\"\xff\xfe\"}\n", "bad_json" },
        { "{\"cmd\":\"done\",\"note\":\"\\ud800\"}\n", "bad_json" },
        { "{\"cmd\":\"status\",\"x\":01}\n", "bad_json" },
        /* echoed in the message: cut at 40 bytes, never inside a character */
        { "{\"cmd\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9\"}\n", "unknown_command" },
        { "{\"cmd\":\"status\",\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xe2\x82\xac\":1}\n",
          "bad_request" },
    };
    size_t n = sizeof bad / sizeof bad[0];
    char line[6000], out[4096];
    double before = ah_status_num(a, "counters.control_rejected");

    for (size_t i = 0; i < n; i++)
        expect_error(a, bad[i].req, strlen(bad[i].req), bad[i].code);
    static const char nul[] = "{\"cmd\":\"st\0atus\"}\n";
    expect_error(a, nul, sizeof nul - 1, "bad_json");
    memset(line, 'x', sizeof line);
    line[sizeof line - 1] = '\n';
    expect_error(a, line, sizeof line, "too_large");
    double after = ah_status_num(a, "counters.control_rejected");
    CHECK_MSG(after - before == (double)n + 2, "control_rejected %g -> %g, sent %zu", before, after,
              n + 2);

    /* silent clients and one that sent half a line do not block anyone */
    int idle[7];
    for (int i = 0; i < 7; i++) {
        idle[i] = raw_connect(a);
        CHECK(idle[i] >= 0);
    }
    CHECK(send(idle[0], "{\"cmd\":\"sta", 11, MSG_NOSIGNAL) == 11);
    char *r = ah_ctl(a, "{\"cmd\":\"status\"}");
    CHECK(r && strstr(r, "\"ok\":true"));
    free(r);
    /* a ninth client is turned away with a clear answer (the status client
     * above may still hold its slot for a moment: one of the two) */
    trt_sleep_ms(200);
    int extra = raw_connect(a), ninth = raw_connect(a);
    CHECK(extra >= 0 && ninth >= 0);
    struct pollfd p[2] = { { .fd = ninth, .events = POLLIN }, { .fd = extra, .events = POLLIN } };
    CHECK(poll(p, 2, 10000) > 0);
    int busy_fd = (p[0].revents & POLLIN) ? ninth : extra;
    CHECK(read_line(busy_fd, out, sizeof out) == 0 && strstr(out, "\"error\":\"busy\""));
    close(ninth);
    close(extra);
    CHECK(ah_wait_status(a, "counters.control_clients_refused", 1, WAIT));

    /* silent for TR_CONTROL_IDLE_MS with every place taken: the longest
     * silent gives its place up to a newcomer, with a clear answer */
    int last = -1;
    for (int tries = 0; tries < 50 && last < 0; tries++) { /* the 8th place, proven by an answer */
        static const char st[] = "{\"cmd\":\"status\"}\n";
        last = raw_connect(a);
        if (last >= 0 && (send(last, st, sizeof st - 1, MSG_NOSIGNAL) != (ssize_t)sizeof st - 1 ||
                          read_line(last, out, sizeof out) != 0 || !strstr(out, "\"ok\":true"))) {
            close(last);
            last = -1;
            trt_sleep_ms(100);
        }
    }
    CHECK(last >= 0);
    trt_sleep_ms(TR_CONTROL_IDLE_MS + 500);
    char *ok = ah_ctl(a, "{\"cmd\":\"status\"}");
    CHECK_MSG(ok && strstr(ok, "\"ok\":true"), "after %d ms of silence: %s", TR_CONTROL_IDLE_MS,
              ok ? ok : "(no answer)");
    free(ok);
    int told = 0;
    for (int i = 0; i < 7; i++) {
        struct pollfd q = { .fd = idle[i], .events = POLLIN };
        if (poll(&q, 1, 0) > 0 && read_line(idle[i], out, sizeof out) == 0 &&
            strstr(out, "\"error\":\"idle\""))
            told++;
    }
    CHECK_MSG(told >= 1, "no silent client was told it was closed");
    CHECK(ah_status_num(a, "counters.control_clients_evicted") >= 1);
    close(last);
    for (int i = 0; i < 7; i++)
        close(idle[i]);

    /* the subcommands' exit codes */
    CHECK(ah_cli(a, &X, out, sizeof out, "decline", "--reason", "bored", NULL) == 2);
    CHECK(ah_cli(a, &X, out, sizeof out, "accept", NULL) == 1);
    CHECK(ah_cli(a, &X, out, sizeof out, "status", "extra-arg", NULL) == 2);
    struct ah_agent nowhere = *a;
    snprintf(nowhere.sock, sizeof nowhere.sock, "%s/nonexistent.sock", a->dir);
    CHECK(ah_cli(&nowhere, &X, out, sizeof out, "status", NULL) == 3);
}

/* Bad settings on the command line: exit status 2 (systemd does not
 * restart it: RestartPreventExitStatus=2) and a line naming the setting;
 * nothing starts. */
static void test_command_line(const struct ah_agent *a, const char *replay)
{
    static const struct {
        const char *arg1, *arg2, *says;
    } bad[] = {
        { "--agent.id=", "--log.level=info", "agent.id" },
        { "--agent.id=bad/id", "--log.level=info", "agent.id" },
        { "--store.max_positions=100", "--store.commit_every=50", "commit_every" },
        { "--no.such_key=1", "--log.level=info", "no.such_key" },
        { "--agent.timezone=Mars/Olympus_Mons", "--log.level=info", "timezone" },
        { "--agent.hours=Mon-Fri 25:00-26:00", "--log.level=info", "hours" },
        { "--report.threshold_m=3", "--log.level=info", "threshold_m" },
        { "--broker.port=70000", "--log.level=info", "broker.port" },
    };
    char store[400], sock[400], out[4096];

    snprintf(store, sizeof store, "--store.path=%s/cfg.db", a->dir);
    snprintf(sock, sizeof sock, "--control.socket=%s/cfg.sock", a->dir);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = ah_run(a, &X, out, sizeof out, "run", "-c", "/dev/null", "--agent.id=cfg-check",
                        store, sock, replay, bad[i].arg1, bad[i].arg2, NULL);
        CHECK_MSG(rc == 2, "%s %s: exit %d", bad[i].arg1, bad[i].arg2, rc);
        CHECK_MSG(strstr(out, bad[i].says) != NULL, "%s: says %s", bad[i].arg1, out);
    }

    /* the commands' own options: bad numbers are usage errors (not a
     * watch that never stops), --help is the manual */
    static const char *const bad_watch[][2] = {
        { "--count", "abc" }, { "--count", "0" }, { "--count", "-1" }, { "--interval-ms", "100abc" }
    };
    for (size_t i = 0; i < sizeof bad_watch / sizeof bad_watch[0]; i++) {
        int rc = ah_cli(a, &X, out, sizeof out, "watch", bad_watch[i][0], bad_watch[i][1], NULL);
        CHECK_MSG(rc == 2 && strstr(out, bad_watch[i][0]), "watch %s %s: exit %d, %s",
                  bad_watch[i][0], bad_watch[i][1], rc, out);
    }
    CHECK(ah_cli(a, &X, out, sizeof out, "status", "--help", NULL) == 0 &&
          strstr(out, "DAEMON OPTIONS") != NULL);
    /* watch --json: one line per refresh, the daemon's status and jobs */
    static char lines[65536];
    CHECK(ah_cli(a, &X, lines, sizeof lines, "watch", "--json", "--count", "2", "--interval-ms",
                 "50", NULL) == 0);
    int n = 0;
    for (char *line = strtok(lines, "\n"); line; line = strtok(NULL, "\n"), n++) {
        cJSON *j = cJSON_Parse(line);
        CHECK_MSG(cJSON_IsObject(cJSON_GetObjectItem(j, "status")) &&
                      cJSON_IsObject(cJSON_GetObjectItem(j, "jobs")),
                  "watch --json line %d: %.80s", n, line);
        cJSON_Delete(j);
    }
    CHECK_MSG(n == 2, "watch --json --count 2 printed %d lines", n);
}

int main(int argc, char **argv)
{
    struct trt_broker b;
    struct ah_observer o;
    struct ah_agent a;
    char replay[420], before[4096], after[4096];

    if (argc < 3) {
        fprintf(stderr, "usage: %s EXAMPLES_DIR AGENT_BIN [EMULATOR...]\n", argv[0]);
        return 2;
    }
    ah_exec_init(&X, argc - 2, argv + 2);
    CHECK(ah_agent_init(&a, ID) == 0);
    CHECK(ah_agent_track(&a, "track.gpx", 60, 48.137, 11.575, 0.0, replay, sizeof replay) == 0);
    const char *extra[] = { replay, "--gps.replay_loop=true", NULL };
    CHECK(trt_broker_start(&b, NULL) == 0);
    CHECK(ah_observer_start(&o, b.port, "dispatcher", NULL, NULL, 0) == 0);
    CHECK(ah_agent_start(&a, &X, b.port, extra) == 0);
    if (check_failed)
        return check_report("test_agent_badinput");
    /* presence comes after the inbox subscription on the same connection */
    CHECK(ah_wait_int(&o, &o.presence_online, 1, WAIT));
    CHECK(ah_wait_status(&a, "gps.fix", 1, WAIT));
    snapshot(&a, before, sizeof before);

    test_inbox(&a, &o, argv[1]);
    test_control(&a);
    test_command_line(&a, replay);

    snapshot(&a, after, sizeof after);
    CHECK_MSG(strcmp(before, after) == 0, "state changed:\n  %s\n  %s", before, after);
    CHECK(ah_agent_alive(&a));
    CHECK(ah_agent_stop(&a) == 0);
    if (check_failed)
        ah_agent_dump_log(&a);
    ah_observer_stop(&o);
    ah_agent_cleanup(&a);
    trt_broker_stop(&b);
    return check_report("test_agent_badinput");
}
