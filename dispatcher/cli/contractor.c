/*
 * dispatcher/cli/contractor.c: `truckroll contractor add|list|show|set` (and
 * the dispatch to `contractor import`, contractor_import.c): flags -> one
 * contractor.add / contractor.update / contractor.list request -> a table,
 * key/value lines or JSON.
 *
 * The contract has no request for one contractor: `show` pages through
 * contractor.list until it finds the id. Availability is the tech's own
 * switch (on the agent): nothing here sets it.
 */
#include <stdlib.h>
#include <string.h>

#include "dispatcher/cli/client.h"
#include "dispatcher/cli/commands.h"
#include "dispatcher/cli/contractor.h"
#include "dispatcher/cli/contractor_args.h"
#include "dispatcher/cli/parse.h"
#include "dispatcher/cli/show.h"

/* flag -> contractor_args key */
static const struct {
    const char *flag, *key;
} fields[] = {
    { "id", "id" },
    { "name", "name" },
    { "skill", "skills" },
    { "lang", "languages" },
    { "timezone", "timezone" },
    { "hours", "hours" },
    { "tier", "tier" },
    { "travel-mode", "travel_mode" },
    { "radius-km", "radius_km" },
    { "job-limit", "job_limit" },
    { "home", "home" },
    { "pay-hour", "pay_hour" },
    { "pay-incident", "pay_incident" },
    { "currency", "currency" },
    { "active", "active" },
};
#define N_FIELDS (sizeof fields / sizeof fields[0])

static void usage_fields(FILE *f, bool add)
{
    fprintf(f,
            "  --id ID                 contractor id = agent id = broker user name%s\n"
            "  --name TEXT             1..100 characters%s\n"
            "  --skill SKILL           skills (repeat, or a,b): lowercase a-z 0-9 -%s\n"
            "  --lang TAG              languages spoken (repeat, or es,en): BCP-47%s\n"
            "  --timezone ZONE         IANA zone of the working hours: America/Chicago%s\n"
            "  --hours TEXT            working hours in that zone, e.g. \"Mon-Fri 09:00-17:00,\n"
            "                          Sat 10:00-14:00\", \"Fri 22:00-06:00\" (overnight),\n"
            "                          daily/weekdays/weekends, always, none (default:\n"
            "                          always on shift)\n"
            "  --tier N                1 (first line, default) .. 5 (specialist)\n"
            "  --travel-mode MODE      car (default), motorcycle, bicycle, foot\n"
            "  --radius-km KM          service radius, 1..500 (default 50)\n"
            "  --job-limit N           jobs at once, 1..20 (default 1)\n"
            "  --home LAT,LON          home base\n"
            "  --pay-hour AMOUNT       pay per hour, e.g. 45.00\n"
            "  --pay-incident AMOUNT   pay per incident, e.g. 80\n"
            "  --currency CODE         ISO 4217 (default console.currency, USD)\n"
            "  --active BOOL           false retires the contractor (never matched)\n",
            add ? " (required)" : "", add ? " (required)" : "", add ? " (required)" : "",
            add ? " (required)" : "", add ? " (required)" : "");
}

static void usage_add(FILE *f)
{
    fprintf(f, "usage: truckroll contractor add --id ID --name NAME --skill SKILL --lang TAG\n"
               "                                --timezone ZONE [options]\n\n"
               "Add a contractor to the directory. Prints the record as stored.\n"
               "Their availability is their own switch on the field agent.\n\n");
    usage_fields(f, true);
    fprintf(f, "\nExample:\n"
               "  truckroll contractor add --id tx-austin-017 --name 'Ana Ruiz' \\\n"
               "      --skill network,printer --lang es,en --timezone America/Chicago \\\n"
               "      --hours 'Mon-Fri 09:00-17:00, Sat 10:00-14:00' --home 30.27,-97.74 \\\n"
               "      --pay-hour 45.00 --pay-incident 80 --currency USD\n\n");
    tr_cli_usage_common(f);
}

static void usage_set(FILE *f)
{
    fprintf(f, "usage: truckroll contractor set ID [options]\n\n"
               "Change fields of a contractor; the others stay. A list flag (--skill,\n"
               "--lang) or --hours replaces the whole list; the pay flags replace the pay.\n"
               "Availability is the tech's own switch on the field agent, not set here.\n\n");
    usage_fields(f, false);
    fprintf(f, "\nExamples:\n"
               "  truckroll contractor set tx-austin-017 --radius-km 80 --job-limit 2\n"
               "  truckroll contractor set tx-austin-017 --active false\n\n");
    tr_cli_usage_common(f);
}

/* add (add = true) or set. */
static int add_or_set(int argc, char **argv, bool add)
{
    struct option longopts[N_FIELDS + 10];
    struct tr_cli *c =
        tr_cli_new(add ? "truckroll contractor add" : "truckroll contractor set", &tr_cli_stop);
    struct tr_contractor_args a;
    struct tr_cli_answer ans = { 0 };
    struct tr_msg req;
    const char *why = "";
    int rc, opt;
    size_t k = 0;
    const struct option common[] = { TR_CLI_COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };
    if (!c)
        return TR_CLI_FAIL;
    for (size_t i = 0; i < N_FIELDS; i++)
        if (add || strcmp(fields[i].flag, "id") != 0)
            longopts[k++] =
                (struct option){ fields[i].flag, required_argument, NULL, TR_CLI_OPT_OWN + (int)i };
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        longopts[k++] = common[i];
    tr_contractor_args_init(&a);
    rc = tr_cli_args(c, &argc, argv);
    tr_cli_getopt_reset();
    while (rc == TR_CLI_OK &&
           (opt = getopt_long(argc, argv, TR_CLI_SHORTOPTS, longopts, NULL)) != -1) {
        int i = opt - TR_CLI_OPT_OWN;
        if (opt == 'h') {
            (add ? usage_add : usage_set)(stdout);
            rc = TR_CLI_DONE;
        } else if (i >= 0 && i < (int)N_FIELDS) {
            if (tr_contractor_args_set(&a, fields[i].key, optarg, &why) != 0)
                rc = tr_cli_usage_error(c, "bad --%s '%s': %s", fields[i].flag, optarg, why);
        } else {
            rc = tr_cli_option(c, opt, optarg, argv);
        }
    }
    if (rc == TR_CLI_OK && !add) {
        if (optind >= argc)
            rc = tr_cli_usage_error(c, "which contractor? give its ID");
        else if (tr_contractor_args_set(&a, "id", argv[optind], &why) != 0)
            rc = tr_cli_usage_error(c, "bad ID '%s': %s", argv[optind], why);
        optind++;
    }
    if (rc == TR_CLI_OK && optind < argc)
        rc = tr_cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    if (rc == TR_CLI_OK)
        rc = tr_cli_configure(c);
    if (rc == TR_CLI_OK &&
        tr_contractor_args_finish(&a, add, tr_cli_settings(c)->currency, &why) != 0)
        rc = tr_cli_usage_error(c, "%s", why);
    if (rc == TR_CLI_OK)
        rc = tr_cli_connect(c);
    if (rc == TR_CLI_OK) {
        tr_contractor_args_request(&a, add, &req);
        rc = tr_cli_call(c, &req, &ans);
    }
    if (rc == TR_CLI_OK && tr_cli_json(c))
        rc = tr_cli_print_results(c, &ans, 1, NULL);
    else if (rc == TR_CLI_OK) {
        const struct tr_result *res = &ans.msg.u.response.result;
        if (add && res->has_unchanged && res->unchanged)
            fprintf(stderr, "%s: contractor %s already exists with this record: unchanged\n",
                    tr_cli_prog(c), res->contractor.c.contractor_id);
        tr_cli_show_contractor(&res->contractor, tr_cli_now_ms(), stdout);
    }
    tr_cli_answer_free(&ans);
    tr_cli_free(c);
    return rc == TR_CLI_DONE ? TR_CLI_OK : rc;
}

static void usage_list(FILE *f)
{
    fprintf(f, "usage: truckroll contractor list [--skill SKILL] [--available] [--limit N]\n"
               "                                 [--offset N] [--json]\n\n"
               "List the directory with the live picture: ID, NAME, SKILLS, LANGS, TIER,\n"
               "TRAVEL mode, service RADIUS, ONLINE, AVAIL(able now), active JOBS and when\n"
               "last SEEN. Pages are fetched until N are shown.\n\n"
               "  --skill SKILL   only contractors with this skill\n"
               "  --available     only those available now (online, on shift, fresh fix,\n"
               "                  their switch on, under their job limit)\n"
               "  --limit N       at most N (default 50, up to 1000000)\n"
               "  --offset N      skip the first N\n\n"
               "Example: truckroll contractor list --skill network --available\n\n");
    tr_cli_usage_common(f);
}

static void usage_show(FILE *f)
{
    fprintf(f, "usage: truckroll contractor show ID [--json]\n\n"
               "One contractor: the directory record (skills, languages, hours, pay, ...)\n"
               "and the live picture (online, available, position, last seen, active jobs).\n"
               "With --json: {\"contractor\": {...}}.\n\n"
               "Example: truckroll contractor show tx-austin-017\n\n");
    tr_cli_usage_common(f);
}

static int list_or_show(int argc, char **argv, bool show)
{
    static const struct option longopts[] = {
        { "skill", required_argument, NULL, TR_CLI_OPT_OWN },
        { "available", no_argument, NULL, TR_CLI_OPT_OWN + 1 },
        { "limit", required_argument, NULL, TR_CLI_OPT_OWN + 2 },
        { "offset", required_argument, NULL, TR_CLI_OPT_OWN + 3 },
        TR_CLI_COMMON_LONGOPTS,
        { NULL, 0, NULL, 0 },
    };
    struct tr_cli *c =
        tr_cli_new(show ? "truckroll contractor show" : "truckroll contractor list", &tr_cli_stop);
    struct tr_contractor_query q = { .limit = show ? 0 : 50 };
    const char *why = "";
    long long v;
    int rc, opt;
    if (!c)
        return TR_CLI_FAIL;
    rc = tr_cli_args(c, &argc, argv);
    tr_cli_getopt_reset();
    while (rc == TR_CLI_OK &&
           (opt = getopt_long(argc, argv, TR_CLI_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') {
            (show ? usage_show : usage_list)(stdout);
            rc = TR_CLI_DONE;
        } else if (opt >= TR_CLI_OPT_OWN && show) {
            rc = tr_cli_usage_error(c, "option '%s' is for contractor list", argv[optind - 1]);
        } else if (opt == TR_CLI_OPT_OWN) {
            if (!tr_msg_valid_skill(optarg))
                rc = tr_cli_usage_error(c, "bad --skill '%s'", optarg);
            q.r.has_skill = true;
            snprintf(q.r.skill, sizeof q.r.skill, "%s", optarg);
        } else if (opt == TR_CLI_OPT_OWN + 1) {
            q.r.has_available = q.r.available = true;
        } else if (opt == TR_CLI_OPT_OWN + 2) {
            if (tr_cli_parse_int(optarg, 1, 1000000, &q.limit, &why) != 0)
                rc = tr_cli_usage_error(c, "bad --limit '%s': %s", optarg, why);
        } else if (opt == TR_CLI_OPT_OWN + 3) {
            if (tr_cli_parse_int(optarg, 0, 1000000, &v, &why) != 0)
                rc = tr_cli_usage_error(c, "bad --offset '%s': %s", optarg, why);
            q.r.offset = (int)v;
        } else {
            rc = tr_cli_option(c, opt, optarg, argv);
        }
    }
    if (rc == TR_CLI_OK && show) {
        if (optind >= argc)
            rc = tr_cli_usage_error(c, "which contractor? give its ID");
        else if (!tr_msg_valid_agent_id(argv[optind]))
            rc = tr_cli_usage_error(c, "'%s' is not a contractor id", argv[optind]);
        else
            q.find = argv[optind];
        optind++;
    }
    if (rc == TR_CLI_OK && optind < argc)
        rc = tr_cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    if (rc == TR_CLI_OK)
        rc = tr_cli_configure(c);
    if (rc == TR_CLI_OK)
        rc = tr_cli_connect(c);
    if (rc == TR_CLI_OK)
        rc = tr_cli_contractor_query(c, &q);
    if (rc == TR_CLI_OK && show) {
        if (!q.found) {
            fprintf(stderr, "%s: no contractor '%s' in the directory\n", tr_cli_prog(c), q.find);
            rc = TR_CLI_FAIL;
        } else if (tr_cli_json(c)) {
            rc = tr_cli_print_item(c, q.found_page, "contractors", q.found_index, "contractor");
        } else {
            tr_cli_show_contractor(q.found, tr_cli_now_ms(), stdout);
        }
    } else if (rc == TR_CLI_OK && tr_cli_json(c)) {
        rc = tr_cli_print_results(c, q.pages, q.n_pages, "contractors");
    } else if (rc == TR_CLI_OK) {
        struct tr_cli_table *t = tr_cli_contractor_table();
        int64_t now = tr_cli_now_ms();
        for (size_t p = 0; t && p < q.n_pages; p++) {
            const struct tr_result *r = &q.pages[p].msg.u.response.result;
            for (size_t i = 0; i < r->n_contractors; i++)
                tr_cli_contractor_row(t, &r->contractors[i], now);
        }
        if (t && tr_cli_table_rows(t) > 0)
            tr_cli_table_print(t, stdout);
        printf("%lld of %lld contractor(s)%s\n", q.shown, q.total,
               q.r.offset + q.shown < q.total ? " (more with --offset or --limit)" : "");
        tr_cli_table_free(t);
    }
    tr_cli_contractor_query_free(&q);
    tr_cli_free(c);
    return rc == TR_CLI_DONE ? TR_CLI_OK : rc;
}

int tr_cli_contractor_query(struct tr_cli *c, struct tr_contractor_query *q)
{
    int rc = TR_CLI_OK;
    q->pages = calloc(TR_CLI_MAX_PAGES, sizeof *q->pages);
    if (!q->pages)
        return TR_CLI_FAIL;
    while ((q->limit == 0 || q->shown < q->limit) && q->n_pages < TR_CLI_MAX_PAGES) {
        struct tr_msg req;
        long long want = q->limit == 0 ? 1000 : q->limit - q->shown;
        tr_msg_init(&req, TR_MSG_CONTRACTOR_LIST);
        req.u.contractor_list = q->r;
        req.u.contractor_list.has_limit = req.u.contractor_list.has_offset = true;
        req.u.contractor_list.limit = (int)(want > 1000 ? 1000 : want);
        req.u.contractor_list.offset = (int)(q->r.offset + q->shown);
        rc = tr_cli_call(c, &req, &q->pages[q->n_pages]);
        if (rc != TR_CLI_OK)
            break;
        struct tr_cli_answer *page = &q->pages[q->n_pages++];
        const struct tr_result *r = &page->msg.u.response.result;
        for (size_t i = 0; q->find && i < r->n_contractors; i++) {
            if (strcmp(r->contractors[i].c.contractor_id, q->find) == 0) {
                q->found = &r->contractors[i];
                q->found_page = page;
                q->found_index = i;
                return TR_CLI_OK;
            }
        }
        q->shown += (long long)r->n_contractors;
        q->total = r->total;
        if (r->n_contractors == 0 || q->r.offset + q->shown >= q->total)
            break;
        if (q->r.offset + q->shown > 1000000)
            break; /* the contract's offset limit */
    }
    return rc;
}

void tr_cli_contractor_query_free(struct tr_contractor_query *q)
{
    for (size_t p = 0; q->pages && p < q->n_pages; p++)
        tr_cli_answer_free(&q->pages[p]);
    free(q->pages);
    q->pages = NULL;
    q->n_pages = 0;
}

static void usage_contractor(FILE *f)
{
    fprintf(f, "usage: truckroll contractor SUBCOMMAND [OPTIONS]   (SUBCOMMAND --help for more)\n\n"
               "  add      add a contractor to the directory\n"
               "  import   add many from a CSV file (--dry-run checks only)\n"
               "  list     the directory with the live picture (--skill, --available)\n"
               "  show     one contractor\n"
               "  set      change fields of a contractor (radius, hours, skills, retire)\n");
}

int tr_cli_contractor(int argc, char **argv)
{
    if (argc < 2) {
        usage_contractor(stderr);
        return TR_CLI_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
        usage_contractor(stdout);
        return TR_CLI_OK;
    }
    if (strcmp(sub, "add") == 0)
        return add_or_set(argc - 1, argv + 1, true);
    if (strcmp(sub, "set") == 0)
        return add_or_set(argc - 1, argv + 1, false);
    if (strcmp(sub, "list") == 0)
        return list_or_show(argc - 1, argv + 1, false);
    if (strcmp(sub, "show") == 0)
        return list_or_show(argc - 1, argv + 1, true);
    if (strcmp(sub, "import") == 0)
        return tr_cli_contractor_import(argc - 1, argv + 1);
    fprintf(stderr, "truckroll contractor: unknown subcommand '%s'\n\n", sub);
    usage_contractor(stderr);
    return TR_CLI_USAGE;
}
