/* tests/unit/test_log.c: level parsing and threshold of common/log. */
#include "common/log.h"
#include "tests/support/check.h"

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
    return check_report("test_log");
}
