/*
 * dispatcher/store/store_skills.c: the skill dictionary, skill name -> bit
 * 0..63.
 *
 * A bit is assigned on first use (a contractor added or updated with a new
 * skill), in the same transaction as the contractor, lowest free bit first,
 * and never reassigned, so bitmasks held in memory stay valid across
 * restarts. A 65th skill is refused (TR_STORE_ERR_SKILLS). The dictionary is
 * kept in the handle as committed; after a rollback it is read again.
 *
 * Does not: remove skills (a bit is forever), or give bits to skills that
 * only jobs ask for.
 */
#include <string.h>

#include "dispatcher/store/store_int.h"

int tr_store_skills_load(struct tr_store *s)
{
    memset(s->skills, 0, sizeof s->skills);
    int rc;
    sqlite3_stmt *st = tr_store_stmt(s, ST_SKILL_ALL, "SELECT bit, name FROM skill", &rc);
    if (!st)
        return rc;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        int bit;
        char name[TR_MSG_SKILL_SIZE];
        if (!tr_store_col_int(st, 0, 0, TR_STORE_MAX_SKILLS - 1, &bit) ||
            !tr_store_col_text(st, 1, name, sizeof name) || !tr_msg_valid_skill(name)) {
            tr_store_done(st);
            return tr_store_fail(s, false, TR_STORE_ERR_CORRUPT, "skill dictionary: bad row");
        }
        memcpy(s->skills[bit], name, sizeof name);
    }
    tr_store_done(st);
    if (r != SQLITE_DONE)
        return tr_store_sqlite_fail(s, false, r, "skill dictionary");
    /* a name twice would make masks ambiguous */
    for (int i = 0; i < TR_STORE_MAX_SKILLS; i++)
        for (int j = i + 1; s->skills[i][0] && j < TR_STORE_MAX_SKILLS; j++)
            if (strcmp(s->skills[i], s->skills[j]) == 0)
                return tr_store_fail(s, false, TR_STORE_ERR_CORRUPT, "skill dictionary: %s twice",
                                     s->skills[i]);
    return TR_STORE_OK;
}

static int find_bit(const struct tr_store *s, const char *name)
{
    for (int i = 0; i < TR_STORE_MAX_SKILLS; i++)
        if (s->skills[i][0] && strcmp(s->skills[i], name) == 0)
            return i;
    return -1;
}

int tr_store_skill_bit(struct tr_store *s, const char *skill, int *bit)
{
    if (!s || !skill || !bit)
        return TR_STORE_ERR_INVALID;
    int b = find_bit(s, skill);
    if (b < 0)
        return tr_store_fail(s, false, TR_STORE_ERR_NOT_FOUND, "skill %s has no bit",
                             tr_msg_valid_skill(skill) ? skill : "(invalid)");
    *bit = b;
    return TR_STORE_OK;
}

const char *tr_store_skill_name(const struct tr_store *s, int bit)
{
    if (!s || bit < 0 || bit >= TR_STORE_MAX_SKILLS || !s->skills[bit][0])
        return NULL;
    return s->skills[bit];
}

int tr_store_skill_mask(struct tr_store *s, const char (*skills)[TR_MSG_SKILL_SIZE], size_t n,
                        uint64_t *mask, bool *all_known)
{
    if (!s || (!skills && n) || !mask || !all_known)
        return TR_STORE_ERR_INVALID;
    *mask = 0;
    *all_known = true;
    for (size_t i = 0; i < n; i++) {
        int b = find_bit(s, skills[i]);
        if (b < 0)
            *all_known = false;
        else
            *mask |= UINT64_C(1) << b;
    }
    return TR_STORE_OK;
}

int tr_store_skills_assign(struct tr_store *s, const char (*skills)[TR_MSG_SKILL_SIZE], size_t n,
                           int64_t now_ms, uint64_t *mask)
{
    *mask = 0;
    for (size_t i = 0; i < n; i++) {
        if (!tr_msg_valid_skill(skills[i]))
            return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "skills[%zu]: bad skill name", i);
        int b = find_bit(s, skills[i]);
        if (b < 0) {
            for (int j = 0; j < TR_STORE_MAX_SKILLS && b < 0; j++)
                if (!s->skills[j][0])
                    b = j;
            if (b < 0)
                return tr_store_fail(s, false, TR_STORE_ERR_SKILLS,
                                     "skill %s: the dictionary already holds %d skills", skills[i],
                                     TR_STORE_MAX_SKILLS);
            int rc;
            sqlite3_stmt *st =
                tr_store_stmt(s, ST_SKILL_INSERT,
                              "INSERT INTO skill (bit, name, created) VALUES (?1, ?2, ?3)", &rc);
            if (!st)
                return rc;
            sqlite3_bind_int(st, 1, b);
            tr_store_bind_text(st, 2, skills[i]);
            sqlite3_bind_int64(st, 3, now_ms);
            rc = tr_store_exec_stmt(s, false, st, "skill insert");
            if (rc != TR_STORE_OK)
                return rc;
            tr_store_copy(s->skills[b], sizeof s->skills[b], skills[i]);
        }
        *mask |= UINT64_C(1) << b;
    }
    return TR_STORE_OK;
}

bool tr_store_skills_names(const struct tr_store *s, uint64_t mask, struct tr_contractor *c)
{
    c->n_skills = 0;
    for (int b = 0; b < TR_STORE_MAX_SKILLS; b++) {
        if (!(mask >> b & 1))
            continue;
        if (!s->skills[b][0] || c->n_skills >= TR_MSG_MAX_SKILLS)
            return false;
        memcpy(c->skills[c->n_skills++], s->skills[b], TR_MSG_SKILL_SIZE);
    }
    return true;
}
