/*
 * common/config_file.c: the file layer of common/config.h: "key = value"
 * lines, comments, [section] headers and quoted strings, checked completely
 * before anything is applied. Does not include files or expand variables.
 */
#include "common/config_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Keep a copy of a file name for the origins that point at it. */
static const char *intern_name(struct tr_config *cfg, const char *name)
{
    char **files = realloc(cfg->files, (cfg->n_files + 1) * sizeof *files);
    if (!files)
        return NULL;
    cfg->files = files;
    files[cfg->n_files] = strdup(name);
    if (!files[cfg->n_files])
        return NULL;
    return files[cfg->n_files++];
}

/* ---- file layer ---- */

struct file_ctx {
    struct tr_config *cfg;
    const char *name; /* for messages */
    const char *kept; /* interned name for origins; NULL in the checking pass */
    int line;
    char section[TR_CONFIG_NAME_MAX + 1];
    char *err;
    size_t errlen;
};

/* Decode a quoted string in place: *p points at the opening quote. On return
 * *p is past the closing quote; the decoded text starts at the old *p + 1. */
static int unquote(struct file_ctx *c, char **p, char **value)
{
    char *src = *p + 1, *dst = src;
    *value = src;
    for (;;) {
        char ch = *src++;
        if (ch == '\0')
            return tr_config_fail(c->err, c->errlen, TR_CONFIG_ESYNTAX,
                                  "%s:%d: unterminated string", c->name, c->line);
        if (ch == '"')
            break;
        if (ch == '\\') {
            char e = *src++;
            switch (e) {
            case '\\':
            case '"':
                ch = e;
                break;
            case 'n':
                ch = '\n';
                break;
            case 't':
                ch = '\t';
                break;
            case 'r':
                ch = '\r';
                break;
            default:
                return tr_config_fail(c->err, c->errlen, TR_CONFIG_ESYNTAX,
                                      "%s:%d: bad escape in string (use \\\\ \\\" \\n \\t \\r)",
                                      c->name, c->line);
            }
        }
        *dst++ = ch;
    }
    *dst = '\0';
    *p = src;
    return TR_CONFIG_OK;
}

/* Only blanks or a comment may follow. */
static int rest_is_empty(const char *p)
{
    while (tr_config_is_space((unsigned char)*p))
        p++;
    return *p == '\0' || *p == '#';
}

static int parse_line(struct file_ctx *c, char *line)
{
    char *p = line;
    char name[2 * TR_CONFIG_NAME_MAX + 2];
    char *value;
    int rc;

    while (tr_config_is_space((unsigned char)*p))
        p++;
    if (*p == '\0' || *p == '#')
        return TR_CONFIG_OK;
    if (*p == '[') {
        char *s = ++p;
        while (tr_config_is_space((unsigned char)*s))
            s++;
        char *e = s;
        while (tr_config_is_name_char((unsigned char)*e))
            e++;
        size_t len = (size_t)(e - s);
        while (tr_config_is_space((unsigned char)*e))
            e++;
        if (len == 0 || len > TR_CONFIG_NAME_MAX || *e != ']' || !rest_is_empty(e + 1))
            return tr_config_fail(
                c->err, c->errlen, TR_CONFIG_ESYNTAX,
                "%s:%d: bad section header (expected [name], name of a-z 0-9 _ . -)", c->name,
                c->line);
        memcpy(c->section, s, len);
        c->section[len] = '\0';
        return TR_CONFIG_OK;
    }

    char *k = p;
    while (*p && !tr_config_is_space((unsigned char)*p) && *p != '=' && *p != '#')
        p++;
    size_t klen = (size_t)(p - k);
    for (size_t i = 0; i < klen; i++) {
        if (!tr_config_is_name_char((unsigned char)k[i]) && !(k[i] >= 'A' && k[i] <= 'Z'))
            return tr_config_fail(c->err, c->errlen, TR_CONFIG_ESYNTAX,
                                  "%s:%d: bad key (expected a name of a-z 0-9 _ . -)", c->name,
                                  c->line);
    }
    while (tr_config_is_space((unsigned char)*p))
        p++;
    if (klen == 0 || *p != '=')
        return tr_config_fail(c->err, c->errlen, TR_CONFIG_ESYNTAX, "%s:%d: expected 'key = value'",
                              c->name, c->line);
    if (klen > TR_CONFIG_NAME_MAX)
        klen = TR_CONFIG_NAME_MAX; /* too long to be an option: reported as unknown below */
    if (c->section[0])
        snprintf(name, sizeof name, "%s.%.*s", c->section, (int)klen, k);
    else
        snprintf(name, sizeof name, "%.*s", (int)klen, k);

    p++;
    while (tr_config_is_space((unsigned char)*p))
        p++;
    if (*p == '"') {
        rc = unquote(c, &p, &value);
        if (rc)
            return rc;
        if (!rest_is_empty(p))
            return tr_config_fail(c->err, c->errlen, TR_CONFIG_ESYNTAX,
                                  "%s:%d: unexpected text after the closing quote", c->name,
                                  c->line);
    } else {
        value = p;
        char *e = strchr(p, '#');
        if (!e)
            e = p + strlen(p);
        while (e > p && tr_config_is_space((unsigned char)e[-1]))
            e--;
        *e = '\0';
    }

    size_t idx;
    const struct tr_config_option *o = tr_config_find(c->cfg, name, &idx);
    char where[300];
    snprintf(where, sizeof where, "%.280s:%d", c->name, c->line);
    if (!o)
        return tr_config_unknown(c->cfg, where, name, c->err, c->errlen);
    struct tr_config_value v;
    rc = tr_config_parse_value(o, value, &v, where, c->err, c->errlen);
    if (rc)
        return rc;
    if (c->kept) {
        struct tr_config_origin org = { TR_CONFIG_SRC_FILE, c->line, c->kept };
        tr_config_store(c->cfg, idx, &v, org);
    }
    return TR_CONFIG_OK;
}

/* One pass over the text: check only (kept == NULL) or check and apply. */
static int parse_text(struct tr_config *cfg, const char *name, const char *kept, const char *text,
                      size_t len, char *err, size_t errlen)
{
    struct file_ctx c = { .cfg = cfg, .name = name, .kept = kept, .err = err, .errlen = errlen };
    char line[TR_CONFIG_LINE_MAX + 1];
    size_t pos = 0;

    /* A UTF-8 byte order mark is not part of the first key. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (pos < len) {
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t llen = nl ? (size_t)(nl - start) : len - pos;
        pos += llen + (nl ? 1 : 0);
        c.line++;
        if (llen > TR_CONFIG_LINE_MAX)
            return tr_config_fail(err, errlen, TR_CONFIG_ELINE, "%s:%d: line longer than %d bytes",
                                  name, c.line, TR_CONFIG_LINE_MAX);
        if (memchr(start, '\0', llen))
            return tr_config_fail(err, errlen, TR_CONFIG_ESYNTAX, "%s:%d: NUL byte in line", name,
                                  c.line);
        memcpy(line, start, llen);
        line[llen] = '\0';
        int rc = parse_line(&c, line);
        if (rc)
            return rc;
    }
    return TR_CONFIG_OK;
}

int tr_config_load_buffer(struct tr_config *cfg, const char *name, const char *text, size_t len,
                          char *err, size_t errlen)
{
    if (!cfg || !name || (!text && len))
        return tr_config_fail(err, errlen, TR_CONFIG_EINVAL, "bad arguments");
    if (len > TR_CONFIG_FILE_MAX)
        return tr_config_fail(err, errlen, TR_CONFIG_EFILE, "%s: larger than %u bytes", name,
                              TR_CONFIG_FILE_MAX);
    int rc = parse_text(cfg, name, NULL, text, len, err, errlen);
    if (rc)
        return rc;
    const char *kept = intern_name(cfg, name);
    if (!kept)
        return tr_config_fail(err, errlen, TR_CONFIG_ENOMEM, "out of memory");
    return parse_text(cfg, name, kept, text, len, err, errlen);
}

int tr_config_load_file(struct tr_config *cfg, const char *path, unsigned flags, char *err,
                        size_t errlen)
{
    FILE *f = NULL;
    char *buf = NULL;
    size_t len = 0;
    int rc = TR_CONFIG_OK;

    if (!cfg || !path)
        return tr_config_fail(err, errlen, TR_CONFIG_EINVAL, "bad arguments");
    f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT && (flags & TR_CONFIG_MISSING_OK))
            return TR_CONFIG_OK;
        return tr_config_fail(err, errlen, TR_CONFIG_EFILE, "%s: %s", path, strerror(errno));
    }
    buf = malloc(TR_CONFIG_FILE_MAX + 1);
    if (!buf) {
        rc = tr_config_fail(err, errlen, TR_CONFIG_ENOMEM, "out of memory");
        goto out;
    }
    len = fread(buf, 1, TR_CONFIG_FILE_MAX + 1, f);
    if (ferror(f)) {
        rc = tr_config_fail(err, errlen, TR_CONFIG_EFILE, "%s: %s", path,
                            strerror(errno ? errno : EIO));
        goto out;
    }
    if (len > TR_CONFIG_FILE_MAX) {
        rc = tr_config_fail(err, errlen, TR_CONFIG_EFILE, "%s: larger than %u bytes", path,
                            TR_CONFIG_FILE_MAX);
        goto out;
    }
    rc = tr_config_load_buffer(cfg, path, buf, len, err, errlen);
out:
    free(buf);
    if (f)
        fclose(f);
    return rc;
}
