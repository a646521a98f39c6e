/*
 * common/notify.c: the calls of common/notify.h, speaking systemd's notify
 * protocol directly (no libsystemd): each message is one datagram on an
 * AF_UNIX SOCK_DGRAM socket to the address in $NOTIFY_SOCKET, a filesystem
 * path ("/run/systemd/notify") or an abstract name ("@..."), sent with
 * MSG_NOSIGNAL from a fresh socket that is closed at once. systemd documents
 * this as a stable interface meant to be reimplemented (sd_notify(3), "Notes").
 * The sender's credentials come from the kernel (the manager sets SO_PASSCRED),
 * so nothing else is attached. The watchdog period comes from $WATCHDOG_USEC
 * and $WATCHDOG_PID as sd_watchdog_enabled(3) reads them.
 *
 * What it does not do: the vsock addresses of virtual machines
 * ("vsock:CID:PORT"; refused with TR_NOTIFY_ERR_SEND), file descriptor
 * passing, unsetting the environment, or logging. No state.
 */
#include "common/notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define STATUS_MAX 256

/* Fill sa from $NOTIFY_SOCKET; returns the address length, 0 when the
 * variable is absent or empty (not under systemd), -1 when it is unusable. */
static int notify_addr(struct sockaddr_un *sa)
{
    const char *e = getenv("NOTIFY_SOCKET");
    size_t len;

    if (!e || !*e)
        return 0;
    len = strlen(e);
    if ((e[0] != '/' && e[0] != '@') || len < 2 || len >= sizeof sa->sun_path)
        return -1;
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, e, len);
    if (e[0] == '@') {
        /* abstract namespace: a leading NUL, and the length counts no terminator */
        sa->sun_path[0] = '\0';
        return (int)(offsetof(struct sockaddr_un, sun_path) + len);
    }
    return (int)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

static int send_state(const char *state)
{
    struct sockaddr_un sa;
    int alen = notify_addr(&sa);
    int fd, rc = TR_NOTIFY_ERR_SEND;
    size_t n = strlen(state);
    ssize_t sent;

    if (alen == 0)
        return TR_NOTIFY_OK;
    if (alen < 0)
        return TR_NOTIFY_ERR_SEND;
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return TR_NOTIFY_ERR_SEND;
    do
        sent = sendto(fd, state, n, MSG_NOSIGNAL, (const struct sockaddr *)&sa, (socklen_t)alen);
    while (sent < 0 && errno == EINTR);
    if (sent == (ssize_t)n)
        rc = TR_NOTIFY_OK;
    close(fd);
    return rc;
}

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

/* A decimal number with nothing else around it, > 0; 0 when it is not one. */
static unsigned long long env_positive(const char *name)
{
    const char *e = getenv(name);
    char *end;
    unsigned long long v;

    if (!e || *e < '0' || *e > '9')
        return 0;
    errno = 0;
    v = strtoull(e, &end, 10);
    if (errno || *end)
        return 0;
    return v;
}

long tr_notify_watchdog_interval_ms(void)
{
    unsigned long long usec = env_positive("WATCHDOG_USEC");
    const char *pid = getenv("WATCHDOG_PID");

    if (usec == 0)
        return 0;
    /* WATCHDOG_PID, when set, must name this process (sd_watchdog_enabled) */
    if (pid && env_positive("WATCHDOG_PID") != (unsigned long long)getpid())
        return 0;
    unsigned long long half_ms = usec / 2000u;
    if (half_ms == 0)
        return 1;
    return half_ms > (unsigned long long)INT32_MAX ? (long)INT32_MAX : (long)half_ms;
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
    return true;
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
