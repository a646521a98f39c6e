/*
 * tests/fault/outbox_model.h: what the outbox crash tests (test_outbox_kill,
 * test_outbox_powerloss, test_outbox_diskfull) share: round r's boot id is
 * "bRR" padded with zeros, event n's payload is {"n":N,...}, and reading
 * everything back with the order checks.
 * Header-only.
 */
#ifndef TR_TEST_OUTBOX_MODEL_H
#define TR_TEST_OUTBOX_MODEL_H

#include <stdbool.h>
#include <stdint.h>
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

/* The sizes of a test's model: rounds, event numbers and seqs per round. */
struct om_dims {
    int rounds, max_events, max_seq;
};

/* Set the model state of everything in item to value: events in
 * ev[r * max_events + i], positions in fix[r * max_seq + seq]. */
static inline void om_mark(const struct tr_outbox_item *it, struct om_dims d, unsigned char *ev,
                           unsigned char *fix, unsigned char value)
{
    if (it->kind == TR_OUTBOX_EVENT) {
        int n = om_event_n(it);
        if (n >= 0 && n / d.max_events < d.rounds)
            ev[n] = value;
        return;
    }
    int r = om_round_of_boot(it->boot_id);
    for (size_t i = 0; r >= 0 && r < d.rounds && i < it->n_fixes; i++) {
        if (it->fixes[i].seq > 0 && it->fixes[i].seq < d.max_seq)
            fix[(size_t)r * (size_t)d.max_seq + (size_t)it->fixes[i].seq] = value;
    }
}

/* What a read-back found. */
struct om_seen {
    int bad_order; /* an event after a position, or out of order; a position
                      out of seq order in its boot, or boots out of round order */
    int invented;  /* an item no round put */
    int last_rc;   /* tr_outbox_next's last code: TR_OUTBOX_ERR_EMPTY when all was read */
};

/* Read everything back from the oldest (after a requeue) and count each
 * event number and (round, seq) seen in ev[r * max_events + i] and
 * fix[r * max_seq + s] (zeroed here); item is scratch space. Everything is
 * left to send again (requeued at the end). */
static inline struct om_seen om_read_back(struct tr_outbox *ob, struct tr_outbox_item *item,
                                          struct om_dims d, unsigned char *ev, unsigned char *fix)
{
    struct om_seen r = { 0, 0, TR_OUTBOX_OK };
    int last_ev = -1, last_round = -1;
    int64_t last_seq = 0;
    bool in_positions = false;

    memset(ev, 0, (size_t)d.rounds * (size_t)d.max_events);
    memset(fix, 0, (size_t)d.rounds * (size_t)d.max_seq);
    if ((r.last_rc = tr_outbox_requeue_all(ob)) != TR_OUTBOX_OK)
        return r;
    for (int guard = 0; guard < 1000000; guard++) {
        if ((r.last_rc = tr_outbox_next(ob, item)) != TR_OUTBOX_OK)
            break;
        if (item->kind == TR_OUTBOX_EVENT) {
            int n = om_event_n(item);
            r.bad_order += in_positions || n <= last_ev;
            last_ev = n;
            if (n < 0 || n / d.max_events >= d.rounds)
                r.invented++;
            else
                ev[n]++; /* n = round * max_events + i */
            continue;
        }
        in_positions = true;
        int b = om_round_of_boot(item->boot_id);
        if (b < 0 || b >= d.rounds) {
            r.invented++;
            continue;
        }
        if (b != last_round) {
            r.bad_order += b < last_round;
            last_round = b;
            last_seq = 0;
        }
        for (size_t i = 0; i < item->n_fixes; i++) {
            int64_t s = item->fixes[i].seq;
            r.bad_order += s <= last_seq;
            last_seq = s;
            if (s < 1 || s >= d.max_seq)
                r.invented++;
            else
                fix[(size_t)b * (size_t)d.max_seq + (size_t)s]++;
        }
    }
    if (tr_outbox_requeue_all(ob) != TR_OUTBOX_OK && r.last_rc == TR_OUTBOX_ERR_EMPTY)
        r.last_rc = TR_OUTBOX_ERR_IO;
    return r;
}

/* tr_outbox_check, then om_read_back: true when the outbox is sound, was
 * read to the end, in order, and holds nothing no round put (what is wrong
 * is printed, tagged with when). */
static inline bool om_read_back_ok(struct tr_outbox *ob, struct tr_outbox_item *item,
                                   struct om_dims d, unsigned char *ev, unsigned char *fix,
                                   const char *when)
{
    char err[256];
    if (tr_outbox_check(ob, err, sizeof err) != TR_OUTBOX_OK) {
        fprintf(stderr, "%s: outbox check: %s\n", when, err);
        return false;
    }
    struct om_seen got = om_read_back(ob, item, d, ev, fix);
    if (got.last_rc != TR_OUTBOX_ERR_EMPTY || got.bad_order || got.invented) {
        fprintf(stderr, "%s: read back: rc %d, %d out of order, %d invented\n", when, got.last_rc,
                got.bad_order, got.invented);
        return false;
    }
    return true;
}

#endif
