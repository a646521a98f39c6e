/*
 * fieldagent/sim/simagent_int.h: the simulated agent's insides, shared by
 * simagent.c (set-up, the tech's script, motion) and simagent_io.c (queue,
 * MQTT callbacks, presence, the outbox pump). Not an interface.
 */
#ifndef TR_SIM_AGENT_INT_H
#define TR_SIM_AGENT_INT_H

#include "common/mqtt.h"
#include "common/tz.h"
#include "fieldagent/bus/bus.h"
#include "fieldagent/bus/pump.h"
#include "fieldagent/core/jobs.h"
#include "fieldagent/core/policy.h"
#include "fieldagent/sim/simagent.h"
#include "fieldagent/store/outbox.h"

struct tr_sim_agent {
    struct tr_sim_member m;
    size_t index;
    const struct tr_sim_opts *o;
    struct tr_sim_queue *q;
    struct tr_sim_rng rng;
    char boot_id[33];
    uint64_t msg_counter;
    int64_t seq; /* last position seq of this boot */
    int64_t last_report_t;

    struct tr_mqtt *mq;
    struct tr_pump p; /* the outbox -> publish pump; p.stopping: shutdown sent */
    struct tr_outbox *ob;

    struct tr_bus bus;
    struct tr_jobs jobs;
    struct tr_policy policy;

    /* shift */
    struct tr_tz *tz;
    struct tr_shift hours[TR_MSG_MAX_SHIFTS];
    size_t n_hours;
    bool has_hours, on_shift;
    int64_t shift_next_ms;

    /* presence */
    bool presence_dirty, pres_valid, pres_on_shift;
    enum tr_agent_mode pres_mode;
    int pres_jobs;
    int64_t presence_next_ms;
    int presence_heartbeat_s;

    /* motion */
    const struct tr_gpx *track;
    const char *track_name;
    struct tr_gpx *drive; /* the current drive (route or roaming), owned */
    struct tr_gpx_replay replay;
    bool driving, roaming, roamer;
    double lat, lon;
    struct tr_fix last_fix;
    bool have_fix;
    int64_t park_next_ms; /* next fix while parked */

    /* the tech's script */
    int64_t answer_at; /* 0: no answer scheduled */
    int64_t act_at;    /* 0: no job step scheduled */
    int64_t tick_next_ms;

    struct tr_sim_agent_stats st;
};

/* simagent_io.c */
int sim_mqtt_start(struct tr_sim_agent *a, const char *password);
void sim_msgid(struct tr_sim_agent *a, char out[TR_MSG_ID_SIZE], char kind);
void sim_presence_maybe(struct tr_sim_agent *a, int64_t now);
void sim_pump(struct tr_sim_agent *a, int64_t now);
/* Encode and store one outgoing message (offer_answer, job_event). 0 or -1. */
int sim_store_event(struct tr_sim_agent *a, struct tr_msg *m, int64_t now);
enum tr_agent_mode sim_mode(const struct tr_sim_agent *a);

/* simagent.c */
void sim_on_inbox(struct tr_sim_agent *a, const char *topic, const char *payload, size_t len,
                  int64_t now);

#endif
