/*
 * tests/integration/tls_certs.h: a throwaway PKI for the TLS tests (library
 * tr_tls_certs), made at test time with the openssl command line tool
 * (Debian package openssl), and the mosquitto lines for a TLS listener.
 *
 * tls_certs_make writes into dir: ca.pem (a test CA), server.pem +
 * server.key (signed by it, subjectAltName IP:127.0.0.1 and DNS:localhost,
 * valid for 2 days) and other-ca.pem (an unrelated CA, for a handshake that
 * must fail). EC P-256 keys: quick to make, also under qemu. Children are
 * started with posix_spawn (fork() hangs under qemu-user). Nothing is kept
 * beyond dir; the caller removes it.
 */
#ifndef TR_TEST_TLS_CERTS_H
#define TR_TEST_TLS_CERTS_H

#include <stddef.h>

/* 0 on success; -1 with the failing command on stderr. */
int tls_certs_make(const char *dir);
/* "listener PORT 127.0.0.1" with cafile/certfile/keyfile from dir, for
 * trt_broker_opts.extra_conf. */
void tls_listener_conf(char *out, size_t cap, int port, const char *dir);
/* Run argv (argv[0] searched in PATH), wait; its exit status or -1. */
int tls_run(const char *const *argv);
/* Wait (bounded) until something accepts on 127.0.0.1:port. 0 when it does. */
int tls_wait_port(int port, int timeout_ms);

#endif
