/*
 * tests/support/dispatcher_harness.h: end-to-end tests of truckrolld through
 * a real broker (library tr_testsupport_dispatcher).
 *
 * struct trd runs a private mosquitto (tests/support/broker.h) and the real
 * truckrolld as a child process with a generated config, a real SQLite file
 * in a fresh temp dir and its log in that dir; it can SIGKILL and restart the
 * daemon on the same database, and knows it is serving when the retained
 * truckroll/v1/dispatcher/state says online with a ts after the spawn.
 * struct trd_agent is a fake field agent: its own tr_mqtt session, publishing
 * presence, positions, offer answers and job events with fresh message ids,
 * and collecting its inbox (offers, assignments, cancellations, errors)
 * decoded. struct trd_console sends console requests (MQTT v5 response topic
 * and correlation data, or reply_to over MQTT 3.1.1) and waits for the
 * answer.
 *
 * Every wait is bounded; nothing here asserts on elapsed time. Children are
 * stopped by PID. Not thread-safe except where noted: call from the test's
 * main thread (the inbox is filled on paho's thread under a mutex).
 */
#ifndef TR_TEST_DISPATCHER_HARNESS_H
#define TR_TEST_DISPATCHER_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/msg.h"
#include "tests/support/broker.h"

#define TRD_MAX_ARGS 32

struct trd {
    struct trt_broker broker;
    char exe[512];
    char dir[256];
    char db[320];
    char log[320];
    char args[TRD_MAX_ARGS][400]; /* extra --key=value arguments */
    int n_args;
    pid_t pid;
    int starts;
    bool keep; /* keep the temp dir (set on failure) */
    struct trd_watch *watch;
};

/* Start a broker and truckrolld (exe) with the default test settings plus
 * args (NULL-terminated list of "--key=value", may be NULL). 0 when the
 * daemon is serving. */
int trd_start(struct trd *d, const char *exe, const char *const *args);
/* The same with lines appended to the broker's mosquitto.conf (may be NULL). */
int trd_start_conf(struct trd *d, const char *exe, const char *const *args,
                   const char *broker_conf);
/* (Re)spawn truckrolld on the same database and wait until it serves. */
int trd_spawn(struct trd *d);
/* SIGKILL and reap. */
void trd_kill9(struct trd *d);
/* SIGTERM, bounded wait; the exit status (or -1). */
int trd_stop(struct trd *d);
/* 1 while the daemon's PID is alive. */
int trd_alive(struct trd *d);
/* Stop everything and remove the temp dir (kept, with a note on stderr, when
 * d->keep or the environment has TRD_KEEP). */
void trd_finish(struct trd *d);
/* Wait until truckroll/v1/dispatcher/state says online with a ts >= t0_ms
 * (wall clock). 0, or -1 on timeout. */
int trd_wait_online_since(struct trd *d, int64_t t0_ms, int timeout_ms);
/* Number of log lines containing needle (the daemon's stderr). */
int trd_log_count(const struct trd *d, const char *needle);

/* The usual start of a test main (dispatcher_setup.c): trd_start(d, exe,
 * args), a console "tester" (MQTT v5) in *con, and the n agents ids[] in
 * pool[] (trd_agents_new). 0 when all is up; otherwise what did start is
 * left for trd_teardown. */
struct trd_console;
struct trd_agent;
int trd_setup(struct trd *d, const char *exe, const char *const *args, struct trd_console **con,
              const char *const *ids, size_t n, struct trd_agent **pool);
/* The usual end: free the n agents (NULLs ok) and the console, stop the
 * daemon, keep the temp dir when failed (or the stop was not clean), else
 * remove it. The stop's exit status (0 = clean). */
int trd_teardown(struct trd *d, struct trd_console *con, struct trd_agent **pool, size_t n,
                 bool failed);

/* ------------------------------------------------------------ agents */

struct trd_agent;

/* Connect a fake agent (client id = user = id), subscribe to its inbox. */
struct trd_agent *trd_agent_new(struct trd *d, const char *id);
/* Several at once: paho makes each further client in a process wait ~2 s
 * for its CONNACK (its receive thread's select cycle), so connect them in
 * parallel. out[i] NULL for those that failed; 0 when all connected. */
int trd_agents_new(struct trd *d, const char *const *ids, size_t n, struct trd_agent **out);
void trd_agent_free(struct trd_agent *ag); /* NULL ok; a clean disconnect */
const char *trd_agent_id(const struct trd_agent *ag);
/* The agent's boot id (its presence and positions carry it). */
const char *trd_agent_boot(const struct trd_agent *ag);
/* A fresh message id of this agent. */
void trd_agent_msgid(struct trd_agent *ag, char out[TR_MSG_ID_SIZE]);

/* Publish raw bytes on truckroll/v1/agent/{topic_agent}/{leaf} (QoS 1). */
int trd_agent_raw(struct trd_agent *ag, const char *topic_agent, const char *leaf,
                  const void *payload, size_t len);
/* Encode m (id/ts filled when empty) and publish it on the agent's leaf. */
int trd_agent_send(struct trd_agent *ag, const char *leaf, struct tr_msg *m);

/* presence online (available or not, on shift) or offline (reason "will"). */
int trd_agent_presence(struct trd_agent *ag, bool online, bool available);
/* One fix now at (lat, lon). */
int trd_agent_fix(struct trd_agent *ag, double lat, double lon);
int trd_agent_answer(struct trd_agent *ag, const char *job_id, const char *offer_id, bool accept,
                     enum tr_decline_reason why);
int trd_agent_event(struct trd_agent *ag, const char *job_id, enum tr_event_kind ev,
                    const char *note);

/* Wait for the next inbox message of `type` (about job_id when not NULL) not
 * yet taken; copy it to out (may be NULL) and mark it taken. 0, or -1 on
 * timeout. */
int trd_agent_wait(struct trd_agent *ag, enum tr_msg_type type, const char *job_id,
                   struct tr_msg *out, int timeout_ms);
/* Inbox messages of `type` (about job_id when not NULL) received so far,
 * taken or not. Thread-safe. */
int trd_agent_count(struct trd_agent *ag, enum tr_msg_type type, const char *job_id);
/* Take every inbox message of `type` not yet taken: how many. */
int trd_agent_drain(struct trd_agent *ag, enum tr_msg_type type);

/* ------------------------------------------------------------ consoles */

struct trd_console;

/* A console logged in as user (anonymous broker). v311: force MQTT 3.1.1
 * (answers come back through reply_to). */
struct trd_console *trd_console_new(struct trd *d, const char *user, bool v311);
void trd_console_free(struct trd_console *c);

/* Send request `type` with args (a JSON object as text) under a fresh id
 * (written to id_out when not NULL) and wait for the answer: 0 and *out (a
 * `response` or an `error`; tr_msg_free it), or -1 on timeout. */
int trd_request(struct trd_console *c, const char *type, const char *args, struct tr_msg *out,
                char id_out[TR_MSG_ID_SIZE], int timeout_ms);
/* The same with a given request id (a retry). */
int trd_request_id(struct trd_console *c, const char *id, const char *type, const char *args,
                   struct tr_msg *out, int timeout_ms);

/* Answers of `type` (TR_MSG_RESPONSE / TR_MSG_ERROR) received so far,
 * including answers to requests sent with trd_console_send. Thread-safe. */
int trd_console_count(struct trd_console *c, enum tr_msg_type type);
/* Publish raw bytes on the request topic with this console's response
 * topic (v5) and no wait. */
int trd_console_send(struct trd_console *c, const void *payload, size_t len);

/* Conveniences over trd_request (timeouts of 10 s). */
/* job.create at (lat, lon) needing skills ("a,b"), language (NULL = any),
 * max radius (0 = default): the job id in id, 0 on success. */
int trd_job_create(struct trd_console *c, double lat, double lon, const char *skills,
                   const char *lang, double max_radius_km, char id[TR_MSG_ID_SIZE]);
/* job.show: 0 and *job (the job as stored), -1 on failure. */
int trd_job_show(struct trd_console *c, const char *job_id, struct tr_job *job);
/* contractor.add with the given extra JSON members (e.g. "\"tier\":2,...";
 * may be NULL): 0 on success. */
int trd_contractor_add(struct trd_console *c, const char *id, const char *skills, const char *langs,
                       const char *tz_name, const char *extra);

/* contractor.add (timezone "UTC" when NULL; extra as for trd_contractor_add),
 * then a connected fake agent online, available, at (lat, lon), and wait
 * until the dispatcher lists it available. NULL on failure. */
struct trd_agent *trd_ready(struct trd *d, struct trd_console *c, const char *id,
                            const char *skills, const char *langs, const char *tz_name,
                            const char *extra, double lat, double lon);
/* The same for an agent already connected: 0 on success. */
int trd_enroll(struct trd_console *c, struct trd_agent *ag, const char *skills, const char *langs,
               const char *tz_name, const char *extra, double lat, double lon);
/* Wait until contractor.list says the contractor is (not) available:
 * 0, or -1 on timeout. */
int trd_wait_available(struct trd_console *c, const char *id, bool available, int timeout_ms);

/* Wait until job.show says state (bounded): 0, or -1 with the last state in
 * *last (may be NULL). */
int trd_wait_state(struct trd_console *c, const char *job_id, enum tr_job_state state,
                   int timeout_ms, enum tr_job_state *last);

/* A point km kilometres north and east of (lat, lon). */
void trd_offset_km(double lat, double lon, double north_km, double east_km, double *olat,
                   double *olon);

#endif
