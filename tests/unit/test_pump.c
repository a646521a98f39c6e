/*
 * tests/unit/test_pump.c: fieldagent/bus/pump's watch on acknowledgements
 * (tr_pump_ack_overdue): when a session that looks up has stopped
 * acknowledging, and only then, once per timeout.
 */
#include "fieldagent/bus/pump.h"
#include "tests/support/check.h"

int main(void)
{
    struct tr_pump p;
    const int64_t T = 1000; /* the timeout */
    int64_t t0 = 5000000;

    tr_pump_init(&p, "a-1", "truckroll/v1/loc/a-1", NULL, 2);
    CHECK(p.ack_timeout_ms == TR_PUMP_ACK_TIMEOUT_MS);
    p.ack_timeout_ms = T;

    /* not connected, or nothing in flight: nothing to wait for */
    p.inflight = 2;
    CHECK(!tr_pump_ack_overdue(&p, t0));
    CHECK(!tr_pump_ack_overdue(&p, t0 + 10 * T));
    tr_pump_connection(&p, true, false);
    p.inflight = 0;
    CHECK(!tr_pump_ack_overdue(&p, t0 + 20 * T));

    /* two in flight, no ack: overdue after T, then once per T */
    t0 += 20 * T;
    p.inflight = 2;
    CHECK(!tr_pump_ack_overdue(&p, t0 + T - 1));
    CHECK(tr_pump_ack_overdue(&p, t0 + T));
    CHECK(p.ack_timeouts == 1);
    CHECK(!tr_pump_ack_overdue(&p, t0 + T + 1));
    CHECK(!tr_pump_ack_overdue(&p, t0 + 2 * T - 1));
    CHECK(tr_pump_ack_overdue(&p, t0 + 2 * T));
    CHECK(p.ack_timeouts == 2);

    /* an ack is progress: the clock starts again from it */
    t0 += 2 * T;
    p.acked++;
    CHECK(!tr_pump_ack_overdue(&p, t0 + T / 2));
    CHECK(!tr_pump_ack_overdue(&p, t0 + T)); /* T/2 since the ack was seen */
    CHECK(tr_pump_ack_overdue(&p, t0 + T / 2 + T));

    /* the clock going back: start afresh, no false alarm */
    t0 += 3 * T;
    p.acked++;
    CHECK(!tr_pump_ack_overdue(&p, t0));
    CHECK(!tr_pump_ack_overdue(&p, t0 - 100 * T));
    CHECK(!tr_pump_ack_overdue(&p, t0 - 100 * T + T - 1));
    CHECK(tr_pump_ack_overdue(&p, t0 - 100 * T + T));

    /* a lost connection empties the window: nothing overdue */
    tr_pump_connection(&p, false, false);
    CHECK(p.inflight == 0 && !tr_pump_ack_overdue(&p, t0 + 100 * T));

    /* a timeout of 0 never fires */
    tr_pump_connection(&p, true, true);
    p.inflight = 1;
    p.ack_timeout_ms = 0;
    CHECK(!tr_pump_ack_overdue(&p, t0 + 1000 * T));
    CHECK(!tr_pump_ack_overdue(&p, t0 + 100000 * T));

    tr_pump_free(&p);
    return check_report("test_pump");
}
