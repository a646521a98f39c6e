/*
 * tests/integration/agent_harness.h: what the truckroll-agent integration
 * tests share (library tr_agent_harness): run the real truckroll-agent
 * binary (through the cross emulator when one is given), talk to its control
 * socket and run its subcommands, write GPX tracks, and a "dispatcher" MQTT
 * observer that records what the agent published and checks exactly-once,
 * in-order delivery after dedupe by (boot, seq) and by message id.
 *
 * Children are started with posix_spawn (fork() hangs under qemu-user).
 * Every wait is bounded; nothing asserts on elapsed time. Not thread-safe
 * except the observer's callbacks, which take its lock.
 */
#ifndef TR_AGENT_HARNESS_H
#define TR_AGENT_HARNESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/mqtt.h"

/* How to run the agent binary: argv[0..n) before its own arguments
 * (the emulator and its options, then the binary). */
struct ah_exec {
    const char *argv[8];
    int n;
};
/* From the test's argv: BIN [EMULATOR ARGS...]. */
void ah_exec_init(struct ah_exec *x, int argc, char **argv);

struct ah_agent {
    pid_t pid;
    char dir[256]; /* temp dir: outbox, state, socket, log */
    char sock[320];
    char db[320];
    char log[320];
    char id[65];
};

/* Make a temp dir for an agent called id (not started). */
int ah_agent_init(struct ah_agent *a, const char *id);
/* Start it with the common settings (id, broker port, store, socket, no
 * config file) plus extra "--x.y=v" arguments (NULL-terminated list), and
 * wait (bounded) until its control socket answers. 0 on success. */
int ah_agent_start(struct ah_agent *a, const struct ah_exec *x, int broker_port,
                   const char *const *extra);
/* SIGKILL / SIGTERM and reap; the files stay. SIGTERM returns the exit
 * status (or -1). */
void ah_agent_kill9(struct ah_agent *a);
int ah_agent_stop(struct ah_agent *a);
int ah_agent_alive(struct ah_agent *a);
/* Remove the temp dir (the agent must be stopped). */
void ah_agent_cleanup(struct ah_agent *a);
/* Print the tail of the agent's log to stderr (on failure). */
void ah_agent_dump_log(const struct ah_agent *a);

/* One request line on the control socket; the reply (malloc'ed, no
 * newline) or NULL. */
char *ah_ctl(const struct ah_agent *a, const char *line);
/* A number from the status answer by dotted path ("counters.fixes",
 * "seq", "outbox.positions"); NAN when absent. */
double ah_status_num(const struct ah_agent *a, const char *path);
/* A string from the status answer ("mode"), copied; "" when absent. */
void ah_status_str(const struct ah_agent *a, const char *path, char *out, size_t cap);
/* Wait until status number path >= want (bounded). 1 when reached. */
int ah_wait_status(const struct ah_agent *a, const char *path, double want, int timeout_ms);
/* Run `truckroll-agent ARGS... --socket SOCK` (args NULL-terminated);
 * stdout into out (may be NULL). Returns the exit code, -1 on failure. */
int ah_cli(const struct ah_agent *a, const struct ah_exec *x, char *out, size_t cap, ...);
/* The same without --socket (the daemon itself, a config check). */
int ah_run(const struct ah_agent *a, const struct ah_exec *x, char *out, size_t cap, ...);
/* The same without waiting (a `watch`): stdout into out_path; its pid, or -1. */
pid_t ah_cli_start(const struct ah_agent *a, const struct ah_exec *x, const char *out_path, ...);

/* A GPX 1.1 track of n points, one per second from 2024-01-01T00:00:00Z,
 * moving step_m metres east per point from (lat, lon) (0: standing still),
 * with <speed>. 0 on success. */
int ah_write_gpx(const char *path, size_t n, double lat, double lon, double step_m);
/* ah_write_gpx into the agent's directory as name, and "--gps.replay=PATH"
 * into arg (cap bytes) for ah_agent_start. 0 on success. */
int ah_agent_track(const struct ah_agent *a, const char *name, size_t n, double lat, double lon,
                   double step_m, char *arg, size_t cap);

/* ---- the observer: a "dispatcher" that records the agent's messages ---- */
#define AH_MAX_BOOTS  8
#define AH_MAX_EVENTS 64
struct ah_boot {
    char id[65];
    int64_t max_seq; /* highest seq seen (dedupe) */
    int64_t unique;  /* fixes kept after dedupe */
    int64_t dups;    /* fixes dropped as duplicates */
    int64_t gaps;    /* a kept seq that was not max_seq + 1 */
};
struct ah_observer {
    pthread_mutex_t mu;
    struct tr_mqtt *m;
    int n_boots;
    struct ah_boot boots[AH_MAX_BOOTS];
    int loc_msgs;
    int n_events;                   /* deduped by message id */
    char events[AH_MAX_EVENTS][48]; /* "offer_answer:accept", "job_event:en_route" */
    char event_ids[AH_MAX_EVENTS][65];
    int event_dups;
    int presence_online, presence_will, presence_shutdown;
    char last_presence_mode[16];
};
/* Connect (user/password may be NULL) with client id cid, persistent when
 * persistent, subscribed to truckroll/v1/agent/+/{state,loc,event}. */
int ah_observer_start(struct ah_observer *o, int port, const char *cid, const char *user,
                      const char *password, int persistent);
void ah_observer_stop(struct ah_observer *o);
/* Publish a payload (QoS 1, retries while busy). */
int ah_publish(struct tr_mqtt *m, const char *topic, const char *payload, size_t len);
/* Snapshot helpers (take the lock). */
int64_t ah_observer_unique(struct ah_observer *o, const char *boot); /* boot NULL: all boots */
int ah_observer_events(struct ah_observer *o);
/* 1 when every boot's kept fixes are 1..max with no gap. */
int ah_observer_in_order(struct ah_observer *o);

/* Wait (bounded) for *counter (read under the observer's lock) >= want. */
int ah_wait_int(struct ah_observer *o, const int *counter, int want, int timeout_ms);

/* Wall clock ms (what the agent's deadlines are compared with). */
int64_t ah_wall_ms(void);

#endif
