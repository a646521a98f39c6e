/*
 * fieldagent/sim/run_cmd.c: `truckroll-sim run`: many simulated field agents
 * in one process (simagent.h), one per row of a contractor CSV file, each
 * with its own broker session and outbox, driven by one poll() loop on the
 * real clock (--speed makes driving and on-site work faster, never the
 * clock: the dispatcher checks message times against its own). Prints a
 * status line every --status-interval seconds and a final one.
 *
 * Options and the loop only; the agents are in simagent*.c.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "common/log.h"
#include "fieldagent/sim/fleet.h"
#include "fieldagent/sim/sim.h"
#include "fieldagent/sim/simagent.h"

#ifndef TR_SIM_TRACKS_DIR
#define TR_SIM_TRACKS_DIR "/usr/share/truckroll/tracks"
#endif

#define MAX_TRACKS   64
#define FDS_PER      3 /* socket, outbox database and WAL per agent */
#define STOP_WAIT_MS 5000

struct run {
    struct tr_sim_opts o;
    const char *fleet_path, *tracks, *passwords;
    size_t max_agents;
    double duration_s, status_s;
    bool json;
    struct tr_sim_fleet fleet;
    struct tr_gpx *track[MAX_TRACKS];
    char *track_name[MAX_TRACKS];
    size_t n_tracks;
    struct tr_sim_agent **agents;
    size_t n;
    struct tr_sim_queue q;
    int64_t started_ms;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(FILE *to)
{
    fputs(
        "NAME\n"
        "    truckroll-sim run - simulate a fleet of field agents against a real dispatcher\n"
        "\n"
        "SYNOPSIS\n"
        "    truckroll-sim run --fleet FILE.csv [--port PORT] [--host HOST] [--passwords FILE]\n"
        "                      [--state-dir DIR] [--tracks DIR] [--speed K] [--duration S]\n"
        "                      [--agents N] [--decline P] [--fail P] [--escalate P] [--roam P]\n"
        "                      [--work-min S] [--work-max S] [--seed N] [--status-interval S]\n"
        "                      [--json] [--log-level LEVEL] [--tls [--ca-file FILE]]\n"
        "\n"
        "DESCRIPTION\n"
        "    Runs one simulated field agent per row of FILE.csv, all in this process. The\n"
        "    file is a contractor CSV as `truckroll contractor import` reads it, so the\n"
        "    same file registers the contractors with the dispatcher and drives the\n"
        "    simulator. Each agent needs an id, a home (home_lat and home_lon, or home as\n"
        "    \"LAT,LON\") and a timezone; hours and travel_mode are used when present.\n"
        "\n"
        "    Each agent is built from the real agent's parts (truckroll-agent): its own\n"
        "    broker session (client id and user name = its id, its own password, a\n"
        "    persistent session, retained presence with a last will), the same inbox\n"
        "    checks, job state machine, arrival detection and position reporting policy,\n"
        "    and a durable SQLite outbox DIR/ID.db from which every message is published\n"
        "    and which keeps it until the broker acknowledged it. Instead of gpsd it\n"
        "    replays real recorded drives: for each job, a stretch of one of the GPX\n"
        "    tracks in --tracks (agents take the tracks in turn) is turned and scaled to\n"
        "    run from where the agent is to the job site, keeping the recording's turns,\n"
        "    stops and speed changes. Parked, it reports a still fix every second to the\n"
        "    policy (which decides what is sent).\n"
        "\n"
        "    Instead of a technician a script answers: an offer is accepted after 0.5-2.5 s,\n"
        "    or declined with a reason (too_far, vehicle, personal, other) for a share\n"
        "    --decline of them, and always as busy while a job is held. On the assignment\n"
        "    the agent goes en route and drives; when the arrival detector suggests it has\n"
        "    arrived, it reports on site, works --work-min..--work-max simulated seconds,\n"
        "    and reports completed, or failed with a note (share --fail) or escalate with\n"
        "    a note (share --escalate). Cancellations stop it where it is.\n"
        "\n"
        "    The clock is the real one: message and fix times must pass the dispatcher's\n"
        "    checks. --speed K replays drives K times faster (positions and times stay\n"
        "    consistent; speeds too up to the wire's 150 m/s, beyond which they are left\n"
        "    out), runs the reporting policy K times faster to match (its intervals\n"
        "    divided, its speed limits multiplied: a drive's fixes are not taken for\n"
        "    outliers; it reports more than at 1x where speeds pass 150 m/s) and\n"
        "    shortens on-site work and the arrival dwell by K.\n"
        "\n"
        "OPTIONS\n"
        "    --fleet FILE       contractor CSV ('-': standard input); required\n"
        "    --agents N         only the first N rows (default: all)\n"
        "    --host HOST        broker host (default 127.0.0.1)\n"
        "    --port PORT        broker port (default 1883)\n"
        "    --passwords FILE   broker passwords, one `ID:PASSWORD` line per agent (the\n"
        "                       mosquitto_passwd -U input format); agents not listed\n"
        "                       connect without a password. Never logged.\n"
        "    --tls, --ca-file F connect with TLS, trusting F (default: the system's CAs)\n"
        "    --state-dir DIR    where the outboxes live (created; default ./sim-state)\n"
        "    --tracks DIR       GPX tracks to cut drives from (default " TR_SIM_TRACKS_DIR ")\n"
        "    --speed K          drive and work K times faster, 1..1000 (default 60)\n"
        "    --duration S       stop after S seconds (default 0: until SIGINT/SIGTERM)\n"
        "    --decline P        share of offers declined while free, 0..1 (default 0.15)\n"
        "    --fail P           share of jobs failed on site, 0..1 (default 0.08)\n"
        "    --escalate P       share of jobs escalated on site, 0..1 (default 0.04)\n"
        "    --roam P           share of agents that drive their track around their home\n"
        "                       while idle, 0..1 (default 0: parked)\n"
        "    --work-min S, --work-max S   simulated seconds on site (default 300, 1500)\n"
        "    --seed N           the script's random seed (default 1)\n"
        "    --status-interval S  a status line on stdout every S seconds (default 10;\n"
        "                       0: only the final one)\n"
        "    --json             status lines as JSON objects, one per line\n"
        "    --log-level LEVEL  error, warn, info (each offer, answer and job step; the\n"
        "                       default) or debug\n"
        "\n"
        "OUTPUT\n"
        "    The log (stderr) tells each agent's side: `demo-3: offer o-.. for job j-..:\n"
        "    2.3 km, ETA 6 min`, `demo-3: accepted job j-..`, `en route ... 3.1 km drive\n"
        "    cut from sbn-v13.gpx`, `on site`, `completed`. The status line (stdout):\n"
        "      sim: 36 agents, 36 connected (idle 30, offered 1, en_route 3, on_site 2,\n"
        "      off_shift 0); offers 41 accepted 33 declined 7 expired 1; en_route 33\n"
        "      on_site 30 completed 26 failed 2 escalated 1 cancelled 0; fixes 90211\n"
        "      reports 612 published 700 acked 700 outbox 0\n"
        "    and with --json the same as {\"t\", \"elapsed_s\", \"agents\", \"connected\",\n"
        "    \"modes\" {...}, \"offers\", \"accepted\", \"declined\", \"expired\", \"en_route\",\n"
        "    \"on_site\", \"completed\", \"failed\", \"escalated\", \"cancelled\", \"fixes\",\n"
        "    \"reports\", \"published\", \"acked\", \"outbox_events\", \"outbox_positions\",\n"
        "    \"inbox_rejected\", \"final\"}.\n"
        "\n"
        "LIMITS\n"
        "    One paho MQTTAsync client per agent, each with the session's own reconnect\n"
        "    thread; paho serves every client of the process from one receive thread.\n"
        "    Measured here (loopback, 2 cores): 300 agents connected within 0.2 s and\n"
        "    took ~100 MB resident; 1000 agents connected within 3 s, ~310 MB resident,\n"
        "    1003 threads, 3007 file descriptors (socket, outbox and its WAL per agent).\n"
        "    The soft descriptor limit is raised to the hard one, and a run that would\n"
        "    not fit is refused. Past a few thousand agents, memory, threads and paho's\n"
        "    single receive thread are the limit: run several processes, each with a\n"
        "    part of the fleet file (--agents, or split the file).\n"
        "\n"
        "EXIT STATUS\n"
        "    0 after --duration or a signal; 1 when the fleet file, a track or an outbox\n"
        "    cannot be used; 2 for a usage error.\n"
        "\n"
        "EXAMPLE\n"
        "    truckroll-sim fleet --agents 36 > fleet.csv\n"
        "    truckroll contractor import fleet.csv\n"
        "    truckroll-sim run --fleet fleet.csv --port 1883 --passwords agents.pw \\\n"
        "                      --tracks data/tracks --duration 600\n",
        to);
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_tracks(struct run *r)
{
    DIR *d = opendir(r->tracks);
    struct dirent *e;
    char *names[MAX_TRACKS];
    size_t n = 0;
    int rc = 0;

    if (!d) {
        tr_log_error("--tracks %s: %s", r->tracks, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) && n < MAX_TRACKS) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".gpx") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        struct tr_gpx_error ge;
        if (!names[i])
            continue;
        snprintf(path, sizeof path, "%s/%s", r->tracks, names[i]);
        if (tr_gpx_load_file(path, NULL, &r->track[r->n_tracks], &ge) != TR_GPX_OK) {
            tr_log_error("%s: %s (line %d: %s)", path, tr_gpx_strerror(ge.code), ge.line,
                         ge.reason);
            rc = -1;
            free(names[i]);
            continue;
        }
        r->track_name[r->n_tracks++] = names[i];
    }
    if (rc == 0 && r->n_tracks == 0) {
        tr_log_error("--tracks %s: no .gpx files", r->tracks);
        rc = -1;
    }
    return rc;
}

/* The password of id from the ID:PASSWORD file into out ("" if none). */
static int password_of(const char *path, const char *id, char *out, size_t cap)
{
    FILE *f;
    char line[512];
    size_t idlen = strlen(id);
    out[0] = '\0';
    if (!path)
        return 0;
    if (!(f = fopen(path, "r")))
        return -1;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, id, idlen) == 0 && line[idlen] == ':') {
            snprintf(out, cap, "%s", line + idlen + 1);
            break;
        }
    }
    memset(line, 0, sizeof line);
    fclose(f);
    return 0;
}

static int raise_fd_limit(size_t agents)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    rlim_t want = (rlim_t)(agents * FDS_PER + 64);
    if (rl.rlim_cur < want && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < want) {
        tr_log_error("%zu agents need %llu file descriptors; the limit is %llu (ulimit -n)", agents,
                     (unsigned long long)want, (unsigned long long)rl.rlim_cur);
        return -1;
    }
    return 0;
}

/* The job and message counters of a report line, in order: JSON members
 * (,"name":n) or text ("name n", groups separated by "; "). */
static void print_counters(const struct tr_sim_agent_stats *t, bool json)
{
    const struct {
        const char *name;
        uint64_t v;
    } c[] = {
        { "offers", t->offers },       { "accepted", t->accepted }, { "declined", t->declined },
        { "expired", t->expired },     { "en_route", t->en_route }, { "on_site", t->on_site },
        { "completed", t->completed }, { "failed", t->failed },     { "escalated", t->escalated },
        { "cancelled", t->cancelled }, { "fixes", t->fixes },       { "reports", t->reports },
        { "published", t->published }, { "acked", t->acked },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        if (json)
            printf(",\"%s\":%llu", c[i].name, (unsigned long long)c[i].v);
        else
            printf("%s%s %llu",
                   i == 0                ? ""
                   : (i == 4 || i == 10) ? "; "
                                         : " ",
                   c[i].name, (unsigned long long)c[i].v);
    }
}

static void status(struct run *r, bool final)
{
    struct tr_sim_agent_stats s, t;
    size_t modes[TR_MODE_OFF_SHIFT + 1] = { 0 }, conn = 0;
    static const char *const mode_names[] = { "idle", "offered", "en_route", "on_site",
                                              "off_shift" };
    memset(&t, 0, sizeof t);
    for (size_t i = 0; i < r->n; i++) {
        tr_sim_agent_get_stats(r->agents[i], &s);
        conn += s.connected;
        if ((unsigned)s.mode <= TR_MODE_OFF_SHIFT)
            modes[s.mode]++;
#define ADD(f) t.f += s.f
        ADD(offers), ADD(accepted), ADD(declined), ADD(expired), ADD(cancelled);
        ADD(en_route), ADD(on_site), ADD(completed), ADD(failed), ADD(escalated);
        ADD(fixes), ADD(reports), ADD(published), ADD(acked), ADD(inbox_rejected);
        ADD(outbox_events), ADD(outbox_positions);
#undef ADD
    }
    int64_t now = now_ms();
    if (r->json) {
        printf("{\"t\":%lld,\"elapsed_s\":%.1f,\"final\":%s,\"agents\":%zu,\"connected\":%zu,"
               "\"modes\":{",
               (long long)now, (double)(now - r->started_ms) / 1000.0, final ? "true" : "false",
               r->n, conn);
        for (size_t m = 0; m <= TR_MODE_OFF_SHIFT; m++)
            printf("%s\"%s\":%zu", m ? "," : "", mode_names[m], modes[m]);
        printf("}");
        print_counters(&t, true);
        printf(",\"outbox_events\":%lld,\"outbox_positions\":%lld,\"inbox_rejected\":%llu}\n",
               (long long)t.outbox_events, (long long)t.outbox_positions,
               (unsigned long long)t.inbox_rejected);
    } else {
        printf("sim%s: %zu agents, %zu connected (", final ? " final" : "", r->n, conn);
        for (size_t m = 0; m <= TR_MODE_OFF_SHIFT; m++)
            printf("%s%s %zu", m ? ", " : "", mode_names[m], modes[m]);
        printf("); ");
        print_counters(&t, false);
        printf(" outbox %lld\n", (long long)(t.outbox_events + t.outbox_positions));
    }
    fflush(stdout);
}

static void dispatch_events(struct run *r)
{
    struct tr_sim_ev *ev = NULL;
    size_t n = tr_sim_queue_take(&r->q, &ev);
    int64_t now = now_ms();
    for (size_t i = 0; i < n; i++) {
        if (ev[i].agent < r->n)
            tr_sim_agent_handle(r->agents[ev[i].agent], &ev[i], now);
        tr_sim_ev_clear(&ev[i]);
    }
    free(ev);
}

static void loop(struct run *r, volatile sig_atomic_t *stop)
{
    int64_t end = r->duration_s > 0 ? r->started_ms + (int64_t)(r->duration_s * 1000) : INT64_MAX;
    int64_t next_status =
        r->status_s > 0 ? r->started_ms + (int64_t)(r->status_s * 1000) : INT64_MAX;
    while (!*stop) {
        int64_t now = now_ms(), wake = now + 1000;
        if (now >= end)
            break;
        for (size_t i = 0; i < r->n; i++) {
            int64_t w = tr_sim_agent_wake(r->agents[i], now);
            if (w < wake)
                wake = w;
        }
        if (next_status < wake)
            wake = next_status;
        if (end < wake)
            wake = end;
        struct pollfd p = { .fd = r->q.pipe_rd, .events = POLLIN };
        int timeout = wake > now ? (int)(wake - now) : 0;
        if (poll(&p, 1, timeout) < 0 && errno != EINTR) {
            tr_log_error("poll: %s", strerror(errno));
            break;
        }
        dispatch_events(r);
        now = now_ms();
        for (size_t i = 0; i < r->n; i++)
            tr_sim_agent_step(r->agents[i], now);
        if (now >= next_status) {
            status(r, false);
            next_status = now + (int64_t)(r->status_s * 1000);
        }
    }
}

static void shutdown_all(struct run *r)
{
    int64_t until = now_ms() + STOP_WAIT_MS;
    for (size_t i = 0; i < r->n; i++)
        tr_sim_agent_stop(r->agents[i]);
    for (;;) {
        size_t left = 0;
        for (size_t i = 0; i < r->n; i++)
            left += !tr_sim_agent_stopped(r->agents[i]);
        if (!left || now_ms() >= until)
            break;
        struct pollfd p = { .fd = r->q.pipe_rd, .events = POLLIN };
        poll(&p, 1, 50);
        dispatch_events(r);
    }
    for (size_t i = 0; i < r->n; i++)
        tr_sim_agent_commit(r->agents[i]);
}

static int setup(struct run *r)
{
    char err[512];
    int rc;
    size_t n;

    if ((rc = tr_sim_fleet_load(r->fleet_path, &r->fleet, err, sizeof err)) != TR_SIM_FLEET_OK) {
        tr_log_error("--fleet %s: %s", r->fleet_path, err);
        return -1;
    }
    n = r->max_agents && r->max_agents < r->fleet.n ? r->max_agents : r->fleet.n;
    if (raise_fd_limit(n) != 0 || load_tracks(r) != 0)
        return -1;
    if (mkdir(r->o.state_dir, 0700) != 0 && errno != EEXIST) {
        tr_log_error("--state-dir %s: %s", r->o.state_dir, strerror(errno));
        return -1;
    }
    if (r->passwords) {
        FILE *f = fopen(r->passwords, "r");
        if (!f) {
            tr_log_error("--passwords %s: %s", r->passwords, strerror(errno));
            return -1;
        }
        fclose(f);
    }
    if (tr_sim_queue_init(&r->q) != 0) {
        tr_log_error("pipe: %s", strerror(errno));
        return -1;
    }
    if (!(r->agents = calloc(n ? n : 1, sizeof *r->agents)))
        return -1;
    int64_t now = now_ms();
    for (size_t i = 0; i < n; i++) {
        size_t t = i % r->n_tracks;
        r->agents[i] = tr_sim_agent_new(&r->fleet.m[i], i, r->track[t], r->track_name[t], &r->o,
                                        &r->q, now, err, sizeof err);
        if (!r->agents[i]) {
            tr_log_error("%s (line %ld): %s", r->fleet.m[i].id, r->fleet.m[i].line, err);
            return -1;
        }
        r->n = i + 1;
    }
    for (size_t i = 0; i < n; i++) {
        char pw[256];
        if (password_of(r->passwords, r->fleet.m[i].id, pw, sizeof pw) != 0 ||
            tr_sim_agent_start(r->agents[i], pw) != 0) {
            memset(pw, 0, sizeof pw);
            return -1;
        }
        memset(pw, 0, sizeof pw);
    }
    return 0;
}

static void teardown(struct run *r)
{
    for (size_t i = 0; i < r->n; i++)
        tr_sim_agent_free(r->agents[i]);
    free(r->agents);
    tr_sim_queue_destroy(&r->q); /* a no-op when never set up */
    for (size_t i = 0; i < r->n_tracks; i++) {
        tr_gpx_free(r->track[i]);
        free(r->track_name[i]);
    }
    tr_sim_fleet_free(&r->fleet);
}

enum {
    O_FLEET = 1000,
    O_AGENTS,
    O_HOST,
    O_PORT,
    O_PASSWORDS,
    O_TLS,
    O_CA,
    O_STATE,
    O_TRACKS,
    O_SPEED,
    O_DURATION,
    O_DECLINE,
    O_FAIL,
    O_ESCALATE,
    O_ROAM,
    O_WORK_MIN,
    O_WORK_MAX,
    O_SEED,
    O_STATUS,
    O_JSON,
    O_LOG,
    O_HELP
};

static int parse_args(struct run *r, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "fleet", required_argument, NULL, O_FLEET },
        { "agents", required_argument, NULL, O_AGENTS },
        { "host", required_argument, NULL, O_HOST },
        { "port", required_argument, NULL, O_PORT },
        { "passwords", required_argument, NULL, O_PASSWORDS },
        { "tls", no_argument, NULL, O_TLS },
        { "ca-file", required_argument, NULL, O_CA },
        { "state-dir", required_argument, NULL, O_STATE },
        { "tracks", required_argument, NULL, O_TRACKS },
        { "speed", required_argument, NULL, O_SPEED },
        { "duration", required_argument, NULL, O_DURATION },
        { "decline", required_argument, NULL, O_DECLINE },
        { "fail", required_argument, NULL, O_FAIL },
        { "escalate", required_argument, NULL, O_ESCALATE },
        { "roam", required_argument, NULL, O_ROAM },
        { "work-min", required_argument, NULL, O_WORK_MIN },
        { "work-max", required_argument, NULL, O_WORK_MAX },
        { "seed", required_argument, NULL, O_SEED },
        { "status-interval", required_argument, NULL, O_STATUS },
        { "json", no_argument, NULL, O_JSON },
        { "log-level", required_argument, NULL, O_LOG },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 },
    };
    double v;
    int c;
    enum tr_log_level lvl;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        const char *bad = NULL;
        switch (c) {
        case O_FLEET:
            r->fleet_path = optarg;
            break;
        case O_AGENTS:
            if (parse_double(optarg, 1, 100000, &v) == 0 && v == floor(v))
                r->max_agents = (size_t)v;
            else
                bad = "--agents must be 1..100000";
            break;
        case O_HOST:
            r->o.host = optarg;
            break;
        case O_PORT:
            if (parse_double(optarg, 1, 65535, &v) == 0 && v == floor(v))
                r->o.port = (int)v;
            else
                bad = "--port must be 1..65535";
            break;
        case O_PASSWORDS:
            r->passwords = optarg;
            break;
        case O_TLS:
            r->o.tls = true;
            break;
        case O_CA:
            r->o.ca_file = optarg;
            break;
        case O_STATE:
            r->o.state_dir = optarg;
            break;
        case O_TRACKS:
            r->tracks = optarg;
            break;
        case O_SPEED:
            if (parse_double(optarg, 1, 1000, &r->o.speed) != 0)
                bad = "--speed must be 1..1000";
            break;
        case O_DURATION:
            if (parse_double(optarg, 0, 1e7, &r->duration_s) != 0)
                bad = "--duration must be seconds >= 0";
            break;
        case O_DECLINE:
            bad = parse_double(optarg, 0, 1, &r->o.decline_p) ? "--decline must be 0..1" : NULL;
            break;
        case O_FAIL:
            bad = parse_double(optarg, 0, 1, &r->o.fail_p) ? "--fail must be 0..1" : NULL;
            break;
        case O_ESCALATE:
            bad = parse_double(optarg, 0, 1, &r->o.escalate_p) ? "--escalate must be 0..1" : NULL;
            break;
        case O_ROAM:
            bad = parse_double(optarg, 0, 1, &r->o.roam_p) ? "--roam must be 0..1" : NULL;
            break;
        case O_WORK_MIN:
            bad = parse_double(optarg, 0, 86400, &r->o.work_min_s) ? "--work-min must be 0..86400"
                                                                   : NULL;
            break;
        case O_WORK_MAX:
            bad = parse_double(optarg, 0, 86400, &r->o.work_max_s) ? "--work-max must be 0..86400"
                                                                   : NULL;
            break;
        case O_SEED:
            if (parse_double(optarg, 0, 9007199254740992.0, &v) == 0 && v == floor(v))
                r->o.seed = (uint64_t)v;
            else
                bad = "--seed must be a whole number";
            break;
        case O_STATUS:
            bad = parse_double(optarg, 0, 86400, &r->status_s)
                      ? "--status-interval must be 0..86400"
                      : NULL;
            break;
        case O_JSON:
            r->json = true;
            break;
        case O_LOG:
            if (tr_log_level_parse(optarg, &lvl) == 0)
                tr_log_set_level(lvl);
            else
                bad = "--log-level must be error, warn, info or debug";
            break;
        case 'h':
        case O_HELP:
            usage(stdout);
            return 1;
        default:
            return 2;
        }
        if (bad) {
            fprintf(stderr, "truckroll-sim run: %s\n", bad);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "truckroll-sim run: unexpected argument '%s' (try --help)\n", argv[optind]);
        return 2;
    }
    if (!r->fleet_path) {
        fprintf(stderr, "truckroll-sim run: --fleet FILE is required (try --help)\n");
        return 2;
    }
    if (r->o.work_max_s < r->o.work_min_s) {
        fprintf(stderr, "truckroll-sim run: --work-max is below --work-min\n");
        return 2;
    }
    if (r->o.fail_p + r->o.escalate_p > 1) {
        fprintf(stderr, "truckroll-sim run: --fail + --escalate must be at most 1\n");
        return 2;
    }
    return 0;
}

int tr_sim_run_main(int argc, char **argv, volatile sig_atomic_t *stop)
{
    struct run *r = calloc(1, sizeof *r);
    int rc;

    if (!r)
        return 1;
    tr_sim_opts_default(&r->o);
    r->o.state_dir = "sim-state";
    r->tracks = TR_SIM_TRACKS_DIR;
    r->status_s = 10;
    r->q.pipe_rd = r->q.pipe_wr = -1;
    tr_log_set_ident("truckroll-sim");
    tr_log_set_level(TR_LOG_INFO);
    if ((rc = parse_args(r, argc, argv)) != 0) {
        free(r);
        return rc == 1 ? 0 : 2;
    }
    if (setup(r) != 0) {
        rc = 1;
    } else {
        r->started_ms = now_ms();
        tr_log_info("%zu agents from %s, driving %zu tracks from %s at %gx; broker %s:%d", r->n,
                    r->fleet_path, r->n_tracks, r->tracks, r->o.speed, r->o.host, r->o.port);
        loop(r, stop);
        shutdown_all(r);
        status(r, true);
        rc = 0;
    }
    teardown(r);
    free(r);
    return rc;
}
