/*
 * dispatcher/core/idmap.c: a string -> uint32 hash map for the engine's
 * contractor, job, skill and language ids (open addressing, linear probing,
 * tombstones, power-of-two capacity, at most 70 % full).
 *
 * The map stores no strings: it reads each stored value's key back through
 * the caller's key function, so a million contractor ids cost 8 bytes a slot
 * here. Does not own or copy keys.
 */
#include "dispatcher/core/engine_int.h"

#include <stdlib.h>
#include <string.h>

#define TOMB UINT32_MAX

static uint32_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211u;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 32;
    return (uint32_t)h;
}

void tr_idmap_init(struct tr_idmap *m, tr_idmap_key_fn key, const void *ctx)
{
    memset(m, 0, sizeof(*m));
    m->key = key;
    m->ctx = ctx;
}

void tr_idmap_free(struct tr_idmap *m)
{
    if (!m)
        return;
    free(m->val);
    free(m->hash);
    m->val = NULL;
    m->hash = NULL;
    m->cap = m->n = m->tombs = 0;
}

uint32_t tr_idmap_get(const struct tr_idmap *m, const char *key)
{
    if (m->cap == 0)
        return ENG_NONE;
    uint32_t h = hash_str(key);
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t v = m->val[i];
        if (v == 0)
            return ENG_NONE;
        if (v != TOMB && m->hash[i] == h && strcmp(m->key(m->ctx, v - 1), key) == 0)
            return v - 1;
    }
}

static void place(uint32_t *val, uint32_t *hash, size_t cap, uint32_t h, uint32_t v)
{
    size_t mask = cap - 1;
    size_t i = h & mask;
    while (val[i] != 0)
        i = (i + 1) & mask;
    val[i] = v;
    hash[i] = h;
}

int tr_idmap_reserve(struct tr_idmap *m, size_t more)
{
    if ((m->n + m->tombs + more) * 10 <= m->cap * 7)
        return TR_ENGINE_OK;
    size_t cap = m->cap ? m->cap : 16;
    while ((m->n + more) * 10 > cap * 5)
        cap *= 2;
    uint32_t *val = calloc(cap, sizeof(*val));
    uint32_t *hash = malloc(cap * sizeof(*hash));
    if (!val || !hash) {
        free(val);
        free(hash);
        return TR_ENGINE_ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->val[i] != 0 && m->val[i] != TOMB)
            place(val, hash, cap, m->hash[i], m->val[i]);
    free(m->val);
    free(m->hash);
    m->val = val;
    m->hash = hash;
    m->cap = cap;
    m->tombs = 0;
    return TR_ENGINE_OK;
}

void tr_idmap_put(struct tr_idmap *m, const char *key, uint32_t value)
{
    uint32_t h = hash_str(key);
    size_t mask = m->cap - 1;
    size_t i = h & mask;
    while (m->val[i] != 0 && m->val[i] != TOMB)
        i = (i + 1) & mask;
    if (m->val[i] == TOMB)
        m->tombs--;
    m->val[i] = value + 1;
    m->hash[i] = h;
    m->n++;
}

void tr_idmap_del(struct tr_idmap *m, const char *key)
{
    if (m->cap == 0)
        return;
    uint32_t h = hash_str(key);
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t v = m->val[i];
        if (v == 0)
            return;
        if (v != TOMB && m->hash[i] == h && strcmp(m->key(m->ctx, v - 1), key) == 0) {
            m->val[i] = TOMB;
            m->n--;
            m->tombs++;
            return;
        }
    }
}
