/*
 * bench/bench_fleet.c: the synthetic fleet of bench_fleet.h and its cached
 * store. Deterministic per (seed, index); no clock except the build time
 * written into the cached positions.
 */
#include "bench/bench_fleet.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_metros.h"
#include "dispatcher/store/store.h"

const char *const bench_fleet_skills[BENCH_FLEET_SKILLS] = {
    "router-repair", "printer-setup", "hdd-install",  "network-cabling",
    "pos-terminal",  "cctv",          "wifi-survey",  "server-rack",
    "phone-system",  "laptop-repair", "fiber-splice", "smart-home",
};

struct rng {
    uint64_t s;
};

static uint64_t next(struct rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double unif(struct rng *r)
{
    return (double)(next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static double gauss(struct rng *r)
{
    double u = unif(r), v = unif(r);
    return sqrt(-2.0 * log(u > 1e-300 ? u : 1e-300)) * cos(2.0 * M_PI * v);
}

static struct rng rng_for(uint64_t seed, uint64_t stream, uint32_t i)
{
    struct rng r = { seed ^ (stream * UINT64_C(0xd1b54a32d192ed03)) ^
                     ((uint64_t)i * UINT64_C(0x9e3779b97f4a7c15)) };
    next(&r);
    return r;
}

static int pick_metro(double u)
{
    double sum = 0.0, acc = 0.0;
    for (int i = 0; i < BENCH_N_METROS; i++)
        sum += bench_metros[i].pop_k;
    for (int i = 0; i < BENCH_N_METROS; i++) {
        acc += bench_metros[i].pop_k / sum;
        if (u <= acc)
            return i;
    }
    return BENCH_N_METROS - 1;
}

static void place(struct rng *r, double *lat, double *lon)
{
    if (unif(r) < 0.10) {
        *lat = 25.5 + 23.5 * unif(r);
        *lon = -124.0 + 56.5 * unif(r);
        return;
    }
    const struct bench_metro *m = &bench_metros[pick_metro(unif(r))];
    double sigma_km = 3.0 + 6.0 * sqrt(m->pop_k / 1000.0);
    if (unif(r) < 0.3)
        sigma_km *= 3.0; /* suburbs and exurbs */
    double dn = sigma_km * gauss(r), de = sigma_km * gauss(r);
    *lat = m->lat + dn / 111.195;
    *lon = m->lon + de / (111.195 * cos(m->lat * M_PI / 180.0));
    if (*lat > 89.0)
        *lat = 89.0;
    if (*lat < -89.0)
        *lat = -89.0;
}

void bench_fleet_agent_id(uint32_t i, char out[TR_MSG_ID_SIZE])
{
    snprintf(out, TR_MSG_ID_SIZE, "c%07u", (unsigned)i);
}

void bench_fleet_place(uint64_t seed, uint32_t i, double *lat, double *lon)
{
    struct rng r = rng_for(seed, 1, i);
    place(&r, lat, lon);
}

void bench_fleet_job_site(uint64_t seed, uint32_t j, double *lat, double *lon)
{
    struct rng r = rng_for(seed, 2, j);
    place(&r, lat, lon);
}

static int pick_skill(struct rng *r)
{
    double sum = 0.0, acc = 0.0, u = unif(r);
    for (int b = 0; b < BENCH_FLEET_SKILLS; b++)
        sum += 1.0 / pow(b + 1, 1.1);
    for (int b = 0; b < BENCH_FLEET_SKILLS; b++) {
        acc += 1.0 / pow(b + 1, 1.1) / sum;
        if (u <= acc)
            return b;
    }
    return BENCH_FLEET_SKILLS - 1;
}

void bench_fleet_contractor(uint64_t seed, uint32_t i, struct tr_contractor *c)
{
    struct rng r = rng_for(seed, 3, i);
    double lat, lon;
    unsigned mask = 0;
    int want = 1 + (int)(next(&r) % 3);
    memset(c, 0, sizeof *c);
    bench_fleet_agent_id(i, c->contractor_id);
    snprintf(c->name, sizeof c->name, "Bench Technician %u", (unsigned)i);
    for (int k = 0; k < 8 && (int)c->n_skills < want; k++) {
        int b = pick_skill(&r);
        if (mask & (1u << b))
            continue;
        mask |= 1u << b;
        snprintf(c->skills[c->n_skills++], TR_MSG_SKILL_SIZE, "%s", bench_fleet_skills[b]);
    }
    snprintf(c->languages[c->n_languages++], TR_MSG_LANG_SIZE, "en");
    if (next(&r) % 5 == 0)
        snprintf(c->languages[c->n_languages++], TR_MSG_LANG_SIZE, "es-US");
    bench_fleet_place(seed, i, &lat, &lon);
    snprintf(c->timezone, sizeof c->timezone, "%s",
             lon > -87.5    ? "America/New_York"
             : lon > -101.0 ? "America/Chicago"
             : lon > -114.5 ? "America/Denver"
                            : "America/Los_Angeles");
    c->has_home = true;
    c->home.lat = lat;
    c->home.lon = lon;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int copy_file(const char *src, const char *dst)
{
    char buf[1 << 16];
    int in = open(src, O_RDONLY), out = -1, rc = -1;
    if (in < 0)
        goto out;
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0)
        goto out;
    for (;;) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            goto out;
        if (r == 0)
            break;
        for (ssize_t w = 0; w < r;) {
            ssize_t k = write(out, buf + w, (size_t)(r - w));
            if (k < 0 && errno != EINTR)
                goto out;
            if (k > 0)
                w += k;
        }
    }
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "bench_fleet: cannot copy %s to %s: %s\n", src, dst, strerror(errno));
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0)
        rc = -1;
    return rc;
}

int bench_fleet_db_copy(const char *src, const char *dst)
{
    char s2[1100], d2[1100];
    snprintf(s2, sizeof s2, "%s-positions", src);
    snprintf(d2, sizeof d2, "%s-positions", dst);
    return copy_file(src, dst) == 0 && copy_file(s2, d2) == 0 ? 0 : -1;
}

static int build(const char *path, uint32_t n, uint64_t seed, int64_t t)
{
    struct tr_store *s = NULL;
    struct tr_store_position *rows = NULL;
    char err[256];
    const uint32_t chunk = 100000;
    int rc = tr_store_open(path, TR_STORE_CREATE, &s, err, sizeof err);
    if (rc != TR_STORE_OK) {
        fprintf(stderr, "bench_fleet: cannot create %s: %s\n", path, err);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct tr_contractor c;
        bench_fleet_contractor(seed, i, &c);
        rc = tr_store_contractor_add(s, &c, t, NULL);
        if (rc != TR_STORE_OK) {
            fprintf(stderr, "bench_fleet: contractor %u: %s\n", (unsigned)i, tr_store_errmsg(s));
            goto out;
        }
        if ((i + 1) % 100000 == 0)
            fprintf(stderr, "bench_fleet: %u / %u contractors\n", (unsigned)(i + 1), (unsigned)n);
    }
    rows = calloc(chunk, sizeof *rows);
    if (!rows) {
        rc = TR_STORE_ERR_NOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < n; i += chunk) {
        uint32_t m = n - i < chunk ? n - i : chunk;
        for (uint32_t k = 0; k < m; k++) {
            struct tr_store_position *p = &rows[k];
            memset(p, 0, sizeof *p);
            bench_fleet_agent_id(i + k, p->agent_id);
            snprintf(p->boot_id, sizeof p->boot_id, "b-fleet");
            p->fix.seq = 1;
            p->fix.t = t;
            bench_fleet_place(seed, i + k, &p->fix.lat, &p->fix.lon);
            p->fix.mode = 3;
            p->received = t;
        }
        rc = tr_store_last_positions_flush(s, rows, m, NULL);
        if (rc != TR_STORE_OK) {
            fprintf(stderr, "bench_fleet: positions: %s\n", tr_store_positions_errmsg(s));
            goto out;
        }
    }
out:
    free(rows);
    tr_store_close(s);
    return rc == TR_STORE_OK ? 0 : -1;
}

static void remove_store(const char *path)
{
    static const char *const sfx[] = { "",           "-wal",           "-shm",
                                       "-positions", "-positions-wal", "-positions-shm" };
    char p[1100];
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
    }
}

int bench_fleet_db(const char *cache_dir, uint32_t n, uint64_t seed, int64_t max_age_s, char *path,
                   size_t cap, int64_t *built_ms)
{
    char pos[1100], tmp[512], tmp2[1024];
    struct stat st;
    mkdir(cache_dir, 0755);
    snprintf(path, cap, "%s/fleet-%u-%llu.db", cache_dir, (unsigned)n, (unsigned long long)seed);
    snprintf(pos, sizeof pos, "%s-positions", path);
    if (stat(path, &st) == 0 && stat(pos, &st) == 0) {
        int64_t made = (int64_t)st.st_mtime * 1000;
        if (max_age_s <= 0 || now_ms() - made < max_age_s * 1000) {
            *built_ms = made;
            return 0;
        }
        fprintf(stderr, "bench_fleet: %s is older than %lld s: building it again\n", path,
                (long long)max_age_s);
    }
    int64_t t0 = now_ms();
    snprintf(tmp, sizeof tmp, "%s/trbench-fleet-%d.db",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : cache_dir, (int)getpid());
    remove_store(tmp);
    fprintf(stderr, "bench_fleet: building %u contractors in %s (cached as %s)\n", (unsigned)n, tmp,
            path);
    int64_t t = now_ms();
    if (build(tmp, n, seed, t) != 0) {
        remove_store(tmp);
        return -1;
    }
    /* copy beside the cache, then rename both into place */
    snprintf(tmp2, sizeof tmp2, "%s.tmp", path);
    int rc = bench_fleet_db_copy(tmp, tmp2);
    remove_store(tmp);
    if (rc == 0) {
        char tp[1200];
        snprintf(tp, sizeof tp, "%s-positions", tmp2);
        /* positions first: the main file's presence marks a complete cache */
        if (rename(tp, pos) != 0 || rename(tmp2, path) != 0)
            rc = -1;
    }
    if (rc != 0) {
        fprintf(stderr, "bench_fleet: cannot write the cache %s\n", path);
        return -1;
    }
    /* the positions' age, not the copy's, is what matters */
    struct timespec times[2] = { { (time_t)(t / 1000), 0 }, { (time_t)(t / 1000), 0 } };
    utimensat(AT_FDCWD, path, times, 0);
    utimensat(AT_FDCWD, pos, times, 0);
    *built_ms = t / 1000 * 1000;
    fprintf(stderr, "bench_fleet: built in %.1f s\n", (double)(now_ms() - t0) / 1000.0);
    return 0;
}
