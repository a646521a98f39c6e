/*
 * tests/fault/test_outbox_diskfull.c: the agent's outbox on a full disk (an
 * SD card that filled up). SQLite runs on tests/fault/faultvfs.h with
 * disk_full set for a while: a write that would make a file longer fails as
 * ENOSPC does. Over a random workload of puts, acks, commits and requeues:
 *   - every call either succeeds or fails with TR_OUTBOX_ERR_DISK_FULL and a
 *     message that says the disk is full; nothing crashes;
 *   - a call that failed changed nothing: an event refused is never sent, a
 *     position refused is never sent (its seq is put again, as the agent
 *     does), acks refused are kept and applied later;
 *   - once there is room again, everything that was accepted is there once,
 *     in order, before and after a reopen, and PRAGMA integrity_check passes.
 * Three rounds, each: room, full, room. No fork: it runs under qemu-user too.
 */
#include "fieldagent/store/outbox.h"
#include "tests/fault/faultvfs.h"
#include "tests/fault/outbox_model.h"
#include "tests/support/check.h"
#include "tests/support/rng.h"
#include "tests/support/tmpdir.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h> /* getpid */

#define ROUNDS     3
#define MAX_EVENTS 400
#define MAX_SEQ    4000
#define TOPIC      "truckroll/v1/agent/a1/event"

enum state { NEVER = 0, ACCEPTED, ACKED };

static unsigned char ev_state[ROUNDS][MAX_EVENTS];
static unsigned char fix_state[ROUNDS][MAX_SEQ];
static unsigned char seen_ev[ROUNDS][MAX_EVENTS];
static unsigned char seen_fix[ROUNDS][MAX_SEQ];
static int n_events[ROUNDS];
static int64_t next_seq[ROUNDS];
static struct tr_outbox_item item;
static struct rng rng;
static char path[160];

static unsigned pick(unsigned n)
{
    return (unsigned)(rnd(&rng) % n);
}

struct tally {
    int ok, refused, other;
};

/* An error from the outbox: it must be the disk, said so. */
static void count(struct tally *t, struct tr_outbox *ob, int rc, bool full)
{
    if (rc == TR_OUTBOX_OK) {
        t->ok++;
    } else if (full && rc == TR_OUTBOX_ERR_DISK_FULL &&
               strstr(tr_outbox_last_error(ob), "disk is full")) {
        t->refused++;
    } else {
        t->other++;
        fprintf(stderr, "unexpected: %s (%s)\n", tr_outbox_strerror(rc), tr_outbox_last_error(ob));
    }
}

static void work(struct tr_outbox *ob, int round, int ops, bool full, struct tally *t)
{
    char boot[TR_MSG_ID_SIZE];

    om_boot_of(round, boot);
    for (int op = 0; op < ops; op++) {
        unsigned r = pick(100);
        int rc;

        if (r < 55 && next_seq[round] + 1 < MAX_SEQ) {
            int64_t seq = next_seq[round] + 1;
            struct tr_fix f = { .seq = seq,
                                .t = INT64_C(1700000000000) + seq * 1000,
                                .lat = 48.0 + (double)seq * 1e-5,
                                .lon = 11.0,
                                .mode = 3 };
            rc = tr_outbox_put_fix(ob, boot, &f);
            count(t, ob, rc, full);
            if (rc == TR_OUTBOX_OK) { /* refused: the same seq next time, as the agent */
                next_seq[round] = seq;
                fix_state[round][seq] = ACCEPTED;
            }
        } else if (r < 65 && n_events[round] < MAX_EVENTS) {
            char js[64];
            int e = n_events[round];
            int len = snprintf(js, sizeof js, "{\"n\":%d,\"type\":\"job_event\"}",
                               round * MAX_EVENTS + e);
            rc = tr_outbox_put_event(ob, TOPIC, js, (size_t)len, NULL);
            count(t, ob, rc, full);
            n_events[round]++; /* a refused number is never used again */
            if (rc == TR_OUTBOX_OK)
                ev_state[round][e] = ACCEPTED;
        } else if (r < 88) {
            rc = tr_outbox_next(ob, &item);
            if (rc == TR_OUTBOX_ERR_EMPTY)
                continue;
            count(t, ob, rc, full);
            if (rc == TR_OUTBOX_OK && pick(4) != 0) {
                /* refused only when 64 acks wait and their commit fails:
                 * the item is then sent again (a duplicate, never a loss) */
                rc = tr_outbox_ack(ob, item.cookie);
                count(t, ob, rc, full);
                if (rc == TR_OUTBOX_OK)
                    om_mark(&item, (struct om_dims){ ROUNDS, MAX_EVENTS, MAX_SEQ }, &ev_state[0][0],
                            &fix_state[0][0], ACKED);
            }
        } else if (r < 92) {
            count(t, ob, tr_outbox_requeue_all(ob), full);
        } else {
            count(t, ob, tr_outbox_commit(ob), full);
        }
    }
}

/* Everything accepted and not acked is there once, in order; nothing else. */
static void verify(struct tr_outbox *ob, int rounds, const char *when)
{
    struct om_dims d = { ROUNDS, MAX_EVENTS, MAX_SEQ };
    CHECK(om_read_back_ok(ob, &item, d, &seen_ev[0][0], &seen_fix[0][0], when));

    int missing = 0, extra = 0, twice = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < MAX_EVENTS; i++) {
            if (ev_state[r][i] == ACCEPTED && !seen_ev[r][i] && missing < 5)
                fprintf(stderr, "%s: event %d of round %d missing\n", when, i, r);
            missing += ev_state[r][i] == ACCEPTED && !seen_ev[r][i];
            extra += ev_state[r][i] == NEVER && seen_ev[r][i];
            twice += seen_ev[r][i] > 1;
        }
        for (int s = 1; s < MAX_SEQ; s++) {
            if (fix_state[r][s] == ACCEPTED && !seen_fix[r][s] && missing < 5)
                fprintf(stderr, "%s: position %d of round %d missing\n", when, s, r);
            missing += fix_state[r][s] == ACCEPTED && !seen_fix[r][s];
            extra += fix_state[r][s] == NEVER && seen_fix[r][s];
            twice += seen_fix[r][s] > 1;
        }
    }
    if (missing || extra || twice)
        fprintf(stderr, "%s: missing %d, never accepted %d, twice %d\n", when, missing, extra,
                twice);
    CHECK(missing == 0);
    CHECK(extra == 0);
    CHECK(twice == 0);
}

static struct tr_outbox *open_outbox(void)
{
    struct tr_outbox_limits lim;
    struct tr_outbox *ob = NULL;
    char err[256];

    tr_outbox_limits_default(&lim);
    lim.commit_every = 8;
    lim.batch_fixes = 10;
    if (tr_outbox_open(path, &lim, &ob, err, sizeof err) != TR_OUTBOX_OK)
        fprintf(stderr, "open: %s\n", err);
    return ob;
}

int main(void)
{
    char dir[128];
    const char *seed_env = getenv("TR_TEST_SEED");
    uint64_t seed = seed_env ? strtoull(seed_env, NULL, 10) : (uint64_t)getpid() * 2654435761u;
    struct tr_faultvfs fv;
    struct tr_outbox *ob;
    struct tally room = { 0 }, full = { 0 };

    rng.s = seed;
    printf("seed %llu (TR_TEST_SEED to repeat)\n", (unsigned long long)seed);
    if (tr_test_tmpdir(dir, sizeof dir, "tr-outbox-diskfull-") != 0)
        return 1;
    snprintf(path, sizeof path, "%s/outbox.db", dir);
    CHECK(tr_faultvfs_register(&fv) == 0);
    ob = open_outbox();
    CHECK(ob != NULL);
    for (int round = 0; ob && round < ROUNDS; round++) {
        work(ob, round, 100, false, &room);
        fv.disk_full = true;
        work(ob, round, 300 + (int)pick(300), true, &full);
        fv.disk_full = false;
        work(ob, round, 50, false, &room);
        CHECK(tr_outbox_commit(ob) == TR_OUTBOX_OK);
        verify(ob, round + 1, "with room again");
    }
    tr_outbox_close(ob);
    ob = open_outbox(); /* and all of it on the disk */
    CHECK(ob != NULL);
    if (ob)
        verify(ob, ROUNDS, "after a reopen");
    tr_outbox_close(ob);

    /* the fault really bit, and only as a full disk */
    CHECK(fv.full_writes > 0);
    CHECK(full.refused > 0);
    CHECK(full.other == 0 && room.other == 0);
    CHECK(room.refused == 0);
    CHECK(fv.errors == 0);
    printf("with room: %d calls ok; disk full: %d ok, %d refused (%lld writes refused)\n", room.ok,
           full.ok, full.refused, (long long)fv.full_writes);
    tr_faultvfs_unregister(&fv);
    tr_test_tmpdir_remove(dir);
    return check_report("fault.outbox_diskfull");
}
