/*
 * bench/bench_outbox.c: the agent's durable outbox (fieldagent/store) on a
 * real file: positions put per second, acks per second, events per second,
 * pages written per position (SD-card wear) and file bytes per 10,000
 * positions, and SQLite's heap high-water mark (the agent's memory budget).
 *
 * Baseline, same run, same file system: the naive durable outbox, one
 * INSERT per position in its own transaction (WAL, synchronous=FULL, and
 * again with NORMAL). Ratios are outbox / baseline.
 *
 * Usage: bench_outbox [DIR] [--positions N]   (DIR defaults to a fresh
 * directory under /var/tmp; use the device's storage to measure it).
 * Not a test: it asserts nothing about time.
 */
#include "fieldagent/store/outbox.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BOOT "0123456789abcdef0123456789abcdef"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct tr_fix mkfix(int64_t seq)
{
    struct tr_fix f = { .seq = seq, .t = INT64_C(1700000000000) + seq * 1000, .mode = 3 };
    f.lat = 30.2672 + (double)(seq % 1000) * 1.3e-5;
    f.lon = -97.7431 - (double)(seq % 777) * 1.1e-5;
    f.has_speed = f.has_heading = f.has_acc = true;
    f.speed = 13.4;
    f.heading = (double)(seq % 360);
    f.acc = 4.5;
    return f;
}

static void rm_db(const char *path)
{
    char p[600];
    const char *sfx[] = { "", "-wal", "-shm", "-journal" };
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
    }
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* The naive outbox: one transaction per position. Returns positions/s. */
static double naive(const char *path, int n, const char *sync, long long *pages)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL;
    char sql[128];
    double t0, t;
    int cur = 0, hi = 0;

    rm_db(path);
    sqlite3_open(path, &db);
    snprintf(sql, sizeof sql, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;", sync);
    sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_exec(db,
                 "CREATE TABLE fixes(id INTEGER PRIMARY KEY, boot TEXT, seq INTEGER, t INTEGER,"
                 " lat REAL, lon REAL, mode INTEGER, acc REAL, speed REAL, heading REAL)",
                 NULL, NULL, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO fixes VALUES(NULL,?1,?2,?3,?4,?5,?6,?7,?8,?9)", -1, &ins,
                       NULL);
    t0 = now_s();
    for (int i = 0; i < n; i++) {
        struct tr_fix f = mkfix(i);
        sqlite3_bind_text(ins, 1, BOOT, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 2, f.seq);
        sqlite3_bind_int64(ins, 3, f.t);
        sqlite3_bind_double(ins, 4, f.lat);
        sqlite3_bind_double(ins, 5, f.lon);
        sqlite3_bind_int(ins, 6, f.mode);
        sqlite3_bind_double(ins, 7, f.acc);
        sqlite3_bind_double(ins, 8, f.speed);
        sqlite3_bind_double(ins, 9, f.heading);
        sqlite3_step(ins);
        sqlite3_reset(ins);
    }
    t = now_s() - t0;
    sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &hi, 0);
    *pages = cur;
    sqlite3_finalize(ins);
    sqlite3_close(db);
    rm_db(path);
    return n / t;
}

static struct tr_outbox *open_ob(const char *path, const struct tr_outbox_limits *lim)
{
    struct tr_outbox *ob = NULL;
    char err[512];
    if (tr_outbox_open(path, lim, &ob, err, sizeof err)) {
        fprintf(stderr, "bench_outbox: %s\n", err);
        exit(1);
    }
    return ob;
}

int main(int argc, char **argv)
{
    static struct tr_outbox_item item;
    char dir[512] = "/var/tmp/bench_outbox.XXXXXX", path[600];
    int n = 20000, naive_n = 2000, own_dir = 1;
    struct tr_outbox_limits lim;
    struct tr_outbox_stats st;
    struct tr_outbox *ob;
    double t0, put_rate, ack1_rate, ack100_rate, ev_rate, full_rate, normal_rate;
    long long full_pages = 0, normal_pages = 0, size10k, put_pages;
    int acks = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--positions") == 0 && i + 1 < argc) {
            n = atoi(argv[++i]);
        } else {
            snprintf(dir, sizeof dir, "%s", argv[i]);
            own_dir = 0;
        }
    }
    if (n < 10000)
        n = 10000;
#ifndef __OPTIMIZE__
    fprintf(stderr, "bench_outbox: built without optimisation; numbers are pessimistic\n");
#endif
    if (own_dir && !mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/outbox.db", dir);

    /* baselines: one durable transaction per position */
    full_rate = naive(path, naive_n, "FULL", &full_pages);
    normal_rate = naive(path, naive_n * 5, "NORMAL", &normal_pages);

    /* outbox: put n positions (commit every 30, NORMAL) */
    rm_db(path);
    sqlite3_memory_highwater(1); /* from here on: the outbox's SQLite heap */
    tr_outbox_limits_default(&lim);
    ob = open_ob(path, &lim);
    t0 = now_s();
    for (int i = 0; i < n; i++) {
        struct tr_fix f = mkfix(i);
        if (tr_outbox_put_fix(ob, BOOT, &f))
            return 1;
    }
    tr_outbox_commit(ob);
    put_rate = n / (now_s() - t0);
    tr_outbox_get_stats(ob, &st);
    put_pages = st.pages_written;
    tr_outbox_close(ob);
    size10k = file_size(path) * 10000 / n;

    /* acks, one position per message (online, sparse reports) */
    lim.batch_fixes = 1;
    ob = open_ob(path, &lim);
    t0 = now_s();
    for (int i = 0; i < 10000 && tr_outbox_next(ob, &item) == TR_OUTBOX_OK; i++, acks++) {
        tr_outbox_ack(ob, item.cookie);
        tr_outbox_flush(ob, 0);
    }
    tr_outbox_commit(ob);
    ack1_rate = acks / (now_s() - t0);
    tr_outbox_close(ob);

    /* acks, 100 positions per message (draining after an offline stretch) */
    lim.batch_fixes = 100;
    ob = open_ob(path, &lim);
    acks = 0;
    t0 = now_s();
    while (tr_outbox_next(ob, &item) == TR_OUTBOX_OK) {
        acks += (int)item.n_fixes;
        tr_outbox_ack(ob, item.cookie);
        tr_outbox_flush(ob, 0);
    }
    tr_outbox_commit(ob);
    ack100_rate = acks / (now_s() - t0);

    /* events: each committed with synchronous=FULL */
    t0 = now_s();
    for (int i = 0; i < 500; i++) {
        char js[96];
        int len = snprintf(js, sizeof js, "{\"type\":\"job_event\",\"id\":\"e-%d\"}", i);
        tr_outbox_put_event(ob, "truckroll/v1/agent/a1/event", js, (size_t)len, NULL);
    }
    ev_rate = 500 / (now_s() - t0);
    tr_outbox_close(ob);
    rm_db(path);
    if (own_dir)
        rmdir(dir);

    printf("bench_outbox (%s, %d positions)\n", dir, n);
    printf("  naive, 1 tx/position, FULL:    %9.0f positions/s  %5.2f pages/position\n", full_rate,
           (double)full_pages / naive_n);
    printf("  naive, 1 tx/position, NORMAL:  %9.0f positions/s  %5.2f pages/position\n",
           normal_rate, (double)normal_pages / (naive_n * 5));
    printf("  outbox put (commit every %d):  %9.0f positions/s  %5.3f pages/position\n",
           lim.commit_every, put_rate, (double)put_pages / n);
    printf("  outbox ack, 1 position/msg:    %9.0f acks/s\n", ack1_rate);
    printf("  outbox ack, 100 positions/msg: %9.0f positions/s\n", ack100_rate);
    printf("  outbox put_event (FULL):       %9.0f events/s\n", ev_rate);
    printf("  SQLite heap high-water:        %9lld bytes\n",
           (long long)sqlite3_memory_highwater(0));
    printf("  file size per 10k positions:   %9lld bytes (%lld per position)\n", size10k,
           size10k / 10000);
    printf(
        "{\"put_per_s\":%.0f,\"put_vs_naive_full_ratio\":%.1f,\"put_vs_naive_normal_ratio\":%.1f,"
        "\"pages_per_position\":%.4f,\"naive_full_pages_per_position\":%.2f,"
        "\"ack1_per_s\":%.0f,\"ack100_positions_per_s\":%.0f,\"events_per_s\":%.0f,"
        "\"bytes_per_10k_positions\":%lld}\n",
        put_rate, put_rate / full_rate, put_rate / normal_rate, (double)put_pages / n,
        (double)full_pages / naive_n, ack1_rate, ack100_rate, ev_rate, size10k);
    return 0;
}
