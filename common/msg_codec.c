/*
 * common/msg_codec.c: the table-driven engine of the message codec.
 *
 * Does: walk a struct tr_msgc_obj table to decode a cJSON object into a C
 * struct (unknown and duplicate keys, JSON types, ranges, lengths,
 * patterns, list sizes and uniqueness, then the table's cross-field check),
 * to validate a C struct with the very same value checks and optionally
 * build its cJSON object, to compare two structs, and to check the tables
 * themselves. Error paths ("fixes[3].lat") are built only on failure.
 * Does not: parse bytes (msg_json.c), know any message (the tables live in
 * msg_objects.c, msg_agent.c, msg_console.c), or allocate outside
 * TR_K_HEAP lists.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg_codec.h"

_Static_assert(sizeof(enum tr_priority) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum tr_msg_type) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(struct tr_msg) < 65535, "table offsets are 16-bit");

/* ---------- errors and paths ---------- */

static size_t path_print(char *dst, size_t cap, const struct tr_msgc_path *at, const char *key)
{
    const struct tr_msgc_path *seg[64];
    size_t n = 0, len = 0;
    for (const struct tr_msgc_path *p = at; p && n < 64; p = p->up)
        seg[n++] = p;
    dst[0] = 0;
    for (size_t i = n; i-- > 0 && len < cap;) {
        int w;
        if (seg[i]->key)
            w = snprintf(dst + len, cap - len, "%s%s", len ? "." : "", seg[i]->key);
        else
            w = snprintf(dst + len, cap - len, "[%zu]", seg[i]->idx);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    if (key && len < cap) {
        int w = snprintf(dst + len, cap - len, "%s%s", len ? "." : "", key);
        if (w > 0)
            len += (size_t)w;
    }
    if (len >= cap)
        len = cap - 1;
    /* keys come from the payload for "unknown key": keep it valid UTF-8 */
    len = tr_msgc_utf8_cut(dst, len);
    dst[len] = 0;
    return len;
}

int tr_msgc_fail(struct tr_msg_error *err, int code, const struct tr_msgc_path *at, const char *key,
                 const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    path_print(err->field, sizeof err->field, at, key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    return code;
}

/* ---------- field access ---------- */

#define AT(base, off)  ((char *)(base) + (off))
#define CAT(base, off) ((const char *)(base) + (off))

static bool *has_ptr(void *base, const struct tr_msgc_field *f)
{
    return f->has == TR_NOHAS ? NULL : (bool *)AT(base, f->has);
}

static bool is_present(const void *base, const struct tr_msgc_field *f)
{
    return f->has == TR_NOHAS || *(const bool *)CAT(base, f->has);
}

static size_t count_of(const void *base, const struct tr_msgc_field *f)
{
    return *(const size_t *)CAT(base, f->cnt);
}

static size_t enum_count(const struct tr_msgc_field *f)
{
    const char *const *names = f->aux;
    size_t n = 0;
    while (names[n])
        n++;
    return n;
}

/* ---------- value checks shared by decode and encode ---------- */

static int check_string(const char *s, size_t len, const struct tr_msgc_field *f,
                        const struct tr_msgc_path *at, const char *key, struct tr_msg_error *err)
{
    if ((double)len > f->hi)
        return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, at, key, "too long (max %.0f bytes)", f->hi);
    if ((double)len < f->lo)
        return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, at, key,
                            f->lo == 1 ? "must not be empty" : "too short (min %.0f bytes)", f->lo);
    if (!tr_msgc_utf8_valid(s, len))
        return tr_msgc_fail(err, TR_MSG_ERR_BAD_UTF8, at, key, "invalid UTF-8");
    if (!tr_msgc_pattern_ok(f->pat, s, len))
        return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, at, key, "%s", tr_msgc_pattern_text(f->pat));
    return TR_MSG_OK;
}

static int range_fail(const struct tr_msgc_field *f, const struct tr_msgc_path *at, const char *key,
                      struct tr_msg_error *err)
{
    if (f->flags & TR_F_XMAX)
        return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, at, key, "must be >= %.17g and < %.17g",
                            f->lo, f->hi);
    return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, at, key, "must be between %.17g and %.17g",
                        f->lo, f->hi);
}

static bool in_range(const struct tr_msgc_field *f, double v)
{
    if (!(v >= f->lo)) /* also NaN */
        return false;
    return (f->flags & TR_F_XMAX) ? v < f->hi : v <= f->hi;
}

static int check_number(double v, bool integer, const struct tr_msgc_field *f,
                        const struct tr_msgc_path *at, const char *key, struct tr_msg_error *err)
{
    if (isfinite(v) && integer && floor(v) != v)
        return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, at, key, "must be an integer");
    if (!in_range(f, v))
        return range_fail(f, at, key, err);
    return TR_MSG_OK;
}

static int check_count(size_t n, const struct tr_msgc_field *f, const struct tr_msgc_path *at,
                       struct tr_msg_error *err)
{
    if (n > f->nmax)
        return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, at, f->key, "too many items (max %u)",
                            (unsigned)f->nmax);
    if (n < f->nmin)
        return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, at, f->key,
                            f->nmin == 1 ? "must not be empty" : "too few items (min %u)",
                            (unsigned)f->nmin);
    return TR_MSG_OK;
}

/* String list element i: checked, and unique among the first i. */
static int check_strs_item(const char *list, size_t i, const struct tr_msgc_field *f,
                           const struct tr_msgc_path *at, struct tr_msg_error *err)
{
    struct tr_msgc_path here = { .up = at, .key = f->key };
    struct tr_msgc_path el = { .up = &here, .key = NULL, .idx = i };
    const char *s = list + i * f->size;
    size_t len = strnlen(s, f->size);
    if (len == f->size)
        return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, &el, NULL, "not NUL-terminated");
    int rc = check_string(s, len, f, &el, NULL, err);
    if (rc != TR_MSG_OK)
        return rc;
    if (f->flags & TR_F_UNIQ)
        for (size_t j = 0; j < i; j++)
            if (strcmp(list + j * f->size, s) == 0)
                return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, &el, NULL, "duplicate item");
    return TR_MSG_OK;
}

/* ---------- decode ---------- */

static int decode_value(const cJSON *it, const struct tr_msgc_field *f, void *base,
                        const struct tr_msgc_path *at, struct tr_msg_error *err);

static int need(bool ok, const char *what, const struct tr_msgc_field *f,
                const struct tr_msgc_path *at, struct tr_msg_error *err)
{
    return ok ? TR_MSG_OK : tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, at, f->key, "must be %s", what);
}

static int decode_list(const cJSON *it, const struct tr_msgc_field *f, void *base,
                       const struct tr_msgc_path *at, struct tr_msg_error *err)
{
    int rc = need(cJSON_IsArray(it), "an array", f, at, err);
    if (rc != TR_MSG_OK)
        return rc;
    size_t n = (size_t)cJSON_GetArraySize(it);
    if ((rc = check_count(n, f, at, err)) != TR_MSG_OK)
        return rc;
    char *arr = AT(base, f->off);
    if (f->kind == TR_K_HEAP) {
        void *mem = n ? calloc(n, f->size) : NULL;
        if (n && !mem)
            return tr_msgc_fail(err, TR_MSG_ERR_NOMEM, at, f->key, "out of memory");
        *(void **)arr = mem;
        arr = mem;
    }
    size_t *count = (size_t *)AT(base, f->cnt);
    *count = 0;
    struct tr_msgc_path here = { .up = at, .key = f->key };
    size_t i = 0;
    for (const cJSON *e = it->child; e; e = e->next, i++) {
        struct tr_msgc_path el = { .up = &here, .key = NULL, .idx = i };
        switch (f->kind) {
        case TR_K_STRS: {
            if (!cJSON_IsString(e))
                return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, &el, NULL, "must be a string");
            size_t len = strlen(e->valuestring);
            if ((double)len > f->hi)
                return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, &el, NULL,
                                    "too long (max %.0f bytes)", f->hi);
            memcpy(arr + i * f->size, e->valuestring, len + 1);
            rc = check_strs_item(arr, i, f, at, err);
            break;
        }
        case TR_K_INTS: {
            if (!cJSON_IsNumber(e))
                return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, &el, NULL, "must be an integer");
            rc = check_number(e->valuedouble, true, f, &el, NULL, err);
            if (rc == TR_MSG_OK)
                ((int *)(void *)arr)[i] = (int)e->valuedouble;
            break;
        }
        default: /* TR_K_OBJS, TR_K_HEAP */
            if (!cJSON_IsObject(e))
                return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, &el, NULL, "must be an object");
            rc = tr_msgc_decode_obj(e, f->aux, arr + i * f->size, &el, err);
            break;
        }
        *count = i + 1; /* so a failed heap list is still freed and compared whole */
        if (rc != TR_MSG_OK)
            return rc;
    }
    return TR_MSG_OK;
}

static int decode_value(const cJSON *it, const struct tr_msgc_field *f, void *base,
                        const struct tr_msgc_path *at, struct tr_msg_error *err)
{
    void *v = AT(base, f->off);
    int rc;
    switch (f->kind) {
    case TR_K_TYPE:
        return TR_MSG_OK; /* checked by the caller before the walk */
    case TR_K_STR: {
        if ((rc = need(cJSON_IsString(it), "a string", f, at, err)) != TR_MSG_OK)
            return rc;
        size_t len = strlen(it->valuestring);
        if ((rc = check_string(it->valuestring, len, f, at, f->key, err)) != TR_MSG_OK)
            return rc;
        memcpy(v, it->valuestring, len + 1);
        return TR_MSG_OK;
    }
    case TR_K_ENUM: {
        if ((rc = need(cJSON_IsString(it), "a string", f, at, err)) != TR_MSG_OK)
            return rc;
        const char *const *names = f->aux;
        for (size_t i = 0; names[i]; i++) {
            if (strcmp(names[i], it->valuestring) == 0) {
                *(int *)v = (int)f->lo + (int)i;
                return TR_MSG_OK;
            }
        }
        char list[120];
        size_t len = 0;
        list[0] = 0;
        for (size_t i = 0; names[i] && len < sizeof list; i++) {
            int w = snprintf(list + len, sizeof list - len, "%s%s", i ? " " : "", names[i]);
            len += w > 0 ? (size_t)w : 0;
        }
        return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, at, f->key, "must be one of: %s", list);
    }
    case TR_K_I32:
    case TR_K_I64:
        if ((rc = need(cJSON_IsNumber(it), "an integer", f, at, err)) != TR_MSG_OK)
            return rc;
        if ((rc = check_number(it->valuedouble, true, f, at, f->key, err)) != TR_MSG_OK)
            return rc;
        if (f->kind == TR_K_I32)
            *(int *)v = (int)it->valuedouble;
        else
            *(int64_t *)v = (int64_t)it->valuedouble;
        return TR_MSG_OK;
    case TR_K_NUM:
        if ((rc = need(cJSON_IsNumber(it), "a number", f, at, err)) != TR_MSG_OK)
            return rc;
        if ((rc = check_number(it->valuedouble, false, f, at, f->key, err)) != TR_MSG_OK)
            return rc;
        *(double *)v = it->valuedouble;
        return TR_MSG_OK;
    case TR_K_BOOL:
        if ((rc = need(cJSON_IsBool(it), "true or false", f, at, err)) != TR_MSG_OK)
            return rc;
        *(bool *)v = cJSON_IsTrue(it);
        return TR_MSG_OK;
    case TR_K_OBJ:
    case TR_K_RESULT: {
        if ((rc = need(cJSON_IsObject(it), "an object", f, at, err)) != TR_MSG_OK)
            return rc;
        const struct tr_msgc_obj *sub = f->aux;
        if (f->kind == TR_K_RESULT)
            sub = ((const struct tr_msgc_pick *)f->aux)->fn(base);
        if (!sub)
            return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, at, f->key, "no shape for this re");
        struct tr_msgc_path here = { .up = at, .key = f->key };
        return tr_msgc_decode_obj(it, sub, v, &here, err);
    }
    default:
        return decode_list(it, f, base, at, err);
    }
}

static void set_default(const struct tr_msgc_field *f, void *base)
{
    void *v = AT(base, f->off);
    switch (f->kind) {
    case TR_K_ENUM:
    case TR_K_I32:
        *(int *)v = (int)f->def;
        break;
    case TR_K_I64:
        *(int64_t *)v = (int64_t)f->def;
        break;
    case TR_K_NUM:
        *(double *)v = f->def;
        break;
    case TR_K_BOOL:
        *(bool *)v = f->def != 0;
        break;
    default:
        break;
    }
}

int tr_msgc_decode_obj(const cJSON *obj, const struct tr_msgc_obj *d, void *base,
                       const struct tr_msgc_path *at, struct tr_msg_error *err)
{
    const cJSON *seen[TR_MSGC_MAX_FIELDS] = { 0 };
    /* keys first: unknown and duplicate keys, case-sensitive */
    for (const cJSON *c = obj->child; c; c = c->next) {
        size_t i = 0;
        while (i < d->nfields && strcmp(d->fields[i].key, c->string) != 0)
            i++;
        if (i == d->nfields)
            return tr_msgc_fail(err, TR_MSG_ERR_UNKNOWN_FIELD, at, c->string, "unknown key");
        if (seen[i])
            return tr_msgc_fail(err, TR_MSG_ERR_DUPLICATE, at, c->string, "duplicate key");
        seen[i] = c;
    }
    /* then values, in table order */
    for (size_t i = 0; i < d->nfields; i++) {
        const struct tr_msgc_field *f = &d->fields[i];
        bool *has = has_ptr(base, f);
        if (!seen[i]) {
            if (f->flags & TR_F_REQ)
                return tr_msgc_fail(err, TR_MSG_ERR_MISSING, at, f->key, "missing");
            if (has)
                *has = false;
            if (f->flags & TR_F_DEF)
                set_default(f, base);
            continue;
        }
        int rc = decode_value(seen[i], f, base, at, err);
        if (rc != TR_MSG_OK)
            return rc;
        if (has)
            *has = true;
    }
    return d->check ? d->check(base, at, err) : TR_MSG_OK;
}

/* ---------- validate and encode ---------- */

static cJSON *raw_int(int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return cJSON_CreateRaw(buf);
}

/* cJSON's own printer keeps a 15-digit form when it reads back within
 * DBL_EPSILON, which can lose the last bit: print the shortest of 15, 16, 17
 * significant digits that reads back exactly. */
static cJSON *raw_double(double v)
{
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    for (char *p = buf; *p; p++) /* a locale's decimal comma */
        if (!(*p >= '0' && *p <= '9') && *p != '-' && *p != '+' && *p != 'e')
            *p = '.';
    return cJSON_CreateRaw(buf);
}

static int add(cJSON *into, const char *key, cJSON *item, const struct tr_msgc_path *at,
               struct tr_msg_error *err)
{
    if (!item || !cJSON_AddItemToObject(into, key, item)) {
        cJSON_Delete(item);
        return tr_msgc_fail(err, TR_MSG_ERR_NOMEM, at, key, "out of memory");
    }
    return TR_MSG_OK;
}

static int append(cJSON *arr, cJSON *item, const struct tr_msgc_path *at, struct tr_msg_error *err)
{
    if (!item || !cJSON_AddItemToArray(arr, item)) {
        cJSON_Delete(item);
        return tr_msgc_fail(err, TR_MSG_ERR_NOMEM, at, NULL, "out of memory");
    }
    return TR_MSG_OK;
}

static int encode_list(cJSON *into, const struct tr_msgc_field *f, const void *base,
                       const struct tr_msgc_path *at, struct tr_msg_error *err)
{
    size_t n = count_of(base, f);
    int rc = check_count(n, f, at, err);
    if (rc != TR_MSG_OK)
        return rc;
    const char *arr = CAT(base, f->off);
    if (f->kind == TR_K_HEAP) {
        arr = *(const char *const *)(const void *)arr;
        if (n && !arr)
            return tr_msgc_fail(err, TR_MSG_ERR_INVALID, at, f->key, "NULL list");
    }
    cJSON *ja = into ? cJSON_CreateArray() : NULL;
    if (into && (rc = add(into, f->key, ja, at, err)) != TR_MSG_OK)
        return rc;
    struct tr_msgc_path here = { .up = at, .key = f->key };
    for (size_t i = 0; i < n; i++) {
        struct tr_msgc_path el = { .up = &here, .key = NULL, .idx = i };
        cJSON *item = NULL;
        switch (f->kind) {
        case TR_K_STRS:
            if ((rc = check_strs_item(arr, i, f, at, err)) != TR_MSG_OK)
                return rc;
            if (ja)
                item = cJSON_CreateString(arr + i * f->size);
            break;
        case TR_K_INTS: {
            int x = ((const int *)(const void *)arr)[i];
            if ((rc = check_number(x, true, f, &el, NULL, err)) != TR_MSG_OK)
                return rc;
            if (ja)
                item = raw_int(x);
            break;
        }
        default:
            if (ja && !(item = cJSON_CreateObject()))
                return tr_msgc_fail(err, TR_MSG_ERR_NOMEM, &el, NULL, "out of memory");
            if ((rc = tr_msgc_encode_obj(item, f->aux, arr + i * f->size, &el, err)) != TR_MSG_OK) {
                cJSON_Delete(item);
                return rc;
            }
            break;
        }
        if (ja && (rc = append(ja, item, &el, err)) != TR_MSG_OK)
            return rc;
    }
    return TR_MSG_OK;
}

static int encode_value(cJSON *into, const struct tr_msgc_field *f, const void *base,
                        const struct tr_msgc_path *at, struct tr_msg_error *err)
{
    const void *v = CAT(base, f->off);
    int rc;
    switch (f->kind) {
    case TR_K_TYPE: {
        const char *name = tr_msg_type_name(*(const enum tr_msg_type *)v);
        return into ? add(into, f->key, cJSON_CreateString(name), at, err) : TR_MSG_OK;
    }
    case TR_K_STR: {
        size_t len = strnlen(v, f->size);
        if (len == f->size)
            return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, at, f->key, "not NUL-terminated");
        if ((rc = check_string(v, len, f, at, f->key, err)) != TR_MSG_OK)
            return rc;
        return into ? add(into, f->key, cJSON_CreateString(v), at, err) : TR_MSG_OK;
    }
    case TR_K_ENUM: {
        int x = *(const int *)v - (int)f->lo;
        if (x < 0 || (size_t)x >= enum_count(f))
            return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, at, f->key, "not a valid value");
        const char *const *names = f->aux;
        return into ? add(into, f->key, cJSON_CreateString(names[x]), at, err) : TR_MSG_OK;
    }
    case TR_K_I32:
    case TR_K_I64: {
        int64_t x = f->kind == TR_K_I32 ? *(const int *)v : *(const int64_t *)v;
        if ((rc = check_number((double)x, true, f, at, f->key, err)) != TR_MSG_OK)
            return rc;
        return into ? add(into, f->key, raw_int(x), at, err) : TR_MSG_OK;
    }
    case TR_K_NUM: {
        double x = *(const double *)v;
        if ((rc = check_number(x, false, f, at, f->key, err)) != TR_MSG_OK)
            return rc;
        return into ? add(into, f->key, raw_double(x), at, err) : TR_MSG_OK;
    }
    case TR_K_BOOL:
        return into ? add(into, f->key, cJSON_CreateBool(*(const bool *)v), at, err) : TR_MSG_OK;
    case TR_K_OBJ:
    case TR_K_RESULT: {
        const struct tr_msgc_obj *sub = f->aux;
        if (f->kind == TR_K_RESULT)
            sub = ((const struct tr_msgc_pick *)f->aux)->fn(base);
        if (!sub)
            return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, at, f->key, "no shape for this re");
        struct tr_msgc_path here = { .up = at, .key = f->key };
        cJSON *o = NULL;
        if (into && (rc = add(into, f->key, o = cJSON_CreateObject(), at, err)) != TR_MSG_OK)
            return rc;
        return tr_msgc_encode_obj(o, sub, v, &here, err);
    }
    default:
        return encode_list(into, f, base, at, err);
    }
}

int tr_msgc_encode_obj(cJSON *into, const struct tr_msgc_obj *d, const void *base,
                       const struct tr_msgc_path *at, struct tr_msg_error *err)
{
    for (size_t i = 0; i < d->nfields; i++) {
        const struct tr_msgc_field *f = &d->fields[i];
        if (!is_present(base, f))
            continue;
        int rc = encode_value(into, f, base, at, err);
        if (rc != TR_MSG_OK)
            return rc;
    }
    return d->check ? d->check(base, at, err) : TR_MSG_OK;
}

/* ---------- compare ---------- */

static bool equal_value(const struct tr_msgc_field *f, const void *a, const void *b)
{
    const void *va = CAT(a, f->off), *vb = CAT(b, f->off);
    switch (f->kind) {
    case TR_K_TYPE:
    case TR_K_ENUM:
    case TR_K_I32:
        return *(const int *)va == *(const int *)vb;
    case TR_K_STR:
        return strncmp(va, vb, f->size) == 0;
    case TR_K_I64:
        return *(const int64_t *)va == *(const int64_t *)vb;
    case TR_K_NUM:
        return *(const double *)va == *(const double *)vb;
    case TR_K_BOOL:
        return *(const bool *)va == *(const bool *)vb;
    case TR_K_OBJ:
        return tr_msgc_equal_obj(f->aux, va, vb);
    case TR_K_RESULT: {
        const struct tr_msgc_obj *sa = ((const struct tr_msgc_pick *)f->aux)->fn(a);
        const struct tr_msgc_obj *sb = ((const struct tr_msgc_pick *)f->aux)->fn(b);
        return sa == sb && (!sa || tr_msgc_equal_obj(sa, va, vb));
    }
    default:
        break;
    }
    size_t n = count_of(a, f);
    if (n != count_of(b, f))
        return false;
    if (f->kind == TR_K_HEAP) {
        va = *(const void *const *)va;
        vb = *(const void *const *)vb;
        if (n && (!va || !vb))
            return va == vb;
    }
    for (size_t i = 0; i < n; i++) {
        const char *ea = (const char *)va + i * f->size, *eb = (const char *)vb + i * f->size;
        bool same;
        if (f->kind == TR_K_STRS)
            same = strncmp(ea, eb, f->size) == 0;
        else if (f->kind == TR_K_INTS)
            same = ((const int *)va)[i] == ((const int *)vb)[i];
        else
            same = tr_msgc_equal_obj(f->aux, ea, eb);
        if (!same)
            return false;
    }
    return true;
}

bool tr_msgc_equal_obj(const struct tr_msgc_obj *d, const void *a, const void *b)
{
    for (size_t i = 0; i < d->nfields; i++) {
        const struct tr_msgc_field *f = &d->fields[i];
        bool pa = is_present(a, f), pb = is_present(b, f);
        if (pa != pb)
            return false;
        if (pa && !equal_value(f, a, b))
            return false;
    }
    return true;
}

/* ---------- the tables' own invariants ---------- */

int tr_msgc_selfcheck(const struct tr_msgc_obj *d, char *why, size_t why_len)
{
    if (d->nfields > TR_MSGC_MAX_FIELDS) {
        snprintf(why, why_len, "%s: %zu fields", d->name, d->nfields);
        return -1;
    }
    for (size_t i = 0; i < d->nfields; i++) {
        const struct tr_msgc_field *f = &d->fields[i];
        bool bad = false;
        for (size_t j = 0; j < i; j++)
            bad |= strcmp(d->fields[j].key, f->key) == 0;
        bad |= !(f->flags & TR_F_REQ) && f->has == TR_NOHAS;
        bad |= (f->flags & TR_F_REQ) && f->has != TR_NOHAS;
        switch (f->kind) {
        case TR_K_STR:
        case TR_K_STRS:
            bad |= f->hi + 1 > f->size || f->lo > f->hi;
            break;
        case TR_K_ENUM:
            bad |= f->aux == NULL;
            break;
        case TR_K_I32:
            bad |= f->lo < -2147483647.0 || f->hi > 2147483647.0;
            break;
        case TR_K_OBJ:
        case TR_K_OBJS:
        case TR_K_HEAP:
            bad |= f->aux == NULL;
            if (!bad && tr_msgc_selfcheck(f->aux, why, why_len) != 0)
                return -1;
            break;
        default:
            break;
        }
        if (f->kind == TR_K_STRS || f->kind == TR_K_OBJS || f->kind == TR_K_INTS ||
            f->kind == TR_K_HEAP)
            bad |= f->nmax == 0 || f->nmin > f->nmax;
        if (bad) {
            snprintf(why, why_len, "%s.%s: bad table entry", d->name, f->key);
            return -1;
        }
    }
    return 0;
}
