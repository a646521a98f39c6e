/*
 * tests/support/tmpdir.c: see tmpdir.h. Flat directories only: it does not
 * recurse into subdirectories.
 */
#include "tests/support/tmpdir.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tr_test_tmpdir(char *dir, size_t cap, const char *prefix)
{
    int n = snprintf(dir, cap, "/tmp/%sXXXXXX", prefix);
    if (n < 0 || (size_t)n >= cap) {
        fprintf(stderr, "tmpdir: prefix %s too long\n", prefix);
        return -1;
    }
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return -1;
    }
    return 0;
}

void tr_test_tmpdir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    }
    closedir(d);
    rmdir(dir);
}
