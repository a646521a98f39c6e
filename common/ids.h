/*
 * common/ids.h: message and boot ids (pure helpers, no MQTT, no clock).
 *
 * Ids follow the wire contract's `msgid` pattern
 * `^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$` (schemas/README.md): at most 64
 * characters, so every buffer here is 65 bytes with the NUL. Receivers dedupe
 * on these ids (QoS 1 redelivers), so an id must never repeat: a boot id is
 * 128 random bits, and a message id is a boot-unique prefix plus a counter the
 * caller persists or restarts with a new boot id.
 */
#ifndef TR_IDS_H
#define TR_IDS_H

#include <stddef.h>
#include <stdint.h>

enum tr_ids_err {
    TR_IDS_OK = 0,
    TR_IDS_ERR_RANDOM = 1,  /* getrandom() failed */
    TR_IDS_ERR_INVALID = 2, /* NULL output, bad prefix characters, or too long */
};

#define TR_IDS_MAX 64 /* characters, without the NUL */

/* 128 bits from getrandom() as 32 lowercase hex characters plus NUL. On error
 * out is set to "" (never a predictable id). */
int tr_ids_boot_id(char out[33]);

/* "<prefix>-<counter in decimal>", or just the counter when prefix is NULL or
 * empty. The prefix must match the msgid pattern itself and leave room for the
 * counter; otherwise TR_IDS_ERR_INVALID and out is "". */
int tr_ids_msgid(char out[65], const char *prefix, uint64_t counter);

/* 1 when s matches the msgid pattern, 0 otherwise (NULL gives 0). */
int tr_ids_valid(const char *s);

const char *tr_ids_strerror(int err);

#endif
