/*
 * tests/support/broker.h: a private mosquitto for one test (library
 * tr_testsupport).
 *
 * trt_broker_start picks a free 127.0.0.1 port, writes a generated
 * mosquitto.conf (and password file) into a fresh temp dir under $TMPDIR or
 * /tmp, spawns /usr/sbin/mosquitto, and waits (bounded) until the broker
 * logged that it opened that port, accepts connections there, and its PID is
 * still alive: a foreign broker on the same port once made a test pass
 * against the wrong server. trt_broker_stop ends it by PID (SIGTERM, bounded
 * wait, then SIGKILL) and removes the temp dir. Nothing here uses port 1883 or
 * a system broker. Children are started with posix_spawn (clone + exec, no
 * copy of a multi-threaded test process); when the test runs under qemu-user
 * (cross builds) the native mosquitto still runs natively.
 *
 * Not thread-safe; call from the test's main thread. It does not install
 * signal handlers: a test killed hard may leave its temp dir and broker
 * behind.
 */
#ifndef TR_TEST_BROKER_H
#define TR_TEST_BROKER_H

#include <stddef.h>
#include <sys/types.h>

struct trt_broker_user {
    const char *name;
    const char *password;
};

struct trt_broker_opts {
    /* users != NULL: a password file with these users, allow_anonymous false.
     * NULL: allow_anonymous true. */
    const struct trt_broker_user *users;
    size_t n_users;
    const char *acl_file;   /* optional, used as given (not copied) */
    int persistence;        /* 1: persistence true, database in the temp dir */
    int tcp_nodelay;        /* 1: set_tcp_nodelay true (broker side) */
    const char *extra_conf; /* optional lines appended to mosquitto.conf */
};

struct trt_broker {
    int port;
    pid_t pid; /* 0 when not running */
    char dir[256];
    char conf[320];
    char log[320];
};

/* 0 on success; -1 with a reason on stderr (and the broker's log tail). o may
 * be NULL (anonymous, no persistence). */
int trt_broker_start(struct trt_broker *b, const struct trt_broker_opts *o);
/* SIGTERM, wait up to 5 s, then SIGKILL; remove the temp dir. Safe twice. */
void trt_broker_stop(struct trt_broker *b);
/* Stop (SIGTERM) and start again on the same port with the same config and
 * persistence dir. 0 on success. */
int trt_broker_restart(struct trt_broker *b);
/* SIGKILL and reap, keeping the dir (trt_broker_restart can follow). */
void trt_broker_kill9(struct trt_broker *b);
/* 1 while the broker's PID is alive (reaps it if it died). */
int trt_broker_alive(struct trt_broker *b);

/* Small helpers shared by tests and benchmarks. */
/* A port that was free on 127.0.0.1 a moment ago (bind to 0), or -1. */
int trt_free_port(void);
/* 1 when nothing listens on 127.0.0.1:port (a SO_REUSEADDR bind succeeds). */
int trt_port_is_free(int port);
/* Monotonic milliseconds, for bounded waits only (never asserted on). */
long long trt_now_ms(void);
void trt_sleep_ms(int ms);

#endif
