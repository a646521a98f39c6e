/*
 * tests/fuzz/fuzz_msg.c: libFuzzer harness for the message codec.
 *
 * TR_FUZZ_TYPE (compile time) picks the decoder: a message type for
 * tr_msg_decode_as (one harness per topic's decoder), TR_MSG_NONE for the
 * generic tr_msg_decode. Whatever the input: no crash, no leak, no UB; a
 * rejection names a code and a reason and yields a valid error reply; an
 * accepted message re-encodes, the re-encoded JSON decodes to an equal
 * message and re-encodes to the same bytes. Any broken promise aborts.
 * Built with replay_main.c when not linking libFuzzer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"

#ifndef TR_FUZZ_TYPE
#define TR_FUZZ_TYPE TR_MSG_NONE
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_msg: %s: %s\n", what, detail ? detail : "");
    abort();
}

static void check_rejection(int rc, const struct tr_msg *m, const struct tr_msg_error *e)
{
    if (e->code != rc || !e->reason[0] || strlen(e->field) >= sizeof e->field)
        fail("error not filled in", e->reason);
    if (m->type == TR_MSG_RESPONSE && (m->u.response.result.jobs || m->u.response.result.gaps))
        fail("heap parts left after a failed decode", NULL);
    struct tr_msg reply;
    struct tr_msg_error re;
    tr_msg_error_reply(&reply, m->id, e);
    strcpy(reply.id, "fuzz-reply");
    reply.ts = 1700000000000;
    if (tr_msg_validate(&reply, &re) != TR_MSG_OK)
        fail("error reply does not validate", re.reason);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tr_msg *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    struct tr_msg_error e;
    char *out = NULL, *out2 = NULL;
    size_t n = 0, n2 = 0;
    if (!a || !b)
        goto done;
    int rc = tr_msg_decode_as((const char *)data, size, TR_FUZZ_TYPE, a, &e);
    if (rc != TR_MSG_OK) {
        check_rejection(rc, a, &e);
        goto done;
    }
    if (TR_FUZZ_TYPE != TR_MSG_NONE && a->type != TR_FUZZ_TYPE)
        fail("decoded another type", tr_msg_type_name(a->type));
    if (tr_msg_validate(a, &e) != TR_MSG_OK)
        fail("decoded message does not validate", e.field);
    if (tr_msg_encode(a, &out, &n, &e) != TR_MSG_OK)
        fail("decoded message does not encode", e.field);
    if (tr_msg_decode_as(out, n, TR_FUZZ_TYPE, b, &e) != TR_MSG_OK)
        fail("re-encoded message does not decode", out);
    if (!tr_msg_equal(a, b))
        fail("round trip changed the message", out);
    if (tr_msg_encode(b, &out2, &n2, &e) != TR_MSG_OK || n2 != n || memcmp(out, out2, n) != 0)
        fail("encoding is not stable", out);
    tr_msg_free(b);
done:
    tr_msg_free(a);
    free(out);
    free(out2);
    free(a);
    free(b);
    return 0;
}
