/*
 * tests/fuzz/fuzz_config.c: feeds the input to tr_config_load_buffer as a
 * config file. Besides "never crash", checks one property: when the input
 * loads, --print-config output loads too and gives the same settings, and
 * the --json output is valid JSON. Built as a libFuzzer target with
 * TR_FUZZ, otherwise linked with replay_main.c to replay the corpus.
 */
#include "common/config.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum mode { MODE_A, MODE_B, MODE_C };

struct settings {
    char host[32];
    char path[200];
    int port;
    int offset;
    enum mode mode;
    double ratio;
    double any;
    bool flag;
};

#define S struct settings
static const struct tr_config_option opts[] = {
    { "broker.host", TR_CFG_STRING_AT(S, host), "127.0.0.1", .help = "host" },
    { "db.path", TR_CFG_STRING_AT(S, path), "/var/lib/x.db", .help = "path" },
    { "broker.port", TR_CFG_INT_AT(S, port), "1883", .min = 1, .max = 65535 },
    { "clock.offset", TR_CFG_INT_AT(S, offset), "0", .help = "unbounded" },
    { "run.mode", TR_CFG_ENUM_AT(S, mode), "a", .choices = "a|b|c" },
    { "report.ratio", TR_CFG_DOUBLE_AT(S, ratio), "0.5", .min = 0, .max = 1 },
    { "report.any", TR_CFG_DOUBLE_AT(S, any), "0", .help = "unbounded" },
    { "sim.flag", TR_CFG_BOOL_AT(S, flag), "off", .help = "flag" },
};
#define N_OPTS (sizeof opts / sizeof opts[0])

static int same(const struct settings *a, const struct settings *b)
{
    return strcmp(a->host, b->host) == 0 && strcmp(a->path, b->path) == 0 && a->port == b->port &&
           a->offset == b->offset && a->mode == b->mode && a->ratio == b->ratio &&
           a->any == b->any && a->flag == b->flag;
}

/* Print cfg (as text or JSON) into a malloc'd string, or NULL. */
static char *print(struct tr_config *cfg, int json, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    if ((json ? tr_config_print_json(cfg, f) : tr_config_print(cfg, f)) != TR_CONFIG_OK)
        abort();
    fclose(f);
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct settings s1, s2;
    struct tr_config *c1 = NULL, *c2 = NULL;
    char err[256];
    char *text = NULL, *json = NULL;
    size_t len = 0, jlen = 0;

    if (tr_config_new(&c1, opts, N_OPTS, &s1, sizeof s1, "FUZZ_", err, sizeof err) != 0)
        abort();
    int rc = tr_config_load_buffer(c1, "fuzz", (const char *)data, size, err, sizeof err);
    if (rc != TR_CONFIG_OK) {
        /* Every error has a message and a known code. */
        if (!err[0] || strcmp(tr_config_strerror(rc), "unknown error") == 0)
            abort();
        goto out;
    }

    text = print(c1, 0, &len);
    json = print(c1, 1, &jlen);
    if (!text || !json)
        goto out;
    if (tr_config_new(&c2, opts, N_OPTS, &s2, sizeof s2, NULL, err, sizeof err) != 0)
        abort();
    if (tr_config_load_buffer(c2, "printed", text, len, err, sizeof err) != TR_CONFIG_OK) {
        fprintf(stderr, "printed config does not load: %s\n%s", err, text);
        abort();
    }
    if (!same(&s1, &s2)) {
        fprintf(stderr, "printed config differs:\n%s", text);
        abort();
    }
    cJSON *root = cJSON_ParseWithLength(json, jlen);
    if (!root || cJSON_GetArraySize(root) != (int)N_OPTS) {
        fprintf(stderr, "bad --json output:\n%s\n", json);
        abort();
    }
    cJSON_Delete(root);
out:
    free(text);
    free(json);
    tr_config_free(c2);
    tr_config_free(c1);
    return 0;
}
