/*
 * tests/support/gpsfake.c: start and stop gpsfake (and so a private gpsd)
 * for a test (see gpsfake.h). Does not parse gpsd's output (gpsd_json.c).
 */
#define _GNU_SOURCE /* posix_spawn_file_actions_addclosefrom_np */
#include "tests/support/gpsfake.h"
#include "tests/support/broker.h" /* trt_free_port, trt_port_is_free, trt_now_ms, trt_sleep_ms */

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define PYTHON         "/usr/bin/python3" /* Debian's: PATH's python3 may be a shim */
#define GPSFAKE        "/usr/bin/gpsfake"
#define START_WAIT_MS  20000 /* python start-up under a loaded machine / qemu */
#define START_ATTEMPTS 3     /* gpsfake runs, when it exits during start-up */
#define STOP_WAIT_MS   5000
#define PORT_WAIT_MS   5000
#define SHM_KEY_BASE   0x47700000 /* gpsfake: GPSD_SHM_KEY = 0x4770 + port as 4 hex digits */

static int port_accepts(int port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

    if (fd < 0)
        return 0;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

static void dump_file(const char *what, const char *path)
{
    char line[512];
    FILE *fp = fopen(path, "r");

    fprintf(stderr, "gpsfake: %s %s:\n", what, path);
    if (!fp)
        return;
    while (fgets(line, sizeof line, fp))
        fprintf(stderr, "  %s", line);
    fclose(fp);
}

int trt_process_group_size(pid_t pgid)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int count = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL) {
        char path[300], buf[512], state;
        const char *close_paren;
        long pgrp, ppid;
        FILE *fp;
        size_t n;

        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        if (!(fp = fopen(path, "r")))
            continue; /* gone meanwhile */
        n = fread(buf, 1, sizeof buf - 1, fp);
        fclose(fp);
        buf[n] = '\0';
        /* "pid (comm) state ppid pgrp ...": comm may hold spaces and ')' */
        if (!(close_paren = strrchr(buf, ')')))
            continue;
        if (sscanf(close_paren + 1, " %c %ld %ld", &state, &ppid, &pgrp) != 3)
            continue;
        if (pgrp == (long)pgid && state != 'Z' && state != 'X')
            count++;
    }
    closedir(d);
    return count;
}

/* environ with TMPDIR replaced by dir; the strings are environ's, the array
 * and the TMPDIR entry are malloc'ed (freed by the caller with free_env). */
static char **env_with_tmpdir(const char *dir)
{
    size_t n = 0, k = 0;
    char **env;

    while (environ[n])
        n++;
    if (!(env = calloc(n + 2, sizeof *env)))
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(environ[i], "TMPDIR=", 7) != 0)
            env[k++] = environ[i];
    }
    if (!(env[k] = malloc(strlen(dir) + 8))) {
        free(env);
        return NULL;
    }
    sprintf(env[k], "TMPDIR=%s", dir);
    return env;
}

static void free_env(char **env)
{
    size_t k = 0;

    if (!env)
        return;
    while (env[k] && strncmp(env[k], "TMPDIR=", 7) != 0)
        k++;
    if (env[k])
        free(env[k]); /* ours: environ's own TMPDIR entries were skipped */
    free(env);
}

static pid_t spawn_gpsfake(struct trt_gpsfake *f, const char *log, const char *cycle)
{
    char port[16];
    char *argv[] = { PYTHON,        GPSFAKE, "-q", "-1",        "-p", "-c",
                     (char *)cycle, "-P",    port, (char *)log, NULL };
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    char **env = env_with_tmpdir(f->dir);
    pid_t pid = -1;
    int ok;

    snprintf(port, sizeof port, "%d", f->port);
    if (!env)
        return -1;
    if (posix_spawn_file_actions_init(&fa) != 0) {
        free_env(env);
        return -1;
    }
    if (posix_spawnattr_init(&attr) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        free_env(env);
        return -1;
    }
    /* a group of its own, so its gpsd can be found and stopped too */
    ok =
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP) == 0 &&
        posix_spawnattr_setpgroup(&attr, 0) == 0 &&
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) == 0 &&
        posix_spawn_file_actions_addopen(&fa, 1, f->out, O_WRONLY | O_CREAT | O_TRUNC, 0600) == 0 &&
        posix_spawn_file_actions_addopen(&fa, 2, f->err, O_WRONLY | O_CREAT | O_TRUNC, 0600) == 0 &&
        posix_spawn_file_actions_addclosefrom_np(&fa, 3) == 0;
    if (ok && posix_spawn(&pid, PYTHON, &fa, &attr, argv, env) != 0)
        pid = -1;
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    free_env(env);
    return pid;
}

int trt_gpsfake_alive(struct trt_gpsfake *f)
{
    int status;

    if (f->pid <= 0)
        return 0;
    if (waitpid(f->pid, &status, WNOHANG) == f->pid) {
        f->status = status;
        f->pid = 0;
        return 0;
    }
    return 1;
}

int trt_gpsfake_wait(struct trt_gpsfake *f, int timeout_ms)
{
    long long until = trt_now_ms() + timeout_ms;

    while (trt_gpsfake_alive(f)) {
        if (trt_now_ms() >= until)
            return -1;
        trt_sleep_ms(20);
    }
    return 0;
}

int trt_gpsfake_start(struct trt_gpsfake *f, const char *log, const struct trt_gpsfake_opts *o)
{
    const char *tmp = getenv("TMPDIR");
    const char *cycle = o && o->cycle ? o->cycle : "0.002";
    long long until;

    memset(f, 0, sizeof *f);
    if (!tmp || !tmp[0])
        tmp = "/tmp";
    if (access(log, R_OK) != 0) {
        fprintf(stderr, "gpsfake: cannot read %s\n", log);
        return -1;
    }
    if (snprintf(f->dir, sizeof f->dir, "%s/trt-gpsfake-XXXXXX", tmp) >= (int)sizeof f->dir ||
        !mkdtemp(f->dir)) {
        fprintf(stderr, "gpsfake: mkdtemp in %s: %s\n", tmp, strerror(errno));
        f->dir[0] = '\0';
        return -1;
    }
    snprintf(f->out, sizeof f->out, "%s/gpsfake.out", f->dir);
    snprintf(f->err, sizeof f->err, "%s/gpsfake.err", f->dir);
    f->port = o && o->port > 0 ? o->port : trt_free_port();
    until = trt_now_ms() + PORT_WAIT_MS;
    while (f->port > 0 && !trt_port_is_free(f->port) && trt_now_ms() < until)
        trt_sleep_ms(50);
    if (f->port <= 0 || !trt_port_is_free(f->port)) {
        fprintf(stderr, "gpsfake: port %d is taken\n", f->port);
        goto fail;
    }
    for (int attempt = 1;; attempt++) {
        if ((f->pid = spawn_gpsfake(f, log, cycle)) <= 0) {
            fprintf(stderr, "gpsfake: cannot start %s %s\n", PYTHON, GPSFAKE);
            f->pid = 0;
            goto fail;
        }
        f->pgid = f->pid;
        until = trt_now_ms() + START_WAIT_MS;
        while (trt_now_ms() < until && trt_gpsfake_alive(f) && !port_accepts(f->port))
            trt_sleep_ms(20);
        if (f->pid > 0 && port_accepts(f->port))
            return 0;
        if (f->pid > 0) {
            fprintf(stderr, "gpsfake: gpsd not listening on %d after %d ms\n", f->port,
                    START_WAIT_MS);
            dump_file("stderr", f->err);
            goto fail;
        }
        fprintf(stderr, "gpsfake: exited during start (status %d)\n", f->status);
        dump_file("stderr", f->err);
        /* gpsfake can lose a race with its own gpsd on a loaded machine
         * ("socket error [Errno 111] Connection refused" under qemu):
         * clear the group and try again, a few times, on a fresh port */
        if (attempt == START_ATTEMPTS || trt_gpsfake_stop(f) != 0)
            goto fail;
        fprintf(stderr, "gpsfake: trying again (%d of %d)\n", attempt + 1, START_ATTEMPTS);
        if (!(o && o->port > 0))
            f->port = trt_free_port();
    }
fail:
    trt_gpsfake_cleanup(f);
    return -1;
}

/* Wait until nothing of the group is left; 1 when that happened in time. */
static int group_gone(pid_t pgid, int wait_ms)
{
    long long until = trt_now_ms() + wait_ms;

    for (;;) {
        if (trt_process_group_size(pgid) == 0)
            return 1;
        if (trt_now_ms() >= until)
            return 0;
        trt_sleep_ms(20);
    }
}

int trt_gpsfake_stop(struct trt_gpsfake *f)
{
    int status;

    if (f->pgid <= 0)
        return 0;
    if (f->pid > 0) {
        kill(f->pid, SIGTERM); /* gpsfake's handler stops its gpsd, then it exits */
        if (trt_gpsfake_wait(f, STOP_WAIT_MS) != 0) {
            kill(-f->pgid, SIGKILL);
            waitpid(f->pid, &status, 0);
            f->status = status;
            f->pid = 0;
        }
    }
    if (!group_gone(f->pgid, STOP_WAIT_MS)) {
        fprintf(stderr, "gpsfake: processes of group %d left behind: SIGKILL\n", (int)f->pgid);
        kill(-f->pgid, SIGKILL);
        if (!group_gone(f->pgid, STOP_WAIT_MS))
            return -1;
    }
    return 0;
}

static void remove_dir(const char *dir)
{
    DIR *d;
    struct dirent *e;
    char path[600];

    if (!dir[0])
        return;
    if ((d = opendir(dir)) != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* gpsd exports its state in a SHM segment keyed by the port and leaves it
 * behind; remove it when nobody is attached. */
static void remove_shm(int port)
{
    struct shmid_ds ds;
    int id;

    if (port <= 0 || port > 0xFFFF)
        return;
    id = shmget((key_t)(SHM_KEY_BASE | port), 0, 0);
    if (id >= 0 && shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_nattch == 0)
        shmctl(id, IPC_RMID, NULL);
}

void trt_gpsfake_cleanup(struct trt_gpsfake *f)
{
    if (trt_gpsfake_stop(f) == 0)
        remove_shm(f->port);
    remove_dir(f->dir);
    f->dir[0] = '\0';
    f->pgid = 0;
}
