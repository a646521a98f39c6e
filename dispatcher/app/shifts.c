/*
 * dispatcher/app/shifts.c: working hours in each contractor's own time zone
 * -> the engine's on_shift flag (worker thread only).
 *
 * tr_shifts_update evaluates a contractor now (common/tz: tr_shift_on and the
 * zone's UTC offset, which the engine uses for "jobs today"), tells the
 * engine, and schedules the next change (tr_shift_next_change) in a min-heap.
 * tr_shifts_run pops what is due, reads the contractor's hours back from the
 * store (so nothing but a time and an id is kept per contractor) and
 * evaluates again. An update replaces the schedule: older heap entries are
 * recognised as stale by their time and skipped.
 *
 * An unknown time zone (contractor.add checks it; an old record might not
 * pass) falls back to UTC with a warning.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "dispatcher/app/app.h"

struct due {
    int64_t at;
    char id[TR_MSG_ID_SIZE];
};

struct shifts {
    struct due *heap;
    size_t n, cap;
    struct tr_lru *next; /* contractor id -> int64_t scheduled time */
};

int tr_shifts_new(struct shifts **out)
{
    struct shifts *s = calloc(1, sizeof(*s));
    if (!s || tr_lru_new(SIZE_MAX / 2, SIZE_MAX / 2, &s->next) != TR_LRU_OK) {
        free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void tr_shifts_free(struct shifts *s)
{
    if (!s)
        return;
    tr_lru_free(s->next);
    free(s->heap);
    free(s);
}

static void heap_push(struct shifts *s, int64_t at, const char *id)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct due *h = realloc(s->heap, cap * sizeof(*h));
        if (!h)
            return;
        s->heap = h;
        s->cap = cap;
    }
    size_t i = s->n++;
    s->heap[i].at = at;
    snprintf(s->heap[i].id, sizeof(s->heap[i].id), "%s", id);
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (s->heap[up].at <= s->heap[i].at)
            break;
        struct due t = s->heap[up];
        s->heap[up] = s->heap[i];
        s->heap[i] = t;
        i = up;
    }
}

static void heap_pop(struct shifts *s)
{
    s->heap[0] = s->heap[--s->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->n && s->heap[l].at < s->heap[m].at)
            m = l;
        if (r < s->n && s->heap[r].at < s->heap[m].at)
            m = r;
        if (m == i)
            break;
        struct due t = s->heap[m];
        s->heap[m] = s->heap[i];
        s->heap[i] = t;
        i = m;
    }
}

void tr_shifts_update(struct app *a, const struct tr_contractor *c, int64_t now_ms)
{
    const struct tr_tz *tz = NULL;
    int rc = tr_tz_set_get(a->tz, c->timezone, &tz);
    if (rc != TR_TZ_OK) {
        tr_log_warn("contractor %s: time zone %s: %s; using UTC", c->contractor_id, c->timezone,
                    tr_tz_strerror(rc));
        tz = NULL;
    }
    const struct tr_shift *hours = c->has_hours ? c->hours : NULL;
    bool on = tr_shift_on(tz, hours, c->n_hours, now_ms);
    int32_t off = tr_tz_offset_s(tz, now_ms);
    rc = tr_engine_set_on_shift(a->eng, c->contractor_id, on, off, now_ms);
    if (rc == TR_ENGINE_OK)
        tr_actions_run(a, now_ms);
    else if (rc != TR_ENGINE_ENOENT)
        tr_log_warn("contractor %s: on-shift update failed: %s", c->contractor_id,
                    tr_engine_strerror(rc));

    int64_t next = INT64_MAX;
    if (hours)
        (void)tr_shift_next_change(tz, hours, c->n_hours, now_ms, &next);
    /* the UTC offset (jobs today) changes at DST too: look again within a day */
    if (next == INT64_MAX || next > now_ms + 86400000)
        next = now_ms + 86400000;
    tr_lru_put(a->shifts->next, c->contractor_id, &next, sizeof(next));
    heap_push(a->shifts, next, c->contractor_id);
}

void tr_shifts_run(struct app *a, int64_t now_ms)
{
    struct shifts *s = a->shifts;
    while (s->n > 0 && s->heap[0].at <= now_ms) {
        struct due d = s->heap[0];
        heap_pop(s);
        size_t len = 0;
        int64_t cur = 0;
        const void *v = tr_lru_get(s->next, d.id, &len);
        if (v && len == sizeof(cur))
            memcpy(&cur, v, sizeof(cur)); /* LRU values are not aligned */
        if (!v || len != sizeof(cur) || cur != d.at)
            continue; /* rescheduled since */
        struct tr_contractor c;
        if (tr_store_contractor_get(a->store, d.id, &c, NULL) != TR_STORE_OK) {
            tr_log_warn("contractor %s: cannot read hours: %s", d.id, tr_store_errmsg(a->store));
            continue;
        }
        bool was = false;
        struct tr_engine_contractor_info ci;
        if (tr_engine_contractor_info(a->eng, d.id, now_ms, &ci) == TR_ENGINE_OK)
            was = ci.on_shift;
        tr_shifts_update(a, &c, now_ms);
        if (tr_engine_contractor_info(a->eng, d.id, now_ms, &ci) == TR_ENGINE_OK &&
            ci.on_shift != was)
            tr_log_info("contractor %s is now %s (hours in %s)", d.id,
                        ci.on_shift ? "on shift" : "off shift", c.timezone);
    }
}
