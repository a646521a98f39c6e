/*
 * fieldagent/sim/fleet.c: the fleet file (contractor CSV) reader. The
 * demo roster and job feed are in fleet_demo.c. See fleet.h.
 *
 * The CSV syntax is common/csv.h's, the same reader the console's importer
 * uses.
 */
#include "fieldagent/sim/fleet.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/csv.h"
#include "common/geo.h"
#include "common/hours.h"

#define MAX_FILE (64u << 20)
#define MAX_COLS 32

enum col {
    C_IGNORED = 0,
    C_ID,
    C_NAME,
    C_SKILLS,
    C_LANGUAGES,
    C_TIMEZONE,
    C_HOURS,
    C_TRAVEL_MODE,
    C_HOME,
    C_HOME_LAT,
    C_HOME_LON,
    C_ACTIVE,
};

static const struct {
    const char *name;
    enum col col;
} columns[] = {
    { "id", C_ID },
    { "contractor_id", C_ID },
    { "name", C_NAME },
    { "skills", C_SKILLS },
    { "skill", C_SKILLS },
    { "languages", C_LANGUAGES },
    { "language", C_LANGUAGES },
    { "lang", C_LANGUAGES },
    { "timezone", C_TIMEZONE },
    { "hours", C_HOURS },
    { "travel_mode", C_TRAVEL_MODE },
    { "home", C_HOME },
    { "home_lat", C_HOME_LAT },
    { "home_lon", C_HOME_LON },
    { "active", C_ACTIVE },
    /* known to the importer, not needed here */
    { "tier", C_IGNORED },
    { "radius_km", C_IGNORED },
    { "job_limit", C_IGNORED },
    { "pay_hour", C_IGNORED },
    { "pay_incident", C_IGNORED },
    { "currency", C_IGNORED },
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int header(char **f, size_t n, enum col *cols, char *err, size_t errlen)
{
    bool have_id = false, have_home = false, have_lat = false, have_lon = false, have_tz = false;
    for (size_t i = 0; i < n; i++) {
        char *k = trim(f[i]);
        size_t c;
        for (char *p = k; *p; p++)
            *p = *p == '-' ? '_' : (char)tolower((unsigned char)*p);
        for (c = 0; c < sizeof columns / sizeof columns[0]; c++)
            if (strcmp(columns[c].name, k) == 0)
                break;
        if (c == sizeof columns / sizeof columns[0]) {
            set_err(err, errlen, "line 1: unknown column '%s'", k);
            return -1;
        }
        cols[i] = columns[c].col;
        for (size_t j = 0; j < i; j++)
            if (cols[j] == cols[i] && cols[i] != C_IGNORED) {
                set_err(err, errlen, "line 1: column '%s' twice", k);
                return -1;
            }
        have_id = have_id || cols[i] == C_ID;
        have_home = have_home || cols[i] == C_HOME;
        have_lat = have_lat || cols[i] == C_HOME_LAT;
        have_lon = have_lon || cols[i] == C_HOME_LON;
        have_tz = have_tz || cols[i] == C_TIMEZONE;
    }
    if (!have_id || !have_tz || !(have_home || (have_lat && have_lon))) {
        set_err(err, errlen,
                "line 1: the simulator needs the columns id, timezone and home "
                "(or home_lat and home_lon)");
        return -1;
    }
    return 0;
}

static int number(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return (end == s || *end || errno) ? -1 : 0;
}

static int copy(char *dst, size_t cap, const char *v)
{
    if (strlen(v) >= cap)
        return -1;
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

/* One data row into *m: 1 kept, 0 inactive, -1 error (err set). */
static int row(char **f, size_t n, const enum col *cols, size_t ncols, long line,
               struct tr_sim_member *m, char *err, size_t errlen)
{
    bool has_lat = false, has_lon = false, active = true;
    const char *bad = NULL;
    memset(m, 0, sizeof *m);
    m->line = line;
    if (n != ncols) {
        set_err(err, errlen, "line %ld: %zu cells, the header has %zu", line, n, ncols);
        return -1;
    }
    for (size_t i = 0; i < n && !bad; i++) {
        char *v = trim(f[i]), *comma;
        if (!v[0])
            continue;
        switch (cols[i]) {
        case C_ID:
            if (!tr_msg_valid_agent_id(v) || copy(m->id, sizeof m->id, v))
                bad = "id is not an agent id ([A-Za-z0-9][A-Za-z0-9_.-]{0,63})";
            break;
        case C_NAME:
            snprintf(m->name, sizeof m->name, "%s", v);
            break;
        case C_SKILLS:
            if (copy(m->skills, sizeof m->skills, v))
                bad = "skills too long";
            break;
        case C_LANGUAGES:
            if (copy(m->languages, sizeof m->languages, v))
                bad = "languages too long";
            break;
        case C_TIMEZONE:
            if (copy(m->timezone, sizeof m->timezone, v))
                bad = "timezone too long";
            break;
        case C_HOURS:
            if (copy(m->hours, sizeof m->hours, v))
                bad = "hours too long";
            break;
        case C_TRAVEL_MODE:
            if (tr_msg_travel_mode_parse(v, &m->travel_mode) != 0)
                bad = "travel_mode is not car, motorcycle, bicycle or foot";
            break;
        case C_HOME:
            comma = strchr(v, ',');
            if (!comma)
                bad = "home is not LAT,LON";
            else {
                *comma = '\0';
                has_lat = number(trim(v), &m->home_lat) == 0;
                has_lon = number(trim(comma + 1), &m->home_lon) == 0;
                if (!has_lat || !has_lon)
                    bad = "home is not LAT,LON";
            }
            break;
        case C_HOME_LAT:
            if (!(has_lat = number(v, &m->home_lat) == 0))
                bad = "home_lat is not a number";
            break;
        case C_HOME_LON:
            if (!(has_lon = number(v, &m->home_lon) == 0))
                bad = "home_lon is not a number";
            break;
        case C_ACTIVE:
            if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcmp(v, "no") == 0)
                active = false;
            break;
        case C_IGNORED:
            break;
        }
    }
    if (!bad && !m->id[0])
        bad = "no id";
    if (!bad && (!has_lat || !has_lon || !tr_geo_valid(m->home_lat, m->home_lon)))
        bad = "no valid home (the simulator starts each agent there)";
    if (!bad && !m->timezone[0])
        bad = "no timezone";
    if (!bad && m->hours[0]) {
        struct tr_shift sh[TR_MSG_MAX_SHIFTS];
        size_t nsh;
        bool has;
        char why[160];
        if (tr_hours_parse(m->hours, sh, TR_MSG_MAX_SHIFTS, &nsh, &has, why, sizeof why) !=
            TR_HOURS_OK) {
            set_err(err, errlen, "line %ld: hours: %s", line, why);
            return -1;
        }
    }
    if (bad) {
        set_err(err, errlen, "line %ld: %s", line, bad);
        return -1;
    }
    if (!m->name[0])
        snprintf(m->name, sizeof m->name, "%s", m->id);
    return active ? 1 : 0;
}

int tr_sim_fleet_parse(const char *buf, size_t len, struct tr_sim_fleet *out, char *err,
                       size_t errlen)
{
    struct tr_csv r;
    char *copy, *f[MAX_COLS];
    enum col cols[MAX_COLS];
    size_t n, ncols = 0, cap = 0;
    long line = 1;
    int rc = TR_SIM_FLEET_OK, got;

    if (!buf || !out)
        return TR_SIM_FLEET_ERR_INVALID;
    memset(out, 0, sizeof *out);
    if (!(copy = malloc(len + 1)))
        return TR_SIM_FLEET_ERR_NOMEM;
    memcpy(copy, buf, len);
    copy[len] = '\0';
    tr_csv_init(&r, copy, len);
    got = tr_csv_next(&r, f, MAX_COLS, &n, &line);
    if (got != TR_CSV_OK) {
        set_err(err, errlen, got == TR_CSV_END ? "no header row" : "line %ld: %s", line,
                tr_csv_strerror(got));
        rc = got == TR_CSV_END ? TR_SIM_FLEET_ERR_EMPTY : TR_SIM_FLEET_ERR_SYNTAX;
        goto done;
    }
    ncols = n;
    if (header(f, n, cols, err, errlen) != 0) {
        rc = TR_SIM_FLEET_ERR_SYNTAX;
        goto done;
    }
    while ((got = tr_csv_next(&r, f, MAX_COLS, &n, &line)) != TR_CSV_END) {
        if (got != TR_CSV_OK) {
            set_err(err, errlen, "line %ld: %s", line, tr_csv_strerror(got));
            rc = TR_SIM_FLEET_ERR_SYNTAX;
            goto done;
        }
        if (out->n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct tr_sim_member *nm = realloc(out->m, nc * sizeof *nm);
            if (!nm) {
                rc = TR_SIM_FLEET_ERR_NOMEM;
                goto done;
            }
            out->m = nm;
            cap = nc;
        }
        int k = row(f, n, cols, ncols, line, &out->m[out->n], err, errlen);
        if (k < 0) {
            rc = TR_SIM_FLEET_ERR_ROW;
            goto done;
        }
        if (k == 0)
            continue;
        for (size_t i = 0; i < out->n; i++)
            if (strcmp(out->m[i].id, out->m[out->n].id) == 0) {
                set_err(err, errlen, "line %ld: id %s twice (line %ld)", line, out->m[i].id,
                        out->m[i].line);
                rc = TR_SIM_FLEET_ERR_DUPLICATE;
                goto done;
            }
        out->n++;
    }
    if (out->n == 0) {
        set_err(err, errlen, "no active contractor rows");
        rc = TR_SIM_FLEET_ERR_EMPTY;
    }
done:
    free(copy);
    if (rc != TR_SIM_FLEET_OK)
        tr_sim_fleet_free(out);
    return rc;
}

int tr_sim_fleet_load(const char *path, struct tr_sim_fleet *out, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t n = 0;
    int rc;

    if (!path || !out)
        return TR_SIM_FLEET_ERR_INVALID;
    memset(out, 0, sizeof *out);
    rc = tr_csv_read_file(path, MAX_FILE, &buf, &n);
    if (rc != TR_CSV_OK) {
        set_err(err, errlen, "%s: %s", path,
                rc == TR_CSV_ERR_IO ? strerror(errno) : tr_csv_strerror(rc));
        return TR_SIM_FLEET_ERR_IO;
    }
    rc = tr_sim_fleet_parse(buf, n, out, err, errlen);
    free(buf);
    return rc;
}

void tr_sim_fleet_free(struct tr_sim_fleet *f)
{
    if (!f)
        return;
    free(f->m);
    f->m = NULL;
    f->n = 0;
}

const char *tr_sim_fleet_strerror(int err)
{
    switch (err) {
    case TR_SIM_FLEET_OK:
        return "ok";
    case TR_SIM_FLEET_ERR_INVALID:
        return "invalid argument";
    case TR_SIM_FLEET_ERR_IO:
        return "cannot read the fleet file";
    case TR_SIM_FLEET_ERR_SYNTAX:
        return "not a contractor CSV file";
    case TR_SIM_FLEET_ERR_ROW:
        return "a row with a bad value";
    case TR_SIM_FLEET_ERR_EMPTY:
        return "no active contractors";
    case TR_SIM_FLEET_ERR_NOMEM:
        return "out of memory";
    case TR_SIM_FLEET_ERR_DUPLICATE:
        return "the same id twice";
    default:
        return "unknown fleet error";
    }
}
