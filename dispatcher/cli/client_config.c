/*
 * dispatcher/cli/client_config.c: the console's settings (a config table in
 * layers: defaults, /etc/truckroll/console.conf then
 * ~/.config/truckroll/console.conf (or -c FILE), TRUCKROLL_* environment,
 * flags), the flags every subcommand shares, and their --help text.
 *
 * It does not connect (client.c) or parse subcommand flags.
 */
#include "dispatcher/cli/client_int.h"
#include "dispatcher/cli/parse.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define ENV_PREFIX  "TRUCKROLL_"
#define SYSTEM_CONF "/etc/truckroll/console.conf"

static const struct tr_config_option options[] = {
    { "broker.host", TR_CFG_STRING_AT(struct tr_cli_settings, broker_host), "127.0.0.1",
      .help = "MQTT broker host name or address" },
    { "broker.port", TR_CFG_INT_AT(struct tr_cli_settings, broker_port), "1883", .min = 1,
      .max = 65535, .help = "MQTT broker port" },
    { "broker.username", TR_CFG_STRING_AT(struct tr_cli_settings, broker_user), "console",
      .help = "broker user name (a console account in the broker's ACL)" },
    { "broker.password_file", TR_CFG_STRING_AT(struct tr_cli_settings, broker_password_file), "",
      .help = "file whose first line is the broker password (empty: no password)" },
    { "broker.tls", TR_CFG_BOOL_AT(struct tr_cli_settings, broker_tls), "false",
      .help = "connect with TLS (required on any listener outside loopback)" },
    { "broker.ca_file", TR_CFG_STRING_AT(struct tr_cli_settings, broker_ca_file), "",
      .help = "PEM CA bundle to verify the broker (empty: the system's)" },
    { "broker.protocol", TR_CFG_ENUM_AT(struct tr_cli_settings, broker_protocol), "auto",
      .choices = "auto|v5|v311",
      .help = "MQTT version: v5, falling back to 3.1.1 (auto), or forced" },
    { "console.user", TR_CFG_STRING_AT(struct tr_cli_settings, console_user), "",
      .help = "{user} of truckroll/v1/console/{user}/resp (empty: broker.username)" },
    { "console.timeout_s", TR_CFG_DOUBLE_AT(struct tr_cli_settings, timeout_s), "10", .min = 0.1,
      .max = 3600, .help = "seconds to wait for the broker and each answer" },
    { "console.currency", TR_CFG_STRING_AT(struct tr_cli_settings, currency), "USD",
      .help = "ISO 4217 currency for pay flags given without --currency" },
};
#define N_OPTIONS (sizeof options / sizeof options[0])

struct tr_cli *tr_cli_new(const char *prog, const volatile sig_atomic_t *interrupted)
{
    char err[256];
    struct tr_cli *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    snprintf(c->prog, sizeof c->prog, "%s", prog);
    c->interrupted = interrupted;
    c->disp_state = -1;
    if (tr_config_new(&c->cfg, options, N_OPTIONS, &c->set, sizeof c->set, ENV_PREFIX, err,
                      sizeof err) != TR_CONFIG_OK) {
        fprintf(stderr, "%s: %s\n", prog, err);
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cond, &ca);
    pthread_condattr_destroy(&ca);
    return c;
}

int tr_cli_usage_error(const struct tr_cli *c, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", c->prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try '%s --help')\n", c->prog);
    return TR_CLI_USAGE;
}

int tr_cli_args(struct tr_cli *c, int *argc, char **argv)
{
    char err[256];
    if (tr_config_load_args(c->cfg, argc, argv, err, sizeof err) != TR_CONFIG_OK)
        return tr_cli_usage_error(c, "%s", err);
    return TR_CLI_OK;
}

void tr_cli_getopt_reset(void)
{
    optind = 0;
    opterr = 0;
}

static int set(struct tr_cli *c, const char *name, const char *flag, const char *arg)
{
    char err[256];
    if (tr_config_set(c->cfg, name, arg, TR_CONFIG_SRC_CLI, err, sizeof err) != TR_CONFIG_OK)
        return tr_cli_usage_error(c, "bad %s '%s': %s", flag, arg, err);
    return TR_CLI_OK;
}

int tr_cli_option(struct tr_cli *c, int opt, const char *arg, char *const *argv)
{
    const char *bad = optind > 0 ? argv[optind - 1] : "?";
    switch (opt) {
    case TR_CLI_OPT_BROKER:
        return set(c, "broker.host", "--broker", arg);
    case TR_CLI_OPT_PORT:
        return set(c, "broker.port", "--port", arg);
    case TR_CLI_OPT_USER:
        return set(c, "broker.username", "--user", arg);
    case TR_CLI_OPT_PASSWORD_FILE:
        return set(c, "broker.password_file", "--password-file", arg);
    case TR_CLI_OPT_TIMEOUT:
        return set(c, "console.timeout_s", "--timeout", arg);
    case TR_CLI_OPT_JSON:
        c->json = true;
        return TR_CLI_OK;
    case TR_CLI_OPT_PRINT_CONFIG:
        c->print_config = true;
        return TR_CLI_OK;
    case 'c':
        c->config_path = arg;
        return TR_CLI_OK;
    case ':':
        return tr_cli_usage_error(c, "option '%s' needs a value", bad);
    case '?':
        if (optopt && optopt < 0x100)
            return tr_cli_usage_error(c, "unknown option '-%c'", optopt);
        return tr_cli_usage_error(c, "unknown option '%s'", bad);
    default:
        return tr_cli_usage_error(c, "option '%s' is not handled here", bad);
    }
}

/* The per-user file: $XDG_CONFIG_HOME/truckroll/console.conf or
 * $HOME/.config/truckroll/console.conf; "" when neither is set. */
static void user_conf(char *buf, size_t cap)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    buf[0] = '\0';
    if (xdg && xdg[0] == '/')
        snprintf(buf, cap, "%s/truckroll/console.conf", xdg);
    else if (home && home[0])
        snprintf(buf, cap, "%s/.config/truckroll/console.conf", home);
}

int tr_cli_configure(struct tr_cli *c)
{
    char err[512], path[600];
    int rc;
    if (c->config_path) {
        rc = tr_config_load_file(c->cfg, c->config_path, 0, err, sizeof err);
    } else {
        rc = tr_config_load_file(c->cfg, SYSTEM_CONF, TR_CONFIG_MISSING_OK, err, sizeof err);
        user_conf(path, sizeof path);
        if (rc == TR_CONFIG_OK && path[0])
            rc = tr_config_load_file(c->cfg, path, TR_CONFIG_MISSING_OK, err, sizeof err);
    }
    if (rc == TR_CONFIG_OK)
        rc = tr_config_load_env(c->cfg, err, sizeof err);
    if (rc != TR_CONFIG_OK) {
        fprintf(stderr, "%s: %s\n", c->prog, err);
        return TR_CLI_USAGE;
    }
    if (c->print_config) {
        if (c->json)
            tr_config_print_json(c->cfg, stdout);
        else
            tr_config_print(c->cfg, stdout);
        return TR_CLI_DONE;
    }
    snprintf(c->user, sizeof c->user, "%s",
             c->set.console_user[0]  ? c->set.console_user
             : c->set.broker_user[0] ? c->set.broker_user
                                     : "console");
    if (!tr_msg_valid_agent_id(c->user))
        return tr_cli_usage_error(c,
                                  "console user '%s' is not a valid name "
                                  "(letters, digits, _ . -, at most 64)",
                                  c->user);
    if (c->set.currency[0] && (strlen(c->set.currency) != 3 ||
                               strspn(c->set.currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3))
        return tr_cli_usage_error(c, "console.currency '%s' is not an ISO 4217 code",
                                  c->set.currency);
    snprintf(c->resp_topic, sizeof c->resp_topic, "truckroll/v1/console/%s/resp", c->user);
    return TR_CLI_OK;
}

int tr_cli_flag_list(struct tr_cli *c, const char *flag, const char *arg, char *items,
                     size_t stride, size_t *n, size_t cap, bool (*valid)(const char *))
{
    char buf[1024], *part[64];
    const char *why = "";
    int k;
    if (strlen(arg) >= sizeof buf)
        return tr_cli_usage_error(c, "%s is too long", flag);
    memcpy(buf, arg, strlen(arg) + 1);
    k = tr_cli_split_list(buf, part, 64, &why);
    if (k <= 0)
        return tr_cli_usage_error(c, "%s needs a value%s%s", flag, k < 0 ? ": " : "",
                                  k < 0 ? why : "");
    for (int i = 0; i < k; i++) {
        bool dup = false;
        if (strlen(part[i]) >= stride || (valid && !valid(part[i])))
            return tr_cli_usage_error(c, "bad %s '%s'", flag, part[i]);
        for (size_t j = 0; j < *n; j++)
            dup = dup || strcmp(items + j * stride, part[i]) == 0;
        if (dup)
            continue;
        if (*n >= cap)
            return tr_cli_usage_error(c, "too many %s values (at most %zu)", flag, cap);
        snprintf(items + *n * stride, stride, "%s", part[i]);
        (*n)++;
    }
    return TR_CLI_OK;
}

int tr_cli_flag_text(struct tr_cli *c, const char *flag, const char *arg, char *dst, size_t cap,
                     bool allow_empty)
{
    if (!allow_empty && arg[0] == '\0')
        return tr_cli_usage_error(c, "%s needs a value", flag);
    if (strlen(arg) >= cap)
        return tr_cli_usage_error(c, "%s is too long (at most %zu bytes)", flag, cap - 1);
    memcpy(dst, arg, strlen(arg) + 1);
    return TR_CLI_OK;
}

const struct tr_cli_settings *tr_cli_settings(const struct tr_cli *c)
{
    return &c->set;
}

bool tr_cli_json(const struct tr_cli *c)
{
    return c->json;
}

const char *tr_cli_prog(const struct tr_cli *c)
{
    return c->prog;
}

bool tr_cli_interrupted(const struct tr_cli *c)
{
    return c->interrupted && *c->interrupted;
}

void tr_cli_usage_common(FILE *out)
{
    fprintf(out,
            "Connection and output options (every subcommand that talks to the dispatcher):\n"
            "      --broker HOST         broker host (broker.host)\n"
            "      --port N              broker port (broker.port)\n"
            "      --user NAME           broker user name; also the {user} of the response\n"
            "                            topic truckroll/v1/console/{user}/resp (broker.username)\n"
            "      --password-file FILE  first line is the broker password\n"
            "      --timeout SECONDS     wait this long for the broker and for each answer\n"
            "                            (console.timeout_s, default 10)\n"
            "      --json                print the answer's `result` object as one JSON\n"
            "                            document on stdout (lists: {\"jobs\"|\"contractors\":\n"
            "                            [...], \"total\": N}, all pages joined); an error\n"
            "                            answer prints {\"error\": {code, field, message}}\n"
            "  -c, --config FILE         read this config file instead of the default ones\n"
            "      --print-config        print the effective settings and exit (with --json:\n"
            "                            as JSON)\n"
            "      --SECTION.KEY=VALUE   set any setting below, e.g. --broker.tls=true\n"
            "  -h, --help                this text\n"
            "\n"
            "Files: " SYSTEM_CONF ", then ~/.config/truckroll/console.conf\n"
            "($XDG_CONFIG_HOME/truckroll/console.conf), 'key = value' lines or [section]\n"
            "blocks; -c FILE replaces both. Environment: " ENV_PREFIX
            "SECTION_KEY (e.g.\n" ENV_PREFIX
            "BROKER_HOST) overrides the files; flags override both.\n\n");
    tr_config_usage(options, N_OPTIONS, ENV_PREFIX, out);
    fprintf(out, "\nExit status:\n"
                 "  0  success\n"
                 "  1  the dispatcher answered with an error (printed as CODE [FIELD]: MESSAGE),\n"
                 "     an answer could not be read, or the operation failed\n"
                 "  2  usage error: unknown flag, bad value, or a request the wire contract\n"
                 "     rejects before it is sent\n"
                 "  3  no answer: broker unreachable or refused the login, dispatcher offline, or\n"
                 "     silent past the timeout (a v5 request expires at the broker after the\n"
                 "     timeout, so it is not executed later)\n"
                 "  130  interrupted (Ctrl-C) while waiting for an answer\n");
}
