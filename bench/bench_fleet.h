/*
 * bench/bench_fleet.h: a synthetic, deterministic contractor fleet for the
 * daemon benchmarks (bench_ingest, bench_dispatch), and a store holding it
 * (library tr_benchkit).
 *
 * Contractor i ("c0000000" ...) is a pure function of (seed, i): home
 * position clustered like a real fleet (90 % around the 100 largest US metro
 * areas, weighted by population, 10 % thin rural rest, as in bench_knn),
 * 1-3 skills from a small Zipf-weighted catalogue, English (+ Spanish for
 * one in five), a US time zone from the longitude, no working hours (always
 * on shift), job limit 1, radius 50 km.
 *
 * The store is built once through dispatcher/store/store.h (one
 * tr_store_contractor_add per contractor, last positions in batches of
 * 100k) and cached as <cache_dir>/fleet-<n>-<seed>.db (+ "-positions").
 * It is built on /dev/shm when there is one (a durable commit there costs
 * no disk flush: 1M contractors in minutes, not hours) and copied into the
 * cache. It does not touch a running daemon's files.
 */
#ifndef TR_BENCH_FLEET_H
#define TR_BENCH_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"

#define BENCH_FLEET_SKILLS 12
extern const char *const bench_fleet_skills[BENCH_FLEET_SKILLS];

/* "c%07u" */
void bench_fleet_agent_id(uint32_t i, char out[TR_MSG_ID_SIZE]);
/* Contractor i's home (deterministic). */
void bench_fleet_place(uint64_t seed, uint32_t i, double *lat, double *lon);
/* A job site drawn like the fleet (metro-weighted), j-th of a sequence. */
void bench_fleet_job_site(uint64_t seed, uint32_t j, double *lat, double *lon);
/* Contractor i's directory record. */
void bench_fleet_contractor(uint64_t seed, uint32_t i, struct tr_contractor *c);

/*
 * Make sure the cached store exists and is younger than max_age_s (0: any
 * age), building it when not (progress on stderr). Its last positions are
 * each contractor's home with fix time = build time, boot "b-fleet", seq 1.
 * path receives the main file's path; *built_ms when its positions were
 * made. 0 on success, -1 with a reason on stderr.
 */
int bench_fleet_db(const char *cache_dir, uint32_t n, uint64_t seed, int64_t max_age_s, char *path,
                   size_t cap, int64_t *built_ms);

/* Copy a store (the main file and "-positions") to dst (+ "-positions").
 * 0 on success. */
int bench_fleet_db_copy(const char *src, const char *dst);

#endif
