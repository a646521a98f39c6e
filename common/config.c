/*
 * common/config.c: the option table, value parsing and the four layers
 * (defaults, file, environment, command line) of common/config.h. Printing
 * (--print-config, --json, --help) is in config_print.c. Does not log, exit,
 * or keep any state outside struct tr_config.
 */
#include "common/config_impl.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int tr_config_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int tr_config_is_name_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

int tr_config_is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* ---- lookup and "did you mean" ---- */

const struct tr_config_option *tr_config_find(const struct tr_config *cfg, const char *name,
                                              size_t *idx)
{
    for (size_t i = 0; i < cfg->n; i++) {
        if (strcmp(cfg->opts[i].name, name) == 0) {
            if (idx)
                *idx = i;
            return &cfg->opts[i];
        }
    }
    return NULL;
}

/* Case-insensitive Levenshtein distance, or SIZE_MAX for long strings. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[TR_CONFIG_NAME_MAX + 1];
    if (la > TR_CONFIG_NAME_MAX || lb > TR_CONFIG_NAME_MAX)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost =
                tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The closest option name to an unknown one, or NULL if none is close. */
static const char *suggest(const struct tr_config *cfg, const char *name)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    size_t limit = strlen(name) / 4 > 2 ? strlen(name) / 4 : 2;
    for (size_t i = 0; i < cfg->n; i++) {
        const char *cand = cfg->opts[i].name;
        const char *dot = strrchr(cand, '.');
        /* "port" for "broker.port": the key without its section. */
        if (dot && strcmp(dot + 1, name) == 0)
            return cand;
        size_t d = edit_distance(name, cand);
        if (d <= limit && d < best_d) {
            best_d = d;
            best = cand;
        }
    }
    return best;
}

int tr_config_unknown(const struct tr_config *cfg, const char *where, const char *name, char *err,
                      size_t errlen)
{
    const char *hint = suggest(cfg, name);
    if (hint)
        return tr_config_fail(err, errlen, TR_CONFIG_EUNKNOWN,
                              "%s: unknown option '%.*s' (did you mean '%s'?)", where,
                              TR_CONFIG_NAME_MAX, name, hint);
    return tr_config_fail(err, errlen, TR_CONFIG_EUNKNOWN, "%s: unknown option '%.*s'", where,
                          TR_CONFIG_NAME_MAX, name);
}

/* ---- values ---- */

/* Index of text among the '|'-separated choices (any case), or -1. */
static int choice_index(const char *choices, const char *text)
{
    size_t tl = strlen(text);
    int idx = 0;
    for (const char *p = choices;; idx++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == tl && strncasecmp(p, text, len) == 0)
            return idx;
        if (!bar)
            return -1;
        p = bar + 1;
    }
}

static int has_bounds(const struct tr_config_option *o)
{
    return !(o->min == 0.0 && o->max == 0.0);
}

/* Parse text for option o into *v. where locates the text for messages. */
int tr_config_parse_value(const struct tr_config_option *o, const char *text,
                          struct tr_config_value *v, const char *where, char *err, size_t errlen)
{
    char *end = NULL;
    const char *n = o->name;

    switch (o->type) {
    case TR_CFG_STRING:
        if (strlen(text) >= o->size)
            return tr_config_fail(err, errlen, TR_CONFIG_ETOOLONG,
                                  "%s: %s: value longer than %zu bytes", where, n, o->size - 1);
        v->u.s = text;
        return TR_CONFIG_OK;
    case TR_CFG_INT: {
        if (!*text || isspace((unsigned char)*text))
            return tr_config_fail(err, errlen, TR_CONFIG_EBADNUM,
                                  "%s: %s: expected an integer, got '%.64s'", where, n, text);
        errno = 0;
        long long x = strtoll(text, &end, 10);
        if (*end)
            return tr_config_fail(err, errlen, TR_CONFIG_EBADNUM,
                                  "%s: %s: expected an integer, got '%.64s'", where, n, text);
        double lo = has_bounds(o) ? o->min : (double)INT_MIN;
        double hi = has_bounds(o) ? o->max : (double)INT_MAX;
        if (errno == ERANGE || (double)x < lo || (double)x > hi || x < INT_MIN || x > INT_MAX)
            return tr_config_fail(err, errlen, TR_CONFIG_ERANGE,
                                  "%s: %s: %.64s is out of range %.17g..%.17g", where, n, text, lo,
                                  hi);
        v->u.i = (int)x;
        return TR_CONFIG_OK;
    }
    case TR_CFG_DOUBLE: {
        if (!*text || isspace((unsigned char)*text))
            return tr_config_fail(err, errlen, TR_CONFIG_EBADNUM,
                                  "%s: %s: expected a number, got '%.64s'", where, n, text);
        double x = strtod(text, &end);
        if (*end || isnan(x))
            return tr_config_fail(err, errlen, TR_CONFIG_EBADNUM,
                                  "%s: %s: expected a number, got '%.64s'", where, n, text);
        if (!isfinite(x) || (has_bounds(o) && (x < o->min || x > o->max))) {
            if (has_bounds(o))
                return tr_config_fail(err, errlen, TR_CONFIG_ERANGE,
                                      "%s: %s: %.64s is out of range %.17g..%.17g", where, n, text,
                                      o->min, o->max);
            return tr_config_fail(err, errlen, TR_CONFIG_ERANGE, "%s: %s: %.64s is not finite",
                                  where, n, text);
        }
        v->u.d = x;
        return TR_CONFIG_OK;
    }
    case TR_CFG_BOOL: {
        static const char *const yes[] = { "true", "yes", "on", "1" };
        static const char *const no[] = { "false", "no", "off", "0" };
        for (size_t i = 0; i < 4; i++) {
            if (strcasecmp(text, yes[i]) == 0 || strcasecmp(text, no[i]) == 0) {
                v->u.b = strcasecmp(text, yes[i]) == 0;
                return TR_CONFIG_OK;
            }
        }
        return tr_config_fail(err, errlen, TR_CONFIG_EBADBOOL,
                              "%s: %s: expected true/false, yes/no, on/off or 1/0, got '%.64s'",
                              where, n, text);
    }
    case TR_CFG_ENUM: {
        int idx = choice_index(o->choices, text);
        if (idx < 0)
            return tr_config_fail(err, errlen, TR_CONFIG_EBADENUM,
                                  "%s: %s: expected one of %s, got '%.64s'", where, n, o->choices,
                                  text);
        v->u.i = idx;
        return TR_CONFIG_OK;
    }
    }
    return tr_config_fail(err, errlen, TR_CONFIG_EINVAL, "%s: %s: bad option type", where, n);
}

/* Write v into the settings field of option idx unless a higher layer set it. */
void tr_config_store(struct tr_config *cfg, size_t idx, const struct tr_config_value *v,
                     struct tr_config_origin org)
{
    const struct tr_config_option *o = &cfg->opts[idx];
    unsigned char *field = cfg->settings + o->offset;

    if (org.src < cfg->origins[idx].src)
        return;
    cfg->origins[idx] = org;
    switch (o->type) {
    case TR_CFG_STRING:
        memcpy(field, v->u.s, strlen(v->u.s) + 1);
        break;
    case TR_CFG_INT:
    case TR_CFG_ENUM:
        memcpy(field, &v->u.i, sizeof v->u.i);
        break;
    case TR_CFG_DOUBLE:
        memcpy(field, &v->u.d, sizeof v->u.d);
        break;
    case TR_CFG_BOOL:
        memcpy(field, &v->u.b, sizeof v->u.b);
        break;
    }
}

/* ---- the handle ---- */

static int check_option(const struct tr_config_option *o, size_t settings_size, char *err,
                        size_t errlen)
{
    size_t want = 0;
    size_t len = o->name ? strlen(o->name) : 0;

    if (!o->name || len == 0 || len > TR_CONFIG_NAME_MAX || !strchr(o->name, '.') ||
        o->name[0] == '.' || o->name[len - 1] == '.')
        return tr_config_fail(err, errlen, TR_CONFIG_EINVAL, "option '%.*s': bad name",
                              TR_CONFIG_NAME_MAX, o->name ? o->name : "(null)");
    for (size_t i = 0; i < len; i++) {
        if (!tr_config_is_name_char((unsigned char)o->name[i]))
            return tr_config_fail(err, errlen, TR_CONFIG_EINVAL, "option '%s': bad name", o->name);
    }
    switch (o->type) {
    case TR_CFG_STRING:
        want = o->size;
        break;
    case TR_CFG_INT:
        want = sizeof(int);
        break;
    case TR_CFG_ENUM:
        want = sizeof(int);
        if (!o->choices || !*o->choices || strstr(o->choices, "||") || o->choices[0] == '|' ||
            o->choices[strlen(o->choices) - 1] == '|')
            return tr_config_fail(err, errlen, TR_CONFIG_EINVAL, "option '%s': bad choices",
                                  o->name);
        break;
    case TR_CFG_DOUBLE:
        want = sizeof(double);
        break;
    case TR_CFG_BOOL:
        want = sizeof(bool);
        break;
    default:
        return tr_config_fail(err, errlen, TR_CONFIG_EINVAL, "option '%s': bad type", o->name);
    }
    if (o->size != want || o->size == 0 || o->offset > settings_size ||
        o->size > settings_size - o->offset)
        return tr_config_fail(err, errlen, TR_CONFIG_EINVAL,
                              "option '%s': bad field offset or size", o->name);
    if (!(o->min <= o->max) || !o->def)
        return tr_config_fail(err, errlen, TR_CONFIG_EINVAL, "option '%s': bad range or no default",
                              o->name);
    return TR_CONFIG_OK;
}

int tr_config_new(struct tr_config **out, const struct tr_config_option *opts, size_t n_opts,
                  void *settings, size_t settings_size, const char *env_prefix, char *err,
                  size_t errlen)
{
    struct tr_config *cfg = NULL;
    int rc = TR_CONFIG_OK;

    if (!out)
        return tr_config_fail(err, errlen, TR_CONFIG_EINVAL, "no output handle");
    *out = NULL;
    if (!opts || n_opts == 0 || !settings)
        return tr_config_fail(err, errlen, TR_CONFIG_EINVAL, "empty option table or no settings");
    if (env_prefix) {
        size_t pl = strlen(env_prefix);
        if (pl == 0 || pl > TR_CONFIG_PREFIX_MAX)
            return tr_config_fail(err, errlen, TR_CONFIG_EINVAL, "bad environment prefix");
        for (size_t i = 0; i < pl; i++) {
            char c = env_prefix[i];
            if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
                return tr_config_fail(err, errlen, TR_CONFIG_EINVAL, "bad environment prefix");
        }
    }
    for (size_t i = 0; i < n_opts; i++) {
        rc = check_option(&opts[i], settings_size, err, errlen);
        if (rc)
            return rc;
        for (size_t j = 0; j < i; j++) {
            char vi[TR_CONFIG_NAME_MAX + 1], vj[TR_CONFIG_NAME_MAX + 1];
            tr_config_env_name(NULL, opts[i].name, vi, sizeof vi);
            tr_config_env_name(NULL, opts[j].name, vj, sizeof vj);
            if (strcmp(vi, vj) == 0)
                return tr_config_fail(err, errlen, TR_CONFIG_EINVAL,
                                      "options '%s' and '%s' clash (same name or variable)",
                                      opts[j].name, opts[i].name);
        }
    }

    cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return tr_config_fail(err, errlen, TR_CONFIG_ENOMEM, "out of memory");
    cfg->opts = opts;
    cfg->n = n_opts;
    cfg->settings = settings;
    cfg->origins = calloc(n_opts, sizeof *cfg->origins);
    if (!cfg->origins) {
        rc = tr_config_fail(err, errlen, TR_CONFIG_ENOMEM, "out of memory");
        goto out;
    }
    if (env_prefix) {
        cfg->env_prefix = strdup(env_prefix);
        if (!cfg->env_prefix) {
            rc = tr_config_fail(err, errlen, TR_CONFIG_ENOMEM, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < n_opts; i++) {
        struct tr_config_value v;
        struct tr_config_origin org = { TR_CONFIG_SRC_DEFAULT, 0, NULL };
        rc = tr_config_parse_value(&opts[i], opts[i].def, &v, "default", err, errlen);
        if (rc) {
            rc = TR_CONFIG_EINVAL;
            goto out;
        }
        tr_config_store(cfg, i, &v, org);
    }
    *out = cfg;
    cfg = NULL;
out:
    tr_config_free(cfg);
    return rc;
}

void tr_config_free(struct tr_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n_files; i++)
        free(cfg->files[i]);
    free(cfg->files);
    free(cfg->origins);
    free(cfg->env_prefix);
    free(cfg);
}

/* ---- environment layer ---- */

void tr_config_env_name(const char *prefix, const char *name, char *buf, size_t len)
{
    size_t plen = prefix ? strlen(prefix) : 0;
    size_t n = (size_t)snprintf(buf, len, "%s%s", prefix ? prefix : "", name);
    if (n >= len)
        n = len - 1;
    for (size_t i = plen; i < n; i++) {
        char ch = buf[i];
        buf[i] = (ch == '.' || ch == '-') ? '_' : (char)toupper((unsigned char)ch);
    }
}

int tr_config_load_env(struct tr_config *cfg, char *err, size_t errlen)
{
    char var[TR_CONFIG_PREFIX_MAX + TR_CONFIG_NAME_MAX + 1];

    if (!cfg)
        return tr_config_fail(err, errlen, TR_CONFIG_EINVAL, "bad arguments");
    if (!cfg->env_prefix)
        return TR_CONFIG_OK;
    for (int apply = 0; apply <= 1; apply++) {
        for (size_t i = 0; i < cfg->n; i++) {
            struct tr_config_value v;
            tr_config_env_name(cfg->env_prefix, cfg->opts[i].name, var, sizeof var);
            const char *text = getenv(var);
            if (!text)
                continue;
            int rc = tr_config_parse_value(&cfg->opts[i], text, &v, var, err, errlen);
            if (rc)
                return rc;
            if (apply) {
                struct tr_config_origin org = { TR_CONFIG_SRC_ENV, 0, NULL };
                tr_config_store(cfg, i, &v, org);
            }
        }
    }
    return TR_CONFIG_OK;
}

/* ---- command-line layer ---- */

int tr_config_set(struct tr_config *cfg, const char *name, const char *value,
                  enum tr_config_source src, char *err, size_t errlen)
{
    size_t idx;
    struct tr_config_value v;

    if (!cfg || !name || !value || (int)src < TR_CONFIG_SRC_DEFAULT || src > TR_CONFIG_SRC_CLI)
        return tr_config_fail(err, errlen, TR_CONFIG_EINVAL, "bad arguments");
    const struct tr_config_option *o = tr_config_find(cfg, name, &idx);
    if (!o)
        return tr_config_unknown(cfg, tr_config_source_name(src), name, err, errlen);
    int rc = tr_config_parse_value(o, value, &v, tr_config_source_name(src), err, errlen);
    if (rc)
        return rc;
    struct tr_config_origin org = { src, 0, NULL };
    tr_config_store(cfg, idx, &v, org);
    return TR_CONFIG_OK;
}

int tr_config_load_args(struct tr_config *cfg, int *argc, char **argv, char *err, size_t errlen)
{
    if (!cfg || !argc || !argv || *argc < 1)
        return tr_config_fail(err, errlen, TR_CONFIG_EINVAL, "bad arguments");
    for (int apply = 0; apply <= 1; apply++) {
        int keep = 1, i = 1;
        for (; i < *argc; i++) {
            const char *a = argv[i];
            if (strcmp(a, "--") == 0)
                break;
            if (strncmp(a, "--", 2) != 0) {
                if (apply)
                    argv[keep++] = argv[i];
                continue;
            }
            const char *eq = strchr(a + 2, '=');
            size_t nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            char name[TR_CONFIG_NAME_MAX + 1];
            size_t idx;
            const struct tr_config_option *o = NULL;
            char where[TR_CONFIG_NAME_MAX + 8];
            if (nlen <= TR_CONFIG_NAME_MAX) {
                memcpy(name, a + 2, nlen);
                name[nlen] = '\0';
                o = tr_config_find(cfg, name, &idx);
            }
            bool name_like = nlen > 0;
            for (size_t k = 0; k < nlen && name_like; k++) {
                char ch = a[2 + k];
                name_like = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                            (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
            }
            if (!o && (!name_like || !memchr(a + 2, '.', nlen))) {
                /* The program's own flag, or a value of one that starts with
                 * "--" ("--see 5.2" is no setting name). */
                if (apply)
                    argv[keep++] = argv[i];
                continue;
            }
            snprintf(where, sizeof where, "--%.*s", TR_CONFIG_NAME_MAX, a + 2);
            if (eq && nlen + 2 < sizeof where)
                where[nlen + 2] = '\0';
            if (!o) {
                if (nlen > TR_CONFIG_NAME_MAX)
                    return tr_config_fail(err, errlen, TR_CONFIG_EUNKNOWN, "%s: unknown option",
                                          where);
                return tr_config_unknown(cfg, where, name, err, errlen);
            }
            const char *value = eq ? eq + 1 : NULL;
            if (!value) {
                if (i + 1 >= *argc || strncmp(argv[i + 1], "--", 2) == 0)
                    return tr_config_fail(err, errlen, TR_CONFIG_EARGS, "%s: needs a value", where);
                value = argv[++i];
            }
            struct tr_config_value v;
            int rc = tr_config_parse_value(o, value, &v, where, err, errlen);
            if (rc)
                return rc;
            if (apply) {
                struct tr_config_origin org = { TR_CONFIG_SRC_CLI, 0, NULL };
                tr_config_store(cfg, idx, &v, org);
            }
        }
        if (apply) {
            for (; i < *argc; i++)
                argv[keep++] = argv[i];
            argv[keep] = NULL;
            *argc = keep;
        }
    }
    return TR_CONFIG_OK;
}

/* ---- queries ---- */

int tr_config_source_of(const struct tr_config *cfg, const char *name, enum tr_config_source *src,
                        int *line)
{
    size_t idx;
    if (!cfg || !name || !tr_config_find(cfg, name, &idx))
        return TR_CONFIG_EUNKNOWN;
    if (src)
        *src = cfg->origins[idx].src;
    if (line)
        *line = cfg->origins[idx].line;
    return TR_CONFIG_OK;
}

const char *tr_config_source_name(enum tr_config_source src)
{
    switch (src) {
    case TR_CONFIG_SRC_DEFAULT:
        return "default";
    case TR_CONFIG_SRC_FILE:
        return "file";
    case TR_CONFIG_SRC_ENV:
        return "env";
    case TR_CONFIG_SRC_CLI:
        return "cli";
    }
    return "?";
}

const char *tr_config_strerror(int err)
{
    static const char *const text[] = {
        [TR_CONFIG_OK] = "success",
        [TR_CONFIG_ENOMEM] = "out of memory",
        [TR_CONFIG_EINVAL] = "invalid option table or argument",
        [TR_CONFIG_EUNKNOWN] = "unknown option",
        [TR_CONFIG_EBADNUM] = "not a number",
        [TR_CONFIG_ERANGE] = "value out of range",
        [TR_CONFIG_EBADENUM] = "not one of the choices",
        [TR_CONFIG_EBADBOOL] = "not a boolean",
        [TR_CONFIG_ETOOLONG] = "value too long",
        [TR_CONFIG_ELINE] = "line too long",
        [TR_CONFIG_ESYNTAX] = "syntax error",
        [TR_CONFIG_EFILE] = "cannot read file",
        [TR_CONFIG_EARGS] = "option needs a value",
    };
    if (err < 0 || (size_t)err >= sizeof text / sizeof text[0] || !text[err])
        return "unknown error";
    return text[err];
}
