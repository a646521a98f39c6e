/*
 * fieldagent/gps/gpsd_source.h: fixes from a running gpsd through libgps
 * (library tr_agent_gps). gpsd_source.c is the only file of the project that
 * includes <gps.h>.
 *
 * What it does: connect to gpsd (WATCH_ENABLE | WATCH_JSON), hand the
 * caller a descriptor to poll() with its other descriptors, read what is
 * readable without blocking, turn gpsd's TPV reports into checked
 * struct tr_fix values (one per receiver epoch, see gpsd_fix.h for the
 * rules), count every report it did not publish and why, and reconnect with
 * an exponential backoff when gpsd goes away (restart, crash, not started
 * yet). Works with libgps API 7 and later (Debian 12: gpsd 3.22, API 11).
 *
 * What it does not do: threads, logging, sequence numbers (fixes come out
 * with seq 0: the caller numbers them), reporting policy, reading the clock
 * (now_ms, ms since the Unix epoch from the caller's wall clock, is used for
 * the future-time check and for the hold and backoff timers; a clock that
 * jumps backwards restarts those waits).
 *
 * Blocking: connecting (tr_gpsd_open, and reconnects inside tr_gpsd_read)
 * resolves the host and calls connect() without a timeout: use a numeric or
 * local host (gpsd runs on the device). Reading never blocks.
 *
 * The process must ignore SIGPIPE: libgps sends the WATCH command with
 * write(), and gpsd may have closed the connection in between.
 *
 * Ownership: struct tr_gpsd is opaque; tr_gpsd_open makes it, tr_gpsd_close
 * frees it (NULL is a no-op). Not thread-safe: one thread per handle.
 *
 * Typical loop:
 *
 *     tr_gpsd_open("127.0.0.1", "2947", NULL, now, &g);   // not fatal if gpsd is down
 *     for (;;) {
 *         struct pollfd p = { tr_gpsd_fd(g), POLLIN, 0 };
 *         poll(&p, p.fd >= 0, min(my_timeout, tr_gpsd_timeout_ms(g, now)));
 *         rc = tr_gpsd_read(g, now, fixes, 16, &n);   // even when not readable
 *         for each of the n fixes: number it, feed the reporting policy
 *     }
 */
#ifndef TR_GPSD_SOURCE_H
#define TR_GPSD_SOURCE_H

#include "common/msg.h"
#include "fieldagent/gps/gpsd_fix.h"

#include <stddef.h>
#include <stdint.h>

struct tr_gpsd;

/* Errors. Numbers never change. */
enum tr_gpsd_err {
    TR_GPSD_OK = 0,
    TR_GPSD_ERR_INVALID = 1,      /* bad arguments */
    TR_GPSD_ERR_NOMEM = 2,        /* out of memory */
    TR_GPSD_ERR_CONNECT = 3,      /* could not connect to gpsd (will retry) */
    TR_GPSD_ERR_WATCH = 4,        /* connected, but the WATCH command failed (will retry) */
    TR_GPSD_ERR_DISCONNECTED = 5, /* gpsd closed the connection or a read failed (will retry) */
};

/* Defaults: tr_gpsd_opts_default. */
struct tr_gpsd_opts {
    /* Refuse fixes dated more than this after now_ms. TR_GPSD_NO_FUTURE_CHECK
     * (-1) turns the check off (tests replaying old logs). Default 60000. */
    int64_t max_future_ms;
    /* Longest wait for the rest of a receiver epoch (EMIT_LAST). Default 1500. */
    int64_t hold_ms;
    enum tr_gpsd_emit emit; /* default TR_GPSD_EMIT_LAST */
    /* Reconnect backoff: first wait, doubled after each failure up to the
     * maximum, back to the first once gpsd sends something. Defaults 500 and
     * 30000. */
    int64_t backoff_min_ms;
    int64_t backoff_max_ms;
};

/* Why reports were not published, and the connection history. */
struct tr_gpsd_stats {
    uint64_t messages;           /* JSON lines read from gpsd */
    uint64_t tpv;                /* TPV reports among them */
    uint64_t published;          /* fixes handed to the caller */
    uint64_t no_fix;             /* TPV with mode < 2 */
    uint64_t no_time;            /* TPV without a time */
    uint64_t bad_time;           /* time outside 2000 ..= 2100 */
    uint64_t future;             /* time after now_ms + max_future_ms */
    uint64_t bad_position;       /* lat/lon missing or not finite */
    uint64_t out_of_range;       /* |lat| > 90 or |lon| > 180 */
    uint64_t same_epoch;         /* later TPV of a held epoch (replaced it) */
    uint64_t duplicate;          /* TPV with the time of the last published fix */
    uint64_t field_out_of_range; /* acc/speed/heading present but out of range: omitted */
    uint64_t time_backwards;     /* published fixes older than the one before (published anyway) */
    uint64_t connects;           /* successful connects, the first one included */
    uint64_t connect_failures;   /* failed connect or WATCH attempts */
    uint64_t disconnects;        /* connections lost */
};

void tr_gpsd_opts_default(struct tr_gpsd_opts *o);

/* Make a source for gpsd at host:port (NULL: "localhost", "2947"; both are
 * copied) and try to connect once. opts NULL: defaults.
 * TR_GPSD_OK: connected. TR_GPSD_ERR_CONNECT / TR_GPSD_ERR_WATCH: *out is a
 * working handle all the same, which retries from tr_gpsd_read (gpsd may
 * simply not be up yet). TR_GPSD_ERR_INVALID / TR_GPSD_ERR_NOMEM: *out is
 * NULL. */
int tr_gpsd_open(const char *host, const char *port, const struct tr_gpsd_opts *opts,
                 int64_t now_ms, struct tr_gpsd **out);

/* Disconnect and free. NULL is a no-op. */
void tr_gpsd_close(struct tr_gpsd *g);

/* The connection's descriptor to poll() for POLLIN, or -1 while
 * disconnected. It changes across reconnects: ask again each loop. */
int tr_gpsd_fd(const struct tr_gpsd *g);

/* 1 while connected. */
int tr_gpsd_connected(const struct tr_gpsd *g);

/* Longest time (ms) the caller may wait before calling tr_gpsd_read even if
 * the descriptor stays quiet (a held fix falls due, a reconnect is due, or
 * reports are still buffered): 0 means now, -1 means only when readable. */
int64_t tr_gpsd_timeout_ms(const struct tr_gpsd *g, int64_t now_ms);

/* Do what is due without blocking: reconnect when the backoff allows, read
 * and process the reports that are readable (a bounded number per call),
 * publish a held fix that fell due. Up to cap fixes (cap >= 1) go to out,
 * *n_out says how many; they are valid whatever the return value.
 * TR_GPSD_OK: nothing went wrong. TR_GPSD_ERR_DISCONNECTED: the connection
 * was lost in this call (the held fix, if any, was published). TR_GPSD_ERR_
 * CONNECT / _WATCH: a reconnect attempt in this call failed. Retries go on
 * by themselves in later calls; each error is reported once per event.
 * TR_GPSD_ERR_INVALID: bad arguments. */
int tr_gpsd_read(struct tr_gpsd *g, int64_t now_ms, struct tr_fix *out, size_t cap, size_t *n_out);

/* Drop the connection now and reconnect on the next tr_gpsd_read (no
 * backoff); the held fix, if any, goes to *out (returns 1), else 0. */
int tr_gpsd_reconnect(struct tr_gpsd *g, struct tr_fix *out);

/* Counters since tr_gpsd_open. */
void tr_gpsd_get_stats(const struct tr_gpsd *g, struct tr_gpsd_stats *out);

/* libgps's text for the last connect failure ("" when none). */
const char *tr_gpsd_detail(const struct tr_gpsd *g);

const char *tr_gpsd_strerror(int code);

#endif
