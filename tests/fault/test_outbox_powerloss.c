/*
 * tests/fault/test_outbox_powerloss.c: the agent's outbox survives power loss.
 *
 * kill -9 (test_outbox_kill) leaves every write() in the kernel's page cache;
 * a power cut also loses what was written but not yet fsync'd. Here SQLite
 * runs on a VFS ("powerloss") that hands everything to the real one and
 * keeps, for the database and its WAL, a log of the writes and truncations
 * since that file's last xSync. At a random point of a random workload the
 * power goes: the outbox is abandoned (from then on the VFS drops every
 * write, as a dead machine would), each file is put back to its state at its
 * last sync, and then part of the later writes is applied again, as a disk
 * may have written some of them before the cut. Three ways, in turn:
 *   - none of them;
 *   - the first k in order, the next one torn after a random number of its
 *     512-byte sectors;
 *   - any subset, sector by sector (the disk reordered its writes).
 * The outbox is then reopened on the same files and checked against a model:
 *   - it opens (not corrupt) and PRAGMA integrity_check passes;
 *   - nothing comes back that was never put or was gone after an earlier cut;
 *   - every event whose tr_outbox_put_event returned OK is there unless it
 *     was acknowledged (a lost ack only means sending it again);
 *   - every position put before the last successful put_event (that commit
 *     is synchronous=FULL) is there unless acknowledged; later ones may be
 *     lost, but only as a tail: no position is missing below the highest one
 *     present of its boot, unless acknowledged;
 *   - events come before positions, each in order.
 * ROUNDS rounds on one file, each a new boot; what survives a round is the
 * model of the next. No fork: it runs under qemu-user too.
 */
#include "fieldagent/store/outbox.h"
#include "tests/fault/outbox_model.h"
#include "tests/support/check.h"
#include "tests/support/rng.h"
#include "tests/support/tmpdir.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROUNDS     60
#define MAX_EVENTS 400 /* event numbers per round */
#define MAX_SEQ    2000
#define SECTOR     512
#define MAX_TRACKS 4
#define TOPIC      "truckroll/v1/agent/a1/event"

/* --- the power-loss VFS --- */

struct pl_op {
    bool truncate;
    sqlite3_int64 off; /* write: offset; truncate: the new size */
    int n;             /* write: bytes */
    unsigned char *data;
    sqlite3_int64 old_size; /* the file's size before the op */
    unsigned char *old;     /* the bytes the op replaced (write) or cut off (truncate) */
    int n_old;
};

struct pl_track { /* a database or WAL file and its writes since its last sync */
    char path[512];
    struct pl_op *ops;
    size_t n, cap;
};

struct pl_file {
    sqlite3_file base;
    struct pl_track *track; /* NULL: not logged (temporary files) */
    sqlite3_file *real;
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs pl_vfs;
static struct pl_track tracks[MAX_TRACKS];
static bool power_off;
static int vfs_errors;

static void track_clear(struct pl_track *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->ops[i].data);
        free(t->ops[i].old);
    }
    t->n = 0;
}

static struct pl_track *track_of(const char *path)
{
    for (int i = 0; i < MAX_TRACKS; i++) {
        if (tracks[i].path[0] && strcmp(tracks[i].path, path) == 0)
            return &tracks[i];
    }
    for (int i = 0; i < MAX_TRACKS; i++) {
        if (!tracks[i].path[0]) {
            snprintf(tracks[i].path, sizeof tracks[i].path, "%s", path);
            return &tracks[i];
        }
    }
    vfs_errors++;
    return NULL;
}

static struct pl_op *track_add(struct pl_track *t)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct pl_op *ops = realloc(t->ops, cap * sizeof *ops);
        if (!ops)
            return NULL;
        t->ops = ops;
        t->cap = cap;
    }
    memset(&t->ops[t->n], 0, sizeof t->ops[0]);
    return &t->ops[t->n++];
}

/* Read [off, off + n) of the real file as far as it exists; *got bytes. */
static unsigned char *read_old(struct pl_file *f, sqlite3_int64 size, sqlite3_int64 off, int n,
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
        vfs_errors++;
        return NULL;
    }
    *got = want;
    return b;
}

static int pl_close(sqlite3_file *pf)
{
    struct pl_file *f = (struct pl_file *)pf;
    return f->real->pMethods->xClose(f->real);
}

static int pl_read(sqlite3_file *pf, void *buf, int n, sqlite3_int64 off)
{
    struct pl_file *f = (struct pl_file *)pf;
    return f->real->pMethods->xRead(f->real, buf, n, off);
}

static int pl_write(sqlite3_file *pf, const void *buf, int n, sqlite3_int64 off)
{
    struct pl_file *f = (struct pl_file *)pf;
    struct pl_op *op;
    sqlite3_int64 size = 0;

    if (power_off)
        return SQLITE_OK;
    if (f->track) {
        if (f->real->pMethods->xFileSize(f->real, &size) != SQLITE_OK ||
            !(op = track_add(f->track)) || !(op->data = malloc((size_t)n)))
            return SQLITE_IOERR_NOMEM;
        memcpy(op->data, buf, (size_t)n);
        op->off = off;
        op->n = n;
        op->old_size = size;
        op->old = read_old(f, size, off, n, &op->n_old);
    }
    return f->real->pMethods->xWrite(f->real, buf, n, off);
}

static int pl_truncate(sqlite3_file *pf, sqlite3_int64 size)
{
    struct pl_file *f = (struct pl_file *)pf;
    struct pl_op *op;
    sqlite3_int64 old = 0;

    if (power_off)
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

static int pl_sync(sqlite3_file *pf, int flags)
{
    struct pl_file *f = (struct pl_file *)pf;
    int rc;

    if (power_off)
        return SQLITE_OK;
    rc = f->real->pMethods->xSync(f->real, flags);
    if (rc == SQLITE_OK && f->track)
        track_clear(f->track); /* on the disk now */
    return rc;
}

static int pl_file_size(sqlite3_file *pf, sqlite3_int64 *size)
{
    struct pl_file *f = (struct pl_file *)pf;
    return f->real->pMethods->xFileSize(f->real, size);
}

static int pl_lock(sqlite3_file *pf, int lock)
{
    struct pl_file *f = (struct pl_file *)pf;
    return f->real->pMethods->xLock(f->real, lock);
}

static int pl_unlock(sqlite3_file *pf, int lock)
{
    struct pl_file *f = (struct pl_file *)pf;
    return f->real->pMethods->xUnlock(f->real, lock);
}

static int pl_check_lock(sqlite3_file *pf, int *out)
{
    struct pl_file *f = (struct pl_file *)pf;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int pl_file_control(sqlite3_file *pf, int op, void *arg)
{
    struct pl_file *f = (struct pl_file *)pf;
    return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int pl_sector_size(sqlite3_file *pf)
{
    struct pl_file *f = (struct pl_file *)pf;
    return f->real->pMethods->xSectorSize(f->real);
}

static int pl_device(sqlite3_file *pf)
{
    struct pl_file *f = (struct pl_file *)pf;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

/* Version 1: no shared memory and no mmap, so SQLite keeps the WAL index in
 * heap memory, as the outbox asks (exclusive locking, mmap_size=0). */
static const sqlite3_io_methods pl_io = {
    .iVersion = 1,
    .xClose = pl_close,
    .xRead = pl_read,
    .xWrite = pl_write,
    .xTruncate = pl_truncate,
    .xSync = pl_sync,
    .xFileSize = pl_file_size,
    .xLock = pl_lock,
    .xUnlock = pl_unlock,
    .xCheckReservedLock = pl_check_lock,
    .xFileControl = pl_file_control,
    .xSectorSize = pl_sector_size,
    .xDeviceCharacteristics = pl_device,
};

static int pl_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *pf, int flags,
                   int *out_flags)
{
    struct pl_file *f = (struct pl_file *)pf;
    int rc;

    (void)vfs;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)(f + 1);
    rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK)
        return rc;
    if (name && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)))
        f->track = track_of(name);
    f->base.pMethods = &pl_io;
    return SQLITE_OK;
}

static int pl_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    struct pl_track *t;

    (void)vfs;
    if (power_off)
        return SQLITE_OK;
    if ((t = track_of(name)))
        track_clear(t); /* gone, with its unsynced writes */
    return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int pl_register(void)
{
    if (!(real_vfs = sqlite3_vfs_find("unix")))
        return -1;
    pl_vfs = *real_vfs;
    pl_vfs.iVersion = real_vfs->iVersion < 3 ? real_vfs->iVersion : 3;
    pl_vfs.szOsFile = (int)sizeof(struct pl_file) + real_vfs->szOsFile;
    pl_vfs.zName = "powerloss";
    pl_vfs.pNext = NULL;
    pl_vfs.xOpen = pl_open;
    pl_vfs.xDelete = pl_delete;
    return sqlite3_vfs_register(&pl_vfs, 1) == SQLITE_OK ? 0 : -1;
}

/* --- the power cut: put a file back to its last sync, then replay part of
 * the writes after it --- */

static struct rng rng;
static unsigned pick(unsigned n)
{
    return (unsigned)(rnd(&rng) % n);
}

static void io_check(bool ok)
{
    if (!ok)
        vfs_errors++;
}

static void put_bytes(int fd, const unsigned char *b, int n, sqlite3_int64 off)
{
    if (n > 0)
        io_check(pwrite(fd, b, (size_t)n, (off_t)off) == n);
}

/* Write the sectors of op chosen by keep (NULL: all; else one bool per
 * 512-byte sector of the file the write touches, from its first). */
static void apply_write(int fd, const struct pl_op *op, const bool *keep)
{
    sqlite3_int64 pos = op->off, end = op->off + op->n;
    int s = 0;

    while (pos < end) {
        sqlite3_int64 next = (pos / SECTOR + 1) * SECTOR;
        if (next > end)
            next = end;
        if (!keep || keep[s])
            put_bytes(fd, op->data + (pos - op->off), (int)(next - pos), pos);
        pos = next;
        s++;
    }
}

static void cut_track(struct pl_track *t, int how)
{
    int fd = open(t->path, O_RDWR);
    size_t k = 0;

    if (fd < 0) { /* never created, or deleted */
        track_clear(t);
        return;
    }
    for (size_t i = t->n; i-- > 0;) { /* back to the state of the last sync */
        const struct pl_op *op = &t->ops[i];
        if (op->truncate) {
            io_check(ftruncate(fd, (off_t)op->old_size) == 0);
            put_bytes(fd, op->old, op->n_old, op->off);
        } else {
            put_bytes(fd, op->old, op->n_old, op->off);
            io_check(ftruncate(fd, (off_t)op->old_size) == 0);
        }
    }
    if (how == 1)
        k = pick((unsigned)t->n + 1);
    for (size_t i = 0; how && i < t->n; i++) { /* what the disk had written */
        const struct pl_op *op = &t->ops[i];
        int sectors =
            op->truncate ? 0 : (int)((op->off + op->n - 1) / SECTOR - op->off / SECTOR + 1);
        bool keep[SECTOR * 2];
        int torn;

        if (how == 1 && i > k)
            break;
        if (op->truncate) {
            if (how == 1 ? i < k : pick(2))
                io_check(ftruncate(fd, (off_t)op->off) == 0);
            continue;
        }
        if (how == 1 && i < k) {
            apply_write(fd, op, NULL);
            continue;
        }
        if (sectors > (int)(sizeof keep / sizeof keep[0])) {
            vfs_errors++;
            continue;
        }
        torn = (int)pick((unsigned)sectors + 1);
        for (int s = 0; s < sectors; s++)
            keep[s] = how == 1 ? s < torn : pick(2) == 1;
        apply_write(fd, op, keep);
    }
    close(fd);
    track_clear(t);
}

/* --- the model --- */

enum state {
    NEVER = 0, /* never put */
    MAYBE,     /* put, not yet made durable: may be lost (as a tail) */
    DURABLE,   /* put and synced: must be there */
    ACKED,     /* acknowledged: there or not */
    GONE,      /* was not there after a cut: must never come back */
};

static unsigned char ev_state[ROUNDS][MAX_EVENTS];
static unsigned char fix_state[ROUNDS][MAX_SEQ];
static int n_events[ROUNDS], n_fixes[ROUNDS];
static char path[160];
static struct tr_outbox_item item;

/* The put_event commit was FULL: everything put before it is on the disk. */
static void all_durable(void)
{
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < n_events[r]; i++)
            ev_state[r][i] = ev_state[r][i] == MAYBE ? DURABLE : ev_state[r][i];
        for (int s = 1; s <= n_fixes[r]; s++)
            fix_state[r][s] = fix_state[r][s] == MAYBE ? DURABLE : fix_state[r][s];
    }
}

static void mark_acked(const struct tr_outbox_item *it)
{
    if (it->kind == TR_OUTBOX_EVENT) {
        int n = om_event_n(it);
        if (n >= 0 && n / MAX_EVENTS < ROUNDS)
            ev_state[n / MAX_EVENTS][n % MAX_EVENTS] = ACKED;
        return;
    }
    for (size_t i = 0; i < it->n_fixes; i++) {
        int r = om_round_of_boot(it->boot_id);
        if (r >= 0 && r < ROUNDS && it->fixes[i].seq > 0 && it->fixes[i].seq < MAX_SEQ)
            fix_state[r][it->fixes[i].seq] = ACKED;
    }
}

/* One round of work on the outbox, then the power goes. */
static int work(int round, struct tr_outbox *ob)
{
    char boot[TR_MSG_ID_SIZE];
    int64_t now = 1000;
    int ops = 20 + (int)pick(300);

    om_boot_of(round, boot);
    for (int op = 0; op < ops; op++) {
        unsigned r = pick(100);
        now += 100;
        if (r < 50 && n_fixes[round] + 6 < MAX_SEQ) {
            for (int k = 1 + (int)pick(5); k > 0; k--) {
                int64_t seq = ++n_fixes[round];
                struct tr_fix f = { .seq = seq,
                                    .t = INT64_C(1700000000000) + seq * 1000,
                                    .lat = 48.0 + (double)seq * 1e-5,
                                    .lon = 11.0,
                                    .mode = 3 };
                if (tr_outbox_put_fix(ob, boot, &f) != TR_OUTBOX_OK) {
                    fprintf(stderr, "round %d: put_fix: %s\n", round, tr_outbox_last_error(ob));
                    return -1;
                }
                fix_state[round][seq] = MAYBE;
            }
        } else if (r < 56 && n_events[round] < MAX_EVENTS) {
            char js[64];
            int e = n_events[round];
            int len = snprintf(js, sizeof js, "{\"n\":%d,\"type\":\"job_event\"}",
                               round * MAX_EVENTS + e);
            if (tr_outbox_put_event(ob, TOPIC, js, (size_t)len, NULL) != TR_OUTBOX_OK) {
                fprintf(stderr, "round %d: put_event: %s\n", round, tr_outbox_last_error(ob));
                return -1;
            }
            n_events[round]++;
            ev_state[round][e] = MAYBE;
            all_durable();
        } else if (r < 85) {
            int rc = tr_outbox_next(ob, &item);
            if (rc == TR_OUTBOX_OK && pick(5) != 0) {
                if (tr_outbox_ack(ob, item.cookie) != TR_OUTBOX_OK)
                    return -1;
                mark_acked(&item);
            } else if (rc != TR_OUTBOX_OK && rc != TR_OUTBOX_ERR_EMPTY) {
                return -1;
            }
        } else if (r < 90) {
            if (tr_outbox_requeue_all(ob) != TR_OUTBOX_OK)
                return -1;
        } else if (r < 95) {
            if (tr_outbox_commit(ob) != TR_OUTBOX_OK)
                return -1;
        } else if (tr_outbox_flush(ob, now) != TR_OUTBOX_OK) {
            return -1;
        }
    }
    return 0;
}

static unsigned char seen_ev[ROUNDS][MAX_EVENTS];
static unsigned char seen_fix[ROUNDS][MAX_SEQ];

/* Read everything back and compare with the model; then the model becomes
 * what is there. */
static void verify(int round, struct tr_outbox *ob)
{
    char err[256];
    int last_ev = -1, last_round = -1, bad_order = 0, invented = 0;
    int64_t last_seq = 0;
    bool in_positions = false;

    memset(seen_ev, 0, sizeof seen_ev);
    memset(seen_fix, 0, sizeof seen_fix);
    CHECK(tr_outbox_check(ob, err, sizeof err) == TR_OUTBOX_OK);
    for (int guard = 0; guard < 100000; guard++) {
        int rc = tr_outbox_next(ob, &item);
        if (rc == TR_OUTBOX_ERR_EMPTY)
            break;
        if (rc != TR_OUTBOX_OK) {
            CHECK(rc == TR_OUTBOX_OK);
            break;
        }
        if (item.kind == TR_OUTBOX_EVENT) {
            int n = om_event_n(&item);
            bad_order += in_positions || n <= last_ev;
            last_ev = n;
            if (n < 0 || n / MAX_EVENTS >= ROUNDS) {
                invented++;
                continue;
            }
            seen_ev[n / MAX_EVENTS][n % MAX_EVENTS]++;
            continue;
        }
        in_positions = true;
        int r = om_round_of_boot(item.boot_id);
        if (r < 0 || r >= ROUNDS) {
            invented++;
            continue;
        }
        if (r != last_round) {
            bad_order += r < last_round;
            last_round = r;
            last_seq = 0;
        }
        for (size_t i = 0; i < item.n_fixes; i++) {
            int64_t s = item.fixes[i].seq;
            bad_order += s <= last_seq;
            last_seq = s;
            if (s < 1 || s >= MAX_SEQ) {
                invented++;
                continue;
            }
            seen_fix[r][s]++;
        }
    }
    CHECK(bad_order == 0);
    CHECK(invented == 0);

    int lost = 0, back = 0, twice = 0, hole = 0;
    for (int r = 0; r <= round; r++) {
        int top = 0;
        for (int s = 1; s <= n_fixes[r]; s++)
            top = seen_fix[r][s] ? s : top;
        for (int i = 0; i < MAX_EVENTS; i++) {
            unsigned char st = ev_state[r][i];
            twice += seen_ev[r][i] > 1;
            lost += st == DURABLE && !seen_ev[r][i];
            if (st == DURABLE && !seen_ev[r][i] && lost <= 5)
                fprintf(stderr, "round %d: lost event %d of round %d\n", round, i, r);
            back += (st == NEVER || st == GONE) && seen_ev[r][i];
            hole += st == MAYBE && !seen_ev[r][i] && i < n_events[r] - 1 && seen_ev[r][i + 1];
            ev_state[r][i] = seen_ev[r][i] ? DURABLE : (st == NEVER ? NEVER : GONE);
        }
        for (int s = 1; s < MAX_SEQ; s++) {
            unsigned char st = fix_state[r][s];
            twice += seen_fix[r][s] > 1;
            lost += st == DURABLE && !seen_fix[r][s];
            if (st == DURABLE && !seen_fix[r][s] && lost <= 5)
                fprintf(stderr, "round %d: lost position %d (of %d) of round %d\n", round, s,
                        n_fixes[r], r);
            back += (st == NEVER || st == GONE) && seen_fix[r][s];
            hole += st == MAYBE && !seen_fix[r][s] && s < top;
            fix_state[r][s] = seen_fix[r][s] ? DURABLE : (st == NEVER ? NEVER : GONE);
        }
    }
    if (lost || back || twice || hole)
        fprintf(stderr, "round %d: lost %d, came back %d, twice %d, holes %d\n", round, lost, back,
                twice, hole);
    CHECK(lost == 0);
    CHECK(back == 0);
    CHECK(twice == 0);
    CHECK(hole == 0);
    CHECK(tr_outbox_requeue_all(ob) == TR_OUTBOX_OK);
}

static struct tr_outbox *open_outbox(int round)
{
    struct tr_outbox_limits lim;
    struct tr_outbox *ob = NULL;
    char err[256];

    tr_outbox_limits_default(&lim);
    lim.commit_every = 8; /* many NORMAL commits between the FULL ones */
    lim.batch_fixes = 10;
    if (tr_outbox_open(path, &lim, &ob, err, sizeof err) != TR_OUTBOX_OK)
        fprintf(stderr, "round %d: reopen: %s\n", round, err);
    return ob;
}

int main(int argc, char **argv)
{
    char dir[128];
    const char *seed_env = getenv("TR_TEST_SEED");
    uint64_t seed = seed_env ? strtoull(seed_env, NULL, 10) : (uint64_t)getpid() * 2654435761u;
    struct tr_outbox *ob;
    int cuts[3] = { 0 };
    int64_t synced_ops = 0;

    (void)argc;
    (void)argv;
    rng.s = seed;
    printf("seed %llu (TR_TEST_SEED to repeat)\n", (unsigned long long)seed);
    if (tr_test_tmpdir(dir, sizeof dir, "tr-outbox-powerloss-") != 0)
        return 1;
    snprintf(path, sizeof path, "%s/outbox.db", dir);
    CHECK(pl_register() == 0);
    if (!(ob = open_outbox(-1))) {
        CHECK(ob != NULL);
        return check_report("fault.outbox_powerloss");
    }
    for (int round = 0; round < ROUNDS && ob; round++) {
        int how = round % 3;

        int worked = work(round, ob);
        CHECK(worked == 0);
        if (worked != 0)
            break;
        for (int i = 0; i < MAX_TRACKS; i++)
            synced_ops += (int64_t)tracks[i].n;
        power_off = true; /* the cut: nothing written from here on reaches the disk */
        tr_outbox_close(ob);
        power_off = false;
        for (int i = 0; i < MAX_TRACKS; i++) {
            if (tracks[i].path[0])
                cut_track(&tracks[i], how);
        }
        cuts[how]++;
        ob = open_outbox(round);
        CHECK(ob != NULL);
        if (ob)
            verify(round, ob);
    }
    tr_outbox_close(ob);
    CHECK(vfs_errors == 0);
    printf("%d cuts (%d clean, %d in order and torn, %d reordered); %lld unsynced writes "
           "undone or replayed\n",
           cuts[0] + cuts[1] + cuts[2], cuts[0], cuts[1], cuts[2], (long long)synced_ops);
    for (int i = 0; i < MAX_TRACKS; i++) {
        track_clear(&tracks[i]);
        free(tracks[i].ops);
    }
    tr_test_tmpdir_remove(dir);
    return check_report("fault.outbox_powerloss");
}
