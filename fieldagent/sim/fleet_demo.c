/*
 * fieldagent/sim/fleet_demo.c: the demo roster (`truckroll-sim fleet`),
 * the demo job feed (`truckroll-sim jobs`) and the small random number
 * generator the simulator uses. See fleet.h. Deterministic for a seed; no
 * I/O but the FILE the caller gives.
 */
#include "fieldagent/sim/fleet.h"

#include <math.h>
#include <string.h>

#include "common/geo.h"

struct city {
    const char *name, *country;
    double lat, lon;
    const char *tz;
    const char *langs; /* first: the area's main language; second: also spoken */
};

/* Seven US counties (Travis, Dallas, Cook, Los Angeles, King, Denver, New
 * York), Madrid and Munich. */
static const struct city cities[] = {
    { "Austin TX", "US", 30.2672, -97.7431, "America/Chicago", "en;es-MX" },
    { "Dallas TX", "US", 32.7767, -96.7970, "America/Chicago", "en;es" },
    { "Chicago IL", "US", 41.8781, -87.6298, "America/Chicago", "en;pl" },
    { "Los Angeles CA", "US", 34.0522, -118.2437, "America/Los_Angeles", "en;es-MX" },
    { "Seattle WA", "US", 47.6062, -122.3321, "America/Los_Angeles", "en;zh" },
    { "Denver CO", "US", 39.7392, -104.9903, "America/Denver", "en" },
    { "New York NY", "US", 40.7128, -74.0060, "America/New_York", "en;es" },
    { "Madrid", "ES", 40.4168, -3.7038, "Europe/Madrid", "es;en" },
    { "Munich", "DE", 48.1351, 11.5820, "Europe/Berlin", "de;en" },
};
#define N_CITIES (sizeof cities / sizeof cities[0])

static const char *const skills[] = { "router-repair",   "printer-setup", "hdd-install",
                                      "network-cabling", "pos-terminal",  "cctv" };
#define N_SKILLS (sizeof skills / sizeof skills[0])

static const char *const first_names[] = { "Ana",   "Ben",  "Carla", "Dev",  "Eli",  "Fatima",
                                           "Greg",  "Hana", "Ivan",  "Jana", "Kofi", "Lena",
                                           "Marco", "Nina", "Omar",  "Pia",  "Raul", "Sara" };
static const char *const last_names[] = { "Ruiz",  "Novak", "Chen",    "Okafor", "Meyer",
                                          "Silva", "Kowal", "Nguyen",  "Garcia", "Weber",
                                          "Park",  "Rossi", "Johnson", "Lopez" };

static const char *const streets_us[] = { "Main St", "Oak Ave",  "Elm St", "Market St",
                                          "Pine St", "Cedar Ln", "2nd St" };
static const char *const streets_es[] = { "Calle de Alcala", "Gran Via", "Calle Mayor",
                                          "Paseo del Prado" };
static const char *const streets_de[] = { "Leopoldstrasse", "Maximilianstrasse", "Sonnenstrasse",
                                          "Lindwurmstrasse" };

#define PICK(r, arr) (arr)[tr_sim_rng_next(r) % (sizeof(arr) / sizeof((arr)[0]))]

void tr_sim_rng_seed(struct tr_sim_rng *r, uint64_t seed)
{
    /* splitmix64 of the seed: never the all-zero state */
    uint64_t z = seed + UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    z ^= z >> 31;
    r->s = z ? z : 1;
}

uint64_t tr_sim_rng_next(struct tr_sim_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * UINT64_C(0x2545F4914F6CDD1D);
}

double tr_sim_rng_unit(struct tr_sim_rng *r)
{
    return (double)(tr_sim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

double tr_sim_rng_range(struct tr_sim_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * tr_sim_rng_unit(r);
}

static void offset_km(double lat, double lon, double north_km, double east_km, double *olat,
                      double *olon)
{
    *olat = lat + north_km / 111.195;
    *olon = lon + east_km / (111.195 * cos(lat * M_PI / 180.0));
}

int tr_sim_fleet_write_demo(FILE *out, size_t n, const char *prefix, uint64_t seed)
{
    struct tr_sim_rng r;
    if (!out || !prefix || n < 1 || n > 10000)
        return -1;
    tr_sim_rng_seed(&r, seed);
    fprintf(out, "id,name,skills,languages,timezone,hours,travel_mode,radius_km,home_lat,"
                 "home_lon\n");
    for (size_t i = 0; i < n; i++) {
        const struct city *c = &cities[i % N_CITIES];
        double lat, lon;
        char langs[64], sk[128] = "";
        size_t n_sk = 2 + (size_t)(tr_sim_rng_next(&r) % 2);
        size_t first = (size_t)(tr_sim_rng_next(&r) % N_SKILLS);
        const char *semi = strchr(c->langs, ';');
        const char *mode = "car";
        uint64_t m = tr_sim_rng_next(&r) % 5;

        offset_km(c->lat, c->lon, tr_sim_rng_range(&r, -6, 6), tr_sim_rng_range(&r, -6, 6), &lat,
                  &lon);
        /* both languages for 60 %, the main one only for the rest */
        if (semi && tr_sim_rng_unit(&r) >= 0.6)
            snprintf(langs, sizeof langs, "%.*s", (int)(semi - c->langs), c->langs);
        else
            snprintf(langs, sizeof langs, "%s", c->langs);
        for (size_t k = 0; k < n_sk; k++) { /* consecutive skills, wrapping */
            size_t len = strlen(sk);
            snprintf(sk + len, sizeof sk - len, "%s%s", k ? ";" : "",
                     skills[(first + k * 2) % N_SKILLS]);
        }
        if (m == 3)
            mode = "motorcycle";
        else if (m == 4)
            mode = "bicycle";
        /* a quarter work office hours in their own zone; the rest any time */
        const char *hours = tr_sim_rng_unit(&r) < 0.25 ? "Mon-Fri 08:00-18:00" : "";
        if (fprintf(out, "%s-%zu,%s %s (%s),%s,%s,%s,%s,%s,40,%.6f,%.6f\n", prefix, i + 1,
                    PICK(&r, first_names), PICK(&r, last_names), c->name, sk, langs, c->tz, hours,
                    mode, lat, lon) < 0)
            return -1;
    }
    return fflush(out) == 0 ? 0 : -1;
}

static const struct city *nearest_city(double lat, double lon)
{
    const struct city *best = &cities[0];
    double bd = INFINITY;
    for (size_t i = 0; i < N_CITIES; i++) {
        double d = tr_geo_distance_m(lat, lon, cities[i].lat, cities[i].lon);
        if (d < bd) {
            bd = d;
            best = &cities[i];
        }
    }
    return best;
}

/* The k-th skill (0-based) of a "a;b c,d" list into out; false past the end. */
static bool nth_skill(const char *list, size_t k, char *out, size_t cap)
{
    const char *p = list;
    for (size_t i = 0;; i++) {
        p += strspn(p, ";, ");
        if (!*p)
            return false;
        size_t len = strcspn(p, ";, ");
        if (i == k) {
            snprintf(out, cap, "%.*s", (int)len, p);
            return true;
        }
        p += len;
    }
}

void tr_sim_fleet_next_job(const struct tr_sim_fleet *f, struct tr_sim_rng *r,
                           struct tr_sim_job *out)
{
    const struct tr_sim_member *m;
    const struct city *c;
    size_t pool = 0;
    char sk[TR_MSG_SKILL_SIZE];

    memset(out, 0, sizeof *out);
    if (!f || !f->n || !r)
        return;
    m = &f->m[tr_sim_rng_next(r) % f->n];
    c = nearest_city(m->home_lat, m->home_lon);
    offset_km(m->home_lat, m->home_lon, tr_sim_rng_range(r, -5, 5), tr_sim_rng_range(r, -5, 5),
              &out->lat, &out->lon);
    /* a skill of someone within 60 km (reservoir sampling over all skills) */
    for (size_t i = 0; i < f->n; i++) {
        if (tr_geo_distance_m(m->home_lat, m->home_lon, f->m[i].home_lat, f->m[i].home_lon) >
            60000.0)
            continue;
        for (size_t k = 0; nth_skill(f->m[i].skills, k, sk, sizeof sk); k++)
            if (tr_sim_rng_next(r) % ++pool == 0)
                snprintf(out->skill, sizeof out->skill, "%s", sk);
    }
    if (!pool || tr_sim_rng_unit(r) < 1.0 / 15.0)
        snprintf(out->skill, sizeof out->skill, "elevator-repair");
    /* the area's second language now and then */
    const char *semi = strchr(c->langs, ';');
    if (semi && tr_sim_rng_unit(r) < 0.3)
        snprintf(out->language, sizeof out->language, "%.2s", semi + 1);
    out->priority = tr_sim_rng_unit(r) < 0.5   ? "normal"
                    : tr_sim_rng_unit(r) < 0.5 ? "high"
                                               : "urgent";
    snprintf(out->title, sizeof out->title, "%c%s at a customer",
             out->skill[0] >= 'a' && out->skill[0] <= 'z' ? out->skill[0] - 'a' + 'A'
                                                          : out->skill[0],
             out->skill + 1);
    for (char *p = out->title; *p; p++)
        if (*p == '-')
            *p = ' ';
    const char *street = strcmp(c->country, "ES") == 0   ? PICK(r, streets_es)
                         : strcmp(c->country, "DE") == 0 ? PICK(r, streets_de)
                                                         : PICK(r, streets_us);
    snprintf(out->address, sizeof out->address, "%d %s, %s%s%s",
             (int)(10 + tr_sim_rng_next(r) % 4990), street, c->name,
             strcmp(c->country, "US") ? ", " : "", strcmp(c->country, "US") ? c->country : "");
}
