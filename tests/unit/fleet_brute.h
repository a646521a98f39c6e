/*
 * tests/unit/fleet_brute.h: the brute-force oracle the fleet's unit tests
 * (test_fleet, test_fleet_rebuild, test_fleet_qvec) check
 * dispatcher/core/fleet against: the result order, keeping the best k in
 * that order, comparing two answers, and a scan over a model of the fleet.
 *
 * What it does not do: build, randomise or mutate fleets or models, call
 * the query's extra filter, or time anything. No state; distances come from
 * tr_geo_distance_m, as the fleet promises, so answers compare bit for bit.
 */
#ifndef TR_TEST_FLEET_BRUTE_H
#define TR_TEST_FLEET_BRUTE_H

#include "dispatcher/core/fleet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The order every fleet answer is in: distance_m, then id, then contractor.
 * A qsort comparator over struct tr_fleet_result. */
int trt_fleet_cmp(const void *a, const void *b);
/* a comes strictly before b in that order. */
bool trt_fleet_before(const struct tr_fleet_result *a, const struct tr_fleet_result *b);

/* out[0..*n) holds the best results so far, in order, at most k of them:
 * insert x where it belongs when it is among the best k (the last one drops
 * out when full). Returns whether x went in; false when k is 0. */
bool trt_fleet_keep_best(struct tr_fleet_result *out, size_t *n, size_t k,
                         const struct tr_fleet_result *x);

/* Same length, and the same contractor, id and distance (==) at each place. */
bool trt_fleet_same(const struct tr_fleet_result *a, size_t na, const struct tr_fleet_result *b,
                    size_t nb);

/* Scan a model of the fleet: contractor c is e[c] when present[c] (c < n).
 * Everything that qualifies for q (eligible, skills non-zero and holding all
 * of q->required_skills, within q->max_distance_m unless 0, tier >= q->min_tier,
 * within its own radius when q->within_radius, strictly after q->after), in
 * order: all of it when limit is 0 (out must hold n), else the best `limit`.
 * *more (may be NULL) says whether anything that qualified was left out.
 * q->k and q->filter are not used. Returns how many are in out. */
size_t trt_fleet_brute(const struct tr_fleet_entry *e, const bool *present, uint32_t n,
                       const struct tr_fleet_query *q, struct tr_fleet_result *out, size_t limit,
                       bool *more);

#endif
