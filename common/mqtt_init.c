/*
 * common/mqtt_init.c: who initialises OpenSSL in a process that uses
 * common/mqtt (tr_mqtt_global_init in mqtt.h), and the OpenSSL set-up a TLS
 * session needs.
 *
 * By default paho-mqtt3as initialises OpenSSL when the process creates its
 * first client, TLS or not: OPENSSL_init_ssl, every cipher and digest, the
 * error strings of libcrypto and libssl, and openssl.cnf. On the agent that
 * was most of the heap (SPEC: resident private memory <= 2 MB) for a plain
 * loopback connection that never touches TLS. tr_mqtt_global_init tells
 * paho (MQTTAsync_global_init, do_openssl_init = 0) to leave it to us, and
 * tr_mqtt_new then initialises OpenSSL only for a session with tls set
 * (tr_mqtt_tls_init below), the same initialisation paho would have done.
 *
 * It also sets paho's trace level to errors: at its default level paho
 * formats a line for every packet into an in-memory ring of 400 entries
 * (~125 KB once written, and a vsnprintf per message) that nothing here
 * reads. MQTT_C_CLIENT_TRACE=ON with MQTT_C_CLIENT_TRACE_LEVEL=PROTOCOL in
 * the environment still turns paho's tracing on for debugging.
 *
 * It does not load certificates or create SSL contexts (paho does, per
 * connect, from the session's MQTTAsync_SSLOptions in mqtt.c).
 */
#include "common/mqtt_int.h"

#include <openssl/crypto.h>
#include <openssl/ssl.h>

void tr_mqtt_global_init(void)
{
    MQTTAsync_init_options io = MQTTAsync_init_options_initializer;
    io.do_openssl_init = 0;
    MQTTAsync_global_init(&io);
    MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR); /* paho reads MQTT_C_CLIENT_TRACE_LEVEL later */
}

int tr_mqtt_tls_init(void)
{
    /* thread-safe and idempotent (OpenSSL >= 1.1); what paho's
     * SSLSocket_initialize asks for: libssl, all algorithms, the config
     * file, and error strings for paho's handshake error reports */
    uint64_t opts = OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS |
                    OPENSSL_INIT_ADD_ALL_CIPHERS | OPENSSL_INIT_ADD_ALL_DIGESTS |
                    OPENSSL_INIT_LOAD_CONFIG;
    return OPENSSL_init_ssl(opts, NULL) == 1 ? TR_MQTT_OK : TR_MQTT_ERR_TLS;
}
