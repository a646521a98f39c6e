/*
 * dispatcher/cli/table.c: column formatting for the console's tables, and
 * age / time formatters (table.h).
 *
 * Only prints to the FILE it is given; no terminal control.
 */
#include "dispatcher/cli/table.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct tr_cli_table {
    size_t ncols, nrows, cap;
    char **cells; /* (nrows + 1) * ncols, row 0 is the header */
    size_t *max;
    unsigned char *right;
};

size_t tr_cli_utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static char *dup_cell(const char *s)
{
    return strdup(s && *s ? s : "-");
}

void tr_cli_table_free(struct tr_cli_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < (t->nrows + 1) * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->max);
    free(t->right);
    free(t);
}

static int grow(struct tr_cli_table *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 16;
    char **c = realloc(t->cells, ncap * t->ncols * sizeof *c);
    if (!c)
        return -1;
    t->cells = c;
    t->cap = ncap;
    return 0;
}

struct tr_cli_table *tr_cli_table_new(size_t ncols, const char *const *headers)
{
    struct tr_cli_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ncols = ncols;
    t->max = calloc(ncols, sizeof *t->max);
    t->right = calloc(ncols, 1);
    if (!t->max || !t->right || grow(t) != 0) {
        tr_cli_table_free(t);
        return NULL;
    }
    for (size_t i = 0; i < ncols; i++)
        t->cells[i] = NULL;
    for (size_t i = 0; i < ncols; i++) {
        if (!(t->cells[i] = dup_cell(headers[i]))) {
            tr_cli_table_free(t);
            return NULL;
        }
    }
    return t;
}

void tr_cli_table_set_max(struct tr_cli_table *t, size_t col, size_t max)
{
    if (t && col < t->ncols)
        t->max[col] = max;
}

void tr_cli_table_align_right(struct tr_cli_table *t, size_t col)
{
    if (t && col < t->ncols)
        t->right[col] = 1;
}

int tr_cli_table_add(struct tr_cli_table *t, const char *const *cells)
{
    char **row;
    if (t->nrows + 2 > t->cap && grow(t) != 0)
        return -1;
    row = t->cells + (t->nrows + 1) * t->ncols;
    for (size_t i = 0; i < t->ncols; i++) {
        if (!(row[i] = dup_cell(cells[i]))) {
            while (i > 0)
                free(row[--i]);
            return -1;
        }
    }
    t->nrows++;
    return 0;
}

size_t tr_cli_table_rows(const struct tr_cli_table *t)
{
    return t ? t->nrows : 0;
}

/* Width of a cell after cutting. */
static size_t cell_width(const struct tr_cli_table *t, size_t col, const char *s)
{
    size_t w = tr_cli_utf8_len(s);
    return t->max[col] && w > t->max[col] ? t->max[col] : w;
}

/* Print s cut to width w (with "..." when cut), padded to pad. */
static void put_cell(FILE *out, const char *s, size_t w, size_t pad, int right, int last)
{
    size_t len = tr_cli_utf8_len(s), shown = 0;
    int cut = len > w;
    size_t keep = cut ? (w > 3 ? w - 3 : w) : len;
    if (right)
        for (size_t i = w; i < pad; i++)
            fputc(' ', out);
    for (const char *p = s; *p; p++) {
        if (((unsigned char)*p & 0xC0) != 0x80 && shown++ == keep)
            break;
        fputc(*p, out);
    }
    if (cut && w > 3)
        fputs("...", out);
    if (!right && !last)
        for (size_t i = w; i < pad; i++)
            fputc(' ', out);
}

void tr_cli_table_print(const struct tr_cli_table *t, FILE *out)
{
    size_t *width = calloc(t->ncols, sizeof *width);
    if (!width)
        return;
    for (size_t r = 0; r <= t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = cell_width(t, c, t->cells[r * t->ncols + c]);
            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r <= t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            if (c)
                fputs("  ", out);
            put_cell(out, s, cell_width(t, c, s), width[c], t->right[c], c + 1 == t->ncols);
        }
        fputc('\n', out);
    }
    free(width);
}

char *tr_cli_fmt_age(int64_t ms, char *buf, size_t cap)
{
    int64_t s = ms / 1000;
    if (ms < 0)
        snprintf(buf, cap, "-");
    else if (s < 60)
        snprintf(buf, cap, "%llds", (long long)s);
    else if (s < 3600)
        snprintf(buf, cap, "%lldm", (long long)(s / 60));
    else if (s < 86400)
        snprintf(buf, cap, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else
        snprintf(buf, cap, "%lldd%02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
    return buf;
}

char *tr_cli_fmt_time(int64_t ms, char *buf, size_t cap)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    if (!localtime_r(&secs, &tm) || strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, cap, "@%lld", (long long)ms);
    return buf;
}

int64_t tr_cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
