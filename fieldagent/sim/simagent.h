/*
 * fieldagent/sim/simagent.h: one simulated field agent, many per process.
 *
 * Each simulated agent is a field agent built from the real agent's parts:
 * its own MQTT session (common/mqtt.h: its own broker credentials, client
 * id = agent id, persistent session, retained presence with a last will),
 * the inbox gate and topics (fieldagent/bus), the handheld's job state
 * machine with arrival detection (fieldagent/core/jobs.h), the reporting
 * policy (fieldagent/core/policy.h) and a durable SQLite outbox
 * (fieldagent/store/outbox.h, one file per agent). Instead of gpsd it
 * replays real drives (route.h over data/tracks, through the GPX replay
 * helper), and instead of a tech at the control socket a script answers:
 * it accepts most offers, declines some with a reason (always "busy" while
 * it holds a job), drives to the site (en route), confirms the arrival the
 * detector suggests (on site), works a while and reports completed, or
 * now and then failed with a note or escalate.
 *
 * Threads: paho's thread runs the callbacks, which only append to the run's
 * shared struct tr_sim_queue (a locked, growing array) and write a byte to
 * its pipe; everything else runs on the caller's one thread, which drains
 * the queue (tr_sim_queue_take) and hands each event to its agent.
 *
 * What it does not do: persist its job state between runs (the outbox is
 * durable, the jobs live in memory), the control socket, or gpsd.
 */
#ifndef TR_SIM_AGENT_H
#define TR_SIM_AGENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"
#include "fieldagent/gps/gpx.h"
#include "fieldagent/sim/fleet.h"

/* ------------------------------------------------------------ the queue */

enum tr_sim_ev_kind {
    TR_SIM_EV_MESSAGE,
    TR_SIM_EV_DELIVERED,
    TR_SIM_EV_UNDELIVERED,
    TR_SIM_EV_CONN
};

struct tr_sim_ev {
    size_t agent; /* index given to tr_sim_agent_new */
    enum tr_sim_ev_kind kind;
    uint64_t cookie;
    int up, session_present;
    char *topic; /* MESSAGE: malloc'ed copies, freed by tr_sim_ev_clear */
    char *payload;
    size_t len;
};

struct tr_sim_queue {
    pthread_mutex_t mu;
    int pipe_rd, pipe_wr;
    struct tr_sim_ev *ev;
    size_t n, cap;
    uint64_t dropped; /* events lost (out of memory) */
};

int tr_sim_queue_init(struct tr_sim_queue *q);
void tr_sim_queue_destroy(struct tr_sim_queue *q); /* frees what is left */
/* Move every queued event to *out (the caller frees each with
 * tr_sim_ev_clear, then the array with free). Returns how many. */
size_t tr_sim_queue_take(struct tr_sim_queue *q, struct tr_sim_ev **out);
void tr_sim_ev_clear(struct tr_sim_ev *e);

/* ------------------------------------------------------------ the agents */

/* What every agent of a run shares. Times marked "simulated" are divided by
 * speed; "real" ones are not (the dispatcher's clock is real). */
struct tr_sim_opts {
    const char *host;
    int port;
    bool tls;
    const char *ca_file; /* NULL: the system's */
    int keepalive_s;
    const char *state_dir;           /* outboxes: <state_dir>/<id>.db */
    double speed;                    /* driving and on-site work run this much faster (>= 1) */
    double decline_p;                /* share of offers declined when free (0..1) */
    double fail_p;                   /* share of jobs that fail on site (note) */
    double escalate_p;               /* share of jobs handed up on site (note) */
    double think_min_s, think_max_s; /* real seconds before answering an offer */
    double work_min_s, work_max_s;   /* simulated seconds on site */
    double roam_p;                   /* share of agents that drive their track while idle */
    int presence_heartbeat_s;
    uint64_t seed;
};

void tr_sim_opts_default(struct tr_sim_opts *o);

struct tr_sim_agent;

struct tr_sim_agent_stats {
    bool connected;
    enum tr_agent_mode mode;
    uint64_t offers, accepted, declined, expired, cancelled;
    uint64_t en_route, on_site, completed, failed, escalated;
    uint64_t fixes, reports, published, acked;
    uint64_t inbox_rejected, inbox_errors, outbox_errors;
    int64_t outbox_events, outbox_positions;
    uint64_t presence_sent;
};

/*
 * Set up agent `index` for member m, driving cut-outs of track (borrowed:
 * must outlive the agent; its name for the log), with its broker password
 * (NULL: none; not kept after tr_sim_agent_start). Opens the outbox.
 * Returns NULL with a reason in err.
 */
struct tr_sim_agent *tr_sim_agent_new(const struct tr_sim_member *m, size_t index,
                                      const struct tr_gpx *track, const char *track_name,
                                      const struct tr_sim_opts *o, struct tr_sim_queue *q,
                                      int64_t now, char *err, size_t errlen);
/* Start connecting (returns at once). 0, or -1 (logged). */
int tr_sim_agent_start(struct tr_sim_agent *a, const char *password);
/* One event from the queue for this agent. */
void tr_sim_agent_handle(struct tr_sim_agent *a, const struct tr_sim_ev *e, int64_t now);
/* Everything due at now: answers, job steps, fixes, reports, presence, the
 * outbox pump. */
void tr_sim_agent_step(struct tr_sim_agent *a, int64_t now);
/* When the agent next wants a step (its clock), at most now + 1000. */
int64_t tr_sim_agent_wake(const struct tr_sim_agent *a, int64_t now);
/* Publish the shutdown presence (retained). Then call tr_sim_agent_handle
 * until tr_sim_agent_stopped, bounded by the caller. */
void tr_sim_agent_stop(struct tr_sim_agent *a);
bool tr_sim_agent_stopped(const struct tr_sim_agent *a);
/* Commit the outbox's pending positions and acknowledgements now (before the
 * final status, which counts what is stored). */
void tr_sim_agent_commit(struct tr_sim_agent *a);
/* Disconnect (no will), close the outbox, free. NULL ok. */
void tr_sim_agent_free(struct tr_sim_agent *a);

const char *tr_sim_agent_id(const struct tr_sim_agent *a);
void tr_sim_agent_get_stats(const struct tr_sim_agent *a, struct tr_sim_agent_stats *out);

#endif
