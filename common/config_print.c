/*
 * common/config_print.c: the output side of common/config.h: --print-config
 * (as a config file, or as JSON through cJSON) and the --help table of
 * options. Does not parse anything and never changes the settings.
 */
#include "common/config_impl.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* Shortest %g form that reads back as exactly x. */
static void format_double(double x, char *buf, size_t len)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            return;
    }
}

/* The string field of o, which may lack its NUL if the program wrote it. */
static size_t field_strlen(const struct tr_config *cfg, const struct tr_config_option *o)
{
    return strnlen((const char *)cfg->settings + o->offset, o->size);
}

static int field_int(const struct tr_config *cfg, const struct tr_config_option *o)
{
    int x;
    memcpy(&x, cfg->settings + o->offset, sizeof x);
    return x;
}

/* Choice number idx of an enum option as a pointer and length; 0 if none. */
static size_t choice_at(const struct tr_config_option *o, int idx, const char **name)
{
    const char *p = o->choices;
    for (int i = 0; i < idx && p; i++) {
        p = strchr(p, '|');
        if (p)
            p++;
    }
    if (idx < 0 || !p)
        return 0;
    const char *bar = strchr(p, '|');
    *name = p;
    return bar ? (size_t)(bar - p) : strlen(p);
}

static void put_quoted(FILE *out, const char *s, size_t len)
{
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        switch (c) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        default:
            fputc(c, out);
        }
    }
    fputc('"', out);
}

/* Value of option o in config-file syntax. */
static void put_value(FILE *out, const struct tr_config *cfg, const struct tr_config_option *o)
{
    const unsigned char *field = cfg->settings + o->offset;
    char num[32];

    switch (o->type) {
    case TR_CFG_STRING:
        put_quoted(out, (const char *)field, field_strlen(cfg, o));
        break;
    case TR_CFG_INT:
        fprintf(out, "%d", field_int(cfg, o));
        break;
    case TR_CFG_DOUBLE: {
        double d;
        memcpy(&d, field, sizeof d);
        format_double(d, num, sizeof num);
        fputs(num, out);
        break;
    }
    case TR_CFG_BOOL: {
        bool b;
        memcpy(&b, field, sizeof b);
        fputs(b ? "true" : "false", out);
        break;
    }
    case TR_CFG_ENUM: {
        const char *name = NULL;
        size_t len = choice_at(o, field_int(cfg, o), &name);
        if (len)
            fprintf(out, "%.*s", (int)len, name);
        else
            fprintf(out, "%d", field_int(cfg, o));
        break;
    }
    }
}

static void format_origin(const struct tr_config *cfg, size_t i, char *buf, size_t len)
{
    const struct tr_config_origin *org = &cfg->origins[i];
    char var[TR_CONFIG_PREFIX_MAX + TR_CONFIG_NAME_MAX + 1];

    switch (org->src) {
    case TR_CONFIG_SRC_FILE:
        if (org->file)
            snprintf(buf, len, "file:%s:%d", org->file, org->line);
        else
            snprintf(buf, len, "file");
        break;
    case TR_CONFIG_SRC_ENV:
        tr_config_env_name(cfg->env_prefix, cfg->opts[i].name, var, sizeof var);
        snprintf(buf, len, "env:%s", var);
        break;
    default:
        snprintf(buf, len, "%s", tr_config_source_name(org->src));
    }
}

int tr_config_print(const struct tr_config *cfg, FILE *out)
{
    char origin[512];

    if (!cfg || !out)
        return TR_CONFIG_EINVAL;
    for (size_t i = 0; i < cfg->n; i++) {
        fprintf(out, "%s = ", cfg->opts[i].name);
        put_value(out, cfg, &cfg->opts[i]);
        format_origin(cfg, i, origin, sizeof origin);
        /* A newline in a file name would end the comment early. */
        for (char *p = origin; *p; p++) {
            if (*p == '\n' || *p == '\r')
                *p = '?';
        }
        fprintf(out, "  # %s\n", origin);
    }
    return ferror(out) ? TR_CONFIG_EFILE : TR_CONFIG_OK;
}

static cJSON *json_value(const struct tr_config *cfg, const struct tr_config_option *o)
{
    const unsigned char *field = cfg->settings + o->offset;

    switch (o->type) {
    case TR_CFG_STRING: {
        size_t len = field_strlen(cfg, o);
        char *copy = malloc(len + 1);
        if (!copy)
            return NULL;
        memcpy(copy, field, len);
        copy[len] = '\0';
        cJSON *s = cJSON_CreateString(copy);
        free(copy);
        return s;
    }
    case TR_CFG_INT:
        return cJSON_CreateNumber(field_int(cfg, o));
    case TR_CFG_DOUBLE: {
        double d;
        memcpy(&d, field, sizeof d);
        return cJSON_CreateNumber(d);
    }
    case TR_CFG_BOOL: {
        bool b;
        memcpy(&b, field, sizeof b);
        return cJSON_CreateBool(b);
    }
    case TR_CFG_ENUM: {
        const char *name = NULL;
        char buf[TR_CONFIG_NAME_MAX + 1];
        size_t len = choice_at(o, field_int(cfg, o), &name);
        if (!len)
            return cJSON_CreateNumber(field_int(cfg, o));
        snprintf(buf, sizeof buf, "%.*s", (int)len, name);
        return cJSON_CreateString(buf);
    }
    }
    return NULL;
}

int tr_config_print_json(const struct tr_config *cfg, FILE *out)
{
    cJSON *root = NULL;
    char *text = NULL;
    char origin[512];
    int rc = TR_CONFIG_ENOMEM;

    if (!cfg || !out)
        return TR_CONFIG_EINVAL;
    root = cJSON_CreateObject();
    if (!root)
        goto out;
    for (size_t i = 0; i < cfg->n; i++) {
        cJSON *item = cJSON_CreateObject();
        if (!item || !cJSON_AddItemToObject(root, cfg->opts[i].name, item)) {
            cJSON_Delete(item);
            goto out;
        }
        cJSON *v = json_value(cfg, &cfg->opts[i]);
        if (!v || !cJSON_AddItemToObject(item, "value", v)) {
            cJSON_Delete(v);
            goto out;
        }
        format_origin(cfg, i, origin, sizeof origin);
        if (!cJSON_AddStringToObject(item, "source", tr_config_source_name(cfg->origins[i].src)) ||
            !cJSON_AddStringToObject(item, "origin", origin))
            goto out;
    }
    text = cJSON_Print(root);
    if (!text)
        goto out;
    fputs(text, out);
    fputc('\n', out);
    rc = ferror(out) ? TR_CONFIG_EFILE : TR_CONFIG_OK;
out:
    cJSON_free(text);
    cJSON_Delete(root);
    return rc;
}

static const char *metavar(const struct tr_config_option *o)
{
    switch (o->type) {
    case TR_CFG_STRING:
        return "TEXT";
    case TR_CFG_INT:
        return "INT";
    case TR_CFG_DOUBLE:
        return "NUM";
    case TR_CFG_BOOL:
        return "BOOL";
    case TR_CFG_ENUM:
        return "CHOICE";
    }
    return "?";
}

void tr_config_usage(const struct tr_config_option *opts, size_t n_opts, const char *env_prefix,
                     FILE *out)
{
    const int col = 32;

    for (size_t i = 0; opts && i < n_opts; i++) {
        const struct tr_config_option *o = &opts[i];
        char lo[32], hi[32];
        int w = fprintf(out, "  --%s=%s", o->name, metavar(o));
        if (w < 0)
            return;
        /* Name, then help and details each on their own line at col. */
        if (w + 2 > col)
            fprintf(out, "\n%*s", col, "");
        else
            fprintf(out, "%*s", col - w, "");
        if (o->help && *o->help)
            fprintf(out, "%s\n%*s", o->help, col, "");
        fputs("default ", out);
        if (o->type == TR_CFG_STRING)
            put_quoted(out, o->def ? o->def : "", o->def ? strlen(o->def) : 0);
        else
            fputs(o->def ? o->def : "", out);
        if ((o->type == TR_CFG_INT || o->type == TR_CFG_DOUBLE) &&
            !(o->min == 0.0 && o->max == 0.0)) {
            format_double(o->min, lo, sizeof lo);
            format_double(o->max, hi, sizeof hi);
            fprintf(out, ", range %s..%s", lo, hi);
        }
        if (o->type == TR_CFG_ENUM && o->choices)
            fprintf(out, ", one of %s", o->choices);
        if (o->type == TR_CFG_BOOL)
            fputs(", true/false", out);
        if (env_prefix) {
            char var[TR_CONFIG_PREFIX_MAX + TR_CONFIG_NAME_MAX + 1];
            tr_config_env_name(env_prefix, o->name, var, sizeof var);
            fprintf(out, ", env %s", var);
        }
        fputc('\n', out);
    }
}
