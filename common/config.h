/*
 * common/config.h: the table-driven configuration loader every program uses.
 *
 * A program describes its settings once, as a table of options (name, type,
 * default, range, help) that point into its own settings struct:
 *
 *   struct settings { char broker_host[256]; int broker_port; int log_level;
 *                     double threshold_m; bool sim; };
 *   static const struct tr_config_option opts[] = {
 *       { "broker.host", TR_CFG_STRING_AT(struct settings, broker_host), "127.0.0.1",
 *         .help = "MQTT broker host" },
 *       { "broker.port", TR_CFG_INT_AT(struct settings, broker_port), "1883",
 *         .min = 1, .max = 65535, .help = "MQTT broker port" },
 *       { "log.level", TR_CFG_ENUM_AT(struct settings, log_level), "info",
 *         .choices = "error|warn|info|debug" },
 *       { "report.threshold_m", TR_CFG_DOUBLE_AT(struct settings, threshold_m), "40",
 *         .min = 1, .max = 10000 },
 *       { "sim.enabled", TR_CFG_BOOL_AT(struct settings, sim), "false" },
 *   };
 *
 * The *_AT macros check the field's C type at compile time (an int option
 * cannot point at a double; a string option must be a char array, whose
 * size bounds the value), so after loading the program reads plain struct
 * fields: no lookups by name, no casts, nothing to free. An ENUM is stored as
 * the index of the choice (0 for the first), so a C enum declared in the
 * same order can be stored directly.
 *
 * Layers, lowest to highest precedence: defaults (tr_config_new), file
 * (tr_config_load_file / _buffer), environment (tr_config_load_env), command
 * line (tr_config_load_args, tr_config_set). A value from a lower layer never
 * replaces one from a higher layer, whatever the call order, so main() may
 * parse its argv before it knows which file to load. Within a layer the last
 * value wins. A layer that fails changes nothing (it is checked completely
 * before it is applied).
 *
 * A main() might read:
 *   if (tr_config_new(&cfg, opts, n, &s, sizeof s, "TRUCKROLL_", err, sizeof err) ||
 *       tr_config_load_args(cfg, &argc, argv, err, sizeof err))    (consumes --x.y=v)
 *       fail;
 *   then its own flags from what is left of argv: -c FILE, -p N
 *   (tr_config_set(cfg, "broker.port", N, TR_CONFIG_SRC_CLI, ...)), --help
 *   (tr_config_usage), --print-config [--json]; then
 *   tr_config_load_file(cfg, path, path_given ? 0 : TR_CONFIG_MISSING_OK, ...),
 *   tr_config_load_env(cfg, ...), and print the config if asked.
 *
 * File syntax, one setting per line:
 *   # comment                    blank lines are ignored
 *   [broker]                     a section: the following keys are broker.KEY
 *   port = 1883                  unquoted: trimmed, ends at '#'
 *   host = "a # b \"q\"\n"       quoted: escapes \\ \" \n \t \r
 *   log.level = debug            before any section a key is the full name
 * Lines are at most TR_CONFIG_LINE_MAX bytes. Names are [a-z0-9_.-].
 * Environment: prefix + name upper-cased with '.' and '-' as '_', e.g.
 * TRUCKROLL_BROKER_PORT for broker.port with prefix "TRUCKROLL_". Variables
 * with the prefix that match no option are ignored (other programs share it).
 * Values: INT decimal; DOUBLE finite (strtod); BOOL true/false, yes/no,
 * on/off, 1/0 (any case); ENUM one of the choices (any case). Numbers are
 * read and printed in the C locale: programs must not set LC_NUMERIC.
 *
 * Errors come back as enum tr_config_err plus a one-line message naming the
 * file and line, variable or argument. Nothing here logs or exits. No global
 * state: each struct tr_config is independent and not thread-safe.
 * Does not: watch files, reload, include other files, or handle the
 * program's own flags (--help, -c FILE, short aliases): main() does that and
 * calls tr_config_set for its aliases.
 */
#ifndef TR_CONFIG_H
#define TR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define TR_CONFIG_LINE_MAX   4096       /* bytes per line, without the newline */
#define TR_CONFIG_FILE_MAX   (1u << 20) /* bytes per file */
#define TR_CONFIG_MISSING_OK 0x1u       /* tr_config_load_file: absent file is fine */

enum tr_config_err {
    TR_CONFIG_OK = 0,
    TR_CONFIG_ENOMEM = 1,
    TR_CONFIG_EINVAL = 2,   /* bad option table or argument (a programming error) */
    TR_CONFIG_EUNKNOWN = 3, /* no option of that name */
    TR_CONFIG_EBADNUM = 4,  /* not a (finite, decimal) number */
    TR_CONFIG_ERANGE = 5,   /* a number outside the option's range */
    TR_CONFIG_EBADENUM = 6, /* not one of the choices */
    TR_CONFIG_EBADBOOL = 7, /* not true/false/yes/no/on/off/1/0 */
    TR_CONFIG_ETOOLONG = 8, /* string longer than its field */
    TR_CONFIG_ELINE = 9,    /* line longer than TR_CONFIG_LINE_MAX */
    TR_CONFIG_ESYNTAX = 10, /* malformed line: no '=', bad quote, bad section */
    TR_CONFIG_EFILE = 11,   /* file missing, unreadable or too large */
    TR_CONFIG_EARGS = 12,   /* command line: option without a value */
};

enum tr_config_type {
    TR_CFG_STRING = 1, /* char array field */
    TR_CFG_INT = 2,    /* int field */
    TR_CFG_DOUBLE = 3, /* double field */
    TR_CFG_BOOL = 4,   /* bool field */
    TR_CFG_ENUM = 5,   /* int or unsigned (or a C enum) field: index into choices */
};

enum tr_config_source {
    TR_CONFIG_SRC_DEFAULT = 0,
    TR_CONFIG_SRC_FILE = 1,
    TR_CONFIG_SRC_ENV = 2,
    TR_CONFIG_SRC_CLI = 3,
};

struct tr_config_option {
    const char *name; /* "section.key": [a-z0-9_.-], at least one '.' */
    enum tr_config_type type;
    size_t offset;       /* of the field in the settings struct (use the _AT macros) */
    size_t size;         /* of the field */
    const char *def;     /* default, as text; parsed and checked by tr_config_new */
    double min, max;     /* INT/DOUBLE bounds, inclusive; none when min == max == 0 */
    const char *choices; /* ENUM: "a|b|c" */
    const char *help;    /* one line for --help */
};

/* The type, offset and size of a row, as designated initializers so that the
 * default that follows is positional and later fields may be omitted. The
 * field's C type is checked: a mismatch is a compile error ("no association
 * matches" / "controlling expression type not compatible"). */
#define TR_CFG__AT(kind, S, m, ...)                                                                \
    .type = kind, .offset = _Generic(((S *)0)->m, __VA_ARGS__), .size = sizeof(((S *)0)->m)
#define TR_CFG_INT_AT(S, m)    TR_CFG__AT(TR_CFG_INT, S, m, int : offsetof(S, m))
#define TR_CFG_DOUBLE_AT(S, m) TR_CFG__AT(TR_CFG_DOUBLE, S, m, double : offsetof(S, m))
#define TR_CFG_BOOL_AT(S, m)   TR_CFG__AT(TR_CFG_BOOL, S, m, bool : offsetof(S, m))
#define TR_CFG_ENUM_AT(S, m)                                                                       \
    TR_CFG__AT(TR_CFG_ENUM, S, m, int : offsetof(S, m), unsigned int : offsetof(S, m))
/* A char array, not a char pointer: &m must be a pointer to char[N]. */
#define TR_CFG_STRING_AT(S, m)                                                                     \
    .type = TR_CFG_STRING,                                                                         \
    .offset = _Generic(&((S *)0)->m, char(*)[sizeof(((S *)0)->m)]                                  \
                       : offsetof(S, m)),                                                          \
    .size = sizeof(((S *)0)->m)

struct tr_config;

/*
 * Check the table (names well formed and unique, defaults valid, fields in
 * range of settings_size) and write every default into *settings. settings
 * and opts must outlive the handle; env_prefix is copied (NULL: no
 * environment layer). On error *out is NULL and err holds a message.
 */
int tr_config_new(struct tr_config **out, const struct tr_config_option *opts, size_t n_opts,
                  void *settings, size_t settings_size, const char *env_prefix, char *err,
                  size_t errlen);
void tr_config_free(struct tr_config *cfg);

/* File layer. flags: TR_CONFIG_MISSING_OK makes an absent file a no-op. */
int tr_config_load_file(struct tr_config *cfg, const char *path, unsigned flags, char *err,
                        size_t errlen);
/* File layer from memory (len bytes, NUL not needed); name is used in
 * messages and --print-config like a file path. */
int tr_config_load_buffer(struct tr_config *cfg, const char *name, const char *text, size_t len,
                          char *err, size_t errlen);
/* Environment layer: getenv(prefix + NAME) for every option. */
int tr_config_load_env(struct tr_config *cfg, char *err, size_t errlen);

/*
 * Command-line layer. Consumes from argv every "--name=value" and
 * "--name value" where name is an option, and every "--x.y[=...]" (a name
 * with a '.'), which is an error if no option has that name. Everything else
 * (the program's own flags, positional arguments, everything after "--") is
 * left in argv, in order, after argv[0]; *argc is updated and argv[*argc] is
 * NULL. On error argv is unchanged.
 */
int tr_config_load_args(struct tr_config *cfg, int *argc, char **argv, char *err, size_t errlen);

/* Set one option from text, at the given layer (for main()'s own aliases,
 * e.g. -p 1884 -> tr_config_set(cfg, "broker.port", "1884", TR_CONFIG_SRC_CLI)). */
int tr_config_set(struct tr_config *cfg, const char *name, const char *value,
                  enum tr_config_source src, char *err, size_t errlen);

/* Where the current value of name came from; *line is the file line (0 if
 * not from a file). Either out-parameter may be NULL. */
int tr_config_source_of(const struct tr_config *cfg, const char *name, enum tr_config_source *src,
                        int *line);

/* --print-config: every option as "name = value  # origin", in table order,
 * origin one of default, file:PATH:LINE, env:VAR, cli. The output is itself a
 * valid config file. Returns 0 or TR_CONFIG_EFILE on a write error. */
int tr_config_print(const struct tr_config *cfg, FILE *out);
/* --print-config --json: {"name": {"value": V, "source": "default|file|env|cli",
 * "origin": "..."}, ...}, value typed (number, bool, string; enum as its name). */
int tr_config_print_json(const struct tr_config *cfg, FILE *out);

/* --help: every option with type, default, range or choices, environment
 * variable (if env_prefix) and help text. */
void tr_config_usage(const struct tr_config_option *opts, size_t n_opts, const char *env_prefix,
                     FILE *out);

const char *tr_config_strerror(int err);
const char *tr_config_source_name(enum tr_config_source src);

#endif
