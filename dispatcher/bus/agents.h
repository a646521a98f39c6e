/*
 * dispatcher/bus/agents.h: what the dispatcher remembers about each sender
 * on the bus, so that QoS 1 redeliveries and replays do not act twice.
 *
 * What it does, per agent id (or any sender key, e.g. "console:alice"):
 *   - message-id dedupe: the last TR_AGENTS_IDS message ids seen (as 64-bit
 *     hashes), so a redelivered presence, answer or job event is dropped;
 *   - presence ordering: within one boot_id, a presence older (by `ts`) than
 *     the last one applied is stale (a retained copy racing a live one);
 *   - position dedupe: per (agent, boot_id) the highest fix `seq` seen; a fix
 *     at or below it is a duplicate or a stale replay. The last TR_AGENTS_BOOTS
 *     boots of an agent are kept (the least recently used one is forgotten);
 *   - last positions: per (agent, boot) the newest fix (by fix time) with a
 *     dirty flag, so the shell can flush them to SQLite in large batches;
 *   - a per-sender error-reply budget (replies per second).
 *
 * What it does not do: MQTT, SQLite, clocks (time comes in as now_ms),
 * logging, or locking (one thread owns a table).
 *
 * Memory: one record per sender (about 600 bytes), created on first use, at
 * most max_senders; past it nothing new is remembered (TR_AGENTS_ERR_FULL, and
 * the checks answer "not a duplicate").
 */
#ifndef TR_BUS_AGENTS_H
#define TR_BUS_AGENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"

#define TR_AGENTS_IDS   16 /* message ids remembered per sender */
#define TR_AGENTS_BOOTS 2  /* boots per agent with a position high-water */

enum tr_agents_err {
    TR_AGENTS_OK = 0,
    TR_AGENTS_ERR_NOMEM = 1,
    TR_AGENTS_ERR_FULL = 2,    /* max_senders reached */
    TR_AGENTS_ERR_INVALID = 3, /* NULL or over-long key */
};

struct tr_agents;

/* One last position, as handed to the store (same fields as
 * struct tr_store_position). */
struct tr_agents_pos {
    char agent_id[TR_MSG_ID_SIZE];
    char boot_id[TR_MSG_ID_SIZE];
    struct tr_fix fix;
    int64_t received;
};

int tr_agents_new(size_t max_senders, struct tr_agents **out);
void tr_agents_free(struct tr_agents *a); /* NULL ok */
size_t tr_agents_count(const struct tr_agents *a);

/* True when (sender, msgid) was seen among the sender's last TR_AGENTS_IDS
 * ids; otherwise records it and returns false. */
bool tr_agents_duplicate(struct tr_agents *a, const char *sender, const char *msgid);

/* Presence ordering. True when a presence of this boot with this ts is older
 * than the last one applied (drop it); otherwise records (boot, ts) as the
 * agent's current boot and returns false. */
bool tr_agents_presence_stale(struct tr_agents *a, const char *agent, const char *boot_id,
                              int64_t ts);

/* Ordering for a last will (presence offline, reason "will"). The broker
 * publishes it when the connection it was armed on dies, and the agent
 * encoded it at connect, so it is dated before the presence the agent sent
 * after connecting, and a process re-arms the same will (same id) at every
 * reconnect: neither the ts order nor the id dedupe of other presence
 * applies. It is the last word of its boot: stale (true) only when another
 * boot has spoken since. Records nothing. */
bool tr_agents_will_stale(struct tr_agents *a, const char *agent, const char *boot_id);
/* True once per boot of an agent: when the boot of its last presence
 * applied has not been answered with an agent_config yet (it now counts as
 * answered). False for an agent without a presence. */
bool tr_agents_config_due(struct tr_agents *a, const char *agent);
/* The boot of the last presence applied, or NULL. Valid until the next call. */
const char *tr_agents_boot(const struct tr_agents *a, const char *agent);

/* True when seq is above the (agent, boot) high-water mark, which it then
 * becomes; false for a duplicate or stale fix (or when the table is full and
 * the agent unknown: then true, nothing remembered). */
bool tr_agents_seq_new(struct tr_agents *a, const char *agent, const char *boot_id, int64_t seq);
/* Startup: raise the (agent, boot) high-water mark to seq. */
int tr_agents_load_high_water(struct tr_agents *a, const char *agent, const char *boot_id,
                              int64_t seq);

/* Remember fix as the (agent, boot) last position when it is newer (by fix
 * time) than the one held, and mark it dirty. */
void tr_agents_last_update(struct tr_agents *a, const char *agent, const char *boot_id,
                           const struct tr_fix *fix, int64_t received);
/* Copy up to cap dirty last positions to out, clearing their dirty flag;
 * returns how many. Call again while it returns cap. */
size_t tr_agents_take_dirty(struct tr_agents *a, struct tr_agents_pos *out, size_t cap);
/* Dirty last positions waiting. */
size_t tr_agents_dirty_count(const struct tr_agents *a);

/* Error-reply budget: true (and counts one) when the sender got fewer than
 * per_s replies in the current second of now_ms. */
bool tr_agents_error_allowed(struct tr_agents *a, const char *sender, int64_t now_ms, int per_s);

const char *tr_agents_strerror(int err);

#endif
