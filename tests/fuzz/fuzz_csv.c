/*
 * tests/fuzz/fuzz_csv.c: feeds the input to the CSV reader (common/csv.h),
 * twice: with room for 32 fields and the default record limit, and with
 * room for 3 fields and a 24-byte limit. Besides "never crash", checks that
 * every call either ends or moves on (no endless loop); that every field is
 * a NUL-terminated string inside the buffer, after the previous one; that
 * lines never go backwards and stay within the
 * input's lines; that an error has its own text; and that the good records,
 * written back out with every field quoted and CRLF line ends, read back as
 * the same fields. Built as a libFuzzer target with TR_FUZZ, otherwise
 * linked with replay_main.c to replay the corpus.
 */
#include "common/csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FIELDS 32

struct out {
    char *buf;
    size_t len, cap;
    size_t records, fields;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        size_t nc = (o->len + n + 1) * 2;
        char *nb = realloc(o->buf, nc);
        if (!nb)
            abort();
        o->buf = nb;
        o->cap = nc;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

/* One record written back: every field quoted, "" for ", CRLF at the end. */
static void write_record(struct out *o, char **f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        put(o, i ? ",\"" : "\"", i ? 2 : 1);
        for (const char *p = f[i]; *p; p++)
            put(o, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
        put(o, "\"", 1);
        o->fields++;
    }
    put(o, "\r\n", 2);
    o->records++;
}

/* Read everything; the good records into *o (NULL: only the checks). */
static void read_all(char *buf, size_t len, size_t cap, size_t max_record, struct out *o)
{
    struct tr_csv r;
    char *f[MAX_FIELDS];
    size_t n, lines = 1;
    long line, last = 0;
    int rc;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    tr_csv_init(&r, buf, len);
    r.max_record = max_record;
    for (;;) {
        size_t before = r.pos;
        rc = tr_csv_next(&r, f, cap, &n, &line);
        if (rc == TR_CSV_END)
            break;
        if (r.pos <= before || r.pos > len)
            abort(); /* no progress: an endless loop */
        if (line < 1 || line < last || (size_t)line > lines)
            abort();
        last = line;
        if (rc != TR_CSV_OK) {
            if (rc < TR_CSV_ERR_UNTERMINATED || rc > TR_CSV_ERR_TOO_LONG ||
                strcmp(tr_csv_strerror(rc), "unknown CSV error") == 0)
                abort();
            continue;
        }
        if (n < 1 || n > cap)
            abort();
        const char *prev_end = buf;
        for (size_t i = 0; i < n; i++) {
            if (f[i] < prev_end || f[i] > buf + len)
                abort();
            size_t fl = strnlen(f[i], (size_t)(buf + len - f[i]) + 1);
            if (f[i] + fl > buf + len)
                abort(); /* not terminated inside the buffer */
            prev_end = f[i] + fl + 1;
        }
        if (o)
            write_record(o, f, n);
    }
    if (r.pos < len)
        abort(); /* ended before the end of the input */
}

/* Read o's text again: the same fields, in order, all good. */
static void check_round_trip(const struct out *o, const struct out *again)
{
    if (again->records != o->records || again->fields != o->fields || again->len != o->len ||
        (o->len && memcmp(again->buf, o->buf, o->len) != 0))
        abort();
}

static void run(const uint8_t *data, size_t size, size_t cap, size_t max_record)
{
    struct out o = { 0 }, again = { 0 };
    char *buf = malloc(size + 1), *copy;
    if (!buf)
        abort();
    memcpy(buf, data, size);
    buf[size] = '\0';
    read_all(buf, size, cap, max_record, &o);
    /* written back: reads as the same records (no limit: quoting grows them) */
    if (!(copy = malloc(o.len + 1)))
        abort();
    if (o.len)
        memcpy(copy, o.buf, o.len);
    copy[o.len] = '\0';
    read_all(copy, o.len, MAX_FIELDS, 0, &again);
    check_round_trip(&o, &again);
    free(copy);
    free(o.buf);
    free(again.buf);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(data, size, MAX_FIELDS, TR_CSV_MAX_RECORD);
    run(data, size, 3, 24);
    return 0;
}
