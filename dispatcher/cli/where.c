/*
 * dispatcher/cli/where.c: `truckroll where`: which country, US state and
 * county a position is in, from the boundary data alone (no dispatcher, no
 * network). One point from the arguments (a table, or JSON with --json), or
 * `LAT LON` lines from standard input with `-` (one JSON object per line; a
 * bad line gets an object with an "error" key and the rest go on).
 *
 * It does not geocode names (see tr_boundaries_find) or talk to truckrolld.
 */
#include "dispatcher/cli/commands.h"
#include "dispatcher/geo/boundary.h"

#include <cjson/cJSON.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_LEN 1024

static void where_usage(FILE *f)
{
    fprintf(f,
            "usage: truckroll where [--json] [--data FILE] LAT LON   (or LAT,LON)\n"
            "       truckroll where [--data FILE] -\n\n"
            "Tell which country (ISO 3166-1 alpha-2), US state and county a position\n"
            "(WGS84 degrees, latitude first) is in. With '-', read 'LAT LON' lines\n"
            "(blank or comma separated; blank lines and '#' comments skipped) from\n"
            "standard input and write one JSON object per line.\n\n"
            "JSON keys: lat, lon, country (alpha-2 or null), country_name, state_fips,\n"
            "state (postal code), state_name, county_fips, county; null where the point\n"
            "is not in such a region (at sea: all null). A bad line gives\n"
            "{\"line\": N, \"input\": ..., \"error\": ...}.\n\n"
            "options:\n"
            "  --json       print the single answer as JSON\n"
            "  --data FILE  boundary data (default: $%s, else the built-in path)\n"
            "  -h, --help   this text\n\n"
            "exit status: 0 ok, 1 invalid coordinates or a bad input line,\n"
            "2 usage error, 3 boundary data missing or unreadable\n",
            TR_GEO_DATA_ENV);
}

/* A decimal number and nothing else: no inf/nan/hex, no trailing garbage. */
static int parse_number(const char *s, size_t len, double *out)
{
    char buf[64];
    char *end = NULL;
    int digits = 0;
    if (len == 0 || len >= sizeof(buf))
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9')
            digits = 1;
        else if (c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E')
            return -1;
    }
    if (!digits)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    *out = strtod(buf, &end);
    return end == buf + len && isfinite(*out) ? 0 : -1;
}

/* "LAT LON", "LAT,LON" or "LAT, LON". Returns NULL or what is wrong. */
static const char *parse_position(const char *s, double *lat, double *lon)
{
    const char *sep = " \t,";
    size_t a0 = strspn(s, " \t"), a1 = a0 + strcspn(s + a0, sep);
    size_t b0 = a1 + strspn(s + a1, " \t"), b1;
    if (s[b0] == ',')
        b0++;
    b0 += strspn(s + b0, " \t");
    b1 = b0 + strcspn(s + b0, sep);
    if (a1 == a0 || b1 == b0)
        return "expected two numbers: LAT LON";
    if (s[b1 + strspn(s + b1, " \t")] != '\0')
        return "unexpected text after LAT LON";
    if (parse_number(s + a0, a1 - a0, lat) != 0)
        return "latitude is not a number";
    if (parse_number(s + b0, b1 - b0, lon) != 0)
        return "longitude is not a number";
    return NULL;
}

static void add_str(cJSON *o, const char *key, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *info_json(double lat, double lon, const struct tr_region_info *in)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "lat", lat);
    cJSON_AddNumberToObject(o, "lon", lon);
    add_str(o, "country", in->country);
    add_str(o, "country_name", in->country_name);
    add_str(o, "state_fips", in->state_fips);
    add_str(o, "state", in->state);
    add_str(o, "state_name", in->state_name);
    add_str(o, "county_fips", in->county_fips);
    add_str(o, "county", in->county);
    return o;
}

/* Print O on one line and free it. */
static void print_json(cJSON *o)
{
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    if (text)
        puts(text);
    else
        puts("{\"error\":\"out of memory\"}");
    free(text);
    cJSON_Delete(o);
}

static void print_error_json(long line, const char *input, size_t len, const char *error)
{
    char echo[81];
    size_t n = 0;
    cJSON *o = cJSON_CreateObject();
    /* Echo a printable ASCII prefix of the input, so the output stays JSON. */
    for (size_t i = 0; input && i < len && n + 1 < sizeof(echo); i++) {
        unsigned char c = (unsigned char)input[i];
        echo[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    echo[n] = '\0';
    if (o) {
        if (line > 0)
            cJSON_AddNumberToObject(o, "line", (double)line);
        if (input)
            cJSON_AddStringToObject(o, "input", echo);
        cJSON_AddStringToObject(o, "error", error);
    }
    print_json(o);
}

static const char *or_dash(const char *s)
{
    return s ? s : "-";
}

/* SLON is NULL when SLAT holds both ("41.88,-87.63"). */
static int one_point(const struct tr_geo_boundaries *b, const char *slat, const char *slon,
                     int json)
{
    double lat = 0, lon = 0;
    struct tr_region_info in;
    const char *bad = NULL;
    int rc;
    if (!slon)
        bad = parse_position(slat, &lat, &lon);
    else if (parse_number(slat, strlen(slat), &lat) != 0)
        bad = "latitude is not a number";
    else if (parse_number(slon, strlen(slon), &lon) != 0)
        bad = "longitude is not a number";
    if (!bad && (rc = tr_boundaries_lookup(b, lat, lon, &in)) != TR_GEO_OK)
        bad = tr_geo_strerror(rc);
    if (bad) {
        if (json)
            print_error_json(0, NULL, 0, bad);
        fprintf(stderr, "truckroll where: %s: %s%s%s\n", bad, slat, slon ? " " : "",
                slon ? slon : "");
        return 1;
    }
    if (json) {
        print_json(info_json(lat, lon, &in));
        return 0;
    }
    printf("position  %.6f, %.6f\n", lat, lon);
    if (in.country_name)
        printf("country   %-5s %s\n", or_dash(in.country), in.country_name);
    else
        printf("country   -     (not in any country: at sea)\n");
    if (in.state)
        printf("state     %-5s %s (FIPS %s)\n", in.state, or_dash(in.state_name),
               or_dash(in.state_fips));
    else
        printf("state     -\n");
    if (in.county)
        printf("county    %-5s %s\n", or_dash(in.county_fips), in.county);
    else
        printf("county    -\n");
    return 0;
}

static int from_stdin(const struct tr_geo_boundaries *b)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    int status = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        size_t n = (size_t)len;
        double lat, lon;
        struct tr_region_info in;
        const char *bad = NULL;
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (memchr(line, '\0', n))
            bad = "NUL byte in line";
        else if (n > LINE_MAX_LEN)
            bad = "line too long";
        if (!bad) {
            line[n] = '\0';
            size_t skip = strspn(line, " \t");
            if (line[skip] == '\0' || line[skip] == '#')
                continue;
            bad = parse_position(line, &lat, &lon);
        }
        if (!bad) {
            int rc = tr_boundaries_lookup(b, lat, lon, &in);
            if (rc != TR_GEO_OK)
                bad = tr_geo_strerror(rc);
        }
        if (bad) {
            print_error_json(lineno, line, n, bad);
            status = 1;
            continue;
        }
        print_json(info_json(lat, lon, &in));
    }
    free(line);
    if (ferror(stdin)) {
        fprintf(stderr, "truckroll where: error reading standard input\n");
        return 1;
    }
    return status;
}

int tr_cli_where(int argc, char **argv)
{
    const char *data = NULL, *pos[2] = { NULL, NULL };
    int json = 0, npos = 0, use_stdin = 0, rc, only_pos = 0;
    struct tr_geo_boundaries *b = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int numeric = a[0] == '-' && (a[1] == '.' || (a[1] >= '0' && a[1] <= '9'));
        if (!only_pos && strcmp(a, "--") == 0) {
            only_pos = 1;
        } else if (!only_pos && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            where_usage(stdout);
            return 0;
        } else if (!only_pos && strcmp(a, "--json") == 0) {
            json = 1;
        } else if (!only_pos && strcmp(a, "--data") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "truckroll where: --data needs a FILE\n");
                return 2;
            }
            data = argv[++i];
        } else if (!only_pos && strncmp(a, "--data=", 7) == 0) {
            data = a + 7;
        } else if (!only_pos && strcmp(a, "-") == 0) {
            use_stdin = 1;
        } else if (!only_pos && a[0] == '-' && !numeric) {
            fprintf(stderr, "truckroll where: unknown option '%s' (try --help)\n", a);
            return 2;
        } else if (npos < 2) {
            pos[npos++] = a;
        } else {
            fprintf(stderr, "truckroll where: too many arguments (try --help)\n");
            return 2;
        }
    }
    if (use_stdin ? npos != 0 : npos == 0) {
        fprintf(stderr, "truckroll where: give LAT LON, or - to read lines (try --help)\n");
        return 2;
    }
    data = tr_boundaries_data_path(data);
    rc = tr_boundaries_load(data, &b);
    if (rc != TR_GEO_OK) {
        fprintf(stderr, "truckroll where: %s: %s\n", data, tr_geo_strerror(rc));
        return 3;
    }
    rc = use_stdin ? from_stdin(b) : one_point(b, pos[0], pos[1], json);
    tr_boundaries_free(b);
    return rc;
}
