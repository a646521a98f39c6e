/*
 * tests/unit/test_freshness.c: the dispatcher's freshness defaults against
 * the agent's reporting defaults, so a parked agent that does everything
 * right is never counted offline or stale between two of its own messages.
 *
 *   - engine.presence_fresh_ms (truckrolld and the engine's own default)
 *     covers two presence heartbeats (presence.heartbeat_s of
 *     truckroll-agent): one may be lost without the agent going offline;
 *   - engine.fix_fresh_ms covers the longest interval between positions the
 *     policy allows on shift (max_interval_ms moving, heartbeat_ms standing
 *     still, every mode but off shift, where the agent gets no jobs);
 *   - engine.max_future_skew_ms refuses a fix 18 s ahead (a receiver that
 *     does not know the leap seconds yet).
 *
 * argv[1]: truckrolld, argv[2]: truckroll-agent (their --print-config --json).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatcher/core/engine.h"
#include "fieldagent/core/policy.h"
#include "tests/support/check.h"

/* The default of setting name in `exe --print-config --json`, or -1. */
static double config_default(const char *exe, const char *name)
{
    char cmd[1200], buf[65536];
    snprintf(cmd, sizeof cmd, "'%s' --print-config --json -c /dev/null", exe);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(buf, 1, sizeof buf - 1, p) : 0;
    if (p)
        pclose(p);
    buf[n] = 0;
    double v = -1;
    cJSON *root = cJSON_Parse(buf);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, name);
    const cJSON *val = cJSON_GetObjectItemCaseSensitive(s, "value");
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(s, "source");
    if (cJSON_IsNumber(val) && cJSON_IsString(src) && strcmp(src->valuestring, "default") == 0)
        v = val->valuedouble;
    cJSON_Delete(root);
    CHECK_MSG(v > 0, "%s: no default %s", exe, name);
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s TRUCKROLLD TRUCKROLL_AGENT\n", argv[0]);
        return 2;
    }
    struct tr_engine_params ep;
    struct tr_policy_params pp;
    tr_engine_params_default(&ep);
    tr_policy_params_default(&pp);

    double presence_ms = config_default(argv[1], "engine.presence_fresh_ms");
    double fix_ms = config_default(argv[1], "engine.fix_fresh_ms");
    double heartbeat_ms = config_default(argv[2], "presence.heartbeat_s") * 1000;
    CHECK_MSG(presence_ms == (double)ep.presence_fresh_ms && fix_ms == (double)ep.fix_fresh_ms,
              "truckrolld's defaults %.0f / %.0f differ from the engine's %lld / %lld", presence_ms,
              fix_ms, (long long)ep.presence_fresh_ms, (long long)ep.fix_fresh_ms);
    CHECK_MSG(presence_ms > 2 * heartbeat_ms, "presence fresh %.0f ms, heartbeat %.0f ms",
              presence_ms, heartbeat_ms);
    /* a receiver that does not know the leap seconds yet is 18 s ahead: its
     * fixes are refused, not taken to hold the live position back */
    double skew_ms = config_default(argv[1], "engine.max_future_skew_ms");
    CHECK_MSG(skew_ms == (double)ep.max_future_skew_ms && skew_ms < 18000,
              "engine.max_future_skew_ms %.0f (engine %lld)", skew_ms,
              (long long)ep.max_future_skew_ms);
    for (int m = 0; m < TR_POLICY_N_MODES; m++) {
        if (m == TR_MODE_OFF_SHIFT)
            continue;
        const struct tr_policy_mode_params *mp = &pp.mode[m];
        CHECK_MSG(fix_ms > (double)mp->max_interval_ms && fix_ms > (double)mp->heartbeat_ms,
                  "mode %d: fix fresh %.0f ms, reports every %lld / %lld ms", m, fix_ms,
                  (long long)mp->max_interval_ms, (long long)mp->heartbeat_ms);
    }
    return check_report("unit.freshness");
}
