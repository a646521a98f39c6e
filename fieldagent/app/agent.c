/*
 * fieldagent/app/agent.c: the daemon: set everything up, then one poll()
 * loop over the MQTT wakeup pipe, the gpsd socket and the control socket,
 * with timers for offer deadlines, the shift boundary, policy ticks,
 * presence heartbeats and outbox commits. No threads of its own; paho's
 * callbacks reach it through the pipe (agent_io.c).
 *
 * systemd (common/notify.h): READY=1 when the loop starts (outbox open,
 * sockets bound; the broker may still be away), WATCHDOG=1 from the loop
 * (its poll timeout never outlasts the next ping), a STATUS= line when the
 * summary (broker, queue, shift) changes, checked once a second, and
 * STOPPING=1 when a stop begins.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hours.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/notify.h"
#include "fieldagent/app/agent.h"

#define MAX_POLL       (2 + 1 + TR_CONTROL_MAX_CLIENTS)
#define TICK_MS        1000
#define EXIT_WAIT      10000 /* exit_after_replay: longest wait for the outbox to drain */
#define STATE_RETRY_MS 10000 /* a failed state save is tried again this much later */
#define REPLAY_MAX     500   /* replayed fixes handled per loop turn */

int64_t agent_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void shift_update(struct agent *a, int64_t now)
{
    const struct tr_shift *h = a->has_hours ? a->hours : NULL;
    bool was = a->on_shift;
    a->shift_at_ms = now;
    a->on_shift = tr_shift_on(a->tz, h, a->n_hours, now);
    if (tr_shift_next_change(a->tz, h, a->n_hours, now, &a->shift_next_ms) != TR_TZ_OK)
        a->shift_next_ms = INT64_MAX;
    if (was != a->on_shift && a->started_ms)
        tr_log_info("now %s shift", a->on_shift ? "on" : "off");
}

static int setup_policy(struct agent *a)
{
    const struct agent_settings *s = &a->s;
    struct tr_agent_config cfg = { 0 };

    tr_policy_init(&a->policy, NULL);
    if ((s->report_threshold_m > 0 && s->report_threshold_m < 5) ||
        (s->report_max_interval_s > 0 && s->report_max_interval_s < 5) ||
        (s->report_heartbeat_s > 0 && s->report_heartbeat_s < 30)) {
        tr_log_error("report.threshold_m >= 5, report.max_interval_s >= 5, "
                     "report.heartbeat_s >= 30 (or 0 for the defaults)");
        return -1;
    }
    snprintf(cfg.agent_id, sizeof cfg.agent_id, "%s", s->agent_id);
    cfg.has_threshold_m = s->report_threshold_m > 0;
    cfg.threshold_m = s->report_threshold_m;
    cfg.has_max_interval_s = s->report_max_interval_s > 0;
    cfg.max_interval_s = s->report_max_interval_s;
    cfg.has_heartbeat_s = s->report_heartbeat_s > 0;
    cfg.heartbeat_s = s->report_heartbeat_s;
    if ((cfg.has_threshold_m || cfg.has_max_interval_s || cfg.has_heartbeat_s) &&
        tr_policy_apply_config(&a->policy, &cfg) != TR_POLICY_OK) {
        tr_log_error("report.* settings refused by the reporting policy");
        return -1;
    }
    return 0;
}

static int setup_gps(struct agent *a, int64_t now)
{
    const struct agent_settings *s = &a->s;
    if (s->gps_replay[0]) {
        struct tr_gpx_error ge;
        struct tr_gpx_replay_opts ro = { .speedup = s->gps_replay_speed,
                                         .loop = s->gps_replay_loop };
        if (tr_gpx_load_file(s->gps_replay, NULL, &a->gpx, &ge) != TR_GPX_OK) {
            tr_log_error("gps.replay %s: %s (line %d: %s)", s->gps_replay, tr_gpx_strerror(ge.code),
                         ge.line, ge.reason);
            return -1;
        }
        tr_gpx_replay_init(&a->replay, a->gpx, now, &ro);
        tr_log_info("replaying %s: %zu points at %gx", s->gps_replay, a->gpx->n_points,
                    s->gps_replay_speed);
        return 0;
    }
    char port[16];
    snprintf(port, sizeof port, "%d", s->gps_port);
    int rc = tr_gpsd_open(s->gps_host, port, NULL, now, &a->gpsd);
    if (!a->gpsd) {
        tr_log_error("gpsd: %s", tr_gpsd_strerror(rc));
        return -1;
    }
    if (rc != TR_GPSD_OK)
        tr_log_warn("gpsd at %s:%s not reachable yet (%s); retrying", s->gps_host, port,
                    tr_gpsd_strerror(rc));
    return 0;
}

/* 0, -2 for a bad setting, -1 when a resource failed (logged). */
static int setup(struct agent *a, int64_t now)
{
    const struct agent_settings *s = &a->s;
    struct tr_arrival_params ap;
    struct tr_outbox_limits lim;
    char err[256];
    int rc;

    if (!tr_msg_valid_agent_id(s->agent_id)) {
        tr_log_error("agent.id \"%s\" is missing or not an agent id "
                     "([A-Za-z0-9][A-Za-z0-9_.-]{0,63})",
                     s->agent_id);
        return -2;
    }
    if (tr_ids_boot_id(a->boot_id) != TR_IDS_OK)
        return -1;
    tr_bus_init(&a->bus, s->agent_id);
    tr_pump_init(&a->p, a->s.agent_id, tr_bus_topic(&a->bus, TR_BUS_LOC), NULL, a->s.send_window);
    a->p.ack_timeout_ms = (int64_t)a->s.ack_timeout_s * 1000;
    tr_arrival_params_default(&ap);
    ap.dwell_ms = (int64_t)s->arrival_dwell_s * 1000;
    ap.max_speed_mps = s->arrival_max_speed;
    tr_jobs_init(&a->jobs, s->agent_id, &ap);
    if (setup_policy(a) != 0)
        return -2;
    a->presence_heartbeat_s = s->presence_heartbeat_s;

    if ((rc = tr_tz_load(s->timezone, NULL, &a->tz)) != TR_TZ_OK) {
        tr_log_error("agent.timezone %s: %s", s->timezone, tr_tz_strerror(rc));
        return -2;
    }
    if (tr_hours_parse(s->hours, a->hours, TR_MSG_MAX_SHIFTS, &a->n_hours, &a->has_hours, err,
                       sizeof err) != TR_HOURS_OK) {
        tr_log_error("agent.hours: %s", err);
        return -2;
    }
    shift_update(a, now);
    a->available = s->available;
    agent_state_load(a);

    tr_outbox_limits_default(&lim);
    lim.max_positions = s->store_max_positions;
    lim.max_bytes = (int64_t)s->store_max_kib * 1024;
    lim.batch_fixes = s->store_batch;
    lim.commit_every = s->store_commit_every;
    if ((rc = tr_outbox_open(s->store_path, &lim, &a->ob, err, sizeof err)) != TR_OUTBOX_OK) {
        tr_log_error("outbox %s: %s", s->store_path, err);
        /* limits the outbox refuses (store.commit_every over a quarter of
         * store.max_positions) are a configuration error, not restarted */
        return rc == TR_OUTBOX_ERR_INVALID ? -2 : -1;
    }
    if (setup_gps(a, now) != 0)
        return -1;
    if ((rc = tr_control_open(s->control_socket, &a->ctl, err, sizeof err)) != TR_CONTROL_OK) {
        tr_log_error("control socket: %s", err);
        return -1;
    }
    if (agent_queue_init(&a->q) != 0) {
        tr_log_error("pipe: %s", strerror(errno));
        return -1;
    }
    if (agent_mqtt_start(a) != 0)
        return -1;
    tr_log_info("agent %s boot %.16s started (%s, %s shift)", s->agent_id, a->boot_id,
                a->available ? "available" : "unavailable", a->on_shift ? "on" : "off");
    return 0;
}

static void teardown(struct agent *a, bool ran)
{
    agent_mqtt_stop(a);
    if (ran && a->state_dirty)
        agent_state_save(a); /* never over a good file after a failed start */
    if (a->ob)
        tr_outbox_close(a->ob);
    tr_control_close(a->ctl);
    tr_gpsd_close(a->gpsd);
    tr_gpx_free(a->gpx);
    tr_tz_free(a->tz);
    agent_queue_destroy(&a->q);
    tr_pump_free(&a->p);
}

static int64_t min64(int64_t x, int64_t y)
{
    return x < y ? x : y;
}

static void read_gps(struct agent *a, int64_t now)
{
    struct tr_fix fix[16];
    size_t n = 0;

    if (a->gpsd) {
        int rc = tr_gpsd_read(a->gpsd, now, fix, 16, &n);
        if (rc == TR_GPSD_ERR_DISCONNECTED)
            tr_log_warn("gpsd went away; reconnecting");
        for (size_t i = 0; i < n; i++)
            agent_on_fix(a, &fix[i], now);
        return;
    }
    if (!a->gpx || a->replay_done)
        return;
    for (int k = 0; k < REPLAY_MAX; k++) {
        int r = tr_gpx_replay_next(&a->replay, now, &fix[0]);
        if (r == 1) {
            agent_on_fix(a, &fix[0], now);
            continue;
        }
        if (r < 0) {
            a->replay_done = true;
            tr_log_info("replay finished: %llu fixes, %llu reports", (unsigned long long)a->c.fixes,
                        (unsigned long long)a->c.reports);
        }
        break;
    }
}

/* Milliseconds poll() may sleep. */
static int timeout_ms(struct agent *a, int64_t now)
{
    int64_t wake = min64(a->tick_next_ms, tr_jobs_next_deadline(&a->jobs));
    wake = min64(wake, a->shift_next_ms);
    if (a->p.connected)
        wake = min64(wake, a->presence_dirty ? now + 100 : a->presence_next_ms);
    if (a->gpx && !a->replay_done)
        wake = min64(wake, tr_gpx_replay_due_ms(&a->replay));
    if (a->gpsd) {
        int64_t g = tr_gpsd_timeout_ms(a->gpsd, now);
        if (g >= 0)
            wake = min64(wake, now + g);
    }
    if (a->p.held && a->p.connected)
        wake = min64(wake, now + 50); /* paho was busy: try again soon */
    if (wake <= now)
        return 0;
    return (int)min64(wake - now, TICK_MS);
}

static bool drained(struct agent *a)
{
    struct tr_outbox_stats st;
    if (tr_outbox_get_stats(a->ob, &st) != TR_OUTBOX_OK)
        return false;
    return st.events + st.positions + st.buffered == 0 && a->p.inflight == 0;
}

/* The one-line summary for `systemctl status`; sent when it changes. */
static void notify_status(struct agent *a, char *last, size_t cap)
{
    struct tr_outbox_stats st;
    char line[320];
    long long queued = -1;

    if (tr_outbox_get_stats(a->ob, &st) == TR_OUTBOX_OK)
        queued = (long long)(st.events + st.positions + st.buffered);
    snprintf(line, sizeof line, "%s %s:%d, %lld queued, %s, %s shift",
             a->p.connected ? "connected to" : "offline, retrying", a->s.broker_host,
             a->s.broker_port, queued, a->available ? "available" : "unavailable",
             a->on_shift ? "on" : "off");
    if (strcmp(line, last) == 0)
        return;
    snprintf(last, cap, "%s", line);
    tr_notify_status("%s", line);
}

static void loop(struct agent *a)
{
    struct pollfd fds[MAX_POLL];
    int64_t done_at = 0;
    struct tr_notify_wd wd;
    char status[320] = "";

    tr_notify_wd_init(&wd);
    notify_status(a, status, sizeof status);
    tr_notify_ready();
    while (!*a->stop) {
        int64_t now = agent_now_ms();
        size_t n = 0, nctl;
        long wd_left = tr_notify_wd_kick(&wd);
        int wait;

        if (a->state_dirty &&
            (now >= a->state_retry_ms || a->state_retry_ms - now > STATE_RETRY_MS)) {
            /* kept dirty when the save fails (storage full or gone): tried again */
            a->state_dirty = agent_state_save(a) != 0;
            a->state_retry_ms = a->state_dirty ? now + STATE_RETRY_MS : 0;
        }
        fds[n++] = (struct pollfd){ .fd = a->q.pipe_rd, .events = POLLIN };
        if (a->gpsd && tr_gpsd_fd(a->gpsd) >= 0)
            fds[n++] = (struct pollfd){ .fd = tr_gpsd_fd(a->gpsd), .events = POLLIN };
        nctl = tr_control_pollfds(a->ctl, fds + n, MAX_POLL - n);
        wait = timeout_ms(a, now);
        if (wd_left >= 0 && wd_left < wait)
            wait = (int)wd_left;
        if (poll(fds, n + nctl, wait) < 0 && errno != EINTR) {
            tr_log_error("poll: %s", strerror(errno));
            return;
        }
        now = agent_now_ms();
        agent_drain_queue(a);
        read_gps(a, now);
        tr_control_process(a->ctl, fds + n, nctl, agent_control, a);
        if (tr_jobs_expire(&a->jobs, now) > 0) {
            tr_log_info("an offer lapsed unanswered");
            a->state_dirty = true;
        }
        if (now >= a->shift_next_ms || now < a->shift_at_ms) /* or the clock went back */
            shift_update(a, now);
        if (now >= a->tick_next_ms ||
            a->tick_next_ms - now > TICK_MS) { /* or the clock went back */
            agent_policy_tick(a, now);
            a->tick_next_ms = now + TICK_MS;
            notify_status(a, status, sizeof status);
        }
        tr_outbox_flush(a->ob, now);
        agent_presence_maybe(a, now);
        agent_pump(a);
        if (a->s.exit_after_replay && a->replay_done) {
            if (!done_at)
                done_at = now;
            if (drained(a))
                return;
            if (now - done_at > EXIT_WAIT) {
                tr_log_warn("replay done, outbox not drained after %d s: exiting anyway",
                            EXIT_WAIT / 1000);
                return;
            }
        }
    }
}

int agent_run(const struct agent_settings *s, volatile sig_atomic_t *stop)
{
    struct agent *a = calloc(1, sizeof *a);
    int rc = 0;
    bool ran = false;

    if (!a)
        return 3;
    a->s = *s;
    a->stop = stop;
    a->q.pipe_rd = a->q.pipe_wr = -1;
    a->shift_next_ms = INT64_MAX;
    a->p.pump = true;
    tr_notify_status("starting: opening the outbox, connecting to %s:%d", s->broker_host,
                     s->broker_port);
    int st = setup(a, agent_now_ms());
    if (st != 0) {
        rc = st == -2 ? 2 : 3; /* a bad setting, or a resource that failed */
        tr_notify_status("failed to start (see the journal)");
    } else {
        a->started_ms = agent_now_ms();
        a->tick_next_ms = a->started_ms;
        ran = true;
        loop(a);
        tr_notify_stopping();
        tr_notify_status("stopping: flushing the outbox, presence offline");
        tr_log_info("stopping: %llu fixes, %llu reports, %llu published, %llu acked",
                    (unsigned long long)a->c.fixes, (unsigned long long)a->c.reports,
                    (unsigned long long)a->p.published, (unsigned long long)a->p.acked);
    }
    teardown(a, ran);
    free(a);
    return rc;
}
