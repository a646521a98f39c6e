/*
 * dispatcher/cli/directory.c: `truckroll directory` (who is where: contractors
 * by country, US state, county, skill, language, availability; sorted by
 * distance from a point when one is given) and `truckroll coverage`
 * (qualified contractors per county or country, how many are on shift now,
 * the regions with nobody, the UTC hours nobody covers). One request each
 * (directory.query, coverage.query); output as a table, --json (the answer's
 * result) or, for the directory, --csv.
 *
 * It does not resolve names itself: the dispatcher does (and answers an
 * ambiguous county name with the choices). The directory never shows a
 * contractor's position, only the region.
 */
#include <stdlib.h>
#include <string.h>

#include "dispatcher/cli/client.h"
#include "dispatcher/cli/commands.h"
#include "dispatcher/cli/parse.h"
#include "dispatcher/cli/table.h"

#define COVERAGE_MAX_GAPS 300 /* truckrolld lists at most this many gaps */

enum {
    OPT_COUNTRY = TR_CLI_OPT_OWN,
    OPT_STATE,
    OPT_COUNTY,
    OPT_SKILL,
    OPT_LANG,
    OPT_AVAILABLE,
    OPT_NEAR,
    OPT_LIMIT,
    OPT_CSV,
};

static const struct option longopts[] = {
    { "country", required_argument, NULL, OPT_COUNTRY },
    { "state", required_argument, NULL, OPT_STATE },
    { "county", required_argument, NULL, OPT_COUNTY },
    { "skill", required_argument, NULL, OPT_SKILL },
    { "lang", required_argument, NULL, OPT_LANG },
    { "language", required_argument, NULL, OPT_LANG },
    { "available", no_argument, NULL, OPT_AVAILABLE },
    { "near", required_argument, NULL, OPT_NEAR },
    { "limit", required_argument, NULL, OPT_LIMIT },
    { "csv", no_argument, NULL, OPT_CSV },
    TR_CLI_COMMON_LONGOPTS,
    { NULL, 0, NULL, 0 },
};

static void usage_directory(FILE *f)
{
    fprintf(f, "usage: truckroll directory [--country CC] [--state ST] [--county NAME|FIPS]\n"
               "                           [--skill SKILL] [--lang LANG] [--available]\n"
               "                           [--near LAT,LON] [--limit N] [--json | --csv]\n\n"
               "Who is where: active contractors in a region, placed by their live position\n"
               "(else their home); shown by county, never by position. Sorted by distance\n"
               "from --near when given (contractors with no known place are then left out),\n"
               "else by id.\n\n"
               "  --country CC      ISO 3166-1 alpha-2 code (US, ES, ...)\n"
               "  --state ST        US state: postal code (TX) or FIPS (48)\n"
               "  --county C        US county: name (case-insensitive; \"Travis\", \"Cook, IL\")\n"
               "                    or 5-digit FIPS (48453); an ambiguous name is answered with\n"
               "                    the choices (add --state)\n"
               "  --skill SKILL     only contractors with this skill\n"
               "  --lang LANG       only those speaking LANG (\"es\" matches es-MX)\n"
               "  --available       only those available now\n"
               "  --near LAT,LON    sort by distance from this point (DIST km column)\n"
               "  --limit N         at most N contractors (1..1000, default 50)\n"
               "  --json            the answer's result as JSON\n"
               "  --csv             CSV with a header line\n\n"
               "Example: truckroll directory --country US --state TX --county Travis \\\n"
               "           --skill hdd-install --lang es --available\n\n");
    tr_cli_usage_common(f);
}

static void usage_coverage(FILE *f)
{
    fprintf(f,
            "usage: truckroll coverage [--country CC] [--state ST] [--skill SKILL]\n"
            "                          [--lang LANG] [--json]\n\n"
            "How many qualified (active, with the skill and language) contractors each\n"
            "region has, counted where they are based (home, else live position), how many\n"
            "are on shift now, the regions with nobody (the gaps to recruit for; at most\n"
            "%d listed), and the hours of today (UTC) when no qualified contractor is on\n"
            "shift. Regions are the counties of --state, the counties of a country that\n"
            "has them (--country US), else the country; without either, every country.\n\n"
            "  --country CC      ISO 3166-1 alpha-2 code\n"
            "  --state ST        US state postal code (TX)\n"
            "  --skill SKILL     qualified: has this skill\n"
            "  --lang LANG       qualified: speaks LANG\n"
            "  --json            the answer's result as JSON\n\n"
            "Example: truckroll coverage --country US --state TX --skill hdd-install\n\n",
            COVERAGE_MAX_GAPS);
    tr_cli_usage_common(f);
}

/* "Travis, TX" / "Madrid (ES)" / "ES". */
static void region_text(const struct tr_region *g, char *buf, size_t cap)
{
    if (g->has_county)
        snprintf(buf, cap, "%s%s%s", g->county, g->has_state ? ", " : "",
                 g->has_state ? g->state : "");
    else if (g->has_state)
        snprintf(buf, cap, "%s%s%s", g->state, g->has_country ? ", " : "",
                 g->has_country ? g->country : "");
    else
        snprintf(buf, cap, "%s", g->has_country ? g->country : "");
}

static void csv_field(const char *s, bool last, FILE *out)
{
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', out);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', out);
            fputc(*s, out);
        }
        fputc('"', out);
    } else {
        fputs(s, out);
    }
    fputc(last ? '\n' : ',', out);
}

static void join(char *buf, size_t cap, const char *items, size_t stride, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++) {
        int k = snprintf(buf + used, cap - used, "%s%s", i ? "," : "", items + i * stride);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

static void print_directory(const struct tr_result *x, bool near, bool csv, FILE *out)
{
    static const char *const hdr[] = { "ID",     "NAME",  "REGION", "COUNTY_FIPS", "COUNTRY",
                                       "SKILLS", "LANGS", "AVAIL",  "DIST_KM" };
    size_t ncol = near ? 9 : 8;
    struct tr_cli_table *t = csv ? NULL : tr_cli_table_new(ncol, hdr);
    if (!csv && !t)
        return;
    if (t) {
        tr_cli_table_set_max(t, 1, 24);
        tr_cli_table_set_max(t, 5, 32);
        tr_cli_table_align_right(t, 8);
    } else {
        fputs(near ? "contractor_id,name,region,county_fips,country,skills,languages,available,"
                     "distance_km\n"
                   : "contractor_id,name,region,county_fips,country,skills,languages,available\n",
              out);
    }
    for (size_t i = 0; i < x->n_contractors; i++) {
        const struct tr_contractor_view *v = &x->contractors[i];
        char reg[160], skills[600], langs[300], dist[32];
        region_text(&v->region, reg, sizeof reg);
        if (!v->has_region)
            reg[0] = '\0';
        join(skills, sizeof skills, v->c.skills[0], sizeof v->c.skills[0], v->c.n_skills);
        join(langs, sizeof langs, v->c.languages[0], sizeof v->c.languages[0], v->c.n_languages);
        snprintf(dist, sizeof dist, "%.1f", v->has_distance_m ? v->distance_m / 1000.0 : 0.0);
        const char *cells[9] = {
            v->c.contractor_id,
            v->c.name,
            reg,
            v->has_region && v->region.has_county_fips ? v->region.county_fips : "",
            v->has_region && v->region.has_country ? v->region.country : "",
            skills,
            langs,
            !v->has_available ? ""
            : v->available    ? "yes"
                              : "no",
            v->has_distance_m ? dist : "",
        };
        if (t) {
            tr_cli_table_add(t, cells);
        } else {
            for (size_t k = 0; k < ncol; k++)
                csv_field(cells[k], k + 1 == ncol, out);
        }
    }
    if (t) {
        fprintf(out, "%zu shown of %lld\n", x->n_contractors, (long long)x->total);
        if (x->n_contractors > 0)
            tr_cli_table_print(t, out);
        tr_cli_table_free(t);
    }
}

static void print_hours(const struct tr_result *x, FILE *out)
{
    if (x->n_uncovered_hours_utc == 0) {
        fputs("uncovered hours (UTC): none, someone qualified is on shift all day\n", out);
        return;
    }
    fputs("uncovered hours (UTC):", out);
    for (size_t i = 0; i < x->n_uncovered_hours_utc;) {
        size_t j = i;
        while (j + 1 < x->n_uncovered_hours_utc &&
               x->uncovered_hours_utc[j + 1] == x->uncovered_hours_utc[j] + 1)
            j++;
        fprintf(out, " %02d:00-%02d:00", x->uncovered_hours_utc[i], x->uncovered_hours_utc[j] + 1);
        i = j + 1;
    }
    fputc('\n', out);
}

static void print_coverage(const struct tr_result *x, FILE *out)
{
    static const char *const hdr[] = { "REGION", "CODE", "QUALIFIED", "ON_SHIFT" };
    struct tr_cli_table *t = tr_cli_table_new(4, hdr);
    if (!t)
        return;
    tr_cli_table_align_right(t, 2);
    tr_cli_table_align_right(t, 3);
    for (size_t i = 0; i < x->n_regions; i++) {
        const struct tr_coverage_row *r = &x->regions[i];
        char reg[160], q[24], s[24];
        region_text(&r->region, reg, sizeof reg);
        snprintf(q, sizeof q, "%lld", (long long)r->qualified);
        snprintf(s, sizeof s, "%lld", (long long)r->on_shift);
        const char *cells[4] = { reg,
                                 r->region.has_county_fips ? r->region.county_fips
                                 : r->region.has_country   ? r->region.country
                                                           : "",
                                 q, s };
        tr_cli_table_add(t, cells);
    }
    fprintf(out, "%zu region(s) with qualified contractors\n", x->n_regions);
    if (x->n_regions > 0)
        tr_cli_table_print(t, out);
    tr_cli_table_free(t);
    fprintf(out, "gaps (nobody qualified): %zu%s", x->n_gaps,
            x->n_gaps >= COVERAGE_MAX_GAPS ? " or more (narrow with --state)" : "");
    for (size_t i = 0; i < x->n_gaps; i++) {
        char reg[160];
        region_text(&x->gaps[i], reg, sizeof reg);
        fprintf(out, "%s%s", i ? "; " : ": ", reg);
    }
    fputc('\n', out);
    print_hours(x, out);
}

static int set_text(struct tr_cli *c, const char *flag, const char *arg, char *dst, size_t cap,
                    bool *has)
{
    *has = true;
    return tr_cli_flag_text(c, flag, arg, dst, cap, false);
}

static int run(int argc, char **argv, bool coverage)
{
    struct tr_cli *c =
        tr_cli_new(coverage ? "truckroll coverage" : "truckroll directory", &tr_cli_stop);
    struct tr_msg req;
    struct tr_req_directory_query d = { 0 };
    bool csv = false;
    const char *why = "";
    int rc, opt;
    if (!c)
        return TR_CLI_FAIL;
    rc = tr_cli_args(c, &argc, argv);
    tr_cli_getopt_reset();
    while (rc == TR_CLI_OK &&
           (opt = getopt_long(argc, argv, TR_CLI_SHORTOPTS, longopts, NULL)) != -1) {
        bool own = opt >= OPT_COUNTRY && opt <= OPT_CSV;
        if (coverage && (opt == OPT_COUNTY || opt == OPT_AVAILABLE || opt == OPT_NEAR ||
                         opt == OPT_LIMIT || opt == OPT_CSV)) {
            rc =
                tr_cli_usage_error(c, "option '%s' is for 'truckroll directory'", argv[optind - 1]);
            break;
        }
        if (opt == 'h') {
            if (coverage)
                usage_coverage(stdout);
            else
                usage_directory(stdout);
            rc = TR_CLI_DONE;
        } else if (opt == OPT_COUNTRY) {
            rc = set_text(c, "--country", optarg, d.country, sizeof d.country, &d.has_country);
        } else if (opt == OPT_STATE) {
            rc = set_text(c, "--state", optarg, d.state, sizeof d.state, &d.has_state);
        } else if (opt == OPT_COUNTY) {
            rc = set_text(c, "--county", optarg, d.county, sizeof d.county, &d.has_county);
        } else if (opt == OPT_SKILL) {
            rc = set_text(c, "--skill", optarg, d.skill, sizeof d.skill, &d.has_skill);
        } else if (opt == OPT_LANG) {
            rc = set_text(c, "--lang", optarg, d.language, sizeof d.language, &d.has_language);
        } else if (opt == OPT_AVAILABLE) {
            d.has_available = d.available = true;
        } else if (opt == OPT_NEAR) {
            d.has_near = true;
            if (tr_cli_parse_position(optarg, &d.near.lat, &d.near.lon, &why) != 0)
                rc = tr_cli_usage_error(c, "bad --near '%s': %s", optarg, why);
        } else if (opt == OPT_LIMIT) {
            long long n = 0;
            if (tr_cli_parse_int(optarg, 1, 1000, &n, &why) != 0)
                rc = tr_cli_usage_error(c, "bad --limit '%s': %s", optarg, why);
            d.has_limit = true;
            d.limit = (int)n;
        } else if (opt == OPT_CSV) {
            csv = true;
        } else if (!own) {
            rc = tr_cli_option(c, opt, optarg, argv);
        }
    }
    if (rc == TR_CLI_OK && optind < argc)
        rc = tr_cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    if (rc == TR_CLI_OK && csv && tr_cli_json(c))
        rc = tr_cli_usage_error(c, "--csv and --json exclude each other");
    if (rc == TR_CLI_OK)
        rc = tr_cli_configure(c);
    if (rc == TR_CLI_OK)
        rc = tr_cli_connect(c);
    if (rc == TR_CLI_OK) {
        struct tr_cli_answer ans;
        if (coverage) {
            tr_msg_init(&req, TR_MSG_COVERAGE_QUERY);
            struct tr_req_coverage_query *q = &req.u.coverage_query;
            q->has_country = d.has_country;
            q->has_state = d.has_state;
            q->has_skill = d.has_skill;
            q->has_language = d.has_language;
            memcpy(q->country, d.country, sizeof q->country);
            memcpy(q->state, d.state, sizeof q->state);
            memcpy(q->skill, d.skill, sizeof q->skill);
            memcpy(q->language, d.language, sizeof q->language);
        } else {
            tr_msg_init(&req, TR_MSG_DIRECTORY_QUERY);
            req.u.directory_query = d;
        }
        rc = tr_cli_call(c, &req, &ans);
        if (rc == TR_CLI_OK) {
            const struct tr_result *x = &ans.msg.u.response.result;
            if (tr_cli_json(c))
                rc = tr_cli_print_results(c, &ans, 1, coverage ? "regions" : "contractors");
            else if (coverage)
                print_coverage(x, stdout);
            else
                print_directory(x, d.has_near, csv, stdout);
            tr_cli_answer_free(&ans);
        }
    }
    tr_cli_free(c);
    return rc == TR_CLI_DONE ? TR_CLI_OK : rc;
}

int tr_cli_directory(int argc, char **argv)
{
    return run(argc, argv, false);
}

int tr_cli_coverage(int argc, char **argv)
{
    return run(argc, argv, true);
}
