/*
 * fieldagent/app/control.h: the agent's control socket (server side), a
 * UNIX stream socket speaking one JSON object per line each way
 * (fieldagent/README.md documents the protocol).
 *
 * What it does: create the socket (directory 0750 if it creates it, socket
 * 0660; refuses to take over a socket another agent is serving), accept up
 * to TR_CONTROL_MAX_CLIENTS clients, read their lines without blocking
 * (per-client buffers: one slow or silent client never blocks the daemon),
 * check each request strictly (JSON object, known command, only the keys
 * that command takes, types, lengths, UTF-8) and hand valid ones to the
 * caller's handler; answer invalid ones itself with a clear error. A line
 * longer than TR_CONTROL_LINE_MAX is answered `too_large` and skipped up to
 * its newline. Every rejection is counted; none reaches the handler, so bad
 * input changes no state.
 *
 * What it does not do: act on commands (the handler does), authenticate
 * beyond file permissions, or threads (one owner, the agent's loop).
 */
#ifndef TR_CONTROL_H
#define TR_CONTROL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"

#define TR_CONTROL_MAX_CLIENTS 8
#define TR_CONTROL_LINE_MAX    4096   /* bytes per request line, without the newline */
#define TR_CONTROL_OUT_MAX     262144 /* unsent reply bytes per client before it is dropped */
/* With every slot taken, a client silent this long (ms) is closed to make
 * room for a new one (the longest-silent first). */
#define TR_CONTROL_IDLE_MS 5000

enum tr_control_err {
    TR_CONTROL_OK = 0,
    TR_CONTROL_ERR_INVALID = 1, /* bad argument (path too long, ...) */
    TR_CONTROL_ERR_IO = 2,      /* socket, bind, listen, chmod, mkdir failed */
    TR_CONTROL_ERR_IN_USE = 3,  /* another process serves this socket */
    TR_CONTROL_ERR_NOMEM = 4,
};

enum tr_ctl_cmd {
    TR_CTL_STATUS,
    TR_CTL_JOBS,
    TR_CTL_ACCEPT,
    TR_CTL_DECLINE,
    TR_CTL_ENROUTE,
    TR_CTL_ARRIVE,
    TR_CTL_DONE,
    TR_CTL_FAIL,
    TR_CTL_ESCALATE,
    TR_CTL_RELEASE,
    TR_CTL_AVAILABLE,
    TR_CTL_UNAVAILABLE,
    TR_CTL_COUNT
};

/* A checked request. */
struct tr_ctl_req {
    enum tr_ctl_cmd cmd;
    bool has_offer, has_job, has_reason, has_note;
    char offer[TR_MSG_ID_SIZE];
    char job[TR_MSG_ID_SIZE];
    enum tr_decline_reason reason;
    char note[TR_MSG_LONGNOTE_SIZE];
};

struct tr_control_stats {
    uint64_t clients;         /* accepted connections */
    uint64_t clients_refused; /* over TR_CONTROL_MAX_CLIENTS, none idle */
    uint64_t clients_evicted; /* idle, closed to make room (TR_CONTROL_IDLE_MS) */
    uint64_t clients_dropped; /* did not read their replies */
    uint64_t requests;        /* lines received */
    uint64_t handled;         /* passed to the handler */
    uint64_t bad_json, too_large, bad_request, unknown_command;
};

struct tr_control;

/* The handler: answer one valid request with a malloc'ed JSON object (no
 * newline), or NULL when out of memory (the client gets `internal`). */
typedef char *(*tr_control_fn)(void *user, const struct tr_ctl_req *req);

int tr_control_open(const char *path, struct tr_control **out, char *err, size_t errlen);
/* Close every client and the socket, unlink it. NULL is a no-op. */
void tr_control_close(struct tr_control *c);

/* Descriptors to poll (the listener and every client): at most
 * 1 + TR_CONTROL_MAX_CLIENTS. Returns how many were written to fds. */
size_t tr_control_pollfds(const struct tr_control *c, struct pollfd *fds, size_t cap);
/* After poll(): accept, read, answer, write, for the n descriptors given
 * back as filled by tr_control_pollfds. */
void tr_control_process(struct tr_control *c, const struct pollfd *fds, size_t n, tr_control_fn fn,
                        void *user);

void tr_control_get_stats(const struct tr_control *c, struct tr_control_stats *out);
size_t tr_control_n_clients(const struct tr_control *c);

/* Results of tr_ctl_parse. */
enum tr_ctl_parse_result {
    TR_CTL_PARSE_OK = 0,
    TR_CTL_PARSE_BAD_JSON = 1,    /* not one strict JSON object in UTF-8, or a NUL / \u0000 */
    TR_CTL_PARSE_BAD_REQUEST = 2, /* missing, unknown, duplicate or mistyped key; bad value */
    TR_CTL_PARSE_UNKNOWN = 3,     /* cmd is not a command */
};
/* Check one request line (len bytes, no newline) into *r; on failure msg
 * (msglen bytes) says why, for a person. */
int tr_ctl_parse(const char *line, size_t len, struct tr_ctl_req *r, char *msg, size_t msglen);

/* Command names as on the wire ("status", "accept", ...). */
const char *tr_ctl_cmd_name(enum tr_ctl_cmd cmd);
/* -1 when unknown. */
int tr_ctl_cmd_parse(const char *name);
/* Decline reasons: "too_far", ...; -1 when unknown. */
int tr_ctl_reason_parse(const char *name);
const char *tr_ctl_reason_name(enum tr_decline_reason r);
const char *tr_control_strerror(int err);

#endif
