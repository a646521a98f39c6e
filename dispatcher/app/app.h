/*
 * dispatcher/app/app.h: the shell of truckrolld, shared by the app/ files
 * (not a public header).
 *
 * THREADS (the design in one place):
 *
 *   paho's receive thread   runs the tr_mqtt callbacks (ingest.c). It only
 *                           copies each message into a bounded queue, and
 *                           PUBACK cookies / connection changes into small
 *                           lists, then wakes the worker (for positions
 *                           once per batch: tr_ingest_wait). When the queue is
 *                           full it waits (back-pressure through TCP to the
 *                           broker), it never parses or touches SQLite: the
 *                           ingest figure (>= 80 % of a do-nothing paho
 *                           subscriber) depends on it.
 *
 *   the worker thread       (worker.c) owns the engine, the record group of
 *                           the store, the sender table, the time zones, the
 *                           request caches and the publisher. It decodes
 *                           (bus/route), dedupes, feeds the engine, executes
 *                           the engine's actions (actions.c: each TRANSITION
 *                           and its messages in ONE durable commit, then
 *                           publish from the outbox), answers console
 *                           requests (requests*.c), ticks the engine at
 *                           engine.tick_ms, re-evaluates working hours
 *                           (shifts.c) and batches positions for the writer.
 *                           The engine is single-threaded: no locks inside.
 *
 *   the positions writer    (poswriter.c) owns the positions group of the
 *                           store: it appends history batches (~1000 rows or
 *                           50 ms per transaction) and flushes the in-memory
 *                           last positions, in FIFO order, so a job
 *                           transition never waits behind a position write.
 *
 *   the main thread         (main.c) loads the config, runs recovery
 *                           (recovery.c) before the other threads start,
 *                           then handles signals and logs counters; on
 *                           SIGTERM it stops the worker and the writer, which
 *                           flush what they hold, and disconnects.
 *
 * Shared between threads: the ingest queue (its own mutex), the counters
 * (atomics), the MQTT session (thread-safe), the stop flag (atomic).
 */
#ifndef TR_APP_H
#define TR_APP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/config.h"
#include "common/msg.h"
#include "common/mqtt.h"
#include "common/tz.h"
#include "dispatcher/bus/agents.h"
#include "dispatcher/bus/compose.h"
#include "dispatcher/bus/lru.h"
#include "dispatcher/bus/route.h"
#include "dispatcher/core/engine.h"
#include "dispatcher/geo/boundary.h"
#include "dispatcher/store/store.h"

/* ------------------------------------------------------------- settings */

struct settings {
    char broker_host[256];
    int broker_port;
    char broker_user[65];
    char broker_password_file[512];
    bool broker_tls;
    char broker_ca_file[512];
    char client_id[65];
    int broker_protocol; /* 0 auto, 1 v5, 2 3.1.1 */
    int max_inflight;
    int log_level;
    int stats_interval_s;
    int error_replies_per_s;
    char db_path[512];
    char zoneinfo_dir[512];
    char geo_data[512];
    int ingest_queue;
    int tick_ms;
    int recovery_grace_ms;
    int positions_batch;
    int positions_batch_ms;
    int last_flush_ms;
    int max_senders;
    int request_cache;
    /* engine */
    int capacity;
    int offer_timeout_ms;
    int presence_fresh_ms;
    int fix_fresh_ms;
    int max_future_skew_ms;
    double detour_factor;
    double speed_car, speed_motorcycle, speed_bicycle, speed_foot;
    double base_radius_km;
    double max_radius_km;
    char widen[128];
    int max_attempts;
    int release_after_ms;
    double eta_tie_s;
    int retry_min_interval_ms;
    int reason_refresh_ms;
    /* fleet_feed: the live map feed (fleetfeed.c) */
    bool fleet_enabled;
    int fleet_min_interval_s;
    int fleet_max_per_s;
    double fleet_move_m;
    int fleet_sweep_ms;
    /* agents: reporting settings pushed to every agent (agent_config) */
    double agents_threshold_m;
    int agents_max_interval_s;
    int agents_heartbeat_s;
};

extern const struct tr_config_option tr_app_options[];
extern const size_t tr_app_n_options;

/* Engine tunables from the settings; -1 with a message in err when the widen
 * list does not parse. */
int tr_app_engine_params(const struct settings *s, struct tr_engine_params *p, char *err,
                         size_t errlen);
/* The agent_config the agents.* settings ask for (cfg->has_* false for
 * each left at 0, all false: none is sent); -1 with a message in err when
 * one is out of range or would make a parked agent look offline or stale
 * to this dispatcher (engine.presence_fresh_ms, engine.fix_fresh_ms) once
 * the agent's policy has applied it. */
int tr_app_agent_config(const struct settings *s, struct tr_agent_config *cfg, char *err,
                        size_t errlen);

/* ------------------------------------------------------------- counters */

struct counters {
    _Atomic unsigned long received;
    _Atomic unsigned long accepted;
    _Atomic unsigned long rejected[TR_ROUTE_ERR_COUNT];
    _Atomic unsigned long by_kind[5];
    _Atomic unsigned long fixes, fixes_dup, fixes_rejected, positions_written;
    _Atomic unsigned long duplicates, unknown_agent, refused, stale_presence;
    _Atomic unsigned long error_replies, error_replies_dropped;
    _Atomic unsigned long requests, responses;
    _Atomic unsigned long jobs_created, jobs_assigned, jobs_completed, jobs_failed;
    _Atomic unsigned long jobs_cancelled, transitions, commit_failures, resyncs;
    _Atomic unsigned long outbox_published, outbox_delivered, outbox_expired, republished;
    _Atomic unsigned long queue_waits;
    _Atomic unsigned long jobs_unassigned_now, jobs_open_now;
    _Atomic unsigned long fleet_published, fleet_cleared, fleet_deferred; /* fleetfeed.c */
    _Atomic unsigned long agent_configs; /* agent_config messages sent */
};

/* ------------------------------------------------------------- ingest */

/* One received message, copied out of paho's buffers (one allocation). */
struct inmsg {
    char *topic;
    char *payload;
    size_t len;
    char *resp_topic; /* v5 response topic, NUL-terminated, or NULL */
    char *corr;       /* v5 correlation data, or NULL */
    size_t corr_len;
    int64_t received_ms;
    uint64_t jseq; /* receive-journal sequence number; 0: not journaled */
};

/* The receive journal (journal.c): paho acknowledges a QoS 1 message before
 * the callback sees it, so everything but positions is appended (write(),
 * which survives the process) before it is queued, and replayed at the next
 * start if the worker had not finished with it. Guarded by ingest.mu. */
struct journal {
    int fd; /* -1: off */
    char path[600];
    uint64_t appended;
    _Atomic uint64_t processed;
    uint64_t bytes;
    bool failed; /* a write failed: logged once */
};

struct ingest {
    pthread_mutex_t mu;
    pthread_cond_t wake;     /* worker waits here */
    pthread_cond_t not_full; /* paho's thread waits here when the queue is full */
    struct inmsg **ring;
    size_t cap, head, count;
    uint64_t *done; /* PUBACK cookies; bit 63 set: undelivered */
    size_t n_done, cap_done;
    int conn_events;   /* connection changes not yet seen by the worker */
    bool session_lost; /* a connect found no session: republish everything */
    bool reconnected;  /* a connect happened: the retained online state goes out again */
    bool worker_waiting;
    bool urgent;      /* something other than a position is queued */
    int64_t since_ms; /* when the oldest queued message was received */
    atomic_bool stop;
    struct journal j;
};

int tr_ingest_init(struct ingest *q, size_t cap);
/* One allocation holding copies of everything (rt / corr may be NULL). */
struct inmsg *tr_inmsg_new(const char *topic, const void *payload, size_t len, const char *rt,
                           size_t rt_len, const void *corr, size_t corr_len);
void tr_ingest_destroy(struct ingest *q); /* frees what is still queued */
/* Worker, with q->mu held: sleep until something needs the worker or until
 * until_ms (CLOCK_REALTIME ms). Positions alone end the sleep only once a
 * batch of them is queued or the oldest has waited a few ms: one wake-up per
 * batch, not per message. Anything else ends it at once. */
void tr_ingest_wait(struct ingest *q, int64_t now_ms, int64_t until_ms);
/* Worker, with q->mu held: move up to max queued messages to out (FIFO),
 * wake a waiting producer; returns how many. */
size_t tr_ingest_take(struct ingest *q, struct inmsg **out, size_t max);
extern const struct tr_mqtt_callbacks tr_ingest_callbacks; /* user = struct app * */

/* ------------------------------------------------------------- app */

struct publisher;
struct shifts;
struct poswriter;
struct fleetfeed;

struct app {
    struct settings set;
    struct counters n;
    struct ingest in;
    struct tr_mqtt *mqtt;
    struct tr_store *store;
    struct tr_engine *eng;
    struct tr_tz_set *tz;
    struct tr_geo_boundaries *geo; /* NULL: no region tagging */
    struct tr_agents *senders;
    struct tr_lru *answers; /* "user\nrequest id" -> encoded answer */
    struct publisher *pub;
    struct shifts *shifts;
    struct poswriter *pw;
    struct fleetfeed *ff; /* the live map feed; NULL: off */
    pthread_t worker;
    bool worker_started;
    atomic_bool stop;
    char boot_id[33];
    uint64_t msg_counter;             /* worker thread only */
    int64_t serving_since;            /* worker: when the recovery grace ends */
    struct tr_msg scratch;            /* worker: a decoded outgoing message */
    struct tr_agent_config agent_cfg; /* from agents.* (tr_app_agent_config); none set: not sent */
};

/* app.c: up (0, or -1 after logging why) and down in order; counter lines */
int tr_app_start(struct app *a);
void tr_app_stop(struct app *a);
/* Publish the retained dispatcher/state (online or not). After every
 * connect too: a lost connection made the broker publish the will
 * (offline), which consoles check before sending. */
void tr_app_publish_state(struct app *a, bool online);
void tr_app_log_stats(struct app *a, const char *what);

int64_t tr_app_now_ms(void);
/* A fresh message id "d-<boot>-<n>" (worker thread). */
void tr_app_msgid(struct app *a, char out[TR_MSG_ID_SIZE]);

/* journal.c */
int tr_journal_open(struct app *a); /* replays what a crash left, then truncates */
void tr_journal_append(struct journal *j, struct inmsg *m); /* under ingest.mu */
void tr_journal_trim(struct app *a); /* worker: empty the file when all is processed */
void tr_journal_close(struct journal *j);

/* worker.c */
int tr_worker_start(struct app *a);
/* Decode, route and act on one received message (worker thread, or the main
 * thread before the worker starts). */
void tr_worker_handle(struct app *a, struct inmsg *im);
void tr_worker_stop(struct app *a);
/* Execute the engine's actions of the last call (actions.c). now_ms: the
 * time given to that call. */
void tr_actions_run(struct app *a, int64_t now_ms);
/* Group commit of a worker pass (actions.c): every record-group store write
 * between begin and end is made durable by ONE commit at end, which returns
 * how many steps it held. When that commit fails the process exits at once
 * (as a crash would): the engine, caches and replies are ahead of the disk,
 * and the restart rebuilds them from the store and the receive journal. */
void tr_actions_batch_begin(struct app *a);
size_t tr_actions_batch_end(struct app *a);
/* Forget a job in the engine and load it again from the store. */
void tr_actions_resync(struct app *a, const char *job_id, int64_t now_ms);
/* One line per job transition at info: the job's story. */
void tr_story_created(const struct tr_store_job *j, const char *actor);

/* agentmsg.c: a decoded message from an agent topic */
void tr_agentmsg_handle(struct app *a, struct tr_route_msg *rm, int64_t now_ms);
/* an `error` to an agent's inbox (rate limited per agent) */
void tr_agentmsg_error(struct app *a, const char *agent_id, const char *corr,
                       enum tr_wire_code code, const char *field, const char *text);

/* requests.c */
void tr_requests_handle(struct app *a, struct tr_route_msg *rm, const struct inmsg *im,
                        int64_t now_ms);
/* An error reply to a request whose payload could not be decoded. */
void tr_requests_reject(struct app *a, const struct inmsg *im, const struct tr_route_msg *rm,
                        const struct tr_msg_error *err, int route_rc);

/* publisher.c: the durable outbox and transient replies */
int tr_publisher_new(struct app *a, struct publisher **out);
void tr_publisher_free(struct publisher *p);
void tr_publisher_outbox_changed(struct publisher *p);
/* Queue a transient message (response, error): not durable, QoS 1. topic,
 * payload and correlation are copied. */
void tr_publisher_transient(struct publisher *p, const char *topic, const char *payload, size_t len,
                            const void *corr, size_t corr_len);
void tr_publisher_delivered(struct publisher *p, uint64_t cookie, bool ok);
void tr_publisher_session_lost(struct publisher *p);
/* Hand what can be handed to paho; delete acknowledged rows. */
void tr_publisher_run(struct publisher *p, int64_t now_ms);
size_t tr_publisher_inflight(const struct publisher *p);

/* shifts.c: working hours -> engine on_shift */
int tr_shifts_new(struct shifts **out);
void tr_shifts_free(struct shifts *s);
/* Evaluate c now, tell the engine, and schedule its next change. */
void tr_shifts_update(struct app *a, const struct tr_contractor *c, int64_t now_ms);
/* Re-evaluate contractors whose status changes at or before now. */
void tr_shifts_run(struct app *a, int64_t now_ms);

/* poswriter.c */
int tr_poswriter_start(struct app *a, struct poswriter **out);
/* Append one position to the current history batch. */
void tr_poswriter_add(struct poswriter *w, const char *agent, const char *boot,
                      const struct tr_fix *fix, int64_t received);
/* Hand the batch to the writer when it is full or old; flush the dirty last
 * positions every last_flush_ms (force: both now). */
void tr_poswriter_run(struct app *a, struct poswriter *w, int64_t now_ms, bool force);
void tr_poswriter_stop(struct poswriter *w); /* drains, joins, frees; NULL ok */
/* Queue a checkpoint of the record's WAL on the writer thread (worker; never
 * waits; a no-op while one is queued or running). */
void tr_poswriter_checkpoint(struct poswriter *w);

/* fleetfeed.c: the live map feed, truckroll/v1/fleet/<contractor_id> (QoS 0,
 * retained; schemas/topics.md). run: worker thread, every turn; it never
 * blocks and is a no-op before the recovery grace ends or when disabled. */
int tr_fleetfeed_new(struct fleetfeed **out);
void tr_fleetfeed_free(struct fleetfeed *f); /* NULL ok */
void tr_fleetfeed_run(struct app *a, int64_t now_ms);

/* recovery.c: rebuild the engine and caches from the store (main thread,
 * before the worker starts). */
int tr_recovery_run(struct app *a, int64_t now_ms);
/* Build the engine's record of one open job and recover it (also resync). */
int tr_recovery_job(struct app *a, const struct tr_store_job *j, int64_t now_ms);

#endif
