/*
 * dispatcher/cli/contractor_args.c: contractor fields by name from text
 * (contractor_args.h), shared by the contractor flags and CSV import.
 *
 * Pure: no I/O. The wire contract's own checks run when the request is
 * encoded; these give the person a reason that names the field.
 */
#include "dispatcher/cli/contractor_args.h"

#include <string.h>

#include "dispatcher/cli/parse.h"

void tr_contractor_args_init(struct tr_contractor_args *a)
{
    memset(a, 0, sizeof *a);
}

static const char *const keys[] = {
    "id",       "contractor_id", "name",        "skills",    "languages",    "timezone",
    "hours",    "tier",          "travel_mode", "radius_km", "job_limit",    "home",
    "home_lat", "home_lon",      "currency",    "pay_hour",  "pay_incident", "active",
};

bool tr_contractor_args_known(const char *key)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    return false;
}

static int fail(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return -1;
}

static int text(char *dst, size_t cap, const char *v, const char **why)
{
    if (!v[0])
        return fail(why, "empty");
    if (strlen(v) >= cap)
        return fail(why, "too long");
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

/* Extend a list of strings; duplicates skipped. */
static int list(char *items, size_t stride, size_t *n, size_t cap, const char *v,
                bool (*valid)(const char *), const char *bad, const char **why)
{
    char buf[1024], *part[64];
    int k;
    if (strlen(v) >= sizeof buf)
        return fail(why, "too long");
    memcpy(buf, v, strlen(v) + 1);
    k = tr_cli_split_list(buf, part, 64, why);
    if (k < 0)
        return -1;
    if (k == 0)
        return fail(why, "empty");
    for (int i = 0; i < k; i++) {
        bool dup = false;
        if (strlen(part[i]) >= stride || !valid(part[i]))
            return fail(why, bad);
        for (size_t j = 0; j < *n; j++)
            dup = dup || strcmp(items + j * stride, part[i]) == 0;
        if (dup)
            continue;
        if (*n >= cap)
            return fail(why, "too many");
        memcpy(items + *n * stride, part[i], strlen(part[i]) + 1);
        (*n)++;
    }
    return 0;
}

int tr_contractor_args_set(struct tr_contractor_args *a, const char *key, const char *v,
                           const char **why)
{
    struct tr_contractor *c = &a->u.c;
    long long n;
    if (strcmp(key, "id") == 0 || strcmp(key, "contractor_id") == 0) {
        if (!tr_msg_valid_agent_id(v))
            return fail(why, "not a valid id (letters, digits, _ . -, at most 64)");
        a->has_id = true;
        return text(c->contractor_id, sizeof c->contractor_id, v, why);
    }
    if (strcmp(key, "name") == 0) {
        a->u.has_name = true;
        return text(c->name, sizeof c->name, v, why);
    }
    if (strcmp(key, "skills") == 0) {
        a->u.has_skills = true;
        return list(&c->skills[0][0], sizeof c->skills[0], &c->n_skills, TR_MSG_MAX_SKILLS, v,
                    tr_msg_valid_skill, "not a skill (lowercase a-z, 0-9, -)", why);
    }
    if (strcmp(key, "languages") == 0) {
        a->u.has_languages = true;
        return list(&c->languages[0][0], sizeof c->languages[0], &c->n_languages, TR_MSG_MAX_LANGS,
                    v, tr_msg_valid_lang, "not a BCP-47 tag (es, es-MX)", why);
    }
    if (strcmp(key, "timezone") == 0) {
        if (!tr_msg_valid_timezone(v))
            return fail(why, "not an IANA time zone name (America/Chicago, UTC)");
        a->u.has_timezone = true;
        return text(c->timezone, sizeof c->timezone, v, why);
    }
    if (strcmp(key, "hours") == 0) {
        if (tr_cli_parse_hours(v, c->hours, TR_MSG_MAX_SHIFTS, &c->n_hours, why) != 0)
            return -1;
        c->has_hours = true;
        return 0;
    }
    if (strcmp(key, "tier") == 0) {
        if (tr_cli_parse_int(v, 1, 5, &n, why) != 0)
            return -1;
        c->has_tier = true;
        c->tier = (int)n;
        return 0;
    }
    if (strcmp(key, "travel_mode") == 0) {
        if (tr_msg_travel_mode_parse(v, &c->travel_mode) != 0)
            return fail(why, "not car, motorcycle, bicycle or foot");
        c->has_travel_mode = true;
        return 0;
    }
    if (strcmp(key, "radius_km") == 0) {
        if (tr_cli_parse_double(v, 1, 500, &c->radius_km, why) != 0)
            return -1;
        c->has_radius_km = true;
        return 0;
    }
    if (strcmp(key, "job_limit") == 0) {
        if (tr_cli_parse_int(v, 1, 20, &n, why) != 0)
            return -1;
        c->has_job_limit = true;
        c->job_limit = (int)n;
        return 0;
    }
    if (strcmp(key, "home") == 0) {
        if (tr_cli_parse_position(v, &c->home.lat, &c->home.lon, why) != 0)
            return -1;
        a->has_home_lat = a->has_home_lon = true;
        return 0;
    }
    if (strcmp(key, "home_lat") == 0) {
        a->has_home_lat = true;
        return tr_cli_parse_double(v, -90, 90, &c->home.lat, why);
    }
    if (strcmp(key, "home_lon") == 0) {
        a->has_home_lon = true;
        return tr_cli_parse_double(v, -180, 180, &c->home.lon, why);
    }
    if (strcmp(key, "currency") == 0) {
        if (strlen(v) != 3 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
            return fail(why, "not an ISO 4217 code (USD, EUR)");
        memcpy(c->pay.currency, v, 4);
        a->has_currency = true;
        return 0;
    }
    if (strcmp(key, "pay_hour") == 0) {
        if (tr_cli_parse_cents(v, &c->pay.per_hour_cents, why) != 0)
            return -1;
        c->pay.has_per_hour_cents = true;
        return 0;
    }
    if (strcmp(key, "pay_incident") == 0) {
        if (tr_cli_parse_cents(v, &c->pay.per_incident_cents, why) != 0)
            return -1;
        c->pay.has_per_incident_cents = true;
        return 0;
    }
    if (strcmp(key, "active") == 0) {
        if (tr_cli_parse_bool(v, &c->active, why) != 0)
            return -1;
        c->has_active = true;
        return 0;
    }
    return fail(why, "unknown field");
}

int tr_contractor_args_finish(struct tr_contractor_args *a, bool add, const char *default_currency,
                              const char **why)
{
    struct tr_contractor *c = &a->u.c;
    if (a->has_home_lat != a->has_home_lon)
        return fail(why, "home_lat and home_lon go together");
    c->has_home = a->has_home_lat;
    if (c->pay.has_per_hour_cents || c->pay.has_per_incident_cents) {
        if (!a->has_currency)
            memcpy(c->pay.currency, default_currency, 4);
        c->has_pay = true;
    } else if (a->has_currency) {
        return fail(why, "a currency without pay_hour or pay_incident");
    }
    if (!a->has_id)
        return fail(why, "id is missing");
    if (add) {
        if (!a->u.has_name)
            return fail(why, "name is missing");
        if (!a->u.has_skills)
            return fail(why, "skills are missing (at least one)");
        if (!a->u.has_languages)
            return fail(why, "languages are missing (at least one)");
        if (!a->u.has_timezone)
            return fail(why, "timezone is missing");
    }
    return 0;
}

void tr_contractor_args_request(const struct tr_contractor_args *a, bool add, struct tr_msg *req)
{
    tr_msg_init(req, add ? TR_MSG_CONTRACTOR_ADD : TR_MSG_CONTRACTOR_UPDATE);
    if (add)
        req->u.contractor_add = a->u.c;
    else
        req->u.contractor_update = a->u;
}
