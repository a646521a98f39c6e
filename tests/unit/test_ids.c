/* tests/unit/test_ids.c: boot ids and message ids of common/ids. */
#include "common/ids.h"
#include "tests/support/check.h"

#include <stdint.h>

int main(void)
{
    char a[33], b[33], id[65], prefix[80];

    CHECK(tr_ids_boot_id(a) == TR_IDS_OK && strlen(a) == 32);
    CHECK(tr_ids_boot_id(b) == TR_IDS_OK && strcmp(a, b) != 0);
    CHECK(strspn(a, "0123456789abcdef") == 32);
    CHECK(tr_ids_valid(a));

    CHECK(tr_ids_msgid(id, a, 0) == TR_IDS_OK);
    CHECK(strncmp(id, a, 32) == 0 && strcmp(id + 32, "-0") == 0 && tr_ids_valid(id));
    CHECK(tr_ids_msgid(id, a, UINT64_MAX) == TR_IDS_OK);
    CHECK(strcmp(id + 32, "-18446744073709551615") == 0 && tr_ids_valid(id));
    CHECK(tr_ids_msgid(id, NULL, 42) == TR_IDS_OK && strcmp(id, "42") == 0);
    CHECK(tr_ids_msgid(id, "", 7) == TR_IDS_OK && strcmp(id, "7") == 0);
    CHECK(tr_ids_msgid(id, "agent_1.x:y", 7) == TR_IDS_OK && strcmp(id, "agent_1.x:y-7") == 0);

    /* refused: bad characters, leading punctuation, too long for the counter */
    CHECK(tr_ids_msgid(id, "a/b", 1) == TR_IDS_ERR_INVALID && id[0] == '\0');
    CHECK(tr_ids_msgid(id, "-ab", 1) == TR_IDS_ERR_INVALID);
    CHECK(tr_ids_msgid(id, "a+#", 1) == TR_IDS_ERR_INVALID);
    memset(prefix, 'p', 62);
    prefix[62] = '\0';
    CHECK(tr_ids_msgid(id, prefix, 1) == TR_IDS_OK && strlen(id) == 64);
    CHECK(tr_ids_msgid(id, prefix, 10) == TR_IDS_ERR_INVALID && id[0] == '\0');
    memset(prefix, 'p', 70);
    prefix[70] = '\0';
    CHECK(tr_ids_msgid(id, prefix, 1) == TR_IDS_ERR_INVALID);
    CHECK(tr_ids_msgid(NULL, "a", 1) == TR_IDS_ERR_INVALID);

    CHECK(!tr_ids_valid(NULL) && !tr_ids_valid("") && !tr_ids_valid("a b"));
    CHECK(tr_ids_valid("A") && !tr_ids_valid("_a"));
    CHECK(strcmp(tr_ids_strerror(TR_IDS_OK), "success") == 0);
    return check_report("test_ids");
}
