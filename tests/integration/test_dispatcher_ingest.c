/*
 * tests/integration/test_dispatcher_ingest.c: the real truckrolld against a
 * private mosquitto. Every valid agent-side example from schemas/examples is
 * published on its live topic and accepted; every invalid example is
 * published on an agent's topics and answered with an `error` on that agent's
 * inbox; a spoofed agent id and a message on the wrong topic are refused as
 * well; the dispatcher is still serving afterwards and its counters say so.
 *
 * argv[1]: path of truckrolld, argv[2]: schemas/examples.
 */
#define _GNU_SOURCE /* memmem */
#include <dirent.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/mqtt.h"
#include "common/msg.h"
#include "tests/support/broker.h"
#include "tests/support/check.h"
#include "tests/support/examples.h"

struct inbox {
    _Atomic int dispatcher_online;
    _Atomic int errors;
    _Atomic int forbidden;
    _Atomic int bad_type;
};

static void on_message(void *user, const char *topic, const void *payload, size_t len,
                       const struct tr_mqtt_msg_props *props)
{
    struct inbox *in = user;
    struct tr_msg m;
    (void)props;
    if (strcmp(topic, "truckroll/v1/dispatcher/state") == 0) {
        if (memmem(payload, len, "\"online\":true", 13))
            atomic_store(&in->dispatcher_online, 1);
        return;
    }
    if (tr_msg_decode_as(payload, len, TR_MSG_ERROR, &m, NULL) != TR_MSG_OK)
        return;
    atomic_fetch_add(&in->errors, 1);
    if (m.u.error.code == TR_WIRE_FORBIDDEN)
        atomic_fetch_add(&in->forbidden, 1);
    if (m.u.error.code == TR_WIRE_BAD_TYPE)
        atomic_fetch_add(&in->bad_type, 1);
}

static int publish(struct tr_mqtt *c, const char *topic, const char *buf, size_t len)
{
    struct tr_mqtt_pub pub = { .qos = 1 };
    for (int i = 0; i < 5000; i++) {
        int rc = tr_mqtt_publish(c, topic, buf, len, &pub);
        if (rc != TR_MQTT_ERR_BUSY && rc != TR_MQTT_ERR_NOT_CONNECTED)
            return rc;
        trt_sleep_ms(2);
    }
    return TR_MQTT_ERR_TIMEOUT;
}

static int wait_for(_Atomic int *v, int want, int timeout_ms)
{
    for (int t = 0; t < timeout_ms; t += 20) {
        if (atomic_load(v) >= want)
            return 1;
        trt_sleep_ms(20);
    }
    return atomic_load(v) >= want;
}

int main(int argc, char **argv)
{
    struct trt_broker broker;
    struct trt_broker_opts bo = { 0 };
    struct inbox in = { 0 };
    char dir[512], path[1024], topic[256], port[32], logpath[] = "/tmp/tr-ingest-XXXXXX";
    char dbdir[] = "/tmp/tr-ingest-db-XXXXXX", dbarg[600];
    int valid_sent = 0, invalid_sent = 0, unanswered = 0, rc;
    pid_t d;

    if (argc != 3) {
        fprintf(stderr, "usage: %s TRUCKROLLD EXAMPLES_DIR\n", argv[0]);
        return 2;
    }
    CHECK(trt_broker_start(&broker, &bo) == 0);
    if (check_failed)
        return check_report("test_dispatcher_ingest");
    int logfd = mkstemp(logpath);
    CHECK(logfd >= 0);
    CHECK(mkdtemp(dbdir) != NULL);
    snprintf(dbarg, sizeof dbarg, "--db.path=%s/truckroll.db", dbdir);
    snprintf(port, sizeof port, "--broker.port=%d", broker.port);
    d = fork();
    if (d == 0) {
        dup2(logfd, 2);
        execl(argv[1], argv[1], port, dbarg, "--broker.username=", "--stats.interval_s=0",
              "--errors.replies_per_s=100000", "-c", "/dev/null", (char *)NULL);
        _exit(127);
    }
    close(logfd);

    struct tr_mqtt_options mo = { .host = "127.0.0.1",
                                  .port = broker.port,
                                  .client_id = "ingest-tester" };
    struct tr_mqtt_callbacks cb = { .on_message = on_message };
    struct tr_mqtt *c = tr_mqtt_new(&mo, &cb, &in, &rc);
    CHECK(c != NULL);
    tr_mqtt_subscribe(c, "truckroll/v1/agent/+/inbox", 1);
    tr_mqtt_subscribe(c, "truckroll/v1/dispatcher/state", 1);
    tr_mqtt_connect(c);
    CHECK(tr_mqtt_wait_connected(c, 10000) == TR_MQTT_OK);
    CHECK(tr_mqtt_wait_subscribed(c, 10000) == TR_MQTT_OK);
    /* the dispatcher publishes its retained online state after subscribing */
    CHECK_MSG(wait_for(&in.dispatcher_online, 1, 30000), "dispatcher never came online");

    /* valid examples on their own agent's topics */
    snprintf(dir, sizeof dir, "%s/valid", argv[2]);
    DIR *dp = opendir(dir);
    CHECK(dp != NULL);
    for (struct dirent *e; dp && (e = readdir(dp));) {
        const char *leaf = trt_example_agent_leaf(e->d_name);
        size_t len;
        struct tr_msg m;
        if (!leaf)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *buf = trt_read_file(path, &len);
        CHECK_MSG(buf && tr_msg_decode(buf, len, &m, NULL) == TR_MSG_OK, "%s", e->d_name);
        if (!buf)
            continue;
        const char *who = tr_msg_claimed_agent_id(&m);
        snprintf(topic, sizeof topic, "truckroll/v1/agent/%s/%s", who ? who : "", leaf);
        CHECK(publish(c, topic, buf, len) == TR_MQTT_OK);
        tr_msg_free(&m);
        free(buf);
        valid_sent++;
    }
    if (dp)
        closedir(dp);
    CHECK(valid_sent >= 8);

    /* every invalid example, on tester-1's topics */
    snprintf(dir, sizeof dir, "%s/invalid", argv[2]);
    dp = opendir(dir);
    CHECK(dp != NULL);
    for (struct dirent *e; dp && (e = readdir(dp));) {
        const char *leaf = trt_example_agent_leaf(e->d_name);
        size_t len;
        if (e->d_name[0] == '.' || !strstr(e->d_name, ".json"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *buf = trt_read_file(path, &len);
        if (!buf)
            continue;
        snprintf(topic, sizeof topic, "truckroll/v1/agent/tester-1/%s", leaf ? leaf : "event");
        CHECK(publish(c, topic, buf, len) == TR_MQTT_OK);
        free(buf);
        invalid_sent++;
        unanswered += !trt_example_answered(e->d_name);
    }
    if (dp)
        closedir(dp);
    CHECK(invalid_sent >= 60);

    /* a spoofed id, and a valid message on the wrong topic */
    const char spoof[] = "{\"type\":\"presence\",\"id\":\"s-1\",\"ts\":1764000000000,"
                         "\"agent_id\":\"victim-7\",\"boot_id\":\"b1\",\"online\":false}";
    CHECK(publish(c, "truckroll/v1/agent/tester-2/state", spoof, sizeof spoof - 1) == 0);
    const char wrong[] = "{\"type\":\"presence\",\"id\":\"s-2\",\"ts\":1764000000000,"
                         "\"agent_id\":\"tester-3\",\"boot_id\":\"b1\",\"online\":false}";
    CHECK(publish(c, "truckroll/v1/agent/tester-3/loc", wrong, sizeof wrong - 1) == 0);

    int answers = invalid_sent - unanswered + 2;
    CHECK(unanswered >= 3);
    CHECK_MSG(wait_for(&in.errors, answers, 60000), "error replies %d of %d",
              atomic_load(&in.errors), answers);
    CHECK(atomic_load(&in.forbidden) >= 1);
    CHECK(atomic_load(&in.bad_type) >= 1);

    /* still serving: stop it cleanly and read its counters */
    CHECK(kill(d, 0) == 0);
    kill(d, SIGTERM);
    int st = 0;
    for (int i = 0; i < 100 && waitpid(d, &st, WNOHANG) == 0; i++)
        trt_sleep_ms(50);
    if (waitpid(d, &st, WNOHANG) == 0) {
        kill(d, SIGKILL);
        waitpid(d, &st, 0);
    }
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_MSG(atomic_load(&in.errors) == answers,
              "error replies %d, %d expected (none for an error)", atomic_load(&in.errors),
              answers);

    size_t loglen = 0;
    char *log = trt_read_file(logpath, &loglen);
    unsigned long rec = 0, acc = 0, rej = 0;
    const char *fc = log ? strstr(log, "final counters: ") : NULL;
    CHECK(fc && sscanf(fc, "final counters: received %lu accepted %lu rejected %lu", &rec, &acc,
                       &rej) == 3);
    CHECK_MSG(acc == (unsigned long)valid_sent, "accepted %lu, sent %d valid", acc, valid_sent);
    CHECK_MSG(rej == (unsigned long)invalid_sent + 2, "rejected %lu, sent %d invalid + 2", rej,
              invalid_sent);
    printf("sent %d valid, %d invalid + 2 refused; dispatcher: received %lu accepted %lu "
           "rejected %lu; error replies %d\n",
           valid_sent, invalid_sent, rec, acc, rej, atomic_load(&in.errors));
    free(log);
    if (check_failed)
        fprintf(stderr, "dispatcher log kept: %s\n", logpath);
    else
        unlink(logpath);
    tr_mqtt_free(c);
    trt_broker_stop(&broker);
    snprintf(path, sizeof path, "rm -rf '%s'", dbdir);
    if (system(path) != 0)
        fprintf(stderr, "could not remove %s\n", dbdir);
    return check_report("test_dispatcher_ingest");
}
