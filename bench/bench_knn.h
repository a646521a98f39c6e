/*
 * bench/bench_knn.h: what bench_knn.c and its SQLite R*Tree baseline
 * (bench_knn_rtree.c) share: the benchmark's own copy of the fleet (the
 * ground truth the brute force scans) and the baseline's entry points.
 */
#ifndef TR_BENCH_KNN_H
#define TR_BENCH_KNN_H

#include "dispatcher/core/fleet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bench_contractor {
    double lat, lon;
    uint64_t skills;
    uint32_t id;
    bool eligible;
};

struct bench_rtree;

/* An in-memory SQLite R*Tree of the eligible contractors (points as
 * degenerate boxes, skills/lat/lon as auxiliary columns). */
int bench_rtree_open(const struct bench_contractor *c, uint32_t n, struct bench_rtree **out);
void bench_rtree_close(struct bench_rtree *rt);

/* k nearest with every bit of req, exact: boxes widen (doubling a radius)
 * until k candidates lie within the radius the box is known to cover.
 * Same order as the fleet: (distance, id, contractor). Returns 0 on success. */
int bench_rtree_knn(struct bench_rtree *rt, double lat, double lon, uint64_t req, unsigned k,
                    struct tr_fleet_result *out, size_t *n_out);

/* Insert x into the sorted best-k array out[0..*n) (k capacity). */
void bench_topk_insert(struct tr_fleet_result *out, size_t *n, unsigned k,
                       const struct tr_fleet_result *x);

#endif
