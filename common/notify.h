/*
 * common/notify.h: tell systemd how a daemon is doing (sd_notify protocol):
 * ready, stopping, a one-line status, and watchdog keep-alives.
 *
 * What it does: each call sends one datagram to $NOTIFY_SOCKET (a path or an
 * '@' abstract name), speaking systemd's notify protocol itself (the stable
 * interface sd_notify(3) documents for reimplementation; no libsystemd, so
 * the units are always Type=notify). Outside systemd (no NOTIFY_SOCKET: a
 * terminal, a test, a container) every call is a no-op that succeeds.
 *
 * Where a daemon calls it:
 *   tr_notify_ready()       once everything that can fail at start has
 *                           succeeded (config read, store open, sockets bound);
 *                           not waiting for the broker (it may be offline)
 *   tr_notify_watchdog()    from the loop that does the real work, at least
 *                           every tr_notify_watchdog_interval_ms() (half of
 *                           the unit's WatchdogSec=); only from a loop that
 *                           would stop turning if the daemon hung (the
 *                           tr_notify_wd helper below keeps the schedule)
 *   tr_notify_status(...)   on changes worth seeing in `systemctl status`
 *                           ("connected to broker", "offline, 12 queued")
 *   tr_notify_stopping()    when a stop begins (SIGTERM received)
 *
 * What it does not do: socket activation, file descriptor store, or logging
 * (the caller logs on an error if it cares). No state: safe from any thread.
 */
#ifndef TR_NOTIFY_H
#define TR_NOTIFY_H

#include <stdbool.h>

enum tr_notify_err {
    TR_NOTIFY_OK = 0,       /* sent, or nothing to do (not under systemd) */
    TR_NOTIFY_ERR_SEND = 1, /* NOTIFY_SOCKET is set but the message could not be sent */
    TR_NOTIFY_ERR_ARG = 2,  /* NULL format, or a status that does not fit 256 bytes */
};

/* READY=1: the service is up (Type=notify units stay "activating" until then). */
int tr_notify_ready(void);
/* STOPPING=1: a clean stop has begun. */
int tr_notify_stopping(void);
/* WATCHDOG=1: a keep-alive; systemd restarts the service when they stop. */
int tr_notify_watchdog(void);
/* STATUS=...: one line for `systemctl status` (printf format, at most 255
 * bytes after formatting; a newline in it is replaced by a space). */
int tr_notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* How often to call tr_notify_watchdog: half of the unit's WatchdogSec=, in
 * milliseconds (at least 1), or 0 when no watchdog is set for this process
 * (WATCHDOG_USEC absent, or WATCHDOG_PID names another process). */
long tr_notify_watchdog_interval_ms(void);

/* A watchdog schedule for the one loop that pings (no globals: it lives in
 * that loop). tr_notify_wd_init reads the interval once
 * (tr_notify_watchdog_interval_ms); tr_notify_wd_kick, called every turn of
 * the loop, sends WATCHDOG=1 when one is due (the first call sends at once)
 * and returns the milliseconds until the next one is due, for the loop's
 * sleep (poll timeout, condition wait), or -1 when no watchdog is set. Time
 * comes from CLOCK_MONOTONIC, so a wall-clock step cannot stop the pings. */
struct tr_notify_wd {
    long interval_ms; /* 0: no watchdog */
    long long next_ms;
};
void tr_notify_wd_init(struct tr_notify_wd *w);
long tr_notify_wd_kick(struct tr_notify_wd *w);

/* always true now (the protocol is built in; kept for callers that asked). */
bool tr_notify_compiled_in(void);

const char *tr_notify_strerror(int rc);

#endif
