/*
 * dispatcher/cli/csv.h: an RFC 4180 CSV reader over a buffer in memory, for
 * `truckroll contractor import`.
 *
 * It does: records separated by LF or CRLF; fields separated by ','; fields
 * in double quotes may hold ',', '"' (written "") and line breaks; a UTF-8
 * byte order mark at the start is skipped; blank lines are skipped. Fields
 * are unquoted in place (the buffer is modified), so the returned pointers
 * stay valid as long as the buffer.
 *
 * It does not: guess separators, trim unquoted fields (the caller does),
 * read files, or know what the columns mean.
 */
#ifndef TR_CLI_CSV_H
#define TR_CLI_CSV_H

#include <stddef.h>

struct tr_cli_csv {
    char *buf; /* the caller's, modified in place; not freed here */
    size_t len, pos;
    long line; /* physical lines consumed so far */
};

/* Start reading buf: len bytes of text, writable, with room for one more
 * byte at buf[len] (a NUL terminator there is fine). */
void tr_cli_csv_init(struct tr_cli_csv *r, char *buf, size_t len);

/*
 * The next record: 1 with its fields in fields[0..*n) and *line the line it
 * starts on; 0 at the end; -1 on a malformed record (*why says what, *line
 * where), after which reading goes on with the next line. At most cap
 * fields ("too many fields" otherwise).
 */
int tr_cli_csv_next(struct tr_cli_csv *r, char **fields, size_t cap, size_t *n, long *line,
                    const char **why);

#endif
