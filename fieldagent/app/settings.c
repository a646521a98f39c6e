/*
 * fieldagent/app/settings.c: truckroll-agent's configuration table and its
 * man-page style --help. The loader itself is common/config.
 */
#include <stdio.h>
#include <string.h>

#include "fieldagent/app/agent.h"

#define S struct agent_settings

const struct tr_config_option agent_options[] = {
    { "agent.id", TR_CFG_STRING_AT(S, agent_id), "",
      .help = "this agent's id: MQTT client id, topic level and default broker user (required)" },
    { "agent.timezone", TR_CFG_STRING_AT(S, timezone), "UTC",
      .help = "the tech's IANA time zone, for agent.hours (e.g. America/Chicago)" },
    { "agent.hours", TR_CFG_STRING_AT(S, hours), "always",
      .help = "working hours, e.g. \"Mon-Fri 08:00-17:00; Sat 09:00-12:00\", always, never" },
    { "agent.available", TR_CFG_BOOL_AT(S, available), "true",
      .help = "the available switch at first start (later: as the tech last set it)" },
    { "broker.host", TR_CFG_STRING_AT(S, broker_host), "127.0.0.1", .help = "MQTT broker host" },
    { "broker.port", TR_CFG_INT_AT(S, broker_port), "1883", .min = 1, .max = 65535,
      .help = "MQTT broker port (8883 for TLS)" },
    { "broker.username", TR_CFG_STRING_AT(S, broker_user), "",
      .help = "broker user name (empty: the agent id, as the shipped ACL expects)" },
    { "broker.password_file", TR_CFG_STRING_AT(S, broker_password_file), "",
      .help = "file whose first line is this agent's broker password (empty: none)" },
    { "broker.tls", TR_CFG_BOOL_AT(S, broker_tls), "false",
      .help = "connect with TLS (required for any broker not on loopback)" },
    { "broker.ca_file", TR_CFG_STRING_AT(S, broker_ca_file), "",
      .help = "PEM CA bundle to verify the broker (empty: the system's)" },
    { "broker.keepalive_s", TR_CFG_INT_AT(S, broker_keepalive_s), "30", .min = 5, .max = 600,
      .help = "MQTT keepalive; a dead link is noticed after about 1.5 x this" },
    { "broker.reconnect_max_s", TR_CFG_INT_AT(S, broker_reconnect_max_s), "30", .min = 1,
      .max = 3600, .help = "longest wait between reconnect attempts (backoff with jitter)" },
    { "broker.window", TR_CFG_INT_AT(S, send_window), "10", .min = 1, .max = 20,
      .help = "messages published and not yet acknowledged, at most" },
    { "broker.ack_timeout_s", TR_CFG_INT_AT(S, ack_timeout_s), "60", .min = 5, .max = 3600,
      .help = "with messages in flight and none acknowledged for this long, reconnect" },
    { "gps.host", TR_CFG_STRING_AT(S, gps_host), "127.0.0.1", .help = "gpsd host" },
    { "gps.port", TR_CFG_INT_AT(S, gps_port), "2947", .min = 1, .max = 65535, .help = "gpsd port" },
    { "gps.replay", TR_CFG_STRING_AT(S, gps_replay), "",
      .help = "replay this GPX track instead of reading gpsd (tests, demos)" },
    { "gps.replay_speed", TR_CFG_DOUBLE_AT(S, gps_replay_speed), "1", .min = 0.01, .max = 1000000,
      .help = "replay speed-up (60: one track minute per second)" },
    { "gps.replay_loop", TR_CFG_BOOL_AT(S, gps_replay_loop), "false",
      .help = "start the track again after its end" },
    { "gps.exit_after_replay", TR_CFG_BOOL_AT(S, exit_after_replay), "false",
      .help = "exit once the replay ended and the outbox is sent (or after 10 s)" },
    { "store.path", TR_CFG_STRING_AT(S, store_path), "/var/lib/truckroll-agent/outbox.db",
      .help = "the durable outbox (SQLite)" },
    { "store.state_path", TR_CFG_STRING_AT(S, state_path), "",
      .help = "offers, jobs and the available switch (empty: store.path + \".state\")" },
    { "store.max_positions", TR_CFG_INT_AT(S, store_max_positions), "100000", .min = 16,
      .max = 10000000, .help = "positions kept while offline before old ones are thinned" },
    { "store.max_kib", TR_CFG_INT_AT(S, store_max_kib), "16384", .min = 64, .max = 4194304,
      .help = "outbox size budget in KiB" },
    { "store.batch_fixes", TR_CFG_INT_AT(S, store_batch), "100", .min = 1, .max = 100,
      .help = "fixes per loc message when catching up" },
    { "store.commit_every", TR_CFG_INT_AT(S, store_commit_every), "1", .min = 1, .max = 100,
      .help = "positions per SQLite commit (1: each report survives kill -9 at once; at most "
              "store.max_positions / 4)" },
    { "control.socket", TR_CFG_STRING_AT(S, control_socket), "/run/truckroll-agent/control.sock",
      .help = "UNIX socket of the subcommands (mode 0660, directory 0750)" },
    { "report.every_fix", TR_CFG_BOOL_AT(S, report_every_fix), "false",
      .help = "report every fix (fixed rate; tests and diagnosis) instead of the policy" },
    { "report.threshold_m", TR_CFG_DOUBLE_AT(S, report_threshold_m), "0", .min = 0, .max = 2000,
      .help = "en-route drift threshold, other modes scaled (0: default 45 m; else >= 5)" },
    { "report.max_interval_s", TR_CFG_INT_AT(S, report_max_interval_s), "0", .min = 0, .max = 3600,
      .help = "en-route report interval while moving (0: default; else >= 5)" },
    { "report.heartbeat_s", TR_CFG_INT_AT(S, report_heartbeat_s), "0", .min = 0, .max = 3600,
      .help = "en-route report interval standing still (0: default; else >= 30)" },
    { "presence.heartbeat_s", TR_CFG_INT_AT(S, presence_heartbeat_s), "300", .min = 30, .max = 3600,
      .help = "presence republished at least this often" },
    { "arrival.dwell_s", TR_CFG_INT_AT(S, arrival_dwell_s), "60", .min = 0, .max = 3600,
      .help = "time inside the site radius before \"arrived\" is suggested" },
    { "arrival.max_speed_mps", TR_CFG_DOUBLE_AT(S, arrival_max_speed), "2", .min = 0, .max = 50,
      .help = "faster than this inside the radius is passing by, not arriving" },
    { "log.level", TR_CFG_ENUM_AT(S, log_level), "info", .choices = "error|warn|info|debug",
      .help = "log threshold (stderr / journald)" },
};
const size_t agent_n_options = sizeof agent_options / sizeof agent_options[0];

int agent_settings_load(struct agent_settings *s, int *argc, char **argv, const char *cfg_path,
                        bool cfg_given, struct tr_config **cfg_out)
{
    char err[512];
    struct tr_config *cfg = NULL;

    *cfg_out = NULL;
    if (tr_config_new(&cfg, agent_options, agent_n_options, s, sizeof *s, AGENT_ENV_PREFIX, err,
                      sizeof err) ||
        tr_config_load_args(cfg, argc, argv, err, sizeof err) ||
        tr_config_load_file(cfg, cfg_path, cfg_given ? 0 : TR_CONFIG_MISSING_OK, err, sizeof err) ||
        tr_config_load_env(cfg, err, sizeof err)) {
        fprintf(stderr, "truckroll-agent: %s\n", err);
        tr_config_free(cfg);
        return 2;
    }
    *cfg_out = cfg;
    return 0;
}

void agent_usage(FILE *out)
{
    fputs("NAME\n"
          "    truckroll-agent - the truckroll field agent and its control commands\n"
          "\n"
          "SYNOPSIS\n"
          "    truckroll-agent [run] [-c FILE] [--NAME=VALUE ...] [--exit-after-replay]\n"
          "    truckroll-agent --print-config [--json] [-c FILE] [--NAME=VALUE ...]\n"
          "    truckroll-agent COMMAND [ARGS] [--json] [--socket PATH] [-c FILE]\n"
          "\n"
          "DESCRIPTION\n"
          "    Runs on a technician's handheld or vehicle computer. Reads GPS from gpsd\n"
          "    (or replays a GPX track), reports positions to the dispatcher through MQTT\n"
          "    as the reporting policy decides, keeps presence (retained state, last\n"
          "    will), receives offers and jobs on its inbox and sends the tech's answers\n"
          "    and progress. Every position and event goes through a durable SQLite\n"
          "    outbox first and leaves it only when the broker acknowledged it, so\n"
          "    nothing is lost while offline or across a crash.\n"
          "\n"
          "    With no COMMAND (or `run`) it is the daemon. With a COMMAND it talks to the\n"
          "    running daemon over its control socket and exits.\n"
          "\n"
          "COMMANDS\n"
          "    status                  state, GPS fix, outbox, connection, counters\n"
          "    jobs                    pending offers (with their countdown) and held jobs\n"
          "    accept [OFFER]          accept an offer (the only one pending if not named)\n"
          "    decline [OFFER] --reason R [--note TEXT]\n"
          "                            R: too_far busy lacks_skill off_shift vehicle\n"
          "                               personal other\n"
          "    enroute [JOB]           on the way          arrive [JOB]    on site\n"
          "    done [JOB] [--note N]   completed           fail [JOB] --note N\n"
          "    escalate [JOB] --note N hand up to a higher tier\n"
          "    release [JOB] [--note N] give the job back (before arriving)\n"
          "    available | unavailable the tech's own switch\n"
          "    watch [--count N] [--interval-ms MS]\n"
          "                            terminal view refreshed each second; rings the bell\n"
          "                            on a new offer; --count N (1..1000000000) stops after\n"
          "                            N screens; --json prints one line per refresh instead:\n"
          "                            {\"status\": ..., \"jobs\": ...} (no screen, no bell)\n"
          "    Command options: --json (print the daemon's JSON answer), --socket PATH\n"
          "    (default: control.socket from the configuration), -c FILE, --help.\n"
          "    Notes are 1..500 bytes (decline: 1..200).\n"
          "\n"
          "DAEMON OPTIONS\n"
          "    -c FILE              configuration file (default " AGENT_DEFAULT_CONFIG
          ", may be absent)\n"
          "    --print-config       print the effective configuration and exit (--json: as JSON)\n"
          "    --exit-after-replay  the same as --gps.exit_after_replay=true\n"
          "    -h, --help           this text\n"
          "    --version            print the version\n"
          "\n"
          "CONFIGURATION\n"
          "    Layers, lowest first: defaults, the file, the environment, the command\n"
          "    line. File syntax: `key = value` lines, `[section]` headers, `#` comments.\n"
          "\n",
          out);
    tr_config_usage(agent_options, agent_n_options, AGENT_ENV_PREFIX, out);
    fputs("\n"
          "FILES\n"
          "    " AGENT_DEFAULT_CONFIG "                  configuration\n"
          "    /var/lib/truckroll-agent/outbox.db       outbox (store.path)\n"
          "    /var/lib/truckroll-agent/outbox.db.state offers, jobs, switch\n"
          "    /run/truckroll-agent/control.sock        control socket\n"
          "\n"
          "EXIT STATUS\n"
          "    0 success; 1 the daemon refused the command (state, unknown offer, ...);\n"
          "    2 usage or configuration error; 3 the daemon cannot be reached or failed\n"
          "    to start (socket, outbox, broker settings).\n"
          "\n"
          "EXAMPLES\n"
          "    truckroll-agent -c /etc/truckroll/agent.conf\n"
          "    truckroll-agent jobs\n"
          "    truckroll-agent decline o-81aa10 --reason too_far --note \"bridge closed\"\n"
          "    truckroll-agent status --json\n"
          "\n"
          "SEE ALSO\n"
          "    /usr/share/doc/truckroll-agent/control.md (control protocol, status fields),\n"
          "    /usr/share/doc/truckroll-agent/README.md (device set-up, troubleshooting)\n",
          out);
}
