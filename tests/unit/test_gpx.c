/*
 * tests/unit/test_gpx.c: the GPX reader (fieldagent/gps/gpx.h): the real
 * tracks in data/tracks parse with the point counts their README gives,
 * times read exactly, bad documents are rejected with the right code and
 * line, limits hold, and the replay helper paces points against a clock.
 *
 * Usage: test_gpx TRACKS_DIR
 */
#include "fieldagent/gps/gpx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/check.h"

static const char *tracks_dir;

static int point_ok(const struct tr_fix *f)
{
    return isfinite(f->lat) && isfinite(f->lon) && fabs(f->lat) <= 90 && fabs(f->lon) <= 180 &&
           f->t > 0;
}

static struct tr_gpx *load_track(const char *name)
{
    char path[1024];
    struct tr_gpx *g = NULL;
    struct tr_gpx_error err;
    snprintf(path, sizeof path, "%s/%s", tracks_dir, name);
    int rc = tr_gpx_load_file(path, NULL, &g, &err);
    CHECK_MSG(rc == TR_GPX_OK, "%s: %s line %d: %s", name, tr_gpx_strerror(rc), err.line,
              err.reason);
    return g;
}

static void test_real_tracks(void)
{
    static const struct {
        const char *file;
        size_t points, untimed;
        bool speed, course;
    } want[] = {
        { "sbn-v13.gpx", 3453, 0, true, true },
        { "mtk_logger_m241.gpx", 1199, 0, true, false },
        { "iblue747.gpx", 747, 0, true, false },
        { "bike.gpx", 1812, 0, true, false },
        { "tpo-sample2.gpx", 711, 295, false, false },
        { "garmin-virb-ultra-30.gpx", 145, 0, true, false },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        struct tr_gpx *g = load_track(want[i].file);
        if (!g)
            continue;
        CHECK_MSG(g->n_points == want[i].points, "%s: %zu points", want[i].file, g->n_points);
        CHECK_MSG(g->n_untimed == want[i].untimed, "%s: %zu untimed", want[i].file, g->n_untimed);
        CHECK(g->version == 10);
        CHECK(g->n_dropped == 0);
        size_t sp = 0, co = 0;
        for (size_t k = 0; k < g->n_points; k++) {
            const struct tr_fix *f = &g->points[k].fix;
            sp += f->has_speed;
            co += f->has_heading;
            CHECK(f->seq == (int64_t)k);
            if (!point_ok(f))
                CHECK_MSG(0, "%s: point %zu invalid", want[i].file, k);
        }
        CHECK_MSG((sp == g->n_points) == want[i].speed, "%s speed", want[i].file);
        CHECK_MSG((co == g->n_points) == want[i].course, "%s course", want[i].file);
        tr_gpx_free(g);
    }

    struct tr_gpx *g = load_track("sbn-v13.gpx");
    if (g) {
        const struct tr_gpx_point *p = &g->points[0];
        CHECK(p->fix.t == 1265027498545); /* 2010-02-01T12:31:38.545Z */
        CHECK(fabs(p->fix.lat - 51.9954543) < 1e-9 && fabs(p->fix.lon - 4.3705501) < 1e-9);
        CHECK(p->fix.has_speed && fabs(p->fix.speed - 12.05) < 1e-9);
        CHECK(p->fix.has_heading && fabs(p->fix.heading - 338.779999) < 1e-9);
        CHECK(p->fix.mode == 1); /* <fix>none</fix> */
        CHECK(p->has_hdop && fabs(p->hdop - 3.2) < 1e-9);
        CHECK(p->line == 7);
        size_t modes[4] = { 0 };
        for (size_t k = 0; k < g->n_points; k++)
            modes[g->points[k].fix.mode]++;
        CHECK(modes[1] == 89 && modes[2] == 57 && modes[3] == 3307);
        tr_gpx_free(g);
    }
    g = load_track("tpo-sample2.gpx");
    if (g) {
        CHECK(g->n_tracks == 15 && g->n_segments == 15);
        CHECK(g->points[0].fix.mode == 3 && !g->points[0].fix.has_speed);
        tr_gpx_free(g);
    }
}

static void test_time(void)
{
    static const struct {
        const char *s;
        int64_t ms; /* -1: rejected */
    } cases[] = {
        { "2013-04-30T19:23:57Z", 1367349837000 },
        { "  2013-04-30T19:23:57Z\n", 1367349837000 },
        { "2013-04-30T19:23:57", 1367349837000 },
        { "2013-04-30T21:23:57+02:00", 1367349837000 },
        { "2013-04-30T14:23:57-05:00", 1367349837000 },
        { "2013-04-30T19:23:57.5Z", 1367349837500 },
        { "2013-04-30T19:23:57.123456Z", 1367349837123 },
        { "2000-02-29T23:59:59.999Z", 951868799999 },
        { "2016-12-31T23:59:60Z", 1483228800000 },
        { "1970-01-01T00:00:00Z", 0 },
        { "2001-02-29T00:00:00Z", -1 },
        { "2013-13-01T00:00:00Z", -1 },
        { "2013-04-31T00:00:00Z", -1 },
        { "2013-04-30T24:00:00Z", -1 },
        { "2013-04-30T19:60:00Z", -1 },
        { "2013-04-30 19:23:57Z", -1 },
        { "2013-04-30T19:23:57.Z", -1 },
        { "2013-04-30T19:23:57+2:00", -1 },
        { "2013-04-30T19:23:57+15:00", -1 },
        { "2013-04-30T19:23:57ZZ", -1 },
        { "1969-12-31T23:59:59Z", -1 },
        { "1970-01-01T00:30:00+01:00", -1 },
        { "2013-4-30T19:23:57Z", -1 },
        { "", -1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ms = -1;
        int rc = tr_gpx_parse_time(cases[i].s, strlen(cases[i].s), &ms);
        if (cases[i].ms < 0)
            CHECK_MSG(rc != 0, "'%s' accepted", cases[i].s);
        else
            CHECK_MSG(rc == 0 && ms == cases[i].ms, "'%s': rc %d ms %lld", cases[i].s, rc,
                      (long long)ms);
    }
}

static int parse_str(const char *doc, struct tr_gpx **g, struct tr_gpx_error *err)
{
    return tr_gpx_parse(doc, strlen(doc), NULL, g, err);
}

#define HEAD  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"t\">\n"
#define PT(t) "<trkpt lat=\"52.0\" lon=\"4.3\"><time>" t "</time></trkpt>\n"

static void test_good_documents(void)
{
    struct tr_gpx *g = NULL;
    struct tr_gpx_error err;
    const char *doc =
        "\xEF\xBB\xBF" HEAD
        "<!-- a comment -->\n<metadata><name>a &amp; b &#x41;&#66;</name></metadata>\n"
        "<wpt lat=\"1\" lon=\"2\"><time>garbage is fine here</time></wpt>\n"
        "<trk><name><![CDATA[<odd> & name]]></name><trkseg>\n"
        "<trkpt lat='52.5' lon=\"-4.25\" >\n"
        "  <ele>3</ele><time><!-- c -->2020-01-01T00:00:00Z</time>\n"
        "  <speed>5.5</speed><course>360</course><hdop>1.5</hdop><fix>2d</fix>\n"
        "  <extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>90</gpxtpx:hr>"
        "</gpxtpx:TrackPointExtension></extensions>\n"
        "</trkpt>\n"
        "<trkpt lat=\"52.6\" lon=\"-4.2\"/>\n"
        "<trkpt lat=\"52.7\" lon=\"-4.1\"><time><![CDATA[2020-01-01T00:00:01Z]]>"
        "</time><speed>-1</speed><course>400</course></trkpt>\n"
        "</trkseg><trkseg/></trk>\n"
        "<?pi stuff?>\n</gpx>\n<!-- trailing -->\n";
    int rc = parse_str(doc, &g, &err);
    CHECK_MSG(rc == TR_GPX_OK, "%s line %d: %s", tr_gpx_strerror(rc), err.line, err.reason);
    if (g) {
        CHECK(g->version == 11 && g->n_points == 2 && g->n_untimed == 1 && g->n_dropped == 2);
        CHECK(g->n_tracks == 1 && g->n_segments == 2);
        const struct tr_fix *f = &g->points[0].fix;
        CHECK(f->lat == 52.5 && f->lon == -4.25 && f->t == 1577836800000);
        CHECK(f->has_speed && f->speed == 5.5 && f->has_heading && f->heading == 0.0);
        CHECK(f->mode == 2 && g->points[0].has_hdop && g->points[0].hdop == 1.5);
        CHECK(g->points[0].line == 7 && g->points[0].segment == 0);
        CHECK(!g->points[1].fix.has_speed && !g->points[1].fix.has_heading);
        CHECK(g->points[1].fix.t == 1577836801000);
    }
    tr_gpx_free(g);

    /* GPX 1.0, no declaration, no points at all */
    rc = parse_str("<gpx version=\"1.0\"></gpx>", &g, &err);
    CHECK(rc == TR_GPX_OK && g && g->n_points == 0 && g->version == 10);
    tr_gpx_free(g);
    tr_gpx_free(NULL);
}

static void test_bad_documents(void)
{
    static const struct {
        const char *doc;
        int code, line;
    } cases[] = {
        { "", TR_GPX_ERR_XML, 1 },
        { "   \n  ", TR_GPX_ERR_XML, 2 },
        { "not xml", TR_GPX_ERR_XML, 1 },
        { "<html></html>", TR_GPX_ERR_NOT_GPX, 1 },
        { "<gpx></gpx>", TR_GPX_ERR_NOT_GPX, 1 },
        { "<gpx version=\"2.0\"></gpx>", TR_GPX_ERR_NOT_GPX, 1 },
        { "<!DOCTYPE gpx [<!ENTITY x \"y\">]><gpx version=\"1.1\"></gpx>", TR_GPX_ERR_UNSUPPORTED,
          1 },
        { "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><gpx version=\"1.1\"/>",
          TR_GPX_ERR_UNSUPPORTED, 1 },
        { HEAD "<trk><trkseg>\n" PT("2020-01-01T00:00:00Z"), TR_GPX_ERR_XML, 5 },
        { HEAD "<trk><trkseg>\n</trk></trkseg></gpx>", TR_GPX_ERR_XML, 4 },
        { HEAD "</gpx><gpx version=\"1.1\"/>", TR_GPX_ERR_XML, 3 },
        { HEAD "</gpx>text", TR_GPX_ERR_XML, 3 },
        { HEAD "<trk a=\"1\" a=\"2\"/></gpx>", TR_GPX_ERR_XML, 3 },
        { HEAD "<trk a=1/></gpx>", TR_GPX_ERR_XML, 3 },
        { HEAD "<trk a=\"<\"/></gpx>", TR_GPX_ERR_XML, 3 },
        { HEAD "<name>&bogus;</name></gpx>", TR_GPX_ERR_XML, 3 },
        { HEAD "<name>&#0;</name></gpx>", TR_GPX_ERR_XML, 3 },
        { HEAD "<name>a ]]> b</name></gpx>", TR_GPX_ERR_XML, 3 },
        { HEAD "<!-- a -- b --></gpx>", TR_GPX_ERR_XML, 3 },
        { HEAD "<name>\n\xC3\x28</name></gpx>", TR_GPX_ERR_XML, 4 },
        { HEAD "<name>\x01</name></gpx>", TR_GPX_ERR_XML, 3 },
        { HEAD "\n<trkpt lat=\"1\" lon=\"2\"/></gpx>", TR_GPX_ERR_STRUCTURE, 4 },
        { HEAD "<trk>\n\n<trkpt lat=\"1\" lon=\"2\"/></trk></gpx>", TR_GPX_ERR_STRUCTURE, 5 },
        { HEAD "<trkseg/></gpx>", TR_GPX_ERR_STRUCTURE, 3 },
        { HEAD "<trk><trkseg>\n<trkpt lat=\"1\"/></trkseg></trk></gpx>", TR_GPX_ERR_STRUCTURE, 4 },
        { HEAD "<trk><trkseg>\n<trkpt lat=\"91\" lon=\"2\"/></trkseg></trk></gpx>",
          TR_GPX_ERR_BAD_VALUE, 4 },
        { HEAD "<trk><trkseg>\n<trkpt lat=\"1\" lon=\"1e999\"/></trkseg></trk></gpx>",
          TR_GPX_ERR_BAD_VALUE, 4 },
        { HEAD "<trk><trkseg>\n<trkpt lat=\"1,5\" lon=\"2\"/></trkseg></trk></gpx>",
          TR_GPX_ERR_BAD_VALUE, 4 },
        { HEAD "<trk><trkseg>\n<trkpt lat=\"nan\" lon=\"2\"/></trkseg></trk></gpx>",
          TR_GPX_ERR_BAD_VALUE, 4 },
        { HEAD "<trk><trkseg>\n<trkpt lat=\"1\" lon=\"2\">\n<time>yesterday</time>"
               "</trkpt></trkseg></trk></gpx>",
          TR_GPX_ERR_BAD_VALUE, 5 },
        { HEAD "<trk><trkseg>\n<trkpt lat=\"1\" lon=\"2\"><time>2020-01-01T00:00:00Z</time>\n"
               "<time>2020-01-01T00:00:00Z</time></trkpt></trkseg></trk></gpx>",
          TR_GPX_ERR_STRUCTURE, 5 },
        { HEAD "<trk><trkseg>\n<trkpt lat=\"1\" lon=\"2\"><speed>fast</speed>"
               "</trkpt></trkseg></trk></gpx>",
          TR_GPX_ERR_BAD_VALUE, 4 },
        { HEAD "<trk><trkseg>\n<trkpt lat=\"1\" lon=\"2\"><fix>4d</fix>"
               "</trkpt></trkseg></trk></gpx>",
          TR_GPX_ERR_BAD_VALUE, 4 },
        { HEAD "<trk><trkseg>\n<trkpt lat=\"1\" lon=\"2\"><time><b/></time>"
               "</trkpt></trkseg></trk></gpx>",
          TR_GPX_ERR_STRUCTURE, 4 },
        { HEAD "<trk><trkseg>\n<trkpt lat=\"1\" lon=\"2\">oops</trkpt></trkseg></trk></gpx>",
          TR_GPX_ERR_STRUCTURE, 4 },
        { HEAD "<trk><trkseg><trkpt lat=\"1\" lon=\"2\"><speed>"
               "1.000000000000000000000000000000000000000000000000000000000000000000001"
               "</speed></trkpt></trkseg></trk></gpx>",
          TR_GPX_ERR_BAD_VALUE, 3 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tr_gpx *g = (struct tr_gpx *)&g; /* must be reset to NULL */
        struct tr_gpx_error err;
        int rc = parse_str(cases[i].doc, &g, &err);
        CHECK_MSG(rc == cases[i].code && err.code == rc && err.line == cases[i].line && g == NULL &&
                      err.reason[0],
                  "case %zu: rc %d (%s) line %d: %s", i, rc, tr_gpx_strerror(rc), err.line,
                  err.reason);
    }

    /* a NUL byte inside the document */
    static const char nul_doc[] = "<gpx version=\"1.1\">\n<name>a\0b</name></gpx>";
    struct tr_gpx *g = NULL;
    struct tr_gpx_error err;
    CHECK(tr_gpx_parse(nul_doc, sizeof nul_doc - 1, NULL, &g, &err) == TR_GPX_ERR_XML &&
          err.line == 2);

    /* too deep */
    char deep[4096] = "<gpx version=\"1.1\">";
    for (int i = 0; i < TR_GPX_MAX_DEPTH; i++)
        strcat(deep, "<a>");
    CHECK(parse_str(deep, &g, &err) == TR_GPX_ERR_TOO_DEEP);

    /* limits */
    const char *two = HEAD "<trk><trkseg>" PT("2020-01-01T00:00:00Z")
        PT("2020-01-01T00:00:01Z") "</trkseg></trk></gpx>";
    struct tr_gpx_limits lim = { 0, 1 };
    CHECK(tr_gpx_parse(two, strlen(two), &lim, &g, &err) == TR_GPX_ERR_TOO_MANY && !g);
    lim.max_points = 2;
    CHECK(tr_gpx_parse(two, strlen(two), &lim, &g, &err) == TR_GPX_OK && g->n_points == 2);
    tr_gpx_free(g);
    lim.max_bytes = 10;
    CHECK(tr_gpx_parse(two, strlen(two), &lim, &g, &err) == TR_GPX_ERR_TOO_LARGE && !g);
    char path[1024];
    snprintf(path, sizeof path, "%s/sbn-v13.gpx", tracks_dir);
    CHECK(tr_gpx_load_file(path, &lim, &g, &err) == TR_GPX_ERR_TOO_LARGE && !g);
    CHECK(tr_gpx_load_file("/nonexistent/x.gpx", NULL, &g, &err) == TR_GPX_ERR_IO &&
          err.code == TR_GPX_ERR_IO);
    CHECK(tr_gpx_parse(NULL, 5, NULL, &g, &err) == TR_GPX_ERR_INVALID);
    CHECK(tr_gpx_parse("x", 1, NULL, NULL, &err) == TR_GPX_ERR_INVALID);
    CHECK(strcmp(tr_gpx_strerror(TR_GPX_ERR_XML), "not well-formed XML") == 0);
    CHECK(strcmp(tr_gpx_strerror(999), "unknown error") == 0);
}

static void test_replay(void)
{
    const char *doc =
        HEAD "<trk><trkseg>\n"
             "<trkpt lat=\"52.0\" lon=\"4.0\"><time>2020-01-01T00:00:00Z</time>"
             "<speed>10</speed></trkpt>\n" PT("2020-01-01T00:00:01Z") PT("2020-01-01T00:00:01Z")
                 PT("2020-01-01T00:01:01Z") "</trkseg></trk></gpx>";
    struct tr_gpx *g = NULL;
    struct tr_gpx_error err;
    CHECK(parse_str(doc, &g, &err) == TR_GPX_OK && g && g->n_points == 4);
    if (!g)
        return;
    struct tr_gpx_replay r;
    struct tr_fix f;
    struct tr_gpx_replay_opts o = { 2.0, 10000, false };
    CHECK(tr_gpx_replay_init(&r, g, 5000, &o) == TR_GPX_OK);
    CHECK(tr_gpx_replay_due_ms(&r) == 5000);
    CHECK(tr_gpx_replay_next(&r, 4999, &f) == 0);
    CHECK(tr_gpx_replay_next(&r, 5000, &f) == 1 && f.t == 5000 && f.seq == 0);
    CHECK(f.has_speed && f.speed == 20.0); /* twice as fast */
    CHECK(tr_gpx_replay_due_ms(&r) == 5500);
    CHECK(tr_gpx_replay_next(&r, 5499, &f) == 0);
    CHECK(tr_gpx_replay_next(&r, 9000, &f) == 1 && f.t == 5500 && f.seq == 1);
    /* the duplicate time is skipped; the 60 s gap becomes 10 s, i.e. 5 s at 2x */
    CHECK(tr_gpx_replay_due_ms(&r) == 10500);
    CHECK(tr_gpx_replay_next(&r, 9000, &f) == 0);
    CHECK(tr_gpx_replay_next(&r, 10500, &f) == 1 && f.t == 10500 && f.seq == 2);
    CHECK(r.n_skipped == 1);
    CHECK(tr_gpx_replay_next(&r, 99999, &f) == -1);
    CHECK(tr_gpx_replay_due_ms(&r) == INT64_MAX);

    /* looping: the next loop starts 1 s (0.5 s at 2x) after the last point */
    o.loop = true;
    CHECK(tr_gpx_replay_init(&r, g, 0, &o) == TR_GPX_OK);
    int n = 0;
    int64_t last_t = -1;
    for (int64_t now = 0; now <= 30000; now += 100) {
        while (tr_gpx_replay_next(&r, now, &f) == 1) {
            CHECK(f.t > last_t && f.seq == n);
            last_t = f.t;
            n++;
        }
    }
    CHECK(n == 3 * 5 + 1); /* loops of 5.5 s (0, 0.5, 5.5, then +0.5 s) in 30 s */
    o.speedup = -1;
    CHECK(tr_gpx_replay_init(&r, g, 0, &o) == TR_GPX_ERR_INVALID);
    CHECK(tr_gpx_replay_init(NULL, g, 0, NULL) == TR_GPX_ERR_INVALID);
    tr_gpx_free(g);
}

/* Points without a fix are not handed out (as gpsd's mode 1 are not); a
 * very fast looping replay still hands out increasing fix times. */
static void test_replay_nofix_and_fast(void)
{
    const char *doc =
        HEAD "<trk><trkseg>\n"
             "<trkpt lat=\"52.0\" lon=\"4.0\"><time>2020-01-01T00:00:00Z</time>"
             "<fix>none</fix></trkpt>\n" PT(
                 "2020-01-01T00:00:01Z") "<trkpt lat=\"52.1\" "
                                         "lon=\"4.1\"><time>2020-01-01T00:00:02Z</time>"
                                         "<fix>none</fix></trkpt>\n" PT(
                                             "2020-01-01T00:00:03Z") "</trkseg></trk></gpx>";
    struct tr_gpx *g = NULL;
    struct tr_gpx_error err;
    CHECK(parse_str(doc, &g, &err) == TR_GPX_OK && g && g->n_points == 4);
    if (!g)
        return;
    struct tr_gpx_replay r;
    struct tr_fix f;
    struct tr_gpx_replay_opts o = { 1.0, 10000, false };
    int n = 0;
    CHECK(tr_gpx_replay_init(&r, g, 0, &o) == TR_GPX_OK);
    while (tr_gpx_replay_next(&r, 100000, &f) == 1) {
        CHECK(f.mode >= 2 && f.lat == 52.0);
        n++;
    }
    CHECK(n == 2 && r.n_skipped == 2);

    /* a million times faster, looping: the whole track is due at once, yet
     * each fix comes at least 1 ms after the one before */
    o.speedup = 1e6;
    o.loop = true;
    CHECK(tr_gpx_replay_init(&r, g, 0, &o) == TR_GPX_OK);
    int64_t last = -1;
    n = 0;
    for (int64_t now = 0; now < 50; now++) {
        while (tr_gpx_replay_next(&r, now, &f) == 1) {
            CHECK(f.t > last && f.t <= now);
            CHECK(f.mode >= 2); /* the leading no-fix point is skipped on every loop */
            last = f.t;
            n++;
        }
    }
    CHECK_MSG(n >= 20 && n <= 50, "%d fixes in 50 ms", n);
    tr_gpx_free(g);

    /* a track without one fix, looping: it ends, nothing handed out */
    const char *none = HEAD "<trk><trkseg>\n"
                            "<trkpt lat=\"52.0\" lon=\"4.0\"><time>2020-01-01T00:00:00Z</time>"
                            "<fix>none</fix></trkpt>\n</trkseg></trk></gpx>";
    CHECK(parse_str(none, &g, &err) == TR_GPX_OK && g && g->n_points == 1);
    if (!g)
        return;
    o.speedup = 1.0;
    CHECK(tr_gpx_replay_init(&r, g, 0, &o) == TR_GPX_OK);
    int rc = 0;
    for (int64_t now = 0; now < 10000 && rc == 0; now += 100)
        rc = tr_gpx_replay_next(&r, now, &f);
    CHECK_MSG(rc == -1, "a looping track without fixes: %d, not the end", rc);
    tr_gpx_free(g);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_gpx TRACKS_DIR\n");
        return 2;
    }
    tracks_dir = argv[1];
    test_real_tracks();
    test_time();
    test_good_documents();
    test_bad_documents();
    test_replay();
    test_replay_nofix_and_fast();
    return check_report("test_gpx");
}
