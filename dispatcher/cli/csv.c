/*
 * dispatcher/cli/csv.c: RFC 4180 records from a buffer (csv.h). Pure: no
 * I/O, no allocation, no globals.
 */
#include "dispatcher/cli/csv.h"

#include <string.h>

void tr_cli_csv_init(struct tr_cli_csv *r, char *buf, size_t len)
{
    r->buf = buf;
    r->len = len;
    r->pos = 0;
    r->line = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        r->pos = 3;
}

/* Skip to just after the next line break (error recovery). */
static void skip_line(struct tr_cli_csv *r)
{
    while (r->pos < r->len && r->buf[r->pos] != '\n')
        r->pos++;
    if (r->pos < r->len) {
        r->pos++;
        r->line++;
    }
}

static int bad(struct tr_cli_csv *r, const char *reason, const char **why)
{
    if (why)
        *why = reason;
    skip_line(r);
    return -1;
}

int tr_cli_csv_next(struct tr_cli_csv *r, char **fields, size_t cap, size_t *n, long *line,
                    const char **why)
{
    char *b = r->buf;
    size_t nf = 0;
    /* skip blank lines */
    for (;;) {
        size_t p = r->pos;
        if (p < r->len && b[p] == '\r' && p + 1 < r->len && b[p + 1] == '\n')
            p++;
        if (p < r->len && b[p] == '\n') {
            r->pos = p + 1;
            r->line++;
            continue;
        }
        break;
    }
    if (r->pos >= r->len)
        return 0;
    *line = r->line + 1;
    for (;;) { /* one field per iteration */
        size_t out = r->pos;
        char *start = b + out;
        if (nf >= cap)
            return bad(r, "too many fields", why);
        if (b[r->pos] == '"') {
            r->pos++;
            for (;;) {
                if (r->pos >= r->len)
                    return bad(r, "unterminated quoted field", why);
                char c = b[r->pos++];
                if (c == '"') {
                    if (r->pos < r->len && b[r->pos] == '"') {
                        r->pos++;
                        b[out++] = '"';
                        continue;
                    }
                    break;
                }
                if (c == '\n')
                    r->line++;
                if (c == '\0')
                    return bad(r, "NUL byte in field", why);
                b[out++] = c;
            }
            /* after the closing quote: a separator or the end of the record */
            if (r->pos < r->len && b[r->pos] == '\r' && r->pos + 1 < r->len &&
                b[r->pos + 1] == '\n')
                r->pos++;
            if (r->pos < r->len && b[r->pos] != ',' && b[r->pos] != '\n')
                return bad(r, "text after a closing quote", why);
        } else {
            while (r->pos < r->len && b[r->pos] != ',' && b[r->pos] != '\n') {
                if (b[r->pos] == '"')
                    return bad(r, "quote inside an unquoted field", why);
                if (b[r->pos] == '\0')
                    return bad(r, "NUL byte in field", why);
                b[out++] = b[r->pos++];
            }
            if (out > (size_t)(start - b) && b[out - 1] == '\r' &&
                (r->pos >= r->len || b[r->pos] == '\n'))
                out--;
        }
        fields[nf++] = start;
        if (r->pos >= r->len) {
            /* buf[len] is the caller's spare byte (csv.h) */
            b[out] = '\0';
            break;
        }
        char sep = b[r->pos++];
        b[out] = '\0';
        if (sep == '\n') {
            r->line++;
            break;
        }
    }
    *n = nf;
    return 1;
}
