/*
 * fieldagent/app/main.c: truckroll-agent's entry point. A subcommand as the
 * first argument makes it a client of the running agent (client.c);
 * otherwise (`run`, or nothing) it is the daemon (agent.c). This file holds
 * the only mutable static: the signal flag.
 *
 * Memory (SPEC: resident private memory <= 2 MB): before anything allocates,
 * glibc's malloc gets a fixed mmap threshold (a fixed value also turns off
 * its dynamic threshold, which a freed 1 MB config-file buffer would raise to
 * 1 MB, so the 512 KB GPX/config read buffers of start-up then land in the
 * heap and stay resident as a hole below later allocations) and one arena
 * for all threads (paho's two threads and the session's reconnect thread
 * would otherwise each get an arena of their own); and paho is told not to
 * initialise OpenSSL unless broker.tls is set (tr_mqtt_global_init).
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/mqtt.h"
#include "fieldagent/app/agent.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

int main(int argc, char **argv)
{
    struct agent_settings s;
    struct tr_config *cfg = NULL;
    const char *cfg_path = AGENT_DEFAULT_CONFIG;
    bool cfg_given = false, print = false, json = false;
    int rc, nargs = 0;
    char *args[argc + 1];

    mallopt(M_MMAP_THRESHOLD, 64 * 1024);
    mallopt(M_ARENA_MAX, 1);
    signal(SIGPIPE, SIG_IGN);
    if (argc > 1 && agent_is_subcommand(argv[1]))
        return agent_client_main(argc, argv);
    /* the daemon's own flags; --x.y=v settings go to the config loader */
    args[nargs++] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (i == 1 && strcmp(argv[i], "run") == 0)
            continue;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            agent_usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("truckroll-agent %s\n", TR_VERSION);
            return 0;
        }
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            cfg_path = argv[++i];
            cfg_given = true;
        } else if (strcmp(argv[i], "--print-config") == 0) {
            print = true;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--exit-after-replay") == 0) {
            args[nargs++] = "--gps.exit_after_replay=true";
        } else {
            args[nargs++] = argv[i];
        }
    }
    args[nargs] = NULL;
    if ((rc = agent_settings_load(&s, &nargs, args, cfg_path, cfg_given, &cfg)) != 0)
        return rc;
    if (nargs > 1) {
        fprintf(stderr, "truckroll-agent: unknown argument %s (see --help)\n", args[1]);
        tr_config_free(cfg);
        return 2;
    }
    if (print) {
        rc = json ? tr_config_print_json(cfg, stdout) : tr_config_print(cfg, stdout);
        tr_config_free(cfg);
        return rc ? 3 : 0;
    }
    tr_config_free(cfg);
    tr_log_set_ident("truckroll-agent");
    tr_log_set_level((enum tr_log_level)s.log_level);

    /* before any MQTT session: OpenSSL only when broker.tls is set (memory) */
    tr_mqtt_global_init();

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    return agent_run(&s, &stop_flag);
}
