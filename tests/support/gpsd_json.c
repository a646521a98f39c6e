/*
 * tests/support/gpsd_json.c: read the TPV reports of a gpsd JSON stream
 * (see gpsd_json.h). Independent of libgps on purpose: it is the test's own
 * reading of what gpsd said.
 */
#include "tests/support/gpsd_json.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant) */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int trt_iso8601_ms(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec, used = 0;
    int64_t ms = 0, scale = 100;
    const char *p;

    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
        used != 19)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    p = s + used;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
            if (digits == 3 && *p >= '5')
                ms++; /* round the 4th digit */
            if (digits < 3) {
                ms += (*p - '0') * scale;
                scale /= 10;
            }
        }
        if (digits == 0)
            return -1;
    }
    if (strcmp(p, "Z") != 0)
        return -1;
    *out = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + (int64_t)sec * 1000 + ms;
    return 0;
}

static double number_or_nan(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void tpv_from_json(const cJSON *o, struct trt_tpv *t)
{
    const cJSON *time = cJSON_GetObjectItemCaseSensitive(o, "time");
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(o, "mode");

    memset(t, 0, sizeof *t);
    t->mode = cJSON_IsNumber(mode) ? mode->valueint : 0;
    t->has_time = cJSON_IsString(time) && trt_iso8601_ms(time->valuestring, &t->t) == 0;
    t->lat = number_or_nan(o, "lat");
    t->lon = number_or_nan(o, "lon");
    t->has_pos = isfinite(t->lat) && isfinite(t->lon);
    t->speed = number_or_nan(o, "speed");
    t->track = number_or_nan(o, "track");
    t->eph = number_or_nan(o, "eph");
    t->epx = number_or_nan(o, "epx");
    t->epy = number_or_nan(o, "epy");
}

int trt_tpv_good(const struct trt_tpv *t)
{
    return t->mode >= 2 && t->has_time && t->has_pos;
}

int trt_tpv_load(const char *path, struct trt_tpv_list *l)
{
    FILE *fp = fopen(path, "r");
    char *line = NULL;
    size_t line_cap = 0, cap = 0;
    ssize_t len;
    int rc = -1;

    l->v = NULL;
    l->n = 0;
    if (!fp)
        return -1;
    while ((len = getline(&line, &line_cap, fp)) >= 0) {
        cJSON *o;
        const cJSON *cls;

        if (len == 0 || line[0] != '{')
            continue;
        if (!(o = cJSON_ParseWithLength(line, (size_t)len)))
            continue; /* e.g. a truncated last line */
        cls = cJSON_GetObjectItemCaseSensitive(o, "class");
        if (cJSON_IsString(cls) && strcmp(cls->valuestring, "TPV") == 0) {
            if (l->n == cap) {
                size_t ncap = cap ? cap * 2 : 256;
                struct trt_tpv *nv = realloc(l->v, ncap * sizeof *nv);
                if (!nv) {
                    cJSON_Delete(o);
                    goto done;
                }
                l->v = nv;
                cap = ncap;
            }
            tpv_from_json(o, &l->v[l->n++]);
        }
        cJSON_Delete(o);
    }
    rc = 0;
done:
    free(line);
    fclose(fp);
    if (rc != 0)
        trt_tpv_list_free(l);
    return rc;
}

void trt_tpv_list_free(struct trt_tpv_list *l)
{
    free(l->v);
    l->v = NULL;
    l->n = 0;
}
