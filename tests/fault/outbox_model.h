/*
 * tests/fault/outbox_model.h: what the outbox crash tests (test_outbox_kill,
 * test_outbox_powerloss) share to name what they put: round r's boot id is
 * "bRR" padded with zeros, and event n's payload is {"n":N,...}.
 * Header-only.
 */
#ifndef TR_TEST_OUTBOX_MODEL_H
#define TR_TEST_OUTBOX_MODEL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fieldagent/store/outbox.h"

/* The boot id of round (0..99). */
static inline void om_boot_of(int round, char out[TR_MSG_ID_SIZE])
{
    snprintf(out, TR_MSG_ID_SIZE, "b%02d0000000000000000000000000000", round);
}

/* The round of a boot id made by om_boot_of, or -1. */
static inline int om_round_of_boot(const char *boot)
{
    if (boot[0] != 'b' || boot[1] < '0' || boot[1] > '9' || boot[2] < '0' || boot[2] > '9')
        return -1;
    return (boot[1] - '0') * 10 + (boot[2] - '0');
}

/* The number of an event item whose payload is {"n":N,...}, or -1. */
static inline int om_event_n(const struct tr_outbox_item *it)
{
    char buf[32];
    size_t n = it->len < sizeof buf - 1 ? it->len : sizeof buf - 1;
    memcpy(buf, it->payload, n);
    buf[n] = '\0';
    return strncmp(buf, "{\"n\":", 5) == 0 ? atoi(buf + 5) : -1;
}

#endif
