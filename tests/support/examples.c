/*
 * tests/support/examples.c: reading example files and routing them to an
 * agent topic leaf by name (examples.h).
 */
#include "tests/support/examples.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *trt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

const char *trt_example_agent_leaf(const char *name)
{
    if (strncmp(name, "presence-", 9) == 0)
        return "state";
    if (strncmp(name, "loc-", 4) == 0)
        return "loc";
    if (strncmp(name, "offer_answer-", 13) == 0 || strncmp(name, "job_event-", 10) == 0)
        return "event";
    return NULL;
}

bool trt_example_answered(const char *name)
{
    return strncmp(name, "error-", 6) != 0;
}
