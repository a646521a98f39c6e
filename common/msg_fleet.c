/*
 * common/msg_fleet.c: the table of the `fleet` message (the dispatcher's
 * live map feed on truckroll/v1/fleet/{contractor_id}, schemas/README.md)
 * and its cross-field rule (lat and lon together). Offsets are into
 * struct tr_msg.
 *
 * Does: describe the message for the engine in msg_codec.c.
 * Does not: check that contractor_id equals the topic's, round positions or
 * decide states (dispatcher/app/fleetfeed.c does).
 */
#include "common/msg_codec.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define T        struct tr_msg

const char *const tr_msgc_fleet_state_names[] = { "free",      "offered", "busy", "unavailable",
                                                  "off_shift", "offline", NULL };

static int fleet_check(const void *obj, const struct tr_msgc_path *at, struct tr_msg_error *err)
{
    const struct tr_fleet_msg *f = &((const struct tr_msg *)obj)->u.fleet;
    if (f->has_lat != f->has_lon)
        return tr_msgc_fail(err, TR_MSG_ERR_MISSING, at, f->has_lat ? "lon" : "lat",
                            "lat and lon come together");
    return TR_MSG_OK;
}

static const struct tr_msgc_field fleet_fields[] = {
    TR_ENVELOPE,
    R_AGENT(T, "contractor_id", u.fleet.contractor_id),
    R_ENUM(T, "state", u.fleet.state, tr_msgc_fleet_state_names),
    O_NUM(T, "lat", u.fleet.lat, u.fleet.has_lat, -90, 90),
    O_NUM(T, "lon", u.fleet.lon, u.fleet.has_lon, -180, 180),
    O_TIME(T, "last_seen", u.fleet.last_seen, u.fleet.has_last_seen),
};
static const struct tr_msgc_obj fleet = { "fleet", fleet_fields, COUNT(fleet_fields), fleet_check };

const struct tr_msgc_obj *tr_msgc_fleet_desc(enum tr_msg_type type)
{
    return type == TR_MSG_FLEET ? &fleet : NULL;
}
