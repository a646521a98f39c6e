/*
 * dispatcher/store/store_row.c: reading columns with type and range checks,
 * binding optional values, and small text checks.
 *
 * The database is an input like any other: a column of the wrong type, a
 * string too long for its buffer, an embedded NUL or a non-finite number
 * makes the reader return false, and the caller reports the row as corrupt.
 * Does not: know any table.
 */
#include <math.h>
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
