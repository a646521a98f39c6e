/*
 * common/tz.c: loading time zones for common/tz.h: zone name validation,
 * reading a zoneinfo file (size-capped), the strict TZif parser (RFC 8536
 * versions 1 to 4: every count, index, offset and order is checked before
 * use), zones from a POSIX TZ string, and the tr_tz_set cache.
 *
 * Does not convert times (tz_rule.c) or evaluate shifts (tz_shift.c).
 */
#include "common/tz_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TRANS  8192 /* real zones have under 2000 */
#define MAX_TYPES  256  /* indexes are one byte */
#define MAX_CHARS  1024
#define MAX_RULE   255
#define HEADER_LEN 44
#define MAX_BAD    1024 /* distinct failed names a tr_tz_set remembers */

_Static_assert(TR_TZ_NAME_SIZE == TR_MSG_TZ_SIZE, "zone names: the contract's size");

/* ---- names ---- */

static bool name_char(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '+' || ch == '-';
}

int tr_tz_name_valid(const char *name)
{
    if (!name || !((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z')))
        return 0;
    size_t part = 0, parts = 1;
    for (const char *p = name; *p; p++) {
        if (*p == '/') {
            if (part == 0 || ++parts > 3)
                return 0;
            part = 0;
        } else if (!name_char(*p) || ++part > 30) {
            return 0;
        }
    }
    return part > 0;
}

/* ---- TZif ---- */

struct reader {
    const uint8_t *p;
    size_t len, pos;
};

static const uint8_t *take(struct reader *r, size_t n)
{
    if (n > r->len - r->pos)
        return NULL;
    const uint8_t *at = r->p + r->pos;
    r->pos += n;
    return at;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct header {
    char version; /* 0, '2', '3' or '4' */
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static int read_header(struct reader *r, struct header *h)
{
    const uint8_t *p = take(r, HEADER_LEN);
    if (!p || memcmp(p, "TZif", 4) != 0)
        return TR_TZ_ERR_CORRUPT;
    h->version = (char)p[4];
    if (h->version != 0 && (h->version < '2' || h->version > '4'))
        return TR_TZ_ERR_CORRUPT;
    h->isutcnt = be32(p + 20);
    h->isstdcnt = be32(p + 24);
    h->leapcnt = be32(p + 28);
    h->timecnt = be32(p + 32);
    h->typecnt = be32(p + 36);
    h->charcnt = be32(p + 40);
    if (h->typecnt == 0 || h->charcnt == 0 || (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
        (h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
        return TR_TZ_ERR_CORRUPT;
    if (h->timecnt > MAX_TRANS || h->typecnt > MAX_TYPES || h->charcnt > MAX_CHARS ||
        h->leapcnt > MAX_TRANS)
        return TR_TZ_ERR_TOO_LARGE;
    return TR_TZ_OK;
}

/* Size of a data block; counts are capped, so nothing overflows. */
static size_t block_len(const struct header *h, size_t time_size)
{
    return h->timecnt * time_size + h->timecnt + h->typecnt * 6 + h->charcnt +
           h->leapcnt * (time_size + 4) + h->isstdcnt + h->isutcnt;
}

/* The data block after header h: times of time_size (4 or 8) bytes. */
static int read_block(struct reader *r, const struct header *h, size_t time_size, struct tr_tz *tz)
{
    const uint8_t *times = take(r, h->timecnt * time_size);
    const uint8_t *idx = take(r, h->timecnt);
    const uint8_t *types = take(r, h->typecnt * 6);
    const uint8_t *chars = take(r, h->charcnt);
    const uint8_t *leaps = take(r, h->leapcnt * (time_size + 4));
    const uint8_t *isstd = take(r, h->isstdcnt);
    const uint8_t *isut = take(r, h->isutcnt);
    if (!times || !idx || !types || !chars || !leaps || !isstd || !isut)
        return TR_TZ_ERR_CORRUPT;
    if (h->leapcnt > 0)
        return TR_TZ_ERR_UNSUPPORTED;
    if (chars[h->charcnt - 1] != 0)
        return TR_TZ_ERR_CORRUPT;
    tz->trans = malloc(h->timecnt ? h->timecnt * sizeof *tz->trans : 1);
    tz->trans_type = malloc(h->timecnt ? h->timecnt : 1);
    tz->types = malloc(h->typecnt * sizeof *tz->types);
    if (!tz->trans || !tz->trans_type || !tz->types)
        return TR_TZ_ERR_NOMEM;
    for (size_t i = 0; i < h->timecnt; i++) {
        const uint8_t *p = times + i * time_size;
        tz->trans[i] = time_size == 8 ? be64(p) : (int64_t)(int32_t)be32(p);
        if ((i > 0 && tz->trans[i] <= tz->trans[i - 1]) || idx[i] >= h->typecnt)
            return TR_TZ_ERR_CORRUPT;
        tz->trans_type[i] = idx[i];
    }
    tz->n_trans = h->timecnt;
    for (size_t i = 0; i < h->typecnt; i++) {
        int32_t utoff = (int32_t)be32(types + i * 6);
        uint8_t dst = types[i * 6 + 4], desig = types[i * 6 + 5];
        /* RFC 8536: -24:59:59 ..= 25:59:59 */
        if (utoff < -89999 || utoff > 93599 || dst > 1 || desig >= h->charcnt)
            return TR_TZ_ERR_CORRUPT;
        if ((h->isstdcnt && isstd[i] > 1) ||
            (h->isutcnt && (isut[i] > 1 || (isut[i] && !isstd[i]))))
            return TR_TZ_ERR_CORRUPT;
        tz->types[i] = (struct tr_tz_ttype){ .utoff = utoff, .isdst = dst != 0 };
    }
    tz->n_types = h->typecnt;
    return TR_TZ_OK;
}

/* Version 2+: "\n" TZ string "\n" and nothing after it. */
static int read_footer(struct reader *r, struct tr_tz *tz)
{
    const uint8_t *nl = take(r, 1);
    if (!nl || *nl != '\n')
        return TR_TZ_ERR_CORRUPT;
    const uint8_t *s = r->p + r->pos;
    const uint8_t *end = memchr(s, '\n', r->len - r->pos);
    if (!end)
        return TR_TZ_ERR_CORRUPT;
    size_t len = (size_t)(end - s);
    if (len > MAX_RULE || (size_t)(end - r->p) + 1 != r->len)
        return TR_TZ_ERR_CORRUPT;
    if (len == 0)
        return TR_TZ_OK; /* no rule: the last transition's type stays */
    if (tr_tz_rule_parse((const char *)s, len, &tz->rule) != TR_TZ_OK)
        return TR_TZ_ERR_CORRUPT;
    tz->has_rule = true;
    return TR_TZ_OK;
}

static int set_name(struct tr_tz *tz, const char *name)
{
    if (!name)
        return TR_TZ_OK;
    if (!tr_tz_name_valid(name))
        return TR_TZ_ERR_BAD_NAME;
    memcpy(tz->name, name, strlen(name) + 1); /* valid names fit */
    return TR_TZ_OK;
}

int tr_tz_load_mem(const void *buf, size_t len, const char *name, struct tr_tz **out)
{
    int rc = TR_TZ_ERR_INVALID;
    struct reader r = { buf, len, 0 };
    struct header h;
    struct tr_tz *tz = NULL;
    if (!out)
        return TR_TZ_ERR_INVALID;
    *out = NULL;
    if (!buf && len > 0)
        goto done;
    if (len > TR_TZ_MAX_FILE) {
        rc = TR_TZ_ERR_TOO_LARGE;
        goto done;
    }
    if (!(tz = calloc(1, sizeof *tz))) {
        rc = TR_TZ_ERR_NOMEM;
        goto done;
    }
    if ((rc = set_name(tz, name)) != TR_TZ_OK || (rc = read_header(&r, &h)) != TR_TZ_OK)
        goto done;
    if (h.version == 0) {
        if ((rc = read_block(&r, &h, 4, tz)) != TR_TZ_OK)
            goto done;
        rc = r.pos == r.len ? TR_TZ_OK : TR_TZ_ERR_CORRUPT;
        goto done;
    }
    if (!take(&r, block_len(&h, 4))) { /* skip the 32-bit data */
        rc = TR_TZ_ERR_CORRUPT;
        goto done;
    }
    if ((rc = read_header(&r, &h)) != TR_TZ_OK)
        goto done;
    if (h.version == 0) {
        rc = TR_TZ_ERR_CORRUPT;
        goto done;
    }
    if ((rc = read_block(&r, &h, 8, tz)) != TR_TZ_OK || (rc = read_footer(&r, tz)) != TR_TZ_OK)
        goto done;
done:
    if (rc == TR_TZ_OK)
        *out = tz;
    else
        tr_tz_free(tz);
    return rc;
}

int tr_tz_from_posix(const char *tzstr, struct tr_tz **out)
{
    if (!out)
        return TR_TZ_ERR_INVALID;
    *out = NULL;
    if (!tzstr)
        return TR_TZ_ERR_INVALID;
    size_t len = strnlen(tzstr, MAX_RULE + 1);
    if (len > MAX_RULE)
        return TR_TZ_ERR_BAD_RULE;
    struct tr_tz *tz = calloc(1, sizeof *tz);
    if (!tz)
        return TR_TZ_ERR_NOMEM;
    int rc = tr_tz_rule_parse(tzstr, len, &tz->rule);
    if (rc != TR_TZ_OK) {
        free(tz);
        return rc;
    }
    tz->has_rule = true;
    *out = tz;
    return TR_TZ_OK;
}

static bool builtin_utc(const char *name)
{
    return strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0 || strcmp(name, "GMT") == 0 ||
           strcmp(name, "Etc/GMT") == 0;
}

/* Reads at most TR_TZ_MAX_FILE bytes of a regular file. */
static int read_file(const char *path, uint8_t **buf, size_t *len)
{
    int rc = TR_TZ_ERR_IO;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    *buf = NULL;
    *len = 0;
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? TR_TZ_ERR_NOT_FOUND : TR_TZ_ERR_IO;
    if (fstat(fd, &st) != 0)
        goto done;
    if (!S_ISREG(st.st_mode)) {
        rc = TR_TZ_ERR_NOT_FOUND; /* a directory such as "America" */
        goto done;
    }
    if (st.st_size > TR_TZ_MAX_FILE) {
        rc = TR_TZ_ERR_TOO_LARGE;
        goto done;
    }
    if (!(*buf = malloc(TR_TZ_MAX_FILE + 1))) {
        rc = TR_TZ_ERR_NOMEM;
        goto done;
    }
    while (*len <= TR_TZ_MAX_FILE) { /* the file may change under us: read to EOF */
        ssize_t n = read(fd, *buf + *len, TR_TZ_MAX_FILE + 1 - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto done;
        if (n == 0)
            break;
        *len += (size_t)n;
    }
    rc = *len > TR_TZ_MAX_FILE ? TR_TZ_ERR_TOO_LARGE : TR_TZ_OK;
done:
    close(fd);
    if (rc != TR_TZ_OK) {
        free(*buf);
        *buf = NULL;
    }
    return rc;
}

static const char *zoneinfo_dir(const char *dir)
{
    if (dir)
        return dir;
    const char *env = getenv("TZDIR");
    return env && *env ? env : TR_TZ_DEFAULT_DIR;
}

int tr_tz_load(const char *name, const char *dir, struct tr_tz **out)
{
    char path[4096];
    uint8_t *buf = NULL;
    size_t len = 0;
    if (!out)
        return TR_TZ_ERR_INVALID;
    *out = NULL;
    if (!tr_tz_name_valid(name))
        return TR_TZ_ERR_BAD_NAME;
    dir = zoneinfo_dir(dir);
    int w = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (w < 0 || (size_t)w >= sizeof path)
        return TR_TZ_ERR_INVALID;
    int rc = read_file(path, &buf, &len);
    if (rc == TR_TZ_ERR_NOT_FOUND && builtin_utc(name)) {
        rc = tr_tz_from_posix("UTC0", out);
        if (rc == TR_TZ_OK)
            (void)set_name(*out, name);
        return rc;
    }
    if (rc == TR_TZ_OK)
        rc = tr_tz_load_mem(buf, len, name, out);
    free(buf);
    return rc;
}

void tr_tz_free(struct tr_tz *tz)
{
    if (!tz)
        return;
    free(tz->trans);
    free(tz->trans_type);
    free(tz->types);
    free(tz);
}

const char *tr_tz_name(const struct tr_tz *tz)
{
    return tz ? tz->name : "";
}

const char *tr_tz_strerror(int err)
{
    switch (err) {
    case TR_TZ_OK:
        return "success";
    case TR_TZ_ERR_INVALID:
        return "invalid argument";
    case TR_TZ_ERR_BAD_NAME:
        return "not a valid IANA time zone name";
    case TR_TZ_ERR_NOT_FOUND:
        return "unknown time zone (no zoneinfo file)";
    case TR_TZ_ERR_IO:
        return "zoneinfo file could not be read";
    case TR_TZ_ERR_TOO_LARGE:
        return "zoneinfo file too large";
    case TR_TZ_ERR_CORRUPT:
        return "zoneinfo file is not valid TZif data";
    case TR_TZ_ERR_BAD_RULE:
        return "invalid POSIX TZ string";
    case TR_TZ_ERR_UNSUPPORTED:
        return "zoneinfo file with leap seconds is not supported";
    case TR_TZ_ERR_NOMEM:
        return "out of memory";
    case TR_TZ_ERR_NO_CHANGE:
        return "shift status never changes";
    default:
        return "unknown time zone error";
    }
}

/* ---- the set: open addressing, linear probing, at most half full ---- */

struct slot {
    char *name; /* NULL: empty */
    struct tr_tz *tz;
    int err;
};

struct tr_tz_set {
    char *dir; /* NULL: the default */
    struct slot *slots;
    size_t cap, count, bad;
};

static size_t hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static struct slot *find_slot(struct slot *slots, size_t cap, const char *name)
{
    size_t i = hash(name) & (cap - 1);
    while (slots[i].name && strcmp(slots[i].name, name) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

int tr_tz_set_new(const char *dir, struct tr_tz_set **out)
{
    if (!out)
        return TR_TZ_ERR_INVALID;
    *out = NULL;
    struct tr_tz_set *set = calloc(1, sizeof *set);
    if (!set || !(set->slots = calloc(64, sizeof *set->slots)) ||
        (dir && !(set->dir = strdup(dir)))) {
        tr_tz_set_free(set);
        return TR_TZ_ERR_NOMEM;
    }
    set->cap = 64;
    *out = set;
    return TR_TZ_OK;
}

void tr_tz_set_free(struct tr_tz_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; set->slots && i < set->cap; i++) {
        free(set->slots[i].name);
        tr_tz_free(set->slots[i].tz);
    }
    free(set->slots);
    free(set->dir);
    free(set);
}

static int grow(struct tr_tz_set *set)
{
    size_t cap = set->cap * 2;
    struct slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return TR_TZ_ERR_NOMEM;
    for (size_t i = 0; i < set->cap; i++)
        if (set->slots[i].name)
            *find_slot(slots, cap, set->slots[i].name) = set->slots[i];
    free(set->slots);
    set->slots = slots;
    set->cap = cap;
    return TR_TZ_OK;
}

int tr_tz_set_get(struct tr_tz_set *set, const char *name, const struct tr_tz **out)
{
    struct tr_tz *tz = NULL;
    if (!out)
        return TR_TZ_ERR_INVALID;
    *out = NULL;
    if (!set)
        return TR_TZ_ERR_INVALID;
    if (!tr_tz_name_valid(name))
        return TR_TZ_ERR_BAD_NAME; /* never cached: no disk access anyway */
    struct slot *s = find_slot(set->slots, set->cap, name);
    if (s->name) {
        *out = s->tz;
        return s->err;
    }
    int rc = tr_tz_load(name, set->dir, &tz);
    if (rc != TR_TZ_OK && (rc == TR_TZ_ERR_NOMEM || set->bad >= MAX_BAD))
        return rc; /* not remembered */
    if ((set->count + 1) * 2 > set->cap && grow(set) != TR_TZ_OK) {
        tr_tz_free(tz);
        return TR_TZ_ERR_NOMEM;
    }
    s = find_slot(set->slots, set->cap, name);
    if (!(s->name = strdup(name))) {
        tr_tz_free(tz);
        return TR_TZ_ERR_NOMEM;
    }
    s->tz = tz;
    s->err = rc;
    set->count++;
    set->bad += rc != TR_TZ_OK;
    *out = tz;
    return rc;
}

size_t tr_tz_set_count(const struct tr_tz_set *set)
{
    return set ? set->count : 0;
}
