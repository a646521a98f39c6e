/*
 * fieldagent/sim/fleet.h: the simulated fleet's roster, read from the same
 * contractor CSV file `truckroll contractor import` reads (so one file
 * registers the contractors with the dispatcher and drives the simulator),
 * and the demo's roster and job feed.
 *
 * What it does: read the CSV (RFC 4180: ',' separated, "quoted" cells with
 * "" and line breaks, a UTF-8 BOM skipped, blank lines skipped); the first
 * row names the columns exactly as the importer knows them (id or
 * contractor_id, name, skills, languages, timezone, hours, tier,
 * travel_mode, radius_km, job_limit, home, home_lat, home_lon, pay_hour,
 * pay_incident, currency, active; case and '-' vs '_' do not matter; an
 * unknown column is an error, as there). The simulator needs, per row:
 * id (an agent id), home ("LAT,LON" or home_lat + home_lon), timezone and
 * hours (common/hours.h syntax; empty = always on shift), travel_mode
 * (default car); it keeps skills and languages as text for the job feed.
 * A row with active=false is left out (the dispatcher would not use it).
 *
 * Also here: the demo roster (`truckroll-sim fleet`): N contractors spread
 * over several US counties, Spain and Germany, with skills, languages and
 * working hours in their own zones; and the demo job feed
 * (`truckroll-sim jobs`): a job near a random member, needing one of the
 * skills of that member's area (now and then one nobody has), sometimes a
 * language, with a street address. Both are deterministic for a seed.
 *
 * What it does not do: talk to the dispatcher (the console does), or check
 * what only the dispatcher checks (skill names, radius, pay).
 */
#ifndef TR_SIM_FLEET_H
#define TR_SIM_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/msg.h"

enum tr_sim_fleet_err {
    TR_SIM_FLEET_OK = 0,
    TR_SIM_FLEET_ERR_INVALID = 1, /* NULL argument */
    TR_SIM_FLEET_ERR_IO = 2,      /* the file cannot be read */
    TR_SIM_FLEET_ERR_SYNTAX = 3,  /* CSV syntax, unknown or missing column */
    TR_SIM_FLEET_ERR_ROW = 4,     /* a row with a bad or missing value */
    TR_SIM_FLEET_ERR_EMPTY = 5,   /* no (active) rows */
    TR_SIM_FLEET_ERR_NOMEM = 6,
    TR_SIM_FLEET_ERR_DUPLICATE = 7, /* the same id twice */
};

struct tr_sim_member {
    char id[TR_MSG_ID_SIZE];
    char name[TR_MSG_NAME_SIZE];
    double home_lat, home_lon;
    char timezone[TR_MSG_TZ_SIZE];
    char hours[256]; /* as written; "" = always on shift */
    enum tr_travel_mode travel_mode;
    char skills[256];    /* as written ("a;b") */
    char languages[128]; /* as written */
    long line;           /* CSV line of the row */
};

struct tr_sim_fleet {
    struct tr_sim_member *m;
    size_t n;
};

/* Parse len bytes of CSV (need not be NUL-terminated). On success *out
 * holds the members (tr_sim_fleet_free); on failure nothing, and err (may
 * be NULL) one line naming the line and the problem. */
int tr_sim_fleet_parse(const char *buf, size_t len, struct tr_sim_fleet *out, char *err,
                       size_t errlen);
/* The same for a file (at most 64 MiB). */
int tr_sim_fleet_load(const char *path, struct tr_sim_fleet *out, char *err, size_t errlen);
void tr_sim_fleet_free(struct tr_sim_fleet *f); /* NULL ok */
const char *tr_sim_fleet_strerror(int err);

/* A small deterministic generator (xorshift64*), one per owner. */
struct tr_sim_rng {
    uint64_t s;
};
void tr_sim_rng_seed(struct tr_sim_rng *r, uint64_t seed);
uint64_t tr_sim_rng_next(struct tr_sim_rng *r);
double tr_sim_rng_unit(struct tr_sim_rng *r);                        /* [0, 1) */
double tr_sim_rng_range(struct tr_sim_rng *r, double lo, double hi); /* [lo, hi) */

/* Write the demo roster of n members (1 ..= 10000) as contractor CSV with
 * the header id,name,skills,languages,timezone,hours,travel_mode,radius_km,
 * home_lat,home_lon. Ids are "<prefix>-1" ... Returns 0, -1 on a bad
 * argument or a write error. */
int tr_sim_fleet_write_demo(FILE *out, size_t n, const char *prefix, uint64_t seed);

/* One job of the demo feed. */
struct tr_sim_job {
    double lat, lon;
    char skill[TR_MSG_SKILL_SIZE];
    char language[TR_MSG_LANG_SIZE]; /* "" = any */
    const char *priority;            /* "normal", "high", "urgent" */
    char title[TR_MSG_TITLE_SIZE];
    char address[TR_MSG_ADDRESS_SIZE];
};

/* The next job of the feed: near a random member of f (within ~5 km),
 * needing a skill some member of the same area has (about 1 in 15 needs
 * "elevator-repair", which nobody has: the log shows an unassigned job).
 * The address names the nearest demo city. */
void tr_sim_fleet_next_job(const struct tr_sim_fleet *f, struct tr_sim_rng *r,
                           struct tr_sim_job *out);

#endif
