/*
 * common/msg_json.c: byte-level checks for the message codec.
 *
 * Does: UTF-8 validation, a strict RFC 8259 pre-scan of a payload before
 * cJSON sees it (cJSON 1.7.15 accepts `01`, `1.`, raw control characters in
 * strings and trailing garbage, truncates strings at \u0000 and fails on
 * numbers longer than 63 characters), the nesting limit, and the string
 * patterns of the contract (hand-written, no regex).
 * Does not: build any tree or know any message (see msg_codec.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "common/msg_codec.h"

/* ---------- UTF-8 ---------- */

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && s[1] < 0xA0) /* overlong */
            return 0;
        if (c == 0xED && s[1] >= 0xA0) /* surrogates */
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) /* overlong */
            return 0;
        if (c == 0xF4 && s[1] >= 0x90) /* > U+10FFFF */
            return 0;
        return 4;
    }
    return 0;
}

bool tr_msgc_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        if (s[i] == 0)
            return false;
        size_t k = utf8_seq(s + i, len - i);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

size_t tr_msgc_utf8_cut(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        size_t k = utf8_seq(s + i, len - i);
        if (k == 0)
            break;
        i += k;
    }
    return i;
}

/* ---------- strict JSON pre-scan ---------- */

struct scan {
    const unsigned char *p, *start, *end;
    struct tr_msg_error *err;
};

static int scan_fail(struct scan *s, int code, const char *what)
{
    return tr_msgc_fail(s->err, code, NULL, NULL, "%s at byte %zu", what,
                        (size_t)(s->p - s->start));
}

static void skip_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Read 4 hex digits after "\u" (s->p at the 'u'); -1 if malformed. */
static long read_u4(struct scan *s)
{
    if (s->end - s->p < 5)
        return -1;
    long v = 0;
    for (int i = 1; i <= 4; i++) {
        int h = hexval(s->p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static int scan_string(struct scan *s)
{
    s->p++; /* opening quote */
    while (s->p < s->end) {
        unsigned char c = *s->p;
        if (c == '"') {
            s->p++;
            return TR_MSG_OK;
        }
        if (c < 0x20)
            return scan_fail(s, TR_MSG_ERR_BAD_JSON, "control character in string");
        if (c != '\\') {
            s->p++;
            continue;
        }
        s->p++;
        if (s->p >= s->end)
            break;
        switch (*s->p) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            s->p++;
            continue;
        case 'u':
            break;
        default:
            return scan_fail(s, TR_MSG_ERR_BAD_JSON, "bad escape in string");
        }
        long u = read_u4(s);
        if (u < 0)
            return scan_fail(s, TR_MSG_ERR_BAD_JSON, "bad \\u escape");
        if (u == 0)
            return scan_fail(s, TR_MSG_ERR_BAD_UTF8, "\\u0000 escape");
        if (u >= 0xDC00 && u <= 0xDFFF)
            return scan_fail(s, TR_MSG_ERR_BAD_UTF8, "lone low surrogate");
        s->p += 5;
        if (u >= 0xD800 && u <= 0xDBFF) {
            long lo = -1;
            if (s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u') {
                s->p++;
                lo = read_u4(s);
                s->p--;
            }
            if (lo < 0xDC00 || lo > 0xDFFF)
                return scan_fail(s, TR_MSG_ERR_BAD_UTF8, "lone high surrogate");
            s->p += 6;
        }
    }
    return scan_fail(s, TR_MSG_ERR_BAD_JSON, "unterminated string");
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int scan_number(struct scan *s)
{
    const unsigned char *b = s->p;
    if (s->p < s->end && *s->p == '-')
        s->p++;
    if (s->p >= s->end || !is_digit(*s->p))
        return scan_fail(s, TR_MSG_ERR_BAD_JSON, "bad number");
    if (*s->p == '0') {
        s->p++;
    } else {
        while (s->p < s->end && is_digit(*s->p))
            s->p++;
    }
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (s->p >= s->end || !is_digit(*s->p))
            return scan_fail(s, TR_MSG_ERR_BAD_JSON, "bad number");
        while (s->p < s->end && is_digit(*s->p))
            s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (s->p >= s->end || !is_digit(*s->p))
            return scan_fail(s, TR_MSG_ERR_BAD_JSON, "bad number");
        while (s->p < s->end && is_digit(*s->p))
            s->p++;
    }
    if (s->p - b > 63) {
        s->p = b;
        return scan_fail(s, TR_MSG_ERR_BAD_JSON, "number longer than 63 characters");
    }
    return TR_MSG_OK;
}

static int scan_literal(struct scan *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return scan_fail(s, TR_MSG_ERR_BAD_JSON, "unexpected character");
    s->p += n;
    return TR_MSG_OK;
}

static int scan_value(struct scan *s, int depth);

/* s->p at '{' or '['; depth is this container's level (root = 1). */
static int scan_container(struct scan *s, int depth)
{
    unsigned char close = *s->p == '{' ? '}' : ']';
    bool object = close == '}';
    if (depth > TR_MSG_MAX_DEPTH)
        return scan_fail(s, TR_MSG_ERR_TOO_DEEP, "nested deeper than 16 levels");
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return TR_MSG_OK;
    }
    for (;;) {
        int rc;
        if (object) {
            if (s->p >= s->end || *s->p != '"')
                return scan_fail(s, TR_MSG_ERR_BAD_JSON, "expected a key");
            if ((rc = scan_string(s)) != TR_MSG_OK)
                return rc;
            skip_ws(s);
            if (s->p >= s->end || *s->p != ':')
                return scan_fail(s, TR_MSG_ERR_BAD_JSON, "expected ':'");
            s->p++;
            skip_ws(s);
        }
        if ((rc = scan_value(s, depth)) != TR_MSG_OK)
            return rc;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            skip_ws(s);
            continue;
        }
        if (s->p < s->end && *s->p == close) {
            s->p++;
            return TR_MSG_OK;
        }
        return scan_fail(s, TR_MSG_ERR_BAD_JSON,
                         object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int scan_value(struct scan *s, int depth)
{
    if (s->p >= s->end)
        return scan_fail(s, TR_MSG_ERR_BAD_JSON, "unexpected end");
    switch (*s->p) {
    case '{':
    case '[':
        return scan_container(s, depth + 1);
    case '"':
        return scan_string(s);
    case 't':
        return scan_literal(s, "true");
    case 'f':
        return scan_literal(s, "false");
    case 'n':
        return scan_literal(s, "null");
    default:
        if (*s->p == '-' || is_digit(*s->p))
            return scan_number(s);
        return scan_fail(s, TR_MSG_ERR_BAD_JSON, "unexpected character");
    }
}

int tr_msgc_prescan(const char *buf, size_t len, struct tr_msg_error *err)
{
    const unsigned char *b = (const unsigned char *)buf;
    size_t i = 0;
    while (i < len) {
        if (b[i] == 0)
            return tr_msgc_fail(err, TR_MSG_ERR_BAD_UTF8, NULL, NULL, "0x00 byte at byte %zu", i);
        size_t k = utf8_seq(b + i, len - i);
        if (k == 0)
            return tr_msgc_fail(err, TR_MSG_ERR_BAD_UTF8, NULL, NULL, "invalid UTF-8 at byte %zu",
                                i);
        i += k;
    }
    struct scan s = { .p = b, .start = b, .end = b + len, .err = err };
    skip_ws(&s);
    if (s.p >= s.end)
        return scan_fail(&s, TR_MSG_ERR_BAD_JSON, "empty payload");
    if (*s.p != '{')
        return scan_fail(&s, TR_MSG_ERR_BAD_JSON, "not a JSON object");
    int rc = scan_container(&s, 1);
    if (rc != TR_MSG_OK)
        return rc;
    skip_ws(&s);
    if (s.p != s.end)
        return scan_fail(&s, TR_MSG_ERR_BAD_JSON, "trailing characters");
    return TR_MSG_OK;
}

/* ---------- patterns ---------- */

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}
static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}
static bool is_num(char c)
{
    return c >= '0' && c <= '9';
}
static bool is_alpha(char c)
{
    return is_upper(c) || is_lower(c);
}
static bool is_alnum(char c)
{
    return is_alpha(c) || is_num(c);
}

/* First char alnum, then up to 63 of alnum and `extra`. */
static bool id_like(const char *s, size_t len, const char *extra)
{
    if (len < 1 || len > 64 || !is_alnum(s[0]))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!is_alnum(s[i]) && (s[i] == 0 || !strchr(extra, s[i])))
            return false;
    return true;
}

static bool all(const char *s, size_t len, size_t want, bool (*cls)(char))
{
    if (len != want)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!cls(s[i]))
            return false;
    return true;
}

static bool lang_ok(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && is_alpha(s[i]))
        i++;
    if (i < 2 || i > 3)
        return false;
    for (int sub = 0; i < len; sub++) {
        if (sub == 3 || s[i] != '-')
            return false;
        size_t b = ++i;
        while (i < len && is_alnum(s[i]))
            i++;
        if (i - b < 2 || i - b > 8)
            return false;
    }
    return true;
}

static bool tz_char(char c)
{
    return is_alnum(c) || c == '_' || c == '+' || c == '-';
}

static bool tz_ok(const char *s, size_t len)
{
    size_t i = 0;
    if (len < 1 || !is_alpha(s[0]))
        return false;
    i = 1;
    while (i < len && tz_char(s[i]))
        i++;
    if (i > 30)
        return false;
    for (int part = 0; i < len; part++) {
        if (part == 2 || s[i] != '/')
            return false;
        size_t b = ++i;
        while (i < len && tz_char(s[i]))
            i++;
        if (i - b < 1 || i - b > 30)
            return false;
    }
    return true;
}

static bool hhmm_ok(const char *s, size_t len)
{
    if (len != 5 || s[2] != ':' || !is_num(s[0]) || !is_num(s[1]) || !is_num(s[3]) || !is_num(s[4]))
        return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    return h <= 23 && s[3] <= '5';
}

static bool reply_to_ok(const char *s, size_t len)
{
    static const char pre[] = "truckroll/v1/console/", suf[] = "/resp";
    size_t np = sizeof pre - 1, ns = sizeof suf - 1;
    if (len < np + 1 + ns || len > np + 64 + ns)
        return false;
    if (memcmp(s, pre, np) != 0 || memcmp(s + len - ns, suf, ns) != 0 || !is_alnum(s[np]))
        return false; /* the user part follows the agent id rule (broker user names) */
    for (size_t i = np; i < len - ns; i++)
        if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
            return false;
    return true;
}

bool tr_msgc_pattern_ok(int pat, const char *s, size_t len)
{
    switch (pat) {
    case TR_P_ANY:
        return true;
    case TR_P_AGENT_ID:
        return id_like(s, len, "_.-");
    case TR_P_MSGID:
        return id_like(s, len, "_.:-");
    case TR_P_SKILL:
        if (len < 1 || len > 32 || !(is_lower(s[0]) || is_num(s[0])))
            return false;
        for (size_t i = 1; i < len; i++)
            if (!is_lower(s[i]) && !is_num(s[i]) && s[i] != '-')
                return false;
        return true;
    case TR_P_LANG:
        return lang_ok(s, len);
    case TR_P_CURRENCY:
        return all(s, len, 3, is_upper);
    case TR_P_TZ:
        return tz_ok(s, len);
    case TR_P_UPPER2:
        return all(s, len, 2, is_upper);
    case TR_P_DIGITS2:
        return all(s, len, 2, is_num);
    case TR_P_DIGITS5:
        return all(s, len, 5, is_num);
    case TR_P_HHMM:
        return hhmm_ok(s, len);
    case TR_P_STATE:
        return all(s, len, 2, is_upper) || all(s, len, 2, is_num);
    case TR_P_REPLY_TO:
        return reply_to_ok(s, len);
    default:
        return false;
    }
}

const char *tr_msgc_pattern_text(int pat)
{
    switch (pat) {
    case TR_P_AGENT_ID:
        return "must be an agent id (A-Z a-z 0-9 _ . -, first a letter or digit)";
    case TR_P_MSGID:
        return "must be an id (A-Z a-z 0-9 _ . : -, first a letter or digit)";
    case TR_P_SKILL:
        return "must be a skill (a-z 0-9 -, first a letter or digit)";
    case TR_P_LANG:
        return "must be a BCP-47 tag like en or es-MX";
    case TR_P_CURRENCY:
        return "must be 3 upper-case letters (ISO 4217)";
    case TR_P_TZ:
        return "must be an IANA time zone name like America/Chicago";
    case TR_P_UPPER2:
        return "must be 2 upper-case letters";
    case TR_P_DIGITS2:
        return "must be 2 digits";
    case TR_P_DIGITS5:
        return "must be 5 digits";
    case TR_P_HHMM:
        return "must be HH:MM between 00:00 and 23:59";
    case TR_P_STATE:
        return "must be 2 upper-case letters or 2 digits";
    case TR_P_REPLY_TO:
        return "must be truckroll/v1/console/<name>/resp";
    default:
        return "bad format";
    }
}
