/*
 * fieldagent/gps/gpsd_source.c: the gpsd client (see gpsd_source.h), the
 * only file of the project that includes <gps.h>.
 *
 * What it does: libgps connect / WATCH / non-blocking reads, copying each
 * TPV report into a gps.h-free struct tr_gpsd_tpv for gpsd_fix.c, counters,
 * reconnect backoff. What it does not do: the checks and the epoch rule
 * (gpsd_fix.c), logging, threads.
 *
 * libgps API differences handled here (GPSD_API_MAJOR_VERSION): gps_read
 * takes a message buffer since API 7 (older ones are refused at compile
 * time); gps_fix_t.time is a struct timespec since API 9, a double of
 * seconds before. Only fields present in every API >= 7 are read.
 */
#include "fieldagent/gps/gpsd_source.h"

#include <errno.h>
#include <fcntl.h>
#include <gps.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#if GPSD_API_MAJOR_VERSION < 7
#error "libgps API 7 or later (gpsd 3.18 or later) is needed"
#endif

/* Reports processed per tr_gpsd_read call at most, so one busy gpsd cannot
 * starve the caller's other descriptors. */
#define MAX_MESSAGES_PER_READ 256
#define TPV_PREFIX            "{\"class\":\"TPV\""

struct tr_gpsd {
    char *host;
    char *port;
    struct tr_gpsd_opts opts;
    struct gps_data_t gps;
    bool connected;
    bool got_data;        /* something arrived since the last connect */
    bool retry_now;       /* tr_gpsd_reconnect: skip the backoff once */
    bool more;            /* the last read stopped early: reports may be buffered */
    int64_t next_attempt; /* now_ms of the next connect attempt, while disconnected */
    int64_t backoff;      /* the wait after the next failure */
    struct tr_gpsd_epoch epoch;
    bool has_prev;
    int64_t prev_t; /* time of the last published fix */
    struct tr_gpsd_stats st;
    char detail[128];
    char line[64]; /* start of the current report: only its class is needed */
};

void tr_gpsd_opts_default(struct tr_gpsd_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_future_ms = 60000;
    o->hold_ms = 1500;
    o->emit = TR_GPSD_EMIT_LAST;
    o->backoff_min_ms = 500;
    o->backoff_max_ms = 30000;
}

const char *tr_gpsd_strerror(int code)
{
    switch (code) {
    case TR_GPSD_OK:
        return "success";
    case TR_GPSD_ERR_INVALID:
        return "invalid argument";
    case TR_GPSD_ERR_NOMEM:
        return "out of memory";
    case TR_GPSD_ERR_CONNECT:
        return "cannot connect to gpsd";
    case TR_GPSD_ERR_WATCH:
        return "gpsd refused the WATCH command";
    case TR_GPSD_ERR_DISCONNECTED:
        return "connection to gpsd lost";
    }
    return "unknown error";
}

static char *dup_or(const char *s, const char *fallback)
{
    return strdup(s ? s : fallback);
}

static void schedule_retry(struct tr_gpsd *g, int64_t now_ms)
{
    g->next_attempt = now_ms > INT64_MAX - g->backoff ? INT64_MAX : now_ms + g->backoff;
    g->backoff = g->backoff > g->opts.backoff_max_ms / 2 ? g->opts.backoff_max_ms : g->backoff * 2;
}

static int connect_now(struct tr_gpsd *g, int64_t now_ms)
{
    int flags;

    g->retry_now = false;
    memset(&g->gps, 0, sizeof g->gps);
    errno = 0;
    if (gps_open(g->host, g->port, &g->gps) != 0) {
        snprintf(g->detail, sizeof g->detail, "%s", gps_errstr(errno));
        g->st.connect_failures++;
        schedule_retry(g, now_ms);
        return TR_GPSD_ERR_CONNECT;
    }
    if (gps_stream(&g->gps, WATCH_ENABLE | WATCH_JSON, NULL) != 0) {
        snprintf(g->detail, sizeof g->detail, "WATCH failed");
        gps_close(&g->gps);
        g->st.connect_failures++;
        schedule_retry(g, now_ms);
        return TR_GPSD_ERR_WATCH;
    }
    flags = fcntl(g->gps.gps_fd, F_GETFL);
    if (flags < 0 || fcntl(g->gps.gps_fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        snprintf(g->detail, sizeof g->detail, "fcntl: %s", strerror(errno));
        gps_close(&g->gps);
        g->st.connect_failures++;
        schedule_retry(g, now_ms);
        return TR_GPSD_ERR_CONNECT;
    }
    g->detail[0] = '\0';
    g->connected = true;
    g->got_data = false;
    g->st.connects++;
    return TR_GPSD_OK;
}

int tr_gpsd_open(const char *host, const char *port, const struct tr_gpsd_opts *opts,
                 int64_t now_ms, struct tr_gpsd **out)
{
    struct tr_gpsd *g;

    if (!out)
        return TR_GPSD_ERR_INVALID;
    *out = NULL;
    if (opts && (opts->emit != TR_GPSD_EMIT_LAST && opts->emit != TR_GPSD_EMIT_FIRST))
        return TR_GPSD_ERR_INVALID;
    if (!(g = calloc(1, sizeof *g)))
        return TR_GPSD_ERR_NOMEM;
    g->host = dup_or(host, "localhost");
    g->port = dup_or(port, "2947");
    if (!g->host || !g->port) {
        tr_gpsd_close(g);
        return TR_GPSD_ERR_NOMEM;
    }
    if (opts)
        g->opts = *opts;
    else
        tr_gpsd_opts_default(&g->opts);
    if (g->opts.backoff_min_ms <= 0)
        g->opts.backoff_min_ms = 500;
    if (g->opts.backoff_max_ms < g->opts.backoff_min_ms)
        g->opts.backoff_max_ms = g->opts.backoff_min_ms;
    g->backoff = g->opts.backoff_min_ms;
    tr_gpsd_epoch_init(&g->epoch, g->opts.emit, g->opts.hold_ms);
    *out = g;
    return connect_now(g, now_ms);
}

void tr_gpsd_close(struct tr_gpsd *g)
{
    if (!g)
        return;
    if (g->connected)
        gps_close(&g->gps);
    free(g->host);
    free(g->port);
    free(g);
}

int tr_gpsd_fd(const struct tr_gpsd *g)
{
    return g && g->connected ? (int)g->gps.gps_fd : -1;
}

int tr_gpsd_connected(const struct tr_gpsd *g)
{
    return g && g->connected;
}

/* A retry is due, or the clock went back past the backoff. */
static bool retry_due(const struct tr_gpsd *g, int64_t now_ms)
{
    return g->retry_now || now_ms >= g->next_attempt ||
           g->next_attempt - now_ms > g->opts.backoff_max_ms;
}

int64_t tr_gpsd_timeout_ms(const struct tr_gpsd *g, int64_t now_ms)
{
    int64_t t = -1, deadline;

    if (!g)
        return -1;
    if (g->more)
        return 0;
    if (!g->connected)
        t = retry_due(g, now_ms) ? 0 : g->next_attempt - now_ms;
    deadline = tr_gpsd_epoch_deadline(&g->epoch);
    if (deadline >= 0) {
        int64_t d = deadline <= now_ms ? 0 : deadline - now_ms;
        t = t < 0 || d < t ? d : t;
    }
    return t;
}

static void publish(struct tr_gpsd *g, const struct tr_fix *f, struct tr_fix *out, size_t *n)
{
    if (g->has_prev && f->t < g->prev_t)
        g->st.time_backwards++;
    g->has_prev = true;
    g->prev_t = f->t;
    out[(*n)++] = *f;
    g->st.published++;
}

static void drop_connection(struct tr_gpsd *g, int64_t now_ms, struct tr_fix *out, size_t cap,
                            size_t *n)
{
    struct tr_fix f;

    gps_close(&g->gps);
    g->connected = false;
    g->more = false;
    g->st.disconnects++;
    schedule_retry(g, now_ms);
    if (*n < cap && tr_gpsd_epoch_flush(&g->epoch, now_ms, true, &f))
        publish(g, &f, out, n);
}

/* Copy the TPV libgps just decoded into the gps.h-free form. */
static void tpv_from_libgps(const struct gps_data_t *d, struct tr_gpsd_tpv *t)
{
    memset(t, 0, sizeof *t);
    t->mode = d->fix.mode;
#if GPSD_API_MAJOR_VERSION >= 9
    t->has_time = d->fix.time.tv_sec != 0 || d->fix.time.tv_nsec != 0;
    t->time_sec = (int64_t)d->fix.time.tv_sec;
    t->time_nsec = (long)d->fix.time.tv_nsec;
#else
    if (isfinite(d->fix.time) && d->fix.time != 0.0) {
        int64_t ms = tr_gpsd_time_ms_from_double(d->fix.time);
        t->has_time = true;
        t->time_sec = ms / 1000;
        t->time_nsec = (long)(ms % 1000) * 1000000L;
    }
#endif
    t->lat = d->fix.latitude;
    t->lon = d->fix.longitude;
    t->eph = d->fix.eph;
    t->epx = d->fix.epx;
    t->epy = d->fix.epy;
    t->speed = d->fix.speed;
    t->track = d->fix.track;
}

static void count_skip(struct tr_gpsd_stats *st, enum tr_gpsd_skip skip)
{
    switch (skip) {
    case TR_GPSD_SKIP_NONE:
        break;
    case TR_GPSD_SKIP_NO_FIX:
        st->no_fix++;
        break;
    case TR_GPSD_SKIP_NO_TIME:
        st->no_time++;
        break;
    case TR_GPSD_SKIP_BAD_TIME:
        st->bad_time++;
        break;
    case TR_GPSD_SKIP_FUTURE:
        st->future++;
        break;
    case TR_GPSD_SKIP_BAD_POSITION:
        st->bad_position++;
        break;
    case TR_GPSD_SKIP_OUT_OF_RANGE:
        st->out_of_range++;
        break;
    }
}

/* One TPV: check it, run it through the epoch filter. */
static void handle_tpv(struct tr_gpsd *g, int64_t now_ms, struct tr_fix *out, size_t *n)
{
    struct tr_gpsd_tpv tpv;
    struct tr_fix fix, ready;
    enum tr_gpsd_epoch_note note;
    enum tr_gpsd_skip skip;
    int dropped = 0, r;

    g->st.tpv++;
    tpv_from_libgps(&g->gps, &tpv);
    skip = tr_gpsd_tpv_to_fix(&tpv, now_ms, g->opts.max_future_ms, &fix, &dropped);
    g->st.field_out_of_range += (uint64_t)dropped;
    count_skip(&g->st, skip);
    if (skip == TR_GPSD_SKIP_NONE)
        r = tr_gpsd_epoch_fix(&g->epoch, &fix, now_ms, &ready, &note);
    else
        r = tr_gpsd_epoch_refused(&g->epoch, tpv.has_time, fix.t, &ready, &note);
    if (note == TR_GPSD_EPOCH_SAME)
        g->st.same_epoch++;
    else if (note == TR_GPSD_EPOCH_DUPLICATE)
        g->st.duplicate++;
    if (r)
        publish(g, &ready, out, n);
}

/* After gps_read failed with EAGAIN: 1 when the peer has closed after all. */
static bool peer_closed(int fd)
{
    char c;
    ssize_t r = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

    return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Read and handle complete reports until none is left, the output is full or
 * the per-call bound is reached. */
static int pump(struct tr_gpsd *g, int64_t now_ms, struct tr_fix *out, size_t cap, size_t *n)
{
    int count;

    for (count = 0; count < MAX_MESSAGES_PER_READ && *n < cap; count++) {
        int r;

        errno = 0;
        r = gps_read(&g->gps, g->line, (int)sizeof g->line);
        if (r == 0)
            return TR_GPSD_OK; /* no complete report buffered, nothing readable */
        if (r < 0) {
            if ((errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) &&
                !peer_closed((int)g->gps.gps_fd))
                return TR_GPSD_OK;
            drop_connection(g, now_ms, out, cap, n);
            return TR_GPSD_ERR_DISCONNECTED;
        }
        g->st.messages++;
        if (!g->got_data) {
            g->got_data = true;
            g->backoff = g->opts.backoff_min_ms;
        }
        if (strncmp(g->line, TPV_PREFIX, sizeof TPV_PREFIX - 1) == 0)
            handle_tpv(g, now_ms, out, n);
    }
    g->more = true;
    return TR_GPSD_OK;
}

int tr_gpsd_read(struct tr_gpsd *g, int64_t now_ms, struct tr_fix *out, size_t cap, size_t *n_out)
{
    struct tr_fix f;
    int rc = TR_GPSD_OK;

    if (n_out)
        *n_out = 0;
    if (!g || !out || cap == 0 || !n_out)
        return TR_GPSD_ERR_INVALID;
    g->more = false;
    if (!g->connected && retry_due(g, now_ms))
        rc = connect_now(g, now_ms);
    if (g->connected)
        rc = pump(g, now_ms, out, cap, n_out);
    if (*n_out < cap && tr_gpsd_epoch_flush(&g->epoch, now_ms, false, &f))
        publish(g, &f, out, n_out);
    return rc;
}

int tr_gpsd_reconnect(struct tr_gpsd *g, struct tr_fix *out)
{
    struct tr_fix f;
    size_t n = 0;

    if (!g)
        return 0;
    if (g->connected) {
        gps_close(&g->gps);
        g->connected = false;
        g->st.disconnects++;
    }
    g->more = false;
    g->retry_now = true;
    if (out && tr_gpsd_epoch_flush(&g->epoch, 0, true, &f))
        publish(g, &f, out, &n);
    return (int)n;
}

void tr_gpsd_get_stats(const struct tr_gpsd *g, struct tr_gpsd_stats *out)
{
    if (g)
        *out = g->st;
    else
        memset(out, 0, sizeof *out);
}

const char *tr_gpsd_detail(const struct tr_gpsd *g)
{
    return g ? g->detail : "";
}
