/*
 * common/msg_fastloc.c: a fast path for decoding `loc`, the message the
 * dispatcher receives most (common/msg.h, tr_msg_decode_loc_fast).
 *
 * Does: one pass over the bytes, no tree and no allocation, for exactly the
 * shape the contract allows for `loc`: one object with the keys type ("loc"),
 * id, ts, agent_id, boot_id and fixes (1..100 objects with seq, t, lat, lon,
 * mode and the optional acc, speed, heading), each once, in any order, JSON
 * whitespace between tokens. Strings must be plain printable ASCII (no
 * escape), integers plain digits (up to 2^53), numbers strict JSON. Values are
 * checked with the codec's own ranges and patterns, and numbers get the very
 * value the generic path gives (cJSON's strtod): exact decimal conversion when
 * it is provably correctly rounded, else strtod on the same text.
 *
 * It is never more permissive than tr_msg_decode: anything it does not
 * recognise, and anything invalid, makes it answer "not handled" and the
 * caller runs the generic codec, which gives the verdict and the error text.
 * tests/fuzz/fuzz_loc_fast.c checks on arbitrary input that both agree.
 * Does not: produce errors, handle other message types, or touch topics.
 */
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg_codec.h"

struct fl {
    const char *p, *end;
};

#define EXACT_MAX (UINT64_C(1) << 53) /* integers up to here are exact doubles */

/* Powers of ten exactly representable as doubles. */
static const double exact_pow10[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

static void ws(struct fl *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool eat(struct fl *s, char c)
{
    ws(s);
    if (s->p >= s->end || *s->p != c)
        return false;
    s->p++;
    return true;
}

/* A string of printable ASCII without escapes; str and len point into the
 * buffer. false on anything else (escapes, controls, UTF-8: the generic
 * path decides those). */
static bool plain_string(struct fl *s, const char **str, size_t *len)
{
    if (!eat(s, '"'))
        return false;
    const char *b = s->p;
    while (s->p < s->end && *s->p != '"') {
        unsigned char c = (unsigned char)*s->p;
        if (c < 0x20 || c > 0x7e || c == '\\')
            return false;
        s->p++;
    }
    if (s->p >= s->end)
        return false;
    *str = b;
    *len = (size_t)(s->p - b);
    s->p++;
    return true;
}

/* A string field: 1..64 bytes matching pattern pat, copied NUL-terminated. */
static bool id_field(struct fl *s, int pat, char out[TR_MSG_ID_SIZE])
{
    const char *v;
    size_t n;
    if (!plain_string(s, &v, &n) || n < 1 || n > 64 || !tr_msgc_pattern_ok(pat, v, n))
        return false;
    memcpy(out, v, n);
    out[n] = 0;
    return true;
}

/* A JSON number token, strictly per RFC 8259. Sets what it found. */
struct numtok {
    const char *b;
    size_t len;
    bool neg, has_frac, has_exp;
    uint64_t mant; /* digits without the point, leading zeros dropped */
    int sig;       /* significant digits in mant (counted up to 19) */
    int frac;      /* digits after the point */
};

static bool number(struct fl *s, struct numtok *t)
{
    ws(s);
    memset(t, 0, sizeof *t);
    const char *p = s->p, *e = s->end;
    t->b = p;
    if (p < e && *p == '-') {
        t->neg = true;
        p++;
    }
    if (p >= e || *p < '0' || *p > '9')
        return false;
    if (*p == '0') {
        p++;
    } else {
        while (p < e && *p >= '0' && *p <= '9') {
            if (t->sig < 19)
                t->mant = t->mant * 10 + (uint64_t)(*p - '0');
            t->sig++;
            p++;
        }
    }
    if (p < e && *p == '.') {
        t->has_frac = true;
        p++;
        if (p >= e || *p < '0' || *p > '9')
            return false;
        while (p < e && *p >= '0' && *p <= '9') {
            if (t->sig > 0 || *p != '0') {
                if (t->sig < 19)
                    t->mant = t->mant * 10 + (uint64_t)(*p - '0');
                t->sig++;
            }
            t->frac++;
            p++;
        }
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        t->has_exp = true;
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (p >= e || *p < '0' || *p > '9')
            return false;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    }
    t->len = (size_t)(p - t->b);
    if (t->len > 63) /* the pre-scan rejects these */
        return false;
    s->p = p;
    return true;
}

/* The double cJSON would store for this token: strtod of its text (with
 * the locale's decimal point, as cJSON does). Without an exponent and with
 * the digits <= 2^53 (exact as a double), mant / 10^frac (frac <= 22, so
 * 10^frac is exact too) is one correctly rounded IEEE operation on exact
 * operands: the value strtod gives (Clinger's fast path). */
static bool number_value(const struct numtok *t, double *out)
{
    if (!t->has_exp && t->sig <= 19 && t->mant <= EXACT_MAX && t->frac <= 22) {
        double v = (double)t->mant / exact_pow10[t->frac];
        *out = t->neg ? -v : v;
        return true;
    }
    const struct lconv *lc = localeconv();
    if (!lc || !lc->decimal_point || strcmp(lc->decimal_point, ".") != 0)
        return false; /* leave odd locales to the generic path */
    char buf[64];
    memcpy(buf, t->b, t->len);
    buf[t->len] = 0;
    char *after = NULL;
    *out = strtod(buf, &after);
    return after == buf + t->len;
}

static bool in_range(double v, double lo, double hi, bool xmax)
{
    if (!(v >= lo))
        return false;
    return xmax ? v < hi : v <= hi;
}

/* A non-negative integer <= 2^53 (exact in a double) in lo..hi. */
static bool int_field(struct fl *s, double lo, double hi, int64_t *out)
{
    struct numtok t;
    if (!number(s, &t) || t.neg || t.has_frac || t.has_exp || t.sig > 19 || t.mant > EXACT_MAX)
        return false;
    if (!in_range((double)t.mant, lo, hi, false))
        return false;
    *out = (int64_t)t.mant;
    return true;
}

static bool num_field(struct fl *s, double lo, double hi, bool xmax, double *out)
{
    struct numtok t;
    double v;
    return number(s, &t) && number_value(&t, &v) && in_range(v, lo, hi, xmax) && (*out = v, true);
}

enum { F_SEQ, F_T, F_LAT, F_LON, F_MODE, F_ACC, F_SPEED, F_HEADING, F_COUNT };
static const char *const fix_keys[F_COUNT] = { "seq",  "t",   "lat",   "lon",
                                               "mode", "acc", "speed", "heading" };

static int key_index(const char *k, size_t n, const char *const *keys, int count)
{
    for (int i = 0; i < count; i++)
        if (strlen(keys[i]) == n && memcmp(keys[i], k, n) == 0)
            return i;
    return -1;
}

static bool fix(struct fl *s, struct tr_fix *f)
{
    unsigned seen = 0;
    memset(f, 0, sizeof *f);
    if (!eat(s, '{'))
        return false;
    do {
        const char *k;
        size_t kn;
        int64_t mode = 0;
        if (!plain_string(s, &k, &kn) || !eat(s, ':'))
            return false;
        int i = key_index(k, kn, fix_keys, F_COUNT);
        if (i < 0 || (seen & (1u << i)))
            return false;
        seen |= 1u << i;
        bool ok;
        switch (i) {
        case F_SEQ:
            ok = int_field(s, 0, TR_SEQ_MAX, &f->seq);
            break;
        case F_T:
            ok = int_field(s, TR_TIME_MIN, TR_TIME_MAX, &f->t);
            break;
        case F_LAT:
            ok = num_field(s, -90, 90, false, &f->lat);
            break;
        case F_LON:
            ok = num_field(s, -180, 180, false, &f->lon);
            break;
        case F_MODE:
            ok = int_field(s, 2, 3, &mode);
            f->mode = (int)mode;
            break;
        case F_ACC:
            ok = f->has_acc = num_field(s, 0, 100000, false, &f->acc);
            break;
        case F_SPEED:
            ok = f->has_speed = num_field(s, 0, 150, false, &f->speed);
            break;
        default:
            ok = f->has_heading = num_field(s, 0, 360, true, &f->heading);
            break;
        }
        if (!ok)
            return false;
    } while (eat(s, ','));
    const unsigned req =
        (1u << F_SEQ) | (1u << F_T) | (1u << F_LAT) | (1u << F_LON) | (1u << F_MODE);
    return (seen & req) == req && eat(s, '}');
}

static bool fixes(struct fl *s, struct tr_loc *l)
{
    if (!eat(s, '['))
        return false;
    l->n_fixes = 0;
    do {
        if (l->n_fixes == TR_MSG_MAX_FIXES || !fix(s, &l->fixes[l->n_fixes]))
            return false;
        if (l->n_fixes > 0 && l->fixes[l->n_fixes].seq <= l->fixes[l->n_fixes - 1].seq)
            return false;
        l->n_fixes++;
    } while (eat(s, ','));
    return eat(s, ']');
}

enum { R_TYPE, R_ID, R_TS, R_AGENT, R_BOOT, R_FIXES, R_COUNT };
static const char *const root_keys[R_COUNT] = {
    "type", "id", "ts", "agent_id", "boot_id", "fixes"
};

bool tr_msg_decode_loc_fast(const char *buf, size_t len, struct tr_msg *out)
{
    if (!buf || !out || len > TR_MSG_MAX_BYTES)
        return false;
    struct fl s = { .p = buf, .end = buf + len };
    unsigned seen = 0;
    /* the envelope and the loc header; fixes are cleared one by one */
    memset(out, 0, offsetof(struct tr_msg, u.loc.fixes));
    out->type = TR_MSG_LOC;
    struct tr_loc *l = &out->u.loc;
    if (!eat(&s, '{'))
        return false;
    do {
        const char *k, *v;
        size_t kn, vn;
        if (!plain_string(&s, &k, &kn) || !eat(&s, ':'))
            return false;
        int i = key_index(k, kn, root_keys, R_COUNT);
        if (i < 0 || (seen & (1u << i)))
            return false;
        seen |= 1u << i;
        bool ok;
        switch (i) {
        case R_TYPE:
            ok = plain_string(&s, &v, &vn) && vn == 3 && memcmp(v, "loc", 3) == 0;
            break;
        case R_ID:
            ok = id_field(&s, TR_P_MSGID, out->id);
            break;
        case R_TS:
            ok = int_field(&s, TR_TIME_MIN, TR_TIME_MAX, &out->ts);
            break;
        case R_AGENT:
            ok = id_field(&s, TR_P_AGENT_ID, l->agent_id);
            break;
        case R_BOOT:
            ok = id_field(&s, TR_P_MSGID, l->boot_id);
            break;
        default:
            ok = fixes(&s, l);
            break;
        }
        if (!ok)
            return false;
    } while (eat(&s, ','));
    if (!eat(&s, '}') || seen != (1u << R_COUNT) - 1)
        return false;
    ws(&s);
    return s.p == s.end;
}
