/*
 * fieldagent/gps/gpx.c: the GPX layer of the GPX reader (see gpx.h): which
 * elements matter (gpx > trk > trkseg > trkpt and its time, speed, course,
 * hdop, fix), what their values mean, and loading a file. The XML itself is
 * checked by gpx_xml.c; leaf values are parsed by gpx_value.c. Does not
 * replay (gpx_replay.c) and never includes gps.h.
 */
#include "fieldagent/gps/gpx.h"
#include "fieldagent/gps/gpx_xml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_GPX, K_TRK, K_TRKSEG, K_TRKPT, K_LEAF, K_OTHER };
enum leaf { L_TIME, L_SPEED, L_COURSE, L_HDOP, L_FIX, L_COUNT };
static const char *const leaf_names[L_COUNT] = { "time", "speed", "course", "hdop", "fix" };

struct parser {
    struct tr_xml x;
    struct tr_gpx *g;
    size_t cap, max_points;
    unsigned char kind[TR_GPX_MAX_DEPTH];
    int depth;
    int leaf;
    char val[TR_GPX_MAX_VALUE];
    size_t val_len;
    int val_long;
    struct tr_gpx_point pt;
    unsigned seen; /* leaves of the current trkpt, 1 << enum leaf */
    bool has_time;
    struct tr_gpx_error *err;
};

static int fail(struct parser *ps, int code, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct parser *ps, int code, int line, const char *fmt, ...)
{
    if (ps->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->err->reason, sizeof ps->err->reason, fmt, ap);
        va_end(ap);
        ps->err->code = code;
        ps->err->line = line;
    }
    return code;
}

static int clip(size_t n)
{
    return (int)(n > 40 ? 40 : n);
}

static int on_root(struct parser *ps)
{
    struct tr_xml *x = &ps->x;
    if (!tr_xml_eq(x->name, "gpx"))
        return fail(ps, TR_GPX_ERR_NOT_GPX, x->event_line, "root element is <%.*s>, not <gpx>",
                    clip(x->name.len), x->name.s);
    const struct tr_xml_slice *v = tr_xml_attr(x, "version");
    if (v && tr_xml_eq(*v, "1.0"))
        ps->g->version = 10;
    else if (v && tr_xml_eq(*v, "1.1"))
        ps->g->version = 11;
    else
        return fail(ps, TR_GPX_ERR_NOT_GPX, x->event_line,
                    "<gpx> without version=\"1.0\" or \"1.1\"");
    return TR_GPX_OK;
}

static int read_coord(struct parser *ps, const char *name, double lim, double *out)
{
    const struct tr_xml_slice *v = tr_xml_attr(&ps->x, name);
    if (!v)
        return fail(ps, TR_GPX_ERR_STRUCTURE, ps->x.event_line, "<trkpt> without %s", name);
    if (tr_xml_number(*v, out) != 0 || *out < -lim || *out > lim)
        return fail(ps, TR_GPX_ERR_BAD_VALUE, ps->x.event_line, "bad %s=\"%.*s\"", name,
                    clip(v->len), v->s);
    return TR_GPX_OK;
}

static int on_trkpt(struct parser *ps)
{
    memset(&ps->pt, 0, sizeof ps->pt);
    ps->seen = 0;
    ps->has_time = false;
    ps->pt.line = ps->x.event_line;
    ps->pt.segment = (int)ps->g->n_segments - 1;
    ps->pt.fix.mode = 3;
    int rc = read_coord(ps, "lat", 90.0, &ps->pt.fix.lat);
    if (rc == TR_GPX_OK)
        rc = read_coord(ps, "lon", 180.0, &ps->pt.fix.lon);
    return rc;
}

/* The kind of a new element whose parent is `parent`, or -1 after fail(). */
static int child_kind(struct parser *ps, int parent)
{
    struct tr_xml *x = &ps->x;
    struct tr_xml_slice n = x->name;
    int line = x->event_line;

    if (memchr(n.s, ':', n.len)) /* another namespace: extensions */
        return parent == K_LEAF
                   ? (fail(ps, TR_GPX_ERR_STRUCTURE, line, "element inside a value"), -1)
                   : K_OTHER;
    switch (parent) {
    case K_GPX:
        if (tr_xml_eq(n, "trk")) {
            ps->g->n_tracks++;
            return K_TRK;
        }
        break;
    case K_TRK:
        if (tr_xml_eq(n, "trkseg")) {
            ps->g->n_segments++;
            return K_TRKSEG;
        }
        break;
    case K_TRKSEG:
        if (tr_xml_eq(n, "trkpt"))
            return on_trkpt(ps) == TR_GPX_OK ? K_TRKPT : -1;
        break;
    case K_TRKPT:
        for (int i = 0; i < L_COUNT; i++) {
            if (!tr_xml_eq(n, leaf_names[i]))
                continue;
            if (ps->seen & (1u << i))
                return fail(ps, TR_GPX_ERR_STRUCTURE, line, "<trkpt> with two <%s>", leaf_names[i]),
                       -1;
            ps->seen |= 1u << i;
            ps->leaf = i;
            ps->val_len = 0;
            ps->val_long = 0;
            return K_LEAF;
        }
        break;
    case K_LEAF:
        return fail(ps, TR_GPX_ERR_STRUCTURE, line, "element <%.*s> inside <%s>", clip(n.len), n.s,
                    leaf_names[ps->leaf]),
               -1;
    default:
        return K_OTHER;
    }
    if (tr_xml_eq(n, "trkpt") || tr_xml_eq(n, "trkseg"))
        return fail(ps, TR_GPX_ERR_STRUCTURE, line, "<%.*s> outside <%s>", clip(n.len), n.s,
                    tr_xml_eq(n, "trkpt") ? "trkseg" : "trk"),
               -1;
    return K_OTHER;
}

static int on_start(struct parser *ps)
{
    int k;
    if (ps->depth == 0) {
        int rc = on_root(ps);
        if (rc != TR_GPX_OK)
            return rc;
        k = K_GPX;
    } else {
        k = child_kind(ps, ps->kind[ps->depth - 1]);
        if (k < 0)
            return ps->err ? ps->err->code : TR_GPX_ERR_STRUCTURE;
    }
    /* the scanner bounds depth at TR_GPX_MAX_DEPTH, and so this stack */
    ps->kind[ps->depth++] = (unsigned char)k;
    return TR_GPX_OK;
}

static int on_text(struct parser *ps)
{
    struct tr_xml_slice t = ps->x.text;
    int k = ps->kind[ps->depth - 1];
    if (k == K_LEAF) {
        if (ps->val_len + t.len >= sizeof ps->val) {
            ps->val_long = 1;
            return TR_GPX_OK;
        }
        memcpy(ps->val + ps->val_len, t.s, t.len);
        ps->val_len += t.len;
        return TR_GPX_OK;
    }
    if (k == K_OTHER)
        return TR_GPX_OK;
    for (size_t i = 0; i < t.len; i++) {
        char c = t.s[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return fail(ps, TR_GPX_ERR_STRUCTURE, ps->x.event_line, "text inside <%s>",
                        k == K_GPX      ? "gpx"
                        : k == K_TRK    ? "trk"
                        : k == K_TRKSEG ? "trkseg"
                                        : "trkpt");
    }
    return TR_GPX_OK;
}

static int on_leaf_end(struct parser *ps)
{
    struct tr_xml_slice v = { ps->val, ps->val_len };
    struct tr_fix *f = &ps->pt.fix;
    int line = ps->x.line;
    const char *name = leaf_names[ps->leaf];
    double d = 0.0;

    if (ps->val_long)
        return fail(ps, TR_GPX_ERR_BAD_VALUE, line, "<%s> value too long", name);
    if (ps->leaf == L_TIME) {
        if (tr_gpx_parse_time(v.s, v.len, &f->t) != 0)
            return fail(ps, TR_GPX_ERR_BAD_VALUE, line, "bad <time> '%.*s'", clip(v.len), v.s);
        ps->has_time = true;
        return TR_GPX_OK;
    }
    if (ps->leaf == L_FIX) {
        static const char *const names[] = { "none", "2d", "3d", "dgps", "pps" };
        static const int modes[] = { 1, 2, 3, 3, 3 };
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            if (tr_xml_eq(v, names[i])) {
                f->mode = modes[i];
                return TR_GPX_OK;
            }
        }
        return fail(ps, TR_GPX_ERR_BAD_VALUE, line, "bad <fix> '%.*s'", clip(v.len), v.s);
    }
    if (tr_xml_number(v, &d) != 0)
        return fail(ps, TR_GPX_ERR_BAD_VALUE, line, "bad <%s> '%.*s'", name, clip(v.len), v.s);
    if (ps->leaf == L_SPEED && d >= 0.0 && d <= 150.0) {
        f->has_speed = true;
        f->speed = d;
    } else if (ps->leaf == L_COURSE && d >= 0.0 && d <= 360.0) {
        f->has_heading = true;
        f->heading = d >= 360.0 ? 0.0 : d;
    } else if (ps->leaf == L_HDOP && d >= 0.0) {
        ps->pt.has_hdop = true;
        ps->pt.hdop = d;
    } else {
        ps->g->n_dropped++;
    }
    return TR_GPX_OK;
}

static int on_trkpt_end(struct parser *ps)
{
    struct tr_gpx *g = ps->g;
    if (!ps->has_time) {
        g->n_untimed++;
        return TR_GPX_OK;
    }
    if (g->n_points == ps->max_points)
        return fail(ps, TR_GPX_ERR_TOO_MANY, ps->pt.line, "more than %zu timed points",
                    ps->max_points);
    if (g->n_points == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 1024;
        if (cap > ps->max_points)
            cap = ps->max_points;
        struct tr_gpx_point *np = realloc(g->points, cap * sizeof *np);
        if (!np)
            return fail(ps, TR_GPX_ERR_NOMEM, ps->pt.line, "out of memory");
        g->points = np;
        ps->cap = cap;
    }
    ps->pt.fix.seq = (int64_t)g->n_points;
    g->points[g->n_points++] = ps->pt;
    return TR_GPX_OK;
}

static int on_end(struct parser *ps)
{
    int k = ps->kind[--ps->depth];
    if (k == K_LEAF)
        return on_leaf_end(ps);
    if (k == K_TRKPT)
        return on_trkpt_end(ps);
    return TR_GPX_OK;
}

int tr_gpx_parse(const char *buf, size_t len, const struct tr_gpx_limits *limits,
                 struct tr_gpx **out, struct tr_gpx_error *err)
{
    struct parser *ps = NULL;
    int rc = TR_GPX_OK;
    size_t max_bytes = limits && limits->max_bytes ? limits->max_bytes : TR_GPX_DEFAULT_MAX_BYTES;

    if (err)
        memset(err, 0, sizeof *err);
    if (!out || (!buf && len > 0)) {
        if (out)
            *out = NULL;
        if (err) {
            err->code = TR_GPX_ERR_INVALID;
            snprintf(err->reason, sizeof err->reason, "bad arguments");
        }
        return TR_GPX_ERR_INVALID;
    }
    *out = NULL;
    ps = calloc(1, sizeof *ps);
    if (!ps)
        return TR_GPX_ERR_NOMEM;
    ps->err = err;
    ps->max_points = limits && limits->max_points ? limits->max_points : TR_GPX_DEFAULT_MAX_POINTS;
    ps->g = calloc(1, sizeof *ps->g);
    if (!ps->g) {
        rc = fail(ps, TR_GPX_ERR_NOMEM, 0, "out of memory");
        goto done;
    }
    if (len > max_bytes) {
        rc = fail(ps, TR_GPX_ERR_TOO_LARGE, 0, "input of %zu bytes is over %zu", len, max_bytes);
        goto done;
    }
    tr_xml_init(&ps->x, buf ? buf : "", len);
    for (;;) {
        enum tr_xml_event ev = tr_xml_next(&ps->x);
        if (ev == TR_XML_EOF)
            break;
        if (ev == TR_XML_ERROR) {
            rc = fail(ps, ps->x.err_code, ps->x.err_line, "%s", ps->x.reason);
            goto done;
        }
        rc = ev == TR_XML_START ? on_start(ps) : ev == TR_XML_END ? on_end(ps) : on_text(ps);
        if (rc != TR_GPX_OK)
            goto done;
    }
    *out = ps->g;
    ps->g = NULL;
done:
    tr_gpx_free(ps->g);
    free(ps);
    return rc;
}

int tr_gpx_load_file(const char *path, const struct tr_gpx_limits *limits, struct tr_gpx **out,
                     struct tr_gpx_error *err)
{
    size_t max_bytes = limits && limits->max_bytes ? limits->max_bytes : TR_GPX_DEFAULT_MAX_BYTES;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = TR_GPX_OK;
    FILE *f = NULL;

    if (err)
        memset(err, 0, sizeof *err);
    if (out)
        *out = NULL;
    if (!path || !out) {
        rc = TR_GPX_ERR_INVALID;
        if (err)
            snprintf(err->reason, sizeof err->reason, "bad arguments");
        goto done;
    }
    f = fopen(path, "rb");
    if (!f) {
        rc = TR_GPX_ERR_IO;
        if (err)
            snprintf(err->reason, sizeof err->reason, "cannot open: %s", strerror(errno));
        goto done;
    }
    for (;;) {
        if (n > max_bytes) {
            rc = TR_GPX_ERR_TOO_LARGE;
            if (err)
                snprintf(err->reason, sizeof err->reason, "file is over %zu bytes", max_bytes);
            goto done;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            if (cap > max_bytes + 1)
                cap = max_bytes + 1; /* one byte more tells "too large" */
            char *nb = realloc(buf, cap);
            if (!nb) {
                rc = TR_GPX_ERR_NOMEM;
                goto done;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    if (ferror(f)) {
        rc = TR_GPX_ERR_IO;
        if (err)
            snprintf(err->reason, sizeof err->reason, "read error");
        goto done;
    }
    rc = tr_gpx_parse(buf, n, limits, out, err);
done:
    if (err && rc != TR_GPX_OK)
        err->code = rc;
    if (f)
        fclose(f);
    free(buf);
    return rc;
}

void tr_gpx_free(struct tr_gpx *g)
{
    if (!g)
        return;
    free(g->points);
    free(g);
}

const char *tr_gpx_strerror(int code)
{
    switch (code) {
    case TR_GPX_OK:
        return "success";
    case TR_GPX_ERR_INVALID:
        return "invalid argument";
    case TR_GPX_ERR_NOMEM:
        return "out of memory";
    case TR_GPX_ERR_IO:
        return "I/O error";
    case TR_GPX_ERR_TOO_LARGE:
        return "input too large";
    case TR_GPX_ERR_TOO_MANY:
        return "too many points";
    case TR_GPX_ERR_XML:
        return "not well-formed XML";
    case TR_GPX_ERR_TOO_DEEP:
        return "elements nested too deep";
    case TR_GPX_ERR_NOT_GPX:
        return "not a GPX 1.0/1.1 document";
    case TR_GPX_ERR_STRUCTURE:
        return "bad GPX structure";
    case TR_GPX_ERR_BAD_VALUE:
        return "bad value";
    case TR_GPX_ERR_UNSUPPORTED:
        return "unsupported XML feature";
    default:
        return "unknown error";
    }
}
