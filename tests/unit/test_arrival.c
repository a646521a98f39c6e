/*
 * tests/unit/test_arrival.c: arrival detection (fieldagent/core/arrival.h):
 * dwell time, speed, hysteresis at the edge, accuracy, gaps, re-arming.
 */
#include <math.h>
#include <string.h>

#include "common/geo.h"
#include "fieldagent/core/arrival.h"
#include "tests/support/check.h"

#define T0      INT64_C(1715688000000)
#define SITE_LA 48.1374
#define SITE_LO 11.5755

/* A fix d metres north of the site at t seconds. */
static struct tr_fix at(double d, int t, double speed)
{
    struct tr_fix f = { .mode = 3, .t = T0 + (int64_t)t * 1000 };
    tr_geo_destination(SITE_LA, SITE_LO, 0.0, d, &f.lat, &f.lon);
    if (speed >= 0) {
        f.has_speed = true;
        f.speed = speed;
    }
    return f;
}

static enum tr_arrival_event feed(struct tr_arrival *a, double d, int t, double speed)
{
    struct tr_fix f = at(d, t, speed);
    return tr_arrival_on_fix(a, &f);
}

static void test_basic_dwell(void)
{
    struct tr_arrival a;
    int suggested_at = -1;

    CHECK(tr_arrival_init(&a, NULL, SITE_LA, SITE_LO, 100) == TR_ARRIVAL_OK);
    CHECK(a.exit_m == 150);
    /* approach at speed: nothing */
    for (int t = 0; t < 30; t++)
        CHECK(feed(&a, 1000 - t * 30, t, 30) == TR_ARRIVAL_NONE);
    CHECK(feed(&a, 90, 30, 1.0) == TR_ARRIVAL_ENTERED);
    for (int t = 31; t < 200 && suggested_at < 0; t++) {
        if (feed(&a, 40, t, 0.2) == TR_ARRIVAL_SUGGEST)
            suggested_at = t;
    }
    CHECK_MSG(suggested_at == 90, "suggested at %d", suggested_at);
    CHECK(a.state == TR_ARRIVAL_SUGGESTED);
    /* once only */
    CHECK(feed(&a, 40, 200, 0) == TR_ARRIVAL_NONE);
    /* leaving re-arms */
    CHECK(feed(&a, 120, 201, 1) == TR_ARRIVAL_NONE); /* inside the hysteresis band */
    CHECK(feed(&a, 151, 202, 1) == TR_ARRIVAL_LEFT);
    CHECK(a.state == TR_ARRIVAL_OUTSIDE);
    CHECK(feed(&a, 10, 203, 0) == TR_ARRIVAL_ENTERED);
}

static void test_speed_and_edge(void)
{
    struct tr_arrival a;
    struct tr_arrival_params p;
    int n_suggest = 0;

    tr_arrival_params_default(&p);
    p.dwell_ms = 30000;
    CHECK(tr_arrival_init(&a, &p, SITE_LA, SITE_LO, 50) == TR_ARRIVAL_OK);
    CHECK(a.exit_m == 75);
    /* driving through the radius fast for a long time: no suggestion */
    for (int t = 0; t < 100; t++)
        n_suggest += feed(&a, 20, t, 8.0) == TR_ARRIVAL_SUGGEST;
    CHECK(n_suggest == 0);
    /* jitter across the edge (45 m <-> 70 m): the dwell goes on */
    for (int t = 100; t < 140; t++)
        n_suggest += feed(&a, (t % 2) ? 45 : 70, t, 0.3) == TR_ARRIVAL_SUGGEST;
    CHECK(n_suggest == 1);

    /* a fix without speed counts as slow; in the band before entering: nothing */
    CHECK(tr_arrival_init(&a, &p, SITE_LA, SITE_LO, 50) == TR_ARRIVAL_OK);
    for (int t = 0; t < 100; t++)
        CHECK(feed(&a, 60, t, -1) == TR_ARRIVAL_NONE);
    CHECK(a.state == TR_ARRIVAL_OUTSIDE);
}

static void test_accuracy_gap_order(void)
{
    struct tr_arrival a;
    struct tr_arrival_params p;
    struct tr_fix f;

    tr_arrival_params_default(&p);
    p.dwell_ms = 10000;
    CHECK(tr_arrival_init(&a, &p, SITE_LA, SITE_LO, 50) == TR_ARRIVAL_OK);
    /* vague fixes are ignored */
    f = at(10, 0, 0);
    f.has_acc = true;
    f.acc = 500;
    CHECK(tr_arrival_on_fix(&a, &f) == TR_ARRIVAL_NONE && a.state == TR_ARRIVAL_OUTSIDE);
    CHECK(feed(&a, 10, 1, 0) == TR_ARRIVAL_ENTERED);
    CHECK(feed(&a, 10, 5, 0) == TR_ARRIVAL_NONE);
    /* time going backwards is ignored */
    CHECK(feed(&a, 10, 4, 0) == TR_ARRIVAL_NONE);
    /* a gap longer than the dwell restarts it */
    CHECK(feed(&a, 10, 30, 0) == TR_ARRIVAL_NONE);
    CHECK(feed(&a, 10, 35, 0) == TR_ARRIVAL_NONE);
    CHECK(feed(&a, 10, 40, 0) == TR_ARRIVAL_SUGGEST);
    /* no-fix and invalid positions are ignored */
    f = at(500, 50, 0);
    f.mode = 1;
    CHECK(tr_arrival_on_fix(&a, &f) == TR_ARRIVAL_NONE);
    f.mode = 3;
    f.lat = NAN;
    CHECK(tr_arrival_on_fix(&a, &f) == TR_ARRIVAL_NONE);
    CHECK(a.state == TR_ARRIVAL_SUGGESTED);

    /* dwell 0: the first fix inside suggests at once */
    p.dwell_ms = 0;
    CHECK(tr_arrival_init(&a, &p, SITE_LA, SITE_LO, 50) == TR_ARRIVAL_OK);
    CHECK(feed(&a, 10, 0, 0) == TR_ARRIVAL_SUGGEST);

    /* bad arguments */
    CHECK(tr_arrival_init(&a, NULL, 91, 0, 50) == TR_ARRIVAL_ERR_INVALID);
    CHECK(tr_arrival_init(&a, NULL, 0, 0, 0) == TR_ARRIVAL_ERR_INVALID);
    p.exit_factor = 0.5;
    CHECK(tr_arrival_init(&a, &p, 0, 0, 50) == TR_ARRIVAL_ERR_INVALID);
    CHECK(tr_arrival_on_fix(NULL, &f) == TR_ARRIVAL_NONE);
    CHECK(strcmp(tr_arrival_event_name(TR_ARRIVAL_SUGGEST), "suggest") == 0);
}

int main(void)
{
    test_basic_dwell();
    test_speed_and_edge();
    test_accuracy_gap_order();
    return check_report("test_arrival");
}
