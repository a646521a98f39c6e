/*
 * dispatcher/app/config.c: truckrolld's settings table (name, type, default,
 * range, help), read by common/config in layers (defaults, file,
 * environment TRUCKROLL_*, command line), and the engine's tunables built
 * from it. Nothing here reads files or logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatcher/app/app.h"
#include "fieldagent/core/policy.h"

#define S struct settings

const struct tr_config_option tr_app_options[] = {
    { "broker.host", TR_CFG_STRING_AT(S, broker_host), "127.0.0.1",
      .help = "MQTT broker host name or address" },
    { "broker.port", TR_CFG_INT_AT(S, broker_port), "1883", .min = 1, .max = 65535,
      .help = "MQTT broker port" },
    { "broker.username", TR_CFG_STRING_AT(S, broker_user), "dispatcher",
      .help = "broker user name (the ACL gives it truckroll/v1/#)" },
    { "broker.password_file", TR_CFG_STRING_AT(S, broker_password_file), "",
      .help = "file whose first line is the broker password (empty: no password)" },
    { "broker.tls", TR_CFG_BOOL_AT(S, broker_tls), "false",
      .help = "connect with TLS (required on any listener outside loopback)" },
    { "broker.ca_file", TR_CFG_STRING_AT(S, broker_ca_file), "",
      .help = "PEM CA bundle to verify the broker (empty: the system's)" },
    { "broker.client_id", TR_CFG_STRING_AT(S, client_id), "truckrolld",
      .help = "MQTT client id (unique per broker; the persistent session's name)" },
    { "broker.protocol", TR_CFG_ENUM_AT(S, broker_protocol), "auto", .choices = "auto|v5|v311",
      .help = "MQTT version: auto tries v5 then falls back to 3.1.1" },
    { "broker.max_inflight", TR_CFG_INT_AT(S, max_inflight), "20", .min = 1, .max = 65535,
      .help = "QoS 1 publishes awaiting PUBACK at most (the broker's receive maximum caps it)" },
    { "log.level", TR_CFG_ENUM_AT(S, log_level), "info", .choices = "error|warn|info|debug",
      .help = "log threshold (info: one line per job transition; debug: positions too)" },
    { "stats.interval_s", TR_CFG_INT_AT(S, stats_interval_s), "10", .min = 0, .max = 3600,
      .help = "seconds between counter lines in the log (0: never)" },
    { "errors.replies_per_s", TR_CFG_INT_AT(S, error_replies_per_s), "50", .min = 0, .max = 100000,
      .help = "error replies per second, at most, to each agent and to all consoles together" },
    { "db.path", TR_CFG_STRING_AT(S, db_path), "/var/lib/truckroll/truckroll.db",
      .help = "SQLite record (positions go to PATH-positions); created when missing" },
    { "tz.zoneinfo_dir", TR_CFG_STRING_AT(S, zoneinfo_dir), "",
      .help = "IANA zoneinfo directory for working hours (empty: $TZDIR or /usr/share/zoneinfo)" },
    { "geo.data", TR_CFG_STRING_AT(S, geo_data), "",
      .help = "geo.bin for region tagging and region-only jobs (empty: default; none: off)" },
    { "ingest.queue", TR_CFG_INT_AT(S, ingest_queue), "16384", .min = 16, .max = 1048576,
      .help = "received messages waiting for the worker, at most (then back-pressure)" },
    { "engine.tick_ms", TR_CFG_INT_AT(S, tick_ms), "50", .min = 5, .max = 1000,
      .help = "engine timer period (offer deadlines, presence, retries)" },
    { "recovery.grace_ms", TR_CFG_INT_AT(S, recovery_grace_ms), "1500", .min = 0, .max = 60000,
      .help = "after a start, time for retained presence to arrive before timers run" },
    { "positions.batch", TR_CFG_INT_AT(S, positions_batch), "1000", .min = 1, .max = 100000,
      .help = "position history rows per SQLite transaction, at most" },
    { "positions.batch_ms", TR_CFG_INT_AT(S, positions_batch_ms), "50", .min = 1, .max = 10000,
      .help = "a history batch is written after this long even when not full" },
    { "positions.last_flush_ms", TR_CFG_INT_AT(S, last_flush_ms), "1000", .min = 10, .max = 600000,
      .help = "in-memory last positions are flushed to SQLite this often" },
    { "bus.max_senders", TR_CFG_INT_AT(S, max_senders), "2000000", .min = 16, .max = 100000000,
      .help = "senders (agents, consoles) whose message ids and seq marks are remembered" },
    { "requests.cache", TR_CFG_INT_AT(S, request_cache), "4096", .min = 16, .max = 1000000,
      .help = "console answers kept to answer a repeated request id" },
    { "engine.capacity", TR_CFG_INT_AT(S, capacity), "65536", .min = 16, .max = 67108864,
      .help = "contractors at most (the live index size)" },
    { "engine.offer_timeout_ms", TR_CFG_INT_AT(S, offer_timeout_ms), "60000", .min = 100,
      .max = 86400000, .help = "an offer's deadline after it is made" },
    { "engine.presence_fresh_ms", TR_CFG_INT_AT(S, presence_fresh_ms), "660000", .min = 100,
      .max = 86400000, .help = "no message from an agent for longer = offline" },
    { "engine.fix_fresh_ms", TR_CFG_INT_AT(S, fix_fresh_ms), "1200000", .min = 100, .max = 86400000,
      .help = "a fix older than this is stale" },
    { "engine.max_future_skew_ms", TR_CFG_INT_AT(S, max_future_skew_ms), "10000", .min = 1,
      .max = 86400000,
      .help = "a fix dated later than now + this is rejected (under the 18 s a receiver is "
              "ahead before it knows the leap seconds)" },
    { "engine.detour_factor", TR_CFG_DOUBLE_AT(S, detour_factor), "1.3", .min = 1, .max = 10,
      .help = "road distance / great-circle distance" },
    { "engine.speed_kmh.car", TR_CFG_DOUBLE_AT(S, speed_car), "40", .min = 1, .max = 300,
      .help = "average door-to-door speed by car" },
    { "engine.speed_kmh.motorcycle", TR_CFG_DOUBLE_AT(S, speed_motorcycle), "45", .min = 1,
      .max = 300, .help = "average speed by motorcycle" },
    { "engine.speed_kmh.bicycle", TR_CFG_DOUBLE_AT(S, speed_bicycle), "15", .min = 1, .max = 100,
      .help = "average speed by bicycle" },
    { "engine.speed_kmh.foot", TR_CFG_DOUBLE_AT(S, speed_foot), "5", .min = 1, .max = 30,
      .help = "average speed on foot" },
    { "engine.base_radius_km", TR_CFG_DOUBLE_AT(S, base_radius_km), "12.5", .min = 0.1, .max = 1000,
      .help = "first search radius" },
    { "engine.max_radius_km", TR_CFG_DOUBLE_AT(S, max_radius_km), "50", .min = 1, .max = 1000,
      .help = "a job's max radius when job.create gives none" },
    { "engine.widen", TR_CFG_STRING_AT(S, widen), "1,2,4",
      .help = "search radii as factors of base_radius_km (the max radius is always last)" },
    { "engine.max_attempts", TR_CFG_INT_AT(S, max_attempts), "50", .min = 1, .max = 10000,
      .help = "offers per job before it waits as unassigned" },
    { "engine.release_after_ms", TR_CFG_INT_AT(S, release_after_ms), "900000", .min = 100,
      .max = 604800000, .help = "an assignee silent this long loses accepted / en_route jobs" },
    { "engine.eta_tie_s", TR_CFG_DOUBLE_AT(S, eta_tie_s), "60", .min = 0, .max = 3600,
      .help = "ETAs within this of the best tie; fewest jobs today wins" },
    { "engine.retry_min_interval_ms", TR_CFG_INT_AT(S, retry_min_interval_ms), "5000", .min = 10,
      .max = 86400000, .help = "an unassigned job is retried at most this often" },
    { "engine.reason_refresh_ms", TR_CFG_INT_AT(S, reason_refresh_ms), "30000", .min = 10,
      .max = 86400000, .help = "an unassigned job's reason is recomputed at most this often" },
    /* the live map feed (fleetfeed.c, schemas/topics.md truckroll/v1/fleet/...) */
    { "fleet_feed.enabled", TR_CFG_BOOL_AT(S, fleet_enabled), "true",
      .help = "publish each contractor's state on truckroll/v1/fleet/<id> for the web map" },
    { "fleet_feed.min_interval_s", TR_CFG_INT_AT(S, fleet_min_interval_s), "2", .min = 0,
      .max = 3600, .help = "one fleet message per contractor this often, at most" },
    { "fleet_feed.max_per_s", TR_CFG_INT_AT(S, fleet_max_per_s), "1000", .min = 1, .max = 1000000,
      .help = "fleet messages per second in total, at most" },
    { "fleet_feed.move_m", TR_CFG_DOUBLE_AT(S, fleet_move_m), "100", .min = 1, .max = 100000,
      .help = "a move further than this from the last published position is published" },
    { "fleet_feed.sweep_ms", TR_CFG_INT_AT(S, fleet_sweep_ms), "1000", .min = 50, .max = 600000,
      .help = "every contractor is checked for a change once per this period" },
    /* sent to each agent as agent_config when a boot of it comes online */
    { "agents.report_threshold_m", TR_CFG_DOUBLE_AT(S, agents_threshold_m), "0", .min = 0,
      .max = 2000,
      .help = "en-route drift threshold for agents; other modes scale (0: the agent's own; "
              "else >= 5)" },
    { "agents.report_max_interval_s", TR_CFG_INT_AT(S, agents_max_interval_s), "0", .min = 0,
      .max = 3600,
      .help = "en-route report interval while moving for agents; other modes scale (0: the "
              "agent's own; else >= 5)" },
    { "agents.heartbeat_s", TR_CFG_INT_AT(S, agents_heartbeat_s), "0", .min = 0, .max = 3600,
      .help = "agents' presence heartbeat; standing-still reports scale (0: the agent's own; "
              "else >= 30)" },
};
const size_t tr_app_n_options = sizeof(tr_app_options) / sizeof(tr_app_options[0]);

int tr_app_engine_params(const struct settings *s, struct tr_engine_params *p, char *err,
                         size_t errlen)
{
    tr_engine_params_default(p);
    p->capacity = (uint32_t)s->capacity;
    p->offer_timeout_ms = s->offer_timeout_ms;
    p->presence_fresh_ms = s->presence_fresh_ms;
    p->fix_fresh_ms = s->fix_fresh_ms;
    p->max_future_skew_ms = s->max_future_skew_ms;
    p->detour_factor = s->detour_factor;
    p->speed_kmh[TR_TRAVEL_CAR] = s->speed_car;
    p->speed_kmh[TR_TRAVEL_MOTORCYCLE] = s->speed_motorcycle;
    p->speed_kmh[TR_TRAVEL_BICYCLE] = s->speed_bicycle;
    p->speed_kmh[TR_TRAVEL_FOOT] = s->speed_foot;
    p->base_radius_km = s->base_radius_km;
    p->default_max_radius_km = s->max_radius_km;
    p->max_attempts = s->max_attempts;
    p->release_after_ms = s->release_after_ms;
    p->eta_tie_s = s->eta_tie_s;
    p->retry_min_interval_ms = s->retry_min_interval_ms;
    p->reason_refresh_ms = s->reason_refresh_ms;

    unsigned n = 0;
    const char *c = s->widen;
    while (*c) {
        char *end;
        double f = strtod(c, &end);
        if (end == c || !(f > 0.0 && f <= 1000.0) || n >= TR_ENGINE_MAX_STEPS) {
            snprintf(err, errlen, "engine.widen: '%s' is not a list of 1..%d factors in (0, 1000]",
                     s->widen, TR_ENGINE_MAX_STEPS);
            return -1;
        }
        p->widen_factors[n++] = f;
        while (*end == ' ')
            end++;
        if (*end == ',')
            end++;
        else if (*end) {
            snprintf(err, errlen, "engine.widen: unexpected '%c'", *end);
            return -1;
        }
        c = end;
    }
    if (n == 0) {
        snprintf(err, errlen, "engine.widen: empty");
        return -1;
    }
    p->n_widen = n;
    return 0;
}

/* A setting that is neither 0 (the agent's own) nor at least min. */
static bool under(double v, double min, const char *name, const char *unit, char *err,
                  size_t errlen)
{
    if (v == 0 || v >= min)
        return false;
    snprintf(err, errlen, "%s: %g %s is under %g (0: the agent's own)", name, v, unit, min);
    return true;
}

int tr_app_agent_config(const struct settings *s, struct tr_agent_config *cfg, char *err,
                        size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    if (under(s->agents_threshold_m, 5, "agents.report_threshold_m", "m", err, errlen) ||
        under(s->agents_max_interval_s, 5, "agents.report_max_interval_s", "s", err, errlen) ||
        under(s->agents_heartbeat_s, 30, "agents.heartbeat_s", "s", err, errlen))
        return -1;
    if (2000LL * s->agents_heartbeat_s >= s->presence_fresh_ms) {
        snprintf(err, errlen,
                 "agents.heartbeat_s: two heartbeats of %d s do not fit in "
                 "engine.presence_fresh_ms (%d ms): a parked agent would look offline",
                 s->agents_heartbeat_s, s->presence_fresh_ms);
        return -1;
    }
    cfg->has_threshold_m = s->agents_threshold_m != 0;
    cfg->threshold_m = s->agents_threshold_m;
    cfg->has_max_interval_s = s->agents_max_interval_s != 0;
    cfg->max_interval_s = s->agents_max_interval_s;
    cfg->has_heartbeat_s = s->agents_heartbeat_s != 0;
    cfg->heartbeat_s = s->agents_heartbeat_s;
    if (!cfg->has_threshold_m && !cfg->has_max_interval_s && !cfg->has_heartbeat_s)
        return 0;
    /* what the agent's policy makes of it: every on-shift report interval
     * must stay within engine.fix_fresh_ms */
    struct tr_policy pol;
    tr_policy_init(&pol, NULL);
    if (tr_policy_apply_config(&pol, cfg) != TR_POLICY_OK) {
        snprintf(err, errlen, "agents.*: refused by the agents' reporting policy");
        return -1;
    }
    for (int m = 0; m < TR_POLICY_N_MODES; m++) {
        const struct tr_policy_mode_params *mp = &pol.p.mode[m];
        int64_t longest =
            mp->max_interval_ms > mp->heartbeat_ms ? mp->max_interval_ms : mp->heartbeat_ms;
        if (m != TR_MODE_OFF_SHIFT && longest >= s->fix_fresh_ms) {
            snprintf(err, errlen,
                     "agents.report_max_interval_s / agents.heartbeat_s: %s agents would report "
                     "only every %lld s, past engine.fix_fresh_ms (%d ms)",
                     tr_msg_agent_mode_name((enum tr_agent_mode)m), (long long)(longest / 1000),
                     s->fix_fresh_ms);
            return -1;
        }
    }
    return 0;
}
