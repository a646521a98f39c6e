/*
 * common/mqtt_nodelay.c: turn Nagle's algorithm off on paho's socket.
 *
 * paho-mqtt-c never sets TCP_NODELAY and offers no hook to reach its socket
 * (no socket callback, no getter; the handle's layout is private). Nagle then
 * holds a small publish until the previous segment is acknowledged, and with
 * the peer's delayed ACK that measured ~17 ms p50 for QoS 0 at 10k msg/s
 * (SPEC.md). So after each successful connect the session calls this from
 * paho's connect callback: it walks /proc/self/fd and, for every stream socket
 * whose peer address and port are one of the broker's resolved addresses,
 * sets TCP_NODELAY. That only ever touches sockets connected to the broker:
 * the option is right for any of them (another session's included), and a
 * descriptor closed or reused meanwhile just fails getpeername or setsockopt.
 * Cost: two or three system calls per open descriptor, once per connect; a
 * process with thousands of sessions can turn it off (tcp_nodelay = -1).
 *
 * It does not change anything else on the socket and does not work without
 * /proc (Linux only, which is all truckroll targets; it also works under
 * qemu-user, whose descriptors are the host's).
 */
#include "common/mqtt_int.h"

#include <dirent.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

static int same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family == AF_INET && b->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)a;
        const struct sockaddr_in *y = (const struct sockaddr_in *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6 && b->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
        const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return 0;
}

static int wanted(const struct sockaddr_storage *peer, const struct sockaddr_storage *addrs,
                  size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (same_peer(peer, &addrs[i]))
            return 1;
    }
    return 0;
}

int tr_mqtt_nodelay_apply(const struct sockaddr_storage *addrs, size_t n)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int changed = 0, dfd;

    if (!d)
        return -1;
    dfd = dirfd(d);
    while ((e = readdir(d)) != NULL) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer;
        int type = 0, cur = 0, one = 1;
        socklen_t tlen = sizeof type, clen = sizeof cur;
        char *end;
        long fd = strtol(e->d_name, &end, 10);

        if (e->d_name[0] < '0' || e->d_name[0] > '9' || *end || fd == dfd || fd < 0 ||
            fd > 0x7fffffffL)
            continue;
        if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || type != SOCK_STREAM)
            continue;
        memset(&peer, 0, sizeof peer);
        if (getpeername((int)fd, (struct sockaddr *)&peer, &len) != 0 || !wanted(&peer, addrs, n))
            continue;
        if (getsockopt((int)fd, IPPROTO_TCP, TCP_NODELAY, &cur, &clen) == 0 && cur)
            continue;
        if (setsockopt((int)fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0)
            changed++;
    }
    closedir(d);
    return changed;
}
