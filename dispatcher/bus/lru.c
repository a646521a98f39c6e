/*
 * dispatcher/bus/lru.c: lru.h as a chained hash table over a doubly linked
 * recency list. Each entry is one allocation (key and value inline).
 * Sizes here are small (hundreds to a few hundred thousand entries).
 */
#include "dispatcher/bus/lru.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    struct entry *hnext;       /* hash chain */
    struct entry *prev, *next; /* recency: head = most recent */
    size_t klen, vlen;
    uint64_t h;
    char data[]; /* key NUL value */
};

struct tr_lru {
    struct entry **bucket;
    size_t n_buckets;
    struct entry *head, *tail;
    size_t n, bytes, max_n, max_bytes;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

int tr_lru_new(size_t max_entries, size_t max_bytes, struct tr_lru **out)
{
    if (!out || max_entries == 0 || max_bytes == 0)
        return TR_LRU_ERR_INVALID;
    struct tr_lru *c = calloc(1, sizeof(*c));
    if (!c)
        return TR_LRU_ERR_NOMEM;
    c->n_buckets = 64;
    while (c->n_buckets < max_entries && c->n_buckets < (1u << 20))
        c->n_buckets *= 2;
    c->bucket = calloc(c->n_buckets, sizeof(*c->bucket));
    if (!c->bucket) {
        free(c);
        return TR_LRU_ERR_NOMEM;
    }
    c->max_n = max_entries;
    c->max_bytes = max_bytes;
    *out = c;
    return TR_LRU_OK;
}

void tr_lru_free(struct tr_lru *c)
{
    if (!c)
        return;
    for (struct entry *e = c->head, *next; e; e = next) {
        next = e->next;
        free(e);
    }
    free(c->bucket);
    free(c);
}

static void unlink_recency(struct tr_lru *c, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void push_front(struct tr_lru *c, struct entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static struct entry **find_link(struct tr_lru *c, const char *key, uint64_t h)
{
    struct entry **p = &c->bucket[h & (c->n_buckets - 1)];
    for (; *p; p = &(*p)->hnext)
        if ((*p)->h == h && strcmp((*p)->data, key) == 0)
            return p;
    return p;
}

static void remove_entry(struct tr_lru *c, struct entry *e)
{
    struct entry **p = find_link(c, e->data, e->h);
    if (*p == e)
        *p = e->hnext;
    unlink_recency(c, e);
    c->n--;
    c->bytes -= e->klen + e->vlen;
    free(e);
}

int tr_lru_put(struct tr_lru *c, const char *key, const void *value, size_t len)
{
    if (!c || !key || !key[0] || (!value && len > 0))
        return TR_LRU_ERR_INVALID;
    size_t klen = strlen(key);
    if (klen + len > c->max_bytes)
        return TR_LRU_ERR_INVALID;
    uint64_t h = hash_str(key);
    struct entry **p = find_link(c, key, h);
    if (*p)
        remove_entry(c, *p);
    struct entry *e = malloc(sizeof(*e) + klen + 1 + len);
    if (!e)
        return TR_LRU_ERR_NOMEM;
    e->h = h;
    e->klen = klen;
    e->vlen = len;
    memcpy(e->data, key, klen + 1);
    if (len)
        memcpy(e->data + klen + 1, value, len);
    while (c->tail && (c->n + 1 > c->max_n || c->bytes + klen + len > c->max_bytes))
        remove_entry(c, c->tail);
    p = find_link(c, key, h);
    e->hnext = NULL;
    *p = e;
    push_front(c, e);
    c->n++;
    c->bytes += klen + len;
    return TR_LRU_OK;
}

const void *tr_lru_get(struct tr_lru *c, const char *key, size_t *len)
{
    if (!c || !key)
        return NULL;
    struct entry *e = *find_link(c, key, hash_str(key));
    if (!e)
        return NULL;
    unlink_recency(c, e);
    push_front(c, e);
    if (len)
        *len = e->vlen;
    return e->data + e->klen + 1;
}

size_t tr_lru_count(const struct tr_lru *c)
{
    return c ? c->n : 0;
}
