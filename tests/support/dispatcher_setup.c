/*
 * tests/support/dispatcher_setup.c: the start and the end every end-to-end
 * test main of truckrolld shares (dispatcher_harness.h: trd_setup,
 * trd_teardown): broker + daemon, one console, a pool of fake agents; then
 * freeing them, stopping the daemon and removing (or keeping) the temp dir.
 *
 * It does not check anything itself: it returns codes the test CHECKs.
 */
#include "tests/support/dispatcher_harness.h"

#include <stdio.h>

int trd_setup(struct trd *d, const char *exe, const char *const *args, struct trd_console **con,
              const char *const *ids, size_t n, struct trd_agent **pool)
{
    *con = NULL;
    for (size_t i = 0; i < n; i++)
        pool[i] = NULL;
    if (trd_start(d, exe, args) != 0)
        return -1;
    *con = trd_console_new(d, "tester", false);
    if (!*con) {
        fprintf(stderr, "trd: the console did not connect\n");
        return -1;
    }
    return n ? trd_agents_new(d, ids, n, pool) : 0;
}

int trd_teardown(struct trd *d, struct trd_console *con, struct trd_agent **pool, size_t n,
                 bool failed)
{
    for (size_t i = 0; i < n; i++)
        trd_agent_free(pool[i]);
    trd_console_free(con);
    int rc = trd_stop(d);
    d->keep = d->keep || failed || rc != 0;
    trd_finish(d);
    return rc;
}
