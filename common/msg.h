/*
 * common/msg.h: the wire contract (schemas/README.md) as C structs, and
 * their cJSON codec.
 *
 * What it does: decode one MQTT payload (not NUL-terminated) into a
 * struct tr_msg, checking every rule of the contract (size, UTF-8, strict
 * JSON grammar, nesting, duplicate and unknown keys, types, ranges,
 * patterns, cross-field rules); encode a struct tr_msg to compact JSON,
 * checking the same rules first (it never emits what the decoder rejects);
 * compare two messages; small validators for other modules.
 *
 * What it does not do: topics, QoS, message ids, deduplication, or
 * checking that a payload's agent_id equals its topic's (the bus does that).
 * No cJSON type ever crosses this header.
 *
 * Ownership: a struct tr_msg is a plain value. Strings and small lists live
 * inside it (fixed arrays). Only `response` results hold heap arrays (jobs,
 * contractors, events, regions, gaps); they belong to the message and are
 * freed by tr_msg_free(), which is a no-op for NULL and for messages without
 * heap parts. tr_msg_decode() frees what it allocated when it fails.
 * An encoder's output is malloc'ed: the caller frees it with free().
 *
 * Absent optional fields: `has_x` is false. For optional fields with a
 * default in the contract (priority, tier, travel_mode, radius_km, ...)
 * the decoder also stores the default in the value when absent, so readers
 * can use the value directly; the encoder writes only fields whose has_x is
 * true. All functions are thread-safe (no shared state).
 */
#ifndef TR_MSG_H
#define TR_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest payload accepted or produced, in bytes. */
#define TR_MSG_MAX_BYTES 65536
/* Deepest nesting of objects and arrays accepted (the root object is 1). */
#define TR_MSG_MAX_DEPTH 16

/* Buffer sizes: the README's maximum byte length + 1 for the NUL. */
#define TR_MSG_ID_SIZE       65 /* msgid, agent_id, job_id, offer_id, boot_id */
#define TR_MSG_SKILL_SIZE    33
#define TR_MSG_LANG_SIZE     31
#define TR_MSG_TZ_SIZE       93
#define TR_MSG_TITLE_SIZE    121
#define TR_MSG_DESC_SIZE     1001
#define TR_MSG_ADDRESS_SIZE  201
#define TR_MSG_NOTE_SIZE     201 /* note, reason: <= 200 */
#define TR_MSG_LONGNOTE_SIZE 501 /* job_event note: <= 500 */
#define TR_MSG_NAME_SIZE     101
#define TR_MSG_COUNTY_SIZE   101
#define TR_MSG_VERSION_SIZE  33
#define TR_MSG_FIELD_SIZE    129
#define TR_MSG_TEXT_SIZE     301 /* error message: 1..300 */
#define TR_MSG_REPLY_TO_SIZE 91
#define TR_MSG_HHMM_SIZE     6

#define TR_MSG_MAX_SKILLS    16
#define TR_MSG_MAX_LANGS     8
#define TR_MSG_MAX_FIXES     100
#define TR_MSG_MAX_SHIFTS    21
#define TR_MSG_MAX_LIST      1000 /* jobs, contractors, events in a response */
#define TR_MSG_MAX_REGIONS   4000 /* coverage regions and gaps */
#define TR_MSG_MAX_HOURS_UTC 24

/* Message types. Numbers never change; TR_MSG_NONE is "not known". */
enum tr_msg_type {
    TR_MSG_NONE = 0,
    TR_MSG_PRESENCE = 1,
    TR_MSG_LOC = 2,
    TR_MSG_OFFER = 3,
    TR_MSG_OFFER_ANSWER = 4,
    TR_MSG_JOB_EVENT = 5,
    TR_MSG_ASSIGNMENT = 6,
    TR_MSG_CANCELLATION = 7,
    TR_MSG_AGENT_CONFIG = 8,
    TR_MSG_JOB_STATUS = 9,
    TR_MSG_ERROR = 10,
    TR_MSG_JOB_CREATE = 11, /* console requests: TR_MSG_JOB_CREATE ..= TR_MSG_COVERAGE_QUERY */
    TR_MSG_JOB_LIST = 12,
    TR_MSG_JOB_SHOW = 13,
    TR_MSG_JOB_CANCEL = 14,
    TR_MSG_JOB_REASSIGN = 15,
    TR_MSG_CONTRACTOR_ADD = 16,
    TR_MSG_CONTRACTOR_UPDATE = 17,
    TR_MSG_CONTRACTOR_LIST = 18,
    TR_MSG_DIRECTORY_QUERY = 19,
    TR_MSG_COVERAGE_QUERY = 20,
    TR_MSG_RESPONSE = 21,
    TR_MSG_FLEET = 22, /* dispatcher -> truckroll/v1/fleet/{contractor_id} (web map feed) */
    TR_MSG_TYPE_COUNT
};

/* Codec errors. Numbers never change. */
enum tr_msg_err {
    TR_MSG_OK = 0,
    TR_MSG_ERR_TOO_LARGE = 1,     /* payload over TR_MSG_MAX_BYTES */
    TR_MSG_ERR_BAD_JSON = 2,      /* not one strict RFC 8259 JSON object */
    TR_MSG_ERR_BAD_TYPE = 3,      /* `type` missing, unknown, or not the one expected */
    TR_MSG_ERR_MISSING = 4,       /* a required field is absent */
    TR_MSG_ERR_BAD_FIELD = 5,     /* wrong JSON type, out of range, bad pattern, rule broken */
    TR_MSG_ERR_UNKNOWN_FIELD = 6, /* a key the contract does not know */
    TR_MSG_ERR_NOMEM = 7,
    TR_MSG_ERR_BAD_UTF8 = 8,   /* invalid UTF-8, a 0x00 byte or a \u0000 escape */
    TR_MSG_ERR_TOO_DEEP = 9,   /* nesting over TR_MSG_MAX_DEPTH */
    TR_MSG_ERR_DUPLICATE = 10, /* the same key twice in one object */
    TR_MSG_ERR_INVALID = 11,   /* bad arguments (NULL, unknown type to encode, small buffer) */
};

/* Where and why a message was rejected. `field` is a JSON path from the
 * root ("fixes[3].lat", "args.site.lat", "" for the whole payload). */
struct tr_msg_error {
    int code; /* enum tr_msg_err */
    char field[TR_MSG_FIELD_SIZE];
    char reason[160];
};

/* --- enumerations used in fields (numbers never change) --- */
enum tr_priority { TR_PRIORITY_LOW, TR_PRIORITY_NORMAL, TR_PRIORITY_HIGH, TR_PRIORITY_URGENT };
enum tr_travel_mode { TR_TRAVEL_CAR, TR_TRAVEL_MOTORCYCLE, TR_TRAVEL_BICYCLE, TR_TRAVEL_FOOT };
enum tr_job_state {
    TR_JOB_NEW,
    TR_JOB_OFFERED,
    TR_JOB_ACCEPTED,
    TR_JOB_EN_ROUTE,
    TR_JOB_ON_SITE,
    TR_JOB_COMPLETED,
    TR_JOB_FAILED,
    TR_JOB_CANCELLED,
    TR_JOB_UNASSIGNED,
    TR_JOB_RELEASED
};
enum tr_agent_mode {
    TR_MODE_IDLE,
    TR_MODE_OFFERED,
    TR_MODE_EN_ROUTE,
    TR_MODE_ON_SITE,
    TR_MODE_OFF_SHIFT
};
enum tr_presence_reason { TR_PRESENCE_WILL, TR_PRESENCE_SHUTDOWN };
enum tr_answer { TR_ANSWER_ACCEPT, TR_ANSWER_DECLINE };
enum tr_decline_reason {
    TR_DECLINE_TOO_FAR,
    TR_DECLINE_BUSY,
    TR_DECLINE_LACKS_SKILL,
    TR_DECLINE_OFF_SHIFT,
    TR_DECLINE_VEHICLE,
    TR_DECLINE_PERSONAL,
    TR_DECLINE_OTHER
};
enum tr_event_kind {
    TR_EVENT_EN_ROUTE,
    TR_EVENT_ON_SITE,
    TR_EVENT_COMPLETED,
    TR_EVENT_FAILED,
    TR_EVENT_ESCALATE,
    TR_EVENT_RELEASE
};
enum tr_cancel_reason {
    TR_CANCEL_CANCELLED,
    TR_CANCEL_OFFER_EXPIRED,
    TR_CANCEL_REASSIGNED,
    TR_CANCEL_CLOSED
};
/* The wire `error.code` strings. */
enum tr_wire_code {
    TR_WIRE_BAD_JSON,
    TR_WIRE_TOO_LARGE,
    TR_WIRE_BAD_TYPE,
    TR_WIRE_BAD_FIELD,
    TR_WIRE_FORBIDDEN,
    TR_WIRE_NOT_FOUND,
    TR_WIRE_CONFLICT,
    TR_WIRE_UNAVAILABLE,
    TR_WIRE_INTERNAL
};

/* --- shared objects --- */
struct tr_fix {
    int64_t seq; /* 0 ..= 2^53-1 */
    int64_t t;   /* time_ms */
    double lat, lon;
    int mode; /* 2 or 3 */
    bool has_acc, has_speed, has_heading;
    double acc, speed, heading;
};

struct tr_point {
    double lat, lon;
};

struct tr_site {
    double lat, lon;
    bool has_address;
    char address[TR_MSG_ADDRESS_SIZE];
    bool has_radius_m;
    int radius_m; /* default 100 */
};

struct tr_window {
    int64_t start, end; /* end > start */
};

struct tr_pay {
    char currency[4];
    bool has_per_hour_cents, has_per_incident_cents;
    int64_t per_hour_cents, per_incident_cents;
};

struct tr_region {
    bool has_country, has_state, has_state_fips, has_county_fips, has_county;
    char country[3];
    char state[3];
    char state_fips[3];
    char county_fips[6];
    char county[TR_MSG_COUNTY_SIZE];
};

struct tr_job_spec {
    char title[TR_MSG_TITLE_SIZE];
    bool has_description;
    char description[TR_MSG_DESC_SIZE];
    size_t n_skills; /* 1..16, unique */
    char skills[TR_MSG_MAX_SKILLS][TR_MSG_SKILL_SIZE];
    bool has_language;
    char language[TR_MSG_LANG_SIZE];
    bool has_priority;
    enum tr_priority priority; /* default normal */
    bool has_tier;
    int tier; /* default 1 */
    bool has_window;
    struct tr_window window;
    bool has_pay;
    struct tr_pay pay;
};

struct tr_job_offer {
    char offer_id[TR_MSG_ID_SIZE];
    char agent_id[TR_MSG_ID_SIZE];
    int64_t deadline;
};

struct tr_job {
    struct tr_job_spec spec; /* flattened into the job's JSON object */
    char job_id[TR_MSG_ID_SIZE];
    enum tr_job_state state;
    struct tr_site site;
    bool has_region;
    struct tr_region region;
    int64_t created, updated;
    bool has_assignee;
    char assignee[TR_MSG_ID_SIZE];
    bool has_offer;
    struct tr_job_offer offer;
    int attempts; /* 0..10000 */
    bool has_reason;
    char reason[TR_MSG_NOTE_SIZE];
};

struct tr_shift {
    int day;                                             /* 1 = Monday ..= 7 */
    char start[TR_MSG_HHMM_SIZE], end[TR_MSG_HHMM_SIZE]; /* "HH:MM"; start < end or end "00:00" */
};

struct tr_contractor {
    char contractor_id[TR_MSG_ID_SIZE];
    char name[TR_MSG_NAME_SIZE];
    size_t n_skills; /* 1..16, unique */
    char skills[TR_MSG_MAX_SKILLS][TR_MSG_SKILL_SIZE];
    size_t n_languages; /* 1..8, unique */
    char languages[TR_MSG_MAX_LANGS][TR_MSG_LANG_SIZE];
    bool has_tier;
    int tier; /* default 1 */
    bool has_travel_mode;
    enum tr_travel_mode travel_mode; /* default car */
    bool has_radius_km;
    double radius_km; /* default 50 */
    bool has_job_limit;
    int job_limit; /* default 1 */
    char timezone[TR_MSG_TZ_SIZE];
    bool has_hours; /* absent = always on shift; present and empty = never */
    size_t n_hours;
    struct tr_shift hours[TR_MSG_MAX_SHIFTS];
    bool has_pay;
    struct tr_pay pay;
    bool has_home;
    struct tr_point home;
    bool has_active;
    bool active; /* default true */
};

struct tr_contractor_view {
    struct tr_contractor c; /* flattened */
    bool has_online, has_available, has_lat, has_lon, has_last_seen, has_active_jobs, has_region,
        has_distance_m;
    bool online, available;
    double lat, lon; /* both or neither */
    int64_t last_seen;
    int active_jobs;
    struct tr_region region;
    double distance_m;
};

/* --- agent <-> dispatcher messages --- */
struct tr_presence {
    char agent_id[TR_MSG_ID_SIZE];
    char boot_id[TR_MSG_ID_SIZE];
    bool online;
    /* required when online */
    bool has_available, has_on_shift, has_mode, has_active_jobs;
    bool available, on_shift;
    enum tr_agent_mode mode;
    int active_jobs;
    bool has_reason; /* only when offline */
    enum tr_presence_reason reason;
    bool has_version;
    char version[TR_MSG_VERSION_SIZE];
};

struct tr_loc {
    char agent_id[TR_MSG_ID_SIZE];
    char boot_id[TR_MSG_ID_SIZE];
    size_t n_fixes; /* 1..100, seq strictly increasing */
    struct tr_fix fixes[TR_MSG_MAX_FIXES];
};

struct tr_offer {
    char agent_id[TR_MSG_ID_SIZE];
    char offer_id[TR_MSG_ID_SIZE];
    char job_id[TR_MSG_ID_SIZE];
    struct tr_job_spec job;
    struct tr_site site;
    double distance_m;
    int eta_s;
    int64_t deadline;
};

struct tr_offer_answer {
    char agent_id[TR_MSG_ID_SIZE];
    char offer_id[TR_MSG_ID_SIZE];
    char job_id[TR_MSG_ID_SIZE];
    enum tr_answer answer;
    bool has_reason; /* required when decline */
    enum tr_decline_reason reason;
    bool has_note;
    char note[TR_MSG_NOTE_SIZE];
};

struct tr_job_event {
    char agent_id[TR_MSG_ID_SIZE];
    char job_id[TR_MSG_ID_SIZE];
    enum tr_event_kind event;
    bool has_note; /* required for failed and escalate */
    char note[TR_MSG_LONGNOTE_SIZE];
    bool has_lat, has_lon; /* both or neither */
    double lat, lon;
};

struct tr_assignment {
    char agent_id[TR_MSG_ID_SIZE];
    char offer_id[TR_MSG_ID_SIZE];
    char job_id[TR_MSG_ID_SIZE];
    struct tr_job_spec job;
    struct tr_site site;
};

struct tr_cancellation {
    char agent_id[TR_MSG_ID_SIZE];
    char job_id[TR_MSG_ID_SIZE];
    bool has_offer_id;
    char offer_id[TR_MSG_ID_SIZE];
    enum tr_cancel_reason reason;
    bool has_note;
    char note[TR_MSG_NOTE_SIZE];
};

struct tr_agent_config {
    char agent_id[TR_MSG_ID_SIZE];
    bool has_threshold_m, has_max_interval_s, has_heartbeat_s; /* at least one */
    double threshold_m;
    int max_interval_s;
    int heartbeat_s;
};

struct tr_job_status {
    struct tr_job job;
};

struct tr_error_msg {
    bool has_corr;
    char corr[TR_MSG_ID_SIZE];
    enum tr_wire_code code;
    bool has_field;
    char field[TR_MSG_FIELD_SIZE];
    char message[TR_MSG_TEXT_SIZE];
};

/* fleet: one contractor on the live map (truckroll/v1/fleet/{contractor_id}) */
enum tr_fleet_state {
    TR_FLEET_FREE,        /* can be matched now */
    TR_FLEET_OFFERED,     /* holds a live offer */
    TR_FLEET_BUSY,        /* holds a job, or at the job limit */
    TR_FLEET_UNAVAILABLE, /* online, on shift, but self-declared unavailable or no fresh fix */
    TR_FLEET_OFF_SHIFT,
    TR_FLEET_OFFLINE
};

struct tr_fleet_msg {
    char contractor_id[TR_MSG_ID_SIZE];
    enum tr_fleet_state state;
    bool has_lat, has_lon; /* both or neither */
    double lat, lon;
    bool has_last_seen;
    int64_t last_seen;
};

/* --- console requests: the `args` object of each --- */
struct tr_req_job_create {
    struct tr_job_spec spec;   /* flattened into args */
    bool has_site, has_region; /* exactly one */
    struct tr_site site;
    struct tr_region region; /* country; state_fips+county_fips, state+county in pairs */
    bool has_max_radius_km;
    double max_radius_km;
};

struct tr_req_job_list {
    bool has_state, has_limit, has_offset;
    enum tr_job_state state;
    int limit; /* default 50 */
    int offset;
};

struct tr_req_job_show {
    char job_id[TR_MSG_ID_SIZE];
};

struct tr_req_job_cancel {
    char job_id[TR_MSG_ID_SIZE];
    bool has_note;
    char note[TR_MSG_NOTE_SIZE];
};

struct tr_req_job_reassign {
    char job_id[TR_MSG_ID_SIZE];
    bool has_agent_id, has_radius_km, has_relax_language;
    char agent_id[TR_MSG_ID_SIZE];
    double radius_km;
    bool relax_language;
};

/* contractor.update: contractor_id, and the other keys given (the c.has_x
 * flags and the four below say which). No defaults are filled in. */
struct tr_req_contractor_update {
    struct tr_contractor c;
    bool has_name, has_skills, has_languages, has_timezone;
};

struct tr_req_contractor_list {
    bool has_skill, has_available, has_limit, has_offset;
    char skill[TR_MSG_SKILL_SIZE];
    bool available;
    int limit; /* default 50 */
    int offset;
};

struct tr_req_directory_query {
    bool has_country, has_state, has_county, has_skill, has_language, has_available, has_near,
        has_limit;
    char country[3];
    char state[3]; /* postal ("TX") or FIPS ("48") */
    char county[TR_MSG_COUNTY_SIZE];
    char skill[TR_MSG_SKILL_SIZE];
    char language[TR_MSG_LANG_SIZE];
    bool available;
    struct tr_point near;
    int limit; /* default 50 */
};

struct tr_req_coverage_query {
    bool has_country, has_state, has_skill, has_language;
    char country[3];
    char state[3];
    char skill[TR_MSG_SKILL_SIZE];
    char language[TR_MSG_LANG_SIZE];
};

/* --- response --- */
struct tr_job_history {
    int64_t ts;
    enum tr_job_state state;
    char actor[TR_MSG_ID_SIZE]; /* 1..64 */
    bool has_note;
    char note[TR_MSG_NOTE_SIZE];
};

struct tr_coverage_row {
    struct tr_region region;
    int64_t qualified, on_shift; /* 0..10000000 */
};

/* The members used depend on `re`:
 *   job.create, job.cancel, job.reassign: job
 *   job.show: job, events
 *   job.list: jobs, total
 *   contractor.add, contractor.update: contractor
 *   contractor.list, directory.query: contractors, total
 *   coverage.query: regions, gaps, uncovered_hours_utc
 * Heap arrays: allocate with malloc/calloc (n elements); tr_msg_free frees
 * them all (whatever `re` says). */
struct tr_result {
    struct tr_job job;
    size_t n_events;
    struct tr_job_history *events;
    size_t n_jobs;
    struct tr_job *jobs;
    int64_t total;
    struct tr_contractor_view contractor;
    bool has_unchanged; /* contractor.add only */
    bool unchanged;     /* the contractor existed with this very record */
    size_t n_contractors;
    struct tr_contractor_view *contractors;
    size_t n_regions;
    struct tr_coverage_row *regions;
    size_t n_gaps;
    struct tr_region *gaps;
    size_t n_uncovered_hours_utc;
    int uncovered_hours_utc[TR_MSG_MAX_HOURS_UTC];
};

struct tr_response {
    char corr[TR_MSG_ID_SIZE];
    enum tr_msg_type re; /* a request type */
    struct tr_result result;
};

/* One message. `type`, `id`, `ts` are common to all; reply_to belongs to
 * console requests only (ignored, neither written nor compared, for other
 * types). */
struct tr_msg {
    enum tr_msg_type type;
    char id[TR_MSG_ID_SIZE];
    int64_t ts;
    bool has_reply_to;
    char reply_to[TR_MSG_REPLY_TO_SIZE];
    union {
        struct tr_presence presence;
        struct tr_loc loc;
        struct tr_offer offer;
        struct tr_offer_answer offer_answer;
        struct tr_job_event job_event;
        struct tr_assignment assignment;
        struct tr_cancellation cancellation;
        struct tr_agent_config agent_config;
        struct tr_job_status job_status;
        struct tr_error_msg error;
        struct tr_req_job_create job_create;
        struct tr_req_job_list job_list;
        struct tr_req_job_show job_show;
        struct tr_req_job_cancel job_cancel;
        struct tr_req_job_reassign job_reassign;
        struct tr_contractor contractor_add;
        struct tr_req_contractor_update contractor_update;
        struct tr_req_contractor_list contractor_list;
        struct tr_req_directory_query directory_query;
        struct tr_req_coverage_query coverage_query;
        struct tr_response response;
        struct tr_fleet_msg fleet;
    } u;
};

/* Zero the message and set its type. Defaults are not filled in. */
void tr_msg_init(struct tr_msg *m, enum tr_msg_type type);
/* Free the heap parts (response arrays) and zero their pointers and counts.
 * NULL and messages without heap parts: no-op. */
void tr_msg_free(struct tr_msg *m);

/*
 * Decode one payload of `len` bytes (need not be NUL-terminated).
 * Returns TR_MSG_OK, or an enum tr_msg_err with `err` (may be NULL) naming
 * the field and the reason. On failure `out` holds no heap parts (nothing to
 * free), out->type is the message's type if it was recognised, and out->id
 * its id if it was readable (for an error reply's corr; "" otherwise).
 * On success the caller owns `out` and calls tr_msg_free() when done.
 */
int tr_msg_decode(const char *buf, size_t len, struct tr_msg *out, struct tr_msg_error *err);
/* Like tr_msg_decode, and the type must be `expected` (per-topic decoding):
 * another type fails with TR_MSG_ERR_BAD_TYPE. */
int tr_msg_decode_as(const char *buf, size_t len, enum tr_msg_type expected, struct tr_msg *out,
                     struct tr_msg_error *err);
/* The fast path for `loc` (msg_fastloc.c): true when buf is a valid `loc`
 * in the plain shape agents send, with *out exactly what tr_msg_decode gives
 * (no heap parts; fixes past n_fixes are not cleared). false: not handled
 * here (invalid, or a form it does not take: escapes, exponents, ...), *out
 * unspecified: call tr_msg_decode for the verdict. Never accepts what
 * tr_msg_decode rejects. */
bool tr_msg_decode_loc_fast(const char *buf, size_t len, struct tr_msg *out);

/*
 * Check `m` against the contract and write it as compact JSON.
 * tr_msg_encode: *out is malloc'ed and NUL-terminated (caller frees it with
 * free()), *out_len its length without the NUL. On failure *out is NULL.
 * tr_msg_encode_buf: writes into buf (cap bytes including the NUL);
 * TR_MSG_ERR_INVALID when it does not fit.
 * `err` may be NULL; it names the bad field as the decoder would.
 */
int tr_msg_encode(const struct tr_msg *m, char **out, size_t *out_len, struct tr_msg_error *err);
int tr_msg_encode_buf(const struct tr_msg *m, char *buf, size_t cap, size_t *out_len,
                      struct tr_msg_error *err);
/* Check `m` as the encoder would, without writing anything. */
int tr_msg_validate(const struct tr_msg *m, struct tr_msg_error *err);

/* True when a and b carry the same message: same type and the same value in
 * every field the contract has (fields with has_x false are not compared;
 * doubles compare with ==). Bytes beyond a string's NUL are ignored. */
bool tr_msg_equal(const struct tr_msg *a, const struct tr_msg *b);

/* Fill `reply` as an `error` message answering a rejected payload: code from
 * err->code, field and message from err. corr may be NULL or "". The
 * caller sets reply->id and reply->ts. */
void tr_msg_error_reply(struct tr_msg *reply, const char *corr, const struct tr_msg_error *err);

const char *tr_msg_strerror(int code);
/* The wire error.code for a codec error (bad_json, too_large, ...). */
enum tr_wire_code tr_msg_err_wire_code(int code);

/* Names as on the wire. *_name returns "?" for a value out of range;
 * *_parse returns 0 and sets *out, or -1 for an unknown name. */
const char *tr_msg_type_name(enum tr_msg_type type);
enum tr_msg_type tr_msg_type_from_name(const char *name); /* TR_MSG_NONE if unknown */
bool tr_msg_type_is_request(enum tr_msg_type type);
/* The agent_id that a message an agent publishes claims as its sender
 * (presence, loc, offer_answer, job_event), pointing into `m`; NULL for
 * every other type (offer, assignment, ... name an agent but are not sent by
 * one) and for m NULL. The bus compares it with the topic's agent id. */
const char *tr_msg_claimed_agent_id(const struct tr_msg *m);
const char *tr_msg_wire_code_name(enum tr_wire_code code);
const char *tr_msg_job_state_name(enum tr_job_state state);
int tr_msg_job_state_parse(const char *name, enum tr_job_state *out);
const char *tr_msg_agent_mode_name(enum tr_agent_mode mode);
int tr_msg_agent_mode_parse(const char *name, enum tr_agent_mode *out);
const char *tr_msg_priority_name(enum tr_priority p);
int tr_msg_priority_parse(const char *name, enum tr_priority *out);
const char *tr_msg_travel_mode_name(enum tr_travel_mode t);
int tr_msg_travel_mode_parse(const char *name, enum tr_travel_mode *out);
const char *tr_msg_fleet_state_name(enum tr_fleet_state s);

/* Validators for other modules (NUL-terminated input; NULL is invalid). */
bool tr_msg_valid_agent_id(const char *s);
bool tr_msg_valid_msgid(const char *s);
bool tr_msg_valid_skill(const char *s);
bool tr_msg_valid_lang(const char *s);
bool tr_msg_valid_timezone(const char *s);
/* BCP-47 prefix match, case-insensitive, on subtag boundaries: wanted "es"
 * matches have "es-MX"; "es-MX" does not match "es"; "es" does not match
 * "est". */
bool tr_msg_lang_matches(const char *wanted, const char *have);

/* For other JSON protocols (the agent's control socket): the byte-level
 * checks every decoder runs before cJSON sees a payload: one strict RFC 8259
 * JSON object in valid UTF-8, without a 0x00 byte or a \u0000 escape (cJSON
 * would cut the string there), nested at most TR_MSG_MAX_DEPTH deep.
 * Returns TR_MSG_OK, or an error code with err (may be NULL) filled in. */
int tr_msg_json_check(const char *buf, size_t len, struct tr_msg_error *err);
/* The length of the longest prefix of s[0..len) that ends on a UTF-8
 * character boundary: for cutting text short without splitting a
 * character. */
size_t tr_msg_utf8_prefix(const char *s, size_t len);

#endif
