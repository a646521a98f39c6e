/*
 * bench/bench_load.h: the agents' traffic for the daemon benchmarks, as
 * pre-encoded QoS 1 PUBLISH streams sent over several raw connections at
 * once (library tr_benchkit).
 *
 * Payloads are valid per the contract (schemas/): `loc` with one fix
 * (seq, t, lat, lon, mode, acc, speed, heading: ~200 bytes) on
 * truckroll/v1/agent/{id}/loc, and `presence` (online, available, on shift,
 * idle) on .../state. Agent i goes to publisher i % n_pub, so each agent's
 * messages stay in seq order (MQTT keeps one connection's order), and each
 * publisher cycles over its agents. Building the streams before the clock
 * starts keeps the publishers' CPU out of the measured window: during the
 * run they only write() and count PUBACKs.
 *
 * It does not pace (it publishes at the broker's pace) and does not check
 * what subscribers receive.
 */
#ifndef TR_BENCH_LOAD_H
#define TR_BENCH_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "bench/bench_mqttraw.h"

#define BENCH_LOAD_MAX_PUB 16

struct bench_load {
    unsigned n_pub;
    struct bench_stream s[BENCH_LOAD_MAX_PUB];
    uint64_t n_msgs;
};

/*
 * n_msgs loc messages over agents 0..n_agents-1 (bench_fleet ids and homes,
 * moving a little each fix), seq 1, 2, ... per agent, fix times 1 s apart
 * per agent ending at t_end_ms (so none is in the future). id_prefix makes
 * message ids unique across loads. 0 on success.
 */
int bench_load_loc(struct bench_load *l, unsigned n_pub, uint32_t n_agents, uint64_t n_msgs,
                   uint64_t seed, const char *boot_id, int64_t t_end_ms, const char *id_prefix);
/* One presence (online, available, on_shift, idle, 0 active jobs) for each
 * agent first..first+n-1. 0 on success. */
int bench_load_presence(struct bench_load *l, unsigned n_pub, uint32_t first, uint32_t n,
                        const char *boot_id, int64_t now_ms, int retain);
void bench_load_free(struct bench_load *l);

/*
 * Connect n_pub raw publishers to 127.0.0.1:port, release them together
 * (*t_start_ns = that moment, monotonic) and wait for them all (each keeps
 * at most window QoS 1 messages unacknowledged) or timeout_ms. *acked = the
 * PUBACKs received. 0 when every message was acknowledged.
 */
int bench_load_run(const struct bench_load *l, int port, size_t window, int timeout_ms,
                   int64_t *t_start_ns, uint64_t *acked);

/* Median of v[0..n) (sorts v); NAN for n == 0. */
double bench_median(double *v, size_t n);
/* Nearest-rank quantile q of v[0..n) (sorts v). */
double bench_quantile(double *v, size_t n, double q);

#endif
