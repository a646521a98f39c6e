/*
 * tests/unit/test_gpsd_source.c: the parts of fieldagent/gps that need no
 * gpsd: TPV checks (gpsd_fix.h: mode, NaN, ranges, time conversion,
 * future-time refusal, optional fields), the epoch filter, and the
 * gpsd_source API without a gpsd (arguments, nothing listening, backoff).
 */
#include "fieldagent/gps/gpsd_source.h"
#include "tests/support/broker.h" /* trt_free_port */
#include "tests/support/check.h"

#include <math.h>
#include <signal.h>

#define T0 INT64_C(1552387913408) /* 2019-03-12T10:51:53.408Z */

static struct tr_gpsd_tpv good_tpv(void)
{
    struct tr_gpsd_tpv t = { 0 };
    t.mode = 3;
    t.has_time = true;
    t.time_sec = T0 / 1000;
    t.time_nsec = 407999999; /* how a decoder may see .408 */
    t.lat = 50.840203333;
    t.lon = 4.34711;
    t.eph = 12.5;
    t.epx = NAN;
    t.epy = NAN;
    t.speed = 1.25;
    t.track = 181.39;
    return t;
}

static void test_time(void)
{
    CHECK(tr_gpsd_time_ms(0, 0) == 0);
    CHECK(tr_gpsd_time_ms(T0 / 1000, 407999999) == T0);
    CHECK(tr_gpsd_time_ms(T0 / 1000, 408000000) == T0);
    CHECK(tr_gpsd_time_ms(T0 / 1000, 408499999) == T0);
    CHECK(tr_gpsd_time_ms(T0 / 1000, 408500000) == T0 + 1);
    CHECK(tr_gpsd_time_ms(1, 999999999) == 2000);
    CHECK(tr_gpsd_time_ms(1, 1500000000L) == 2500); /* nsec normalised */
    CHECK(tr_gpsd_time_ms(1, -1) == 1000);
    CHECK(tr_gpsd_time_ms(INT64_MAX / 10, 0) == INT64_MAX);
    CHECK(tr_gpsd_time_ms(INT64_MIN / 10, 0) == INT64_MIN);
    CHECK(tr_gpsd_time_ms_from_double(1552387913.408) == T0);
    CHECK(tr_gpsd_time_ms_from_double(NAN) == 0);
    CHECK(tr_gpsd_time_ms_from_double(INFINITY) == 0);
    CHECK(tr_gpsd_time_ms_from_double(1e300) == INT64_MAX);
}

static void test_checks(void)
{
    struct tr_gpsd_tpv t;
    struct tr_fix f;
    int dropped = -1;

    t = good_tpv();
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, 60000, &f, &dropped) == TR_GPSD_SKIP_NONE);
    CHECK(f.seq == 0 && f.t == T0 && f.mode == 3 && f.lat == t.lat && f.lon == t.lon);
    CHECK(f.has_acc && f.acc == 12.5 && f.has_speed && f.speed == 1.25);
    CHECK(f.has_heading && f.heading == 181.39 && dropped == 0);

    /* mode */
    t.mode = 1;
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, 60000, &f, NULL) == TR_GPSD_SKIP_NO_FIX);
    CHECK(f.t == T0 && f.mode == 0); /* the time is kept for the epoch filter */
    t.mode = 0;
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, 60000, &f, NULL) == TR_GPSD_SKIP_NO_FIX);
    t.mode = 4;
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, 60000, &f, NULL) == TR_GPSD_SKIP_NO_FIX);
    t.mode = 2;
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, 60000, &f, NULL) == TR_GPSD_SKIP_NONE && f.mode == 2);

    /* time: missing, out of the contract's range, in the future */
    t = good_tpv();
    t.has_time = false;
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, 60000, &f, NULL) == TR_GPSD_SKIP_NO_TIME);
    t = good_tpv();
    t.time_sec = 946684799; /* 1999-12-31T23:59:59Z */
    t.time_nsec = 0;
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, -1, &f, NULL) == TR_GPSD_SKIP_BAD_TIME);
    t.time_sec = 4102444801;
    CHECK(tr_gpsd_tpv_to_fix(&t, INT64_MAX, -1, &f, NULL) == TR_GPSD_SKIP_BAD_TIME);
    t = good_tpv();
    CHECK(tr_gpsd_tpv_to_fix(&t, T0 - 60000, 60000, &f, NULL) == TR_GPSD_SKIP_NONE);
    CHECK(tr_gpsd_tpv_to_fix(&t, T0 - 60001, 60000, &f, NULL) == TR_GPSD_SKIP_FUTURE);
    CHECK(tr_gpsd_tpv_to_fix(&t, T0 - 1, 0, &f, NULL) == TR_GPSD_SKIP_FUTURE);
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, 0, &f, NULL) == TR_GPSD_SKIP_NONE);
    /* the rollover case: gpsd 3.22 dates a 2014 log in 2034 */
    t.time_sec += 619315200;
    CHECK(tr_gpsd_tpv_to_fix(&t, T0 + 86400000, 60000, &f, NULL) == TR_GPSD_SKIP_FUTURE);
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, TR_GPSD_NO_FUTURE_CHECK, &f, NULL) == TR_GPSD_SKIP_NONE);
    CHECK(tr_gpsd_tpv_to_fix(&t, INT64_MAX, 60000, &f, NULL) ==
          TR_GPSD_SKIP_NONE); /* no overflow */

    /* position: NaN, infinite, out of range; the limits themselves are fine */
    t = good_tpv();
    t.lat = NAN;
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, 60000, &f, NULL) == TR_GPSD_SKIP_BAD_POSITION);
    t = good_tpv();
    t.lon = -INFINITY;
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, 60000, &f, NULL) == TR_GPSD_SKIP_BAD_POSITION);
    t = good_tpv();
    t.lat = 90.000001;
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, 60000, &f, NULL) == TR_GPSD_SKIP_OUT_OF_RANGE);
    t.lat = -90.0;
    t.lon = 180.5;
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, 60000, &f, NULL) == TR_GPSD_SKIP_OUT_OF_RANGE);
    t.lon = -180.0;
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, 60000, &f, NULL) == TR_GPSD_SKIP_NONE);
    CHECK(strcmp(tr_gpsd_skip_name(TR_GPSD_SKIP_FUTURE), "time in the future") == 0);
}

static void test_optional_fields(void)
{
    struct tr_gpsd_tpv t = good_tpv();
    struct tr_fix f;
    int dropped = 0;

    /* NaN: omitted, not counted as dropped */
    t.eph = NAN;
    t.speed = NAN;
    t.track = NAN;
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, 60000, &f, &dropped) == TR_GPSD_SKIP_NONE);
    CHECK(!f.has_acc && !f.has_speed && !f.has_heading && dropped == 0);
    /* accuracy from epx / epy when eph is missing */
    t.epx = 3.0;
    t.epy = 4.0;
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, 60000, &f, &dropped) == TR_GPSD_SKIP_NONE);
    CHECK(f.has_acc && f.acc == 5.0);
    t.epx = NAN;
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, 60000, &f, &dropped) == TR_GPSD_SKIP_NONE);
    CHECK(f.has_acc && f.acc == 4.0);
    /* out of the contract's ranges: omitted and counted */
    t = good_tpv();
    t.eph = 100000.5;
    t.speed = -0.5;
    t.track = 360.5;
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, 60000, &f, &dropped) == TR_GPSD_SKIP_NONE);
    CHECK(!f.has_acc && !f.has_speed && !f.has_heading && dropped == 3);
    t.speed = 150.5;
    t.track = -1.0;
    t.eph = INFINITY;
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, 60000, &f, &dropped) == TR_GPSD_SKIP_NONE);
    CHECK(!f.has_speed && !f.has_heading && !f.has_acc && dropped == 2);
    /* edges: 360 is 0, -0 is 0 */
    t = good_tpv();
    t.track = 360.0;
    t.speed = -0.0;
    t.eph = 0.0;
    CHECK(tr_gpsd_tpv_to_fix(&t, T0, 60000, &f, &dropped) == TR_GPSD_SKIP_NONE);
    CHECK(f.has_heading && f.heading == 0.0 && !signbit(f.heading));
    CHECK(f.has_speed && f.speed == 0.0 && !signbit(f.speed) && f.has_acc && f.acc == 0.0);
}

static struct tr_fix fix_at(int64_t t, double lat)
{
    struct tr_fix f = { 0 };
    f.t = t;
    f.lat = lat;
    f.lon = 5.0;
    f.mode = 3;
    return f;
}

static void test_epoch_last(void)
{
    struct tr_gpsd_epoch e;
    struct tr_fix a = fix_at(1000, 1.0), a2 = fix_at(1000, 1.5), b = fix_at(2000, 2.0);
    struct tr_fix out;
    enum tr_gpsd_epoch_note note;

    tr_gpsd_epoch_init(&e, TR_GPSD_EMIT_LAST, 0);
    CHECK(e.hold_ms == 1500 && tr_gpsd_epoch_deadline(&e) == -1);
    CHECK(tr_gpsd_epoch_fix(&e, &a, 10, &out, &note) == 0 && note == TR_GPSD_EPOCH_NEW);
    CHECK(tr_gpsd_epoch_deadline(&e) == 1510);
    /* a later TPV of the same epoch replaces it */
    CHECK(tr_gpsd_epoch_fix(&e, &a2, 20, &out, &note) == 0 && note == TR_GPSD_EPOCH_SAME);
    CHECK(tr_gpsd_epoch_deadline(&e) == 1510);
    /* a no-fix TPV with the same time (newer gpsd repeats it) does not end it */
    CHECK(tr_gpsd_epoch_refused(&e, true, 1000, &out, &note) == 0);
    CHECK(note == TR_GPSD_EPOCH_IGNORED);
    CHECK(tr_gpsd_epoch_refused(&e, false, 0, &out, &note) == 0);
    /* the next epoch publishes the latest TPV of the previous one */
    CHECK(tr_gpsd_epoch_fix(&e, &b, 30, &out, &note) == 1 && note == TR_GPSD_EPOCH_NEW);
    CHECK(out.t == 1000 && out.lat == 1.5);
    /* the held one falls due after hold_ms */
    CHECK(tr_gpsd_epoch_flush(&e, 1529, false, &out) == 0);
    CHECK(tr_gpsd_epoch_flush(&e, 1530, false, &out) == 1 && out.t == 2000);
    CHECK(tr_gpsd_epoch_flush(&e, 5000, true, &out) == 0);
    /* a late TPV of an epoch already published is a duplicate */
    CHECK(tr_gpsd_epoch_fix(&e, &b, 1600, &out, &note) == 0);
    CHECK(note == TR_GPSD_EPOCH_DUPLICATE && tr_gpsd_epoch_deadline(&e) == -1);
    /* a no-fix TPV with a new time ends the held epoch */
    CHECK(tr_gpsd_epoch_fix(&e, &a, 1700, &out, &note) == 0 && note == TR_GPSD_EPOCH_NEW);
    CHECK(tr_gpsd_epoch_refused(&e, true, 3000, &out, &note) == 1 && out.t == 1000);
    CHECK(note == TR_GPSD_EPOCH_ENDED);
    /* times may go backwards (after a bad future fix): still published */
    CHECK(tr_gpsd_epoch_fix(&e, &b, 1800, &out, &note) == 0 && note == TR_GPSD_EPOCH_NEW);
    CHECK(tr_gpsd_epoch_flush(&e, 0, true, &out) == 1 && out.t == 2000);
    /* a clock that went backwards restarts the wait */
    CHECK(tr_gpsd_epoch_fix(&e, &a, 5000, &out, &note) == 0);
    CHECK(tr_gpsd_epoch_flush(&e, 100, false, &out) == 0);
    CHECK(tr_gpsd_epoch_flush(&e, 1599, false, &out) == 0);
    CHECK(tr_gpsd_epoch_flush(&e, 1600, false, &out) == 1 && out.t == 1000);
}

static void test_epoch_first(void)
{
    struct tr_gpsd_epoch e;
    struct tr_fix a = fix_at(1000, 1.0), a2 = fix_at(1000, 1.5), b = fix_at(2000, 2.0);
    struct tr_fix out;
    enum tr_gpsd_epoch_note note;

    tr_gpsd_epoch_init(&e, TR_GPSD_EMIT_FIRST, 200);
    CHECK(tr_gpsd_epoch_fix(&e, &a, 0, &out, &note) == 1 && out.lat == 1.0);
    CHECK(tr_gpsd_epoch_fix(&e, &a2, 0, &out, &note) == 0 && note == TR_GPSD_EPOCH_DUPLICATE);
    CHECK(tr_gpsd_epoch_refused(&e, true, 3000, &out, &note) == 0);
    CHECK(tr_gpsd_epoch_fix(&e, &b, 0, &out, &note) == 1 && out.t == 2000);
    CHECK(tr_gpsd_epoch_deadline(&e) == -1 && tr_gpsd_epoch_flush(&e, 0, true, &out) == 0);
}

static void test_source_without_gpsd(void)
{
    struct tr_gpsd_opts o;
    struct tr_gpsd_stats st;
    struct tr_gpsd *g = (struct tr_gpsd *)&o; /* must be reset to NULL on failure */
    struct tr_fix out[4];
    char port[16];
    size_t n = 9;
    int rc, port_no = trt_free_port();

    CHECK(tr_gpsd_open(NULL, NULL, NULL, 0, NULL) == TR_GPSD_ERR_INVALID);
    tr_gpsd_opts_default(&o);
    CHECK(o.max_future_ms == 60000 && o.hold_ms == 1500 && o.emit == TR_GPSD_EMIT_LAST);
    o.emit = (enum tr_gpsd_emit)7;
    CHECK(tr_gpsd_open("127.0.0.1", "1", &o, 0, &g) == TR_GPSD_ERR_INVALID && g == NULL);
    tr_gpsd_close(NULL);
    CHECK(tr_gpsd_fd(NULL) == -1 && tr_gpsd_timeout_ms(NULL, 0) == -1);
    CHECK(tr_gpsd_read(NULL, 0, out, 4, &n) == TR_GPSD_ERR_INVALID && n == 0);

    /* nothing listens: a handle all the same, retries on the backoff */
    CHECK(port_no > 0);
    snprintf(port, sizeof port, "%d", port_no);
    tr_gpsd_opts_default(&o);
    o.backoff_min_ms = 100;
    o.backoff_max_ms = 350;
    rc = tr_gpsd_open("127.0.0.1", port, &o, 1000, &g);
    CHECK(rc == TR_GPSD_ERR_CONNECT && g != NULL);
    if (!g)
        return;
    CHECK(tr_gpsd_fd(g) == -1 && !tr_gpsd_connected(g) && tr_gpsd_detail(g)[0] != '\0');
    CHECK(tr_gpsd_timeout_ms(g, 1000) == 100 && tr_gpsd_timeout_ms(g, 1060) == 40);
    CHECK(tr_gpsd_read(g, 1050, out, 4, &n) == TR_GPSD_OK && n == 0); /* not due yet */
    CHECK(tr_gpsd_read(g, 1100, out, 0, &n) == TR_GPSD_ERR_INVALID);
    CHECK(tr_gpsd_read(g, 1100, out, 4, &n) == TR_GPSD_ERR_CONNECT && n == 0);
    CHECK(tr_gpsd_timeout_ms(g, 1100) == 200); /* doubled */
    CHECK(tr_gpsd_read(g, 1300, out, 4, &n) == TR_GPSD_ERR_CONNECT);
    CHECK(tr_gpsd_timeout_ms(g, 1300) == 350); /* capped */
    CHECK(tr_gpsd_read(g, 1650, out, 4, &n) == TR_GPSD_ERR_CONNECT);
    CHECK(tr_gpsd_timeout_ms(g, 1650) == 350);
    /* the clock jumped back by an hour: retry at once, not in an hour */
    CHECK(tr_gpsd_timeout_ms(g, 1650 - 3600000) == 0);
    /* a reconnect on request skips the backoff */
    CHECK(tr_gpsd_reconnect(g, out) == 0 && tr_gpsd_timeout_ms(g, 1700) == 0);
    CHECK(tr_gpsd_read(g, 1700, out, 4, &n) == TR_GPSD_ERR_CONNECT);
    tr_gpsd_get_stats(g, &st);
    CHECK(st.connects == 0 && st.connect_failures == 5 && st.published == 0);
    tr_gpsd_close(g);

    CHECK(strcmp(tr_gpsd_strerror(TR_GPSD_OK), "success") == 0);
    CHECK(strcmp(tr_gpsd_strerror(TR_GPSD_ERR_DISCONNECTED), "connection to gpsd lost") == 0);
    CHECK(strcmp(tr_gpsd_strerror(999), "unknown error") == 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_time();
    test_checks();
    test_optional_fields();
    test_epoch_last();
    test_epoch_first();
    test_source_without_gpsd();
    return check_report("test_gpsd_source");
}
