/*
 * dispatcher/cli/fleet.c: `truckroll fleet`: the live table of contractors
 * (id, name, online, available, mode, active jobs, last seen, position).
 *
 * The directory and positions come from contractor.list (a console may not
 * read the agents' loc topics: schemas/mosquitto.acl.example); online,
 * available, mode and active jobs from the agents' retained presence
 * (truckroll/v1/agent/+/state), which is newer when both exist. --watch
 * asks again every interval and redraws (ANSI clear on a terminal, one
 * block per interval otherwise).
 */
#include <cjson/cJSON.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispatcher/cli/commands.h"
#include "dispatcher/cli/contractor.h"
#include "dispatcher/cli/parse.h"
#include "dispatcher/cli/show.h"

#define STATE_FILTER "truckroll/v1/agent/+/state"

/* agent id -> its latest presence: open addressing, grows at half full. */
struct entry {
    bool used;
    int64_t ts; /* the presence message's ts; -1 before the first */
    struct tr_presence p;
};

struct presences {
    size_t cap, n;
    struct entry *m;
};

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static struct entry *slot(struct presences *p, const char *id, bool insert)
{
    if (insert && (p->n + 1) * 2 > p->cap) {
        struct presences big = { .cap = p->cap ? p->cap * 2 : 256 };
        if (!(big.m = calloc(big.cap, sizeof *big.m)))
            return NULL;
        for (size_t i = 0; i < p->cap; i++)
            if (p->m[i].used)
                *slot(&big, p->m[i].p.agent_id, true) = p->m[i];
        free(p->m);
        *p = big;
    }
    for (size_t i = p->cap ? hash(id) & (p->cap - 1) : 0; p->cap; i = (i + 1) & (p->cap - 1)) {
        if (!p->m[i].used) {
            if (!insert)
                return NULL;
            p->n++;
            p->m[i].used = true;
            snprintf(p->m[i].p.agent_id, TR_MSG_ID_SIZE, "%s", id);
            p->m[i].ts = -1;
            return &p->m[i];
        }
        if (strcmp(p->m[i].p.agent_id, id) == 0)
            return &p->m[i];
    }
    return NULL;
}

/* Take every queued presence message (no waiting). */
static void drain(struct tr_cli *c, struct presences *p)
{
    struct tr_cli_event ev;
    while (tr_cli_next_event(c, 0, &ev) == TR_CLI_OK) {
        struct tr_msg m;
        if (ev.len > 0 &&
            tr_msg_decode_as(ev.payload, ev.len, TR_MSG_PRESENCE, &m, NULL) == TR_MSG_OK) {
            struct entry *s = slot(p, m.u.presence.agent_id, true);
            if (s && m.ts >= s->ts) {
                s->ts = m.ts;
                s->p = m.u.presence;
            }
        }
        tr_cli_event_free(&ev);
    }
}

struct row {
    const struct tr_contractor_view *v;
    const struct tr_presence *p; /* NULL when none */
};

static const char *mode_of(const struct row *r)
{
    if (r->p && !r->p->online)
        return "offline";
    if (r->p && r->p->has_mode)
        return tr_msg_agent_mode_name(r->p->mode);
    return "";
}

static void fill(const struct row *r, bool *online, bool *has_online, bool *avail, bool *has_avail,
                 int *jobs, bool *has_jobs)
{
    const struct tr_contractor_view *v = r->v;
    *has_online = v->has_online || r->p;
    *online = r->p ? r->p->online : v->online;
    *has_avail = v->has_available || (r->p && r->p->has_available);
    *avail = r->p && r->p->has_available ? r->p->available && r->p->online : v->available;
    *has_jobs = v->has_active_jobs || (r->p && r->p->has_active_jobs);
    *jobs = r->p && r->p->has_active_jobs ? r->p->active_jobs : v->active_jobs;
}

static void print_table(const struct row *rows, size_t n, long long total, FILE *out)
{
    static const char *const hdr[] = { "ID",   "NAME", "ONLINE", "AVAIL",
                                       "MODE", "JOBS", "SEEN",   "POSITION" };
    struct tr_cli_table *t = tr_cli_table_new(8, hdr);
    int64_t now = tr_cli_now_ms();
    size_t n_online = 0, n_avail = 0;
    char tbuf[40];
    if (!t)
        return;
    tr_cli_table_set_max(t, 1, 24);
    tr_cli_table_align_right(t, 5);
    tr_cli_table_align_right(t, 6);
    for (size_t i = 0; i < n; i++) {
        const struct tr_contractor_view *v = rows[i].v;
        bool online, has_online, avail, has_avail, has_jobs;
        int jobs;
        char j[12], seen[24], pos[48];
        fill(&rows[i], &online, &has_online, &avail, &has_avail, &jobs, &has_jobs);
        n_online += has_online && online;
        n_avail += has_avail && avail;
        snprintf(j, sizeof j, "%d", jobs);
        if (v->has_lat && v->has_lon)
            snprintf(pos, sizeof pos, "%.5f,%.5f", v->lat, v->lon);
        else
            pos[0] = '\0';
        const char *cells[8] = {
            v->c.contractor_id,
            v->c.name,
            !has_online ? ""
            : online    ? "yes"
                        : "no",
            !has_avail ? ""
            : avail    ? "yes"
                       : "no",
            mode_of(&rows[i]),
            has_jobs ? j : "",
            v->has_last_seen ? tr_cli_fmt_age(now - v->last_seen, seen, sizeof seen) : "",
            pos,
        };
        tr_cli_table_add(t, cells);
    }
    fprintf(out, "fleet at %s: %zu online, %zu available, %zu shown of %lld\n",
            tr_cli_fmt_time(now, tbuf, sizeof tbuf), n_online, n_avail, n, total);
    if (n > 0)
        tr_cli_table_print(t, out);
    tr_cli_table_free(t);
}

static void print_json(const struct row *rows, size_t n, long long total)
{
    cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "agents");
    cJSON_AddNumberToObject(o, "ts", (double)tr_cli_now_ms());
    cJSON_AddNumberToObject(o, "total", (double)total);
    for (size_t i = 0; i < n; i++) {
        const struct tr_contractor_view *v = rows[i].v;
        bool online, has_online, avail, has_avail, has_jobs;
        int jobs;
        cJSON *e = cJSON_CreateObject();
        fill(&rows[i], &online, &has_online, &avail, &has_avail, &jobs, &has_jobs);
        cJSON_AddStringToObject(e, "contractor_id", v->c.contractor_id);
        cJSON_AddStringToObject(e, "name", v->c.name);
        if (has_online)
            cJSON_AddBoolToObject(e, "online", online);
        if (has_avail)
            cJSON_AddBoolToObject(e, "available", avail);
        if (*mode_of(&rows[i]))
            cJSON_AddStringToObject(e, "mode", mode_of(&rows[i]));
        if (has_jobs)
            cJSON_AddNumberToObject(e, "active_jobs", jobs);
        if (v->has_last_seen)
            cJSON_AddNumberToObject(e, "last_seen", (double)v->last_seen);
        if (v->has_lat && v->has_lon) {
            cJSON_AddNumberToObject(e, "lat", v->lat);
            cJSON_AddNumberToObject(e, "lon", v->lon);
        }
        cJSON_AddItemToArray(a, e);
    }
    tr_cli_print_json(o);
}

/* One snapshot: ask, merge, print. */
static int snapshot(struct tr_cli *c, struct presences *pr, const struct tr_contractor_query *tmpl,
                    bool clear)
{
    struct tr_contractor_query q = *tmpl;
    struct row *rows = NULL;
    size_t n = 0;
    int rc = tr_cli_contractor_query(c, &q);
    drain(c, pr);
    if (rc == TR_CLI_OK) {
        for (size_t p = 0; p < q.n_pages; p++)
            n += q.pages[p].msg.u.response.result.n_contractors;
        rows = calloc(n ? n : 1, sizeof *rows);
        if (!rows)
            rc = TR_CLI_FAIL;
    }
    if (rc == TR_CLI_OK) {
        size_t k = 0;
        for (size_t p = 0; p < q.n_pages; p++) {
            const struct tr_result *r = &q.pages[p].msg.u.response.result;
            for (size_t i = 0; i < r->n_contractors; i++, k++) {
                struct entry *e = slot(pr, r->contractors[i].c.contractor_id, false);
                rows[k].v = &r->contractors[i];
                rows[k].p = e && e->ts >= 0 ? &e->p : NULL;
            }
        }
        if (tr_cli_json(c)) {
            print_json(rows, n, q.total);
        } else {
            if (clear)
                fputs("\033[H\033[2J", stdout);
            print_table(rows, n, q.total, stdout);
        }
        fflush(stdout);
    }
    free(rows);
    tr_cli_contractor_query_free(&q);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: truckroll fleet [--watch] [--interval SECONDS] [--count N]\n"
               "                       [--skill SKILL] [--available] [--limit N] [--json]\n\n"
               "The fleet now: ID, NAME, ONLINE, AVAIL(able), MODE (idle, offered, en_route,\n"
               "on_site, off_shift, offline), active JOBS, last SEEN and POSITION, from the\n"
               "directory (contractor.list) and the agents' retained presence.\n\n"
               "  --watch             redraw every interval until Ctrl-C (on a terminal the\n"
               "                      screen is cleared; otherwise one block per interval)\n"
               "  --interval SECONDS  between redraws (default 2)\n"
               "  --count N           stop after N tables (default 1, or no limit with --watch)\n"
               "  --skill SKILL       only contractors with this skill\n"
               "  --available         only those available now\n"
               "  --limit N           at most N contractors (default 200)\n"
               "  --json              one JSON object per table, on its own line:\n"
               "                      {\"ts\", \"total\", \"agents\": [{contractor_id, name,\n"
               "                      online, available, mode, active_jobs, last_seen, lat,\n"
               "                      lon}]}\n\n"
               "Example: truckroll fleet --watch --skill network\n\n");
    tr_cli_usage_common(f);
}

int tr_cli_fleet(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "watch", no_argument, NULL, TR_CLI_OPT_OWN },
        { "interval", required_argument, NULL, TR_CLI_OPT_OWN + 1 },
        { "count", required_argument, NULL, TR_CLI_OPT_OWN + 2 },
        { "skill", required_argument, NULL, TR_CLI_OPT_OWN + 3 },
        { "available", no_argument, NULL, TR_CLI_OPT_OWN + 4 },
        { "limit", required_argument, NULL, TR_CLI_OPT_OWN + 5 },
        TR_CLI_COMMON_LONGOPTS,
        { NULL, 0, NULL, 0 },
    };
    struct tr_cli *c = tr_cli_new("truckroll fleet", &tr_cli_stop);
    struct tr_contractor_query q = { .limit = 200 };
    struct presences pr = { 0 };
    bool watch = false;
    double interval = 2;
    long long count = 0;
    const char *why = "";
    int rc, opt;
    if (!c)
        return TR_CLI_FAIL;
    rc = tr_cli_args(c, &argc, argv);
    tr_cli_getopt_reset();
    while (rc == TR_CLI_OK &&
           (opt = getopt_long(argc, argv, TR_CLI_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            rc = TR_CLI_DONE;
        } else if (opt == TR_CLI_OPT_OWN) {
            watch = true;
        } else if (opt == TR_CLI_OPT_OWN + 1) {
            if (tr_cli_parse_double(optarg, 0.2, 3600, &interval, &why) != 0)
                rc = tr_cli_usage_error(c, "bad --interval '%s': %s", optarg, why);
        } else if (opt == TR_CLI_OPT_OWN + 2) {
            if (tr_cli_parse_int(optarg, 1, 1000000000, &count, &why) != 0)
                rc = tr_cli_usage_error(c, "bad --count '%s': %s", optarg, why);
        } else if (opt == TR_CLI_OPT_OWN + 3) {
            if (!tr_msg_valid_skill(optarg))
                rc = tr_cli_usage_error(c, "bad --skill '%s'", optarg);
            q.r.has_skill = true;
            snprintf(q.r.skill, sizeof q.r.skill, "%s", optarg);
        } else if (opt == TR_CLI_OPT_OWN + 4) {
            q.r.has_available = q.r.available = true;
        } else if (opt == TR_CLI_OPT_OWN + 5) {
            if (tr_cli_parse_int(optarg, 1, 1000000, &q.limit, &why) != 0)
                rc = tr_cli_usage_error(c, "bad --limit '%s': %s", optarg, why);
        } else {
            rc = tr_cli_option(c, opt, optarg, argv);
        }
    }
    if (rc == TR_CLI_OK && optind < argc)
        rc = tr_cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    if (rc == TR_CLI_OK)
        rc = tr_cli_configure(c);
    if (rc == TR_CLI_OK)
        rc = tr_cli_subscribe(c, STATE_FILTER);
    if (rc == TR_CLI_OK)
        rc = tr_cli_connect(c);
    if (count == 0)
        count = watch ? 0 : 1;
    bool clear = watch && !tr_cli_json(c) && isatty(STDOUT_FILENO);
    for (long long i = 0; rc == TR_CLI_OK && (count == 0 || i < count); i++) {
        int64_t next = tr_cli_deadline(c, (int64_t)(interval * 1000));
        if (i > 0 && !clear && !tr_cli_json(c))
            putchar('\n');
        rc = snapshot(c, &pr, &q, clear);
        if (rc == TR_CLI_OK && (count == 0 || i + 1 < count))
            tr_cli_sleep_until(c, next);
        if (tr_cli_interrupted(c))
            break;
    }
    free(pr.m);
    tr_cli_free(c);
    return rc == TR_CLI_DONE || rc == TR_CLI_INTERRUPTED ? TR_CLI_OK : rc;
}
