/*
 * tests/integration/agent_harness.c: see agent_harness.h. Spawns the real
 * truckroll-agent, talks to its control socket, records what it publishes.
 */
#define _GNU_SOURCE /* strndup, mkdtemp */
#include "tests/integration/agent_harness.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/msg.h"
#include "tests/support/broker.h"

extern char **environ;

#define START_WAIT_MS 60000 /* generous: under qemu the agent starts slowly */
#define CTL_WAIT_MS   15000

int64_t ah_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ah_exec_init(struct ah_exec *x, int argc, char **argv)
{
    memset(x, 0, sizeof *x);
    for (int i = 1; i < argc && x->n < 6; i++)
        x->argv[x->n++] = argv[i]; /* the emulator, if any */
    x->argv[x->n++] = argc > 0 ? argv[0] : "truckroll-agent";
}

int ah_agent_init(struct ah_agent *a, const char *id)
{
    const char *tmp = getenv("TMPDIR");
    memset(a, 0, sizeof *a);
    snprintf(a->dir, sizeof a->dir, "%s/tr-agent-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(a->dir))
        return -1;
    snprintf(a->sock, sizeof a->sock, "%s/run/control.sock", a->dir);
    snprintf(a->db, sizeof a->db, "%s/outbox.db", a->dir);
    snprintf(a->log, sizeof a->log, "%s/agent.log", a->dir);
    snprintf(a->id, sizeof a->id, "%s", id);
    return 0;
}

static pid_t spawn(const char *const *argv, const char *out_path, int append)
{
    posix_spawn_file_actions_t fa;
    pid_t pid = -1;
    posix_spawn_file_actions_init(&fa);
    if (out_path) {
        int flags = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC);
        posix_spawn_file_actions_addopen(&fa, 1, out_path, flags, 0644);
        posix_spawn_file_actions_addopen(&fa, 2, out_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    }
    if (posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ) != 0)
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

int ah_agent_start(struct ah_agent *a, const struct ah_exec *x, int broker_port,
                   const char *const *extra)
{
    const char *argv[64];
    char id[96], port[48], store[400], sock[400];
    int n = 0;

    for (int i = 0; i < x->n; i++)
        argv[n++] = x->argv[i];
    snprintf(id, sizeof id, "--agent.id=%s", a->id);
    snprintf(port, sizeof port, "--broker.port=%d", broker_port);
    snprintf(store, sizeof store, "--store.path=%s", a->db);
    snprintf(sock, sizeof sock, "--control.socket=%s", a->sock);
    argv[n++] = "run";
    argv[n++] = id;
    argv[n++] = port;
    argv[n++] = store;
    argv[n++] = sock;
    argv[n++] = "-c";
    argv[n++] = "/dev/null";
    argv[n++] = "--log.level=debug";
    for (int i = 0; extra && extra[i] && n < 62; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    a->pid = spawn(argv, a->log, 1);
    if (a->pid <= 0)
        return -1;
    for (long long until = trt_now_ms() + START_WAIT_MS; trt_now_ms() < until;) {
        char *r;
        if (!ah_agent_alive(a))
            return -1;
        if ((r = ah_ctl(a, "{\"cmd\":\"status\"}")) != NULL) {
            free(r);
            return 0;
        }
        trt_sleep_ms(50);
    }
    return -1;
}

int ah_agent_alive(struct ah_agent *a)
{
    int st;
    if (a->pid <= 0)
        return 0;
    if (waitpid(a->pid, &st, WNOHANG) == a->pid) {
        a->pid = 0;
        return 0;
    }
    return 1;
}

void ah_agent_kill9(struct ah_agent *a)
{
    if (a->pid > 0) {
        kill(a->pid, SIGKILL);
        waitpid(a->pid, NULL, 0);
    }
    a->pid = 0;
}

int ah_agent_stop(struct ah_agent *a)
{
    int st = 0;
    if (a->pid <= 0)
        return -1;
    kill(a->pid, SIGTERM);
    for (long long until = trt_now_ms() + 20000; trt_now_ms() < until;) {
        if (waitpid(a->pid, &st, WNOHANG) == a->pid) {
            a->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
        trt_sleep_ms(20);
    }
    ah_agent_kill9(a);
    return -1;
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[600];
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (unlink(p) != 0)
            rm_tree(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

void ah_agent_cleanup(struct ah_agent *a)
{
    if (a->pid > 0)
        ah_agent_kill9(a);
    if (a->dir[0])
        rm_tree(a->dir);
    a->dir[0] = '\0';
}

void ah_agent_dump_log(const struct ah_agent *a)
{
    FILE *f = fopen(a->log, "r");
    char line[512];
    long lines = 0, skip;
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        lines++;
    rewind(f);
    skip = lines > 60 ? lines - 60 : 0;
    fprintf(stderr, "---- %s (last %ld lines)\n", a->log, lines - skip);
    for (long i = 0; fgets(line, sizeof line, f); i++) {
        if (i >= skip)
            fputs(line, stderr);
    }
    fclose(f);
}

char *ah_ctl(const struct ah_agent *a, const char *line)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char buf[65536];
    size_t len = 0;
    size_t plen = strlen(a->sock);
    int fd;

    if (plen >= sizeof sa.sun_path)
        return NULL;
    memcpy(sa.sun_path, a->sock, plen + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        send(fd, line, strlen(line), MSG_NOSIGNAL) < 0 || send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    for (long long until = trt_now_ms() + CTL_WAIT_MS; trt_now_ms() < until && len < sizeof buf;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 200) <= 0)
            continue;
        ssize_t r = read(fd, buf + len, sizeof buf - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        char *nl = memchr(buf, '\n', len);
        if (nl) {
            close(fd);
            return strndup(buf, (size_t)(nl - buf));
        }
    }
    close(fd);
    return NULL;
}

static const cJSON *walk(const cJSON *o, const char *path)
{
    char key[64];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, path);
        o = cJSON_GetObjectItemCaseSensitive(o, key);
        path += n + (path[n] == '.');
    }
    return o;
}

double ah_status_num(const struct ah_agent *a, const char *path)
{
    char *r = ah_ctl(a, "{\"cmd\":\"status\"}");
    cJSON *o = r ? cJSON_Parse(r) : NULL;
    const cJSON *v = walk(o, path);
    double d = cJSON_IsNumber(v) ? v->valuedouble : cJSON_IsBool(v) ? (double)cJSON_IsTrue(v) : NAN;
    cJSON_Delete(o);
    free(r);
    return d;
}

void ah_status_str(const struct ah_agent *a, const char *path, char *out, size_t cap)
{
    char *r = ah_ctl(a, "{\"cmd\":\"status\"}");
    cJSON *o = r ? cJSON_Parse(r) : NULL;
    const cJSON *v = walk(o, path);
    snprintf(out, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
    cJSON_Delete(o);
    free(r);
}

int ah_wait_status(const struct ah_agent *a, const char *path, double want, int timeout_ms)
{
    for (long long until = trt_now_ms() + timeout_ms; trt_now_ms() < until;) {
        double v = ah_status_num(a, path);
        if (v >= want)
            return 1;
        trt_sleep_ms(100);
    }
    return ah_status_num(a, path) >= want;
}

static pid_t cli_spawn(const struct ah_agent *a, const struct ah_exec *x, const char *out_path,
                       bool with_socket, va_list ap)
{
    const char *argv[40];
    int n = 0;
    const char *s;

    for (int i = 0; i < x->n; i++)
        argv[n++] = x->argv[i];
    while ((s = va_arg(ap, const char *)) != NULL && n < 34)
        argv[n++] = s;
    if (with_socket) {
        argv[n++] = "--socket";
        argv[n++] = a->sock;
    }
    argv[n] = NULL;
    return spawn(argv, out_path, 0);
}

pid_t ah_cli_start(const struct ah_agent *a, const struct ah_exec *x, const char *out_path, ...)
{
    va_list ap;
    pid_t pid;

    va_start(ap, out_path);
    pid = cli_spawn(a, x, out_path, true, ap);
    va_end(ap);
    return pid > 0 ? pid : -1;
}

/* Wait (bounded) for pid, copy its output file into out: its exit code. */
static int cli_finish(pid_t pid, const char *path, char *out, size_t cap)
{
    int st = 0, rc = -1;

    if (pid <= 0)
        return -1;
    for (long long until = trt_now_ms() + 30000; trt_now_ms() < until;) {
        if (waitpid(pid, &st, WNOHANG) == pid) {
            rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
            pid = 0;
            break;
        }
        trt_sleep_ms(10);
    }
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    if (out && cap) {
        FILE *f = fopen(path, "r");
        size_t len = f ? fread(out, 1, cap - 1, f) : 0;
        out[len] = '\0';
        if (f)
            fclose(f);
    }
    return rc;
}

static int cli_run(const struct ah_agent *a, const struct ah_exec *x, char *out, size_t cap,
                   bool with_socket, va_list ap)
{
    char path[400];

    snprintf(path, sizeof path, "%s/%s.out", a->dir, with_socket ? "cli" : "run");
    return cli_finish(cli_spawn(a, x, path, with_socket, ap), path, out, cap);
}

int ah_cli(const struct ah_agent *a, const struct ah_exec *x, char *out, size_t cap, ...)
{
    va_list ap;
    int rc;

    va_start(ap, cap);
    rc = cli_run(a, x, out, cap, true, ap);
    va_end(ap);
    return rc;
}

int ah_run(const struct ah_agent *a, const struct ah_exec *x, char *out, size_t cap, ...)
{
    va_list ap;
    int rc;

    va_start(ap, cap);
    rc = cli_run(a, x, out, cap, false, ap);
    va_end(ap);
    return rc;
}

int ah_agent_track(const struct ah_agent *a, const char *name, size_t n, double lat, double lon,
                   double step_m, char *arg, size_t cap)
{
    char path[400];
    if (snprintf(path, sizeof path, "%s/%s", a->dir, name) >= (int)sizeof path ||
        ah_write_gpx(path, n, lat, lon, step_m) != 0)
        return -1;
    return snprintf(arg, cap, "--gps.replay=%s", path) < (int)cap ? 0 : -1;
}

int ah_write_gpx(const char *path, size_t n, double lat, double lon, double step_m)
{
    FILE *f = fopen(path, "w");
    double dlon = step_m / (111320.0 * cos(lat * M_PI / 180.0));
    if (!f)
        return -1;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<gpx version=\"1.1\" creator=\"truckroll tests\" "
               "xmlns=\"http://www.topografix.com/GPX/1/1\">\n<trk><trkseg>\n");
    for (size_t i = 0; i < n; i++) {
        time_t t = (time_t)(1704067200 + (long long)i);
        struct tm tm;
        char ts[32];
        gmtime_r(&t, &tm);
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(f,
                "<trkpt lat=\"%.7f\" lon=\"%.7f\"><time>%s</time><speed>%.2f</speed>"
                "</trkpt>\n",
                lat, lon + dlon * (double)i, ts, step_m);
    }
    fprintf(f, "</trkseg></trk>\n</gpx>\n");
    return fclose(f) == 0 ? 0 : -1;
}

/* ---------------------------------------------------------- observer */

static struct ah_boot *boot_of(struct ah_observer *o, const char *id)
{
    for (int i = 0; i < o->n_boots; i++) {
        if (strcmp(o->boots[i].id, id) == 0)
            return &o->boots[i];
    }
    if (o->n_boots == AH_MAX_BOOTS)
        return NULL;
    struct ah_boot *b = &o->boots[o->n_boots++];
    memset(b, 0, sizeof *b);
    snprintf(b->id, sizeof b->id, "%s", id);
    return b;
}

static void on_message(void *user, const char *topic, const void *payload, size_t len,
                       const struct tr_mqtt_msg_props *props)
{
    struct ah_observer *o = user;
    struct tr_msg m;
    const char *leaf = strrchr(topic, '/');
    (void)props;
    if (!leaf || len == 0 || tr_msg_decode(payload, len, &m, NULL) != TR_MSG_OK)
        return;
    pthread_mutex_lock(&o->mu);
    if (strcmp(leaf, "/loc") == 0 && m.type == TR_MSG_LOC) {
        struct ah_boot *b = boot_of(o, m.u.loc.boot_id);
        o->loc_msgs++;
        for (size_t i = 0; b && i < m.u.loc.n_fixes; i++) {
            int64_t seq = m.u.loc.fixes[i].seq;
            if (seq <= b->max_seq) {
                b->dups++;
                continue;
            }
            if (seq != b->max_seq + 1)
                b->gaps++;
            b->max_seq = seq;
            b->unique++;
        }
    } else if (strcmp(leaf, "/event") == 0) {
        bool dup = false;
        for (int i = 0; i < o->n_events; i++)
            dup = dup || strcmp(o->event_ids[i], m.id) == 0;
        if (dup) {
            o->event_dups++;
        } else if (o->n_events < AH_MAX_EVENTS) {
            const char *kind = "?";
            if (m.type == TR_MSG_OFFER_ANSWER)
                kind = m.u.offer_answer.answer == TR_ANSWER_ACCEPT ? "accept" : "decline";
            else if (m.type == TR_MSG_JOB_EVENT) {
                static const char *const ev[] = { "en_route", "on_site",  "completed",
                                                  "failed",   "escalate", "release" };
                kind = ev[m.u.job_event.event];
            }
            snprintf(o->events[o->n_events], sizeof o->events[0], "%s:%s", tr_msg_type_name(m.type),
                     kind);
            snprintf(o->event_ids[o->n_events], sizeof o->event_ids[0], "%s", m.id);
            o->n_events++;
        }
    } else if (strcmp(leaf, "/state") == 0 && m.type == TR_MSG_PRESENCE) {
        if (m.u.presence.online) {
            o->presence_online++;
            snprintf(o->last_presence_mode, sizeof o->last_presence_mode, "%s",
                     tr_msg_agent_mode_name(m.u.presence.mode));
        } else if (m.u.presence.has_reason && m.u.presence.reason == TR_PRESENCE_WILL) {
            o->presence_will++;
        } else {
            o->presence_shutdown++;
        }
    }
    pthread_mutex_unlock(&o->mu);
    tr_msg_free(&m);
}

int ah_observer_start(struct ah_observer *o, int port, const char *cid, const char *user,
                      const char *password, int persistent)
{
    struct tr_mqtt_options mo = { .host = "127.0.0.1",
                                  .port = port,
                                  .client_id = cid,
                                  .username = user,
                                  .password = password,
                                  .persistent = persistent,
                                  .reconnect_max_ms = 1000 };
    struct tr_mqtt_callbacks cb = { .on_message = on_message };
    int err = 0;

    memset(o, 0, sizeof *o);
    pthread_mutex_init(&o->mu, NULL);
    o->m = tr_mqtt_new(&mo, &cb, o, &err);
    if (!o->m)
        return -1;
    tr_mqtt_subscribe(o->m, "truckroll/v1/agent/+/state", 1);
    tr_mqtt_subscribe(o->m, "truckroll/v1/agent/+/loc", 1);
    tr_mqtt_subscribe(o->m, "truckroll/v1/agent/+/event", 1);
    tr_mqtt_connect(o->m);
    if (tr_mqtt_wait_connected(o->m, 20000) != TR_MQTT_OK ||
        tr_mqtt_wait_subscribed(o->m, 20000) != TR_MQTT_OK)
        return -1;
    return 0;
}

void ah_observer_stop(struct ah_observer *o)
{
    tr_mqtt_free(o->m);
    o->m = NULL;
    pthread_mutex_destroy(&o->mu);
}

int ah_publish(struct tr_mqtt *m, const char *topic, const char *payload, size_t len)
{
    struct tr_mqtt_pub pub = { .qos = 1 };
    for (int i = 0; i < 5000; i++) {
        int rc = tr_mqtt_publish(m, topic, payload, len, &pub);
        if (rc != TR_MQTT_ERR_BUSY && rc != TR_MQTT_ERR_NOT_CONNECTED)
            return rc;
        trt_sleep_ms(2);
    }
    return TR_MQTT_ERR_TIMEOUT;
}

int64_t ah_observer_unique(struct ah_observer *o, const char *boot)
{
    int64_t n = 0;
    pthread_mutex_lock(&o->mu);
    for (int i = 0; i < o->n_boots; i++) {
        if (!boot || strcmp(boot, o->boots[i].id) == 0)
            n += o->boots[i].unique;
    }
    pthread_mutex_unlock(&o->mu);
    return n;
}

int ah_observer_events(struct ah_observer *o)
{
    pthread_mutex_lock(&o->mu);
    int n = o->n_events;
    pthread_mutex_unlock(&o->mu);
    return n;
}

int ah_observer_in_order(struct ah_observer *o)
{
    int ok = 1;
    pthread_mutex_lock(&o->mu);
    for (int i = 0; i < o->n_boots; i++) {
        if (o->boots[i].gaps != 0 || o->boots[i].unique != o->boots[i].max_seq) {
            fprintf(stderr, "boot %.16s: %lld unique, max seq %lld, %lld gaps, %lld dups\n",
                    o->boots[i].id, (long long)o->boots[i].unique, (long long)o->boots[i].max_seq,
                    (long long)o->boots[i].gaps, (long long)o->boots[i].dups);
            ok = 0;
        }
    }
    pthread_mutex_unlock(&o->mu);
    return ok;
}

int ah_wait_int(struct ah_observer *o, const int *counter, int want, int timeout_ms)
{
    for (long long until = trt_now_ms() + timeout_ms;; trt_sleep_ms(20)) {
        pthread_mutex_lock(&o->mu);
        int v = *counter;
        pthread_mutex_unlock(&o->mu);
        if (v >= want)
            return 1;
        if (trt_now_ms() >= until)
            return 0;
    }
}
