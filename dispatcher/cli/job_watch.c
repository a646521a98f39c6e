/*
 * dispatcher/cli/job_watch.c: `truckroll job watch [ID]` and following one
 * job for `job create --wait` (job.h): subscribe to the retained job_status
 * topics and print each change as a line (or a JSON line).
 *
 * Retained copies delivered at subscribe time may race with live ones
 * (topics.md): per job, only a status with a larger `updated` than the one
 * printed last is printed. An empty payload means the job was purged.
 * Sends no requests.
 */
#include "dispatcher/cli/job.h"

#include <cjson/cJSON.h>

#include <stdlib.h>
#include <string.h>

#include "dispatcher/cli/commands.h"
#include "dispatcher/cli/parse.h"
#include "dispatcher/cli/show.h"

#define TOPIC_PREFIX "truckroll/v1/job/"

void tr_cli_job_topic(const char *id, char *buf, size_t cap)
{
    snprintf(buf, cap, TOPIC_PREFIX "%s/status", id ? id : "+");
}

/* The job id level of a status topic into buf; -1 if the topic is not one. */
static int topic_job(const char *topic, char *buf, size_t cap)
{
    size_t n = strlen(TOPIC_PREFIX), len;
    const char *end;
    if (strncmp(topic, TOPIC_PREFIX, n) != 0 || !(end = strchr(topic + n, '/')) ||
        strcmp(end, "/status") != 0 || (len = (size_t)(end - topic - n)) >= cap)
        return -1;
    memcpy(buf, topic + n, len);
    buf[len] = '\0';
    return 0;
}

/* job id -> last `updated` printed: open addressing, grows at half full. */
struct seen {
    size_t cap, n;
    char (*id)[TR_MSG_ID_SIZE];
    int64_t *updated;
};

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static void seen_free(struct seen *s)
{
    free(s->id);
    free(s->updated);
}

static int64_t *seen_slot(struct seen *s, const char *id);

static int seen_grow(struct seen *s)
{
    struct seen bigger = { .cap = s->cap ? s->cap * 2 : 256 };
    bigger.id = calloc(bigger.cap, sizeof *bigger.id);
    bigger.updated = calloc(bigger.cap, sizeof *bigger.updated);
    if (!bigger.id || !bigger.updated) {
        seen_free(&bigger);
        return -1;
    }
    for (size_t i = 0; i < s->cap; i++)
        if (s->id[i][0])
            *seen_slot(&bigger, s->id[i]) = s->updated[i];
    seen_free(s);
    *s = bigger;
    return 0;
}

/* The slot of id (inserted with updated = -1 if new); NULL when out of memory. */
static int64_t *seen_slot(struct seen *s, const char *id)
{
    if ((s->n + 1) * 2 > s->cap && seen_grow(s) != 0)
        return NULL;
    for (size_t i = hash(id) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (strcmp(s->id[i], id) == 0)
            return &s->updated[i];
        if (!s->id[i][0]) {
            snprintf(s->id[i], TR_MSG_ID_SIZE, "%s", id);
            s->updated[i] = -1;
            s->n++;
            return &s->updated[i];
        }
    }
}

/* Decode one status event. 1: a new state in *m (caller frees); 0: stale,
 * duplicate or unreadable (warned); 2: the job is gone (job_id set). */
static int status_of(struct tr_cli *c, struct seen *seen, const struct tr_cli_event *ev,
                     struct tr_msg *m, char job_id[TR_MSG_ID_SIZE])
{
    struct tr_msg_error err;
    int64_t *last;
    if (topic_job(ev->topic, job_id, TR_MSG_ID_SIZE) != 0)
        return 0;
    if (ev->len == 0) {
        last = seen_slot(seen, job_id);
        if (last)
            *last = -1;
        return 2;
    }
    if (tr_msg_decode_as(ev->payload, ev->len, TR_MSG_JOB_STATUS, m, &err) != TR_MSG_OK) {
        fprintf(stderr, "%s: ignored an unreadable status on %s: %s%s%s\n", tr_cli_prog(c),
                ev->topic, err.field, err.field[0] ? ": " : "", err.reason);
        return 0;
    }
    last = seen_slot(seen, m->u.job_status.job.job_id);
    if (last && m->u.job_status.job.updated <= *last) {
        tr_msg_free(m);
        return 0;
    }
    if (last)
        *last = m->u.job_status.job.updated;
    return 1;
}

/* Lifecycle order for --wait: how far a job has come (-1: ended badly). */
static int progress(enum tr_job_state s)
{
    switch (s) {
    case TR_JOB_OFFERED:
        return 1;
    case TR_JOB_ACCEPTED:
        return 2;
    case TR_JOB_EN_ROUTE:
        return 3;
    case TR_JOB_ON_SITE:
        return 4;
    case TR_JOB_COMPLETED:
        return 5;
    case TR_JOB_FAILED:
    case TR_JOB_CANCELLED:
        return -1;
    default:
        return 0; /* new, unassigned, released: still looking */
    }
}

int tr_cli_job_wait(struct tr_cli *c, const char *job_id, enum tr_job_state target,
                    int64_t deadline)
{
    struct seen seen = { 0 };
    char id[TR_MSG_ID_SIZE], last_why[TR_MSG_NOTE_SIZE] = "";
    int rc;
    for (;;) {
        struct tr_cli_event ev;
        struct tr_msg m;
        rc = tr_cli_next_event(c, deadline, &ev);
        if (rc != TR_CLI_OK)
            break;
        int k = status_of(c, &seen, &ev, &m, id);
        tr_cli_event_free(&ev);
        if (k == 2 && strcmp(id, job_id) == 0) {
            fprintf(stderr, "%s: job %s was purged\n", tr_cli_prog(c), job_id);
            rc = TR_CLI_FAIL;
            break;
        }
        if (k != 1)
            continue;
        const struct tr_job *j = &m.u.job_status.job;
        int p = strcmp(j->job_id, job_id) == 0 ? progress(j->state) : 0;
        if (strcmp(j->job_id, job_id) == 0) {
            tr_cli_job_line(j, stderr);
            snprintf(last_why, sizeof last_why, "%s", tr_cli_job_why(j));
        }
        tr_msg_free(&m);
        if (p < 0 || p >= progress(target)) {
            rc = p < 0 ? TR_CLI_FAIL : TR_CLI_OK;
            break;
        }
    }
    if (rc == TR_CLI_UNREACHABLE)
        fprintf(stderr, "%s: job %s not %s in time%s%s\n", tr_cli_prog(c), job_id,
                tr_msg_job_state_name(target), last_why[0] ? ": " : "", last_why);
    seen_free(&seen);
    return rc; /* interrupted: 130, not "reached" */
}

static void usage_watch(FILE *f)
{
    fprintf(f,
            "usage: truckroll job watch [ID] [--new] [--count N] [--timeout SECONDS] [--json]\n\n"
            "Print each status change of one job (or of every job) as a line:\n"
            "  TIME  JOB  STATE  [-> ASSIGNEE | offered to AGENT]  [attempt N]  [(why)]\n"
            "until Ctrl-C. The current state (retained at the broker) comes first; with\n"
            "--json each change is the job object on one line ({\"job_id\": ID, \"gone\":\n"
            "true} when a job was purged). Needs no answer from the dispatcher.\n\n"
            "  --new              skip the current states, print only changes from now\n"
            "  --count N          stop after N lines\n"
            "  --timeout SECONDS  stop after SECONDS (and give up connecting after that)\n\n"
            "Exit status: 0 when stopped (Ctrl-C, --timeout, --count reached); 3 when\n"
            "--count lines did not come within --timeout, or no broker.\n\n"
            "Example: truckroll job watch j-42 --count 3\n\n");
    tr_cli_usage_common(f);
}

static void print_json_job(const struct tr_cli_event *ev, const char *gone_id)
{
    cJSON *root = gone_id ? cJSON_CreateObject() : cJSON_ParseWithLength(ev->payload, ev->len);
    cJSON *job = gone_id ? root : cJSON_GetObjectItemCaseSensitive(root, "job");
    char *text;
    if (gone_id) {
        cJSON_AddStringToObject(root, "job_id", gone_id);
        cJSON_AddBoolToObject(root, "gone", 1);
    }
    text = job ? cJSON_PrintUnformatted(job) : NULL;
    if (text)
        puts(text);
    free(text);
    cJSON_Delete(root);
}

/* Print changes until count lines (0: no limit), the timeout (when timed)
 * or an interrupt. */
static int watch_loop(struct tr_cli *c, struct seen *seen, bool only_new, long long count,
                      bool timed)
{
    int64_t deadline = timed ? tr_cli_deadline(c, -1) : INT64_MAX;
    long long printed = 0;
    int rc = TR_CLI_OK;
    while (count == 0 || printed < count) {
        struct tr_cli_event ev;
        struct tr_msg m;
        char gone[TR_MSG_ID_SIZE];
        rc = tr_cli_next_event(c, deadline, &ev);
        if (rc != TR_CLI_OK)
            break;
        int k = only_new && ev.retained ? 0 : status_of(c, seen, &ev, &m, gone);
        if (k == 1 && tr_cli_json(c))
            print_json_job(&ev, NULL);
        else if (k == 1)
            tr_cli_job_line(&m.u.job_status.job, stdout);
        else if (k == 2 && tr_cli_json(c))
            print_json_job(&ev, gone);
        else if (k == 2)
            printf("%s  (gone: purged)\n", gone);
        if (k == 1)
            tr_msg_free(&m);
        printed += k != 0;
        tr_cli_event_free(&ev);
    }
    if (rc == TR_CLI_INTERRUPTED || (rc == TR_CLI_UNREACHABLE && count == 0))
        return TR_CLI_OK;
    if (rc == TR_CLI_UNREACHABLE)
        fprintf(stderr, "%s: %lld of %lld change(s) within the timeout\n", tr_cli_prog(c), printed,
                count);
    return rc;
}

int tr_cli_job_watch(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "new", no_argument, NULL, TR_CLI_OPT_OWN },
        { "count", required_argument, NULL, TR_CLI_OPT_OWN + 1 },
        TR_CLI_COMMON_LONGOPTS,
        { NULL, 0, NULL, 0 },
    };
    struct tr_cli *c = tr_cli_new("truckroll job watch", &tr_cli_stop);
    struct seen seen = { 0 };
    const char *id = NULL, *why = "";
    bool only_new = false, timed = false;
    long long count = 0;
    char topic[128];
    int rc, opt;
    if (!c)
        return TR_CLI_FAIL;
    rc = tr_cli_args(c, &argc, argv);
    tr_cli_getopt_reset();
    while (rc == TR_CLI_OK &&
           (opt = getopt_long(argc, argv, TR_CLI_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') {
            usage_watch(stdout);
            rc = TR_CLI_DONE;
        } else if (opt == TR_CLI_OPT_OWN) {
            only_new = true;
        } else if (opt == TR_CLI_OPT_OWN + 1) {
            if (tr_cli_parse_int(optarg, 1, 1000000000, &count, &why) != 0)
                rc = tr_cli_usage_error(c, "bad --count '%s': %s", optarg, why);
        } else {
            timed = timed || opt == TR_CLI_OPT_TIMEOUT;
            rc = tr_cli_option(c, opt, optarg, argv);
        }
    }
    if (rc == TR_CLI_OK && optind < argc) {
        id = argv[optind++];
        if (!tr_msg_valid_msgid(id))
            rc = tr_cli_usage_error(c, "'%s' is not a job id", id);
    }
    if (rc == TR_CLI_OK && optind < argc)
        rc = tr_cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    if (rc == TR_CLI_OK)
        rc = tr_cli_configure(c);
    tr_cli_job_topic(id, topic, sizeof topic);
    if (rc == TR_CLI_OK)
        rc = tr_cli_subscribe(c, topic);
    if (rc == TR_CLI_OK)
        rc = tr_cli_connect(c);
    if (rc == TR_CLI_OK) {
        setvbuf(stdout, NULL, _IOLBF, 0);
        rc = watch_loop(c, &seen, only_new, count, timed);
    }
    seen_free(&seen);
    tr_cli_free(c);
    return rc == TR_CLI_DONE ? TR_CLI_OK : rc;
}
