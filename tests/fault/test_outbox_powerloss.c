/*
 * tests/fault/test_outbox_powerloss.c: the agent's outbox survives power loss.
 *
 * kill -9 (test_outbox_kill) leaves every write() in the kernel's page cache;
 * a power cut also loses what was written but not yet fsync'd. Here SQLite
 * runs on tests/fault/faultvfs.h, which keeps, for the database and its WAL,
 * a log of the writes and truncations since that file's last xSync. At a
 * random point of a random workload the
 * power goes: the outbox is abandoned (from then on the VFS drops every
 * write, as a dead machine would), each file is put back to its state at its
 * last sync, and then part of the later writes is applied again, as a disk
 * may have written some of them before the cut. Three ways, in turn:
 *   - none of them;
 *   - the first k in order, the next one torn after a random number of its
 *     512-byte sectors;
 *   - any subset, sector by sector (the disk reordered its writes).
 * The outbox is then reopened on the same files and checked against a model:
 *   - it opens (not corrupt) and PRAGMA integrity_check passes;
 *   - nothing comes back that was never put or was gone after an earlier cut;
 *   - every event whose tr_outbox_put_event returned OK is there unless it
 *     was acknowledged (a lost ack only means sending it again);
 *   - every position put before the last successful put_event (that commit
 *     is synchronous=FULL) is there unless acknowledged; later ones may be
 *     lost, but only as a tail: no position is missing below the highest one
 *     present of its boot, unless acknowledged;
 *   - events come before positions, each in order.
 * ROUNDS rounds on one file, each a new boot; what survives a round is the
 * model of the next. No fork: it runs under qemu-user too.
 */
#include "fieldagent/store/outbox.h"
#include "tests/fault/outbox_model.h"
#include "tests/fault/faultvfs.h"
#include "tests/support/check.h"
#include "tests/support/rng.h"
#include "tests/support/tmpdir.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h> /* getpid */

#define ROUNDS     60
#define MAX_EVENTS 400 /* event numbers per round */
#define MAX_SEQ    2000
#define TOPIC      "truckroll/v1/agent/a1/event"

static struct rng rng;
static unsigned pick(unsigned n)
{
    return (unsigned)(rnd(&rng) % n);
}

/* --- the model --- */

enum state {
    NEVER = 0, /* never put */
    MAYBE,     /* put, not yet made durable: may be lost (as a tail) */
    DURABLE,   /* put and synced: must be there */
    ACKED,     /* acknowledged: there or not */
    GONE,      /* was not there after a cut: must never come back */
};

static unsigned char ev_state[ROUNDS][MAX_EVENTS];
static unsigned char fix_state[ROUNDS][MAX_SEQ];
static int n_events[ROUNDS], n_fixes[ROUNDS];
static char path[160];
static struct tr_outbox_item item;

/* The put_event commit was FULL: everything put before it is on the disk. */
static void all_durable(void)
{
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < n_events[r]; i++)
            ev_state[r][i] = ev_state[r][i] == MAYBE ? DURABLE : ev_state[r][i];
        for (int s = 1; s <= n_fixes[r]; s++)
            fix_state[r][s] = fix_state[r][s] == MAYBE ? DURABLE : fix_state[r][s];
    }
}

/* One round of work on the outbox, then the power goes. */
static int work(int round, struct tr_outbox *ob)
{
    char boot[TR_MSG_ID_SIZE];
    int64_t now = 1000;
    int ops = 20 + (int)pick(300);

    om_boot_of(round, boot);
    for (int op = 0; op < ops; op++) {
        unsigned r = pick(100);
        now += 100;
        if (r < 50 && n_fixes[round] + 6 < MAX_SEQ) {
            for (int k = 1 + (int)pick(5); k > 0; k--) {
                int64_t seq = ++n_fixes[round];
                struct tr_fix f = { .seq = seq,
                                    .t = INT64_C(1700000000000) + seq * 1000,
                                    .lat = 48.0 + (double)seq * 1e-5,
                                    .lon = 11.0,
                                    .mode = 3 };
                if (tr_outbox_put_fix(ob, boot, &f) != TR_OUTBOX_OK) {
                    fprintf(stderr, "round %d: put_fix: %s\n", round, tr_outbox_last_error(ob));
                    return -1;
                }
                fix_state[round][seq] = MAYBE;
            }
        } else if (r < 56 && n_events[round] < MAX_EVENTS) {
            char js[64];
            int e = n_events[round];
            int len = snprintf(js, sizeof js, "{\"n\":%d,\"type\":\"job_event\"}",
                               round * MAX_EVENTS + e);
            if (tr_outbox_put_event(ob, TOPIC, js, (size_t)len, NULL) != TR_OUTBOX_OK) {
                fprintf(stderr, "round %d: put_event: %s\n", round, tr_outbox_last_error(ob));
                return -1;
            }
            n_events[round]++;
            ev_state[round][e] = MAYBE;
            all_durable();
        } else if (r < 85) {
            int rc = tr_outbox_next(ob, &item);
            if (rc == TR_OUTBOX_OK && pick(5) != 0) {
                if (tr_outbox_ack(ob, item.cookie) != TR_OUTBOX_OK)
                    return -1;
                om_mark(&item, (struct om_dims){ ROUNDS, MAX_EVENTS, MAX_SEQ }, &ev_state[0][0],
                        &fix_state[0][0], ACKED);
            } else if (rc != TR_OUTBOX_OK && rc != TR_OUTBOX_ERR_EMPTY) {
                return -1;
            }
        } else if (r < 90) {
            if (tr_outbox_requeue_all(ob) != TR_OUTBOX_OK)
                return -1;
        } else if (r < 95) {
            if (tr_outbox_commit(ob) != TR_OUTBOX_OK)
                return -1;
        } else if (tr_outbox_flush(ob, now) != TR_OUTBOX_OK) {
            return -1;
        }
    }
    return 0;
}

static unsigned char seen_ev[ROUNDS][MAX_EVENTS];
static unsigned char seen_fix[ROUNDS][MAX_SEQ];

/* Read everything back and compare with the model; then the model becomes
 * what is there. */
static void verify(int round, struct tr_outbox *ob)
{
    struct om_dims d = { ROUNDS, MAX_EVENTS, MAX_SEQ };
    char when[40];
    snprintf(when, sizeof when, "after cut %d", round);
    CHECK(om_read_back_ok(ob, &item, d, &seen_ev[0][0], &seen_fix[0][0], when));

    int lost = 0, back = 0, twice = 0, hole = 0;
    for (int r = 0; r <= round; r++) {
        int top = 0;
        for (int s = 1; s <= n_fixes[r]; s++)
            top = seen_fix[r][s] ? s : top;
        for (int i = 0; i < MAX_EVENTS; i++) {
            unsigned char st = ev_state[r][i];
            twice += seen_ev[r][i] > 1;
            lost += st == DURABLE && !seen_ev[r][i];
            if (st == DURABLE && !seen_ev[r][i] && lost <= 5)
                fprintf(stderr, "round %d: lost event %d of round %d\n", round, i, r);
            back += (st == NEVER || st == GONE) && seen_ev[r][i];
            hole += st == MAYBE && !seen_ev[r][i] && i < n_events[r] - 1 && seen_ev[r][i + 1];
            ev_state[r][i] = seen_ev[r][i] ? DURABLE : (st == NEVER ? NEVER : GONE);
        }
        for (int s = 1; s < MAX_SEQ; s++) {
            unsigned char st = fix_state[r][s];
            twice += seen_fix[r][s] > 1;
            lost += st == DURABLE && !seen_fix[r][s];
            if (st == DURABLE && !seen_fix[r][s] && lost <= 5)
                fprintf(stderr, "round %d: lost position %d (of %d) of round %d\n", round, s,
                        n_fixes[r], r);
            back += (st == NEVER || st == GONE) && seen_fix[r][s];
            hole += st == MAYBE && !seen_fix[r][s] && s < top;
            fix_state[r][s] = seen_fix[r][s] ? DURABLE : (st == NEVER ? NEVER : GONE);
        }
    }
    if (lost || back || twice || hole)
        fprintf(stderr, "round %d: lost %d, came back %d, twice %d, holes %d\n", round, lost, back,
                twice, hole);
    CHECK(lost == 0);
    CHECK(back == 0);
    CHECK(twice == 0);
    CHECK(hole == 0);
}

static struct tr_outbox *open_outbox(int round)
{
    struct tr_outbox_limits lim;
    struct tr_outbox *ob = NULL;
    char err[256];

    tr_outbox_limits_default(&lim);
    lim.commit_every = 8; /* many NORMAL commits between the FULL ones */
    lim.batch_fixes = 10;
    if (tr_outbox_open(path, &lim, &ob, err, sizeof err) != TR_OUTBOX_OK)
        fprintf(stderr, "round %d: reopen: %s\n", round, err);
    return ob;
}

int main(int argc, char **argv)
{
    char dir[128];
    const char *seed_env = getenv("TR_TEST_SEED");
    uint64_t seed = seed_env ? strtoull(seed_env, NULL, 10) : (uint64_t)getpid() * 2654435761u;
    struct tr_outbox *ob;
    struct tr_faultvfs fv;
    int cuts[3] = { 0 };
    int64_t unsynced_ops = 0;

    (void)argc;
    (void)argv;
    rng.s = seed;
    printf("seed %llu (TR_TEST_SEED to repeat)\n", (unsigned long long)seed);
    if (tr_test_tmpdir(dir, sizeof dir, "tr-outbox-powerloss-") != 0)
        return 1;
    snprintf(path, sizeof path, "%s/outbox.db", dir);
    CHECK(tr_faultvfs_register(&fv) == 0);
    if (!(ob = open_outbox(-1))) {
        CHECK(ob != NULL);
        return check_report("fault.outbox_powerloss");
    }
    for (int round = 0; round < ROUNDS && ob; round++) {
        int how = round % 3;

        int worked = work(round, ob);
        CHECK(worked == 0);
        if (worked != 0)
            break;
        unsynced_ops += tr_faultvfs_pending(&fv);
        fv.power_off = true; /* the cut: nothing written from here on reaches the disk */
        tr_outbox_close(ob);
        fv.power_off = false;
        tr_faultvfs_cut(&fv, (enum tr_faultvfs_cut)how, &rng);
        cuts[how]++;
        ob = open_outbox(round);
        CHECK(ob != NULL);
        if (ob)
            verify(round, ob);
    }
    tr_outbox_close(ob);
    CHECK(fv.errors == 0);
    printf("%d cuts (%d clean, %d in order and torn, %d reordered); %lld unsynced writes "
           "undone or replayed\n",
           cuts[0] + cuts[1] + cuts[2], cuts[0], cuts[1], cuts[2], (long long)unsynced_ops);
    tr_faultvfs_unregister(&fv);
    tr_test_tmpdir_remove(dir);
    return check_report("fault.outbox_powerloss");
}
