/*
 * tests/unit/test_msg_fastloc.c: the fast `loc` decoder (common/msg_fastloc.c)
 * against the generic codec, and its use by bus/route.
 *
 * - the contract's valid loc examples (pretty-printed) take the fast path
 *   and decode exactly as tr_msg_decode does;
 * - 20000 seeded random locs, encoded by tr_msg_encode (what agents send):
 *   every one takes the fast path, equals the generic decoding bit for bit
 *   and the original message;
 * - hand-written edge cases: it takes only what the codec accepts (with the
 *   same values: -0, exponents, 17-digit numbers) and declines the forms it
 *   leaves to the codec;
 * - tr_route_decode still refuses a spoofed agent id and a bad loc.
 * Usage: test_msg_fastloc SCHEMAS_EXAMPLES_DIR
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "dispatcher/bus/route.h"
#include "tests/support/check.h"
#include "tests/support/rng.h"

static struct tr_msg fast_m, slow_m;

static bool same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* true when fast_m and slow_m hold the same loc, bit for bit */
static bool same_loc(const struct tr_msg *a, const struct tr_msg *b)
{
    const struct tr_loc *x = &a->u.loc, *y = &b->u.loc;
    if (a->type != TR_MSG_LOC || b->type != TR_MSG_LOC || strcmp(a->id, b->id) != 0 ||
        a->ts != b->ts || strcmp(x->agent_id, y->agent_id) != 0 ||
        strcmp(x->boot_id, y->boot_id) != 0 || x->n_fixes != y->n_fixes)
        return false;
    for (size_t i = 0; i < x->n_fixes; i++) {
        const struct tr_fix *f = &x->fixes[i], *g = &y->fixes[i];
        if (f->seq != g->seq || f->t != g->t || f->mode != g->mode || f->has_acc != g->has_acc ||
            f->has_speed != g->has_speed || f->has_heading != g->has_heading ||
            !same_bits(f->lat, g->lat) || !same_bits(f->lon, g->lon) ||
            !same_bits(f->acc, g->acc) || !same_bits(f->speed, g->speed) ||
            !same_bits(f->heading, g->heading))
            return false;
    }
    return tr_msg_equal(a, b);
}

/* 1: fast path took it and agrees; 0: declined, codec rejects too or
 * accepts (see *generic); -1: disagreement. */
static int try(const char *json, size_t len, int *generic)
{
    struct tr_msg_error e;
    bool took = tr_msg_decode_loc_fast(json, len, &fast_m);
    int rc = tr_msg_decode(json, len, &slow_m, &e);
    *generic = rc;
    if (took && (rc != TR_MSG_OK || !same_loc(&fast_m, &slow_m)))
        return -1;
    return took ? 1 : 0;
}

static void test_examples(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/valid", dir);
    DIR *d = opendir(path);
    CHECK(d != NULL);
    if (!d)
        return;
    int seen = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, "loc-", 4) != 0)
            continue;
        snprintf(path, sizeof path, "%s/valid/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        CHECK(f != NULL);
        if (!f)
            continue;
        static char buf[70000];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        int g;
        int r = try(buf, n, &g);
        CHECK(r == 1);
        if (r != 1)
            fprintf(stderr, "  %s: fast path result %d (codec %d)\n", de->d_name, r, g);
        seen++;
    }
    closedir(d);
    CHECK(seen >= 3);
}

static void random_id(struct rng *r, char *out, const char *extra)
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t n = 1 + rnd(r) % 64, ne = strlen(extra);
    out[0] = alnum[rnd(r) % (sizeof alnum - 1)];
    for (size_t i = 1; i < n; i++) {
        uint64_t k = rnd(r) % (sizeof alnum - 1 + ne);
        out[i] = k < sizeof alnum - 1 ? alnum[k] : extra[k - (sizeof alnum - 1)];
    }
    out[n] = 0;
}

/* A double in [lo, hi] in one of several textual shapes once encoded. */
static double random_value(struct rng *r, double lo, double hi)
{
    switch (rnd(r) % 6) {
    case 0:
        return lo;
    case 1:
        return round((lo + (hi - lo) * unif(r)) * 1e6) / 1e6; /* 6 decimals */
    case 2:
        return 1e-7 * (double)(rnd(r) % 100); /* tiny: exponent form */
    case 3:
        return round(lo + (hi - lo) * unif(r)); /* integral */
    default:
        return lo + (hi - lo) * unif(r); /* 17 significant digits */
    }
}

static void test_random(void)
{
    struct rng r = { 42 };
    struct tr_msg *m = calloc(1, sizeof *m);
    int bad = 0, fast = 0;
    for (int it = 0; it < 20000 && m; it++) {
        tr_msg_init(m, TR_MSG_LOC);
        random_id(&r, m->id, "_.:-");
        m->ts = 1700000000000 + (int64_t)(rnd(&r) % 100000000);
        random_id(&r, m->u.loc.agent_id, "_.-");
        random_id(&r, m->u.loc.boot_id, "_.:-");
        m->u.loc.n_fixes = 1 + (rnd(&r) % 8 == 0 ? rnd(&r) % 100 : 0);
        int64_t seq = (int64_t)(rnd(&r) % 1000000);
        for (size_t i = 0; i < m->u.loc.n_fixes; i++) {
            struct tr_fix *f = &m->u.loc.fixes[i];
            f->seq = seq += 1 + (int64_t)(rnd(&r) % 5);
            f->t = m->ts - (int64_t)(rnd(&r) % 100000);
            f->lat = random_value(&r, -90, 90) * (rnd(&r) % 2 ? 1 : -1);
            f->lon = random_value(&r, -180, 180) * (rnd(&r) % 2 ? 1 : -1);
            f->mode = 2 + (int)(rnd(&r) % 2);
            f->has_acc = rnd(&r) % 2;
            f->acc = f->has_acc ? random_value(&r, 0, 100000) : 0;
            f->has_speed = rnd(&r) % 2;
            f->speed = f->has_speed ? random_value(&r, 0, 150) : 0;
            f->has_heading = rnd(&r) % 2;
            f->heading = f->has_heading ? fmod(random_value(&r, 0, 359.999), 360.0) : 0;
        }
        char *json = NULL;
        size_t len = 0;
        if (tr_msg_encode(m, &json, &len, NULL) != TR_MSG_OK) {
            bad++;
            continue;
        }
        int g;
        int res = try(json, len, &g);
        if (res == 1 && same_loc(&fast_m, m))
            fast++;
        else if (bad++ < 3)
            fprintf(stderr, "  random %d: fast %d codec %d: %s\n", it, res, g, json);
        free(json);
    }
    CHECK(bad == 0);
    CHECK(fast == 20000);
    free(m);
}

struct edge {
    const char *fixes; /* the fixes array's inside, or a whole payload when it starts with '{' */
    int want;          /* 1 taken, 0 declined */
};

static void test_edges(void)
{
    static const struct edge cases[] = {
        { "{\"seq\":1,\"t\":1715688000000,\"lat\":-0,\"lon\":-0.0,\"mode\":2}", 1 },
        { "{\"seq\":1,\"t\":1715688000000,\"lat\":1E1,\"lon\":-1.5e-3,\"mode\":2}", 1 },
        { "{\"seq\":1,\"t\":1715688000000,\"lat\":41.878099999999996,\"lon\":-87.62980000000001,"
          "\"mode\":3}",
          1 },
        { " { \"mode\" : 3 , \"lon\":0.1,\"lat\":0.2,\"t\":1715688000000,\"seq\":0 } ", 1 },
        { "{\"seq\":1,\"t\":1715688000000,\"lat\":0.30000000000000004,\"lon\":1,\"mode\":2,"
          "\"heading\":359.99999999999994,\"speed\":150,\"acc\":100000}",
          1 },
        /* valid, left to the codec */
        { "{\"seq\":1.0,\"t\":1715688000000,\"lat\":0,\"lon\":0,\"mode\":2}", 0 },
        { "{\"seq\":1e0,\"t\":1715688000000,\"lat\":0,\"lon\":0,\"mode\":2}", 0 },
        { "{\"s\\u0065q\":1,\"t\":1715688000000,\"lat\":0,\"lon\":0,\"mode\":2}", 0 },
        /* invalid: both refuse */
        { "{\"seq\":1,\"t\":1715688000000,\"lat\":90.000000000000001,\"lon\":0,\"mode\":2}", 1 },
        { "{\"seq\":1,\"t\":1715688000000,\"lat\":90.00000000000002,\"lon\":0,\"mode\":2}", 0 },
        { "{\"seq\":1,\"t\":1715688000000,\"lat\":0,\"lon\":0,\"mode\":2,\"heading\":360}", 0 },
        { "{\"seq\":1,\"t\":1715688000000,\"lat\":0,\"lon\":0,\"mode\":4}", 0 },
        { "{\"seq\":-1,\"t\":1715688000000,\"lat\":0,\"lon\":0,\"mode\":2}", 0 },
        { "{\"seq\":01,\"t\":1715688000000,\"lat\":0,\"lon\":0,\"mode\":2}", 0 },
        { "{\"seq\":1,\"t\":1715688000000,\"lat\":0.,\"lon\":0,\"mode\":2}", 0 },
        { "{\"seq\":1,\"t\":1715688000000,\"lat\":0,\"lon\":0,\"mode\":2,\"mode\":2}", 0 },
        { "{\"seq\":1,\"t\":1715688000000,\"lat\":0,\"lon\":0}", 0 },
        { "{\"seq\":1,\"t\":1715688000000,\"lat\":0,\"lon\":0,\"mode\":2,\"alt\":3}", 0 },
        { "{\"seq\":2,\"t\":1715688000000,\"lat\":0,\"lon\":0,\"mode\":2},"
          "{\"seq\":2,\"t\":1715688000000,\"lat\":0,\"lon\":0,\"mode\":2}",
          0 },
        { "{\"seq\":1,\"t\":1715688000000,\"lat\":0,\"lon\":0,\"mode\":2},", 0 },
        { "", 0 },
        { "{\"type\":\"loc\",\"id\":\"m\",\"ts\":1715688100000,\"agent_id\":\"a-1\","
          "\"boot_id\":\"b\",\"fixes\":[{\"seq\":1,\"t\":1715688000000,\"lat\":0,\"lon\":0,"
          "\"mode\":2}]} x",
          0 },
        { "{\"type\":\"loc\",\"id\":\"m\",\"ts\":1715688100000,\"agent_id\":\"a/1\","
          "\"boot_id\":\"b\",\"fixes\":[{\"seq\":1,\"t\":1715688000000,\"lat\":0,\"lon\":0,"
          "\"mode\":2}]}",
          0 },
        { "{\"type\":\"loc\",\"id\":\"m\",\"ts\":1715688100000,\"agent_id\":\"a-1\","
          "\"boot_id\":\"b\",\"fixes\":[{\"seq\":1,\"t\":1715688000000,\"lat\":0,\"lon\":0,"
          "\"mode\":2}],\"type\":\"loc\"}",
          0 },
        { "{\"type\":\"presence\",\"id\":\"m\",\"ts\":1715688100000,\"agent_id\":\"a-1\","
          "\"boot_id\":\"b\",\"online\":false}",
          0 },
    };
    static const char head[] = "{\"type\":\"loc\",\"id\":\"m-1\",\"ts\":1715688100000,"
                               "\"agent_id\":\"a-1\",\"boot_id\":\"b-1\",\"fixes\":[";
    char buf[2048];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *c = cases[i].fixes;
        if (strncmp(c, "{\"type\"", 7) == 0)
            snprintf(buf, sizeof buf, "%s", c);
        else
            snprintf(buf, sizeof buf, "%s%s]}", head, c);
        int g;
        int r = try(buf, strlen(buf), &g);
        CHECK(r == cases[i].want);
        if (r != cases[i].want)
            fprintf(stderr, "  edge %zu: fast %d (want %d), codec %d: %s\n", i, r, cases[i].want, g,
                    buf);
    }
}

static void test_route(void)
{
    static const char ok[] = "{\"type\":\"loc\",\"id\":\"m-1\",\"ts\":1715688100000,"
                             "\"agent_id\":\"a-1\",\"boot_id\":\"b-1\",\"fixes\":[{\"seq\":1,"
                             "\"t\":1715688000000,\"lat\":1.5,\"lon\":2.5,\"mode\":3}]}";
    struct tr_route_msg *rm = calloc(1, sizeof *rm);
    struct tr_msg_error e;
    if (!rm)
        return;
    CHECK(tr_route_decode("truckroll/v1/agent/a-1/loc", ok, strlen(ok), rm, &e) == TR_ROUTE_OK);
    CHECK(rm->kind == TR_ROUTE_AGENT_LOC && strcmp(rm->agent_id, "a-1") == 0);
    CHECK(rm->msg.type == TR_MSG_LOC && rm->msg.u.loc.n_fixes == 1 &&
          rm->msg.u.loc.fixes[0].lon == 2.5);
    CHECK(e.code == TR_MSG_OK && e.field[0] == 0);
    tr_route_msg_free(rm);
    CHECK(tr_route_decode("truckroll/v1/agent/a-2/loc", ok, strlen(ok), rm, &e) ==
          TR_ROUTE_ERR_SPOOF);
    CHECK(strcmp(e.field, "agent_id") == 0);
    CHECK(tr_route_decode("truckroll/v1/agent/a-1/state", ok, strlen(ok), rm, &e) ==
          TR_ROUTE_ERR_TYPE);
    CHECK(tr_route_decode("truckroll/v1/agent/a-1/loc", ok, strlen(ok) - 1, rm, &e) ==
          TR_ROUTE_ERR_DECODE);
    CHECK(e.code == TR_MSG_ERR_BAD_JSON);
    CHECK(tr_route_decode("truckroll/v1/agent/a-1/loc", "", 0, rm, &e) == TR_ROUTE_ERR_EMPTY);
    free(rm);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SCHEMAS_EXAMPLES_DIR\n", argv[0]);
        return 2;
    }
    test_examples(argv[1]);
    test_random();
    test_edges();
    test_route();
    return check_report("test_msg_fastloc");
}
