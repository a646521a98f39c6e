/*
 * fieldagent/app/state.c: the agent's small state file, so a restart (or a
 * crash) keeps the tech's offers, jobs and available switch. The outbox
 * keeps the messages; this keeps the local view.
 *
 * Format, one record per line, written whole to PATH.tmp, fsync'ed and
 * renamed over PATH (a crash leaves the old or the new file, never half):
 *   truckroll-agent-state 1
 *   available 0|1
 *   seen OFFER_ID                       (dedupe memory, oldest first)
 *   offer RECEIVED_MS {offer message}
 *   job STATE ASSIGNED SINCE_MS DISTANCE_M ETA_S SUGGESTED {assignment message}
 * The messages are the wire contract's own JSON (common/msg.h), so loading
 * checks them as strictly as the inbox does. A file that does not parse is
 * logged and ignored (the agent starts empty); it is never fatal.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "fieldagent/app/agent.h"

#define MAGIC "truckroll-agent-state 1"

static void state_path(const struct agent *a, char *out, size_t cap)
{
    if (a->s.state_path[0])
        snprintf(out, cap, "%s", a->s.state_path);
    else
        snprintf(out, cap, "%s.state", a->s.store_path);
}

static int write_msg(FILE *f, const struct tr_msg *m)
{
    char *json = NULL;
    size_t len;
    if (tr_msg_encode(m, &json, &len, NULL) != TR_MSG_OK)
        return -1;
    fwrite(json, 1, len, f);
    fputc('\n', f);
    free(json);
    return 0;
}

int agent_state_save(struct agent *a)
{
    char path[AGENT_PATH_MAX + 8], tmp[AGENT_PATH_MAX + 16];
    const struct tr_jobs *j = &a->jobs;
    struct tr_msg m;
    FILE *f;
    int rc = 0;

    state_path(a, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!(f = fopen(tmp, "w"))) {
        tr_log_error("state file %s: %s", tmp, strerror(errno));
        return -1;
    }
    fprintf(f, MAGIC "\navailable %d\n", a->available ? 1 : 0);
    for (size_t i = 0; i < j->n_seen; i++) {
        size_t k = (j->seen_next + TR_JOBS_SEEN - j->n_seen + i) % TR_JOBS_SEEN;
        fprintf(f, "seen %s\n", j->seen[k]);
    }
    for (size_t i = 0; i < j->n_offers && !rc; i++) {
        tr_msg_init(&m, TR_MSG_OFFER);
        snprintf(m.id, sizeof m.id, "state-o%zu", i);
        m.ts = agent_now_ms();
        m.u.offer = j->offers[i].o;
        fprintf(f, "offer %" PRId64 " ", j->offers[i].received_ms);
        rc = write_msg(f, &m);
    }
    for (size_t i = 0; i < j->n_jobs && !rc; i++) {
        const struct tr_jobs_job *job = &j->jobs[i];
        struct tr_assignment *as = &m.u.assignment;
        tr_msg_init(&m, TR_MSG_ASSIGNMENT);
        snprintf(m.id, sizeof m.id, "state-j%zu", i);
        m.ts = agent_now_ms();
        snprintf(as->agent_id, sizeof as->agent_id, "%s", j->agent_id);
        snprintf(as->offer_id, sizeof as->offer_id, "%s",
                 job->offer_id[0] ? job->offer_id : "none");
        snprintf(as->job_id, sizeof as->job_id, "%s", job->job_id);
        as->job = job->spec;
        as->site = job->site;
        fprintf(f, "job %d %d %" PRId64 " %.17g %d %d ", (int)job->state, job->assigned ? 1 : 0,
                job->since_ms, job->distance_m, job->eta_s, job->arrival_suggested ? 1 : 0);
        rc = write_msg(f, &m);
    }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        rc = -1;
    if (fclose(f) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0) {
        tr_log_error("state file %s: could not write it", path);
        unlink(tmp);
    }
    return rc;
}

static int load_line(struct agent *a, char *line, size_t len)
{
    struct tr_jobs *j = &a->jobs;
    struct tr_msg m;
    int n = 0;

    if (sscanf(line, "available %d", &n) == 1) {
        a->available = n != 0;
        return 0;
    }
    if (strncmp(line, "seen ", 5) == 0) {
        if (!tr_msg_valid_msgid(line + 5))
            return -1;
        tr_jobs_mark_seen(j, line + 5);
        return 0;
    }
    if (strncmp(line, "offer ", 6) == 0) {
        long long received;
        if (sscanf(line, "offer %lld %n", &received, &n) != 1 || n <= 0 ||
            tr_msg_decode_as(line + n, len - (size_t)n, TR_MSG_OFFER, &m, NULL) != TR_MSG_OK ||
            strcmp(m.u.offer.agent_id, j->agent_id) != 0 || j->n_offers >= TR_JOBS_MAX_OFFERS)
            return -1;
        j->offers[j->n_offers].o = m.u.offer;
        j->offers[j->n_offers++].received_ms = received;
        return 0;
    }
    if (strncmp(line, "job ", 4) == 0) {
        int state, assigned, eta, suggested;
        long long since;
        double dist;
        if (sscanf(line, "job %d %d %lld %lf %d %d %n", &state, &assigned, &since, &dist, &eta,
                   &suggested, &n) != 6 ||
            n <= 0 || state < TR_JOBS_ACCEPTED || state > TR_JOBS_ON_SITE ||
            tr_msg_decode_as(line + n, len - (size_t)n, TR_MSG_ASSIGNMENT, &m, NULL) != TR_MSG_OK)
            return -1;
        const struct tr_assignment *as = &m.u.assignment;
        if (strcmp(as->agent_id, j->agent_id) != 0 || tr_jobs_on_assignment(j, as, since) != 0)
            return -1;
        struct tr_jobs_job *job = &j->jobs[j->n_jobs - 1];
        job->state = (enum tr_jobs_state)state;
        job->assigned = assigned != 0;
        job->distance_m = dist;
        job->eta_s = eta;
        job->arrival_suggested = suggested != 0;
        if (strcmp(job->offer_id, "none") == 0)
            job->offer_id[0] = '\0';
        return 0;
    }
    return -1;
}

int agent_state_load(struct agent *a)
{
    char path[AGENT_PATH_MAX + 8];
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    FILE *f;
    int rc = 0, lineno = 0;
    struct tr_jobs_stats st = a->jobs.st;

    state_path(a, path, sizeof path);
    if (!(f = fopen(path, "r")))
        return errno == ENOENT ? 0 : -1;
    while ((len = getline(&line, &cap, f)) > 0 && rc == 0) {
        lineno++;
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        if (lineno == 1)
            rc = strcmp(line, MAGIC) == 0 ? 0 : -1;
        else if (len > TR_MSG_MAX_BYTES + 128)
            rc = -1;
        else
            rc = load_line(a, line, (size_t)len);
    }
    free(line);
    fclose(f);
    a->jobs.st = st; /* restoring is not traffic */
    if (rc != 0) {
        tr_log_warn("state file %s: bad line %d; starting without saved offers and jobs", path,
                    lineno);
        struct tr_arrival_params ap = a->jobs.arrival;
        tr_jobs_init(&a->jobs, a->s.agent_id, &ap);
        return -1;
    }
    tr_log_info("state restored: %s, %zu offer(s), %zu job(s)",
                a->available ? "available" : "unavailable", a->jobs.n_offers, a->jobs.n_jobs);
    return 0;
}
