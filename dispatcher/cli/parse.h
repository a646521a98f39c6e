/*
 * dispatcher/cli/parse.h: the console's parsers for what people type on the
 * command line and in CSV files: numbers with ranges, money ("85.00" ->
 * cents), positions ("LAT,LON"), times (ISO 8601, "now", "+2h", "@ms"),
 * working hours ("Mon-Fri 09:00-17:00, Sat 10:00-14:00"), lists ("a,b c"),
 * booleans; and the inverse formatters for money and hours.
 *
 * What it does not do: talk to anything, print, or check a whole message
 * (common/msg.h validates requests before they are sent). Pure functions, no
 * state; the only clock or time zone use is local time for an ISO time
 * without a zone (mktime) and the caller's `now_ms` for relative times.
 *
 * Every parser returns 0 and writes its output, or -1 and sets *why (when
 * why is not NULL) to a short static English reason, leaving the output
 * untouched. Inputs are NUL-terminated; leading and trailing blanks are
 * allowed where a person would type them.
 */
#ifndef TR_CLI_PARSE_H
#define TR_CLI_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"

/* A decimal integer in [min, max] (no sign tricks, no hex, no trailing text). */
int tr_cli_parse_int(const char *s, long long min, long long max, long long *out, const char **why);
/* A finite decimal number in [min, max] (no inf/nan/hex). */
int tr_cli_parse_double(const char *s, double min, double max, double *out, const char **why);
/* true/false, yes/no, on/off, 1/0 (any case). */
int tr_cli_parse_bool(const char *s, bool *out, const char **why);

/* Money in major units with at most two decimals ("85", "85.5", "85.00")
 * -> cents, 0 ..= 100000000 (the contract's `cents`). */
int tr_cli_parse_cents(const char *s, int64_t *out, const char **why);
/* cents -> "85.00" (buf of at least 24 bytes). Returns buf. */
char *tr_cli_format_cents(int64_t cents, char *buf, size_t cap);

/* "LAT,LON" or "LAT LON" in WGS84 degrees, latitude first, each in range. */
int tr_cli_parse_position(const char *s, double *lat, double *lon, const char **why);

/*
 * A point in time -> ms since the Unix epoch, within the contract's time_ms
 * range (2000-01-01 ..= 2100-01-01):
 *   now | +N[s|m|h|d] (from now_ms) | @MS (epoch ms) |
 *   YYYY-MM-DD[T| ]HH:MM[:SS[.fff]][Z|+HH:MM|-HH:MM|+HHMM|+HH]
 * A time without a zone is local time (the TZ environment variable).
 */
int tr_cli_parse_time(const char *s, int64_t now_ms, int64_t *out, const char **why);

/*
 * Working hours -> shifts (the contract's `hours`), sorted by day and start.
 *   "Mon-Fri 09:00-17:00, Sat 10:00-14:00"      ',' or ';' between entries
 *   "Mon-Fri 08:00-12:00 13:00-17:00"           several ranges for the days (also
 *   "Mon-Fri 08:00-12:00,13:00-17:00; Sat ..."  ',': ranges go to the last days named,
 *                                               the syntax of common/hours.h)
 *   "Mon,Wed 09:00-17:00"                       days without times join the next ones
 *   "Fri 22:00-06:00"                           overnight: Fri 22-24 and Sat 00-06
 *   "daily 07:00-19:00", "weekdays ...", "weekends ..."
 *   "always" (every day 00:00-24:00: explicit, so `contractor set` can say
 *   it), "none" or "never" (never on shift: no shifts)
 * Day names: Mon..Sun or full names, any case; "24:00" = midnight at the
 * end of the day (written "00:00" on the wire). Shifts of one day may not
 * overlap; at most `cap` (<= TR_MSG_MAX_SHIFTS) shifts.
 */
int tr_cli_parse_hours(const char *s, struct tr_shift *out, size_t cap, size_t *n,
                       const char **why);
/* Shifts -> the compact form above ("Mon-Fri 09:00-17:00, Sat 10:00-14:00";
 * "none" for zero shifts). Truncated to fit cap. Returns buf. */
char *tr_cli_format_hours(const struct tr_shift *h, size_t n, char *buf, size_t cap);

/* Split a list in place at ',', ';' and blanks ("install,network" or
 * "es en"): pointers to the non-empty items go to items. Returns the number
 * of items, or -1 (why) when there are more than cap. */
int tr_cli_split_list(char *s, char **items, size_t cap, const char **why);

#endif
