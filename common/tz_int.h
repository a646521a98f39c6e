/*
 * common/tz_int.h: internals shared by tz.c (TZif loading, the zone set),
 * tz_rule.c (POSIX TZ rules, calendar math, offset lookup) and tz_shift.c
 * (working hours). Not for other modules: include common/tz.h.
 */
#ifndef TR_TZ_INT_H
#define TR_TZ_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/tz.h"

#define TR_TZ_DAY_S  INT64_C(86400)
#define TR_TZ_DAY_MS INT64_C(86400000)

/* A local time type (RFC 8536 ttinfo, without the abbreviation). */
struct tr_tz_ttype {
    int32_t utoff; /* seconds east of UTC */
    bool isdst;
};

/* One date of a POSIX rule: Jn (kind 'J', n 1..365, Feb 29 never counted),
 * n (kind 'D', n 0..365, zero-based, Feb 29 counted) or Mm.w.d (kind 'M'). */
struct tr_tz_date {
    char kind;
    int n, m, w, d;
    int32_t time; /* seconds after local midnight, -167 h ..= 167 h */
};

/* A POSIX TZ rule. Without DST only std_utoff matters. */
struct tr_tz_rule {
    int32_t std_utoff, dst_utoff; /* seconds east of UTC */
    bool has_dst;
    struct tr_tz_date start, end; /* start in standard time, end in DST */
};

struct tr_tz {
    char name[TR_TZ_NAME_SIZE];
    size_t n_trans;      /* transitions, strictly ascending */
    int64_t *trans;      /* UTC seconds */
    uint8_t *trans_type; /* index into types */
    size_t n_types;      /* 0 only for a zone made from a rule alone */
    struct tr_tz_ttype *types;
    bool has_rule;
    struct tr_tz_rule rule;
};

/* Parses a POSIX TZ string of len bytes (no NUL needed). TR_TZ_OK or
 * TR_TZ_ERR_BAD_RULE. */
int tr_tz_rule_parse(const char *s, size_t len, struct tr_tz_rule *out);

/* Offset and DST flag at UTC second t (any zone; tz != NULL). */
int32_t tr_tz_offset_at(const struct tr_tz *tz, int64_t t, bool *isdst);

/* The first offset transition strictly after UTC second t, or INT64_MAX.
 * May return an instant where the offset does not actually change. */
int64_t tr_tz_next_transition(const struct tr_tz *tz, int64_t t);

/* Proleptic Gregorian calendar (Howard Hinnant's algorithms). */
int64_t tr_tz_days_from_civil(int64_t y, int m, int d);
void tr_tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* Floor division and modulo for a positive divisor. */
int64_t tr_tz_floor_div(int64_t a, int64_t b);
int64_t tr_tz_floor_mod(int64_t a, int64_t b);

/* utc_ms clamped to +-TR_TZ_LIMIT_MS. */
int64_t tr_tz_clamp_ms(int64_t utc_ms);

#endif
