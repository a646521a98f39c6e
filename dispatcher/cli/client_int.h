/*
 * dispatcher/cli/client_int.h: the inside of struct tr_cli, shared by
 * client.c (connection, requests, answers) and client_config.c (settings,
 * flags, --help). Not for subcommands: they use client.h.
 */
#ifndef TR_CLI_CLIENT_INT_H
#define TR_CLI_CLIENT_INT_H

#include <pthread.h>

#include "common/config.h"
#include "common/mqtt.h"
#include "dispatcher/cli/client.h"

#define TR_CLI_TOPIC_REQ   "truckroll/v1/dispatcher/req"
#define TR_CLI_TOPIC_STATE "truckroll/v1/dispatcher/state"
#define TR_CLI_MAX_FILTERS 8
#define TR_CLI_MAX_QUEUED  500000 /* messages waiting on one queue; past it they are dropped */

struct tr_cli_item {
    struct tr_cli_item *next;
    char *topic;
    char *payload; /* NUL-terminated copy */
    size_t len;
    bool retained;
    char corr[TR_MSG_ID_SIZE]; /* v5 correlation data as text ("" when absent or not an id) */
};

struct tr_cli_queue {
    struct tr_cli_item *head, *tail;
    size_t count;
    unsigned long dropped;
};

struct tr_cli {
    char prog[64];
    struct tr_cli_settings set;
    struct tr_config *cfg;
    const char *config_path; /* -c FILE, or NULL for the default files */
    bool json, print_config;
    const volatile sig_atomic_t *interrupted;

    char user[65]; /* the {user} of the response topic */
    char resp_topic[TR_MSG_REPLY_TO_SIZE];
    char id_prefix[40]; /* request ids are "<id_prefix>-<n>" */
    uint64_t next_id;
    char *filters[TR_CLI_MAX_FILTERS];
    size_t n_filters;

    struct tr_mqtt *mqtt;
    pthread_mutex_t lock; /* guards everything below (paho's thread writes it) */
    pthread_cond_t cond;
    struct tr_cli_queue answers, events;
    int disp_state; /* -1 never seen, 0 offline, 1 online (retained dispatcher/state) */
    int64_t disp_ts;
};

#endif
