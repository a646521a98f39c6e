/*
 * tests/unit/test_csv.c: common/csv (the CSV reader the console's importer
 * and the fleet simulator share): quoting with embedded commas, line breaks
 * and quotes; CRLF; a BOM; blank lines; empty fields; no line break at the
 * end; line numbers; each malformed record (unterminated, text after a
 * closing quote, stray quote, NUL, too many fields, too long) is a clear
 * error and reading goes on at the next line; tr_csv_read_file's limits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/csv.h"
#include "tests/support/check.h"

#define MAX_REC 16

/* Read all of len bytes of text with at most cap fields per record: the
 * count of good records; fields joined with '|' and records ended with '\n'
 * into out, each error as "!LINE:reason\n"; lines[] the records' lines. */
static int read_all(const char *text, size_t len, size_t cap, size_t max_record, char *out,
                    size_t outcap, long *lines, int *errors)
{
    char *buf = malloc(len + 1), *f[8];
    struct tr_csv r;
    size_t n, used = 0;
    long line;
    int rc, count = 0;
    out[0] = '\0';
    *errors = 0;
    if (!buf)
        return -1;
    memcpy(buf, text, len);
    buf[len] = 'X'; /* the spare byte need not be a NUL */
    tr_csv_init(&r, buf, len);
    if (max_record)
        r.max_record = max_record;
    while ((rc = tr_csv_next(&r, f, cap, &n, &line)) != TR_CSV_END) {
        if (used >= outcap)
            break;
        if (rc != TR_CSV_OK) {
            (*errors)++;
            used +=
                (size_t)snprintf(out + used, outcap - used, "!%ld:%s\n", line, tr_csv_strerror(rc));
            continue;
        }
        lines[count++] = line;
        for (size_t i = 0; i < n && used < outcap; i++)
            used += (size_t)snprintf(out + used, outcap - used, "%s%s", i ? "|" : "", f[i]);
        if (used < outcap)
            used += (size_t)snprintf(out + used, outcap - used, "\n");
    }
    free(buf);
    return count;
}

static int all(const char *text, char *out, size_t outcap, long *lines, int *errors)
{
    return read_all(text, strlen(text), 8, 0, out, outcap, lines, errors);
}

static void test_good(void)
{
    char out[1024];
    long lines[16];
    int errors;
    int n = all("\xEF\xBB\xBFid,name,skills\r\n"
                "tx-1,\"Ruiz, Ana\",\"network;printer\"\r\n"
                "\n"
                "\r\n"
                "tx-2,\"She said \"\"hi\"\"\",x\n"
                "tx-3,\"two\r\nlines\",\n"
                ",,\n"
                "\"\",\"\"\"\",a b \r\n"
                "last,row,no-newline",
                out, sizeof out, lines, &errors);
    CHECK(n == 7 && errors == 0);
    CHECK_MSG(strcmp(out, "id|name|skills\n"
                          "tx-1|Ruiz, Ana|network;printer\n"
                          "tx-2|She said \"hi\"|x\n"
                          "tx-3|two\r\nlines|\n"
                          "||\n"
                          "|\"|a b \n"
                          "last|row|no-newline\n") == 0,
              "%s", out);
    CHECK_MSG(lines[0] == 1 && lines[1] == 2 && lines[2] == 5 && lines[3] == 6 && lines[4] == 8 &&
                  lines[5] == 9 && lines[6] == 10,
              "%ld %ld %ld %ld %ld %ld %ld", lines[0], lines[1], lines[2], lines[3], lines[4],
              lines[5], lines[6]);

    /* the end of the input ends the record, after a quote or a CR too */
    CHECK(all("\"q\"", out, sizeof out, lines, &errors) == 1 && strcmp(out, "q\n") == 0);
    CHECK(all("\"q\"\r\n", out, sizeof out, lines, &errors) == 1 && strcmp(out, "q\n") == 0);
    CHECK(all("\"q\"\r", out, sizeof out, lines, &errors) == 1 && strcmp(out, "q\n") == 0);
    CHECK(all("a\r", out, sizeof out, lines, &errors) == 1 && strcmp(out, "a\n") == 0);
    CHECK(all("a,", out, sizeof out, lines, &errors) == 1 && strcmp(out, "a|\n") == 0);
    CHECK(all("a,\"\"", out, sizeof out, lines, &errors) == 1 && strcmp(out, "a|\n") == 0);
    /* a lone CR is not a line break */
    CHECK(all("a\rb,c\n", out, sizeof out, lines, &errors) == 1 && strcmp(out, "a\rb|c\n") == 0);
    /* nothing to read */
    CHECK(all("", out, sizeof out, lines, &errors) == 0 && errors == 0);
    CHECK(all("\xEF\xBB\xBF", out, sizeof out, lines, &errors) == 0 && errors == 0);
    CHECK(all("\n\r\n\n", out, sizeof out, lines, &errors) == 0 && errors == 0);
    /* a BOM only counts at the start */
    CHECK(all("a\n\xEF\xBB\xBF"
              "b\n",
              out, sizeof out, lines, &errors) == 2 &&
          strcmp(out, "a\n\xEF\xBB\xBF"
                      "b\n") == 0);
    /* exactly cap fields is fine */
    CHECK(read_all("1,2,3\n", 6, 3, 0, out, sizeof out, lines, &errors) == 1 && errors == 0);
}

static void test_bad(void)
{
    char out[1024];
    long lines[16];
    int errors;
    static const struct {
        const char *text;
        int good;         /* records read */
        long first_good;  /* the line of the first one */
        const char *want; /* in the output: "!LINE:reason" */
    } cases[] = {
        { "a,\"unterminated\nb,c\n", 0, 0, "!1:unterminated quoted field" },
        { "a,\"x\"y,z\nok,1\n", 1, 2, "!1:text after a closing quote" },
        { "h\na,b\"c\nd\n", 2, 1, "!2:quote inside an unquoted field" },
        { "h\n\"two\nlines\"x\nd\n", 2, 1, "!2:text after a closing quote" },
        { "1,2,3,4,5,6,7,8,9\nx\n", 1, 2, "!1:too many fields" },
        { "h\n\"a\",\"b\" ,c\nd\n", 2, 1, "!2:text after a closing quote" },
        { "x\n\"a\rb\"\rc\nd", 2, 1, "!2:text after a closing quote" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = all(cases[i].text, out, sizeof out, lines, &errors);
        CHECK_MSG(n == cases[i].good && errors == 1 && strstr(out, cases[i].want) &&
                      (n == 0 || lines[0] == cases[i].first_good),
                  "case %zu: %d good, %d errors: %s", i, n, errors, out);
    }

    /* a NUL byte, unquoted and quoted */
    static const char nul1[] = "a,b\0c\nok\n", nul2[] = "\"a\0\"\nok\n";
    CHECK(read_all(nul1, sizeof nul1 - 1, 8, 0, out, sizeof out, lines, &errors) == 1 &&
          errors == 1 && strstr(out, "!1:NUL byte in field") && strstr(out, "ok\n"));
    CHECK(read_all(nul2, sizeof nul2 - 1, 8, 0, out, sizeof out, lines, &errors) == 1 &&
          errors == 1 && strstr(out, "!1:NUL byte"));

    /* too long: MAX_REC bytes are fine, one more is not, and the next line
     * still reads */
    const char *lng = "0123456789abcdef\n"
                      "0123456789,abcdef\n"
                      "ok,\"fine\"\n";
    int n = read_all(lng, strlen(lng), 8, MAX_REC, out, sizeof out, lines, &errors);
    CHECK_MSG(n == 2 && errors == 1 && strstr(out, "!2:record too long") && lines[0] == 1 &&
                  lines[1] == 3 && strstr(out, "ok|fine\n"),
              "%s", out);
    const char *lngq = "\"0123456789\nabcdefghij\"\nok\n";
    n = read_all(lngq, strlen(lngq), 8, MAX_REC, out, sizeof out, lines, &errors);
    CHECK_MSG(errors >= 1 && strstr(out, "!1:record too long"), "%s", out);
    /* the default limit */
    size_t big = TR_CSV_MAX_RECORD + 10;
    char *huge = malloc(big + 1);
    CHECK(huge != NULL);
    if (huge) {
        memset(huge, 'x', big);
        huge[big - 4] = '\n';
        memcpy(huge + big - 3, "ok\n", 3);
        n = read_all(huge, big, 8, 0, out, sizeof out, lines, &errors);
        CHECK_MSG(n == 1 && errors == 1 && strstr(out, "record too long") && strstr(out, "ok\n"),
                  "%s", out);
        free(huge);
    }

    /* every error has its own text */
    for (int a = TR_CSV_ERR_INVALID; a <= TR_CSV_ERR_NOMEM; a++) {
        CHECK(strcmp(tr_csv_strerror(a), "unknown CSV error") != 0);
        for (int b = a + 1; b <= TR_CSV_ERR_NOMEM; b++)
            CHECK(strcmp(tr_csv_strerror(a), tr_csv_strerror(b)) != 0);
    }
    CHECK(strcmp(tr_csv_strerror(99), "unknown CSV error") == 0);

    struct tr_csv r;
    char *f[2];
    size_t nf;
    long line;
    tr_csv_init(&r, NULL, 5);
    CHECK(tr_csv_next(&r, f, 2, &nf, &line) == TR_CSV_END);
    CHECK(tr_csv_next(NULL, f, 2, &nf, &line) == TR_CSV_ERR_INVALID);
    CHECK(tr_csv_next(&r, NULL, 2, &nf, &line) == TR_CSV_ERR_INVALID);
}

static int write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(text, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

static void test_read_file(void)
{
    char dir[] = "/tmp/test_csv.XXXXXX", path[64];
    char *buf = (char *)1;
    size_t len = 7;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/a.csv", dir);

    errno = 0;
    CHECK(tr_csv_read_file(path, 1000, &buf, &len) == TR_CSV_ERR_IO && errno == ENOENT && !buf &&
          len == 0);

    CHECK(write_file(path, "a,b\n1,2", 7) == 0);
    CHECK(tr_csv_read_file(path, 7, &buf, &len) == TR_CSV_OK && len == 7 && buf &&
          strcmp(buf, "a,b\n1,2") == 0);
    free(buf);
    CHECK(tr_csv_read_file(path, 6, &buf, &len) == TR_CSV_ERR_TOO_LARGE && !buf);
    CHECK(tr_csv_read_file(path, 0, &buf, &len) == TR_CSV_ERR_TOO_LARGE && !buf);

    /* larger than the first chunk, and through the reader */
    size_t big = 200000;
    char *text = malloc(big);
    CHECK(text != NULL);
    if (text) {
        for (size_t i = 0; i < big; i++)
            text[i] = i % 10 == 9 ? '\n' : (char)('a' + i % 10);
        CHECK(write_file(path, text, big) == 0);
        CHECK(tr_csv_read_file(path, big, &buf, &len) == TR_CSV_OK && len == big &&
              memcmp(buf, text, big) == 0 && buf[big] == '\0');
        if (buf) {
            struct tr_csv r;
            char *f[2];
            size_t nf, rows = 0;
            long line = 0;
            int rc;
            tr_csv_init(&r, buf, len);
            while ((rc = tr_csv_next(&r, f, 2, &nf, &line)) == TR_CSV_OK)
                rows += nf == 1 && strcmp(f[0], "abcdefghi") == 0;
            CHECK(rc == TR_CSV_END && rows == big / 10 && line == (long)(big / 10));
        }
        free(buf);
        CHECK(tr_csv_read_file(path, big - 1, &buf, &len) == TR_CSV_ERR_TOO_LARGE && !buf);
        free(text);
    }

    CHECK(write_file(path, "", 0) == 0);
    CHECK(tr_csv_read_file(path, 10, &buf, &len) == TR_CSV_OK && len == 0 && buf && buf[0] == '\0');
    free(buf);
    CHECK(tr_csv_read_file(NULL, 10, &buf, &len) == TR_CSV_ERR_INVALID);
    CHECK(tr_csv_read_file(dir, 10, &buf, &len) == TR_CSV_ERR_IO && !buf); /* a directory */
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    test_good();
    test_bad();
    test_read_file();
    return check_report("test_csv");
}
