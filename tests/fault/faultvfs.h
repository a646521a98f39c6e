/*
 * tests/fault/faultvfs.h: a SQLite VFS for storage fault tests. It hands
 * every call to the real VFS ("unix") and can, on request:
 *   - lose power: it keeps, for each database and WAL file, a log of the
 *     writes and truncations since that file's last xSync; while the power
 *     is off every write, truncation, sync and delete is dropped (a dead
 *     machine), and tr_faultvfs_cut() puts each file back to its state at
 *     its last sync and applies part of the later writes again, as a disk
 *     may have written some of them before the cut;
 *   - run out of space: a write that would make a file longer fails with
 *     SQLITE_FULL (as ENOSPC does), overwrites inside a file still work.
 * Registered as the default VFS, so code under test needs no change.
 *
 * State lives in the caller's struct tr_faultvfs, which must outlive every
 * connection opened while it is registered. Single-threaded use only.
 */
#ifndef TR_TEST_FAULTVFS_H
#define TR_TEST_FAULTVFS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/support/rng.h"

#define TR_FAULTVFS_TRACKS 4

struct tr_faultvfs_op;

struct tr_faultvfs_track { /* a database or WAL file and its writes since its last sync */
    char path[512];
    struct tr_faultvfs_op *ops;
    size_t n, cap;
};

struct tr_faultvfs {
    sqlite3_vfs vfs;   /* registered; its pAppData is this struct */
    sqlite3_vfs *real; /* "unix" */
    struct tr_faultvfs_track tracks[TR_FAULTVFS_TRACKS];
    bool power_off;      /* drop every write, truncation, sync and delete */
    bool disk_full;      /* writes that grow a file fail with SQLITE_FULL */
    int64_t full_writes; /* writes refused by disk_full */
    int errors;          /* the VFS's own failures (a broken test, not the code under it) */
};

/* How much of the unsynced writes a cut keeps. */
enum tr_faultvfs_cut {
    TR_FAULTVFS_CUT_CLEAN = 0,     /* none */
    TR_FAULTVFS_CUT_TORN = 1,      /* the first k in order, the next torn after some sectors */
    TR_FAULTVFS_CUT_REORDERED = 2, /* any subset, 512-byte sector by sector */
};

/* Register fv as the default VFS. 0, or -1. */
int tr_faultvfs_register(struct tr_faultvfs *fv);
/* Unregister and free the logs. */
void tr_faultvfs_unregister(struct tr_faultvfs *fv);
/* Writes and truncations logged and not yet synced, over every file. */
int64_t tr_faultvfs_pending(const struct tr_faultvfs *fv);
/* The power cut, after the connections were closed with power_off set:
 * every logged file back to its last sync, then part of the later writes
 * (chosen with rng) applied again. Clears the logs. */
void tr_faultvfs_cut(struct tr_faultvfs *fv, enum tr_faultvfs_cut how, struct rng *rng);

#endif
