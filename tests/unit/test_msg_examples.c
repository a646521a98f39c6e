/*
 * tests/unit/test_msg_examples.c: run the contract's examples through the C
 * codec.
 *
 * Usage: test_msg_examples EXAMPLES_DIR OUT_DIR
 * Every EXAMPLES_DIR/valid/NAME.json decodes as the type its file name names
 * (the prefix up to the first '-'), re-encodes, and the re-encoded JSON
 * decodes to an equal message; the re-encoded JSON is written to
 * OUT_DIR/<same name> (a second test validates it with the JSON Schemas).
 * Every EXAMPLES_DIR/invalid/NAME.json is rejected; the error's field and
 * reason are printed so a person can see they name the right thing.
 */
/* 32-bit readdir fails with EOVERFLOW on 64-bit directory offsets (qemu-arm) */
#define _FILE_OFFSET_BITS 64

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/msg.h"
#include "tests/support/check.h"

struct names {
    char **v;
    size_t n;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json files of dir, sorted. */
static struct names list_json(const char *dir)
{
    struct names l = { 0 };
    DIR *d = opendir(dir);
    if (!d)
        return l;
    struct dirent *e;
    for (;;) {
        errno = 0;
        if (!(e = readdir(d))) {
            if (errno)
                perror(dir);
            break;
        }
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        l.v = realloc(l.v, (l.n + 1) * sizeof *l.v);
        l.v[l.n++] = strdup(e->d_name);
    }
    closedir(d);
    if (l.n)
        qsort(l.v, l.n, sizeof *l.v, cmp_str);
    return l;
}

static void free_names(struct names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

/* Read a whole file into an exactly-sized buffer (no NUL added). */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    char *exact = malloc(n ? n : 1);
    memcpy(exact, buf, n);
    free(buf);
    *len = n;
    return exact;
}

/* dir + "/" + file into path[4096]; false when it does not fit */
static bool join(char *path, const char *dir, const char *file)
{
    int n = snprintf(path, 4096, "%s/%s", dir, file);
    return n >= 0 && n < 4096;
}

static enum tr_msg_type type_of_name(const char *file)
{
    char prefix[64];
    size_t n = strcspn(file, "-");
    if (n >= sizeof prefix)
        return TR_MSG_NONE;
    memcpy(prefix, file, n);
    prefix[n] = 0;
    char *dot = strstr(prefix, ".json");
    if (dot)
        *dot = 0;
    return tr_msg_type_from_name(prefix);
}

static void one_valid(const char *dir, const char *out_dir, const char *file)
{
    char path[4096];
    size_t len;
    char *buf = join(path, dir, file) ? slurp(path, &len) : NULL;
    CHECK_MSG(buf != NULL, "cannot read %s", path);
    if (!buf)
        return;
    enum tr_msg_type want = type_of_name(file);
    CHECK_MSG(want != TR_MSG_NONE, "%s: file name names no message type", file);
    struct tr_msg a, b;
    struct tr_msg_error e;
    int rc = tr_msg_decode_as(buf, len, want, &a, &e);
    CHECK_MSG(rc == TR_MSG_OK, "valid/%s rejected: %s at '%s': %s", file, tr_msg_strerror(rc),
              e.field, e.reason);
    free(buf);
    if (rc != TR_MSG_OK)
        return;
    char *out = NULL;
    size_t n = 0;
    rc = tr_msg_encode(&a, &out, &n, &e);
    CHECK_MSG(rc == TR_MSG_OK, "valid/%s does not re-encode: %s at '%s': %s", file,
              tr_msg_strerror(rc), e.field, e.reason);
    if (rc == TR_MSG_OK) {
        rc = tr_msg_decode(out, n, &b, &e);
        CHECK_MSG(rc == TR_MSG_OK, "valid/%s re-encoded is rejected: %s: %s", file, e.field,
                  e.reason);
        CHECK_MSG(rc == TR_MSG_OK && tr_msg_equal(&a, &b), "valid/%s changes in a round trip",
                  file);
        tr_msg_free(&b);
        FILE *f = join(path, out_dir, file) ? fopen(path, "wb") : NULL;
        CHECK_MSG(f && fwrite(out, 1, n, f) == n && fputc('\n', f) != EOF && fclose(f) == 0,
                  "cannot write %s", path);
        printf("ok      valid/%s (%zu bytes re-encoded)\n", file, n);
    }
    free(out);
    tr_msg_free(&a);
}

static void one_invalid(const char *dir, const char *file)
{
    char path[4096];
    size_t len;
    char *buf = join(path, dir, file) ? slurp(path, &len) : NULL;
    CHECK_MSG(buf != NULL, "cannot read %s", path);
    if (!buf)
        return;
    struct tr_msg m;
    struct tr_msg_error e;
    /* per-topic decoding when the name names a type, as the bus would */
    enum tr_msg_type want = type_of_name(file);
    int rc = tr_msg_decode_as(buf, len, want, &m, &e);
    CHECK_MSG(rc != TR_MSG_OK, "invalid/%s was accepted", file);
    if (rc != TR_MSG_OK) {
        CHECK(e.code == rc && e.reason[0]);
        printf("reject  invalid/%s: %s (%s) field '%s': %s\n", file, tr_msg_strerror(rc),
               tr_msg_wire_code_name(tr_msg_err_wire_code(rc)), e.field, e.reason);
    }
    tr_msg_free(&m);
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s EXAMPLES_DIR OUT_DIR\n", argv[0]);
        return 2;
    }
    char valid_dir[4096], invalid_dir[4096];
    if (!join(valid_dir, argv[1], "valid") || !join(invalid_dir, argv[1], "invalid")) {
        fprintf(stderr, "%s: path too long\n", argv[1]);
        return 2;
    }
    if (mkdir(argv[2], 0755) != 0 && errno != EEXIST) {
        perror(argv[2]);
        return 2;
    }
    /* no stale output from examples since removed */
    struct names old = list_json(argv[2]);
    for (size_t i = 0; i < old.n; i++) {
        char p[4096];
        if (join(p, argv[2], old.v[i]))
            remove(p);
    }
    free_names(&old);

    struct names valid = list_json(valid_dir), invalid = list_json(invalid_dir);
    CHECK_MSG(valid.n > 0, "no examples in %s", valid_dir);
    CHECK_MSG(invalid.n > 0, "no examples in %s", invalid_dir);
    for (size_t i = 0; i < valid.n; i++)
        one_valid(valid_dir, argv[2], valid.v[i]);
    for (size_t i = 0; i < invalid.n; i++)
        one_invalid(invalid_dir, invalid.v[i]);
    printf("%zu valid, %zu invalid examples\n", valid.n, invalid.n);
    free_names(&valid);
    free_names(&invalid);
    return check_report("unit.msg.examples");
}
