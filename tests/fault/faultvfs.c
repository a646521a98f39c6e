/*
 * tests/fault/faultvfs.c: the storage fault VFS (see faultvfs.h). The io
 * methods are version 1: no shared memory and no mmap, so SQLite keeps a WAL
 * index in heap memory, which needs locking_mode=EXCLUSIVE set before WAL
 * (the agent's outbox does exactly that).
 */
#include "tests/fault/faultvfs.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECTOR      512
#define MAX_SECTORS 1024 /* the largest write a cut can tear: 512 KiB */

struct tr_faultvfs_op {
    bool truncate;
    sqlite3_int64 off; /* write: offset; truncate: the new size */
    int n;             /* write: bytes */
    unsigned char *data;
    sqlite3_int64 old_size; /* the file's size before the op */
    unsigned char *old;     /* the bytes the op replaced (write) or cut off (truncate) */
    int n_old;
};

struct fv_file {
    sqlite3_file base;
    struct tr_faultvfs *fv;
    struct tr_faultvfs_track *track; /* NULL: not logged (temporary files) */
    sqlite3_file *real;              /* the real VFS's file, right after this struct */
};

static void track_clear(struct tr_faultvfs_track *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->ops[i].data);
        free(t->ops[i].old);
    }
    t->n = 0;
}

static struct tr_faultvfs_track *track_of(struct tr_faultvfs *fv, const char *path)
{
    for (int i = 0; i < TR_FAULTVFS_TRACKS; i++) {
        if (fv->tracks[i].path[0] && strcmp(fv->tracks[i].path, path) == 0)
            return &fv->tracks[i];
    }
    for (int i = 0; i < TR_FAULTVFS_TRACKS; i++) {
        if (!fv->tracks[i].path[0] && strlen(path) < sizeof fv->tracks[i].path) {
            strcpy(fv->tracks[i].path, path);
            return &fv->tracks[i];
        }
    }
    fv->errors++;
    return NULL;
}

static struct tr_faultvfs_op *track_add(struct tr_faultvfs_track *t)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct tr_faultvfs_op *ops = realloc(t->ops, cap * sizeof *ops);
        if (!ops)
            return NULL;
        t->ops = ops;
        t->cap = cap;
    }
    memset(&t->ops[t->n], 0, sizeof t->ops[0]);
    return &t->ops[t->n++];
}

/* Copy [off, off + n) of the real file as far as it exists; *got bytes. */
static unsigned char *read_old(struct fv_file *f, sqlite3_int64 size, sqlite3_int64 off, int n,
                               int *got)
{
    unsigned char *b;
    int want = off >= size ? 0 : (size - off < n ? (int)(size - off) : n);

    *got = 0;
    if (want == 0)
        return NULL;
    if (!(b = malloc((size_t)want)))
        return NULL;
    if (f->real->pMethods->xRead(f->real, b, want, off) != SQLITE_OK) {
        free(b);
        f->fv->errors++;
        return NULL;
    }
    *got = want;
    return b;
}

static int fv_close(sqlite3_file *pf)
{
    struct fv_file *f = (struct fv_file *)pf;
    return f->real->pMethods->xClose(f->real);
}

static int fv_read(sqlite3_file *pf, void *buf, int n, sqlite3_int64 off)
{
    struct fv_file *f = (struct fv_file *)pf;
    return f->real->pMethods->xRead(f->real, buf, n, off);
}

static int fv_write(sqlite3_file *pf, const void *buf, int n, sqlite3_int64 off)
{
    struct fv_file *f = (struct fv_file *)pf;
    struct tr_faultvfs_op *op;
    sqlite3_int64 size = 0;

    if (f->fv->power_off)
        return SQLITE_OK;
    if (f->real->pMethods->xFileSize(f->real, &size) != SQLITE_OK)
        return SQLITE_IOERR_FSTAT;
    if (f->fv->disk_full && off + n > size) {
        f->fv->full_writes++;
        return SQLITE_FULL;
    }
    if (f->track) {
        if (!(op = track_add(f->track)) || !(op->data = malloc((size_t)n)))
            return SQLITE_IOERR_NOMEM;
        memcpy(op->data, buf, (size_t)n);
        op->off = off;
        op->n = n;
        op->old_size = size;
        op->old = read_old(f, size, off, n, &op->n_old);
    }
    return f->real->pMethods->xWrite(f->real, buf, n, off);
}

static int fv_truncate(sqlite3_file *pf, sqlite3_int64 size)
{
    struct fv_file *f = (struct fv_file *)pf;
    struct tr_faultvfs_op *op;
    sqlite3_int64 old = 0;

    if (f->fv->power_off)
        return SQLITE_OK;
    if (f->track) {
        if (f->real->pMethods->xFileSize(f->real, &old) != SQLITE_OK || !(op = track_add(f->track)))
            return SQLITE_IOERR_NOMEM;
        op->truncate = true;
        op->off = size;
        op->old_size = old;
        if (old > size && old - size < INT32_MAX)
            op->old = read_old(f, old, size, (int)(old - size), &op->n_old);
    }
    return f->real->pMethods->xTruncate(f->real, size);
}

static int fv_sync(sqlite3_file *pf, int flags)
{
    struct fv_file *f = (struct fv_file *)pf;
    int rc;

    if (f->fv->power_off)
        return SQLITE_OK;
    rc = f->real->pMethods->xSync(f->real, flags);
    if (rc == SQLITE_OK && f->track)
        track_clear(f->track); /* on the disk now */
    return rc;
}

static int fv_file_size(sqlite3_file *pf, sqlite3_int64 *size)
{
    struct fv_file *f = (struct fv_file *)pf;
    return f->real->pMethods->xFileSize(f->real, size);
}

static int fv_lock(sqlite3_file *pf, int lock)
{
    struct fv_file *f = (struct fv_file *)pf;
    return f->real->pMethods->xLock(f->real, lock);
}

static int fv_unlock(sqlite3_file *pf, int lock)
{
    struct fv_file *f = (struct fv_file *)pf;
    return f->real->pMethods->xUnlock(f->real, lock);
}

static int fv_check_lock(sqlite3_file *pf, int *out)
{
    struct fv_file *f = (struct fv_file *)pf;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int fv_file_control(sqlite3_file *pf, int op, void *arg)
{
    struct fv_file *f = (struct fv_file *)pf;
    return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int fv_sector_size(sqlite3_file *pf)
{
    struct fv_file *f = (struct fv_file *)pf;
    return f->real->pMethods->xSectorSize(f->real);
}

static int fv_device(sqlite3_file *pf)
{
    struct fv_file *f = (struct fv_file *)pf;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static const sqlite3_io_methods fv_io = {
    .iVersion = 1,
    .xClose = fv_close,
    .xRead = fv_read,
    .xWrite = fv_write,
    .xTruncate = fv_truncate,
    .xSync = fv_sync,
    .xFileSize = fv_file_size,
    .xLock = fv_lock,
    .xUnlock = fv_unlock,
    .xCheckReservedLock = fv_check_lock,
    .xFileControl = fv_file_control,
    .xSectorSize = fv_sector_size,
    .xDeviceCharacteristics = fv_device,
};

static int fv_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *pf, int flags,
                   int *out_flags)
{
    struct tr_faultvfs *fv = vfs->pAppData;
    struct fv_file *f = (struct fv_file *)pf;
    int rc;

    memset(f, 0, sizeof *f);
    f->fv = fv;
    f->real = (sqlite3_file *)(f + 1);
    rc = fv->real->xOpen(fv->real, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK)
        return rc;
    if (name && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)))
        f->track = track_of(fv, name);
    f->base.pMethods = &fv_io;
    return SQLITE_OK;
}

static int fv_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    struct tr_faultvfs *fv = vfs->pAppData;

    if (fv->power_off)
        return SQLITE_OK;
    for (int i = 0; i < TR_FAULTVFS_TRACKS; i++) {
        if (strcmp(fv->tracks[i].path, name) == 0)
            track_clear(&fv->tracks[i]); /* gone, with its unsynced writes */
    }
    return fv->real->xDelete(fv->real, name, sync_dir);
}

int tr_faultvfs_register(struct tr_faultvfs *fv)
{
    memset(fv, 0, sizeof *fv);
    if (!(fv->real = sqlite3_vfs_find("unix")))
        return -1;
    fv->vfs = *fv->real;
    fv->vfs.iVersion = fv->real->iVersion < 3 ? fv->real->iVersion : 3;
    fv->vfs.szOsFile = (int)sizeof(struct fv_file) + fv->real->szOsFile;
    fv->vfs.zName = "faultvfs";
    fv->vfs.pNext = NULL;
    fv->vfs.pAppData = fv;
    fv->vfs.xOpen = fv_open;
    fv->vfs.xDelete = fv_delete;
    return sqlite3_vfs_register(&fv->vfs, 1) == SQLITE_OK ? 0 : -1;
}

void tr_faultvfs_unregister(struct tr_faultvfs *fv)
{
    sqlite3_vfs_unregister(&fv->vfs);
    for (int i = 0; i < TR_FAULTVFS_TRACKS; i++) {
        track_clear(&fv->tracks[i]);
        free(fv->tracks[i].ops);
        fv->tracks[i].ops = NULL;
        fv->tracks[i].cap = 0;
    }
}

int64_t tr_faultvfs_pending(const struct tr_faultvfs *fv)
{
    int64_t n = 0;
    for (int i = 0; i < TR_FAULTVFS_TRACKS; i++)
        n += (int64_t)fv->tracks[i].n;
    return n;
}

/* --- the cut --- */

static unsigned pick(struct rng *rng, unsigned n)
{
    return (unsigned)(rnd(rng) % n);
}

static void put_bytes(struct tr_faultvfs *fv, int fd, const unsigned char *b, int n,
                      sqlite3_int64 off)
{
    if (n > 0 && pwrite(fd, b, (size_t)n, (off_t)off) != n)
        fv->errors++;
}

static void set_size(struct tr_faultvfs *fv, int fd, sqlite3_int64 size)
{
    if (ftruncate(fd, (off_t)size) != 0)
        fv->errors++;
}

/* Write the sectors of op chosen by keep (NULL: all; else one flag per
 * 512-byte sector of the file the write touches, from its first). */
static void apply_write(struct tr_faultvfs *fv, int fd, const struct tr_faultvfs_op *op,
                        const bool *keep)
{
    sqlite3_int64 pos = op->off, end = op->off + op->n;
    int s = 0;

    while (pos < end) {
        sqlite3_int64 next = (pos / SECTOR + 1) * SECTOR;
        if (next > end)
            next = end;
        if (!keep || keep[s])
            put_bytes(fv, fd, op->data + (pos - op->off), (int)(next - pos), pos);
        pos = next;
        s++;
    }
}

/* Replay part of t's unsynced ops on fd, which is at its synced state. */
static void replay_some(struct tr_faultvfs *fv, int fd, const struct tr_faultvfs_track *t,
                        enum tr_faultvfs_cut how, struct rng *rng)
{
    size_t k = how == TR_FAULTVFS_CUT_TORN ? pick(rng, (unsigned)t->n + 1) : 0;
    bool keep[MAX_SECTORS];

    for (size_t i = 0; i < t->n; i++) {
        const struct tr_faultvfs_op *op = &t->ops[i];
        int sectors, torn;

        if (how == TR_FAULTVFS_CUT_TORN && i > k)
            break;
        if (op->truncate) {
            if (how == TR_FAULTVFS_CUT_TORN ? i < k : pick(rng, 2) == 1)
                set_size(fv, fd, op->off);
            continue;
        }
        if (how == TR_FAULTVFS_CUT_TORN && i < k) {
            apply_write(fv, fd, op, NULL);
            continue;
        }
        sectors = (int)((op->off + op->n - 1) / SECTOR - op->off / SECTOR + 1);
        if (sectors > MAX_SECTORS) {
            fv->errors++;
            continue;
        }
        torn = (int)pick(rng, (unsigned)sectors + 1);
        for (int s = 0; s < sectors; s++)
            keep[s] = how == TR_FAULTVFS_CUT_TORN ? s < torn : pick(rng, 2) == 1;
        apply_write(fv, fd, op, keep);
    }
}

void tr_faultvfs_cut(struct tr_faultvfs *fv, enum tr_faultvfs_cut how, struct rng *rng)
{
    for (int i = 0; i < TR_FAULTVFS_TRACKS; i++) {
        struct tr_faultvfs_track *t = &fv->tracks[i];
        int fd;

        if (!t->path[0] || !t->n)
            continue;
        if ((fd = open(t->path, O_RDWR)) < 0) { /* deleted */
            track_clear(t);
            continue;
        }
        for (size_t j = t->n; j-- > 0;) { /* back to the state of the last sync */
            const struct tr_faultvfs_op *op = &t->ops[j];
            if (op->truncate) {
                set_size(fv, fd, op->old_size);
                put_bytes(fv, fd, op->old, op->n_old, op->off);
            } else {
                put_bytes(fv, fd, op->old, op->n_old, op->off);
                set_size(fv, fd, op->old_size);
            }
        }
        if (how != TR_FAULTVFS_CUT_CLEAN)
            replay_some(fv, fd, t, how, rng);
        close(fd);
        track_clear(t);
    }
}
