/*
 * tests/unit/test_control.c: fieldagent/app/control: the request check
 * (tr_ctl_parse) on what cJSON alone would let through, error texts that
 * stay valid UTF-8, and tr_control_open on what sits at the socket path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/msg.h"
#include "fieldagent/app/control.h"
#include "tests/support/check.h"

static int parse(const char *line, struct tr_ctl_req *r, char *msg, size_t cap)
{
    return tr_ctl_parse(line, strlen(line), r, msg, cap);
}

static void test_parse(void)
{
    struct tr_ctl_req r;
    char msg[200];

    CHECK(parse("{\"cmd\":\"accept\",\"offer\":\"O1\"}", &r, msg, sizeof msg) == TR_CTL_PARSE_OK);
    CHECK(r.cmd == TR_CTL_ACCEPT && r.has_offer && strcmp(r.offer, "O1") == 0);
    CHECK(parse("{\"cmd\":\"done\",\"note\":\"caf\\u00e9 \\ud83d\\ude9a\"}", &r, msg, sizeof msg) ==
          TR_CTL_PARSE_OK);
    CHECK(strcmp(r.note, "caf\xc3\xa9 \xf0\x9f\x9a\x9a") == 0);

    /* cJSON cuts a string at an escaped NUL: each of these would have been
     * carried out as its prefix ("accept O1", "release", reason "busy") */
    static const char *const nul[] = {
        "{\"cmd\":\"accept\",\"offer\":\"O1\\u0000garbage\"}",
        "{\"cmd\":\"release\\u0000please-ignore\"}",
        "{\"cmd\":\"decline\",\"reason\":\"busy\\u0000x\"}",
        "{\"cmd\\u0000\":\"status\"}",
    };
    for (size_t i = 0; i < sizeof nul / sizeof nul[0]; i++) {
        memset(&r, 0x5a, sizeof r);
        CHECK_MSG(parse(nul[i], &r, msg, sizeof msg) == TR_CTL_PARSE_BAD_JSON, "%s: %s", nul[i],
                  msg);
    }
    /* what cJSON takes but strict JSON does not */
    static const char *const loose[] = {
        "{\"cmd\":\"\xff\xfe\"}",
        "{\"cmd\":\"done\",\"note\":\"\\ud800\"}",
        "{\"cmd\":\"status\",\"x\":01}",
        "{\"cmd\":\"status\"} x",
        "[\"status\"]",
        "{\"cmd\":\"done\",\"note\":\"a\tb\"}",
    };
    for (size_t i = 0; i < sizeof loose / sizeof loose[0]; i++)
        CHECK_MSG(parse(loose[i], &r, msg, sizeof msg) == TR_CTL_PARSE_BAD_JSON, "%s: %s", loose[i],
                  msg);
    /* a raw NUL byte inside the length */
    static const char raw[] = "{\"cmd\":\"st\0atus\"}";
    CHECK(tr_ctl_parse(raw, sizeof raw - 1, &r, msg, sizeof msg) == TR_CTL_PARSE_BAD_JSON);
    /* an escaped control character is valid JSON, but not printable */
    CHECK(parse("{\"cmd\":\"done\",\"note\":\"a\\u0001b\"}", &r, msg, sizeof msg) ==
          TR_CTL_PARSE_BAD_REQUEST);

    /* the echoed name is cut at 40 bytes on a character boundary */
    char name[64];
    memset(name, 'a', 39);
    strcpy(name + 39, "\xc3\xa9");
    char line[128];
    snprintf(line, sizeof line, "{\"cmd\":\"%s\"}", name);
    CHECK(parse(line, &r, msg, sizeof msg) == TR_CTL_PARSE_UNKNOWN);
    CHECK_MSG(tr_msg_utf8_prefix(msg, strlen(msg)) == strlen(msg), "cut inside a character: %s",
              msg);
    CHECK(strstr(msg, "\xc3") == NULL); /* the 2-byte character did not fit whole */
    snprintf(line, sizeof line, "{\"cmd\":\"status\",\"%.38s\xe2\x82\xac\":1}", name);
    CHECK(parse(line, &r, msg, sizeof msg) == TR_CTL_PARSE_BAD_REQUEST);
    CHECK_MSG(tr_msg_utf8_prefix(msg, strlen(msg)) == strlen(msg), "cut inside a character: %s",
              msg);
}

static void test_open(const char *dir)
{
    char path[100], err[256], buf[32];
    struct tr_control *c = NULL, *c2 = NULL;

    /* a regular file at the path is not ours: refused, and left alone */
    snprintf(path, sizeof path, "%s/precious.txt", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("keep me\n", f);
    fclose(f);
    CHECK(tr_control_open(path, &c, err, sizeof err) == TR_CONTROL_ERR_IN_USE);
    CHECK(c == NULL && strstr(err, "not a socket"));
    f = fopen(path, "r");
    CHECK(f && fgets(buf, sizeof buf, f) && strcmp(buf, "keep me\n") == 0);
    if (f)
        fclose(f);
    unlink(path);

    /* so is a directory */
    snprintf(path, sizeof path, "%s/adir", dir);
    CHECK(mkdir(path, 0700) == 0);
    CHECK(tr_control_open(path, &c, err, sizeof err) == TR_CONTROL_ERR_IN_USE);
    struct stat st;
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    rmdir(path);

    /* a dead agent's socket file is replaced; a live agent's is not */
    snprintf(path, sizeof path, "%s/agent.sock", dir);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    close(fd); /* left behind, nobody listening */
    CHECK(tr_control_open(path, &c, err, sizeof err) == TR_CONTROL_OK);
    CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0660);
    CHECK(tr_control_open(path, &c2, err, sizeof err) == TR_CONTROL_ERR_IN_USE && c2 == NULL);
    tr_control_close(c);
    CHECK(stat(path, &st) != 0 && errno == ENOENT);
}

int main(void)
{
    char dir[] = "/tmp/tr-control-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    test_parse();
    test_open(dir);
    rmdir(dir);
    return check_report("test_control");
}
