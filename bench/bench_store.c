/*
 * bench/bench_store.c: what persisting positions and job transitions costs
 * in dispatcher/store, on a real file (in a temp dir under /tmp).
 *
 * 1. Positions, at 10k and 100k contractors (--also N adds a size), --rows
 *    fixes each, a random contractor per fix, seq increasing per contractor,
 *    every contractor's last position already stored (steady state):
 *    - store: tr_store_positions_append in batches of 1000 (one transaction
 *      each), last positions kept in memory and flushed with
 *      tr_store_last_positions_flush every --flush-every rows (only the
 *      contractors that moved);
 *    - baseline (SPEC.md's prototype): the same history insert plus a
 *      last-position upsert per row, 1000 rows per transaction, raw SQLite,
 *      same schema, same pragmas (WAL, synchronous=NORMAL).
 *    Prints rows/s for both and the ratio.
 * 2. Durable job steps (synchronous=FULL: create, offer, answer), latency
 *    alone, with a positions writer in another thread at 76k rows/s (the
 *    ingest target) and flat out, and alone again. The positions file has
 *    its own connection and lock; what remains is the shared disk.
 *
 * Not a test: it asserts nothing about time. Build optimised (Release).
 */
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dispatcher/store/store.h"

#define T0    1700000000000LL
#define BATCH 1000

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void rm_store(const char *path)
{
    const char *suffix[] = { "", "-wal", "-shm", "-positions", "-positions-wal", "-positions-shm" };
    char p[256];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
}

static struct tr_store *open_fresh(const char *path)
{
    rm_store(path);
    struct tr_store *s = NULL;
    char err[256];
    if (tr_store_open(path, TR_STORE_CREATE, &s, err, sizeof err) != TR_STORE_OK) {
        fprintf(stderr, "open %s: %s\n", path, err);
        exit(1);
    }
    return s;
}

/* Fill p with fix number i of the workload. */
static void make_fix(struct tr_store_position *p, uint64_t *rng, int64_t *seqs, unsigned n_con,
                     int64_t i)
{
    unsigned c = (unsigned)(next(rng) % n_con);
    snprintf(p->agent_id, sizeof p->agent_id, "agent%06u", c);
    snprintf(p->boot_id, sizeof p->boot_id, "b%031u", c);
    p->fix = (struct tr_fix){ .seq = ++seqs[c],
                              .t = T0 + i,
                              .lat = 41 + (double)(next(rng) % 1000000) * 1e-6,
                              .lon = -87 - (double)(next(rng) % 1000000) * 1e-6,
                              .mode = 3,
                              .has_speed = true,
                              .speed = 11.5,
                              .has_heading = true,
                              .heading = 90 };
    p->received = T0 + i;
}

struct pos_result {
    double store_rows_s, base_rows_s, flush_rows_s;
    int64_t flushed;
};

static void bench_positions(const char *dir, unsigned n_con, int64_t rows, int64_t flush_every,
                            struct pos_result *res)
{
    char path[200];
    snprintf(path, sizeof path, "%s/pos%u.db", dir, n_con);
    struct tr_store *s = open_fresh(path);
    struct tr_store_position *batch = malloc(BATCH * sizeof *batch);
    struct tr_store_position *last = calloc(n_con, sizeof *last);
    struct tr_store_position *dirty_rows = malloc(n_con * sizeof *dirty_rows);
    unsigned char *dirty = calloc(n_con, 1);
    int64_t *seqs = calloc(n_con, sizeof *seqs);
    if (!batch || !last || !dirty_rows || !dirty || !seqs)
        exit(1);
    /* steady state: every contractor already has a last position */
    for (unsigned c = 0; c < n_con; c++) {
        struct tr_store_position *p = &dirty_rows[c];
        memset(p, 0, sizeof *p);
        snprintf(p->agent_id, sizeof p->agent_id, "agent%06u", c);
        snprintf(p->boot_id, sizeof p->boot_id, "b%031u", c);
        p->fix = (struct tr_fix){ .seq = 0, .t = T0, .lat = 41, .lon = -87, .mode = 3 };
        p->received = T0;
    }
    if (tr_store_last_positions_flush(s, dirty_rows, n_con, NULL) != TR_STORE_OK)
        exit(1);
    uint64_t rng = 42;
    double flush_time = 0;
    int64_t flushed = 0;
    double t0 = now_s();
    for (int64_t i = 0; i < rows; i += BATCH) {
        for (int k = 0; k < BATCH; k++) {
            make_fix(&batch[k], &rng, seqs, n_con, i + k);
            unsigned c = (unsigned)atoi(batch[k].agent_id + 5);
            last[c] = batch[k];
            dirty[c] = 1;
        }
        if (tr_store_positions_append(s, batch, BATCH, NULL) != TR_STORE_OK)
            exit(1);
        if ((i + BATCH) % flush_every == 0 || i + BATCH >= rows) {
            double f0 = now_s();
            size_t n = 0;
            for (unsigned c = 0; c < n_con; c++)
                if (dirty[c]) {
                    dirty_rows[n++] = last[c];
                    dirty[c] = 0;
                }
            if (tr_store_last_positions_flush(s, dirty_rows, n, NULL) != TR_STORE_OK)
                exit(1);
            flush_time += now_s() - f0;
            flushed += (int64_t)n;
        }
    }
    double t = now_s() - t0;
    res->store_rows_s = (double)rows / t;
    res->flush_rows_s = flush_time > 0 ? (double)flushed / flush_time : 0;
    res->flushed = flushed;
    tr_store_close(s);

    /* baseline: insert + upsert per row, same schema and pragmas, same
     * preloaded last positions */
    s = open_fresh(path); /* creates the schema */
    if (tr_store_last_positions_flush(s, dirty_rows, n_con, NULL) != TR_STORE_OK)
        exit(1);
    tr_store_close(s);
    char ppath[220];
    snprintf(ppath, sizeof ppath, "%s-positions", path);
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL, *up = NULL;
    if (sqlite3_open(ppath, &db) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", NULL, NULL, NULL) !=
            SQLITE_OK)
        exit(1);
    const char *cols = "agent_id, boot_id, seq, t, lat, lon, mode, acc, speed, heading, received";
    char sql[600];
    snprintf(sql, sizeof sql,
             "INSERT INTO pos_history (%s) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)", cols);
    sqlite3_prepare_v2(db, sql, -1, &ins, NULL);
    snprintf(sql, sizeof sql,
             "INSERT INTO last_position (%s) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"
             " ON CONFLICT (agent_id, boot_id) DO UPDATE SET seq = excluded.seq, t = excluded.t,"
             " lat = excluded.lat, lon = excluded.lon, mode = excluded.mode, acc = excluded.acc,"
             " speed = excluded.speed, heading = excluded.heading, received = excluded.received"
             " WHERE excluded.seq >= last_position.seq",
             cols);
    sqlite3_prepare_v2(db, sql, -1, &up, NULL);
    if (!ins || !up)
        exit(1);
    memset(seqs, 0, n_con * sizeof *seqs);
    rng = 42;
    t0 = now_s();
    for (int64_t i = 0; i < rows; i += BATCH) {
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        for (int k = 0; k < BATCH; k++) {
            struct tr_store_position p;
            make_fix(&p, &rng, seqs, n_con, i + k);
            sqlite3_stmt *sts[2] = { ins, up };
            for (int q = 0; q < 2; q++) {
                sqlite3_stmt *st = sts[q];
                sqlite3_bind_text(st, 1, p.agent_id, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, p.boot_id, -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 3, p.fix.seq);
                sqlite3_bind_int64(st, 4, p.fix.t);
                sqlite3_bind_double(st, 5, p.fix.lat);
                sqlite3_bind_double(st, 6, p.fix.lon);
                sqlite3_bind_int(st, 7, p.fix.mode);
                sqlite3_bind_null(st, 8);
                sqlite3_bind_double(st, 9, p.fix.speed);
                sqlite3_bind_double(st, 10, p.fix.heading);
                sqlite3_bind_int64(st, 11, p.received);
                if (sqlite3_step(st) != SQLITE_DONE)
                    exit(1);
                sqlite3_reset(st);
            }
        }
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            exit(1);
    }
    t = now_s() - t0;
    res->base_rows_s = (double)rows / t;
    sqlite3_finalize(ins);
    sqlite3_finalize(up);
    sqlite3_close(db);
    rm_store(path);
    free(batch);
    free(last);
    free(dirty_rows);
    free(dirty);
    free(seqs);
}

/* ---------- job transitions ---------- */

struct writer {
    struct tr_store *s;
    atomic_int stop;
    double rate; /* rows/s, 0 = flat out */
    int64_t rows;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    struct tr_store_position *batch = malloc(BATCH * sizeof *batch);
    int64_t *seqs = calloc(10000, sizeof *seqs);
    uint64_t rng = 7;
    if (!batch || !seqs)
        exit(1);
    double start = now_s();
    while (!atomic_load(&w->stop)) {
        if (w->rate > 0) {
            double ahead = (double)w->rows / w->rate - (now_s() - start);
            if (ahead > 0) {
                usleep((useconds_t)(ahead * 1e6));
                continue;
            }
        }
        for (int k = 0; k < BATCH; k++)
            make_fix(&batch[k], &rng, seqs, 10000, w->rows + k);
        if (tr_store_positions_append(w->s, batch, BATCH, NULL) != TR_STORE_OK)
            exit(1);
        w->rows += BATCH;
    }
    free(batch);
    free(seqs);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* p50 / p99 / max of n samples (sorts v), in microseconds. */
static void quantiles(double *v, size_t n, double out[3])
{
    qsort(v, n, sizeof *v, cmp_double);
    out[0] = v[n / 2] * 1e6;
    out[1] = v[(size_t)ceil(0.99 * (double)n) - 1] * 1e6;
    out[2] = v[n - 1] * 1e6;
}

static void bench_transitions(const char *dir, int n_jobs, bool with_writer, double rate,
                              double q[3], double *writer_rows_s)
{
    char path[200];
    snprintf(path, sizeof path, "%s/jobs.db", dir);
    struct tr_store *s = open_fresh(path);
    for (int i = 0; i < 50; i++) {
        struct tr_contractor c;
        memset(&c, 0, sizeof c);
        snprintf(c.contractor_id, sizeof c.contractor_id, "tech%d", i);
        snprintf(c.name, sizeof c.name, "Tech");
        snprintf(c.skills[0], TR_MSG_SKILL_SIZE, "printers");
        c.n_skills = 1;
        snprintf(c.languages[0], TR_MSG_LANG_SIZE, "en");
        c.n_languages = 1;
        snprintf(c.timezone, sizeof c.timezone, "UTC");
        c.has_job_limit = true;
        c.job_limit = 20;
        if (tr_store_contractor_add(s, &c, T0, NULL) != TR_STORE_OK)
            exit(1);
    }
    struct writer w = { .s = s, .rate = rate };
    pthread_t th;
    if (with_writer && pthread_create(&th, NULL, writer_main, &w) != 0)
        exit(1);
    usleep(50000);
    double *lat = malloc((size_t)n_jobs * 3 * sizeof *lat);
    if (!lat)
        exit(1);
    size_t nl = 0;
    double w0 = now_s();
    int64_t rows0 = w.rows;
    char payload[200];
    memset(payload, 'x', sizeof payload);
    for (int i = 0; i < n_jobs; i++) {
        int64_t now = T0 + i * 10;
        struct tr_store_job j;
        memset(&j, 0, sizeof j);
        snprintf(j.job.spec.title, sizeof j.job.spec.title, "Fix it");
        snprintf(j.job.spec.skills[0], TR_MSG_SKILL_SIZE, "printers");
        j.job.spec.n_skills = 1;
        j.job.site.lat = 41;
        j.job.site.lon = -87;
        struct tr_store_outmsg m = {
            "truckroll/v1/job/j/status", payload, sizeof payload, 1, true, 0
        };
        double t0 = now_s();
        if (tr_store_job_create(s, &j, "console:b", NULL, now, &m, 1) != TR_STORE_OK)
            exit(1);
        double t1 = now_s();
        struct tr_store_transition t = { .job_id = j.job.job_id,
                                         .from = TR_JOB_NEW,
                                         .to = TR_JOB_OFFERED,
                                         .actor = "dispatcher",
                                         .now_ms = now + 1,
                                         .new_offer = true,
                                         .out = &m,
                                         .n_out = 1 };
        snprintf(t.offer.offer_id, sizeof t.offer.offer_id, "o%d", i);
        snprintf(t.offer.agent_id, sizeof t.offer.agent_id, "tech%d", i % 50);
        t.offer.deadline = now + 30000;
        if (tr_store_job_transition(s, &t, NULL) != TR_STORE_OK)
            exit(1);
        double t2 = now_s();
        struct tr_store_transition a = { .job_id = j.job.job_id,
                                         .from = TR_JOB_OFFERED,
                                         .to = i % 2 ? TR_JOB_ACCEPTED : TR_JOB_UNASSIGNED,
                                         .actor = t.offer.agent_id,
                                         .now_ms = now + 2,
                                         .resolve_offer = true,
                                         .outcome = i % 2 ? TR_OFFER_ACCEPTED : TR_OFFER_DECLINED,
                                         .out = &m,
                                         .n_out = 1 };
        if (tr_store_job_transition(s, &a, NULL) != TR_STORE_OK) {
            fprintf(stderr, "%s\n", tr_store_errmsg(s));
            exit(1);
        }
        double t3 = now_s();
        if (i % 2) { /* keep job limits free: finish it */
            enum tr_job_state p[] = { TR_JOB_ACCEPTED, TR_JOB_EN_ROUTE, TR_JOB_ON_SITE,
                                      TR_JOB_COMPLETED };
            for (int k = 0; k < 3; k++) {
                struct tr_store_transition f = { .job_id = j.job.job_id,
                                                 .from = p[k],
                                                 .to = p[k + 1],
                                                 .actor = "dispatcher",
                                                 .now_ms = now + 3 + k };
                if (tr_store_job_transition(s, &f, NULL) != TR_STORE_OK)
                    exit(1);
            }
        }
        lat[nl++] = t1 - t0;
        lat[nl++] = t2 - t1;
        lat[nl++] = t3 - t2;
    }
    double wt = now_s() - w0;
    if (with_writer) {
        atomic_store(&w.stop, 1);
        pthread_join(th, NULL);
        *writer_rows_s = (double)(w.rows - rows0) / wt;
    }
    quantiles(lat, nl, q);
    free(lat);
    tr_store_close(s);
    rm_store(path);
}

int main(int argc, char **argv)
{
#ifndef __OPTIMIZE__
    fprintf(stderr, "warning: bench_store built without optimisation; figures are pessimistic\n");
#endif
    int64_t rows = 300000, flush_every = 100000;
    int n_jobs = 1000;
    unsigned sizes[3] = { 10000, 100000, 0 };
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--rows") == 0)
            rows = atoll(argv[i + 1]);
        else if (strcmp(argv[i], "--flush-every") == 0)
            flush_every = atoll(argv[i + 1]);
        else if (strcmp(argv[i], "--jobs") == 0)
            n_jobs = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--also") == 0)
            sizes[2] = (unsigned)atoi(argv[i + 1]); /* a third fleet size, e.g. 1000000 */
    }
    rows = rows / BATCH * BATCH;
    flush_every = flush_every / BATCH * BATCH;
    if (rows < BATCH || flush_every < BATCH || n_jobs < 10) {
        fprintf(stderr, "usage: bench_store [--rows N>=1000] [--flush-every N>=1000] [--jobs N]"
                        " [--also CONTRACTORS]\n");
        return 2;
    }
    char dir[] = "/tmp/tr_bench_store_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    printf("bench_store: SQLite %s, files in %s, %lld rows per run, batches of %d, "
           "last positions flushed every %lld rows\n",
           sqlite3_libversion(), dir, (long long)rows, BATCH, (long long)flush_every);
    for (int i = 0; i < 3 && sizes[i]; i++) {
        struct pos_result r;
        bench_positions(dir, sizes[i], rows, flush_every, &r);
        printf("positions %6u contractors: store %8.0f rows/s (history + flush of %lld last "
               "positions at %.0f rows/s); baseline insert+upsert per row %8.0f rows/s; "
               "ratio %.2f\n",
               sizes[i], r.store_rows_s, (long long)r.flushed, r.flush_rows_s, r.base_rows_s,
               r.store_rows_s / r.base_rows_s);
        fflush(stdout);
    }
    struct {
        const char *what;
        bool writer;
        double rate;
    } runs[] = {
        { "alone", false, 0 },
        { "positions writer at 76k rows/s", true, 76000 },
        { "positions writer flat out", true, 0 },
        { "alone again", false, 0 },
    };
    printf("durable job steps (create, offer, answer: synchronous=FULL), %d jobs:\n", n_jobs);
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        double q[3], wr = 0;
        bench_transitions(dir, n_jobs, runs[i].writer, runs[i].rate, q, &wr);
        printf("  %-32s p50 %6.0f us  p99 %6.0f us  max %7.0f us", runs[i].what, q[0], q[1], q[2]);
        if (runs[i].writer)
            printf("  (writer did %.0f rows/s)", wr);
        printf("\n");
        fflush(stdout);
    }
    rmdir(dir);
    return 0;
}
