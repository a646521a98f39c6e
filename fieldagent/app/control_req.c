/*
 * fieldagent/app/control_req.c: the control protocol's requests: command
 * and reason names, and the strict check of one request line (one JSON
 * object, a known command, only the keys that command takes, string values
 * of printable UTF-8, ids by the msgid pattern, note lengths). The cJSON
 * tree stays inside this file.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "fieldagent/app/control.h"

static const char *const cmd_names[TR_CTL_COUNT] = {
    "status", "jobs", "accept",   "decline", "enroute",   "arrive",
    "done",   "fail", "escalate", "release", "available", "unavailable",
};
static const char *const reason_names[] = { "too_far", "busy",     "lacks_skill", "off_shift",
                                            "vehicle", "personal", "other" };

const char *tr_ctl_cmd_name(enum tr_ctl_cmd cmd)
{
    return (unsigned)cmd < TR_CTL_COUNT ? cmd_names[cmd] : "?";
}

int tr_ctl_cmd_parse(const char *name)
{
    for (int i = 0; name && i < TR_CTL_COUNT; i++) {
        if (strcmp(name, cmd_names[i]) == 0)
            return i;
    }
    return -1;
}

int tr_ctl_reason_parse(const char *name)
{
    for (int i = 0; name && i <= (int)TR_DECLINE_OTHER; i++) {
        if (strcmp(name, reason_names[i]) == 0)
            return i;
    }
    return -1;
}

const char *tr_ctl_reason_name(enum tr_decline_reason r)
{
    return (unsigned)r <= TR_DECLINE_OTHER ? reason_names[r] : "?";
}

/* No control characters but tab (the line is valid UTF-8 already:
 * tr_msg_json_check, and cJSON writes escapes as valid UTF-8). */
static bool printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 && *p != '\t')
            return false;
    }
    return true;
}

/* How much of s to echo in an error: at most 40 bytes, whole characters. */
static int echo_len(const char *s)
{
    size_t n = strlen(s);
    return (int)tr_msg_utf8_prefix(s, n < 40 ? n : 40);
}

/* Which keys each command takes: bit 0 offer, 1 job, 2 reason, 3 note;
 * required ones in the second mask. */
enum { K_OFFER = 1, K_JOB = 2, K_REASON = 4, K_NOTE = 8 };
static const unsigned char allowed_keys[TR_CTL_COUNT] = {
    [TR_CTL_ACCEPT] = K_OFFER,          [TR_CTL_DECLINE] = K_OFFER | K_REASON | K_NOTE,
    [TR_CTL_ENROUTE] = K_JOB | K_NOTE,  [TR_CTL_ARRIVE] = K_JOB | K_NOTE,
    [TR_CTL_DONE] = K_JOB | K_NOTE,     [TR_CTL_FAIL] = K_JOB | K_NOTE,
    [TR_CTL_ESCALATE] = K_JOB | K_NOTE, [TR_CTL_RELEASE] = K_JOB | K_NOTE,
};
static const unsigned char required_keys[TR_CTL_COUNT] = {
    [TR_CTL_DECLINE] = K_REASON, [TR_CTL_FAIL] = K_NOTE, [TR_CTL_ESCALATE] = K_NOTE
};

/* Check one parsed request; on failure *code and msg say why. */
static bool check_request(cJSON *root, struct tr_ctl_req *r, int *code, char *msg, size_t msglen)
{
    unsigned seen = 0;
    bool have_cmd = false;

    memset(r, 0, sizeof *r);
    *code = TR_CTL_PARSE_BAD_REQUEST;
    if (!cJSON_IsObject(root)) {
        snprintf(msg, msglen, "a request is one JSON object");
        return false;
    }
    cJSON *cmd = cJSON_GetObjectItemCaseSensitive(root, "cmd");
    if (!cJSON_IsString(cmd)) {
        snprintf(msg, msglen, "\"cmd\" (a string) is required");
        return false;
    }
    int k = tr_ctl_cmd_parse(cmd->valuestring);
    if (k < 0) {
        *code = TR_CTL_PARSE_UNKNOWN;
        snprintf(msg, msglen, "unknown command \"%.*s\"", echo_len(cmd->valuestring),
                 cmd->valuestring);
        return false;
    }
    r->cmd = (enum tr_ctl_cmd)k;
    for (cJSON *it = root->child; it; it = it->next) {
        unsigned bit;
        const char *v = cJSON_IsString(it) ? it->valuestring : NULL;
        if (!it->string) {
            snprintf(msg, msglen, "bad key");
            return false;
        }
        if (strcmp(it->string, "cmd") == 0) {
            if (have_cmd) {
                snprintf(msg, msglen, "duplicate key \"cmd\"");
                return false;
            }
            have_cmd = true;
            continue;
        }
        bit = strcmp(it->string, "offer") == 0    ? K_OFFER
              : strcmp(it->string, "job") == 0    ? K_JOB
              : strcmp(it->string, "reason") == 0 ? K_REASON
              : strcmp(it->string, "note") == 0   ? K_NOTE
                                                  : 0;
        if (!bit || !(allowed_keys[k] & bit)) {
            snprintf(msg, msglen, "\"%s\" takes no key \"%.*s\"", cmd_names[k],
                     echo_len(it->string), it->string);
            return false;
        }
        if (seen & bit) {
            snprintf(msg, msglen, "duplicate key \"%.*s\"", echo_len(it->string), it->string);
            return false;
        }
        seen |= bit;
        if (!v || !printable(v)) {
            snprintf(msg, msglen, "\"%s\" must be a string of printable UTF-8", it->string);
            return false;
        }
        if (bit == K_OFFER || bit == K_JOB) {
            if (!tr_msg_valid_msgid(v)) {
                snprintf(msg, msglen, "\"%s\" is not a valid id", it->string);
                return false;
            }
            if (bit == K_OFFER) {
                snprintf(r->offer, sizeof r->offer, "%s", v);
                r->has_offer = true;
            } else {
                snprintf(r->job, sizeof r->job, "%s", v);
                r->has_job = true;
            }
        } else if (bit == K_REASON) {
            int reason = tr_ctl_reason_parse(v);
            if (reason < 0) {
                snprintf(msg, msglen,
                         "reason must be one of too_far busy lacks_skill off_shift vehicle "
                         "personal other");
                return false;
            }
            r->reason = (enum tr_decline_reason)reason;
            r->has_reason = true;
        } else {
            size_t max = r->cmd == TR_CTL_DECLINE ? TR_MSG_NOTE_SIZE - 1 : TR_MSG_LONGNOTE_SIZE - 1;
            if (strlen(v) > max || !v[0]) {
                snprintf(msg, msglen, "note must be 1..%zu bytes", max);
                return false;
            }
            snprintf(r->note, sizeof r->note, "%s", v);
            r->has_note = true;
        }
    }
    if ((required_keys[k] & seen) != required_keys[k]) {
        snprintf(msg, msglen, "\"%s\" needs %s", cmd_names[k],
                 (required_keys[k] & K_REASON) ? "a reason" : "a note");
        return false;
    }
    return true;
}

int tr_ctl_parse(const char *line, size_t len, struct tr_ctl_req *r, char *msg, size_t msglen)
{
    const char *end = NULL;
    cJSON *root;
    int code = TR_CTL_PARSE_OK;

    struct tr_msg_error jerr;
    if (tr_msg_json_check(line, len, &jerr) != TR_MSG_OK) {
        snprintf(msg, msglen, "not one strict JSON object: %s", jerr.reason);
        return TR_CTL_PARSE_BAD_JSON;
    }
    root = cJSON_ParseWithLengthOpts(line, len, &end, 0);
    if (!root || end != line + len) {
        cJSON_Delete(root);
        snprintf(msg, msglen, "the request is not one JSON object");
        return TR_CTL_PARSE_BAD_JSON;
    }
    if (check_request(root, r, &code, msg, msglen))
        code = TR_CTL_PARSE_OK;
    else if (code == TR_CTL_PARSE_OK)
        code = TR_CTL_PARSE_BAD_REQUEST;
    cJSON_Delete(root);
    return code;
}
