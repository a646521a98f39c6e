/*
 * tests/support/gpsd_json.h: the TPV reports of a gpsd JSON stream (library
 * tr_testsupport), as in gpsd's regression files (NAME.log.chk) and in
 * gpsfake -p output: NMEA lines and one JSON object per line, mixed. Lines
 * that are not JSON objects, or not TPV, are skipped; so is a truncated last
 * line. Parsed with cJSON (case-sensitive keys).
 */
#ifndef TR_TEST_GPSD_JSON_H
#define TR_TEST_GPSD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trt_tpv {
    int mode;             /* 0 when absent */
    bool has_time;        /* a "time" gpsd's way: YYYY-MM-DDTHH:MM:SS[.fff]Z */
    int64_t t;            /* ms since the Unix epoch */
    bool has_pos;         /* finite "lat" and "lon" */
    double lat, lon;      /* NaN when absent */
    double speed, track;  /* NaN when absent */
    double eph, epx, epy; /* NaN when absent */
};

struct trt_tpv_list {
    struct trt_tpv *v;
    size_t n;
};

/* 0 on success (l owns a malloc'ed array: trt_tpv_list_free); -1 when the
 * file cannot be read or memory runs out. */
int trt_tpv_load(const char *path, struct trt_tpv_list *l);
void trt_tpv_list_free(struct trt_tpv_list *l);

/* gpsd's ISO 8601 time ("2019-03-12T10:51:53.408Z") -> ms since the Unix
 * epoch. 0 on success. */
int trt_iso8601_ms(const char *s, int64_t *out);

/* 1 when the TPV is a usable fix by gpsd's account: mode >= 2, a time and a
 * finite position. */
int trt_tpv_good(const struct trt_tpv *t);

#endif
