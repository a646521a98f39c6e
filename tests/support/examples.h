/*
 * tests/support/examples.h: what the tests that publish schemas/examples
 * share (library tr_testsupport): reading a whole file, the agent topic
 * leaf an example goes to by its file name, and whether it is answered.
 *
 * It does not publish anything or know the brokers (broker.h and the
 * harnesses do), and does not validate the examples (tests/schema does).
 */
#ifndef TR_TEST_EXAMPLES_H
#define TR_TEST_EXAMPLES_H

#include <stdbool.h>
#include <stddef.h>

/* The whole file at path in a new buffer (free() it) with a NUL after the
 * last byte, its length in *len; NULL when it cannot be read. */
char *trt_read_file(const char *path, size_t *len);

/* The leaf of truckroll/v1/agent/{id}/{leaf} an agent-side example goes to,
 * by the type its file name starts with: "state" (presence-*), "loc"
 * (loc-*), "event" (offer_answer-*, job_event-*); NULL for other types. */
const char *trt_example_agent_leaf(const char *name);

/* Whether the dispatcher answers the example of this file name when it
 * refuses it: everything but an `error` (error-*), since nobody answers an
 * `error` with an `error` (schemas/topics.md). */
bool trt_example_answered(const char *name);

#endif
