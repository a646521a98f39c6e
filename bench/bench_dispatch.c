/*
 * bench/bench_dispatch.c: job request -> offer published, with truckrolld
 * holding --contractors contractors (default 1M), every one online,
 * available and placed (SPEC.md "Figures it must reach": p99 under 5 ms at
 * 1M contractors, the job durably committed first).
 *
 * Setup: a store with the bench_fleet contractors and their last positions
 * (built once through the store API and cached in --cache, keyed by count
 * and seed; truckrolld restores contractors and last positions at startup,
 * not presence), copied to a temp dir on disk (so commits are real fsyncs);
 * a private mosquitto; truckrolld started on both; then one `presence`
 * (online, available, on shift) per contractor published over raw
 * connections, waiting until truckrolld's counters show them all. The
 * cached positions are as old as the cache, so engine.fix_fresh_ms is raised
 * to cover that age (the cache is rebuilt past 23 h); presence_fresh_ms is
 * raised so the fleet stays online for the whole run. Neither changes the
 * work of a dispatch: the live index holds every contractor.
 *
 * Measure: a console session (common/mqtt, MQTT v5, TCP_NODELAY) subscribed
 * to its response topic and to truckroll/v1/agent/+/inbox (the broker has no
 * ACL) sends --jobs job.create requests one after another (sites drawn like
 * the fleet, one common skill, English); for each, latency = offer received
 * on an inbox - request handed to paho. --daemon-arg passes extra truckrolld
 * options (e.g. --log.level=debug: slow worker passes are logged with where
 * their time went; --keep-log 1 keeps the log). Both ends are in this process. Jobs
 * nobody could take (the response says unassigned) are counted, not timed.
 *
 * When truckrolld cannot be measured the keys are null with the reason. It
 * asserts nothing; it prints, and writes JSON with --json FILE.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_daemon.h"
#include "bench/bench_fleet.h"
#include "bench/bench_load.h"
#include "common/mqtt.h"
#include "common/msg.h"
#include "tests/support/broker.h"

#define RESP_TOPIC      "truckroll/v1/console/bench/resp"
#define MAX_AGE_S       (23 * 3600)
#define MAX_DAEMON_ARGS 8

struct opts {
    const char *daemon, *cache, *json;
    uint32_t contractors, jobs;
    unsigned publishers;
    uint64_t seed;
    int timeout_s;
    const char *daemon_args[MAX_DAEMON_ARGS]; /* extra truckrolld options */
    unsigned n_daemon_args;
    bool keep_log; /* keep the temp dir (truckrolld's log) after the run */
};

/* What the console session saw for the job in flight (paho's thread fills
 * it, the main thread waits on it). */
struct console {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char want_req[TR_MSG_ID_SIZE];
    char job_id[TR_MSG_ID_SIZE];
    bool got_resp, offered, unassigned, error, got_offer;
    int64_t resp_ns, offer_ns;
    /* offers seen before the response named their job */
    char early_job[8][TR_MSG_ID_SIZE];
    int64_t early_ns[8];
    unsigned n_early;
    struct tr_msg scratch;
    unsigned long decode_errors;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_message(void *user, const char *topic, const void *payload, size_t len,
                       const struct tr_mqtt_msg_props *props)
{
    struct console *c = user;
    int64_t now = bench_now_ns();
    (void)props;
    pthread_mutex_lock(&c->mu);
    struct tr_msg *m = &c->scratch;
    if (tr_msg_decode(payload, len, m, NULL) != TR_MSG_OK) {
        c->decode_errors++;
        pthread_mutex_unlock(&c->mu);
        return;
    }
    if (m->type == TR_MSG_OFFER && strstr(topic, "/inbox")) {
        if (c->job_id[0] && strcmp(m->u.offer.job_id, c->job_id) == 0) {
            if (!c->got_offer) {
                c->got_offer = true;
                c->offer_ns = now;
            }
        } else if (!c->got_resp && c->n_early < 8) {
            snprintf(c->early_job[c->n_early], TR_MSG_ID_SIZE, "%s", m->u.offer.job_id);
            c->early_ns[c->n_early++] = now;
        }
    } else if (m->type == TR_MSG_RESPONSE && strcmp(m->u.response.corr, c->want_req) == 0) {
        const struct tr_job *j = &m->u.response.result.job;
        c->got_resp = true;
        c->resp_ns = now;
        snprintf(c->job_id, sizeof c->job_id, "%s", j->job_id);
        c->offered = j->state == TR_JOB_OFFERED || j->state == TR_JOB_ACCEPTED;
        c->unassigned = j->state == TR_JOB_UNASSIGNED;
        for (unsigned i = 0; i < c->n_early; i++)
            if (strcmp(c->early_job[i], c->job_id) == 0 && !c->got_offer) {
                c->got_offer = true;
                c->offer_ns = c->early_ns[i];
            }
    } else if (m->type == TR_MSG_ERROR && m->u.error.has_corr &&
               strcmp(m->u.error.corr, c->want_req) == 0) {
        c->got_resp = true;
        c->error = true;
        c->resp_ns = now;
    }
    tr_msg_free(m);
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--truckrolld PATH] [--contractors N] [--jobs N] [--publishers N]\n"
            "          [--seed N] [--cache DIR] [--timeout S] [--json FILE]\n"
            "          [--daemon-arg --name=value]... [--keep-log 1]\n",
            argv0);
}

static int parse(int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof *o);
    o->cache = "build/bench-cache";
    o->contractors = 1000000;
    o->jobs = 1000;
    o->publishers = 3;
    o->seed = 42;
    o->timeout_s = 300;
    const struct bench_opt t[] = {
        { "--truckrolld", BENCH_OPT_STR, &o->daemon, NULL, 0 },
        { "--cache", BENCH_OPT_STR, &o->cache, NULL, 0 },
        { "--json", BENCH_OPT_STR, &o->json, NULL, 0 },
        { "--contractors", BENCH_OPT_U32, &o->contractors, NULL, 0 },
        { "--jobs", BENCH_OPT_U32, &o->jobs, NULL, 0 },
        { "--publishers", BENCH_OPT_UINT, &o->publishers, NULL, 0 },
        { "--seed", BENCH_OPT_U64, &o->seed, NULL, 0 },
        { "--timeout", BENCH_OPT_INT, &o->timeout_s, NULL, 0 },
        { "--daemon-arg", BENCH_OPT_STRV, o->daemon_args, &o->n_daemon_args, MAX_DAEMON_ARGS },
        { "--keep-log", BENCH_OPT_BOOL, &o->keep_log, NULL, 0 },
    };
    if (bench_opts_parse(argc, argv, t, sizeof t / sizeof t[0]) != 0) {
        usage(argv[0]);
        return -1;
    }
    if (o->contractors < 100 || o->contractors > 4000000 || o->jobs < 1 || o->jobs > 100000 ||
        o->publishers < 1 || o->publishers > BENCH_LOAD_MAX_PUB || o->timeout_s < 10) {
        fprintf(stderr,
                "bench_dispatch: contractors 100..4M, jobs 1..100000, publishers 1..%d, "
                "timeout >= 10\n",
                BENCH_LOAD_MAX_PUB);
        return -1;
    }
    return 0;
}

struct result {
    double *lat_ms, *resp_ms;
    size_t n_lat, n_resp;
    unsigned offered, unassigned, errors, missing;
    double startup_s, preload_s;
    char why[600];
};

/* Send the jobs one at a time; fill r. 0 when the session worked. */
static int run_jobs(const struct opts *o, int port, struct result *r)
{
    static const struct tr_mqtt_callbacks cb = { on_message, NULL, NULL, NULL };
    struct console *c = calloc(1, sizeof *c);
    struct tr_mqtt *m = NULL;
    int rc = -1;
    if (!c)
        return -1;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    struct tr_mqtt_options mo = {
        .host = "127.0.0.1",
        .port = port,
        .client_id = "bench-console",
        .protocol = TR_MQTT_PROTO_V5,
        .tcp_nodelay = 1,
        .max_inflight = 100,
    };
    m = tr_mqtt_new(&mo, &cb, c, NULL);
    if (!m || tr_mqtt_subscribe(m, RESP_TOPIC, 1) != TR_MQTT_OK ||
        tr_mqtt_subscribe(m, "truckroll/v1/agent/+/inbox", 1) != TR_MQTT_OK ||
        tr_mqtt_connect(m) != TR_MQTT_OK || tr_mqtt_wait_connected(m, 5000) != TR_MQTT_OK ||
        tr_mqtt_wait_subscribed(m, 5000) != TR_MQTT_OK) {
        snprintf(r->why, sizeof r->why, "the console session could not connect");
        goto out;
    }
    for (uint32_t j = 0; j < o->jobs; j++) {
        char payload[768], req[TR_MSG_ID_SIZE];
        double lat, lon;
        bench_fleet_job_site(o->seed, j, &lat, &lon);
        snprintf(req, sizeof req, "r-bench-%u", (unsigned)j);
        /* the three most common skills of the catalogue */
        int n = snprintf(payload, sizeof payload,
                         "{\"type\":\"job.create\",\"id\":\"%s\",\"ts\":%lld,\"args\":{"
                         "\"title\":\"Bench job %u\",\"skills\":[\"%s\"],\"language\":\"en\","
                         "\"priority\":\"normal\",\"site\":{\"lat\":%.6f,\"lon\":%.6f,"
                         "\"address\":\"%u Bench Street\",\"radius_m\":100}}}",
                         req, (long long)wall_ms(), (unsigned)j, bench_fleet_skills[j % 3], lat,
                         lon, (unsigned)j);
        pthread_mutex_lock(&c->mu);
        snprintf(c->want_req, sizeof c->want_req, "%s", req);
        c->job_id[0] = '\0';
        c->got_resp = c->offered = c->unassigned = c->error = c->got_offer = false;
        c->n_early = 0;
        pthread_mutex_unlock(&c->mu);
        struct tr_mqtt_pub p = { .qos = 1,
                                 .response_topic = RESP_TOPIC,
                                 .correlation = req,
                                 .correlation_len = strlen(req) };
        int64_t t0 = bench_now_ns();
        int prc;
        while ((prc = tr_mqtt_publish(m, "truckroll/v1/dispatcher/req", payload, (size_t)n, &p)) ==
               TR_MQTT_ERR_BUSY)
            trt_sleep_ms(1);
        if (prc != TR_MQTT_OK) {
            snprintf(r->why, sizeof r->why, "publish failed: %s", tr_mqtt_strerror(prc));
            goto out;
        }
        /* wait for the response, then (offered) for the offer: 5 s each */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 5;
        pthread_mutex_lock(&c->mu);
        while (!c->got_resp || (c->offered && !c->got_offer)) {
            if (pthread_cond_timedwait(&c->cv, &c->mu, &until) == ETIMEDOUT)
                break;
        }
        if (c->got_resp)
            r->resp_ms[r->n_resp++] = (double)(c->resp_ns - t0) / 1e6;
        if (c->got_offer) {
            r->lat_ms[r->n_lat++] = (double)(c->offer_ns - t0) / 1e6;
            r->offered++;
        } else if (c->unassigned) {
            r->unassigned++;
        } else if (c->error) {
            r->errors++;
        } else {
            r->missing++;
        }
        pthread_mutex_unlock(&c->mu);
        if ((j + 1) % 250 == 0) {
            printf("    %u / %u jobs\n", (unsigned)(j + 1), (unsigned)o->jobs);
            fflush(stdout);
        }
    }
    rc = 0;
out:
    tr_mqtt_free(m);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
    return rc;
}

static int run(const struct opts *o, struct result *r)
{
    char dir[] = "/tmp/trbench-dispatch-XXXXXX";
    char fleet[600], db[600], conf[600], logp[600];
    char a_port[64], a_db[700], a_cap[64], a_fix[64];
    struct trt_broker b;
    struct bench_daemon d;
    struct bench_load presence;
    int64_t built = 0, t0 = 0;
    uint64_t acked = 0;
    int rc = -1;
    memset(&d, 0, sizeof d);
    memset(&b, 0, sizeof b);
    memset(&presence, 0, sizeof presence);
    if (!o->daemon || access(o->daemon, X_OK) != 0) {
        snprintf(r->why, sizeof r->why, "%s",
                 o->daemon ? "truckrolld is not executable" : "no --truckrolld given");
        return -1;
    }
    if (bench_fleet_db(o->cache, o->contractors, o->seed, MAX_AGE_S, fleet, sizeof fleet, &built) !=
        0) {
        snprintf(r->why, sizeof r->why, "the fleet store could not be built");
        return -1;
    }
    if (!mkdtemp(dir)) {
        snprintf(r->why, sizeof r->why, "mkdtemp: %s", strerror(errno));
        return -1;
    }
    snprintf(db, sizeof db, "%s/truckroll.db", dir);
    snprintf(conf, sizeof conf, "%s/truckrolld.conf", dir);
    snprintf(logp, sizeof logp, "%s/truckrolld.log", dir);
    FILE *cf = fopen(conf, "w");
    if (!cf || fclose(cf) != 0 || bench_fleet_db_copy(fleet, db) != 0) {
        snprintf(r->why, sizeof r->why, "cannot prepare %s", dir);
        goto out;
    }
    struct trt_broker_opts bo = { .tcp_nodelay = 1,
                                  .extra_conf = "max_inflight_messages 0\nmax_queued_messages 0" };
    if (trt_broker_start(&b, &bo) != 0) {
        snprintf(r->why, sizeof r->why, "the broker did not start");
        goto out;
    }
    int64_t age_ms = wall_ms() - built;
    int64_t fix_fresh = age_ms + 3600 * 1000;
    if (fix_fresh > 86400000)
        fix_fresh = 86400000;
    snprintf(a_port, sizeof a_port, "--broker.port=%d", b.port);
    snprintf(a_db, sizeof a_db, "--db.path=%s", db);
    snprintf(a_cap, sizeof a_cap, "--engine.capacity=%u", o->contractors + 4096);
    snprintf(a_fix, sizeof a_fix, "--engine.fix_fresh_ms=%lld", (long long)fix_fresh);
    char *argv[16 + MAX_DAEMON_ARGS] = { (char *)o->daemon,
                                         "-c",
                                         conf,
                                         a_port,
                                         a_db,
                                         a_cap,
                                         a_fix,
                                         "--engine.presence_fresh_ms=86400000",
                                         "--engine.offer_timeout_ms=600000",
                                         "--stats.interval_s=1",
                                         "--broker.host=127.0.0.1",
                                         "--broker.client_id=truckrolld-bench",
                                         NULL };
    size_t na = 0;
    while (argv[na])
        na++;
    for (unsigned i = 0; i < o->n_daemon_args; i++)
        argv[na++] = (char *)o->daemon_args[i];
    argv[na] = NULL;
    printf("  starting truckrolld on %u contractors (store %s)\n", (unsigned)o->contractors, db);
    fflush(stdout);
    int64_t s0 = bench_now_ns();
    if (bench_daemon_start(&d, o->daemon, argv, logp) != 0 ||
        bench_daemon_wait_serving(&d, o->timeout_s * 1000) != 0) {
        snprintf(r->why, sizeof r->why, "truckrolld did not start serving (%s)",
                 d.last_error[0] ? d.last_error : "no error logged");
        goto out;
    }
    r->startup_s = (double)(bench_now_ns() - s0) / 1e9;
    printf("  truckrolld serving after %.1f s; %u agents coming online\n", r->startup_s,
           (unsigned)o->contractors);
    fflush(stdout);
    if (bench_load_presence(&presence, o->publishers, 0, o->contractors, "b-bench-dispatch",
                            wall_ms(), 0) != 0) {
        snprintf(r->why, sizeof r->why, "cannot build the presence load");
        goto out;
    }
    if (bench_load_run(&presence, b.port, 2000, o->timeout_s * 1000, &t0, &acked) != 0 ||
        bench_daemon_wait_counter(&d, BC_PRESENCE, o->contractors, o->timeout_s * 1000) != 0) {
        snprintf(r->why, sizeof r->why, "truckrolld counted %lu of %u presence messages",
                 d.c[BC_PRESENCE], (unsigned)o->contractors);
        goto out;
    }
    r->preload_s = (double)(bench_now_ns() - t0) / 1e9;
    bench_load_free(&presence);
    printf("  %u agents online after %.1f s; %u jobs, one at a time\n", (unsigned)o->contractors,
           r->preload_s, (unsigned)o->jobs);
    fflush(stdout);
    trt_sleep_ms(1500); /* let the worker settle (index rebuild after the bulk updates) */
    if (run_jobs(o, b.port, r) != 0)
        goto out;
    rc = 0;
out:
    bench_load_free(&presence);
    bench_daemon_stop(&d, 30000);
    if (d.log_path[0])
        printf("  truckrolld final counters: requests %lu, jobs created %lu, transitions %lu, "
               "commit_failures %lu, outbox published %lu\n",
               d.c[BC_REQUESTS], d.c[BC_CREATED], d.c[BC_TRANSITIONS], d.c[BC_COMMIT_FAILURES],
               d.c[BC_PUBLISHED]);
    trt_broker_stop(&b);
    if ((rc != 0 || o->keep_log) && d.log_path[0]) {
        fprintf(stderr, "bench_dispatch: truckrolld log kept in %s\n", d.log_path);
    } else {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_dispatch: could not remove %s\n", dir);
    }
    return rc;
}

static void json_num(FILE *f, const char *key, double v, const char *sep)
{
    if (isnan(v))
        fprintf(f, "\"%s\": null%s", key, sep);
    else
        fprintf(f, "\"%s\": %.7g%s", key, v, sep);
}

int main(int argc, char **argv)
{
    struct opts o;
    struct result r;
    if (parse(argc, argv, &o) != 0)
        return 2;
#ifndef __OPTIMIZE__
    fprintf(stderr, "bench_dispatch: warning: unoptimised build\n");
#endif
    memset(&r, 0, sizeof r);
    r.lat_ms = calloc(o.jobs, sizeof *r.lat_ms);
    r.resp_ms = calloc(o.jobs, sizeof *r.resp_ms);
    if (!r.lat_ms || !r.resp_ms)
        return 1;
    printf("bench_dispatch: job.create -> offer on the agent's inbox, %u contractors online, "
           "%u jobs\n",
           (unsigned)o.contractors, (unsigned)o.jobs);
    fflush(stdout);
    int ok = run(&o, &r) == 0;
    double p50 = NAN, p99 = NAN, pmax = NAN, r50 = NAN;
    if (ok && r.n_lat > 0) {
        p50 = bench_quantile(r.lat_ms, r.n_lat, 0.50);
        p99 = bench_quantile(r.lat_ms, r.n_lat, 0.99);
        pmax = r.lat_ms[r.n_lat - 1];
        r50 = bench_quantile(r.resp_ms, r.n_resp, 0.50);
        printf("  request -> offer: p50 %.2f ms, p99 %.2f ms, max %.2f ms over %zu offers "
               "(target p99 < 5 ms); request -> response p50 %.2f ms\n",
               p50, p99, pmax, r.n_lat, r50);
        printf("  jobs: %u offered, %u unassigned, %u errors, %u without an answer in 5 s\n",
               r.offered, r.unassigned, r.errors, r.missing);
    } else {
        if (ok)
            snprintf(r.why, sizeof r.why,
                     "no job was offered (%u unassigned, %u errors, %u "
                     "missing)",
                     r.unassigned, r.errors, r.missing);
        printf("dispatch: truckrolld not measurable yet: %s\n", r.why);
    }
    if (o.json) {
        FILE *f = fopen(o.json, "w");
        if (!f)
            return 1;
        fprintf(f, "{\"bench\": \"dispatch\", \"contractors\": %u, \"jobs\": %u, ",
                (unsigned)o.contractors, (unsigned)o.jobs);
        json_num(f, "dispatch_p50_ms", p50, ", ");
        json_num(f, "dispatch_p99_ms", p99, ", ");
        json_num(f, "dispatch_max_ms", pmax, ", ");
        json_num(f, "dispatch_response_p50_ms", r50, ", ");
        fprintf(f,
                "\"dispatch_offered\": %u, \"dispatch_unassigned\": %u, \"dispatch_errors\": %u, "
                "\"dispatch_missing\": %u, ",
                r.offered, r.unassigned, r.errors, r.missing);
        json_num(f, "dispatch_startup_s", ok ? r.startup_s : NAN, ", ");
        json_num(f, "dispatch_preload_s", ok ? r.preload_s : NAN, ", ");
        fprintf(f, "\"dispatch_note\": \"");
        for (const char *c = isnan(p99) ? r.why : ""; *c; c++)
            if (*c != '"' && *c != '\\' && (unsigned char)*c >= 0x20)
                fputc(*c, f);
        fprintf(f, "\"}\n");
        fclose(f);
    }
    free(r.lat_ms);
    free(r.resp_ms);
    return 0;
}
