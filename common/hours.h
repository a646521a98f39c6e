/*
 * common/hours.h: working hours written by a person ("Mon-Fri 08:00-17:00")
 * <-> the contract's list of shifts (struct tr_shift, common/msg.h).
 *
 * What it does: parse a short, human text into shifts, and print shifts
 * back in the same syntax. Grammar (case-insensitive day names, spaces
 * around separators allowed):
 *
 *   hours  := "always" | "never" | item (";" item)*
 *   item   := days " " range ("," range)*
 *   days   := day ("-" day)? ("," day ("-" day)?)*      Mon Tue Wed Thu Fri Sat Sun,
 *                                                       or "daily" = Mon-Sun
 *   range  := HH:MM "-" HH:MM                           end "24:00" or "00:00" = midnight
 *
 * e.g. "Mon-Fri 08:00-12:00,13:00-17:00; Sat 09:00-13:00". A range whose
 * end is before its start crosses midnight ("Fri 22:00-06:00" is Friday
 * 22:00-24:00 plus Saturday 00:00-06:00, Sunday wrapping to Monday); a day
 * range may wrap too ("Fri-Mon"). "always" means no hours at all (always
 * on shift: *has_hours false); "never" an empty schedule.
 *
 * What it does not do: time zones (common/tz.h evaluates the shifts), or
 * merge overlapping shifts (they are kept as written; tr_shift_on is fine
 * with overlaps). Pure: no allocation, no state.
 */
#ifndef TR_HOURS_H
#define TR_HOURS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/msg.h"

enum tr_hours_err {
    TR_HOURS_OK = 0,
    TR_HOURS_ERR_INVALID = 1,  /* NULL argument */
    TR_HOURS_ERR_SYNTAX = 2,   /* not the grammar above (err says where) */
    TR_HOURS_ERR_DAY = 3,      /* unknown day name */
    TR_HOURS_ERR_TIME = 4,     /* not HH:MM, or out of range */
    TR_HOURS_ERR_EMPTY = 5,    /* a range of zero length (start == end) */
    TR_HOURS_ERR_TOO_MANY = 6, /* more than cap shifts */
};

/*
 * Parse text into up to cap shifts (cap <= TR_MSG_MAX_SHIFTS is what the
 * contract can carry). On success *has_hours says whether there are hours
 * ("always": false, *n 0) and out[0..*n) holds them. On failure *n is 0 and
 * err (may be NULL) gets one line naming the offending part.
 */
int tr_hours_parse(const char *text, struct tr_shift *out, size_t cap, size_t *n, bool *has_hours,
                   char *err, size_t errlen);

/* Print shifts as one item per shift ("Mon 08:00-17:00; Tue 08:00-17:00"),
 * "always" when !has_hours, "never" when n is 0. Truncates to cap - 1
 * characters (always NUL-terminated when cap > 0). Returns the length it
 * wanted, as snprintf does. */
size_t tr_hours_format(const struct tr_shift *shifts, size_t n, bool has_hours, char *buf,
                       size_t cap);

const char *tr_hours_strerror(int err);

#endif
