/*
 * common/csv.h: an RFC 4180 CSV reader over a buffer in memory, shared by
 * `truckroll contractor import` (dispatcher/cli) and the fleet simulator's
 * fleet file (fieldagent/sim), which must also build without the
 * dispatcher (the agent-only cross builds).
 *
 * It does: records separated by LF or CRLF; fields separated by ','; fields
 * in double quotes may hold ',', '"' (written "") and line breaks; a UTF-8
 * byte order mark at the start is skipped; blank lines are skipped; the last
 * record needs no line break. Fields are unquoted in place (the buffer is
 * modified), so the returned pointers stay valid as long as the buffer. A
 * malformed record (a stray or unterminated quote, text after a closing
 * quote, a NUL byte, too many fields, a record over the length limit) is an
 * error with its line; reading may go on with the next line.
 *
 * It does not: guess separators, take a lone CR as a line break, trim
 * unquoted fields (the caller does), allocate (except tr_csv_read_file), or
 * know what the columns mean.
 */
#ifndef TR_CSV_H
#define TR_CSV_H

#include <stddef.h>

enum tr_csv_err {
    TR_CSV_OK = 0,                  /* a record */
    TR_CSV_END = 1,                 /* no more records */
    TR_CSV_ERR_INVALID = 2,         /* NULL argument */
    TR_CSV_ERR_UNTERMINATED = 3,    /* a quoted field runs to the end of the input */
    TR_CSV_ERR_AFTER_QUOTE = 4,     /* text after a closing quote */
    TR_CSV_ERR_STRAY_QUOTE = 5,     /* a quote inside an unquoted field */
    TR_CSV_ERR_NUL = 6,             /* a NUL byte in a field */
    TR_CSV_ERR_TOO_MANY_FIELDS = 7, /* more fields than the caller has room for */
    TR_CSV_ERR_TOO_LONG = 8,        /* a record longer than max_record bytes */
    TR_CSV_ERR_IO = 9,              /* tr_csv_read_file: open or read failed (errno) */
    TR_CSV_ERR_TOO_LARGE = 10,      /* tr_csv_read_file: the file is over the limit */
    TR_CSV_ERR_NOMEM = 11,
};

/* The default record length limit (tr_csv_init sets it). */
#define TR_CSV_MAX_RECORD (64u << 10)

struct tr_csv {
    char *buf; /* the caller's, modified in place; not freed here */
    size_t len, pos;
    long line;         /* physical lines consumed so far */
    size_t max_record; /* bytes one record may span; the caller may change it */
};

/* Start reading buf: len bytes of text, writable, with room for one more
 * byte at buf[len] (a NUL terminator there is fine). */
void tr_csv_init(struct tr_csv *r, char *buf, size_t len);

/*
 * The next record. TR_CSV_OK: its fields in fields[0..*n) (at most cap) and
 * *line the line it starts on (1-based). TR_CSV_END at the end of the
 * input. Any other value: the record is malformed (tr_csv_strerror says
 * how, *line where); the next call goes on after the line where the error
 * was found.
 */
int tr_csv_next(struct tr_csv *r, char **fields, size_t cap, size_t *n, long *line);

/*
 * Read the whole of the file at path ("-" = stdin), at most max bytes, into
 * a new buffer (*buf, the caller free()s it) with a NUL after the last byte,
 * as tr_csv_init wants. On TR_CSV_ERR_IO errno says why; on any error *buf
 * is NULL.
 */
int tr_csv_read_file(const char *path, size_t max, char **buf, size_t *len);

const char *tr_csv_strerror(int err);

#endif
