/*
 * dispatcher/cli/job.c: `truckroll job create|list|show|cancel|reassign`
 * (and the dispatch to `job watch` in job_watch.c): flags -> one request
 * (common/msg.h) -> the answer as a table, key/value lines or JSON.
 *
 * The request's contract checks run in tr_cli_send; this file checks what
 * a person types (ranges, formats) to name the flag at fault.
 */
#include "dispatcher/cli/job.h"

#include <stdlib.h>
#include <string.h>

#include "dispatcher/cli/commands.h"
#include "dispatcher/cli/job_args.h"
#include "dispatcher/cli/parse.h"
#include "dispatcher/cli/show.h"

#define WAIT_TIMEOUT_S 300

static void usage_create(FILE *f)
{
    fprintf(f,
            "usage: truckroll job create --title TEXT --skill SKILL [--skill SKILL ...]\n"
            "           (--lat LAT --lon LON | --at LAT,LON | --country CC |\n"
            "            --county NAME --state ST | --county-fips NNNNN) [options]\n\n"
            "Create a job and print its id at once. The dispatcher matches it to the\n"
            "nearest available contractor with every skill (and the language, if given)\n"
            "and offers it; follow it with --wait, 'truckroll job watch ID' or\n"
            "'truckroll job show ID'.\n\n"
            "Where (exactly one):\n"
            "  --lat LAT --lon LON, --at LAT,LON   the site, WGS84 degrees\n"
            "  --address TEXT                      street address shown to the tech\n"
            "  --site-radius-m N                   arrival radius, 10..5000 (default 100)\n"
            "  --country CC                        only a country is known (ISO alpha-2)\n"
            "  --county NAME --state ST            a US county by name and postal code\n"
            "  --county-fips NNNNN                 a US county by FIPS code\n\n"
            "What:\n"
            "  --title TEXT              1..120 characters (required)\n"
            "  --description TEXT        up to 1000 characters\n"
            "  --skill SKILL             required skill (repeat, or a,b); lowercase a-z 0-9 -\n"
            "  --lang TAG                language the tech must speak (BCP-47: es, es-MX)\n"
            "  --priority P              low, normal (default), high, urgent\n"
            "  --tier N                  1 (first line, default) .. 5 (specialist)\n"
            "  --window-start TIME       earliest start; TIME is ISO 8601 (2024-05-14T09:00Z,\n"
            "  --window-end TIME         2024-05-14 09:00 local), now, +2h, +30m or @EPOCH_MS\n"
            "  --pay-incident AMOUNT     pay per incident, e.g. 85.00\n"
            "  --pay-hour AMOUNT         pay per hour\n"
            "  --currency CODE           ISO 4217 (default console.currency, USD)\n"
            "  --max-radius-km KM        never look further than this, 1..1000\n\n"
            "Following:\n"
            "  --wait[=STATE]            after printing the id, follow the job (progress on\n"
            "                            stderr) until it is offered or accepted (default);\n"
            "                            exit 1 if it is cancelled or fails, 3 if the state\n"
            "                            is not reached within --wait-timeout\n"
            "  --wait-timeout SECONDS    default %d\n\n"
            "Output: the job id on stdout (with --json the result, {\"job\": {...}}).\n\n"
            "Examples:\n"
            "  truckroll job create --title 'Replace disk' --skill storage --lang es \\\n"
            "      --at 30.2672,-97.7431 --address '100 Congress Ave' --pay-incident 85.00\n"
            "  truckroll job create --title 'Router' --skill network --county Travis --state TX\n"
            "  id=$(truckroll job create --title Printer --skill printer --country DE)\n\n",
            WAIT_TIMEOUT_S);
    tr_cli_usage_common(f);
}

static int job_create(int argc, char **argv)
{
    enum { O_WAIT = TR_CLI_OPT_OWN + 100, O_WAIT_TIMEOUT };
    struct option longopts[] = {
        TR_JOB_ARGS_LONGOPTS,
        { "wait", optional_argument, NULL, O_WAIT },
        { "wait-timeout", required_argument, NULL, O_WAIT_TIMEOUT },
        TR_CLI_COMMON_LONGOPTS,
        { NULL, 0, NULL, 0 },
    };
    struct tr_cli *c = tr_cli_new("truckroll job create", &tr_cli_stop);
    struct tr_job_args ja;
    struct tr_cli_answer ans = { 0 };
    enum tr_job_state target = TR_JOB_ACCEPTED;
    bool wait = false;
    double wait_s = WAIT_TIMEOUT_S;
    const char *why;
    int rc, opt;
    if (!c)
        return TR_CLI_FAIL;
    tr_job_args_init(&ja);
    rc = tr_cli_args(c, &argc, argv);
    tr_cli_getopt_reset();
    while (rc == TR_CLI_OK &&
           (opt = getopt_long(argc, argv, TR_CLI_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') {
            usage_create(stdout);
            rc = TR_CLI_DONE;
        } else if (opt == O_WAIT) {
            wait = true;
            if (optarg && strcmp(optarg, "offered") == 0)
                target = TR_JOB_OFFERED;
            else if (optarg && strcmp(optarg, "accepted") != 0)
                rc = tr_cli_usage_error(c, "--wait takes offered or accepted, not '%s'", optarg);
        } else if (opt == O_WAIT_TIMEOUT) {
            if (tr_cli_parse_double(optarg, 1, 86400, &wait_s, &why) != 0)
                rc = tr_cli_usage_error(c, "bad --wait-timeout '%s': %s", optarg, why);
        } else if (opt >= TR_JOB_ARG_FIRST && opt < TR_JOB_ARG_END) {
            rc = tr_job_args_option(c, &ja, opt, optarg);
        } else {
            rc = tr_cli_option(c, opt, optarg, argv);
        }
    }
    if (rc == TR_CLI_OK && optind < argc)
        rc = tr_cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    if (rc == TR_CLI_OK)
        rc = tr_cli_configure(c);
    if (rc == TR_CLI_OK)
        rc = tr_job_args_finish(c, &ja);
    if (rc == TR_CLI_OK)
        rc = tr_cli_connect(c);
    if (rc == TR_CLI_OK)
        rc = tr_cli_call(c, &ja.req, &ans);
    if (rc == TR_CLI_OK) {
        const struct tr_job *j = &ans.msg.u.response.result.job;
        if (tr_cli_json(c))
            rc = tr_cli_print_results(c, &ans, 1, NULL);
        else
            printf("%s\n", j->job_id);
        fflush(stdout);
        if (rc == TR_CLI_OK && wait) {
            char topic[128];
            tr_cli_job_topic(j->job_id, topic, sizeof topic);
            rc = tr_cli_subscribe(c, topic);
            if (rc == TR_CLI_OK)
                rc = tr_cli_job_wait(c, j->job_id, target,
                                     tr_cli_deadline(c, (int64_t)(wait_s * 1000)));
        }
    }
    tr_cli_answer_free(&ans);
    tr_cli_free(c);
    return rc == TR_CLI_DONE ? TR_CLI_OK : rc;
}

/* The flags of list/show/cancel/reassign: parse and configure. *id
 * gets the one positional argument when want_id. */
static int common_setup(struct tr_cli *c, int argc, char **argv, const struct option *longopts,
                        void (*usage)(FILE *), bool want_id, const char **id,
                        int (*own)(struct tr_cli *, void *, int, const char *), void *ctx)
{
    int rc = tr_cli_args(c, &argc, argv), opt;
    tr_cli_getopt_reset();
    while (rc == TR_CLI_OK &&
           (opt = getopt_long(argc, argv, TR_CLI_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return TR_CLI_DONE;
        }
        rc = opt >= TR_CLI_OPT_OWN && own ? own(c, ctx, opt, optarg)
                                          : tr_cli_option(c, opt, optarg, argv);
    }
    if (rc != TR_CLI_OK)
        return rc;
    if (want_id) {
        if (optind >= argc)
            return tr_cli_usage_error(c, "which job? give its ID");
        *id = argv[optind++];
        if (!tr_msg_valid_msgid(*id))
            return tr_cli_usage_error(c, "'%s' is not a job id", *id);
    }
    if (optind < argc)
        return tr_cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    return tr_cli_configure(c);
}

static void usage_list(FILE *f)
{
    fprintf(f, "usage: truckroll job list [--state STATE] [--limit N] [--offset N] [--json]\n\n"
               "List jobs, newest first as the dispatcher orders them: ID, STATE, TITLE,\n"
               "SKILLS, ASSIGNEE (or the contractor holding the offer), AGE (since created)\n"
               "and REASON (why a job waits). Pages are fetched until N jobs are shown.\n\n"
               "  --state STATE   new, offered, accepted, en_route, on_site, completed,\n"
               "                  failed, cancelled, unassigned, released\n"
               "  --limit N       at most N jobs (default 50, up to 100000)\n"
               "  --offset N      skip the first N\n\n"
               "Example: truckroll job list --state unassigned\n\n");
    tr_cli_usage_common(f);
}

struct list_opts {
    struct tr_req_job_list q;
    long long limit;
};

static int list_own(struct tr_cli *c, void *ctx, int opt, const char *arg)
{
    struct list_opts *o = ctx;
    const char *why = "";
    long long v;
    switch (opt) {
    case TR_CLI_OPT_OWN:
        o->q.has_state = true;
        if (tr_msg_job_state_parse(arg, &o->q.state) != 0)
            return tr_cli_usage_error(c, "unknown --state '%s'", arg);
        return TR_CLI_OK;
    case TR_CLI_OPT_OWN + 1:
        if (tr_cli_parse_int(arg, 1, 100000, &o->limit, &why) != 0)
            return tr_cli_usage_error(c, "bad --limit '%s': %s", arg, why);
        return TR_CLI_OK;
    case TR_CLI_OPT_OWN + 2:
        if (tr_cli_parse_int(arg, 0, 1000000, &v, &why) != 0)
            return tr_cli_usage_error(c, "bad --offset '%s': %s", arg, why);
        o->q.has_offset = true;
        o->q.offset = (int)v;
        return TR_CLI_OK;
    }
    return TR_CLI_USAGE;
}

#define MAX_PAGES 1000

static int job_list(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "state", required_argument, NULL, TR_CLI_OPT_OWN },
        { "limit", required_argument, NULL, TR_CLI_OPT_OWN + 1 },
        { "offset", required_argument, NULL, TR_CLI_OPT_OWN + 2 },
        TR_CLI_COMMON_LONGOPTS,
        { NULL, 0, NULL, 0 },
    };
    struct tr_cli *c = tr_cli_new("truckroll job list", &tr_cli_stop);
    struct list_opts o = { .limit = 50 };
    struct tr_cli_answer *pages = calloc(MAX_PAGES, sizeof *pages);
    size_t np = 0;
    long long shown = 0, total = 0;
    int rc = c && pages ? TR_CLI_OK : TR_CLI_FAIL;
    if (rc == TR_CLI_OK)
        rc = common_setup(c, argc, argv, longopts, usage_list, false, NULL, list_own, &o);
    if (rc == TR_CLI_OK)
        rc = tr_cli_connect(c);
    while (rc == TR_CLI_OK && shown < o.limit && np < MAX_PAGES) {
        struct tr_msg req;
        tr_msg_init(&req, TR_MSG_JOB_LIST);
        req.u.job_list = o.q;
        req.u.job_list.has_limit = true;
        req.u.job_list.limit = (int)(o.limit - shown > 1000 ? 1000 : o.limit - shown);
        req.u.job_list.has_offset = true;
        req.u.job_list.offset = (int)(o.q.offset + shown);
        rc = tr_cli_call(c, &req, &pages[np]);
        if (rc != TR_CLI_OK)
            break;
        const struct tr_result *r = &pages[np++].msg.u.response.result;
        shown += (long long)r->n_jobs;
        total = r->total;
        if (r->n_jobs == 0 || o.q.offset + shown >= total || o.q.offset + shown > 1000000)
            break; /* the end, or the contract's offset limit */
    }
    if (rc == TR_CLI_OK && tr_cli_json(c)) {
        rc = tr_cli_print_results(c, pages, np, "jobs");
    } else if (rc == TR_CLI_OK) {
        struct tr_cli_table *t = tr_cli_job_table();
        int64_t now = tr_cli_now_ms();
        for (size_t p = 0; t && p < np; p++) {
            const struct tr_result *r = &pages[p].msg.u.response.result;
            for (size_t i = 0; i < r->n_jobs; i++)
                tr_cli_job_row(t, &r->jobs[i], now);
        }
        if (t && tr_cli_table_rows(t) > 0)
            tr_cli_table_print(t, stdout);
        printf("%lld of %lld job(s)%s\n", shown, total,
               o.q.offset + shown < total ? " (more with --offset or --limit)" : "");
        tr_cli_table_free(t);
    }
    for (size_t p = 0; p < np; p++)
        tr_cli_answer_free(&pages[p]);
    free(pages);
    tr_cli_free(c);
    return rc == TR_CLI_DONE ? TR_CLI_OK : rc;
}

static void usage_show(FILE *f)
{
    fprintf(f, "usage: truckroll job show ID [--json]\n\n"
               "Everything about one job: state and since when, WHY it waits when it is\n"
               "stuck (e.g. nobody with skill X within Y km, everyone busy, 3 declined),\n"
               "what was asked, the offer in flight, and its history (time, state, who,\n"
               "note).\n\n"
               "Example: truckroll job show j-20240514-0042\n\n");
    tr_cli_usage_common(f);
}

static void usage_cancel(FILE *f)
{
    fprintf(f, "usage: truckroll job cancel ID [--note TEXT]\n\n"
               "Cancel an open job. A contractor holding it or an offer for it is told.\n"
               "Prints the job's new state.\n\n"
               "  --note TEXT   why (up to 200 characters; kept in the history)\n\n"
               "Example: truckroll job cancel j-42 --note 'customer fixed it'\n\n");
    tr_cli_usage_common(f);
}

static void usage_reassign(FILE *f)
{
    fprintf(f, "usage: truckroll job reassign ID (--agent ID | [--radius-km KM]\n"
               "                                 [--relax-language])\n\n"
               "Act on a stuck or badly placed job: give it to a contractor by hand, or\n"
               "match it again with a wider search radius and/or without the language\n"
               "requirement. Prints the job's new state.\n\n"
               "  --agent ID         assign to this contractor (not combined with the others)\n"
               "  --radius-km KM     search up to KM kilometres, 1..1000\n"
               "  --relax-language   drop the language requirement\n\n"
               "Example: truckroll job reassign j-42 --radius-km 120\n\n");
    tr_cli_usage_common(f);
}

static const char *argv_opt_name(int opt)
{
    static const char *const names[] = { "--note", "--agent", "--radius-km", "--relax-language" };
    int i = opt - TR_CLI_OPT_OWN;
    return i >= 0 && i < 4 ? names[i] : "?";
}

static int one_job_own(struct tr_cli *c, void *ctx, int opt, const char *arg)
{
    struct tr_msg *req = ctx;
    const char *why = "";
    if ((req->type == TR_MSG_JOB_CANCEL) != (opt == TR_CLI_OPT_OWN))
        return tr_cli_usage_error(c, "option '%s' is not valid here", argv_opt_name(opt));
    if (req->type == TR_MSG_JOB_CANCEL) {
        if (strlen(arg) >= sizeof req->u.job_cancel.note)
            return tr_cli_usage_error(c, "--note is longer than 200 bytes");
        req->u.job_cancel.has_note = true;
        snprintf(req->u.job_cancel.note, sizeof req->u.job_cancel.note, "%s", arg);
        return TR_CLI_OK;
    }
    struct tr_req_job_reassign *r = &req->u.job_reassign;
    if (opt == TR_CLI_OPT_OWN + 1) {
        if (!tr_msg_valid_agent_id(arg))
            return tr_cli_usage_error(c, "'%s' is not a contractor id", arg);
        r->has_agent_id = true;
        snprintf(r->agent_id, sizeof r->agent_id, "%s", arg);
    } else if (opt == TR_CLI_OPT_OWN + 2) {
        if (tr_cli_parse_double(arg, 1, 1000, &r->radius_km, &why) != 0)
            return tr_cli_usage_error(c, "bad --radius-km '%s': %s", arg, why);
        r->has_radius_km = true;
    } else if (opt == TR_CLI_OPT_OWN + 3) {
        r->has_relax_language = r->relax_language = true;
    } else {
        return tr_cli_usage_error(c, "option not valid here");
    }
    return TR_CLI_OK;
}

/* show, cancel, reassign: one job id, one request, the job back. */
static int one_job(int argc, char **argv, enum tr_msg_type type)
{
    static const struct option longopts[] = {
        { "note", required_argument, NULL, TR_CLI_OPT_OWN },
        { "agent", required_argument, NULL, TR_CLI_OPT_OWN + 1 },
        { "radius-km", required_argument, NULL, TR_CLI_OPT_OWN + 2 },
        { "relax-language", no_argument, NULL, TR_CLI_OPT_OWN + 3 },
        TR_CLI_COMMON_LONGOPTS,
        { NULL, 0, NULL, 0 },
    };
    const char *name = type == TR_MSG_JOB_SHOW     ? "truckroll job show"
                       : type == TR_MSG_JOB_CANCEL ? "truckroll job cancel"
                                                   : "truckroll job reassign";
    void (*usage)(FILE *) = type == TR_MSG_JOB_SHOW     ? usage_show
                            : type == TR_MSG_JOB_CANCEL ? usage_cancel
                                                        : usage_reassign;
    struct tr_cli *c = tr_cli_new(name, &tr_cli_stop);
    struct tr_cli_answer ans = { 0 };
    struct tr_msg req;
    const char *id = NULL;
    int rc;
    if (!c)
        return TR_CLI_FAIL;
    tr_msg_init(&req, type);
    rc = common_setup(c, argc, argv, longopts, usage, true, &id,
                      type == TR_MSG_JOB_SHOW ? NULL : one_job_own, &req);
    if (rc == TR_CLI_OK && type == TR_MSG_JOB_REASSIGN) {
        const struct tr_req_job_reassign *r = &req.u.job_reassign;
        if (!r->has_agent_id && !r->has_radius_km && !r->has_relax_language)
            rc = tr_cli_usage_error(c, "say how: --agent, --radius-km or --relax-language");
        else if (r->has_agent_id && (r->has_radius_km || r->has_relax_language))
            rc = tr_cli_usage_error(c, "--agent assigns by hand: not with --radius-km or "
                                       "--relax-language");
    }
    if (rc == TR_CLI_OK)
        rc = tr_cli_connect(c);
    if (rc == TR_CLI_OK) {
        /* the job id goes into whichever request this is */
        char *dst = type == TR_MSG_JOB_SHOW     ? req.u.job_show.job_id
                    : type == TR_MSG_JOB_CANCEL ? req.u.job_cancel.job_id
                                                : req.u.job_reassign.job_id;
        snprintf(dst, TR_MSG_ID_SIZE, "%s", id);
        rc = tr_cli_call(c, &req, &ans);
    }
    if (rc == TR_CLI_OK && tr_cli_json(c)) {
        rc = tr_cli_print_results(c, &ans, 1, NULL);
    } else if (rc == TR_CLI_OK) {
        const struct tr_result *r = &ans.msg.u.response.result;
        if (type == TR_MSG_JOB_SHOW)
            tr_cli_show_job(&r->job, r->events, r->n_events, tr_cli_now_ms(), stdout);
        else
            tr_cli_job_line(&r->job, stdout);
    }
    tr_cli_answer_free(&ans);
    tr_cli_free(c);
    return rc == TR_CLI_DONE ? TR_CLI_OK : rc;
}

static void usage_job(FILE *f)
{
    fprintf(f, "usage: truckroll job SUBCOMMAND [OPTIONS]   (SUBCOMMAND --help for more)\n\n"
               "  create    create a job; prints its id (--wait follows it)\n"
               "  list      jobs as a table (--state, --limit, --offset)\n"
               "  show      one job: fields, why it is stuck, history\n"
               "  cancel    cancel a job\n"
               "  reassign  assign by hand, widen the radius, relax the language\n"
               "  watch     print each status change of one job or all jobs\n");
}

int tr_cli_job(int argc, char **argv)
{
    if (argc < 2) {
        usage_job(stderr);
        return TR_CLI_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
        usage_job(stdout);
        return TR_CLI_OK;
    }
    if (strcmp(sub, "create") == 0)
        return job_create(argc - 1, argv + 1);
    if (strcmp(sub, "list") == 0)
        return job_list(argc - 1, argv + 1);
    if (strcmp(sub, "show") == 0)
        return one_job(argc - 1, argv + 1, TR_MSG_JOB_SHOW);
    if (strcmp(sub, "cancel") == 0)
        return one_job(argc - 1, argv + 1, TR_MSG_JOB_CANCEL);
    if (strcmp(sub, "reassign") == 0)
        return one_job(argc - 1, argv + 1, TR_MSG_JOB_REASSIGN);
    if (strcmp(sub, "watch") == 0)
        return tr_cli_job_watch(argc - 1, argv + 1);
    fprintf(stderr, "truckroll job: unknown subcommand '%s'\n\n", sub);
    usage_job(stderr);
    return TR_CLI_USAGE;
}
