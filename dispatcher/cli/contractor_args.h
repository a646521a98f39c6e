/*
 * dispatcher/cli/contractor_args.h: contractor fields by name, from flags
 * (`contractor add`, `contractor set`) and CSV columns (`contractor
 * import`) alike, into a contractor.add or contractor.update request
 * (contractor_args.c).
 *
 * Keys (CSV header names; the flags are --KEY with '_' as '-', plus the
 * short forms --id, --skill, --lang, --pay-hour, --pay-incident):
 *   id (contractor_id), name, skills, languages, timezone, hours, tier,
 *   travel_mode, radius_km, job_limit, home ("LAT,LON"), home_lat, home_lon,
 *   currency, pay_hour, pay_incident, active
 * Lists (skills, languages) take "a,b", "a;b" or "a b"; a repeated flag
 * adds to the list. Money is "85.00"; hours as in parse.h.
 */
#ifndef TR_CLI_CONTRACTOR_ARGS_H
#define TR_CLI_CONTRACTOR_ARGS_H

#include <stdbool.h>

#include "common/msg.h"

struct tr_contractor_args {
    struct tr_req_contractor_update u; /* u.c plus has_name/skills/languages/timezone */
    bool has_id, has_home_lat, has_home_lon, has_currency;
};

void tr_contractor_args_init(struct tr_contractor_args *a);
/* 1 when key names a field (known), else 0. */
bool tr_contractor_args_known(const char *key);
/* Set (or, for lists, extend) one field from text. 0, or -1 with *why. */
int tr_contractor_args_set(struct tr_contractor_args *a, const char *key, const char *value,
                           const char **why);
/* Rules across fields: home_lat with home_lon; pay currency (default_currency
 * when pay is given without one); for add, the required fields (id, name,
 * skills, languages, timezone). 0, or -1 with *why. */
int tr_contractor_args_finish(struct tr_contractor_args *a, bool add, const char *default_currency,
                              const char **why);
/* The request: contractor.add (add) or contractor.update. */
void tr_contractor_args_request(const struct tr_contractor_args *a, bool add, struct tr_msg *req);

#endif
