/*
 * fieldagent/app/agent.h: truckroll-agent's shell, shared by the files of
 * fieldagent/app (not a library interface).
 *
 *   settings.c  the config table, loading (defaults, file, env, command
 *               line), --help
 *   agent.c     start, stop, the poll() loop and its timers
 *   agent_io.c  MQTT: the callback queue (paho's thread only enqueues and
 *               writes to a pipe), presence, the outbox -> publish pump
 *   agent_cmd.c inbox messages and the tech's commands -> core + outbox;
 *               status and jobs answers for the control socket
 *   state.c     the small state file (jobs, offers, the available switch)
 *   control.c   the control socket server;  client.c  the subcommands
 *
 * Everything runs on the loop's thread except the MQTT callbacks, which
 * touch only struct agent_queue.
 */
#ifndef TR_AGENT_APP_H
#define TR_AGENT_APP_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/config.h"
#include "common/mqtt.h"
#include "common/msg.h"
#include "common/tz.h"
#include "fieldagent/app/control.h"
#include "fieldagent/bus/bus.h"
#include "fieldagent/bus/pump.h"
#include "fieldagent/core/jobs.h"
#include "fieldagent/core/policy.h"
#include "fieldagent/gps/gpsd_source.h"
#include "fieldagent/gps/gpx.h"
#include "fieldagent/store/outbox.h"

#define AGENT_DEFAULT_CONFIG "/etc/truckroll/agent.conf"
#define AGENT_ENV_PREFIX     "TRUCKROLL_AGENT_"
#define AGENT_PATH_MAX       512

struct agent_settings {
    char agent_id[TR_MSG_ID_SIZE];
    char timezone[TR_MSG_TZ_SIZE];
    char hours[512];
    bool available;
    char broker_host[256];
    int broker_port;
    char broker_user[TR_MSG_ID_SIZE];
    char broker_password_file[AGENT_PATH_MAX];
    bool broker_tls;
    char broker_ca_file[AGENT_PATH_MAX];
    int broker_keepalive_s;
    int broker_reconnect_max_s;
    int send_window;
    int ack_timeout_s;
    char gps_host[256];
    int gps_port;
    char gps_replay[AGENT_PATH_MAX];
    double gps_replay_speed;
    bool gps_replay_loop;
    bool exit_after_replay;
    char store_path[AGENT_PATH_MAX];
    char state_path[AGENT_PATH_MAX];
    int store_max_positions;
    int store_max_kib;
    int store_batch;
    int store_commit_every;
    char control_socket[AGENT_PATH_MAX];
    bool report_every_fix;
    double report_threshold_m;
    int report_max_interval_s;
    int report_heartbeat_s;
    int presence_heartbeat_s;
    int arrival_dwell_s;
    double arrival_max_speed;
    int log_level;
};

/* settings.c */
extern const struct tr_config_option agent_options[];
extern const size_t agent_n_options;
/* Load the layers into s: command line (consumed from argv: --name=value
 * options; -c FILE, --print-config, --json, --help, --exit-after-replay
 * are left for the caller unless noted), the file (cfg_path; the default
 * file may be missing), the environment. Returns 0, or 2 with a message on
 * stderr. *cfg_out is the loaded table (for --print-config); free it. */
int agent_settings_load(struct agent_settings *s, int *argc, char **argv, const char *cfg_path,
                        bool cfg_given, struct tr_config **cfg_out);
void agent_usage(FILE *out);

/* ---- the callback queue (agent_io.c) ---- */
enum agent_ev_kind { AGENT_EV_MESSAGE, AGENT_EV_DELIVERED, AGENT_EV_UNDELIVERED, AGENT_EV_CONN };
struct agent_ev {
    enum agent_ev_kind kind;
    uint64_t cookie;
    int up, session_present;
    char *topic; /* MESSAGE: malloc'ed copies */
    char *payload;
    size_t len;
};
/* Inbox messages waiting for the loop at most; more are dropped (a flood).
 * PUBACKs and connection changes are never dropped: a lost PUBACK would
 * hold a place of the send window for good. */
#define AGENT_QUEUE_MSGS 96
struct agent_queue {
    pthread_mutex_t mu;
    int pipe_rd, pipe_wr;
    struct agent_ev *ev; /* a ring of cap events (grows for the acks only) */
    size_t cap, head, n;
    size_t n_msgs;           /* MESSAGE events in the ring */
    uint64_t dropped;        /* inbox messages dropped: AGENT_QUEUE_MSGS waiting, or no memory */
    uint64_t dropped_seen;   /* the loop's: dropped when it last said so in the log */
    int64_t dropped_said_ms; /* ... and when */
};

struct agent_counters {
    uint64_t fixes;         /* fixes from the GPS source */
    uint64_t reports;       /* positions put in the outbox */
    uint64_t outbox_errors; /* outbox calls that failed (the pump's: p.outbox_errors) */
    uint64_t presence_sent; /* presence publishes accepted */
    uint64_t inbox_errors;  /* `error` messages from the dispatcher */
    uint64_t configs;       /* agent_config applied */
    uint64_t configs_bad;   /* agent_config refused by the policy */
};

struct agent {
    struct agent_settings s;
    volatile sig_atomic_t *stop;
    char boot_id[33];
    uint64_t msg_counter; /* message ids: "<boot16>-<kind><n>" */
    int64_t seq;          /* last position seq of this boot */
    int64_t started_ms;

    struct agent_queue q;
    struct tr_mqtt *mq;
    struct tr_pump p; /* the outbox -> publish pump (connected, window, held item) */
    struct tr_outbox *ob;
    struct tr_bus bus;
    struct tr_jobs jobs;
    struct tr_policy policy;
    int64_t last_report_t;

    /* GPS: gpsd or a replay */
    struct tr_gpsd *gpsd;
    struct tr_gpx *gpx;
    struct tr_gpx_replay replay;
    bool replay_done;
    struct tr_fix last_fix;
    bool have_fix;
    int64_t last_fix_at; /* agent clock when it came */

    /* shift */
    struct tr_tz *tz;
    struct tr_shift hours[TR_MSG_MAX_SHIFTS];
    size_t n_hours;
    bool has_hours;
    bool on_shift;
    int64_t shift_next_ms;
    int64_t shift_at_ms; /* agent clock of the last evaluation (a step back re-evaluates) */

    /* presence */
    bool available;
    bool presence_dirty;
    bool pres_sent_valid;
    bool pres_available, pres_on_shift;
    enum tr_agent_mode pres_mode;
    int pres_jobs;
    int64_t presence_next_ms;
    int presence_heartbeat_s;

    int64_t tick_next_ms;
    bool state_dirty;
    int64_t state_retry_ms; /* a failed save is tried again from then */
    struct tr_control *ctl;
    struct agent_counters c;
};

/* agent.c */
int64_t agent_now_ms(void);
/* Run the daemon until *stop (SIGTERM/SIGINT) or the end of a replay with
 * exit_after_replay. Returns the process exit code. */
int agent_run(const struct agent_settings *s, volatile sig_atomic_t *stop);

/* agent_io.c */
int agent_queue_init(struct agent_queue *q);
void agent_queue_destroy(struct agent_queue *q);
int agent_mqtt_start(struct agent *a);
void agent_mqtt_stop(struct agent *a);
void agent_drain_queue(struct agent *a);
void agent_pump(struct agent *a);
void agent_presence_maybe(struct agent *a, int64_t now);
enum tr_agent_mode agent_mode(const struct agent *a);
void agent_msgid(struct agent *a, char out[TR_MSG_ID_SIZE], char kind);

/* agent_cmd.c */
void agent_on_inbox(struct agent *a, const char *topic, const char *payload, size_t len);
char *agent_control(void *user, const struct tr_ctl_req *req);
void agent_on_fix(struct agent *a, const struct tr_fix *fix, int64_t now);
void agent_policy_tick(struct agent *a, int64_t now);

/* agent_view.c: the status and jobs answers (malloc'ed JSON text) */
char *agent_status_json(struct agent *a, int64_t now);
char *agent_jobs_json(struct agent *a, int64_t now);

/* state.c */
int agent_state_save(struct agent *a);
int agent_state_load(struct agent *a);

/* client.c: argv[1] is a subcommand. */
bool agent_is_subcommand(const char *arg);
int agent_client_main(int argc, char **argv);

#endif
