/*
 * dispatcher/core/wheel.c: a hashed timer wheel for the engine (contractor
 * freshness timers, offer deadlines).
 *
 * WHEEL_BUCKETS buckets of WHEEL_GRAIN ms; an item sits in the bucket of its
 * deadline (or of the cursor when already due) on an intrusive doubly linked
 * list, so arming and disarming are O(1) whatever the deadline. Collecting
 * walks the buckets from the cursor to now (at most one turn) and takes the
 * items due; items a turn or more ahead stay where they are.
 *
 * An item remembers its bucket, so disarming never depends on the cursor;
 * an item armed already due is parked in the cursor's bucket, which the next
 * walk visits first.
 *
 * Does not call back: the caller gets the due items as an array and acts on
 * them after the walk, so re-arming while handling is safe.
 */
#include "dispatcher/core/engine_int.h"

#include <stdlib.h>
#include <string.h>

static int64_t slot_of(int64_t t)
{
    return t >= 0 ? t / WHEEL_GRAIN : -((-t + WHEEL_GRAIN - 1) / WHEEL_GRAIN);
}

void tr_wheel_init(struct tr_wheel *w)
{
    memset(w, 0, sizeof(*w));
    for (unsigned b = 0; b < WHEEL_BUCKETS; b++)
        w->head[b] = ENG_NONE;
}

void tr_wheel_free(struct tr_wheel *w)
{
    if (!w)
        return;
    free(w->next);
    free(w->prev);
    free(w->deadline);
    free(w->armed);
    free(w->bucket);
    w->bucket = NULL;
    w->next = w->prev = NULL;
    w->deadline = NULL;
    w->armed = NULL;
    w->cap = 0;
}

int tr_wheel_reserve(struct tr_wheel *w, uint32_t cap)
{
    if (cap <= w->cap)
        return TR_ENGINE_OK;
    uint32_t *next = realloc(w->next, cap * sizeof(*next));
    if (!next)
        return TR_ENGINE_ENOMEM;
    w->next = next;
    uint32_t *prev = realloc(w->prev, cap * sizeof(*prev));
    if (!prev)
        return TR_ENGINE_ENOMEM;
    w->prev = prev;
    int64_t *dl = realloc(w->deadline, cap * sizeof(*dl));
    if (!dl)
        return TR_ENGINE_ENOMEM;
    w->deadline = dl;
    uint16_t *bucket = realloc(w->bucket, cap * sizeof(*bucket));
    if (!bucket)
        return TR_ENGINE_ENOMEM;
    w->bucket = bucket;
    uint8_t *armed = realloc(w->armed, cap * sizeof(*armed));
    if (!armed)
        return TR_ENGINE_ENOMEM;
    w->armed = armed;
    memset(w->armed + w->cap, 0, (cap - w->cap) * sizeof(*armed));
    w->cap = cap;
    return TR_ENGINE_OK;
}

static unsigned bucket_of(const struct tr_wheel *w, int64_t deadline)
{
    int64_t s = slot_of(deadline);
    if (w->started && s < w->cursor)
        s = w->cursor;
    return (unsigned)((uint64_t)s & (WHEEL_BUCKETS - 1));
}

void tr_wheel_disarm(struct tr_wheel *w, uint32_t item)
{
    if (item >= w->cap || !w->armed[item])
        return;
    uint32_t n = w->next[item], p = w->prev[item];
    if (p != ENG_NONE)
        w->next[p] = n;
    else
        w->head[w->bucket[item]] = n;
    if (n != ENG_NONE)
        w->prev[n] = p;
    w->armed[item] = 0;
}

void tr_wheel_arm(struct tr_wheel *w, uint32_t item, int64_t deadline)
{
    tr_wheel_disarm(w, item);
    unsigned b = bucket_of(w, deadline);
    w->deadline[item] = deadline;
    w->bucket[item] = (uint16_t)b;
    w->prev[item] = ENG_NONE;
    w->next[item] = w->head[b];
    if (w->head[b] != ENG_NONE)
        w->prev[w->head[b]] = item;
    w->head[b] = item;
    w->armed[item] = 1;
}

static int push(uint32_t **out, size_t *n, size_t *cap, uint32_t v)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        uint32_t *p = realloc(*out, nc * sizeof(*p));
        if (!p)
            return TR_ENGINE_ENOMEM;
        *out = p;
        *cap = nc;
    }
    (*out)[(*n)++] = v;
    return TR_ENGINE_OK;
}

int tr_wheel_due(struct tr_wheel *w, int64_t now, uint32_t **out, size_t *n, size_t *cap)
{
    int64_t target = slot_of(now);
    if (!w->started) {
        /* items armed before the first walk sit in their deadline's bucket
         * (no cursor yet): walk them all once */
        w->started = true;
        w->cursor = target - (int64_t)WHEEL_BUCKETS + 1;
    }
    if (target < w->cursor)
        return TR_ENGINE_OK; /* the clock went back: nothing new is due */
    int64_t from = w->cursor;
    if (target - from >= (int64_t)WHEEL_BUCKETS)
        from = target - (int64_t)WHEEL_BUCKETS + 1;
    for (int64_t s = from; s <= target; s++) {
        unsigned b = (unsigned)((uint64_t)s & (WHEEL_BUCKETS - 1));
        uint32_t it = w->head[b];
        while (it != ENG_NONE) {
            uint32_t nx = w->next[it];
            if (w->deadline[it] <= now) {
                tr_wheel_disarm(w, it);
                if (push(out, n, cap, it) != TR_ENGINE_OK)
                    return TR_ENGINE_ENOMEM;
            }
            it = nx;
        }
    }
    w->cursor = target;
    return TR_ENGINE_OK;
}
