/*
 * common/tz.h: IANA time zones without the C library's global TZ state, and
 * contractors' working hours ("on shift now in their own time zone").
 *
 * What it does: reads TZif files (RFC 8536, versions 1 to 4) from the
 * zoneinfo directory with a strict, bounds-checked parser (a corrupt file is
 * an error, never a crash), keeps the 64-bit transition table and the footer
 * POSIX TZ rule (used after the last transition, e.g. in 2100), and converts
 * UTC instants to local time with pure functions. A tr_tz_set loads each
 * zone once, however many contractors share it. Shift evaluation: is a
 * contractor on shift at an instant, when does that next change, and which
 * UTC hours of a day are covered (for the coverage report).
 *
 * What it does not do: local time -> UTC for arbitrary dates, time zone
 * abbreviations, leap seconds (files with leap-second records, the "right/"
 * zones, are rejected), or any use of localtime_r/setenv("TZ") (process-wide
 * state, not thread-safe).
 *
 * I/O happens only in tr_tz_load() and tr_tz_set_get() (which may load).
 * Everything else is pure: no clock, no allocation, no global state. A
 * loaded struct tr_tz is immutable, so any number of threads may read it;
 * a tr_tz_set is not synchronised (one thread, or the caller's lock).
 *
 * Times are int64_t milliseconds since the Unix epoch everywhere (time_t is
 * 32 bits on armhf). Instants are clamped to +-TR_TZ_LIMIT_MS (about 285000
 * years) before any arithmetic, so no input overflows.
 */
#ifndef TR_TZ_H
#define TR_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h" /* struct tr_shift */

/* Errors. Numbers never change. */
enum tr_tz_err {
    TR_TZ_OK = 0,
    TR_TZ_ERR_INVALID = 1,     /* bad arguments (NULL output, ...) */
    TR_TZ_ERR_BAD_NAME = 2,    /* not an IANA zone name (pattern, "..", leading '/') */
    TR_TZ_ERR_NOT_FOUND = 3,   /* no such zone file in the zoneinfo directory */
    TR_TZ_ERR_IO = 4,          /* the file exists but could not be read */
    TR_TZ_ERR_TOO_LARGE = 5,   /* file over TR_TZ_MAX_FILE bytes, or too many entries */
    TR_TZ_ERR_CORRUPT = 6,     /* not valid TZif data */
    TR_TZ_ERR_BAD_RULE = 7,    /* a POSIX TZ string that does not parse */
    TR_TZ_ERR_UNSUPPORTED = 8, /* valid TZif with leap-second records */
    TR_TZ_ERR_NOMEM = 9,
    TR_TZ_ERR_NO_CHANGE = 10, /* tr_shift_next_change: the status never changes */
};

#define TR_TZ_NAME_SIZE   93                        /* longest name the contract allows, + NUL */
#define TR_TZ_MAX_FILE    (256 * 1024)              /* real zone files are under 4 KiB */
#define TR_TZ_LIMIT_MS    INT64_C(9007199254740992) /* 2^53 ms: instants are clamped to +-this */
#define TR_TZ_DEFAULT_DIR "/usr/share/zoneinfo"

/* An immutable, loaded time zone. Opaque. */
struct tr_tz;

/* Local (wall-clock) time at an instant. */
struct tr_tz_local {
    int64_t year;      /* proleptic Gregorian */
    int month;         /* 1..12 */
    int mday;          /* 1..31 */
    int yday;          /* 0..365 */
    int wday;          /* ISO: 1 = Monday ..= 7 = Sunday */
    int hour, minute;  /* 0..23, 0..59 */
    int second;        /* 0..59 (no leap seconds) */
    int ms;            /* 0..999 */
    int minute_of_day; /* 0..1439 */
    int offset_s;      /* UTC offset in seconds, east positive (local = UTC + offset) */
    bool is_dst;
};

/* 1 when name matches the contract's timezone pattern
 * ^[A-Za-z][A-Za-z0-9_+-]{0,29}(/[A-Za-z0-9_+-]{1,30}){0,2}$ (which rules
 * out "..", "." and a leading '/'); 0 otherwise, also for NULL. */
int tr_tz_name_valid(const char *name);

/*
 * Loads zone `name` from zoneinfo_dir (NULL: $TZDIR if set and not empty,
 * else TR_TZ_DEFAULT_DIR). "UTC", "Etc/UTC", "GMT" and "Etc/GMT" work even
 * when the file is missing. On success *out is a new zone the caller frees
 * with tr_tz_free(); on error *out is NULL.
 */
int tr_tz_load(const char *name, const char *zoneinfo_dir, struct tr_tz **out);

/* The same from TZif bytes in memory (tests, fuzzing). name (may be NULL)
 * is only a label; when given it must pass tr_tz_name_valid(). */
int tr_tz_load_mem(const void *buf, size_t len, const char *name, struct tr_tz **out);

/* A zone from a POSIX TZ string alone ("EST5EDT,M3.2.0,M11.1.0", "<+09>-9",
 * "CET-1CEST,M3.5.0,M10.5.0/3"; Jn and n dates; RFC 8536 version-3 hours
 * -167..167 in transition times). A DST name without rules gets the US rules
 * ",M3.2.0,M11.1.0" (as glibc does). At most 255 characters. */
int tr_tz_from_posix(const char *tzstr, struct tr_tz **out);

void tr_tz_free(struct tr_tz *tz); /* NULL is a no-op */

/* The name given when loading ("" for tr_tz_from_posix or an unnamed
 * tr_tz_load_mem). Lives as long as tz. */
const char *tr_tz_name(const struct tr_tz *tz);

const char *tr_tz_strerror(int err);

/* ---- pure conversions (tz NULL means UTC) ---- */

/* UTC offset in seconds (east positive) at an instant. Before the first
 * transition: time type 0; after the last one: the footer rule, or the last
 * transition's type when the file has none (RFC 8536 section 3.2). */
int tr_tz_offset_s(const struct tr_tz *tz, int64_t utc_ms);

/* Local time at an instant. */
void tr_tz_local(const struct tr_tz *tz, int64_t utc_ms, struct tr_tz_local *out);

/* ---- a cache: each zone is loaded once ---- */

struct tr_tz_set;

/* zoneinfo_dir as for tr_tz_load (copied). */
int tr_tz_set_new(const char *zoneinfo_dir, struct tr_tz_set **out);
void tr_tz_set_free(struct tr_tz_set *set); /* frees every zone it handed out; NULL ok */

/*
 * The zone called name, loaded on first use. *out belongs to the set and
 * stays valid until tr_tz_set_free(). Failures are remembered too (the same
 * error is returned without touching the disk again), up to a bound on the
 * number of distinct bad names. Not thread-safe.
 */
int tr_tz_set_get(struct tr_tz_set *set, const char *name, const struct tr_tz **out);

/* Number of names the set remembers (loaded zones and failures). */
size_t tr_tz_set_count(const struct tr_tz_set *set);

/* ---- working hours (struct tr_shift from common/msg.h) ----
 *
 * A shift {day, start, end} covers the local wall-clock times
 * [start, end) on ISO weekday `day`; an `end` of "00:00" means 24:00. A
 * shift crossing midnight is two entries (the contract requires start <
 * end). Entries that break the contract (day outside 1..7, not "HH:MM",
 * start >= end) never match. Only the first TR_SHIFT_MAX entries are
 * looked at (the contract allows TR_MSG_MAX_SHIFTS = 21).
 *
 * `shifts == NULL` means the contractor has no `hours` (absent: always on
 * shift); a non-NULL list with n == 0 means an empty schedule (never on
 * shift), as struct tr_contractor's has_hours documents. Callers pass
 * `c->has_hours ? c->hours : NULL, c->n_hours`.
 *
 * Status is decided by the local wall clock at the instant, so across DST:
 * - spring forward (a gap, e.g. 02:00-03:00 does not exist): a shift that
 *   starts inside the gap starts when the clock jumps (03:00); a shift that
 *   lies wholly inside the gap does not happen that day; one ending inside
 *   the gap ends at the jump.
 * - fall back (an overlap, e.g. 01:00-02:00 happens twice): a contractor is
 *   on shift during both passes of any wall-clock time their hours cover,
 *   so a shift ending at 01:30 ends at the first 01:30, resumes at the
 *   second 01:00 and ends again at the second 01:30.
 */

#define TR_SHIFT_MAX 64

bool tr_shift_on(const struct tr_tz *tz, const struct tr_shift *shifts, size_t n, int64_t utc_ms);

/*
 * The first instant after utc_ms at which tr_shift_on() gives a different
 * answer: the status is constant on [utc_ms, *next_ms). TR_TZ_ERR_NO_CHANGE
 * (and *next_ms = INT64_MAX) when it never changes (no hours, an empty
 * schedule, no valid entry, or hours covering the whole week) or not within
 * the next 15 days (impossible for a real weekly schedule).
 */
int tr_shift_next_change(const struct tr_tz *tz, const struct tr_shift *shifts, size_t n,
                         int64_t utc_ms, int64_t *next_ms);

/*
 * Coverage helper: bit h of *mask24 (h = 0..23) is set when the contractor
 * is on shift for some part (at least 1 ms) of the UTC hour
 * [day_start_utc_ms + h h, day_start_utc_ms + (h + 1) h). day_start_utc_ms
 * is normally a UTC midnight; any instant works. A shift 09:00-18:00 in
 * Asia/Kolkata (+5:30) sets bits 3..12.
 */
void tr_shift_hours_utc(const struct tr_tz *tz, const struct tr_shift *shifts, size_t n,
                        int64_t day_start_utc_ms, uint32_t *mask24);

/* Minutes since local midnight for a contract "HH:MM" string (0..1439), or
 * -1 if it is not one. */
int tr_shift_parse_hhmm(const char *s);

#endif
