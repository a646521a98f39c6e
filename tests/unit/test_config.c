/*
 * tests/unit/test_config.c: common/config layers and precedence (a real temp
 * file, setenv, an argv), every error kind and its message, --print-config
 * (text round trip and JSON) and the --help table.
 */
#include "common/config.h"
#include "tests/support/check.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

enum level { LV_ERROR, LV_WARN, LV_INFO, LV_DEBUG };

struct settings {
    char broker_host[64];
    int broker_port;
    enum level log_level;
    double threshold_m;
    bool sim_enabled;
    char tiny[4];
    int offset;
};

#define S struct settings
static const struct tr_config_option opts[] = {
    { "broker.host", TR_CFG_STRING_AT(S, broker_host), "127.0.0.1", .help = "MQTT broker host" },
    { "broker.port", TR_CFG_INT_AT(S, broker_port), "1883", .min = 1, .max = 65535,
      .help = "MQTT broker port" },
    { "log.level", TR_CFG_ENUM_AT(S, log_level), "info", .choices = "error|warn|info|debug",
      .help = "log threshold" },
    { "report.threshold_m", TR_CFG_DOUBLE_AT(S, threshold_m), "40", .min = 1, .max = 10000,
      .help = "drift before reporting" },
    { "sim.enabled", TR_CFG_BOOL_AT(S, sim_enabled), "false", .help = "simulate" },
    { "test.tiny", TR_CFG_STRING_AT(S, tiny), "", .help = "at most 3 bytes" },
    { "test.offset", TR_CFG_INT_AT(S, offset), "-5", .help = "unbounded int" },
};
#define N_OPTS (sizeof opts / sizeof opts[0])
#define PREFIX "TRTEST_"

static char tmpdir[] = "/tmp/test_config.XXXXXX";

static struct tr_config *make(struct settings *s)
{
    struct tr_config *cfg = NULL;
    char err[256] = "";
    int rc = tr_config_new(&cfg, opts, N_OPTS, s, sizeof *s, PREFIX, err, sizeof err);
    CHECK_MSG(rc == TR_CONFIG_OK && cfg, "%s", err);
    return cfg;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
}

static int src_of(struct tr_config *cfg, const char *name, int *line)
{
    enum tr_config_source src = TR_CONFIG_SRC_DEFAULT;
    int rc = tr_config_source_of(cfg, name, &src, line);
    return rc ? -1 : (int)src;
}

static void test_defaults(void)
{
    struct settings s;
    memset(&s, 0xAA, sizeof s);
    struct tr_config *cfg = make(&s);
    CHECK(strcmp(s.broker_host, "127.0.0.1") == 0);
    CHECK(s.broker_port == 1883);
    CHECK(s.log_level == LV_INFO);
    CHECK(s.threshold_m == 40.0);
    CHECK(s.sim_enabled == false);
    CHECK(s.tiny[0] == '\0');
    CHECK(s.offset == -5);
    CHECK(src_of(cfg, "broker.port", NULL) == TR_CONFIG_SRC_DEFAULT);
    CHECK(tr_config_source_of(cfg, "nope.nope", NULL, NULL) == TR_CONFIG_EUNKNOWN);
    tr_config_free(cfg);
    tr_config_free(NULL);
}

static void test_bad_tables(void)
{
    struct settings s;
    struct tr_config *cfg = NULL;
    char err[256] = "";
    const struct tr_config_option bad_default[] = {
        { "broker.port", TR_CFG_INT_AT(S, broker_port), "70000", .min = 1, .max = 65535 },
    };
    const struct tr_config_option dup[] = {
        { "a.b", TR_CFG_INT_AT(S, broker_port), "1" },
        { "a.b", TR_CFG_INT_AT(S, offset), "1" },
    };
    const struct tr_config_option same_env[] = {
        { "a.b-c", TR_CFG_INT_AT(S, broker_port), "1" },
        { "a.b_c", TR_CFG_INT_AT(S, offset), "1" },
    };
    const struct tr_config_option no_dot[] = { { "port", TR_CFG_INT_AT(S, broker_port), "1" } };
    const struct tr_config_option upper[] = { { "A.b", TR_CFG_INT_AT(S, broker_port), "1" } };
    const struct tr_config_option bad_size[] = { { "a.b", TR_CFG_DOUBLE, 0, 3, "1", .help = "" } };
    const struct tr_config_option past_end[] = {
        { "a.b", TR_CFG_INT, sizeof s, sizeof(int), "1", .help = "" },
    };
    const struct tr_config_option no_choices[] = { { "a.b", TR_CFG_ENUM_AT(S, log_level), "x" } };
    const struct tr_config_option empty_choice[] = {
        { "a.b", TR_CFG_ENUM_AT(S, log_level), "x", .choices = "x||y" },
    };
    const struct tr_config_option bad_range[] = {
        { "a.b", TR_CFG_INT_AT(S, broker_port), "1", .min = 5, .max = 1 },
    };
    const struct tr_config_option no_def[] = { { "a.b", TR_CFG_INT_AT(S, broker_port), NULL } };

    CHECK(tr_config_new(&cfg, bad_default, 1, &s, sizeof s, NULL, err, sizeof err) ==
          TR_CONFIG_EINVAL);
    CHECK_MSG(strstr(err, "default") && strstr(err, "broker.port"), "%s", err);
    CHECK(cfg == NULL);
    CHECK(tr_config_new(&cfg, dup, 2, &s, sizeof s, NULL, err, sizeof err) == TR_CONFIG_EINVAL);
    CHECK_MSG(strstr(err, "clash"), "%s", err);
    CHECK(tr_config_new(&cfg, same_env, 2, &s, sizeof s, NULL, err, sizeof err) ==
          TR_CONFIG_EINVAL);
    CHECK(tr_config_new(&cfg, no_dot, 1, &s, sizeof s, NULL, err, sizeof err) == TR_CONFIG_EINVAL);
    CHECK(tr_config_new(&cfg, upper, 1, &s, sizeof s, NULL, err, sizeof err) == TR_CONFIG_EINVAL);
    CHECK(tr_config_new(&cfg, bad_size, 1, &s, sizeof s, NULL, err, sizeof err) ==
          TR_CONFIG_EINVAL);
    CHECK(tr_config_new(&cfg, past_end, 1, &s, sizeof s, NULL, err, sizeof err) ==
          TR_CONFIG_EINVAL);
    CHECK(tr_config_new(&cfg, no_choices, 1, &s, sizeof s, NULL, err, sizeof err) ==
          TR_CONFIG_EINVAL);
    CHECK(tr_config_new(&cfg, empty_choice, 1, &s, sizeof s, NULL, err, sizeof err) ==
          TR_CONFIG_EINVAL);
    CHECK(tr_config_new(&cfg, bad_range, 1, &s, sizeof s, NULL, err, sizeof err) ==
          TR_CONFIG_EINVAL);
    CHECK(tr_config_new(&cfg, no_def, 1, &s, sizeof s, NULL, err, sizeof err) == TR_CONFIG_EINVAL);
    CHECK(tr_config_new(&cfg, opts, N_OPTS, &s, sizeof s, "lower_", err, sizeof err) ==
          TR_CONFIG_EINVAL);
    CHECK(tr_config_new(&cfg, opts, 0, &s, sizeof s, NULL, err, sizeof err) == TR_CONFIG_EINVAL);
    CHECK(tr_config_new(&cfg, opts, N_OPTS, NULL, sizeof s, NULL, NULL, 0) == TR_CONFIG_EINVAL);
    CHECK(cfg == NULL);
}

static const char good_file[] = "\xEF\xBB\xBF# a comment\n"
                                "\n"
                                "log.level = debug   # top-level full name\n"
                                "[broker]\r\n"
                                "  host = \"a # b \\\"q\\\"\\t\\\\\"  # quoted\n"
                                "port=1999\n"
                                "[ report ]\n"
                                "threshold_m = 12.5e1\n"
                                "[sim]\n"
                                "enabled = YES\n"
                                "[test]\n"
                                "offset = -2147483648\n"
                                "port = 1\n";

static void test_file_env_cli(void)
{
    struct settings s;
    struct tr_config *cfg = make(&s);
    char path[256], err[256] = "";
    snprintf(path, sizeof path, "%s/good.conf", tmpdir);
    write_file(path, good_file);

    /* The file: [test] port = 1 is unknown, so first a file without it. */
    CHECK(tr_config_load_file(cfg, path, 0, err, sizeof err) == TR_CONFIG_EUNKNOWN);
    CHECK_MSG(strstr(err, "good.conf:13") && strstr(err, "test.port") &&
                  strstr(err, "did you mean 'test.tiny'") == NULL,
              "%s", err);
    CHECK(s.broker_port == 1883); /* a failed layer changes nothing */
    CHECK(s.log_level == LV_INFO);
    write_file(path, "");
    {
        FILE *f = fopen(path, "wb");
        CHECK(f != NULL);
        if (f) {
            fwrite(good_file, 1, sizeof good_file - 1 - strlen("port = 1\n"), f);
            fclose(f);
        }
    }
    int rc = tr_config_load_file(cfg, path, 0, err, sizeof err);
    CHECK_MSG(rc == TR_CONFIG_OK, "%s", err);
    CHECK(s.log_level == LV_DEBUG);
    CHECK_MSG(strcmp(s.broker_host, "a # b \"q\"\t\\") == 0, "[%s]", s.broker_host);
    CHECK(s.broker_port == 1999);
    CHECK(s.threshold_m == 125.0);
    CHECK(s.sim_enabled == true);
    CHECK(s.offset == -2147483647 - 1);
    int line = 0;
    CHECK(src_of(cfg, "broker.port", &line) == TR_CONFIG_SRC_FILE && line == 6);
    CHECK(src_of(cfg, "log.level", &line) == TR_CONFIG_SRC_FILE && line == 3);

    /* Environment over file. */
    setenv(PREFIX "BROKER_PORT", "2000", 1);
    setenv(PREFIX "REPORT_THRESHOLD_M", "55.5", 1);
    setenv(PREFIX "BROKER_NOPE", "ignored", 1);
    rc = tr_config_load_env(cfg, err, sizeof err);
    CHECK_MSG(rc == TR_CONFIG_OK, "%s", err);
    CHECK(s.broker_port == 2000 && s.threshold_m == 55.5);
    CHECK(src_of(cfg, "broker.port", &line) == TR_CONFIG_SRC_ENV && line == 0);

    /* A bad variable: named in the message, nothing applied. */
    setenv(PREFIX "SIM_ENABLED", "maybe", 1);
    setenv(PREFIX "BROKER_PORT", "2001", 1);
    CHECK(tr_config_load_env(cfg, err, sizeof err) == TR_CONFIG_EBADBOOL);
    CHECK_MSG(strstr(err, PREFIX "SIM_ENABLED") && strstr(err, "maybe"), "%s", err);
    CHECK(s.broker_port == 2000);
    unsetenv(PREFIX "SIM_ENABLED");
    unsetenv(PREFIX "BROKER_NOPE");

    /* Command line over environment; other arguments left in order. */
    char *argv[] = { "prog", "--broker.port=2002", "-v", "--log.level", "warn", "pos", "--json",
                     "--",   "--broker.port=1",    NULL };
    int argc = 9;
    rc = tr_config_load_args(cfg, &argc, argv, err, sizeof err);
    CHECK_MSG(rc == TR_CONFIG_OK, "%s", err);
    CHECK(s.broker_port == 2002 && s.log_level == LV_WARN);
    CHECK(argc == 6);
    CHECK(argc == 6 && strcmp(argv[1], "-v") == 0 && strcmp(argv[2], "pos") == 0 &&
          strcmp(argv[3], "--json") == 0 && strcmp(argv[4], "--") == 0 &&
          strcmp(argv[5], "--broker.port=1") == 0 && argv[6] == NULL);
    CHECK(src_of(cfg, "broker.port", NULL) == TR_CONFIG_SRC_CLI);

    /* Lower layers never replace higher ones, whatever the order of calls. */
    CHECK(tr_config_load_env(cfg, err, sizeof err) == TR_CONFIG_OK);
    CHECK(s.broker_port == 2002);
    CHECK(tr_config_load_file(cfg, path, 0, err, sizeof err) == TR_CONFIG_OK);
    CHECK(s.broker_port == 2002 && s.threshold_m == 55.5 && s.log_level == LV_WARN);
    CHECK(tr_config_set(cfg, "broker.port", "3000", TR_CONFIG_SRC_FILE, err, sizeof err) ==
          TR_CONFIG_OK);
    CHECK(s.broker_port == 2002);
    /* A program's short alias sets at the cli layer. */
    CHECK(tr_config_set(cfg, "broker.port", "3001", TR_CONFIG_SRC_CLI, err, sizeof err) ==
          TR_CONFIG_OK);
    CHECK(s.broker_port == 3001);
    tr_config_free(cfg);

    /* A program flag's value that starts with "--" and has a dot in it is
     * no setting (only a-z A-Z 0-9 _ . - make a name); a typo still is */
    struct tr_config *c3 = make(&s);
    char *argv3[] = { "prog", "--note", "--see 5.2", NULL };
    char *argv4[] = { "prog", "--note", "x", "--brokr.port=1", NULL };
    argc = 3;
    CHECK(tr_config_load_args(c3, &argc, argv3, err, sizeof err) == TR_CONFIG_OK && argc == 3 &&
          strcmp(argv3[2], "--see 5.2") == 0);
    argc = 4;
    CHECK(tr_config_load_args(c3, &argc, argv4, err, sizeof err) == TR_CONFIG_EUNKNOWN);
    tr_config_free(c3);

    /* Same layers in reverse call order: same result. */
    struct tr_config *c2 = make(&s);
    char *argv2[] = { "prog", "--broker.port", "2002", NULL };
    argc = 3;
    CHECK(tr_config_load_args(c2, &argc, argv2, err, sizeof err) == TR_CONFIG_OK && argc == 1);
    CHECK(tr_config_load_env(c2, err, sizeof err) == TR_CONFIG_OK);
    CHECK(tr_config_load_file(c2, path, 0, err, sizeof err) == TR_CONFIG_OK);
    CHECK(s.broker_port == 2002 && s.threshold_m == 55.5 && s.log_level == LV_DEBUG);
    unsetenv(PREFIX "BROKER_PORT");
    unsetenv(PREFIX "REPORT_THRESHOLD_M");
    tr_config_free(c2);
}

/* Load text as a file and return the error code; err gets the message. */
static int load_text(const char *text, char *err, size_t errlen)
{
    struct settings s;
    struct tr_config *cfg = make(&s);
    int rc = tr_config_load_buffer(cfg, "t.conf", text, strlen(text), err, errlen);
    tr_config_free(cfg);
    return rc;
}

#define EXPECT(text, code, needle)                                                                 \
    do {                                                                                           \
        char e_[512] = "";                                                                         \
        int r_ = load_text(text, e_, sizeof e_);                                                   \
        CHECK_MSG(r_ == (code) && strstr(e_, needle), "rc %d msg '%s' for '%s'", r_, e_, text);    \
    } while (0)

static void test_errors(void)
{
    EXPECT("brokr.port = 1", TR_CONFIG_EUNKNOWN,
           "t.conf:1: unknown option 'brokr.port' "
           "(did you mean 'broker.port'?)");
    EXPECT("\n\nport = 1", TR_CONFIG_EUNKNOWN,
           "t.conf:3: unknown option 'port' (did you mean "
           "'broker.port'?)");
    EXPECT("[broker]\nprot = 1", TR_CONFIG_EUNKNOWN, "did you mean 'broker.port'");
    EXPECT("totally.different = 1", TR_CONFIG_EUNKNOWN, "unknown option 'totally.different'");
    EXPECT("broker.port = abc", TR_CONFIG_EBADNUM, "t.conf:1: broker.port: expected an integer");
    EXPECT("broker.port = 12x", TR_CONFIG_EBADNUM, "12x");
    EXPECT("broker.port =", TR_CONFIG_EBADNUM, "expected an integer");
    EXPECT("broker.port = 0x10", TR_CONFIG_EBADNUM, "expected an integer");
    EXPECT("report.threshold_m = nan", TR_CONFIG_EBADNUM, "expected a number");
    EXPECT("report.threshold_m = 1.5.2", TR_CONFIG_EBADNUM, "expected a number");
    EXPECT("broker.port = 70000", TR_CONFIG_ERANGE, "out of range 1..65535");
    EXPECT("broker.port = 0", TR_CONFIG_ERANGE, "out of range");
    EXPECT("test.offset = 99999999999999999999", TR_CONFIG_ERANGE, "out of range");
    EXPECT("test.offset = 2147483648", TR_CONFIG_ERANGE, "out of range");
    EXPECT("report.threshold_m = 0.5", TR_CONFIG_ERANGE, "out of range 1..10000");
    EXPECT("report.threshold_m = 1e999", TR_CONFIG_ERANGE, "out of range");
    EXPECT("log.level = loud", TR_CONFIG_EBADENUM, "expected one of error|warn|info|debug");
    EXPECT("sim.enabled = 2", TR_CONFIG_EBADBOOL, "expected true/false");
    EXPECT("test.tiny = abcd", TR_CONFIG_ETOOLONG, "longer than 3 bytes");
    EXPECT("broker.port 1883", TR_CONFIG_ESYNTAX, "t.conf:1: expected 'key = value'");
    EXPECT("= 5", TR_CONFIG_ESYNTAX, "expected 'key = value'");
    EXPECT("bro\x1bker.port = 5", TR_CONFIG_ESYNTAX, "t.conf:1: bad key");
    EXPECT("Broker.Port = 5", TR_CONFIG_EUNKNOWN, "did you mean 'broker.port'");
    EXPECT("broker.host = \"abc", TR_CONFIG_ESYNTAX, "unterminated string");
    EXPECT("broker.host = \"a\\qb\"", TR_CONFIG_ESYNTAX, "bad escape");
    EXPECT("broker.host = \"a\" b", TR_CONFIG_ESYNTAX, "after the closing quote");
    EXPECT("[broker", TR_CONFIG_ESYNTAX, "bad section header");
    EXPECT("[]", TR_CONFIG_ESYNTAX, "bad section header");
    EXPECT("[a b]", TR_CONFIG_ESYNTAX, "bad section header");
    EXPECT("[broker] x", TR_CONFIG_ESYNTAX, "bad section header");

    /* Fine: empty, comments only, a trailing line without newline. */
    EXPECT("", TR_CONFIG_OK, "");
    EXPECT("# only\n\n   # comments\n", TR_CONFIG_OK, "");
    EXPECT("[broker]\nport = 10", TR_CONFIG_OK, "");
    EXPECT("test.tiny = \"\"", TR_CONFIG_OK, "");
    EXPECT("test.tiny =", TR_CONFIG_OK, "");

    char err[256] = "";
    struct settings s;
    struct tr_config *cfg = make(&s);
    static const char nul[] = "broker.port = 1\nbroker.host = a\0b\n";
    CHECK(tr_config_load_buffer(cfg, "t.conf", nul, sizeof nul - 1, err, sizeof err) ==
          TR_CONFIG_ESYNTAX);
    CHECK_MSG(strstr(err, "t.conf:2: NUL"), "%s", err);
    CHECK(s.broker_port == 1883);

    /* Line too long. */
    size_t big = TR_CONFIG_LINE_MAX + 10;
    char *text = malloc(big + 32);
    CHECK(text != NULL);
    if (text) {
        memcpy(text, "# ok\nbroker.host = ", 19);
        memset(text + 19, 'x', big);
        CHECK(tr_config_load_buffer(cfg, "t.conf", text, big + 19, err, sizeof err) ==
              TR_CONFIG_ELINE);
        CHECK_MSG(strstr(err, "t.conf:2: line longer than 4096"), "%s", err);
        /* Exactly at the limit is a line, and its value is just too long. */
        CHECK(tr_config_load_buffer(cfg, "t.conf", text, 5 + TR_CONFIG_LINE_MAX, err, sizeof err) ==
              TR_CONFIG_ETOOLONG);
        free(text);
    }

    /* Files. */
    char path[300];
    snprintf(path, sizeof path, "%s/missing.conf", tmpdir);
    CHECK(tr_config_load_file(cfg, path, 0, err, sizeof err) == TR_CONFIG_EFILE);
    CHECK_MSG(strstr(err, "missing.conf") && strstr(err, "No such file"), "%s", err);
    CHECK(tr_config_load_file(cfg, path, TR_CONFIG_MISSING_OK, err, sizeof err) == TR_CONFIG_OK);
    CHECK(tr_config_load_file(cfg, tmpdir, TR_CONFIG_MISSING_OK, err, sizeof err) ==
          TR_CONFIG_EFILE);
    CHECK_MSG(strstr(err, tmpdir), "%s", err);

    /* Command line. */
    char *a1[] = { "prog", "--broker.port", NULL };
    int argc = 2;
    CHECK(tr_config_load_args(cfg, &argc, a1, err, sizeof err) == TR_CONFIG_EARGS);
    CHECK_MSG(strstr(err, "--broker.port: needs a value"), "%s", err);
    char *a2[] = { "prog", "-x", "--broker.port", "--print-config", NULL };
    argc = 4;
    CHECK(tr_config_load_args(cfg, &argc, a2, err, sizeof err) == TR_CONFIG_EARGS && argc == 4);
    CHECK(strcmp(a2[1], "-x") == 0 && strcmp(a2[2], "--broker.port") == 0);
    char *a3[] = { "prog", "--brokr.port=5", NULL };
    argc = 2;
    CHECK(tr_config_load_args(cfg, &argc, a3, err, sizeof err) == TR_CONFIG_EUNKNOWN);
    CHECK_MSG(strstr(err, "--brokr.port: unknown option 'brokr.port' (did you mean "
                          "'broker.port'?)"),
              "%s", err);
    char *a4[] = { "prog", "pos", "--sim.enabled=on", "--broker.port=99999", NULL };
    argc = 4;
    CHECK(tr_config_load_args(cfg, &argc, a4, err, sizeof err) == TR_CONFIG_ERANGE);
    CHECK_MSG(strstr(err, "--broker.port: broker.port: 99999 is out of range"), "%s", err);
    CHECK(argc == 4 && strcmp(a4[1], "pos") == 0 && s.sim_enabled == false);
    CHECK(tr_config_set(cfg, "broker.prot", "1", TR_CONFIG_SRC_CLI, err, sizeof err) ==
          TR_CONFIG_EUNKNOWN);
    CHECK(tr_config_set(cfg, "broker.port", " 5", TR_CONFIG_SRC_CLI, err, sizeof err) ==
          TR_CONFIG_EBADNUM);
    CHECK(tr_config_set(cfg, "broker.port", "5", TR_CONFIG_SRC_CLI, NULL, 0) == TR_CONFIG_OK);
    CHECK(tr_config_set(cfg, "broker.port", "x", TR_CONFIG_SRC_CLI, NULL, 0) == TR_CONFIG_EBADNUM);
    CHECK(s.broker_port == 5);
    tr_config_free(cfg);

    for (int i = 0; i <= TR_CONFIG_EARGS; i++)
        CHECK(strcmp(tr_config_strerror(i), "unknown error") != 0);
    CHECK(strcmp(tr_config_strerror(999), "unknown error") == 0);
    CHECK(strcmp(tr_config_strerror(-1), "unknown error") == 0);
    CHECK(strcmp(tr_config_source_name(TR_CONFIG_SRC_ENV), "env") == 0);
}

static char *print_to_string(struct tr_config *cfg, int json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(f != NULL);
    if (!f)
        return NULL;
    CHECK((json ? tr_config_print_json(cfg, f) : tr_config_print(cfg, f)) == TR_CONFIG_OK);
    fclose(f);
    return buf;
}

static void test_print(void)
{
    struct settings s, s2;
    struct tr_config *cfg = make(&s);
    char err[256] = "";
    static const char text[] = "[broker]\nhost = \"x\\ny \\\"z\\\"\"\n\n"
                               "[report]\nthreshold_m = 1.1\n";
    CHECK(tr_config_load_buffer(cfg, "/etc/tr.conf", text, sizeof text - 1, err, sizeof err) ==
          TR_CONFIG_OK);
    setenv(PREFIX "LOG_LEVEL", "error", 1);
    CHECK(tr_config_load_env(cfg, err, sizeof err) == TR_CONFIG_OK);
    unsetenv(PREFIX "LOG_LEVEL");
    CHECK(tr_config_set(cfg, "sim.enabled", "on", TR_CONFIG_SRC_CLI, err, sizeof err) == 0);

    char *out = print_to_string(cfg, 0);
    CHECK(out != NULL);
    if (out) {
        CHECK_MSG(strstr(out, "broker.host = \"x\\ny \\\"z\\\"\"  # file:/etc/tr.conf:2\n"), "%s",
                  out);
        CHECK(strstr(out, "broker.port = 1883  # default\n"));
        CHECK(strstr(out, "log.level = error  # env:TRTEST_LOG_LEVEL\n"));
        CHECK(strstr(out, "report.threshold_m = 1.1  # file:/etc/tr.conf:5\n"));
        CHECK(strstr(out, "sim.enabled = true  # cli\n"));
        CHECK(strstr(out, "test.offset = -5  # default\n"));

        /* The printed text is a config file giving the same settings. */
        struct tr_config *c2 = make(&s2);
        CHECK(tr_config_load_buffer(c2, "printed", out, strlen(out), err, sizeof err) == 0);
        CHECK(strcmp(s.broker_host, s2.broker_host) == 0 && s.broker_port == s2.broker_port &&
              s.log_level == s2.log_level && s.threshold_m == s2.threshold_m &&
              s.sim_enabled == s2.sim_enabled && strcmp(s.tiny, s2.tiny) == 0 &&
              s.offset == s2.offset);
        tr_config_free(c2);
        free(out);
    }

    out = print_to_string(cfg, 1);
    cJSON *root = out ? cJSON_Parse(out) : NULL;
    CHECK(root != NULL);
    if (root) {
        cJSON *port = cJSON_GetObjectItemCaseSensitive(root, "broker.port");
        cJSON *pv = cJSON_GetObjectItemCaseSensitive(port, "value");
        CHECK(cJSON_IsNumber(pv) && pv->valuedouble == 1883.0);
        cJSON *ps = cJSON_GetObjectItemCaseSensitive(port, "source");
        CHECK(cJSON_IsString(ps) && strcmp(ps->valuestring, "default") == 0);
        cJSON *host = cJSON_GetObjectItemCaseSensitive(root, "broker.host");
        cJSON *hv = cJSON_GetObjectItemCaseSensitive(host, "value");
        CHECK(cJSON_IsString(hv) && strcmp(hv->valuestring, "x\ny \"z\"") == 0);
        cJSON *ho = cJSON_GetObjectItemCaseSensitive(host, "origin");
        CHECK(cJSON_IsString(ho) && strcmp(ho->valuestring, "file:/etc/tr.conf:2") == 0);
        cJSON *lv = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(root, "log.level"), "value");
        CHECK(cJSON_IsString(lv) && strcmp(lv->valuestring, "error") == 0);
        cJSON *sim = cJSON_GetObjectItemCaseSensitive(root, "sim.enabled");
        CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sim, "value")));
        cJSON *ss = cJSON_GetObjectItemCaseSensitive(sim, "source");
        CHECK(cJSON_IsString(ss) && strcmp(ss->valuestring, "cli") == 0);
        CHECK(cJSON_GetArraySize(root) == (int)N_OPTS);
        cJSON_Delete(root);
    }
    free(out);
    tr_config_free(cfg);
}

static void test_usage(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(f != NULL);
    if (!f)
        return;
    tr_config_usage(opts, N_OPTS, PREFIX, f);
    fclose(f);
    CHECK_MSG(strstr(buf, "  --broker.port=INT") && strstr(buf, "MQTT broker port\n"), "%s", buf);
    CHECK(strstr(buf, "default 1883, range 1..65535, env TRTEST_BROKER_PORT\n"));
    CHECK(strstr(buf, "default \"127.0.0.1\", env TRTEST_BROKER_HOST\n"));
    CHECK(strstr(buf, "default info, one of error|warn|info|debug"));
    CHECK(strstr(buf, "--report.threshold_m=NUM"));
    CHECK(strstr(buf, "default false, true/false"));
    free(buf);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_defaults();
    test_bad_tables();
    test_file_env_cli();
    test_errors();
    test_print();
    test_usage();

    char path[300];
    snprintf(path, sizeof path, "%s/good.conf", tmpdir);
    unlink(path);
    rmdir(tmpdir);
    return check_report("test_config");
}
