/*
 * tests/unit/test_notify.c: common/notify against a real datagram socket
 * standing in for systemd's NOTIFY_SOCKET (a path, and an '@' abstract
 * name), an unusable NOTIFY_SOCKET, and the no-op behaviour outside systemd.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/notify.h"
#include "tests/support/check.h"

/* Receive one datagram (1 s timeout) into buf; returns its length or -1. */
static long recv_one(int fd, char *buf, size_t cap)
{
    ssize_t n = recv(fd, buf, cap - 1, 0);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return (long)n;
}

static void with_socket(const char *dir)
{
    struct sockaddr_un sa;
    struct timeval tv = { 1, 0 };
    char buf[512], path[sizeof sa.sun_path];
    int fd;

    snprintf(path, sizeof path, "%s/notify.sock", dir);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    setenv("NOTIFY_SOCKET", path, 1);

    CHECK(tr_notify_ready() == TR_NOTIFY_OK);
    CHECK(recv_one(fd, buf, sizeof buf) > 0 && strcmp(buf, "READY=1") == 0);
    CHECK(tr_notify_status("connected to %s:%d\nqueued %u", "broker", 8883, 12u) == TR_NOTIFY_OK);
    CHECK(recv_one(fd, buf, sizeof buf) > 0 &&
          strcmp(buf, "STATUS=connected to broker:8883 queued 12") == 0);
    CHECK(tr_notify_watchdog() == TR_NOTIFY_OK);
    CHECK(recv_one(fd, buf, sizeof buf) > 0 && strcmp(buf, "WATCHDOG=1") == 0);
    CHECK(tr_notify_stopping() == TR_NOTIFY_OK);
    CHECK(recv_one(fd, buf, sizeof buf) > 0 && strcmp(buf, "STOPPING=1") == 0);

    /* the watchdog schedule: off without WATCHDOG_USEC; with it, the first
     * kick pings at once and the next one only when half the period passed */
    {
        struct tr_notify_wd wd;
        char pid[32];
        long left;
        unsetenv("WATCHDOG_USEC");
        tr_notify_wd_init(&wd);
        CHECK(tr_notify_wd_kick(&wd) == -1);
        CHECK(recv(fd, buf, sizeof buf, MSG_DONTWAIT) < 0);
        snprintf(pid, sizeof pid, "%ld", (long)getpid());
        setenv("WATCHDOG_PID", pid, 1);
        setenv("WATCHDOG_USEC", "60000000", 1);
        tr_notify_wd_init(&wd);
        CHECK(wd.interval_ms == 30000);
        left = tr_notify_wd_kick(&wd);
        CHECK(left > 0 && left <= 30000);
        CHECK(recv_one(fd, buf, sizeof buf) > 0 && strcmp(buf, "WATCHDOG=1") == 0);
        left = tr_notify_wd_kick(&wd);
        CHECK(left > 0 && left <= 30000);
        CHECK(recv(fd, buf, sizeof buf, MSG_DONTWAIT) < 0); /* not due yet */
        unsetenv("WATCHDOG_USEC");
        unsetenv("WATCHDOG_PID");
    }

    /* a socket that is gone: the send fails and says so */
    close(fd);
    unlink(path);
    CHECK(tr_notify_ready() == TR_NOTIFY_ERR_SEND);
    unsetenv("NOTIFY_SOCKET");
}

/* An abstract name ("@..."): no file, the kernel namespace of the socket. */
static void abstract_socket(void)
{
    struct sockaddr_un sa;
    struct timeval tv = { 1, 0 };
    char name[64], buf[512];
    size_t len;
    int fd;

    snprintf(name, sizeof name, "@tr-notify-test-%ld", (long)getpid());
    len = strlen(name);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path + 1, name + 1, len - 1); /* sun_path[0] stays NUL */
    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(bind(fd, (struct sockaddr *)&sa,
               (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) == 0);
    CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    setenv("NOTIFY_SOCKET", name, 1);
    CHECK(tr_notify_ready() == TR_NOTIFY_OK);
    CHECK(recv_one(fd, buf, sizeof buf) > 0 && strcmp(buf, "READY=1") == 0);
    CHECK(tr_notify_status("offline, %d queued", 3) == TR_NOTIFY_OK);
    CHECK(recv_one(fd, buf, sizeof buf) > 0 && strcmp(buf, "STATUS=offline, 3 queued") == 0);
    close(fd);
    /* nobody bound to the name any more */
    CHECK(tr_notify_watchdog() == TR_NOTIFY_ERR_SEND);
    unsetenv("NOTIFY_SOCKET");
}

/* NOTIFY_SOCKET that is no usable address: an error, no crash */
static void bad_socket(void)
{
    char longpath[200];

    setenv("NOTIFY_SOCKET", "relative/notify.sock", 1);
    CHECK(tr_notify_ready() == TR_NOTIFY_ERR_SEND);
    setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
    CHECK(tr_notify_ready() == TR_NOTIFY_ERR_SEND);
    setenv("NOTIFY_SOCKET", "@", 1);
    CHECK(tr_notify_ready() == TR_NOTIFY_ERR_SEND);
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    setenv("NOTIFY_SOCKET", longpath, 1);
    CHECK(tr_notify_ready() == TR_NOTIFY_ERR_SEND);
    setenv("NOTIFY_SOCKET", "", 1); /* empty: as if unset */
    CHECK(tr_notify_ready() == TR_NOTIFY_OK);
    unsetenv("NOTIFY_SOCKET");
}

static void watchdog_interval(void)
{
    char pid[32];

    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    CHECK(tr_notify_watchdog_interval_ms() == 0);
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    setenv("WATCHDOG_PID", pid, 1);
    setenv("WATCHDOG_USEC", "30000000", 1);
    CHECK(tr_notify_watchdog_interval_ms() == 15000);
    setenv("WATCHDOG_USEC", "1000", 1);
    CHECK(tr_notify_watchdog_interval_ms() == 1);
    /* the watchdog was asked for another process (a parent, a wrapper) */
    snprintf(pid, sizeof pid, "%ld", (long)getpid() + 1);
    setenv("WATCHDOG_PID", pid, 1);
    CHECK(tr_notify_watchdog_interval_ms() == 0);
    /* malformed values: no watchdog, as sd_watchdog_enabled(3) fails on them */
    unsetenv("WATCHDOG_PID");
    setenv("WATCHDOG_USEC", "30s", 1);
    CHECK(tr_notify_watchdog_interval_ms() == 0);
    setenv("WATCHDOG_USEC", "-5", 1);
    CHECK(tr_notify_watchdog_interval_ms() == 0);
    setenv("WATCHDOG_USEC", "0", 1);
    CHECK(tr_notify_watchdog_interval_ms() == 0);
    setenv("WATCHDOG_USEC", "30000000", 1);
    setenv("WATCHDOG_PID", "x", 1);
    CHECK(tr_notify_watchdog_interval_ms() == 0);
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
}

int main(void)
{
    char dir[] = "/tmp/tr-notify-XXXXXX";
    char big[400];

    /* outside systemd: every call succeeds and does nothing */
    unsetenv("NOTIFY_SOCKET");
    CHECK(tr_notify_ready() == TR_NOTIFY_OK);
    CHECK(tr_notify_watchdog() == TR_NOTIFY_OK);
    CHECK(tr_notify_stopping() == TR_NOTIFY_OK);
    CHECK(tr_notify_status("idle") == TR_NOTIFY_OK);
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(tr_notify_status("%s", big) == TR_NOTIFY_ERR_ARG);
    CHECK(strcmp(tr_notify_strerror(TR_NOTIFY_ERR_SEND), "unknown error") != 0);
    CHECK(strcmp(tr_notify_strerror(99), "unknown error") == 0);

    CHECK(tr_notify_compiled_in());
    CHECK(mkdtemp(dir) != NULL);
    with_socket(dir);
    rmdir(dir);
    abstract_socket();
    bad_socket();
    watchdog_interval();
    return check_report("test_notify");
}
