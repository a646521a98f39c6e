/* tests/unit/test_log.c: level parsing and threshold of common/log, and one
 * line per message whatever it quotes. */
#include "common/log.h"
#include "tests/support/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What tr_log wrote to stderr while fn ran. */
static void capture(void (*fn)(void), char *out, size_t cap)
{
    FILE *tmp = tmpfile();
    int saved = dup(2);
    out[0] = '\0';
    if (!tmp || saved < 0)
        return;
    fflush(stderr);
    dup2(fileno(tmp), 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t n = fread(out, 1, cap - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
}

static void forged(void)
{
    /* what a JSON key like "a\nFAKE ... accepted offer X" decodes to */
    tr_log_warn("inbox: unknown key '%s'", "a\nFAKE 2026-01-01T00:00:00.000Z info x: ok\r\x1b[2J");
}

int main(void)
{
    enum tr_log_level lv = TR_LOG_ERROR;
    CHECK(tr_log_level_parse("debug", &lv) == 0 && lv == TR_LOG_DEBUG);
    CHECK(tr_log_level_parse("warn", &lv) == 0 && lv == TR_LOG_WARN);
    CHECK(tr_log_level_parse("loud", &lv) == -1 && lv == TR_LOG_WARN);
    CHECK(tr_log_level_parse(NULL, &lv) == -1);
    tr_log_set_level(TR_LOG_WARN);
    CHECK(tr_log_get_level() == TR_LOG_WARN);
    CHECK(strcmp(tr_log_level_name(TR_LOG_INFO), "info") == 0);
    tr_log_set_ident("test_log");
    tr_log_warn("a warning with a number %d", 42);
    tr_log_debug("never formatted %s", "at warn level");

    char out[2048];
    capture(forged, out, sizeof out);
    char *nl = strchr(out, '\n');
    CHECK_MSG(nl && nl[1] == '\0', "not one line: %s", out);
    CHECK(strstr(out, "unknown key 'a?FAKE 2026-01-01T00:00:00.000Z info x: ok??[2J'") != NULL);
    CHECK(strchr(out, '\r') == NULL && strchr(out, '\x1b') == NULL);
    return check_report("test_log");
}
