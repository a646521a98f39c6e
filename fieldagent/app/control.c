/*
 * fieldagent/app/control.c: the control socket server (see control.h):
 * non-blocking accept/read/write with per-client buffers and line framing;
 * each line is checked by tr_ctl_parse (control_req.c) before the handler
 * sees it.
 */
#include "fieldagent/app/control.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct client {
    int fd;
    char *in; /* TR_CONTROL_LINE_MAX + 1 bytes, while connected */
    size_t in_len;
    bool discarding; /* skipping the rest of an oversize line */
    bool closing;    /* close once the output is flushed */
    char *out;
    size_t out_len, out_cap;
    int64_t active_ms; /* monotonic: accepted, or last sent us bytes */
};

struct tr_control {
    int fd;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct client cl[TR_CONTROL_MAX_CLIENTS];
    size_t n;
    struct tr_control_stats st;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int set_err(char *err, size_t errlen, int code, const char *what)
{
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", what, strerror(errno));
    return code;
}

int tr_control_open(const char *path, struct tr_control **out, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct tr_control *c;
    char dir[sizeof sa.sun_path];
    char *slash;
    int fd, probe;

    if (!out || !path || !path[0] || strlen(path) >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        return set_err(err, errlen, TR_CONTROL_ERR_INVALID, "control socket path");
    }
    *out = NULL;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    snprintf(dir, sizeof dir, "%s", path);
    slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0750) != 0 && errno != EEXIST)
            return set_err(err, errlen, TR_CONTROL_ERR_IO, dir);
    }
    /* a live agent answers on the socket: do not steal it; a dead one left
     * a stale file behind: remove it */
    probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
        close(probe);
        if (err && errlen)
            snprintf(err, errlen, "%s: another agent is already serving this socket", path);
        return TR_CONTROL_ERR_IN_USE;
    }
    if (probe >= 0)
        close(probe);
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) { /* never remove what is not ours */
            if (err && errlen)
                snprintf(err, errlen, "%s: exists and is not a socket", path);
            return TR_CONTROL_ERR_IN_USE;
        }
        unlink(path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return set_err(err, errlen, TR_CONTROL_ERR_IO, "socket");
    mode_t old = umask(0117); /* the socket is born 0660 */
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (rc != 0 || chmod(path, 0660) != 0 || listen(fd, 8) != 0) {
        rc = set_err(err, errlen, TR_CONTROL_ERR_IO, path);
        close(fd);
        return rc;
    }
    c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        unlink(path);
        return TR_CONTROL_ERR_NOMEM;
    }
    c->fd = fd;
    snprintf(c->path, sizeof c->path, "%s", path);
    *out = c;
    return TR_CONTROL_OK;
}

static void drop_client(struct tr_control *c, size_t i)
{
    close(c->cl[i].fd);
    free(c->cl[i].in);
    free(c->cl[i].out);
    c->cl[i] = c->cl[c->n - 1];
    memset(&c->cl[c->n - 1], 0, sizeof c->cl[0]);
    c->n--;
}

void tr_control_close(struct tr_control *c)
{
    if (!c)
        return;
    while (c->n)
        drop_client(c, 0);
    close(c->fd);
    unlink(c->path);
    free(c);
}

size_t tr_control_pollfds(const struct tr_control *c, struct pollfd *fds, size_t cap)
{
    size_t k = 0;
    if (!c || cap == 0)
        return 0;
    fds[k++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
    for (size_t i = 0; i < c->n && k < cap; i++) {
        short ev = c->cl[i].closing ? 0 : POLLIN;
        if (c->cl[i].out_len)
            ev |= POLLOUT;
        fds[k++] = (struct pollfd){ .fd = c->cl[i].fd, .events = ev };
    }
    return k;
}

/* Queue text + "\n" for a client. */
static void queue(struct tr_control *c, struct client *cl, const char *text)
{
    size_t len = strlen(text);
    if (cl->closing && cl->out_len == 0)
        return; /* dropped for not reading (below), or gone: no answer after a gap */
    if (cl->out_len + len + 1 > TR_CONTROL_OUT_MAX) {
        cl->closing = true; /* not reading its replies: give up on it */
        cl->out_len = 0;
        c->st.clients_dropped++;
        return;
    }
    if (cl->out_len + len + 1 > cl->out_cap) {
        size_t cap = cl->out_cap ? cl->out_cap : 1024;
        while (cap < cl->out_len + len + 1)
            cap *= 2;
        char *p = realloc(cl->out, cap);
        if (!p) {
            cl->closing = true;
            return;
        }
        cl->out = p;
        cl->out_cap = cap;
    }
    memcpy(cl->out + cl->out_len, text, len);
    cl->out[cl->out_len + len] = '\n';
    cl->out_len += len + 1;
}

static void reply_error(struct tr_control *c, struct client *cl, const char *code,
                        const char *message)
{
    char buf[512];
    cJSON *o = cJSON_CreateObject();
    char *s;
    cJSON_AddBoolToObject(o, "ok", 0);
    cJSON_AddStringToObject(o, "error", code);
    cJSON_AddStringToObject(o, "message", message);
    s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (s) {
        queue(c, cl, s);
        cJSON_free(s);
    } else {
        snprintf(buf, sizeof buf,
                 "{\"ok\":false,\"error\":\"internal\",\"message\":\"no memory\"}");
        queue(c, cl, buf);
    }
}

static void handle_line(struct tr_control *c, struct client *cl, char *line, size_t len,
                        tr_control_fn fn, void *user)
{
    struct tr_ctl_req req;
    char msg[200];

    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        line[--len] = '\0';
    if (len == 0)
        return; /* blank lines are ignored */
    c->st.requests++;
    switch (tr_ctl_parse(line, len, &req, msg, sizeof msg)) {
    case TR_CTL_PARSE_OK:
        break;
    case TR_CTL_PARSE_BAD_JSON:
        c->st.bad_json++;
        reply_error(c, cl, "bad_json", msg);
        return;
    case TR_CTL_PARSE_UNKNOWN:
        c->st.unknown_command++;
        reply_error(c, cl, "unknown_command", msg);
        return;
    default:
        c->st.bad_request++;
        reply_error(c, cl, "bad_request", msg);
        return;
    }
    c->st.handled++;
    char *answer = fn(user, &req);
    if (!answer) {
        reply_error(c, cl, "internal", "out of memory");
        return;
    }
    queue(c, cl, answer);
    free(answer);
}

static void read_client(struct tr_control *c, struct client *cl, tr_control_fn fn, void *user)
{
    for (int rounds = 0; rounds < 16 && !cl->closing; rounds++) {
        ssize_t r = read(cl->fd, cl->in + cl->in_len, TR_CONTROL_LINE_MAX + 1 - cl->in_len);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (r == 0) {
            /* peer done sending: answer what it sent (a last line without
             * its newline too), then close */
            if (cl->in_len && !cl->discarding && cl->in_len <= TR_CONTROL_LINE_MAX) {
                cl->in[cl->in_len] = '\0';
                handle_line(c, cl, cl->in, cl->in_len, fn, user);
            }
            cl->in_len = 0;
            cl->closing = true;
            return;
        }
        if (r < 0) {
            cl->closing = true;
            cl->out_len = 0; /* peer gone */
            return;
        }
        cl->in_len += (size_t)r;
        cl->active_ms = mono_ms();
        for (;;) {
            char *nl = memchr(cl->in, '\n', cl->in_len);
            if (!nl || cl->closing) /* closing: it stopped reading; run nothing more */
                break;
            size_t len = (size_t)(nl - cl->in);
            *nl = '\0';
            if (cl->discarding)
                cl->discarding = false;
            else
                handle_line(c, cl, cl->in, len, fn, user);
            memmove(cl->in, nl + 1, cl->in_len - len - 1);
            cl->in_len -= len + 1;
        }
        if (cl->in_len > TR_CONTROL_LINE_MAX) {
            if (!cl->discarding) {
                c->st.requests++;
                c->st.too_large++;
                reply_error(c, cl, "too_large", "request line over 4096 bytes");
            }
            cl->discarding = true;
            cl->in_len = 0;
        }
    }
}

static void write_client(struct client *cl)
{
    while (cl->out_len) {
        ssize_t w = send(cl->fd, cl->out, cl->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (w <= 0) {
            cl->closing = true;
            cl->out_len = 0;
            return;
        }
        memmove(cl->out, cl->out + w, cl->out_len - (size_t)w);
        cl->out_len -= (size_t)w;
        cl->active_ms = mono_ms(); /* reading its answers: not idle */
    }
}

/* The table is full: a client that has neither sent nor taken anything for
 * TR_CONTROL_IDLE_MS (silent, stuck half-way through a line, or done
 * sending but not reading its answers) gives its slot up, the one quiet the
 * longest first. Returns whether a slot was freed. */
static bool evict_idle(struct tr_control *c, int64_t now)
{
    size_t victim = c->n;
    for (size_t i = 0; i < c->n; i++) {
        const struct client *cl = &c->cl[i];
        if (now - cl->active_ms >= TR_CONTROL_IDLE_MS &&
            (victim == c->n || cl->active_ms < c->cl[victim].active_ms))
            victim = i;
    }
    if (victim == c->n)
        return false;
    static const char bye[] =
        "{\"ok\":false,\"error\":\"idle\","
        "\"message\":\"closed: idle while another client needed the slot\"}\n";
    (void)!send(c->cl[victim].fd, bye, sizeof bye - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    c->st.clients_evicted++;
    drop_client(c, victim);
    return true;
}

static void accept_clients(struct tr_control *c)
{
    for (int k = 0; k < 4; k++) {
        int fd = accept(c->fd, NULL, NULL);
        if (fd < 0)
            return;
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        int64_t now = mono_ms();
        if (c->n >= TR_CONTROL_MAX_CLIENTS && !evict_idle(c, now)) {
            static const char busy[] = "{\"ok\":false,\"error\":\"busy\","
                                       "\"message\":\"too many control clients\"}\n";
            c->st.clients_refused++;
            (void)!send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            close(fd);
            continue;
        }
        memset(&c->cl[c->n], 0, sizeof c->cl[0]);
        if (!(c->cl[c->n].in = malloc(TR_CONTROL_LINE_MAX + 1))) {
            close(fd);
            continue;
        }
        c->cl[c->n].active_ms = now;
        c->cl[c->n++].fd = fd;
        c->st.clients++;
    }
}

void tr_control_process(struct tr_control *c, const struct pollfd *fds, size_t n, tr_control_fn fn,
                        void *user)
{
    if (!c)
        return;
    /* clients first (fds[1..] match cl[0..] as filled), then new ones */
    for (size_t k = 1; k < n; k++) {
        struct client *cl = NULL;
        for (size_t i = 0; i < c->n; i++) {
            if (c->cl[i].fd == fds[k].fd)
                cl = &c->cl[i];
        }
        if (!cl)
            continue;
        if (fds[k].revents & (POLLIN | POLLHUP | POLLERR))
            read_client(c, cl, fn, user);
        if (cl->out_len)
            write_client(cl);
    }
    for (size_t i = 0; i < c->n;) {
        if (c->cl[i].closing && c->cl[i].out_len == 0)
            drop_client(c, i);
        else
            i++;
    }
    if (n > 0 && (fds[0].revents & POLLIN))
        accept_clients(c);
}

void tr_control_get_stats(const struct tr_control *c, struct tr_control_stats *out)
{
    if (c && out)
        *out = c->st;
}

size_t tr_control_n_clients(const struct tr_control *c)
{
    return c ? c->n : 0;
}

const char *tr_control_strerror(int err)
{
    switch (err) {
    case TR_CONTROL_OK:
        return "ok";
    case TR_CONTROL_ERR_INVALID:
        return "invalid argument";
    case TR_CONTROL_ERR_IO:
        return "control socket I/O error";
    case TR_CONTROL_ERR_IN_USE:
        return "control socket in use by another agent";
    case TR_CONTROL_ERR_NOMEM:
        return "out of memory";
    default:
        return "unknown control error";
    }
}
