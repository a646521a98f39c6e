/*
 * dispatcher/bus/lru.h: a small bounded cache from a string key to a byte
 * value, evicting the least recently used entry past a count or byte budget.
 *
 * The dispatcher keeps two: the answers it gave to console requests (a
 * repeated request id gets the first answer again, never the work done
 * twice), and which job a job.create request made (rebuilt from the store at
 * startup, so a retry after a crash does not create a second job).
 *
 * No locking (one thread owns a cache), no I/O, no logging. Values are
 * copied in; tr_lru_get returns a pointer valid until the next put or free,
 * with no alignment (memcpy a number out of it).
 */
#ifndef TR_BUS_LRU_H
#define TR_BUS_LRU_H

#include <stddef.h>

struct tr_lru;

enum tr_lru_err {
    TR_LRU_OK = 0,
    TR_LRU_ERR_NOMEM = 1,
    TR_LRU_ERR_INVALID = 2, /* NULL, empty key, or a value over the byte budget */
};

/* max_entries >= 1; max_bytes: sum of key and value sizes kept, >= 1. */
int tr_lru_new(size_t max_entries, size_t max_bytes, struct tr_lru **out);
void tr_lru_free(struct tr_lru *c); /* NULL ok */

/* Insert or replace. */
int tr_lru_put(struct tr_lru *c, const char *key, const void *value, size_t len);
/* The value and its length, or NULL when absent (marks it recently used). */
const void *tr_lru_get(struct tr_lru *c, const char *key, size_t *len);
size_t tr_lru_count(const struct tr_lru *c);

#endif
