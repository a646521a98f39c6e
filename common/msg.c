/*
 * common/msg.c: the public face of the message codec (common/msg.h).
 *
 * Does: decode (size limit, pre-scan, cJSON parse of a NUL-terminated copy,
 * `type` dispatch, the table walk), encode, validate, compare, free, error
 * texts and wire codes, enum names, and the small validators other modules
 * use.
 * Does not: hold any table (msg_objects.c, msg_agent.c, msg_console.c) or
 * the walking engine (msg_codec.c).
 */
#include <stdlib.h>
#include <string.h>

#include "common/msg_codec.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *const tr_msgc_type_names[] = {
    "",
    "presence",
    "loc",
    "offer",
    "offer_answer",
    "job_event",
    "assignment",
    "cancellation",
    "agent_config",
    "job_status",
    "error",
    "job.create",
    "job.list",
    "job.show",
    "job.cancel",
    "job.reassign",
    "contractor.add",
    "contractor.update",
    "contractor.list",
    "directory.query",
    "coverage.query",
    "response",
    "fleet",
    NULL,
};
_Static_assert(COUNT(tr_msgc_type_names) == TR_MSG_TYPE_COUNT + 1, "one name per type");

static const struct tr_msgc_obj *desc_for(enum tr_msg_type type)
{
    const struct tr_msgc_obj *d = tr_msgc_agent_desc(type);
    return d ? d : tr_msgc_console_desc(type);
}

void tr_msg_init(struct tr_msg *m, enum tr_msg_type type)
{
    if (!m)
        return;
    memset(m, 0, sizeof *m);
    m->type = type;
}

void tr_msg_free(struct tr_msg *m)
{
    if (!m || m->type != TR_MSG_RESPONSE)
        return;
    struct tr_result *r = &m->u.response.result;
    free(r->events);
    free(r->jobs);
    free(r->contractors);
    free(r->regions);
    free(r->gaps);
    r->events = NULL;
    r->jobs = NULL;
    r->contractors = NULL;
    r->regions = NULL;
    r->gaps = NULL;
    r->n_events = r->n_jobs = r->n_contractors = r->n_regions = r->n_gaps = 0;
}

/* ---------- decode ---------- */

static int decode_root(const cJSON *root, enum tr_msg_type expected, struct tr_msg *out,
                       struct tr_msg_error *err)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "type");
    if (!t)
        return tr_msgc_fail(err, TR_MSG_ERR_BAD_TYPE, NULL, "type", "missing");
    if (!cJSON_IsString(t))
        return tr_msgc_fail(err, TR_MSG_ERR_BAD_TYPE, NULL, "type", "must be a string");
    enum tr_msg_type type = tr_msg_type_from_name(t->valuestring);
    if (type == TR_MSG_NONE)
        return tr_msgc_fail(err, TR_MSG_ERR_BAD_TYPE, NULL, "type", "unknown message type");
    out->type = type;
    /* the id first, so an error reply can carry it as corr */
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    if (cJSON_IsString(id) && tr_msg_valid_msgid(id->valuestring))
        strcpy(out->id, id->valuestring);
    if (expected != TR_MSG_NONE && type != expected)
        return tr_msgc_fail(err, TR_MSG_ERR_BAD_TYPE, NULL, "type", "must be %s here",
                            tr_msg_type_name(expected));
    int rc = tr_msgc_decode_obj(root, desc_for(type), out, NULL, err);
    /* A request refused before its reply_to was reached (bad args): keep a
     * well-formed reply_to too, so an MQTT 3.1.1 console, which has no
     * response topic, hears the error. Never one that is itself refused. */
    if (rc == TR_MSG_OK || out->has_reply_to || strncmp(err->field, "reply_to", 8) == 0)
        return rc;
    const cJSON *rt = cJSON_GetObjectItemCaseSensitive(root, "reply_to");
    if (cJSON_IsString(rt) && strlen(rt->valuestring) < sizeof out->reply_to &&
        tr_msgc_pattern_ok(TR_P_REPLY_TO, rt->valuestring, strlen(rt->valuestring))) {
        strcpy(out->reply_to, rt->valuestring);
        out->has_reply_to = true;
    }
    return rc;
}

int tr_msg_decode_as(const char *buf, size_t len, enum tr_msg_type expected, struct tr_msg *out,
                     struct tr_msg_error *err)
{
    struct tr_msg_error scratch;
    if (!err)
        err = &scratch;
    err->code = TR_MSG_OK;
    err->field[0] = 0;
    err->reason[0] = 0;
    if (!out || (!buf && len))
        return tr_msgc_fail(err, TR_MSG_ERR_INVALID, NULL, NULL, "NULL argument");
    if (!buf)
        buf = ""; /* NULL with len 0: an empty payload */
    tr_msg_init(out, TR_MSG_NONE);
    if (len > TR_MSG_MAX_BYTES)
        return tr_msgc_fail(err, TR_MSG_ERR_TOO_LARGE, NULL, NULL, "%zu bytes (max %d)", len,
                            TR_MSG_MAX_BYTES);
    int rc = tr_msgc_prescan(buf, len, err);
    if (rc != TR_MSG_OK)
        return rc;
    /* cJSON gets a NUL-terminated copy: it then cannot read past our buffer */
    char *copy = malloc(len + 1);
    if (!copy)
        return tr_msgc_fail(err, TR_MSG_ERR_NOMEM, NULL, NULL, "out of memory");
    memcpy(copy, buf, len);
    copy[len] = 0;
    cJSON *root = cJSON_ParseWithLengthOpts(copy, len, NULL, 0);
    if (!root) {
        /* the pre-scan accepted it, so this is cJSON running out of memory */
        rc = tr_msgc_fail(err, TR_MSG_ERR_NOMEM, NULL, NULL, "parser failed (out of memory)");
        goto done;
    }
    rc = decode_root(root, expected, out, err);
done:
    cJSON_Delete(root);
    free(copy);
    if (rc != TR_MSG_OK)
        tr_msg_free(out);
    return rc;
}

int tr_msg_decode(const char *buf, size_t len, struct tr_msg *out, struct tr_msg_error *err)
{
    return tr_msg_decode_as(buf, len, TR_MSG_NONE, out, err);
}

/* ---------- encode ---------- */

int tr_msg_validate(const struct tr_msg *m, struct tr_msg_error *err)
{
    if (err) {
        err->code = TR_MSG_OK;
        err->field[0] = err->reason[0] = 0;
    }
    const struct tr_msgc_obj *d = m ? desc_for(m->type) : NULL;
    if (!d)
        return tr_msgc_fail(err, TR_MSG_ERR_INVALID, NULL, "type", "unknown message type");
    return tr_msgc_encode_obj(NULL, d, m, NULL, err);
}

/* Print m; *out from cJSON's allocator (cJSON_free). */
static int print_msg(const struct tr_msg *m, char **out, size_t *out_len, struct tr_msg_error *err)
{
    if (err) {
        err->code = TR_MSG_OK;
        err->field[0] = err->reason[0] = 0;
    }
    *out = NULL;
    const struct tr_msgc_obj *d = m ? desc_for(m->type) : NULL;
    if (!d)
        return tr_msgc_fail(err, TR_MSG_ERR_INVALID, NULL, "type", "unknown message type");
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return tr_msgc_fail(err, TR_MSG_ERR_NOMEM, NULL, NULL, "out of memory");
    int rc = tr_msgc_encode_obj(root, d, m, NULL, err);
    if (rc == TR_MSG_OK) {
        *out = cJSON_PrintUnformatted(root);
        if (!*out)
            rc = tr_msgc_fail(err, TR_MSG_ERR_NOMEM, NULL, NULL, "out of memory");
    }
    cJSON_Delete(root);
    if (rc != TR_MSG_OK)
        return rc;
    *out_len = strlen(*out);
    if (*out_len > TR_MSG_MAX_BYTES) {
        cJSON_free(*out);
        *out = NULL;
        return tr_msgc_fail(err, TR_MSG_ERR_TOO_LARGE, NULL, NULL, "%zu bytes (max %d)", *out_len,
                            TR_MSG_MAX_BYTES);
    }
    return TR_MSG_OK;
}

int tr_msg_encode(const struct tr_msg *m, char **out, size_t *out_len, struct tr_msg_error *err)
{
    if (!out || !out_len)
        return tr_msgc_fail(err, TR_MSG_ERR_INVALID, NULL, NULL, "NULL argument");
    char *s;
    size_t n = 0;
    int rc = print_msg(m, &s, &n, err);
    *out = NULL;
    if (rc != TR_MSG_OK)
        return rc;
    /* hand back malloc'ed memory whatever cJSON's hooks are */
    *out = malloc(n + 1);
    if (*out) {
        memcpy(*out, s, n + 1);
        *out_len = n;
    }
    cJSON_free(s);
    return *out ? TR_MSG_OK : tr_msgc_fail(err, TR_MSG_ERR_NOMEM, NULL, NULL, "out of memory");
}

int tr_msg_encode_buf(const struct tr_msg *m, char *buf, size_t cap, size_t *out_len,
                      struct tr_msg_error *err)
{
    if (!buf || !out_len)
        return tr_msgc_fail(err, TR_MSG_ERR_INVALID, NULL, NULL, "NULL argument");
    char *s;
    size_t n = 0;
    int rc = print_msg(m, &s, &n, err);
    if (rc != TR_MSG_OK)
        return rc;
    if (n + 1 > cap) {
        rc = tr_msgc_fail(err, TR_MSG_ERR_INVALID, NULL, NULL, "buffer too small (%zu bytes)",
                          n + 1);
    } else {
        memcpy(buf, s, n + 1);
        *out_len = n;
    }
    cJSON_free(s);
    return rc;
}

bool tr_msg_equal(const struct tr_msg *a, const struct tr_msg *b)
{
    if (!a || !b || a->type != b->type)
        return false;
    const struct tr_msgc_obj *d = desc_for(a->type);
    return d ? tr_msgc_equal_obj(d, a, b) : true;
}

/* ---------- errors ---------- */

const char *tr_msg_strerror(int code)
{
    switch (code) {
    case TR_MSG_OK:
        return "ok";
    case TR_MSG_ERR_TOO_LARGE:
        return "payload too large";
    case TR_MSG_ERR_BAD_JSON:
        return "malformed JSON";
    case TR_MSG_ERR_BAD_TYPE:
        return "bad or unexpected message type";
    case TR_MSG_ERR_MISSING:
        return "required field missing";
    case TR_MSG_ERR_BAD_FIELD:
        return "bad field value";
    case TR_MSG_ERR_UNKNOWN_FIELD:
        return "unknown field";
    case TR_MSG_ERR_NOMEM:
        return "out of memory";
    case TR_MSG_ERR_BAD_UTF8:
        return "invalid UTF-8 or NUL";
    case TR_MSG_ERR_TOO_DEEP:
        return "nested too deep";
    case TR_MSG_ERR_DUPLICATE:
        return "duplicate key";
    case TR_MSG_ERR_INVALID:
        return "invalid argument";
    default:
        return "unknown error";
    }
}

enum tr_wire_code tr_msg_err_wire_code(int code)
{
    switch (code) {
    case TR_MSG_ERR_TOO_LARGE:
        return TR_WIRE_TOO_LARGE;
    case TR_MSG_ERR_BAD_JSON:
    case TR_MSG_ERR_BAD_UTF8:
    case TR_MSG_ERR_TOO_DEEP:
    case TR_MSG_ERR_DUPLICATE:
        return TR_WIRE_BAD_JSON;
    case TR_MSG_ERR_BAD_TYPE:
        return TR_WIRE_BAD_TYPE;
    case TR_MSG_ERR_MISSING:
    case TR_MSG_ERR_BAD_FIELD:
    case TR_MSG_ERR_UNKNOWN_FIELD:
        return TR_WIRE_BAD_FIELD;
    default:
        return TR_WIRE_INTERNAL;
    }
}

void tr_msg_error_reply(struct tr_msg *reply, const char *corr, const struct tr_msg_error *err)
{
    if (!reply)
        return;
    tr_msg_init(reply, TR_MSG_ERROR);
    struct tr_error_msg *e = &reply->u.error;
    int code = err ? err->code : TR_MSG_ERR_INVALID;
    e->code = tr_msg_err_wire_code(code);
    if (corr && tr_msg_valid_msgid(corr)) {
        e->has_corr = true;
        strcpy(e->corr, corr);
    }
    if (err && err->field[0]) {
        size_t n = strnlen(err->field, sizeof e->field - 1);
        n = tr_msgc_utf8_cut(err->field, n);
        memcpy(e->field, err->field, n);
        e->field[n] = 0;
        e->has_field = true;
    }
    const char *text = err && err->reason[0] ? err->reason : tr_msg_strerror(code);
    size_t n = tr_msgc_utf8_cut(text, strnlen(text, sizeof e->message - 1));
    memcpy(e->message, text, n);
    e->message[n] = 0;
}

/* ---------- names ---------- */

static const char *name_of(const char *const *names, size_t n, int v)
{
    return v >= 0 && (size_t)v < n && names[v] ? names[v] : "?";
}

static int parse_name(const char *const *names, const char *name, int *out)
{
    for (int i = 0; name && names[i]; i++) {
        if (strcmp(names[i], name) == 0) {
            *out = i;
            return 0;
        }
    }
    return -1;
}

const char *tr_msg_type_name(enum tr_msg_type type)
{
    return type == TR_MSG_NONE ? "?" : name_of(tr_msgc_type_names, TR_MSG_TYPE_COUNT, (int)type);
}

enum tr_msg_type tr_msg_type_from_name(const char *name)
{
    for (int i = 1; name && i < TR_MSG_TYPE_COUNT; i++)
        if (strcmp(tr_msgc_type_names[i], name) == 0)
            return (enum tr_msg_type)i;
    return TR_MSG_NONE;
}

bool tr_msg_type_is_request(enum tr_msg_type type)
{
    return type >= TR_MSG_JOB_CREATE && type <= TR_MSG_COVERAGE_QUERY;
}

const char *tr_msg_claimed_agent_id(const struct tr_msg *m)
{
    if (!m)
        return NULL;
    switch (m->type) {
    case TR_MSG_PRESENCE:
        return m->u.presence.agent_id;
    case TR_MSG_LOC:
        return m->u.loc.agent_id;
    case TR_MSG_OFFER_ANSWER:
        return m->u.offer_answer.agent_id;
    case TR_MSG_JOB_EVENT:
        return m->u.job_event.agent_id;
    default:
        return NULL;
    }
}

const char *tr_msg_wire_code_name(enum tr_wire_code code)
{
    return name_of(tr_msgc_wire_code_names, 9, (int)code);
}

const char *tr_msg_job_state_name(enum tr_job_state state)
{
    return name_of(tr_msgc_job_state_names, 10, (int)state);
}

const char *tr_msg_agent_mode_name(enum tr_agent_mode mode)
{
    return name_of(tr_msgc_agent_mode_names, 5, (int)mode);
}

const char *tr_msg_priority_name(enum tr_priority p)
{
    return name_of(tr_msgc_priority_names, 4, (int)p);
}

const char *tr_msg_travel_mode_name(enum tr_travel_mode t)
{
    return name_of(tr_msgc_travel_mode_names, 4, (int)t);
}

const char *tr_msg_fleet_state_name(enum tr_fleet_state s)
{
    return name_of(tr_msgc_fleet_state_names, 6, (int)s);
}

#define PARSER(fn, type, names)                                                                    \
    int fn(const char *name, type *out)                                                            \
    {                                                                                              \
        int v;                                                                                     \
        if (!out || parse_name(names, name, &v) != 0)                                              \
            return -1;                                                                             \
        *out = (type)v;                                                                            \
        return 0;                                                                                  \
    }
PARSER(tr_msg_job_state_parse, enum tr_job_state, tr_msgc_job_state_names)
PARSER(tr_msg_agent_mode_parse, enum tr_agent_mode, tr_msgc_agent_mode_names)
PARSER(tr_msg_priority_parse, enum tr_priority, tr_msgc_priority_names)
PARSER(tr_msg_travel_mode_parse, enum tr_travel_mode, tr_msgc_travel_mode_names)

/* ---------- validators ---------- */

static bool valid(int pat, const char *s, size_t max)
{
    if (!s)
        return false;
    size_t n = strnlen(s, max + 1);
    return n <= max && tr_msgc_pattern_ok(pat, s, n);
}

bool tr_msg_valid_agent_id(const char *s)
{
    return valid(TR_P_AGENT_ID, s, 64);
}

int tr_msg_json_check(const char *buf, size_t len, struct tr_msg_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    if (!buf)
        return tr_msgc_fail(err, TR_MSG_ERR_BAD_JSON, NULL, NULL, "no payload");
    return tr_msgc_prescan(buf, len, err);
}

size_t tr_msg_utf8_prefix(const char *s, size_t len)
{
    return s ? tr_msgc_utf8_cut(s, len) : 0;
}

bool tr_msg_valid_msgid(const char *s)
{
    return valid(TR_P_MSGID, s, 64);
}

bool tr_msg_valid_skill(const char *s)
{
    return valid(TR_P_SKILL, s, 32);
}

bool tr_msg_valid_lang(const char *s)
{
    return valid(TR_P_LANG, s, 30);
}

bool tr_msg_valid_timezone(const char *s)
{
    return valid(TR_P_TZ, s, 92);
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool tr_msg_lang_matches(const char *wanted, const char *have)
{
    if (!wanted || !have || !wanted[0])
        return false;
    size_t i = 0;
    for (; wanted[i]; i++)
        if (lower(wanted[i]) != lower(have[i])) /* have[i] == 0 stops here too */
            return false;
    return have[i] == 0 || have[i] == '-';
}
