/*
 * fieldagent/gps/gpx.h: a small, strict GPX 1.0 / 1.1 track reader, and a
 * replay helper that hands its points out at real or accelerated pace.
 *
 * What it does: read the <trkpt> points of every <trk>/<trkseg> of one GPX
 * document held in memory (or a file) into struct tr_fix values: lat/lon
 * attributes, <time> (ISO-8601 / xsd:dateTime, optional fraction, Z or a
 * +hh:mm offset, no zone = UTC), and the optional <speed> (m/s), <course>
 * (degrees), <hdop> and <fix>. The XML is checked for well-formedness (UTF-8,
 * tag nesting, attribute syntax, entity references, comments, CDATA,
 * processing instructions) by a hand-written scanner; the GPX structure is
 * checked where it matters (root <gpx version="1.0|1.1">, trkpt only inside
 * trk/trkseg, lat/lon present and in range, leaf values well-formed, no
 * duplicate leaf). Anything else (waypoints, routes, metadata, <extensions>,
 * other namespaces) is skipped. Garbage is rejected with an error code, a
 * reason and the line number; the reader never crashes on any input
 * (tests/fuzz/fuzz_gpx.c).
 *
 * What it does not do: write GPX, resolve DTDs or entities other than the
 * five predefined ones and character references (a DOCTYPE is rejected),
 * read encodings other than UTF-8 / US-ASCII, read routes or waypoints, or
 * sort points (they stay in file order). It is not libgps and never
 * includes gps.h.
 *
 * Memory: bounded by struct tr_gpx_limits (input bytes, points). Parsing
 * allocates only the points array (doubling, capped at max_points) and a
 * struct tr_gpx; the XML scanner keeps its state in a fixed-size struct.
 *
 * Ownership: tr_gpx_parse / tr_gpx_load_file return a struct tr_gpx the
 * caller frees with tr_gpx_free() (NULL is a no-op). The replay helper
 * borrows the struct tr_gpx, which must outlive it. Thread-safe (no shared
 * state); the replay struct is the caller's.
 */
#ifndef TR_GPX_H
#define TR_GPX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"

/* Deepest element nesting accepted (<gpx> is 1). */
#define TR_GPX_MAX_DEPTH 32
/* Longest text of a leaf we read (<time>, <speed>, ...), bytes. */
#define TR_GPX_MAX_VALUE 64
/* Default limits (tr_gpx_limits with zeros): 64 MiB, 500000 points. */
#define TR_GPX_DEFAULT_MAX_BYTES  (64u * 1024u * 1024u)
#define TR_GPX_DEFAULT_MAX_POINTS 500000u

/* Errors. Numbers never change. */
enum tr_gpx_err {
    TR_GPX_OK = 0,
    TR_GPX_ERR_INVALID = 1,     /* bad arguments (NULL) */
    TR_GPX_ERR_NOMEM = 2,       /* out of memory */
    TR_GPX_ERR_IO = 3,          /* the file cannot be opened or read */
    TR_GPX_ERR_TOO_LARGE = 4,   /* input over max_bytes */
    TR_GPX_ERR_TOO_MANY = 5,    /* more than max_points timed points */
    TR_GPX_ERR_XML = 6,         /* not well-formed XML (or not UTF-8, or a NUL byte) */
    TR_GPX_ERR_TOO_DEEP = 7,    /* nesting over TR_GPX_MAX_DEPTH */
    TR_GPX_ERR_NOT_GPX = 8,     /* root is not <gpx>, or its version is not 1.0 / 1.1 */
    TR_GPX_ERR_STRUCTURE = 9,   /* GPX structure broken: trkpt outside trkseg, lat missing, ... */
    TR_GPX_ERR_BAD_VALUE = 10,  /* lat, lon, time, speed, ... not a valid value */
    TR_GPX_ERR_UNSUPPORTED = 11 /* DOCTYPE, or an encoding other than UTF-8 */
};

/* Where and why a document was rejected. line is 1-based (0: no line,
 * e.g. an I/O error). */
struct tr_gpx_error {
    int code; /* enum tr_gpx_err */
    int line;
    char reason[120];
};

/* Limits; a zero member means its default. */
struct tr_gpx_limits {
    size_t max_bytes;  /* largest input accepted */
    size_t max_points; /* most timed points kept */
};

/* One track point. fix.seq is the point's index in tr_gpx.points; fix.t its
 * <time> in ms since the Unix epoch; fix.mode 3 unless <fix> says "none"
 * (1) or "2d" (2) ("3d", "dgps", "pps": 3); has_speed / has_heading when
 * <speed> / <course> were present and in range (speed 0 ..= 150 m/s; course
 * 0 ..= 360, 360 read as 0). has_acc is never set (hdop is not metres). */
struct tr_gpx_point {
    struct tr_fix fix;
    bool has_hdop;
    double hdop;
    int line;    /* line of the <trkpt> start tag */
    int segment; /* index of its <trkseg> in the file, from 0 */
};

/* A parsed document. points holds the trkpts that have a <time>, in file
 * order; those without one are only counted (they cannot drive a clock). */
struct tr_gpx {
    struct tr_gpx_point *points;
    size_t n_points;
    size_t n_untimed;  /* trkpts without <time> (not in points) */
    size_t n_dropped;  /* speed/course/hdop values out of range, ignored */
    size_t n_tracks;   /* <trk> elements */
    size_t n_segments; /* <trkseg> elements */
    int version;       /* 10 or 11 */
};

/*
 * Parse one GPX document of len bytes (need not be NUL-terminated).
 * limits may be NULL (defaults); err may be NULL. On success *out is the
 * caller's (tr_gpx_free); on failure *out is NULL and err says why and where.
 */
int tr_gpx_parse(const char *buf, size_t len, const struct tr_gpx_limits *limits,
                 struct tr_gpx **out, struct tr_gpx_error *err);
/* Read a whole file (at most limits->max_bytes) and parse it. */
int tr_gpx_load_file(const char *path, const struct tr_gpx_limits *limits, struct tr_gpx **out,
                     struct tr_gpx_error *err);
void tr_gpx_free(struct tr_gpx *g);
const char *tr_gpx_strerror(int code);

/* Parse an xsd:dateTime as GPX writes it: YYYY-MM-DDThh:mm:ss, an optional
 * fraction (milliseconds kept, further digits truncated), then Z, +hh:mm,
 * -hh:mm or nothing (UTC). Years 1970 ..= 9999; second 60 (a leap second)
 * reads as the next second. Leading / trailing XML whitespace is allowed.
 * Returns 0 and *ms_out (ms since the Unix epoch, >= 0), or -1. */
int tr_gpx_parse_time(const char *s, size_t len, int64_t *ms_out);

/*
 * Replay: hand out the points of a track against the caller's clock.
 * Pure: the caller passes now_ms (any clock: wall, monotonic or simulated).
 *
 * Point i is due at start_ms + (T(i) - T(0)) / speedup, where T is the
 * track's time with every gap between consecutive points shortened to at
 * most max_gap_ms (0: keep gaps). Points whose time does not increase are
 * skipped (counted). The fix handed out is the track's point with
 *   t      = its due time (so fix times follow the caller's clock),
 *   seq    = a counter from 0 that keeps growing across loops,
 *   speed  = the track's speed times speedup (has_speed dropped when that
 *            exceeds 150 m/s): at speedup k the contractor moves k times
 *            faster, and positions, times and speeds stay consistent.
 * With loop set, the track starts again after its last point (1 s later);
 * otherwise tr_gpx_replay_next reports the end.
 */
struct tr_gpx_replay_opts {
    double speedup;     /* > 0; 1 = real time; 0 means 1 */
    int64_t max_gap_ms; /* 0: keep gaps */
    bool loop;
};

struct tr_gpx_replay {
    const struct tr_gpx *g;
    struct tr_gpx_replay_opts o;
    int64_t start_ms;    /* caller's clock at the start of this loop */
    size_t next;         /* index of the next point */
    int64_t track_ms;    /* compressed track time of the last point handed out */
    int64_t last_t;      /* track time of the last point accepted */
    bool started;        /* a point was accepted in this loop */
    int64_t seq;         /* next seq */
    size_t n_skipped;    /* points skipped: time not increasing */
    int64_t last_due_ms; /* due time of the last point handed out */
};

/* Start replaying g at the caller's time start_ms. opts may be NULL
 * (real time, gaps kept, no loop). Returns TR_GPX_ERR_INVALID for a NULL
 * replay or track, or a non-finite / negative speedup. */
int tr_gpx_replay_init(struct tr_gpx_replay *r, const struct tr_gpx *g, int64_t start_ms,
                       const struct tr_gpx_replay_opts *opts);
/* When the next point is due, in the caller's clock; INT64_MAX at the end. */
int64_t tr_gpx_replay_due_ms(const struct tr_gpx_replay *r);
/* If a point is due at now_ms, write it to *fix and return 1; return 0 when
 * none is due yet, -1 when the track is over (never with loop, unless the
 * track holds no usable point). Call repeatedly: several may be due. */
int tr_gpx_replay_next(struct tr_gpx_replay *r, int64_t now_ms, struct tr_fix *fix);

#endif
