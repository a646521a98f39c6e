/*
 * bench/bench_load.c: building the agents' PUBLISH streams and sending them
 * over parallel raw connections (see bench_load.h).
 */
#include "bench/bench_load.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_fleet.h"

static int check_pub(unsigned n_pub)
{
    if (n_pub < 1 || n_pub > BENCH_LOAD_MAX_PUB) {
        fprintf(stderr, "bench_load: 1..%d publishers\n", BENCH_LOAD_MAX_PUB);
        return -1;
    }
    return 0;
}

int bench_load_loc(struct bench_load *l, unsigned n_pub, uint32_t n_agents, uint64_t n_msgs,
                   uint64_t seed, const char *boot_id, int64_t t_end_ms, const char *id_prefix)
{
    char topic[128], payload[512], agent[TR_MSG_ID_SIZE];
    memset(l, 0, sizeof *l);
    if (check_pub(n_pub) != 0 || n_agents < n_pub)
        return -1;
    l->n_pub = n_pub;
    for (unsigned p = 0; p < n_pub; p++) {
        uint64_t mine = n_msgs / n_pub + (p < n_msgs % n_pub);
        uint32_t local = n_agents / n_pub + (p < n_agents % n_pub);
        uint64_t per_agent = (mine + local - 1) / local;
        for (uint64_t j = 0; j < mine; j++) {
            uint32_t a = p + n_pub * (uint32_t)(j % local);
            uint64_t seq = j / local + 1;
            double lat, lon, hdg = (double)((a * 37u) % 360u);
            bench_fleet_place(seed, a, &lat, &lon);
            /* ~11 m/s along the heading, one fix a second */
            lat += (double)seq * 1e-4 * cos(hdg * M_PI / 180.0);
            lon += (double)seq * 1e-4 * sin(hdg * M_PI / 180.0) / cos(lat * M_PI / 180.0);
            bench_fleet_agent_id(a, agent);
            snprintf(topic, sizeof topic, "truckroll/v1/agent/%s/loc", agent);
            int n =
                snprintf(payload, sizeof payload,
                         "{\"type\":\"loc\",\"id\":\"%s-%u-%llu\",\"ts\":%lld,"
                         "\"agent_id\":\"%s\",\"boot_id\":\"%s\",\"fixes\":[{\"seq\":%llu,"
                         "\"t\":%lld,\"lat\":%.6f,\"lon\":%.6f,\"mode\":3,\"acc\":4.2,"
                         "\"speed\":11.3,\"heading\":%.1f}]}",
                         id_prefix, p, (unsigned long long)j, (long long)t_end_ms, agent, boot_id,
                         (unsigned long long)seq,
                         (long long)(t_end_ms - (int64_t)(per_agent - seq) * 1000), lat, lon, hdg);
            if (n <= 0 || (size_t)n >= sizeof payload ||
                bench_stream_add(&l->s[p], topic, payload, (size_t)n, 1, 0) != 0) {
                bench_load_free(l);
                return -1;
            }
        }
        l->n_msgs += mine;
    }
    return 0;
}

int bench_load_presence(struct bench_load *l, unsigned n_pub, uint32_t first, uint32_t n,
                        const char *boot_id, int64_t now_ms, int retain)
{
    char topic[128], payload[512], agent[TR_MSG_ID_SIZE];
    memset(l, 0, sizeof *l);
    if (check_pub(n_pub) != 0)
        return -1;
    l->n_pub = n_pub;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t a = first + i;
        bench_fleet_agent_id(a, agent);
        snprintf(topic, sizeof topic, "truckroll/v1/agent/%s/state", agent);
        int len = snprintf(payload, sizeof payload,
                           "{\"type\":\"presence\",\"id\":\"p-%s-%s\",\"ts\":%lld,"
                           "\"agent_id\":\"%s\",\"boot_id\":\"%s\",\"online\":true,"
                           "\"available\":true,\"on_shift\":true,\"mode\":\"idle\","
                           "\"active_jobs\":0,\"version\":\"bench\"}",
                           agent, boot_id, (long long)now_ms, agent, boot_id);
        if (len <= 0 || (size_t)len >= sizeof payload ||
            bench_stream_add(&l->s[a % n_pub], topic, payload, (size_t)len, 1, retain) != 0) {
            bench_load_free(l);
            return -1;
        }
        l->n_msgs++;
    }
    return 0;
}

void bench_load_free(struct bench_load *l)
{
    for (unsigned p = 0; p < BENCH_LOAD_MAX_PUB; p++)
        bench_stream_free(&l->s[p]);
    l->n_pub = 0;
    l->n_msgs = 0;
}

struct pub_job {
    int fd;
    const struct bench_stream *s;
    size_t window;
    int64_t deadline_ns;
    atomic_int *go;
    size_t acked;
};

static void *pub_thread(void *arg)
{
    struct pub_job *j = arg;
    while (!atomic_load(j->go))
        sched_yield();
    j->acked = bench_raw_publish_stream(j->fd, j->s, j->window, j->deadline_ns);
    return NULL;
}

int bench_load_run(const struct bench_load *l, int port, size_t window, int timeout_ms,
                   int64_t *t_start_ns, uint64_t *acked)
{
    struct pub_job jobs[BENCH_LOAD_MAX_PUB];
    pthread_t th[BENCH_LOAD_MAX_PUB];
    atomic_int go = 0;
    unsigned started = 0;
    int rc = -1;
    *acked = 0;
    memset(jobs, 0, sizeof jobs);
    for (unsigned p = 0; p < l->n_pub; p++) {
        char id[32];
        snprintf(id, sizeof id, "bench-pub-%u", p);
        jobs[p].fd = bench_raw_connect(port, id, 5000);
        if (jobs[p].fd < 0)
            goto out;
    }
    int64_t deadline = bench_now_ns() + (int64_t)timeout_ms * 1000000;
    for (unsigned p = 0; p < l->n_pub; p++) {
        jobs[p].s = &l->s[p];
        jobs[p].window = window;
        jobs[p].deadline_ns = deadline;
        jobs[p].go = &go;
        if (pthread_create(&th[p], NULL, pub_thread, &jobs[p]) != 0)
            break;
        started++;
    }
    *t_start_ns = bench_now_ns();
    atomic_store(&go, 1);
    for (unsigned p = 0; p < started; p++) {
        pthread_join(th[p], NULL);
        *acked += jobs[p].acked;
    }
    rc = started == l->n_pub && *acked == l->n_msgs ? 0 : -1;
out:
    for (unsigned p = 0; p < l->n_pub; p++)
        if (jobs[p].fd > 0)
            bench_raw_close(jobs[p].fd);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_quantile(double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)ceil(q * (double)n);
    return v[i ? i - 1 : 0];
}

double bench_median(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}
