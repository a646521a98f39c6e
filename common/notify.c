/*
 * common/notify.c: the sd_notify calls of common/notify.h, over libsystemd
 * when TR_HAVE_LIBSYSTEMD is defined, no-ops otherwise. Does not log.
 */
#include "common/notify.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifdef TR_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#define STATUS_MAX 256

#ifdef TR_HAVE_LIBSYSTEMD
static int send_state(const char *state)
{
    /* sd_notify: > 0 sent, 0 no NOTIFY_SOCKET (not under systemd), < 0 error */
    return sd_notify(0, state) < 0 ? TR_NOTIFY_ERR_SEND : TR_NOTIFY_OK;
}
#else
static int send_state(const char *state)
{
    (void)state;
    return TR_NOTIFY_OK;
}
#endif

int tr_notify_ready(void)
{
    return send_state("READY=1");
}

int tr_notify_stopping(void)
{
    return send_state("STOPPING=1");
}

int tr_notify_watchdog(void)
{
    return send_state("WATCHDOG=1");
}

int tr_notify_status(const char *fmt, ...)
{
    static const char prefix[] = "STATUS=";
    char line[sizeof prefix + STATUS_MAX];
    va_list ap;
    int n;

    if (!fmt)
        return TR_NOTIFY_ERR_ARG;
    memcpy(line, prefix, sizeof prefix);
    va_start(ap, fmt);
    n = vsnprintf(line + sizeof prefix - 1, STATUS_MAX, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= STATUS_MAX)
        return TR_NOTIFY_ERR_ARG;
    for (char *p = line; *p; p++) {
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    }
    return send_state(line);
}

long tr_notify_watchdog_interval_ms(void)
{
#ifdef TR_HAVE_LIBSYSTEMD
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return 0;
    uint64_t half_ms = usec / 2000u;
    if (half_ms == 0)
        return 1;
    return half_ms > (uint64_t)INT32_MAX ? (long)INT32_MAX : (long)half_ms;
#else
    return 0;
#endif
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tr_notify_wd_init(struct tr_notify_wd *w)
{
    w->interval_ms = tr_notify_watchdog_interval_ms();
    w->next_ms = 0;
}

long tr_notify_wd_kick(struct tr_notify_wd *w)
{
    if (w->interval_ms <= 0)
        return -1;
    long long now = mono_ms();
    if (w->next_ms == 0 || now >= w->next_ms) {
        (void)tr_notify_watchdog(); /* a failed send: the next turn tries again */
        w->next_ms = now + w->interval_ms;
    }
    return (long)(w->next_ms - now);
}

bool tr_notify_compiled_in(void)
{
#ifdef TR_HAVE_LIBSYSTEMD
    return true;
#else
    return false;
#endif
}

const char *tr_notify_strerror(int rc)
{
    switch (rc) {
    case TR_NOTIFY_OK:
        return "success";
    case TR_NOTIFY_ERR_SEND:
        return "cannot send to the service manager (NOTIFY_SOCKET)";
    case TR_NOTIFY_ERR_ARG:
        return "invalid argument or status too long";
    default:
        return "unknown error";
    }
}
