/*
 * tests/fuzz/fuzz_loc_fast.c: differential libFuzzer harness for the fast
 * `loc` decoder (common/msg_fastloc.c) against the generic codec.
 *
 * For every input: when tr_msg_decode_loc_fast takes it, tr_msg_decode must
 * accept it too, as a `loc`, with the same value in every field (doubles
 * compared bit for bit, so -0.0 is not 0.0). When the fast path declines, the
 * generic codec decides alone (nothing to compare). Any disagreement aborts.
 * The same input is also tried with its first '{' ... through the end framed
 * as the fixes of a loc, so byte-level mutations reach the fix parser.
 * Built with replay_main.c when not linking libFuzzer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_loc_fast: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

static void same_double(double a, double b, const char *what)
{
    if (memcmp(&a, &b, sizeof a) != 0) {
        char d[80];
        snprintf(d, sizeof d, "%.17g vs %.17g", a, b);
        fail(what, d);
    }
}

/* fast: what the fast path gave; slow: what tr_msg_decode gave. */
static void compare(const struct tr_msg *fast, const struct tr_msg *slow)
{
    const struct tr_loc *a = &fast->u.loc, *b = &slow->u.loc;
    if (slow->type != TR_MSG_LOC || fast->type != TR_MSG_LOC)
        fail("not a loc", tr_msg_type_name(slow->type));
    if (strcmp(fast->id, slow->id) != 0 || fast->ts != slow->ts || fast->has_reply_to)
        fail("envelope differs", fast->id);
    if (strcmp(a->agent_id, b->agent_id) != 0 || strcmp(a->boot_id, b->boot_id) != 0)
        fail("ids differ", a->agent_id);
    if (a->n_fixes != b->n_fixes)
        fail("fix count differs", NULL);
    for (size_t i = 0; i < a->n_fixes; i++) {
        const struct tr_fix *x = &a->fixes[i], *y = &b->fixes[i];
        if (x->seq != y->seq || x->t != y->t || x->mode != y->mode || x->has_acc != y->has_acc ||
            x->has_speed != y->has_speed || x->has_heading != y->has_heading)
            fail("fix differs", NULL);
        same_double(x->lat, y->lat, "lat");
        same_double(x->lon, y->lon, "lon");
        same_double(x->acc, y->acc, "acc");
        same_double(x->speed, y->speed, "speed");
        same_double(x->heading, y->heading, "heading");
    }
    if (!tr_msg_equal(fast, slow))
        fail("tr_msg_equal says they differ", NULL);
}

static void one(const char *buf, size_t len, struct tr_msg *fast, struct tr_msg *slow)
{
    struct tr_msg_error e;
    bool took = tr_msg_decode_loc_fast(buf, len, fast);
    int rc = tr_msg_decode(buf, len, slow, &e);
    if (took && rc != TR_MSG_OK)
        fail("fast path accepted what the codec rejects", e.reason);
    if (took)
        compare(fast, slow);
    tr_msg_free(slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char head[] = "{\"type\":\"loc\",\"id\":\"m-1\",\"ts\":1715688100000,"
                               "\"agent_id\":\"a-1\",\"boot_id\":\"b-1\",\"fixes\":[";
    struct tr_msg *fast = malloc(sizeof *fast), *slow = malloc(sizeof *slow);
    char *framed = NULL;
    if (!fast || !slow)
        goto done;
    one((const char *)data, size, fast, slow);
    /* the input as the fixes of an otherwise valid loc */
    const uint8_t *brace = memchr(data, '{', size);
    if (brace && size < 65536) {
        size_t rest = size - (size_t)(brace - data);
        framed = malloc(sizeof head + rest + 2);
        if (!framed)
            goto done;
        memcpy(framed, head, sizeof head - 1);
        memcpy(framed + sizeof head - 1, brace, rest);
        memcpy(framed + sizeof head - 1 + rest, "]}", 2);
        one(framed, sizeof head - 1 + rest + 2, fast, slow);
    }
done:
    free(framed);
    free(fast);
    free(slow);
    return 0;
}
