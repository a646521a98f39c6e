/*
 * dispatcher/cli/job_args.c: `truckroll job create` flags -> a job.create
 * request (job_args.h): one flag at a time, then the rules across flags
 * (site xor region, window order, pay currency).
 *
 * It does not send anything; the contract's own checks run when the
 * request is encoded (client.c).
 */
#include "dispatcher/cli/job_args.h"

#include <ctype.h>
#include <string.h>

#include "dispatcher/cli/parse.h"
#include "dispatcher/cli/table.h"

void tr_job_args_init(struct tr_job_args *a)
{
    memset(a, 0, sizeof *a);
    tr_msg_init(&a->req, TR_MSG_JOB_CREATE);
}

static bool upper2(const char *s)
{
    return strlen(s) == 2 && isupper((unsigned char)s[0]) && isupper((unsigned char)s[1]);
}

static int money(struct tr_cli *c, const char *flag, const char *arg, bool *has, int64_t *out)
{
    const char *why = "";
    if (tr_cli_parse_cents(arg, out, &why) != 0)
        return tr_cli_usage_error(c, "bad %s '%s': %s", flag, arg, why);
    *has = true;
    return TR_CLI_OK;
}

int tr_job_args_option(struct tr_cli *c, struct tr_job_args *a, int opt, const char *arg)
{
    struct tr_req_job_create *r = &a->req.u.job_create;
    struct tr_job_spec *s = &r->spec;
    const char *why = "";
    long long v;
    switch (opt) {
    case TR_JOB_ARG_TITLE:
        return tr_cli_flag_text(c, "--title", arg, s->title, sizeof s->title, false);
    case TR_JOB_ARG_DESCRIPTION:
        s->has_description = true;
        return tr_cli_flag_text(c, "--description", arg, s->description, sizeof s->description,
                                false);
    case TR_JOB_ARG_SKILL:
        return tr_cli_flag_list(c, "--skill", arg, &s->skills[0][0], sizeof s->skills[0],
                                &s->n_skills, TR_MSG_MAX_SKILLS, tr_msg_valid_skill);
    case TR_JOB_ARG_LANG:
        if (!tr_msg_valid_lang(arg))
            return tr_cli_usage_error(c, "bad --lang '%s' (a BCP-47 tag: es, es-MX)", arg);
        s->has_language = true;
        return tr_cli_flag_text(c, "--lang", arg, s->language, sizeof s->language, false);
    case TR_JOB_ARG_PRIORITY:
        if (tr_msg_priority_parse(arg, &s->priority) != 0)
            return tr_cli_usage_error(c, "bad --priority '%s' (low, normal, high, urgent)", arg);
        s->has_priority = true;
        return TR_CLI_OK;
    case TR_JOB_ARG_TIER:
        if (tr_cli_parse_int(arg, 1, 5, &v, &why) != 0)
            return tr_cli_usage_error(c, "bad --tier '%s': %s (1..5)", arg, why);
        s->has_tier = true;
        s->tier = (int)v;
        return TR_CLI_OK;
    case TR_JOB_ARG_LAT:
        if (tr_cli_parse_double(arg, -90, 90, &r->site.lat, &why) != 0)
            return tr_cli_usage_error(c, "bad --lat '%s': %s (-90..90)", arg, why);
        a->has_lat = true;
        return TR_CLI_OK;
    case TR_JOB_ARG_LON:
        if (tr_cli_parse_double(arg, -180, 180, &r->site.lon, &why) != 0)
            return tr_cli_usage_error(c, "bad --lon '%s': %s (-180..180)", arg, why);
        a->has_lon = true;
        return TR_CLI_OK;
    case TR_JOB_ARG_AT:
        if (tr_cli_parse_position(arg, &r->site.lat, &r->site.lon, &why) != 0)
            return tr_cli_usage_error(c, "bad --at '%s': %s", arg, why);
        a->has_at = true;
        return TR_CLI_OK;
    case TR_JOB_ARG_ADDRESS:
        r->site.has_address = true;
        return tr_cli_flag_text(c, "--address", arg, r->site.address, sizeof r->site.address,
                                false);
    case TR_JOB_ARG_SITE_RADIUS:
        if (tr_cli_parse_int(arg, 10, 5000, &v, &why) != 0)
            return tr_cli_usage_error(c, "bad --site-radius-m '%s': %s (10..5000)", arg, why);
        r->site.has_radius_m = true;
        r->site.radius_m = (int)v;
        return TR_CLI_OK;
    case TR_JOB_ARG_COUNTRY:
        a->country = arg;
        return TR_CLI_OK;
    case TR_JOB_ARG_STATE:
        a->state = arg;
        return TR_CLI_OK;
    case TR_JOB_ARG_COUNTY:
        a->county = arg;
        return TR_CLI_OK;
    case TR_JOB_ARG_COUNTY_FIPS:
        if (strlen(arg) != 5 || strspn(arg, "0123456789") != 5)
            return tr_cli_usage_error(c, "bad --county-fips '%s' (5 digits: 48453)", arg);
        a->county_fips = arg;
        return TR_CLI_OK;
    case TR_JOB_ARG_WINDOW_START:
    case TR_JOB_ARG_WINDOW_END: {
        bool start = opt == TR_JOB_ARG_WINDOW_START;
        int64_t *t = start ? &s->window.start : &s->window.end;
        if (tr_cli_parse_time(arg, tr_cli_now_ms(), t, &why) != 0)
            return tr_cli_usage_error(c, "bad %s '%s': %s",
                                      start ? "--window-start" : "--window-end", arg, why);
        *(start ? &a->has_window_start : &a->has_window_end) = true;
        return TR_CLI_OK;
    }
    case TR_JOB_ARG_PAY_INCIDENT:
        return money(c, "--pay-incident", arg, &s->pay.has_per_incident_cents,
                     &s->pay.per_incident_cents);
    case TR_JOB_ARG_PAY_HOUR:
        return money(c, "--pay-hour", arg, &s->pay.has_per_hour_cents, &s->pay.per_hour_cents);
    case TR_JOB_ARG_CURRENCY:
        if (strlen(arg) != 3 || strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
            return tr_cli_usage_error(c, "bad --currency '%s' (ISO 4217: USD, EUR)", arg);
        memcpy(s->pay.currency, arg, 4);
        a->has_currency = true;
        return TR_CLI_OK;
    case TR_JOB_ARG_MAX_RADIUS:
        if (tr_cli_parse_double(arg, 1, 1000, &r->max_radius_km, &why) != 0)
            return tr_cli_usage_error(c, "bad --max-radius-km '%s': %s (1..1000)", arg, why);
        r->has_max_radius_km = true;
        return TR_CLI_OK;
    }
    return tr_cli_usage_error(c, "option not handled");
}

/* --country / --state / --county / --county-fips -> region. */
static int region(struct tr_cli *c, struct tr_job_args *a)
{
    struct tr_region *g = &a->req.u.job_create.region;
    a->req.u.job_create.has_region = true;
    g->has_country = true;
    snprintf(g->country, sizeof g->country, "%s", a->country ? a->country : "US");
    if (!upper2(g->country))
        return tr_cli_usage_error(c, "bad --country '%s' (ISO 3166 alpha-2: US, DE)", a->country);
    if (a->county_fips) {
        if (a->county || a->state)
            return tr_cli_usage_error(c, "--county-fips names the county alone (no --county "
                                         "or --state)");
        g->has_county_fips = g->has_state_fips = true;
        memcpy(g->county_fips, a->county_fips, 6);
        memcpy(g->state_fips, a->county_fips, 2);
        g->state_fips[2] = '\0';
    } else if (a->county || a->state) {
        if (!a->county || !a->state)
            return tr_cli_usage_error(c, "a county needs both --county NAME and --state ST");
        if (strlen(a->state) == 2 && strspn(a->state, "0123456789") == 2) {
            return tr_cli_usage_error(c, "--state takes the postal code (TX); for FIPS "
                                         "codes use --county-fips");
        }
        if (!upper2(a->state))
            return tr_cli_usage_error(c, "bad --state '%s' (US postal code: TX)", a->state);
        g->has_state = g->has_county = true;
        memcpy(g->state, a->state, 3);
        if (tr_cli_flag_text(c, "--county", a->county, g->county, sizeof g->county, false))
            return TR_CLI_USAGE;
    }
    if (strcmp(g->country, "US") != 0 && (g->has_county || g->has_county_fips))
        return tr_cli_usage_error(c, "counties are US counties (--country US)");
    return TR_CLI_OK;
}

int tr_job_args_finish(struct tr_cli *c, struct tr_job_args *a)
{
    struct tr_req_job_create *r = &a->req.u.job_create;
    struct tr_job_spec *s = &r->spec;
    bool site = a->has_lat || a->has_lon || a->has_at;
    bool where = a->country || a->state || a->county || a->county_fips;
    if (!s->title[0])
        return tr_cli_usage_error(c, "--title is required");
    if (s->n_skills == 0)
        return tr_cli_usage_error(c, "at least one --skill is required");
    if (site == where)
        return tr_cli_usage_error(c, site ? "give a site (--lat/--lon, --at) or a region "
                                            "(--country, --county), not both"
                                          : "where? give --lat and --lon, --at, --country, or "
                                            "--county and --state");
    if (site) {
        if (a->has_at && (a->has_lat || a->has_lon))
            return tr_cli_usage_error(c, "--at replaces --lat and --lon");
        if (!a->has_at && !(a->has_lat && a->has_lon))
            return tr_cli_usage_error(c, "--lat and --lon go together");
        r->has_site = true;
    } else {
        if (r->site.has_address || r->site.has_radius_m)
            return tr_cli_usage_error(c, "--address and --site-radius-m need a site "
                                         "(--lat/--lon)");
        if (region(c, a) != TR_CLI_OK)
            return TR_CLI_USAGE;
    }
    if (a->has_window_start != a->has_window_end)
        return tr_cli_usage_error(c, "--window-start and --window-end go together");
    if (a->has_window_start) {
        if (s->window.end <= s->window.start)
            return tr_cli_usage_error(c, "--window-end must be after --window-start");
        s->has_window = true;
    }
    if (s->pay.has_per_hour_cents || s->pay.has_per_incident_cents) {
        if (!a->has_currency)
            memcpy(s->pay.currency, tr_cli_settings(c)->currency, 4);
        s->has_pay = true;
    } else if (a->has_currency) {
        return tr_cli_usage_error(c, "--currency without --pay-incident or --pay-hour");
    }
    return TR_CLI_OK;
}
