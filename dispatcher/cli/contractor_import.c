/*
 * dispatcher/cli/contractor_import.c: `truckroll contractor import FILE.csv`:
 * one contractor.add per CSV row, a few in flight at once, progress on
 * stderr, and a summary: rows imported, and each row skipped with its line
 * and reason. --dry-run checks every row against the contract without
 * connecting; --update turns an "already exists" answer into a
 * contractor.update of the same fields.
 *
 * It does not stop at a bad row (it is skipped and reported) and does not
 * delete contractors missing from the file.
 */
#include <cjson/cJSON.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/csv.h"
#include "dispatcher/cli/commands.h"
#include "dispatcher/cli/contractor.h"
#include "dispatcher/cli/contractor_args.h"
#include "dispatcher/cli/parse.h"

#define MAX_FILE   (64u << 20)
#define MAX_COLS   32
#define WINDOW     16
#define REASON_LEN 240

struct skip {
    long line;
    char id[TR_MSG_ID_SIZE];
    char reason[REASON_LEN];
};

struct pending {
    bool used, updating;
    char req_id[TR_MSG_ID_SIZE];
    long line;
    struct tr_contractor_args args;
};

struct import {
    struct tr_cli *c;
    bool dry_run, update;
    long long progress_every;
    char *cols[MAX_COLS];
    size_t ncols;
    long long rows, total_rows, imported, unchanged, updated;
    struct skip *skips;
    size_t n_skips, cap_skips;
    struct pending pend[WINDOW];
    size_t n_pending;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: truckroll contractor import FILE.csv [--dry-run] [--update]\n"
            "                                   [--progress N] [--json]\n\n"
            "Add the contractors of a CSV file (RFC 4180: comma separated, \"quoted\" cells may\n"
            "hold commas, \"\" and line breaks; UTF-8; '-' reads standard input). The first\n"
            "row names the columns, in any order (case and '-' vs '_' do not matter):\n\n"
            "  id            contractor id (required; also contractor_id)\n"
            "  name          (required)\n"
            "  skills        (required) e.g. \"network;printer\" (';', ',' or blanks)\n"
            "  languages     (required) e.g. \"es;en\"\n"
            "  timezone      (required) IANA zone, e.g. America/Chicago\n"
            "  hours         e.g. \"Mon-Fri 09:00-17:00; Sat 10:00-14:00\" (see\n"
            "                'truckroll contractor add --help'); empty: always on shift\n"
            "  tier, travel_mode, radius_km, job_limit, active (true/false)\n"
            "  home_lat, home_lon   (or home as \"LAT,LON\")\n"
            "  pay_hour, pay_incident, currency   e.g. 45.00, 80, USD\n\n"
            "An empty cell leaves the field out (the dispatcher's default). A row that\n"
            "breaks a rule is skipped and reported with its line; the others go on.\n\n"
            "  --dry-run      check every row, send nothing (no broker needed)\n"
            "  --update       a contractor that already exists is updated with the row\n"
            "  --progress N   a progress line on stderr every N rows (default 500, 0: none)\n"
            "  --json         the summary as JSON: {\"rows\", \"imported\", \"unchanged\",\n"
            "                 \"updated\", \"skipped\": [{\"line\", \"id\", \"reason\"}],\n"
            "                 \"dry_run\"}\n\n"
            "A row whose contractor already exists with exactly that record counts as\n"
            "unchanged (running the same import twice is harmless); one that exists with\n"
            "another record is skipped as a conflict, or updated with --update.\n\n"
            "Exit status 0 when every row was imported, unchanged or updated (or is valid,\n"
            "with --dry-run), 1 when some were skipped or the file is unreadable, 2 usage,\n"
            "3 no answer.\n\n"
            "Example file:\n"
            "  id,name,skills,languages,timezone,hours,home_lat,home_lon,pay_hour,currency\n"
            "  tx-austin-017,Ana Ruiz,network;printer,es;en,America/Chicago,\"Mon-Fri\n"
            "  09:00-17:00, Sat 10:00-14:00\",30.27,-97.74,45.00,USD\n\n"
            "Example: truckroll contractor import techs.csv --dry-run && \\\n"
            "         truckroll contractor import techs.csv\n\n");
    tr_cli_usage_common(f);
}

static char *trim(char *s)
{
    size_t n;
    s += strspn(s, " \t");
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

static void add_skip(struct import *im, long line, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_skip(struct import *im, long line, const char *id, const char *fmt, ...)
{
    va_list ap;
    if (im->n_skips == im->cap_skips) {
        size_t ncap = im->cap_skips ? im->cap_skips * 2 : 64;
        struct skip *ns = realloc(im->skips, ncap * sizeof *ns);
        if (!ns)
            return;
        im->skips = ns;
        im->cap_skips = ncap;
    }
    struct skip *s = &im->skips[im->n_skips++];
    s->line = line;
    snprintf(s->id, sizeof s->id, "%s", id ? id : "");
    va_start(ap, fmt);
    vsnprintf(s->reason, sizeof s->reason, fmt, ap);
    va_end(ap);
}

/* Header row -> canonical column keys. 0 or -1 (printed). */
static int header(struct import *im, char **f, size_t n)
{
    static const char *const required[] = { "id", "name", "skills", "languages", "timezone" };
    im->ncols = n;
    for (size_t i = 0; i < n; i++) {
        char *k = trim(f[i]);
        for (char *p = k; *p; p++)
            *p = *p == '-' ? '_' : (char)tolower((unsigned char)*p);
        if (strcmp(k, "contractor_id") == 0)
            k = "id";
        else if (strcmp(k, "skill") == 0)
            k = "skills";
        else if (strcmp(k, "language") == 0 || strcmp(k, "lang") == 0)
            k = "languages";
        if (!tr_contractor_args_known(k)) {
            fprintf(stderr, "%s: unknown column '%s' (see --help)\n", tr_cli_prog(im->c), k);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(im->cols[j], k) == 0) {
                fprintf(stderr, "%s: column '%s' twice\n", tr_cli_prog(im->c), k);
                return -1;
            }
        im->cols[i] = k;
    }
    for (size_t r = 0; r < sizeof required / sizeof required[0]; r++) {
        bool have = false;
        for (size_t i = 0; i < n; i++)
            have = have || strcmp(im->cols[i], required[r]) == 0;
        if (!have) {
            fprintf(stderr, "%s: the header has no '%s' column\n", tr_cli_prog(im->c), required[r]);
            return -1;
        }
    }
    return 0;
}

/* One data row -> args. 0, or -1 (skipped, reason recorded). */
static int row_args(struct import *im, char **f, size_t n, long line, struct tr_contractor_args *a)
{
    const char *why = "";
    tr_contractor_args_init(a);
    if (n != im->ncols) {
        add_skip(im, line, NULL, "%zu cells, the header has %zu", n, im->ncols);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char *v = trim(f[i]);
        if (v[0] && tr_contractor_args_set(a, im->cols[i], v, &why) != 0) {
            add_skip(im, line, a->has_id ? a->u.c.contractor_id : NULL, "%s: %s", im->cols[i], why);
            return -1;
        }
    }
    if (tr_contractor_args_finish(a, true, tr_cli_settings(im->c)->currency, &why) != 0) {
        add_skip(im, line, a->has_id ? a->u.c.contractor_id : NULL, "%s", why);
        return -1;
    }
    struct tr_msg req;
    struct tr_msg_error err;
    tr_contractor_args_request(a, true, &req);
    snprintf(req.id, sizeof req.id, "check");
    req.ts = 946684800000;
    if (tr_msg_validate(&req, &err) != TR_MSG_OK) {
        const char *field = strncmp(err.field, "args.", 5) == 0 ? err.field + 5 : err.field;
        add_skip(im, line, a->u.c.contractor_id, "%s: %s", field, err.reason);
        return -1;
    }
    return 0;
}

static void progress(struct import *im, bool last)
{
    if (im->progress_every <= 0 || (!last && im->rows % im->progress_every != 0))
        return;
    fprintf(stderr, "%s: %lld/%lld rows, %lld %s, %zu skipped%s\n", tr_cli_prog(im->c), im->rows,
            im->total_rows, im->imported + im->unchanged + im->updated,
            im->dry_run ? "valid" : "imported", im->n_skips, last ? " (done)" : "");
}

/* Send a row's request (add, or update after a conflict) into slot p. */
static int send_row(struct import *im, struct pending *p)
{
    struct tr_msg req;
    tr_contractor_args_request(&p->args, !p->updating, &req);
    int rc = tr_cli_send(im->c, &req);
    if (rc != TR_CLI_OK)
        return rc;
    snprintf(p->req_id, sizeof p->req_id, "%s", req.id);
    p->used = true;
    im->n_pending++;
    return TR_CLI_OK;
}

/* Wait for one answer and settle its row. TR_CLI_OK or an exit code. */
static int settle_one(struct import *im)
{
    struct tr_cli_answer ans;
    int rc = tr_cli_recv(im->c, tr_cli_deadline(im->c, -1), &ans);
    if (rc != TR_CLI_OK)
        return rc;
    const char *corr =
        ans.msg.type == TR_MSG_RESPONSE ? ans.msg.u.response.corr : ans.msg.u.error.corr;
    for (size_t i = 0; i < WINDOW; i++) {
        struct pending *p = &im->pend[i];
        if (!p->used || strcmp(p->req_id, corr) != 0)
            continue;
        p->used = false;
        im->n_pending--;
        if (ans.msg.type == TR_MSG_RESPONSE) {
            const struct tr_result *res = &ans.msg.u.response.result;
            if (p->updating)
                im->updated++;
            else if (res->has_unchanged && res->unchanged)
                im->unchanged++;
            else
                im->imported++;
        } else if (ans.msg.u.error.code == TR_WIRE_CONFLICT && im->update && !p->updating) {
            p->updating = true;
            rc = send_row(im, p);
        } else {
            const struct tr_error_msg *e = &ans.msg.u.error;
            add_skip(im, p->line, p->args.u.c.contractor_id, "%s: %s",
                     tr_msg_wire_code_name(e->code), e->message);
        }
        break;
    }
    tr_cli_answer_free(&ans);
    return rc;
}

static int run(struct import *im, char *buf, size_t len)
{
    struct tr_csv r;
    char *f[MAX_COLS];
    size_t n;
    long line;
    int k, rc = TR_CLI_OK;
    bool have_header = false;
    tr_csv_init(&r, buf, len);
    while ((k = tr_csv_next(&r, f, MAX_COLS, &n, &line)) != TR_CSV_END) {
        if (!have_header) {
            if (k != TR_CSV_OK || header(im, f, n) != 0) {
                if (k != TR_CSV_OK)
                    fprintf(stderr, "%s: line %ld: %s\n", tr_cli_prog(im->c), line,
                            tr_csv_strerror(k));
                return TR_CLI_FAIL;
            }
            have_header = true;
            continue;
        }
        im->rows++;
        struct tr_contractor_args a;
        if (k != TR_CSV_OK) {
            add_skip(im, line, NULL, "%s", tr_csv_strerror(k));
        } else if (row_args(im, f, n, line, &a) != 0) {
            /* skipped; the reason is recorded */
        } else if (im->dry_run) {
            im->imported++;
        } else {
            while (im->n_pending == WINDOW && rc == TR_CLI_OK)
                rc = settle_one(im);
            for (size_t i = 0; rc == TR_CLI_OK && i < WINDOW; i++) {
                if (im->pend[i].used)
                    continue;
                im->pend[i].args = a;
                im->pend[i].line = line;
                im->pend[i].updating = false;
                rc = send_row(im, &im->pend[i]);
                break;
            }
        }
        if (rc != TR_CLI_OK)
            return rc;
        progress(im, false);
    }
    if (!have_header) {
        fprintf(stderr, "%s: the file is empty (no header row)\n", tr_cli_prog(im->c));
        return TR_CLI_FAIL;
    }
    while (im->n_pending > 0 && rc == TR_CLI_OK)
        rc = settle_one(im);
    return rc;
}

static void summary(const struct import *im)
{
    if (tr_cli_json(im->c)) {
        cJSON *o = cJSON_CreateObject(), *sk = cJSON_AddArrayToObject(o, "skipped");
        cJSON_AddNumberToObject(o, "rows", (double)im->rows);
        cJSON_AddNumberToObject(o, "imported", (double)im->imported);
        cJSON_AddNumberToObject(o, "unchanged", (double)im->unchanged);
        cJSON_AddNumberToObject(o, "updated", (double)im->updated);
        cJSON_AddBoolToObject(o, "dry_run", im->dry_run);
        for (size_t i = 0; i < im->n_skips; i++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "line", (double)im->skips[i].line);
            cJSON_AddStringToObject(e, "id", im->skips[i].id);
            cJSON_AddStringToObject(e, "reason", im->skips[i].reason);
            cJSON_AddItemToArray(sk, e);
        }
        tr_cli_print_json(o);
        return;
    }
    if (im->dry_run)
        printf("%lld row(s): %lld valid, %zu with errors (dry run: nothing sent)\n", im->rows,
               im->imported, im->n_skips);
    else
        printf("%lld row(s): %lld imported, %lld unchanged, %lld updated, %zu skipped\n", im->rows,
               im->imported, im->unchanged, im->updated, im->n_skips);
    for (size_t i = 0; i < im->n_skips; i++)
        printf("  line %ld%s%s%s: %s\n", im->skips[i].line, im->skips[i].id[0] ? " (" : "",
               im->skips[i].id, im->skips[i].id[0] ? ")" : "", im->skips[i].reason);
}

/* Records in the file (for the progress total): a pass over a copy. */
static long long count_rows(const char *buf, size_t len)
{
    char *copy = malloc(len + 1), *f[MAX_COLS];
    struct tr_csv r;
    long long n = 0;
    size_t nf;
    long line;
    if (!copy)
        return 0;
    memcpy(copy, buf, len + 1);
    tr_csv_init(&r, copy, len);
    while (tr_csv_next(&r, f, MAX_COLS, &nf, &line) != TR_CSV_END)
        n++;
    free(copy);
    return n > 0 ? n - 1 : 0;
}

int tr_cli_contractor_import(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "dry-run", no_argument, NULL, TR_CLI_OPT_OWN },
        { "update", no_argument, NULL, TR_CLI_OPT_OWN + 1 },
        { "progress", required_argument, NULL, TR_CLI_OPT_OWN + 2 },
        TR_CLI_COMMON_LONGOPTS,
        { NULL, 0, NULL, 0 },
    };
    struct import im = { .progress_every = 500 };
    const char *path = NULL, *why = "";
    char *buf = NULL;
    size_t len = 0;
    int rc, opt, k;
    im.c = tr_cli_new("truckroll contractor import", &tr_cli_stop);
    if (!im.c)
        return TR_CLI_FAIL;
    rc = tr_cli_args(im.c, &argc, argv);
    tr_cli_getopt_reset();
    while (rc == TR_CLI_OK &&
           (opt = getopt_long(argc, argv, TR_CLI_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            rc = TR_CLI_DONE;
        } else if (opt == TR_CLI_OPT_OWN) {
            im.dry_run = true;
        } else if (opt == TR_CLI_OPT_OWN + 1) {
            im.update = true;
        } else if (opt == TR_CLI_OPT_OWN + 2) {
            if (tr_cli_parse_int(optarg, 0, 1000000000, &im.progress_every, &why) != 0)
                rc = tr_cli_usage_error(im.c, "bad --progress '%s': %s", optarg, why);
        } else {
            rc = tr_cli_option(im.c, opt, optarg, argv);
        }
    }
    if (rc == TR_CLI_OK && optind >= argc)
        rc = tr_cli_usage_error(im.c, "which file? give FILE.csv (or - for stdin)");
    if (rc == TR_CLI_OK && (path = argv[optind++]) && optind < argc)
        rc = tr_cli_usage_error(im.c, "unexpected argument '%s'", argv[optind]);
    if (rc == TR_CLI_OK)
        rc = tr_cli_configure(im.c);
    if (rc == TR_CLI_OK && (k = tr_csv_read_file(path, MAX_FILE, &buf, &len)) != TR_CSV_OK) {
        fprintf(stderr, "%s: %s: %s\n", tr_cli_prog(im.c), path,
                k == TR_CSV_ERR_IO ? strerror(errno) : tr_csv_strerror(k));
        rc = TR_CLI_FAIL;
    }
    if (rc == TR_CLI_OK && !im.dry_run)
        rc = tr_cli_connect(im.c);
    if (rc == TR_CLI_OK) {
        im.total_rows = count_rows(buf, len);
        rc = run(&im, buf, len);
        if (rc == TR_CLI_OK || rc == TR_CLI_UNREACHABLE || rc == TR_CLI_INTERRUPTED) {
            if (rc != TR_CLI_OK)
                fprintf(stderr, "%s: stopped: %zu request(s) unanswered%s\n", tr_cli_prog(im.c),
                        im.n_pending, rc == TR_CLI_UNREACHABLE ? " within the timeout" : "");
            progress(&im, true);
            summary(&im);
        }
        if (rc == TR_CLI_OK && im.n_skips > 0)
            rc = TR_CLI_FAIL;
    }
    free(buf);
    free(im.skips);
    tr_cli_free(im.c);
    return rc == TR_CLI_DONE ? TR_CLI_OK : rc;
}
