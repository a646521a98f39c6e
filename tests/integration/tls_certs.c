/*
 * tests/integration/tls_certs.c: the test PKI of tls_certs.h through the
 * openssl CLI, and small process and port helpers for the TLS tests.
 */
#include "tests/integration/tls_certs.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/broker.h"

extern char **environ;

int tls_run(const char *const *argv)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int st, rc;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

static int run_checked(const char *const *argv)
{
    if (tls_run(argv) == 0)
        return 0;
    fprintf(stderr, "tls_certs: failed:");
    for (int i = 0; argv[i]; i++)
        fprintf(stderr, " %s", argv[i]);
    fputc('\n', stderr);
    return -1;
}

static int make_ca(const char *dir, const char *name, const char *cn)
{
    char key[400], crt[400], subj[128];
    snprintf(key, sizeof key, "%s/%s.key", dir, name);
    snprintf(crt, sizeof crt, "%s/%s.pem", dir, name);
    snprintf(subj, sizeof subj, "/CN=%s", cn);
    const char *argv[] = {
        "openssl", "req",     "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes",  "-keyout", key,     "-out",    crt,  "-days",    "2",
        "-subj",   subj,      NULL
    };
    return run_checked(argv);
}

int tls_certs_make(const char *dir)
{
    char ext[400], key[400], csr[400], crt[400], ca[400], cakey[400], serial[400];
    FILE *f;

    if (make_ca(dir, "ca", "truckroll test CA") != 0 ||
        make_ca(dir, "other-ca", "some other CA") != 0)
        return -1;
    snprintf(ext, sizeof ext, "%s/server.ext", dir);
    snprintf(key, sizeof key, "%s/server.key", dir);
    snprintf(csr, sizeof csr, "%s/server.csr", dir);
    snprintf(crt, sizeof crt, "%s/server.pem", dir);
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(cakey, sizeof cakey, "%s/ca.key", dir);
    snprintf(serial, sizeof serial, "%s/ca.srl", dir);
    if (!(f = fopen(ext, "w")))
        return -1;
    fprintf(f, "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
               "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
    if (fclose(f) != 0)
        return -1;
    const char *req[] = {
        "openssl",       "req",     "-newkey", "ec",   "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes",        "-keyout", key,       "-out", csr,        "-subj",
        "/CN=localhost", NULL
    };
    const char *sign[] = { "openssl", "x509",   "-req",  "-in",       csr,        "-CA",
                           ca,        "-CAkey", cakey,   "-CAserial", serial,     "-CAcreateserial",
                           "-out",    crt,      "-days", "2",         "-extfile", ext,
                           NULL };
    if (run_checked(req) != 0 || run_checked(sign) != 0)
        return -1;
    return 0;
}

void tls_listener_conf(char *out, size_t cap, int port, const char *dir)
{
    snprintf(out, cap,
             "listener %d 127.0.0.1\ncafile %s/ca.pem\ncertfile %s/server.pem\n"
             "keyfile %s/server.key\n",
             port, dir, dir, dir);
}

int tls_wait_port(int port, int timeout_ms)
{
    for (long long until = trt_now_ms() + timeout_ms; trt_now_ms() < until;) {
        struct sockaddr_in sa;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return -1;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_port = htons((unsigned short)port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        close(fd);
        if (ok)
            return 0;
        trt_sleep_ms(50);
    }
    return -1;
}
