/*
 * tests/integration/test_notify_daemons.c: the real truckrolld or
 * truckroll-agent under a stand-in for systemd's notify socket.
 *
 *   test_notify_daemons agent|dispatcher EXE [EMULATOR ARGS...]
 *
 * The test binds a unix datagram socket (SO_PASSCRED, so each datagram
 * carries its sender's PID, as systemd checks for NotifyAccess=main), starts
 * a private mosquitto, and spawns the daemon against it with NOTIFY_SOCKET,
 * WATCHDOG_USEC (1 s: a ping due every 500 ms) and WATCHDOG_PID set to the
 * daemon's own PID (through `sh -c 'WATCHDOG_PID=$$ exec ...'`, as systemd
 * sets it for the main process). It checks: READY=1 comes, a STATUS= line
 * says it is serving / connected, WATCHDOG=1 keeps coming after READY (a
 * number of pings, never a rate), every datagram is from the daemon's PID,
 * and SIGTERM brings STOPPING=1 and a clean exit. Cross builds run this test
 * under the emulator and the daemon through it (the trailing arguments).
 *
 * Every wait is bounded; nothing asserts on elapsed time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/broker.h"
#include "tests/support/check.h"

extern char **environ;

#define MAX_ARGS 48

struct seen {
    int ready, stopping, watchdog, watchdog_after_ready, status, foreign;
    char last_status[300];
    int serving_status; /* a STATUS= line saying it is up and connected */
};

static const char *serving_word;

static int notify_socket(const char *path)
{
    struct sockaddr_un sa;
    struct timeval tv = { 0, 200 * 1000 };
    int one = 1;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path)
        return -1;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Receive what is there (up to one 200 ms wait) and count it. */
static void pump(int fd, pid_t daemon, struct seen *s)
{
    char buf[1024];
    union {
        char b[CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { buf, sizeof buf - 1 };
    struct msghdr mh;

    for (int i = 0; i < 64; i++) {
        memset(&mh, 0, sizeof mh);
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = ctl.b;
        mh.msg_controllen = sizeof ctl.b;
        ssize_t n = recvmsg(fd, &mh, i == 0 ? 0 : MSG_DONTWAIT);
        if (n < 0)
            return;
        buf[n] = '\0';
        pid_t from = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                struct ucred uc;
                memcpy(&uc, CMSG_DATA(c), sizeof uc);
                from = uc.pid;
            }
        }
        if (from != daemon) {
            fprintf(stderr, "notify: datagram from pid %ld, not the daemon %ld: %s\n", (long)from,
                    (long)daemon, buf);
            s->foreign++;
            continue;
        }
        /* one datagram may hold several newline-separated assignments */
        for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
            if (strcmp(line, "READY=1") == 0) {
                s->ready++;
            } else if (strcmp(line, "STOPPING=1") == 0) {
                s->stopping++;
            } else if (strcmp(line, "WATCHDOG=1") == 0) {
                s->watchdog++;
                if (s->ready)
                    s->watchdog_after_ready++;
            } else if (strncmp(line, "STATUS=", 7) == 0) {
                s->status++;
                snprintf(s->last_status, sizeof s->last_status, "%s", line + 7);
                if (strstr(line, serving_word))
                    s->serving_status++;
                printf("notify: STATUS=%s\n", line + 7);
            }
        }
    }
}

static int gpx(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "<?xml version=\"1.0\"?>\n<gpx version=\"1.1\" creator=\"test\" "
               "xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><trkseg>\n");
    for (int i = 0; i < 30; i++)
        fprintf(f,
                "<trkpt lat=\"30.%04d\" lon=\"-97.7431\"><time>2024-01-01T00:00:%02dZ</time>"
                "<speed>10</speed></trkpt>\n",
                2672 + i, i);
    fprintf(f, "</trkseg></trk></gpx>\n");
    return fclose(f);
}

/* Run argv and wait (posix_spawn: fork() hangs under qemu-user). */
static void run(const char *const *argv)
{
    pid_t p;
    if (posix_spawnp(&p, argv[0], NULL, NULL, (char *const *)argv, environ) == 0)
        waitpid(p, NULL, 0);
}

int main(int argc, char **argv)
{
    struct trt_broker br;
    struct seen s;
    char dir[] = "/tmp/tr-notifyd-XXXXXX";
    char sock[200], log[200], a_id[64], a_port[48], a_store[300], a_ctl[300], a_gpx[300],
        a_replay[340], d_db[300];
    char env_sock[260], **envp = NULL;
    const char *av[MAX_ARGS];
    int n = 0, fd = -1, nenv = 0;
    pid_t pid = 0, dpid = 0;
    bool agent;

    if (argc < 3 || (strcmp(argv[1], "agent") != 0 && strcmp(argv[1], "dispatcher") != 0)) {
        fprintf(stderr, "usage: test_notify_daemons agent|dispatcher EXE [EMULATOR ARGS...]\n");
        return 2;
    }
    agent = strcmp(argv[1], "agent") == 0;
    serving_word = agent ? "connected to" : "serving: broker connected";
    memset(&s, 0, sizeof s);
    memset(&br, 0, sizeof br);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(sock, sizeof sock, "%s/notify.sock", dir);
    snprintf(log, sizeof log, "%s/daemon.log", dir);
    fd = notify_socket(sock);
    CHECK(fd >= 0);
    CHECK(trt_broker_start(&br, NULL) == 0);
    if (fd < 0 || br.pid <= 0)
        goto out;

    /* sh sets WATCHDOG_PID to its own PID, which exec hands to the daemon */
    av[n++] = "/bin/sh";
    av[n++] = "-c";
    av[n++] = "WATCHDOG_PID=$$; export WATCHDOG_PID; exec \"$@\"";
    av[n++] = "sh";
    for (int i = 3; i < argc && n < MAX_ARGS - 20; i++) /* the emulator */
        av[n++] = argv[i];
    av[n++] = argv[2];
    snprintf(a_port, sizeof a_port, "--broker.port=%d", br.port);
    if (agent) {
        snprintf(a_id, sizeof a_id, "--agent.id=nt-agent-%ld", (long)getpid());
        snprintf(a_store, sizeof a_store, "--store.path=%s/outbox.db", dir);
        snprintf(a_ctl, sizeof a_ctl, "--control.socket=%s/control.sock", dir);
        snprintf(a_gpx, sizeof a_gpx, "%s/track.gpx", dir);
        snprintf(a_replay, sizeof a_replay, "--gps.replay=%s", a_gpx);
        CHECK(gpx(a_gpx) == 0);
        const char *rest[] = { "run",
                               "-c",
                               "/dev/null",
                               a_id,
                               a_port,
                               a_store,
                               a_ctl,
                               a_replay,
                               "--gps.replay_loop=true",
                               "--log.level=debug" };
        for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
            av[n++] = rest[i];
    } else {
        snprintf(d_db, sizeof d_db, "--db.path=%s/truckroll.db", dir);
        const char *rest[] = { "-c",
                               "/dev/null",
                               "--broker.username=",
                               "--stats.interval_s=0",
                               "--recovery.grace_ms=300",
                               "--geo.data=none",
                               a_port,
                               d_db };
        for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
            av[n++] = rest[i];
    }
    av[n] = NULL;

    for (char **e = environ; *e; e++)
        nenv++;
    envp = calloc((size_t)nenv + 4, sizeof *envp);
    if (!envp)
        goto out;
    nenv = 0;
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, "NOTIFY_SOCKET=", 14) && strncmp(*e, "WATCHDOG_", 9))
            envp[nenv++] = *e;
    }
    snprintf(env_sock, sizeof env_sock, "NOTIFY_SOCKET=%s", sock);
    envp[nenv++] = env_sock;
    envp[nenv++] = "WATCHDOG_USEC=1000000";
    envp[nenv] = NULL;

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    int rc = posix_spawn(&pid, "/bin/sh", &fa, NULL, (char *const *)av, envp);
    posix_spawn_file_actions_destroy(&fa);
    CHECK(rc == 0);
    if (rc != 0) {
        pid = 0;
        goto out;
    }
    dpid = pid; /* the PID every datagram must come from, also after the reap */

    /* READY=1, a serving status, then several pings after READY (bounded
     * waits: qemu-user is slow) */
    for (long long until = trt_now_ms() + 60000; trt_now_ms() < until;) {
        pump(fd, dpid, &s);
        if (s.ready && s.serving_status && s.watchdog_after_ready >= 4)
            break;
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            pid = 0;
            break;
        }
    }
    CHECK(pid > 0); /* still running */
    CHECK(s.ready == 1);
    CHECK(s.serving_status >= 1);
    CHECK(s.watchdog_after_ready >= 4);
    CHECK(s.foreign == 0);
    printf("notify %s: READY %d, STATUS %d (\"%s\"), WATCHDOG %d (%d after READY)\n", argv[1],
           s.ready, s.status, s.last_status, s.watchdog, s.watchdog_after_ready);

    /* SIGTERM: STOPPING=1, then a clean exit */
    if (pid > 0) {
        int st = -1;
        kill(pid, SIGTERM);
        for (long long until = trt_now_ms() + 30000; trt_now_ms() < until;) {
            pump(fd, dpid, &s);
            if (waitpid(pid, &st, WNOHANG) == pid) {
                pid = 0;
                break;
            }
        }
        pump(fd, dpid, &s);
        CHECK(pid == 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CHECK(s.stopping == 1);
        CHECK(strncmp(s.last_status, "stopping", 8) == 0);
    }

out:
    if (check_failed) {
        const char *tail[] = { "tail", "-n", "30", log, NULL };
        fflush(stdout);
        run(tail); /* the daemon's log, on stdout */
    }
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    free(envp);
    trt_broker_stop(&br);
    if (fd >= 0)
        close(fd);
    const char *rm[] = { "rm", "-rf", dir, NULL };
    run(rm);
    return check_report(agent ? "test_notify_daemons agent" : "test_notify_daemons dispatcher");
}
