/*
 * tests/unit/test_control.c: fieldagent/app/control: the request check
 * (tr_ctl_parse) on what cJSON alone would let through, error texts that
 * stay valid UTF-8, tr_control_open on what sits at the socket path, and
 * clients that do not read their answers: one over the output cap runs
 * nothing more and gets nothing more (answers never resume after a gap);
 * a full table of them, done sending but not reading, gives a slot up to a
 * new client once idle (the technician is never locked out).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/msg.h"
#include "fieldagent/app/control.h"
#include "tests/support/check.h"

static int parse(const char *line, struct tr_ctl_req *r, char *msg, size_t cap)
{
    return tr_ctl_parse(line, strlen(line), r, msg, cap);
}

static void test_parse(void)
{
    struct tr_ctl_req r;
    char msg[200];

    CHECK(parse("{\"cmd\":\"accept\",\"offer\":\"O1\"}", &r, msg, sizeof msg) == TR_CTL_PARSE_OK);
    CHECK(r.cmd == TR_CTL_ACCEPT && r.has_offer && strcmp(r.offer, "O1") == 0);
    CHECK(parse("{\"cmd\":\"done\",\"note\":\"caf\\u00e9 \\ud83d\\ude9a\"}", &r, msg, sizeof msg) ==
          TR_CTL_PARSE_OK);
    CHECK(strcmp(r.note, "caf\xc3\xa9 \xf0\x9f\x9a\x9a") == 0);

    /* cJSON cuts a string at an escaped NUL: each of these would have been
     * carried out as its prefix ("accept O1", "release", reason "busy") */
    static const char *const nul[] = {
        "{\"cmd\":\"accept\",\"offer\":\"O1\\u0000garbage\"}",
        "{\"cmd\":\"release\\u0000please-ignore\"}",
        "{\"cmd\":\"decline\",\"reason\":\"busy\\u0000x\"}",
        "{\"cmd\\u0000\":\"status\"}",
    };
    for (size_t i = 0; i < sizeof nul / sizeof nul[0]; i++) {
        memset(&r, 0x5a, sizeof r);
        CHECK_MSG(parse(nul[i], &r, msg, sizeof msg) == TR_CTL_PARSE_BAD_JSON, "%s: %s", nul[i],
                  msg);
    }
    /* what cJSON takes but strict JSON does not */
    static const char *const loose[] = {
        "{\"cmd\":\"\xff\xfe\"}",
        "{\"cmd\":\"done\",\"note\":\"\\ud800\"}",
        "{\"cmd\":\"status\",\"x\":01}",
        "{\"cmd\":\"status\"} x",
        "[\"status\"]",
        "{\"cmd\":\"done\",\"note\":\"a\tb\"}",
    };
    for (size_t i = 0; i < sizeof loose / sizeof loose[0]; i++)
        CHECK_MSG(parse(loose[i], &r, msg, sizeof msg) == TR_CTL_PARSE_BAD_JSON, "%s: %s", loose[i],
                  msg);
    /* a raw NUL byte inside the length */
    static const char raw[] = "{\"cmd\":\"st\0atus\"}";
    CHECK(tr_ctl_parse(raw, sizeof raw - 1, &r, msg, sizeof msg) == TR_CTL_PARSE_BAD_JSON);
    /* an escaped control character is valid JSON, but not printable */
    CHECK(parse("{\"cmd\":\"done\",\"note\":\"a\\u0001b\"}", &r, msg, sizeof msg) ==
          TR_CTL_PARSE_BAD_REQUEST);

    /* the echoed name is cut at 40 bytes on a character boundary */
    char name[64];
    memset(name, 'a', 39);
    strcpy(name + 39, "\xc3\xa9");
    char line[128];
    snprintf(line, sizeof line, "{\"cmd\":\"%s\"}", name);
    CHECK(parse(line, &r, msg, sizeof msg) == TR_CTL_PARSE_UNKNOWN);
    CHECK_MSG(tr_msg_utf8_prefix(msg, strlen(msg)) == strlen(msg), "cut inside a character: %s",
              msg);
    CHECK(strstr(msg, "\xc3") == NULL); /* the 2-byte character did not fit whole */
    snprintf(line, sizeof line, "{\"cmd\":\"status\",\"%.38s\xe2\x82\xac\":1}", name);
    CHECK(parse(line, &r, msg, sizeof msg) == TR_CTL_PARSE_BAD_REQUEST);
    CHECK_MSG(tr_msg_utf8_prefix(msg, strlen(msg)) == strlen(msg), "cut inside a character: %s",
              msg);
}

static void test_open(const char *dir)
{
    char path[100], err[256], buf[32];
    struct tr_control *c = NULL, *c2 = NULL;

    /* a regular file at the path is not ours: refused, and left alone */
    snprintf(path, sizeof path, "%s/precious.txt", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("keep me\n", f);
    fclose(f);
    CHECK(tr_control_open(path, &c, err, sizeof err) == TR_CONTROL_ERR_IN_USE);
    CHECK(c == NULL && strstr(err, "not a socket"));
    f = fopen(path, "r");
    CHECK(f && fgets(buf, sizeof buf, f) && strcmp(buf, "keep me\n") == 0);
    if (f)
        fclose(f);
    unlink(path);

    /* so is a directory */
    snprintf(path, sizeof path, "%s/adir", dir);
    CHECK(mkdir(path, 0700) == 0);
    CHECK(tr_control_open(path, &c, err, sizeof err) == TR_CONTROL_ERR_IN_USE);
    struct stat st;
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    rmdir(path);

    /* a dead agent's socket file is replaced; a live agent's is not */
    snprintf(path, sizeof path, "%s/agent.sock", dir);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    close(fd); /* left behind, nobody listening */
    CHECK(tr_control_open(path, &c, err, sizeof err) == TR_CONTROL_OK);
    CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0660);
    CHECK(tr_control_open(path, &c2, err, sizeof err) == TR_CONTROL_ERR_IN_USE && c2 == NULL);
    tr_control_close(c);
    CHECK(stat(path, &st) != 0 && errno == ENOENT);
}

/* ------------------------------------------------ clients not reading */

static size_t answer_bytes; /* the handler's answer size */
static int calls[16];       /* handler calls by command */

static char *big_answer(void *user, const struct tr_ctl_req *req)
{
    (void)user;
    calls[req->cmd & 15]++;
    char *a = malloc(answer_bytes + 1);
    if (a) {
        memset(a, 'x', answer_bytes);
        a[0] = '{';
        a[answer_bytes - 1] = '}';
        a[answer_bytes] = '\0';
    }
    return a;
}

/* One round of the daemon's loop (poll with a short timeout). */
static void serve(struct tr_control *c)
{
    struct pollfd fds[TR_CONTROL_MAX_CLIENTS + 1];
    size_t n = tr_control_pollfds(c, fds, TR_CONTROL_MAX_CLIENTS + 1);
    if (poll(fds, (nfds_t)n, 20) > 0)
        tr_control_process(c, fds, n, big_answer, NULL);
}

static int client(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Everything fd sends until it closes (serving meanwhile): the bytes, or
 * -1 when it is still open after the bounded wait. */
static long drain(struct tr_control *c, int fd, int *lines)
{
    long total = 0;
    char buf[65536];
    *lines = 0;
    for (int i = 0; i < 2000; i++) {
        serve(c);
        struct pollfd q = { .fd = fd, .events = POLLIN };
        if (poll(&q, 1, 0) <= 0)
            continue;
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0)
            return total;
        for (ssize_t k = 0; k < r; k++)
            *lines += buf[k] == '\n';
        total += r;
    }
    return -1;
}

static void test_not_reading(const char *dir)
{
    char path[100], err[256];
    struct tr_control *c = NULL;
    struct tr_control_stats st;
    snprintf(path, sizeof path, "%s/ctl.sock", dir);
    CHECK(tr_control_open(path, &c, err, sizeof err) == TR_CONTROL_OK);
    if (!c)
        return;

    /* over the cap: 120 KB answers, the third is past 256 KB; the
     * "available" sent after them must not run, nor be answered */
    answer_bytes = 120000;
    memset(calls, 0, sizeof calls);
    int fd = client(path);
    CHECK(fd >= 0);
    static const char reqs[] = "{\"cmd\":\"status\"}\n{\"cmd\":\"status\"}\n"
                               "{\"cmd\":\"status\"}\n{\"cmd\":\"status\"}\n"
                               "{\"cmd\":\"available\"}\n";
    CHECK(write(fd, reqs, sizeof reqs - 1) == (ssize_t)(sizeof reqs - 1));
    for (int i = 0; i < 50; i++)
        serve(c); /* the daemon runs, the client does not read */
    int lines = 0;
    long got = drain(c, fd, &lines);
    CHECK_MSG(got >= 0, "the dropped client was not closed");
    CHECK_MSG(calls[TR_CTL_AVAILABLE & 15] == 0, "a request after the drop ran");
    CHECK_MSG(calls[TR_CTL_STATUS & 15] <= 3, "%d status requests ran", calls[TR_CTL_STATUS & 15]);
    CHECK_MSG(got <= 2 * 120001L && lines <= 2, "%ld bytes, %d answers after the cap", got, lines);
    tr_control_get_stats(c, &st);
    CHECK(st.clients_dropped == 1);
    close(fd);
    for (int i = 0; i < 5; i++)
        serve(c);

    /* a full table of clients done sending but not reading (their answers
     * bigger than the socket buffer, under the cap): a new client gets a
     * slot once they have been idle TR_CONTROL_IDLE_MS */
    answer_bytes = 240000;
    int stuck[TR_CONTROL_MAX_CLIENTS];
    for (int i = 0; i < TR_CONTROL_MAX_CLIENTS; i++) {
        stuck[i] = client(path);
        CHECK(stuck[i] >= 0 && write(stuck[i], reqs, 18) == 18);
        CHECK(shutdown(stuck[i], SHUT_WR) == 0);
        for (int k = 0; k < 5; k++)
            serve(c);
    }
    CHECK(tr_control_n_clients(c) == TR_CONTROL_MAX_CLIENTS);
    answer_bytes = 100;
    int tech = client(path);
    CHECK(tech >= 0 && write(tech, reqs, 18) == 18);
    bool served = false;
    char buf[4096];
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long ms = 0; ms < 3 * TR_CONTROL_IDLE_MS && !served;) { /* bounded: 15 s */
        clock_gettime(CLOCK_MONOTONIC, &t);
        ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        serve(c);
        if (ms < TR_CONTROL_IDLE_MS - 500)
            poll(NULL, 0, 50); /* nothing can change before the idle time */
        struct pollfd q = { .fd = tech, .events = POLLIN };
        ssize_t r = poll(&q, 1, 0) > 0 ? read(tech, buf, sizeof buf - 1) : -1;
        if (r == 0) { /* refused busy: try again, as the CLI would */
            close(tech);
            tech = client(path);
            CHECK(tech >= 0 && write(tech, reqs, 18) == 18);
        } else if (r > 0) {
            buf[r] = '\0';
            served = buf[0] == '{' && buf[1] == 'x';
            if (!served && strstr(buf, "busy")) {
                close(tech);
                tech = client(path);
                CHECK(tech >= 0 && write(tech, reqs, 18) == 18);
            }
        }
    }
    CHECK_MSG(served, "a full table of clients not reading locked the technician out");
    tr_control_get_stats(c, &st);
    CHECK(st.clients_evicted >= 1);
    close(tech);
    for (int i = 0; i < TR_CONTROL_MAX_CLIENTS; i++)
        close(stuck[i]);
    tr_control_close(c);
}

int main(void)
{
    char dir[] = "/tmp/tr-control-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    test_parse();
    test_open(dir);
    test_not_reading(dir);
    rmdir(dir);
    return check_report("test_control");
}
