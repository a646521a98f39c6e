/*
 * tests/unit/test_outbox.c: the agent's durable outbox (fieldagent/store)
 * on a real SQLite file in a temporary directory.
 *
 * Covers: order (events first, positions in seq order, batches <= N of one
 * boot), acks, requeue with the same ids, reopen, thinning and the byte
 * budget, 30 minutes at 1 Hz through put/next/ack with random disconnects
 * and restarts (the receiver sees every seq once, in order), input checks,
 * garbage / foreign / future-version / damaged files, a damaged boot row
 * (its positions skipped, the rest still sent), a second opener.
 * Kill -9 is tests/fault/test_outbox_kill.c.
 */
#include "fieldagent/store/outbox.h"
#include "tests/support/check.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BOOT_A "0123456789abcdef0123456789abcdef"
#define BOOT_B "fedcba9876543210fedcba9876543210"
#define TOPIC  "truckroll/v1/agent/a1/event"

static char dir[64];
static char path[128];
static struct tr_outbox_item item; /* ~8 KB: keep it off the stack */

static uint64_t rng = 0x9e3779b97f4a7c15u;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void remove_db(void)
{
    char p[160];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-journal", path);
    unlink(p);
}

static struct tr_fix mkfix(int64_t seq)
{
    struct tr_fix f;
    memset(&f, 0, sizeof f);
    f.seq = seq;
    f.t = INT64_C(1700000000000) + seq * 1000;
    f.lat = 30.0 + (double)seq * 1e-5;
    f.lon = -97.0 - (double)seq * 1e-5;
    f.mode = 3;
    f.has_speed = (seq % 3) != 0;
    f.speed = 12.5;
    f.has_heading = (seq % 2) == 0;
    f.heading = 359.5;
    f.has_acc = true;
    f.acc = 4.25;
    return f;
}

static struct tr_outbox *open_ob(const struct tr_outbox_limits *lim)
{
    struct tr_outbox *ob = NULL;
    char err[256];
    int rc = tr_outbox_open(path, lim, &ob, err, sizeof err);
    CHECK_MSG(rc == TR_OUTBOX_OK, "open: %s (%s)", tr_outbox_strerror(rc), err);
    return ob;
}

static int put_event_n(struct tr_outbox *ob, int n)
{
    char js[64];
    int len = snprintf(js, sizeof js, "{\"n\":%d,\"type\":\"job_event\"}", n);
    return tr_outbox_put_event(ob, TOPIC, js, (size_t)len, NULL);
}

static int event_n(const struct tr_outbox_item *it)
{
    char buf[32];
    size_t n = it->len < sizeof buf - 1 ? it->len : sizeof buf - 1;
    if (it->kind != TR_OUTBOX_EVENT || !it->payload)
        return -1;
    memcpy(buf, it->payload, n);
    buf[n] = '\0';
    return strncmp(buf, "{\"n\":", 5) == 0 ? atoi(buf + 5) : -1;
}

static bool fix_equal(const struct tr_fix *a, const struct tr_fix *b)
{
    return a->seq == b->seq && a->t == b->t && a->lat == b->lat && a->lon == b->lon &&
           a->mode == b->mode && a->has_acc == b->has_acc && (!a->has_acc || a->acc == b->acc) &&
           a->has_speed == b->has_speed && (!a->has_speed || a->speed == b->speed) &&
           a->has_heading == b->has_heading && (!a->has_heading || a->heading == b->heading);
}

static void test_order(void)
{
    struct tr_outbox *ob;
    int64_t expect = 1;
    int batches = 0;

    remove_db();
    ob = open_ob(NULL);
    if (!ob)
        return;
    CHECK(put_event_n(ob, 1) == TR_OUTBOX_OK);
    for (int64_t s = 1; s <= 250; s++) {
        struct tr_fix f = mkfix(s);
        CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_OK);
    }
    CHECK(put_event_n(ob, 2) == TR_OUTBOX_OK); /* commits the buffer with it */
    for (int64_t s = 1; s <= 30; s++) {
        struct tr_fix f = mkfix(s);
        CHECK(tr_outbox_put_fix(ob, BOOT_B, &f) == TR_OUTBOX_OK);
    }
    /* events first, in insertion order */
    CHECK(tr_outbox_next(ob, &item) == TR_OUTBOX_OK && item.kind == TR_OUTBOX_EVENT &&
          event_n(&item) == 1 && strcmp(item.topic, TOPIC) == 0);
    CHECK(tr_outbox_next(ob, &item) == TR_OUTBOX_OK && item.kind == TR_OUTBOX_EVENT &&
          event_n(&item) == 2);
    /* then boot A in batches of <= 100, then boot B (buffered: next commits it) */
    while (tr_outbox_next(ob, &item) == TR_OUTBOX_OK) {
        CHECK(item.kind == TR_OUTBOX_LOC);
        CHECK(item.n_fixes >= 1 && item.n_fixes <= 100);
        batches++;
        if (expect <= 250) {
            char id[80];
            CHECK(strcmp(item.boot_id, BOOT_A) == 0);
            snprintf(id, sizeof id, "0123456789abcdef-%lld-%lld", (long long)item.fixes[0].seq,
                     (long long)item.fixes[item.n_fixes - 1].seq);
            CHECK_MSG(strcmp(item.msgid, id) == 0, "%s", item.msgid);
        } else {
            CHECK(strcmp(item.boot_id, BOOT_B) == 0);
        }
        for (size_t i = 0; i < item.n_fixes; i++) {
            struct tr_fix f = mkfix(expect > 250 ? expect - 250 : expect);
            CHECK(fix_equal(&item.fixes[i], &f));
            expect++;
        }
    }
    CHECK(expect == 281);
    CHECK(batches == 4); /* 100 + 100 + 50 (A), 30 (B) */
    tr_outbox_close(ob);
}

/* Enumerate without acking: events as n, positions as boot-letter*1e6+seq. */
static size_t drain_all(struct tr_outbox *ob, int64_t *keys, size_t cap)
{
    size_t n = 0;
    CHECK(tr_outbox_requeue_all(ob) == TR_OUTBOX_OK);
    while (tr_outbox_next(ob, &item) == TR_OUTBOX_OK) {
        if (item.kind == TR_OUTBOX_EVENT) {
            if (n < cap)
                keys[n] = -event_n(&item);
            n++;
            continue;
        }
        for (size_t i = 0; i < item.n_fixes; i++, n++) {
            if (n < cap)
                keys[n] = (item.boot_id[0] == 'f' ? 1000000 : 0) + item.fixes[i].seq;
        }
    }
    return n;
}

static void test_ack_requeue_reopen(void)
{
    struct tr_outbox *ob;
    struct tr_outbox_limits lim;
    struct tr_outbox_stats st;
    uint64_t cookies[4];
    char ids[4][TR_MSG_ID_SIZE];
    int64_t keys[64];
    size_t n;

    remove_db();
    tr_outbox_limits_default(&lim);
    lim.batch_fixes = 10;
    ob = open_ob(&lim);
    if (!ob)
        return;
    for (int64_t s = 1; s <= 40; s++) {
        struct tr_fix f = mkfix(s);
        CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_OK);
    }
    CHECK(tr_outbox_commit(ob) == TR_OUTBOX_OK);
    for (int i = 0; i < 4; i++) {
        CHECK(tr_outbox_next(ob, &item) == TR_OUTBOX_OK && item.n_fixes == 10);
        cookies[i] = item.cookie;
        snprintf(ids[i], sizeof ids[i], "%s", item.msgid);
    }
    CHECK(tr_outbox_next(ob, &item) == TR_OUTBOX_ERR_EMPTY); /* all in flight */
    /* ack the first; the rest come back in order with the same ids */
    CHECK(tr_outbox_ack(ob, cookies[0]) == TR_OUTBOX_OK);
    CHECK(tr_outbox_requeue_all(ob) == TR_OUTBOX_OK);
    for (int i = 1; i < 4; i++) {
        CHECK(tr_outbox_next(ob, &item) == TR_OUTBOX_OK);
        CHECK(item.cookie == cookies[i] && strcmp(item.msgid, ids[i]) == 0);
    }
    /* ack 2 and 3 (merged), a repeated ack is harmless */
    CHECK(tr_outbox_ack(ob, cookies[1]) == TR_OUTBOX_OK);
    CHECK(tr_outbox_ack(ob, cookies[2]) == TR_OUTBOX_OK);
    CHECK(tr_outbox_ack(ob, cookies[0]) == TR_OUTBOX_OK);
    CHECK(tr_outbox_ack(ob, 0) == TR_OUTBOX_ERR_INVALID);
    CHECK(tr_outbox_commit(ob) == TR_OUTBOX_OK);
    CHECK(tr_outbox_get_stats(ob, &st) == TR_OUTBOX_OK);
    CHECK(st.positions == 10 && st.events == 0 && st.pending_acks == 0);
    CHECK(put_event_n(ob, 7) == TR_OUTBOX_OK);
    CHECK(put_event_n(ob, 8) == TR_OUTBOX_OK);
    tr_outbox_close(ob);

    /* reopen: everything unacked is there, in order, nothing in flight */
    ob = open_ob(&lim);
    if (!ob)
        return;
    n = drain_all(ob, keys, 64);
    CHECK(n == 12);
    CHECK(keys[0] == -7 && keys[1] == -8);
    for (size_t i = 2; i < n && i < 64; i++)
        CHECK(keys[i] == 31 + (int64_t)(i - 2));
    CHECK(tr_outbox_get_stats(ob, &st) == TR_OUTBOX_OK);
    CHECK(st.positions == 10 && st.events == 2 && st.oldest_fix_t == mkfix(31).t);
    /* seq order of a boot holds across reopen */
    {
        struct tr_fix f = mkfix(40);
        CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_ERR_ORDER);
        f = mkfix(41);
        CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_OK);
    }
    tr_outbox_close(ob);
}

static void test_thinning(void)
{
    struct tr_outbox *ob;
    struct tr_outbox_limits lim;
    struct tr_outbox_stats st;
    static int64_t keys[400];
    size_t n;
    int kept_old = 0, kept_new = 0;

    remove_db();
    tr_outbox_limits_default(&lim);
    lim.max_positions = 100;
    lim.commit_every = 1;
    ob = open_ob(&lim);
    if (!ob)
        return;
    for (int i = 1; i <= 5; i++)
        CHECK(put_event_n(ob, i) == TR_OUTBOX_OK);
    for (int64_t s = 1; s <= 300; s++) {
        struct tr_fix f = mkfix(s);
        CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_OK);
    }
    CHECK(tr_outbox_commit(ob) == TR_OUTBOX_OK);
    CHECK(tr_outbox_get_stats(ob, &st) == TR_OUTBOX_OK);
    CHECK(st.positions <= 100 && st.thinned == 300 - st.positions && st.dropped == 0);
    CHECK(st.events == 5);
    n = drain_all(ob, keys, 400);
    CHECK(n == (size_t)(5 + st.positions));
    for (int i = 0; i < 5; i++)
        CHECK(keys[i] == -(i + 1));
    CHECK(keys[5] == 1); /* the oldest fix survives thinning */
    CHECK(keys[n - 1] == 300);
    for (size_t i = 6; i < n; i++) {
        CHECK(keys[i] > keys[i - 1]);
        if (i >= 7)
            CHECK_MSG(keys[i] - keys[i - 1] <= keys[i - 1] - keys[i - 2], "gap grows at %lld",
                      (long long)keys[i]);
        if (keys[i] <= 150)
            kept_old++;
        else
            kept_new++;
    }
    /* old stretches are thinned more than recent ones; the newest 40 intact */
    CHECK(kept_old * 4 < kept_new);
    for (size_t i = n - 40; i < n; i++)
        CHECK(keys[i] == 300 - (int64_t)(n - 1 - i));
    /* every other one of the oldest part: the first gaps are powers of two */
    CHECK(keys[6] - keys[5] >= 2);
    tr_outbox_close(ob);

    /* events fill the byte budget: positions are refused, events kept */
    remove_db();
    tr_outbox_limits_default(&lim);
    lim.max_bytes = 65536;
    ob = open_ob(&lim);
    if (!ob)
        return;
    {
        static char big[40000];
        struct tr_fix f = mkfix(1);
        memset(big, 'x', sizeof big);
        CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_OK);
        CHECK(tr_outbox_put_event(ob, TOPIC, big, sizeof big, NULL) == TR_OUTBOX_OK);
        CHECK(tr_outbox_put_event(ob, TOPIC, big, sizeof big, NULL) == TR_OUTBOX_OK);
        f = mkfix(2);
        CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_ERR_FULL);
        CHECK(tr_outbox_get_stats(ob, &st) == TR_OUTBOX_OK);
        CHECK(st.events == 2 && st.dropped == 1 && st.position_cap == 0 && st.positions == 1);
        /* acking the events makes room again */
        CHECK(tr_outbox_next(ob, &item) == TR_OUTBOX_OK && item.len == sizeof big);
        CHECK(tr_outbox_ack(ob, item.cookie) == TR_OUTBOX_OK);
        CHECK(tr_outbox_next(ob, &item) == TR_OUTBOX_OK && item.kind == TR_OUTBOX_EVENT);
        CHECK(tr_outbox_ack(ob, item.cookie) == TR_OUTBOX_OK);
        CHECK(tr_outbox_commit(ob) == TR_OUTBOX_OK);
        CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_OK);
        CHECK(tr_outbox_get_stats(ob, &st) == TR_OUTBOX_OK);
        CHECK(st.events == 0 && st.event_bytes == 0 && st.position_cap > 100);
    }
    tr_outbox_close(ob);
}

/* The dispatcher's side: dedupe by message id and by (boot, highest seq). */
struct receiver {
    int64_t last_seq;
    int64_t accepted[2000];
    size_t n_accepted;
    int events_seen[200];
    int dup_events;
    char seen_ids[2500][TR_MSG_ID_SIZE];
    size_t n_ids;
};

/* ev: the event's number, read when it was handed out (the payload pointer
 * is valid only until the next call on the outbox) */
static void receive(struct receiver *r, const struct tr_outbox_item *it, int ev)
{
    if (it->kind == TR_OUTBOX_EVENT) {
        int n = ev;
        if (n >= 0 && n < 200) {
            if (r->events_seen[n])
                r->dup_events++;
            r->events_seen[n] = 1;
        }
        return;
    }
    for (size_t i = 0; i < r->n_ids; i++) {
        if (strcmp(r->seen_ids[i], it->msgid) == 0)
            return;
    }
    if (r->n_ids < 2500)
        snprintf(r->seen_ids[r->n_ids++], TR_MSG_ID_SIZE, "%s", it->msgid);
    for (size_t i = 0; i < it->n_fixes; i++) {
        if (it->fixes[i].seq <= r->last_seq)
            continue;
        r->last_seq = it->fixes[i].seq;
        if (r->n_accepted < 2000)
            r->accepted[r->n_accepted++] = it->fixes[i].seq;
    }
}

static void test_offline_30min(void)
{
    static struct receiver r;
    static struct tr_outbox_item inflight[8];
    int inflight_n[8];
    struct tr_outbox *ob;
    struct tr_outbox_limits lim;
    struct tr_outbox_stats st;
    size_t n_inflight = 0;
    int events_put = 0, disconnects = 0, reopens = 0;
    int64_t now = INT64_C(1700000000000);
    bool online = false;

    remove_db();
    memset(&r, 0, sizeof r);
    r.last_seq = -1;
    tr_outbox_limits_default(&lim);
    ob = open_ob(&lim);
    if (!ob)
        return;
    for (int64_t s = 0; s < 1800 + 200; s++, now += 1000) {
        if (s < 1800) {
            struct tr_fix f = mkfix(s);
            CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_OK);
            if (rnd(40) == 0 && events_put < 199)
                CHECK(put_event_n(ob, events_put++) == TR_OUTBOX_OK);
        }
        CHECK(tr_outbox_flush(ob, now) == TR_OUTBOX_OK);
        /* the first 30 minutes mostly offline, then back online */
        if (!online && (s >= 1800 || rnd(60) == 0))
            online = true;
        else if (online && s < 1800 && rnd(20) == 0)
            online = false;
        if (!online) {
            /* disconnect: in-flight messages may or may not have reached the
             * broker; paho forgets them (session_present=0) */
            size_t reached = rnd((unsigned)n_inflight + 1); /* in order: a prefix */
            for (size_t i = 0; i < reached; i++)
                receive(&r, &inflight[i], inflight_n[i]);
            if (n_inflight)
                disconnects++;
            n_inflight = 0;
            CHECK(tr_outbox_requeue_all(ob) == TR_OUTBOX_OK);
            if (rnd(100) == 0) { /* the agent restarts */
                tr_outbox_close(ob);
                ob = open_ob(&lim);
                if (!ob)
                    return;
                reopens++;
            }
            continue;
        }
        /* online: fill the window, deliver some, PUBACK in order */
        while (n_inflight < 8 && tr_outbox_next(ob, &inflight[n_inflight]) == TR_OUTBOX_OK) {
            inflight_n[n_inflight] = event_n(&inflight[n_inflight]);
            n_inflight++;
        }
        {
            size_t k = s >= 1800 ? n_inflight : rnd((unsigned)n_inflight + 1);
            for (size_t i = 0; i < k; i++) {
                receive(&r, &inflight[i], inflight_n[i]);
                CHECK(tr_outbox_ack(ob, inflight[i].cookie) == TR_OUTBOX_OK);
            }
            memmove(inflight, inflight + k, (n_inflight - k) * sizeof inflight[0]);
            memmove(inflight_n, inflight_n + k, (n_inflight - k) * sizeof inflight_n[0]);
            n_inflight -= k;
        }
    }
    CHECK(n_inflight == 0);
    CHECK(tr_outbox_commit(ob) == TR_OUTBOX_OK);
    CHECK(tr_outbox_get_stats(ob, &st) == TR_OUTBOX_OK);
    CHECK_MSG(st.positions == 0 && st.events == 0 && st.buffered == 0,
              "left: %lld positions, %lld events", (long long)st.positions, (long long)st.events);
    CHECK(st.thinned == 0 && st.dropped == 0);
    CHECK(r.n_accepted == 1800);
    for (size_t i = 0; i < r.n_accepted; i++) {
        if (r.accepted[i] != (int64_t)i) {
            CHECK_MSG(0, "receiver's position %zu is seq %lld", i, (long long)r.accepted[i]);
            break;
        }
    }
    for (int i = 0; i < events_put; i++)
        CHECK(r.events_seen[i]);
    printf("offline_30min: %d events, %d disconnects with messages in flight, %d restarts, "
           "%lld commits, %lld pages written\n",
           events_put, disconnects, reopens, (long long)st.commits, (long long)st.pages_written);
    CHECK(disconnects > 3);
    tr_outbox_close(ob);
}

static void test_inputs_and_loc(void)
{
    struct tr_outbox *ob;
    struct tr_fix f = mkfix(5);
    static struct tr_msg m, back;
    char *json = NULL;
    size_t len = 0;

    remove_db();
    ob = open_ob(NULL);
    if (!ob)
        return;
    CHECK(tr_outbox_put_fix(ob, "bad/boot", &f) == TR_OUTBOX_ERR_INVALID);
    CHECK(tr_outbox_put_fix(ob, "", &f) == TR_OUTBOX_ERR_INVALID);
    f.lat = 0.0 / 0.0;
    CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_ERR_INVALID);
    f = mkfix(5);
    f.mode = 1;
    CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_ERR_INVALID);
    f = mkfix(5);
    f.has_heading = true;
    f.heading = 360;
    CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_ERR_INVALID);
    f = mkfix(5);
    CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_OK);
    CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_ERR_ORDER);
    f = mkfix(6);
    CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_OK);
    CHECK(tr_outbox_put_event(ob, "", "{}", 2, NULL) == TR_OUTBOX_ERR_INVALID);
    CHECK(tr_outbox_put_event(ob, TOPIC, "{}", 0, NULL) == TR_OUTBOX_ERR_INVALID);
    CHECK(tr_outbox_put_event(ob, TOPIC, "{}", TR_MSG_MAX_BYTES + 1, NULL) ==
          TR_OUTBOX_ERR_INVALID);
    CHECK(tr_outbox_put_fix(NULL, BOOT_A, &f) == TR_OUTBOX_ERR_INVALID);
    CHECK(tr_outbox_next(NULL, &item) == TR_OUTBOX_ERR_INVALID);
    /* the batch encodes as a valid loc message */
    CHECK(tr_outbox_next(ob, &item) == TR_OUTBOX_OK && item.n_fixes == 2);
    CHECK(tr_outbox_item_loc(&item, "a1", INT64_C(1700000001000), &m) == TR_OUTBOX_OK);
    CHECK(tr_outbox_item_loc(&item, "bad/agent", 0, &m) == TR_OUTBOX_ERR_INVALID);
    CHECK(tr_msg_encode(&m, &json, &len, NULL) == TR_MSG_OK);
    CHECK(json && tr_msg_decode(json, len, &back, NULL) == TR_MSG_OK && tr_msg_equal(&m, &back));
    free(json);
    tr_outbox_close(ob);
    tr_outbox_close(NULL);
}

static void write_file(const char *p, const void *data, size_t len)
{
    FILE *fp = fopen(p, "wb");
    CHECK(fp != NULL);
    if (fp) {
        CHECK(fwrite(data, 1, len, fp) == len);
        fclose(fp);
    }
}

/* Overwrite `len` bytes at `off` in the database file. */
static void patch_file(size_t off, const void *data, size_t len)
{
    FILE *fp = fopen(path, "r+b");
    CHECK(fp != NULL);
    if (fp) {
        CHECK(fseek(fp, (long)off, SEEK_SET) == 0);
        CHECK(fwrite(data, 1, len, fp) == len);
        fclose(fp);
    }
}

static void expect_open_fails(int code, const char *needle)
{
    struct tr_outbox *ob = (struct tr_outbox *)&ob;
    char err[256];
    int rc = tr_outbox_open(path, NULL, &ob, err, sizeof err);
    CHECK_MSG(rc == code, "got %d (%s), want %d", rc, err, code);
    CHECK(ob == NULL);
    CHECK_MSG(strstr(err, needle) != NULL, "error text: %s", err);
    tr_outbox_close(ob);
}

static void test_bad_files(void)
{
    static unsigned char junk[8192];
    const unsigned char v7[4] = { 0, 0, 0, 7 }, app[4] = { 1, 2, 3, 4 };
    struct tr_outbox *ob, *ob2 = NULL;
    char err[256];
    int rc;

    /* garbage */
    remove_db();
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)rnd(256);
    write_file(path, junk, sizeof junk);
    expect_open_fails(TR_OUTBOX_ERR_NOT_OUTBOX, "not an outbox database");
    remove_db();
    write_file(path, "hello, this is a text file and not a database at all\n", 54);
    expect_open_fails(TR_OUTBOX_ERR_NOT_OUTBOX, "not an outbox database");

    /* a missing directory */
    {
        char saved[128];
        snprintf(saved, sizeof saved, "%s", path);
        snprintf(path, sizeof path, "%s/no/such/dir/outbox.db", dir);
        expect_open_fails(TR_OUTBOX_ERR_IO, "outbox.db");
        snprintf(path, sizeof path, "%s", saved);
    }

    /* a future schema version (user_version lives at byte 60) */
    remove_db();
    ob = open_ob(NULL);
    if (ob) {
        /* a second opener while the agent holds it */
        CHECK(tr_outbox_open(path, NULL, &ob2, err, sizeof err) == TR_OUTBOX_ERR_BUSY);
        CHECK(ob2 == NULL);
        CHECK(put_event_n(ob, 1) == TR_OUTBOX_OK);
        tr_outbox_close(ob);
    }
    patch_file(60, v7, 4);
    expect_open_fails(TR_OUTBOX_ERR_VERSION, "newer than this agent");
    /* another application's database (application_id at byte 68) */
    patch_file(60, (const unsigned char[4]){ 0, 0, 0, 1 }, 4);
    patch_file(68, app, 4);
    expect_open_fails(TR_OUTBOX_ERR_NOT_OUTBOX, "not an outbox database");

    /* damaged pages: errors, never a crash */
    remove_db();
    ob = open_ob(NULL);
    if (ob) {
        for (int64_t s = 1; s <= 3000; s++) {
            struct tr_fix f = mkfix(s);
            CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_OK);
        }
        tr_outbox_close(ob);
    }
    memset(junk, 0xA5, sizeof junk);
    patch_file(4096 * 3, junk, sizeof junk);
    ob = NULL;
    rc = tr_outbox_open(path, NULL, &ob, err, sizeof err);
    CHECK(rc == TR_OUTBOX_OK || rc == TR_OUTBOX_ERR_CORRUPT);
    if (rc == TR_OUTBOX_OK) {
        CHECK(tr_outbox_check(ob, err, sizeof err) == TR_OUTBOX_ERR_CORRUPT);
        CHECK(err[0] != '\0');
        for (int i = 0; i < 100; i++) {
            rc = tr_outbox_next(ob, &item);
            if (rc != TR_OUTBOX_OK)
                break;
            tr_outbox_ack(ob, item.cookie);
        }
        rc = tr_outbox_commit(ob);
        printf("damaged file: commit says %s (%s)\n", tr_outbox_strerror(rc),
               tr_outbox_last_error(ob));
        tr_outbox_close(ob);
    } else {
        printf("damaged file refused at open: %s\n", err);
        CHECK(strstr(err, "malformed") != NULL);
    }
}

/* A position whose boot row is damaged (only an edited or broken file can
 * hold one) is skipped; it does not stop the positions behind it. */
static void test_damaged_boot(void)
{
    struct tr_outbox *ob;
    sqlite3 *db = NULL;

    remove_db();
    if (!(ob = open_ob(NULL)))
        return;
    for (int64_t s = 1; s <= 5; s++) {
        struct tr_fix f = mkfix(s);
        CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_OK);
    }
    tr_outbox_close(ob);
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "UPDATE boots SET boot='not a boot id!' WHERE boot='" BOOT_A "'", NULL,
                       NULL, NULL) == SQLITE_OK);
    CHECK(sqlite3_changes(db) == 1);
    sqlite3_close(db);
    if (!(ob = open_ob(NULL)))
        return;
    struct tr_fix f = mkfix(1);
    CHECK(tr_outbox_put_fix(ob, BOOT_B, &f) == TR_OUTBOX_OK);
    int rc = tr_outbox_next(ob, &item);
    CHECK_MSG(rc == TR_OUTBOX_OK, "next: %s (%s)", tr_outbox_strerror(rc),
              tr_outbox_last_error(ob));
    CHECK(rc != TR_OUTBOX_OK ||
          (item.kind == TR_OUTBOX_LOC && strcmp(item.boot_id, BOOT_B) == 0 && item.n_fixes == 1));
    CHECK(tr_outbox_next(ob, &item) == TR_OUTBOX_ERR_EMPTY);
    tr_outbox_close(ob);
}

/* Acks for items never handed out delete nothing; a file with our marks but
 * not our tables is damaged, not an I/O error. */
static void test_bad_acks_and_schema(void)
{
    struct tr_outbox_stats st;
    struct tr_outbox *ob;
    sqlite3 *db = NULL;
    char err[256];

    remove_db();
    if (!(ob = open_ob(NULL)))
        return;
    CHECK(put_event_n(ob, 1) == TR_OUTBOX_OK);
    struct tr_fix f = mkfix(1);
    CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_OK);
    CHECK(tr_outbox_ack(ob, 1) == TR_OUTBOX_ERR_INVALID); /* the event, not handed out */
    CHECK(tr_outbox_ack(ob, (UINT64_C(1) << 63) | (UINT64_C(1) << 24) | 0xFFFFFF) ==
          TR_OUTBOX_ERR_INVALID);
    CHECK(strstr(tr_outbox_last_error(ob), "never handed out") != NULL);
    CHECK(tr_outbox_commit(ob) == TR_OUTBOX_OK);
    CHECK(tr_outbox_get_stats(ob, &st) == TR_OUTBOX_OK && st.events == 1 && st.positions == 1);
    CHECK(tr_outbox_next(ob, &item) == TR_OUTBOX_OK && item.kind == TR_OUTBOX_EVENT);
    CHECK(tr_outbox_ack(ob, item.cookie) == TR_OUTBOX_OK);
    CHECK(tr_outbox_ack(ob, item.cookie) == TR_OUTBOX_OK); /* repeated: harmless */
    CHECK(tr_outbox_commit(ob) == TR_OUTBOX_OK);
    CHECK(tr_outbox_get_stats(ob, &st) == TR_OUTBOX_OK && st.events == 0 && st.positions == 1);
    tr_outbox_close(ob);

    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "DROP TABLE fixes; CREATE TABLE fixes(x)", NULL, NULL, NULL) ==
          SQLITE_OK);
    sqlite3_close(db);
    ob = NULL;
    CHECK(tr_outbox_open(path, NULL, &ob, err, sizeof err) == TR_OUTBOX_ERR_CORRUPT && !ob);
    CHECK_MSG(strstr(err, "not the outbox schema") != NULL, "%s", err);

    /* a buffer larger than thinning can make room for is refused */
    struct tr_outbox_limits lim;
    tr_outbox_limits_default(&lim);
    lim.max_positions = 16;
    lim.commit_every = 30;
    remove_db();
    CHECK(tr_outbox_open(path, &lim, &ob, err, sizeof err) == TR_OUTBOX_ERR_INVALID && !ob);
    CHECK_MSG(strstr(err, "quarter of max_positions") != NULL, "%s", err);
    lim.commit_every = 4;
    CHECK((ob = open_ob(&lim)) != NULL);
    tr_outbox_close(ob);
}

/* seq keeps increasing per boot when a boot is taken up again after all its
 * rows were acknowledged; a row id no cookie can hold is skipped. */
static void test_boot_switch_and_huge_id(void)
{
    struct tr_outbox *ob;
    struct tr_fix f;
    sqlite3 *db = NULL;

    remove_db();
    if (!(ob = open_ob(NULL)))
        return;
    for (int64_t s = 1; s <= 10; s++) {
        f = mkfix(s);
        CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_OK);
    }
    CHECK(tr_outbox_next(ob, &item) == TR_OUTBOX_OK && item.n_fixes == 10);
    CHECK(tr_outbox_ack(ob, item.cookie) == TR_OUTBOX_OK && tr_outbox_commit(ob) == TR_OUTBOX_OK);
    f = mkfix(1);
    CHECK(tr_outbox_put_fix(ob, BOOT_B, &f) == TR_OUTBOX_OK);
    f = mkfix(3);
    CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_ERR_ORDER);
    f = mkfix(11);
    CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_OK);
    tr_outbox_close(ob);

    /* an edited file: a row id over 2^39 */
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "INSERT INTO fixes(id, boot, seq, t, lat, lon, mode) SELECT 1099511627777,"
                       " boot, seq + 100, t + 100000, lat, lon, mode FROM fixes"
                       " ORDER BY id DESC LIMIT 1",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    if (!(ob = open_ob(NULL)))
        return;
    int sent = 0;
    for (int i = 0; i < 10 && tr_outbox_next(ob, &item) == TR_OUTBOX_OK; i++) {
        CHECK(item.last_id < (INT64_C(1) << 39));
        CHECK(tr_outbox_ack(ob, item.cookie) == TR_OUTBOX_OK);
        sent += (int)item.n_fixes;
    }
    CHECK_MSG(sent == 2, "%d positions sent (B seq 1, A seq 11; not the row id 2^40 + 1)", sent);
    tr_outbox_close(ob);
}

/* A wall clock stepped back (NTP, GPS time at boot) must not hold the
 * time-based commit back by the size of the step. */
static void test_clock_back(void)
{
    struct tr_outbox_limits lim;
    struct tr_outbox_stats st;
    struct tr_outbox *ob;
    const int64_t t = INT64_C(1700000000000);

    tr_outbox_limits_default(&lim);
    lim.commit_every = 100;
    lim.commit_ms = 1000;
    remove_db();
    if (!(ob = open_ob(&lim)))
        return;
    struct tr_fix f = mkfix(1);
    CHECK(tr_outbox_put_fix(ob, BOOT_A, &f) == TR_OUTBOX_OK);
    CHECK(tr_outbox_flush(ob, t) == TR_OUTBOX_OK);
    CHECK(tr_outbox_flush(ob, t - 3600000) == TR_OUTBOX_OK); /* an hour back */
    CHECK(tr_outbox_get_stats(ob, &st) == TR_OUTBOX_OK && st.buffered == 1 && st.positions == 0);
    CHECK(tr_outbox_flush(ob, t - 3600000 + 1000) == TR_OUTBOX_OK);
    CHECK(tr_outbox_get_stats(ob, &st) == TR_OUTBOX_OK);
    CHECK_MSG(st.buffered == 0 && st.positions == 1, "a second after the step: %lld buffered",
              (long long)st.buffered);
    tr_outbox_close(ob);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_outbox.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/outbox.db", dir);

    test_order();
    test_ack_requeue_reopen();
    test_thinning();
    test_offline_30min();
    test_inputs_and_loc();
    test_bad_files();
    test_damaged_boot();
    test_clock_back();
    test_bad_acks_and_schema();
    test_boot_switch_and_huge_id();

    remove_db();
    rmdir(dir);
    return check_report("unit.outbox");
}
