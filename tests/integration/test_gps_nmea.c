/*
 * tests/integration/test_gps_nmea.c: recorded NMEA logs (data/nmea) through
 * a real gpsd (gpsfake) into fieldagent/gps/gpsd_source, with the policy set
 * to report every fix and the future-time check off (the logs are old).
 *
 * Usage: test_gps_nmea [--cycle SECONDS] [LOG|DIR]...  (default: data/nmea)
 *
 * Two references for each log: gpsd's TPV reports in the same run (gpsfake's
 * own client, its -p output) and NAME.log.chk (gpsd's regression output,
 * made by a newer gpsd). Checked:
 *   - the source saw every TPV gpsfake's client saw (no report lost);
 *   - every published fix has mode 2/3 and matches a TPV of this run with
 *     mode >= 2 of the same time: lat/lon within 1e-6 degrees, and the
 *     same speed, heading and accuracy (absent when gpsd sent none);
 *   - one fix per distinct time: the published times are exactly the
 *     distinct times of this run's good TPVs (mode >= 2, time, finite
 *     position), each once;
 *   - against the .chk: the same time (or exactly 1024 weeks later, gpsd
 *     3.22's rollover correction on today's clock, one offset per log) and
 *     lat/lon within 1e-6; no fix at a time where the .chk has only no-fix
 *     TPVs; every good .chk time published. A difference is accepted only
 *     where gpsd 3.22's own reports already differ from the .chk at that
 *     time (counted and printed; see data/nmea/README.md);
 *   - gpsfake and its gpsd are gone afterwards.
 * The run never asserts on elapsed time; waits are bounded.
 */
#include "fieldagent/gps/gpsd_source.h"
#include "tests/support/broker.h"
#include "tests/support/check.h"
#include "tests/support/gpsd_json.h"
#include "tests/support/gpsfake.h"

#include <dirent.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#define ROLLOVER_MS   (INT64_C(1024) * 7 * 86400 * 1000)
#define POS_EPS       1e-6
#define FIELD_EPS     1e-9
#define RUN_LIMIT_MS  240000
#define END_WAIT_MS   15000
#define FUTURE_MS     60000 /* the source's default max_future_ms */
#define DEFAULT_CYCLE "0.002"

struct fixes {
    struct tr_fix *v;
    size_t n, cap;
};

/* What one log gave. */
struct outcome {
    struct fixes pub;
    struct tr_gpsd_stats st;
    struct trt_tpv_list live, chk;
    int64_t off; /* chk time + off = live time */
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int append(struct fixes *f, const struct tr_fix *src, size_t n)
{
    if (n == 0)
        return 0;
    if (f->n + n > f->cap) {
        size_t ncap = f->cap ? f->cap * 2 : 256;
        struct tr_fix *nv;
        while (ncap < f->n + n)
            ncap *= 2;
        if (!(nv = realloc(f->v, ncap * sizeof *nv)))
            return -1;
        f->v = nv;
        f->cap = ncap;
    }
    memcpy(f->v + f->n, src, n * sizeof *src);
    f->n += n;
    return 0;
}

/* Read fixes until gpsfake has ended and gpsd's connection is gone. */
static int collect(struct trt_gpsfake *fake, struct outcome *o)
{
    struct tr_gpsd_opts opts;
    struct tr_gpsd *g = NULL;
    struct tr_fix buf[16];
    char port[16];
    long long limit = trt_now_ms() + RUN_LIMIT_MS, ended = -1;
    int lost = 0, rc;

    tr_gpsd_opts_default(&opts);
    opts.max_future_ms = TR_GPSD_NO_FUTURE_CHECK;
    opts.backoff_min_ms = 100;
    opts.backoff_max_ms = 500;
    snprintf(port, sizeof port, "%d", fake->port);
    rc = tr_gpsd_open("127.0.0.1", port, &opts, wall_ms(), &g);
    CHECK_MSG(rc == TR_GPSD_OK, "open: %s (%s)", tr_gpsd_strerror(rc), tr_gpsd_detail(g));
    if (!g)
        return -1;
    while (trt_now_ms() < limit) {
        struct pollfd p = { tr_gpsd_fd(g), POLLIN, 0 };
        int64_t to = tr_gpsd_timeout_ms(g, wall_ms());
        size_t n = 0;

        poll(&p, p.fd >= 0 ? 1 : 0, to < 0 || to > 50 ? 50 : (int)to);
        rc = tr_gpsd_read(g, wall_ms(), buf, sizeof buf / sizeof buf[0], &n);
        if (append(&o->pub, buf, n) != 0)
            break;
        if (rc == TR_GPSD_ERR_DISCONNECTED)
            lost = 1;
        if (ended < 0 && !trt_gpsfake_alive(fake))
            ended = trt_now_ms();
        if (ended >= 0 && lost && !tr_gpsd_connected(g))
            break;
        if (ended >= 0 && trt_now_ms() - ended > END_WAIT_MS)
            break;
    }
    CHECK_MSG(ended >= 0, "gpsfake still running after %d ms", RUN_LIMIT_MS);
    CHECK_MSG(lost, "gpsd's connection did not end with gpsfake");
    tr_gpsd_get_stats(g, &o->st);
    tr_gpsd_close(g);
    return 0;
}

static int near(double a, double b, double eps)
{
    return fabs(a - b) <= eps;
}

/* NaN-aware equality of an optional field. */
static int same_optional(bool has, double v, double tpv_value)
{
    if (!isfinite(tpv_value))
        return !has;
    return has && near(v, tpv_value, FIELD_EPS);
}

static double tpv_acc(const struct trt_tpv *x)
{
    if (isfinite(x->eph))
        return x->eph;
    if (isfinite(x->epx) && isfinite(x->epy))
        return hypot(x->epx, x->epy);
    return isfinite(x->epx) ? x->epx : x->epy;
}

static int same_place(const struct trt_tpv *x, const struct tr_fix *f)
{
    return near(x->lat, f->lat, POS_EPS) && near(x->lon, f->lon, POS_EPS);
}

/* A good TPV at time t (of the list's clock) holding fix f; with_fields
 * also compares mode, speed, heading and accuracy. */
static int has_match(const struct trt_tpv_list *l, int64_t t, const struct tr_fix *f,
                     int with_fields)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct trt_tpv *x = &l->v[i];
        double track = x->track == 360.0 ? 0.0 : x->track;
        if (!trt_tpv_good(x) || x->t != t || !same_place(x, f))
            continue;
        if (!with_fields)
            return 1;
        if (x->mode == f->mode && same_optional(f->has_speed, f->speed, x->speed) &&
            same_optional(f->has_heading, f->heading, track) &&
            same_optional(f->has_acc, f->acc, tpv_acc(x)))
            return 1;
    }
    return 0;
}

static int has_good_time(const struct trt_tpv_list *l, int64_t t)
{
    for (size_t i = 0; i < l->n; i++) {
        if (trt_tpv_good(&l->v[i]) && l->v[i].t == t)
            return 1;
    }
    return 0;
}

/* The list has TPVs at time t and none of them is good. */
static int only_nofix_at(const struct trt_tpv_list *l, int64_t t)
{
    int seen = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (!l->v[i].has_time || l->v[i].t != t)
            continue;
        if (trt_tpv_good(&l->v[i]))
            return 0;
        seen = 1;
    }
    return seen;
}

/* gpsd 3.22 (live) and the .chk disagree at live time t: a good live TPV
 * whose position the .chk lacks at that time, or no good .chk TPV there. */
static int versions_disagree(const struct outcome *o, int64_t t)
{
    for (size_t i = 0; i < o->live.n; i++) {
        const struct trt_tpv *x = &o->live.v[i];
        struct tr_fix f = { .lat = x->lat, .lon = x->lon };
        if (trt_tpv_good(x) && x->t == t && !has_match(&o->chk, t - o->off, &f, 0))
            return 1;
    }
    return !has_good_time(&o->chk, t - o->off);
}

static int published_at(const struct fixes *p, int64_t t)
{
    int k = 0;
    for (size_t i = 0; i < p->n; i++)
        k += p->v[i].t == t;
    return k;
}

/* Distinct times of the list's good TPVs, each counted at its first one. */
static size_t distinct_good(const struct trt_tpv_list *l)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        size_t j;
        if (!trt_tpv_good(&l->v[i]))
            continue;
        for (j = 0; j < i; j++) {
            if (trt_tpv_good(&l->v[j]) && l->v[j].t == l->v[i].t)
                break;
        }
        k += j == i;
    }
    return k;
}

/* 0 or ROLLOVER_MS: the offset under which the first fix's time is in the .chk. */
static int64_t find_offset(const struct outcome *o)
{
    if (o->pub.n == 0 || has_good_time(&o->chk, o->pub.v[0].t))
        return 0;
    return has_good_time(&o->chk, o->pub.v[0].t - ROLLOVER_MS) ? ROLLOVER_MS : 0;
}

static void check_log(const char *name, struct outcome *o)
{
    size_t live_times = distinct_good(&o->live), chk_times = distinct_good(&o->chk);
    size_t chk_ok = 0, version = 0, chk_only = 0, future = 0;
    int64_t today = wall_ms();

    CHECK_MSG(o->st.tpv == o->live.n, "%s: source saw %llu TPVs, gpsfake's client %zu", name,
              (unsigned long long)o->st.tpv, o->live.n);
    CHECK_MSG(o->pub.n == live_times, "%s: %zu fixes published for %zu distinct good times", name,
              o->pub.n, live_times);
    CHECK_MSG(o->pub.n > 0, "%s: no fix published", name);
    o->off = find_offset(o);
    for (size_t i = 0; i < o->pub.n; i++) {
        const struct tr_fix *f = &o->pub.v[i];
        CHECK_MSG(f->seq == 0 && (f->mode == 2 || f->mode == 3), "%s: fix %zu mode %d", name, i,
                  f->mode);
        CHECK_MSG(published_at(&o->pub, f->t) == 1, "%s: time %lld published twice", name,
                  (long long)f->t);
        CHECK_MSG(has_match(&o->live, f->t, f, 1),
                  "%s: fix %zu (t %lld, %.9f %.9f) is not one of gpsd's TPVs", name, i,
                  (long long)f->t, f->lat, f->lon);
        CHECK_MSG(!only_nofix_at(&o->chk, f->t - o->off),
                  "%s: fix at %lld where the .chk has only no-fix TPVs", name, (long long)f->t);
        if (has_match(&o->chk, f->t - o->off, f, 0))
            chk_ok++;
        else if (versions_disagree(o, f->t))
            version++;
        else
            CHECK_MSG(0, "%s: fix %zu (t %lld, %.9f %.9f) not in the .chk", name, i,
                      (long long)f->t, f->lat, f->lon);
        future += f->t > today + FUTURE_MS;
    }
    for (size_t i = 0; i < o->live.n; i++) {
        const struct trt_tpv *x = &o->live.v[i];
        if (trt_tpv_good(x))
            CHECK_MSG(published_at(&o->pub, x->t) == 1, "%s: good time %lld not published", name,
                      (long long)x->t);
    }
    for (size_t i = 0; i < o->chk.n; i++) {
        const struct trt_tpv *x = &o->chk.v[i];
        size_t j;
        if (!trt_tpv_good(x))
            continue;
        for (j = 0; j < i && !(trt_tpv_good(&o->chk.v[j]) && o->chk.v[j].t == x->t); j++) {
        }
        if (j < i || published_at(&o->pub, x->t + o->off))
            continue; /* counted already, or published */
        if (!has_good_time(&o->live, x->t + o->off))
            chk_only++;
        else
            CHECK_MSG(0, "%s: .chk time %lld not published", name, (long long)x->t);
    }
    printf("%s: published %zu = distinct good times of gpsd 3.22's %zu TPVs (%zu); .chk: %zu "
           "TPVs, %zu distinct good times; matched .chk %zu, gpsd-version-dependent %zu fixes "
           "+ %zu .chk-only times; time offset %s; skipped: no-fix %llu, no-time %llu, "
           "same-epoch %llu, duplicate %llu, fields dropped %llu, time backwards %llu; "
           "%zu fixes dated > 60 s after today\n",
           name, o->pub.n, o->live.n, live_times, o->chk.n, chk_times, chk_ok, version, chk_only,
           o->off ? "+1024 weeks" : "none", (unsigned long long)o->st.no_fix,
           (unsigned long long)o->st.no_time, (unsigned long long)o->st.same_epoch,
           (unsigned long long)o->st.duplicate, (unsigned long long)o->st.field_out_of_range,
           (unsigned long long)o->st.time_backwards, future);
}

static void run_log(const char *log, const char *cycle)
{
    struct trt_gpsfake_opts fo = { cycle, 0 };
    struct trt_gpsfake fake;
    struct outcome o;
    const char *name = strrchr(log, '/') ? strrchr(log, '/') + 1 : log;
    char chk[1024];

    memset(&o, 0, sizeof o);
    snprintf(chk, sizeof chk, "%s.chk", log);
    if (trt_gpsfake_start(&fake, log, &fo) != 0) {
        CHECK_MSG(0, "%s: gpsfake did not start", name);
        trt_gpsfake_cleanup(&fake);
        return;
    }
    collect(&fake, &o);
    CHECK_MSG(trt_gpsfake_wait(&fake, END_WAIT_MS) == 0, "%s: gpsfake did not end", name);
    CHECK_MSG(trt_gpsfake_stop(&fake) == 0, "%s: gpsfake/gpsd left behind", name);
    CHECK_MSG(trt_tpv_load(fake.out, &o.live) == 0, "%s: cannot read %s", name, fake.out);
    CHECK_MSG(trt_tpv_load(chk, &o.chk) == 0, "%s: cannot read %s", name, chk);
    check_log(name, &o);
    trt_gpsfake_cleanup(&fake);
    trt_tpv_list_free(&o.live);
    trt_tpv_list_free(&o.chk);
    free(o.pub.v);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_log(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 4 && strcmp(e->d_name + n - 4, ".log") == 0;
}

/* A directory: every *.log in it, by name. */
static void run_path(const char *path, const char *cycle)
{
    struct dirent **list;
    int n = scandir(path, &list, is_log, by_name);

    if (n < 0) {
        run_log(path, cycle);
        return;
    }
    CHECK_MSG(n > 0, "no *.log in %s", path);
    for (int i = 0; i < n; i++) {
        char log[1024];
        snprintf(log, sizeof log, "%s/%s", path, list[i]->d_name);
        run_log(log, cycle);
        free(list[i]);
    }
    free(list);
}

int main(int argc, char **argv)
{
    const char *cycle = DEFAULT_CYCLE;
    int i = 1, ran = 0;

    signal(SIGPIPE, SIG_IGN); /* libgps writes with write() */
    if (argc > 2 && strcmp(argv[1], "--cycle") == 0) {
        cycle = argv[2];
        i = 3;
    }
    for (; i < argc; i++, ran++)
        run_path(argv[i], cycle);
    if (!ran)
        run_path(TR_NMEA_DIR, cycle);
    return check_report("test_gps_nmea");
}
