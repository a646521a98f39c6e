/*
 * tests/support/broker.c: start and stop a private mosquitto for a test (see
 * broker.h). Does not parse mosquitto's output beyond looking for the line
 * that says it opened our port.
 */
#define _GNU_SOURCE /* posix_spawn_file_actions_addclosefrom_np */
#include "tests/support/broker.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MOSQUITTO        "/usr/sbin/mosquitto"
#define MOSQUITTO_PASSWD "/usr/bin/mosquitto_passwd"
#define START_WAIT_MS    5000
#define STOP_WAIT_MS     5000

long long trt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void trt_sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void loopback(struct sockaddr_in *sa, int port)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((unsigned short)port);
    sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

int trt_free_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

    if (fd < 0)
        return -1;
    loopback(&sa, 0);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

int trt_port_is_free(int port)
{
    struct sockaddr_in sa;
    int one = 1, ok;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return 0;
    /* like mosquitto's own listener: TIME_WAIT leftovers do not count */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    loopback(&sa, port);
    ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

static int port_accepts(int port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

    if (fd < 0)
        return 0;
    loopback(&sa, port);
    ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

/* 1 when the log says our broker opened the port. */
static int log_says_listening(const struct trt_broker *b)
{
    char want[64], line[512];
    int found = 0;
    FILE *f = fopen(b->log, "r");

    if (!f)
        return 0;
    snprintf(want, sizeof want, "listen socket on port %d.", b->port);
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, want) != NULL;
    fclose(f);
    return found;
}

static void dump_log(const struct trt_broker *b)
{
    char line[512];
    FILE *f = fopen(b->log, "r");

    fprintf(stderr, "broker: log %s:\n", b->log);
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        fprintf(stderr, "  %s", line);
    fclose(f);
}

static int path_in(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

/* Start argv[0] with stdin/stdout/stderr on /dev/null and no other inherited
 * descriptor: a broker holding a copy of a client's socket would keep that
 * connection open after the client closed it. posix_spawn rather than fork:
 * the test process has paho's threads, and only async-signal-safe calls would
 * be allowed in a forked child anyway. */
static pid_t spawn(char *const argv[])
{
    posix_spawn_file_actions_t fa;
    pid_t pid = -1;
    int ok;

    if (posix_spawn_file_actions_init(&fa) != 0)
        return -1;
    ok = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) == 0 &&
         posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) == 0 &&
         posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0) == 0 &&
         posix_spawn_file_actions_addclosefrom_np(&fa, 3) == 0;
    if (ok && posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

/* Run a program and wait for it; 0 when it exited 0. */
static int run(char *const argv[])
{
    int status;
    pid_t pid = spawn(argv);

    if (pid < 0)
        return -1;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int write_conf(struct trt_broker *b, const struct trt_broker_opts *o)
{
    char pw[320];
    const char *db = "mosquitto.db";
    FILE *f;

    if (path_in(pw, sizeof pw, b->dir, "passwd") != 0)
        return -1;
    if (o && o->users) {
        for (size_t i = 0; i < o->n_users; i++) {
            /* -c (create) only for the first user */
            char *first[] = { MOSQUITTO_PASSWD,
                              "-b",
                              "-c",
                              pw,
                              (char *)o->users[i].name,
                              (char *)o->users[i].password,
                              NULL };
            char *more[] = { MOSQUITTO_PASSWD,
                             "-b",
                             pw,
                             (char *)o->users[i].name,
                             (char *)o->users[i].password,
                             NULL };
            if (run(i == 0 ? first : more) != 0) {
                fprintf(stderr, "broker: %s failed\n", MOSQUITTO_PASSWD);
                return -1;
            }
        }
    }
    if (!(f = fopen(b->conf, "w")))
        return -1;
    fprintf(f, "# generated by tests/support/broker.c\n");
    fprintf(f, "listener %d 127.0.0.1\n", b->port);
    if (geteuid() == 0)
        fprintf(f, "user root\n"); /* else mosquitto drops to 'mosquitto': no access here */
    if (o && o->users)
        fprintf(f, "allow_anonymous false\npassword_file %s\n", pw);
    else
        fprintf(f, "allow_anonymous true\n");
    if (o && o->acl_file)
        fprintf(f, "acl_file %s\n", o->acl_file);
    if (o && o->persistence)
        fprintf(f, "persistence true\npersistence_location %s/\npersistence_file %s\n", b->dir, db);
    else
        fprintf(f, "persistence false\n");
    if (o && o->tcp_nodelay)
        fprintf(f, "set_tcp_nodelay true\n");
    fprintf(f,
            "log_dest file %s\nlog_type error\nlog_type warning\nlog_type notice\n"
            "log_type information\nconnection_messages true\n",
            b->log);
    if (o && o->extra_conf)
        fprintf(f, "%s\n", o->extra_conf);
    return fclose(f) == 0 ? 0 : -1;
}

static void reap(struct trt_broker *b, int sig, int wait_ms)
{
    long long until = trt_now_ms() + wait_ms;
    int status;

    if (b->pid <= 0)
        return;
    if (sig)
        kill(b->pid, sig);
    for (;;) {
        pid_t r = waitpid(b->pid, &status, WNOHANG);
        if (r == b->pid || (r < 0 && errno != EINTR)) {
            b->pid = 0;
            return;
        }
        if (trt_now_ms() >= until)
            break;
        trt_sleep_ms(10);
    }
    kill(b->pid, SIGKILL);
    waitpid(b->pid, &status, 0);
    b->pid = 0;
}

int trt_broker_alive(struct trt_broker *b)
{
    int status;

    if (b->pid <= 0)
        return 0;
    if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
        b->pid = 0;
        return 0;
    }
    return 1;
}

/* exec mosquitto with the existing conf and wait until it serves our port */
static int launch(struct trt_broker *b)
{
    char *argv[] = { MOSQUITTO, "-c", b->conf, NULL };
    long long until;
    pid_t pid;

    if (!trt_port_is_free(b->port)) {
        fprintf(stderr, "broker: port %d is taken\n", b->port);
        return -1;
    }
    unlink(b->log); /* so the "listen socket" line is this run's */
    if ((pid = spawn(argv)) < 0) {
        fprintf(stderr, "broker: cannot start %s\n", MOSQUITTO);
        return -1;
    }
    b->pid = pid;
    until = trt_now_ms() + START_WAIT_MS;
    while (trt_now_ms() < until) {
        if (!trt_broker_alive(b)) {
            fprintf(stderr, "broker: mosquitto exited during start\n");
            dump_log(b);
            return -1;
        }
        if (log_says_listening(b) && port_accepts(b->port)) {
            trt_sleep_ms(20);
            if (trt_broker_alive(b))
                return 0;
        }
        trt_sleep_ms(20);
    }
    fprintf(stderr, "broker: not listening on %d after %d ms\n", b->port, START_WAIT_MS);
    dump_log(b);
    reap(b, SIGKILL, 1000);
    return -1;
}

static void remove_dir(struct trt_broker *b)
{
    DIR *d;
    struct dirent *e;
    char path[600];

    if (!b->dir[0])
        return;
    if ((d = opendir(b->dir)) != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", b->dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(b->dir);
    b->dir[0] = '\0';
}

int trt_broker_start(struct trt_broker *b, const struct trt_broker_opts *o)
{
    const char *tmp = getenv("TMPDIR");
    int tries;

    memset(b, 0, sizeof *b);
    if (!tmp || !tmp[0])
        tmp = "/tmp";
    if (snprintf(b->dir, sizeof b->dir, "%s/trt-broker-XXXXXX", tmp) >= (int)sizeof b->dir ||
        !mkdtemp(b->dir)) {
        fprintf(stderr, "broker: mkdtemp in %s: %s\n", tmp, strerror(errno));
        b->dir[0] = '\0';
        return -1;
    }
    if (path_in(b->conf, sizeof b->conf, b->dir, "mosquitto.conf") != 0 ||
        path_in(b->log, sizeof b->log, b->dir, "mosquitto.log") != 0)
        goto fail;
    /* a port can be taken between the pick and the start: try a few */
    for (tries = 0; tries < 5; tries++) {
        if ((b->port = trt_free_port()) <= 0)
            goto fail;
        if (write_conf(b, o) != 0)
            goto fail;
        if (launch(b) == 0)
            return 0;
    }
fail:
    fprintf(stderr, "broker: could not start mosquitto\n");
    trt_broker_stop(b);
    return -1;
}

void trt_broker_stop(struct trt_broker *b)
{
    reap(b, SIGTERM, STOP_WAIT_MS);
    remove_dir(b);
}

void trt_broker_kill9(struct trt_broker *b)
{
    reap(b, SIGKILL, STOP_WAIT_MS);
}

int trt_broker_restart(struct trt_broker *b)
{
    long long until = trt_now_ms() + START_WAIT_MS;

    reap(b, SIGTERM, STOP_WAIT_MS);
    /* clients may reconnect-race for the port only as clients; wait until no
     * listener is left (the old one is gone once reaped) */
    while (!trt_port_is_free(b->port) && trt_now_ms() < until)
        trt_sleep_ms(20);
    return launch(b);
}
