/*
 * dispatcher/bus/agents.c: the per-sender receive state of agents.h: an
 * open-addressing hash table from sender key to a record holding recent
 * message-id hashes, the current boot, position high-water marks and last
 * positions per boot, and an error-reply budget. A dirty list makes
 * collecting the last positions to flush proportional to what changed.
 *
 * Does not allocate per message: records are created once per sender; the
 * table and the dirty list grow by doubling.
 */
#include "dispatcher/bus/agents.h"

#include <stdlib.h>
#include <string.h>

#define KEY_SIZE 80 /* "console:" + a 64-character user, with room */
#define NONE     UINT32_MAX

struct boot_pos {
    char boot[TR_MSG_ID_SIZE];
    bool used, has_hw, has_last, dirty;
    int64_t hw;
    uint64_t touched; /* LRU stamp */
    struct tr_fix last;
    int64_t received;
};

struct sender {
    char key[KEY_SIZE];
    uint64_t ids[TR_AGENTS_IDS];
    uint8_t n_ids, ids_pos;
    bool has_presence, in_dirty;
    char boot[TR_MSG_ID_SIZE];
    int64_t presence_ts;
    struct boot_pos boots[TR_AGENTS_BOOTS];
    int64_t err_second;
    uint32_t err_count;
    uint64_t config_boot; /* hash of the boot last sent an agent_config, | 1 */
};

struct tr_agents {
    struct sender *s;
    size_t n, cap, max;
    uint32_t *slot; /* index + 1; 0 empty */
    size_t n_slots;
    uint32_t *dirty;
    size_t n_dirty, cap_dirty;
    size_t dirty_boots;
    uint64_t stamp;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

const char *tr_agents_strerror(int err)
{
    switch (err) {
    case TR_AGENTS_OK:
        return "ok";
    case TR_AGENTS_ERR_NOMEM:
        return "out of memory";
    case TR_AGENTS_ERR_FULL:
        return "sender table full";
    case TR_AGENTS_ERR_INVALID:
        return "invalid argument";
    default:
        return "unknown error";
    }
}

int tr_agents_new(size_t max_senders, struct tr_agents **out)
{
    if (!out || max_senders == 0)
        return TR_AGENTS_ERR_INVALID;
    struct tr_agents *a = calloc(1, sizeof(*a));
    if (!a)
        return TR_AGENTS_ERR_NOMEM;
    a->max = max_senders;
    a->n_slots = 64;
    a->slot = calloc(a->n_slots, sizeof(*a->slot));
    if (!a->slot) {
        free(a);
        return TR_AGENTS_ERR_NOMEM;
    }
    *out = a;
    return TR_AGENTS_OK;
}

void tr_agents_free(struct tr_agents *a)
{
    if (!a)
        return;
    free(a->s);
    free(a->slot);
    free(a->dirty);
    free(a);
}

size_t tr_agents_count(const struct tr_agents *a)
{
    return a ? a->n : 0;
}

static uint32_t find(const struct tr_agents *a, const char *key)
{
    size_t mask = a->n_slots - 1;
    for (size_t i = hash_str(key) & mask;; i = (i + 1) & mask) {
        uint32_t v = a->slot[i];
        if (v == 0)
            return NONE;
        if (strcmp(a->s[v - 1].key, key) == 0)
            return v - 1;
    }
}

static void put_slot(uint32_t *slot, size_t n_slots, const char *key, uint32_t idx)
{
    size_t mask = n_slots - 1;
    size_t i = hash_str(key) & mask;
    while (slot[i] != 0)
        i = (i + 1) & mask;
    slot[i] = idx + 1;
}

static int grow(struct tr_agents *a)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        struct sender *s = realloc(a->s, cap * sizeof(*s));
        if (!s)
            return TR_AGENTS_ERR_NOMEM;
        a->s = s;
        a->cap = cap;
    }
    if ((a->n + 1) * 2 > a->n_slots) {
        size_t n_slots = a->n_slots * 2;
        uint32_t *slot = calloc(n_slots, sizeof(*slot));
        if (!slot)
            return TR_AGENTS_ERR_NOMEM;
        for (size_t i = 0; i < a->n; i++)
            put_slot(slot, n_slots, a->s[i].key, (uint32_t)i);
        free(a->slot);
        a->slot = slot;
        a->n_slots = n_slots;
    }
    return TR_AGENTS_OK;
}

/* The sender's record, created when absent; NULL when full, too long or out
 * of memory. */
static struct sender *get(struct tr_agents *a, const char *key, bool create)
{
    if (!a || !key || strlen(key) >= KEY_SIZE)
        return NULL;
    uint32_t i = find(a, key);
    if (i != NONE)
        return &a->s[i];
    if (!create || a->n >= a->max || grow(a) != TR_AGENTS_OK)
        return NULL;
    struct sender *s = &a->s[a->n];
    memset(s, 0, sizeof(*s));
    memcpy(s->key, key, strlen(key) + 1);
    put_slot(a->slot, a->n_slots, s->key, (uint32_t)a->n);
    a->n++;
    return s;
}

bool tr_agents_duplicate(struct tr_agents *a, const char *sender, const char *msgid)
{
    struct sender *s = get(a, sender, true);
    if (!s || !msgid)
        return false;
    uint64_t h = hash_str(msgid);
    for (unsigned i = 0; i < s->n_ids; i++)
        if (s->ids[i] == h)
            return true;
    s->ids[s->ids_pos] = h;
    s->ids_pos = (uint8_t)((s->ids_pos + 1) % TR_AGENTS_IDS);
    if (s->n_ids < TR_AGENTS_IDS)
        s->n_ids++;
    return false;
}

bool tr_agents_presence_stale(struct tr_agents *a, const char *agent, const char *boot_id,
                              int64_t ts)
{
    struct sender *s = get(a, agent, true);
    if (!s || !boot_id)
        return false;
    if (s->has_presence && strcmp(s->boot, boot_id) == 0 && ts < s->presence_ts)
        return true;
    size_t n = strlen(boot_id);
    if (n >= sizeof(s->boot))
        n = sizeof(s->boot) - 1;
    s->has_presence = true;
    memcpy(s->boot, boot_id, n);
    s->boot[n] = '\0';
    s->presence_ts = ts;
    return false;
}

bool tr_agents_will_stale(struct tr_agents *a, const char *agent, const char *boot_id)
{
    struct sender *s = get(a, agent, false);
    return s && boot_id && s->has_presence && strcmp(s->boot, boot_id) != 0;
}

bool tr_agents_config_due(struct tr_agents *a, const char *agent)
{
    struct sender *s = get(a, agent, false);
    if (!s || !s->has_presence)
        return false;
    uint64_t h = hash_str(s->boot) | 1;
    if (s->config_boot == h)
        return false;
    s->config_boot = h;
    return true;
}

const char *tr_agents_boot(const struct tr_agents *a, const char *agent)
{
    if (!a || !agent || strlen(agent) >= KEY_SIZE)
        return NULL;
    uint32_t i = find(a, agent);
    return i != NONE && a->s[i].has_presence ? a->s[i].boot : NULL;
}

/* The (agent, boot) slot: found, or a free or least recently used one
 * (reset) when create. */
static struct boot_pos *boot_slot(struct tr_agents *a, struct sender *s, const char *boot,
                                  bool create)
{
    struct boot_pos *lru = NULL;
    if (strlen(boot) >= TR_MSG_ID_SIZE)
        return NULL;
    for (unsigned i = 0; i < TR_AGENTS_BOOTS; i++) {
        struct boot_pos *b = &s->boots[i];
        if (b->used && strcmp(b->boot, boot) == 0) {
            b->touched = ++a->stamp;
            return b;
        }
        if (!lru || !b->used || (lru->used && b->touched < lru->touched))
            lru = b;
    }
    if (!create)
        return NULL;
    if (lru->dirty && a->dirty_boots > 0)
        a->dirty_boots--;
    memset(lru, 0, sizeof(*lru));
    lru->used = true;
    memcpy(lru->boot, boot, strlen(boot) + 1);
    lru->touched = ++a->stamp;
    return lru;
}

bool tr_agents_seq_new(struct tr_agents *a, const char *agent, const char *boot_id, int64_t seq)
{
    struct sender *s = get(a, agent, true);
    if (!s || !boot_id)
        return true;
    struct boot_pos *b = boot_slot(a, s, boot_id, true);
    if (!b)
        return true;
    if (b->has_hw && seq <= b->hw)
        return false;
    b->has_hw = true;
    b->hw = seq;
    return true;
}

int tr_agents_load_high_water(struct tr_agents *a, const char *agent, const char *boot_id,
                              int64_t seq)
{
    struct sender *s = get(a, agent, true);
    if (!s)
        return a && a->n >= a->max ? TR_AGENTS_ERR_FULL : TR_AGENTS_ERR_INVALID;
    struct boot_pos *b = boot_id ? boot_slot(a, s, boot_id, true) : NULL;
    if (!b)
        return TR_AGENTS_ERR_INVALID;
    if (!b->has_hw || seq > b->hw) {
        b->has_hw = true;
        b->hw = seq;
    }
    return TR_AGENTS_OK;
}

void tr_agents_last_update(struct tr_agents *a, const char *agent, const char *boot_id,
                           const struct tr_fix *fix, int64_t received)
{
    struct sender *s = get(a, agent, true);
    if (!s || !boot_id || !fix)
        return;
    struct boot_pos *b = boot_slot(a, s, boot_id, true);
    if (!b || (b->has_last && fix->t < b->last.t))
        return;
    b->has_last = true;
    b->last = *fix;
    b->received = received;
    if (!b->dirty) {
        b->dirty = true;
        a->dirty_boots++;
    }
    if (!s->in_dirty) {
        if (a->n_dirty == a->cap_dirty) {
            size_t cap = a->cap_dirty ? a->cap_dirty * 2 : 256;
            uint32_t *d = realloc(a->dirty, cap * sizeof(*d));
            if (!d)
                return; /* stays dirty; collected when the list has room */
            a->dirty = d;
            a->cap_dirty = cap;
        }
        a->dirty[a->n_dirty++] = (uint32_t)(s - a->s);
        s->in_dirty = true;
    }
}

size_t tr_agents_take_dirty(struct tr_agents *a, struct tr_agents_pos *out, size_t cap)
{
    size_t n = 0;
    if (!a || !out)
        return 0;
    while (a->n_dirty > 0) {
        struct sender *s = &a->s[a->dirty[a->n_dirty - 1]];
        size_t need = 0;
        for (unsigned i = 0; i < TR_AGENTS_BOOTS; i++)
            need += s->boots[i].used && s->boots[i].dirty;
        if (n + need > cap)
            break;
        for (unsigned i = 0; i < TR_AGENTS_BOOTS; i++) {
            struct boot_pos *b = &s->boots[i];
            if (!b->used || !b->dirty)
                continue;
            struct tr_agents_pos *p = &out[n++];
            memcpy(p->agent_id, s->key, strlen(s->key) + 1);
            memcpy(p->boot_id, b->boot, sizeof(p->boot_id));
            p->fix = b->last;
            p->received = b->received;
            b->dirty = false;
            a->dirty_boots--;
        }
        s->in_dirty = false;
        a->n_dirty--;
    }
    return n;
}

size_t tr_agents_dirty_count(const struct tr_agents *a)
{
    return a ? a->dirty_boots : 0;
}

bool tr_agents_error_allowed(struct tr_agents *a, const char *sender, int64_t now_ms, int per_s)
{
    struct sender *s = get(a, sender, true);
    if (per_s <= 0)
        return false;
    if (!s)
        return true;
    int64_t sec = now_ms / 1000;
    if (sec != s->err_second) {
        s->err_second = sec;
        s->err_count = 0;
    }
    if (s->err_count >= (uint32_t)per_s)
        return false;
    s->err_count++;
    return true;
}
