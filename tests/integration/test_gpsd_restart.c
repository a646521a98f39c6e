/*
 * tests/integration/test_gpsd_restart.c: fieldagent/gps/gpsd_source keeps
 * going when gpsd is not up yet, goes away and comes back on the same port.
 *
 * Usage: test_gpsd_restart FIRST.log SECOND.log (the second log's fixes must
 * be later than the first's: bundg_zeus_9 2018, then telit-he910 2019).
 *
 * 1. open with nothing on the port: TR_GPSD_ERR_CONNECT, a handle all the same;
 * 2. start gpsfake there: the source connects by itself, fixes flow;
 * 3. stop gpsfake (and its gpsd): the read reports the disconnect;
 * 4. start gpsfake again on the same port with the second log: the source
 *    reconnects by itself (never reopened) and fixes from the second log flow;
 * 5. tr_gpsd_reconnect: a third connection, fixes still flow.
 * Waits are bounded; nothing asserts on elapsed time.
 */
#include "fieldagent/gps/gpsd_source.h"
#include "tests/support/broker.h"
#include "tests/support/check.h"
#include "tests/support/gpsfake.h"

#include <poll.h>
#include <signal.h>
#include <time.h>

#define WAIT_MS     60000
#define WANT_FIXES  5
#define SECOND_FROM INT64_C(1552348800000) /* 2019-03-12T00:00:00Z: telit-he910's day */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One poll + read round; fixes with t >= from are counted in *got. Returns
 * tr_gpsd_read's code. */
static int step(struct tr_gpsd *g, int64_t from, int *got)
{
    struct tr_fix buf[8];
    struct pollfd p = { tr_gpsd_fd(g), POLLIN, 0 };
    int64_t to = tr_gpsd_timeout_ms(g, wall_ms());
    size_t n = 0;
    int rc;

    poll(&p, p.fd >= 0 ? 1 : 0, to < 0 || to > 50 ? 50 : (int)to);
    rc = tr_gpsd_read(g, wall_ms(), buf, sizeof buf / sizeof buf[0], &n);
    for (size_t i = 0; i < n; i++) {
        CHECK(buf[i].mode == 2 || buf[i].mode == 3);
        *got += buf[i].t >= from;
    }
    return rc;
}

/* Read until want fixes dated from `from` arrived; 1 when they did in time. */
static int fixes_flow(struct tr_gpsd *g, int64_t from, int want)
{
    long long until = trt_now_ms() + WAIT_MS;
    int got = 0;

    while (got < want && trt_now_ms() < until)
        step(g, from, &got);
    return got >= want;
}

int main(int argc, char **argv)
{
    struct trt_gpsfake_opts fo = { "0.01", 0 };
    struct trt_gpsfake fake;
    struct tr_gpsd_opts opts;
    struct tr_gpsd_stats st;
    struct tr_gpsd *g = NULL;
    struct tr_fix held;
    char port[16];
    long long until;
    int rc, lost = 0, got = 0;

    signal(SIGPIPE, SIG_IGN);
    if (argc != 3) {
        fprintf(stderr, "usage: %s FIRST.log SECOND.log\n", argv[0]);
        return 2;
    }
    fo.port = trt_free_port();
    CHECK(fo.port > 0);
    snprintf(port, sizeof port, "%d", fo.port);
    tr_gpsd_opts_default(&opts);
    opts.max_future_ms = TR_GPSD_NO_FUTURE_CHECK;
    opts.backoff_min_ms = 100;
    opts.backoff_max_ms = 400;

    /* 1: gpsd not there yet */
    rc = tr_gpsd_open("127.0.0.1", port, &opts, wall_ms(), &g);
    CHECK_MSG(rc == TR_GPSD_ERR_CONNECT, "open: %s", tr_gpsd_strerror(rc));
    CHECK(g != NULL && tr_gpsd_fd(g) == -1 && !tr_gpsd_connected(g));
    CHECK(tr_gpsd_detail(g)[0] != '\0');
    if (!g)
        return check_report("test_gpsd_restart");

    /* 2: it comes up; the source connects by itself */
    if (trt_gpsfake_start(&fake, argv[1], &fo) != 0) {
        CHECK_MSG(0, "first gpsfake did not start");
        goto done;
    }
    CHECK_MSG(fixes_flow(g, 0, WANT_FIXES), "no fixes from the first gpsd");
    tr_gpsd_get_stats(g, &st);
    CHECK(st.connects == 1 && st.connect_failures >= 1);

    /* 3: it goes away */
    CHECK_MSG(trt_gpsfake_stop(&fake) == 0, "first gpsfake/gpsd left behind");
    trt_gpsfake_cleanup(&fake);
    until = trt_now_ms() + WAIT_MS;
    while (!lost && trt_now_ms() < until)
        lost = step(g, 0, &got) == TR_GPSD_ERR_DISCONNECTED;
    CHECK_MSG(lost, "the disconnect was not reported");
    CHECK(!tr_gpsd_connected(g) && tr_gpsd_fd(g) == -1);
    for (int i = 0; i < 5; i++)
        step(g, 0, &got); /* a few failing reconnects while nothing listens */

    /* 4: back on the same port with a later log */
    if (trt_gpsfake_start(&fake, argv[2], &fo) != 0) {
        CHECK_MSG(0, "second gpsfake did not start on port %d", fo.port);
        goto done;
    }
    CHECK_MSG(fixes_flow(g, SECOND_FROM, WANT_FIXES), "no fixes after gpsd came back");
    tr_gpsd_get_stats(g, &st);
    CHECK_MSG(st.connects == 2 && st.disconnects == 1, "connects %llu disconnects %llu",
              (unsigned long long)st.connects, (unsigned long long)st.disconnects);

    /* 5: a reconnect on request */
    tr_gpsd_reconnect(g, &held);
    CHECK(!tr_gpsd_connected(g) && tr_gpsd_timeout_ms(g, wall_ms()) == 0);
    CHECK_MSG(fixes_flow(g, SECOND_FROM, WANT_FIXES), "no fixes after tr_gpsd_reconnect");
    tr_gpsd_get_stats(g, &st);
    CHECK(st.connects == 3 && st.disconnects == 2);
    printf("test_gpsd_restart: connects %llu, failed attempts %llu, disconnects %llu, "
           "published %llu, duplicates %llu, time backwards %llu\n",
           (unsigned long long)st.connects, (unsigned long long)st.connect_failures,
           (unsigned long long)st.disconnects, (unsigned long long)st.published,
           (unsigned long long)st.duplicate, (unsigned long long)st.time_backwards);
    CHECK_MSG(trt_gpsfake_stop(&fake) == 0, "second gpsfake/gpsd left behind");
    trt_gpsfake_cleanup(&fake);
done:
    tr_gpsd_close(g);
    return check_report("test_gpsd_restart");
}
