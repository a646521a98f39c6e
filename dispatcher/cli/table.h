/*
 * dispatcher/cli/table.h: plain text tables and the small formatters the
 * console prints with (ages, local times).
 *
 * A table collects rows of strings (copied), then prints them with every
 * column as wide as its widest cell (counted in UTF-8 characters), two
 * spaces apart, a header row, and cells over a column's maximum width cut
 * with "...". Empty cells print as "-". No colours, no terminal queries.
 *
 * It does not wrap text or know what the columns mean.
 */
#ifndef TR_CLI_TABLE_H
#define TR_CLI_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct tr_cli_table;

/* ncols headers (copied). NULL on out of memory. */
struct tr_cli_table *tr_cli_table_new(size_t ncols, const char *const *headers);
void tr_cli_table_free(struct tr_cli_table *t);
/* Cut cells of column col to at most max characters (0: no limit). */
void tr_cli_table_set_max(struct tr_cli_table *t, size_t col, size_t max);
/* Right-align column col (numbers). */
void tr_cli_table_align_right(struct tr_cli_table *t, size_t col);
/* Append a row of ncols cells (copied; NULL or "" prints "-"). 0 or -1 (no memory). */
int tr_cli_table_add(struct tr_cli_table *t, const char *const *cells);
size_t tr_cli_table_rows(const struct tr_cli_table *t);
void tr_cli_table_print(const struct tr_cli_table *t, FILE *out);

/* Characters (UTF-8 code points) in s. */
size_t tr_cli_utf8_len(const char *s);

/* A duration in ms as "45s", "12m", "3h05m", "2d04h" ("-" when negative). */
char *tr_cli_fmt_age(int64_t ms, char *buf, size_t cap);
/* ms since the epoch as local "YYYY-MM-DD HH:MM:SS". */
char *tr_cli_fmt_time(int64_t ms, char *buf, size_t cap);
/* Milliseconds since the epoch, now (CLOCK_REALTIME). */
int64_t tr_cli_now_ms(void);

#endif
