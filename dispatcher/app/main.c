/*
 * dispatcher/app/main.c: truckrolld, the dispatcher daemon: command line,
 * configuration layers, signals and the counter lines. Everything else is in
 * the other app/ files; app.h describes the threads.
 *
 * This file is the only place with mutable statics (the signal flag and the
 * application context, which paho's thread references).
 *
 * systemd (common/notify.h): READY=1 once tr_app_start has recovered the
 * store and subscribed, a STATUS= line when the summary changes (checked
 * once a second), STOPPING=1 on SIGTERM. The WATCHDOG=1 pings come from the
 * worker thread (worker.c), not from here: a stalled worker stops them.
 */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/config.h"
#include "common/log.h"
#include "common/mqtt.h"
#include "common/notify.h"
#include "dispatcher/app/app.h"

#define DEFAULT_CONFIG "/etc/truckroll/truckrolld.conf"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: truckrolld [OPTIONS] [--KEY=VALUE ...]\n"
                 "\n"
                 "The truckroll dispatcher daemon. Keeps the contractor directory and every field\n"
                 "agent's presence and position (MQTT), matches each job to the nearest available\n"
                 "qualified contractor, offers it with a deadline, follows it to its end and\n"
                 "records every step in SQLite before publishing anything about it.\n"
                 "\n"
                 "Options:\n"
                 "  -c, --config FILE   config file (default " DEFAULT_CONFIG ", optional)\n"
                 "  -p, --port N        broker port (same as --broker.port=N)\n"
                 "      --print-config  print the effective configuration and exit\n"
                 "      --json          with --print-config: as JSON\n"
                 "  -V, --version       print the version and exit\n"
                 "  -h, --help          this help\n"
                 "\n"
                 "Every setting below can also come from the config file (key = value),\n"
                 "or the environment (TRUCKROLL_BROKER_PORT=1884 for broker.port);\n"
                 "the command line wins over the environment, which wins over the file.\n"
                 "\n");
    tr_config_usage(tr_app_options, tr_app_n_options, "TRUCKROLL_", out);
    fprintf(out, "\nSignals: SIGINT/SIGTERM stop cleanly (positions flushed, retained state\n"
                 "set offline). After SIGKILL or a crash the next start recovers every open\n"
                 "job from the store and publishes what was not yet acknowledged.\n"
                 "Exit status: 0 after a clean stop, 1 on a runtime error, 2 on bad usage.\n");
}

/* 0: go on; 1: done, exit 0; 2: usage error. */
static int parse(struct tr_config *cfg, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "port", required_argument, NULL, 'p' },
        { "print-config", no_argument, NULL, 'P' },
        { "json", no_argument, NULL, 'J' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config_path = DEFAULT_CONFIG;
    bool config_given = false, print_config = false, as_json = false;
    char err[512];
    int opt;
    while ((opt = getopt_long(argc, argv, "c:p:Vh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            config_given = true;
            break;
        case 'p':
            if (tr_config_set(cfg, "broker.port", optarg, TR_CONFIG_SRC_CLI, err, sizeof(err))) {
                fprintf(stderr, "truckrolld: %s\n", err);
                return 2;
            }
            break;
        case 'P':
            print_config = true;
            break;
        case 'J':
            as_json = true;
            break;
        case 'V':
            printf("truckrolld %s\n", TR_VERSION);
            return 1;
        case 'h':
            usage(stdout);
            return 1;
        default:
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "truckrolld: unexpected argument '%s' (try --help)\n", argv[optind]);
        return 2;
    }
    if (tr_config_load_file(cfg, config_path, config_given ? 0 : TR_CONFIG_MISSING_OK, err,
                            sizeof(err)) != TR_CONFIG_OK ||
        tr_config_load_env(cfg, err, sizeof(err)) != TR_CONFIG_OK) {
        fprintf(stderr, "truckrolld: %s\n", err);
        return 2;
    }
    if (print_config) {
        if (as_json)
            tr_config_print_json(cfg, stdout);
        else
            tr_config_print(cfg, stdout);
        return 1;
    }
    return 0;
}

/* The one-line summary for `systemctl status`; sent when it changes. */
static void notify_status(struct app *a, char *last, size_t cap)
{
    char line[200];
    bool up = tr_mqtt_is_connected(a->mqtt);
    snprintf(line, sizeof(line), "serving: broker %s, %lu open jobs (%lu unassigned)",
             up ? "connected" : "unreachable, retrying", atomic_load(&a->n.jobs_open_now),
             atomic_load(&a->n.jobs_unassigned_now));
    if (strcmp(line, last) == 0)
        return;
    snprintf(last, cap, "%s", line);
    tr_notify_status("%s", line);
}

int main(int argc, char **argv)
{
    static struct app app; /* large, and referenced from paho's thread */
    struct tr_config *cfg = NULL;
    char err[512];
    int status = 1;

    tr_log_set_ident("truckrolld");
    if (tr_config_new(&cfg, tr_app_options, tr_app_n_options, &app.set, sizeof(app.set),
                      "TRUCKROLL_", err, sizeof(err)) != TR_CONFIG_OK ||
        tr_config_load_args(cfg, &argc, argv, err, sizeof(err)) != TR_CONFIG_OK) {
        fprintf(stderr, "truckrolld: %s\n", err);
        tr_config_free(cfg);
        return 2;
    }
    int p = parse(cfg, argc, argv);
    tr_config_free(cfg);
    if (p != 0)
        return p == 1 ? 0 : 2;
    if (tr_app_agent_config(&app.set, &app.agent_cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "truckrolld: %s\n", err);
        return 2;
    }
    tr_log_set_level((enum tr_log_level)app.set.log_level);
    tr_mqtt_global_init(); /* before any session: OpenSSL only with broker.tls */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    tr_notify_status("starting: opening the store, recovering open jobs, connecting to %s:%d",
                     app.set.broker_host, app.set.broker_port);
    if (tr_app_start(&app) == 0) {
        time_t last_stats = time(NULL), last_status = 0;
        char status_line[200] = "";
        notify_status(&app, status_line, sizeof(status_line));
        tr_notify_ready();
        while (!stop_requested) {
            struct timespec tick = { 0, 50 * 1000000L };
            nanosleep(&tick, NULL);
            if (time(NULL) != last_status) {
                last_status = time(NULL);
                notify_status(&app, status_line, sizeof(status_line));
            }
            if (app.set.stats_interval_s > 0 &&
                time(NULL) - last_stats >= app.set.stats_interval_s) {
                last_stats = time(NULL);
                tr_app_log_stats(&app, "counters");
            }
        }
        tr_log_info("stopping");
        tr_notify_stopping();
        tr_notify_status("stopping: flushing positions and the outbox");
        status = 0;
    } else {
        tr_notify_status("failed to start (see the journal)");
    }
    tr_app_stop(&app);
    tr_app_log_stats(&app, "final counters");
    return status;
}
