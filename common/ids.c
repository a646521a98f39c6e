/*
 * common/ids.c: boot ids from getrandom() and counter-based message ids.
 * Does not keep any state: the caller owns the counter (see ids.h).
 */
#include "common/ids.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int tr_ids_boot_id(char out[33])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[16];
    size_t got = 0;

    if (!out)
        return TR_IDS_ERR_INVALID;
    out[0] = '\0';
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return TR_IDS_ERR_RANDOM;
        }
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 0x0f];
    }
    out[32] = '\0';
    return TR_IDS_OK;
}

static int id_char(char c, int first)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 1;
    return !first && (c == '_' || c == '.' || c == ':' || c == '-');
}

int tr_ids_valid(const char *s)
{
    size_t n;

    if (!s || !s[0])
        return 0;
    for (n = 0; s[n]; n++) {
        if (n >= TR_IDS_MAX || !id_char(s[n], n == 0))
            return 0;
    }
    return 1;
}

int tr_ids_msgid(char out[65], const char *prefix, uint64_t counter)
{
    int n;

    if (!out)
        return TR_IDS_ERR_INVALID;
    out[0] = '\0';
    if (prefix && prefix[0] && !tr_ids_valid(prefix))
        return TR_IDS_ERR_INVALID;
    if (prefix && prefix[0])
        n = snprintf(out, TR_IDS_MAX + 1, "%s-%llu", prefix, (unsigned long long)counter);
    else
        n = snprintf(out, TR_IDS_MAX + 1, "%llu", (unsigned long long)counter);
    if (n < 0 || n > TR_IDS_MAX) {
        out[0] = '\0';
        return TR_IDS_ERR_INVALID;
    }
    return TR_IDS_OK;
}

const char *tr_ids_strerror(int err)
{
    switch (err) {
    case TR_IDS_OK:
        return "success";
    case TR_IDS_ERR_RANDOM:
        return "getrandom() failed";
    case TR_IDS_ERR_INVALID:
        return "invalid id, prefix or buffer";
    default:
        return "unknown ids error";
    }
}
