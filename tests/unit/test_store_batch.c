/*
 * tests/unit/test_store_batch.c: dispatcher/store's group commit and WAL
 * checkpoints, on real files in a temp dir.
 *
 * A batch holds a job's creation and its first offer (each with its own
 * event) until ONE commit: a second handle on the same file sees nothing
 * before it and both steps after; a failing step inside the batch undoes only
 * itself; the outbox is not readable for publishing while the batch is open;
 * a batch never committed (the process gone) leaves nothing; outbox deletes
 * (committed without an fsync of their own) and later durable steps still
 * work; a checkpoint through the third connection copies the WAL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispatcher/store/store.h"
#include "tests/support/check.h"
#include "tests/support/tmpdir.h"

#define T0 1700000000000LL

static char dir[64];

static struct tr_store *open_store(void)
{
    char p[256], err[256];
    snprintf(p, sizeof p, "%s/batch.db", dir);
    struct tr_store *s = NULL;
    int rc = tr_store_open(p, TR_STORE_CREATE, &s, err, sizeof err);
    CHECK_MSG(rc == TR_STORE_OK, "open %s: %s", p, err);
    return s;
}

static struct tr_contractor contractor(const char *id)
{
    struct tr_contractor c;
    memset(&c, 0, sizeof c);
    snprintf(c.contractor_id, sizeof c.contractor_id, "%s", id);
    snprintf(c.name, sizeof c.name, "Tech %s", id);
    snprintf(c.skills[c.n_skills++], TR_MSG_SKILL_SIZE, "printers");
    snprintf(c.languages[c.n_languages++], TR_MSG_LANG_SIZE, "en");
    snprintf(c.timezone, sizeof c.timezone, "UTC");
    c.tier = 1;
    c.radius_km = 50;
    c.job_limit = 1;
    c.active = true;
    return c;
}

static struct tr_store_job job_in(const char *title)
{
    struct tr_store_job j;
    memset(&j, 0, sizeof j);
    snprintf(j.job.spec.title, sizeof j.job.spec.title, "%s", title);
    snprintf(j.job.spec.skills[j.job.spec.n_skills++], TR_MSG_SKILL_SIZE, "printers");
    j.job.site.lat = 41.88;
    j.job.site.lon = -87.63;
    return j;
}

static size_t events_of(struct tr_store *s, const char *job_id)
{
    struct tr_store_event *ev = NULL;
    size_t n = 0;
    if (tr_store_job_events(s, job_id, 100, &ev, &n) != TR_STORE_OK)
        return 999;
    free(ev);
    return n;
}

static size_t pending_rows(struct tr_store *s, int64_t *first_id)
{
    struct tr_store_outbox_row *rows = NULL;
    size_t n = 0;
    if (tr_store_outbox_pending(s, 0, 100, &rows, &n, NULL) != TR_STORE_OK)
        return 999;
    if (first_id)
        *first_id = n ? rows[0].id : 0;
    tr_store_outbox_rows_free(rows, n);
    return n;
}

/* new -> offered to agent, with one inbox message */
static int offer(struct tr_store *s, const char *job_id, enum tr_job_state from,
                 const char *offer_id, const char *agent, int64_t now)
{
    struct tr_store_outmsg m = { "truckroll/v1/agent/alice/inbox", "{}", 2, 1, false, 0 };
    struct tr_store_transition t = { .job_id = job_id,
                                     .from = from,
                                     .to = TR_JOB_OFFERED,
                                     .actor = "dispatcher",
                                     .now_ms = now,
                                     .new_offer = true,
                                     .out = &m,
                                     .n_out = 1 };
    snprintf(t.offer.offer_id, sizeof t.offer.offer_id, "%s", offer_id);
    snprintf(t.offer.agent_id, sizeof t.offer.agent_id, "%s", agent);
    t.offer.deadline = now + 60000;
    return tr_store_job_transition(s, &t, NULL);
}

static void test_batch(void)
{
    struct tr_store *s = open_store();
    struct tr_store *other = open_store(); /* another reader of the same file */
    if (!s || !other)
        goto out;
    struct tr_contractor a = contractor("alice");
    struct tr_contractor b = contractor("bob");
    CHECK(tr_store_contractor_add(s, &a, T0, NULL) == TR_STORE_OK);
    CHECK(tr_store_contractor_add(s, &b, T0, NULL) == TR_STORE_OK);

    /* misuse */
    size_t steps = 99;
    CHECK(tr_store_batch_commit(s, &steps) == TR_STORE_ERR_INVALID && steps == 0);
    CHECK(!tr_store_batch_active(s));
    /* an empty batch costs nothing and commits */
    CHECK(tr_store_batch_begin(s) == TR_STORE_OK && tr_store_batch_active(s));
    CHECK(tr_store_batch_begin(s) == TR_STORE_ERR_INVALID);
    CHECK(tr_store_batch_commit(s, &steps) == TR_STORE_OK && steps == 0);

    /* creation + first offer: two steps, two events, one commit */
    CHECK(tr_store_batch_begin(s) == TR_STORE_OK);
    struct tr_store_job j = job_in("Fix the printer");
    CHECK(tr_store_job_create(s, &j, "console:ann", "created by hand", T0, NULL, 0) == TR_STORE_OK);
    char jid[TR_MSG_ID_SIZE];
    snprintf(jid, sizeof jid, "%s", j.job.job_id);
    CHECK(offer(s, jid, TR_JOB_NEW, "o1", "alice", T0 + 1) == TR_STORE_OK);
    /* a failing step undoes only itself */
    CHECK(offer(s, jid, TR_JOB_NEW, "o2", "alice", T0 + 2) == TR_STORE_ERR_CONFLICT);
    struct tr_store_job g;
    CHECK(tr_store_job_get(s, jid, &g) == TR_STORE_OK && g.job.state == TR_JOB_OFFERED &&
          strcmp(g.job.offer.offer_id, "o1") == 0);
    CHECK(events_of(s, jid) == 2);
    /* nothing readable for publishing, nothing visible elsewhere */
    struct tr_store_outbox_row *rows = NULL;
    size_t n = 7;
    CHECK(tr_store_outbox_pending(s, 0, 10, &rows, &n, NULL) == TR_STORE_ERR_INVALID && !rows &&
          n == 0);
    CHECK(tr_store_job_get(other, jid, &g) == TR_STORE_ERR_NOT_FOUND);
    CHECK(tr_store_batch_commit(s, &steps) == TR_STORE_OK && steps == 2);
    CHECK(!tr_store_batch_active(s));
    CHECK(tr_store_job_get(other, jid, &g) == TR_STORE_OK && g.job.state == TR_JOB_OFFERED);
    CHECK(events_of(other, jid) == 2);
    int64_t first = 0;
    CHECK(pending_rows(s, &first) == 1);

    /* delete (no fsync of its own), inside and outside a batch, then a
     * durable step again */
    CHECK(tr_store_outbox_delete(s, &first, 1) == TR_STORE_OK && pending_rows(s, NULL) == 0);
    struct tr_store_job j2 = job_in("Second");
    CHECK(tr_store_job_create(s, &j2, "dispatcher", NULL, T0 + 10, NULL, 0) == TR_STORE_OK);
    CHECK_MSG(offer(s, j2.job.job_id, TR_JOB_NEW, "o3", "bob", T0 + 11) == TR_STORE_OK, "%s",
              tr_store_errmsg(s));
    CHECK(pending_rows(s, &first) == 1);
    CHECK(tr_store_batch_begin(s) == TR_STORE_OK);
    CHECK(tr_store_outbox_delete(s, &first, 1) == TR_STORE_OK);
    CHECK(tr_store_batch_commit(s, &steps) == TR_STORE_OK && steps == 1);
    CHECK(pending_rows(s, NULL) == 0 && pending_rows(other, NULL) == 0);

    /* checkpoint through the third connection */
    CHECK(tr_store_wal_frames(s) > 0 && !tr_store_checkpoint_due(s)); /* < 1000 frames */
    int64_t wal = -1, done = -1;
    CHECK_MSG(tr_store_checkpoint(s, &wal, &done) == TR_STORE_OK && wal > 0 && done == wal,
              "wal %lld, done %lld", (long long)wal, (long long)done);

    /* a batch never committed: the process is gone, nothing was written */
    CHECK(tr_store_batch_begin(s) == TR_STORE_OK);
    struct tr_store_job j3 = job_in("Lost");
    CHECK(tr_store_job_create(s, &j3, "dispatcher", NULL, T0 + 20, NULL, 0) == TR_STORE_OK);
    char lost[TR_MSG_ID_SIZE];
    snprintf(lost, sizeof lost, "%s", j3.job.job_id);
    tr_store_close(s);
    s = open_store();
    if (!s)
        goto out;
    CHECK(tr_store_job_get(s, lost, &g) == TR_STORE_ERR_NOT_FOUND);
    CHECK(tr_store_job_get(s, jid, &g) == TR_STORE_OK && g.job.state == TR_JOB_OFFERED);
out:
    tr_store_close(s);
    tr_store_close(other);
}

static void test_memory(void)
{
    struct tr_store *s = NULL;
    char err[256];
    CHECK(tr_store_open(":memory:", TR_STORE_CREATE, &s, err, sizeof err) == TR_STORE_OK);
    int64_t wal = -1, done = -1;
    CHECK(tr_store_checkpoint(s, &wal, &done) == TR_STORE_OK && wal == 0 && done == 0);
    CHECK(tr_store_checkpoint(NULL, NULL, NULL) == TR_STORE_ERR_INVALID);
    CHECK(!tr_store_checkpoint_due(s) && !tr_store_checkpoint_due(NULL));
    CHECK(tr_store_batch_begin(s) == TR_STORE_OK);
    struct tr_store_job j = job_in("In memory");
    CHECK(tr_store_job_create(s, &j, "dispatcher", NULL, T0, NULL, 0) == TR_STORE_OK);
    size_t steps = 0;
    CHECK(tr_store_batch_commit(s, &steps) == TR_STORE_OK && steps == 1);
    tr_store_close(s);
}

int main(void)
{
    if (tr_test_tmpdir(dir, sizeof dir, "tr_store_batch_") != 0)
        return 1;
    test_batch();
    test_memory();
    tr_test_tmpdir_remove(dir);
    return check_report("test_store_batch");
}
