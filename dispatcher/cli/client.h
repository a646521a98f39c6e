/*
 * dispatcher/cli/client.h: what every console subcommand that talks to the
 * dispatcher shares: its settings (config table, files, environment, flags),
 * the connection to the broker, one request and its correlated answer, the
 * other topics it follows, and printing answers (tables are the caller's;
 * --json and errors are here).
 *
 * Protocol (schemas/topics.md): requests go to truckroll/v1/dispatcher/req
 * with QoS 1, MQTT v5 Response Topic truckroll/v1/console/{user}/resp and
 * Correlation Data = the request id, a message expiry of the timeout (so a
 * request nobody took in time is dropped by the broker, not executed later),
 * and `reply_to` in the payload for MQTT 3.1.1. Answers are `response` or
 * `error` whose `corr` is the request id. The retained
 * truckroll/v1/dispatcher/state tells "offline" apart from "slow".
 *
 * Exit codes (every subcommand): 0 ok, 1 the dispatcher answered with an
 * error (or an answer was unreadable), 2 usage error (bad flag, bad value,
 * a request the contract rejects before it is sent), 3 no answer: broker
 * unreachable or refused us, dispatcher offline or silent past the timeout.
 *
 * Threads: paho's thread only queues what arrives; everything else runs on
 * the caller's thread. One struct tr_cli per process. It does not retry a
 * request or page through lists (the subcommands do).
 */
#ifndef TR_CLI_CLIENT_H
#define TR_CLI_CLIENT_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/msg.h"

enum tr_cli_exit {
    TR_CLI_OK = 0,
    TR_CLI_FAIL = 1,
    TR_CLI_USAGE = 2,
    TR_CLI_UNREACHABLE = 3,
    TR_CLI_INTERRUPTED = 130, /* SIGINT/SIGTERM during a request */
    TR_CLI_DONE = 1000,       /* not an exit code: finished early with success (--print-config) */
};

struct tr_cli_settings {
    char broker_host[256];
    int broker_port;
    char broker_user[65];
    char broker_password_file[512];
    bool broker_tls;
    char broker_ca_file[512];
    int broker_protocol; /* 0 auto, 1 v5, 2 v3.1.1 */
    char console_user[65];
    double timeout_s;
    char currency[4];
};

/* getopt_long ids of the flags every subcommand takes (besides -h/--help
 * and -c/--config). Put TR_CLI_COMMON_LONGOPTS in the subcommand's table and
 * hand every id it does not know to tr_cli_option(). */
enum {
    TR_CLI_OPT_BROKER = 0x1000,
    TR_CLI_OPT_PORT,
    TR_CLI_OPT_USER,
    TR_CLI_OPT_PASSWORD_FILE,
    TR_CLI_OPT_TIMEOUT,
    TR_CLI_OPT_JSON,
    TR_CLI_OPT_PRINT_CONFIG,
    TR_CLI_OPT_OWN = 0x2000 /* subcommands number their own long-only flags from here */
};
#define TR_CLI_COMMON_LONGOPTS                                                                     \
    { "broker", required_argument, NULL, TR_CLI_OPT_BROKER },                                      \
        { "port", required_argument, NULL, TR_CLI_OPT_PORT },                                      \
        { "user", required_argument, NULL, TR_CLI_OPT_USER },                                      \
        { "password-file", required_argument, NULL, TR_CLI_OPT_PASSWORD_FILE },                    \
        { "timeout", required_argument, NULL, TR_CLI_OPT_TIMEOUT },                                \
        { "json", no_argument, NULL, TR_CLI_OPT_JSON },                                            \
        { "print-config", no_argument, NULL, TR_CLI_OPT_PRINT_CONFIG },                            \
        { "config", required_argument, NULL, 'c' },                                                \
    {                                                                                              \
        "help", no_argument, NULL, 'h'                                                             \
    }
#define TR_CLI_SHORTOPTS ":hc:"

struct tr_cli;

/* A received answer to one of our requests: msg is a `response` or an
 * `error` (msg.type); raw is the payload as received (for --json). */
struct tr_cli_answer {
    struct tr_msg msg;
    char *raw;
    size_t raw_len;
};
void tr_cli_answer_free(struct tr_cli_answer *a);

/* A message on another topic (tr_cli_subscribe): payload NUL-terminated. */
struct tr_cli_event {
    char *topic;
    char *payload;
    size_t len;
    bool retained;
};
void tr_cli_event_free(struct tr_cli_event *e);

/* prog names the subcommand in messages ("truckroll job list").
 * interrupted: set by a signal handler (main.c); waits end when it is. */
struct tr_cli *tr_cli_new(const char *prog, const volatile sig_atomic_t *interrupted);
void tr_cli_free(struct tr_cli *c);

/* Consume --section.key=value settings from argv (tr_config_load_args).
 * TR_CLI_OK or TR_CLI_USAGE (printed). Call before getopt_long. */
int tr_cli_args(struct tr_cli *c, int *argc, char **argv);
/* Resets getopt (optind = 0, opterr = 0): call once before the loop. */
void tr_cli_getopt_reset(void);
/* A getopt_long result the subcommand does not handle itself: the common
 * flags, '?' and ':' (usage errors, printed). argv/optind locate the bad
 * argument. TR_CLI_OK or TR_CLI_USAGE. ('h' is the caller's.) */
int tr_cli_option(struct tr_cli *c, int opt, const char *arg, char *const *argv);
/* After the flags: load the config files and the environment; handle
 * --print-config (TR_CLI_DONE). TR_CLI_OK, TR_CLI_USAGE or TR_CLI_DONE. */
int tr_cli_configure(struct tr_cli *c);

const struct tr_cli_settings *tr_cli_settings(const struct tr_cli *c);
bool tr_cli_json(const struct tr_cli *c);
const char *tr_cli_prog(const struct tr_cli *c);
bool tr_cli_interrupted(const struct tr_cli *c);
/* Report a usage problem: "PROG: <fmt> (try 'PROG --help')", TR_CLI_USAGE. */
int tr_cli_usage_error(const struct tr_cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The connection flags, files, environment and exit codes, for --help. */
void tr_cli_usage_common(FILE *out);

/* Flag helpers (usage errors printed, naming the flag): append the items
 * of a list flag ("a,b" or the flag repeated) to a fixed array of strings,
 * each checked by valid (may be NULL), duplicates skipped; copy a text flag,
 * refusing one longer than cap - 1 bytes (or empty, unless allow_empty). */
int tr_cli_flag_list(struct tr_cli *c, const char *flag, const char *arg, char *items,
                     size_t stride, size_t *n, size_t cap, bool (*valid)(const char *));
int tr_cli_flag_text(struct tr_cli *c, const char *flag, const char *arg, char *dst, size_t cap,
                     bool allow_empty);

/* Follow a topic filter too (job status, presence); its messages come from
 * tr_cli_next_event. Before or after tr_cli_connect. */
int tr_cli_subscribe(struct tr_cli *c, const char *filter);
/* Connect and subscribe within the timeout. TR_CLI_OK or
 * TR_CLI_UNREACHABLE / TR_CLI_USAGE (printed). */
int tr_cli_connect(struct tr_cli *c);

/* Send one request (sets its id, ts, reply_to). TR_CLI_OK; TR_CLI_USAGE
 * when the contract rejects it (printed with the field); TR_CLI_UNREACHABLE
 * when the dispatcher is known offline or the broker is gone (printed). */
int tr_cli_send(struct tr_cli *c, struct tr_msg *req);
/* The next answer to any request this process sent, until deadline (a
 * tr_cli_deadline). TR_CLI_OK (*ans filled; free it), TR_CLI_UNREACHABLE
 * on timeout, TR_CLI_FAIL for an unreadable answer, TR_CLI_INTERRUPTED.
 * Nothing printed. */
int tr_cli_recv(struct tr_cli *c, int64_t deadline, struct tr_cli_answer *ans);
/* Send and wait for its answer. TR_CLI_OK with a `response` in *ans;
 * otherwise an exit code, with the reason printed (an `error` answer:
 * TR_CLI_FAIL, also as JSON on stdout with --json). */
int tr_cli_call(struct tr_cli *c, struct tr_msg *req, struct tr_cli_answer *ans);
/* The next message on a tr_cli_subscribe filter, until deadline (INT64_MAX:
 * no limit). TR_CLI_OK, TR_CLI_UNREACHABLE (deadline), TR_CLI_INTERRUPTED. */
int tr_cli_next_event(struct tr_cli *c, int64_t deadline, struct tr_cli_event *ev);
/* A monotonic deadline ms from now (ms < 0: the configured timeout). */
int64_t tr_cli_deadline(const struct tr_cli *c, int64_t ms);
/* Wait until deadline or an interrupt (for --watch intervals). */
void tr_cli_sleep_until(struct tr_cli *c, int64_t deadline);

/* Print an `error` answer: "PROG: CODE [FIELD]: MESSAGE" on stderr; with
 * --json also {"error":{"code","field","message"}} on stdout. */
void tr_cli_print_error(const struct tr_cli *c, const struct tr_msg *err);
/* --json: the answers' `result` objects as one JSON document on stdout. With
 * several pages of a list, their `list_key` arrays ("jobs",
 * "contractors") are joined and `total` comes from the last page.
 * TR_CLI_OK or TR_CLI_FAIL. */
int tr_cli_print_results(const struct tr_cli *c, const struct tr_cli_answer *pages, size_t n,
                         const char *list_key);

/* --json: {"<out_key>": <result.<list_key>[index]>} from one page. */
int tr_cli_print_item(const struct tr_cli *c, const struct tr_cli_answer *page,
                      const char *list_key, size_t index, const char *out_key);

/* --json output a subcommand built itself: `o` as one compact line on stdout,
 * then cJSON_Delete(o) (the tree is the callee's from here on; NULL prints
 * nothing). TR_CLI_OK, or TR_CLI_FAIL when it could not be printed (no
 * memory). Only the console's own files pass cJSON trees here. */
struct cJSON;
int tr_cli_print_json(struct cJSON *o);

#endif
