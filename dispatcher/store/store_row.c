/*
 * dispatcher/store/store_row.c: reading columns with type and range checks,
 * binding optional values, small text checks, and the two loops every
 * multi-row read shares (rows into an array; rows to a callback), which skip
 * and count the rows their decoder finds damaged.
 *
 * The database is an input like any other: a column of the wrong type, a
 * string too long for its buffer, an embedded NUL or a non-finite number
 * makes the reader return false, and the caller reports the row as corrupt.
 * Does not: know any table.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dispatcher/store/store_int.h"

bool tr_store_col_i64(sqlite3_stmt *st, int i, int64_t *out)
{
    if (sqlite3_column_type(st, i) != SQLITE_INTEGER)
        return false;
    *out = sqlite3_column_int64(st, i);
    return true;
}

bool tr_store_col_i64_opt(sqlite3_stmt *st, int i, bool *has, int64_t *out)
{
    *has = sqlite3_column_type(st, i) != SQLITE_NULL;
    if (!*has) {
        *out = 0;
        return true;
    }
    return tr_store_col_i64(st, i, out);
}

bool tr_store_col_int(sqlite3_stmt *st, int i, int lo, int hi, int *out)
{
    int64_t v;
    if (!tr_store_col_i64(st, i, &v) || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

bool tr_store_col_int_opt(sqlite3_stmt *st, int i, bool *has, int lo, int hi, int *out)
{
    *has = sqlite3_column_type(st, i) != SQLITE_NULL;
    if (!*has)
        return true;
    return tr_store_col_int(st, i, lo, hi, out);
}

bool tr_store_col_dbl(sqlite3_stmt *st, int i, double *out)
{
    int t = sqlite3_column_type(st, i);
    if (t != SQLITE_FLOAT && t != SQLITE_INTEGER)
        return false;
    double v = sqlite3_column_double(st, i);
    if (!isfinite(v))
        return false;
    *out = v;
    return true;
}

bool tr_store_col_dbl_opt(sqlite3_stmt *st, int i, bool *has, double *out)
{
    *has = sqlite3_column_type(st, i) != SQLITE_NULL;
    if (!*has)
        return true;
    return tr_store_col_dbl(st, i, out);
}

bool tr_store_col_text(sqlite3_stmt *st, int i, char *buf, size_t size)
{
    if (sqlite3_column_type(st, i) != SQLITE_TEXT)
        return false;
    const unsigned char *p = sqlite3_column_text(st, i);
    int n = sqlite3_column_bytes(st, i);
    if (!p || n < 0 || (size_t)n >= size || memchr(p, 0, (size_t)n))
        return false;
    memcpy(buf, p, (size_t)n);
    buf[n] = 0;
    return true;
}

bool tr_store_col_text_opt(sqlite3_stmt *st, int i, bool *has, char *buf, size_t size)
{
    *has = sqlite3_column_type(st, i) != SQLITE_NULL;
    if (!*has) {
        buf[0] = 0;
        return true;
    }
    return tr_store_col_text(st, i, buf, size);
}

int tr_store_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

int tr_store_bind_text_opt(sqlite3_stmt *st, int i, bool has, const char *s)
{
    return has ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

int tr_store_bind_i64_opt(sqlite3_stmt *st, int i, bool has, int64_t v)
{
    return has ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i);
}

int tr_store_bind_dbl_opt(sqlite3_stmt *st, int i, bool has, double v)
{
    return has ? sqlite3_bind_double(st, i, v) : sqlite3_bind_null(st, i);
}

int tr_store_rows_array(struct tr_store *s, sqlite3_stmt *st, size_t item_size, size_t cap,
                        tr_store_row_decode decode, const char *what, void **out, size_t *n,
                        size_t *n_corrupt)
{
    unsigned char *arr = calloc(cap ? cap : 1, item_size);
    if (!arr) {
        tr_store_done(st);
        return tr_store_fail(s, false, TR_STORE_ERR_NOMEM, "out of memory");
    }
    size_t k = 0, bad = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW && k < cap) {
        if (decode(s, st, arr + k * item_size) == TR_STORE_OK)
            k++;
        else
            bad++;
    }
    tr_store_done(st);
    if (n_corrupt)
        *n_corrupt = bad;
    if (r != SQLITE_DONE && r != SQLITE_ROW) {
        free(arr);
        return tr_store_sqlite_fail(s, false, r, what);
    }
    *out = arr;
    *n = k;
    return TR_STORE_OK;
}

int tr_store_rows_each(struct tr_store *s, sqlite3_stmt *st, size_t item_size,
                       tr_store_row_decode decode, int (*cb)(void *ctx, const void *item),
                       void *ctx, const char *what, size_t *n_corrupt)
{
    void *item = malloc(item_size);
    if (!item) {
        tr_store_done(st);
        return tr_store_fail(s, false, TR_STORE_ERR_NOMEM, "out of memory");
    }
    size_t bad = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (decode(s, st, item) != TR_STORE_OK) {
            bad++;
            continue;
        }
        if (cb(ctx, item) != 0) {
            r = SQLITE_DONE;
            break;
        }
    }
    tr_store_done(st);
    free(item);
    if (n_corrupt)
        *n_corrupt = bad;
    return r == SQLITE_DONE ? TR_STORE_OK : tr_store_sqlite_fail(s, false, r, what);
}

bool tr_store_valid_time(int64_t t)
{
    return t >= TR_STORE_TIME_MIN && t <= TR_STORE_TIME_MAX;
}

/* Length of the UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    unsigned v = c & (0x7fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3fu);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    return len;
}

bool tr_store_valid_text(const char *s, size_t max)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    if (n > max)
        return false;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n')
            return false;
        size_t l = utf8_len(p + i, n - i);
        if (!l)
            return false;
        i += l;
    }
    return true;
}

void tr_store_copy(char *dst, size_t size, const char *src)
{
    if (!size)
        return;
    size_t n = src ? strlen(src) : 0;
    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = 0;
}
