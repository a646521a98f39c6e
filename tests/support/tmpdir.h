/*
 * tests/support/tmpdir.h: a fresh temporary directory for a test's files,
 * and its removal. Only flat directories (files, no subdirectories).
 */
#ifndef TR_TEST_TMPDIR_H
#define TR_TEST_TMPDIR_H

#include <stddef.h>

/* Create /tmp/<prefix>XXXXXX and write its path to dir (cap bytes).
 * 0, or -1 with a message on stderr. */
int tr_test_tmpdir(char *dir, size_t cap, const char *prefix);
/* Remove the files in dir and dir itself; a missing dir is a no-op. */
void tr_test_tmpdir_remove(const char *dir);

#endif
