/*
 * tests/integration/test_tls_dispatcher.c: the real truckrolld connected to
 * a private mosquitto through its TLS listener (broker.tls, broker.ca_file;
 * a CA and server certificate made at test time, tls_certs.h), while the
 * test's console and fake agent use the plain listener of the same broker:
 * the dispatcher's retained "online" state arrives (published over TLS), a
 * console request is answered (received and answered over TLS), and a
 * contractor added and brought online is listed available (presence and a
 * position received over TLS).
 *
 *   test_tls_dispatcher TRUCKROLLD
 *
 * Every wait is bounded; nothing asserts on elapsed time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "tests/integration/tls_certs.h"
#include "tests/support/check.h"
#include "tests/support/dispatcher_harness.h"

int main(int argc, char **argv)
{
    struct trd d;
    struct trd_console *c = NULL;
    struct trd_agent *ag = NULL;
    struct tr_msg r;
    char dir[] = "/tmp/tr-tlsd-XXXXXX", conf[2048], port[48], ca[400];
    int tls_port;

    if (argc != 2) {
        fprintf(stderr, "usage: test_tls_dispatcher TRUCKROLLD\n");
        return 2;
    }
    memset(&d, 0, sizeof d);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    CHECK(tls_certs_make(dir) == 0);
    tls_port = trt_free_port();
    CHECK(tls_port > 0);
    tls_listener_conf(conf, sizeof conf, tls_port, dir);
    snprintf(port, sizeof port, "--broker.port=%d", tls_port);
    snprintf(ca, sizeof ca, "--broker.ca_file=%s/ca.pem", dir);
    const char *args[] = { port, "--broker.tls=true", "--broker.host=127.0.0.1", ca, NULL };
    if (check_failed)
        goto out;
    /* serving = its retained online state seen on the plain listener */
    CHECK(trd_start_conf(&d, argv[1], args, conf) == 0);
    CHECK(trd_log_count(&d, "not reachable") == 0);
    c = trd_console_new(&d, "console", false);
    CHECK(c != NULL);
    if (!c)
        goto out;
    memset(&r, 0, sizeof r);
    CHECK(trd_request(c, "contractor.list", "{}", &r, NULL, 20000) == 0);
    CHECK(r.type == TR_MSG_RESPONSE);
    tr_msg_free(&r);
    ag = trd_ready(&d, c, "tls-tech", "router", "en", NULL, NULL, 30.2672, -97.7431);
    CHECK(ag != NULL);
    CHECK(trd_alive(&d));
out:
    trd_agent_free(ag);
    trd_console_free(c);
    if (check_failed)
        d.keep = true;
    trd_finish(&d);
    const char *rm[] = { "rm", "-rf", dir, NULL };
    tls_run(rm);
    return check_report("test_tls_dispatcher");
}
