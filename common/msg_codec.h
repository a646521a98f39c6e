/*
 * common/msg_codec.h: INTERNAL to the message codec (msg*.c). Not for other
 * modules: use common/msg.h.
 *
 * The codec is table-driven: each JSON object of the contract is a
 * struct tr_msgc_obj, a list of fields (key, kind, where the value and its
 * has_x flag live in the C struct, range, length, pattern) plus an optional
 * check for rules across fields. One engine (msg_codec.c) walks a table to
 * decode a cJSON object, validate a C struct, encode it, or compare two.
 * The same value checks run on decode and on encode, so the encoder never
 * writes what the decoder rejects.
 *
 * msg_json.c holds the byte-level pre-scan (UTF-8, strict JSON grammar,
 * nesting, \u0000) and the string patterns.
 */
#ifndef TR_MSG_CODEC_H
#define TR_MSG_CODEC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/msg.h"

enum tr_msgc_kind {
    TR_K_TYPE,   /* the message's `type` (checked before the walk) */
    TR_K_STR,    /* char[size]; lo..hi bytes; pattern */
    TR_K_ENUM,   /* C enum (int sized); aux: NULL-terminated names; value = lo + index */
    TR_K_I32,    /* int; lo..hi */
    TR_K_I64,    /* int64_t; lo..hi */
    TR_K_NUM,    /* double; lo..hi (hi exclusive with TR_F_XMAX) */
    TR_K_BOOL,   /* bool */
    TR_K_OBJ,    /* nested struct; aux: struct tr_msgc_obj */
    TR_K_STRS,   /* char[nmax][size] + size_t count at cnt; element lo..hi bytes, pattern */
    TR_K_OBJS,   /* struct[nmax] + size_t count at cnt; element size `size`; aux: obj */
    TR_K_HEAP,   /* struct * + size_t count at cnt; calloc'ed on decode; aux: obj */
    TR_K_INTS,   /* int[nmax] + size_t count at cnt; lo..hi */
    TR_K_RESULT, /* nested struct whose table depends on the message; aux: tr_msgc_pick */
};

enum tr_msgc_pat {
    TR_P_ANY,      /* any UTF-8 (no NUL) */
    TR_P_AGENT_ID, /* ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ */
    TR_P_MSGID,    /* ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$ */
    TR_P_SKILL,    /* ^[a-z0-9][a-z0-9-]{0,31}$ */
    TR_P_LANG,     /* ^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$ */
    TR_P_CURRENCY, /* ^[A-Z]{3}$ */
    TR_P_TZ,       /* IANA name */
    TR_P_UPPER2,   /* ^[A-Z]{2}$ */
    TR_P_DIGITS2,  /* ^[0-9]{2}$ */
    TR_P_DIGITS5,  /* ^[0-9]{5}$ */
    TR_P_HHMM,     /* ^([01][0-9]|2[0-3]):[0-5][0-9]$ */
    TR_P_STATE,    /* ^([A-Z]{2}|[0-9]{2})$ */
    TR_P_REPLY_TO, /* ^truckroll/v1/console/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}/resp$ */
};

#define TR_F_REQ  0x01u /* required */
#define TR_F_XMAX 0x02u /* hi is exclusive */
#define TR_F_DEF  0x04u /* absent: store `def` in the value */
#define TR_F_UNIQ 0x08u /* TR_K_STRS: items unique */
#define TR_NOHAS  0xffffu

/* A JSON path, built only when an error is reported: a chain of segments
 * on the stack, key (object member) or idx (array element, key NULL). */
struct tr_msgc_path {
    const struct tr_msgc_path *up;
    const char *key;
    size_t idx;
};

struct tr_msgc_field {
    const char *key;
    const void *aux;
    double lo, hi, def;
    uint16_t off;  /* value, from the struct's start */
    uint16_t has;  /* bool has_x flag, or TR_NOHAS */
    uint16_t cnt;  /* lists: size_t count */
    uint16_t size; /* TR_K_STR(S): buffer size; lists: element size */
    uint16_t nmin, nmax;
    uint8_t kind, flags, pat;
};

struct tr_msgc_obj {
    const char *name;
    const struct tr_msgc_field *fields;
    size_t nfields; /* <= TR_MSGC_MAX_FIELDS */
    /* Rules across fields, run after the fields passed (decode and encode). */
    int (*check)(const void *obj, const struct tr_msgc_path *at, struct tr_msg_error *err);
};

#define TR_MSGC_MAX_FIELDS 32

struct tr_msgc_pick {
    const struct tr_msgc_obj *(*fn)(const void *base);
};

/* --- table-writing macros: T struct type, K key, M member, H has member --- */
#define TR_OFF(T, M) ((uint16_t)offsetof(T, M))
#define TR_SZ(T, M)  ((uint16_t)sizeof(((T *)0)->M))
#define TR_ESZ(T, M) ((uint16_t)sizeof(((T *)0)->M[0]))
#define TR_NEL(T, M) ((uint16_t)(sizeof(((T *)0)->M) / sizeof(((T *)0)->M[0])))

#define TR_FSTR(T, K, M, F, H, LO, HI, PAT)                                                        \
    {                                                                                              \
        .key = K, .kind = TR_K_STR, .flags = F, .pat = PAT, .off = TR_OFF(T, M), .has = H,         \
        .size = TR_SZ(T, M), .lo = LO, .hi = HI                                                    \
    }
#define R_STR(T, K, M, LO, HI, PAT)    TR_FSTR(T, K, M, TR_F_REQ, TR_NOHAS, LO, HI, PAT)
#define O_STR(T, K, M, H, LO, HI, PAT) TR_FSTR(T, K, M, 0, TR_OFF(T, H), LO, HI, PAT)
#define R_ID(T, K, M)                  R_STR(T, K, M, 1, 64, TR_P_MSGID)
#define R_AGENT(T, K, M)               R_STR(T, K, M, 1, 64, TR_P_AGENT_ID)

#define TR_FNUM(T, KIND, K, M, F, H, LO, HI, DEF)                                                  \
    {                                                                                              \
        .key = K, .kind = KIND, .flags = F, .off = TR_OFF(T, M), .has = H, .lo = LO, .hi = HI,     \
        .def = DEF                                                                                 \
    }
#define R_I32(T, K, M, LO, HI)    TR_FNUM(T, TR_K_I32, K, M, TR_F_REQ, TR_NOHAS, LO, HI, 0)
#define O_I32(T, K, M, H, LO, HI) TR_FNUM(T, TR_K_I32, K, M, 0, TR_OFF(T, H), LO, HI, 0)
#define D_I32(T, K, M, H, LO, HI, DEF)                                                             \
    TR_FNUM(T, TR_K_I32, K, M, TR_F_DEF, TR_OFF(T, H), LO, HI, DEF)
#define R_I64(T, K, M, LO, HI)    TR_FNUM(T, TR_K_I64, K, M, TR_F_REQ, TR_NOHAS, LO, HI, 0)
#define O_I64(T, K, M, H, LO, HI) TR_FNUM(T, TR_K_I64, K, M, 0, TR_OFF(T, H), LO, HI, 0)
#define R_NUM(T, K, M, LO, HI)    TR_FNUM(T, TR_K_NUM, K, M, TR_F_REQ, TR_NOHAS, LO, HI, 0)
#define O_NUM(T, K, M, H, LO, HI) TR_FNUM(T, TR_K_NUM, K, M, 0, TR_OFF(T, H), LO, HI, 0)
#define D_NUM(T, K, M, H, LO, HI, DEF)                                                             \
    TR_FNUM(T, TR_K_NUM, K, M, TR_F_DEF, TR_OFF(T, H), LO, HI, DEF)
#define R_BOOL(T, K, M)         TR_FNUM(T, TR_K_BOOL, K, M, TR_F_REQ, TR_NOHAS, 0, 1, 0)
#define O_BOOL(T, K, M, H)      TR_FNUM(T, TR_K_BOOL, K, M, 0, TR_OFF(T, H), 0, 1, 0)
#define D_BOOL(T, K, M, H, DEF) TR_FNUM(T, TR_K_BOOL, K, M, TR_F_DEF, TR_OFF(T, H), 0, 1, DEF)
#define R_TIME(T, K, M)         R_I64(T, K, M, TR_TIME_MIN, TR_TIME_MAX)
#define O_TIME(T, K, M, H)      O_I64(T, K, M, H, TR_TIME_MIN, TR_TIME_MAX)

#define TR_FENUM(T, K, M, F, H, NAMES, BASE, DEF)                                                  \
    {                                                                                              \
        .key = K, .kind = TR_K_ENUM, .flags = F, .off = TR_OFF(T, M), .has = H, .aux = NAMES,      \
        .lo = BASE, .def = DEF                                                                     \
    }
#define R_ENUM(T, K, M, NAMES)         TR_FENUM(T, K, M, TR_F_REQ, TR_NOHAS, NAMES, 0, 0)
#define O_ENUM(T, K, M, H, NAMES)      TR_FENUM(T, K, M, 0, TR_OFF(T, H), NAMES, 0, 0)
#define D_ENUM(T, K, M, H, NAMES, DEF) TR_FENUM(T, K, M, TR_F_DEF, TR_OFF(T, H), NAMES, 0, DEF)

#define TR_FOBJ(T, K, M, F, H, OBJ)                                                                \
    {                                                                                              \
        .key = K, .kind = TR_K_OBJ, .flags = F, .off = TR_OFF(T, M), .has = H, .aux = OBJ          \
    }
#define R_OBJ(T, K, M, OBJ)    TR_FOBJ(T, K, M, TR_F_REQ, TR_NOHAS, OBJ)
#define O_OBJ(T, K, M, H, OBJ) TR_FOBJ(T, K, M, 0, TR_OFF(T, H), OBJ)

/* string lists: M the char[N][S] array, C the size_t count */
#define TR_FSTRS(T, K, M, C, F, H, NMIN, LO, HI, PAT)                                              \
    {                                                                                              \
        .key = K, .kind = TR_K_STRS, .flags = (F) | TR_F_UNIQ, .pat = PAT, .off = TR_OFF(T, M),    \
        .has = H, .cnt = TR_OFF(T, C), .size = TR_ESZ(T, M), .nmin = NMIN, .nmax = TR_NEL(T, M),   \
        .lo = LO, .hi = HI                                                                         \
    }
/* object lists: M the struct[N] array */
#define TR_FOBJS(T, K, M, C, F, H, NMIN, OBJ)                                                      \
    {                                                                                              \
        .key = K, .kind = TR_K_OBJS, .flags = F, .off = TR_OFF(T, M), .has = H,                    \
        .cnt = TR_OFF(T, C), .size = TR_ESZ(T, M), .nmin = NMIN, .nmax = TR_NEL(T, M), .aux = OBJ  \
    }
/* heap lists: M a pointer, ESZ its element size */
#define R_HEAP(T, K, M, C, ESZ, NMAX, OBJ)                                                         \
    {                                                                                              \
        .key = K, .kind = TR_K_HEAP, .flags = TR_F_REQ, .off = TR_OFF(T, M), .has = TR_NOHAS,      \
        .cnt = TR_OFF(T, C), .size = (uint16_t)(ESZ), .nmax = NMAX, .aux = OBJ                     \
    }

/* type, id, ts: the first fields of every message table */
#define TR_ENVELOPE                                                                                \
    { .key = "type",                                                                               \
      .kind = TR_K_TYPE,                                                                           \
      .flags = TR_F_REQ,                                                                           \
      .off = TR_OFF(struct tr_msg, type),                                                          \
      .has = TR_NOHAS },                                                                           \
        R_ID(struct tr_msg, "id", id), R_TIME(struct tr_msg, "ts", ts)

#define TR_TIME_MIN 946684800000.0
#define TR_TIME_MAX 4102444800000.0
#define TR_SEQ_MAX  9007199254740991.0

/* --- tables (msg_objects.c, msg_agent.c, msg_console.c) --- */
extern const struct tr_msgc_obj tr_msgd_fix, tr_msgd_point, tr_msgd_site, tr_msgd_window,
    tr_msgd_pay, tr_msgd_region, tr_msgd_job_spec, tr_msgd_job_offer, tr_msgd_job, tr_msgd_shift,
    tr_msgd_contractor, tr_msgd_contractor_view, tr_msgd_contractor_update, tr_msgd_job_create_args;
extern const char *const tr_msgc_priority_names[];
extern const char *const tr_msgc_travel_mode_names[];
extern const char *const tr_msgc_job_state_names[];
extern const char *const tr_msgc_agent_mode_names[];
extern const char *const tr_msgc_wire_code_names[];
extern const char *const tr_msgc_type_names[];    /* index = enum tr_msg_type; [0] "" */
extern const char *const tr_msgc_request_names[]; /* TR_MSG_JOB_CREATE ..= COVERAGE_QUERY */

/* The table of a whole message (root object, offsets into struct tr_msg). */
const struct tr_msgc_obj *tr_msgc_agent_desc(enum tr_msg_type type);
const struct tr_msgc_obj *tr_msgc_console_desc(enum tr_msg_type type);
const struct tr_msgc_obj *tr_msgc_fleet_desc(enum tr_msg_type type); /* msg_fleet.c */
extern const char *const tr_msgc_fleet_state_names[];

/* --- engine (msg_codec.c) --- */
/* Decode cJSON object `obj` into `base` following `d`. Heap lists are
 * allocated into base even on failure (the caller frees them). */
int tr_msgc_decode_obj(const cJSON *obj, const struct tr_msgc_obj *d, void *base,
                       const struct tr_msgc_path *at, struct tr_msg_error *err);
/* Validate `base` following `d`; when `into` is not NULL also add its
 * members to the cJSON object `into`. */
int tr_msgc_encode_obj(cJSON *into, const struct tr_msgc_obj *d, const void *base,
                       const struct tr_msgc_path *at, struct tr_msg_error *err);
bool tr_msgc_equal_obj(const struct tr_msgc_obj *d, const void *a, const void *b);
/* Check the tables' own invariants (sizes, ranges); 0 or -1 with `why`. */
int tr_msgc_selfcheck(const struct tr_msgc_obj *d, char *why, size_t why_len);

/* Record an error: code, path `at` (+ `key` if not NULL), printf reason.
 * Returns code. err may be NULL. */
int tr_msgc_fail(struct tr_msg_error *err, int code, const struct tr_msgc_path *at, const char *key,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* --- bytes and strings (msg_json.c) --- */
/* Reject what cJSON would not catch or would silently change: invalid
 * UTF-8, 0x00, \u0000, lone surrogates, anything not strict RFC 8259 JSON
 * (cJSON accepts 01, 1., raw control characters and trailing garbage),
 * numbers over 63 characters (cJSON truncates them), nesting deeper than
 * TR_MSG_MAX_DEPTH, a root that is not an object. */
int tr_msgc_prescan(const char *buf, size_t len, struct tr_msg_error *err);
bool tr_msgc_utf8_valid(const char *s, size_t len);
/* Length of the longest prefix of s[0..len) that ends on a character
 * boundary (for truncating valid UTF-8). */
size_t tr_msgc_utf8_cut(const char *s, size_t len);
bool tr_msgc_pattern_ok(int pat, const char *s, size_t len);
/* "must match ..." text for a pattern. */
const char *tr_msgc_pattern_text(int pat);

#endif
