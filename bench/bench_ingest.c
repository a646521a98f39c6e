/*
 * bench/bench_ingest.c: how many agent positions truckrolld takes in,
 * indexes and persists per second, against two baselines on the same
 * private mosquitto in the same run (SPEC.md "Figures it must reach":
 * ingest >= 80 % of a paho-mqtt-c subscriber that does nothing).
 *
 * The load: --messages `loc` messages (one fix each, ~200 bytes, valid per
 * the contract) from --agents agents (bench_fleet contractors), published
 * at QoS 1 over --publishers raw connections as fast as the broker takes
 * them (bench_load.h). The same pre-encoded load is received by, in turn:
 *   (a) raw:   a raw-socket MQTT 3.1.1 subscriber that only PUBACKs and
 *              counts (bench_mqttraw.h): the broker's own ceiling;
 *   (b) paho:  a paho-mqtt-c MQTTAsync subscriber (paho used directly, MQTT
 *              v5 like truckrolld, no receive maximum, QoS 1) whose message
 *              callback only counts and frees: "a subscriber that does
 *              nothing";
 *   (c) truckrolld (--truckrolld PATH) with a fresh copy of a store holding
 *              the agents as contractors, after every agent sent an online
 *              presence (so each fix updates the live index): its rate is
 *              the time until the last position is committed to its
 *              positions file (polled read-only: max(rowid) of pos_history),
 *              cross-checked with its own "final counters" log line (loc,
 *              fixes, positions stored).
 * Each rate = messages / (last one received or persisted - publishers
 * released). The phases run --reps times interleaved (a b c a b c ...);
 * the figures are medians, the ratios medians of the per-repetition ratios.
 * Broker: set_tcp_nodelay true, max_inflight_messages 0 (no cap for 3.1.1 clients;
 * v5 clients announce their own receive maximum), max_queued_messages 0
 * (nothing dropped while a subscriber lags). truckrolld's persistent session
 * is ended after each of its phases, so the broker queues nothing for it.
 *
 * It asserts nothing (shared noisy machine): it prints, and writes JSON with
 * --json FILE. When truckrolld cannot be measured (no path, it does not
 * start, or its counters never show the load) the ingest keys are null with
 * the reason, never a made-up number.
 */
#include <MQTTAsync.h>
#include <sqlite3.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_daemon.h"
#include "bench/bench_fleet.h"
#include "bench/bench_load.h"
#include "bench/bench_mqttraw.h"
#include "tests/support/broker.h"

#define MAX_REPS   9
#define LOC_FILTER "truckroll/v1/agent/+/loc"

struct opts {
    const char *daemon;
    const char *cache;
    const char *json;
    uint64_t messages;
    uint32_t agents;
    unsigned publishers, reps;
    size_t window;
    uint64_t seed;
    int timeout_s;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ (a) raw */

struct raw_sub_job {
    int fd;
    struct bench_raw_sub st;
    uint64_t expect;
    int64_t deadline;
};

static void *raw_sub_thread(void *arg)
{
    struct raw_sub_job *j = arg;
    bench_raw_sub_run(j->fd, &j->st, j->expect, j->deadline, NULL);
    return NULL;
}

static double run_raw(const struct opts *o, const struct bench_load *load, int port)
{
    struct raw_sub_job j;
    pthread_t th;
    int64_t t0 = 0;
    uint64_t acked = 0;
    double rate = NAN;
    memset(&j, 0, sizeof j);
    j.fd = bench_raw_connect(port, "bench-raw-sub", 5000);
    if (j.fd < 0 || bench_raw_subscribe(j.fd, LOC_FILTER, 1, 5000) != 0)
        goto out;
    j.expect = load->n_msgs;
    j.deadline = bench_now_ns() + (int64_t)o->timeout_s * 1000000000;
    if (pthread_create(&th, NULL, raw_sub_thread, &j) != 0)
        goto out;
    bench_load_run(load, port, o->window, o->timeout_s * 1000, &t0, &acked);
    pthread_join(th, NULL);
    if (atomic_load(&j.st.received) >= load->n_msgs && j.st.last_ns > t0)
        rate = (double)load->n_msgs / ((double)(j.st.last_ns - t0) / 1e9);
    else
        fprintf(stderr, "bench_ingest: raw subscriber got %lu of %llu\n",
                atomic_load(&j.st.received), (unsigned long long)load->n_msgs);
out:
    bench_raw_close(j.fd);
    return rate;
}

/* ------------------------------------------------------------ (b) paho */

struct paho_sub {
    atomic_ulong received;
    _Atomic int64_t last_ns;
    atomic_int connected, subscribed, failed;
};

static int paho_arrived(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
    struct paho_sub *p = ctx;
    (void)topic_len;
    atomic_fetch_add(&p->received, 1);
    atomic_store(&p->last_ns, bench_now_ns());
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

static void paho_lost(void *ctx, char *cause)
{
    (void)cause;
    atomic_store(&((struct paho_sub *)ctx)->failed, 1);
}

static void paho_conn_ok(void *ctx, MQTTAsync_successData5 *r)
{
    (void)r;
    atomic_store(&((struct paho_sub *)ctx)->connected, 1);
}

static void paho_sub_ok(void *ctx, MQTTAsync_successData5 *r)
{
    (void)r;
    atomic_store(&((struct paho_sub *)ctx)->subscribed, 1);
}

static void paho_fail(void *ctx, MQTTAsync_failureData5 *r)
{
    (void)r;
    atomic_store(&((struct paho_sub *)ctx)->failed, 1);
}

static int wait_flag(atomic_int *flag, atomic_int *failed, int timeout_ms)
{
    for (int i = 0; i < timeout_ms / 5; i++) {
        if (atomic_load(flag))
            return 0;
        if (atomic_load(failed))
            return -1;
        trt_sleep_ms(5);
    }
    return -1;
}

static double run_paho(const struct opts *o, const struct bench_load *load, int port)
{
    MQTTAsync cli = NULL;
    MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer5;
    MQTTAsync_connectOptions cn = MQTTAsync_connectOptions_initializer5;
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    struct paho_sub p;
    char uri[64];
    int64_t t0 = 0;
    uint64_t acked = 0;
    double rate = NAN;
    memset(&p, 0, sizeof p);
    snprintf(uri, sizeof uri, "tcp://127.0.0.1:%d", port);
    if (MQTTAsync_createWithOptions(&cli, uri, "bench-paho-noop", MQTTCLIENT_PERSISTENCE_NONE, NULL,
                                    &co) != MQTTASYNC_SUCCESS) {
        cli = NULL;
        goto out;
    }
    MQTTAsync_setCallbacks(cli, &p, paho_lost, paho_arrived, NULL);
    cn.cleanstart = 1;
    cn.keepAliveInterval = 30;
    cn.onSuccess5 = paho_conn_ok;
    cn.onFailure5 = paho_fail;
    cn.context = &p;
    if (MQTTAsync_connect(cli, &cn) != MQTTASYNC_SUCCESS ||
        wait_flag(&p.connected, &p.failed, 5000) != 0)
        goto out;
    ro.onSuccess5 = paho_sub_ok;
    ro.onFailure5 = paho_fail;
    ro.context = &p;
    if (MQTTAsync_subscribe(cli, LOC_FILTER, 1, &ro) != MQTTASYNC_SUCCESS ||
        wait_flag(&p.subscribed, &p.failed, 5000) != 0)
        goto out;
    bench_load_run(load, port, o->window, o->timeout_s * 1000, &t0, &acked);
    int64_t until = bench_now_ns() + (int64_t)o->timeout_s * 1000000000;
    while (atomic_load(&p.received) < load->n_msgs && bench_now_ns() < until &&
           !atomic_load(&p.failed))
        trt_sleep_ms(2);
    if (atomic_load(&p.received) >= load->n_msgs)
        rate = (double)load->n_msgs / ((double)(atomic_load(&p.last_ns) - t0) / 1e9);
    else
        fprintf(stderr, "bench_ingest: paho subscriber got %lu of %llu\n", atomic_load(&p.received),
                (unsigned long long)load->n_msgs);
out:
    if (cli) {
        MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer5;
        d.timeout = 1000;
        MQTTAsync_disconnect(cli, &d);
        trt_sleep_ms(100);
        MQTTAsync_destroy(&cli);
    }
    if (isnan(rate))
        fprintf(stderr, "bench_ingest: paho subscriber phase failed\n");
    return rate;
}

/* ------------------------------------------------------ (c) truckrolld */

struct poller {
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t base, target;
    _Atomic int64_t done_ns;
    atomic_int stop;
    int64_t deadline;
};

static int64_t max_rowid(struct poller *p)
{
    int64_t v = -1;
    if (sqlite3_step(p->st) == SQLITE_ROW)
        v = sqlite3_column_int64(p->st, 0);
    sqlite3_reset(p->st);
    return v;
}

static void *poll_thread(void *arg)
{
    struct poller *p = arg;
    while (!atomic_load(&p->stop) && bench_now_ns() < p->deadline) {
        int64_t v = max_rowid(p);
        if (v >= 0 && v - p->base >= p->target) {
            atomic_store(&p->done_ns, bench_now_ns());
            break;
        }
        trt_sleep_ms(2);
    }
    return NULL;
}

static int poller_open(struct poller *p, const char *db_path)
{
    char path[1100];
    memset(p, 0, sizeof *p);
    snprintf(path, sizeof path, "%s-positions", db_path);
    if (sqlite3_open_v2(path, &p->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(p->db, "SELECT coalesce(max(rowid), 0) FROM pos_history", -1, &p->st,
                           NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_ingest: cannot read %s: %s\n", path,
                p->db ? sqlite3_errmsg(p->db) : "?");
        return -1;
    }
    sqlite3_busy_timeout(p->db, 100);
    p->base = max_rowid(p);
    return p->base >= 0 ? 0 : -1;
}

static void poller_close(struct poller *p)
{
    sqlite3_finalize(p->st);
    sqlite3_close(p->db);
    p->st = NULL;
    p->db = NULL;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* One truckrolld repetition. Returns the rate, or NAN with why filled. */
static double run_daemon(const struct opts *o, const struct bench_load *load,
                         const struct bench_load *presence, const char *fleet_db, int port, int rep,
                         char *why, size_t whylen)
{
    char dir[] = "/tmp/trbench-ingest-XXXXXX";
    char db[600], conf[600], logp[600], a_port[64], a_db[700], a_cap[64], a_id[64];
    struct bench_daemon d;
    struct poller p;
    pthread_t th;
    int poller_up = 0;
    int64_t t0 = 0;
    uint64_t acked = 0;
    double rate = NAN;
    memset(&d, 0, sizeof d);
    memset(&p, 0, sizeof p);
    if (!mkdtemp(dir)) {
        snprintf(why, whylen, "mkdtemp: %s", strerror(errno));
        return NAN;
    }
    snprintf(db, sizeof db, "%s/truckroll.db", dir);
    snprintf(conf, sizeof conf, "%s/truckrolld.conf", dir);
    snprintf(logp, sizeof logp, "%s/truckrolld.log", dir);
    if (bench_fleet_db_copy(fleet_db, db) != 0 || write_file(conf, "# bench_ingest\n") != 0) {
        snprintf(why, whylen, "cannot prepare %s", dir);
        goto out;
    }
    snprintf(a_port, sizeof a_port, "--broker.port=%d", port);
    snprintf(a_db, sizeof a_db, "--db.path=%s", db);
    snprintf(a_cap, sizeof a_cap, "--engine.capacity=%u",
             o->agents * 2 > 65536 ? o->agents * 2 : 65536);
    snprintf(a_id, sizeof a_id, "--broker.client_id=truckrolld-bench-%d", rep);
    char *argv[] = {
        (char *)o->daemon,         "-c", conf, a_port, a_db, a_cap, a_id, "--stats.interval_s=1",
        "--broker.host=127.0.0.1", NULL
    };
    if (bench_daemon_start(&d, o->daemon, argv, logp) != 0 ||
        bench_daemon_wait_serving(&d, 60000) != 0) {
        snprintf(why, whylen, "truckrolld did not start serving (%s)",
                 d.last_error[0] ? d.last_error : "no error logged");
        goto out;
    }
    /* every agent online and available first, so each fix reaches the index */
    if (bench_load_run(presence, port, o->window, o->timeout_s * 1000, &t0, &acked) != 0 ||
        bench_daemon_wait_counter(&d, BC_PRESENCE, (unsigned long)presence->n_msgs,
                                  o->timeout_s * 1000) != 0) {
        snprintf(why, whylen, "truckrolld counted %lu of %llu presence messages", d.c[BC_PRESENCE],
                 (unsigned long long)presence->n_msgs);
        goto out;
    }
    if (poller_open(&p, db) != 0) {
        snprintf(why, whylen, "its positions file is not readable");
        goto out;
    }
    p.target = (int64_t)load->n_msgs;
    p.deadline = bench_now_ns() + (int64_t)o->timeout_s * 1000000000;
    if (pthread_create(&th, NULL, poll_thread, &p) != 0)
        goto out;
    poller_up = 1;
    bench_load_run(load, port, o->window, o->timeout_s * 1000, &t0, &acked);
    pthread_join(th, NULL);
    poller_up = 0;
    int64_t done = atomic_load(&p.done_ns);
    bench_daemon_stop(&d, 20000);
    if (!done) {
        snprintf(why, whylen,
                 "positions persisted did not reach %llu in %d s (truckrolld counted loc %lu, "
                 "fixes %lu, stored %lu)",
                 (unsigned long long)load->n_msgs, o->timeout_s, d.c[BC_LOC], d.c[BC_FIXES],
                 d.c[BC_STORED]);
        goto out;
    }
    rate = (double)load->n_msgs / ((double)(done - t0) / 1e9);
    printf("    truckrolld final counters: loc %lu, fixes %lu, positions stored %lu, duplicates "
           "%lu, rejected %lu\n",
           d.c[BC_LOC], d.c[BC_FIXES], d.c[BC_STORED], d.c[BC_DUPLICATES], d.c[BC_REJECTED]);
    if (d.c[BC_FIXES] < load->n_msgs || d.c[BC_STORED] < load->n_msgs)
        printf("    warning: truckrolld's counters show fewer fixes than were sent\n");
out:
    if (poller_up) {
        atomic_store(&p.stop, 1);
        pthread_join(th, NULL);
    }
    poller_close(&p);
    bench_daemon_stop(&d, 20000);
    /* truckrolld keeps a persistent session: end it (clean session, same
     * client id), or the broker would queue the next phases' load for it */
    if (d.log_path[0]) {
        int fd = bench_raw_connect(port, a_id + strlen("--broker.client_id="), 5000);
        bench_raw_close(fd);
    }
    if (isnan(rate) && d.log_path[0])
        fprintf(stderr, "bench_ingest: truckrolld log kept in %s\n", d.log_path);
    else {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_ingest: could not remove %s\n", dir);
    }
    return rate;
}

/* ------------------------------------------------------------ main */

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--truckrolld PATH] [--messages N] [--agents N] [--publishers N]\n"
            "          [--reps N] [--window N] [--seed N] [--cache DIR] [--timeout S] "
            "[--json FILE]\n",
            argv0);
}

static int parse(int argc, char **argv, struct opts *o)
{
    o->daemon = NULL;
    o->cache = "build/bench-cache";
    o->json = NULL;
    o->messages = 300000;
    o->agents = 10000;
    o->publishers = 3;
    o->reps = 3;
    o->window = 2000;
    o->seed = 42;
    o->timeout_s = 120;
    const struct bench_opt t[] = {
        { "--truckrolld", BENCH_OPT_STR, &o->daemon, NULL, 0 },
        { "--cache", BENCH_OPT_STR, &o->cache, NULL, 0 },
        { "--json", BENCH_OPT_STR, &o->json, NULL, 0 },
        { "--messages", BENCH_OPT_U64, &o->messages, NULL, 0 },
        { "--agents", BENCH_OPT_U32, &o->agents, NULL, 0 },
        { "--publishers", BENCH_OPT_UINT, &o->publishers, NULL, 0 },
        { "--reps", BENCH_OPT_UINT, &o->reps, NULL, 0 },
        { "--window", BENCH_OPT_SIZE, &o->window, NULL, 0 },
        { "--seed", BENCH_OPT_U64, &o->seed, NULL, 0 },
        { "--timeout", BENCH_OPT_INT, &o->timeout_s, NULL, 0 },
    };
    if (bench_opts_parse(argc, argv, t, sizeof t / sizeof t[0]) != 0) {
        usage(argv[0]);
        return -1;
    }
    if (o->messages < 1000 || o->messages > 5000000 || o->agents < 16 || o->agents > 2000000 ||
        o->publishers < 1 || o->publishers > BENCH_LOAD_MAX_PUB || o->reps < 1 ||
        o->reps > MAX_REPS || o->window < 1 || o->window > 60000 || o->timeout_s < 5) {
        fprintf(stderr,
                "bench_ingest: messages 1000..5M, agents 16..2M, publishers 1..%d, "
                "reps 1..9, window 1..60000, timeout >= 5\n",
                BENCH_LOAD_MAX_PUB);
        return -1;
    }
    return 0;
}

static void json_num(FILE *f, const char *key, double v, const char *sep)
{
    if (isnan(v))
        fprintf(f, "\"%s\": null%s", key, sep);
    else
        fprintf(f, "\"%s\": %.7g%s", key, v, sep);
}

static void json_list(FILE *f, const char *key, const double *v, unsigned n)
{
    fprintf(f, "\"%s\": [", key);
    for (unsigned i = 0; i < n; i++)
        fprintf(f, isnan(v[i]) ? "%snull" : "%s%.0f", i ? ", " : "", v[i]);
    fprintf(f, "], ");
}

/* Median of the finite values of v (copied). */
static double median_of(const double *v, unsigned n)
{
    double t[MAX_REPS];
    size_t k = 0;
    for (unsigned i = 0; i < n; i++)
        if (!isnan(v[i]))
            t[k++] = v[i];
    return bench_median(t, k);
}

int main(int argc, char **argv)
{
    struct opts o;
    struct bench_load load, presence;
    struct trt_broker b;
    double raw[MAX_REPS], paho[MAX_REPS], ing[MAX_REPS], r_ing[MAX_REPS], r_raw[MAX_REPS];
    char why[600] = "", fleet_db[600];
    int64_t built = 0;
    bool daemon_ok = false;
    if (parse(argc, argv, &o) != 0)
        return 2;
#ifndef __OPTIMIZE__
    fprintf(stderr, "bench_ingest: warning: unoptimised build\n");
#endif
    for (unsigned i = 0; i < MAX_REPS; i++)
        raw[i] = paho[i] = ing[i] = r_ing[i] = r_raw[i] = NAN;
    if (!o.daemon)
        snprintf(why, sizeof why, "no --truckrolld given");
    else if (access(o.daemon, X_OK) != 0)
        snprintf(why, sizeof why, "%s is not executable", o.daemon);
    else if (bench_fleet_db(o.cache, o.agents, o.seed, 0, fleet_db, sizeof fleet_db, &built) != 0)
        snprintf(why, sizeof why, "the fleet store could not be built");
    else
        daemon_ok = true;
    if (bench_load_loc(&load, o.publishers, o.agents, o.messages, o.seed, "b-bench-ingest",
                       wall_ms(), "l") != 0 ||
        bench_load_presence(&presence, o.publishers, 0, o.agents, "b-bench-ingest", wall_ms(), 0) !=
            0) {
        fprintf(stderr, "bench_ingest: cannot build the load\n");
        return 1;
    }
    size_t bytes = 0;
    for (unsigned p = 0; p < load.n_pub; p++)
        bytes += load.s[p].payload_bytes;
    printf("bench_ingest: %llu loc messages (%.0f bytes avg payload, 1 fix each) from %u agents, "
           "%u publishers at QoS 1, %u repetitions\n",
           (unsigned long long)load.n_msgs, (double)bytes / (double)load.n_msgs, o.agents,
           o.publishers, o.reps);
    struct trt_broker_opts bo = {
        .tcp_nodelay = 1,
        .extra_conf = "max_inflight_messages 0\nmax_queued_messages 0",
    };
    if (trt_broker_start(&b, &bo) != 0)
        return 1;
    for (unsigned r = 0; r < o.reps; r++) {
        printf("  repetition %u/%u\n", r + 1, o.reps);
        fflush(stdout);
        raw[r] = run_raw(&o, &load, b.port);
        printf("    (a) raw-socket subscriber:     %9.0f msg/s\n", raw[r]);
        fflush(stdout);
        paho[r] = run_paho(&o, &load, b.port);
        printf("    (b) paho do-nothing subscriber: %8.0f msg/s\n", paho[r]);
        fflush(stdout);
        if (daemon_ok) {
            char w[600] = "";
            ing[r] = run_daemon(&o, &load, &presence, fleet_db, b.port, (int)r, w, sizeof w);
            if (isnan(ing[r])) {
                snprintf(why, sizeof why, "%s", w);
                printf("    (c) truckrolld: not measured: %s\n", w);
            } else {
                printf("    (c) truckrolld ingest:          %8.0f msg/s (taken in, indexed, "
                       "persisted)\n",
                       ing[r]);
            }
            fflush(stdout);
        }
        r_ing[r] = ing[r] / paho[r];
        r_raw[r] = paho[r] / raw[r];
    }
    trt_broker_stop(&b);
    bench_load_free(&load);
    bench_load_free(&presence);

    double m_raw = median_of(raw, o.reps), m_paho = median_of(paho, o.reps);
    double m_ing = median_of(ing, o.reps), m_ratio = median_of(r_ing, o.reps);
    double m_praw = median_of(r_raw, o.reps);
    printf("  medians: raw %.0f msg/s, paho do-nothing %.0f msg/s (%.2f of raw)\n", m_raw, m_paho,
           m_praw);
    if (isnan(m_ing))
        printf("ingest: truckrolld not measurable yet: %s\n", why);
    else
        printf("  truckrolld %.0f msg/s = %.2f x the paho do-nothing subscriber (target >= 0.80), "
               "%.2f x raw\n",
               m_ing, m_ratio, m_ing / m_raw);
    if (o.json) {
        FILE *f = fopen(o.json, "w");
        if (!f) {
            fprintf(stderr, "bench_ingest: cannot write %s\n", o.json);
            return 1;
        }
        fprintf(f,
                "{\"bench\": \"ingest\", \"messages\": %llu, \"agents\": %u, \"publishers\": %u, "
                "\"reps\": %u, \"payload_bytes_avg\": %.0f, ",
                (unsigned long long)o.messages, o.agents, o.publishers, o.reps,
                (double)bytes / (double)o.messages);
        json_list(f, "broker_raw_runs", raw, o.reps);
        json_list(f, "paho_noop_runs", paho, o.reps);
        json_list(f, "ingest_runs", ing, o.reps);
        json_num(f, "broker_raw_msgs_per_s", m_raw, ", ");
        json_num(f, "paho_noop_msgs_per_s", m_paho, ", ");
        json_num(f, "paho_vs_raw_ratio", m_praw, ", ");
        json_num(f, "ingest_msgs_per_s", m_ing, ", ");
        json_num(f, "ingest_vs_broker_ratio", m_ratio, ", ");
        json_num(f, "ingest_vs_raw_ratio", isnan(m_ing) ? NAN : m_ing / m_raw, ", ");
        fprintf(f, "\"ingest_note\": \"");
        for (const char *c = isnan(m_ing) ? why : ""; *c; c++)
            if (*c != '"' && *c != '\\' && (unsigned char)*c >= 0x20)
                fputc(*c, f);
        fprintf(f, "\"}\n");
        fclose(f);
    }
    return 0;
}
