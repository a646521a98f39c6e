/*
 * common/csv.c: RFC 4180 records from a buffer (csv.h), and reading a whole
 * CSV file into one. The reader is pure: no I/O, no allocation, no globals.
 */
#include "common/csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tr_csv_init(struct tr_csv *r, char *buf, size_t len)
{
    r->buf = buf;
    r->len = buf ? len : 0;
    r->pos = 0;
    r->line = 0;
    r->max_record = TR_CSV_MAX_RECORD;
    if (r->len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        r->pos = 3;
}

/* Skip to just after the next line break (error recovery). */
static void skip_line(struct tr_csv *r)
{
    while (r->pos < r->len && r->buf[r->pos] != '\n')
        r->pos++;
    if (r->pos < r->len) {
        r->pos++;
        r->line++;
    }
}

static int bad(struct tr_csv *r, int err)
{
    skip_line(r);
    return err;
}

/* Skip blank lines (LF or CRLF alone). */
static void skip_blank(struct tr_csv *r)
{
    for (;;) {
        size_t p = r->pos;
        if (p + 1 < r->len && r->buf[p] == '\r' && r->buf[p + 1] == '\n')
            p++;
        if (p >= r->len || r->buf[p] != '\n')
            return;
        r->pos = p + 1;
        r->line++;
    }
}

/* A quoted field from just after its opening quote: unquoted into b[*out..],
 * r->pos left on the separator (or the end). */
static int quoted(struct tr_csv *r, size_t *out)
{
    char *b = r->buf;
    for (;;) {
        if (r->pos >= r->len)
            return TR_CSV_ERR_UNTERMINATED;
        char c = b[r->pos++];
        if (c == '"') {
            if (r->pos < r->len && b[r->pos] == '"') {
                r->pos++;
                b[(*out)++] = '"';
                continue;
            }
            break;
        }
        if (c == '\n')
            r->line++;
        if (c == '\0')
            return TR_CSV_ERR_NUL;
        b[(*out)++] = c;
    }
    /* after the closing quote: a separator or the end of the record (a CR
     * before the line break, or last in the input, is dropped) */
    if (r->pos < r->len && b[r->pos] == '\r' && (r->pos + 1 == r->len || b[r->pos + 1] == '\n'))
        r->pos++;
    if (r->pos < r->len && b[r->pos] != ',' && b[r->pos] != '\n')
        return TR_CSV_ERR_AFTER_QUOTE;
    return TR_CSV_OK;
}

/* An unquoted field: copied down to b[*out..] (a CR before the line break
 * dropped), r->pos left on the separator (or the end). */
static int unquoted(struct tr_csv *r, size_t *out)
{
    char *b = r->buf;
    size_t first = *out;
    while (r->pos < r->len && b[r->pos] != ',' && b[r->pos] != '\n') {
        if (b[r->pos] == '"')
            return TR_CSV_ERR_STRAY_QUOTE;
        if (b[r->pos] == '\0')
            return TR_CSV_ERR_NUL;
        b[(*out)++] = b[r->pos++];
    }
    if (*out > first && b[*out - 1] == '\r' && (r->pos >= r->len || b[r->pos] == '\n'))
        (*out)--;
    return TR_CSV_OK;
}

int tr_csv_next(struct tr_csv *r, char **fields, size_t cap, size_t *n, long *line)
{
    size_t nf = 0, begin;
    int rc;
    if (!r || !fields || !n || !line)
        return TR_CSV_ERR_INVALID;
    *n = 0;
    skip_blank(r);
    if (r->pos >= r->len)
        return TR_CSV_END;
    *line = r->line + 1;
    begin = r->pos;
    for (;;) { /* one field per iteration */
        size_t out = r->pos;
        char *start = r->buf + out;
        if (nf >= cap)
            return bad(r, TR_CSV_ERR_TOO_MANY_FIELDS);
        if (r->pos < r->len && r->buf[r->pos] == '"') {
            r->pos++;
            rc = quoted(r, &out);
        } else {
            rc = unquoted(r, &out);
        }
        if (rc != TR_CSV_OK)
            return bad(r, rc);
        if (r->max_record && r->pos - begin > r->max_record)
            return bad(r, TR_CSV_ERR_TOO_LONG);
        fields[nf++] = start;
        if (r->pos >= r->len) {
            r->buf[out] = '\0'; /* buf[len] is the caller's spare byte (csv.h) */
            break;
        }
        char sep = r->buf[r->pos++];
        r->buf[out] = '\0'; /* out <= the separator's position: in place */
        if (sep == '\n') {
            r->line++;
            break;
        }
    }
    *n = nf;
    return TR_CSV_OK;
}

int tr_csv_read_file(const char *path, size_t max, char **buf, size_t *len)
{
    FILE *f = NULL;
    char *b = NULL;
    size_t cap = 1u << 16, n = 0;
    int rc = TR_CSV_OK, saved = 0;
    if (!buf || !len || !path)
        return TR_CSV_ERR_INVALID;
    *buf = NULL;
    *len = 0;
    if (!(f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb"))) {
        saved = errno;
        rc = TR_CSV_ERR_IO;
        goto done;
    }
    for (;;) {
        if (cap > max)
            cap = max;
        char *nb = realloc(b, cap + 1);
        if (!nb) {
            rc = TR_CSV_ERR_NOMEM;
            goto done;
        }
        b = nb;
        n += fread(b + n, 1, cap - n, f);
        if (n < cap)
            break;
        if (cap >= max) { /* full at the limit: one byte more is too much */
            if (fgetc(f) != EOF) {
                rc = TR_CSV_ERR_TOO_LARGE;
                goto done;
            }
            break;
        }
        cap = cap > max / 2 ? max : cap * 2;
    }
    if (ferror(f)) {
        saved = errno ? errno : EIO;
        rc = TR_CSV_ERR_IO;
        goto done;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    b = NULL;
done:
    if (f && f != stdin)
        fclose(f);
    free(b);
    if (rc == TR_CSV_ERR_IO)
        errno = saved;
    return rc;
}

const char *tr_csv_strerror(int err)
{
    switch (err) {
    case TR_CSV_OK:
        return "ok";
    case TR_CSV_END:
        return "end of input";
    case TR_CSV_ERR_INVALID:
        return "invalid argument";
    case TR_CSV_ERR_UNTERMINATED:
        return "unterminated quoted field";
    case TR_CSV_ERR_AFTER_QUOTE:
        return "text after a closing quote";
    case TR_CSV_ERR_STRAY_QUOTE:
        return "quote inside an unquoted field";
    case TR_CSV_ERR_NUL:
        return "NUL byte in field";
    case TR_CSV_ERR_TOO_MANY_FIELDS:
        return "too many fields";
    case TR_CSV_ERR_TOO_LONG:
        return "record too long";
    case TR_CSV_ERR_IO:
        return "cannot read the file";
    case TR_CSV_ERR_TOO_LARGE:
        return "file too large";
    case TR_CSV_ERR_NOMEM:
        return "out of memory";
    default:
        return "unknown CSV error";
    }
}
