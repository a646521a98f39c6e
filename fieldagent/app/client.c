/*
 * fieldagent/app/client.c: `truckroll-agent COMMAND ...`: one request to the
 * running agent over its control socket, the answer printed for a person
 * (or as the agent's JSON with --json); and `watch`, a plain-text terminal
 * view refreshed about once a second (no curses), ringing the bell on a new
 * offer. Exit codes: 0 ok, 1 refused by the agent, 2 usage, 3 unreachable.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fieldagent/app/agent.h"

#define REPLY_TIMEOUT_MS 5000
#define REPLY_MAX        (1 << 20)

struct conn {
    int fd;
    char *buf;
    size_t len, cap;
};

bool agent_is_subcommand(const char *arg)
{
    return arg && (tr_ctl_cmd_parse(arg) >= 0 || strcmp(arg, "watch") == 0);
}

static int conn_open(struct conn *c, const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    memset(c, 0, sizeof *c);
    if (strlen(path) >= sizeof sa.sun_path)
        return -1;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "truckroll-agent: cannot reach the agent at %s: %s\n", path,
                strerror(errno));
        if (c->fd >= 0)
            close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

static void conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

/* Send one request line, return the reply line (malloc'ed) or NULL. */
static char *roundtrip(struct conn *c, const char *req)
{
    size_t len = strlen(req);
    char *line;

    if (send(c->fd, req, len, MSG_NOSIGNAL) != (ssize_t)len ||
        send(c->fd, "\n", 1, MSG_NOSIGNAL) != 1)
        return NULL;
    for (;;) {
        char *nl = c->buf ? memchr(c->buf, '\n', c->len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - c->buf);
            line = strndup(c->buf, n);
            memmove(c->buf, nl + 1, c->len - n - 1);
            c->len -= n + 1;
            return line;
        }
        if (c->len + 4096 > c->cap) {
            if (c->cap >= REPLY_MAX)
                return NULL;
            char *p = realloc(c->buf, c->cap ? c->cap * 2 : 8192);
            if (!p)
                return NULL;
            c->buf = p;
            c->cap = c->cap ? c->cap * 2 : 8192;
        }
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        if (poll(&p, 1, REPLY_TIMEOUT_MS) <= 0)
            return NULL;
        ssize_t r = read(c->fd, c->buf + c->len, c->cap - c->len);
        if (r <= 0)
            return NULL;
        c->len += (size_t)r;
    }
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double dbl(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static bool flag(const cJSON *o, const char *k)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static void print_offer(FILE *out, const cJSON *of)
{
    const cJSON *site = cJSON_GetObjectItemCaseSensitive(of, "site");
    const cJSON *skills = cJSON_GetObjectItemCaseSensitive(of, "skills");
    const cJSON *pay = cJSON_GetObjectItemCaseSensitive(of, "pay");
    const cJSON *s;
    fprintf(out, "  OFFER %s  job %s: %s\n", str(of, "offer_id"), str(of, "job_id"),
            str(of, "title"));
    fprintf(out, "    %.1f km, eta %.0f min; answer within %.0f s\n", dbl(of, "distance_m") / 1000,
            dbl(of, "eta_s") / 60, dbl(of, "remaining_ms") / 1000);
    fprintf(out, "    at %s (%.5f, %.5f)\n", str(site, "address")[0] ? str(site, "address") : "-",
            dbl(site, "lat"), dbl(site, "lon"));
    fprintf(out, "    skills:");
    cJSON_ArrayForEach(s, skills) fprintf(out, " %s", cJSON_IsString(s) ? s->valuestring : "?");
    fprintf(out, "   priority %s", str(of, "priority"));
    if (pay)
        fprintf(out, "   pay %s %.2f/h %.2f/job", str(pay, "currency"),
                dbl(pay, "per_hour_cents") / 100, dbl(pay, "per_incident_cents") / 100);
    fputc('\n', out);
}

static void print_status(FILE *out, const cJSON *r)
{
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(r, "gps");
    const cJSON *ob = cJSON_GetObjectItemCaseSensitive(r, "outbox");
    const cJSON *offer = cJSON_GetObjectItemCaseSensitive(r, "offer");
    fprintf(out, "agent %s  (%s)  up %.0f s\n", str(r, "agent_id"), str(r, "version"),
            dbl(r, "uptime_s"));
    fprintf(out, "state:      %s, %s, %s shift, %.0f job(s)\n", str(r, "mode"),
            flag(r, "available") ? "available" : "unavailable", flag(r, "on_shift") ? "on" : "off",
            dbl(r, "active_jobs"));
    fprintf(out, "connection: %s\n", flag(r, "connected") ? "connected" : "OFFLINE");
    if (flag(g, "fix"))
        fprintf(out, "gps:        %s fix %.0fD, %.1f s old, %.5f %.5f (%s)\n",
                dbl(g, "age_ms") > 10000 ? "STALE" : "good", dbl(g, "mode"),
                dbl(g, "age_ms") / 1000, dbl(g, "lat"), dbl(g, "lon"), str(g, "source"));
    else
        fprintf(out, "gps:        no fix yet (%s, %s)\n", str(g, "source"),
                flag(g, "connected") ? "connected" : "not connected");
    fprintf(out, "outbox:     %.0f event(s), %.0f position(s), %.0f in flight\n", dbl(ob, "events"),
            dbl(ob, "positions"), dbl(ob, "in_flight"));
    if (str(r, "arrival_suggested")[0])
        fprintf(out, "arrived?    you seem to be at the site of job %s: run `arrive`\n",
                str(r, "arrival_suggested"));
    if (offer)
        print_offer(out, offer);
}

static void print_jobs(FILE *out, const cJSON *r)
{
    const cJSON *offers = cJSON_GetObjectItemCaseSensitive(r, "offers");
    const cJSON *jobs = cJSON_GetObjectItemCaseSensitive(r, "jobs");
    const cJSON *it;
    if (cJSON_GetArraySize(offers) == 0 && cJSON_GetArraySize(jobs) == 0)
        fprintf(out, "no offers, no jobs\n");
    cJSON_ArrayForEach(it, offers) print_offer(out, it);
    cJSON_ArrayForEach(it, jobs)
    {
        const cJSON *site = cJSON_GetObjectItemCaseSensitive(it, "site");
        fprintf(out, "  JOB %s  %s%s: %s\n", str(it, "job_id"), str(it, "state"),
                flag(it, "assigned") ? "" : " (awaiting assignment)", str(it, "title"));
        fprintf(out, "    at %s (%.5f, %.5f), radius %.0f m%s\n",
                str(site, "address")[0] ? str(site, "address") : "-", dbl(site, "lat"),
                dbl(site, "lon"), dbl(site, "radius_m"),
                flag(it, "arrival_suggested") ? "  - arrived? run `arrive`" : "");
    }
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "truckroll-agent: %s (see truckroll-agent --help)\n", msg);
    return 2;
}

/* A whole decimal number in min..max: 0 and *out, or -1. */
static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

#define WATCH_OFFERS 16 /* offer ids remembered from one screen to the next */

/* True when an offer in the jobs answer was not on the last screen (any
 * pending offer, not only the soonest one status shows); seen becomes this
 * screen's offers. */
static bool new_offer(const cJSON *jobs, char seen[][TR_MSG_ID_SIZE], size_t *n_seen)
{
    char now[WATCH_OFFERS][TR_MSG_ID_SIZE];
    const cJSON *it;
    size_t n = 0;
    bool fresh = false;

    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(jobs, "offers"))
    {
        const char *id = str(it, "offer_id");
        bool known = false;
        if (n == WATCH_OFFERS)
            break;
        for (size_t k = 0; k < *n_seen && !known; k++)
            known = strcmp(seen[k], id) == 0;
        fresh = fresh || !known;
        snprintf(now[n++], TR_MSG_ID_SIZE, "%s", id);
    }
    memcpy(seen, now, n * sizeof now[0]);
    *n_seen = n;
    return fresh;
}

static int watch(const char *path, long count, long interval_ms, bool json)
{
    struct conn c;
    char seen[WATCH_OFFERS][TR_MSG_ID_SIZE];
    size_t n_seen = 0;
    int rc = 0;

    if (conn_open(&c, path) != 0)
        return 3;
    for (long i = 0; count <= 0 || i < count; i++) {
        char *s = roundtrip(&c, "{\"cmd\":\"status\"}");
        char *j = s ? roundtrip(&c, "{\"cmd\":\"jobs\"}") : NULL;
        cJSON *rs = s ? cJSON_Parse(s) : NULL, *rj = j ? cJSON_Parse(j) : NULL;
        if (!rs || !rj) {
            fprintf(stderr, "truckroll-agent: the agent stopped answering\n");
            rc = 3;
        } else if (json) {
            printf("{\"status\":%s,\"jobs\":%s}\n", s, j); /* the daemon's own JSON */
            fflush(stdout);
        } else {
            fputs("\033[H\033[2J", stdout);
            if (new_offer(rj, seen, &n_seen))
                fputc('\a', stdout); /* a new offer: ring the terminal bell */
            print_status(stdout, rs);
            fputs("\n", stdout);
            print_jobs(stdout, rj);
            fflush(stdout);
        }
        cJSON_Delete(rs);
        cJSON_Delete(rj);
        free(s);
        free(j);
        if (rc || (count > 0 && i + 1 >= count))
            break;
        struct timespec ts = { interval_ms / 1000, (interval_ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
    conn_close(&c);
    return rc;
}

int agent_client_main(int argc, char **argv)
{
    struct agent_settings s;
    struct tr_config *cfg = NULL;
    const char *cmd = argv[1], *cfg_path = AGENT_DEFAULT_CONFIG, *socket_path = NULL;
    const char *id = NULL, *reason = NULL, *note = NULL;
    bool json = false, cfg_given = false;
    long count = 0, interval = 1000;
    const char *bad = NULL; /* a --count or --interval-ms that does not parse */
    int rc;

    /* our own flags first; --x.y=v settings go to the config loader */
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    if (!rest)
        return 3;
    rest[nrest++] = argv[0];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        bool has_next = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            free(rest);
            agent_usage(stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--socket") == 0 && has_next) {
            socket_path = argv[++i];
        } else if (strcmp(a, "-c") == 0 && has_next) {
            cfg_path = argv[++i];
            cfg_given = true;
        } else if (strcmp(a, "--reason") == 0 && has_next) {
            reason = argv[++i];
        } else if (strcmp(a, "--note") == 0 && has_next) {
            note = argv[++i];
        } else if (strcmp(a, "--count") == 0 && has_next) {
            if (parse_long(argv[++i], 1, 1000000000, &count) != 0)
                bad = "--count is a number 1..1000000000";
        } else if (strcmp(a, "--interval-ms") == 0 && has_next) {
            if (parse_long(argv[++i], 50, 60000, &interval) != 0)
                bad = "--interval-ms is a number 50..60000";
        } else if (a[0] != '-' && !id) {
            id = a;
        } else {
            rest[nrest++] = argv[i];
        }
    }
    rest[nrest] = NULL;
    rc = agent_settings_load(&s, &nrest, rest, cfg_path, cfg_given, &cfg);
    tr_config_free(cfg);
    if (rc == 0 && nrest > 1) {
        fprintf(stderr, "truckroll-agent %s: unexpected argument %s\n", cmd, rest[1]);
        rc = 2;
    }
    free(rest);
    if (rc)
        return rc;
    if (bad)
        return usage_error(bad);
    if (!socket_path)
        socket_path = s.control_socket;
    if (strcmp(cmd, "watch") == 0) {
        return watch(socket_path, count, interval, json);
    }

    int k = tr_ctl_cmd_parse(cmd);
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "cmd", cmd);
    if (id) {
        if (k == TR_CTL_STATUS || k == TR_CTL_JOBS || k == TR_CTL_AVAILABLE ||
            k == TR_CTL_UNAVAILABLE) {
            cJSON_Delete(req);
            return usage_error("this command takes no id");
        }
        cJSON_AddStringToObject(req, (k == TR_CTL_ACCEPT || k == TR_CTL_DECLINE) ? "offer" : "job",
                                id);
    }
    if (reason)
        cJSON_AddStringToObject(req, "reason", reason);
    if (note)
        cJSON_AddStringToObject(req, "note", note);
    char *line = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);

    struct conn c;
    if (!line || conn_open(&c, socket_path) != 0) {
        cJSON_free(line);
        return 3;
    }
    char *reply = roundtrip(&c, line);
    cJSON_free(line);
    conn_close(&c);
    if (!reply) {
        fprintf(stderr, "truckroll-agent: no answer from the agent\n");
        return 3;
    }
    cJSON *r = cJSON_Parse(reply);
    bool ok = r && flag(r, "ok");
    if (json) {
        puts(reply);
    } else if (!ok) {
        fprintf(stderr, "truckroll-agent %s: %s (%s)\n", cmd, r ? str(r, "message") : reply,
                r ? str(r, "error") : "?");
    } else if (k == TR_CTL_STATUS) {
        print_status(stdout, r);
    } else if (k == TR_CTL_JOBS) {
        print_jobs(stdout, r);
    } else if (k == TR_CTL_AVAILABLE || k == TR_CTL_UNAVAILABLE) {
        printf("%s\n", flag(r, "available") ? "available" : "unavailable");
    } else if (k == TR_CTL_ACCEPT || k == TR_CTL_DECLINE) {
        printf("%s offer %s (job %s)\n", k == TR_CTL_ACCEPT ? "accepted" : "declined",
               str(r, "offer_id"), str(r, "job_id"));
    } else {
        printf("job %s: %s\n", str(r, "job_id"), str(r, "event"));
    }
    rc = ok ? 0 : (r && strcmp(str(r, "error"), "bad_request") == 0 ? 2 : 1);
    cJSON_Delete(r);
    free(reply);
    return rc;
}
