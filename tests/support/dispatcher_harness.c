/*
 * tests/support/dispatcher_harness.c: the daemon side of
 * dispatcher_harness.h: temp dir, broker, spawning / killing truckrolld,
 * and the watcher of its retained state. Agents and consoles are in
 * dispatcher_clients.c.
 */
#define _GNU_SOURCE /* memmem */
#include "tests/support/dispatcher_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/mqtt.h"

extern char **environ;

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct trd_watch {
    struct tr_mqtt *m;
    pthread_mutex_t mu;
    int64_t online_ts; /* ts of the newest online:true seen */
};

static void watch_message(void *user, const char *topic, const void *payload, size_t len,
                          const struct tr_mqtt_msg_props *props)
{
    struct trd_watch *w = user;
    (void)topic;
    (void)props;
    const char *p = memmem(payload, len, "\"ts\":", 5);
    if (!p || !memmem(payload, len, "\"online\":true", 13))
        return;
    long long ts = atoll(p + 5);
    pthread_mutex_lock(&w->mu);
    if (ts > w->online_ts)
        w->online_ts = ts;
    pthread_mutex_unlock(&w->mu);
}

static int watch_start(struct trd *d)
{
    struct trd_watch *w = calloc(1, sizeof(*w));
    if (!w)
        return -1;
    pthread_mutex_init(&w->mu, NULL);
    char cid[64];
    snprintf(cid, sizeof(cid), "trd-watch-%d", (int)getpid());
    struct tr_mqtt_options mo = { .host = "127.0.0.1", .port = d->broker.port, .client_id = cid };
    struct tr_mqtt_callbacks cb = { .on_message = watch_message };
    int rc;
    w->m = tr_mqtt_new(&mo, &cb, w, &rc);
    if (!w->m) {
        free(w);
        return -1;
    }
    tr_mqtt_subscribe(w->m, "truckroll/v1/dispatcher/state", 1);
    tr_mqtt_connect(w->m);
    if (tr_mqtt_wait_connected(w->m, 10000) != TR_MQTT_OK ||
        tr_mqtt_wait_subscribed(w->m, 10000) != TR_MQTT_OK) {
        tr_mqtt_free(w->m);
        free(w);
        return -1;
    }
    d->watch = w;
    return 0;
}

int trd_alive(struct trd *d)
{
    if (d->pid <= 0)
        return 0;
    int st;
    if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
        d->pid = 0;
        return 0;
    }
    return 1;
}

int trd_spawn(struct trd *d)
{
    char *argv[TRD_MAX_ARGS + 4];
    int n = 0;
    argv[n++] = d->exe;
    for (int i = 0; i < d->n_args; i++)
        argv[n++] = d->args[i];
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    int64_t t0 = wall_ms();
    int rc = posix_spawn(&d->pid, d->exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(stderr, "trd: cannot spawn %s: %s\n", d->exe, strerror(rc));
        d->pid = 0;
        return -1;
    }
    d->starts++;
    for (int i = 0; i < 3000; i++) {
        pthread_mutex_lock(&d->watch->mu);
        int64_t ts = d->watch->online_ts;
        pthread_mutex_unlock(&d->watch->mu);
        if (ts >= t0)
            return 0;
        if (!trd_alive(d)) {
            fprintf(stderr, "trd: truckrolld exited during start; log %s\n", d->log);
            d->keep = true;
            return -1;
        }
        trt_sleep_ms(10);
    }
    fprintf(stderr, "trd: truckrolld did not come online; log %s\n", d->log);
    d->keep = true;
    return -1;
}

int trd_wait_online_since(struct trd *d, int64_t t0_ms, int timeout_ms)
{
    for (long long end = trt_now_ms() + timeout_ms; trt_now_ms() < end; trt_sleep_ms(10)) {
        pthread_mutex_lock(&d->watch->mu);
        int64_t ts = d->watch->online_ts;
        pthread_mutex_unlock(&d->watch->mu);
        if (ts >= t0_ms)
            return 0;
    }
    return -1;
}

int trd_start(struct trd *d, const char *exe, const char *const *args)
{
    return trd_start_conf(d, exe, args, NULL);
}

int trd_start_conf(struct trd *d, const char *exe, const char *const *args, const char *broker_conf)
{
    memset(d, 0, sizeof(*d));
    snprintf(d->exe, sizeof(d->exe), "%s", exe);
    const char *tmp = getenv("TMPDIR");
    snprintf(d->dir, sizeof(d->dir), "%s/trd-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(d->dir)) {
        fprintf(stderr, "trd: mkdtemp: %s\n", strerror(errno));
        return -1;
    }
    snprintf(d->db, sizeof(d->db), "%s/truckroll.db", d->dir);
    snprintf(d->log, sizeof(d->log), "%s/truckrolld.log", d->dir);
    struct trt_broker_opts bo = { .tcp_nodelay = 1, .extra_conf = broker_conf };
    if (trt_broker_start(&d->broker, &bo) != 0)
        return -1;
    const char *defaults[] = { "-c",
                               "/dev/null",
                               "--broker.username=",
                               "--stats.interval_s=0",
                               "--errors.replies_per_s=100000",
                               "--recovery.grace_ms=300",
                               "--engine.tick_ms=20",
                               "--geo.data=none",
                               NULL };
    for (int i = 0; defaults[i]; i++)
        snprintf(d->args[d->n_args++], sizeof(d->args[0]), "%s", defaults[i]);
    snprintf(d->args[d->n_args++], sizeof(d->args[0]), "--broker.port=%d", d->broker.port);
    snprintf(d->args[d->n_args++], sizeof(d->args[0]), "--db.path=%s", d->db);
    for (int i = 0; args && args[i] && d->n_args < TRD_MAX_ARGS; i++)
        snprintf(d->args[d->n_args++], sizeof(d->args[0]), "%s", args[i]);
    if (watch_start(d) != 0) {
        fprintf(stderr, "trd: watcher could not connect\n");
        return -1;
    }
    return trd_spawn(d);
}

void trd_kill9(struct trd *d)
{
    if (d->pid <= 0)
        return;
    kill(d->pid, SIGKILL);
    waitpid(d->pid, NULL, 0);
    d->pid = 0;
}

int trd_stop(struct trd *d)
{
    if (d->pid <= 0)
        return -1;
    kill(d->pid, SIGTERM);
    int st = 0;
    for (int i = 0; i < 400; i++) {
        if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
            d->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
        trt_sleep_ms(25);
    }
    fprintf(stderr, "trd: truckrolld did not stop on SIGTERM; killing it\n");
    trd_kill9(d);
    return -1;
}

void trd_finish(struct trd *d)
{
    if (d->pid > 0)
        trd_stop(d);
    if (d->watch) {
        tr_mqtt_free(d->watch->m);
        pthread_mutex_destroy(&d->watch->mu);
        free(d->watch);
        d->watch = NULL;
    }
    trt_broker_stop(&d->broker);
    if (d->keep || getenv("TRD_KEEP")) {
        fprintf(stderr, "trd: kept %s (log: %s)\n", d->dir, d->log);
        return;
    }
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
    if (d->dir[0] && system(cmd) != 0)
        fprintf(stderr, "trd: could not remove %s\n", d->dir);
}

int trd_log_count(const struct trd *d, const char *needle)
{
    FILE *f = fopen(d->log, "r");
    char line[4096];
    int n = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

void trd_offset_km(double lat, double lon, double north_km, double east_km, double *olat,
                   double *olon)
{
    *olat = lat + north_km / 111.195;
    *olon = lon + east_km / (111.195 * cos(lat * M_PI / 180.0));
}
