/*
 * common/config_impl.h: internals shared by config.c, config_file.c and
 * config_print.c. Not part of the API: only those files include it.
 */
#ifndef TR_CONFIG_IMPL_H
#define TR_CONFIG_IMPL_H

#include "common/config.h"

/* Where an option's current value came from. */
struct tr_config_origin {
    enum tr_config_source src;
    int line;         /* file line, 0 otherwise */
    const char *file; /* one of tr_config.files, or NULL */
};

struct tr_config {
    const struct tr_config_option *opts; /* the program's table, not owned */
    size_t n;
    unsigned char *settings;          /* the program's settings struct, not owned */
    char *env_prefix;                 /* owned, or NULL */
    struct tr_config_origin *origins; /* n of them, owned */
    char **files;                     /* names of the loaded files, owned */
    size_t n_files;
};

#define TR_CONFIG_NAME_MAX   128 /* longest option name */
#define TR_CONFIG_PREFIX_MAX 64  /* longest environment prefix */

/* A checked value, ready to store. Strings point into the caller's text. */
struct tr_config_value {
    union {
        int i;
        double d;
        bool b;
        const char *s;
    } u;
};

/* Format a message into err (if err and errlen) and return rc. */
int tr_config_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* [a-z0-9_.-] */
int tr_config_is_name_char(int c);
/* Blanks other than newline. */
int tr_config_is_space(int c);
/* The option called name (and its index), or NULL. */
const struct tr_config_option *tr_config_find(const struct tr_config *cfg, const char *name,
                                              size_t *idx);
/* TR_CONFIG_EUNKNOWN with a "did you mean" when an option name is close. */
int tr_config_unknown(const struct tr_config *cfg, const char *where, const char *name, char *err,
                      size_t errlen);
/* Check text for option o; where locates it in messages ("file:12", "--x.y"). */
int tr_config_parse_value(const struct tr_config_option *o, const char *text,
                          struct tr_config_value *v, const char *where, char *err, size_t errlen);
/* Write v into option idx's field, unless a higher layer already set it. */
void tr_config_store(struct tr_config *cfg, size_t idx, const struct tr_config_value *v,
                     struct tr_config_origin org);
/* Environment variable of an option: prefix + name upper-cased, '.' and '-'
 * as '_', e.g. TRUCKROLL_BROKER_PORT. */
void tr_config_env_name(const char *prefix, const char *name, char *buf, size_t len);

#endif
